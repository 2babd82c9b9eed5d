"""Session 27, decoder28 (issue 8): less work a framed row in ``run``'s decoder
(docs/PERFORMANCE.md, "Session 27, decoder28").  In a run of rows read column by column
(``_RecordDecoder.run``): the values of a column that recur (a pid, a tid, a char) are looked up by
their text (``_Memo``), a string column is joined and decoded once with its NULs checked on the way
(``_ended_strings``), the fields are let go before the rows are made, and the run's whole check
counts the key, not its first byte.  The work is counted, never timed; the differential tests
below pin the decoder to the old one (``_old_run``: ``run`` as it was, kept here) on random
streams: hostile strings, recurring and unique values, text between rows, frames cut short."""

from __future__ import annotations

import random
import sys
from itertools import repeat

import pytest

from dtracepy.run import decode
from dtracepy.run.decode import Decoder
from dtracepy.run.framing import Plan, RecordSpec, column


# --- the old decoder's run (session 26, decoder27), the reference ----------------------------
def _old_aligned(self, joined, fields, count):
    key = self._key
    return (len(fields) == count * self.nfields
            and fields[::self.nfields].count(key) == count
            and joined.count(key[:1]) == count * self._key_marks)


def _old_run(self, lines, i, n):
    US, NL, RUN_MIN = decode._US, decode._NL, decode.RUN_MIN
    end, size, line_start = i + 1, RUN_MIN - 1, self._line_start
    while end < n:
        window = lines[end - 1:end + size]
        if NL.join(window).count(line_start) != len(window) - 1:
            if end - i < RUN_MIN:
                return []
            starts = list(map(bytes.startswith, window[1:], repeat(self.prefix)))
            end += starts.index(False)
            break
        end += len(window) - 1
        size *= 2
    part = lines[i:end]
    stride = self.nfields
    joined = US.join(part)
    fields = joined.split(US)
    if not _old_aligned(self, joined, fields, len(part)):
        seps = stride - 1
        counts = list(map(bytes.count, part, repeat(US)))
        if counts.count(seps) != len(part):
            del part[decode._first_other(counts, seps):]
            fields = US.join(part).split(US)
    while part:
        count = len(part)
        ended = min([decode._ends_with_nul(fields[j::stride]) for j in self.strings], default=count)
        if ended == count:
            break
        del part[ended:]
        fields = US.join(part).split(US)
    if len(part) < RUN_MIN:
        return []
    try:
        return list(map(tuple.__new__, repeat(self.cls), zip(
            *[convert(fields[j::stride]) for j, convert in self._columns])))
    except Exception:   # noqa: BLE001 - as the old run
        return None


# --- random streams ----------------------------------------------------------------------------
FORMATS = ["%d", "%u", "0x%x", "%-16s", "%s", "%Y", "%c", "%o", "%f", "%a", "%p", "%T"]
# what a traced string may hold: separators, newlines, marks, escapes, invalid UTF-8
HOSTILE = [b"", b" ", b",", b"\x1f", b"\n", b"\"", b"\\", b"\\n", b"\\u00e9", b"\\x1e", b"%s",
           b"\xff", b"\xe2\x82", b"\xe2\x82\xac", b"\xf0\x9f", b"\xc3", b"\x1e", b"\x1eR0",
           b"\x1eTOKR0\x1f", b"\x1eTOKR0\x1f1\x1f", b"\n\x1eTOKR0\x1f7\n", b"\r", b"\t", b"\0x"[1:]]


def _value(kind: str, r: random.Random, recurring: bool) -> bytes:
    """A field of ``kind``; from a few values when ``recurring`` (a pid, a tid), else anything."""
    if recurring and kind != "str" and r.random() < 0.97:
        return {"int": b"%d" % r.choice([4000, 4001, -1, 0, 7]), "hex": b"ffff%x" % r.randrange(4),
                "oct": b"%o" % r.randrange(3), "time": b"%d" % (1_700_000_000_000_000_000 + r.randrange(3)),
                "char": b"%d" % r.choice([65, 66, -1, 300]), "float": b"1.5",
                "sym": b"genunix`read+0x1c"}[kind]
    if kind == "str":
        if r.random() < 0.85:
            return r.choice([b"sshd", b"", b"a, \"b\" c", b"\xff\xe2\x82", b"%s", b"a\\nb", b"\x1e",
                             b"caf\xc3\xa9", b"\xed\xa0\x80"]) + b"\0"
        return b"".join(r.choice(HOSTILE) for _ in range(r.randint(0, 4))) + b"\0"
    if kind == "int":
        return b"%d" % r.choice([0, -1, 4000, 2**63 - 1, -2**63, 2**64 - 1, r.randint(-10**9, 10**9)])
    if kind == "hex":
        return b"%x" % r.randint(0, 2**64 - 1)
    if kind == "oct":
        return b"%o" % r.randint(0, 2**32)
    if kind == "time":
        return b"%d" % r.choice([0, 999, -5, 1_700_000_000_123_456_789 + r.randint(0, 10**15)])
    if kind == "char":
        return b"%d" % r.randint(-300, 300)
    if kind == "float":
        return r.choice([b"1.5", b"-0.000001", b"1e300", b"inf", b"nan", b"%f" % r.random()])
    return r.choice([b"genunix`read+0x1c", b"0x1234", b"a b", b"", b"\xff"])


