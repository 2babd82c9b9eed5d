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


def nodes(node):
    """``node`` and every node below it, depth first."""
    return node.walk()
