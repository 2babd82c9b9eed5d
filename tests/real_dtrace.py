"""The real DTrace, for tests that let it judge or run the D dtracepy emits.

``need_dtrace()`` finds it (``$DTRACEPY_DTRACE``, else ``dtrace`` on ``PATH``) or skips the test,
saying why; with ``DTRACEPY_REQUIRE_DTRACE=1`` (set by ``.ci/run``) its absence fails instead.
``need_root()`` does the same for live runs.  ``compile_scripts`` asks ``dtrace -e`` about many
scripts in few processes: one dtrace process costs about 1.3 s of CPU to start, whatever it compiles.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import pytest


def _require(what: str) -> bool:
    return os.environ.get(f"DTRACEPY_REQUIRE_{what}") == "1"


def dtrace_binary() -> str | None:
    env = os.environ.get("DTRACEPY_DTRACE")
    if env:
        return env if os.access(env, os.X_OK) else None
    return shutil.which("dtrace")


def need_dtrace() -> str:
    path = dtrace_binary()
    if path is None:
        message = ("no real DTrace here (set $DTRACEPY_DTRACE or put dtrace on PATH; "
                   "../shared/tools/dtrace/install.sh installs one)")
        if _require("DTRACE"):
            pytest.fail(message + ", and DTRACEPY_REQUIRE_DTRACE=1")
        pytest.skip(message)
    return path


def need_root() -> None:
    if os.geteuid() != 0:
        message = "running DTrace live needs root"
        if _require("DTRACE"):
            pytest.fail(message + ", and DTRACEPY_REQUIRE_DTRACE=1")
        pytest.skip(message)
    # What killed dtraces left would fail a live dtrace given the same pid: dtracepy's runner
    # removes it before each run, and a test that runs dtrace -s itself needs the same.
    from dtracepy.run.leftovers import remove_stale_events

    remove_stale_events()


def dtrace_processes() -> list[int]:
    """The pids of the dtrace processes running now (by their command name)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as handle:
                    if handle.read().strip() == "dtrace":
                        pids.append(int(entry))
            except OSError:
                pass  # it ended meanwhile
    return pids


def wait_for_no_dtrace(timeout: float = 20.0) -> None:
    """Wait (bounded) until no dtrace runs: one a previous live test stopped may still be taking
    its probes down.  (The "could not enable tracing: Failed to enable probe" this was first
    written against came from killed dtraces' leftover events: need_root() removes them.)"""
    import time

    end = time.monotonic() + timeout
    while dtrace_processes() and time.monotonic() < end:
        time.sleep(0.1)


# One spinner per CPU, at the lowest priority, that ends by itself after ``seconds``.
_SPIN = "import os, time\nos.nice(19)\nend = time.monotonic() + float({seconds})\nwhile time.monotonic() < end: pass\n"


@contextlib.contextmanager
def busy_cpus(seconds: float):
    """Keep every CPU this process may use busy (at nice 19) while a live dtrace runs.

    Why: on these VMs a ``profile`` probe's perf timer does not fire on an idle vCPU.  A ``tick-n``
    probe sits on one CPU that dtrace picks at random, so a script ended by ``tick-1s`` never ended
    about half of the time (``dtrace -x cpu=1`` with ``tick-1s``: no tick in 30 s while CPU 1 is
    idle; every second while something runs there; a task waking every 50 ms is not enough).  The
    spinners stop when the block ends, and by themselves after ``seconds`` whatever happens.
    """
    spinners = []
    try:
        for cpu in sorted(os.sched_getaffinity(0)):
            spinners.append(subprocess.Popen(
                [sys.executable, "-c", _SPIN.format(seconds=seconds)],
                preexec_fn=lambda cpu=cpu: os.sched_setaffinity(0, {cpu})))
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
        for spinner in spinners:
            spinner.wait()


_FAILED = re.compile(r"dtrace: failed to compile script (?P<file>.+?): (?P<why>.*)")


