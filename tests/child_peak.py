"""The peak memory of a test's child process: its own, not its parent's.

On Linux a process's ``ru_maxrss`` (its own ``getrusage``, or its parent's ``os.wait4``) survives
``exec``: the new program starts with the high-water mark of the memory the process had before
it.  A child forked or vforked from pytest therefore starts with pytest's peak, 291 MB late in the
full run, where a 200 MB bound failed a child that never went past 47 MB.  ``VmHWM`` in
``/proc/self/status`` belongs to the memory the program itself mapped, and starts afresh at exec.
"""

from __future__ import annotations

import sys

#: Python source defining ``_own_peak_kb()``: the running process's own peak memory in KB (VmHWM;
#: ``ru_maxrss`` where there is no /proc, an upper bound).
OWN_PEAK = '''
def _own_peak_kb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
'''

# ``python -m dtracepy ARGS`` that writes its own peak (KB) to PEAK_FILE as it ends: at exit, or
# just before ``os._exit`` (``check``, ``import`` and ``layout`` end so, see dtracepy.cli._end_now).
_DTRACEPY = OWN_PEAK + '''
import atexit, os, runpy, sys
_peak_file = sys.argv.pop(1)
def _write_peak():
    with open(_peak_file, "w") as out:
        out.write(str(_own_peak_kb()))
_exit = os._exit
def _exit_writing_peak(status):
    _write_peak()
    _exit(status)
os._exit = _exit_writing_peak
atexit.register(_write_peak)
runpy.run_module("dtracepy", run_name="__main__", alter_sys=True)
'''


def dtracepy_argv(peak_file, *args) -> list[str]:
    """The command line of ``python -m dtracepy ARGS`` that writes its own peak memory (KB) to
    ``peak_file`` when it ends (read it with :func:`read_peak_kb`)."""
    return [sys.executable, "-c", _DTRACEPY, str(peak_file), *map(str, args)]


def read_peak_kb(peak_file) -> int:
    """What a :func:`dtracepy_argv` child wrote: its own peak memory in KB."""
    with open(peak_file) as peak:
        return int(peak.read())


def check_in_child(tmp_path, files: dict, *args, address_space_mb: int = 1536, timeout: float = 120):
    """``python -m dtracepy check ARGS x.d`` of ``files`` (name -> text, written in ``tmp_path``)
    in a child limited to ``address_space_mb`` of address space (so old code fails there rather
    than eat the machine) and killed after ``timeout`` s: (its exit status, its stderr, its own
    peak in KB, or None where it died before writing it)."""
    import os
    import pathlib
    import resource
    import subprocess
    import threading

    from tests.pythonpath import env_with

    for name, text in files.items():
        (tmp_path / name).write_text(text)
    limit_bytes = address_space_mb << 20

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    repo = pathlib.Path(__file__).resolve().parent.parent
    with open(tmp_path / "err", "wb") as err:
        child = subprocess.Popen(dtracepy_argv(tmp_path / "peak", "check", *args, "x.d"),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                 env=env_with(repo), cwd=tmp_path, preexec_fn=limit)
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        try:
            _, status, _ = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
    peak = read_peak_kb(tmp_path / "peak") if (tmp_path / "peak").exists() else None
    return os.waitstatus_to_exitcode(status), (tmp_path / "err").read_text(), peak
