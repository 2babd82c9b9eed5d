"""A variable read before any assignment is a located compile error.

* ``self->x`` read but assigned nowhere in the program (nor declared);
* ``this->x`` read before an assignment earlier in program order (clause-locals live for one
  firing, across the clauses of that probe, in order);
* a global made with ``glob.x`` read but assigned nowhere (nor declared).
"""

from __future__ import annotations

from dtracepy import tree
from dtracepy.errors import CompileError
from dtracepy.passes.walk import assignments, nodes, statements


def _base_var(node):
    """The variable an lvalue assigns: self->x, self->a[k], this->x, x, a[k]."""
    while isinstance(node, tree.Index):
        node = node.base
    return node


def check_reads(program: tree.Program, declared=frozenset()) -> None:
    assigned_self = {n for s, n in declared if s == "self"}
    assigned_glob = {n for s, n in declared if s == "global"}
    for clause in program.clauses:
        for node in assignments(clause.body):
            var = _base_var(node.target)
            if isinstance(var, tree.SelfVar):
                assigned_self.add(var.name)
            elif isinstance(var, tree.Ident):
                assigned_glob.add(var.name)
    assigned_this = {n for s, n in declared if s == "this"}

    def reads(node):
        for sub in nodes(node):
            if isinstance(sub, tree.SelfVar) and sub.name not in assigned_self:
                raise CompileError(f"self->{sub.name} is read but never assigned", sub.pos or clause.pos)
            if isinstance(sub, tree.ThisVar) and sub.name not in assigned_this:
                raise CompileError(f"this->{sub.name} is read before it is assigned (a clause-local "
                                   "lives for one firing; assign it in this clause or an earlier one "
                                   "for the same probe)", sub.pos or clause.pos)
            if (isinstance(sub, tree.Ident) and sub.module is None and sub.is_global
                    and sub.name not in assigned_glob):
                raise CompileError(f"global {sub.name} is read but never assigned", sub.pos or clause.pos)

    def visit_stmt(stmt):
        if isinstance(stmt, tree.ExprStmt) and isinstance(stmt.expr, tree.Assign):
            node = stmt.expr
            reads(node.value)
            target = node.target
            if node.op != "=":
                reads(target)
            else:
                # keys and bases of the target are read; the variable itself is written
                if isinstance(target, tree.Index):
                    for key in target.keys:
                        reads(key)
                    inner = target.base
                    if not isinstance(inner, (tree.SelfVar, tree.ThisVar, tree.Ident, tree.AggVar)):
                        reads(inner)
                elif isinstance(target, tree.Member):
                    reads(target.base)
            var = _base_var(target)
            if isinstance(var, tree.ThisVar):
                assigned_this.add(var.name)
        elif isinstance(stmt, tree.If):
            reads(stmt.cond)  # its branches follow, in order (statements() descends into them)
        elif isinstance(stmt, tree.ExprStmt):
            reads(stmt.expr)

    for clause in program.clauses:
        if clause.predicate is not None:
            reads(clause.predicate)
        for stmt in statements(clause.body):  # iterative: a thousand nested ifs are fine
            visit_stmt(stmt)
