"""dtracepy run without a dtrace: framing, the stream decoder, aggregations from recorded output
(Oracle's, recorded here; illumos' and macOS' formats from their documentation), dtrace's
warnings, the output formats and the command line's refusals."""

from __future__ import annotations

import datetime
import io
import json
import os
import pathlib

import re
import sys

import attrs
import pytest

from dtracepy import Tracer, agg, count, execname, printa, printf, quantize, self, timestamp
from dtracepy.cli import main
from dtracepy.parser import parse_bytes
from dtracepy.run import Decoder, Histogram, Printed, Stack, Text, ip_address
from dtracepy.run import aggregations as A
from dtracepy.run import framing
from dtracepy.run.decode import Started
from dtracepy.run.messages import Messages, classify
from dtracepy.run.output import writer
from dtracepy.run.argv import command
from dtracepy.run.dtrace_binary import find_dtrace
from dtracepy.run.errors import RunError
from dtracepy.run.script import prepare, prepare_d

FIX = pathlib.Path(__file__).parent / "fixtures" / "run"


def _tracer():
    t = Tracer(options={"quiet": True})
    row = t.record(("TS", "%d"), ("Name", "%-16s"), ("Addr", "0x%08x"), ("When", "%Y"), ("C", "%c"))

    @t.probe("syscall::read:entry")
    def entry():
        self.ts = timestamp

    @t.probe("syscall::read:return", when=self.ts != 0)
    def ret():
        row.emit(timestamp - self.ts, execname, self.ts, timestamp, 65)
        agg.n[execname] = count()
        agg.lat = quantize(timestamp - self.ts)
        printf("plain %d\n", 1)

    return t, row


# --- framing -----------------------------------------------------------------------------------
def test_compile_output_is_unchanged_by_framing():
    t, row = _tracer()
    text = t.to_d()
    assert 'printf("TS,Name,Addr,When,C\\n");' in text
    assert 'printf("%d,%-16s,0x%08x,%Y,%c\\n",' in text
    assert "\\036" not in text


def test_framed_program_frames_records_and_names_aggregations():
    t, row = _tracer()
    prepared = prepare(t)
    text = prepared.text
    token = prepared.plan.token
    assert re.fullmatch("[A-Za-z]{8}", token), "a run's marks carry a fresh secret token"
    assert prepare(t).plan.token != token
    mark = "\\036" + token
    assert "TS,Name" not in text, "the header clause is dropped when framed"
    assert f'printf("{mark}R0\\037%d\\037%s%c\\037%x\\037%d\\037%d\\n",' in text
    assert 'execname, 0,' in text and "rindex(" not in text and "strlen(" not in text
    assert 'printf("plain %d\\n", 1);' in text
    # the last END clause prints each aggregation between markers
    tail = text[text.rindex("END"):]
    # framed: every entry after \036<token>K, its fields after \037 (execname is a string)
    assert tail.index(f'printa("{mark}K\\037%s\\037%@d\\n", @n)') < tail.index(
        f'printa("{mark}K\\037%@d\\n", @lat)')
    assert [p.fields for p in prepared.plan.printas] == [("str", "agg"), ("agg",)]
    assert tail.count(f'printf("{mark}Z\\n");') == 2
    assert f'printf("{mark}B\\n");' in text
    assert [a.name for a in prepared.plan.aggs] == ["n", "lat"]
    assert [a.kind for a in prepared.plan.aggs] == ["count", "quantize"]
    # the framed program is D our own checker accepts
    from dtracepy.checks import CheckOptions, check_program
    from dtracepy.parser import parse

    findings = check_program(parse(text, "framed.d"), options=CheckOptions(dialect="oracle"))
    assert not [f for f in findings if f.severity == "error"]


def test_user_printa_is_bracketed_and_not_printed_twice():
    t = Tracer(options={"quiet": True})

    @t.probe("tick-1s")
    def tick():
        agg.c[execname] = count()
        printa("%s %@d\n", agg.c)

    prepared = prepare(t)
    assert prepared.text.count("printa(") == 1
    assert prepared.plan.printas[0].fmt == "%s %@d\n"


def test_variables_typed_by_their_assignments_frame_their_keys():
    """A key held in a self->, this-> or global variable has the kind every assignment of it
    gives (0, the freeing assignment, fits any): framed and decoded exactly when that is known."""
    program = parse_bytes(
        b"syscall::openat:entry { self->f = copyinstr(arg1); this->n = 5; g = self->f; }\n"
        b"syscall::openat:return { @a[self->f, this->n] = count(); @b[g] = count();"
        b" @c[self->m] = count(); @d[self->i] = count(); self->f = 0; }\n"
        b"BEGIN { self->m = 1; self->i = 2; self->i += 1; }\n"
        b"END { self->m = \"s\"; }\n", "x.d")
    kinds = {i.name: i.key_kinds for i in framing.aggregation_info(program)}
    assert kinds == {"a": ("string", "int"), "b": ("string",), "c": (None,), "d": ("int",)}
    printas = framing.frame_program(program)[1].printas
    assert [p.fields for p in printas] == [("str", "int", "agg"), ("str", "agg"), None, ("int", "agg")]


def test_column_kinds():
    kinds = {f: framing.column("x", f).kind for f in ("%d", "%5u", "0x%08x", "%-20s", "%Y", "%c", "%p",
                                                      "%lld", "%a", "%f", "%o")}
    assert kinds == {"%d": "int", "%5u": "int", "0x%08x": "hex", "%-20s": "str", "%Y": "time",
                     "%c": "char", "%p": "hex", "%lld": "int", "%a": "sym", "%f": "float", "%o": "oct"}
    assert framing.column("x", "%lld").framed == "%lld"
    assert framing.column("x", "%-20s").framed == "%s%c"


# --- the stream decoder ------------------------------------------------------------------------
NASTY = 'a,b "c" \'d\'\n%s\x1f\x1e\tend'


def _stream(n=3):
    spec_line = []
    for i in range(n):
        name = (NASTY + str(i)).encode()
        spec_line.append(b"text before\n")
        spec_line.append(b"\x1eR0\x1f%d\x1f%s\0\x1f1f\x1f1700000000123456789\x1f65\n" % (
            i, name))
    return b"".join(spec_line)


def _plan():
    """The tracer's plan, with the empty token the hand-written outputs below carry (a run's
    marks carry a random one: see test_forged_marks_are_text)."""
    t, row = _tracer()
    return attrs.evolve(prepare(t).plan, token="")


