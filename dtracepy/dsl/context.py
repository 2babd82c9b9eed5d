"""Where recorded statements go: a stack of statement lists.

A probe body, an ``if_`` block and an ``else_`` block each push a fresh list; assignments and
action calls append to the innermost one.  Outside any probe body nothing may be recorded, and
trying is a located :class:`~dtracepy.errors.DSLError`.

The stack lives in a :class:`contextvars.ContextVar`, so threads (and asyncio tasks) building
tracers at once each have their own, and a probe body that fails unwinds only what it pushed
(:func:`unwind`), never another tracer's half-built body.
"""

from __future__ import annotations

from contextvars import ContextVar

from dtracepy.errors import DSLError
from dtracepy.source import user_pos

# A tuple of the lists of tree.Stmt being filled, innermost last (replaced, never mutated).
_STACK: ContextVar[tuple] = ContextVar("dtracepy_statement_stack", default=())


def current(what: str = "a statement") -> list:
    """The innermost statement list; a DSLError when no probe body is running."""
    stack = _STACK.get()
    if not stack:
        raise DSLError(
            f"{what} can only be recorded inside a probe body (a function decorated with @t.probe)",
            user_pos(),
        )
    return stack[-1]


def record(stmt) -> None:
    current().append(stmt)


def push() -> list:
    body: list = []
    _STACK.set((*_STACK.get(), body))
    return body


def pop(body: list) -> None:
    stack = _STACK.get()
    if not stack or stack[-1] is not body:  # pragma: no cover - a bug in the DSL itself
        raise RuntimeError("dtracepy: statement stack out of order")
    _STACK.set(stack[:-1])


def depth() -> int:
    return len(_STACK.get())


def unwind(to_depth: int) -> None:
    """Forget the bodies pushed above ``to_depth`` (after an exception escaped a probe body)."""
    stack = _STACK.get()
    if len(stack) > to_depth:
        _STACK.set(stack[:to_depth])


def active() -> bool:
    return bool(_STACK.get())


def reset() -> None:
    """Forget any half-built body (the CLI, after importing a tracer module failed)."""
    _STACK.set(())
