"""The C preprocessor step of ``dtrace -C``, done with pcpp (a C preprocessor in Python).

:func:`preprocess` returns the preprocessed text with its ``#line`` markers removed, and a line
map from each output line to the file and line it came from, so that the parser's positions and
error messages point into the file the user wrote (or the header it included).  ``#include`` of a
file that cannot be found is kept as written (it becomes a ``Directive`` node), since dtracepy has
no system headers to read; ``#pragma`` lines pass through to the parser, and so does the
``_Pragma("...")`` operator, made a ``#pragma`` line of its own as cpp makes it (dtrace -C reads
``_Pragma("D option destructive")`` as the pragma); ``#error`` is a located error, as in cpp, and
``#warning`` a located warning (given to the caller, or printed as cpp prints it).  ``%:`` is read
as the ``#`` it spells (``%:%:`` as ``##``), as cpp reads the digraph; a line loses only spaces and
tabs at its end (dtrace -C refuses ``#pragma D option quiet`` and a no-break space).  A quoted
``#include`` in the main file is not looked for beside it: dtrace -C gives cpp the script through
``/dev/stdin`` (only the ``-I`` directories; a header beside the script is a located error saying so).

A text with nothing for the preprocessor to do (:func:`_plain`: no directive, no name of a macro)
is not given to pcpp: its output is made in one pass, line for line (pcpp took 55 s and 577 MB on
4 MiB of dense D, and a gigabyte per 2 MB of comment: it lexes a comment or a string a character
at a time).  A text pcpp is given has each comment and string longer than
:data:`HELD_LONGER_THAN` held out (:func:`_prepared`, :func:`_restored`).

An ``#include`` found nowhere is an error, as it is to cpp, unless it names a system header
(:func:`system_header`): dtracepy does not read system headers (a script written for illumos names
``<sys/vnode.h>``, which no other system has), so those it keeps as written.  ``<nonexistent.h>``
is a located error at the header's name: ``x.d:1:10: error: nonexistent.h: no such file ...``.

Nothing here grows without bound: an included file must be a regular file, every file read counts
towards the input limit (:data:`dtracepy.inputs.MAX_INPUT_BYTES`, read at most plus one byte),
and macro expansion stops with a located error once it has made more than :data:`MAX_EXPANSION`
tokens (twenty nested ``#define A1 A0 A0`` would otherwise make a million tokens and a gigabyte),
as do ``(`` nested more than :data:`MAX_PAREN_NESTING` deep (read before pcpp runs),
more than :data:`MAX_INCLUDES` inclusions (fifteen empty headers, each including the one
before it twice, took 94 s and 900 MB: empty files never reach the input limit) and output longer
than the input limit.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy as _copy
import io
import os
import re
import stat
import sys

from dtracepy.errors import DSyntaxError, shown_name
from dtracepy.facts.options import line_words
from dtracepy.facts.cpp_predefined import DEFINED_SPECIALS, PREDEFINED, PREDEFINED_NAMES, UNANSWERED_OPERATORS
from dtracepy.inputs import LIMIT_TEXT, MAX_INPUT_BYTES
from dtracepy.source import MAX_NAME, LineMarks, Pos

_LINE_RE = re.compile(r'^#(?:line)?[ \t]+(\d+)(?:[ \t]+"([^"]*)")?')
_LINE_MARK_RE = re.compile(r'^#(?:line)?[ \t]+(\d+)(?:[ \t]+"([^"\n]*)")?', re.M)  # (the same, in a text)
# a #pragma line, comments before its # too (cpp reads "/**/#pragma" as the directive)
_PRAGMA_RE = re.compile(r"[ \t]*(?:/\*.*?\*/[ \t]*)*#(?:[ \t]|/\*.*?\*/)*pragma\b")
_COMMENT_RE = re.compile(r"/\*.*?\*/")
# an escape that destringizing _Pragma's string undoes (C11 6.10.9: \" and \\)
_DESTRINGIZED_RE = re.compile(r'\\(["\\])')
_PRAGMA_MESSAGE = "_Pragma takes a parenthesized string literal"  # (cpp's words)
_WARNING_RE = re.compile(r"[ \t]*#[ \t]*warning\b")

#: Where a run of :func:`preprocess` without a ``warnings`` list puts its ``#warning``s: a list
#: while :func:`collected_warnings` is active, else nowhere but standard error.
_WARNINGS: contextvars.ContextVar[list | None] = contextvars.ContextVar("dtracepy_cpp_warnings", default=None)


@contextlib.contextmanager
def collected_warnings():
    """Within, a :func:`preprocess` that is given no ``warnings`` list (the parser's) adds its
    ``#warning``s, ``(Pos, message)``, to the list this yields instead of printing them."""
    found: list = []
    token = _WARNINGS.set(found)
    try:
        yield found
    finally:
        _WARNINGS.reset(token)


class _PragmaText(str):
    """The ``#pragma`` line a ``_Pragma("...")`` operator stands for, as pcpp writes it out: the
    writer notes where it lands, and the line is split there (:func:`preprocess`).  ``resume``:
    the column (from 0) after its ``)`` in the user's line, where what follows it stands (None
    when a macro made it)."""

    resume: int | None = None

#: At most this many tokens made by macro expansion, over a whole run of the preprocessor.
MAX_EXPANSION = 200_000

#: At most this many files included, over a whole run of the preprocessor (pcpp takes about a
#: millisecond for each, even for an empty file; a header it skips as included once is not counted).
MAX_INCLUDES = 1_000


#: At most this many ``(`` open at once in a text the macros are expanded in: pcpp copies the rest
#: of the line at each level of a macro's argument (``F(F(F(...)))`` 100,000 deep took over 60 s
#: and 1.6 GB; dtrace -C's own cpp did not finish 10,000 levels in 100 s).
MAX_PAREN_NESTING = 1_000

#: At most this many splices (``\\`` at a line's end) read by pcpp, over a whole run of the
#: preprocessor: it makes two tokens of each line spliced (a name spliced over 1.4 million lines
#: with a macro's name on each took 27 s and 1.3 GB, a ``#define`` spliced so 17 s and 1.5 GB;
#: 100,000 of them 1.8 s and 108 MB, 1.1 s and 124 MB).  A spliced line pcpp would only copy is
#: not read by it (the reduction joins it: :func:`_joined`), and does not count.
MAX_SPLICES = 100_000

#: At most this many lines of the main file given to pcpp as they are (a line naming a macro, a
#: directive, what a macro's arguments may take, the blank lines between; not a run of lines it
#: would only copy, which the reduction gives it as one line: :class:`_Reduction`, nor the empty
#: lines left out).  pcpp takes 10 to 20 us a line (``#define N 1`` and 1.4 million lines of
#: ``N;`` took 30 to 35 s and 1.25 GB), and the reduction's own walk of the lines naming a macro
#: 2 us; the text is refused at the line past the bound before either (:func:`_reduced`).
MAX_CPP_LINES = 50_000

#: At most this many tokens made by pcpp's lexer (blanks and line ends included), over a whole run
#: of the preprocessor (the main file and its headers; a run of lines it would only copy is one, the
#: reduction's placeholder): it takes about 4 us and holds some 250 bytes for each (``#define N 1``
#: and 100,000 lines of ``N x x ... x;``, 4 MB, took 15 s and 1 GB).  Refused at the token past it.
MAX_CPP_TOKENS = 250_000


class _TooManyLines(Exception):
    """A text that gives pcpp more than :data:`MAX_CPP_LINES` lines as they are: ``line`` (from 1)
    is the first past the bound."""

    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


def too_many_lines_message() -> str:
    """What the refusal past :data:`MAX_CPP_LINES` says."""
    return (f"more than {MAX_CPP_LINES:,} lines for the C preprocessor to read (lines naming a macro, "
            "directives, a macro's arguments; lines it would only copy are not counted); dtracepy stops "
            "there (its preprocessor takes 10 to 20 microseconds a line: a macro named on each of 1.4 "
            "million lines took it half a minute and over a gigabyte)")

# What the fast path (:func:`_plain`) must find (group 1), after what it skips at C speed (code,
# comments, strings and character constants): a line comment, or what only the preprocessor reads
# (a directive's ``#``, its digraph ``%:``), or an opening that is never closed (on its line, for a
# quote).  (A string is matched as runs of plain characters: an alternation repeated per character
# keeps a mark per character, 500 MB for 4 MB.  \Z at the end: a search that fails would try
# again at each later offset.)
_PLAIN_RE = re.compile(r"""(?:[^/"'#%]++|/(?![/*])|%(?!:)|/\*.*?\*/"""
                       r"""|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"|'[^'\\\n]*+(?:\\.[^'\\\n]*+)*+')*+"""
                       r"""(?:(//[^\n]*|#|%:|/\*|["'])|\Z)""", re.S)
# What the fast path leaves to pcpp: a line's splice, trigraphs (??), the line breaks Python's
# splitlines() knows (pcpp splits lines with it), NUL.  (Each looked for on its own: one search for
# them all took 15 ms a MiB.)
_SPLICE_RE = re.compile("\\\\[ \t]*\n")
_NOT_PLAIN = "\r\f\v\x1c\x1d\x1e\0"
_NOT_PLAIN_WIDE = _NOT_PLAIN + "\x85\u2028\u2029"
# The same pieces as _PLAIN_RE and each digraph, for the text pcpp reads (group 1, after what is
# skipped at C speed: the code between them, whose ( and ) are counted by :func:`_deepened`); a
# quote or a comment's opening left open is code (and \Z: a search that fails tries again at each
# later offset)
_PIECES_RE = re.compile(r"""(?:[^/"'%]++|/(?![/*])|%(?!:))*+"""
                        r"""(?:(/\*.*?\*/|//[^\n]*|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"|'[^'\\\n]*+(?:\\.[^'\\\n]*+)*+'|%:%:|%:)|[/"']|\Z)""", re.S)
_NOT_PARENS_RE = re.compile(r"[^()]+")
_PARENS_RE = re.compile(r"[()]")


class _Identity:
    """The line map of a text that is its own source: line ``i + 1`` of ``file`` at index ``i``."""

    __slots__ = ("file", "count")

    def __init__(self, file: str, count: int):
        self.file, self.count = file, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int):
        if not 0 <= index < self.count:
            raise IndexError(index)
        return (self.file, index + 1)


def _plain(text: str, defines=()) -> str | None:
    """What the preprocessor (pcpp, as dtracepy drives it) makes of a text with nothing for it
    to do, made in one pass, or None when there may be something: a directive (``#`` or ``%:``
    outside comments, strings and character constants), an identifier naming a macro (a name
    defined with ``-D``, one beginning ``__`` (all the predefined ones), ``_Pragma``), a line's
    splice, a trigraph, a comment, string or constant left open.  What pcpp makes of the rest is
    the text with each line's trailing blanks gone and each ``//`` comment a blank; its lines stay
    where they were, but for the blank ones at the end; the last one ends in a newline."""
    if "__" in text or "_Pragma" in text or "_LP64" in text or "_STDC_PREDEF_H" in text or "??" in text \
            or _SPLICE_RE.search(text):  # (the predefined names are all of them with "__" but these two)
        return None
    if any(c in text for c in (_NOT_PLAIN if text.isascii() else _NOT_PLAIN_WIDE)):
        return None
    names = [_defined_name(define) for define in defines]  # (as pcpp reads a name: 1N is 1 and N)
    if names and _names_re(names).search(text):
        return None
    if " \n" in text or "\t\n" in text or text.endswith((" ", "\t")):
        text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    pieces, at = [], 0
    for m in _PLAIN_RE.finditer(text):
        start = m.start(1)
        if start < 0:  # (the end)
            break
        if not text.startswith("//", start):  # a directive, or something left open
            return None
        pieces += [text[at:start], " "]
        at = m.end()
    pieces.append(text[at:])
    made = "".join(pieces).rstrip("\n")  # (pcpp drops the blank lines at the end, ends the last one)
    return made + "\n" if made else ""


