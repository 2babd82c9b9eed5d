"""Where recorded statements go: a stack of statement lists.

A probe body, an ``if_`` block and an ``else_`` block each push a fresh list; assignments and
action calls append to the innermost one.  Outside any probe body nothing may be recorded, and
trying is a located :class:`~dtracepy.errors.DSLError`.
"""

from __future__ import annotations

from dtracepy.errors import DSLError
from dtracepy.source import user_pos

# Each entry is a list of tree.Stmt being filled.
_STACK: list[list] = []


def current(what: str = "a statement") -> list:
    """The innermost statement list; a DSLError when no probe body is running."""
    if not _STACK:
        raise DSLError(
            f"{what} can only be recorded inside a probe body (a function decorated with @t.probe)",
            user_pos(),
        )
    return _STACK[-1]


def record(stmt) -> None:
    current().append(stmt)


def push() -> list:
    body: list = []
    _STACK.append(body)
    return body


def pop(body: list) -> None:
    if not _STACK or _STACK[-1] is not body:  # pragma: no cover - a bug in the DSL itself
        raise RuntimeError("dtracepy: statement stack out of order")
    _STACK.pop()


def active() -> bool:
    return bool(_STACK)


def reset() -> None:
    """Forget any half-built body (after an exception escaped a probe body)."""
    _STACK.clear()
