"""Probe descriptions in the DSL: a malformed one is a located error (the model of descriptions,
their fields and entry/return pairs, is :mod:`dtracepy.facts.probes`)."""

from __future__ import annotations

from dtracepy.errors import DSLError
from dtracepy.facts import probes

# The usual description, four fields of plain characters (letters, digits, ``_ . -``: no glob,
# bracket, macro variable, comma or blank), is well-formed unless all four are empty (``:::``);
# and for a description of four fields, whether ``facts.providers.problem`` finds a problem
# depends on its provider and name fields only.  So such a text is answered by one match and a
# look-up of (provider, name), the two tests made once for each pair: ``dtracepy import`` of
# 100,000 clauses asks of 100,000 distinct descriptions (fbt::f1:entry, fbt::f2:entry ...).
_PLAIN4 = None  # re.compile(...).fullmatch, on first use
_FINE_PAIRS: set = set()  # (provider, name) of plain descriptions found without a problem


def check_desc(text, pos) -> str:
    """``text`` if it is a well-formed probe description, else a DSLError at ``pos``."""
    global _PLAIN4
    if text.__class__ is str:
        if _PLAIN4 is None:
            import re

            _PLAIN4 = re.compile(r"([A-Za-z0-9_.\-]*):[A-Za-z0-9_.\-]*:[A-Za-z0-9_.\-]*:([A-Za-z0-9_.\-]*)").fullmatch
        m = _PLAIN4(text)
        if m is not None and m.group(1, 2) in _FINE_PAIRS and text != ":::":
            return text
    elif not isinstance(text, str):
        if callable(text):  # `@t.probe` above a def, without its descriptions: given the function
            raise DSLError(f"@t.probe is given the function {getattr(text, '__name__', '')!r}, not "
                           "a probe description: write the descriptions in its parentheses, "
                           "@t.probe(\"syscall::read:entry\")", pos)
        raise DSLError(f"a probe description is a string such as \"syscall::read:entry\", not "
                       f"{type(text).__name__}", pos)
    else:
        m = None
    problem = probes.syntax_problem(text)
    if problem:
        raise DSLError(problem, pos)
    from dtracepy.facts import providers

    problem = providers.problem(text)
    if problem:
        raise DSLError(f"probe description {text!r}: {problem}", pos)
    if m is not None:
        if len(_FINE_PAIRS) >= 4096:  # (bounded: a long-lived process builds many tracers)
            _FINE_PAIRS.clear()
        _FINE_PAIRS.add(m.group(1, 2))
    return text