#: A comment or a string longer than this is held out of pcpp's sight (:func:`_prepared`).
HELD_LONGER_THAN = 256
_HELD_RE = re.compile("\0(\\d+)\0(\n*)")
# the start of a line where a string may be held: not a directive's (#include "x.h", #line 1 "x.d"
# name files), a #define's may
_HELD_STRING_RE = re.compile(r"(?![ \t]*(?:#|%:))|[ \t]*(?:#|%:)[ \t]*(?:define|pragma|error|warning)\b")


def _prepared(text: str, filename: str):
    """What pcpp is given for ``text``, and what was held out of it: each digraph ``%:`` read as
    the ``#`` it spells (``%:%:`` as ``##``), padded to keep the columns, as cpp reads them; each
    comment and each string (without a backslash) longer than :data:`HELD_LONGER_THAN` replaced by
    ``\\0N\\0`` and the comment's newlines (pcpp lexes them a character at a time: 2.1 GB for a
    4 MB comment), ``held[N]`` what it stood for, as pcpp would have written it (:func:`_restored`
    puts it back).  A located error at the ``(`` that opens more than :data:`MAX_PAREN_NESTING` at
    once."""
    pieces, at, held, code, codes = [], 0, [], 0, []  # codes: (start, end) of the code between pieces
    hold = "\0" not in text and "_Pragma" not in text  # (_Pragma's columns are counted in what pcpp reads)
    for m in _PIECES_RE.finditer(text):
        start = m.start(1)
        if start < 0:  # (a quote or an opening left open, or the end)
            continue
        codes.append((code, start))
        code = m.end()
        token = m.group(1)
        if token[0] == "%":
            pieces += [text[at:start], "##  " if token == "%:%:" else "# "]
            at = m.end()
        elif len(token) > MAX_NAME + 2 and token[0] == '"' and not _HELD_STRING_RE.match(
                text, text.rfind("\n", 0, start) + 1, start):
            _refuse_long_name(text, start, len(token) - 2, filename)
        elif len(token) > HELD_LONGER_THAN and hold:
            if token.startswith("/*"):
                body = token[2:-2].split("\n")  # (its lines lose their blanks at the end, as in pcpp)
                held.append("\n".join([line.rstrip(" \t") for line in body[:-1]] + body[-1:]))
                pieces += [text[at:start], f"/*\0{len(held) - 1}\0" + "\n" * (len(body) - 1) + "*/"]
                at = m.end()
            elif token[0] == '"' and "\\" not in token and _HELD_STRING_RE.match(
                    text, text.rfind("\n", 0, start) + 1, start):
                held.append(token[1:-1])
                pieces += [text[at:start], f'"\0{len(held) - 1}\0"']
                at = m.end()
    codes.append((code, len(text)))
    _nesting(text, codes, filename)
    if not pieces:
        return text, held
    pieces.append(text[at:])
    return "".join(pieces), held


def _refuse_long_name(text: str, start: int, length: int, filename: str) -> None:
    """A located error at a string of ``length`` characters longer than a file name can be (PATH_MAX)
    in a directive that names a file (``#include``, ``#line``, a line marker): pcpp's lexer reads
    such a string holding a frame per character (``#line 5 "<4 MB>"``: 1.39 GB, 8.9 s), and it
    cannot be held out of its sight (the directive names a file by it)."""
    line = text.count("\n", 0, start) + 1
    first = text.rfind("\n", 0, start) + 1
    last = text.find("\n", start)
    raise DSyntaxError(
        f"a quoted name of {length:,} characters in a directive: longer than any file name can be "
        f"({MAX_NAME:,} characters, PATH_MAX; dtracepy stops there: its C preprocessor would take "
        "gigabytes over it)", Pos(filename, line, start - first + 1), text[first:last if last >= 0 else len(text)])


def _nesting(text: str, codes, filename: str) -> None:
    """A located error at the first ``(`` in the code of ``text`` (``codes``: (start, end) of each
    stretch of it) that opens more than :data:`MAX_PAREN_NESTING` at once.  First at C speed: the
    ``()`` that close at once are taken out, round after round (as many rounds as pairs nest), and
    what is left, ``)`` then ``(``, counted: no ``(`` is deeper than the rounds and the ``(`` left;
    else a stretch at a time (:func:`_deepened`)."""
    if text.count("(") <= MAX_PAREN_NESTING:
        return
    parens = _NOT_PARENS_RE.sub("", "".join([text[start:end] for start, end in codes]))
    for rounds in range(16):
        fewer = parens.replace("()", "")
        if len(fewer) == len(parens):
            if rounds + len(parens.lstrip(")")) <= MAX_PAREN_NESTING:
                return
            break
        parens = fewer
    depth = 0
    for start, end in codes:
        depth = _deepened(text, start, end, depth, filename)


def _deepened(text: str, start: int, end: int, depth: int, filename: str) -> int:
    """How many ``(`` are open after ``text[start:end]`` (code) when ``depth`` were before it (a
    ``)`` closes one if one is open); a located error at a ``(`` that opens more than
    :data:`MAX_PAREN_NESTING`.  The ``()`` that close at once are taken out, a few rounds at C
    speed, and what is left, ``)`` then ``(``, counted; else a parenthesis at a time."""
    opens = text.count("(", start, end)
    if not opens:
        return max(0, depth - text.count(")", start, end)) if depth else 0
    closes = text.count(")", start, end)
    if depth + opens <= MAX_PAREN_NESTING:
        if depth >= closes:  # (none closes at 0)
            return depth + opens - closes
        parens = _NOT_PARENS_RE.sub("", text[start:end])
        for _ in range(16):
            fewer = parens.replace("()", "")
            if len(fewer) == len(parens):
                closing = len(parens) - len(parens.lstrip(")"))
                return max(0, depth - closing) + len(parens) - closing
            parens = fewer
    for m in _PARENS_RE.finditer(text, start, end):
        if m.group() == ")":
            depth = max(0, depth - 1)
            continue
        depth += 1
        if depth > MAX_PAREN_NESTING:
            line = text.count("\n", 0, m.start()) + 1
            first = text.rfind("\n", 0, m.start()) + 1
            last = text.find("\n", m.start())
            raise DSyntaxError(
                f"nested too deeply for the C preprocessor: more than {MAX_PAREN_NESTING:,} levels of "
                "( (dtracepy stops there; dtrace -C's cpp took over 100 s on 10,000 levels of a macro's "
                "argument)", Pos(filename, line, m.start() - first + 1),
                text[first:last if last >= 0 else len(text)])
    return depth


def _restored(text: str, held: list) -> str:
    """``text`` with what :func:`_prepared` held out put back (a comment's newlines with it)."""
    if not held:
        return text

    def back(m):
        body = held[int(m.group(1))]
        return body + m.group(2)[body.count("\n"):]

    return _HELD_RE.sub(back, text)


#: A text pcpp is given is reduced (:func:`_reduced`) when it is at least this long (a shorter one
#: costs pcpp a few milliseconds either way; the tests set it to 0).
REDUCE_FROM = 4096

# What the reduction must find in the text pcpp's lexer reads (group 1), after what it skips at C
# speed (code, the comments, strings and character constants within a line, and a line's splice
# right after a token, which pcpp's write() deletes: :func:`_reduced` joins such a line): a comment
# or a string across lines (each as pcpp's lexer matches it: a backslash takes the character after
# it, a newline too), a line comment, one left open, what only the preprocessor reads (#, \ but
# such a splice) and each character pcpp's lexer has no token for.  (\Z at the end: a search that fails would try again
# at each later offset.)
_INERT_RE = re.compile(
    r"""(?:[^/"'#\\\x00-\x08\x0b-\x1f\x7f-\U0010ffff]++|/(?![/*])|\\\n"""
    r"""|"[^"\\\n]*+(?:\\[^\n][^"\\\n]*+)*+"|'[^'\\\n]*+(?:\\[^\n][^'\\\n]*+)*+'"""
    r"""|/\*[^*\n]*+(?:\*++[^*/\n][^*\n]*+)*+\*++/)*+"""
    r"""(?:(/\*.*?\*/|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"|'[^'\\\n]*+(?:\\.[^'\\\n]*+)*+'|//[^\n]*|/\*|[#\\"']|[^\t\n\x20-\x7e])|\Z)""",
    re.S)
# a line spliced over lines: from the start of a line to the end of the first that ends in no \\
_SPLICED_LINE_RE = re.compile(r"^(?:[^\n]*\\\n)++[^\n]*+", re.M)
# the comments, strings and character constants of a line
_LINE_PIECES_RE = re.compile(r"""/\*.*?\*/|//.*|"[^"\\]*+(?:\\.[^"\\]*+)*+"|'[^'\\]*+(?:\\.[^'\\]*+)*+'""")
# more than six blank lines: pcpp writes a line marker for them, not blank lines
_BLANKS_RE = re.compile("\n{8,}")
_EMPTY_LINES_RE = re.compile("\n{9,}")  # (eight empty lines or more: a line's end, then theirs)
_DIRECTIVE_RE = re.compile(r"[ \t]*#")
_DEFINED_RE = re.compile(r"#[ \t]*(?:define|undef)[ \t]+([A-Za-z_]\w*)")  # (anywhere: more names is safe)
# the end of a line after which a ( on a later line may open a macro's arguments
_NAME_AT_END_RE = re.compile(r"[\w)][ \t]*$")
#: Names pcpp expands that are in no macro table (``__LINE__``, ``__COUNTER__``), its predefined
#: macros, those dtracepy defines, ``__FILE__`` (defined for each file read), ``_Pragma``.
_BUILTIN_NAMES = frozenset(("__LINE__", "__COUNTER__", "__FILE__", "__DATE__", "__TIME__", "_Pragma",
                            *PREDEFINED_NAMES))
#: The macros of :data:`PREDEFINED` pcpp has read, by name (read when a script first names one:
#: all 384 cost a check -C 12% more instructions on a small script).
_PREDEFINED_MACROS: dict = {}
_DEFINITIONS = {definition.split(" ", 1)[0].split("(", 1)[0]: definition for definition in PREDEFINED}


def _predefined_macro(name: str):
    """pcpp's macro for the predefined ``name`` (read by a plain pcpp of its own: the running
    one's lexer is in the middle of the script)."""
    macro = _PREDEFINED_MACROS.get(name)
    if macro is None:
        reader = _PREDEFINED_MACROS.get("")
        if reader is None:
            from pcpp import Preprocessor

            reader = _PREDEFINED_MACROS[""] = Preprocessor()
        reader.define(_DEFINITIONS[name])
        macro = _PREDEFINED_MACROS[name] = reader.macros[name]
    return macro


class _Macros(dict):
    """pcpp's table of macros, holding dtrace -C's predefined ones (facts/cpp_predefined.py) from
    the start: each is read when pcpp first asks for it (pcpp asks ``in``, ``[]`` and ``del``;
    dtracepy ``get``).  A predefined macro the script defines again or undefines is the script's."""

    __slots__ = ("_pending",)

    def __init__(self):
        super().__init__()
        self._pending = set(PREDEFINED_NAMES)

    def _load(self, name) -> None:
        if name in self._pending:
            self._pending.discard(name)
            dict.__setitem__(self, name, _predefined_macro(name))

    def __contains__(self, name):
        self._load(name)
        return dict.__contains__(self, name)

    def __getitem__(self, name):
        self._load(name)
        return dict.__getitem__(self, name)

    def get(self, name, default=None):
        self._load(name)
        return dict.get(self, name, default)

    def __setitem__(self, name, macro):
        self._pending.discard(name)
        dict.__setitem__(self, name, macro)

    def __delitem__(self, name):
        self._load(name)
        dict.__delitem__(self, name)


