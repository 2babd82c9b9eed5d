"""Aggregations as dtrace prints them, decoded: mappings from key tuples to numbers or histograms.

dtrace prints an aggregation in one of two ways, and both are read here:

* the default format (``printa(@a)``, and what dtrace prints at exit): one entry per line, keys
  first, the value last; a histogram as a key line followed by the ``value ---- Distribution ----
  count`` table; ``stack()``/``ustack()`` keys as one frame per line (indented 14 spaces);
* ``printa("fmt", @a)``: the format string, with ``%@...`` where the value goes (a whole table for
  a histogram) and ``%k`` where a stack goes.

illumos, macOS, FreeBSD and Oracle Linux print the same shapes; they differ in what this module
tolerates: illumos and macOS elide runs of empty buckets in the middle of a ``quantize`` table,
macOS writes ``stack()`` frames as ``module`function+0x..`` just like the others but with no
``vmlinux`` module, and Oracle prints an empty stack key as a blank line.
"""

from __future__ import annotations

import bisect
import re
from itertools import repeat

from dtracepy.facts.conversions import FormatError, parse_format
from dtracepy.run.printa_scan import PrintaScanner, why_run_together

HISTOGRAM_KINDS = frozenset({"quantize", "lquantize", "llquantize"})
_HIST_HEADER = re.compile(r"^\s*value\s+-+ Distribution -+\s+count\s*$")
_HIST_ROW = re.compile(r"^\s*(<|>=|abs\(\) <)?\s*(-?\d+) \|([@ ]*)\s+(-?\d+)\s*$")
_INT = re.compile(r"-?\d+$")
_FRAME_INDENT = " " * 14


class Stack(tuple):
    """A ``stack()``/``ustack()`` key: a tuple of frames (``module`function+0xoff`` strings),
    innermost first.  ``list(key)`` gives the frames as a list."""

    __slots__ = ()

    def __repr__(self):
        return f"Stack({list(self)!r})"


class Histogram:
    """A ``quantize``/``lquantize``/``llquantize`` value.

    ``buckets`` is a list of ``(low, count)`` in increasing order of ``low``: a bucket holds the
    values from its ``low`` up to the next bucket's ``low`` (excluded).  ``underflow`` and
    ``overflow`` are the ``< base`` and ``>= limit`` rows of an ``lquantize`` (0 when absent)."""

    __slots__ = ("buckets", "underflow", "overflow", "underflow_bound", "overflow_bound", "abs_low")

    def __init__(self, buckets=(), underflow: int = 0, overflow: int = 0,
                 underflow_bound: int | None = None, overflow_bound: int | None = None):
        self.buckets = list(buckets)
        self.underflow = underflow
        self.overflow = overflow
        self.underflow_bound = underflow_bound
        self.overflow_bound = overflow_bound
        # the low of the bucket dtrace draws as "abs() < N" (Oracle's llquantize: -N < v < N)
        self.abs_low: int | None = None

    @property
    def bounds(self) -> list[int]:
        return [low for low, _ in self.buckets]

    @property
    def counts(self) -> list[int]:
        return [count for _, count in self.buckets]

    @property
    def total(self) -> int:
        return self.underflow + self.overflow + sum(count for _, count in self.buckets)

    def percentile(self, p: float) -> int | None:
        """The low bound of the bucket holding the ``p``-th percentile (0 < p <= 100): the value
        is at least this and below the next bucket.  ``None`` for an empty histogram; the
        underflow row answers ``underflow_bound - 1``, the overflow row ``overflow_bound``."""
        if not 0 < p <= 100:
            raise ValueError(f"a percentile is in (0, 100], not {p!r}")
        total = self.total
        if total == 0:
            return None
        rank = p * total / 100
        seen = self.underflow
        if seen >= rank:
            return (self.underflow_bound if self.underflow_bound is not None else 0) - 1
        for low, count in self.buckets:
            seen += count
            if seen >= rank:
                return low
        return self.overflow_bound if self.overflow_bound is not None else self.buckets[-1][0]

    def count_at(self, value: int) -> int:
        """The count of the bucket that holds ``value``."""
        if self.underflow_bound is not None and value < self.underflow_bound:
            return self.underflow
        if self.overflow_bound is not None and value >= self.overflow_bound:
            return self.overflow
        lows = self.bounds
        i = bisect.bisect_right(lows, value) - 1
        return self.buckets[i][1] if i >= 0 else 0

    def as_dict(self) -> dict:
        out = {"buckets": [[low, count] for low, count in self.buckets], "total": self.total}
        if self.underflow_bound is not None:
            out["underflow"] = [self.underflow_bound, self.underflow]
        if self.overflow_bound is not None:
            out["overflow"] = [self.overflow_bound, self.overflow]
        return out

    def __eq__(self, other):
        return isinstance(other, Histogram) and self.as_dict() == other.as_dict()

    def __repr__(self):
        return f"Histogram(total={self.total}, buckets={self.buckets!r})"

    def draw(self) -> str:
        """The table as DTrace draws it (``value ---- Distribution ---- count``)."""
        rows = []
        if self.underflow_bound is not None:
            rows.append((f"< {self.underflow_bound}", self.underflow))
        rows += [(f"abs() < {1 - low}" if low == self.abs_low else str(low), count)
                 for low, count in self.buckets]
        if self.overflow_bound is not None:
            rows.append((f">= {self.overflow_bound}", self.overflow))
        total = self.total or 1
        lines = ["           value  ------------- Distribution ------------- count    "]
        for label, count in rows:
            bar = "@" * int(40 * count / total + 0.5)
            lines.append(f"{label:>16} |{bar:<40} {count:<9}")
        return "\n".join(lines) + "\n"


