"""A hostile new user's walk (session 14, /work/review14.md): what got through, fixed.

Each test fails on the code before its fix.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO
from dtracepy.run import framing
from dtracepy.run.decode import Decoder, row_class

# --- records: every title gives a field ---------------------------------------------------------


def _row_class(*titles):
    return row_class(framing.RecordSpec(0, "r0", tuple(framing.column(t, "%d") for t in titles)))


def test_a_title_of_no_name_characters_still_names_a_field():
    """t.record(("½", "%d")) compiled; `dtracepy run` said "internal error: ValueError: Type names
    and field names must be valid identifiers: '½'" (exit 70); a ligature beside its letters,
    "ﬁle" and "file", "internal error: SyntaxError: duplicate argument 'file'"."""
    cls = _row_class("½", "²", "ﬁle", "file", "١")
    row = cls(1, 2, 3, 4, 5)
    assert cls._fields == ("f_1_2", "f_2", "file", "file_", "f_١")
    assert (row.f_1_2, row.f_2, row.ﬁle, row.file_, row.f_١) == (1, 2, 3, 4, 5)
    assert row.as_dict() == {"½": 1, "²": 2, "ﬁle": 3, "file": 4, "١": 5}


def test_a_column_titled_as_a_rows_own_attribute_keeps_its_value():
    """Columns titled titles, as_dict and spec: row.titles was the tuple of titles, row.as_dict
    the method and row.spec the RecordSpec, not the columns' values."""
    cls = _row_class("titles", "as_dict", "spec")
    row = cls(1, 2, 3)
    assert (row.f_titles, row.f_as_dict, row.f_spec) == (1, 2, 3)
    assert row.titles == ("titles", "as_dict", "spec")
    assert row.as_dict() == {"titles": 1, "as_dict": 2, "spec": 3}


def test_a_string_columns_precision_cuts_it_as_dtrace_does():
    """("h", "%5.2s") of "hello": `dtrace -s` of the compiled D prints "   he", `dtracepy run`
    gave "hello" (the framing dropped the precision); dtrace takes %.0s and %.s for none."""
    assert [framing.column("h", f).framed for f in ("%5.2s", "%-8.3s|", "%.0s", "%.s", "%s", "%S")] \
        == ["%.2s%c", "%.3s%c", "%s%c", "%s%c", "%s%c", "%s%c"]


def test_run_cuts_a_string_column_at_its_precision():
    """Live: what `dtrace -s` prints of the same record."""
    from tests.real_dtrace import need_dtrace, need_root

    from dtracepy import Tracer
    from dtracepy import exit as exit_

    need_dtrace()
    need_root()
    t = Tracer(options={"quiet": True})
    row = t.record(("h", "%5.2s"), ("i", "%.0s"), ("j", "%.300s"), ("n", "%d"))

    @t.probe("BEGIN")
    def _():
        row.emit("hello", "abc", "q,\x1f", 5)
        exit_(0)

    with t.run(duration=60) as tracing:
        rows = list(tracing.records())
    assert tracing.returncode == 0, tracing.stderr_lines
    assert [tuple(r) for r in rows] == [("he", "abc", "q,\x1f", 5)]


# --- compile: long chains built in a loop --------------------------------------------------------


def test_a_long_member_chain_compiles_with_the_operators_its_types_ask_for():
    """x = x.parent 5,000 times: "error: RecursionError: maximum recursion depth exceeded" at the
    decorator (the member's type was found recursively, and again for every member: quadratic).
    The chain's types are still followed: curthread.t_procp.p_user.u_comm in illumos D."""
    from dtracepy import Tracer, curthread, trace

    t = Tracer(dialect="illumos")

    @t.probe("BEGIN")
    def _():
        x = curthread
        for _ in range(5000):
            x = x.parent
        trace(x)
        trace(curthread.t_procp.p_user.u_comm)

    text = t.to_d()
    assert "trace(curthread" + "->parent" * 5000 + ");" in text
    assert "trace(curthread->t_procp->p_user.u_comm);" in text


def test_a_value_doubled_past_python_s_digits_is_a_located_error():
    """x = cond(x, 1, x) 100,000 times: "internal error: ValueError: Exceeds the limit (4300
    digits) for integer string conversion" (exit 70): the size in the message had 30,000 digits."""
    from dtracepy import Tracer, arg0, cond, trace
    from dtracepy.errors import DSLError

    t = Tracer()

    @t.probe("BEGIN")
    def _():
        x = arg0
        for _ in range(100000):
            x = cond(x, 1, x)
        trace(x)

    with pytest.raises(DSLError) as err:
        t.to_d()
    assert "at least 2**100002 bytes" in str(err.value)
    assert err.value.pos.file.endswith("test_new_user_review14.py")


