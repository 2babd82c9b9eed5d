"""The compiler's own rules for a tracer built with the DSL, which need to know what the tracer
said beyond its D tree (``t.clear``/``t.keep``): every thread-local set gets zeroed somewhere,
and every clear point names a thread-local that is set.  Run only when the compiler checks a
tracer (:attr:`CheckOptions.clear_points <dtracepy.checks.CheckOptions.clear_points>` given).
"""

from __future__ import annotations


def run(ctx):
    points = ctx.options.clear_points
    if points is None:
        return  # (before the imports: `dtracepy check` need not load the passes)
    from dtracepy.checks import Finding
    from dtracepy.checks.registry import BY_NAME
    from dtracepy import tree as t
    from dtracepy.passes.cleanup import cleanup_problems

    by_name = {point.name: point for point in points}
    for check, pos, message in cleanup_problems(ctx.program, by_name, ctx.clause_accesses(t.SelfVar)):
        yield Finding(BY_NAME[check].severity, message, check, pos or ctx.first_pos)
