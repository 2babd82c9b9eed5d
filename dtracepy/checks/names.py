"""Names: keywords as identifiers, clause-locals read before assignment, macro arguments beyond
those given, aggregations used two ways, unknown or mis-called functions, undefined identifiers,
``if``/``else`` or a clause without a body in a dialect without them."""

from __future__ import annotations

import re
from operator import attrgetter

from dtracepy import tree as t
from dtracepy.errors import close_matches
from dtracepy.facts import functions as Fn
from dtracepy.facts import variables as V
from dtracepy.checks.context import EarlierWrites
from dtracepy.checks.lifecycle import declarator_name


def run(ctx):
    yield from _keywords(ctx)
    yield from _this_unset(ctx)
    yield from _macro_args(ctx)
    yield from _aggregations(ctx)
    yield from _calls(ctx)
    yield from _function_values(ctx)
    yield from _undefined(ctx)
    yield from _dialect_variables(ctx)
    yield from _untranslated_members(ctx)
    yield from _globals_unset(ctx)
    yield from _dialect_if(ctx)
    yield from _dialect_anonymous_members(ctx)
    yield from _dialect_bodyless(ctx)
    yield from _dialect_provider(ctx)


# (Not t.AggVar: every lexer reads ``@int`` whole as an aggregation's name, RGX_AGG.)
_NAMED = (t.Ident, t.SelfVar, t.ThisVar, t.NameDecl, t.Member)
_NAME = attrgetter("name")


# A thread-local's or clause-local's name follows ``->``, a member's ``->`` or ``.``: where the
# dialect's lexer reads a keyword there as a name, it is one (illumos' grammar takes only an
# identifier or a type name there: ``p->int``, ``s.string`` are syntax errors).  A member is judged
# only when the dialect is named (``check --dialect``, ``Tracer(dialect=...)``): Linux's kernel
# types have members named ``self`` and ``counter``, which scripts for Oracle's D use.
_AFTER_ARROW = (t.SelfVar, t.ThisVar, t.Member)


def _keywords(ctx):
    dialect = ctx.options.dialect
    keywords = dialect.keywords
    named = tuple(c for c in _NAMED if not (dialect.keywords_after_arrow and c in _AFTER_ARROW)
                  and (c is not t.Member or ctx.options.dialect_given))
    if all(keywords.isdisjoint(ctx.ident_names if cls is t.Ident else map(_NAME, ctx.of(cls))) for cls in named):
        return  # the usual case, told without ordering the nodes (and in C loops)
    for node in ctx.of_any(*named):
        name = node.name
        if name and name in keywords:
            what = node.__class__.__name__
            arrow = node.op if what == "Member" else "->"
            spelled = {"SelfVar": "self->", "ThisVar": "this->", "Member": arrow}.get(what, "")
            after = f" (Oracle's D reads one after {arrow} as a name)" if isinstance(node, _AFTER_ARROW) else ""
            yield ctx.finding("keyword-name", node, f"{spelled}{name}: '{name}' is a D keyword, not a name{after}")


def _this_unset(ctx):
    if not ctx.has(t.ThisVar):
        return  # (no clause has an access to look at)
    clauses = ctx.clauses
    per_clause = ctx.clause_accesses(t.ThisVar)
    earlier = None
    for index, clause in enumerate(clauses):
        set_here: set[str] = set()
        reported: set[str] = set()
        for a in per_clause[index]:
            if a.kind != "read":
                set_here.add(a.name)
                continue
            if a.name in set_here or a.name in reported:
                continue
            if earlier is None:
                earlier = EarlierWrites(clauses, per_clause)
            if all(earlier.before(index, a.name, d.text) for d in clause.probes):
                continue
            reported.add(a.name)
            yield ctx.finding(
                "this-unset", a.node,
                f"this->{a.name} is read before it is assigned in this firing "
                f"(clause-locals are not zeroed; assign it earlier in this clause or an earlier "
                f"clause for the same probe)", fallback=clause)


_MACRO = re.compile(r"\$(\d+)")


