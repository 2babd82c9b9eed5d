"""The C preprocessor step of ``dtrace -C``, done with pcpp (a C preprocessor in Python).

:func:`preprocess` returns the preprocessed text with its ``#line`` markers removed, and a line
map from each output line to the line of the original file it came from, so that the parser's
positions and error messages point into the file the user wrote.  ``#include`` of a file that
cannot be found is kept as written (it becomes a ``Directive`` node), since dtracepy has no
system headers to read; ``#pragma`` lines pass through to the parser.
"""

from __future__ import annotations

import io
import re

from dtracepy.errors import DSyntaxError
from dtracepy.source import Pos

_LINE_RE = re.compile(r'^#(?:line)?[ \t]+(\d+)(?:[ \t]+"([^"]*)")?')


def preprocess(text: str, filename: str = "<string>", include_dirs=(), defines=()):
    """Run the C preprocessor over D text.  Returns ``(output_text, line_map)`` where
    ``line_map[i]`` is the original line of output line ``i + 1``."""
    from pcpp import Action, OutputDirective, Preprocessor

    errors: list[tuple[str, int, str]] = []

    class _Cpp(Preprocessor):
        def on_include_not_found(self, is_malformed, is_system_include, curdir, includepath):
            raise OutputDirective(Action.IgnoreAndPassThrough)

        def on_error(self, file, line, msg):
            errors.append((file, line, msg))

        def on_comment(self, tok):  # keep comments, as cpp -C would not; D tolerates them
            return True

    cpp = _Cpp()
    cpp.line_directive = "#line"
    for directory in include_dirs:
        cpp.add_path(directory)
    for define in defines:
        name, _, value = define.partition("=")
        cpp.define(f"{name} {value or '1'}")
    cpp.define("__SUNW_D 1")
    cpp.define("__SUNW_D_VERSION 0x02000000")
    cpp.parse(text, source=filename)
    out = io.StringIO()
    try:
        cpp.write(out)
    except Exception as err:  # noqa: BLE001 - pcpp raises assorted errors on bad input
        raise DSyntaxError(f"C preprocessor: {err}", Pos(filename, 1, 1)) from None
    for file, line, msg in errors:
        if "not found" in msg:
            continue
        lines = text.splitlines()
        source_line = lines[line - 1] if file == filename and 0 < line <= len(lines) else None
        raise DSyntaxError(f"C preprocessor: {msg}", Pos(file or filename, line or 1, 1), source_line)

    result_lines: list[str] = []
    line_map: list[int] = []
    current = 1
    for raw in out.getvalue().split("\n"):
        m = _LINE_RE.match(raw)
        if m:
            current = int(m.group(1))
            result_lines.append("")
            line_map.append(current)
            continue
        result_lines.append(raw)
        line_map.append(current)
        current += 1
    return "\n".join(result_lines), line_map
