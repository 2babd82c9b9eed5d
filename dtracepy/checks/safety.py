"""Safety: destructive actions without the destructive option; malformed probe descriptions."""

from __future__ import annotations

import re

from dtracepy import tree as t
from dtracepy.checks import d_facts as F
from dtracepy.checks.context import desc_fields, stmt_exprs


def run(ctx):
    yield from _destructive(ctx)
    yield from _pragmas(ctx)
    for clause in ctx.clauses:
        yield from _speculation(ctx, clause)
    for clause in ctx.clauses:
        for desc in clause.probes:
            problem = probe_desc_problem(desc.text)
            if problem:
                yield ctx.finding("probe-desc", desc, f"probe description {desc.text!r}: {problem}",
                                  fallback=clause)


def destructive_allowed(ctx) -> bool:
    return ctx.options.destructive or "destructive" in ctx.options_set or "w" in ctx.shebang_flags


def _destructive(ctx):
    if destructive_allowed(ctx):
        return
    for node in ctx.program.walk():
        if isinstance(node, t.Call) and node.name in F.DESTRUCTIVE_ACTIONS:
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
                     if isinstance(node, t.Call) and node.name in F.DESTRUCTIVE_ACTIONS})
    direct = {node.name for node in ctx.program.walk() if isinstance(node, t.Call)}
    hidden = [name for name in called if name not in direct]
    if hidden:
        names = ", ".join(f"{name}()" for name in hidden)
        yield ctx.finding(
            "destructive", defines[0],
            f"after C preprocessing the program calls {names}, a destructive action spelled "
            f"through #define: add #pragma D option destructive (or run dtrace -w)")


def _pragmas(ctx):
    from dtracepy.facts import options

    for pragma in ctx.pragmas:
        # Any dialect's options pass here (the DSL holds a tracer to its own dialect's).
        problem = options.pragma_problem(pragma.words)
        if problem:
            yield ctx.finding("pragma", pragma, problem)


_UNITS = {"ns": 1, "nsec": 1, "us": 1_000, "usec": 1_000, "ms": 1_000_000, "msec": 1_000_000,
          "s": 10**9, "sec": 10**9, "m": 60 * 10**9, "min": 60 * 10**9, "h": 3600 * 10**9,
          "hour": 3600 * 10**9, "d": 86400 * 10**9, "day": 86400 * 10**9, "hz": None, "": None}
_PROFILE = re.compile(r"(profile|tick)-(\d+)([a-z]*)$")
_MIN_INTERVAL_NS = 200_000  # the profile provider refuses anything faster than 5000 Hz
_GLOB = re.compile(r"[*?\[\\]")
_PID_NAME = re.compile(r"(entry|return|[0-9a-fA-F]+)$")


def probe_desc_problem(text: str) -> str | None:
    """Why a probe description is malformed or can match no probe; None when it looks fine."""
    if not text.strip():
        return "empty"
    if any(ch.isspace() for ch in text):
        return "contains white space"
    parts = text.split(":")
    if len(parts) > 4:
        return f"has {len(parts)} fields; a probe description has at most 4 (provider:module:function:name)"
    provider, module, function, name = desc_fields(text)
    for field in (provider, module, function):
        if field in F.SPECIAL_PROBES:
            return f"{field} is a probe name (dtrace:::{field}), so it must stand alone or in the last field"
    if name in F.SPECIAL_PROBES and provider not in ("", "dtrace") and not _GLOB.search(provider):
        return f"{name} is a probe of the dtrace provider, not of {provider}"
    if name in F.SPECIAL_PROBES and (module or function):
        return f"{name} takes no module or function"
    match = _PROFILE.match(name)
    if match or name.startswith(("profile-", "tick-")):
        if provider not in ("", "profile") or module or function:
            return f"{name} is a probe of the profile provider: write profile:::{name}"
        if provider == "profile" or not _GLOB.search(name):
            if not match:
                return "profile probes are named profile-N or tick-N with N a number and an optional unit"
            number, unit = int(match.group(2)), match.group(3)
            if unit not in _UNITS:
                return f"unknown time unit {unit!r} (ns us ms s m h d hz)"
            scale = _UNITS[unit]
            interval = (10**9 // number if number else 0) if scale is None else number * scale
            if number == 0 or interval < _MIN_INTERVAL_NS:
                return "faster than the profile provider allows (at most 5000 Hz, at least 200us)"
    if provider == "profile" and name and not _GLOB.search(name) and not match:
        return "profile probes are named profile-N or tick-N"
    if provider in ("fbt", "syscall") and name and not _GLOB.search(name) and name not in ("entry", "return"):
        return f"{provider} probes are named entry or return, not {name!r}"
    if provider.startswith("pid") and name and not _GLOB.search(name) and not _PID_NAME.match(name):
        return f"pid probes are named entry, return or an instruction offset, not {name!r}"
    return None


_DATA_RECORDING = frozenset(
    {"trace", "tracemem", "printf", "printa", "stack", "ustack", "jstack", "print", "func", "sym",
     "mod", "uaddr", "ufunc", "umod", "usym", "printm"})


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
            elif not seen_speculate and name in _DATA_RECORDING:
                yield ctx.finding("speculation", node,
                                  f"{name}() records data before speculate(); speculate() must come first")
            elif not seen_speculate:
                continue
            elif name == "@":
                yield ctx.finding("speculation", node, "a speculative clause may not aggregate")
            elif name in F.DESTRUCTIVE_ACTIONS or name == "exit":
                yield ctx.finding("speculation", node, f"a speculative clause may not call {name}()")
            elif name in ("commit", "discard"):
                yield ctx.finding("speculation", node, f"a clause may not both speculate() and {name}()")
    elif "commit" in names:
        for name, node in calls:
            if name in _DATA_RECORDING:
                yield ctx.finding("speculation", node,
                                  f"a clause that calls commit() may not record data with {name}()")
