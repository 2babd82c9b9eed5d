"""``dtracepy check FILE.d ...``: parse each file, report syntax errors, then run the checks.

Each finding is printed as ``file:line:col: warning|error: message [check-name]``.  The exit status
is 1 when any file has a syntax error or an error finding (or, with ``--strict``, a warning), 2 for a
bad ``--disable`` name, 0 otherwise.  ``--disable a,b`` (repeatable) turns checks off; a comment
``/* dtracepy: ignore[check-name] */`` on or just above a line silences one finding (see
:mod:`dtracepy.checks`).  ``--macro-args N`` says how many ``$N`` the script is given and ``-w``
allows destructive actions, as ``dtrace -w`` does.
"""

from __future__ import annotations

import gc
import sys

from dtracepy.checks import CheckOptions, check_program, rendered
from dtracepy.checks.registry import BY_NAME, CHECKS
from dtracepy.errors import DTracePyError, close_matches, shown_name, shown_text
from dtracepy.facts.command_line import preprocessing
from dtracepy.facts.dialects import DEFAULT as DEFAULT_DIALECT
from dtracepy.facts.dialects import dialect_named
from dtracepy.inputs import read_input
from dtracepy.parser import expanded, parse_bytes


def run(args) -> int:
    # (an empty name between commas, `--disable a,`, names nothing, as in a file's `ignore[a,]`:
    # it was said as an unknown check of no name)
    disabled = frozenset(name.strip() for item in args.disable for name in item.split(",")) - {""}
    unknown = sorted(disabled - set(BY_NAME))
    if unknown:
        # a misspelt name gets a did-you-mean, as it does in a file's `dtracepy: disable[...]`
        meant = [f"{name}: did you mean {close[0]}?" for name in unknown
                 for close in [close_matches(name, sorted(BY_NAME))] if close]
        hint = f"; {shown_text('; '.join(meant))}" if meant else ""
        print(f"dtracepy check: error: --disable: unknown check(s) {shown_text(', '.join(unknown))}{hint} "
              f"(known: {', '.join(info.name for info in CHECKS)})", file=sys.stderr)
        return 2
    if args.cpp:
        # Every file went through the preprocessor: a directive left in its tree is one cpp
        # passes on (a system header kept as written, which dtrace -C's cpp reads), never one
        # dtrace would refuse as read without -C.
        disabled |= {"cpp-directive"}
    options = CheckOptions(
        disabled=disabled,
        dialect=dialect_named(args.dialect or DEFAULT_DIALECT),  # resolved once, here
        dialect_given=args.dialect is not None,
        strict=args.strict,
        macro_args=args.macro_args,
        destructive=args.destructive,
        include_dirs=tuple(args.include_dirs),
        expand=expanded,  # (the destructive check's look past #define: the checks cannot parse)
    )
    errors = warnings = 0
    # When the process ends as soon as this returns (the command line's `args.keep`), the last
    # file's tree is left to it: freeing a large tree node by node is work nobody needs.
    keep = getattr(args, "keep", None)
    for path in args.files:
        try:
            filename, data = read_input(path)
        except DTracePyError as err:
            print(err.render(), file=sys.stderr)
            errors += 1
            continue
        # the #! line's -C, -D and -I, as running ./x.d gives them to dtrace (before the command line's)
        shebang_cpp, shebang_defines, shebang_dirs = preprocessing(
            data[:data.find(b"\n")].decode("utf-8", "surrogateescape") if data.startswith(b"#!") else "")
        cpp = args.cpp or shebang_cpp
        # The parse and the checks run with the cyclic collector off: what they make (the tree,
        # indexes, access lists, findings) holds no cycles and is freed by reference counting.
        # The parser turns it off itself, but a collection set off between its end and the
        # gc.freeze() below would scan the whole new tree (2 % of a dense script's time); the
        # checks' own collections cost a dense script some 2 % more.
        collecting = gc.isenabled()
        gc.disable()
        try:
            try:
                program = parse_bytes(
                    data,
                    filename=filename,
                    cpp=cpp,
                    include_dirs=[*shebang_dirs, *args.include_dirs] if cpp else args.include_dirs,
                    defines=[*shebang_defines, *args.defines] if cpp else args.defines,
                )
            except DTracePyError as err:
                if filename.endswith(".py"):  # (`check tracer.py`: its "#" comment is no directive)
                    err.message += (f" ({shown_name(filename)} is read as D: a tracer module is checked with "
                                    f"`dtracepy compile --check {shown_name(filename)}`)")
                print(err.render(), file=sys.stderr)
                errors += 1
                continue
            if keep is not None:
                keep[:] = (program,)
            if args.syntax_only:
                continue
            # The tree was made with the collector off, so every node is still in the youngest
            # generation: the first collection after the checks would scan them all (half a second
            # for a dense 1 MiB script).  Take it out of the collector's sight.
            gc.freeze()
            source = data.decode("utf-8", "surrogateescape")  # as parse_bytes reads it: same columns
            try:
                findings = check_program(program, options=options, source=source)
            except Exception as err:  # noqa: BLE001 - one file's checker bug must not stop the rest
                print(f"{shown_name(filename)}: error: internal error in the checks: {type(err).__name__}: {err}",
                      file=sys.stderr)
                errors += 1
                continue
        finally:
            if collecting:
                gc.enable()
        # (written a block of findings at a time: stderr is line-buffered, and a print per finding
        # was a write to the terminal each, 170,000 of them for a file of 85,000 one-line clauses)
        # (each block rendered together: see checks.rendered)
        for start in range(0, len(findings), _BLOCK):
            _write_block(rendered(findings[start:start + _BLOCK]))
        said_errors = sum(1 for finding in findings if finding.severity == "error")
        errors += said_errors
        warnings += len(findings) - said_errors
    if errors or (args.strict and warnings):
        return 1
    return 0


#: How many findings are written to stderr at a time.
_BLOCK = 256


def _write_block(block: list) -> None:
    """Write the rendered findings in ``block`` to stderr, one a line, and empty it."""
    if block:
        sys.stderr.write("\n".join(block) + "\n")
        block.clear()
