"""Helpers shared by passes: statements of a body (through if/else), assignments, zeros."""

from __future__ import annotations

from dtracepy import tree


def statements(body):
    """Every statement of ``body``, descending into blocks and if/else branches, in order."""
    stack = list(reversed(body or ()))
    while stack:
        stmt = stack.pop()
        yield stmt
        if isinstance(stmt, tree.Block):
            stack.extend(reversed(stmt.body))
        elif isinstance(stmt, tree.If):
            if stmt.otherwise is not None:
                stack.append(stmt.otherwise)
            stack.append(stmt.then)


def assignments(body):
    """The Assign expressions at statement level of ``body`` (incl. inside if/else)."""
    for stmt in statements(body):
        if isinstance(stmt, tree.ExprStmt) and isinstance(stmt.expr, tree.Assign):
            yield stmt.expr


def is_zero(node) -> bool:
    return isinstance(node, tree.IntLit) and node.value == 0


_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        import attrs

        names = _FIELDS[cls] = tuple(f.name for f in attrs.fields(cls) if f.name != "pos")
    return names


def nodes(node):
    """``node`` and every node below it, depth first (``Node.walk`` with field names cached)."""
    stack = [node]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        yield node
        for name in reversed(_child_fields(type(node))):
            value = getattr(node, name)
            if isinstance(value, tree.Node):
                push(value)
            elif isinstance(value, tuple):
                for item in reversed(value):
                    if isinstance(item, tree.Node):
                        push(item)
                    elif isinstance(item, tuple):
                        stack.extend(x for x in reversed(item) if isinstance(x, tree.Node))