class Aggregation(dict):
    """One aggregation as last printed: ``{(key, ...): value}`` (``()`` for no keys).  Values are
    ``int`` (count, sum, avg, min, max, stddev as dtrace prints them) or :class:`Histogram`."""

    def __init__(self, name: str, kind: str | None = None, data=()):
        super().__init__(data)
        self.name = name
        self.kind = kind
        # each key's conversion where printa's format printed it in a base (``%x``, ``%08o``, ``%p``),
        # None for the others; () when printed in the default format (:func:`key_formats`)
        self.key_formats: tuple = ()

    def __repr__(self):
        return f"Aggregation(@{self.name}, {self.kind or '?'}, {len(self)} keys)"

    @property
    def value(self):
        """The value of an aggregation without keys (``@n = count()``)."""
        return self.get(())


def key_formats(fmt: str) -> tuple:
    """Each key's conversion of a printa format (its conversions but the ``%@`` ones, in order)
    where it prints the key in a base, ``%x``, ``%X``, ``%o`` or ``%p`` (the table shows the key
    so, as dtrace printed it); None for the others; () for a format whose keys are not told in
    order (a ``*`` or an ``N$``) or that D refuses."""
    try:
        convs = parse_format(fmt, located=False)
    except FormatError:
        return ()
    if any(c.stars or c.positional for c in convs):
        return ()
    formats = tuple(c.text if c.conv in ("x", "X", "o", "p") else None for c in convs if not c.agg)
    return formats if any(formats) else ()


# --- the default format ------------------------------------------------------------------------
def _key_value(token: str):
    return int(token) if _INT.match(token) else token


def _split_keys(text: str, nkeys: int | None) -> tuple:
    """Keys of a default-format line (value removed).  Strings are left-aligned and padded, numbers
    right-aligned, every key preceded by at least one space: split on runs of two or more spaces
    first (a string key may hold single spaces), then on single spaces if that gives too few."""
    if text.startswith(_HEXMARK):
        return (text[len(_HEXMARK):],)
    text = text.strip()
    if not text:
        return ()
    parts = re.split(r"\s{2,}", text)
    if nkeys is None or len(parts) == nkeys:
        return tuple(_key_value(p) for p in parts)
    words = text.split()
    if len(words) == nkeys:
        return tuple(_key_value(p) for p in words)
    if len(parts) > nkeys:  # a string key with runs of spaces inside: keep the numbers at the end
        head = len(parts) - nkeys + 1
        return (" ".join(parts[:head]),) + tuple(_key_value(p) for p in parts[head:])
    return tuple(_key_value(p) for p in parts)


def _histogram(lines, i):
    """Read the table whose header is ``lines[i]``; return (Histogram, next index)."""
    hist = Histogram()
    i += 1
    n = len(lines)
    while i < n:
        m = _HIST_ROW.match(lines[i])
        if not m:
            break
        sign, low, count = m.group(1), int(m.group(2)), int(m.group(4))
        if sign == "abs() <":   # Oracle's llquantize: the values strictly between -low and low
            hist.buckets.append((1 - low, count))
            hist.abs_low = 1 - low
        elif sign == "<":
            hist.underflow, hist.underflow_bound = count, low
        elif sign == ">=":
            hist.overflow, hist.overflow_bound = count, low
        else:
            hist.buckets.append((low, count))
        i += 1
    return hist, i


