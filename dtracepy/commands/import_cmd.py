"""``dtracepy import SCRIPT.d [-o SCRIPT.py] [--exact] [-C] [-I DIR] [-D NAME[=VAL]]``.

Reads a D script and writes a tracer module (Python, the DSL) that builds it: idiomatic by
default, faithful with ``--exact``.  What the DSL cannot express is a located error
(``x.d:12:5: error: cannot import ...``) and no module is written.
"""

from __future__ import annotations

import os
import sys


def run(args) -> int:
    from dtracepy.importer import import_program
    from dtracepy.inputs import read_input, refuse_overwriting, write_output
    from dtracepy.errors import DTracePyError
    from dtracepy.parser import parse_bytes
    from dtracepy.source import shown_name

    filename, data = read_input(args.script)
    if args.output:
        refuse_overwriting(args.output, [args.script])  # `import x.d -o x.d`: before any work
    try:
        program = parse_bytes(data, filename, cpp=args.cpp, include_dirs=args.include_dirs,
                              defines=args.defines)
    except DTracePyError as err:
        if filename.endswith(".py"):  # (`import tracer.py`: a tracer module is read as D)
            err.message += (f" ({shown_name(filename)} is read as D: a tracer module is Python already; "
                            f"`dtracepy compile {shown_name(filename)}` prints its D)")
        raise
    # the text, for the comments inside clauses (under -C the preprocessor has dropped them)
    text = None if args.cpp else data.decode("utf-8", "surrogateescape")
    keep = getattr(args, "keep", None)
    if keep is not None:  # (the process ends when this returns: the tree is left to it, not freed)
        keep.append(program)
    source = import_program(program, os.path.basename(filename), exact=args.exact, text=text)
    if args.output:
        # the same atomic writer as `compile -o`: it refuses an output naming the input
        write_output(args.output, source, inputs=[args.script])
    else:
        sys.stdout.write(source)
    return 0
