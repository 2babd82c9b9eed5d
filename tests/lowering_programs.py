"""Small BEGIN-only programs with nested if/else, as data: drawn by hypothesis, built as tracers
through the DSL, and run by a Python model of what D computes.

A program is a list of clauses (each maybe with a predicate) over integer clause-locals, with
assignments, ``printf`` and ``if``/``elif``/``else`` nested a few deep.  The generator keeps to
programs whose meaning D defines and the model knows exactly:

* a clause-local is read only where every path has assigned it, within the same program: all
  programs of a batch run in one firing of BEGIN, so a local also holds what an earlier program
  left, which must never matter;
* no value overflows 32 bits: a compound value is masked (``& 1023``) when assigned, constants
  are small and ``*``, ``/`` and ``%`` take a constant from 1 to 5 on the right;
* every line a program prints starts with ``p<id>``, so a batch's output is the concatenation of
  its programs' in order.

Predicates are often false and often test a local the clause's body then changes: the lowering
must evaluate a predicate once, and a part number left by an earlier clause or program (or an
earlier firing) must never count.
"""

from __future__ import annotations

import attrs
from hypothesis import strategies as st

from dtracepy import D, and_, elif_, else_, if_, not_, or_, printf, this, tree

VARS = ("a", "b", "c", "d")
MASK = 1023


# ---------------------------------------------------------------------------------------------
# The programs


@attrs.frozen
class Const:
    value: int


@attrs.frozen
class Var:
    name: str


@attrs.frozen
class Bin:
    op: str
    left: object
    right: object


@attrs.frozen
class Not:
    operand: object


@attrs.frozen
class Assign:
    name: str
    value: object
    masked: bool


@attrs.frozen
class Print:
    tag: str
    values: tuple


@attrs.frozen
class If:
    arms: tuple  # ((cond, body), ...): if_, then elif_s
    otherwise: tuple | None


@attrs.frozen
class Clause:
    when: object | None
    body: tuple


@attrs.frozen
class Program:
    id: int
    clauses: tuple


ARITH = ("+", "-", "*", "/", "%", "&", "|", "^")
COMPARE = ("<", "<=", "==", "!=", ">", ">=")
LOGIC = ("&&", "||")


# ---------------------------------------------------------------------------------------------
# The model: what D computes


def _c_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def evaluate(node, env: dict) -> int:
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Var):
        return env[node.name]
    if isinstance(node, Not):
        return int(not evaluate(node.operand, env))
    a = evaluate(node.left, env)
    if node.op == "&&":
        return int(bool(a) and bool(evaluate(node.right, env)))
    if node.op == "||":
        return int(bool(a) or bool(evaluate(node.right, env)))
    b = evaluate(node.right, env)
    result = {
        "+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
        "/": lambda: _c_div(a, b), "%": lambda: a - b * _c_div(a, b),
        "&": lambda: a & b, "|": lambda: a | b, "^": lambda: a ^ b,
        "<": lambda: int(a < b), "<=": lambda: int(a <= b), "==": lambda: int(a == b),
        "!=": lambda: int(a != b), ">": lambda: int(a > b), ">=": lambda: int(a >= b),
    }[node.op]()
    assert -(2 ** 31) <= result < 2 ** 31, "the generator let a value overflow"
    return result


def run_model(program: Program) -> list[str]:
    """The lines ``program`` prints, as D would print them."""
    out: list[str] = []
    env: dict[str, int] = {}

    def block(stmts):
        for stmt in stmts:
            if isinstance(stmt, Assign):
                value = evaluate(stmt.value, env)
                env[stmt.name] = value & MASK if stmt.masked else value
            elif isinstance(stmt, Print):
                values = [evaluate(v, env) for v in stmt.values]
                out.append(" ".join([f"p{program.id}", stmt.tag, *map(str, values)]))
            else:
                for cond, body in stmt.arms:
                    if evaluate(cond, env):
                        block(body)
                        break
                else:
                    if stmt.otherwise is not None:
                        block(stmt.otherwise)

    for clause in program.clauses:
        if clause.when is None or evaluate(clause.when, env):
            block(clause.body)
    return out


# ---------------------------------------------------------------------------------------------
# As a tracer


def to_dsl(node):
    if isinstance(node, Const):
        return D(tree.IntLit(str(node.value)))  # a D value, so that operators build D
    if isinstance(node, Var):
        return this(node.name)
    if isinstance(node, Not):
        return not_(to_dsl(node.operand))
    left, right = to_dsl(node.left), to_dsl(node.right)
    if node.op == "&&":
        return and_(left, right)
    if node.op == "||":
        return or_(left, right)
    return {
        "+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right,
        "/": lambda: left / right, "%": lambda: left % right, "&": lambda: left & right,
        "|": lambda: left | right, "^": lambda: left ^ right, "<": lambda: left < right,
        "<=": lambda: left <= right, "==": lambda: left == right, "!=": lambda: left != right,
        ">": lambda: left > right, ">=": lambda: left >= right,
    }[node.op]()