_HEX_HEADER = re.compile(r"^\s+0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f  0123456789abcdef$")
# what a line _HEX_HEADER matches holds: a block without it has no hex dump (one look at the
# block joined, not a match a line)
_HEX_HEADER_END = "0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f  0123456789abcdef"
_HEX_ROW = re.compile(r"^\s+[0-9a-f]+: ((?:[0-9a-f]{2} )+)")
_HEXMARK = "\0hex:"


def _fold_hex_keys(lines):
    """dtrace prints a string key holding unprintable bytes (a newline, a tab) as a hex dump of
    its whole buffer; each dump becomes one line ``_HEXMARK + the string`` (up to its NUL)."""
    if _HEX_HEADER_END not in "\n".join(lines) or not any(_HEX_HEADER.match(l) for l in lines):
        return lines
    out = []
    i, n = 0, len(lines)
    while i < n:
        if _HEX_HEADER.match(lines[i]):
            data = bytearray()
            i += 1
            while i < n:
                m = _HEX_ROW.match(lines[i])
                if not m:
                    break
                data += bytes.fromhex(m.group(1))
                i += 1
            out.append(_HEXMARK + bytes(data).split(b"\0", 1)[0].decode("utf-8", "surrogateescape"))
            continue
        out.append(lines[i])
        i += 1
    return out


_PER_CPU = re.compile(r"^\s+\[CPU \d+\](?:\s+-?\d+)?\s*$")


def _drop_per_cpu(lines):
    """``-x aggpercpu`` adds, after each entry, one ``[CPU n]`` line per CPU (its value, or its
    histogram table below it): dropped, the entry's total stays."""
    if "[CPU " not in "\n".join(lines) or not any(l.lstrip().startswith("[CPU ") for l in lines):
        return lines
    out = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        i += 1
        if not _PER_CPU.match(line):
            out.append(line)
            continue
        if i < n and _HIST_HEADER.match(lines[i]):
            i += 1
            while i < n and _HIST_ROW.match(lines[i]):
                i += 1
    return out


def _is_frame(line: str) -> bool:
    return line.startswith(_FRAME_INDENT) and not _INTS.match(line)


_INTS = re.compile(r"\s*-?\d+(?:\s+-?\d+)*\s*$")


def parse_default(lines, name: str = "", kind: str | None = None, nkeys: int | None = None,
                  stack_keys: tuple[int, ...] | None = None) -> Aggregation:
    """Decode one aggregation in dtrace's default format (``lines`` without newlines).

    ``nkeys`` (when known) is how many keys an entry has, ``stack_keys`` the positions of the
    ``stack()``/``ustack()`` keys among them; unknown, a line of frames (indented 14 spaces) is
    taken for a stack key."""
    agg = Aggregation(name, kind)
    lines = _fold_hex_keys(_drop_per_cpu(lines))
    n = len(lines)
    # (what no line holds is seen in the lines joined, in one look each: the per-line looks
    # below are made only when the joined lines hold it)
    joined = "\n" + "\n".join(lines)
    has_stack = bool(stack_keys) if stack_keys is not None else (
        "\n" + _FRAME_INDENT in joined and any(_is_frame(l) for l in lines))
    plain_keys = None if nkeys is None else nkeys - (len(stack_keys) if stack_keys else int(has_stack))
    if not has_stack and kind not in HISTOGRAM_KINDS and "Distribution" not in joined and (
            "\n" + _HEXMARK not in joined or not any(l.startswith(_HEXMARK) for l in lines)):
        if not _scalars_columns(agg, lines, plain_keys):
            _scalars(agg, lines, plain_keys)
        return agg
    pending: list[str] = []
    i = 0
    while i < n:
        line = lines[i]
        if _HIST_HEADER.match(line):
            hist, i = _histogram(lines, i)
            agg[_entry_keys(pending, plain_keys, has_stack)] = hist
            if agg.kind is None:
                agg.kind = "quantize"
            pending = []
            continue
        i += 1
        stripped = line.strip()
        if not stripped:
            continue
        nxt = lines[i] if i < n else ""
        if has_stack:
            if _INT.match(stripped) and not _is_frame(line):
                starts_entry = not pending and (plain_keys or (plain_keys is None and _is_frame(nxt)))
                if not starts_entry:
                    _put(agg, _entry_keys(pending, plain_keys, True), int(stripped))
                    pending = []
                    continue
            if stack_keys == (0,) and plain_keys and not _is_frame(line):
                # the stack first (dtrace prints keys in order): the plain keys after its frames
                # (none: an empty stack), on the value's line (@[stack(), pid] = count()): such
                # entries were dropped
                head, _, value = line.rstrip().rpartition(" ")
                if _INT.match(value):
                    frames = Stack(f.strip() for f in pending if _is_frame(f))
                    _put(agg, (frames,) + _split_keys(head, plain_keys), int(value))
                    pending = []
                    continue
            pending.append(line)
            continue
        if _HIST_HEADER.match(nxt):
            pending = [line]
            continue
        if line.startswith(_HEXMARK):
            if _INT.match(nxt.strip()):
                _put(agg, _split_keys(line, plain_keys), int(nxt.strip()))
                i += 1
            continue
        head, _, value = line.rstrip().rpartition(" ")
        if _INT.match(value):
            _put(agg, _split_keys(head, plain_keys), int(value))
    if pending:
        # lines no entry took (a stack key between plain keys, or two stack keys: their layout
        # is not read): never an empty aggregation without a word; the caller shows the block
        # as text, with a warning
        raise ValueError(f"{len(pending)} lines of entries whose stack keys stand among others "
                         "could not be read")
    return agg


