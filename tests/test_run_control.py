"""Ending a run, whatever dtrace does with its SIGINT; what a script's #! line asks; arguments
refused before anything runs; dtracepy's own output kept out of the user's.

The stand-in tests run a small Python "dtrace" that prints the run's started mark and then
ignores SIGINT (as Oracle's dtrace does while a system() command of its runs); they need no
DTrace nor root.  The live tests need both and skip without them, saying so."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import attrs
import pytest

from tests.real_dtrace import need_dtrace, need_root, wait_for_no_dtrace

from dtracepy import Tracer, printf
from dtracepy.run import DTraceFailed, RunArgumentError, RunError, Text, Tracing, run
from dtracepy.run.argv import command
from dtracepy.run.script import prepare
from dtracepy.run.shebang import Shebang, shebang

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START_TIMEOUT = 60

# A dtrace that says it traces, then ignores SIGINT; with -c it runs the command and ends when
# the command does (printing "command ended"), as dtrace does; without, it sleeps (bounded).
STANDIN = '''\
import re, signal, subprocess, sys, time
argv = sys.argv[1:]
script = open(argv[argv.index("-s") + 1]).read()
token = re.search(r"\\\\036([A-Za-z]*)B", script).group(1)
signal.signal(signal.SIGINT, signal.SIG_IGN)
sys.stdout.write("\\x1e" + token + "B\\n")
sys.stdout.flush()
if "-c" in argv:
    child = subprocess.Popen(argv[argv.index("-c") + 1].split())
    child.wait()
    print("command ended", flush=True)
    sys.exit(0)
time.sleep(60)
'''


def _standin(tmp_path):
    fake = tmp_path / "dtrace"
    fake.write_text(f"#!{sys.executable}\n" + STANDIN)
    fake.chmod(0o755)
    return str(fake)


def _script(tmp_path, text="BEGIN\n{\n\tprintf(\"hi\\n\");\n}\n", name="s.d"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _events_within(tracing, seconds):
    """The run's events, consumed in a thread: (events, whether they ended within ``seconds``)."""
    got: list = []
    consumer = threading.Thread(target=lambda: got.extend(tracing.events()), daemon=True)
    consumer.start()
    consumer.join(seconds)
    return got, not consumer.is_alive()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:        # a zombie is not alive
        return handle.read().rsplit(")", 1)[1].split()[0] != "Z"


# --- 1. a dtrace that ignores SIGINT is killed, wherever the consumer waits ------------------------

def test_a_dtrace_that_ignores_sigint_is_killed_while_events_blocks(tmp_path):
    """stop() used to send SIGINT only; the kill after stop_timeout lived in wait(), which is not
    reached while the consumer iterates events(): the run hung for as long as dtrace ran."""
    tracing = Tracing(prepare(_script(tmp_path)), dtrace=_standin(tmp_path), stop_timeout=1.0,
                      check_privileges_first=False).start()
    try:
        assert tracing.wait_started(30)
        started = time.monotonic()
        tracing.stop()
        events, ended = _events_within(tracing, 20)
        assert ended, "events() still blocks 20 s after stop() with stop_timeout=1"
        assert time.monotonic() - started < 10
        assert tracing.wait(10) == -signal.SIGKILL
    finally:
        tracing.kill()


def test_stop_within_shortens_the_bound(tmp_path):
    tracing = Tracing(prepare(_script(tmp_path)), dtrace=_standin(tmp_path), check_privileges_first=False)
    tracing.start()
    try:
        assert tracing.wait_started(30)
        tracing.stop()              # stop_timeout: 30 s
        started = time.monotonic()
        tracing.stop(within=0.5)    # a SIGTERM to `dtracepy run` does this: killed 5 s on
        _, ended = _events_within(tracing, 20)
        assert ended and time.monotonic() - started < 10
    finally:
        tracing.kill()


# --- 2. with -c, the command is ended when dtrace does not honour the SIGINT -----------------------

def test_duration_ends_a_run_with_c_whose_dtrace_ignores_sigint(tmp_path):
    """--duration / t.run(duration=) did nothing with -c until the command exited, when dtrace
    ignores SIGINT: now the command is sent SIGTERM _NUDGE s after the SIGINT and dtrace ends as
    it does when its command ends (its END clauses run)."""
    tracing = Tracing(prepare(_script(tmp_path)), dtrace=_standin(tmp_path), target_cmd=["sleep", "60"],
                      duration=0.3, check_privileges_first=False).start()
    try:
        events, ended = _events_within(tracing, 30)
        assert ended, "the run with -c 'sleep 60' did not end after its duration"
        assert Text("command ended\n") in events
        assert tracing.wait(10) == 0
    finally:
        tracing.kill()


