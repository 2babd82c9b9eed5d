"""``cpp-directive``: a C preprocessor line in a script dtrace reads without ``-C`` (part of the
rules family: :func:`dtracepy.checks.rules.run` yields these for a D file).

Without ``-C`` dtrace reads no ``#define``, ``#include``, ``#if``...: "invalid control directive"
(``#error`` too).  ``check`` reads such lines either way (under ``-C``, or the ``#!`` line's, the
preprocessor has consumed them and none is left to find), so a file that still has one was read
without cpp: an error when its ``#!`` line runs dtrace without ``-C`` (``./x.d`` is refused), a
warning otherwise (``dtrace -C -s x.d`` reads it; ``check -C`` checks it so).  The compiler writes
``-C`` into the ``#!`` line of a tracer that needs it, so a tracer's D is not judged here.
"""

from __future__ import annotations

from dtracepy import tree as t


def run(ctx):
    if "C" in ctx.shebang_flags:
        return
    has_shebang = any(isinstance(item, t.Shebang) for item in ctx.program.items[:1])
    for item in ctx.items_of(t.Directive):
        if item.name in t.DIRECTIVES_WITHOUT_CPP:
            continue
        if has_shebang:
            message = (f"#{item.name} needs the C preprocessor, and the #! line runs dtrace without -C "
                       "(\"invalid control directive\"): add C to its flags (#!/usr/sbin/dtrace -Cs)")
            yield ctx.finding("cpp-directive", item, message, "error")
        else:
            message = (f"#{item.name} needs the C preprocessor: dtrace -s refuses it (\"invalid control "
                       "directive\"), dtrace -C -s reads it; check -C checks the script so (or give it "
                       "a #!/usr/sbin/dtrace -Cs line)")
            yield ctx.finding("cpp-directive", item, message, "warning")