def emit(stmts, pid: int) -> None:
    """Record ``stmts`` into the probe body being built."""
    for stmt in stmts:
        if isinstance(stmt, Assign):
            value = to_dsl(stmt.value)
            setattr(this, stmt.name, (value & MASK) if stmt.masked else value)
        elif isinstance(stmt, Print):
            fmt = " ".join([f"p{pid}", stmt.tag, *["%d"] * len(stmt.values)]) + "\n"
            printf(fmt, *(to_dsl(v) for v in stmt.values))
        else:
            (cond, body), *rest = stmt.arms
            with if_(to_dsl(cond)):
                emit(body, pid)
            for cond, body in rest:
                with elif_(to_dsl(cond)):
                    emit(body, pid)
            if stmt.otherwise is not None:
                with else_():
                    emit(stmt.otherwise, pid)


def add_to(tracer, program: Program) -> None:
    """``program``'s clauses, as BEGIN clauses of ``tracer``."""
    for clause in program.clauses:
        when = None if clause.when is None else to_dsl(clause.when)

        def body(clause=clause):
            emit(clause.body, program.id)

        tracer.probe("BEGIN", when=when)(body)


# ---------------------------------------------------------------------------------------------
# Drawing them


# Strategies made once: making them inside the draws costs hypothesis far more than drawing.
_UPTO = {n: st.integers(0, n) for n in range(0, 25)}
_DIVISOR = st.integers(1, 5)
_BOOL = st.booleans()


def _pick(draw, items):
    items = tuple(items)
    return items[draw(_UPTO[len(items) - 1])]


def _range(draw, low, high):
    return low + draw(_UPTO[high - low])


def _expr(draw, assigned: frozenset, depth: int, want_bool: bool = False):
    """An expression reading only ``assigned`` locals; its magnitude stays small (see above)."""
    if depth <= 0 or draw(_UPTO[2]) == 0:
        if assigned and draw(_BOOL):
            return Var(_pick(draw, sorted(assigned)))
        return Const(draw(_UPTO[20]))
    kind = _pick(draw, ("arith", "compare", "logic", "not") if want_bool else ("arith", "compare"))
    if kind == "not":
        return Not(_expr(draw, assigned, depth - 1, True))
    if kind == "logic":
        return Bin(_pick(draw, LOGIC), _expr(draw, assigned, depth - 1, True),
                   _expr(draw, assigned, depth - 1, True))
    if kind == "compare":
        return Bin(_pick(draw, COMPARE), _expr(draw, assigned, depth - 1),
                   _expr(draw, assigned, depth - 1))
    op = _pick(draw, ARITH)
    left = _expr(draw, assigned, depth - 1)
    if op in ("*", "/", "%"):
        return Bin(op, left, Const(draw(_DIVISOR)))
    return Bin(op, left, _expr(draw, assigned, depth - 1))


def _block(draw, assigned: frozenset, depth: int, size: int):
    """Statements, and the locals assigned on every path through them."""
    stmts = []
    count = _range(draw, 0 if depth else 1, size)
    for index in range(count):
        if depth == 0 and index == count - 1 and not any(isinstance(s, If) for s in stmts):
            kind = "if"  # every clause has an if to lower
        else:
            kinds = ("assign", "assign", "print", "if") if depth < 3 else ("assign", "print")
            kind = _pick(draw, kinds)
        if kind == "assign":
            name = _pick(draw, VARS)
            value = _expr(draw, assigned, 2)
            masked = not isinstance(value, (Const, Var))
            stmts.append(Assign(name, value, masked))
            assigned = assigned | {name}
        elif kind == "print":
            values = tuple(_expr(draw, assigned, 2) for _ in range(draw(_UPTO[2])))
            stmts.append(Print(_pick(draw, "stuvwxyz"), values))
        else:
            arms = []
            sets = []
            for _ in range(_range(draw, 1, 3)):
                cond = _expr(draw, assigned, 2, True)
                body, after = _block(draw, assigned, depth + 1, 3)
                arms.append((cond, body))
                sets.append(after)
            otherwise = None
            if draw(_BOOL):
                otherwise, after = _block(draw, assigned, depth + 1, 3)
                sets.append(after)
            stmts.append(If(tuple(arms), otherwise))
            if otherwise is not None:
                assigned = frozenset.intersection(*sets)
    return tuple(stmts), assigned


def _predicate(draw, assigned: frozenset):
    """A clause predicate: random, or a test of one local the body may then change (which must
    not change which parts of the clause run: the predicate is evaluated once)."""
    if assigned and draw(_BOOL):
        var = _pick(draw, sorted(assigned))
        return Bin(_pick(draw, COMPARE), Var(var), Const(draw(_UPTO[3])))
    return _expr(draw, assigned, 2, True)


def draw_program(draw, pid: int) -> Program:
    assigned: frozenset = frozenset()
    clauses = []
    for _ in range(_range(draw, 1, 3)):
        when = _predicate(draw, assigned) if draw(_BOOL) else None
        body, after = _block(draw, assigned, 0, 4)
        if isinstance(when, Bin) and isinstance(when.left, Var) and draw(_BOOL):
            # the body first changes what the predicate tested
            body = (Assign(when.left.name, Const(draw(_UPTO[3])), False), *body)
        clauses.append(Clause(when, body))
        if when is None:
            assigned = after
    return Program(pid, tuple(clauses))


@st.composite
def batches(draw, size: int):
    return [draw_program(draw, pid) for pid in range(size)]
