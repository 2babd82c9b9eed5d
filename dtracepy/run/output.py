"""Writing a run's events: ``table`` (aligned columns, histograms drawn as DTrace draws them),
``csv`` (a header row whenever the rows' fields change, then the rows), ``jsonl`` (one object per line)
and ``json`` (the same objects as one array).

A writer gets events one at a time (:meth:`Writer.event`) and never holds more than the widths
of the table it is writing, so a long run streams in constant memory.
"""

from __future__ import annotations

import csv
import datetime
import json

from dtracepy.facts.conversions import FormatError, parse_format
from dtracepy.run.aggregations import Histogram, Stack
from dtracepy.run.decode import Printed, Text

_KIND_WIDTH = {"time": 26, "int": 8, "hex": 8, "str": 12}


def _plain(value):
    """A JSON-able value."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, Stack):
        return list(value)
    if isinstance(value, Histogram):
        return value.as_dict()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _cell(value) -> str:
    if isinstance(value, datetime.datetime):
        # in local time, as dtrace prints %Y (the data, csv and json, stay aware, in UTC)
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, Stack):
        return ";".join(value)
    if isinstance(value, str):
        return value if value.isprintable() else "".join(map(_shown_char, value))
    return str(value)


def _in_base(fmt: str, value) -> str:
    """A ``%x``/``%X``/``%o``/``%p`` column's value as dtrace prints it by the column's format (a
    pointer in hex, ``0x%08x`` of an IPv4 address ``0x0100007f``), not in decimal: the value
    itself stays an int."""
    conv = _base_conversion(fmt) if isinstance(value, int) else None
    if conv is None:
        return _cell(value)
    end = conv.start + len(conv.text)
    return (fmt[:conv.start].replace("%%", "%") + _c_unsigned(conv, value)
            + fmt[end:].replace("%%", "%"))


def _c_unsigned(conv, value: int) -> str:
    """``value`` printed as C's printf prints it by dtrace's rebuilt conversion (the flags, width
    and precision :func:`~dtracepy.facts.conversions.parse_format` reads as dtrace does): C, not
    Python, for ``+`` and space (ignored by an unsigned conversion), ``'`` (no grouping in hex
    or octal), ``#`` (``%#x`` of 0 is ``0``, ``%#o`` of 8 is ``010``) and ``0`` with a precision
    (ignored)."""
    value &= 2**64 - 1              # (dtrace prints a negative value's two's complement)
    letter = "x" if conv.conv == "p" else conv.conv      # (Oracle's %p of 255 is ff)
    digits = format(value, "o" if letter == "o" else letter)
    if conv.precision:
        digits = digits.rjust(conv.precision, "0")
    prefix = ""
    if "#" in conv.flags and value:
        if letter == "o":
            digits = digits if digits.startswith("0") else "0" + digits
        else:
            prefix = "0X" if letter == "X" else "0x"
    if "-" in conv.flags:
        return (prefix + digits).ljust(conv.width)
    if "0" in conv.flags and not conv.precision:
        return prefix + digits.rjust(conv.width - len(prefix), "0")
    return (prefix + digits).rjust(conv.width)


def _base_conversion(fmt: str):
    """The first %x/%X/%o/%p conversion of a column's format (``0x%08x``, ``%-16lx``, ``%?p``), as
    :func:`dtracepy.facts.conversions.parse_format` reads it; None when it has none (or a ``*``,
    or is no format D takes)."""
    try:
        convs = parse_format(fmt)
    except FormatError:
        return None
    conv = next((c for c in convs if c.conv in "xXop"), None)
    return conv if conv is not None and not conv.stars and not conv.agg and not conv.positional else None


def _declared_width(fmt: str) -> int:
    """The width a column's format asks for, as dtrace reads it (``%08x``: 8, ``%?p``: 16)."""
    try:
        convs = parse_format(fmt)
    except FormatError:
        return 0
    return convs[0].width if convs else 0


def _key_cell(agg, index: int, value) -> str:
    """An aggregation's key as the table shows it: in the base its printa format printed it
    (``printa("%x %@d", @a)``: ``ff``, not 255), else as :func:`_cell` shows it."""
    formats = agg.key_formats
    fmt = formats[index] if index < len(formats) else None
    return _in_base(fmt, value) if fmt is not None else _cell(value)