def _macro_args(ctx):
    given = ctx.options.macro_args
    if given is None or "defaultargs" in ctx.options_set:
        return
    seen = set()
    for node in ctx.of_any(t.MacroVar, t.ProbeDesc):
        texts = []
        if isinstance(node, t.MacroVar):
            texts = [node.name]
        elif isinstance(node, t.ProbeDesc):
            texts = [node.text]
        for text in texts:
            for match in _MACRO.finditer(text):
                digits = match.group(1)
                number = int(digits) if len(digits) <= 18 else 10**18  # int() of 4,301 digits raises
                if number > given and number not in seen and number != 0:
                    seen.add(number)
                    yield ctx.finding(
                        "macro-arg", node,
                        f"${number} is used but the script is given {given} macro argument(s) "
                        f"(document more with /* dtracepy: args=N */, or set #pragma D option defaultargs)")


def _agg_uses(ctx):
    """(name, keys or None, function name, node) for each ``@a[keys] = f(...)``."""
    Call, AggVar, Index = t.Call, t.AggVar, t.Index  # (concrete classes: compared)
    assignments = ctx.assignments
    if Call not in assignments.value_classes or not assignments.targets_any(AggVar, Index):
        return  # (no aggregation assigned a call: no loop over the assignments)
    for node in ctx.of(t.Assign):
        if node.op == "=" and node.value.__class__ is Call:
            target = node.target
            if target.__class__ is AggVar:
                yield target.name, 0, node.value.name, node
            elif target.__class__ is Index and target.base.__class__ is AggVar:
                yield target.base.name, len(target.keys), node.value.name, node


def _aggregations(ctx):
    first: dict[str, tuple] = {}
    for name, nkeys, func, node in _agg_uses(ctx):
        if func is None or func not in Fn.AGGREGATING_FUNCTIONS:
            continue
        if name not in first:
            first[name] = (nkeys, func, node)
            continue
        nkeys0, func0, node0 = first[name]
        shown = f"@{name}" if name else "the anonymous aggregation @"
        where = f" (line {node0.pos.line})" if (func != func0 or nkeys != nkeys0 or func in Fn.QUANTIZE_PARAMETERS) \
            and node0.pos is not None else ""       # (made only for a finding: tree.Node.pos)
        if func != func0:
            yield ctx.finding("agg-mismatch", node,
                              f"{shown} is used with {func}() here but with {func0}(){where}")
        elif nkeys != nkeys0:
            yield ctx.finding("agg-mismatch", node,
                              f"{shown} is used with {nkeys} key(s) here but {nkeys0}{where}")
        elif func in Fn.QUANTIZE_PARAMETERS:
            differ = _parameters_differ(func, node0.value.args, node.value.args, ctx.options.dialect)
            if differ:
                index, was, now = differ
                what = Fn.QUANTIZE_PARAMETERS[func][index - 1]
                args = node.value.args
                yield ctx.finding("agg-mismatch", args[index] if index < len(args) else node,
                                  f"{shown} is used with {func}() {what} {now} here but {was}{where} "
                                  f"(dtrace: \"{func}() {what} (argument #{index}) doesn't match previous "
                                  "declaration\")", fallback=node)


def _parameters_differ(func, before, after, dialect):
    """(argument index, first value, this value) for the first parameter of ``lquantize`` or
    ``llquantize`` (after the value) to which two uses give different constants, or None."""
    from dtracepy.checks.rules import _constant

    for index, default in enumerate(Fn.QUANTIZE_DEFAULTS[func], start=1):
        was = _constant(before[index], dialect) if index < len(before) else default
        now = _constant(after[index], dialect) if index < len(after) else default
        if was.__class__ is int and now.__class__ is int and was != now:
            return index, was, now
    return None


def _inline_names(program) -> dict:
    """The program's inline names -> whether each takes parameters (``inline int f[int x]``)."""
    names = {}
    for item in program.items:
        if isinstance(item, t.Inline):
            name = declarator_name(item.declarator)
            if name:
                names[name] = isinstance(item.declarator, t.ArrayDecl)
    return names


#: What the called expression of a call may be besides a function's name: ``$1`` ... (a macro
#: argument dtrace reads as the identifier it holds, when it holds one: ``$1("id")`` given ``system``
#: calls system()).  Anything else is refused by dt_node_func: "function designator is not of
#: function type".
_MACRO_DESIGNATOR = re.compile(r"\$[0-9]+")

#: How a finding names a called expression that is no function's name, by its node's class.
_DESIGNATOR_KINDS = {t.StringLit: "a string", t.CharLit: "a character constant", t.IntLit: "an integer",
                     t.MacroVar: "a macro variable that is no $N", t.Member: "a member",
                     t.Index: "an element", t.Cast: "a cast", t.Call: "a call's result"}


