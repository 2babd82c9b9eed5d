"""Probe descriptions in the DSL: a malformed one is a located error (the model of descriptions,
their fields and entry/return pairs, is :mod:`dtracepy.facts.probes`)."""

from __future__ import annotations

from dtracepy.errors import DSLError
from dtracepy.facts import probes


def check_desc(text, pos) -> str:
    """``text`` if it is a well-formed probe description, else a DSLError at ``pos``."""
    if not isinstance(text, str):
        raise DSLError(f"a probe description is a string such as \"syscall::read:entry\", not "
                       f"{type(text).__name__}", pos)
    problem = probes.syntax_problem(text)
    if problem:
        raise DSLError(problem, pos)
    from dtracepy.facts import providers

    problem = providers.problem(text)
    if problem:
        raise DSLError(f"probe description {text!r}: {problem}", pos)
    return text
