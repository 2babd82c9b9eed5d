"""Compiled tracers run live under the real DTrace (root) and print what they should.

Each tracer is written with the DSL, compiled with ``t.to_d()``, and run with ``dtrace -s`` for
about a second (``tick-1s`` ends it, or the ``-c`` command's exit); a generous timeout bounds the
run (a live dtrace takes several seconds to start).  No network is touched.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
import time

import pytest

from dtracepy import Tracer, agg, arg0, count, execname, macro, pid, printf, probefunc, quantize, self, stack, target, timestamp
from dtracepy import exit as d_exit
from real_dtrace import busy_cpus, need_dtrace, need_root

TIMEOUT = 120


def run_live(t: Tracer, args: tuple[str, ...] = (), command: str | None = None,
             while_running=None) -> str:
    """Run the tracer's D with ``dtrace -s``; return its standard output (fail on a bad exit)."""
    dtrace = need_dtrace()
    need_root()
    with tempfile.NamedTemporaryFile("w", suffix=".d", prefix="dtracepy-live-") as script:
        script.write(t.to_d())
        script.flush()
        argv = [dtrace, "-s", script.name]
        if command:
            argv += ["-c", command]
        with busy_cpus(TIMEOUT + 10):      # a tick-n probe fires only on a busy vCPU here
            proc = subprocess.Popen([*argv, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
            stop = threading.Event()
            worker = None
            if while_running is not None:
                worker = threading.Thread(target=while_running, args=(stop,), daemon=True)
                worker.start()
            try:
                out, err = proc.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
                pytest.fail(f"dtrace did not end within {TIMEOUT} s: {err}\n{t.to_d()}")
            finally:
                stop.set()
                if worker is not None:
                    worker.join(10)
    assert proc.returncode == 0, f"dtrace exited {proc.returncode}: {err}\n{t.to_d()}"
    return out


def _end_after_a_second(t: Tracer) -> None:
    @t.probe("profile:::tick-1s")
    def _():
        d_exit(0)


def _reads(stop: threading.Event) -> None:
    with open("/dev/zero", "rb") as zero:
        while not stop.is_set():
            zero.read(512)


def _execs(stop: threading.Event) -> None:
    while not stop.is_set():
        subprocess.run(["/bin/true"])
        time.sleep(0.05)


def test_syscall_latency_quantize():
    t = Tracer(options={"quiet": True})

    @t.probe("syscall::read:entry")
    def _():
        self.ts = timestamp

    @t.probe("syscall::read:return", when=self.ts)
    def _():
        agg.ns["read"] = quantize(timestamp - self.ts)

    _end_after_a_second(t)
    out = run_live(t, while_running=_reads)
    assert re.search(r"read\s+value\s+-+ Distribution -+ count", out), out
    counts = [int(m) for m in re.findall(r"^\s+\d+ \|@*\s+(\d+)\s*$", out, re.M)]
    assert sum(counts) > 0, out


def test_proc_exec_records():
    t = Tracer(options={"quiet": True})
    row = t.record(("PID", "%d"), ("Command", "%s"))

    @t.probe("proc:::exec-success")
    def _():
        row.emit(pid, execname)

    _end_after_a_second(t)
    out = run_live(t, while_running=_execs)
    lines = out.splitlines()
    assert lines[0] == "PID,Command", out
    assert any(re.fullmatch(r"\d+,true", line) for line in lines[1:]), out


def test_profile_with_stack():
    t = Tracer(options={"quiet": True})

    @t.probe("profile-997")
    def _():
        agg.stacks[stack()] = count()

    _end_after_a_second(t)
    # reads from /dev/zero keep a thread in the kernel: with only busy_cpus()'s user-mode loops
    # running, every sample could land in user mode, where stack() is empty (1 run in 4 here)
    out = run_live(t, while_running=_reads)
    assert re.search(r"^\s+vmlinux`[\w.]+\+0x[0-9a-f]+\s*$", out, re.M), out     # kernel frames
    assert re.search(r"^\s+\d+\s*$", out, re.M), out                          # and their counts


@pytest.mark.parametrize("cpu", sorted(os.sched_getaffinity(0)))
def test_tick_ends_the_run_whichever_cpu_dtrace_puts_it_on(cpu):
    # dtrace puts a tick-n probe on a random CPU; -x cpu=N pins it, so every CPU is tried.  Without
    # busy_cpus() the run on an idle vCPU never ended (the CI failure of stop 14).
    t = Tracer(options={"quiet": True})

    @t.probe("BEGIN")
    def _():
        printf("started\n")

    _end_after_a_second(t)
    out = run_live(t, args=("-x", f"cpu={cpu}"))
    assert out.strip() == "started", out


def test_a_macro_argument():
    t = Tracer(options={"quiet": True})
    times = macro(1, "a number to print")

    @t.probe("BEGIN")
    def _():
        printf("twice %d is %d\n", times, times * 2)
        d_exit(0)

    out = run_live(t, args=("21",))
    assert out.strip() == "twice 21 is 42", out


def test_target_with_c():
    t = Tracer(options={"quiet": True})

    @t.probe("BEGIN")
    def _():
        printf("target %d\n", target)

    @t.probe("syscall:::entry", when=pid == target)
    def _():
        agg.calls[probefunc] = count()

    out = run_live(t, command="/bin/echo hello from the target")
    assert "hello from the target" in out, out
    match = re.search(r"^target (\d+)$", out, re.M)
    assert match and int(match[1]) > 1, out
    assert re.search(r"^\s+write\s+\d+\s*$", out, re.M), out     # its write(2), counted
