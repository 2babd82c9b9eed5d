"""Which dtrace runs: finding it, whether this process may run it, and the dialect of its D."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from dtracepy.run.errors import RunError


def find_dtrace(explicit: str | None = None) -> str:
    """``explicit`` (``--dtrace PATH``), else ``$DTRACEPY_DTRACE``, else ``dtrace`` on ``PATH``."""
    for origin, candidate in (("--dtrace", explicit), ("$DTRACEPY_DTRACE", os.environ.get("DTRACEPY_DTRACE"))):
        if candidate:
            path = candidate if os.sep in candidate else shutil.which(candidate)
            if not path or not os.path.isfile(path):
                raise RunError(f"{origin} names {candidate!r}, which does not exist")
            if not os.access(path, os.X_OK):
                raise RunError(f"{origin} names {candidate!r}, which is not executable")
            return path
    path = shutil.which("dtrace") or next(
        (p for p in ("/usr/sbin/dtrace", "/usr/bin/dtrace") if os.access(p, os.X_OK)), None)
    if path is None:
        raise RunError("no dtrace found: install DTrace, put dtrace on PATH, or name it with "
                       "--dtrace PATH or $DTRACEPY_DTRACE")
    return path


def check_privileges() -> None:
    """On Linux DTrace needs root; elsewhere the dtrace_* privileges may suffice, and dtrace
    itself says so."""
    if sys.platform.startswith("linux") and os.geteuid() != 0:
        raise RunError('running DTrace needs root here: run as root, e.g. sudo "$(command -v dtracepy)" run ... '
                       "(sudo's own PATH holds no virtual environment, where a plain `sudo dtracepy` is not found)")


#: What dtrace says when it may not trace (a run's failure then says so).
PRIV_MESSAGES = ("requires additional privileges", "Permission denied", "Operation not permitted",
                  "DTrace requires", "must be root")


#: The most of a dtrace's answer to ``-V`` or ``-e`` that is read (dtrace says a line or two): a
#: program named as dtrace that writes without end filled dtracepy's memory (review 27: 400 MB
#: to ``-V`` took 1.2 GB; one that never stops, until the 30 s timeout, without bound).
ANSWER_BYTES = 1 << 16


def _answer(argv, timeout: float) -> tuple[int | None, str]:
    """(exit status, or None when it was killed; what it wrote to standard output and error, at
    most ANSWER_BYTES, decoded) of running ``argv``, which is killed, with its process group,
    once it has written more or run ``timeout`` seconds.  Raises OSError when it cannot run."""
    import select
    import signal
    import time

    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    said = bytearray()
    fd = process.stdout.fileno()
    try:
        while len(said) <= ANSWER_BYTES:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                break
            data = os.read(fd, ANSWER_BYTES + 1 - len(said))
            if not data:
                # (its output closed; it may yet run on: waited for no longer than the rest)
                try:
                    return process.wait(max(deadline - time.monotonic(), 0)), said.decode("utf-8", "replace")
                except subprocess.TimeoutExpired:
                    break
            said += data
    finally:
        process.stdout.close()
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                pass
            process.wait()
    return None, said[:ANSWER_BYTES].decode("utf-8", "replace")


def detect_dialect(dtrace: str | None) -> str | None:
    """The D dialect of the dtrace that will run (``dtrace -V``); None when unknown or when
    there is no dtrace (then running fails with its own message, after the tracer compiled)."""
    from dtracepy.facts.dialects import dialect_of_version

    try:
        path = find_dtrace(dtrace)
        _, version = _answer([path, "-V"], timeout=30)
    except (RunError, OSError, subprocess.SubprocessError):
        return None
    return dialect_of_version(version)


def unknown_types(dtrace: str, names, limit: int = 3) -> list[str]:
    """Of the typedef names ``names`` (``tcp_t``, ``genunix`kthread_t``), the first ``limit``
    this dtrace does not know: those a cast to a pointer to which does not compile (``dtrace -e``
    compiles only; about a second each, asked only after dtrace refused a script)."""
    import re

    unknown = []
    for name in list(names)[:limit]:
        if not re.fullmatch(r"(?:\w+`)?\w+", name):
            continue
        try:
            status, said = _answer([dtrace, "-e", "-n", f"BEGIN {{ trace((uintptr_t)({name} *)0); }}"],
                                   timeout=30)
        except (OSError, subprocess.SubprocessError):
            return unknown  # (no answer: say nothing more)
        if status is None:
            return unknown  # (killed: no answer either)
        if status != 0 and "syntax error" in said:
            unknown.append(name)
    return unknown
