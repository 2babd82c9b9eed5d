"""Session 25, decoder26 (issue 8): ``run``'s decoder reads a run of framed rows of one record
column by column (``_RecordDecoder.run``: each column converted by ``map``, no Python code per
row); the row-by-row path (``_RecordDecoder.fast``, ``slow``) stays for the rest.  These tests pin
the two paths together: any difference between them fails (docs/PERFORMANCE.md, "Session 25,
decoder26").  Work is counted, never timed."""

from __future__ import annotations

import random

import pytest

from dtracepy.run import decode
from dtracepy.run.decode import Decoder
from dtracepy.run.framing import Plan, RecordSpec, column

# every kind of column (int, hex, oct, float, str, time, char, sym)
FORMATS = ["%d", "%u", "0x%x", "%-16s", "%s", "%Y", "%c", "%o", "%f", "%a", "%.3s", "%p", "%T"]
# bytes a traced string may hold: separators, newlines, quotes, commas, invalid UTF-8, marks
STRING_PARTS = [b"", b" ", b",", b"\x1f", b"\n", b"\"", b"'", b"a b", b"\xff", b"\xe2\x82",
                b"\xe2\x82\xac", b"\x1e", b"%s", b"\x1eR0\x1f", b"\x1eTOKR0\x1f1\n", b"\r", b"\t"]


def _field(kind: str, r: random.Random) -> bytes:
    if kind == "str":
        if r.random() < 0.9:        # (a run of rows holds most of them: no separator)
            return r.choice([b"sshd", b"", b"a, \"b\" c", b"\xff\xe2\x82", b"%s"]) + b"\0"
        return b"".join(r.choice(STRING_PARTS) for _ in range(r.randint(0, 4))) + b"\0"
    if kind == "int":
        return b"%d" % r.choice([0, -1, 4000, 2**63 - 1, -2**63, 2**64 - 1, r.randint(-10**9, 10**9)])
    if kind == "hex":
        return b"%x" % r.randint(0, 2**64 - 1)
    if kind == "oct":
        return b"%o" % r.randint(0, 2**32)
    if kind == "time":
        return b"%d" % r.choice([0, 999, 1_700_000_000_123_456_789 + r.randint(0, 10**15)])
    if kind == "char":
        return b"%d" % r.randint(-300, 300)
    if kind == "float":
        return r.choice([b"1.5", b"-0.000001", b"1e300", b"inf", b"nan", b"%f" % r.random()])
    return r.choice([b"genunix`read+0x1c", b"0x1234", b"a b", b"", b"\xff", b"\0"])


def _case(seed: int):
    """A plan of one to three records and the output of a run of it: runs of rows of one record
    (1 to 80 of them: longer and shorter than a run read column by column), text lines between
    them, the token or none."""
    r = random.Random(seed)
    token = r.choice(["", "TOK"])
    mark = b"\x1e" + token.encode()
    specs = tuple(RecordSpec(n, f"r{n}", tuple(column(f"C{j}", r.choice(FORMATS))
                                               for j in range(r.randint(1, 7))))
                  for n in range(r.randint(1, 3)))
    lines = []
    for _ in range(r.randint(0, 12)):
        if r.random() < 0.8:
            spec = r.choice(specs)
            for _ in range(r.choice([1, 2, 31, 32, 33, 80])):
                lines.append(mark + b"R%d" % spec.number
                             + b"".join(b"\x1f" + _field(c.kind, r) for c in spec.columns) + b"\n")
        else:
            lines.append(r.choice([b"plain, text\n", b"\n", mark + b"R9\x1f1\n", b"no newline "]))
    return Plan(specs, (), (), token=token), b"".join(lines)


def _events(plan: Plan, chunks) -> list:
    dec = Decoder(plan)
    out = []
    for chunk in chunks:
        out += dec.feed(chunk)
    out += dec.close()
    # (by repr: a nan is not equal to itself)
    return [(type(e).__name__, repr(tuple(e))) if isinstance(e, tuple) else repr(e) for e in out]


def _lines(data: bytes) -> list:
    """The data cut after each newline: fed so, a feed holds one line, and no run of rows forms
    (the row-by-row path reads every row)."""
    return data.splitlines(keepends=True)