def _decode(data: bytes, chunk: int) -> list:
    dec = Decoder(_plan())
    out = []
    for i in range(0, len(data), chunk):
        out += dec.feed(data[i:i + chunk])
    return out + dec.close()


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1 << 16])
def test_records_with_separators_and_newlines_come_back_exactly(chunk):
    events = _decode(_stream(), chunk)
    rows = [e for e in events if isinstance(e, tuple)]
    texts = [e for e in events if isinstance(e, Text)]
    assert [r.Name for r in rows] == [NASTY + str(i) for i in range(3)]
    assert [r.TS for r in rows] == [0, 1, 2]
    assert rows[0].Addr == 0x1F
    assert rows[0].When == datetime.datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=datetime.timezone.utc)
    assert rows[0].C == "A"
    assert texts == ["text before\n"] * 3
    assert [type(e) for e in events] == [Text, type(rows[0])] * 3
    assert rows[0].as_dict()["Name"] == NASTY + "0"
    assert type(rows[0]).titles == ("TS", "Name", "Addr", "When", "C")


@pytest.mark.parametrize("chunk", [1, 5, 1 << 16])
def test_forged_marks_are_text(chunk):
    """A traced process chooses the strings a script prints (``printf("%s\\n", execname)``):
    text that looks like dtracepy's marks, but without the run's secret token, stays text.  It
    could forge a record, end a printa block early, or forge aggregation entries before."""
    t, row = _tracer()
    plan = prepare(t).plan
    mark = plan.mark.encode()
    spec = plan.printas[0]
    forged_row = b"\x1eR0\x1f7\x1fx\0\x1f0\x1f0\x1f66"
    forged_block = b"\x1eA\x1f%d" % spec.number
    data = (forged_row + b"\n"
            + b"tail" + forged_row + b"\n"
            + forged_block + b"\n"
            + b"\x1eB\n"
            # a real block whose string key holds a forged entry and a forged end of block
            + mark + b"A\x1f%d\n" % spec.number
            + mark + b"K\x1fbash\n\x1eK\x1fevil\x1f999\n\x1eZ\x1f3\n"
            + mark + b"Z\n"
            + mark + b"R0\x1f1\x1freal\0\x1f0\x1f0\x1f66\n")
    dec = Decoder(plan)
    events = []
    for i in range(0, len(data), chunk):
        events += dec.feed(data[i:i + chunk])
    events += dec.close()
    rows = [e for e in events if isinstance(e, tuple)]
    assert [r.Name for r in rows] == ["real"], "only the row with the token is a record"
    texts = "".join(e for e in events if isinstance(e, Text))
    assert texts.startswith(forged_row.decode() + "\ntail" + forged_row.decode() + "\n"
                            + forged_block.decode() + "\n\x1eB\n")
    assert not any(isinstance(e, Started) for e in events)
    # the block either decodes with the key as printed, or is shown as text with a warning:
    # never with the forged "evil" entry
    assert "evil" not in {k[0] for agg in dec.aggregations.values() for k in agg}


def test_text_without_newline_before_a_record_is_its_own_event():
    data = b"partial\x1eR0\x1f5\x1fx\0\x1f0\x1f0\x1f66\nafter"
    events = _decode(data, 1 << 16)
    assert events[0] == "partial" and isinstance(events[0], Text)
    assert events[1].Name == "x" and events[1].C == "B"
    assert events[2] == "after"


def test_invalid_utf8_survives():
    data = b"\x1eR0\x1f5\x1f\xff\xfe\0\x1f0\x1f0\x1f66\n"
    row = _decode(data, 3)[0]
    assert row.Name.encode("utf-8", "surrogateescape") == b"\xff\xfe"


def test_unframed_output_is_all_text():
    dec = Decoder()
    assert dec.feed(b"a\nb") == ["a\n"]
    assert dec.close() == ["b"]


def _unframed(plan):
    """The plan as it was before printa was framed (the recorded outputs of the default format
    and of the user's formats test the parsers of those)."""
    return attrs.evolve(plan, printas=tuple(attrs.evolve(p, fields=None) for p in plan.printas))


def test_aggregation_block_event():
    plan = _unframed(_plan())
    dec = Decoder(plan)
    n = plan.printas[0].number
    data = (b"\x1eA\x1f%d\n\n  bash                                             3\n"
            b"  sshd                                            12\n\x1eZ\n" % n)
    events = dec.feed(data)
    assert len(events) == 1 and isinstance(events[0], Printed)
    assert dict(dec.aggregations["n"]) == {("bash",): 3, ("sshd",): 12}
    assert dec.aggregations["n"].kind == "count"


def test_ip_address_helper():
    assert str(ip_address("10.0.0.1")) == "10.0.0.1"
    import sys

    raw = int.from_bytes(bytes([127, 0, 0, 1]), sys.byteorder)
    assert str(ip_address(raw)) == "127.0.0.1"
    assert str(ip_address(0x7F000001, network_order=False)) == "127.0.0.1"


# --- aggregations from recorded output --------------------------------------------------------
def _recorded(name, framed=False):
    plan = attrs.evolve(prepare_d(str(FIX / f"{name}.d")).plan, token="")   # (as recorded)
    dec = Decoder(plan if framed else _unframed(plan))
    events = dec.feed((FIX / f"{name}.out").read_bytes()) + dec.close()
    return dec.aggregations, events


def test_oracle_every_kind_default_format():
    aggs, events = _recorded("oracle_kinds")
    assert dict(aggs["count"]) == {("a b", 1): 1, ("c", -2): 2}
    assert dict(aggs["sum"]) == {("x",): 10, ("y",): -5}
    assert dict(aggs["avg"]) == {(1,): 3, (2,): 10}
    assert dict(aggs["min"]) == {("m",): -3}
    assert dict(aggs["max"]) == {("m",): 9}
    assert dict(aggs["stddev"]) == {("z",): 3}
    assert aggs["nokey"].value == 1
    q = aggs["quantize"][()]
    assert q.total == 5 and q.count_at(64) == 1 and q.count_at(100) == 1 and q.count_at(524288) == 1
    assert [c for _, c in q.buckets if c] == [1, 1, 1, 1, 1]
    assert q.percentile(50) == 1 and q.percentile(40) == 0 and q.percentile(100) == 524288
    assert aggs["quantize_keyed"][("read", 3)].buckets == [(2, 0), (4, 1), (8, 0)]
    lq = aggs["lquantize"][("k",)]
    assert (lq.underflow_bound, lq.underflow, lq.overflow_bound, lq.overflow) == (0, 1, 100, 1)
    assert lq.count_at(55) == 1 and lq.total == 4
    llq = aggs["llquantize"][()]
    assert llq.count_at(5) == 1 and llq.count_at(1234) == 1 and llq.total == 2
    assert dict(aggs["stack_name"]) == {("bash", Stack(())): 1}
    assert aggs["stack_q"][(Stack(()),)].total == 1
    assert not [e for e in events if isinstance(e, Text) and e.strip()]


