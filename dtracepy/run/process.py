"""The dtrace process as the system sees it: starting it (in a session of its own, with SIGINT
handled), whether it ignores SIGINT now, and the processes it started."""

from __future__ import annotations

import os
import signal
import subprocess


def launch(argv: list[str]) -> subprocess.Popen:
    """Start dtrace: no stdin, stdout and stderr piped, in a process group of its own (so that it
    can be killed with what it starts) that handles SIGINT.  OSError if it cannot be run."""
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, preexec_fn=child_setup)


def child_setup() -> None:
    # A parent started in the background may ignore SIGINT, or a thread block it; dtrace then
    # keeps ignoring it (it sets its handler only if SIGINT is not ignored) and Ctrl-C (or
    # stop()) would not end it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


def ignores_sigint(pid: int) -> bool:
    """Whether process ``pid`` ignores SIGINT now (Linux: /proc/PID/status; elsewhere False).
    dtrace does while it runs a ``system()`` command (the C library's system() ignores SIGINT
    in the caller until the command ends): a SIGINT sent then is lost, and dtrace runs on."""
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"SigIgn:"):
                    return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    except (OSError, ValueError, IndexError):
        pass
    return False


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux: /proc/PID/task/*/children; elsewhere none)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as handle:
                found += [int(w) for w in handle.read().split()]
        except (OSError, ValueError):
            continue
    return found