# fields the row-by-row path refuses or raises on (a run holding one is read row by row)
ODD = [b"x", b"", b" 12", b"1_0", b"0x10", b"--1", b"\xff", b"99" * 3000, b"1.5"]


def _case(seed: int):
    r = random.Random(seed)
    token = r.choice(["", "TOK"])
    mark = b"\x1e" + token.encode()
    specs = tuple(RecordSpec(n, f"r{n}", tuple(column(f"C{j}", r.choice(FORMATS))
                                               for j in range(r.randint(1, 9))))
                  for n in range(r.randint(1, 2)))
    recurring = {(s.number, j): r.random() < 0.5 for s in specs for j in range(len(s.columns))}
    odd = r.choice([0, 0, 0.002, 0.02])
    lines = []
    for _ in range(r.randint(1, 8)):
        if r.random() < 0.85:
            spec = r.choice(specs)
            for _ in range(r.choice([1, 31, 32, 33, 80, 300])):
                fields = [r.choice(ODD) if r.random() < odd
                          else _value(c.kind, r, recurring[spec.number, j])
                          for j, c in enumerate(spec.columns)]
                lines.append(mark + b"R%d" % spec.number + b"".join(b"\x1f" + f for f in fields) + b"\n")
        else:
            lines.append(r.choice([b"plain, text\n", b"\n", mark + b"R9\x1f1\n", b"no newline ",
                                   mark + b"R0\x1f1\n", b"\xff\xfe\n"]))
    data = b"".join(lines)
    if r.random() < 0.3:        # a frame cut short: the output ends inside a row
        data = data[:r.randint(0, len(data))]
    return Plan(specs, (), (), token=token), data


def _events(plan: Plan, chunks, old: bool, monkeypatch) -> list:
    if old:
        monkeypatch.setattr(decode._RecordDecoder, "run", _old_run)
    dec = Decoder(plan)
    out = []
    try:
        for chunk in chunks:
            out += dec.feed(chunk)
        out += dec.close()
    except Exception as err:        # noqa: BLE001 - compared
        out.append(("error", type(err).__name__, str(err)))
    finally:
        monkeypatch.undo()
    # (by repr, with the types: a nan is not equal to itself, a datetime's tzinfo must be UTC's;
    # a hex field of thousands of digits is an int repr would refuse)
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return [(type(e).__name__, repr(tuple(e)), [type(v).__name__ for v in e],
                 [getattr(v, "tzinfo", None) is decode._UTC for v in e])
                if isinstance(e, tuple) and hasattr(e, "_fields") else repr(e) for e in out] + [dec.counts]
    finally:
        sys.set_int_max_str_digits(limit)


@pytest.mark.parametrize("seed", range(120))
def test_decoding_is_the_old_decoders(seed, monkeypatch):
    plan, data = _case(seed)
    r = random.Random(seed)
    size = r.choice([1 << 16, 4096, 333, 10 ** 9])
    chunks = [data[i:i + size] for i in range(0, len(data), size)]
    new = _events(plan, chunks, False, monkeypatch)
    assert new == _events(plan, chunks, True, monkeypatch)


def test_the_bench_rows_decode_as_the_old_decoders(monkeypatch):
    """benchmarks/bench_decode.py's rows of nine columns (two strings) and of nine integers."""
    sys.path.insert(0, "benchmarks")
    try:
        import bench_decode as B
    finally:
        sys.path.remove("benchmarks")
    for plan, chunks in ((B._record_plan(), B._chunks(3000)),
                         (B._record_plan(B.INT_COLUMNS), [b"".join(
                             b"\x1eR0" + b"".join(b"\x1f%d" % (i * 7919 + c) for c in range(9)) + b"\n"
                             for i in range(3000))])):
        new = _events(plan, chunks, False, monkeypatch)
        assert len(new) == 3001
        assert new == _events(plan, chunks, True, monkeypatch)


# --- the work, counted -------------------------------------------------------------------------
SPEC = RecordSpec(0, "r", (column("Pid", "%d"), column("Comm", "%s"), column("Kind", "%c"),
                           column("TS", "%d")))