# --- 3. the #! line's flags -----------------------------------------------------------------------

@pytest.mark.parametrize("line,expected", [
    ("#!/usr/sbin/dtrace -s", {}),
    ("#!/usr/sbin/dtrace -qs", {"quiet": True}),
    ("#!/usr/sbin/dtrace -Cs", {"cpp": True}),
    ("#!/usr/bin/env -S /usr/sbin/dtrace -C -D X=2 -I/inc -s", {"cpp": True, "defines": ("X=2",), "include_dirs": ("/inc",)}),
    ("#!/usr/bin/env -S /usr/sbin/dtrace -x bufsize=8m -x aggsortkey -qZws",
     {"quiet": True, "zdefs": True, "destructive": True,
      "options": (("bufsize", "8m"), ("aggsortkey", True))}),
    ("#!/usr/bin/env -S /usr/sbin/dtrace -b 4m -Fs", {"options": (("bufsize", "4m"), ("flowindent", True))}),
    ("#!/usr/bin/env -S dtrace -Cqs", {"cpp": True, "quiet": True}),   # read -S as dtrace's -S
    ("#!/usr/bin/env -S /usr/sbin/dtrace -64 -qs", {"quiet": True}),                   # the data model: dtrace's
    ("#!/bin/sh", {}),                                                 # not dtrace: no flags
])
def test_shebang_flags_are_read_as_dtraces_getopt_reads_them(line, expected):
    found = shebang(line + "\nBEGIN {}\n", None)
    assert attrs.asdict(found, recurse=False) == {**attrs.asdict(Shebang(), recurse=False), **expected}


@pytest.mark.parametrize("line,message", [
    ("#!/usr/bin/env -S /usr/sbin/dtrace -p 42 -s", "the #! line's -p is not taken by dtracepy run: give the process with -p"),
    ("#!/usr/bin/env -S /usr/sbin/dtrace -o out -s", "the #! line's -o is not taken by dtracepy run: dtracepy run writes"),
    ("#!/usr/bin/env -S /usr/sbin/dtrace -x nosuch -s", "the #! line's -x nosuch: unknown D option 'nosuch'"),
    ("#!/usr/bin/env -S /usr/sbin/dtrace -n BEGIN -s", "the #! line's -n is not taken by dtracepy run: probes named"),
    ("#!/usr/bin/env -S /usr/sbin/dtrace -qs -p 1", "the #! line has words after -s"),
    ("#!/usr/sbin/dtrace -Ks", "the #! line's -K is not a dtrace flag"),
    # -L takes a value (a library directory; -l, which lists probes, does not): it was "not a dtrace flag"
    ("#!/usr/bin/env -S /usr/sbin/dtrace -L /lib/d -qs", "the #! line's -L is not taken by dtracepy run: dtracepy run "
                                         "does not choose where D libraries are found"),
    ("#!/usr/bin/env -S /usr/sbin/dtrace -l -qs", "the #! line's -l is not taken by dtracepy run: it makes dtrace list"),
    ("#!/usr/bin/env -S /usr/sbin/dtrace -B -s", "the #! line's -B is not taken by dtracepy run: it makes dtrace discard"),
    ("#!/usr/bin/env -S /usr/sbin/dtrace extra -qs", "the #! line's 'extra' is not a flag"),
])
def test_a_shebang_flag_run_cannot_honour_is_refused_at_the_shebang_line(tmp_path, line, message):
    path = _script(tmp_path, line + "\nBEGIN\n{\n\texit(0);\n}\n")
    with pytest.raises(RunError) as caught:
        prepare(path)
    assert caught.value.render().startswith(f"{path}:1: error: {message}")