def test_oracle_printa_with_formats():
    aggs, events = _recorded("oracle_printa")
    assert dict(aggs["count"]) == {("a b", 1): 1, ("c", -2): 2}   # "key=%-8s n=%5d => %@u;"
    assert dict(aggs["avg"]) == {(1,): 3, (2,): 10}
    assert aggs["quantize_keyed"][("write", 4)].count_at(70) == 1
    assert dict(aggs["stack_name"]) == {("bash", Stack(())): 1}
    assert [e for e in events if isinstance(e, Text) and e.startswith("--")] == [
        "--count\n", "--count2\n", "--avg\n", "--stddev\n", "--quantize_keyed\n", "--stack_name\n",
        "--end\n"]


def test_oracle_printa_of_two_aggregations():
    aggs, _ = _recorded("oracle_multi")
    assert dict(aggs["a"]) == {("x",): 1, ("y",): 2}
    assert dict(aggs["b"]) == {("x",): 7, ("y",): 9}


def test_oracle_stacks():
    aggs, _ = _recorded("oracle_stacks")
    raw = (FIX / "oracle_stacks.out").read_text()
    k, u, q = aggs["k"], aggs["u"], aggs["q"]
    assert sum(k.values()) == sum(h.total for h in q.values()) == sum(u.values())
    for key in k:
        assert isinstance(key[0], str) and isinstance(key[1], Stack)
        assert all("`" in f or f.startswith("0x") for f in key[1])
    frames = {f for key in k for f in key[1]}
    assert all(f in raw for f in frames)
    assert all(isinstance(key[0], Stack) for key in u)


ILLUMOS_DEFAULT = """
  sched                                                             3
  fsflush                                                          19
  nscd                                                            112
"""

ILLUMOS_QUANTIZE = """
  bash
           value  ------------- Distribution ------------- count
            4096 |                                         0
            8192 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@         8
           16384 |                                         0
           32768 |@@@@@@@@                                 2
           65536 |                                         0

  sshd
           value  ------------- Distribution ------------- count
            1024 |                                         0
            2048 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 5
            4096 |                                         0

"""

ILLUMOS_LLQUANTIZE = """
           value  ------------- Distribution ------------- count
             < 1000 |                                         0
            1000 |@@@@@@@@@@                               10
            2000 |@@@@@@@@@@@@@@@@@@@@                     20
            3000 |@@@@@@@@@@                               10
          >= 100000 |                                         0
"""

ILLUMOS_STACKS = """

              unix`i86_mwait+0xd
              unix`cpu_idle_mwait+0xf1
              unix`idle+0x114
              unix`thread_start+0x8
             1873

              genunix`fop_read+0x8b
              genunix`read+0x2a7
              unix`sys_syscall+0x17a
               12
"""

MACOS_USTACK = """
  ruby
              libsystem_kernel.dylib`read+0xa
              libruby.2.dylib`rb_io_read+0x42
              ruby`0x10a3c5f1e
                4
  zsh
              libsystem_kernel.dylib`__sigsuspend+0xa
                2
"""

ORACLE_LLQ_DOC = """
           value  ------------- Distribution ------------- count
           -1000 |                                         0
    abs() < 1000 |@@@@@@@@@@@@@@@@@@@@                     30
            1000 |@@@@@@@@@@                               15
            2000 |@@@@@@@@@@                               15
            3000 |                                         0
"""


def test_illumos_default_and_histograms():
    a = A.parse_default(ILLUMOS_DEFAULT.split("\n"), "c", "count", 1, ())
    assert dict(a) == {("sched",): 3, ("fsflush",): 19, ("nscd",): 112}
    q = A.parse_default(ILLUMOS_QUANTIZE.split("\n"), "q", "quantize", 1, ())
    assert q[("bash",)].counts == [0, 8, 0, 2, 0] and q[("sshd",)].total == 5
    assert q[("bash",)].percentile(90) == 32768
    ll = A.parse_default(ILLUMOS_LLQUANTIZE.split("\n"), "l", "llquantize", 0, ())
    h = ll[()]
    assert (h.underflow_bound, h.overflow_bound, h.total) == (1000, 100000, 40)
    assert h.percentile(50) == 2000


def test_illumos_stacks_without_other_keys():
    a = A.parse_default(ILLUMOS_STACKS.split("\n"), "s", "count", 1, (0,))
    assert a[(Stack(["unix`i86_mwait+0xd", "unix`cpu_idle_mwait+0xf1", "unix`idle+0x114",
                     "unix`thread_start+0x8"]),)] == 1873
    assert len(a) == 2 and sum(a.values()) == 1885


def test_macos_ustack_with_a_name_key_unknown_shape():
    a = A.parse_default(MACOS_USTACK.split("\n"), "u")   # nothing known: the frames say it
    assert dict(a) == {("ruby", Stack(["libsystem_kernel.dylib`read+0xa", "libruby.2.dylib`rb_io_read+0x42",
                                        "ruby`0x10a3c5f1e"])): 4,
                       ("zsh", Stack(["libsystem_kernel.dylib`__sigsuspend+0xa"])): 2}


def test_oracle_llquantize_abs_row():
    h = A.parse_default(ORACLE_LLQ_DOC.split("\n"), "l", "llquantize", 0, ())[()]
    assert h.total == 60 and h.count_at(0) == 30 and h.count_at(-999) == 30 and h.count_at(1500) == 15


def test_oracle_hex_dumped_string_key():
    """A string key holding a newline or a tab is printed as a hex dump of its buffer; recorded
    from Oracle's dtrace 2.0, which also prints a count read from the key's own bytes (its bug;
    the count is kept as printed)."""
    lines = (FIX / "oracle_hexkey.txt").read_text().split("\n")
    a = A.parse_default(lines, "execs", "count", 1, ())
    assert list(a) == [('zz,a"b\'c\nd%s\te',)]