def _predefine(cpp) -> None:
    """Give ``cpp`` the macros dtrace -C's cpp knows before the script (facts/cpp_predefined.py),
    and not pcpp's own ``__PCPP__``, which dtrace's cpp does not define: a script must not see
    another preprocessor in dtracepy's than in dtrace's (``#ifndef __PCPP__`` hid a branch).
    ``__DATE__`` as gcc spells it (``"Dec  3 2026"``: the day padded with a blank, not pcpp's 0)."""
    date = cpp.macros.get("__DATE__")
    if date is not None and len(date.value) == 1 and date.value[0].value[5:6] == "0":
        date.value[0].value = date.value[0].value[:5] + " " + date.value[0].value[6:]  # ("Dec 03 2026")
    # (gcc's __has_include is defined: #ifdef __has_include takes its branch; each names itself,
    # so that an #if's expansion leaves it for _GccConstants to answer)
    cpp.define("__has_include __has_include")
    cpp.define("__has_include_next __has_include_next")
    macros = _Macros()
    macros.update((name, macro) for name, macro in cpp.macros.items() if name != "__PCPP__")
    for name in cpp.macros:
        macros._pending.discard(name)
    cpp.macros = macros


def _known_names(defines) -> frozenset:
    """The names of macros known before the text is read: the builtin ones and ``-D``'s."""
    return _BUILTIN_NAMES | {_defined_name(define) for define in defines}


def _defined_name(define: str) -> str:
    """The name a ``-D`` definition defines (``F`` of ``F(x)=x``)."""
    return define.partition("=")[0].partition("(")[0]


# C's simple escapes in a character constant, gcc's \e and \E (ESC) among them.
_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "e": 27, "E": 27,
                   "\\": 92, "'": 39, '"': 34, "?": 63}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class CharProblem(ValueError):
    """A character constant gcc's cpp refuses, in its words."""


def _extended_utf8(code: int) -> bytes:
    """A code point past Unicode's (up to 0x7FFFFFFF) as gcc's cpp encodes it in a narrow
    constant: UTF-8's scheme carried on to five and six bytes (``\\U00110000`` is f4 90 80 80)."""
    count = 4 if code < 0x200000 else 5 if code < 0x4000000 else 6
    tail = [0x80 | (code >> shift & 0x3F) for shift in range(6 * (count - 2), -1, -6)]
    return bytes([(0xFF00 >> count & 0xFF) | code >> 6 * (count - 1), *tail])


def gcc_char_value(spelled: str, warn=None) -> int | None:
    """The value gcc's cpp (dtrace -C's) gives the character constant ``spelled`` (``'...'`` or
    ``L'...'``) in an ``#if``; None for one left to pcpp (a code point past Unicode's); raises
    :class:`CharProblem` for one gcc refuses (``''``, ``'\\x'``, ``'\\u12'``, ``'\\ud800'``).  A
    char is signed in gcc on x86_64 (the machine of facts/cpp_predefined.py's macros), so
    ``'\\377'`` is -1 (pcpp reads 255: ``#if '\\377' < 0`` took the other branch than dtrace -C);
    a constant of several bytes (``'ab'``, a UTF-8 ``'é'``) is an int of its last four bytes, the
    first the highest (pcpp refused it); a wide one (``L'ab'``, a 32-bit signed wchar_t) is its
    last character's.  An octal or hex escape keeps the bits its unit holds, as gcc does.  A
    universal character past Unicode's last (``\\U00110000``, up to ``\\U7FFFFFFF``) gcc reads
    with a warning, "outside the UCS codespace", said to ``warn`` (a function of the message)."""
    wide = spelled.startswith("L")
    body = spelled[2:-1] if wide else spelled[1:-1]
    mask = 0xFFFFFFFF if wide else 0xFF
    units: list = []  # bytes, or for a wide constant code points
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        i += 1
        if ch != "\\":
            if "\udc80" <= ch <= "\udcff":  # (a byte that is not UTF-8: see parser.parse_bytes)
                units.append(ord(ch) - 0xDC00)
            elif wide:
                units.append(ord(ch))
            else:
                units += ch.encode("utf-8", "surrogatepass")
            continue
        if i >= n:
            return None
        ch = body[i]
        if "0" <= ch <= "7":
            j = i
            while j < n and j < i + 3 and "0" <= body[j] <= "7":
                j += 1
            units.append(int(body[i:j], 8) & mask)
            i = j
        elif ch == "x":
            j = i + 1
            while j < n and body[j] in _HEX_DIGITS:
                j += 1
            if j == i + 1:
                raise CharProblem("\\x used with no following hex digits")
            units.append(int(body[i + 1 : j], 16) & mask)
            i = j
        elif ch == "u" or ch == "U":
            size = 4 if ch == "u" else 8
            digits = body[i + 1 : i + 1 + size]
            if len(digits) != size or not _HEX_DIGITS.issuperset(digits):
                taken = digits[: next((k for k, c in enumerate(digits) if c not in _HEX_DIGITS), len(digits))]
                raise CharProblem(f"incomplete universal character name \\{ch}{taken}")
            code = int(digits, 16)
            if 0xD800 <= code <= 0xDFFF or code > 0x7FFFFFFF:
                raise CharProblem(f"\\{ch}{digits} is not a valid universal character")
            if code > 0x10FFFF and warn is not None:
                warn(f"\\{ch}{digits} is outside the UCS codespace")
            if wide:
                units.append(code)
            else:
                units += chr(code).encode("utf-8") if code <= 0x10FFFF else _extended_utf8(code)
            i += size + 1
        elif ch in _SIMPLE_ESCAPES or ch.isascii() and ch.isprintable():
            units.append(_SIMPLE_ESCAPES.get(ch, ord(ch)))  # (an unknown escape is its character: gcc warns)
            i += 1
        else:
            return None
    if not units:
        raise CharProblem("empty character constant")
    if wide:  # (its last character: gcc warns of the others)
        return units[-1] - (1 << 32) if units[-1] >= 1 << 31 else units[-1]
    if len(units) == 1:
        return units[0] - 256 if units[0] >= 128 else units[0]  # (a signed char)
    value = 0
    for byte in units:
        value = ((value << 8) | byte) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value  # (an int)


class _GccConstants:
    """pcpp's evaluator of an ``#if``'s expression (macros expanded), with its character constants
    given gcc's values (:func:`gcc_char_value`) and a string refused in gcc's words: pcpp failed
    on ``#if __DATE__`` with an AttributeError of its own."""

    def __init__(self, evaluator, cpp):
        self.evaluator, self.cpp = evaluator, cpp

    def __call__(self, tokens, functions=None, identifiers=None):
        from pcpp.evaluator import Value

        unanswered = next((tok.value for tok in tokens if tok.type == "CPP_ID" and tok.value in UNANSWERED_OPERATORS), None)
        if unanswered is not None:  # (pcpp read it as an unknown function: 0, where gcc may say 1)
            self.cpp.error_token = next(tok for tok in tokens if tok.value == unanswered)
            self.cpp.on_error(*self.cpp._where(), f"{unanswered}() asks gcc's own tables, which dtracepy does not "
                              "hold: it cannot tell which branch dtrace -C takes (test a macro of your own)")
            return Value(0)
        if any(tok.value in ("__has_include", "__has_include_next") for tok in tokens):
            tokens = self._has_include(tokens)
            if tokens is None:
                return Value(0)
        changed = []
        for at, tok in enumerate(tokens):
            if tok.value == "'" or tok.value == "L'":  # (an unterminated constant: gcc makes the
                # rest of the line one token, which no expression takes; pcpp said "SyntaxError")
                if at and tokens[at - 1].value == "L" and tokens[at - 1].lexpos + 1 == tok.lexpos:
                    at, tok = at - 1, tokens[at - 1]  # (L'a: a wide one, which pcpp split)
                self.cpp.error_token = tok
                self.cpp.warn_at(tok, "missing terminating ' character")
                rest = "".join(later.value for later in tokens[at:]).strip()
                self.cpp.on_error(*self.cpp._where(), f'token "{rest}" is not valid in preprocessor expressions')
                return Value(0)
            if tok.type == "CPP_CHAR":
                try:
                    value = gcc_char_value(tok.value, lambda message, tok=tok: self.cpp.warn_at(tok, message))
                except CharProblem as err:
                    self.cpp.error_token = tok
                    self.cpp.on_error(*self.cpp._where(), str(err))
                    return Value(0)
                if value is not None:
                    tok = _copy.copy(tok)
                    tok.type, tok.value = "CPP_INTEGER", str(value)
            elif tok.type == "CPP_STRING":
                self.cpp.error_token = tok
                self.cpp.on_error(*self.cpp._where(), f'token "{tok.value}" is not valid in preprocessor expressions')
                return Value(0)
            changed.append(tok)
        return self.evaluator(changed, functions=functions, identifiers=identifiers)


    def _has_include(self, tokens):
        """``tokens`` with each ``__has_include("h")`` / ``__has_include(<h>)`` replaced by 1 or 0 as
        gcc's cpp answers it on this machine (the cpp dtrace -C runs here): is the header in a
        ``-I`` directory or the system's include directories (a standard one always is)?  pcpp
        knows no ``__has_include``: ``#if __has_include("stdio.h")`` took the branch gcc skips, and
        what that branch held (a ``system()``) went unseen.  None, said in cpp's words, for one
        malformed."""
        out, i, n = [], 0, len(tokens)
        while i < n:
            tok = tokens[i]
            if tok.type != "CPP_ID" or tok.value not in ("__has_include", "__has_include_next"):
                out.append(tok)
                i += 1
                continue
            words = []  # the tokens to the ')' (blanks left out)
            j = i + 1
            while j < n and tokens[j].value != ")":
                if tokens[j].type not in self.cpp.t_WS:
                    words.append(tokens[j].value)
                j += 1
            inside = "".join(words[1:])
            if j >= n or words[:1] != ["("] or not (len(inside) >= 2 and (
                    inside[0] == '"' == inside[-1] and len(words) == 2 or inside[0] == "<" and inside[-1] == ">")):
                self.cpp.error_token = tok
                self.cpp.on_error(*self.cpp._where(), f'missing \'(\' before "{tok.value}" operand'
                                  if words[:1] != ["("] else f"operator \"{tok.value}\" requires a header-name")
                return None
            name = inside[1:-1]
            found = name in STANDARD_HEADERS or any(
                os.path.isfile(os.path.join(d, name)) for d in [*self.cpp.path, *system_include_dirs()])
            one = _copy.copy(tok)
            one.type, one.value = "CPP_INTEGER", "1" if found else "0"
            out.append(one)
            i = j + 1
        return out


#: A ``#define`` line (its text after ``define``) whose macro cpp defines without a word of
#: complaint and which changes nothing where it is never named: a name, maybe identifiers in
#: parentheses right after it, then, after white space, a body of plain C tokens (no ``#``, ``%:``,
#: quote, ``/`` that may open a comment, backslash or ``??`` of a trigraph).
_PLAIN_DEFINE = (r"([A-Za-z_]\w*)(?:\(([ \t]*(?:[A-Za-z_]\w*[ \t]*(?:,[ \t]*[A-Za-z_]\w*[ \t]*)*)?)\))?"
                 r"(?:[ \t]+[\w \t.+\-*<>=!&|^~?:,;%()\[\]{}]*)?")
#: The names no plain ``#define`` may use: cpp refuses (``defined``) or warns of them.
_RESERVED_NAMES = frozenset(("defined", "_Pragma", "__VA_ARGS__", "__VA_OPT__"))
#: At most this many names are read off words that do not start with one (``1uN`` is ``1u`` and
#: ``N`` to pcpp's lexer, so each such word stands for every name it ends with); past it,
#: :func:`unnamed_defines` finds none (a text of long numbers: the whole text is preprocessed).
MAX_WORD_ENDS = 1 << 20


