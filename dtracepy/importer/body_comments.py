"""The comments inside a clause (after its predicate, among its statements), found again in the D
text, so the module keeps them as Python comments where they stood.

The parser keeps top-level comments as nodes but drops those inside a clause (its fast path does
not look at them); the importer has the text, so it finds them there: each ``/* */`` between a
clause's start and the next top-level item, outside string and character constants.  A comment
with code before it on its line *trails* that code (``x = 1;  /* why */``), one on a line of
its own *leads* what follows it.
"""

from __future__ import annotations

import bisect
import re

import attrs

from dtracepy.tree import hidden_shown

# a string or character constant (skipped: a "/*" inside one is no comment), or a comment
_TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/', re.S)


@attrs.frozen
class BodyComment:
    line: int  # 1-based, of the comment's start
    col: int  # 1-based
    text: str  # the lines of the comment, without /* */ and the leading " * " of each line
    trailing: bool  # code before it on its line


def comment_lines(text: str) -> list[str]:
    """A ``/* */`` comment's text as lines: the decoration of block comments (`` * ``) and
    blank first and last lines dropped.  A byte that is not UTF-8 (held as a lone surrogate) is
    written ``\\xff``: the module is UTF-8, and a Python file cannot hold it.  A character that
    hides (``tree.hidden_shown``: a bidirectional override makes the comment and the code after
    it display otherwise than Python reads them, "Trojan source") is written ``<U+202E>``, as the
    printer writes it in a D comment (``tree.comment_safe``)."""
    text = re.sub("[\udc80-\udcff]", lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text)
    text = hidden_shown(text)
    # (split where Python ends a line: a lone \r too, else what follows it in a # comment is code)
    lines = [re.sub(r"^\s*\*? ?", "", line).rstrip() for line in re.split(r"\r\n?|\n", text.strip("\r\n"))]
    while lines and not lines[0].strip("*- "):
        lines.pop(0)
    while lines and not lines[-1].strip("*- "):
        lines.pop()
    return lines


class CommentFinder:
    """The comments of the text, in order; ``between(start, end)`` those of a span."""

    def __init__(self, text: str):
        self._comments: list[BodyComment] = []
        self._keys: list[tuple[int, int]] = []
        if "/*" not in text:  # (no comment: neither the text's strings nor its lines are read)
            return
        self._starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
        for m in _TOKEN.finditer(text):
            if not m.group().startswith("/*"):
                continue
            line, col = self._line_col(m.start())
            before = text[self._starts[line - 1]:m.start()]
            self._comments.append(BodyComment(line, col, "\n".join(comment_lines(m.group()[2:-2])),
                                              trailing=bool(before.strip())))
        self._keys = [(c.line, c.col) for c in self._comments]

    def __len__(self) -> int:
        return len(self._comments)

    def _line_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def between(self, start: tuple[int, int], end: "tuple[int, int] | None") -> list[BodyComment]:
        """The comments from ``start`` (line, col) up to ``end`` (exclusive; None: the end of the
        text), in order."""
        first = bisect.bisect_left(self._keys, start)
        last = len(self._keys) if end is None else bisect.bisect_left(self._keys, end)
        return self._comments[first:max(first, last)]