def test_histogram_draws_as_dtrace_does():
    text = (FIX / "oracle_kinds.out").read_text()
    aggs, _ = _recorded("oracle_kinds")
    drawn = aggs["lquantize"][("k",)].draw()
    assert drawn in text
    assert aggs["quantize"][()].draw() in text


def test_format_decoder_with_strings_holding_spaces():
    aggs = A.parse_printa("key=a b      n=    1 => 1;\nkey=c        n=   -2 => 2;\n",
                          "key=%-8s n=%5d => %@u;\n", ("c",))
    assert dict(aggs["c"]) == {("a b", 1): 1, ("c", -2): 2}


# --- dtrace's messages -------------------------------------------------------------------------
def test_messages_merge_with_counts():
    m = Messages()
    for line in ["dtrace: 95372 dynamic variable drops\n", "dtrace: 5 dynamic variable drops\n",
                 "dtrace: 3 aggregation drops on CPU 1\n",
                 "dtrace: error in dt_clause_1 for probe ID 3626 (syscall:vmlinux:read:entry): "
                 "invalid address (0x0) at BPF pc 1458\n"] + [
                 "dtrace: error on enabled probe ID 3 (ID 5: syscall::read:entry): invalid address "
                 "(0x10) in action #1 at DIF offset 28\n"] * 4 + ["dtrace: something else\n"]:
        m.add(line)
    by = {(w.kind, w.probe): w for w in m.warnings}
    assert by[("dynvar-drops", None)].count == 95377
    assert by[("aggregation-drops", None)].count == 3 and by[("aggregation-drops", None)].cpu == 1
    assert by[("error", "syscall::read:entry")].count == 4
    assert by[("error", "syscall::read:entry")].fault == "invalid address"
    assert by[("error", "syscall:vmlinux:read:entry")].count == 1
    assert m.drops == 95380
    assert classify("dtrace: 12 dynamic variable drops with non-empty dirty list")[1].kind == \
        "dynvar-dirty-drops"


# --- output formats ----------------------------------------------------------------------------
def _events():
    events = _decode(_stream(2), 1 << 16)
    a = A.Aggregation("lat", "quantize", {("read",): Histogram([(0, 1), (1, 3), (2, 0)])})
    return events + [Printed({"lat": a}, None)]


def test_csv_output_round_trips_nasty_strings():
    import csv

    out, err = io.StringIO(), io.StringIO()
    w = writer("csv", out, err)
    for e in _events():
        w.event(e)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["TS", "Name", "Addr", "When", "C"]
    assert rows[1][1] == NASTY + "0" and rows[2][1] == NASTY + "1"
    assert rows[3] == ["aggregation", "key1", "bucket", "count"]
    assert rows[4:] == [["lat", "read", "0", "1"], ["lat", "read", "1", "3"], ["lat", "read", "2", "0"]]
    assert err.getvalue() == "text before\n" * 2


def test_jsonl_output():
    out = io.StringIO()
    w = writer("jsonl", out)
    for e in _events():
        w.event(e)
    objs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert objs[0] == {"text": "text before\n"}
    assert objs[1]["Name"] == NASTY + "0" and objs[1]["When"].startswith("2023-11-14T22:13:20")
    assert objs[-1]["aggregation"] == "lat" and objs[-1]["entries"][0]["value"]["total"] == 4


def test_json_output_is_one_array_of_the_jsonl_objects():
    """``-o x.json`` (review 11, finding 7): JSON lines in a .json file were what json.load
    refuses ("Extra data"); ``json`` writes the same objects as one array."""
    from dtracepy.commands.run_cmd import default_format

    lines, array = io.StringIO(), io.StringIO()
    for fmt, out in (("jsonl", lines), ("json", array)):
        w = writer(fmt, out)
        for e in _events():
            w.event(e)
        w.close()
    assert json.loads(array.getvalue()) == [json.loads(line) for line in lines.getvalue().splitlines()]
    empty = io.StringIO()
    writer("json", empty).close()
    assert json.loads(empty.getvalue()) == []
    assert [default_format(f) for f in ("r.json", "r.jsonl", "r.csv", "r.txt", None)] == \
        ["json", "jsonl", "csv", "table", "table"]


def test_table_output_draws_histograms():
    out = io.StringIO()
    w = writer("table", out)
    for e in _events():
        w.event(e)
    text = out.getvalue()
    assert text.splitlines()[1].split() == ["TS", "Name", "Addr", "When", "C"]
    assert "\\n%s" in text          # escaped, one row per line
    assert "value  ------------- Distribution ------------- count" in text
    assert "@lat (quantize)" in text


def test_table_lines_end_without_blanks():
    """The histogram's rows as the table prints them end at their count (Histogram.draw() keeps
    dtrace's padding: test_histogram_draws_as_dtrace_does)."""
    out = io.StringIO()
    w = writer("table", out)
    for e in _events():
        w.event(e)
    w.event(Printed({"q": A.Aggregation("q", "lquantize", {(): Histogram([(0, 12345), (10, 2)], 0, 0, 0, 20)})},
                    None))
    lines = out.getvalue().splitlines()
    assert sum("|" in line for line in lines) == 7, lines
    assert [line for line in lines if line != line.rstrip()] == []


def test_table_header_is_not_repeated_after_each_text_line():
    """Text between rows of one record (a printf, a -c command's output) does not repeat the
    header; rows after an aggregation's printout start a new table under the header again."""
    events = _decode(_stream(4), 1 << 16)          # text, row, text, row, text, row, text, row
    hist = A.Aggregation("lat", "quantize", {("read",): Histogram([(0, 1), (1, 3)])})
    events[4:4] = [Printed({"lat": hist}, None)]
    out = io.StringIO()
    w = writer("table", out)
    for e in events:
        w.event(e)
    lines = out.getvalue().splitlines()
    headers = [i for i, line in enumerate(lines) if line.split() == ["TS", "Name", "Addr", "When", "C"]]
    assert len(headers) == 2, out.getvalue()
    assert lines[headers[0] - 1] == "text before" and lines[headers[1] - 1] == "text before"
    assert lines[headers[0] + 1].split()[0] == "0" and lines[headers[1] + 1].split()[0] == "2"
    assert lines[headers[0] + 2] == "text before" and lines[headers[0] + 3].split()[0] == "1"