def unnamed_defines(defines, text: str) -> set:
    """Which of ``defines`` (the texts after ``define`` of a program's ``#define`` lines, one line
    each) dtrace -C's expansion of the program ``text`` (the whole, those lines in it) would be the
    same without, to the token and the line: those whose macro is never named and could not fail
    to be defined (:data:`_PLAIN_DEFINE`), by index.  For the ``destructive`` check, which expands
    a program that has a ``#define`` to find destructive actions a macro spells: pcpp took 0.3 ms
    a line over 4 MiB of ``#define Mi i`` lines (a minute), which name nothing.

    A name is named when it stands anywhere in ``text`` but at its own ``#define``: as a word (in
    a string or comment too: more names is safe), at the end of a word a number starts (pcpp's
    lexer reads ``1uN`` as ``1u`` and ``N``), or so across a line spliced by a backslash.  None
    is unnamed in a text that pastes tokens (``##``, ``%:%:``: a name made of pieces) or includes a
    header (whose lines are not in ``text``), or that holds a directive not known here."""
    import collections

    if "##" in text or "%:" in text or "??" in text or not defines:
        return set()
    if re.search(r"^[ \t]*#[ \t]*(?!(?:define|undef|if|ifdef|ifndef|elif|else|endif|error|warning|pragma|line)\b|[ \t]*\d|[ \t]*$)",
                 text, re.M):
        return set()  # (#include, #include_next, #import, #assert ... : read the whole)
    words = collections.Counter(re.findall(r"(?<!\w)[A-Za-z_]\w*", text))
    spliced = re.sub(r"\\[ \t]*[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+", "", text)
    if spliced != text:  # (each name as often as the more of the two has it)
        words |= collections.Counter(re.findall(r"(?<!\w)[A-Za-z_]\w*", spliced))
    ends = 0
    for source in {text, spliced}:
        # (the words a digit or a letter no name starts with starts, that hold one a name may)
        for word in re.findall(r"(?<!\w)[^\W_A-Za-z]+[A-Za-z_]\w*", source):
            ends += len(word)
            if ends > MAX_WORD_ENDS:
                return set()
            words.update(word[i:] for i in range(1, len(word)) if word[i] == "_" or word[i].isascii() and word[i].isalpha())
    plain = re.compile(_PLAIN_DEFINE, re.ASCII).fullmatch
    kept = _RESERVED_NAMES | _BUILTIN_NAMES
    found = set()
    # (a step each as few as it can be: 190,000 defines at 4 MiB)
    for index, define in enumerate(defines):
        m = plain(define)
        if m is None or "??" in define or "%:" in define:
            continue
        name, params = m.groups()
        if words[name] != 1 or name in kept or name.startswith("__"):
            continue
        if params is not None:
            names = [p.strip() for p in params.split(",")] if params.strip() else []
            if len(set(names)) != len(names) or any(p in _RESERVED_NAMES or p.startswith("__") for p in names):
                continue
        found.add(index)
    return found


def _names_re(names):
    """Where one of ``names`` may stand as a token of its own: as a word, or at the end of one (a
    letter after a number is a token of its own to pcpp's lexer: ``1uN`` is ``1u`` and ``N``)."""
    alternatives = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    return re.compile(r"(?:%s)(?!\w)" % alternatives)


def _nested(tokens) -> bool:
    """Do the parentheses among ``tokens`` nest (none closes what it did not open, all close)?"""
    depth = 0
    for tok in tokens:
        if tok.value == "(":
            depth += 1
        elif tok.value == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


class _Reduction:
    """What pcpp is given in place of a text most of whose lines it would only copy (dense D with a
    ``#define`` took it 5 s a MiB), made by :func:`_reduced`.  Each run of *inert* lines becomes
    one line, a placeholder identifier, which pcpp copies as it would have copied the lines (or
    drops, in an ``#if 0`` group); :meth:`text_of` gives the lines back as pcpp writes it out,
    written as a comment, whose lines pcpp counts.  A line is inert when pcpp could do nothing but
    copy it: no directive, no ``\\`` (nor the line after one at a line's end) but a splice right after
    a token (a line spliced so, whose lines are all inert, is a run of its own, joined: pcpp wrote
    it so, at its first line, and the next line at its own number), no comment or string
    across lines, no line comment, no character pcpp's lexer has no token for, no name of a macro
    (:attr:`names`), not within what a macro's name may take as arguments (from a line naming one to
    the ``)`` that closes what was opened after it, and the next line with code, whose ``(`` a name
    at the end of a line may take).  A run is at most six blank lines apart (pcpp writes a line
    marker after more) and has code (a line of a comment alone is blank to pcpp).  The lines pcpp
    is given keep their numbers and offsets in the whole text (:attr:`numbers`, :attr:`shifts`), so
    ``__LINE__``, the line markers, the errors and the cost of a stray character are as they were.
    Whether :attr:`names` were all the macros there were is known after the run (:meth:`confirmed`)."""

    def __init__(self, text, names, runs, numbers, shifts, prefix, whole):
        self.text = text            # what pcpp is given
        self.names = names          # the macro names the lines were read against
        self.runs = runs            # placeholder -> the lines it stands for, as pcpp writes them
        self.numbers = numbers      # numbers[r]: the number in the whole text of line r of the text
        self.shifts = shifts        # shifts[r]: the offset in the whole text of line r, less that in .text
        self.prefix = prefix        # of every placeholder
        self.whole = whole          # the whole text as pcpp's lexer reads it
        self.length = len(whole)
        self.data = None            # what pcpp's lexer reads of .text (set when it starts)
        self._starts = None

    def text_of(self, name: str):
        """The lines a placeholder stands for (None for any other identifier)."""
        return self.runs.get(name) if name.startswith(self.prefix) else None

    def _row(self, offset: int) -> int:
        """The line (from 1) of :attr:`data` that ``offset`` is on."""
        import bisect

        if self._starts is None:
            starts, at = [], 0
            for line in self.data.split("\n"):
                starts.append(at)
                at += len(line) + 1
            self._starts = starts
        return bisect.bisect_right(self._starts, offset)

    def whole_offset(self, offset: int) -> int:
        """The offset in the whole text of an offset in :attr:`data`."""
        return offset + self.shifts[self._row(offset)]

    def where(self, offset: int) -> tuple[int, int]:
        """(line, column) in the whole text of an offset in :attr:`data`."""
        row = self._row(offset)
        return self.numbers[row], offset - self._starts[row - 1] + 1

    def confirmed(self, defined: dict) -> bool | None:
        """After a run of pcpp, which defined ``defined`` (name -> whether the parentheses of its
        replacement nest): True if the run stands (no macro that the lines were not read against is
        named in the text); None if the text names a macro whose parentheses do not nest (its
        expansion may open arguments that run on: the whole text must be read); False if it must
        be read again against more names."""
        improper = [name for name, nested in defined.items() if not nested]
        if improper and _names_re(improper).search(self.whole):
            return None
        new = [name for name in defined if name not in self.names]
        return not (new and _names_re(new).search(self.whole))


def _reduced(read: str, names, avoid: str = "") -> _Reduction | None:
    """``read`` (what pcpp is given) reduced as :class:`_Reduction` says, read against the macro
    names ``names`` and those the text defines; None when no line is inert.  No placeholder
    occurs in ``read`` or ``avoid`` (the -D definitions)."""
    import bisect
    from array import array
    from itertools import accumulate

    from pcpp.parser import trigraph

    # the lines pcpp's lexer reads (trigraphs replaced, spaces and tabs at their ends gone)
    lines = [line.rstrip(" \t") for line in (trigraph(read) if "??" in read else read).splitlines()]
    count = len(lines)
    if not count:
        return None
    whole = "\n".join(lines)
    # (each line's start, 8 bytes each: a list of Python integers was 42 MB a million lines)
    starts = array("q", accumulate(map((1).__add__, map(len, lines)), initial=0))
    names = frozenset(names) | set(_DEFINED_RE.findall(whole))

    def row(offset):  # the line (from 0) of `whole` an offset is on
        return bisect.bisect_right(starts, offset) - 1

    hot = bytearray(count)  # 1: given to pcpp as it is
    across = []  # (start, end) of each comment and string across lines, in order
    for m in _INERT_RE.finditer(whole):
        start, end = m.span(1)
        if start < 0:  # (the end)
            break
        closed = whole[start] in "\"'" if end - start > 1 else False
        if closed or end - start >= 4 and whole.startswith("/*", start):  # (a line comment is not)
            across.append((start, end))
            first, last = row(start), row(end - 1)
            hot[first:last + 1] = b"\1" * (last + 1 - first)
            continue
        line = row(start)
        if whole.startswith("/*", start):  # a comment left open: the rest is pcpp's
            hot[line:] = b"\1" * (count - line)
            break
        hot[line] = 1
        if whole[start] == "\\" and end < len(whole) and whole[end] == "\n":
            hot[line + 1] = 1  # the line it continues
    ends = [end for _, end in across]

    def code(line):  # the line without its comments, strings and constants (each a blank)
        s, e = starts[line], starts[line] + len(lines[line])
        i = bisect.bisect_right(ends, s)
        while i < len(across) and across[i][0] < e:
            if across[i][0] <= s:
                s = across[i][1]
            else:
                e = across[i][0]
            i += 1
        return _LINE_PIECES_RE.sub(" ", whole[s:e]) if s < e else ""

    # a line naming a macro, and what the name may take as arguments: up to the ) that closes
    # what was opened after it, and the next line with code, if a line ends in a name or a )
    # (the names in the order of the text, each line once; the walk stops, just after a line it
    # marked, once more than MAX_CPP_LINES lines before where it is are pcpp's: those lines are
    # final there, since a later name marks no line before it and a line spliced over where it
    # stops is all pcpp's either way, so the text is refused below at a line before it, the same
    # line as after the whole walk; 1.4 million lines naming a macro took the walk 3 s)
    covered = seen = seen_to = 0  # seen: the lines before seen_to marked pcpp's
    present = [name for name in names if name in whole] if len(names) < 64 else names
    for m in _names_re(present).finditer(whole) if present else ():
        line = row(m.start())
        if line < covered or _DIRECTIVE_RE.match(lines[line]) and not (line and lines[line - 1].endswith("\\")):
            continue  # (a directive is no macro's argument)
        depth, pending = 0, True
        while line < count and (depth or pending):
            hot[line] = 1
            if line - seen_to >= 4096:  # (a name's arguments over a million lines; stopped at a
                seen += hot.count(1, seen_to, line + 1)  # line marked, as after a name's: a line
                seen_to = line + 1                       # spliced over it is all pcpp's either way)
                if seen > MAX_CPP_LINES:
                    line += 1
                    break
            text = code(line)
            closes = text.count(")")
            if depth >= closes:  # (none closes at 0)
                depth += text.count("(") - closes
            else:
                for c in text:
                    if c == "(":
                        depth += 1
                    elif c == ")" and depth:
                        depth -= 1
            if text.endswith("\\") and line + 1 < count:  # a splice, a blank to pcpp: a name before
                text = text[:-1]                          # it takes the ( after it
            if text.strip():
                pending = _NAME_AT_END_RE.search(text) is not None
            line += 1
        covered = line
        seen += hot.count(1, seen_to, covered)
        seen_to = covered
        if seen > MAX_CPP_LINES:
            break

    # a line spliced over lines (a \\ at their ends) whose lines are inert, with code outside its
    # comments: one run of its own, the line joined as pcpp writes it (:func:`_joined`), at the line
    # of its first token written (4 MB of a\\ and a newline: 2.8 million tokens, 11.5 s and 937 MB
    # in pcpp; now one).  Any other is pcpp's, all its lines.
    spliced: list[tuple[int, int, str, int]] = []  # (first line, line after, the line joined, and
    written_at: dict[int, int] = {}  # the line its first token written is on: first line -> it)
    if "\\\n" in whole:
        for m in _SPLICED_LINE_RE.finditer(whole):
            first, last = row(m.start()), row(m.end())
            if hot.find(1, first, last + 1) < 0 and _LINE_PIECES_RE.sub(" ", m.group().replace("\\\n", "")).strip():
                joined, later = _joined(m.group())  # (comments alone are blank to pcpp)
                spliced.append((first, last + 1, joined, first + later))
            hot[first:last + 1] = b"\1" * (last + 1 - first)

    prefix = "_dtracepy_inert_"
    while prefix in whole or prefix in avoid:
        prefix += "_"
    runs: dict[str, str] = {}
    kept: list[tuple[int, int, str]] = []  # (first line, line after, placeholder)

    def take(s, e):  # the lines from offset s to offset e, blank ones at either end left out
        while s < e and whole[s] == "\n":
            s += 1
        while e > s and whole[e - 1] == "\n":
            e -= 1
        if s == e:
            return
        first, last = row(s), row(e - 1)
        if "/*" in whole[s:e] and not any(code(i).strip() for i in range(first, last + 1)):
            return  # comments alone: blank lines to pcpp
        name = f"{prefix}{len(runs)}"
        runs[name] = whole[s:e]
        kept.append((first, last + 1, name))

    at = hot.find(0)
    while 0 <= at < count:
        end = hot.find(1, at)
        end = count if end < 0 else end
        s, e = starts[at], starts[end] - 1
        for m in _BLANKS_RE.finditer(whole, s, e):
            take(s, m.start())
            s = m.end()
        take(s, e)
        at = hot.find(0, end)
    if spliced:
        for first, after, joined, at in spliced:
            name = f"{prefix}{len(runs)}"
            runs[name] = joined
            kept.append((first, after, name))
            written_at[first] = at
        kept.sort()
    # more than seven empty lines (not in a comment, string or a macro's arguments): seven of them
    # (pcpp writes a line marker after more than six, from the numbers the lines keep; it took
    # 10 us a line over 4 million of them)
    dropped = []  # (first, last) empty lines left out, in order
    for m in _EMPTY_LINES_RE.finditer(whole):
        first, last = row(m.start()), row(m.end() - 1)
        first += starts[first] != m.start()  # (the run starts at the end of a line with text)
        if hot.find(1, first + 7, last + 1) < 0:
            dropped.append((first + 7, last))
    if not runs and not dropped:
        return None
    out, numbers, shifts, offset, line = [], [0], [0], 0, 0
    gaps = iter(dropped + [(count, count)])
    gap = next(gaps)
    given = 0  # the lines given as they are
    for first, after, name in kept + [(count, count, None)]:
        i = line
        while i < first:
            if i == gap[0]:
                i, gap = gap[1] + 1, next(gaps)
                continue
            given += 1
            if given > MAX_CPP_LINES:
                raise _TooManyLines(i + 1)
            out.append(lines[i])
            numbers.append(i + 1)
            shifts.append(starts[i] - offset)
            offset += len(lines[i]) + 1
            i += 1
        if name is not None:
            out.append(name)
            numbers.append(written_at.get(first, first) + 1)
            shifts.append(starts[first] - offset)
            offset += len(name) + 1
        line = after
    # (ended by a newline: pcpp splits it into lines, and a blank last line, after a \, must stay)
    return _Reduction("\n".join(out) + "\n", names, runs, numbers, shifts, prefix, whole)


