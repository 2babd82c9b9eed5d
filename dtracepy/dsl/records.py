"""Records: one declaration of the output columns gives the header line and the row printf.

    row = t.record(("TS", "%d"), ("Date", "%Y"), ("Action", "%s"), sep=",")
    ...
    row.emit(timestamp, walltimestamp, self.action)     # inside a probe body

``t.record`` adds a ``BEGIN`` clause printing ``TS,Date,Action`` (unless ``header=False``) at
that point of the program; ``emit`` records ``printf("%d,%Y,%s\\n", ...)`` and refuses a wrong
number of values, so the header and the rows cannot drift apart.
"""

from __future__ import annotations

from dtracepy import tree
from dtracepy.dsl.actions import _call_node
from dtracepy.dsl.values import D, as_statement
from dtracepy.errors import DSLError
from dtracepy.facts.conversions import FormatError, parse_format
from dtracepy.source import user_pos


def _one_conversion(fmt: str) -> bool:
    """Whether ``fmt`` holds exactly one conversion that takes exactly one value."""
    try:
        convs = parse_format(fmt, located=False)
    except FormatError:
        return False
    return len(convs) == 1 and not convs[0].stars and not convs[0].agg and not convs[0].positional


# Bytes that would break the header line: a line end, and the bytes `dtracepy run` frames with.
_TITLE_BYTES = {"\n": "a newline", "\r": "a carriage return", "\0": "a NUL",
                "\036": "the byte 0x1e (dtracepy run frames rows with it)",
                "\037": "the byte 0x1f (dtracepy run frames rows with it)"}


def _title_problem(title: str, sep: str, end: str) -> str | None:
    """Why ``title`` cannot stand in the header line ``sep.join(titles) + end``, or None: the
    header must split back into the titles, as the rows split into their values."""
    for byte, what in _TITLE_BYTES.items():
        if byte in title:
            return f"a title cannot hold {what}: the header line would not read back as the titles"
    for what, text in (("separator", sep), ("line end", end)):
        if text and text in title:
            return (f"a title cannot hold the record's {what} {text!r}: the header line would split "
                    "into other columns than the rows (give the record another sep=, or retitle)")
    return None


def _literal(text: str) -> str:
    return text.replace("%", "%%")


class Record:
    """Named output columns: ``columns`` is a tuple of (title, printf conversion)."""

    def __init__(self, columns, sep: str = ",", end: str = "\n"):
        pos = user_pos()
        if not isinstance(columns, (list, tuple)):
            raise DSLError(f"a record's columns are (title, format) pairs, not {columns!r}", pos)
        for what, value in (("sep", sep), ("end", end)):
            if not isinstance(value, str):
                raise DSLError(f"a record's {what} is a str, not {type(value).__name__} ({value!r})", pos)
            if "\0" in value:
                raise DSLError(f"a record's {what} cannot hold a NUL ({value!r}): dtrace's printf ends "
                               "its format there, so the rest of the row would never print", pos)
        cols = []
        for col in columns:
            if not (isinstance(col, tuple) and len(col) == 2 and all(isinstance(c, str) for c in col)):
                raise DSLError(f"a record column is a (title, format) pair of strings, not {col!r}", pos)
            title, fmt = col
            if "\0" in fmt:
                raise DSLError(f"column {title!r}: the format {fmt!r} holds a NUL: dtrace's printf ends "
                               "the format there, so the rest of the row would never print", pos)
            if not _one_conversion(fmt):
                raise DSLError(f"column {title!r}: the format {fmt!r} must hold exactly one printf "
                               "conversion (such as %d, %s, 0x%08x)", pos)
            problem = _title_problem(title, sep, end)
            if problem:
                raise DSLError(f"column {title!r}: {problem}", pos)
            cols.append((title, fmt))
        if not cols:
            raise DSLError("a record needs at least one column", pos)
        titles = [title for title, _ in cols]
        twice = next((title for i, title in enumerate(titles) if title in titles[:i]), None)
        if twice is not None:
            # a row's as_dict(), `run --format json`/`jsonl` (keyed by the titles) and
            # emit(title=...) would keep one of them: a column lost without a word
            raise DSLError(f"two columns are titled {twice!r}: a row's as_dict() and `dtracepy run "
                           "--format json` key the values by title and would keep only one; give "
                           "each column its own title", pos)
        self.columns = tuple(cols)
        self.sep = sep
        self.end = end
        # The printf calls emitted, so that ``dtracepy run`` can find them in the compiled
        # program and frame them (:mod:`dtracepy.run.framing`).
        self.calls: list[tree.Call] = []

    @property
    def titles(self) -> tuple[str, ...]:
        return tuple(title for title, _ in self.columns)

    @property
    def header_text(self) -> str:
        return self.sep.join(self.titles) + self.end

    @property
    def format(self) -> str:
        """The row's printf format: the columns' conversions between ``sep``, then ``end``, both
        printed as they are (a ``%`` in them is written ``%%``)."""
        return _literal(self.sep).join(fmt for _, fmt in self.columns) + _literal(self.end)

    def header_clause(self, pos=None) -> tree.Clause:
        text = self.header_text.replace("%", "%%")
        call = tree.Call(tree.Ident("printf", pos=pos), (tree.StringLit(text, pos=pos),), pos=pos)
        return tree.Clause((tree.ProbeDesc("BEGIN", pos=pos),), None, (tree.ExprStmt(call, pos=pos),), pos=pos)

    def emit(self, /, *values, **named) -> None:
        """Record the row's printf; values in column order, or by title as keywords where titles
        are identifiers (``self`` among them: it is positional-only here)."""
        if named:
            if values:
                raise DSLError("give a record's values all by position or all by name", user_pos())
            missing = [t for t in self.titles if t not in named]
            extra = [k for k in named if k not in self.titles]
            if missing or extra:
                raise DSLError(f"record values: missing {missing}, unknown {extra}", user_pos())
            values = tuple(named[t] for t in self.titles)
        if len(values) != len(self.columns):
            columns = "1 column" if len(self.columns) == 1 else f"{len(self.columns)} columns"
            given = "1 value was" if len(values) == 1 else f"{len(values)} values were"
            raise DSLError(f"this record has {columns} ({', '.join(self.titles)}) but {given} given",
                           user_pos())
        node = _call_node("printf", (self.format, *values))
        self.calls.append(node)
        as_statement(D(node))

    row = emit
