"""Source positions.

Every tree node may carry a :class:`Pos`: the ``file:line:col`` of a parsed ``.d`` file, or the
``file:line`` of the user's Python code that built the node through the DSL.  Positions take no
part in tree equality (see :mod:`dtracepy.tree`).
"""

from __future__ import annotations

import os
import sys
import _thread
from itertools import accumulate
from operator import eq
from collections import namedtuple

import attrs

try:  # (the C function itself: bisect.py, which only imports it, cost a check 0.4 M instructions)
    from _bisect import bisect_right
except ImportError:  # pragma: no cover - a Python without the accelerator
    from bisect import bisect_right

_PosFields = namedtuple("_PosFields", ("file", "line", "col"), defaults=(None,))


class Pos(_PosFields):
    """Where something came from: a file name, a 1-based line and an optional 1-based column.

    Immutable; equal (and hashed alike) when file, line and column are.  Not a tree node: the
    parser makes one per operand (a few hundred thousand for a large script), so a position is a
    tuple underneath (made as cheaply as Python makes anything) rather than an attrs class.  It
    compares equal only to another ``Pos``, never to a plain tuple, and has no order.
    """

    __slots__ = ()

    def __str__(self) -> str:
        file = self[0]
        if file.__class__ is str and not (file and len(file) <= MAX_NAME and file.isprintable()):
            file = shown_name(file)
        if self[2] is None:
            return f"{file}:{self[1]}"
        return f"{file}:{self[1]}:{self[2]}"

    def __eq__(self, other):
        if other.__class__ is not Pos:
            # (a plain tuple would compare by items if given the chance)
            return False if isinstance(other, tuple) else NotImplemented
        return tuple.__eq__(self, other)

    def __ne__(self, other):
        if other.__class__ is not Pos:
            return True if isinstance(other, tuple) else NotImplemented
        return tuple.__ne__(self, other)

    __hash__ = _PosFields.__hash__

    def __lt__(self, other):
        return NotImplemented

    __le__ = __gt__ = __ge__ = __lt__

    def __setattr__(self, name, value):
        raise attrs.exceptions.FrozenInstanceError()

    def __delattr__(self, name):
        raise attrs.exceptions.FrozenInstanceError()


# Positions in parsed text, made when asked.  The parser stores on each node it builds an integer,
# ``at``: the offset of the node's first character in the text plus the text's *base* (each text
# parsed in this process takes the next range of integers, :func:`register_text`); ``node.pos``
# makes the :class:`Pos` from it on demand (:func:`position_at`: the text's newline offsets, a
# binary search).  An integer is the cheapest thing a node can hold (often the very one the lexer
# made for the token's offset); a ``Pos`` per operand (a tuple and a column) was about a third of
# the tree's memory and a tenth of the parse's time, and most are never asked for.  Each text's
# name, newline offsets (the lexer's list) and line map stay registered for the process's life.

class _Text:
    __slots__ = ("base", "end", "filename", "newlines", "line_map")

    def __init__(self, base, end, filename, newlines, line_map):
        self.base, self.end, self.filename, self.newlines, self.line_map = base, end, filename, newlines, line_map


_TEXTS: list[_Text] = []  # registered texts, in the order of their bases
_TEXT_BASES: list[int] = []
_TEXTS_LOCK = _thread.allocate_lock()  # (not threading: nothing more to import)


def register_text(filename: str, length: int, newlines, line_map=None) -> int:
    """Register a text of ``length`` characters about to be parsed: its file name, the offsets of
    its newlines and, for preprocessed text, a function output line -> (file, line).  Returns its
    base: the text's offset ``o`` is ``base + o`` on its nodes (see :func:`position_at`)."""
    with _TEXTS_LOCK:
        base = _TEXTS[-1].end if _TEXTS else 0
        # (offsets run to the text's end inclusive: where a missing token is reported)
        _TEXTS.append(_Text(base, base + length + 1, filename, newlines, line_map))
        _TEXT_BASES.append(base)
    return base


def line_marks_at(at, preprocessed: bool = False) -> "LineMarks | None":
    """The :class:`LineMarks` of the text a node's stored position ``at`` is in (see
    :func:`register_text`), when its lines follow a ``#line``; else None.  ``preprocessed``: also
    those of a preprocessed text whose lines are not the file's (its map's ``source_marks``: how
    the file's ``#line`` directives name the file's lines; the text's own are elsewhere)."""
    if at.__class__ is not int or not _TEXTS:
        return None
    marks = _TEXTS[bisect_right(_TEXT_BASES, at) - 1].line_map
    if marks.__class__ is LineMarks:
        return marks
    return getattr(marks, "source_marks", None) if preprocessed else None