#: How many characters pcpp's lexer (PLY) may copy for the characters it cannot read before one
#: is refused: PLY copies the rest of the file for each (random bytes without a NUL, 1.2 MB under
#: check -C, took 12 s; 4 MB, minutes).  About a tenth of a second of copying.
MAX_STRAY_COPIED = 64 * MAX_INPUT_BYTES


def bound_stray_characters(lexer, refuse, cost=None) -> None:
    """Make pcpp's ``lexer`` (and the clones pcpp makes of it) call ``refuse(text, offset)``, which
    raises, at the character it cannot read once such characters have cost it more than
    :data:`MAX_STRAY_COPIED` characters of copying (``cost(tok)`` of each, if given, else what
    was copied).  ``check -C`` and ``layout`` share it."""
    lexer_error = lexer.lexerrorf
    copied = [0]

    def stray(tok):
        copied[0] += len(tok.value) if cost is None else cost(tok)
        if copied[0] > MAX_STRAY_COPIED:
            refuse(tok.lexer.lexdata, tok.lexpos)
        return lexer_error(tok)

    lexer.lexerrorf = stray


#: pcpp's lexer's rules for a string, a character constant and a comment, as its lextab spells them
#: (an alternation repeated lazily, a character at a time: Python's re keeps a frame per character,
#: 1.4 GB for a 4 MB string, 2 GB for a 4 MB comment), each with the same language in runs of
#: plain characters (no frame per character, at C speed).  Each ends where the old one ends: at the
#: first unescaped quote, at the first ``*/``; each has as many groups as the old (PLY numbers its
#: rules by their groups), empty ones in the place of those no one reads.
_LINEAR_RULES = (
    (r'\"([^\\\n]|(\\(.|\n)))*?\"', r'\"()()()[^"\\\n]*+(?:\\(?:.|\n)[^"\\\n]*+)*+\"'),
    (r"(L)?\'([^\\\n]|(\\(.|\n)))*?\'", r"(L)?\'()()()[^'\\\n]*+(?:\\(?:.|\n)[^'\\\n]*+)*+\'"),
    (r"(/\*(.|\n)*?\*/)", r"(/\*()[^*]*+(?:\*+[^*/][^*]*+)*+\*+/)"),
)


def bound_token_patterns(lexer) -> None:
    """Make pcpp's ``lexer`` (and the clones pcpp makes of it) read a string, a character constant
    and a comment in memory and time linear in nothing but their count (:data:`_LINEAR_RULES`): a
    4 MB string under ``check -C`` cost 1.4 GB where ``_prepared`` could not hold it out of pcpp's
    sight (a ``_Pragma`` anywhere, a backslash in it, a header's).  ``check -C`` and ``layout``
    share it."""
    made = []
    for regex, index in lexer.lexre:
        pattern = regex.pattern
        for old, new in _LINEAR_RULES:
            pattern = pattern.replace(old, new)
        made.append((re.compile(pattern, regex.flags) if pattern != regex.pattern else regex, index))
    lexer.lexre = lexer.lexstatere["INITIAL"] = made


# what stands between two tokens of a line and holds a splice: blanks and splices (a blank after a
# blank only at the start: each run of blanks is taken whole, once); a splice that may not be
# deleted alone (blanks or a splice beside it, a backslash after it)
_GAP_RE = re.compile(r"(?<![ \t])[ \t]*+\\\n(?:[ \t]*+\\\n)*+[ \t]*+")
_GAP_PIECE_RE = re.compile(r"[ \t]+|\\\n")
_NOT_ALONE_RE = re.compile(r"[ \t]\\\n|\\\n[ \t\\]")
_PCPP_WS = ("CPP_WS", "CPP_WS", "CPP_LINECONT")  # (pcpp's t_WS: blanks, the newline, a splice)


class _GapToken:
    """A token of a gap (:func:`_written_gap`), as pcpp's lexer makes it: its type, its value, and
    the line (from the gap's first) it stands on."""

    def __init__(self, type_: str, value: str, row: int):
        self.type, self.value, self.row = type_, value, row


def _joined(line: str) -> tuple[str, int]:
    """What pcpp's ``write()`` makes of ``line``, a line spliced over lines (each ``\\`` + newline
    a splice: the lines' blanks at their ends are gone) all of whose tokens it copies (no macro
    is named, no comment or string crosses a splice, there is code outside its comments), and the
    line (from its first) of the first token written, where pcpp writes it.  A splice right after
    a token is deleted, and nothing else (4 MB of ``a\\`` lines: at C speed); one beside blanks
    or another splice as pcpp's :func:`_spliced_out` and ``write()`` take it (:func:`_written_gap`:
    each such stretch between two tokens on its own, for nothing outside it changes it)."""
    if not line.startswith("\\\n") and _NOT_ALONE_RE.search(line) is None:
        return line.replace("\\\n", ""), 0
    written: dict = {}
    later = [0]

    def gap(m):
        key = (m.group(), m.start() == 0, m.end() == len(line))
        made = written.get(key)
        if made is None:
            made = written[key] = _written_gap(*key)
        if key[1]:
            later[0] = made[1]
        return made[0]

    return _GAP_RE.sub(gap, line), later[0]


def _written_gap(gap: str, start: bool, end: bool) -> tuple[str, int]:
    """What pcpp's ``write()`` makes of ``gap`` (blanks and splices) between two tokens of a line
    (``start``: at the line's start; ``end``: at its end), with the splices taken out by
    :func:`_spliced_out` and its blanks gathered as ``write()`` gathers them (a run of blank
    tokens is its last one, but at the line's start); and the line (from the gap's first) of the
    line's first token written, when ``start``."""
    toks = [] if start else [_GapToken("CPP_ID", "x", 0)]
    row = 0
    for piece in _GAP_PIECE_RE.findall(gap):
        if piece == "\\\n":
            toks.append(_GapToken("CPP_LINECONT", "", row))
            row += 1
        else:
            toks.append(_GapToken("CPP_WS", piece, row))
    toks += ([] if end else [_GapToken("CPP_ID", "y", row)]) + [_GapToken("CPP_WS", "\n", row)]
    first = next(i for i, tok in enumerate(toks) if tok.type == "CPP_LINECONT")
    toks = toks[:first] + _spliced_out(toks[first - 1] if first else None, toks[first:], _PCPP_WS, "CPP_LINECONT")
    # (write()'s: each run of blank tokens, or of no characters, but the first, is its last token)
    first_ws = None
    for n in range(len(toks) - 1, -1, -1):
        tok = toks[n]
        if first_ws is None:
            if tok.type in "CPP_WS" or len(tok.value) == 0:
                first_ws = n
        elif tok.type not in "CPP_WS" and len(tok.value) > 0:
            del toks[n + 1:first_ws]
            first_ws = None
    text = "".join(tok.value for tok in toks)[:-1]  # (the newline)
    text = text if start else text[1:]
    return (text if end else text[:-1]), toks[0].row


def _spliced_out(before, toks: list, ws, linecont) -> list:
    """``toks``, a line's tokens from a splice (``\\`` at a line's end) to its end, as pcpp's
    ``write()`` leaves them (``before``: the token before them on the line, or None): each splice
    taken out, and where blanks stand on both sides of it, those after it too and those before it
    cut to their first character; one whose token before it is a splice too, kept, as pcpp keeps
    it (a blank of no characters).  pcpp does it a ``del`` at a time from the end, here on a stack
    (its order: the token before a splice is changed before it is looked at itself)."""
    kept: list = []  # what follows the token at hand, the nearest last
    for n in range(len(toks) - 1, -1, -1):
        tok = toks[n]
        if tok.type != linecont:
            kept.append(tok)
            continue
        prior = toks[n - 1] if n else before
        if prior is not None and len(kept) >= 2 and prior.type in ws and kept[-1].type in ws:
            if prior.type != linecont:
                prior.value = prior.value[0]
                kept.pop()
            else:
                kept.append(tok)
    out = kept[::-1]
    for i, tok in enumerate(out):
        if tok.type == linecont:  # (kept: write() must not look at it again, and it is a blank)
            out[i] = tok = _copy.copy(tok)
            tok.type = ws[0]
    return out


def _said(errors) -> list:
    """The errors pcpp recorded (:func:`preprocess`'s) that are said, in its words made cpp's."""
    return [(file, line, f"C preprocessor: {message}", col) for file, line, message, col in errors
            if "not found" not in message]


#: pcpp's evaluator names the token it stopped at: ``SyntaxError("around token '2' type ...")``.
_AROUND_TOKEN = re.compile(r"""around token '(.*?)' type """)


def _if_column(line: str | None, message: str, col: int | None, word: str | None = None) -> int | None:
    """The column an error in an ``#if``'s (``#elif``'s) expression on ``line`` is at, as cpp
    names it: ``col``, that of the token it is about, when known (a token of the line itself, not
    of a macro); the token pcpp's evaluator stopped at; the end of the line when the expression
    ended too soon (cpp: ``#if 1 +`` "operator '+' has no right operand" after the ``+``); the
    token's text ``word`` where the line spells it (a token a macro made: ``__has_include``); else
    the expression's first token (cpp names the macro's name there).  None for a line not known."""
    if col is not None or line is None:
        return col
    directive = re.match(r"[ \t]*(?:#|%:)[ \t]*(?:el)?if[ \t]*", line)
    start = directive.end() if directive else 0
    around = _AROUND_TOKEN.search(message)
    if message == "division by zero in #if":  # (at its operator, as cpp says `#if 1/0`'s; of two,
        division = re.search(r"[/%]", line[start:])  # the first, where cpp may name the other)
        if division is not None:
            return start + division.start() + 1
    for word in (around[1] if around is not None else None, word):
        found = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)" if word.isidentifier() else re.escape(word)).search(
            line, start) if word else None
        if found is not None:
            return found.start() + 1
    if "SyntaxError('at EOF')" in message:
        return len(line.rstrip(" \t")) + 1
    return start + 1 if start < len(line) else None


