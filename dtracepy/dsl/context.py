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


class Body(list):
    """The statements of a probe body or an ``if_`` block being run, and the values with an
    effect (``postinc(x)``, ``assign_expr(...)``, calls) made while it ran: each must end up in
    the clause, else Python dropped it (:func:`made`, :func:`dropped`)."""

    __slots__ = ("effects", "interrupted", "refused")

    def __init__(self):
        super().__init__()
        self.effects: list = []
        # (what, pos) of an if_/elif_/else_ block inside it that an exception left (and the body
        # caught): that block is in no D, so the body must not end as if it had been recorded
        self.interrupted = None
        # the first error a library's request for a D value's text raised while it ran (a library
        # may catch it and use text of its own: reprlib.repr gives "<D instance at 0x...>"), which
        # the body raises when it ends (:func:`refuse`)
        self.refused = None


def push() -> Body:
    body = Body()
    _STACK.set((*_STACK.get(), body))
    return body


def refuse(error) -> None:
    """Remember ``error`` in the innermost body being run, if any and the first: the error of a
    D value's text asked for by a library, which may catch it (``reprlib.repr`` does); the probe
    body raises it when it ends, so that what the library made of the value never reaches the D."""
    stack = _STACK.get()
    if stack and stack[-1].refused is None:
        stack[-1].refused = error


def made(value):
    """Remember ``value`` (a D value with an effect, or a call) made in the innermost body being
    run, if any; returns it."""
    stack = _STACK.get()
    if stack:
        stack[-1].effects.append(value)
    return value


def dropped(effects, roots) -> list:
    """The values of ``effects`` whose expression is nowhere under ``roots`` (the clause's
    statements and predicate as recorded): Python computed them and nothing used them."""
    if not effects:
        return []
    seen = {key for key, _ in distinct_ids(roots)}
    return [value for value in effects if id(value._node) not in seen]


def distinct_ids(roots):
    """(id, node) for the nodes under ``roots``, each node once: a value used twice is one node under
    two parents, and ``walk()`` visits it twice (``x = x + x`` twenty times: 2**20 visits)."""
    seen: set = set()
    stack = [root for root in roots if root is not None]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            yield id(node), node
            stack.extend(node.children())


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