def text_line(at) -> "int | None":
    """The line of its text (counted from 1, whatever a ``#line`` names it) a node's stored
    position ``at`` is on (see :func:`register_text`); None for a position not stored so."""
    if at.__class__ is not int or not _TEXTS:
        return None
    text = _TEXTS[bisect_right(_TEXT_BASES, at) - 1]
    return bisect_right(text.newlines, at - text.base - 1) + 1


def follow_marks(base: int, marks: "LineMarks") -> None:
    """From now on, positions in the text registered at ``base`` follow ``marks`` (the lexer
    gives them when it reads the text's first ``#line``: see :class:`LineMarks`)."""
    with _TEXTS_LOCK:
        _TEXTS[bisect_right(_TEXT_BASES, base) - 1].line_map = marks


class LineMarks:
    """The lines of a script dtrace reads without preprocessing it, as its ``#line`` directives
    name them: dtrace reads ``#line 100 "foo.d"``, ``#pragma line`` and ``#pragma D line`` itself
    and names the line after it ``"foo.d", line 101`` (one more than cpp would: dt_pragma_line,
    checked with the real dtrace), a line marker ``# 100 "foo.d"`` the line after it line 100; a
    directive without a file name keeps the one before.  Called with a line of the text, the
    ``(file, line)`` dtrace names it; :meth:`physical` answers the other way.  The lexer adds a
    mark as it reads each directive, so a position asked for while the text is parsed follows
    the directives above it, all of them read by then."""

    __slots__ = ("filename", "starts", "files", "firsts", "_by_file")

    def __init__(self, filename: str):
        self.filename = filename
        self.starts: list[int] = []  # the first line (of the text) each mark names
        self.files: list[str] = []
        self.firsts: list[int] = []  # the number that line is given
        self._by_file = None  # see physical

    def add(self, start: int, file: "str | None", first: int) -> None:
        """Line ``start`` of the text and those after it are ``file``'s (None: the file named
        before), numbered from ``first``."""
        if self.starts and start <= self.starts[-1]:
            if start < self.starts[-1]:
                return  # (read twice: the lexer read this part of the text before)
            del self.starts[-1], self.files[-1], self.firsts[-1]  # (two on one line: the last counts)
        if file is None:
            file = self.files[-1] if self.files else self.filename
        self.starts.append(start)
        self.files.append(file)
        self.firsts.append(first)

    def __call__(self, line: int) -> tuple:
        at = bisect_right(self.starts, line) - 1
        if at < 0:
            return self.filename, line
        return self.files[at], self.firsts[at] + line - self.starts[at]

    def physical(self, file: str, line: int) -> "int | None":
        """The line of the text dtrace names ``file``, ``line``, if exactly one is (two directives
        may name the same line twice: then None, as for a line none names)."""
        made = self._by_file  # (made for the marks there were: the lexer adds them itself too)
        if made is None or made[0] != len(self.starts):
            made = self._by_file = len(self.starts), self._spans()
        by_file = made[1]
        spans = by_file.get(file)
        if spans is None:
            return None
        firsts, ends, reach, starts = spans
        at = bisect_right(firsts, line) - 1
        if at < 0 or line >= ends[at] or (at and reach[at - 1] > line):
            return None  # (none, or an earlier span names it too)
        return starts[at] + line - firsts[at]

    def _spans(self) -> dict:
        """For each file, its spans of lines ordered by their first number: the numbers each
        starts at and ends before, the furthest end of the spans up to each, and the line of the
        text each starts at (the text's last span runs on without end)."""
        spans = [(self.filename, 1, self.starts[0] - 1 if self.starts else 1 << 62, 1)]
        bounds = self.starts[1:] + [None]
        for start, file, first, end in zip(self.starts, self.files, self.firsts, bounds):
            spans.append((file, first, end - start if end is not None else 1 << 62, start))
        by_file: dict = {}
        for file, first, length, start in sorted(spans, key=lambda span: (span[0], span[1])):
            firsts, ends, reach, starts = by_file.setdefault(file, ([], [], [], []))
            firsts.append(first)
            ends.append(first + length)
            reach.append(max(reach[-1], first + length) if reach else first + length)
            starts.append(start)
        return by_file


def place_at(at: int) -> tuple | None:
    """(file name, line, column) of a node's stored position ``at`` (see :func:`register_text`)
    if its text has no line map: what :func:`position_at` says, without making a :class:`Pos`;
    else None."""
    text = _TEXTS[bisect_right(_TEXT_BASES, at) - 1]
    if text.line_map is not None:
        return None
    offset = at - text.base
    newlines = text.newlines
    index = bisect_right(newlines, offset - 1)  # the number of newlines before offset
    return text.filename, index + 1, (offset - newlines[index - 1] if index else offset + 1)


