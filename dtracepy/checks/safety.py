"""Safety: destructive actions without the destructive option; malformed probe descriptions."""

from __future__ import annotations


from dtracepy import tree as t
from dtracepy.checks.context import stmt_exprs
from dtracepy.facts import functions as Fn
from dtracepy.facts import probes, providers


def run(ctx):
    yield from _destructive(ctx)
    for clause in ctx.clauses:
        yield from _speculation(ctx, clause)
    for clause in ctx.clauses:
        for desc in clause.probes:
            problem = probe_desc_problem(desc.text)
            if problem:
                yield ctx.finding("probe-desc", desc, f"probe description {desc.text!r}: {problem}",
                                  fallback=clause)
                continue
            problem = providers.problem(desc.text)
            if problem:
                yield ctx.finding("probe-name", desc, f"probe description {desc.text!r}: {problem}",
                                  fallback=clause)


def destructive_allowed(ctx) -> bool:
    return (ctx.options.destructive or "destructive" in ctx.options_set
            or "w" in ctx.shebang_flags.replace(" ", ""))


def _destructive(ctx):
    if destructive_allowed(ctx):
        return
    for node in ctx.nodes:
        if isinstance(node, t.Call) and node.name in Fn.DESTRUCTIVE:
            yield ctx.finding(
                "destructive", node,
                f"{node.name}() is a destructive action: add #pragma D option destructive "
                f"(or run dtrace -w)")


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
