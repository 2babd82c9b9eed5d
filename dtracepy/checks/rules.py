"""What every D compiler refuses in a tracer's program, found before any D is printed.

The DSL builds whatever Python says; some of it is no D a real ``dtrace`` takes.  The compiler
(:func:`dtracepy.compiler.compile_tracer`) calls :func:`refusals` on the tracer's own items
(before the passes add anything), and each refusal becomes an error at the user's Python line,
so no entry point of the DSL needs to know these rules:

* ``assigned-read-only``: assigning a built-in variable, a library variable or constant
  (``execname = ...``, ``pid++``, ``curpsinfo->pr_pid = 1``);
* ``aggregation-value``: an aggregating function (``count()``) anywhere but as the value assigned
  to an aggregation, or an aggregation anywhere but assigned or given to ``printa``, ``clear``,
  ``trunc``, ``normalize``, ``denormalize``;
* ``constant-argument``: an argument that must be an integer constant in a range
  (``stack(-1)``, ``ustack(arg0)``, ``lquantize(x, 10, 0)``): :mod:`dtracepy.facts.functions`;
* ``used-before-assigned``: D types a variable at its first assignment or declaration in the
  program text, so a read, or a compound assignment (``+=``), of a variable no earlier text
  assigns or declares is refused ("has not yet been declared or assigned"), even if a later
  clause assigns it; ``x++`` may come first (it makes an int);
* ``empty-program``: a tracer with no clause (dtrace: "empty D program translation unit").

The facts come from the facts modules; this module only walks the tree.
"""

from __future__ import annotations

from dtracepy import tree as t
from dtracepy.checks import Finding
from dtracepy.checks.context import accesses, stmt_exprs
from dtracepy.facts import functions as Fn
from dtracepy.facts import variables as V
from dtracepy.facts.translated import PORTABLE_CONSTANTS


def refusals(items, dialect, pos=None, includes=(), passed=None) -> list[Finding]:
    """The errors in a tracer's items (``tracer.items``, in order); ``pos`` locates those that
    belong to no node (an empty program: the tracer's line).  A program that ``#include``s a
    header (``includes``) may get its clauses there, so it is never called empty.  ``passed``:
    the program's items after the passes, in the order dtrace reads them (Oracle's D gets an
    ``if_`` as predicated clauses that evaluate every condition first), where a variable must be
    assigned above its uses (``items`` when not given)."""
    found: list[Finding] = []
    if not includes and not any(isinstance(item, (t.Clause, t.Inline, t.Translator, t.Provider)) or (
            isinstance(item, t.Directive) and item.name == "include") for item in items):
        found.append(_finding("empty-program", pos,
                              "the tracer has no probe clause, and dtrace refuses a program without "
                              "one (\"empty D program translation unit\"): add one with @t.probe(...)"))
    for item in items:
        parents: dict[int, t.Node] = {}
        for node in _walk_with_parents(item, parents):
            cls = node.__class__
            if cls is t.Call:
                found += _call_refusals(node, parents, dialect)
            elif cls is t.Assign or ((cls is t.Unary or cls is t.Postfix) and node.op in ("++", "--")):
                found += _read_only(node, dialect)
            elif cls is t.AggVar:
                found += _aggregation_as_value(node, parents)
    found += _used_before_assigned(items if passed is None else passed)
    return found


def _finding(check: str, pos, message: str) -> Finding:
    return Finding("error", message, check, pos)


def _walk_with_parents(root, parents):
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        children = list(node.children())
        for child in children:
            parents[id(child)] = node
        stack.extend(reversed(children))


def _shown(node) -> str:
    from dtracepy.printer import to_d

    text = to_d(node)
    return text if len(text) <= 60 else text[:57] + "..."


# --- assigning what cannot be assigned ------------------------------------------------------------

def _root(node):
    """The variable an lvalue writes into (``x`` of ``x[k].m``, ``curpsinfo`` of
    ``curpsinfo->pr_pid``, ``p`` of ``*p``)."""
    while True:
        if isinstance(node, t.Index):
            node = node.base
        elif isinstance(node, t.Member):
            node = node.base
        elif isinstance(node, (t.Unary, t.Cast)) and (not isinstance(node, t.Unary) or node.op == "*"):
            node = node.operand
        else:
            return node


