"""An empty declaration (one without a declarator) with a function specifier, which gcc refuses
("'inline' in empty declaration", "'_Noreturn' ..."): found in the preprocessed text, before the
prepass blanks ``inline`` (pycparser knows no GNU ``__inline``, and its ``inline;`` would be an
empty declaration it takes).  A record's body of one level is read as part of the specifiers
(``inline struct s { int a; };``); a deeper one, or a typedef name (``inline T;``), is not: such
a declaration is taken, as before."""

from __future__ import annotations

import re

from dtracepy.errors import LayoutError
from dtracepy.source import Pos

_INLINE = ("inline", "__inline", "__inline__")
_WORDS = (r"typedef|extern|static|auto|register|_Thread_local|__thread|const|volatile|restrict|__restrict|"
          r"__restrict__|_Atomic|__const|__volatile__|__volatile|void|char|short|int|long|float|double|signed|"
          r"unsigned|__signed__|__signed|_Bool|_Complex|__int128|inline|__inline|__inline__|_Noreturn|__extension__")
_PARENS = r"\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)"  # (three levels: __attribute__((aligned(N))))
_SPECIFIERS = (rf"(?:\s+|\b(?:{_WORDS})\b|\b(?:__attribute__|__attribute|_Alignas)\s*{_PARENS}"
               r"|\b(?:struct|union|enum)\b\s*(?:[A-Za-z_]\w*\s*)?(?:\{[^{}]*\})?)*")
# what may start one: the word (a literal first, which the regular expression engine finds
# quickly; 'inline' inside '__inline__' too), then no '=', ',' or '{' before a ';', or no '('
# before a '{' (a record's body); a function's definition is neither, and the scan below is not run
_CANDIDATES = tuple(re.compile(rf"{word}\b(?:[^;=,{{}}]*;|[^;=,{{}}(]*\{{)") for word in ("inline(?:__)?", "_Noreturn"))
_EMPTY = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|^[ \t]*#[^\n]*'
                    rf"|\b(?P<word>inline|__inline__|__inline|_Noreturn)\b(?P<rest>{_SPECIFIERS});", re.S | re.M)


def refuse_empty_declarations(text: str) -> None:
    """Refuse, in gcc's words and at gcc's place, the first empty declaration of ``text`` (with its
    line markers) that has ``inline`` or ``_Noreturn``."""
    if not any(c.search(text) for c in _CANDIDATES):  # (the common case: no comment or string to skip)
        return
    for m in _EMPTY.finditer(text):
        if m.group("word") is None:
            continue
        words = re.findall(r"[A-Za-z_]\w*", m.group())
        word = "inline" if any(w in _INLINE for w in words) else "_Noreturn"
        raise LayoutError(f"'{word}' in empty declaration", _place(text, m.end() - 1))


def _place(text: str, offset: int) -> "Pos | None":
    """gcc's ``input_location`` when it reads the character at ``offset`` (see
    :func:`.alignas.input_column`)."""
    from dtracepy.layout.alignas import input_column
    from dtracepy.layout.cparse import _line_starts

    best = None
    for (file, line), start in _line_starts(text).items():
        if start <= offset and (best is None or start > best[2]):
            best = (file, line, start)
    if best is None or best[0] is None:
        return None
    file, line, start = best
    end = text.find("\n", start)
    return Pos(file, line, input_column(text[start:end if end >= 0 else None], offset - start + 1))
