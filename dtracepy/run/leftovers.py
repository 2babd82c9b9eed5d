"""Probe events a killed dtrace left in the kernel, removed before the next dtrace starts.

Oracle's DTrace for Linux gives its BEGIN, END and ERROR probes uprobes of its own, named after
its process: ``dt_<pid>_dtrace/BEGIN`` in tracefs's ``uprobe_events`` (its fbt probes, where the
kernel has them, are ``dt_<pid>_fbt/...`` in ``kprobe_events``).  It removes them when it exits,
but a dtrace that was killed (SIGKILL, as a run that will not stop is, or a crash) cannot, and
they stay until reboot.  A later dtrace that is given the same process ID then cannot add its own
(the kernel says the event exists) and ends with ``could not enable tracing: Failed to enable
probe`` before it traces: on a machine where dtrace has been killed a few hundred times, about
one run in a hundred.  The events of processes that no longer exist are nobody's, so they go.
"""

from __future__ import annotations

import os
import re

# dtrace's compiled-in tracefs path first (it reads the debugfs mount), then tracefs's own mount
TRACEFS_DIRS = ("/sys/kernel/debug/tracing", "/sys/kernel/tracing")
EVENT_LISTS = ("uprobe_events", "kprobe_events")

# one line of an event list: "p:dt_8018_dtrace/BEGIN /usr/lib64/libdtrace.so.2.0.0:0x7a570"
_DTRACE_EVENT = re.compile(rb"^[pr](?::\d+)?:(dt_(\d+)_\w+/\w+)(?=\s|$)", re.MULTILINE)


def stale_events(listing: bytes, alive=None) -> list[str]:
    """The events of ``listing`` (an event list's contents) that a dtrace no longer running
    left: group ``dt_<pid>_...`` where no process ``pid`` exists (``alive(pid)`` says)."""
    alive = alive or _alive
    return [match.group(1).decode("ascii")
            for match in _DTRACE_EVENT.finditer(listing) if not alive(int(match.group(2)))]


def remove_stale_events(tracefs_dirs=TRACEFS_DIRS) -> list[str]:
    """Remove the events killed dtraces left (see the module's docstring); the names removed.
    Best effort, and silent: without root, or without tracefs, there is nothing to do (and
    dtrace itself will say what it cannot do)."""
    removed: list[str] = []
    for directory in tracefs_dirs:
        if not os.path.isdir(directory):
            continue
        for name in EVENT_LISTS:
            path = os.path.join(directory, name)
            try:
                with open(path, "rb") as handle:
                    listing = handle.read(1 << 22)
            except OSError:
                continue
            for event in stale_events(listing):
                if not _remove(path, event):
                    continue
                removed.append(event)
        return removed      # the first mount found is the kernel's one list of events
    return removed


def _remove(path: str, event: str) -> bool:
    # O_APPEND, never O_TRUNC: opening an event list truncated removes every event on the
    # machine.  One write per event: a removal that fails (EBUSY: in use after all) must not
    # stop the others.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
    except OSError:
        return False
    try:
        os.write(descriptor, f"-:{event}\n".encode("ascii"))
        return True
    except OSError:
        return False
    finally:
        os.close(descriptor)


def _alive(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}")
