"""Review 28 (helper hostile28; issue 8): a hostile look at what changed in session 26, and at
``run``'s reading of what a dtrace (or a stand-in named by ``--dtrace``/``$DTRACEPY_DTRACE``)
prints.  Findings and their status: /work/review28.md (copied into docs/ by the lead)."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from dtracepy.run.decode import MAX_UNFINISHED, STARTED, Decoder, Text
from dtracepy.run.framing import AggInfo, Plan, PrintaSpec, RecordSpec, column

MARK = b"\x1eTOK"
ROWS = Plan((RecordSpec(0, "r0", (column("N", "%d"), column("S", "%s"), column("T", "%Y"))),), (), (),
            token="TOK")
BLOCKS = Plan((), (PrintaSpec(0, ("a",), None),), (AggInfo("a", "count", 1, ()),), token="TOK")


def _started(plan) -> Decoder:
    dec = Decoder(plan)
    assert dec.feed(MARK + b"B\n") == [STARTED]
    return dec


# --- M1: a row whose fields do not convert crashed the run (exit 70) -------------------------------

@pytest.mark.parametrize("row, shown", [
    (b"R0\x1f1\x1fab\x00Z\x1f5\n", "1 abZ 5\n"),                     # text after a string's NUL
    (b"R0\x1fzz\x1fab\x00\x1f5\n", "zz ab 5\n"),                      # not a number
    (b"R0\x1f1\x1fab\x00\x1f" + b"9" * 40 + b"\n", "1 ab " + "9" * 40 + "\n"),  # %Y past year 9999
    (b"R0\x1f1\x1fab\x00\x1f" + b"9" * 5000 + b"\n", "1 ab " + "9" * 5000 + "\n"),  # past int's digits
    (b"R0\n", "\n"),                                                  # the key alone
])
def test_a_row_whose_fields_do_not_convert_is_shown_as_text_with_a_warning(row, shown):
    """``int(b"zz")`` (ValueError) or a ``malformed record`` escaped ``Decoder.feed``: ``dtracepy
    run`` ended with "internal error" (exit 70).  Now the row is text and the record has one
    warning, counted; the rows after it are read as before."""
    dec = _started(ROWS)
    events = dec.feed(MARK + row) + dec.feed(MARK + row) + dec.feed(MARK + b"R0\x1f7\x1fok\x00\x1f0\n")
    assert events[:2] == [Text(shown), Text(shown)]
    assert events[2] == (7, "ok", events[2].T) and len(events) == 3
    (warning,) = dec.warnings
    assert warning.count == 2 and "'r0'" in warning.message and "shown as text" in warning.message


def test_a_run_of_rows_with_one_that_does_not_convert():
    """A run read column by column that meets a bad field gives way to the row-by-row path,
    which now shows that row as text, not a crash."""
    good = b"".join(MARK + b"R0\x1f%d\x1fs\x00\x1f0\n" % i for i in range(40))
    dec = _started(ROWS)
    events = dec.feed(good + MARK + b"R0\x1fx\x1fs\x00\x1f0\n" + good)
    assert [e for e in events if isinstance(e, Text)] == [Text("x s 0\n")]
    assert len(events) == 81 and events[80].N == 39


def test_a_histogram_and_a_number_for_one_key_is_shown_as_text():
    """A block whose entries give a key a histogram and then a number: ``Histogram += int``
    (TypeError) escaped the block's decoding, which catches only ValueError, LookupError and
    StopIteration."""
    dec = _started(BLOCKS)
    block = b"value  ------------- Distribution ------------- count\n9|\n9\n"
    events = dec.feed(MARK + b"A\x1f0\n" + block + MARK + b"Z\n") + dec.close()
    assert events == [Text(block.decode())]
    assert "could not be decoded" in dec.warnings[0].message


_STAND_IN = r'''#!{python}
import re, sys
if sys.argv[1:2] == ["-V"]:
    print("dtrace: Sun D 1.13")
    sys.exit(0)
script = next(a for a in sys.argv if a.endswith(".d"))
token = re.search(r'\\036(\w+?)B\\n', open(script).read()).group(1).encode()
out = sys.stdout.buffer
out.write(b"\x1e" + token + b"B\n")
out.write(b"\x1e" + token + b"R0\x1fzz\x1fab\x00\n")
out.write(b"\x1e" + token + b"R0\x1f5\x1fcd\x00\n")
'''

_TRACER = '''from dtracepy import Tracer, execname, pid
t = Tracer()
row = t.record(("N", "%d"), ("S", "%s"))
@t.probe("tick-1s")
def p():
    row.emit(pid, execname)
'''


def test_run_of_a_dtrace_printing_a_row_that_does_not_convert(tmp_path, capsys, monkeypatch):
    from dtracepy.cli import main

    monkeypatch.setattr(os, "geteuid", lambda: 0)   # (run asks for root on Linux; the stand-in needs none)

    fake = tmp_path / "dtrace"
    fake.write_text(_STAND_IN.replace("{python}", sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    tracer = tmp_path / "t.py"
    tracer.write_text(_TRACER)
    assert main(["run", str(tracer), "--dtrace", str(fake), "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert "internal error" not in err
    assert out == "N,S\n5,cd\n"          # (rows as CSV; text goes to standard error under csv)
    assert "zz ab\n" in err
    assert "rows of record" in err and "shown as text" in err


# --- M2: a long line that cannot be shown yet was joined to every read (quadratic) ------------------

CHUNK = b"x" * (1 << 16)


@pytest.mark.parametrize("plan, opening", [
    (BLOCKS, MARK + b"A\x1f0\n"),           # a line in a printa block (a format without "\n")
    (ROWS, MARK + b"R0\x1f1\x1f"),           # a row's string without its NUL (a stand-in's)
    (ROWS, MARK + b"Q"),                     # a line that starts with the mark
])
def test_a_long_unfinished_line_that_cannot_be_shown_is_not_joined_to_every_read(plan, opening):
    """Inside a printa block, or after the run's mark, an unfinished line cannot be shown as it
    comes (it is a block's or may be a row); it was kept whole and each read joined to it and
    split again: a stand-in dtrace's 16 MB without a newline took 2.9 s, 32 MB four times as long.
    Now it is held in pieces until a read brings what could end it; the decoder's pending text
    stays within a read of MAX_UNFINISHED."""
    dec = _started(plan)
    events = dec.feed(opening)
    for _ in range(64):         # 4 MiB, no newline
        events += dec.feed(CHUNK)
        assert len(dec._pending) <= MAX_UNFINISHED + len(CHUNK)
    if plan is BLOCKS:
        events += dec.feed(b" 5\n" + MARK + b"Z\n") + dec.close()
        assert dec.aggregations["a"][("x" * (64 << 16),)] == 5
    elif opening.endswith(b"Q"):
        events += dec.feed(b"\nafter\n") + dec.close()
        assert "".join(e for e in events if isinstance(e, Text)).endswith("x\nafter\n")
    else:
        events += dec.feed(b"\x00\x1f0\n") + dec.close()
        assert events[-1].S == "x" * (64 << 16) and events[-1].N == 1


def test_a_rows_string_of_many_lines_is_read_again_only_when_its_nul_comes():
    """A row's string holding newlines is read by its NUL (``slow``); each read joined all the
    lines since the row's start and read them again: a stand-in's 20,000 reads of a 267-byte line
    (5 MB) took 175 s.  Now the row is read again when a NUL comes (or a separator or newline where
    a number ends)."""
    dec = _started(ROWS)
    line = b"y" * 266 + b"\n"
    events = dec.feed(MARK + b"R0\x1f3\x1f")
    for _ in range(4000):
        events += dec.feed(line)
        assert len(dec._pending) <= MAX_UNFINISHED + len(line)
    events += dec.feed(b"\x00\x1f1000000000\n")
    (row,) = events
    assert row.N == 3 and row.S == (line * 4000).decode() and row.T.year == 1970


def test_a_held_line_shows_at_the_end_of_the_output():
    """What was held when dtrace's output ended is read as at any end (close)."""
    dec = _started(ROWS)
    events = dec.feed(MARK + b"Q")
    for _ in range(3):
        events += dec.feed(CHUNK)
    assert dec.unfinished_text() == []
    events += dec.close()
    assert "".join(e for e in events if isinstance(e, Text)) == "\x1eTOKQ" + "x" * (3 << 16)


# --- M3: lines of dtrace's stderr that cost a walk of the whole script each -------------------------

_STDERR_STAND_IN = r'''#!{python}
import sys
if sys.argv[1:2] == ["-V"]:
    print("dtrace: Sun D 1.13")
    sys.exit(0)
script = next(a for a in sys.argv if a.endswith(".d"))
err = sys.stderr
err.write("dtrace: failed to compile script %s: line 5: redefined\n" % script)
for i in range({n}):
    err.write("\tprevious: @c = count( ) : line %d\n" % (i % 40 + 1))
for i in range({n}):
    err.write("dtrace: failed to compile script %s: line %d: x\n" % (script, i % 40 + 1))
for i in range({n}):
    err.write("BPF: %d: (b7) r0 = 0\n" % i)
    err.write("dtrace: could not enable tracing: BPF program load for 'syscall::p%d:entry' failed: "
              "Permission denied\n" % i)
sys.exit(1)
'''


class _Counted:
    """A compiled pattern whose ``match`` calls are counted."""

    def __init__(self, pattern):
        self.pattern, self.calls = pattern, 0

    def match(self, *args):
        self.calls += 1
        return self.pattern.match(*args)


def test_a_run_reads_each_line_of_dtraces_stderr_without_walking_the_script_again(tmp_path, capsys,
                                                                                  monkeypatch):
    """Each compile error and each line under one (``\\tprevious: ... : line N``) parsed the whole
    script again to name the user's line; each BPF refusal read the verifier's whole log for its
    reason and walked every clause for the probe's.  A stand-in dtrace's 2,000 continuation lines
    about a 300-clause script took 13 s, 8,000 over two minutes; 4,000 log lines and refusals 38 s.
    Now the script's lines are read once, the log's reason is kept as it grows, and refusals are
    located at their clauses up to a bound."""
    import dtracepy.parser
    from dtracepy.cli import main
    from dtracepy.run import messages, origins, runner

    n = 300
    fake = tmp_path / "dtrace"
    fake.write_text(_STDERR_STAND_IN.replace("{python}", sys.executable).replace("{n}", str(n)))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    script = tmp_path / "big.d"
    script.write_text("".join("syscall::read%d:entry { @c[%d] = count(); }\n" % (i, i) for i in range(40)))

    parses, walks = [], []
    real_parse, real_walk = dtracepy.parser.parse, origins.clause_of_probe
    monkeypatch.setattr(dtracepy.parser, "parse", lambda *a, **k: parses.append(1) or real_parse(*a, **k))
    monkeypatch.setattr(origins, "clause_of_probe", lambda *a: walks.append(1) or real_walk(*a))
    insn = _Counted(messages._VERIFIER_INSN)
    monkeypatch.setattr(messages, "_VERIFIER_INSN", insn)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert main(["run", str(script), "--dtrace", str(fake)]) == 1
    err = capsys.readouterr().err
    assert err.count("refused the program dtrace made for syscall::p") == n
    assert "previous: @c = count( ) : line" in err
    assert len(parses) <= 3                     # (the script's own, the printed one's)
    assert len(walks) <= runner._LOCATED_REFUSALS
    assert insn.calls <= 2 * n


@pytest.mark.parametrize("seed", range(20))
def test_the_verifiers_reason_read_a_line_at_a_time_is_the_logs(seed):
    """:class:`VerifierReason` fed line by line says what the old reading of the whole log said."""
    import random

    from dtracepy.run.messages import VERIFIER_LOG_PREFIX, VerifierReason, _VERIFIER_INSN, _VERIFIER_LOG_INCOMPLETE, \
        _VERIFIER_STATS

    def whole(log):       # (the reading before review 28, verbatim)
        sizes = [m["size"] for m in map(_VERIFIER_LOG_INCOMPLETE.match, log) if m is not None and m["size"]]
        if sizes:
            return (f"its log was longer than dtrace keeps (bpflogsize, {sizes[-1]} bytes), and dtrace "
                    f"reported none of it")
        for line in reversed(log):
            text = line[len(VERIFIER_LOG_PREFIX):] if line.startswith(VERIFIER_LOG_PREFIX) else line
            if not _VERIFIER_STATS.match(text) and not _VERIFIER_INSN.match(text):
                return text.strip()
        return None

    r = random.Random(seed)
    pool = ["BPF: 0: (b7) r0 = 0", "BPF: ; x = 1", "BPF: R1 type=scalar expected=map_ptr", "BPF: ",
            "BPF: processed 12 insns", "BPF: verification time 5 usec", "BPF verifier log is incomplete and "
            "is not reported.", "(Current size is 4096.)", "(Current size is 99.)", "BPF:  invalid mem access ",
            "Set DTrace option 'bpflogsize' to some greater size for more output.", "BPF: func#0 @0"]
    log = [r.choice(pool) for _ in range(r.randint(0, 12))]
    reason = VerifierReason()
    for k, line in enumerate(log):
        reason.add(line)
        assert reason.reason == whole(log[:k + 1])


# --- L: a newline in an argument printed a line of its own in the message about it ------------------

_NAME = "A\nFAKE: error: injected\x1b[2J"


@pytest.mark.parametrize("argv", [
    ["check", "{ok}", "--disable", _NAME],
    ["compile", "{tracer}", "-o", _NAME + "/x.d"],
    ["import", "{ok}", "-o", _NAME + "/x.py"],
    ["run", "{ok}", "--dtrace", "{fake}", "-x", _NAME],
    ["run", "{ok}", "--dtrace", "{fake}", "-x", "bufsize=" + _NAME],
    ["run", "{ok}", "--dtrace", "{fake}", "-o", _NAME + "/x"],
    ["run", "{ok}", "--dtrace", "{fake}", "--verifier-log", _NAME + "/x"],
    ["run", "{ok}", "--dtrace", "{fake}", "--tracer", _NAME],
], ids=lambda argv: " ".join(a for a in argv if a != _NAME and not a.startswith(_NAME)))
def test_an_argument_is_shown_on_one_line(argv, tmp_path, capsys, monkeypatch):
    """``--disable``'s unknown names, ``-o``'s missing directory, ``run -x``'s option and
    ``run --tracer`` with a D script were printed with their newlines: the text after one read as a
    message of its own (``FAKE: error: injected``).  Each is shown as a file name is (``\\n``)."""
    from dtracepy.cli import main

    ok = tmp_path / "ok.d"
    ok.write_text("BEGIN { x = 1; }\n")
    tracer = tmp_path / "t.py"
    tracer.write_text(_TRACER)
    fake = tmp_path / "dtrace"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.chdir(tmp_path)
    argv = [a.format(ok=ok, tracer=tracer, fake=fake) if "{" in a else a for a in argv]
    try:
        status = main(argv)
    except SystemExit as end:
        status = end.code
    out, err = capsys.readouterr()
    assert status not in (0, 70)
    assert "A\\nFAKE: error: injected\\x1b[2J" in out + err
    assert "\nFAKE" not in out + err and "\x1b" not in out + err


# --- M4: a chain of member accesses was not counted: 4 MB took 7 to 9 s and over 540 MB ------------

def _chain(n: int, op: str = "->") -> str:
    return "struct foo { struct foo *n; int v; };\nBEGIN { trace(((struct foo *)0)" + f"{op}n" * n + f"{op}v); }}\n"


@pytest.mark.parametrize("op", ["->", "."])
def test_a_chain_of_more_member_accesses_than_dtrace_compiles_is_refused_at_the_one_past(op):
    """Oracle D 2.0 compiles (``dtrace -e``) a chain of 16,000 ``->`` and crashes (SIGSEGV) on
    20,000: as for the operators MAX_OPERATORS counts, the lexer refuses the access past 20,000 at
    its place; a chain of 20,000 is read."""
    from dtracepy.errors import DSyntaxError
    from dtracepy.lexer import MAX_OPERATORS
    from dtracepy.parser import parse

    parse(_chain(MAX_OPERATORS - 1, op), "ok.d")
    with pytest.raises(DSyntaxError) as err:
        parse(_chain(MAX_OPERATORS, op), "long.d")
    assert "member accesses" in err.value.message
    head = "BEGIN { trace(((struct foo *)0)"
    assert err.value.pos.line == 2 and err.value.pos.col == len(head) + 1 + len(op + "n") * MAX_OPERATORS


def test_member_accesses_apart_are_not_one_chain():
    """An operator, a comma or a statement's end starts the count again: 15,000 terms of a sum
    each of two accesses, or 15,000 statements, are read (their trees are no deeper than that)."""
    from dtracepy.parser import parse

    parse("BEGIN { x = " + " + ".join(["p->n->v"] * 15_000) + "; }\n", "sum.d")
    parse("BEGIN { " + "x = p->n->v; " * 15_000 + "}\n", "statements.d")
    parse("BEGIN { f(" + ", ".join(["p->n->v"] * 7_000) + "); }\n", "arguments.d")


def test_check_of_a_4mb_chain_is_refused_in_bounded_memory(tmp_path):
    from tests.child_peak import dtracepy_argv, read_peak_kb
    import subprocess

    path = tmp_path / "chain.d"
    path.write_text("BEGIN { x = a" + "->b" * 1_300_000 + "; }\n")
    peak = tmp_path / "peak"
    done = subprocess.run(dtracepy_argv(peak, "check", path), capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert done.returncode == 1 and "member accesses" in done.stderr
    assert read_peak_kb(peak) < 150_000      # (546 MB before; 34 MB now)


# --- M5: the checks walked a chain of operators by recursion, and once per operator ----------------

@pytest.mark.parametrize("term", ["p->n->v", "1", "(int)p"])
def test_a_long_sum_is_checked_without_recursion_error(term, tmp_path, capsys):
    """``x = p->n->v + p->n->v + ...`` of 1,000 terms (p typed): printf.kind recursed once an
    operator down the chain: "internal error in the checks: RecursionError" (exit 1)."""
    from dtracepy.cli import main

    path = tmp_path / "sum.d"
    path.write_text("struct foo { struct foo *n; int v; };\nBEGIN { p = (struct foo *)0; x = "
                    + " + ".join([term] * 3000) + '; printf("%d", ' + " + ".join([term] * 3000) + "); }\n")
    status = main(["check", str(path)])
    err = capsys.readouterr().err
    assert "internal error" not in err and status in (0, 1)


def test_the_kind_of_each_operator_of_a_chain_is_found_in_work_linear_in_it(monkeypatch):
    """operand-type asks the kind of the left operand of each ``-`` whose right one is a string:
    each walked the chain below it (19,000 terms of ``"a" - "a" - ...``, valid D, took 26 s once
    the recursion was gone).  Counted: kind() calls."""
    from dtracepy.checks import check_program
    from dtracepy.checks import printf as P
    from dtracepy.parser import parse

    calls = []
    real = P.kind
    monkeypatch.setattr(P, "kind", lambda expr: calls.append(1) or real(expr))
    P._CHAIN_KINDS.clear()
    n = 3000
    source = "BEGIN { trace(" + " - ".join(['"a"'] * n) + "); }\n"
    check_program(parse(source, "s.d"), source=source)
    assert len(calls) < 10 * n


def test_the_kinds_of_a_chain_are_the_recursive_readings():
    """_binary_kind's loop and kept answers give what the recursive reading gave, on random trees
    of operators (integers, strings, unknowns, comparisons, commas), asked in any order."""
    import random

    from dtracepy import tree as t
    from dtracepy.checks import printf as P

    def recursive(expr):
        if isinstance(expr, t.Binary) and expr.op in P._INT_RESULTS:
            return "int"
        if isinstance(expr, t.Binary) and expr.op != ",":
            return "int" if recursive(expr.left) == "int" and recursive(expr.right) == "int" else None
        return P.kind(expr)

    r = random.Random(28)
    leaves = [lambda: t.IntLit("1"), lambda: t.StringLit('"a"'), lambda: t.Ident("x"), lambda: t.Ident("pid")]
    for _ in range(200):
        node = r.choice(leaves)()
        nodes = []
        for _ in range(r.randint(1, 80)):
            op = r.choice(["+", "-", "*", "==", ",", "&&", "<<"])
            right = r.choice(leaves)() if r.random() < 0.8 else t.Binary("+", r.choice(leaves)(), r.choice(leaves)())
            node = t.Binary(op, node, right)
            nodes.append(node)
        P._CHAIN_KINDS.clear()
        r.shuffle(nodes)
        for node in nodes:
            assert P.kind(node) == recursive(node)


def test_a_long_chain_of_operators_built_in_the_dsl_compiles():
    """The DSL asks operand-type of each operator it builds (binary_problem, then printf.kind of its
    left operand): ``w = w - "a"`` 3,000 times ended with "RecursionError: maximum recursion depth
    exceeded" at the user's line."""
    from dtracepy import Tracer, arg0, execname, printf, trace

    t = Tracer()

    @t.probe("BEGIN")
    def begin():
        v = arg0
        w = execname
        for _ in range(3000):
            v = v + arg0
            w = w - "a"
        printf("%d", v)
        trace(w)

    text = t.to_d()
    assert text.count(' - "a"') == 3000 and text.count("+ arg0") == 3000


def test_compile_makes_no_chain_of_member_accesses_check_refuses():
    """``compile`` makes only D that ``check`` reads: a chain of 25,000 member accesses built in a
    loop compiled to D that check now refuses; it is a DSLError at the user's line, as for
    operators (the compiler counts each member access at its level of brackets as one), and what
    compiles is read back."""
    from dtracepy import Tracer, arg0, cast, trace
    from dtracepy.errors import DSLError
    from dtracepy.lexer import MAX_OPERATORS
    from dtracepy.parser import parse

    def tracer(n, scoped=False):
        t = Tracer()

        @t.probe("BEGIN")
        def begin():
            v = cast(arg0, "struct foo *")
            for _ in range(n):
                v = v.n
            trace(v.v)

        return t

    with pytest.raises(DSLError) as err:
        tracer(MAX_OPERATORS + 5).to_d()
    assert "more than 20,000 operators" in err.value.message and err.value.pos.line > 1
    parse(tracer(MAX_OPERATORS - 10).to_d(), "back.d")


def test_a_chain_is_counted_at_its_level_of_brackets():
    """As the operators: what is inside a subscript or a call is counted there, and the chain
    around it goes on after it (``a->b[0]->c``: two accesses in one chain)."""
    from dtracepy.errors import DSyntaxError
    from dtracepy.parser import parse

    parse("BEGIN { x = a" + "->b" * 15_000 + "[y" + "->c" * 15_000 + "]; }\n", "inner.d")
    with pytest.raises(DSyntaxError):
        parse("BEGIN { x = a" + "->b[0]" * 20_001 + "; }\n", "indexed.d")