def _scalars_columns(agg: Aggregation, lines, nkeys: int | None) -> bool:
    """:func:`_scalars` of lines that each hold ``nkeys`` keys and a value as words (or none),
    read column by column: no Python code runs per line (an aggregation of 100,000 keys, see
    benchmarks/bench_decode.py).  False, and ``agg`` untouched, when they do not, when a key
    column holds both numbers and words, when a count or a sum has a key twice (added up) or a
    value does not convert: :func:`_scalars` reads them (and raises what it raises)."""
    if not nkeys:
        return False
    stride = nkeys + 1
    # (each line's words counted, not kept: a list a line kept is one more object a line for
    # the collector to go over, again and again: 100,000 lines took longer than line by line)
    sizes = list(map(len, map(str.split, lines)))
    if sizes.count(stride) + sizes.count(0) != len(sizes):
        return False
    words = "\n".join(lines).split()
    keys = []
    for j in range(nkeys):
        column = words[j::stride]
        # _scalars' test of a number: its digits after any '-'s (str.isdigit: "²" is one, and
        # int() refuses it: then a ValueError, and _scalars raises it at its line)
        numbers = list(map(str.isdigit, map(str.lstrip, column, repeat("-"))))
        if all(numbers):
            try:
                column = list(map(int, column))
            except ValueError:
                return False
        elif any(numbers):
            return False
        keys.append(column)
    try:
        values = list(map(int, words[nkeys::stride]))
    except ValueError:
        return False
    keys = list(zip(*keys))
    if agg.kind in ("count", "sum") and len(set(keys)) != len(keys):
        return False
    agg.update(zip(keys, values))
    return True


def _scalars(agg: Aggregation, lines, nkeys: int | None) -> None:
    """The common case, fast: one entry per line, keys then the value."""
    add = agg.kind in ("count", "sum")
    for line in lines:
        parts = line.split()
        if not parts:
            continue
        value = int(parts[-1])
        if nkeys is not None and len(parts) - 1 != nkeys:
            keys = _split_keys(line.rstrip().rpartition(" ")[0], nkeys)
        else:
            keys = tuple([int(p) if p.lstrip("-").isdigit() else p for p in parts[:-1]])
        if add and keys in agg:
            agg[keys] += value
        else:
            agg[keys] = value


# dtrace keeps these as an int64_t, and its default format prints them signed; its printa
# formats do not always: printa("%s %@d %@d\n", @c, @s) prints a sum(-5) given after the
# first aggregation as 18446744073709551611 (and %@u any negative one so)
_SIGNED_KINDS = frozenset(("sum", "min", "max"))
_TWO_TO_63 = 1 << 63


def _signed(agg: Aggregation, value):
    """``value`` as the aggregation holds it: a sum, min or max printed unsigned made signed."""
    if value.__class__ is int and value >= _TWO_TO_63 and agg.kind in _SIGNED_KINDS:
        return value - (_TWO_TO_63 << 1)
    return value