def line_and_column(at: int, filename: str) -> tuple[int, int] | None:
    """The 1-based line and column of a node's stored position ``at`` (see
    :func:`register_text`) if its text is ``filename``'s and has no line map (:func:`place_at`);
    else None."""
    place = place_at(at)
    if place is None or place[0] != filename:
        return None
    return place[1], place[2]


def offsets_in(ats: list, filename: str, lines: list) -> list | None:
    """For the stored positions ``ats`` (see :func:`register_text`), when all are of one text of
    ``filename`` without a line map whose lines are as long as ``lines`` (a file's lines, without
    their newlines): each one's offset in that text, which is also what :func:`line_and_column`
    says counted in the file's characters (the same lines); else None.  (One subtraction each, in
    C: a line and a column for each clause of 85,000 was a tenth of the rules' work.)"""
    if not ats or {at.__class__ for at in ats} != {int}:
        return None
    low, high = min(ats), max(ats)
    index = bisect_right(_TEXT_BASES, low) - 1
    text = _TEXTS[index]
    if high >= text.end or text.line_map is not None or text.filename != filename:
        return None
    newlines = text.newlines
    # The text's newlines against the lines', compared as they are summed (in C, no list made: a
    # list of each line's start was 160 MB for a file of 4 million empty lines).
    if len(newlines) != len(lines) - 1 or not all(map(
            eq, newlines, map((-1).__add__, accumulate(map((1).__add__, map(len, lines)))))):
        return None
    return list(map((-text.base).__add__, ats))


def plainly_ordered(first, second) -> bool:
    """Whether the stored positions ``first`` and ``second`` (see :func:`register_text`) are
    offsets of one text without a line map, ``first`` the lower: then ``first``'s line and column
    come before ``second``'s (in one text, without a line map, the order of offsets is the order
    of lines and columns), which is told without making either :class:`Pos`.  False when it
    cannot be told so (compare the positions)."""
    if first.__class__ is not int or second.__class__ is not int or first >= second:
        return False
    text = _TEXTS[bisect_right(_TEXT_BASES, first) - 1]
    return second < text.end and text.line_map is None


def position_at(at: int) -> Pos:
    """The :class:`Pos` of a node's stored offset (see :func:`register_text`): the text's file
    name (or, for preprocessed text, the file and line its line came from), the 1-based line and
    column."""
    text = _TEXTS[bisect_right(_TEXT_BASES, at) - 1]
    offset = at - text.base
    newlines = text.newlines
    index = bisect_right(newlines, offset - 1)  # the number of newlines before offset
    col = offset - newlines[index - 1] if index else offset + 1
    if text.line_map is None:
        return tuple.__new__(Pos, (text.filename, index + 1, col))
    return Pos(*text.line_map(index + 1), col)


def lines_and_columns(ats: list) -> tuple | None:
    """(file name, lines, columns) of the stored positions ``ats`` (see :func:`register_text`), each
    line and column as :func:`position_at` says it, when all are offsets of one text without a
    line map; else None.  No ``Pos`` is made, and the text's newlines are not copied (findings
    rendered a block of 256 at a time would copy them for each block)."""
    if not ats or {at.__class__ for at in ats} != {int}:
        return None
    low, high = min(ats), max(ats)
    text = _TEXTS[bisect_right(_TEXT_BASES, low) - 1]
    if high >= text.end or text.line_map is not None:
        return None
    from itertools import repeat
    from operator import sub

    newlines = text.newlines
    offsets = list(map((-text.base).__add__, ats))
    before = list(map(bisect_right, repeat(newlines), map((-1).__add__, offsets)))  # newlines before each
    if min(before):
        cols = list(map(sub, offsets, map(newlines.__getitem__, map((-1).__add__, before))))
    else:  # (some on the first line: no newline before them)
        cols = [offset - newlines[b - 1] if b else offset + 1 for offset, b in zip(offsets, before)]
    return text.filename, list(map((1).__add__, before)), cols


def positions_at(ats: list) -> list | None:
    """:func:`position_at` of each of ``ats``, made together from :func:`lines_and_columns` (the
    lines found by bisection in C, no Python step for each) when all are offsets of one text
    without a line map; else None (ask each).  190,000 findings of `#define` lines made their
    positions one by one, 40 % of them."""
    found = lines_and_columns(ats)
    if found is None:
        return None
    from itertools import repeat

    file, lines, cols = found
    return list(map(tuple.__new__, repeat(Pos), zip(repeat(file), lines, cols)))


