"""Findings over a D program: lifecycle, printf, names, safety (issue 5).

The contract used by ``dtracepy check`` and by the DSL compiler:

* :class:`CheckOptions` - which checks are off, the dialect, strictness;
* :class:`Finding` - one located warning or error with its check name;
* :func:`check_program` - every finding for a program, in source order.

(The checks themselves are being written; until they land this runs none.)
"""

from __future__ import annotations

import attrs

from dtracepy.source import Pos


@attrs.frozen
class CheckOptions:
    disabled: frozenset = frozenset()
    dialect: str = "illumos"
    strict: bool = False


@attrs.frozen
class Finding:
    severity: str  # "error" or "warning"
    message: str
    check: str
    pos: Pos | None = None
    source_line: str | None = None

    def render(self) -> str:
        head = f"{self.pos}: " if self.pos is not None else ""
        return f"{head}{self.severity}: {self.message} [{self.check}]"


def check_program(program, options: CheckOptions | None = None) -> list[Finding]:
    return []