def _put(agg: Aggregation, key: tuple, value: int) -> None:
    """Two entries print alike when their stacks symbolize alike (two return addresses in one
    function without offsets): counts and sums add up, other kinds keep the last."""
    value = _signed(agg, value)
    if key in agg and agg.kind in ("count", "sum"):
        agg[key] += value
    else:
        agg[key] = value


def _entry_keys(pending: list[str], plain_keys: int | None, has_stack: bool) -> tuple:
    if not has_stack:
        return _split_keys(pending[0], plain_keys) if pending else ()
    frames = list(pending)
    keys: tuple = ()
    if frames and (not _is_frame(frames[0]) or plain_keys):
        keys = _split_keys(frames.pop(0), plain_keys)
    return keys + (Stack(f.strip() for f in frames),)


# --- printa with a format string ---------------------------------------------------------------
class FormatDecoder:
    """Decodes the output of ``printa(fmt, @a)`` back into entries, from the format alone (read
    by :class:`dtracepy.run.printa_scan.PrintaScanner`)."""

    def __init__(self, fmt: str):
        self.scanner = PrintaScanner(fmt)
        self.types = self.scanner.kinds
        self.pads = self.scanner.pads       # each key's (width, left-aligned): dtrace's padding

    def entries(self, text: str):
        """(keys, [values]) for each entry, in order."""
        pos = 0
        n = len(text)
        match = self.scanner.match
        while pos < n:
            end, caps = match(text, pos)
            if end <= pos:
                rest = text[pos:]
                if not rest.strip():
                    return
                pair = self.scanner.run_together
                why = f" ({why_run_together(*pair)})" if pair else ""
                raise ValueError(f"printa output does not match its format at {rest[:60]!r}{why}")
            groups = iter(caps)
            pads = iter(self.pads)
            keys, values = [], []
            for kind in self.types:
                if kind == "agg":
                    scalar, table = next(groups), next(groups)
                    if scalar is not None:
                        values.append(int(scalar))
                    else:
                        values.append(_table(table))
                    continue
                raw = next(groups)
                width, left = next(pads)
                if kind == "int":
                    keys.append(int(raw))
                elif kind == "hex":
                    keys.append(int(raw, 16))
                elif kind == "oct":
                    keys.append(int(raw, 8))
                elif kind == "float":
                    keys.append(float(raw))
                elif kind == "stack":
                    keys.append(Stack(f.strip() for f in raw.split("\n") if f.strip()))
                else:
                    keys.append(_unpadded(raw, width, left))
            pos = end
            yield tuple(keys), values


def _table(text: str) -> Histogram:
    """The histogram of a table printa's format matched (its header may be cut over two lines,
    ``value`` and the dashes: ValueError, not a StopIteration a generator would turn into a
    RuntimeError)."""
    lines = text.split("\n")
    start = next((j for j, l in enumerate(lines) if _HIST_HEADER.match(l)), None)
    if start is None:
        raise ValueError(f"a histogram's header is not on one line: {text[:60]!r}")
    return _histogram(lines, start)[0]


def _unpadded(raw: str, width: int, left: bool) -> str:
    """A string key as printed by its conversion (``%3s``: ``"  a"``, ``%-3s``: ``"a  "``), without
    the blanks dtrace padded it with to ``width`` (the conversion's, as parse_format reads it):
    the key's value.  A key that fills the width was not padded.  (A key's own blanks on the
    padded side cannot be told from padding here; the framed printa, exact, is the usual path.)"""
    if width and len(raw) <= width:
        return raw.rstrip(" ") if left else raw.lstrip(" ")
    return raw


def _framed_value(kind: str, raw: str):
    if kind == "agg":
        if "Distribution" in raw:
            lines = raw.split("\n")
            start = next(j for j, l in enumerate(lines) if _HIST_HEADER.match(l))
            return _histogram(lines, start)[0]
        return int(raw.strip())
    if kind in ("int", "uint"):
        return int(raw.strip())
    if kind == "hex":
        return int(raw.strip(), 16)
    if kind == "oct":
        return int(raw.strip(), 8)
    if kind == "float":
        return float(raw.strip())
    if kind == "stack":
        return Stack(f.strip() for f in raw.split("\n") if f.strip())
    return raw