class _Refused(Exception):
    """Raised inside pcpp to stop it; carries a located message."""

    def __init__(self, message: str, file: str | None, line: int | None, col: int | None = None):
        super().__init__(message)
        self.message, self.file, self.line, self.col = message, file, line, col


#: Headers of the C and POSIX standards, which every system has (some spelled ``"stdio.h"``).
STANDARD_HEADERS = frozenset("""
    assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h limits.h locale.h math.h
    setjmp.h signal.h stdalign.h stdarg.h stdatomic.h stdbool.h stddef.h stdint.h stdio.h stdlib.h
    stdnoreturn.h string.h tgmath.h threads.h time.h uchar.h wchar.h wctype.h
    aio.h alloca.h arpa/inet.h byteswap.h cpio.h dirent.h dlfcn.h elf.h endian.h fcntl.h features.h
    fnmatch.h glob.h grp.h iconv.h langinfo.h libgen.h link.h malloc.h monetary.h mqueue.h ndbm.h
    netdb.h nl_types.h poll.h pthread.h pwd.h regex.h sched.h search.h semaphore.h spawn.h
    strings.h stropts.h syslog.h tar.h termios.h thread.h ucontext.h ulimit.h unistd.h utime.h
    utmpx.h wordexp.h
""".split())

#: The directories of system headers on the systems DTrace runs on (``<sys/vnode.h>``,
#: ``<inet/common.h>``, ``<netinet/in.h>``, ``<linux/sched.h>``, ``<dtrace/dif_defines.h>`` ...).
SYSTEM_HEADER_DIRS = frozenset("""
    sys netinet netinet6 inet net arpa vm machine dtrace linux asm asm-generic bits rpc rpcsvc kern
    mach libkern i386 amd64 x86 uvm security fs nfs ufs xen crypto bsm contrib isofs ipp
""".split())


def system_include_dirs() -> list[str]:
    """Where cpp looks for ``<...>`` headers on this machine (those of them that exist)."""
    import sysconfig

    multiarch = sysconfig.get_config_var("MULTIARCH")
    dirs = ["/usr/local/include"] + ([f"/usr/include/{multiarch}"] if multiarch else []) + ["/usr/include"]
    return [d for d in dirs if os.path.isdir(d)]


def system_header(name: str) -> bool:
    """Is ``name`` (as written between ``<>`` or quotes) a system header: a standard one, one in a
    system directory (``sys/``, ``netinet/`` ...), or one in this machine's include directories?"""
    if name in STANDARD_HEADERS:
        return True
    if "/" in name and name.split("/", 1)[0] in SYSTEM_HEADER_DIRS:
        return True
    return any(os.path.isfile(os.path.join(d, name)) for d in system_include_dirs())


_INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])')


def include_column(line: str | None) -> int | None:
    """The column of the header's name (its ``<`` or ``"``) on an ``#include`` line."""
    m = _INCLUDE_RE.match(line or "")
    return m.start(1) + 1 if m else None


def empty_directive_message(directive: str) -> str:
    """What cpp says of a directive written without what it needs (``#undef``, ``#if`` alone),
    which pcpp reads past the end of (an IndexError) instead of refusing: gcc's words."""
    if directive in ("define", "undef", "ifdef", "ifndef"):
        return f"no macro name given in #{directive} directive"
    return "empty expression" if directive in ("if", "elif") else f"malformed #{directive} directive"


def missing_header_message(name: str) -> str:
    return (f"{name}: no such file (looked in the including file's directory and the -I "
            "directories; it is not a system header either)")


def beside_message(name: str, folder: str) -> str | None:
    """Why a quoted header ``name`` of the script is not found when it is in the script's
    ``folder``; None when it is not there either."""
    if not os.path.isfile(os.path.join(folder, name)):
        return None
    return (f"{name}: dtrace -C will not find it beside the script: it gives cpp the script through "
            f"/dev/stdin, so cpp looks for a quoted header in /dev, then in the -I directories (add -I "
            f"{folder or '.'})")


