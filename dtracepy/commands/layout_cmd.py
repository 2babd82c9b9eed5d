"""``dtracepy layout FILE.h TYPE``: print the memory layout of a C type, as a table or JSON."""

from __future__ import annotations

import json
import sys

from dtracepy.errors import LayoutError, render_located
from dtracepy.source import Pos
from dtracepy.layout import get_abi, parse_layouts


#: Nested members are listed (flattened, ``a.b.c``) while there are at most this many of them in
#: all; beyond, only the type's own members are (twenty structs each holding two of the one before
#: would otherwise print a million rows).
MAX_FIELDS = 10_000


def format_table(layout) -> str:
    """The layout as an aligned table: offset (decimal and hex), size, bits, type, name."""
    fields, expanded = layout.fields_up_to(MAX_FIELDS)
    # the offset's decimal right-aligned and its hex left-aligned after it, so both line up (the
    # widest of each is the largest offset's: offsets are not negative)
    largest = max((f.offset for f in fields), default=0)
    dec, hexes = len(str(largest)), len(f"{largest:#x}")
    rows = [("offset", "size", "bits", "type", "name")]
    for f in fields:
        bits = "" if f.bit_width is None else f"{f.bit_offset}:{f.bit_width}"
        offset = f"{str(f.offset).rjust(dec)} ({f.offset:#x})".ljust(dec + 3 + hexes)
        rows.append((offset, str(f.size), bits, f.type, f.name))
    widths = [max(map(len, column)) for column in list(zip(*rows))[:4]]
    row = f"{{:<{widths[0]}}}  {{:>{widths[1]}}}  {{:<{widths[2]}}}  {{:<{widths[3]}}}  {{}}".format
    lines = [f"{layout.name}: size {layout.size}, align {layout.align} ({layout.abi.name})", ""]
    lines += [row(*r).rstrip() for r in rows]
    if not expanded:
        lines += ["", f"Nested members are not expanded: {layout.name} has {layout.flat_count():,} of them "
                      f"(over {MAX_FIELDS:,}); ask for a nested type by name to see its members."]
    if any(f.bit_width is not None for f in fields):
        lines += ["", "bits is shift:width within the storage unit at offset/size, counted from its least",
                  "significant bit as the target loads it: value = (unit >> shift) & ((1 << width) - 1)."]
    return "\n".join(lines)


#: File name endings that say the file is no C header, and what it is instead.
_NOT_C = {"py": "a Python module", "d": "a D script"}


def run(args) -> int:
    import gc

    # as parse_layouts while it reads: the laid-out records are many long-lived objects, which each
    # collection would scan again (300,000 members: the table took 3.4 s with it, 1.5 s without)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(args)
    finally:
        if collecting:
            gc.enable()


def _run(args) -> int:
    abi = get_abi(args.abi)
    import pathlib

    # the argument is a path, whatever it contains (a;b{.h is a file name, not C text); Path("")
    # would be ".", the directory, so an empty name stays the (empty) string the reader refuses
    header = pathlib.Path(args.header) if args.header else args.header
    try:
        layouts = parse_layouts(header, abi=abi, include_dirs=args.include_dirs, defines=args.defines)
    except LayoutError as err:
        # `layout tracer.py ip`, `layout x.d ip`: said as the C it is read as ("unknown type name
        # 'printf'"), with no word of what was given
        kind = _NOT_C.get(str(args.header).rpartition(".")[2]) if "." in str(args.header) else None
        if (kind and err.pos is not None and str(err.pos.file) == str(args.header)
                and not err.message.startswith("cannot read")):
            err.message += f" ({args.header} is {kind}, read here as C: layout reads C headers)"
        raise
    keep = getattr(args, "keep", None)
    if keep is not None:  # (the process ends when this returns: the records need not be freed)
        keep.append(layouts)
    try:
        layout = layouts[args.type]
    except LayoutError as err:
        if err.pos is not None:
            raise
        # At the header the type was looked for in (its first line: the whole file was read), as
        # every error is located (`compile` says "defines no Tracer" so).
        print(render_located("error", err.message, Pos(args.header, 1)), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(layout.to_json(limit=MAX_FIELDS), indent=2))
    else:
        print(format_table(layout))
    return 0
