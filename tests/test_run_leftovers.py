"""What a killed dtrace leaves in the kernel does not fail the next run (dtracepy/run/leftovers.py).

Oracle's dtrace names the uprobes of its BEGIN/END/ERROR probes after its pid and cannot remove
them when it is killed; a later dtrace given that pid failed with "could not enable tracing: Failed
to enable probe" (CI failed so on a test that had passed hundreds of times).
"""

from __future__ import annotations

import os

from dtracepy.run.leftovers import remove_stale_events, stale_events

LISTING = (b"p:dt_101_dtrace/BEGIN /usr/lib64/libdtrace.so.2.0.0:0x000000000007a570\n"
           b"p:dt_101_dtrace/END /usr/lib64/libdtrace.so.2.0.0:0x000000000007a580\n"
           b"p:dt_202_dtrace/BEGIN /usr/lib64/libdtrace.so.2.0.0:0x000000000007a570\n"
           b"r:dt_303_fbt/vfs_read vfs_read\n"
           b"p:dt_pid/p_fd01_1a2b_1130 /usr/lib/x86_64-linux-gnu/libc.so.6:0x1130\n"
           b"p:uprobes/mine /bin/true:0x10\n"
           b"p:dt_404_dtrace/BEGIN\xff /bin/true:0x10\n")


def test_the_events_of_dtraces_no_longer_running_are_stale():
    alive = {202}.__contains__
    assert stale_events(LISTING, alive) == ["dt_101_dtrace/BEGIN", "dt_101_dtrace/END",
                                            "dt_303_fbt/vfs_read"]
    # the pid provider's shared events and other tools' are nobody's business here
    assert stale_events(LISTING, lambda pid: True) == []


def test_removal_appends_to_the_event_list_and_never_truncates_it(tmp_path):
    """Opening an event list with O_TRUNC removes every event on the machine: the removal may
    only append "-:<event>" lines (a plain file shows what was written)."""
    tracefs = tmp_path / "tracing"
    tracefs.mkdir()
    (tracefs / "uprobe_events").write_bytes(b"p:dt_2147483646_dtrace/BEGIN /x:0x1\n"
                                            b"p:dt_1_dtrace/BEGIN /x:0x1\n")
    (tracefs / "kprobe_events").write_bytes(b"p:dt_2147483645_fbt/f f\n")
    second = tmp_path / "second"
    second.mkdir()
    (second / "uprobe_events").write_bytes(b"p:dt_2147483644_dtrace/BEGIN /x:0x1\n")

    removed = remove_stale_events((str(tmp_path / "absent"), str(tracefs), str(second)))

    # pid 1 runs; no pid is that large; only the first tracefs found is read (it is the kernel's)
    assert removed == ["dt_2147483646_dtrace/BEGIN", "dt_2147483645_fbt/f"]
    assert (tracefs / "uprobe_events").read_bytes() == (
        b"p:dt_2147483646_dtrace/BEGIN /x:0x1\np:dt_1_dtrace/BEGIN /x:0x1\n"
        b"-:dt_2147483646_dtrace/BEGIN\n")
    assert (tracefs / "kprobe_events").read_bytes() == b"p:dt_2147483645_fbt/f f\n-:dt_2147483645_fbt/f\n"
    assert (second / "uprobe_events").read_bytes() == b"p:dt_2147483644_dtrace/BEGIN /x:0x1\n"


def test_without_tracefs_nothing_happens(tmp_path):
    assert remove_stale_events((str(tmp_path / "absent"),)) == []


def _event_list() -> str:
    from dtracepy.run.leftovers import TRACEFS_DIRS

    return next(os.path.join(d, "uprobe_events") for d in TRACEFS_DIRS
                if os.path.exists(os.path.join(d, "uprobe_events")))


def _killed_dtraces_begin_event(dtrace: str) -> bytes:
    """Kill a dtrace as a run that will not stop is killed (SIGKILL) once its BEGIN probe is
    enabled: the uprobe line it leaves behind."""
    import re
    import subprocess
    import time

    process = subprocess.Popen([dtrace, "-q", "-n", "BEGIN {}", "-c", "sleep 30"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        own = re.compile(rb"^p:dt_%d_dtrace/BEGIN .*$" % process.pid, re.MULTILINE)
        end = time.monotonic() + 30
        while time.monotonic() < end and process.poll() is None:
            with open(_event_list(), "rb") as handle:
                found = own.search(handle.read())
            if found:
                return found.group(0)
            time.sleep(0.05)
        raise AssertionError("dtrace never enabled its BEGIN probe")
    finally:
        process.kill()
        process.wait()


def _plant(line: bytes, pid_in_line: int, pids: range) -> list[str]:
    """Copies of a killed dtrace's event ``line`` for every pid of ``pids`` not running."""
    with open("/proc/sys/kernel/pid_max") as handle:
        pid_max = int(handle.read())
    planted = []
    descriptor = os.open(_event_list(), os.O_WRONLY | os.O_APPEND)
    try:
        for pid in pids:
            pid %= pid_max
            if pid < 300 or os.path.exists(f"/proc/{pid}"):
                continue
            copy = line.replace(b"dt_%d_" % pid_in_line, b"dt_%d_" % pid, 1)
            try:
                os.write(descriptor, copy + b"\n")
            except OSError:
                continue        # one is there already
            planted.append(pid)
    finally:
        os.close(descriptor)
    return planted


def test_a_run_whose_dtrace_gets_the_pid_of_a_killed_one_still_traces():
    """A killed dtrace's BEGIN event, copied for the next 3,000 pids (the dtrace about to start
    gets one of them): before the runner removed them, the run failed with "could not enable
    tracing: Failed to enable probe"."""
    from tests.real_dtrace import need_dtrace, need_root

    from dtracepy import Tracer
    from dtracepy import exit as exit_

    dtrace = need_dtrace()
    need_root()
    t = Tracer(options={"quiet": True})
    row = t.record(("N", "%d"))

    @t.probe("BEGIN")
    def _():
        row.emit(42)
        exit_(0)

    line = _killed_dtraces_begin_event(dtrace)
    killed = int(line.split(b"_")[1])
    with open("/proc/sys/kernel/ns_last_pid") as handle:
        last = int(handle.read())
    try:
        planted = _plant(line, killed, range(last + 1, last + 3001))
        assert len(planted) > 1000
        with t.run(duration=30) as tracing:
            rows = [tuple(r) for r in tracing.records()]
        assert tracing.returncode == 0, tracing.stderr_lines
        assert rows == [(42,)]
    finally:
        remove_stale_events()