# --- run: dtrace's messages name the user's lines ----------------------------------------------


def _cli(cwd, *args, timeout=120):
    return subprocess.run([sys.executable, "-m", "dtracepy", *args], cwd=cwd, capture_output=True,
                          text=True, env=env_with(REPO), timeout=timeout)


def test_the_line_under_a_compile_error_names_the_users_line(tmp_path):
    """Live: `dtracepy run` of a script whose @c is a count() at line 2 and a sum() at line 4 said
    "previous: @c = count( ) : line 10", a line of the framed script dtracepy gave dtrace."""
    from tests.real_dtrace import need_dtrace, need_root

    need_dtrace()
    need_root()
    # (check's agg-mismatch silenced: `run` checks a D script first, and it is dtrace's message
    # this test is about)
    (tmp_path / "re.d").write_text("#pragma D option quiet\nBEGIN { @c = count(); }\n\n"
                                   "BEGIN { @c = sum(1); } /* dtracepy: ignore[agg-mismatch] */\n")
    done = _cli(tmp_path, "run", "re.d")
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["re.d:4:9: error: aggregation redefined: @c [dtrace]",
                                        "\t current: @c = sum( )",
                                        "\tprevious: @c = count( ) : re.d:2:9"]


def test_the_output_files_extension_chooses_the_format_in_any_case():
    """`run x.d -o x.CSV` wrote the table format: README, "`.csv`/`.jsonl`/`.json` choose the
    format"."""
    from dtracepy.commands.run_cmd import default_format

    assert [default_format(name) for name in ("x.CSV", "x.Json", "x.JSONL", "x.csv", "x.txt", None)] \
        == ["csv", "json", "jsonl", "csv", "table", "table"]


# --- run: aggregations printed by a format -----------------------------------------------------


def test_a_sum_printed_unsigned_by_a_printa_format_decodes_signed():
    """printa("%s %@d %@d\\n", @c, @b) of @b["x"] = sum(-5): dtrace prints 18446744073709551611
    for a signed aggregation after the first, and `dtracepy run` gave that as @b's value."""
    from dtracepy.run.aggregations import parse_framed, parse_printa

    big = 2**64 - 5
    text = f"\x1eK\x1fx\x1f1\x1f{big}\n\x1eK\x1fz\x1f0\x1f7\n"
    aggs = parse_framed(text, ("str", "agg", "agg"), ("c", "b"), {"c": "count", "b": "sum"})
    assert dict(aggs["b"]) == {("x",): -5, ("z",): 7} and dict(aggs["c"]) == {("x",): 1, ("z",): 0}
    aggs = parse_framed(f"\x1eK\x1fx\x1f{big}\x1f{big}\x1f{big}\n", ("str", "agg", "agg", "agg"),
                        ("mn", "mx", "n"), {"mn": "min", "mx": "max", "n": "count"})
    assert [dict(aggs[n]) for n in ("mn", "mx", "n")] == [{("x",): -5}, {("x",): -5}, {("x",): big}]
    aggs = parse_printa(f"x 1 {big}\n", "%s %@d %@d\n", ("c", "b"), {"c": "count", "b": "sum"})
    assert dict(aggs["b"]) == {("x",): -5}


def test_run_gives_a_sum_printed_after_another_aggregation_signed():
    """Live: the same through `Tracer.run()`."""
    from tests.real_dtrace import need_dtrace, need_root

    from dtracepy import Tracer, agg, count, printa
    from dtracepy import exit as exit_
    from dtracepy import sum as sum_

    need_dtrace()
    need_root()
    t = Tracer(options={"quiet": True})

    @t.probe("BEGIN")
    def _():
        agg.c["x"] = count()
        agg.b["x"] = sum_(-5)
        agg.b["z"] = sum_(7)
        printa("%s %@d %@d\n", agg.c, agg.b)
        exit_(0)

    with t.run(duration=60) as tracing:
        list(tracing.events())
    assert tracing.returncode == 0, tracing.stderr_lines
    assert dict(tracing.aggregations["b"]) == {("x",): -5, ("z",): 7}


# --- run: a signal that ends dtracepy ends dtrace -----------------------------------------------