def macro_designator(callee) -> bool:
    """Is ``callee`` (a call's called expression) a macro argument ``$N``, whose value names the
    function?"""
    return callee.__class__ is t.MacroVar and _MACRO_DESIGNATOR.fullmatch(callee.name) is not None


def designator_problem(callee) -> str | None:
    """Why dtrace refuses to call ``callee`` (a call's called expression), or None: D calls a
    function by its name (or by a ``$N`` holding it), never a string, a variable's member, an
    element or another call's result.  The DSL asks it of each value called (dsl/values.py)."""
    if callee.__class__ is t.Ident or isinstance(callee, t.Ident) or macro_designator(callee):
        return None
    kind = _DESIGNATOR_KINDS.get(callee.__class__, "an expression")
    return (f"what is called here is {kind}, not a function's name: D calls a function by its name "
            f"only (dtrace: \"function designator is not of function type\")")


def _calls(ctx):
    inlines = _inline_names(ctx.program) if t.Inline in ctx.item_classes else {}
    skip = ctx.defined_macros
    where = ("(compiled for dialect " + ctx.options.dialect.name + ")" if ctx.options.compiling
             else "(--dialect)")
    arity, dialect_given = Fn.ARITY, ctx.options.dialect_given
    for node, name in zip(ctx.of(t.Call), ctx.call_names):
        if name is None and node.callee.__class__ is not t.Ident:  # ("abc")(...), $$1(...), a[1](...)
            problem = designator_problem(node.callee)
            if problem is not None:
                yield ctx.finding("unknown-function", node, problem,
                                  severity="warning" if ctx.uses_cpp else "error")
            continue
        if name is None and node.callee.__class__ is t.Ident:  # `system(...), genunix`f(...)
            shown = f"{node.callee.module}`{node.callee.name}"
            yield ctx.finding("unknown-function", node, f"{shown}() names a kernel symbol, and D calls only "
                              f"its own functions (dtrace: \"undefined function name: {shown}\")")
        if name is None or name in skip:
            continue
        if name in inlines:  # (review 11: the DSL's call("f", 1) of its parameterised inline)
            yield ctx.finding("unknown-function", node, (
                f"{name} is an inline with parameters: use it as {name}[...], not {name}(...) (dtrace: "
                f"\"associative array '{name}' may not be referenced as a function\")") if inlines[name] else (
                f"{name} is an inline, not a function (dtrace: \"function designator is not of function type\")"))
            continue
        if name not in arity:
            hint = close_matches(name, sorted(Fn.TABLE), n=1, cutoff=0.75)
            yield ctx.finding(
                "unknown-function", node,
                f"{name}() is no D action, subroutine or aggregating function"
                + (f"; did you mean {hint[0]}()?" if hint else ""),
                severity="warning" if ctx.uses_cpp else "error")
            continue
        if dialect_given and name not in ctx.options.dialect.functions:
            owners = Fn.TABLE[name][5].split()
            yield ctx.finding("dialect-function", node,
                              f"{name}() is not a function of {ctx.options.dialect.title}: only "
                              f"{_listed(owners)} D {'has' if len(owners) == 1 else 'have'} it " + where)
        elif dialect_given and name in ctx.options.dialect.not_implemented:
            yield ctx.finding("dialect-function", node,
                              f"{name}() is not implemented in {ctx.options.dialect.title} (dtrace: "
                              f"\"{name}() is not implemented (yet)\") " + where)
        low, high = arity[name] if name not in Fn.DIALECT_ARITY or not dialect_given else \
            Fn.arity_in(name, ctx.options.dialect.name)
        count = len(node.args)
        if count < low or (high is not None and count > high):
            want = Fn.arity_text(low, high)
            own = f" in {ctx.options.dialect.title} {where}" if (low, high) != arity[name] else ""
            yield ctx.finding("call-arity", node,
                              f"{name}() takes {want}{own}, {count} given")


def _listed(words) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


_CONSTANT = re.compile(r"[A-Z][A-Z0-9_]*$")


_FUNCTION_KINDS = {"aggregating": "an aggregating function", "action": "an action", "subroutine": "a subroutine"}