def test_a_cpp_shebang_script_is_framed_without_its_shebang_line_and_gets_its_flags(tmp_path):
    """`#!/usr/sbin/dtrace -Cs`: the framed (already preprocessed) text kept the line as
    `# !/usr/sbin/dtrace -Cs`, which dtrace refused ("invalid control directive")."""
    path = _script(tmp_path, "#!/usr/bin/env -S /usr/sbin/dtrace -C -D Y=7 -x bufsize=4m -qs\n#define X 1\n"
                             "BEGIN\n{\n\tprintf(\"%d %d\\n\", X, Y);\n\texit(0);\n}\n")
    prepared = prepare(path)
    assert "!/usr/sbin/dtrace" not in prepared.text and "printf(\"%d %d\\n\", 1, 7)" in prepared.text
    argv = command(prepared, str(tmp_path / "run.d"), "dtrace", options={"dynvarsize": "1m"})
    assert argv[:6] == ["dtrace", "-q", "-x", "bufsize=4m", "-x", "dynvarsize=1m"]
    assert "-C" not in argv         # preprocessed by dtracepy already
    # a tracer's own shebang
    t = Tracer(shebang="/usr/sbin/dtrace -Zs")

    @t.probe("BEGIN")
    def _():
        printf("x\n")

    prepared = prepare(t)
    assert "#!" not in prepared.text and prepared.zdefs


def test_a_cpp_script_whose_system_header_is_kept_is_given_to_dtrace_with_C(tmp_path):
    """dtracepy keeps `#include <linux/errno.h>` as written (it reads no system header): the
    preprocessed text was given to dtrace without -C, which refused the line ("invalid control
    directive: #include").  dtrace's cpp now reads the header, with the #! line's -D/-I."""
    path = _script(tmp_path, "#!/usr/bin/env -S /usr/sbin/dtrace -C -D Y=7 -I /inc -qs\n#define P(x) printf(\"%d\\n\", x)\n"
                             "#include <linux/errno.h>\nBEGIN\n{\n\tP(-ENOENT + Y);\n\texit(0);\n}\n")
    prepared = prepare(path)
    assert "#include <linux/errno.h>" in prepared.text and 'printf("%d\\n", -ENOENT + 7)' in prepared.text
    argv = command(prepared, str(tmp_path / "run.d"), "dtrace")
    assert argv[:7] == ["dtrace", "-C", "-D", "Y=7", "-I", "/inc", "-q"]


# --- 4. arguments refused before anything runs ----------------------------------------------------

@pytest.mark.parametrize("kwargs,message", [
    ({"duration": "abc"}, "duration must be a number of seconds, not str 'abc'"),
    ({"duration": -1}, "duration must be a finite number of seconds, 0 or more: -1"),
    ({"duration": float("nan")}, "duration must be a finite number of seconds, 0 or more: nan"),
    ({"duration": float("inf")}, "duration must be a finite number of seconds, 0 or more: inf"),
    ({"duration": True}, "duration must be a number of seconds, not bool True"),
    ({"args": "12"}, "args must be a list of the macro arguments ($1, $2 ...), not str '12' "
                     "(write ['12'] for one argument)"),
    ({"args": [None]}, "macro argument $1 must be a string or an integer, not NoneType None"),
    # dtrace took 1.5 for a string, and refused printf("%d", $1) (review 13, finding 10)
    ({"args": [1, 1.5]}, "macro argument $2 is a float (1.5): D has no floating-point numbers "
                         "(dtrace takes it for a string); give an int, or a str"),
    ({"pid": "12"}, "pid must be a process id (an int above 0), not '12'"),
    ({"pid": 0}, "pid must be a process id (an int above 0), not 0"),
    ({"target_cmd": 5}, "target_cmd must be a command line (str) or a list of its words, not 5"),
    ({"options": {"nosuchopt": True}}, "-x nosuchopt: unknown D option 'nosuchopt'"),
    ({"options": {"bufsize": "zz"}}, "-x bufsize=zz: option bufsize takes a size such as 4m, 512k or "
                                     "65536; not 'zz'"),
    # were plain RunErrors without the caller's line; stop_timeout was not taken at all (TypeError)
    ({"target_cmd": ["/nonexistent-dtracepy"]}, "-c /nonexistent-dtracepy: no such command: "
                                                "/nonexistent-dtracepy"),
    ({"target_cmd": ["true"], "pid": os.getpid()}, "give the process of $target with -c COMMAND "
                                                  "(target_cmd=) or -p PID (pid=), not both"),
    ({"stop_timeout": -1}, "stop_timeout must be a finite number of seconds, 0 or more: -1"),
])
def test_bad_run_arguments_are_refused_at_the_callers_line(tmp_path, kwargs, message):
    t = Tracer()

    @t.probe("BEGIN")
    def _():
        printf("x\n")

    with pytest.raises(RunArgumentError) as caught:
        line = sys._getframe().f_lineno + 1
        t.run(dtrace=_standin(tmp_path), **kwargs)
    err = caught.value
    assert isinstance(err, (TypeError, ValueError))
    assert err.message == message
    assert err.pos is not None and err.pos.line == line and err.pos.file.endswith("test_run_control.py")