def compile_scripts(scripts: dict[str, str], flags: tuple[str, ...] = (), args: tuple[str, ...] = (),
                    batch: int = 60, timeout: float = 300) -> dict[str, str | None]:
    """``dtrace -e`` over each script; name -> None when accepted, else dtrace's message.

    Scripts go to dtrace ``batch`` at a time as ``-s a.d -s b.d ...``; dtrace stops at the first
    script it rejects and names it, so that one is recorded and the rest of the batch is retried.
    ``flags`` (``-Z``, ``-C``, ``-q`` ...) and macro ``args`` apply to every script.
    """
    dtrace = need_dtrace()
    verdicts: dict[str, str | None] = {}
    with tempfile.TemporaryDirectory(prefix="dtracepy-judge-") as tmp:
        paths: dict[str, str] = {}
        for i, (name, text) in enumerate(scripts.items()):
            path = pathlib.Path(tmp) / f"s{i}.d"
            path.write_text(text)
            paths[str(path)] = name
        pending = list(paths)
        while pending:
            chunk = pending[:batch]
            argv = [dtrace, "-e", *flags]
            for path in chunk:
                argv += ["-s", path]
            result = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=timeout)
            if result.returncode == 0:
                for path in chunk:
                    verdicts[paths[path]] = None
                pending = pending[len(chunk):]
                continue
            match = _FAILED.search(result.stderr)
            if match is None or match["file"] not in chunk:
                raise AssertionError(f"dtrace failed without naming a script: {result.stderr}")
            failed = match["file"]
            done = chunk[:chunk.index(failed)]
            for path in done:
                verdicts[paths[path]] = None
            verdicts[paths[failed]] = match["why"].strip()
            pending = pending[len(done) + 1:]
    return verdicts


_SERVER = pathlib.Path(__file__).resolve().parent / "dtrace_judge_server.py"


def judge_scripts(jobs: dict[str, dict], timeout: float = 900) -> dict[str, str | None]:
    """The real compiler's verdict on each script, each compiled in isolation: name -> None when
    accepted, else libdtrace's message.

    A job is ``{"text": D}`` or ``{"path": file}``, plus what ``dtrace -e`` would be given:
    ``"flags"`` (``"Z"``, ``"C"``), ``"args"`` (macro arguments), ``"options"`` (``-x name=value``;
    value None for a bare ``-x name``), ``"defines"`` (``-D``), ``"target"`` (``-c /bin/true``) and
    ``"preludes"`` (files compiled first, in the same handle: type stand-ins).  One process judges
    them all through libdtrace (tests/dtrace_judge_server.py: what ``dtrace -e`` does, forked per
    script after the D libraries are loaded), a few ms per script; needs root, as ``dtrace -e``.
    """
    need_dtrace()
    need_root()
    with tempfile.TemporaryDirectory(prefix="dtracepy-judge-") as tmp:
        request = []
        for i, (name, job) in enumerate(jobs.items()):
            job = dict(job, name=name)
            if "text" in job:
                path = pathlib.Path(tmp) / f"s{i}.d"
                path.write_text(job.pop("text"))
                job["path"] = str(path)
            request.append(job)
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = "/usr/lib64" + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        result = subprocess.run([sys.executable, str(_SERVER)], input=json.dumps({"jobs": request}),
                                capture_output=True, text=True, timeout=timeout, env=env)
    if result.returncode != 0:
        raise AssertionError(f"the judge failed (exit {result.returncode}): {result.stderr[-2000:]}")
    return json.loads(result.stdout)


STANDINS = pathlib.Path(__file__).resolve().parent / "fixtures" / "solaris_standins.d"
_STANDIN_TYPES = re.compile(r"\b(mblk_t|conn_t|tcp_t|struct T_conn_ind)\b")
_NEEDS_Z = re.compile(r"^\s*(fbt|pid\$target|pid\d*)[:\w$]*:", re.M)


_STRINGS_AND_COMMENTS = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/', re.S)


def job_for_d(text: str) -> dict:
    """How ``dtrace -e`` must be run on a script dtracepy emitted, for the script to be judged on
    this Linux machine: the Solaris type stand-ins when it names one (tests/fixtures/
    solaris_standins.d), ``-Z`` when it names fbt or pid probes (none exist here to match),
    ``-C`` as its ``#!`` line says, ``-c /bin/true`` for ``$target``, and a macro argument for every
    ``$N`` (``1``) and ``$$N`` (``"x"``) it uses."""
    job: dict = {"text": text, "flags": "", "options": {}}
    first = text.split("\n", 1)[0]
    if first.startswith("#!") and re.search(r"\s-\w*C", first):
        job["flags"] += "C"
    if _NEEDS_Z.search(text):
        job["flags"] += "Z"
    if _STANDIN_TYPES.search(text):
        job["preludes"] = [str(STANDINS)]
    if "$target" in text:
        job["target"] = True
    # a $N in a string constant or a comment is text, not a macro argument (dtrace says
    # "extraneous argument" when given one the script does not use)
    code = _STRINGS_AND_COMMENTS.sub(" ", text)
    numbers = {int(n): kind for kind, n in re.findall(r"(\$\$?)(\d+)", code)}
    if numbers:
        job["args"] = ["x" if numbers.get(i) == "$$" else "1" for i in range(1, max(numbers) + 1)]
        if len(numbers) < max(numbers):
            job["options"]["argref"] = None
    return job