def _shown_char(char: str) -> str:
    """A character of a table cell that holds one that cannot be shown: the others as they are
    (``é``), a backslash doubled, a byte that was not UTF-8 as ``\\xff``, a control or format
    character (a newline, U+202E) as Python escapes it."""
    if char.isprintable():
        return "\\\\" if char == "\\" else char
    if 0xDC80 <= ord(char) <= 0xDCFF:       # (decoded with surrogateescape)
        return f"\\x{ord(char) - 0xDC00:02x}"
    return char.encode("unicode_escape").decode("ascii")


class Writer:
    def __init__(self, out, err=None):
        self.out = out
        self.err = err

    def event(self, event) -> None:
        if isinstance(event, tuple):
            self.row(event)
        elif isinstance(event, Text):
            self.text(event)
        elif isinstance(event, Printed):
            for agg in event.aggregations.values():
                self.aggregation(agg)

    def text(self, text: str) -> None:
        self.out.write(text)

    def row(self, row) -> None:
        raise NotImplementedError

    def aggregation(self, agg) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.out.flush()


class TableWriter(Writer):
    """Rows under a header of the record's titles, in columns as wide as the titles or the widths
    the record's formats ask for (a longer value widens its column from then on).  The header is
    printed before a record's first row and again when its rows follow another record's rows or
    an aggregation, never because text lines came in between.  A header or row after text that
    did not end its line (dtrace's probe prefix without ``quiet``: ``  0  1  :BEGIN ``) starts on
    a line of its own, so its columns stay aligned."""

    def __init__(self, out, err=None):
        super().__init__(out, err)
        self.widths: dict[type, list[int]] = {}
        self.last = None
        self.line_open = False      # the last text written did not end its line

    def row(self, row) -> None:
        cls = type(row)
        widths = self.widths.get(cls)
        cells = [_in_base(col.fmt, v) if col.kind in ("hex", "oct") else _cell(v)
                 for col, v in zip(cls.spec.columns, row)]
        if widths is None:
            widths = []
            for col in cls.spec.columns:
                widths.append(max(len(col.title), _declared_width(col.fmt), _KIND_WIDTH.get(col.kind, 0)))
            self.widths[cls] = widths
        if self.line_open:
            self.out.write("\n")
            self.line_open = False
        # (widened before a header is printed, so that the header stands over the row below it:
        # a format's text counts, 0x%08x is 10 wide where its %08x asks for 8)
        for i, cell in enumerate(cells):
            if len(cell) > widths[i]:
                widths[i] = len(cell)
        if self.last is not cls:
            self.out.write(self._line(cls.titles, widths, [False] * len(widths)) + "\n")
            self.last = cls
        numeric = [isinstance(v, (int, float)) for v in row]
        self.out.write(self._line(cells, widths, numeric) + "\n")

    @staticmethod
    def _line(cells, widths, right) -> str:
        parts = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)]
        return "  ".join(parts).rstrip()

    def text(self, text: str) -> None:
        # A line of the script's other output (a printf, a -c command's) between rows does not
        # start a new table: the header is printed again only when another record's rows or an
        # aggregation came in between (a header after every interleaved line buried the rows).
        self.out.write(text)
        if text:
            self.line_open = not text.endswith("\n")

    def aggregation(self, agg) -> None:
        self.last = None
        self.line_open = False      # (its first line starts with a newline)
        self.out.write(f"\n@{agg.name}" + (f" ({agg.kind})" if agg.kind else "") + "\n")
        if not agg:
            self.out.write("  (empty)\n")
            return
        scalars = [(k, v) for k, v in agg.items() if not isinstance(v, Histogram)]
        if scalars:
            rows = [[_key_cell(agg, i, x) for i, x in enumerate(k)] + [str(v)] for k, v in scalars]
            ncols = max(len(r) for r in rows)
            widths = [max((len(r[i]) for r in rows if i < len(r)), default=0) for i in range(ncols)]
            for r in rows:
                keys, value = r[:-1], r[-1]
                line = "  ".join(k.ljust(widths[i]) for i, k in enumerate(keys))
                self.out.write(f"  {line}  {value.rjust(widths[-1])}\n" if keys else f"  {value}\n")
        for key, value in agg.items():
            if isinstance(value, Histogram):
                if key:
                    self.out.write("  " + "  ".join(_key_cell(agg, i, x) for i, x in enumerate(key)) + "\n")
                # draw() pads as dtrace does (count    ): the table's lines end at their text
                self.out.write("".join(line.rstrip() + "\n" for line in value.draw().split("\n")))


