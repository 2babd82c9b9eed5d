"""Session 26, decoder27 (issue 8): less work a row and a printed entry in ``run``'s decoder
(docs/PERFORMANCE.md, "Session 26, decoder27").  A run of framed rows is checked whole, not line
by line; a printa block's lines are kept by one look and decoded once; a default-format block of
plain entries is read column by column.  Work is counted, never timed; the other tests pin the
new paths to the old ones (same aggregations, same errors)."""

from __future__ import annotations

import random

import pytest

from dtracepy.run import aggregations as A
from dtracepy.run import decode
from dtracepy.run.decode import Decoder
from dtracepy.run.framing import AggInfo, Plan, PrintaSpec, RecordSpec, column

PLAN = Plan((RecordSpec(0, "r0", (column("N", "%d"), column("S", "%s"), column("T", "%d"))),),
            (), (), token="TOK")


def _rows(strings) -> bytes:
    return b"".join(b"\x1eTOKR0\x1f%d\x1f%s\0\x1f%d\n" % (i, s, -i) for i, s in enumerate(strings))


def _events(data: bytes, whole: bool = True) -> list:
    dec = Decoder(PLAN)
    out = []
    for chunk in [data] if whole else data.splitlines(keepends=True):
        out += dec.feed(chunk)
    return [tuple(e) if isinstance(e, tuple) else e for e in out + dec.close()]