def _processes_running(word: str) -> list[int]:
    import os

    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if word.encode() in handle.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("signame", ["SIGUSR1", "SIGALRM"])
def test_a_signal_that_ends_dtracepy_stops_dtrace_first(tmp_path, signame):
    """Live: `kill -USR1` (or SIGALRM, SIGUSR2, Ctrl-\\ ...) of `dtracepy run` ended dtracepy at
    once (exit -10): dtrace went on tracing, orphaned, for ever, and the temporary directory
    stayed.  Now it is stopped as SIGTERM stops it: END runs, the aggregations are printed, and
    the status is 128 + N."""
    import os
    import secrets
    import signal

    from tests.real_dtrace import need_dtrace, need_root

    need_dtrace()
    need_root()
    name = f"sig_{secrets.token_hex(6)}.d"
    (tmp_path / name).write_text("#pragma D option quiet\nBEGIN { printf(\"go\\n\"); }\n"
                                 "profile-97 { @c[\"k\"] = count(); }\nEND { printf(\"end\\n\"); }\n")
    proc = subprocess.Popen([sys.executable, "-m", "dtracepy", "run", name, "--format", "jsonl"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env_with(REPO))
    try:
        assert proc.stdout.readline() == '{"text": "go\\n"}\n'
        number = getattr(signal, signame)
        proc.send_signal(number)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 128 + number, err
        assert '{"text": "end\\n"}' in out and '"aggregation": "c"' in out
        assert _processes_running(name) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in _processes_running(name):     # (a dtrace the old code left behind)
            os.kill(pid, signal.SIGKILL)


# --- a macro argument in a probe's name -------------------------------------------------------


@pytest.mark.parametrize("desc", ["tick-$1s", "profile:::profile-$$1", "syscall::read:$1"])
def test_a_macro_argument_in_a_probe_name_is_no_malformed_description(tmp_path, desc):
    """`tick-$1s { exit(0); }`: dtrace -e -s x.d 2 takes it (it puts the argument in first);
    `check` said "probe description 'tick-$1s': profile probes are named profile-N or tick-N
    ... [probe-desc]", so `import` wrote a module that `compile` refused; a tracer's
    @t.probe("tick-$1s") was refused the same way."""
    from dtracepy import Tracer
    from dtracepy import exit as exit_

    (tmp_path / "x.d").write_text(f"{desc} {{ exit(0); }}\n")
    done = _cli(tmp_path, "check", "x.d")
    assert (done.returncode, done.stderr) == (0, "")
    t = Tracer()

    @t.probe(desc)
    def _():
        exit_(0)

    assert f"\n{desc}\n{{\n\texit(0);\n}}\n" in t.to_d()


def test_a_column_titled_self_is_given_by_name():
    """t.record(("self", "%d"), ...) then row.emit(self=1, ...): "TypeError: Record.emit() got
    multiple values for argument 'self'"."""
    from dtracepy import Tracer

    t = Tracer()
    row = t.record(("self", "%d"), ("values", "%d"))

    @t.probe("BEGIN")
    def _():
        row.emit(self=1, values=2)

    assert 'printf("%d,%d\\n", 1, 2);' in t.to_d()


def test_an_aggregation_whose_stack_key_stands_among_others_is_shown_not_dropped():
    """@a[pid ? 1 : 2, stack(2), "x y"] = count() and @b[stack(1), ustack(1), pid ? 3 : 4]
    (keys of unknown type: dtrace's default format): `run` gave "entries": [] for both, without a
    word (review 13 left these layouts unread).  Now the block is text, with a decode warning."""
    from dtracepy.parser import parse_bytes
    from dtracepy.run.decode import Printed, Text

    program = parse_bytes(b'syscall::getpid:entry { @a[pid ? 1 : 2, stack(2), "x y"] = count();\n'
                          b"@b[stack(1), ustack(1), pid ? 3 : 4] = sum(-4); }\n", "x.d")
    _, plan = framing.frame_program(program, token="T")
    m = plan.mark
    a = ["", "        1", "              vmlinux`perf_syscall_enter+0x1db",
         "              vmlinux`syscall_trace_enter+0x180", "  x y" + " " * 60 + "1"]
    b = ["", "", "              vmlinux`perf_syscall_enter+0x1db", "", "              0x7f14796f34e7",
         "        3               -4"]
    numbers = {spec.names: spec.number for spec in plan.printas}
    text = (f"{m}E\n" + "".join(f"{m}A\x1f{numbers[(name,)]}\n" + "".join(l + "\n" for l in lines)
                                + f"{m}Z\n" for name, lines in (("a", a), ("b", b))) + f"{m}F\n")
    decoder = Decoder(plan)
    events = decoder.feed(text.encode()) + decoder.close()
    assert not [e for e in events if isinstance(e, Printed)]
    assert "".join(e for e in events if isinstance(e, Text)) == "".join(l + "\n" for l in a + b)
    assert [w.message for w in decoder.warnings] == [
        f"dtracepy: warning: printa of @{n} could not be decoded ({k} lines of entries whose stack "
        "keys stand among others could not be read); shown as text" for n, k in (("a", 4), ("b", 3))]


def test_ip_address_refuses_what_is_no_address_with_its_own_error():
    """ip_address(2**128) was an OverflowError, ip_address(1.5) an AttributeError, ip_address(None)
    "'<' not supported", and ip_address(True) IPv4Address('1.0.0.0')."""
    from dtracepy.run import ip_address

    for value in (2**128, -1):
        with pytest.raises(ValueError, match="not an address"):
            ip_address(value)
    for value in (1.5, None, True, b"\x7f\0\0\1"):
        with pytest.raises(TypeError, match="an address field is a str or an int"):
            ip_address(value)
    assert str(ip_address(0x0100007F)) == "127.0.0.1" and str(ip_address("::1")) == "::1"


def test_an_inline_function_that_does_not_fit_its_params_says_so():
    """t.inline("f", "int", lambda: 1) said "TypeError: cannot use a Python function as a D
    value"; with lambda x, y and params=["int x"], "TypeError: <lambda>() missing 1 required
    positional argument: 'y'"."""
    from dtracepy import Tracer
    from dtracepy.errors import DSLError

    t = Tracer()
    with pytest.raises(DSLError, match=r"a function as the value makes a parameterised inline, "
                                       r"which needs its parameters as params="):
        t.inline("f", "int", lambda: 1)
    with pytest.raises(DSLError, match=r"must take one argument per parameter of params= \(1\)"):
        t.inline("g", "int", lambda x, y: x + y, params=["int x"])
    t.inline("h", "int", lambda x: x + 1, params=["int x"])
    assert "inline int h[int x] = x + 1;" in t.to_d()


def test_a_histogram_draws_dtraces_abs_row_as_dtrace_draws_it():
    """llquantize(0, 10, 1, 3, 10): `dtrace -s` draws "abs() < 10 |@@@ 1", the table of
    `dtracepy run` drew "-9 |@@@ 1" (the bucket, [-9, 1], holds -9..9: right as data)."""
    from dtracepy.run.aggregations import _histogram

    lines = ["           value  ------------- Distribution ------------- count    ",
             "             -10 |                                         0        ",
             "       abs() < 10 |@@@@@@@@@@@@@@@@@@@@                     1        ",
             "              10 |@@@@@@@@@@@@@@@@@@@@                     1        ",
             "              20 |                                         0        "]
    hist, _ = _histogram(lines, 0)
    assert hist.buckets == [(-10, 0), (-9, 1), (10, 1), (20, 0)]
    drawn = hist.draw().splitlines()
    assert [line.split("|")[0].strip() for line in drawn[1:]] == ["-10", "abs() < 10", "10", "20"]


def test_an_option_only_another_dtrace_has_is_refused_at_the_run_line():
    """`dtracepy run x.d -x aggzoom` on Oracle's dtrace passed dtracepy's -x check, and dtrace
    said "failed to set -x aggzoom: Invalid option name"; README: "one it does not know is an
    error before dtrace starts".  Now a RunArgumentError at the t.run() line, once `dtrace -V`
    says which dtrace runs (an option of every dialect needs no asking)."""
    from tests.real_dtrace import need_dtrace

    from dtracepy import Tracer
    from dtracepy import exit as exit_
    from dtracepy.run.dtrace_binary import detect_dialect
    from dtracepy.run.errors import RunArgumentError

    need_dtrace()
    if detect_dialect(None) != "oracle":
        pytest.skip("aggzoom is an option of illumos' dtrace: this test needs Oracle's")
    t = Tracer()

    @t.probe("BEGIN")
    def _():
        exit_(0)

    with pytest.raises(RunArgumentError) as err:
        t.run(options={"aggzoom": True})
    assert "-x aggzoom: option aggzoom is not known to oracle D" in str(err.value)
    assert err.value.pos.file.endswith("test_new_user_review14.py")
