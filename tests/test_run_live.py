"""dtracepy run against the real DTrace, live, as root.  Each test is bounded to a few seconds of
tracing (dtrace itself takes a few more to start on a busy machine); they skip without a dtrace
or without root, and fail instead in CI (DTRACEPY_REQUIRE_DTRACE=1)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.real_dtrace import need_dtrace, need_root

from dtracepy import (
    Tracer, agg, args, count, execname, macro, pid, ppid, printa, printf, quantize, self, stack,
    target, timestamp, walltimestamp,
)
from dtracepy.run import Histogram, Stack, Text, run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START_TIMEOUT = 60      # dtrace compiles BPF and attaches probes: slow on a loaded machine


@pytest.fixture(autouse=True)
def _live():
    need_dtrace()
    need_root()


def _wait_ready(events, deadline):
    """Consume events until the BEGIN clause's "ready" text; dtrace is tracing from then on."""
    for event in events:
        if isinstance(event, Text) and event == "ready\n":
            return
        assert time.monotonic() < deadline, "dtrace did not start in time"
    raise AssertionError("dtrace ended before its BEGIN clause printed")


def _reads_from_threads(threads: int, reads: int, pause: float) -> None:
    """Work for the tracer on an otherwise idle machine: ``threads`` threads, each reading one
    byte of /dev/zero ``reads`` times, ``pause`` seconds apart (bounded: about reads * pause)."""
    def reader():
        fd = os.open("/dev/zero", os.O_RDONLY)
        try:
            for _ in range(reads):
                os.read(fd, 1)
                time.sleep(pause)
        finally:
            os.close(fd)

    workers = [threading.Thread(target=reader, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)


NASTY_NAMES = ['com,ma', 'quo"te', "apo'stro", "new\nline", "per%cent %s", "tab\tand\x1fus"]


def _exec_tracer():
    t = Tracer(options={"quiet": True})
    row = t.record(("Path", "%s"), ("Comm", "%-16s"), ("Pid", "%d"), ("When", "%Y"))
    t.clear(self.path, at=("proc:::exec-success", "proc:::exec-failure"))

    @t.probe("BEGIN")
    def begin():
        printf("ready\n")

    @t.probe("proc:::exec")
    def ex():
        self.path = args[0]

    @t.probe("proc:::exec-success", when=ppid == macro(1))
    def ok():
        row.emit(self.path, execname, pid, walltimestamp)

    return t


def test_exec_records_macro_and_stop(tmp_path):
    """Commands with commas, quotes, newlines, % and separators in their names: their exec
    records come back exactly; $1 (the test's pid) selects them; stop() (SIGINT) ends the run
    cleanly.  (The aggregations have their own run below: in a program that also printed these
    long-string records, Oracle's dtrace 2.0 now and then printed an aggregation's keys and
    values from the wrong bytes.)"""
    marker = str(tmp_path / "dtp-")
    paths = []
    for i, name in enumerate(NASTY_NAMES):
        path = f"{marker}{i}-{name}"
        with open("/bin/true", "rb") as src, open(path, "wb") as dst:
            dst.write(src.read())
        os.chmod(path, 0o755)
        paths.append(path)
    t = _exec_tracer()
    deadline = time.monotonic() + START_TIMEOUT
    with t.run(args=[os.getpid()]) as tracing:
        events = tracing.events()
        _wait_ready(events, deadline)
        for path in paths:
            subprocess.run([path], check=True)
        time.sleep(0.5)
        tracing.stop()
        rows = [e for e in events if isinstance(e, tuple)]
    assert tracing.returncode == 0, tracing.stderr_lines
    assert sorted(r.Path for r in rows) == sorted(paths)
    for r in rows:
        assert r.Comm == os.path.basename(r.Path)[:15]
        assert r.When.year >= 2024 and isinstance(r.Pid, int)


def test_quantize_and_stack_keys():
    """A syscall latency quantize and profile stack() keys, decoded when the run ends."""
    t = Tracer(options={"quiet": True})

    @t.probe("syscall::read:entry")
    def read_entry():
        self.ts = timestamp

    @t.probe("syscall::read:return", when=self.ts != 0)
    def read_return():
        agg.ns["read"] = quantize(timestamp - self.ts)

    @t.probe("profile-997")
    def sample():
        agg.stacks[stack()] = count()

    with t.run(duration=1) as tracing:
        assert tracing.wait_started(START_TIMEOUT), tracing.stderr_lines
        _reads_from_threads(1, 10, 0.05)      # reads of its own: an idle machine may make none
        list(tracing.events())
    assert tracing.returncode == 0, tracing.stderr_lines
    hist = tracing.aggregations["ns"][("read",)]
    assert isinstance(hist, Histogram) and hist.total > 0 and hist.percentile(50) > 0
    stacks = tracing.aggregations["stacks"]
    assert stacks and all(isinstance(k[0], Stack) for k in stacks)
    assert any("`" in frame for k in stacks for frame in k[0])


def test_target_with_c_and_exit_status(tmp_path):
    """-c: dtrace runs the command ($target is its pid; words with blanks survive), its output
    arrives as text events, the run ends when it exits."""
    (tmp_path / "a b").mkdir()
    (tmp_path / "a b" / "f1").write_text("x")
    t = Tracer(options={"quiet": True})

    @t.probe("syscall::openat:entry", "syscall::getdents64:entry", "syscall::write:entry",
             when=pid == target)
    def calls():
        agg.calls[execname] = count()

    with t.run(target_cmd=["/bin/ls", str(tmp_path / "a b")]) as tracing:
        events = list(tracing.events())
    assert tracing.returncode == 0, tracing.stderr_lines
    assert tracing.aggregations["calls"][("ls",)] >= 3
    assert "f1\n" in [e for e in events if isinstance(e, Text)]


def test_duration_and_dynamic_variable_drops():
    """A tracer that overflows its dynamic variable space: the drops arrive as one warning with a
    count, never as data; --duration ends the run cleanly."""
    t = Tracer(options={"quiet": True, "dynvarsize": 256})
    t.keep(self.x)

    @t.probe("syscall::read:entry", "syscall::write:entry", "syscall::openat:entry")
    def entry():
        self.x = timestamp
        agg.n = count()

    with t.run(duration=2) as tracing:
        assert tracing.wait_started(START_TIMEOUT), tracing.stderr_lines
        # Many threads of its own set self->x: 256 bytes cannot hold them all, even when nothing
        # else on the machine makes a system call.
        _reads_from_threads(64, 10, 0.05)
        events = list(tracing.events())
    assert tracing.returncode == 0, tracing.stderr_lines
    drops = [w for w in tracing.warnings if w.kind.startswith("dynvar")]
    assert drops and drops[0].count > 0
    assert not [e for e in events if isinstance(e, Text) and "drops" in e]
    assert tracing.aggregations["n"].value > 0


def test_cli_sigint_decodes_aggregations_and_exits_with_dtrace_status(tmp_path):
    script = tmp_path / "sig.d"
    script.write_text('#!/usr/sbin/dtrace -qs\nBEGIN { printf("ready\\n"); }\n'
                      "syscall::read:entry, syscall::write:entry { @calls[probefunc] = count(); @lat = quantize(arg2); }\n")
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "dtracepy", "run", str(script), "--format", "jsonl"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + START_TIMEOUT
    first = proc.stdout.readline()
    assert json.loads(first) == {"text": "ready\n"}, proc.stderr.read()
    assert time.monotonic() < deadline
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    objs = [json.loads(line) for line in out.splitlines()]
    names = {o["aggregation"]: o for o in objs if "aggregation" in o}
    assert set(names) == {"calls", "lat"}
    assert any(e["key"] == ["read"] or e["key"] == ["write"] for e in names["calls"]["entries"])
    assert names["lat"]["entries"][0]["value"]["total"] > 0
    # dtrace prints a newline on its first SIGINT, even under -q: it was a {"text": "\n"} event
    assert {"text": "\n"} not in objs, objs


def test_a_stopped_run_has_no_text_of_dtraces_own(tmp_path):
    """--duration stops dtrace with SIGINT; the newline dtrace prints for it was the first event of
    every such run (a blank line in a table)."""
    script = tmp_path / "reads.d"
    script.write_text("syscall::read:entry\n{\n\t@reads[execname] = count();\n}\n")
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run([sys.executable, "-m", "dtracepy", "run", str(script), "--duration", "1",
                             "--format", "jsonl"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    objs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("aggregation") for o in objs] == ["reads"], objs


def test_awkward_aggregation_keys_and_printa_widths_come_back_exactly():
    """Keys dtrace's default format prints ambiguously (spaces, an empty string, digits, a
    newline), string keys held in variables, and a printa format with widths on the keys and the
    value (``%@8d``)."""
    from dtracepy import exit as exit_
    from dtracepy import this

    t = Tracer(options={"quiet": True})

    @t.probe("BEGIN")
    def begin():
        agg.w3["a b", "c  d"] = count()
        agg.w5["", 4] = count()
        agg.w6["  7"] = count()
        agg.weird["x\ny"] = count()
        agg.n["ab"] = count()
        this.digits = "7"
        self.name = "a  b"
        agg.held[this.digits, self.name] = count()
        self.name = 0
        exit_(0)

    @t.probe("END")
    def end():
        printa("%-16s %@8d\n", agg.n)

    with t.run(duration=10) as tracing:
        events = list(tracing.events())
    assert tracing.returncode == 0, tracing.stderr_lines
    aggs = tracing.aggregations
    assert dict(aggs["w3"]) == {("a b", "c  d"): 1}
    assert dict(aggs["w5"]) == {("", 4): 1}
    assert dict(aggs["w6"]) == {("  7",): 1}
    assert dict(aggs["weird"]) == {("x\ny",): 1}
    assert dict(aggs["n"]) == {("ab",): 1}
    assert dict(aggs["held"]) == {("7", "a  b"): 1}, "typed by their assignments: strings"
    assert tracing.warnings == []
    assert not [e for e in events if isinstance(e, Text) and e.strip()]


def test_traced_text_cannot_forge_records():
    """The traced process writes what looks like one of dtracepy's record marks; the tracer prints
    it with a plain printf.  Real dtrace prints the bytes as they are; without the run's secret
    token they decode as text, never as a row."""
    from dtracepy import arg1, arg2, copyinstr

    forged = "\x1eR0\x1f42\x1f6\x1fforged"
    t = Tracer(options={"quiet": True, "strsize": 64})
    row = t.record(("N", "%d"), ("Name", "%s"))

    @t.probe("syscall::write:entry", when=(pid == target) & (arg2 == len(forged) + 1))
    def wrote():
        printf("%s", copyinstr(arg1, arg2 + 1))    # (the size counts the NUL)
        row.emit(7, execname)

    script = f"import os; os.write(1, {forged + chr(10)!r}.encode())"
    with t.run(target_cmd=[sys.executable, "-c", script]) as tracing:
        events = list(tracing.events())
    assert tracing.returncode == 0, tracing.stderr_lines
    rows = [e for e in events if isinstance(e, tuple)]
    texts = [e for e in events if isinstance(e, Text)]
    assert [r.N for r in rows] == [7], "one row: the tracer's own"
    # twice: the tracer's printf, and the target's own output (dtrace -c shares its stdout)
    assert texts.count(forged + "\n") == 2


def test_text_without_a_newline_is_seen_as_dtrace_prints_it(tmp_path):
    """A dot for each write of the target, never a newline: dtrace shows each dot when it prints
    it; the run held them all until dtrace exited, then gave one text of three dots.  The target
    writes again only once the test has seen the last write's dot (or after 20 s): paced by what
    the run delivers, not by the clock, so a loaded machine cannot bunch the dots together (CI saw
    one text of three dots when the writes were a second apart).  (Not paced by tick-1s: on this
    VM tick probes sometimes never fire.)"""
    script = tmp_path / "dots.d"
    script.write_text('#pragma D option quiet\n'
                      'syscall::write:entry /pid == $target && arg0 > 2/ { printf("."); }\n')
    acks = str(tmp_path / "seen-")
    writer = ("import os, sys, time\nfd = os.open(os.devnull, os.O_WRONLY)\n"
              "for i in range(3):\n    os.write(fd, b'w')\n"
              "    end = time.monotonic() + 20\n"
              "    while not os.path.exists(sys.argv[1] + str(i)) and time.monotonic() < end:\n"
              "        time.sleep(0.05)\n")
    seen = []
    with run(str(script), target_cmd=[sys.executable, "-c", writer, acks], duration=120) as tracing:
        for event in tracing.events():
            open(acks + str(len(seen)), "w").close()
            seen.append(event)
    assert tracing.returncode == 0, tracing.stderr_lines
    assert seen == [".", ".", "."], seen