def test_a_process_that_does_not_exist_and_a_command_that_does_not(tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    with pytest.raises(RunArgumentError) as caught:
        run(_script(tmp_path), pid=gone.pid, dtrace=_standin(tmp_path))
    assert caught.value.message == f"-p {gone.pid}: no such process"
    with pytest.raises(RunError) as caught:
        run(_script(tmp_path), target_cmd="nosuchcmd-dtracepy -l", dtrace=_standin(tmp_path))
    assert caught.value.message == "-c nosuchcmd-dtracepy -l: no such command: nosuchcmd-dtracepy (not on PATH)"


def _cli(tmp_path, *argv, timeout=120):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "dtracepy", "run", *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("body, status, said", [
    ("exit 1", 1, "exited with status 1 before tracing began, and said nothing: is it DTrace?"),
    ("exit 0", 0, "exited with status 0 before tracing began, and said nothing: is it DTrace?"),
    ("echo 'dtrace: error while loading shared libraries: libdtrace.so.2: cannot open shared object "
     "file' >&2; exit 127", 127, "could not start: the dynamic loader did not find a library it needs"),
])
def test_a_dtrace_that_ends_before_tracing_without_a_word_is_said(tmp_path, body, status, said):
    """Review 11, findings 6 and 8: ``--dtrace /bin/false`` ended the run with status 1 and
    ``/bin/true`` with 0, silently; a dtrace the loader could not start gave the loader's line
    alone.  The status stays dtrace's."""
    _script(tmp_path)
    fake = tmp_path / "notdtrace"
    fake.write_text(f"#!/bin/sh\n{body}\n")
    fake.chmod(0o755)
    result = _cli(tmp_path, "s.d", "--dtrace", str(fake), "--duration", "1")
    assert result.returncode == status
    assert f"dtracepy: {'warning' if status == 0 else 'error'}: {fake} {said}" in result.stderr, result.stderr


def test_the_command_line_refuses_the_same_in_the_projects_error_form(tmp_path):
    _script(tmp_path)
    fake = _standin(tmp_path)
    gone = subprocess.Popen(["true"])
    gone.wait()
    for argv, said in ([["-x", "nosuchopt"], "dtracepy: error: -x nosuchopt: unknown D option 'nosuchopt'\n"],
                       [["-p", str(gone.pid)], f"dtracepy: error: -p {gone.pid}: no such process\n"],
                       [["-c", "nosuchcmd-dtracepy"],
                        "dtracepy: error: -c nosuchcmd-dtracepy: no such command: nosuchcmd-dtracepy (not on PATH)\n"]):
        result = _cli(tmp_path, "s.d", "--dtrace", fake, *argv)
        assert (result.returncode, result.stderr, result.stdout) == (1, said, "")


def _run_signalled(tmp_path, *signals) -> tuple[int, str]:
    """`dtracepy run` of a script with the stand-in dtrace, sent ``signals`` half a second apart
    once it traces: (its exit status, its standard error)."""
    _script(tmp_path)
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "dtracepy", "run", "s.d", "--dtrace", _standin(tmp_path)],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)                               # started (the stand-in traces at once)
        for i, signum in enumerate(signals):
            if i:
                time.sleep(0.5)
            proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err