def shown_name(name: str) -> str:
    """A file name as text that can be written anywhere (an error's ``file:line:`` prefix, a D
    comment, a Python docstring, UTF-8), showing its bytes as the shell would: a byte that is not
    UTF-8 (which Python holds as U+DC80..U+DCFF, ``os.fsdecode``'s surrogateescape) as ``\\xff``,
    a control character as Python escapes it (``\\n``); the rest as it is.  Every error prefix
    goes through it (:class:`Pos`'s ``str``).  An empty name is shown ``''``, as the shell quotes
    it: a prefix ``:1:`` would name no file at all.  A name longer than :data:`MAX_NAME` is shown
    as its first 40 characters, ``...`` and its length."""
    if len(name) > MAX_NAME:
        name = f"{name[:40]}... ({len(name):,} characters)"
    if name.isprintable():      # (a surrogate is not)
        return name or "''"
    return "".join(c if c.isprintable() else _escaped(c) for c in name)


#: The longest file name shown whole (PATH_MAX: no file the system opens has a longer one).  A
#: ``#line`` directive names any (dtrace reads the line itself, so does cpp under -C): a 1 MB
#: name before 3,000 findings was printed in each prefix, 3 GB of output and 780 MB of memory.
MAX_NAME = 4096


def _escaped(c: str) -> str:
    """A character that is not printable, as :func:`shown_name` and :func:`shown_text` show it: a
    byte that is not UTF-8 (a surrogate) as ``\\xff``, any other as Python escapes it (``\\x1b``,
    ``\\r``, ``\\u202e``)."""
    return f"\\x{ord(c) - 0xDC00:02x}" if "\udc80" <= c <= "\udcff" else repr(c)[1:-1]