#: The first characters that make a spreadsheet read a cell as a formula (OWASP, "CSV
#: Injection"): a string cell starting with one gets a ``'`` in front, and so does one starting
#: with ``'`` (so taking one leading ``'`` off any string cell gives the value back exactly).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def csv_text(value: str) -> str:
    """A string as a CSV cell: a value that would start a formula (``=cmd|' /C calc'!A0``,
    ``-2+3``, ``@SUM(A1)``) or starts with ``'`` is given a leading ``'``; any other is as it was.
    Numbers are never strings here (a ``%d`` field is an int), so ``-5`` stays ``-5``."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _csv_cell(value):
    if isinstance(value, str):
        return csv_text(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, Stack):
        return csv_text(_cell(value))
    return value


class CsvWriter(Writer):
    """A header row whenever the rows' fields change: before a record's first row, and again
    when its rows follow another record's rows or an aggregation (each row's columns are then
    the titles of the header above it); text events go to stderr; aggregations follow as
    ``aggregation,key...,value`` rows under their own header (a histogram one row per bucket:
    ``aggregation,key...,bucket,count``).  A string cell a spreadsheet would take for a formula
    is neutralised by :func:`csv_text`."""

    def __init__(self, out, err=None):
        super().__init__(out, err)
        self.csv = csv.writer(out, lineterminator="\n")
        self.last = None
        self.rows = 0            # rows written (records' and aggregations')
        self.texts_elsewhere = 0  # text events sent to ``err``, not to ``out``

    def row(self, row) -> None:
        self.rows += 1
        cls = type(row)
        if cls is not self.last:
            self.last = cls
            self.csv.writerow(cls.titles)
        self.csv.writerow([_csv_cell(v) for v in row])

    def text(self, text: str) -> None:
        if self.err is not None:
            self.err.write(text)
            self.texts_elsewhere += 1

    def aggregation(self, agg) -> None:
        self.rows += 1
        self.last = None
        nkeys = max((len(k) for k in agg), default=0)
        hist = any(isinstance(v, Histogram) for v in agg.values())
        keys = [f"key{i + 1}" for i in range(nkeys)]
        self.csv.writerow(["aggregation", *keys, *(["bucket", "count"] if hist else ["value"])])
        for key, value in agg.items():
            cells = [_csv_cell(k) for k in key]
            if isinstance(value, Histogram):
                if value.underflow_bound is not None:
                    self.csv.writerow([agg.name, *cells, f"<{value.underflow_bound}", value.underflow])
                for low, count in value.buckets:
                    self.csv.writerow([agg.name, *cells, low, count])
                if value.overflow_bound is not None:
                    self.csv.writerow([agg.name, *cells, f">={value.overflow_bound}", value.overflow])
            else:
                self.csv.writerow([agg.name, *cells, value])


class JsonlWriter(Writer):
    """One object per record row (keyed by the record's titles), per text event
    (``{"text": ...}``), per aggregation printed (``{"aggregation": name, "kind": ...,
    "entries": [{"key": [...], "value": ...}]}``)."""

    def row(self, row) -> None:
        self.object({t: _plain(v) for t, v in zip(row.titles, row)})

    def text(self, text: str) -> None:
        self.object({"text": text})

    def aggregation(self, agg) -> None:
        entries = [{"key": _plain(k), "value": _plain(v)} for k, v in agg.items()]
        self.object({"aggregation": agg.name, "kind": agg.kind, "entries": entries})

    def object(self, obj) -> None:
        self.out.write(json.dumps(obj) + "\n")


class JsonWriter(JsonlWriter):
    """The objects of ``jsonl`` as one JSON array, for ``-o x.json`` (what ``json.load`` reads),
    written as they come: ``[`` before the first, ``]`` at the end."""

    def __init__(self, out, err=None):
        super().__init__(out, err)
        self.objects = 0

    def object(self, obj) -> None:
        self.out.write(("[\n" if not self.objects else ",\n") + json.dumps(obj))
        self.objects += 1

    def close(self) -> None:
        self.out.write("\n]\n" if self.objects else "[]\n")
        super().close()


WRITERS = {"table": TableWriter, "csv": CsvWriter, "jsonl": JsonlWriter, "json": JsonWriter}


def writer(fmt: str, out, err=None) -> Writer:
    return WRITERS[fmt](out, err)
