"""``dtracepy check FILE.d ...``: parse each file, report syntax errors, then run the checks."""

from __future__ import annotations

import sys

from dtracepy.checks import CheckOptions, check_program
from dtracepy.errors import DTracePyError
from dtracepy.parser import parse_bytes


def _read(path: str) -> tuple[str, bytes]:
    if path == "-":
        return "<stdin>", sys.stdin.buffer.read()
    with open(path, "rb") as handle:
        return path, handle.read()


def run(args) -> int:
    options = CheckOptions(
        disabled=frozenset(args.disable),
        dialect=args.dialect,
        strict=args.strict,
    )
    errors = warnings = 0
    for path in args.files:
        try:
            filename, data = _read(path)
        except OSError as err:
            print(f"{path}: error: cannot read: {err.strerror}", file=sys.stderr)
            errors += 1
            continue
        try:
            program = parse_bytes(
                data,
                filename=filename,
                cpp=args.cpp,
                include_dirs=args.include_dirs,
                defines=args.defines,
            )
        except DTracePyError as err:
            print(err.render(), file=sys.stderr)
            errors += 1
            continue
        if args.syntax_only:
            continue
        for finding in check_program(program, options=options):
            print(finding.render(), file=sys.stderr)
            if finding.severity == "error":
                errors += 1
            else:
                warnings += 1
    if errors or (args.strict and warnings):
        return 1
    return 0
