"""The program's assignments, with what several rules ask of every one of them, asked once.

Many rules look at each assignment (``of(t.Assign)``) for a kind of target or value that most
programs have few of: an aggregation's (``@a[k] = count()``), an element's (``x[k] = v``), a
chain (``x = x = v``), a division (``x /= 0``).  Each was a Python loop over every assignment: ten
of them were most of the checks of a body of 100,000 ``x = y;`` (docs/PERFORMANCE.md, session 16).
:class:`Assignments` gives the classes of the targets and of the values and the operators, each
a set made in C loops, so a rule tells at once that no assignment can concern it and skips its
loop; a rule that may find something still loops as before (its logic stays in its own home).
"""

from __future__ import annotations

from functools import cached_property
from operator import attrgetter

from dtracepy import tree as t

_TARGET = attrgetter("target")


class Assignments:
    """``nodes``: the program's ``t.Assign`` nodes, in the walk's order (the checks' index, or
    :func:`dtracepy.checks.rules.refusals`' own for a tracer).  Each fact is made when first
    asked, by a comprehension: in CPython 3.11 a comprehension's attribute read (specialised for
    slots) costs half what ``map(attrgetter(...))`` costs an element (measured: 140 against 330
    instructions), so these sets are made without ``operator``'s getters."""

    def __init__(self, nodes):
        self.nodes = nodes

    @cached_property
    def target_classes(self) -> frozenset:
        """The classes of the targets (node classes are concrete: a rule compares them)."""
        return frozenset({node.target.__class__ for node in self.nodes})

    @cached_property
    def value_classes(self) -> frozenset:
        return frozenset({node.value.__class__ for node in self.nodes})

    @cached_property
    def ops(self) -> frozenset:
        """The assignment operators used (``=``, ``+=`` ...)."""
        return frozenset({node.op for node in self.nodes})

    @cached_property
    def plain_target_names(self) -> frozenset | None:
        """The names assigned, when every target is a name (``x = ...``; the usual long body, and
        a kernel symbol's ```x = ...``); None otherwise (a rule then looks at each target)."""
        if self.target_classes != {t.Ident}:
            return None
        return frozenset({node.target.name for node in self.nodes})

    @cached_property
    def targets_have_modules(self) -> bool:
        """Does some name target have a module (```x = ...``)?  (Asked only of
        :attr:`plain_target_names`.)"""
        if not t.any_scoped(map(_TARGET, self.nodes)):  # (a C loop: see tree.scoped_names)
            return False
        return {node.target.module for node in self.nodes} != {None}

    def targets_any(self, *classes) -> bool:
        """Is some target of one of these classes?"""
        return not self.target_classes.isdisjoint(classes)
