"""Safety: destructive actions without the destructive option; malformed probe descriptions."""

from __future__ import annotations


from dtracepy import tree as t
from dtracepy.checks.context import stmt_exprs
from dtracepy.facts import functions as Fn
from dtracepy.facts import probes, providers


def run(ctx):
    yield from _destructive(ctx)
    yield from _pragmas(ctx)
    called = {node.name for node in ctx.of(t.Call)}
    if "speculate" in called or "commit" in called:  # else no clause has anything to say
        for clause in ctx.clauses:
            yield from _speculation(ctx, clause)
    judged: dict[str, tuple] = {}  # description text -> its two answers (scripts repeat descriptions)
    unknown: dict[str, str | None] = {}  # description text -> why its provider is known nowhere
    for clause in ctx.clauses:
        for desc in clause.probes:
            text = desc.text
            answers = judged.get(text)
            if answers is None:
                problem = probe_desc_problem(text)
                answers = judged[text] = (problem, None if problem else providers.problem(text))
            problem = answers[0]
            if problem:
                yield ctx.finding("probe-desc", desc, f"probe description {desc.text!r}: {problem}",
                                  fallback=clause)
                continue
            problem = answers[1]
            if problem:
                yield ctx.finding("probe-name", desc, f"probe description {desc.text!r}: {problem}",
                                  fallback=clause)
            elif not answers[0]:
                problem = unknown[text] if text in unknown else unknown.setdefault(
                    text, providers.unknown_provider(text))
                if problem:
                    yield ctx.finding("probe-name", desc, f"probe description {desc.text!r}: {problem}",
                                      severity="warning", fallback=clause)


def destructive_allowed(ctx) -> bool:
    return ctx.options.destructive or "destructive" in ctx.options_set or "w" in ctx.shebang_flags


def _destructive(ctx):
    if destructive_allowed(ctx):
        return
    for node in ctx.of(t.Call):
        if node.name in Fn.DESTRUCTIVE:
            yield ctx.finding(
                "destructive", node,
                f"{node.name}() is a destructive action: add #pragma D option destructive "
                f"(or run dtrace -w)")
    yield from _destructive_after_cpp(ctx)


def _destructive_after_cpp(ctx):
    """A ``#define`` can spell a destructive action under another name (``#define trace system``,
    or by pasting tokens): when the program defines macros, expand it as ``dtrace -C`` would and
    look again.  Found calls are reported at the program's first ``#define``."""
    defines = [item for item in ctx.program.items if isinstance(item, t.Directive) and item.name == "define"]
    if not defines:
        return
    from dtracepy.errors import DTracePyError
    from dtracepy.parser import parse
    from dtracepy.preprocess import preprocess
    from dtracepy.printer import to_d

    items = tuple(item for item in ctx.program.items if not isinstance(item, t.Shebang))
    try:
        text, _ = preprocess(to_d(t.Program(items)), "<expanded>")
        expanded = parse(text, "<expanded>")
    except DTracePyError:
        return  # D that does not preprocess or parse fails elsewhere, louder
    called = sorted({node.name for node in expanded.walk()
                     if isinstance(node, t.Call) and node.name in Fn.DESTRUCTIVE})
    direct = {node.name for node in ctx.of(t.Call)}
    hidden = [name for name in called if name not in direct]
    if hidden:
        names = ", ".join(f"{name}()" for name in hidden)
        yield ctx.finding(
            "destructive", defines[0],
            f"after C preprocessing the program calls {names}, a destructive action spelled "
            f"through #define: add #pragma D option destructive (or run dtrace -w)")


def _pragmas(ctx):
    from dtracepy.facts import options

    # Any dialect's options pass here unless the dialect was chosen (check --dialect; the DSL
    # holds a tracer to its own dialect's): a script may be written for another platform.
    dialect = ctx.options.dialect.name if ctx.options.dialect_given else None
    for pragma in ctx.pragmas:
        problem = options.pragma_problem(pragma.words, dialect)
        if problem:
            yield ctx.finding("pragma", pragma, problem)


def probe_desc_problem(text: str) -> str | None:
    """Why a probe description is malformed or can match no probe (:func:`dtracepy.facts.probes.problem`)."""
    return probes.problem(text)


def _statement_calls(clause):
    """(name, node) for each top-level action call or aggregation of a clause body, in order."""
    for expr, _guarded in stmt_exprs(clause.body):
        if isinstance(expr, t.Call) and expr.name is not None:
            yield expr.name, expr
        elif isinstance(expr, t.Assign) and (
                isinstance(expr.target, t.AggVar)
                or (isinstance(expr.target, t.Index) and isinstance(expr.target.base, t.AggVar))):
            yield "@", expr


def _speculation(ctx, clause):
    """D's rules for speculative clauses: speculate() first and once, then no aggregation,
    destructive action, exit() or commit()/discard(); commit() not with data-recording actions."""
    calls = list(_statement_calls(clause))
    names = [name for name, _ in calls]
    if "speculate" in names:
        seen_speculate = False
        for name, node in calls:
            if name == "speculate":
                if seen_speculate:
                    yield ctx.finding("speculation", node, "a clause may call speculate() only once")
                seen_speculate = True
            elif not seen_speculate and name in Fn.RECORDS_DATA:
                yield ctx.finding("speculation", node,
                                  f"{name}() records data before speculate(); speculate() must come first")
            elif not seen_speculate:
                continue
            elif name == "@":
                yield ctx.finding("speculation", node, "a speculative clause may not aggregate")
            elif name in Fn.DESTRUCTIVE or name == "exit":
                yield ctx.finding("speculation", node, f"a speculative clause may not call {name}()")
            elif name in ("commit", "discard"):
                yield ctx.finding("speculation", node, f"a clause may not both speculate() and {name}()")
    elif "commit" in names:
        for name, node in calls:
            if name in Fn.RECORDS_DATA:
                yield ctx.finding("speculation", node,
                                  f"a clause that calls commit() may not record data with {name}()")