def _functions_here(ctx) -> frozenset:
    """The functions the program's D has: the chosen dialect's, else those every dialect has (a
    script for another platform may name a variable after one this dialect lacks)."""
    if ctx.options.dialect_given:
        return ctx.options.dialect.functions
    return Fn.EVERYWHERE


def _function_values(ctx):
    """A function named without a call (``@a = count;``, ``trace(exit)``): every D compiler
    refuses it ("aggregating function 'count' may not be referenced as scalar"), even where the
    program assigns the name."""
    functions = _functions_here(ctx)
    names = ctx.ident_names
    if functions.isdisjoint(names):
        return
    # The usual case: each identifier named as a function is a call's callee.  As many
    # identifiers named so (of any module) as calls of a function named so (by a plain callee)
    # says that without a Python loop over every identifier: each such call's callee is one.
    if sum(count for name, count in names.items() if name in functions) == \
            sum(map(functions.__contains__, ctx.call_names)):
        return
    named = [node for node in ctx.of(t.Ident) if node.name in functions and node.module is None]
    callees = {id(n.callee) for n in ctx.of(t.Call)}
    macros = ctx.defined_macros
    for node in named:
        if id(node) in callees or node.name in macros:
            continue
        what = _FUNCTION_KINDS.get(Fn.TABLE[node.name][0], "a function")
        yield ctx.finding("function-value", node,
                          f"{node.name} is {what}, not a value: call it, {node.name}(...) (dtrace: "
                          f"\"may not be referenced as scalar\")")


#: How many undefined names get a did-you-mean in one program (the rest are said without one).
_MOST_HINTS = 25


def _undefined(ctx):
    if ctx.uses_cpp:
        return  # headers define enumerators and macros we cannot see
    defined = ctx.defined_names
    functions = _functions_here(ctx)
    pending = {name for name in set(ctx.ident_names) - defined - V.KNOWN_NAMES - functions
               if not _CONSTANT.match(name)}
    if not pending:
        return  # every name is defined, known or a function's (the usual case, told in C loops)
    known = None
    callees = {id(n.callee) for n in ctx.of(t.Call)}
    reported = set()
    for node in ctx.of(t.Ident):
        if (node.module is not None or id(node) in callees
                or node.is_global):  # a tracer's glob: global-unset says it better
            continue
        name = node.name
        if name in defined or name in V.KNOWN_NAMES or name in functions:
            continue  # (a function's name is function-value's)
        if name in reported or _CONSTANT.match(name):
            continue  # ALL_CAPS names are enumerators and macros of the D libraries and headers
        reported.add(name)
        if known is None:
            known = sorted(V.KNOWN_NAMES | defined)
        # (a did-you-mean for the first few only: each compares the name with every defined one,
        # and 3,000 one-line clauses each reading a name of its own took 44 s)
        hint = close_matches(name, known, n=1, cutoff=0.75) if len(reported) <= _MOST_HINTS else ()
        yield ctx.finding(
            "undefined-name", node,
            f"{node.name} is no built-in variable and is never declared, defined or assigned"
            + (f"; did you mean {hint[0]}?" if hint else ""))
        pending.discard(name)
        if not pending:
            return  # each name is reported once: the identifiers after the last one add nothing


def _dialect_variables(ctx):
    """A variable of another dialect (``zonename`` under --dialect oracle), read where the program
    does not define that name itself (in Oracle's D ``zonename = "x"`` makes a global)."""
    foreign = ctx.options.dialect.foreign_variables
    if not ctx.options.dialect_given or foreign.isdisjoint(ctx.ident_names):
        return
    defined = ctx.defined_names
    for node, parent, at in ctx.placed(t.Ident):   # (a tracer's zonename: shown at each use's line)
        name = node.name
        if name in foreign and node.module is None and name not in defined and not (
                parent.__class__ is t.Call and parent.callee is node):
            owners = V.DIALECT_VARIABLES[name]
            yield ctx.finding("dialect-variable", node, fallback=at, message=
                              f"{name} is not a variable of {ctx.options.dialect.title}: only "
                              f"{_listed(owners)} D {'has' if len(owners) == 1 else 'have'} it "
                              + ("(compiled for dialect " + ctx.options.dialect.name + ")"
                                 if ctx.options.compiling else "(--dialect)"))