def test_the_command_line_says_when_it_killed_dtrace_and_exits_as_the_shell_would(tmp_path):
    """A dtrace that had not ended within the bound after the stop was killed without a word; and
    a dtrace ended by a signal gave its negative status to sys.exit (-9: the shell saw 247)."""
    returncode, err = _run_signalled(tmp_path, signal.SIGTERM)  # stop(within=5): the stand-in ignores the SIGINT
    assert returncode == 143
    assert "dtracepy: error: dtrace had not ended 5 s after it was asked to stop: killed" in err, err
    crashing = tmp_path / "crashing-dtrace"
    crashing.write_text(f"#!{sys.executable}\nimport os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    crashing.chmod(0o755)
    result = _cli(tmp_path, "s.d", "--dtrace", str(crashing))
    assert result.returncode == 128 + signal.SIGSEGV, (result.returncode, result.stderr)


@pytest.mark.parametrize("first, second", [(signal.SIGTERM, signal.SIGTERM), (signal.SIGINT, signal.SIGINT),
                                           (signal.SIGINT, signal.SIGTERM)])
def test_a_second_signal_kills_dtrace_at_once(tmp_path, first, second):
    """A second Ctrl-C or kill used to change nothing: `dtracepy run` waited out the stop bound
    (5 s after a SIGTERM, 30 s after a Ctrl-C) for a dtrace that ignored the first.  Now the
    second kills dtrace, with what it started, at once, and says so; the status is the shell's
    for that signal, not the stop bound's error."""
    returncode, err = _run_signalled(tmp_path, first, second)   # the stand-in ignores the SIGINT
    assert f"dtracepy: note: a second signal, {signal.Signals(second).name} (signal {int(second)}): dtrace " \
           "was killed at once, with what it started (its END clauses did not run)" in err, err
    assert "had not ended" not in err and "crashed" not in err, err
    assert returncode == 128 + second


def test_a_script_dtracepy_cannot_read_and_dtrace_refuses_is_explained_at_its_line(tmp_path):
    """#!/usr/sbin/dtrace -Cqs with a missing #include: dtrace's message named only /dev/stdin;
    dtracepy's own reading of the file (kept, unused) says where."""
    _script(tmp_path, '#!/usr/sbin/dtrace -Cqs\n#include "nofile.h"\nBEGIN\n{\n\texit(0);\n}\n')
    refusing = tmp_path / "refusing-dtrace"
    refusing.write_text(f"#!{sys.executable}\nimport sys\nsys.stderr.write('/dev/stdin:2:10: fatal error: "
                        "nofile.h: No such file or directory\\n')\nsys.exit(1)\n")
    refusing.chmod(0o755)
    result = _cli(tmp_path, "s.d", "--dtrace", str(refusing))
    assert result.returncode == 1
    assert result.stderr.startswith(f"{tmp_path / 's.d'}:2:10: error: nofile.h: no such file") or \
        result.stderr.startswith("s.d:2:10: error: nofile.h: no such file"), result.stderr
    assert "/dev/stdin:2:10: fatal error" in result.stderr     # dtrace's own message follows


# --- 5. Ctrl-C anywhere ------------------------------------------------------------------------------

def test_ctrl_c_while_the_command_line_starts_exits_130_quietly(monkeypatch, capsys):
    from dtracepy import cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_build_parser", interrupted)
    assert cli.main(["run", "x.d"]) == 130
    assert capsys.readouterr() == ("", "")


# --- live -----------------------------------------------------------------------------------------

@pytest.fixture
def live():
    need_dtrace()
    need_root()
    wait_for_no_dtrace()


def test_sigterm_ends_a_run_whose_dtrace_runs_a_system_command_live(live, tmp_path):
    """dtrace ignores SIGINT while a system() command runs (the C library's system() does): a
    SIGTERM to `dtracepy run` used to leave it running, and the run hanging, for as long as dtrace
    ran.  README: killed within 5 s, exit status 143; what dtrace started is killed too."""
    (tmp_path / "sys.d").write_text('#pragma D option quiet\n\nBEGIN\n{\n\tprintf("ready\\n");\n'
                                    '\tsystem("sleep 40");\n}\n')
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "dtracepy", "run", "sys.d", "-w", "--format", "jsonl"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines: list = []
        reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        assert lines and "ready" in lines[0], lines or "dtrace did not start in time"
        time.sleep(1)
        sleeps = [p for p in _descendants(proc.pid) if _comm(p) == "sleep"]
        assert sleeps, "system() started no sleep"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
        took = time.monotonic() - started
        assert proc.returncode == 143
        assert took < 10, f"SIGTERM took {took:.1f} s to end the run"
        time.sleep(0.5)
        assert not [p for p in sleeps if _alive(p)], "dtrace's system() command outlived the run"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else ():
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(w) for w in handle.read().split()]
        except OSError:
            pass
    return found


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def test_a_stop_during_a_system_command_waits_for_it_and_ends_cleanly_live(live):
    """A SIGINT sent while dtrace runs a system() command is lost: dtracepy sends it once dtrace
    handles SIGINT again, so END runs and the run ends (it used to hang for ever)."""
    from dtracepy import system

    t = Tracer(options={"quiet": True, "destructive": True})

    @t.probe("BEGIN")
    def _():
        printf("ready\n")
        system("sleep 2")

    @t.probe("END")
    def _():
        printf("bye\n")

    tracing = t.run(duration=0.2, destructive=True).start()
    try:
        events, ended = _events_within(tracing, START_TIMEOUT + 30)
        assert ended, "the run did not end"
        assert tracing.wait(10) == 0, tracing.stderr_lines
        assert Text("bye\n") in events and Text("ready\n") in events
    finally:
        tracing.kill()