def _read_only(node, dialect):
    target = node.target if node.__class__ is t.Assign else node.operand
    root = _root(target)
    if not isinstance(root, t.Ident) or root.module is not None:
        return []
    name = root.name
    if V.read_only(name, dialect.variables, dialect.name) or name in PORTABLE_CONSTANTS:
        what = ("a constant" if name.isupper() else "a built-in variable" if name in dialect.variables
                else "a variable of D's libraries")
        op = node.op
        return [_finding("assigned-read-only", node.pos or root.pos,
                         f"{_shown(target)} cannot be assigned ({op}): {name} is {what}, which D "
                         "only reads; keep the value in a variable of your own (this.x, self.x, "
                         "glob.x)")]
    return []


# --- aggregations and aggregating functions as values ------------------------------------------

def _is_agg_target(node, parents) -> bool:
    """``node`` (an aggregation or ``@a[keys]``) is what an ``=`` assigns."""
    parent = parents.get(id(node))
    return isinstance(parent, t.Assign) and parent.target is node and parent.op == "="


def _call_refusals(node, parents, dialect):
    name = node.name
    if name is None:
        return []
    out = []
    if name in Fn.AGGREGATING_FUNCTIONS:
        parent = parents.get(id(node))
        target = parent.target if isinstance(parent, t.Assign) and parent.value is node else None
        if target is None or not (isinstance(target, t.AggVar) or (
                isinstance(target, t.Index) and isinstance(target.base, t.AggVar))):
            out.append(_finding("aggregation-value", node.pos,
                                f"{name}() is an aggregating function: its result can only be "
                                f"assigned to an aggregation (agg.name[keys] = {name}(...)), not used "
                                f"as a value here"))
    if name in Fn.CONSTANT_ARGUMENTS:
        values = [_constant(arg, dialect) for arg in node.args]
        for index, message in Fn.constant_argument_problems(
                name, values, dialect.llquantize_steps_divide_power):
            out.append(_finding("constant-argument", node.args[index].pos or node.pos, message))
    return out


def _aggregation_as_value(node, parents):
    shown = f"@{node.name}" if node.name else "the anonymous aggregation @"
    used = node
    parent = parents.get(id(node))
    if isinstance(parent, t.Index) and parent.base is node:
        used, parent = parent, parents.get(id(parent))
    if _is_agg_target(used, parents):
        return []
    if isinstance(parent, t.Call) and parent.name in Fn.AGGREGATION_ARGUMENTS and any(
            arg is used for arg in parent.args):  # (clear(@a[k]) too: dtrace takes it)
        where = Fn.AGGREGATION_ARGUMENTS[parent.name]
        index = next(i for i, arg in enumerate(parent.args) if arg is used)
        if where is None or index in where:
            return []
    return [_finding("aggregation-value", node.pos or (parent.pos if parent is not None else None),
                     f"{shown} is an aggregation, not a value: assign it an aggregating function "
                     "(agg.name[keys] = count()) or print it with printa(); D cannot read it in an "
                     "expression")]


# --- integer constants ----------------------------------------------------------------------------

_UNKNOWN = None


