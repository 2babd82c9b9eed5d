"""dtrace's standard output, decoded: typed rows, text events and printed aggregations, in order.

:class:`Decoder` takes bytes as they come (``feed``) and returns events: a row of a record (an
instance of the record's :func:`row_class`, a named tuple), a :class:`Text` for anything else the
script printed, a :class:`Printed` when an aggregation block ends.  It keeps no more than one
unfinished line (or one unfinished record or aggregation block) between calls, so memory stays
flat however long the run.
"""

from __future__ import annotations

import collections
import datetime
import ipaddress
import keyword
import operator
import re
import sys
import unicodedata
from itertools import repeat

from dtracepy.run import aggregations as _aggs
from dtracepy.run.framing import END_CLOSE, END_OPEN, ENTRY_KIND, PAIRED
from dtracepy.run.framing import US, Plan, RecordSpec
from dtracepy.run.messages import Warning  # noqa: A004 - dtracepy's Warning

_US = US.encode()
_UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)


class Text(str):
    """Text the script printed outside records (a plain ``printf``, ``trace``, dtrace's own
    per-probe lines without ``-q``): one line, with its newline when it had one."""

    __slots__ = ()

    def __repr__(self):
        return f"Text({str.__repr__(self)})"


class Started:
    """dtrace's first BEGIN clause ran: every probe is enabled."""

    __slots__ = ()

    def __repr__(self):
        return "Started()"


STARTED = Started()
#: dtrace's column header without -q
_HEADER = re.compile(rb"CPU +ID +FUNCTION:NAME")


def _prefixed_start(mark: bytes) -> re.Pattern:
    """The framing BEGIN's mark after dtrace's probe prefix (without -q)."""
    return re.compile(rb" *\d+ +\d+ +:BEGIN " + re.escape(mark) + rb"B")


# what may still grow into dtrace's probe prefix of dtracepy's END (" 0  2  :END ", without -q)
#: The longest unfinished line of text held back for its newline: a process that writes without
#: one and without a pause (a `-c` command's `yes | tr -d '\\n'`) is shown as it goes, in pieces
#: of about this size, not held whole (each read joined to all of it: quadratic, memory unbounded).
MAX_UNFINISHED = 1 << 16
#: What converting a row's fields may raise on output no dtrace of this plan prints (a stand-in's,
#: or text that mimics a mark): ``int(b"zz")``, a %Y past year 9999 (ValueError, OverflowError,
#: OSError from fromtimestamp), a field that is not where the record has one.  Such a row is
#: shown as the text it is, with a warning; never a crash of the run.
_ROW_ERRORS = (ValueError, OverflowError, OSError, ArithmeticError)
_END_PREFIX_START = re.compile(rb" *(?:\d+(?: +(?:\d+(?: +(?::(?:E(?:N(?:D ?)?)?)?)?)?)?)?)?")
#: A whole probe prefix of dtrace's (without -q: ``  0      2    :END ``, ``  1  9  read:entry ``)
_PROBE_PREFIX = re.compile(rb" *\d+ +\d+ +[^ ]*:[^ ]* ?")


def _utf8_complete(data: bytes) -> int:
    """How much of ``data`` ends on a whole UTF-8 character: a read may cut one in two."""
    n = len(data)
    i = n - 1
    while i >= 0 and n - i <= 3 and data[i] & 0xC0 == 0x80:
        i -= 1
    if i >= 0 and data[i] >= 0xC0:
        need = 2 if data[i] < 0xE0 else 3 if data[i] < 0xF0 else 4
        if n - i < need:
            return i
    return n


def _prefixed_end(mark: bytes) -> re.Pattern:
    """The framing END's first mark, after dtrace's probe prefix (without -q) or alone."""
    return re.compile(rb"(?: *\d+ +\d+ +:END )?" + re.escape(mark) + END_OPEN.encode())


class Printed:
    """An aggregation block ended: ``aggregations`` maps each name printed to its
    :class:`~dtracepy.run.aggregations.Aggregation`."""

    __slots__ = ("aggregations", "fmt")

    def __init__(self, aggregations: dict, fmt: str | None):
        self.aggregations = aggregations
        self.fmt = fmt

    def __repr__(self):
        return f"Printed({list(self.aggregations)})"