def preprocess(text: str, filename: str = "<string>", include_dirs=(), defines=(), warnings=None,
               in_place: bool = False):
    """Run the C preprocessor over D text.  Returns ``(output_text, line_map)`` where
    ``line_map[i]`` is ``(file, line)``, where output line ``i + 1`` came from.  Each ``#warning``
    reached is ``(Pos, message)`` added to ``warnings`` (or to :func:`collected_warnings`' list),
    and printed to standard error as cpp prints it when there is neither.  ``in_place``: keep each
    line at its own number when that can be done (no header's lines, no ``#line`` back): each
    line marker is then the blank lines it stands for, and the map says so (:func:`same_lines`),
    which costs the parser nothing to ask (a map of 4 MiB of D cost it a second)."""
    plain = _plain(text, defines)
    if plain is not None:  # (nothing for the preprocessor to do: dense D of 4 MiB took 55 s in pcpp)
        return plain, _Identity(filename, plain.count("\n") + 1)
    # (imported only now: pcpp, ply and what they import cost every `check -C` of a text with
    # nothing for the preprocessor to do some 90 M instructions)
    from pcpp import Action, OutputDirective, Preprocessor

    from dtracepy.cpp_assertions import AssertionProblem, Assertions

    if warnings is None:
        warnings = _WARNINGS.get()

    lines = text.splitlines()
    read, held = _prepared(text, filename)

    def run(reduction, found: list, defined: dict, spoiled: list):
        """One run of pcpp over ``read`` (or its reduction, :class:`_Reduction`): its
        ``(output, line_map)``.  Each #warning reached is added to ``found``; each macro defined to
        ``defined`` (name -> whether the parentheses of its replacement nest); ``spoiled`` is made
        true by a header that holds the reduction's placeholders' prefix."""
        errors: list[tuple[str, int, str, int | None]] = []  # (file, line, message, column)
        budget = {"read": len(text.encode("utf-8", "surrogatepass")), "expanded": 0, "included": 0, "splices": 0,
                  "tokens": 0}

        texts: dict[str, list[str]] = {}  # an included file's absolute path -> its lines
        marks = LineMarks(filename)  # how the main file's #line directives name its lines (cpp's way)
        unread = [reduction] if reduction is not None else []

        class _Cpp(Preprocessor):
            def on_include_not_found(self, is_malformed, is_system_include, curdir, includepath):
                if is_malformed or system_header(includepath):
                    raise OutputDirective(Action.IgnoreAndPassThrough)  # kept as written
                file, line = self._where()
                source = lines if _main(file) else texts.get(os.path.abspath(file), [])
                text = source[line - 1] if line and 0 < line <= len(source) else None
                message = missing_header_message(includepath)
                if _main(file) and not is_system_include:
                    message = beside_message(includepath, os.path.dirname(filename)) or message
                raise _Refused(message, file, line, include_column(text))

            def on_error(self, file, line, msg):
                if file == "unknown" and not line and self.lastdirective is not None:
                    # pcpp's "Empty expression" (#if alone) names no place: the #if's, in gcc's words
                    (file, line), msg = self._where(), empty_directive_message(self.lastdirective.value)
                if msg.startswith("Could not evaluate expression due to ZeroDivisionError"):
                    msg = "division by zero in #if"  # (cpp's words, not pcpp's evaluator's)
                tok, self.error_token = self.error_token, None
                errors.append((file, line, msg, _if_column(_line_of(file, line), msg, tok and _column_of(tok),
                                                           tok and tok.value)))

            error_token = None  # (the token an error of the #if's expression is at: see on_error)

            def warn_at(self, tok, message):
                """A warning of cpp's about the token ``tok`` of the #if's expression, at its column."""
                file, line = self._where()
                col = _if_column(_line_of(file, line), message, _column_of(tok), tok.value)
                found.append((located(message, file, line, col).pos, message))

            def group_lines(self, input, abssource):
                # pcpp's, but a line loses only the blanks cpp knows (space and tab) at its end, not
                # every Unicode space (str.rstrip): dtrace -C reads "quiet\xa0" as the option's name
                lex = self.lexer.clone()
                data = "\n".join(x.rstrip(" \t") for x in input.splitlines())
                lex.input(data)
                lex.lineno = 1
                reduced = unread.pop() if unread else None  # (the main file is read first)
                if reduced is not None:
                    reduced.data = data
                    numbers, shifts = reduced.numbers, reduced.shifts
                current_line = []
                made = budget["tokens"]  # (kept in the budget at each line given out: a header read
                while True:               # then counts its own)
                    tok = lex.token()
                    if not tok:
                        break
                    tok.source = abssource
                    if reduced is not None:  # where it stands in the whole text
                        tok.lexpos += shifts[tok.lineno]
                        tok.lineno = numbers[tok.lineno]
                    made += 1
                    if made > MAX_CPP_TOKENS:
                        self._too_many_tokens(tok, abssource)
                    if tok.type == self.t_LINECONT:
                        budget["splices"] += 1
                        if budget["splices"] > MAX_SPLICES:
                            self._too_many_splices(tok, abssource)
                    current_line.append(tok)
                    if tok.type in self.t_WS and tok.value == "\n":
                        budget["tokens"] = made
                        yield current_line
                        made = budget["tokens"]
                        current_line = []
                budget["tokens"] = made
                if current_line:
                    nltok = _copy.copy(current_line[-1])
                    nltok.type = self.t_NEWLINE
                    nltok.value = "\n"
                    current_line.append(nltok)
                    yield current_line

            def _too_many_splices(self, tok, source):
                """A located error at the splice ``tok`` past :data:`MAX_SPLICES` (at its ``\\``)."""
                at = _line_of(source, tok.lineno)
                at = at.rstrip(" \t") if at is not None else None
                col = None if not at else len(at) - 2 if at.endswith("??/") else len(at)
                raise _Refused(f"more than {MAX_SPLICES:,} lines spliced (a \\ at a line's end) for the C "
                               "preprocessor to read; dtracepy stops there (its preprocessor makes two tokens "
                               "of each: a line spliced over a million lines took it half a minute and over "
                               "a gigabyte)", source, tok.lineno, col)

            def _too_many_tokens(self, tok, source):
                """A located error at the token ``tok`` past :data:`MAX_CPP_TOKENS`."""
                raise _Refused(f"more than {MAX_CPP_TOKENS:,} tokens (blanks and line ends included) for the "
                               "C preprocessor to read (a run of lines it would only copy is one); dtracepy "
                               "stops there (its preprocessor takes about 4 microseconds and 250 bytes a "
                               "token: 4 MB of lines naming a macro took it 15 s and a gigabyte)",
                               source, tok.lineno, _column_of(tok))

            def on_unknown_macro_in_defined_expr(self, tok):
                # (#ifdef __LINE__, defined(__has_builtin): gcc's cpp knows them as defined)
                return tok.value in DEFINED_SPECIALS

            def evalexpr(self, tokens):
                if any(tok.value == "#" for tok in tokens):  # #machine(x86_64): cpp's assertions
                    try:
                        tokens = self.assertions.replaced(tokens)
                    except AssertionProblem as err:
                        file, line = self._where()
                        said = str(err)     # ("#if #machine(x): ...", "#if: missing ')' ...")
                        head = f"#{self.lastdirective.value}" if self.lastdirective is not None else "#if"
                        raise _Refused(f"{head}{' ' if said.startswith('#') else ': '}{said}", file, line) from None
                return super().evalexpr(tokens)

            def on_comment(self, tok):
                # A /* */ comment is kept (D reads it, and a "dtracepy: disable" one means something);
                # a // comment, which cpp removes and D has not, becomes the blank cpp leaves (pcpp's
                # own replacement is a newline, which would shift every later line by one).
                if tok.type == self.t_COMMENT2:
                    tok.value = " "
                return True

            def _where(self):
                d = self.lastdirective
                return (getattr(d, "source", None), getattr(d, "lineno", None)) if d is not None else (None, None)

            def on_file_open(self, is_system_include, includepath):
                st = os.stat(includepath)  # OSError (IOError): not there, pcpp tries the next directory
                if stat.S_ISDIR(st.st_mode):
                    raise IsADirectoryError(includepath)
                if not stat.S_ISREG(st.st_mode):
                    raise _Refused(f"#include of {includepath}, which is not a regular file", *self._where())
                budget["included"] += 1
                if budget["included"] > MAX_INCLUDES:
                    raise _Refused(f"#include of {includepath}: more than {MAX_INCLUDES:,} files included; "
                                   "dtracepy stops there (do the headers include each other over and over?)",
                                   *self._where())
                with open(includepath, "rb") as handle:
                    data = handle.read(MAX_INPUT_BYTES + 1 - budget["read"])
                    more = handle.read(1)
                budget["read"] += len(data)
                if more or budget["read"] > MAX_INPUT_BYTES:
                    raise _Refused(f"#include of {includepath}: the input with its includes is over "
                                   f"{LIMIT_TEXT}; dtracepy reads at most {LIMIT_TEXT}", *self._where())
                # bytes, as cpp reads them: one that is not UTF-8 held as surrogateescape holds it
                decoded = data.decode("utf-8", "surrogateescape")
                decoded = decoded[1:] if decoded.startswith("\ufeff") else decoded
                if reduction is not None and reduction.prefix in decoded:
                    spoiled.append(includepath)
                texts[os.path.abspath(includepath)] = decoded.splitlines()
                return io.StringIO(decoded)

            def expand_macros(self, tokens, expanding_from=[]):  # noqa: B006 - pcpp's signature
                before = len(tokens)
                if not expanding_from and tokens:  # the line being expanded, for the error below
                    budget["at"] = (getattr(tokens[0], "source", None), getattr(tokens[0], "lineno", None))
                out = super().expand_macros(tokens, expanding_from)
                budget["expanded"] += max(0, len(out) - before)
                if budget["expanded"] > MAX_EXPANSION:
                    raise _Refused(f"macro expansion makes more than {MAX_EXPANSION:,} tokens; dtracepy "
                                   "stops there (are the macros exponential?)", *budget.get("at", (None, None)))
                return out

            def on_directive_unknown(self, directive, toks, ifpassthru, precedingtoks):
                if directive.value == "error":
                    message = _restored("".join(tok.value for tok in toks), held).strip()
                    raise _Refused(f"#error {message}".rstrip(), directive.source, directive.lineno)
                if directive.value == "warning":
                    message = "#warning " + _restored("".join(tok.value for tok in toks), held).strip()
                    file, line = directive.source, directive.lineno
                    m = _WARNING_RE.match(_line_of(file, line) or "")
                    pos = located(message, file, line, m.end() - len("warning") + 1 if m else None).pos
                    found.append((pos, message.rstrip()))
                    return True  # (the line is dropped, as cpp drops it)
                if directive.value in ("assert", "unassert"):
                    # (predicates for #if, which pcpp has not: dtracepy.cpp_assertions)
                    try:
                        getattr(self.assertions, directive.value + ("_" if directive.value == "assert" else ""))(toks)
                    except AssertionProblem as err:
                        raise _Refused(f"#{directive.value}: {err}", directive.source, directive.lineno) from None
                    return True  # (cpp consumes them; pcpp would pass them on to D)
                if directive.value == "sccs":
                    # (cpp consumes it: #sccs is #ident, which dtrace ignores)
                    return True
                if directive.value == "import":  # (#include once, which pcpp does not know)
                    raise _Refused("#import is not read by dtracepy's preprocessor (dtrace -C reads it as "
                                   "an #include of a file not included before, a deprecated GCC "
                                   "extension): write #include, with an include guard in the header",
                                   directive.source, directive.lineno)
                number = directive.value if directive.value.isdigit() else next(
                    (tok.value for tok in toks if not tok.value.isspace()), "") if directive.value == "line" else ""
                if directive.value == "line":  # (its first word: pcpp's tokens split 1a; a quote
                    # ends it, as in cpp: #line 5"x")
                    number = (line_words("".join(tok.value for tok in toks)) or [""])[0]
                if directive.value == "line" and not number.isdigit():
                    # (cpp takes a digit sequence only: "#line 0x10" and "#line 1a" stop dtrace -C)
                    from dtracepy.facts.options import line_problem

                    raise _Refused(line_problem([number] if number else [], cpp=True), directive.source,
                                   directive.lineno)
                if number.isdigit() and line_number(number) is None:
                    file, line = directive.source, directive.lineno
                    source_line = _line_of(file, line) or ""
                    at = source_line.find(number[:40])
                    message = (f"#line {number}: a line number goes up to {MAX_LINE_NUMBER}, and cpp keeps "
                               "it in 32 bits, so dtrace would name the lines below by a number wrapped "
                               f"around ({MAX_LINE_NUMBER + 1} as -{MAX_LINE_NUMBER + 1}, 4294967295 as -1); "
                               "dtracepy ignores the directive and names them by their lines in the file")
                    found.append((located(message, file, line, at + 1 if at >= 0 else None).pos, message))
                    return True  # (the line is dropped: the lines below keep their own numbers)
                if number.isdigit() and _main(directive.source):
                    # The main file's own #line (or line marker `# 20 "f"`): cpp names the line after
                    # it by it, whatever pcpp writes later (its markers count the file's lines, and
                    # one written after a skipped #if undid the #line).  Kept in ``marks`` (the
                    # output keeps the file's lines; the map names them), the line dropped.
                    words = line_words("".join(tok.value for tok in toks))
                    named = words[1] if directive.value == "line" and len(words) > 1 else \
                        words[0] if directive.value != "line" and words else ""
                    marks.add(directive.lineno + 1,
                              _shown(named[1:-1], filename) if named[:1] == '"' == named[-1:] and len(named) > 1
                              else None, line_number(number))
                    return True
                return super().on_directive_unknown(directive, toks, ifpassthru, precedingtoks)

            ahead: list = []  # (reversed) the rest of a line read ahead past a splice
            last = None  # the token given before, on the line being written (None at its start)

            def token(self):
                tok = self.ahead.pop() if self.ahead else self._made_token()
                if tok is not None and tok.type == self.t_LINECONT and not self.ahead:
                    # (pcpp's write() takes each splice out of a list of the line's tokens: time the
                    # square of their count, 235 s for 1.4 million; taken out here as it would)
                    line = [tok]
                    while not line[-1].value.startswith("\n"):
                        more = self._made_token()
                        if more is None:
                            break
                        line.append(more)
                    self.ahead = _spliced_out(self.last, line, self.t_WS, self.t_LINECONT)[::-1]
                    tok = self.ahead.pop() if self.ahead else None  # (None: splices alone, at the end)
                self.last = None if tok is None or tok.value.startswith("\n") else tok
                return tok

            def _made_token(self):
                tok = super().token()
                if tok is not None and tok.type == "CPP_ID":
                    if tok.value == "_Pragma":
                        return self._pragma_operator(tok)
                    if reduction is not None:
                        stood = reduction.text_of(tok.value)
                        if stood is not None:  # the lines a placeholder stands for, written as pcpp
                            made = _copy.copy(tok)  # writes a comment: counting its lines
                            made.type, made.value = self.t_COMMENT1, stood
                            return made
                return tok

            def define(self, tokens):
                super().define(tokens)
                named = self.tokenize(tokens) if isinstance(tokens, str) else tokens
                if named:
                    macro = self.macros.get(named[0].value)
                    nested = macro is None or _nested(macro.value)
                    defined[named[0].value] = defined.get(named[0].value, True) and nested

            def _pragma_operator(self, first):
                """``_Pragma ( "string" )`` (an ``L``/``u8``/``u``/``U`` prefix allowed) as the
                ``#pragma`` line it stands for: the string destringized, as cpp does it (C11 6.10.9)."""
                def solid():
                    while True:
                        tok = super(_Cpp, self).token()
                        if tok is None or tok.type not in self.t_WS:
                            return tok

                opening = solid()
                string = solid() if opening is not None and opening.value == "(" else None
                if string is not None and string.type == "CPP_ID" and string.value in ("L", "u8", "u", "U"):
                    string = solid()
                closing = solid() if string is not None and string.type == self.t_STRING else None
                if closing is None or closing.value != ")":
                    raise _Refused(_PRAGMA_MESSAGE, first.source, first.lineno, _column_of(first))
                made = _copy.copy(first)
                made.type = self.t_STRING
                made.value = _PragmaText("#pragma " + _DESTRINGIZED_RE.sub(r"\1", string.value[1:-1]))
                made.value.resume = _column_of(closing)
                return made

        def _main(file) -> bool:  # (pcpp names the main file relative to the working directory)
            return not file or file in ("<string>", filename) or os.path.abspath(file) == os.path.abspath(filename)

        def _line_of(file, line):
            source = lines if _main(file) else texts.get(os.path.abspath(file), [])
            return source[line - 1] if line and 0 < line <= len(source) else None

        def _column_of(tok):
            """The column of a token of the main file at its own line (None for one a macro made:
            its offset is in the macro's definition)."""
            source_line = _line_of(tok.source, tok.lineno)
            if source_line is None or not _main(tok.source):
                return None
            start = sum(len(x) + 1 for x in lines[:tok.lineno - 1])  # (lines end at \n: splitlines aside)
            col = tok.lexpos - start + 1
            return col if 0 < col <= len(source_line) and source_line[col - 1:].startswith(tok.value) else None

        def located(message, file, line, col=None):
            if not _main(file):
                return DSyntaxError(message, Pos(_shown(file, filename), line or 1, col or 1))
            # (the main file's line as its #line directives name it; its text, the file's own line)
            source_line = lines[line - 1] if line and 0 < line <= len(lines) else None
            named, number = marks(line) if line and marks.starts else (filename, line)
            return DSyntaxError(message, Pos(_shown(named, filename), number or 1, col or 1), source_line)

        def all_located(said):
            """The errors ``said`` ((file, line, message, column) each), as one error showing them all."""
            first, *rest = (located(message, file, line, col) for file, line, message, col in said)
            first.also = tuple(rest)
            return first

        cpp = _Cpp()
        cpp.evaluator = _GccConstants(cpp.evaluator, cpp)
        cpp.line_directive = "#line"
        cpp.assertions = Assertions(cpp)

        def refuse_stray(data, offset):
            start = data.rfind("\n", 0, offset) + 1
            line, col = data.count("\n", 0, offset) + 1, offset - start + 1
            if reduction is not None and data is reduction.data:
                line, col = reduction.where(offset)
            raise _Refused(f"stray '{shown_name(data[offset])}' in the input (is this a binary file?)",
                           getattr(cpp, "source", None) or filename, line, col)

        def copied(tok):  # what pcpp's lexer copied for a character it cannot read: the rest of the
            if reduction is not None and tok.lexer.lexdata is reduction.data:  # whole text
                return reduction.length - reduction.whole_offset(tok.lexpos)
            return len(tok.value)

        # D's characters that C has not, which pcpp's lexer reads as one character each, as it reads
        # a stray one, but without copying the rest of the text for each
        if "$" not in cpp.lexer.lexliterals:
            cpp.lexer.lexliterals += "$@`"
        bound_stray_characters(cpp.lexer, refuse_stray, copied)
        bound_token_patterns(cpp.lexer)
        for directory in include_dirs:
            cpp.add_path(directory)
        _predefine(cpp)
        for define in defines:
            name, _, value = define.partition("=")
            cpp.define(f"{name} {value or '1'}")
        out = _CappedWriter(filename, held)
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 10 * MAX_PAREN_NESTING + 5_000))  # (pcpp recurses per level)
        try:
            cpp.parse(read if reduction is None else reduction.text, source=filename)
            # dtrace -C runs cpp on /dev/stdin: a quoted header is not looked for beside the script
            # (nor in the working directory, pcpp's choice when it has nowhere to look)
            cpp.temp_path[:1] = [os.path.join(os.devnull, "")]
            cpp.write(out)
        except _Refused as err:
            # (with the errors read before it, in their order: cpp reads on past an error in an
            # #if, and an #error its #else reaches says its own after it)
            raise all_located([*_said(errors), (err.file, err.line, err.message, err.col)]) from None
        except RecursionError:
            raise DSyntaxError("C preprocessor: nested too deeply (a file that includes itself, or recursive "
                               "macros)", Pos(filename, 1, 1)) from None
        except Exception as err:  # noqa: BLE001 - pcpp raises assorted errors on bad input
            file, line = cpp._where()
            if isinstance(err, IndexError) and line is not None:  # (pcpp reads the first token
                # after #define, #undef, #if ... unchecked)
                raise located(f"C preprocessor: {empty_directive_message(cpp.lastdirective.value)}", file,
                              line) from None
            from dtracepy.inputs import describe_exception

            raise DSyntaxError(f"C preprocessor: {describe_exception(err)}", Pos(filename, 1, 1)) from None
        finally:
            sys.setrecursionlimit(limit)
        if _said(errors):
            raise all_located(_said(errors))

        written, line_map = _mapped(out.getvalue(), out.pragmas, filename, len(lines) + 1 if in_place else 0)
        if marks.starts:
            line_map = _Named(line_map, marks)
        return _restored(written, held), line_map

    def refused(line: int):
        """The located refusal at ``line`` of a text past :data:`MAX_CPP_LINES` (its first column
        with a character; the file's own line: the #line directives are not read yet)."""
        source_line = lines[line - 1] if 0 < line <= len(lines) else None
        stripped = source_line.lstrip(" \t") if source_line else ""
        col = len(source_line) - len(stripped) + 1 if stripped else 1
        return DSyntaxError(too_many_lines_message(), Pos(_shown(filename, filename), line, col), source_line)

    def reduced(names):
        try:
            return _reduced(read, names, "\n".join(defines))
        except _TooManyLines as err:
            raise refused(err.line) from None

    def bounded():
        """Refuse a text given to pcpp whole, where a reduction was called for (none made: every
        line pcpp's; or one given up: a macro whose parentheses do not nest named, a header holding
        the placeholders' prefix), with more than :data:`MAX_CPP_LINES` lines."""
        if len(lines) > MAX_CPP_LINES or read.count("\n") > MAX_CPP_LINES:  # (pcpp splits as splitlines)
            if len(read.splitlines()) > MAX_CPP_LINES:
                raise refused(MAX_CPP_LINES + 1)

    reduction, tries = None, 0
    if len(read) >= REDUCE_FROM:
        reduction = reduced(_known_names(defines))
    while True:
        if reduction is None and len(read) >= REDUCE_FROM:
            bounded()
        found: list = []  # the #warnings reached: given out once the run is known to stand
        defined: dict = {}
        spoiled: list = []
        try:
            made, failed = run(reduction, found, defined, spoiled), None
        except DSyntaxError as err:
            made, failed = None, err
        if reduction is not None:
            verdict = None if spoiled or tries >= 2 else reduction.confirmed(defined)
            if verdict is not True:  # (a macro was read against lines taken for inert: again)
                reduction = None if verdict is None else reduced(reduction.names | set(defined))
                tries += 1
                continue
        break
    # (each run's classes hold these in reference cycles until a collection, which the parser puts
    # off while it reads the output: 30 MB of 4 MiB's lines through its peak)
    lines = read = held = reduction = None
    for pos, message in found:
        if warnings is not None:
            warnings.append((pos, message))
        else:
            print(f"{pos}: warning: {message}", file=sys.stderr)
    if failed is not None:
        raise failed
    return made


