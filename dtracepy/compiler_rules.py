"""What every D compiler refuses in a tracer's program, found before any D is printed.

The rules live in :mod:`dtracepy.checks.rules` (``dtracepy check`` runs them on D files too); the
compiler (:func:`dtracepy.compiler.compile_tracer`) calls :func:`refusals` here on the tracer's own
items (before the passes add anything), and each refusal becomes an error at the user's Python
line, with the D it is about printed as the printer writes it.
"""

from __future__ import annotations

from dtracepy.checks import Finding
from dtracepy.checks import rules


def _shown(node) -> str:
    from dtracepy.printer import to_d

    text = to_d(node)
    return text if len(text) <= 60 else text[:57] + "..."


def refusals(items, dialect, pos=None, includes=(), passed=None, passed_context=None) -> list[Finding]:
    """:func:`dtracepy.checks.rules.refusals` for a tracer's items (see there)."""
    return rules.refusals(items, dialect, pos, includes, passed, shown=_shown, passed_context=passed_context)