@pytest.mark.parametrize("seed", range(60))
def test_runs_decode_as_rows_one_by_one(seed):
    plan, data = _case(seed)
    whole = _events(plan, [data])
    assert whole == _events(plan, _lines(data))
    r = random.Random(seed)
    size = r.choice([1, 7, 100, 4096])
    assert whole == _events(plan, [data[i:i + size] for i in range(0, len(data), size)])


def test_a_run_is_read_column_by_column(monkeypatch):
    """The rows of a run are made by ``run``, not by ``fast`` row by row (fails on the old code:
    every row was ``fast``'s); a row ``fast`` cannot take (a string holding a separator) ends
    the run, is read by ``slow``, and a run starts again after it."""
    spec = RecordSpec(0, "r", (column("N", "%d"), column("S", "%s"), column("T", "%Y"),
                               column("C", "%c"), column("X", "0x%x")))
    rows = [b"\x1eR0\x1f%d\x1fs%d\0\x1f%d\x1f65\x1fff\n" % (i, i, 1_700_000_000_000_000_000 + i)
            for i in range(80)]
    rows[40] = b"\x1eR0\x1f40\x1fa\x1fb\nc\0\x1f0\x1f66\x1f1f\n"
    calls = {"fast": 0, "slow": 0}
    fast = decode._RecordDecoder._compile_fast

    def counted_fast(self):
        inner = fast(self)

        def counting(fields):
            calls["fast"] += 1
            return inner(fields)
        return counting
    slow = decode._RecordDecoder.slow

    def counted_slow(self, data, start):
        calls["slow"] += 1
        return slow(self, data, start)
    monkeypatch.setattr(decode._RecordDecoder, "_compile_fast", counted_fast)
    monkeypatch.setattr(decode._RecordDecoder, "slow", counted_slow)
    plan = Plan((spec,), (), ())
    events = Decoder(plan).feed(b"".join(rows))
    assert [e.N for e in events] == list(range(80))
    assert events[40].S == "a\x1fb\nc" and events[40].C == "B" and events[40].X == 0x1F
    assert events[0].S == "s0" and events[79].T.microsecond == 0 and events[79].C == "A"
    # rows 0-39 a run; row 40 tried by fast twice (the hot path, then the line's own: None, a
    # separator in its string) and read by slow; rows 41-79 a run
    assert calls == {"fast": 2, "slow": 1}


@pytest.mark.parametrize("bad", [b"x", b"1.5", b"", b"99" * 3000])
def test_a_field_that_does_not_convert_is_read_as_row_by_row(bad):
    """A run whose field does not convert is read row by row: the rows before it are the same,
    and the row that does not convert is the row-by-row path's text and warning (review 28: it
    raised, and ``dtracepy run`` ended with an internal error)."""
    spec = RecordSpec(0, "r", (column("N", "%d"), column("S", "%s")))
    rows = [b"\x1eR0\x1f%d\x1fs\0\n" % i for i in range(50)] + [b"\x1eR0\x1f" + bad + b"\x1fs\0\n"]
    data = b"".join(rows)
    seen = []
    for chunks in ([data], _lines(data)):
        dec = Decoder(Plan((spec,), (), ()))
        events = [e for chunk in chunks for e in dec.feed(chunk)] + dec.close()
        seen.append((events, [w.message for w in dec.warnings]))
    assert seen[0] == seen[1]
    events, (warning,) = seen[0]
    assert [e.N for e in events[:50]] == list(range(50)) and events[50] == bad.decode() + " s\n"
    assert "could not be decoded" in warning


def test_column_converters_are_the_row_converters():
    """Each kind's column converter gives what its row converter gives, field by field (the
    time's float steps, the char's wrap, a string joined and decoded at once)."""
    r = random.Random(5)
    for kind, convert in decode._COLUMN_CONVERTERS.items():
        if kind == "str":
            continue
        fields = [_field(kind, r) for _ in range(200)]
        if kind == "sym":
            fields += [b"\xe2\x82", b"\xe2", b"\xff\xfe", b"a\xe2\x82\xacb", b""]
        one = decode._CONVERTERS[kind]
        assert repr(list(convert(fields))) == repr([one(f) for f in fields]), kind
    strings = [_field("str", r).replace(b"\x1f", b"").replace(b"\n", b"") for _ in range(300)]
    strings += [b"\xe2\x82\0", b"\0\0", b"\xf0\x9f\0", b"\0"]
    assert decode._strings(strings) == [s[:-1].decode("utf-8", "surrogateescape") for s in strings]