#: The largest line number a ``#line`` directive may give (C's limit; cpp and dtrace keep it in 32
#: bits, and a larger one comes out wrapped: 2147483648 is dtrace's line -2147483648).
MAX_LINE_NUMBER = 2**31 - 1


def line_number(digits: str) -> int | None:
    """The line number a ``#line`` directive's (or a line marker's) decimal ``digits`` give; None
    beyond :data:`MAX_LINE_NUMBER` (the directive is then dropped, with a warning, before the
    output is read: :func:`preprocess`)."""
    digits = digits.lstrip("0") or "0"
    if len(digits) > 10:
        return None
    value = int(digits)
    return value if value <= MAX_LINE_NUMBER else None


def _marker_line(digits: str, current: int) -> int:
    """The line a line marker of pcpp's output sets: its number (beyond :data:`MAX_LINE_NUMBER`
    only if no directive of the text made it, never so far: ``current``, the line it stands on)."""
    found = line_number(digits)
    return current if found is None else found


def _mapped(written: str, spans, filename: str, in_place: int = 0):
    """pcpp's output ``written`` without its line markers, and its line map (:func:`preprocess`);
    ``spans``: ``(start, end, resume)`` of each ``#pragma`` a ``_Pragma`` operator made in it,
    which is made a line of its own (:func:`_mapped_lines`).  Lines are taken as they are, a
    segment between line markers at a time, but where there are such ``#pragma``s.  With
    ``in_place`` (the number of lines of the main file, plus one), each line is kept at its
    number when the markers allow it (:func:`_in_place`)."""
    if spans:
        return _mapped_lines(written, spans, filename)
    if in_place:
        made = _in_place(written, filename, in_place)
        if made is not None:
            return made
    result_lines: list[str] = []
    line_map: list[tuple[str, int]] = []
    current, current_file, at, end = 1, filename, 0, len(written)
    for m in _LINE_MARK_RE.finditer(written):
        current = _taken(written[at:m.start()], result_lines, line_map, current, current_file)
        current = _marker_line(m.group(1), current)
        if m.group(2) is not None:
            current_file = _shown(m.group(2), filename)
        result_lines.append("")
        line_map.append((current_file, current))
        at = written.find("\n", m.end())
        at = end + 1 if at < 0 else at + 1
    if at <= end:
        _taken(written[at:] + "\n", result_lines, line_map, current, current_file)
    return "\n".join(result_lines), line_map


def _in_place(written: str, filename: str, most: int):
    """pcpp's output ``written`` with each line at its own number of ``filename``, each line
    marker made the blank lines it stands for, and an identity map; None if a marker names
    another file, goes back, or goes past line ``most``."""
    result_lines: list[str] = []
    current, at, end = 1, 0, len(written)
    for m in _LINE_MARK_RE.finditer(written):
        current = _taken(written[at:m.start()], result_lines, None, current, filename)
        line = _marker_line(m.group(1), current)
        if m.group(2) is not None and _shown(m.group(2), filename) != filename or not current <= line <= most:
            return None
        result_lines += [""] * (line - current)
        current = line
        at = written.find("\n", m.end())
        at = end + 1 if at < 0 else at + 1
    if at <= end:
        _taken(written[at:] + "\n", result_lines, None, current, filename)
    return "\n".join(result_lines), _Identity(filename, len(result_lines))


class _Named:
    """A line map (:func:`preprocess`'s) whose main file's lines are named by its own ``#line``
    directives: ``base``, the map of the file's lines as pcpp counts them, each of the main
    file's lines named through ``marks`` (a :class:`~dtracepy.source.LineMarks`, cpp's way: the
    line after ``#line 20`` is line 20), which also tells the line of the file a name stands for
    (the text shown under a finding).  ``in_place``: the output keeps each line of the file at
    its own number (``marks`` is then the whole map: what the parser follows)."""

    __slots__ = ("base", "marks", "in_place")

    def __init__(self, base, marks: "LineMarks"):
        self.base, self.marks, self.in_place = base, marks, isinstance(base, _Identity)

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, index: int):
        file, line = self.base[index]
        return self.marks(line) if file == self.marks.filename else (file, line)


def same_lines(line_map, filename: str) -> bool:
    """Does ``line_map`` (:func:`preprocess`'s) send each line to its own number in ``filename``
    (the parser then needs no map)?"""
    return isinstance(line_map, _Identity) and line_map.file == filename


def _taken(lines: str, result_lines: list, line_map: list, current: int, file: str) -> int:
    """Add ``lines`` (each ending in a newline) to the output and the map, from line ``current``
    of ``file``; the line number after them."""
    from itertools import repeat

    if not lines:
        return current
    pieces = lines[:-1].split("\n")
    if "/*" in lines and "pragma" in lines:  # cpp makes a comment a blank, and dtrace reads one on a
        pieces = [_COMMENT_RE.sub(" ", p) if "/*" in p and _PRAGMA_RE.match(p) else p for p in pieces]  # #pragma line as words
    result_lines += pieces
    if line_map is not None:
        line_map += zip(repeat(file, len(pieces)), range(current, current + len(pieces)))
    return current + len(pieces)


def _mapped_lines(written: str, spans, filename: str):
    """:func:`_mapped`, a line at a time, each ``#pragma`` a ``_Pragma`` made a line of its own."""
    result_lines: list[str] = []
    line_map: list[tuple[str, int]] = []
    current = 1
    current_file = filename
    k, offset = 0, 0
    for raw in written.split("\n"):
        start, offset = offset, offset + len(raw) + 1
        m = _LINE_RE.match(raw)
        if m:
            current = _marker_line(m.group(1), current)
            if m.group(2) is not None:
                current_file = _shown(m.group(2), filename)
            result_lines.append("")
            line_map.append((current_file, current))
            continue
        pieces = [raw]
        if k < len(spans) and spans[k][0] < offset:
            # a _Pragma's #pragma is a line of its own (cpp's too), between what stood around it,
            # which keeps its columns; all of them come from this line
            pieces, at = [], start
            indent = 0
            while k < len(spans) and spans[k][0] < offset:
                begin, end, resume = spans[k]
                pieces += [" " * indent + raw[at - start:begin - start], raw[begin - start:end - start]]
                at, k = end, k + 1
                indent = resume if resume is not None else at - start
            pieces.append(" " * indent + raw[at - start:])
            pieces = [piece for piece in pieces if piece.strip()] or [""]
        for piece in pieces:
            if "/*" in piece and _PRAGMA_RE.match(piece):  # cpp makes a comment a blank, and dtrace
                piece = _COMMENT_RE.sub(" ", piece)        # reads one on a #pragma line as words
            result_lines.append(piece)
            line_map.append((current_file, current))
        current += 1
    return "\n".join(result_lines), line_map


def _shown(file: str, main: str) -> str:
    """The name to show for a file pcpp names: the main file as given (pcpp names it relative to
    the working directory), a header as given or relative to the working directory."""
    if file == main or file == "<string>" or os.path.abspath(file) == os.path.abspath(main):
        return main
    if os.path.isabs(file):
        try:
            rel = os.path.relpath(file)
        except ValueError:
            return file
        return file if rel.startswith(".." + os.sep) else rel
    return file


class _CappedWriter(io.StringIO):
    """pcpp's output, refused once it is longer than the input limit."""

    def __init__(self, filename: str, held=()):
        super().__init__()
        self.filename = filename
        self.held = held  # (what a \0N\0 written stands for counts at its length)
        self.size = 0
        self.pragmas: list[tuple] = []  # (start, end, its resume) of each _PragmaText written

    def write(self, s: str) -> int:
        if s.__class__ is _PragmaText:
            self.pragmas.append((self.size, self.size + len(s), s.resume))
        self.size += len(s)
        if "\0" in s and self.held:
            self.size += sum(len(self.held[int(m.group(1))]) for m in _HELD_RE.finditer(s))
        if self.size > MAX_INPUT_BYTES:
            raise _Refused(f"the preprocessed text is over {LIMIT_TEXT}; dtracepy reads at most {LIMIT_TEXT}",
                           self.filename, 1)
        return super().write(s)