def ip_address(value, *, network_order: bool = True):
    """An ``ipaddress`` object from a record field: a ``str`` (``inet_ntoa``), a 32-bit ``int``
    (an ``ipaddr_t`` read from the kernel: in network byte order in memory, so by default its
    bytes are taken in this machine's order) or a 128-bit ``int``."""
    if isinstance(value, str):
        return ipaddress.ip_address(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"an address field is a str or an int, not {type(value).__name__}: {value!r}")
    if value < 0 or value >> 128:
        raise ValueError(f"not an address: {value}")
    if value <= 0xFFFFFFFF:
        order = sys.byteorder if network_order else "big"
        return ipaddress.IPv4Address(value.to_bytes(4, order))
    order = sys.byteorder if network_order else "big"
    return ipaddress.IPv6Address(value.to_bytes(16, order))


# a row's own attributes besides its fields: a column of one of these titles gets ``f_`` in
# front, as a keyword does, or ``row.titles`` would be the titles, not the column's value
_ROW_ATTRIBUTES = frozenset({"titles", "spec", "as_dict"})


def _name_char(c: str) -> str:
    return c if ("a" + c).isidentifier() else "_"


def _field_names(titles) -> list[str]:
    names = []
    for i, title in enumerate(titles):
        # Python reads a name in its NFKC form (``row.ﬁle`` is ``row.file``), so the fields are
        # named in it; a character that cannot be in a name (``½``, ``²``, ``-``) becomes ``_``
        title = unicodedata.normalize("NFKC", title)
        name = "".join(map(_name_char, title)).strip("_") or f"f{i}"
        if not name.isidentifier() or keyword.iskeyword(name) or name in _ROW_ATTRIBUTES:
            name = f"f_{name}"
        while name in names:
            name += "_"
        names.append(name)
    return names


def row_class(spec: RecordSpec):
    """The named tuple class of a record's rows; ``Row.titles`` are the columns' titles as
    written, ``row.as_dict()`` is keyed by them."""
    cls = collections.namedtuple(f"Row{spec.number}", _field_names(spec.titles))
    cls.titles = spec.titles
    cls.spec = spec
    cls.as_dict = lambda self: dict(zip(self.titles, self))
    return cls


def _int(b):
    return int(b)


def _hex(b):
    return int(b, 16)


def _oct(b):
    return int(b, 8)


def _text(b):
    return b.decode("utf-8", "surrogateescape")


