"""``hidden-character``: a character in a D file that shows as something else, or as nothing,
in an editor or a terminal (part of the rules family: :func:`dtracepy.checks.rules.run` yields
these for a D file).

A bidirectional override (U+202E, U+2066...) makes a line display in another order than D reads
it: ``"Trojan source"`` hides code in what looks like a comment or a string.  Zero-width and
format characters, C1 controls and the line separators U+2028/U+2029 hide likewise
(``tree.hidden_character`` says which; the printer writes them in strings as escapes of their
bytes, so dtracepy's own output never holds one).  dtrace reads them as any other byte, so this
is a warning, at the first such character of each line.
"""

from __future__ import annotations

from dtracepy import tree as t
from dtracepy.checks import Finding
from dtracepy.source import Pos


def run(ctx):
    lines = ctx.lines
    if lines is None:
        return
    if all(map(str.isascii, lines)):
        return  # (the usual file, told in a C loop: no Python step for each of its lines)
    import unicodedata  # (an extension module, 0.5 M instructions to load: only for a line not ASCII)

    file = ctx.first_pos.file if ctx.first_pos is not None else "<string>"
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        for col, ch in enumerate(line, start=1):
            if t.hidden_character(ch):
                name = unicodedata.name(ch, "a control character")
                escapes = "".join("\\%03o" % byte for byte in ch.encode("utf-8"))
                message = (f"U+{ord(ch):04X} ({name}) shows the line otherwise than D reads it, or not at "
                           f"all (\"Trojan source\"); remove it, or in a string write its bytes: {escapes}")
                where = (file, number) if ctx.marks is None else ctx.marks(number)  # (as a #line names it)
                yield Finding("warning", message, "hidden-character", Pos(*where, col))
                break