def _constant(node, dialect):
    """The value of a constant integer expression as D folds it: an int, None when it is a constant
    whose value is not known here (a macro argument, sizeof, an enumerator), or NOT_CONSTANT."""
    if isinstance(node, t.IntLit):
        try:
            return node.value
        except ValueError:
            return _UNKNOWN
    if isinstance(node, (t.MacroVar, t.SizeofType, t.SizeofExpr, t.Offsetof, t.CharLit)):
        return _UNKNOWN
    if isinstance(node, t.Ident):
        if dialect is None:
            return _UNKNOWN
        if node.module is None and (node.name in dialect.variables or node.is_global
                                    or (node.name in V.LIBRARY_TABLE and V.LIBRARY_TABLE[node.name][3])):
            return Fn.NOT_CONSTANT
        return _UNKNOWN  # an inline or enumerator may be a constant
    if isinstance(node, t.Cast):
        return _constant(node.operand, dialect)
    if isinstance(node, t.Unary) and node.op in ("-", "+", "~"):
        value = _constant(node.operand, dialect)
        if not isinstance(value, int) or value is Fn.NOT_CONSTANT:
            return value
        return {"-": -value, "+": value, "~": ~value}[node.op]
    if isinstance(node, t.Binary) and node.op in ("+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^"):
        left, right = _constant(node.left, dialect), _constant(node.right, dialect)
        if left is Fn.NOT_CONSTANT or right is Fn.NOT_CONSTANT:
            return Fn.NOT_CONSTANT
        if left is None or right is None:
            return _UNKNOWN
        try:
            return _fold(node.op, left, right)
        except (ZeroDivisionError, ValueError, OverflowError):
            return _UNKNOWN
    if isinstance(node, (t.SelfVar, t.ThisVar, t.AggVar, t.Call, t.Assign, t.Index, t.Member,
                         t.StringLit, t.Postfix)):
        return Fn.NOT_CONSTANT
    return _UNKNOWN


def _fold(op, a, b):
    if op in ("/", "%") and (a < 0 or b < 0):
        raise ValueError("C's division of negative numbers: not folded here")
    if op in ("<<", ">>") and not 0 <= b < 64:
        raise ValueError("shift out of range")
    value = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a // b,
             "%": lambda: a % b, "<<": lambda: a << b, ">>": lambda: a >> b, "&": lambda: a & b,
             "|": lambda: a | b, "^": lambda: a ^ b}[op]()
    if not -2**63 <= value < 2**64:
        raise OverflowError
    return value


# --- a variable used before the program text assigns or declares it --------------------------

def _declared(item):
    scope = next((s for s in item.specifiers if s in ("self", "this")), "global")
    for decl in item.declarators:
        while decl is not None and not isinstance(decl, t.NameDecl):
            decl = getattr(decl, "target", None) or getattr(decl, "declarator", None)
        if decl is not None:
            yield scope, decl.name


_SCOPES = ((t.SelfVar, "self", "self->"), (t.ThisVar, "this", "this->"), (t.Ident, "global", ""))


def _uses(exprs, globals_made):
    """(access, scope, prefix) for each use of a self, this or glob variable in ``exprs``, in
    evaluation order for each scope.  What D's constant folding drops is not a use: the branch
    ``c ? a : b`` does not take when ``c`` is a constant (dtrace folds it before it looks)."""
    for expr in exprs:
        dead = _dead_branches(expr)
        made = _made_by_unary(expr)
        for cls, scope, prefix in _SCOPES:
            for a in accesses(expr, cls):
                if dead and id(a.node) in dead:
                    continue
                if scope != "global" or (a.name in globals_made and (
                        a.kind != "read" or a.node.module is None)):  # (not a kernel symbol `x)
                    yield a, scope, prefix, id(a.node) in made


def _made_by_unary(expr) -> set:
    """The ids of the variables a unary ``! - ~ +`` applies to directly (``!self->x``,
    ``-this->a[k]``, ``~a[k]`` for a global array; not a plain global): dtrace gives such a
    variable, not yet typed, the type int64_t there (libdtrace dt_cook_op1) instead of refusing
    the read."""
    made = set()
    for node in expr.walk():
        if node.__class__ is t.Unary and node.op in ("!", "-", "~", "+"):
            operand = node.operand
            if operand.__class__ is t.Index:
                operand = operand.base
                if operand.__class__ is t.Ident:
                    made.add(id(operand))
            if operand.__class__ in (t.SelfVar, t.ThisVar):
                made.add(id(operand))
    return made


def _dead_branches(expr) -> set:
    """The ids of the nodes under the branch a ternary with a constant condition never takes."""
    dead: set = set()
    for node in expr.walk():
        if node.__class__ is t.Ternary and id(node) not in dead:
            value = _constant(node.cond, None)
            if isinstance(value, int) and value is not Fn.NOT_CONSTANT:
                dead.update(id(n) for n in (node.otherwise if value else node.then).walk())
    return dead