# --- the command line and its refusals ---------------------------------------------------------
def test_macro_argument_count_is_checked(tmp_path):
    script = tmp_path / "m.d"
    script.write_text("BEGIN { trace($1 + $2); exit(0); }\n")
    prepared = prepare_d(str(script))
    assert prepared.macros == ("$1", "$2")
    with pytest.raises(RunError, match=r"takes 2 macro argument\(s\) \(it uses \$1, \$2\), but 1"):
        command(prepared, "x.d", "dtrace", args=["1"])
    argv = command(prepared, "x.d", "/usr/sbin/dtrace", args=[1, 2])
    assert argv == ["/usr/sbin/dtrace", "-s", "x.d", "--", "1", "2"]   # after --: "-5" is no option


def test_shebang_flags_and_target(tmp_path):
    script = tmp_path / "t.d"
    script.write_text("#!/usr/sbin/dtrace -qZs\npid$target:::entry { @[probefunc] = count(); }\n")
    prepared = prepare_d(str(script))
    with pytest.raises(RunError, match=r"uses \$target: give the process with -c COMMAND or -p PID"):
        command(prepared, "x.d", "dtrace")
    argv = command(prepared, str(tmp_path / "x.d"), "dtrace", target_cmd=["ls", "a b"])
    # dtrace -c splits at blanks without quoting: such a command runs through a script, named as
    # the command (its execname is the command's from the start)
    assert argv == ["dtrace", "-q", "-Z", "-c", str(tmp_path / "ls"), "-s", str(tmp_path / "x.d")]
    assert (tmp_path / "ls").read_text() == "#!/bin/sh\nexec ls 'a b'\n"
    assert command(prepared, "x.d", "dtrace", target_cmd=["ls", "-l"])[3:5] == ["-c", "ls -l"]
    assert command(prepared, "x.d", "dtrace", pid=42)[-4:] == ["-p", "42", "-s", "x.d"]


def test_destructive_only_on_request(tmp_path):
    script = tmp_path / "w.d"
    script.write_text("#pragma D option destructive\nBEGIN { system(\"true\"); exit(0); }\n")
    prepared = prepare_d(str(script))
    with pytest.raises(RunError, match="destructive actions; allow them with -w"):
        command(prepared, "x.d", "dtrace")
    assert "-w" in command(prepared, "x.d", "dtrace", destructive=True)
    plain = prepare_d(str(FIX / "oracle_kinds.d"))
    assert "-w" not in command(plain, "x.d", "dtrace")


def test_no_dtrace_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("DTRACEPY_DTRACE", raising=False)
    monkeypatch.setattr(os, "access", lambda *a: False)
    with pytest.raises(RunError, match="no dtrace found"):
        find_dtrace()
    monkeypatch.undo()
    assert main(["run", str(FIX / "oracle_kinds.d"), "--dtrace", str(tmp_path / "nope")]) == 1
    assert "--dtrace names" in capsys.readouterr().err


def test_not_root_is_a_clear_error(monkeypatch, capsys, tmp_path):
    fake = tmp_path / "dtrace"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert main(["run", str(FIX / "oracle_kinds.d"), "--dtrace", str(fake)]) == 1
    assert "needs root" in capsys.readouterr().err


def test_wrong_macro_count_from_the_cli(capsys, tmp_path):
    script = tmp_path / "m.d"
    script.write_text("BEGIN { trace($1); exit(0); }\n")
    fake = tmp_path / "dtrace"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    assert main(["run", str(script), "--dtrace", str(fake), "--", "1", "2"]) == 1
    assert "takes 1 macro argument(s)" in capsys.readouterr().err


def test_fake_dtrace_end_to_end(tmp_path, monkeypatch, capsys):
    """A stand-in dtrace that prints recorded framed output: the whole CLI path, without root.
    The recording's marks carry no token: the stand-in puts in the one its script carries."""
    fake = tmp_path / "dtrace"
    out = FIX / "oracle_framed.out"
    fake.write_text(f"""#!{sys.executable}
import re, sys
script = open(sys.argv[sys.argv.index("-s") + 1]).read()
token = re.search(r"\\\\036([A-Za-z]{{8}})B", script).group(1).encode()
sys.stdout.buffer.write(open({str(out)!r}, "rb").read().replace(b"\\x1e", b"\\x1e" + token))
sys.stderr.write("dtrace: 7 dynamic variable drops\\n")
sys.exit(3)
""")
    fake.chmod(0o755)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    target = tmp_path / "o.jsonl"
    code = main(["run", str(FIX / "oracle_framed.d"), "--dtrace", str(fake), "-o", str(target)])
    assert code == 3, "the exit status is dtrace's"
    objs = [json.loads(line) for line in target.read_text().splitlines()]
    names = [o["aggregation"] for o in objs if "aggregation" in o]
    assert names[:3] == ["c", "user", "w6"]
    entries = {o["aggregation"]: o["entries"] for o in objs if "aggregation" in o}
    assert entries["w3"] == [{"key": ["a b", "c  d"], "value": 1}]
    assert entries["w5"] == [{"key": ["", 4], "value": 1}]
    assert entries["w6"] == [{"key": ["  7"], "value": 1}]
    assert entries["nl"] == [{"key": ["x\ny"], "value": 1}]
    err = capsys.readouterr().err
    assert "7 dynvar drops" in err and "could not be decoded" not in err


# --- review fixes: -o, signals, usage ----------------------------------------------------------
def _fake_dtrace(tmp_path, body="exit 0"):
    fake = tmp_path / "dtrace"
    fake.write_text("#!/bin/sh\n" + body + "\n")
    fake.chmod(0o755)
    return fake


@pytest.mark.parametrize("spelling", ["same", "dot", "symlink"])
def test_output_over_the_script_is_refused(tmp_path, monkeypatch, capsys, spelling):
    script = tmp_path / "s.d"
    script.write_text("BEGIN { exit(0); }\n")
    (tmp_path / "link.d").symlink_to(script)
    fake = _fake_dtrace(tmp_path)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.chdir(tmp_path)
    target = {"same": str(script), "dot": "./s.d", "symlink": "link.d"}[spelling]
    assert main(["run", "s.d", "--dtrace", str(fake), "-o", target]) == 1
    assert "refusing to write the output over the input" in capsys.readouterr().err
    assert script.read_text() == "BEGIN { exit(0); }\n"