def test_duration_with_c_ends_the_run_and_its_command_live(live, tmp_path):
    """Oracle's dtrace ends on the SIGINT and kills the command it started (-c)."""
    t = Tracer(options={"quiet": True})

    @t.probe("END")
    def _():
        printf("bye\n")

    started = time.monotonic()
    tracing = t.run(duration=1, target_cmd=["sleep", "45"]).start()
    try:
        events, ended = _events_within(tracing, START_TIMEOUT + 20)
        assert ended and time.monotonic() - started < START_TIMEOUT + 20
        assert tracing.wait(10) == 0, tracing.stderr_lines
        assert Text("bye\n") in events
    finally:
        tracing.kill()


def test_a_cpp_shebang_script_runs_with_its_flags_live(live, tmp_path):
    (tmp_path / "c.d").write_text("#!/usr/bin/env -S /usr/sbin/dtrace -C -D Y=7 -qs\n#define X 1\n"
                                  "BEGIN\n{\n\tprintf(\"x=%d y=%d\\n\", X, Y);\n\texit(0);\n}\n")
    result = _cli(tmp_path, "c.d", "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"text": "x=1 y=7\\n"}\n'


def test_output_to_a_json_file_is_what_json_load_reads_live(live, tmp_path):
    (tmp_path / "j.d").write_text("#pragma D option quiet\nBEGIN\n{\n\tprintf(\"a\\n\");\n"
                                  "\t@c[\"k\"] = count();\n\texit(0);\n}\n")
    result = _cli(tmp_path, "j.d", "-o", "out.json")
    assert result.returncode == 0, result.stderr
    objects = json.loads((tmp_path / "out.json").read_text())
    assert objects[0] == {"text": "a\n"}
    assert objects[-1]["aggregation"] == "c" and objects[-1]["entries"] == [{"key": ["k"], "value": 1}]


def test_a_cpp_script_including_a_system_header_runs_and_its_errors_are_located_live(live, tmp_path):
    """`#include <linux/errno.h>` under `#!/usr/sbin/dtrace -Cqs` (kept by dtracepy, read by
    dtrace's own cpp); an error below the header is still at the script's line and column."""
    (tmp_path / "c.d").write_text("#!/usr/sbin/dtrace -Cqs\n#define P(x) printf(\"e=%d\\n\", x)\n"
                                  "#include <linux/errno.h>\nBEGIN\n/-ENOENT < 0/\n{\n\tP(-ENOENT);\n"
                                  "\texit(0);\n}\n")
    result = _cli(tmp_path, "c.d", "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"text": "e=-2\\n"}\n'
    (tmp_path / "bad.d").write_text("#!/usr/sbin/dtrace -Cqs\n#include <linux/errno.h>\n\nBEGIN\n{\n"
                                    "\tx = -ENOENT;\n\tx = \"s\";\n\texit(0);\n}\n")
    result = _cli(tmp_path, "bad.d")
    assert result.returncode == 1
    assert result.stderr.startswith('bad.d:7:2: error: operands have incompatible types'), result.stderr


def test_dtracepys_own_end_clause_is_invisible_without_quiet_live(live, tmp_path):
    """Without -q, the END clause dtracepy adds printed dtrace's `  0  2  :END` prefix and a blank
    line as text, and dtrace's blank line at exit came last: jsonl ended with two
    {"text": "\\n"}."""
    (tmp_path / "a.d").write_text('BEGIN\n{\n\t@a["x"] = count();\n\texit(0);\n}\n')
    result = _cli(tmp_path, "a.d", "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    objs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("text", "").split()[-1:] for o in objs[:2]] == [["FUNCTION:NAME"], [":BEGIN"]]
    assert objs[2:] == [{"aggregation": "a", "kind": "count", "entries": [{"key": ["x"], "value": 1}]}]


def test_the_api_raises_when_dtrace_refuses_the_tracer_live(live):
    from dtracepy import builtin, trace

    t = Tracer()

    @t.probe("syscall::openat:entry")
    def _():
        trace(builtin("curthread").nosuch)

    with pytest.raises(DTraceFailed) as caught:
        with t.run(duration=5) as tracing:
            list(tracing.events())
    said = caught.value.render()
    assert "test_run_control.py:" in said.split(": error: ")[0]
    assert said.endswith("error: nosuch is not a member of struct task_struct [dtrace]")