def _chained_on_itself(exprs) -> set:
    """The ids of the inner assignments of ``x = x = v`` (any scope, any operator)."""
    found = set()
    for expr in exprs:
        for node in expr.walk():
            if (node.__class__ is t.Assign and node.value.__class__ is t.Assign
                    and node.value.target == node.target):
                found.add(id(node.value))
    return found


def _creates(a) -> bool:
    """An access that gives its variable a type: ``x = v``, ``x[k] = v``, and ``x++``/``x--``
    (which make an int); not ``x += v``, which reads it first."""
    return a.kind in ("write", "partial") or (a.kind == "update" and a.node.__class__ is not t.Assign)


def _follow(uses, known, assigned, item, chained=frozenset()):
    """Walk ``uses`` in order from the variables ``known`` (typed): the variables known after
    them, and the refusals (the first for each variable)."""
    known = set(known)
    out = []
    reported = set()
    for a, scope, prefix, made in uses:
        key = (scope, a.name)
        if key in known:
            continue
        if made or _creates(a):
            known.add(key)
            if id(a.node) in chained:
                out.append(_finding(
                    "used-before-assigned", a.node.pos or item.pos,
                    f"{prefix}{a.name} is assigned twice in one expression ({_shown(a.node)} inside "
                    f"an assignment to it) where it is first assigned, which crashes Oracle's dtrace "
                    f"2.0 (a segmentation fault compiling it): assign it once"))
            continue
        # Reads of a thread-local or global nothing assigns are the self-undefined and
        # global-unset rules' to report (errors whatever the tracer says).
        if key in reported or (a.kind == "read" and key not in assigned and scope != "this"):
            continue
        reported.add(key)
        how = f"updated ({a.node.op})" if a.kind != "read" else "read"
        out.append(_finding(
            "used-before-assigned", a.node.pos or item.pos,
            f"{prefix}{a.name} is {how} here before any assignment to it in the program text, "
            f"and D gives a variable its type at its first assignment or declaration (dtrace: "
            f"\"{_undefined_text(prefix, a.name)}\"): assign it first (= 0) or in a clause "
            f"defined above this one, or declare it with t.declare(...) before the clauses"))
    return known, out


def _used_before_assigned(items):
    globals_made = {n.name for item in items if isinstance(item, t.Clause) for n in item.walk()
                    if n.__class__ is t.Ident and n.is_global}
    clauses = [item for item in items if isinstance(item, t.Clause)]
    body_uses = {id(c): list(_uses([e for e, _ in stmt_exprs(c.body or ())], globals_made)) for c in clauses}
    pred_uses = {id(c): list(_uses([c.predicate] if c.predicate is not None else [], globals_made))
                 for c in clauses}
    assigned = {(scope, a.name) for table in (body_uses, pred_uses) for found in table.values()
                for a, scope, _, made in found if a.kind != "read" or made}
    known: set[tuple[str, str]] = set()
    out = []
    for item in items:
        if isinstance(item, t.Declaration):
            known.update(_declared(item))
            continue
        if not isinstance(item, t.Clause):
            continue
        chained = _chained_on_itself([e for e, _ in stmt_exprs(item.body or ())]
                                     + ([item.predicate] if item.predicate is not None else []))
        # dtrace cooks a clause's actions, then its predicate; when that fails on an undefined
        # variable it tries the predicate first (libdtrace dt_cook_clause).
        after, refused = _follow(body_uses[id(item)] + pred_uses[id(item)], known, assigned, item, chained)
        if refused and pred_uses[id(item)]:
            after, refused = _follow(pred_uses[id(item)] + body_uses[id(item)], known, assigned, item,
                                     chained)
        known = after
        out += refused
    return out


def _undefined_text(prefix, name):
    if prefix:
        return f"{prefix}{name} has not yet been declared or assigned"
    return f"failed to resolve {name}: Unknown variable name"