def test_output_errors_are_located_and_a_failed_run_leaves_no_file(tmp_path, monkeypatch, capsys):
    script = tmp_path / "s.d"
    script.write_text("BEGIN { exit(0); }\n")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    fake = _fake_dtrace(tmp_path, "echo 'dtrace: failed to compile script x: line 1: oops' >&2\nexit 1")
    assert main(["run", str(script), "--dtrace", str(fake), "-o", str(tmp_path)]) == 1
    assert f"{tmp_path}:1: error: cannot write: it is a directory" in capsys.readouterr().err
    missing = str(tmp_path / "nope" / "x.csv")
    assert main(["run", str(script), "--dtrace", str(fake), "-o", missing]) == 1
    assert f"{missing}:1: error: cannot write: no such directory" in capsys.readouterr().err
    target = tmp_path / "o.csv"
    assert main(["run", str(script), "--dtrace", str(fake), "-o", str(target)]) == 1
    assert not target.exists()


def test_unreadable_script_and_negative_duration(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.d")]) == 1
    assert f"{tmp_path / 'nope.d'}:1: error: cannot read: no such file or directory" in capsys.readouterr().err
    assert main(["run", str(tmp_path)]) == 1
    assert f"{tmp_path}:1: error: cannot read: is a directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["run", str(FIX / "oracle_kinds.d"), "--duration", "-1"])
    assert exc.value.code == 2


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_terminating_dtracepy_stops_dtrace_and_cleans_up(tmp_path, signame):
    import signal
    import subprocess
    import sys
    import time

    if os.geteuid() != 0:
        pytest.skip("run checks for root before it starts dtrace")
    pidfile = tmp_path / "pid"
    fake = _fake_dtrace(tmp_path, f"echo $$ > '{pidfile}'\n"
                        # bounded: were dtracepy to leave it behind, it still ends within 60 s
                        "i=0; while [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done")
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(__file__).parent.parent), TMPDIR=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "dtracepy.cli", "run", str(FIX / "oracle_kinds.d"),
                             "--dtrace", str(fake)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not (pidfile.exists() and pidfile.read_text().strip()):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child = int(pidfile.read_text())
    time.sleep(0.3)
    proc.send_signal(getattr(signal, signame))
    assert proc.wait(20) == 128 + getattr(signal, signame)
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
    assert not [p for p in tmp_path.iterdir() if p.is_dir()], "the temp dir is left behind"


def test_string_target_command_is_split_as_a_shell_would(tmp_path):
    script = tmp_path / "t.d"
    script.write_text("pid$target:::entry { @[probefunc] = count(); }\n")
    prepared = prepare_d(str(script))
    argv = command(prepared, str(tmp_path / "x.d"), "dtrace", target_cmd='sh -c "ls /; echo hi"')
    assert argv[argv.index("-c") + 1] == str(tmp_path / "sh")
    assert (tmp_path / "sh").read_text() == "#!/bin/sh\nexec sh -c 'ls /; echo hi'\n"
    assert command(prepared, "x.d", "dtrace", target_cmd="ls -l")[-4:-2] == ["-c", "ls -l"]
    with pytest.raises(RunError, match="cannot split into words"):
        command(prepared, "x.d", "dtrace", target_cmd='sh -c "unterminated')


def test_framing_begin_is_invisible_without_quiet():
    from dtracepy.run.decode import STARTED
    from dtracepy.run.runner import _unframed_matched

    header = b"CPU     ID                    FUNCTION:NAME\n"
    begin = b"  1      1                           :BEGIN \x1eB\n\n"
    for chunk in (1, 7, 1 << 16):
        dec = Decoder()
        data = header + begin + b"\n\n"        # nothing fired: dtrace's blank lines at exit only
        events = [e for i in range(0, len(data), chunk) for e in dec.feed(data[i:i + chunk])]
        events += dec.close()
        assert STARTED in events
        assert [e for e in events if e is not STARTED] == ["\n", "\n"]
    dec = Decoder()
    fired = b"  0   3626                       read:entry                   10\n\n"
    events = [e for e in dec.feed(header + begin + fired) if e is not STARTED]
    assert events == [header.decode(), fired.decode().splitlines(True)[0], "\n"]
    assert _unframed_matched("dtrace: script 'x.d' matched 2 probes\n", 1) == \
        "dtrace: script 'x.d' matched 1 probe\n"
    assert _unframed_matched("dtrace: script 'x.d' matched 5 probes\n", 2) == \
        "dtrace: script 'x.d' matched 3 probes\n"
    from dtracepy.parser import parse_bytes

    # the framing's BEGIN and its END (always there: see the next test)
    assert framing.frame_program(parse_bytes(b"BEGIN { trace(1); }\n", "x.d"))[1].added_clauses == 2
    assert framing.frame_program(parse_bytes(b"BEGIN { @n = count(); }\n", "x.d"))[1].added_clauses == 2


@pytest.mark.parametrize("quiet", [False, True])
def test_the_framings_end_clause_and_dtraces_exit_blank_lines_are_invisible(quiet):
    """What Oracle's dtrace 2.0 printed for ``BEGIN { @a["x"] = count(); exit(0); }`` framed:
    without -q the END clause's probe prefix (``  0  2  :END``) and the blank line after the
    clause were text events, and dtrace's blank line at exit another (jsonl ended with two
    ``{"text": "\\n"}``); with -q, that blank line after the aggregation."""
    from dtracepy.parser import parse_bytes
    from dtracepy.printer import to_d

    program, plan = framing.frame_program(
        parse_bytes(b'BEGIN { @a["x"] = count(); exit(0); }\n', "x.d"), token="tok")
    text = to_d(program)
    assert text.rstrip().endswith('printf("\\036tokF\\n");\n}')
    mark = b"\x1etok"
    if quiet:
        data = (mark + b"B\n" + mark + b"E\n" + mark + b"A\x1f0\n" + mark + b"K\x1fx\x1f1\n"
                + mark + b"Z\n" + mark + b"F\n\n")
    else:
        data = (b"CPU     ID                    FUNCTION:NAME\n"
                b"  0      1                           :BEGIN " + mark + b"B\n\n"
                b"  0      1                           :BEGIN \n"
                b"  0      2                             :END " + mark + b"E\n" + mark + b"A\x1f0\n"
                + mark + b"K\x1fx\x1f1\n" + mark + b"Z\n" + mark + b"F\n\n\n")
    for chunk in (1, 5, 1 << 16):
        dec = Decoder(plan)
        events = [e for i in range(0, len(data), chunk) for e in dec.feed(data[i:i + chunk])]
        events += dec.close()
        shown = [e if isinstance(e, str) else type(e).__name__ for e in events]
        expected = ["Started", "Printed"] if quiet else [
            "Started", "CPU     ID                    FUNCTION:NAME\n",
            "  0      1                           :BEGIN \n", "Printed"]
        assert shown == expected, chunk
        assert dict(dec.aggregations["a"]) == {("x",): 1}
    # a user's own blank lines before dtracepy's END are the user's
    dec = Decoder(plan)
    assert dec.feed(mark + b"B\n\n\n" + mark + b"E\n" + mark + b"F\n\n")[1:] == ["\n", "\n"]