def _time(b, _from=datetime.datetime.fromtimestamp):
    # whole microseconds as a float are exact to well under half a microsecond until year 2255,
    # and fromtimestamp rounds to the nearest: the result is the time truncated to the µs
    return _from(int(b) // 1000 / 1e6, _UTC)


def _char(b):
    return chr(int(b) & 0xFF)


_CONVERTERS = {"int": _int, "hex": _hex, "oct": _oct, "float": float, "time": _time,
               "char": _char, "sym": _text, "str": _text}


# Each kind of column converted a whole run of rows at a time (``col``: its fields, bytes): the
# very functions of the row-by-row path (:data:`_CONVERTERS`, the fast path's expressions),
# applied by ``map`` so that no Python code runs per field.
def _ints(col):
    return map(int, col)


def _hexes(col):
    return map(int, col, repeat(16))


def _octs(col):
    return map(int, col, repeat(8))


def _floats(col):
    return map(float, col)


def _texts(col):
    # one decode of the column joined by a separator no field holds (an ASCII byte, which UTF-8
    # never takes into a character nor into an invalid sequence, so each field decodes as alone)
    return _US.join(col).decode("utf-8", "surrogateescape").split(US)


def _strings(col):
    """A string column's fields, each ending with its NUL (checked by the caller), as text."""
    return _US.join(col).replace(_NUL_US, _US)[:-1].decode("utf-8", "surrogateescape").split(US)


def _times(col, _from=datetime.datetime.fromtimestamp):
    # _time's steps, each over the column
    micros = map(operator.floordiv, map(int, col), repeat(1000))
    return map(_from, map(operator.truediv, micros, repeat(1e6)), repeat(_UTC))


def _chars(col):
    return map(chr, map(operator.and_, map(int, col), repeat(0xFF)))


def _first_other(values: list, value) -> int:
    """The index of the first item of ``values`` other than ``value`` (there is one)."""
    for k, item in enumerate(values):
        if item != value:
            return k
    raise AssertionError("no other value")


def _ends_with_nul(col: list) -> int:
    """How many of a string column's fields, from the first, end with their NUL."""
    joined = _US.join(col)
    if joined.count(_NUL_US) == len(col) - 1 and joined.endswith(_NUL):
        return len(col)
    return next(k for k, field in enumerate(col) if not field.endswith(_NUL))


#: The fewest rows of one record in a row read column by column: a run's reading costs as much
#: as some twenty rows read one by one before its first row (the lists and iterators it makes,
#: about 45,000 instructions), and saves a little on each (a third of a row of nine columns,
#: less of a narrower one): shorter runs are read row by row.
RUN_MIN = 32


_COLUMN_CONVERTERS = {"int": _ints, "hex": _hexes, "oct": _octs, "float": _floats,
                      "time": _times, "char": _chars, "sym": _texts, "str": _strings}
_NUL, _NUL_US, _NL = b"\0", b"\0" + _US, b"\n"
_NUL_US_TEXT = "\0" + US


def _ended_strings(col: list):
    """A string column's fields as text when each ends with its NUL (the list :func:`_strings`
    gives), else None: one join and one decode, the fields then cut at each NUL and separator
    (a field holds no separator, so there are as many pieces as fields exactly when each of the
    first ends with a NUL; the last's is looked at)."""
    texts = _US.join(col).decode("utf-8", "surrogateescape").split(_NUL_US_TEXT)
    if len(texts) != len(col) or texts[-1][-1:] != "\0":
        return None
    texts[-1] = texts[-1][:-1]
    return texts


#: The kinds of column whose values are remembered by their text (:class:`_Memo`): each value is a
#: function of the field's bytes alone (int, hex, oct, char, time: not float, whose NaN is not
#: equal to itself, nor the strings, as cheap to decode as to look up).
_MEMO_KINDS = frozenset({"int", "hex", "oct", "char", "time"})
#: The most values a column remembers (a run of more different ones is not remembered).
MEMO_MAX = 256
#: The most runs a column whose values were not all remembered goes without looking them up.
MEMO_BACKOFF = 64
#: How many of a run's first fields tell whether its values are few enough to remember (more
#: than half :data:`MEMO_MAX` different ones among them: not remembered).
MEMO_SAMPLE = 256


class _Memo:
    """A column's values by their text, for columns whose values recur (a pid, a tid, a char, an
    errno, a size): a run's fields are looked up by ``map(dict.__getitem__)`` (about 600
    instructions a field against 1,000 to 1,500 for ``int()``).  A run with a field not
    remembered is converted as before, and remembered when its values are few; a column whose runs
    keep missing is looked up only once in 2, 3, 5 ... :data:`MEMO_BACKOFF` + 1 runs (a timestamp,
    an address: nothing recurs, and the lookups cost next to nothing after the first runs).  Memory: at most
    :data:`MEMO_MAX` values a column."""

    __slots__ = ("table", "skip", "backoff")

    def __init__(self):
        self.table: dict = {}
        self.skip = 0
        self.backoff = 0

    def convert(self, convert, col: list) -> list:
        table = self.table
        if self.skip:
            self.skip -= 1
            return list(convert(col))
        try:
            values = list(map(table.__getitem__, col))
        except KeyError:
            pass
        else:
            self.backoff = 0
            return values
        values = list(convert(col))
        # remembered when few: told first from the run's first fields (a run of timestamps or
        # addresses is not made into a table to be thrown away)
        if len(set(col[:MEMO_SAMPLE])) <= MEMO_MAX // 2:
            fresh = dict(zip(col, values))
            if len(fresh) <= MEMO_MAX // 2:
                if len(table) + len(fresh) > MEMO_MAX:
                    table.clear()
                table.update(fresh)
        # (a miss after a hit is looked up again at once: the values it brought are remembered)
        self.skip = self.backoff
        self.backoff = min(2 * self.backoff or 1, MEMO_BACKOFF)
        return values


class _RecordDecoder:
    __slots__ = ("cls", "convs", "nfields", "strings", "kinds", "simple", "fast", "prefix",
                 "_line_start", "_key", "_key_marks",
                 "_run", "_columns", "_memos", "lacks")

    def __init__(self, spec: RecordSpec, key: bytes = b""):
        self.cls = row_class(spec)
        self.kinds = [c.kind for c in spec.columns]
        self.convs = [_CONVERTERS[k] for k in self.kinds]
        self.nfields = 1 + len(self.kinds)
        self.strings = [j for j, kind in enumerate(self.kinds, 1) if kind == "str"]
        self.simple = not self.strings
        # fast(fields): the row from a line split at the separators, or None when a string
        # holds separators or newlines (a string's field then does not end with its NUL)
        self.fast = self._compile_fast()
        # what a line of this record starts with (``key``: its mark and number)
        self.prefix = key + _US
        self._key = key
        self._key_marks = key.count(key[:1])     # (its first byte, once or more)
        self._line_start = _NL + self.prefix
        self._columns = [(j, _COLUMN_CONVERTERS[kind]) for j, kind in enumerate(self.kinds, 1)]
        # each column's memo (None: not remembered, or a string: see run())
        self._memos = [_Memo() if kind in _MEMO_KINDS else None for kind in self.kinds]

    def run(self, lines: list, i: int, n: int):
        """The rows of ``lines[i:n]`` from the first on that :meth:`fast` takes (the same rows),
        decoded column by column: no Python code runs per row (the decoder's hot path, see
        benchmarks/bench_decode.py); none when they are fewer than :data:`RUN_MIN`; None when a
        field does not convert (the row-by-row path then reads them, and raises what it raises).

        A line is one of them when it starts with this record's mark, holds one separator
        fewer than the record's fields and each string's field ends with its NUL."""
        # the lines that start as its rows do (lines[i] does: the caller found its mark), looked
        # at in windows twice as long each time (a long run costs twice its length at most), by
        # counting a newline and the prefix in the window joined (no Python code per line); a
        # first window that is not all of them ends the look: fewer than RUN_MIN
        end, size, line_start = i + 1, RUN_MIN - 1, self._line_start
        while end < n:
            window = lines[end - 1:end + size]      # (the line before: each after a newline)
            if _NL.join(window).count(line_start) != len(window) - 1:
                if end - i < RUN_MIN:
                    return []
                starts = list(map(bytes.startswith, window[1:], repeat(self.prefix)))
                end += starts.index(False)
                break
            end += len(window) - 1
            size *= 2
        part = lines[i:end]
        stride = self.nfields
        joined = _US.join(part)
        fields = joined.split(_US)
        if not self._aligned(joined, fields, len(part)):
            # (a line with one separator too many or too few, or a field holding the key's first
            # byte): counted line by line, the rows before the first such line
            seps = stride - 1
            counts = list(map(bytes.count, part, repeat(_US)))
            if counts.count(seps) != len(part):
                del part[_first_other(counts, seps):]
                fields = _US.join(part).split(_US)
        # each string column decoded once, its NULs checked on the way (_ended_strings); when a
        # string has none, the rows before the first such string
        texts = {}
        for j in self.strings:
            texts[j] = _ended_strings(fields[j::stride])
            if texts[j] is None:
                texts = None
                break
        while texts is None and part:
            count = len(part)
            ended = min([_ends_with_nul(fields[j::stride]) for j in self.strings], default=count)
            if ended == count:
                texts = {j: _strings(fields[j::stride]) for j in self.strings}
                break
            del part[ended:]        # the rows before the first string without its NUL
            fields = _US.join(part).split(_US)
        if len(part) < RUN_MIN:
            return []
        del part, joined
        # every column converted whole (its values a list: once they all are, the fields are let
        # go before the rows are made, so a collection the rows set off does not go over them)
        columns = []
        try:
            for (j, convert), memo in zip(self._columns, self._memos):
                if j in texts:
                    columns.append(texts[j])
                elif memo is not None:
                    columns.append(memo.convert(convert, fields[j::stride]))
                else:
                    columns.append(list(convert(fields[j::stride])))
        except Exception:   # noqa: BLE001 - the row-by-row path raises it again, at its row
            return None
        del fields, texts
        return list(map(tuple.__new__, repeat(self.cls), zip(*columns)))

    def _aligned(self, joined: bytes, fields: list, count: int) -> bool:
        """Whether each of the ``count`` lines ``joined`` (by the separator) holds one separator
        fewer than the record's fields, told from the whole (``fields``: ``joined`` split), not
        line by line (a count per line cost 1,500 instructions a row of nine columns): every
        ``nfields``-th field is the record's key, and the key is nowhere else in the lines (each
        starts with it, so it is counted once a line), so no other field is a key and each row's
        fields are one line's.  (A key that holds its first byte twice: that byte is counted.)"""
        key = self._key
        if len(fields) != count * self.nfields or fields[::self.nfields].count(key) != count:
            return False
        if self._key_marks == 1:
            # (the key holds its first byte once: no two of it overlap, so the count finds every
            # one; a count of several bytes costs half a count of one, about 350 instructions a
            # row of nine columns against 715, and a string holding that byte alone, not the
            # key, no longer stops the run)
            return joined.count(key) == count
        return joined.count(key[:1]) == count * self._key_marks

    def _compile_fast(self):
        """A function made for this record: one expression per column, no loop (the decoder's
        hot path: see benchmarks/bench_decode.py)."""
        exprs, checks = [], [f"len(f) == {self.nfields}"]
        j = 1
        names = {"int": "int({})", "hex": "int({}, 16)", "oct": "int({}, 8)", "float": "float({})",
                 "time": "_time({})", "char": "_char({})", "sym": "{}.decode('utf-8', 'surrogateescape')"}
        for kind in self.kinds:
            if kind == "str":
                # no D string holds a NUL: one ending the field is the string's end
                checks.append(f"f[{j}][-1:] == b'\\0'")
                exprs.append(f"f[{j}][:-1].decode('utf-8', 'surrogateescape')")
                j += 1
            else:
                exprs.append(names[kind].format(f"f[{j}]"))
                j += 1
        source = (f"def fast(f):\n    if {' and '.join(checks)}:\n"
                  f"        return _new(cls, ({', '.join(exprs)},))\n    return None\n")
        namespace = {"_new": tuple.__new__, "cls": self.cls, "_time": _time, "_char": _char}
        exec(source, namespace)  # noqa: S102 - the source is built above from column kinds only
        return namespace["fast"]

    def slow(self, data: bytes, start: int):
        """Parse one record from ``data[start:]`` (just after the marker's number), reading each
        string up to the NUL that ends it.  Returns (row, end offset after the newline) or None
        if ``data`` ends first."""
        pos = start
        values = []
        n = len(data)
        self.lacks = ()         # (when it returns None: the bytes one of which it waits for; () any)
        for conv, kind in zip(self.convs, self.kinds):
            if pos >= n:
                return None
            if data[pos:pos + 1] != _US:
                raise ValueError("malformed record")
            pos += 1
            if kind == "str":
                end = data.find(b"\0", pos)
                if end < 0:
                    self.lacks = (b"\0",)
                    return None
                values.append(data[pos:end].decode("utf-8", "surrogateescape"))
                pos = end + 1
            else:
                ends = [e for e in (data.find(_US, pos), data.find(b"\n", pos)) if e >= 0]
                if not ends:
                    self.lacks = (_US, b"\n")
                    return None
                end = min(ends)
                values.append(conv(data[pos:end]))
                pos = end
        if pos >= n:
            self.lacks = ()
            return None
        if data[pos:pos + 1] != b"\n":
            raise ValueError("malformed record")
        return self.cls._make(values), pos + 1


def _block_length(lines: list, i: int, block_end: bytes) -> int:
    """How many of ``lines`` from ``i`` on come before the first that ends with ``block_end``
    (all of them when none does)."""
    end, size, n = i, 8, len(lines)
    while end < n:
        ends = list(map(bytes.endswith, lines[end:end + size], repeat(block_end)))
        if True in ends:
            return end - i + ends.index(True)
        end += size
        size *= 2
    return n - i


def _call(conv, b):
    return conv(b)


class Decoder:
    """Feed it dtrace's stdout; it returns events in order.  ``plan`` says what the framed program
    prints (:func:`dtracepy.run.framing.frame_program`); without one everything is text."""

    def __init__(self, plan: Plan | None = None):
        self.plan = plan or Plan(framed=False)
        # every mark starts with \036 and the run's token: a line that does not is text
        self.mark = mark = self.plan.mark.encode()
        self._marklen = len(mark)
        self._record_mark = mark + b"R"
        self._block_end = mark + b"Z"
        self._prefixed_start = _prefixed_start(mark)
        self._end_open = mark + END_OPEN.encode()
        self._end_close = mark + END_CLOSE.encode()
        self._prefixed_end = _prefixed_end(mark)
        self._ended = False     # dtracepy's END clause has printed all it prints
        self._mark_byte = mark[:1]
        self.records = {mark + b"R%d" % s.number: _RecordDecoder(s, mark + b"R%d" % s.number)
                        for s in self.plan.records}
        self.fasts = {k: d.fast for k, d in self.records.items()}
        self.printas = {str(p.number).encode(): p for p in self.plan.printas}
        self.aggregations: dict[str, _aggs.Aggregation] = {}
        self.counts = {"records": 0, "text": 0, "aggregations": 0}
        self.warnings: list[Warning] = []     # what could not be decoded exactly
        self._warned: dict[str, Warning] = {}
        self._pending = b""
        # An unfinished line (or a record cut short) longer than MAX_UNFINISHED that cannot be
        # shown yet (it may be a row, or lies in a printa block) is held in pieces, read again
        # only when a read brings one of the bytes ``_lacks`` (a newline; a string's NUL...; ()
        # any): joined to every read, its reading was quadratic (a stand-in dtrace's 16 MB
        # without a newline after a mark took 2.9 s, 32 MB 4 times as long)
        self._held: list | None = None
        self._lacks: tuple = ()
        self._block = None          # (PrintaSpec, [lines]) inside \036A .. \036Z
        # Without -q, dtrace prints a "CPU ID FUNCTION:NAME" header, the framing BEGIN's probe
        # prefix before its marker and a blank line after it: the framing stays invisible, the
        # header is held until the script prints something of its own.
        self._prelude = True
        self._header: bytes | None = None
        self._prefixed = False      # dtrace prints its probe prefixes (its header was seen)
        self._skip_blank = False

    @property
    def ended(self) -> bool:
        """dtracepy's last END clause has printed all it prints: dtrace has nothing more to say."""
        return self._ended

    def feed(self, data: bytes) -> list:
        held = self._held
        if held is not None:
            held.append(data)
            lacks = self._lacks
            if lacks and not any(b in data for b in lacks):
                return []
            self._held = None
            data = b"".join(held)
        out: list = []
        buf = self._pending + data if self._pending else data
        self._pending = b""
        records = self.records
        fasts = self.fasts
        append = out.append
        nrec = 0
        mark, marklen, record_mark = self.mark, self._marklen, self._record_mark
        kind_at = marklen + 1
        while buf:
            lines = buf.split(b"\n")
            last = lines.pop()
            buf = b""
            i = 0
            n = len(lines)
            # the first line where a run of rows may be read column by column (none in a read
            # of fewer lines than a run's least), and the lines to the next look after one that
            # found none (twice as many each time: rows mixed with other lines cost few looks)
            next_try = 0 if n >= RUN_MIN else n
            gap = RUN_MIN
            while i < n:
                if self._block is None:
                    # the hot path: a run of framed rows without surprises
                    start = i
                    while i < n:
                        line = lines[i]
                        if line[:kind_at] != record_mark:
                            break
                        fields = line.split(_US)
                        if i >= next_try:
                            # a run of RUN_MIN rows of one record or more: column by column
                            dec = records.get(fields[0]) if i + RUN_MIN <= n else None
                            rows = []
                            if dec is not None and lines[i + RUN_MIN - 1].startswith(dec.prefix):
                                rows = dec.run(lines, i, n)
                            if rows:
                                out += rows
                                i += len(rows)
                                next_try, gap = i, RUN_MIN
                                continue
                            # (a field that does not convert: row by row, to its error)
                            next_try = i + gap if rows is not None else n
                            gap *= 2
                        fast = fasts.get(fields[0])
                        try:
                            row = fast(fields) if fast is not None else None
                        except _ROW_ERRORS:
                            row = None      # (read again below: shown as text, with a warning)
                        if row is None:
                            break
                        append(row)
                        i += 1
                    nrec += i - start
                    if i >= n:
                        continue        # (to the loop's else: keep the unfinished line)
                elif not (self._prelude or self._skip_blank or self._ended):
                    # inside a printa block: its lines up to the one that ends it, kept as they
                    # are (found by a map over windows twice as long each time, not one turn of
                    # this loop a line; a window's length at most twice the block's, so many
                    # short blocks in a read cost no more than their lines)
                    k = _block_length(lines, i, self._block_end)
                    self._block[1].extend(lines[i:i + k])
                    i += k
                    if i >= n:
                        continue
                line = lines[i]
                i += 1
                if self._prelude:
                    if _HEADER.fullmatch(line):
                        self._header, self._prefixed = line, True
                        continue
                    if self._prefixed_start.fullmatch(line):
                        self._prelude = False
                        self._skip_blank = True
                        out.append(STARTED)
                        continue
                elif self._skip_blank:
                    self._skip_blank = False
                    if not line:
                        continue
                if self._ended and not line:
                    continue        # dtrace's own blank lines at exit (and after a probe's output)
                if self._block is not None:
                    if line.endswith(self._block_end):
                        if len(line) > kind_at:   # a format without a final newline
                            self._block[1].append(line[:-kind_at])
                        self._end_block(out)
                    else:
                        self._block[1].append(line)
                    continue
                if line[:marklen] == mark:
                    kind = line[marklen:kind_at]
                    if kind == b"R":
                        fields = line.split(_US)
                        dec = records.get(fields[0])
                        if dec is not None:
                            try:
                                row = dec.fast(fields)
                                if row is None:
                                    # a string holds separators or newlines: read it by its length
                                    rest = b"\n".join(lines[i - 1:]) + b"\n" + last
                                    parsed = dec.slow(rest, len(fields[0]))
                            except _ROW_ERRORS as err:
                                out.append(self._bad_row(dec, line, err))
                                continue
                            if row is not None:
                                out.append(row)
                                nrec += 1
                                continue
                            if parsed is None:      # wait for more data
                                self._pending = rest
                                self.counts["records"] += nrec
                                self._hold(dec.lacks)
                                return out
                            row, end = parsed
                            out.append(row)
                            nrec += 1
                            buf = rest[end:]
                            last = b""
                            break
                    elif kind == b"B" and len(line) == kind_at:
                        self._prelude = False
                        out.append(STARTED)
                        continue
                    elif line == self._end_open:
                        continue        # dtracepy's END clause: what it prints is decoded
                    elif line == self._end_close:
                        self._ended = True
                        continue
                    elif kind == b"A":
                        spec = self.printas.get(line[kind_at + 1:])
                        if spec is not None:
                            self._block = (spec, [])
                            continue
                    out.append(Text(_text(line) + "\n"))
                    continue
                cut = line.find(mark)
                if cut > 0 and line.endswith(self._end_open) and self._prefixed_end.fullmatch(line):
                    continue            # without -q: dtrace's probe prefix of dtracepy's END
                if cut > 0:
                    # text without a newline before a framed item: split it off
                    out.append(Text(_text(line[:cut])))
                    rest = b"\n".join(lines[i - 1:]) + b"\n" + last
                    buf = rest[cut:]
                    last = b""
                    break
                out.append(Text(_text(line) + "\n"))
            else:
                self._pending = last
                break
        self.counts["records"] += nrec
        if len(self._pending) > MAX_UNFINISHED:
            out.extend(self._long_unfinished())
            self._hold((b"\n",))
        if self._header is not None and not self._prelude:
            for k, event in enumerate(out):
                if isinstance(event, Text) and event.strip():    # not dtrace's blank lines at exit
                    out.insert(k, Text(_text(self._header) + "\n"))
                    self._header = None
                    break
        return out

    def _hold(self, lacks: tuple) -> None:
        """Hold the pending text in pieces when it is longer than MAX_UNFINISHED (see _held)."""
        if len(self._pending) > MAX_UNFINISHED:
            self._held, self._lacks, self._pending = [self._pending], lacks, b""

    def _bad_row(self, dec, line: bytes, err: Exception) -> Text:
        """A line marked as a row of ``dec``'s record whose fields do not convert, as text (its
        fields apart by blanks), and one warning a record, counted."""
        self._warn(f"rows of record {dec.cls.spec.name!r} that could not be decoded are shown as text "
                   f"(the first: {str(err)[:200]})", key=("row", dec.cls.spec.number))
        return Text(_text(line[len(dec.prefix):].replace(_US, b" ").replace(_NUL, b"")) + "\n")

    def unfinished_text(self) -> list:
        """The line still unfinished, as far as it goes, when dtrace has paused: dtrace flushes
        its output after each buffer it reads, so a script that prints without a newline (a
        progress dot a second) is seen as it prints, not at the end of the run.  Held back: what
        may yet become a mark (an RS byte, or the start of dtrace's probe prefix of dtracepy's
        END), a UTF-8 character cut by the read, and all of it inside a printa block or before
        tracing starts."""
        pending = self._pending
        if (not pending or self._held is not None or self._block is not None or self._prelude
                or self._mark_byte in pending or _END_PREFIX_START.fullmatch(pending)):
            return []
        cut = _utf8_complete(pending)
        if not cut:
            return []
        self._pending = pending[cut:]
        self._skip_blank = False
        return [Text(_text(pending[:cut]))]

    def _long_unfinished(self) -> list:
        """An unfinished line longer than :data:`MAX_UNFINISHED`, up to where a mark may start, as
        text (as :meth:`unfinished_text` shows it at a pause): a mark starts a record or a block
        wherever it stands in a line, so what may be one stays; other text cannot become one.
        Before tracing starts too: what the prelude waits for (dtrace's header, the framing
        BEGIN's probe prefix and mark) is a short line, and a longer one is text there as
        anywhere (held whole, each read was joined to all of it: quadratic, unbounded)."""
        pending = self._pending
        if self._block is not None:
            return []
        mark, mark_byte = self.mark, self._mark_byte
        keep = pending.find(mark_byte)
        while keep >= 0 and not mark.startswith(pending[keep:keep + len(mark)]):
            keep = pending.find(mark_byte, keep + 1)
        if keep < 0:
            keep = len(pending)
        cut = _utf8_complete(pending[:keep])
        if not cut:
            return []
        self._pending = pending[cut:]
        self._skip_blank = False
        return [Text(_text(pending[:cut]))]

    def close(self) -> list:
        """The end of the output: what is left over (an unterminated line, a block cut short)."""
        out: list = []
        if self._held is not None:
            self._pending, self._held = b"".join(self._held), None
        if self._pending and self._prefixed and _PROBE_PREFIX.fullmatch(self._pending):
            # a probe's prefix and nothing after it, not even its newline: dtrace broke off (a printa
            # it aborted, "processing aborted: ...") before the clause printed anything, dtracepy's
            # END's marks too; no text of the script's, so neither it nor the held header shows
            self._pending = b""
        if self._pending:
            rest, self._pending = self._pending, b""
            out = self.feed(rest + b"\n")
            if out and isinstance(out[-1], Text) and not rest.endswith(b"\n"):
                out[-1] = Text(out[-1][:-1])
        if self._block is not None:
            self._end_block(out)
        self._pending = b""
        return out

    def _end_block(self, out: list) -> None:
        spec, lines = self._block
        self._block = None
        # (decoded joined: a newline is no part of a UTF-8 sequence, so each line decodes as
        # alone, surrogateescape and all)
        text_lines = _text(b"\n".join(lines)).split("\n") if lines else []
        try:
            aggs, doubt = decode_block(spec, text_lines, self.plan)
            if spec.fmt is not None:
                formats = _aggs.key_formats(spec.fmt)
                for agg in aggs.values():
                    agg.key_formats = formats
        except (ValueError, LookupError, StopIteration, TypeError, ArithmeticError) as err:
            # never a crash nor a guess: the block as dtrace printed it, and a warning (TypeError:
            # a histogram and a number printed for one key, which no dtrace prints)
            if text_lines and not spec.fields:
                out.append(Text("\n".join(text_lines) + "\n"))
            elif text_lines:
                entry = self.plan.mark + ENTRY_KIND + US
                out.append(Text("".join(line.replace(entry, "").replace(US, " ") + "\n"
                                        for line in text_lines)))
            self._warn(f"printa of {_names(spec.names)} could not be decoded ({err}); "
                       "shown as text")
            return
        if doubt:
            self._warn(f"{_names(spec.names)}: {doubt}")
        self.aggregations.update(aggs)
        self.counts["aggregations"] += 1
        out.append(Printed(aggs, spec.fmt))

    def _warn(self, message: str, key=None) -> None:
        key = message if key is None else key
        old = self._warned.get(key)
        if old is not None:
            old.count += 1
            return
        warning = Warning("decode", 1, f"dtracepy: warning: {message}")
        self._warned[key] = warning
        self.warnings.append(warning)


def _names(names) -> str:
    return ", ".join(f"@{n}" for n in names)


def decode_block(spec, lines: list[str], plan: Plan) -> tuple[dict, str | None]:
    """The aggregations of one printa block (lines of text, no newlines), and why they may be
    wrong (None when they are exact); ValueError when the block cannot be decoded."""
    kinds = {n: (plan.agg(n).kind if plan.agg(n) else None) for n in spec.names}
    if spec.fields is not None:
        doubt = None
        info = plan.agg(spec.names[0]) if len(spec.names) == 1 else None
        shown = sum(1 for f in spec.fields if f != "agg")
        if info is not None and info.nkeys is not None and shown < info.nkeys:
            doubt = (f"printa's format prints {shown} of the {info.nkeys} keys: entries that "
                     "differ only in the others are merged")
        default = None
        if spec.paired:
            split = lines.index(plan.mark + PAIRED)     # ValueError (shown as text) if missing
            lines, default = lines[:split], lines[split + 1:]
        aggs = _aggs.parse_framed("\n".join(lines), spec.fields, spec.names, kinds,
                                  entry=plan.mark + ENTRY_KIND)
        if default is not None:
            doubt = _aggs.paired_values(aggs[spec.names[0]], spec.fields, default)
        return aggs, doubt
    if spec.fmt is None and len(spec.names) == 1:
        name = spec.names[0]
        info = plan.agg(name)
        agg = _aggs.parse_default(
            lines, name, info.kind if info else None, info.nkeys if info else None,
            info.stack_keys if info else None)
        return {name: agg}, _aggs.default_doubt(lines, agg, info.nkeys if info else None,
                                                 info.key_kinds if info else ())
    text = "\n".join(lines) + "\n"
    if spec.fmt is None:
        raise ValueError("printa of several aggregations needs a format")
    # printa prints a blank line first in the default format only
    return _aggs.parse_printa(text, spec.fmt, spec.names, kinds), None
