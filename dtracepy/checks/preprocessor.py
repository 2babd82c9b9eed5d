"""How the script is run: ``shebang``, a ``#!`` line that cannot start dtrace as ``./x.d`` (a
warning: ``dtrace -s x.d`` reads the line as a comment), and ``cpp-directive``, a C preprocessor
line in a script dtrace reads without ``-C`` (part of the rules family:
:func:`dtracepy.checks.rules.run` yields these for a D file).

Without ``-C`` dtrace reads no ``#define``, ``#include``, ``#if``...: "invalid control directive"
(``#error`` it reads itself, and stops there: :mod:`dtracepy.checks.safety` says so).  ``check`` reads such lines either way (under ``-C``, or the ``#!`` line's, the
preprocessor has consumed them and none is left to find), so a file that still has one was read
without cpp: an error when its ``#!`` line runs dtrace without ``-C`` (``./x.d`` is refused), a
warning otherwise (``dtrace -C -s x.d`` reads it; ``check -C`` checks it so).  The compiler writes
``-C`` into the ``#!`` line of a tracer that needs it, so a tracer's D is not judged here.
"""

from __future__ import annotations

from dtracepy import tree as t
from dtracepy.checks import Finding
from dtracepy.facts.command_line import relative_interpreter_problem
from dtracepy.facts.directives import refused_without_cpp
from dtracepy.source import positions_at


def run(ctx):
    item, _, problems = ctx.shebang_reading
    for problem in problems:
        yield ctx.finding("shebang", item, f"run as a program, the script would not start: {problem}", "warning")
    if item is not None:
        problem = relative_interpreter_problem(item.text)
        if problem:
            yield ctx.finding("shebang", item, f"run as a program, the script may not start: {problem}", "warning")
    if "C" in ctx.shebang_flags:
        return
    has_shebang = any(isinstance(item, t.Shebang) for item in ctx.program.items[:1])
    severity = "error" if has_shebang else "warning"
    # (one message per directive's name, shared by its findings: 190,000 `#define` lines made
    # 190,000 copies of the same 300 characters, 60 MB)
    messages: dict = {}
    refused, said = [], []
    for item in ctx.items_of(t.Directive):
        message = messages.get(item.name)
        if message is None:
            message = messages[item.name] = _message(item.name, has_shebang)
        if message:
            refused.append(item)
            said.append(message)
    # (their positions made together: see source.positions_at; else one by one, as usual)
    positions = positions_at([item._at for item in refused])
    if positions is None:
        for item, message in zip(refused, said):
            yield ctx.finding("cpp-directive", item, message, severity)
        return
    lines = ctx.lines
    count = len(lines) if lines is not None else 0
    for message, pos in zip(said, positions):  # (as ctx.finding makes each)
        line = pos[1]
        yield Finding(severity, message, "cpp-directive", pos, lines[line - 1] if 1 <= line <= count else None)


def _message(name: str, has_shebang: bool) -> str:
    """What ``cpp-directive`` says of ``#name`` ("": nothing)."""
    if not refused_without_cpp(name):
        # (dtrace reads #error itself and stops there, "#error: stop", with or without -C:
        # the safety family's expansion says so, at the line)
        return ""
    if has_shebang:
        return (f"#{name} needs the C preprocessor, and the #! line runs dtrace without -C "
                "(\"invalid control directive\"): add C to its flags (#!/usr/sbin/dtrace -Cs)")
    return (f"#{name} needs the C preprocessor: dtrace -s refuses it (\"invalid control "
            "directive\"), dtrace -C -s reads it; check -C checks the script so (or give it "
            "a #!/usr/sbin/dtrace -Cs line)")


_OPENS = ("if", "ifdef", "ifndef")


def unbalanced_conditionals(ctx):
    """An ``#if`` without its ``#endif``, or an ``#else``, ``#elif`` or ``#endif`` without its
    ``#if`` (``t.directive("if", "X")`` alone): cpp, and so ``dtrace -C``, refuses the script
    ("unterminated #if", "#endif without #if").  For a tracer's tree, which the compiler prints
    for cpp to read (a D file's directives were read by the preprocessor, which judged them)."""
    open_ifs = []
    for item in ctx.items_of(t.Directive):
        name = item.name
        if name in _OPENS:
            open_ifs.append(item)
        elif name in ("elif", "else", "endif") and not open_ifs:
            yield ctx.finding("cpp-directive", item, f"#{name} without #if: the C preprocessor refuses it "
                              f"(dtrace -C: \"#{name} without #if\")", "error")
        elif name == "endif":
            open_ifs.pop()
    for item in open_ifs:
        yield ctx.finding("cpp-directive", item, f"#{item.name} without #endif: the C preprocessor refuses it "
                          f"(dtrace -C: \"unterminated #{item.name}\"): end it with t.directive(\"endif\")",
                          "error")