def _untranslated_members(ctx):
    """``curpsinfo->pr_psargs`` in a dialect whose translator leaves that member undefined
    (:data:`dtracepy.facts.translated.UNTRANSLATED_BY_DIALECT`): dtrace refuses the read."""
    if not ctx.options.dialect_given or not ctx.of(t.Member):
        return  # (before the import: facts/translated's tables cost every check start-up; tests/test_startup.py)
    from dtracepy.facts import translated as Tr

    missing = Tr.UNTRANSLATED_BY_DIALECT.get(ctx.options.dialect.name)
    if not missing:
        return
    for node in ctx.of(t.Member):
        base = node.base
        if node.op != "->" or base.__class__ is not t.Ident or base.module is not None:
            continue
        shown = Tr.variable_type(base.name, ctx.options.dialect.name)
        struct = shown[:-1].rstrip() if shown and shown.endswith("*") else None
        if struct in missing and node.name in missing[struct] and base.name not in ctx.defined_names:
            yield ctx.finding("dialect-variable", node,
                              f"{base.name}->{node.name}: {ctx.options.dialect.title}'s {struct} translator "
                              f"does not define {node.name} (dtrace: \"translator does not define conversion "
                              f"for member: {node.name}\")")


def _globals_unset(ctx):
    """A global the tracer made with ``glob`` (the node says so) that nothing assigns or declares.
    A name called (``glob.f(1)``: D reads ``f(1)``, a call of a function) is no global read:
    ``unknown-function`` says what is wrong with it."""
    made = [n for n in t.scoped_names(ctx.of(t.Ident)) if n.is_global]
    if not made:
        return
    callees = {id(n.callee) for n in ctx.of(t.Call)}
    made = [n for n in made if id(n) not in callees]
    defined = ctx.defined_names
    reported = set()
    for node in made:
        if node.name not in defined and node.name not in reported:
            reported.add(node.name)
            yield ctx.finding("global-unset", node, f"global {node.name} is read but never assigned")


def _dialect_if(ctx):
    dialect = ctx.options.dialect
    if dialect.has_if_else or not ctx.has(t.If):
        return
    for clause in ctx.program.clauses:
        # the compiler lowers if/else for such a dialect (passes/lower_if.py), but not in a clause
        # that calls speculate()
        speculates = any(isinstance(n, t.Call) and n.name == "speculate" for n in clause.walk())
        why = (" (dtracepy does not split a clause that calls speculate() into predicated clauses: "
               "a speculation covers one clause)" if speculates else "")
        for node in clause.walk():
            if isinstance(node, t.If):
                yield ctx.finding("dialect-if", node,
                                  f"{dialect.title} has no if/else; use a predicated clause or ?:{why}")


def _dialect_anonymous_members(ctx):
    dialect = ctx.options.dialect
    if dialect.has_anonymous_members or not ctx.has(t.FieldDecl):
        return
    for node in ctx.of(t.FieldDecl):
        if not node.declarators:
            yield ctx.finding("dialect-anonymous-member", node,
                              f"{dialect.name} D has no unnamed struct or union members; give this "
                              "member a name")


def _dialect_bodyless(ctx):
    dialect = ctx.options.dialect
    if dialect.has_bodyless_clauses:
        return
    for clause in ctx.clauses:
        if clause.body is None:
            yield ctx.finding("dialect-bodyless", clause.predicate or clause,
                              f"{dialect.name} D has no clause without a body: add {{ }} after the "
                              "predicate (dtrace: \"expected actions { } following probe description "
                              "and predicate\")", fallback=clause)


def _dialect_provider(ctx):
    """A provider definition where the dialect's dtrace crashes compiling one but with ``-h`` from
    a file of provider definitions alone
    (:attr:`dtracepy.facts.dialects.Dialect.crashes_on_provider_definition`): an error, since
    nothing runs; at the ``provider`` keyword."""
    dialect = ctx.options.dialect
    if not dialect.crashes_on_provider_definition:
        return
    for item in ctx.items_of(t.Provider):
        yield ctx.finding("dialect-provider", item,
                          f"{dialect.title}: dtrace crashes (a segmentation fault, exit 139) compiling a "
                          f"provider definition with -s or -e: only dtrace -h (or -G) reads one, from a file "
                          f"of provider definitions alone; keep provider {item.name} in a file of its own, "
                          f"for dtrace -h")