def test_a_run_of_rows_is_not_counted_line_by_line(monkeypatch):
    # the old run() counted each line's separators (map(bytes.count, part, repeat(US)): 1,500
    # instructions a row of nine columns); a run whose fields line up is now checked whole
    calls = []
    real = decode.repeat

    def counting(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(decode, "repeat", counting)
    rows = _events(_rows([b"sshd"] * 64))
    assert len(rows) == 64 and rows[5] == (5, "sshd", -5)
    assert not [args for args in calls if args[:1] == (decode._US,)]


@pytest.mark.parametrize("strings", [
    [b"a\x1eb"] * 40,                               # the key's first byte in every string
    [b"x"] * 10 + [b"\x1eTOKR0"] + [b"y"] * 40,      # a string that is the key
    [b"x"] * 10 + [b"a\x1f\x1eTOKR0"] + [b"y"] * 40,  # a separator, then the key
    [b"x"] * 35 + [b"a\x1fb"] + [b"y"] * 40,          # one separator too many
])
def test_rows_the_whole_check_refuses_read_as_row_by_row(strings):
    # (fed line by line, no run forms: the row-by-row path reads each)
    assert _events(_rows(strings)) == _events(_rows(strings), whole=False)


def _block(lines, fmt=None, begin=b"\x1eB\n"):
    plan = Plan((), (PrintaSpec(0, ("a",), fmt),), (AggInfo("a", "count", 2, ()),))
    return plan, begin + b"\x1eA\x1f0\n" + b"".join(line + b"\n" for line in lines) + b"\x1eZ\n"


def test_a_block_is_decoded_once_not_a_line_at_a_time(monkeypatch):
    calls = []
    real = decode._text
    monkeypatch.setattr(decode, "_text", lambda b: calls.append(b) or real(b))
    plan, data = _block([b""] + [b"  p%d  %d  %d" % (i, i, 2 * i) for i in range(100)])
    dec = Decoder(plan)
    dec.feed(data)
    dec.close()
    assert dec.aggregations["a"][("p7", 7)] == 14
    assert len(calls) == 1      # (the old decoder: one a line, 102)


@pytest.mark.parametrize("begin", [b"\x1eB\n", b""])
@pytest.mark.parametrize("cut", [1, 7, 64, 10 ** 6])
def test_a_block_fed_in_pieces_is_the_block_fed_whole(begin, cut):
    lines = [b""] + [b"  p%d  %d  %d" % (i, i, i) for i in range(50)] + [b"  \xff\xe2 x  1  2", b""]
    plan, data = _block(lines, begin=begin)
    whole, pieces = Decoder(plan), Decoder(plan)
    out_whole = whole.feed(data) + whole.close()
    out_pieces = []
    for k in range(0, len(data), cut):
        out_pieces += pieces.feed(data[k:k + cut])
    out_pieces += pieces.close()
    assert [repr(e) for e in out_whole] == [repr(e) for e in out_pieces]
    assert list(whole.aggregations["a"].items()) == list(pieces.aggregations["a"].items())
    assert [w.message for w in whole.warnings] == [w.message for w in pieces.warnings]


def test_plain_entries_are_read_by_columns_not_line_by_line(monkeypatch):
    calls = []
    real = A._scalars
    monkeypatch.setattr(A, "_scalars", lambda *args: calls.append(args) or real(*args))
    lines = [""] + [f"  {'proc' + str(i):<20} {i % 10:>8} {i * 3:>8}" for i in range(100)]
    agg = A.parse_default(lines, "a", "count", 2, ())
    assert len(agg) == 100 and agg[("proc7", 7)] == 21
    assert calls == []      # (the old parse_default: _scalars, a line at a time)


def _line_by_line(lines, kind, nkeys):
    """What the line-by-line reading gives (``_scalars``): the aggregation, or its error."""
    agg = A.Aggregation("a", kind)
    try:
        A._scalars(agg, list(lines), nkeys)
    except Exception as err:        # noqa: BLE001 - compared
        return type(err), str(err)
    return agg.kind, list(agg.items())


def _by_columns(lines, kind, nkeys):
    try:
        agg = A.parse_default(list(lines), "a", kind, nkeys, ())
    except Exception as err:        # noqa: BLE001 - compared
        return type(err), str(err)
    return agg.kind, list(agg.items())


def _key(r: random.Random, of: str) -> str:
    if of == "word":
        return r.choice(["sshd", "p1", "a-b", "-x", "bash"])
    if of == "number":
        return str(r.randint(-5, 10 ** r.randint(1, 20)))
    return r.choice(["p1", "7", "-2", "²", "٣", "q", "--3", "-"])   # (mixed, and digits int() refuses)


@pytest.mark.parametrize("seed", range(150))
def test_columns_give_what_lines_give(seed):
    r = random.Random(seed)
    nkeys = r.choice([1, 2, 3])
    kinds = [r.choice(["word", "number", "number", "mixed"]) for _ in range(nkeys)]
    odd = r.choice([0, 0, 0.05])
    lines = []
    for _ in range(r.randint(0, 60)):
        if r.random() < odd:
            lines.append(r.choice(["", "  x  y", "  1 2 3 4 5", "  a  b  c  d  x"]))
        else:
            value = r.choice([str(r.randint(-9, 10 ** r.randint(1, 20)))] * 20 + ["x", "1.5"])
            lines.append("  " + "  ".join(_key(r, k) for k in kinds) + "   " + value)
    for kind in ("count", "sum", "max", None):
        assert _by_columns(lines, kind, nkeys) == _line_by_line(lines, kind, nkeys)


def _old_default_doubt(lines, agg, nkeys):
    """default_doubt as it was (one look a line): the reference of the looks at the lines joined."""
    lines = [l for l in A._drop_per_cpu(lines) if l.strip()]
    if not lines or any(A._is_frame(l) or "Distribution" in l or A._HEX_HEADER.match(l)
                        for l in lines):
        return None
    if any(len(l.split()) - 1 != nkeys for l in lines) if nkeys is not None else False:
        return "split"
    if len(agg) < len(lines):
        return "merged"
    return None


_HEX = "             0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f  0123456789abcdef"


@pytest.mark.parametrize("seed", range(200))
def test_default_doubt_looks_at_the_lines_joined_as_one_at_a_time(seed):
    r = random.Random(seed)
    parts = ["  p1  3  4", "  a b  1", "", "   ", " " * 14 + "mod`f+0x1", " " * 14 + "12",
             "  Distribution", _HEX, "  [CPU 0]  3", "  x" + _HEX, "  p2  5  6", " " * 13 + "m`f"]
    lines = [r.choice(parts) for _ in range(r.randint(0, 8))]
    agg = A.Aggregation("a", "count", {(k,): 1 for k in range(r.randint(0, 8))})
    nkeys = r.choice([None, 1, 2])
    new = A.default_doubt(lines, agg, nkeys)
    old = _old_default_doubt(lines, agg, nkeys)
    assert (new is None) == (old is None)
    if old == "split":
        assert new.startswith("a string key holds spaces")
    elif old == "merged":
        assert "entries printed as" in new


def test_framed_entries_are_read_by_columns_not_one_by_one(monkeypatch):
    calls = []
    real = A._put
    monkeypatch.setattr(A, "_put", lambda *args: calls.append(args) or real(*args))
    text = "".join(f"\x1eK\x1fproc{i}\x1f{i % 10}\x1f{i * 3}\n" for i in range(100))
    aggs = A.parse_framed(text, ("str", "int", "agg"), ("a",), {"a": "count"})
    assert len(aggs["a"]) == 100 and aggs["a"][("proc7", 7)] == 21
    assert calls == []      # (the old parse_framed: _put an entry)


def _framed(text, fields, kind, columns: bool, monkeypatch):
    if not columns:
        monkeypatch.setattr(A, "_framed_columns", lambda *args: False, raising=False)
    try:
        aggs = A.parse_framed(text, fields, ("a",), {"a": kind})
    except Exception as err:        # noqa: BLE001 - compared
        result = (type(err), str(err))
    else:
        result = list(aggs["a"].items())
    monkeypatch.undo()
    return result


@pytest.mark.parametrize("seed", range(150))
def test_framed_columns_give_what_the_entries_give(seed, monkeypatch):
    r = random.Random(seed)
    fields = r.choice([("str", "int", "agg"), ("agg",), ("int", "agg"), ("str", "agg")])
    clean = r.random() < 0.6

    def entry():
        keys = [("p%d" % r.randint(0, 20) if f == "str" else str(r.randint(-3, 20)))
                if clean else r.choice(["p1", "a\nb", "", "Distribution", "4", " 4", "x", "5\n"])
                for f in fields[:-1]]
        values = ["3", "5", "-2", "8", str(2 ** 64 - 5)] + ([] if clean else ["x", " 7", "9\n"])
        fields_ = keys + [r.choice(values)]
        if not clean and r.random() < 0.05:
            fields_.pop()
        return "\x1eK" + "".join("\x1f" + f for f in fields_) + ("\n" if clean or r.random() < 0.97 else "")

    text = "".join(entry() for _ in range(r.randint(0, 40)))
    for kind in ("count", "sum", "max", "avg"):
        assert (_framed(text, fields, kind, True, monkeypatch)
                == _framed(text, fields, kind, False, monkeypatch))


def test_many_short_blocks_in_a_read_cost_their_lines():
    # a block's end is looked for in windows twice as long each time, not in all the read's
    # lines after it (a read of 1,000 blocks of three lines would look at 1.5 million)
    class Looked(list):
        seen = 0

        def __getitem__(self, index):
            part = list.__getitem__(self, index)
            if isinstance(index, slice):
                Looked.seen += len(part)
            return part

    lines = Looked([b"", b"  p1  1", b"\x1eZ"] + [b"x"] * 100_000)
    assert decode._block_length(lines, 0, b"\x1eZ") == 2
    assert Looked.seen <= 8
    assert decode._block_length(lines, 3, b"\x1eZ") == 100_000
    plan = Plan((), (PrintaSpec(0, ("a",), None),), (AggInfo("a", "count", 1, ()),))
    data = b"\x1eB\n" + b"".join(b"\x1eA\x1f0\n\n  p%d  %d\n\x1eZ\n" % (i, i) for i in range(1000))
    dec = Decoder(plan)
    out = dec.feed(data) + dec.close()
    assert len(out) == 1001 and dec.aggregations["a"][("p999",)] == 999     # (and Started)