def _rows(start: int, n: int, comm: bytes = b"sshd") -> bytes:
    return b"".join(b"\x1eR0\x1f%d\x1f%s\0\x1f%d\x1f%d\n" % (4000 + i % 5, comm, 65 + i % 3, i)
                    for i in range(start, start + n))


def test_recurring_values_are_looked_up_not_converted_again(monkeypatch):
    """(fails on the old code: each run's columns were all converted)"""
    converted = []
    real = decode._COLUMN_CONVERTERS["int"]
    monkeypatch.setitem(decode._COLUMN_CONVERTERS, "int", lambda col: converted.append(len(col)) or real(col))
    real_char = decode._COLUMN_CONVERTERS["char"]
    monkeypatch.setitem(decode._COLUMN_CONVERTERS, "char",
                        lambda col: converted.append(("char", len(col))) or real_char(col))
    dec = Decoder(Plan((SPEC,), (), ()))
    first = dec.feed(_rows(0, 100))
    assert converted == [100, ("char", 100), 100]       # the first run: every column converted
    del converted[:]
    rows = dec.feed(_rows(100, 100))
    # the pids and chars (5 and 3 values) are remembered; the timestamps are not (each new)
    assert converted == [100]
    assert [tuple(r) for r in first + rows] == [(4000 + i % 5, "sshd", "ABC"[i % 3], i) for i in range(200)]


def test_a_column_that_never_recurs_is_looked_up_less_and_less(monkeypatch):
    dec = Decoder(Plan((SPEC,), (), ()))
    memo = dec.records[b"\x1eR0"]._memos[3]
    looked = []
    real = decode._Memo.convert

    def counting(self, convert, col):
        if self is memo and not self.skip:
            looked.append(1)
        return real(self, convert, col)
    monkeypatch.setattr(decode._Memo, "convert", counting)
    for k in range(200):
        dec.feed(_rows(1000 * k, 40))
    assert len(looked) <= 10 and memo.backoff == decode.MEMO_BACKOFF
    assert len(memo.table) <= decode.MEMO_MAX and len(dec.records[b"\x1eR0"]._memos[0].table) == 5


def test_a_memo_holds_few_values():
    dec = Decoder(Plan((SPEC,), (), ()))
    for k in range(50):     # pids that change from run to run: the memo is emptied when full
        dec.feed(b"".join(b"\x1eR0\x1f%d\x1fx\0\x1f65\x1f1\n" % (k * 100 + i % 100) for i in range(100)))
        assert len(dec.records[b"\x1eR0"]._memos[0].table) <= decode.MEMO_MAX


def test_a_string_column_is_checked_as_it_is_decoded(monkeypatch):
    """(fails on the old code: a run's strings were checked for their NUL, then joined again)"""
    calls = []
    monkeypatch.setattr(decode, "_ends_with_nul", lambda col: calls.append(col) or len(col))
    rows = Decoder(Plan((SPEC,), (), ())).feed(_rows(0, 64, b"a\xffb"))
    assert len(rows) == 64 and rows[3].Comm == "a\udcffb"
    assert calls == []


def test_a_run_whose_strings_hold_the_marks_byte_is_checked_whole(monkeypatch):
    """A string holding ``\\036`` (not the key) no longer sends the run's check line by line
    (fails on the old code: the whole check counted that byte, found one too many in each row,
    and counted each line's separators: ``map(bytes.count, part, repeat(US))``)."""
    calls = []
    real = decode.repeat
    monkeypatch.setattr(decode, "repeat", lambda *args: calls.append(args) or real(*args))
    rows = Decoder(Plan((SPEC,), (), ())).feed(_rows(0, 64, b"a\x1eb"))
    assert len(rows) == 64 and rows[0].Comm == "a\x1eb"
    assert not [args for args in calls if args[:1] == (decode._US,)]


@pytest.mark.parametrize("comm", [b"\x1eR0", b"x\x1eR0y", b"\x1eR01"])
def test_a_string_holding_the_key_still_stops_the_run(comm, monkeypatch):
    data = _rows(0, 40) + _rows(40, 1, comm) + _rows(41, 40)
    new = _events(Plan((SPEC,), (), ()), [data], False, monkeypatch)
    assert new == _events(Plan((SPEC,), (), ()), [data], True, monkeypatch)
    assert "'x\\x1eR0y'" in new[40][1] or "'\\x1eR0" in new[40][1]


def test_ended_strings_is_strings_when_every_field_ends_with_its_nul():
    r = random.Random(28)
    for _ in range(300):
        col = [_value("str", r, False).replace(b"\x1f", b"") for _ in range(r.randint(1, 40))]
        if r.random() < 0.3:
            k = r.randrange(len(col))
            col[k] = col[k][:-1]        # one without its NUL
        ended = decode._ends_with_nul(col) == len(col)
        expected = decode._strings(col) if ended else None
        assert decode._ended_strings(col) == expected