def shown_text(text: str) -> str:
    """``text`` (a message) as a terminal shows it as it is: any byte that is not UTF-8 (a
    surrogate, as in :func:`shown_name`) shown as ``\\xff``, so that it prints as the file holds
    it, and a control character but a newline or a tab (an escape sequence's ``\\x1b``, a carriage
    return, a bidirectional override) escaped as :func:`shown_name` escapes it, so that a message
    carrying another's text (a tracer module's exception, a file's string) cannot clear the
    screen or overwrite what was printed; everything else as it is."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == "\n" or c == "\t" else _escaped(c) for c in text)


# Frames in these directories belong to dtracepy itself; the user's position is the first frame
# outside them.  Tests may add to it.
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_pos(skip: int = 1) -> Pos | None:
    """The position of the innermost caller that is not dtracepy's own code.

    ``skip``: the frames known to be dtracepy's, this one's included (a DSL method that asks
    says 2: its caller's frame is the first that may be the user's, and its own frame is then
    never made into a Python object, which CPython would have to keep up until it returns).

    Used by the DSL so that errors about a tracer point at the tracer's ``.py`` file and line,
    as Amaranth does with ``sys._getframe``.  Every node the DSL builds asks, so the per-file work
    (``abspath``, ``relpath``) is cached by code file name (and working directory).
    """
    try:
        frame = sys._getframe(skip)
    except ValueError:
        return None
    cwd = _FIXED_CWD
    if cwd is None:
        try:
            cwd = os.getcwd()
        except OSError:  # the working directory was removed: no caching, same answers as before
            cwd = None
    package = _PACKAGE_DIR
    shown_in = _SHOWN.get((cwd, package)) if cwd is not None else None
    if shown_in is None:
        shown_in = {}
        if cwd is not None:
            _SHOWN[(cwd, package)] = shown_in
    while frame is not None:
        filename = frame.f_code.co_filename
        shown = shown_in.get(filename, _UNKNOWN)
        if shown is _UNKNOWN:
            shown = shown_in[filename] = (None if _internal(filename, package) or _in_stdlib(filename)
                                          else _display_name(filename))
        if shown is not None:
            # Pos is immutable: one object per user line (the DSL asks for each node it builds)
            code = frame.f_code  # (_line_of's first test here: a call saved for short code)
            line = frame.f_lineno if len(code.co_linetable) < _LONG_LINE_TABLE else _line_of(frame)
            key = (shown, line)
            pos = _POSITIONS.get(key)
            if pos is None:
                if len(_POSITIONS) >= 1 << 16:
                    _POSITIONS.clear()
                pos = _POSITIONS[key] = Pos(shown, line)
            return pos
        frame = frame.f_back
    return None


#: Python's standard library: no user's code, so a DSL error raised inside a call of it
#: (``html.escape(execname)``, ``textwrap.shorten(execname, 5)``) is at the user's line that
#: called it, not at ``html/__init__.py:19``.  (Its site-packages may hold a user's tracer.)
_STDLIB = os.path.dirname(os.__file__) + os.sep


#: The working directory while code that cannot change it runs (:func:`working_directory_fixed`):
#: else None, and :func:`user_pos` asks the system each time.
_FIXED_CWD: str | None = None


class working_directory_fixed:
    """``with working_directory_fixed():`` -- the code run inside does not change the working
    directory (``import --exact`` running the module it wrote), so :func:`user_pos` takes it as
    it was on entry instead of asking the system for every node the DSL builds (a system call
    each, a twentieth of running the module of 30,000 clauses on a loaded machine)."""

    def __enter__(self):
        global _FIXED_CWD
        self.outer = _FIXED_CWD
        if self.outer is None:
            try:
                _FIXED_CWD = os.getcwd()
            except OSError:
                pass
        return self

    def __exit__(self, *exc):
        global _FIXED_CWD
        _FIXED_CWD = self.outer
        return False


def _in_stdlib(filename: str) -> bool:
    return filename.startswith(_STDLIB) and "-packages" + os.sep not in filename[len(_STDLIB):]


def _line_of(frame) -> int:
    """``frame.f_lineno``, which CPython finds by reading the code's line table from its start
    each time: in a tracer function of 20,000 statements (``dtracepy import --exact`` of 20,000
    lines writes one), or a module of 30,000 decorated clauses, asking for every node made that
    quadratic (20 s).  The table of a long code object is read once here, and the instruction
    looked up in it; a short one is read by CPython as before."""
    code = frame.f_code
    if len(code.co_linetable) < _LONG_LINE_TABLE:
        return frame.f_lineno
    entry = _LINE_TABLES.get(id(code))
    if entry is None or entry[0] is not code:
        if len(_LINE_TABLES) >= 16:
            _LINE_TABLES.clear()
        starts, lines = [], []
        for start, _end, line in code.co_lines():
            starts.append(start)
            lines.append(line)
        entry = _LINE_TABLES[id(code)] = (code, starts, lines)
    _, starts, lines = entry
    i = bisect_right(starts, frame.f_lasti) - 1
    line = lines[i] if i >= 0 else None
    return frame.f_lineno if line is None else line


def forget_line_tables() -> None:
    """Drop the line tables :func:`_line_of` read (and the code objects they are of): after a
    module is run, they are of code that runs no more (14 MB for the module of 90,000 clauses
    that ``import --exact`` runs, while it compiles the tracer)."""
    _LINE_TABLES.clear()


# A code object whose line table is this long (bytes) has its table read once (_line_of)
_LONG_LINE_TABLE = 2048
# id(code object) -> (the code object, start offsets of its instruction ranges, their lines)
_LINE_TABLES: dict[int, tuple] = {}
# (working directory, package directory) -> {code file name -> the name user_pos shows for it, or
# None for dtracepy's own files}
_SHOWN: dict[tuple, dict[str, str | None]] = {}
_UNKNOWN = object()
# (shown file name, line) -> its Pos, shared (a bounded cache)
_POSITIONS: dict[tuple, Pos] = {}


def _internal(filename: str, package: str) -> bool:
    """Is code from ``filename`` no user's: dtracepy's package, the methods attrs generates for
    the tree's node classes (``<attrs generated init dtracepy.tree.Ident>``), or what runs
    dtracepy (the ``dtracepy`` console script, ``python -m``'s runpy, importlib's frozen code)?"""
    if filename.startswith("<"):
        return filename.startswith(("<attrs generated", "<dtracepy.", "<frozen "))
    path = os.path.abspath(filename)
    return path.startswith(package + os.sep) or path in _runners()


def _runners() -> frozenset:
    """The files that start dtracepy: its console script (``sys.argv[0]`` when it is the
    ``dtracepy`` command; a user's own script run as ``python tracer.py`` is the user's) and
    runpy."""
    global _RUNNERS
    if _RUNNERS is None:
        import runpy

        script = sys.argv[0] if sys.argv else ""
        command = [script] if os.path.basename(script) == "dtracepy" else []
        _RUNNERS = frozenset(os.path.abspath(p) for p in (*command, runpy.__file__))
    return _RUNNERS


_RUNNERS: frozenset | None = None


def _display_name(filename: str) -> str:
    """A file name as a user would type it: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if rel.startswith(".." + os.sep) else rel