# --- framed printa: keys come back exactly --------------------------------------------------------
def test_oracle_framed_keys_come_back_exactly():
    """Recorded from Oracle's dtrace 2.0 running the framed program of oracle_framed.d: keys
    dtrace's default format prints ambiguously (spaces, empty strings, digits, newlines) are
    printed framed, since their types are known, and decode exactly."""
    aggs, events = _recorded("oracle_framed", framed=True)
    assert dict(aggs["w3"]) == {("a b", "c  d"): 1}
    assert dict(aggs["w5"]) == {("", 4): 1}
    assert dict(aggs["w6"]) == {("  7",): 1}
    assert dict(aggs["a"]) == {("x y", "z"): 1, ("x", "y z"): 1}
    assert dict(aggs["nl"]) == {("x\ny",): 1}
    assert dict(aggs["nl2"]) == {("x\ny", 3): 4}
    assert aggs["q"][("k",)].count_at(5) == 1 and aggs["q"].kind == "quantize"
    assert dict(aggs["s"]) == {(Stack(()), "z"): 1}
    # the user's printa formats, widths and all ("%6d %4s %@8d\n", "%s %s %@d\n", "%-@8u")
    assert dict(aggs["c"]) == {(1, "R"): 5}
    assert dict(aggs["user"]) == {("x y", "z"): 1, ("x", "y z"): 1}
    # keys of unknown type: the default format, decoded as before
    assert dict(aggs["unknown"]) == {("u v", 1): 1}
    assert dict(aggs["big"]) == {(-1, -3): 2}
    texts = [e for e in events if isinstance(e, Text)]
    assert texts == ["--widths\n", "--user\n", "--flags\n", "\n"]     # dtrace's blank line at exit


def test_framed_printa_formats():
    info = framing.AggInfo("a", "count", 3, (2,), ("string", "int", "stack"))
    assert framing.framed_default(info) == (("str", "int", "stack", "agg"),
                                            "\x1eK\x1f%s\x1f%d\x1f%k\x1f%@d\n")
    assert framing.framed_default(framing.AggInfo("a", "count", 1, (), (None,))) is None
    assert framing.framed_default(framing.AggInfo("a", "count", None, (), ())) is None
    assert framing.framed_user("%6d %4s %@8d\n", 1) == (("int", "str", "agg"),
                                                       "\x1eK\x1f%d\x1f%s\x1f%@d\n")
    assert framing.framed_user("%-16s %-@8u|%%\n", 1)[1] == "\x1eK\x1f%s\x1f%@u\n"
    assert framing.framed_user("%s\n", 1)[0] == ("str", "agg")     # dtrace adds the value
    assert framing.framed_user("%s %@d %@d\n", 2)[0] == ("str", "agg", "agg")
    assert framing.framed_user("%*d %@d\n", 1) is None


def test_printa_format_with_value_width():
    """``%@8d`` (a width on the value, DTraceToolkit's habit) decodes, in every flag order."""
    for fmt in ("%6d %4s %@8d\n", "%6d %4s %-@8d\n", "%6d %4s %@-8d\n", "%6d %4s %8@d\n"):
        text = "     1 R    " + ("       5" if "-" not in fmt else "5       ") + "\n"
        aggs = A.parse_printa(text, fmt, ("c",))
        assert dict(aggs["c"]) == {(1, "R"): 5}, fmt


def _block(plan, number, body: bytes) -> bytes:
    return b"\x1eA\x1f%d\n" % number + body + b"\x1eZ\n"


def test_undecodable_block_is_text_with_a_warning():
    """A string key holding the separator bytes cannot be framed reliably: the block comes out
    as text, with a warning, never a crash and never wrong keys."""
    plan = _plan()
    dec = Decoder(plan)
    events = dec.feed(_block(plan, 0, b"\x1eK\x1fa\x1fb\x1f3\n\x1eK\x1fc\x1f4\n")) + dec.close()
    assert events == [Text("a b 3\nc 4\n")]
    assert "n" not in dec.aggregations
    [warning] = dec.warnings
    assert warning.kind == "decode" and "@n" in warning.render() and "shown as text" in warning.render()
    # a user format this cannot read, output that does not match it: text and a warning
    spec = framing.PrintaSpec(0, ("n",), "%d %@d\n")
    dec = Decoder(attrs.evolve(plan, printas=(spec,)))
    events = dec.feed(_block(plan, 0, b"what\n")) + dec.close()
    assert events == [Text("what\n")] and len(dec.warnings) == 1


def test_default_format_ambiguity_is_warned():
    """Keys of unknown type are printed in dtrace's default format: when an entry does not split
    into as many words as the aggregation has keys, or entries merge, the decoder says so."""
    plan = framing.Plan(printas=(framing.PrintaSpec(0, ("u",), None),),
                        aggs=(framing.AggInfo("u", "count", 2, (), (None, None)),))
    dec = Decoder(plan)
    dec.feed(_block(plan, 0, b"\n  x    y z  1\n  x y  z    1\n")) + dec.close()
    assert dict(dec.aggregations["u"]) == {("x", "y z"): 1, ("x y", "z"): 1}
    [warning] = dec.warnings
    assert "spaces" in warning.render()
    dec = Decoder(plan)
    dec.feed(_block(plan, 0, b"\n  a  1  5\n  b  2  7\n")) + dec.close()
    assert dec.warnings == []