def _framed_columns(agg: Aggregation, pieces: list, fields, text: str) -> bool:
    """The simple entries of :func:`parse_framed` (string and integer keys, one value: what its
    loop's first branch takes) read column by column, no Python code an entry (an aggregation of
    100,000 keys, see benchmarks/bench_decode.py).  False, and ``agg`` untouched, unless every
    entry is one such (a separator first, a newline last, as many fields as ``fields``, no
    table), every number converts, no value is printed unsigned (``_signed``) and a count or a
    sum has no key twice: the loop reads them (and raises what it raises)."""
    entries = pieces[1:]
    if not entries or "Distribution" in text:
        return False
    stride = len(fields) + 1
    # (each entry's separators counted, the entries split joined: no list an entry for the
    # collector to go over)
    if list(map(str.count, entries, repeat(_US))).count(stride - 1) != len(entries):
        return False
    words = _US.join(entries).split(_US)
    last = words[stride - 1::stride]
    if words[::stride].count("") != len(entries) or not all(map(str.endswith, last, repeat("\n"))):
        return False
    try:
        keys = [list(map(int, words[j::stride])) if kind == "int" else words[j::stride]
                for j, kind in enumerate(fields[:-1], 1)]
        values = list(map(int, last))
    except ValueError:
        return False
    if values and max(values) >= _TWO_TO_63 and agg.kind in _SIGNED_KINDS:
        return False
    keys = list(zip(*keys)) if keys else [()] * len(values)
    if agg.kind in ("count", "sum") and len(set(keys)) != len(keys):
        return False
    agg.update(zip(keys, values))
    return True


def parse_framed(text: str, fields, names, kinds=None, entry: str = "\x1eK") -> dict:
    """Decode a framed printa block (:func:`dtracepy.run.framing.framed_default`): entries
    ``entry`` (``\036``, the run's token, ``K``) then each field after a ``\037``, a newline at
    the end.  ``fields`` are the kinds of the fields in order (``agg`` for a value, one per name).
    ValueError when an entry does not split into its fields (a string key holding ``\037``, or
    output dtrace broke off)."""
    kinds = kinds or {}
    aggs = {name: Aggregation(name, kinds.get(name)) for name in names}
    text = text if text.endswith("\n") else text + "\n"
    pieces = text.split(entry)
    if pieces[0].strip():
        raise ValueError(f"text before the first entry: {pieces[0][:60]!r}")
    simple = fields[-1] == "agg" and all(f in ("str", "int") for f in fields[:-1]) and len(names) == 1
    if simple and _framed_columns(aggs[names[0]], pieces, fields, text):
        return aggs
    for piece in pieces[1:]:
        if simple and piece[:1] == _US and piece[-1:] == "\n":
            raw = piece[1:-1].split(_US)
            if len(raw) == len(fields) and "Distribution" not in raw[-1]:
                key = tuple([int(v) if f == "int" else v for f, v in zip(fields, raw[:-1])])
                _put(aggs[names[0]], key, int(raw[-1]))
                continue
        if not piece.startswith(_US) or not piece.endswith("\n"):
            raise ValueError(f"an entry is cut short: {piece[:60]!r}")
        raw = piece[1:-1].split(_US)
        if len(raw) != len(fields):
            # (or dtrace broke off its printa: Oracle's aborts a printa("%A") of a ufunc() key with
            # "processing aborted: Data record list does not match statement")
            raise ValueError(f"an entry has {len(raw)} fields, not {len(fields)}: a string key "
                             "holds the separator byte \\037, or dtrace broke off the printa (see its "
                             "messages)")
        keys, values = [], []
        for kind, value in zip(fields, raw):
            (values if kind == "agg" else keys).append(_framed_value(kind, value))
        key = tuple(keys)
        for name, value in zip(names, values):
            _put(aggs[name], key, value)
    return aggs


_US = "\x1f"
_VALUE_LINE = re.compile(r".*\s(-?\d+)$")
_DUMPED = re.compile(r"[^\x20-\x7e\t\n\v\f\r\b\a]")


