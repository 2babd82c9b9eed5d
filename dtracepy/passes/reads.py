"""A variable read before any assignment is a located compile error.

* ``self->x`` read but assigned nowhere in the program (nor declared);
* ``this->x`` read before an assignment earlier in program order (clause-locals live for one
  firing, across the clauses of that probe, in order);
* a global made with ``glob.x`` read but assigned nowhere (nor declared).
"""

from __future__ import annotations

from dtracepy import tree
from dtracepy.errors import CompileError
from dtracepy.passes.walk import nodes


def _base_var(node):
    """The variable an lvalue assigns: self->x, self->a[k], this->x, x, a[k]."""
    while isinstance(node, tree.Index):
        node = node.base
    return node


def _written(node):
    """The variables ``node`` writes anywhere inside it: assignments (also inside expressions,
    ``x = y = 0``, ``/(this->t = t[arg0])/``) and ``++``/``--`` (``n++`` is an assignment too)."""
    for sub in nodes(node):
        if isinstance(sub, tree.Assign):
            yield _base_var(sub.target)
        elif isinstance(sub, (tree.Unary, tree.Postfix)) and sub.op in ("++", "--"):
            yield _base_var(sub.operand)


def check_reads(program: tree.Program, declared=frozenset()) -> None:
    assigned_self = {n for s, n in declared if s == "self"}
    assigned_glob = {n for s, n in declared if s == "global"}
    for clause in program.clauses:
        for part in (clause.predicate, *(clause.body or ())):
            for var in _written(part) if part is not None else ():
                if isinstance(var, tree.SelfVar):
                    assigned_self.add(var.name)
                elif isinstance(var, tree.Ident):
                    assigned_glob.add(var.name)
    assigned_this = {n for s, n in declared if s == "this"}

    def reads(node):
        for var in _written(node):
            if isinstance(var, tree.ThisVar):
                assigned_this.add(var.name)
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
            reads(stmt.cond)
            visit_stmt(stmt.then)
            if stmt.otherwise is not None:
                visit_stmt(stmt.otherwise)
        elif isinstance(stmt, tree.Block):
            for s in stmt.body:
                visit_stmt(s)
        elif isinstance(stmt, tree.ExprStmt):
            reads(stmt.expr)

    for clause in program.clauses:
        if clause.predicate is not None:
            reads(clause.predicate)
        for stmt in clause.body or ():
            visit_stmt(stmt)