def test_oracle_aggpercpu_lines_are_not_keys():
    """``-x aggpercpu``: the default format adds ``[CPU n]`` lines (values or histogram tables)
    after each entry; recorded from Oracle's dtrace 2.0.  They are dropped, the totals stay."""
    lines = (FIX / "oracle_aggpercpu.txt").read_text().split("\n")
    cut = lines.index("                1")
    q = A.parse_default(lines[:cut], "q", None, 1, ())
    assert list(q) == [("q",)] and q[("q",)].count_at(2) == 1 and q[("q",)].total == 1
    assert dict(A.parse_default(lines[cut - 1:cut + 4], "n", "count", 0, ())) == {(): 1}
    b = A.parse_default(lines[cut + 4:], "b", "sum", 1, ())
    assert dict(b) == {("q",): 3}
    assert A.default_doubt(lines[cut + 4:], b, 1) is None


def test_printa_format_with_fewer_keys_prints_them_all_when_typed(tmp_path):
    """``printa("%@d\\n", @a)`` of a two-key aggregation: framed with every key when their types
    are known; when they are not, a warning says entries merged."""
    script = tmp_path / "few.d"
    script.write_text('BEGIN { @a["x", 1] = count(); @a["y", 2] = count();'
                      ' this->s = 1 ? "z" : "w"; @b[this->s, 1] = count(); @b[this->s, 2] = count();'
                      ' printa("%@d\\n", @a); printa("%@d\\n", @b); exit(0); }\n')
    plan = attrs.evolve(prepare_d(str(script)).plan, token="")
    assert [p.fields for p in plan.printas][:2] == [("str", "int", "agg"), ("agg",)]
    dec = Decoder(plan)
    dec.feed(_block(plan, 0, b"\x1eK\x1fx\x1f1\x1f1\n\x1eK\x1fy\x1f2\x1f1\n")
             + _block(plan, 1, b"\x1eK\x1f1\n\x1eK\x1f1\n")) + dec.close()
    assert dict(dec.aggregations["a"]) == {("x", 1): 1, ("y", 2): 1}
    assert dict(dec.aggregations["b"]) == {(): 2}
    [warning] = dec.warnings
    assert "prints 0 of the 2 keys" in warning.render()


def test_framed_block_with_a_broken_table_is_text():
    """A histogram table cut short (no header row after the ``Distribution`` mark) is text with a
    warning, not an internal error."""
    plan = _plan()
    dec = Decoder(plan)
    events = dec.feed(_block(plan, 1, b"\x1eK\x1f\n  Distribution\n")) + dec.close()
    assert [e for e in events if isinstance(e, Text)] == [Text("\n  Distribution\n")]
    assert len(dec.warnings) == 1


def test_a_dtrace_that_crashes_is_said_to_have_crashed(tmp_path, monkeypatch, capsys):
    """Oracle's dtrace aborts on some scripts (an assertion in dt_map.c for a char-array
    aggregation key): run printed dtrace's assertion and exited 134, with no word of its own."""
    script = tmp_path / "s.d"
    script.write_text("syscall::read:entry { @c[curthread->comm] = count(); }\n")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    fake = _fake_dtrace(tmp_path, "echo \"dtrace: libdtrace/dt_map.c:276: dt_aggid_rec_add: Assertion "
                                  "\\`alignment > 0' failed.\" >&2\nkill -ABRT $$")
    assert main(["run", str(script), "--dtrace", str(fake), "--duration", "5"]) == 128 + 6
    err = capsys.readouterr().err
    assert "Assertion `alignment > 0' failed." in err, err
    assert err.rstrip().endswith("dtracepy: error: dtrace ended on SIGABRT (signal 6) before tracing began, a "
                                 "signal dtracepy did not send: dtrace itself crashed or was killed (an "
                                 "assertion above is a bug of dtrace's, not of the script)"), err


def test_a_csv_output_of_text_only_says_where_the_text_went(tmp_path, monkeypatch, capsys):
    """Review 10, finding 6: ``run hello.py -o h.csv`` of a tracer that prints text only left an
    empty h.csv and the text on the terminal, without a word."""
    script = tmp_path / "s.d"
    script.write_text('BEGIN { printf("hello\\n"); exit(0); }\n')
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    fake = _fake_dtrace(tmp_path, "echo hello\nexit 0")
    target = tmp_path / "h.csv"
    assert main(["run", str(script), "--dtrace", str(fake), "-o", str(target)]) == 0
    err = capsys.readouterr().err
    assert "hello" in err and target.read_text() == ""
    assert (f"dtracepy: note: {target} holds no rows: the tracer printed text only, which --format csv "
            "sends to stderr (above)") in err, err
    assert main(["run", str(script), "--dtrace", str(fake), "-o", str(tmp_path / "h.jsonl")]) == 0
    assert "note" not in capsys.readouterr().err  # (jsonl keeps text in the file)
    assert main(["run", str(script), "--dtrace", str(fake), "--format", "csv"]) == 0
    assert "note" not in capsys.readouterr().err  # (no -o: the text is on the terminal anyway)


def test_an_unfinished_line_is_shown_when_dtrace_pauses():
    """dtrace flushes its output after each buffer it reads, so ``printf(".")`` once a second shows
    a dot a second; the decoder held an unfinished line until its newline or the end of the run.
    What may still become a mark, or a character cut in two, waits for the rest."""
    from dtracepy.run.decode import STARTED

    dec = Decoder()
    assert dec.feed(b"\x1eB\n") == [STARTED]
    assert dec.feed(b".") == [] and dec.unfinished_text() == ["."]
    assert dec.unfinished_text() == []
    assert dec.feed(b".\n") == [".\n"]
    dec = Decoder()
    dec.feed(b"\x1eB\n")
    assert dec.feed(b"ab\xc3") == [] and dec.unfinished_text() == ["ab"]
    assert dec.feed(b"\xa9") == [] and dec.unfinished_text() == ["\u00e9"]
    assert dec.feed(b"\n") == ["\n"]
    for held in (b"text \x1e", b"  0      2             :EN", b"  0   "):
        dec = Decoder()
        dec.feed(b"\x1eB\n")
        assert dec.feed(held) == [] and dec.unfinished_text() == [], held
    dec = Decoder()
    dec.feed(b"\x1eB\n")
    dec.feed(b"a")
    assert dec.unfinished_text() == ["a"]
    # the rest of the line comes after it: nothing lost or doubled
    assert dec.feed(b"b\n") == ["b\n"]
    assert dec.close() == []
    # before tracing starts (dtrace's header without -q) nothing is shown early
    dec = Decoder()
    assert dec.feed(b"CPU     ID") == [] and dec.unfinished_text() == []
