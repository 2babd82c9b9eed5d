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
    if not args.cpp and b"??" in data:
        program, data = _with_trigraphs_applied(program, data, filename)
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


def _with_trigraphs_applied(program, data: bytes, filename: str):
    """``(program, data)`` as dtrace's C preprocessor would have them when the script goes through
    it (a directive only cpp reads, ``#define``, or a ``#!`` line's ``-C``): read again with its
    trigraphs replaced (``"a??=b"`` is ``"a#b"``, ``'??/'`` an unterminated ``'\'``), as cpp
    replaces them before anything else.  Without cpp dtrace reads them as written."""
    from dtracepy import tree
    from dtracepy.facts.command_line import preprocessing
    from dtracepy.parser import parse_bytes
    from pcpp.parser import trigraph

    first = program.items[:1]
    cpp = tree.needs_cpp(program.items) or bool(
        first and first[0].__class__ is tree.Shebang and preprocessing("#!" + first[0].text)[0])
    if not cpp:
        return program, data
    text = data.decode("utf-8", "surrogateescape")
    replaced = trigraph(text)
    if replaced == text:
        return program, data
    data = replaced.encode("utf-8", "surrogateescape")
    return parse_bytes(data, filename), data