def paired_values(agg: Aggregation, fields, lines) -> str | None:
    """Give ``agg`` (an ``avg`` decoded from its framed entries: exact keys, in the order dtrace
    printed them) the values of the same entries in dtrace's default format, ``lines``.

    dtrace's printa formats compute an average in unsigned arithmetic (Oracle's and illumos'
    ``pfprint_average``: ``data[1] / normal / data[0]`` on ``uint64_t``), so ``%@d`` of
    ``avg(-4)`` and ``avg(3)`` prints 9223372036854775807; the default format divides signed and
    prints 0, which is what ``dtrace -s`` of the script shows.  Both printa print the entries in
    the same order, and in the default format each entry ends with its value: an entry spans one
    line plus one per newline in its string keys, or, when a string key is one dtrace dumps as
    bytes (empty, or holding bytes that are not printable ASCII), a length this does not know;
    such an entry is located from its neighbours when it is the only one.  Returns why values may
    be wrong (they are then the framed ones), or None."""
    lines = _drop_per_cpu(lines)
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    lines = lines[start:]
    while lines and not lines[-1].strip():
        lines.pop()
    keys = list(agg)
    spans = []
    for key in keys:
        strings = [k for f, k in zip(fields, key) if f == "str"]
        if any(not s or _DUMPED.search(s) for s in strings):
            spans.append(None)
        else:
            spans.append(1 + sum(s.count("\n") for s in strings))
    n = len(keys)
    unknown = [i for i, span in enumerate(spans) if span is None]
    if len(unknown) > 1:
        return (f"{len(unknown)} entries have string keys dtrace prints as bytes, so their "
                "averages could not be read from its default format: dtrace's printa formats "
                "print a negative average as a large positive number, and these values are those")
    ends: list | None = [None] * n
    pos = 0
    for i in range(n):                      # from the start, up to the unknown span
        if spans[i] is None:
            break
        pos += spans[i]
        ends[i] = pos - 1
    if unknown:                             # from the end, back to it: it holds what is left
        after = len(lines)
        for i in range(n - 1, unknown[0], -1):
            ends[i] = after - 1
            after -= spans[i]
        ends[unknown[0]] = after - 1
        if after - 1 < pos:
            ends = None
    elif pos != len(lines):
        ends = None
    values = []
    for end in ends or ():
        m = _VALUE_LINE.match(lines[end]) if 0 <= end < len(lines) else None
        if m is None:
            values = None
            break
        values.append(int(m.group(1)))
    if ends is None or values is None or len(values) != n:
        return ("the averages could not be read from dtrace's default format: dtrace's printa "
                "formats print a negative average as a large positive number, and these values "
                "are those")
    for key, value in zip(keys, values):
        agg[key] = value
    return None


def default_doubt(lines, agg: Aggregation, nkeys: int | None, key_kinds: tuple = ()) -> str | None:
    """Why keys decoded from the default format may be wrong, when it shows: an entry's keys
    do not split into ``nkeys`` words (a string key holds spaces, or is empty), or entries printed
    alike were merged.  None when nothing shows (which is no proof: a string key ``"7"`` and an
    integer key ``7`` print alike)."""
    lines = [l for l in _drop_per_cpu(lines) if l.strip()]
    joined = "\n" + "\n".join(lines)
    if not lines or "Distribution" in joined or ("\n" + _FRAME_INDENT in joined or _HEX_HEADER_END
                                                 in joined) and any(
            _is_frame(l) or _HEX_HEADER.match(l) for l in lines):
        return None
    if nkeys is not None and list(map(len, map(str.split, lines))).count(nkeys + 1) != len(lines):
        return ("a string key holds spaces or is empty, and dtrace's default format separates keys "
                "by spaces: the keys may be split wrongly (give printa a format, or key types "
                "dtracepy can see)")
    if len(agg) < len(lines):
        if "symbol" in key_kinds:
            return (f"{len(lines)} entries printed as {len(agg)} keys: dtrace prints the addresses of a "
                    "symbol key (func(), ufunc(), sym() ...) in one function under one name"
                    + (", and their values are added up" if agg.kind in ("count", "sum") else
                       ", and the last one's value is kept"))
        return (f"{len(lines)} entries printed as {len(agg)} keys: string keys holding spaces "
                "cannot be told apart in dtrace's default format")
    return None


def parse_printa(text: str, fmt: str, names, kinds=None) -> dict:
    """Decode ``printa(fmt, @a[, @b ...])`` output into one Aggregation per name."""
    kinds = kinds or {}
    aggs = {name: Aggregation(name, kinds.get(name)) for name in names}
    decoder = FormatDecoder(fmt)
    for keys, values in decoder.entries(text):
        for name, value in zip(names, values):
            aggs[name][keys] = _signed(aggs[name], value)
    return aggs
