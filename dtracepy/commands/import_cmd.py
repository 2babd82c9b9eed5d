"""``dtracepy import SCRIPT.d [-o SCRIPT.py] [--exact] [-C] [-I DIR] [-D NAME[=VAL]]``.

Reads a D script and writes a tracer module (Python, the DSL) that builds it: idiomatic by
default, faithful with ``--exact``.  What the DSL cannot express is a located error
(``x.d:12:5: error: cannot import ...``) and no module is written.
"""

from __future__ import annotations

import os
import sys

from dtracepy.errors import CompileError


def run(args) -> int:
    from dtracepy.importer import import_program
    from dtracepy.parser import parse_bytes

    path = args.script
    if path == "-":
        filename, data = "<stdin>", sys.stdin.buffer.read()
    else:
        filename = path
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as err:
            raise CompileError(f"{path}: cannot read: {err.strerror}") from None
    program = parse_bytes(data, filename, cpp=args.cpp, include_dirs=args.include_dirs,
                          defines=args.defines)
    source = import_program(program, os.path.basename(filename), exact=args.exact)
    if args.output:
        tmp = args.output + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(source)
        os.replace(tmp, args.output)
    else:
        sys.stdout.write(source)
    return 0
