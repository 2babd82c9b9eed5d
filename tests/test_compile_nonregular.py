"""``dtracepy compile`` of a path that is no regular file (review 9, finding 1): the located error
at once, without reading the path to show its "source line" (``/dev/zero`` was read whole, 24 GB,
until the OOM killer came; a FIFO blocked until a writer appeared)."""

from __future__ import annotations

import os
import resource
import subprocess
import threading

import pytest
from tests.child_peak import dtracepy_argv, read_peak_kb
from tests.pythonpath import env_with

from conftest import REPO

ERROR = "error: not a regular file (a tracer is a Python module, TRACER.py)"


def _compile(path, tmp_path, *, memory=None, timeout=60):
    """Run ``dtracepy compile PATH`` in a child (under an address-space limit of ``memory``
    bytes, so old code fails fast instead of eating the machine): (status, stderr, the child's own
    peak RSS in KB, None if it was killed; see tests/child_peak.py).  A child still running after
    ``timeout`` seconds is killed (status None)."""

    def limit():
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    with open(tmp_path / "err", "wb") as err:
        child = subprocess.Popen(dtracepy_argv(tmp_path / "peak", "compile", path),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                 env=env_with(REPO), cwd=tmp_path, preexec_fn=limit)
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        try:
            _, status, _ = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        child.returncode = 0  # (reaped above)
    killed = os.WIFSIGNALED(status)
    code = None if killed else os.waitstatus_to_exitcode(status)
    peak_kb = None if killed else read_peak_kb(tmp_path / "peak")
    return code, (tmp_path / "err").read_text("utf-8", "replace"), peak_kb


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this system")
def test_compile_of_dev_zero_is_the_located_error_without_reading_it(tmp_path):
    status, err, peak_kb = _compile("/dev/zero", tmp_path, memory=1024**3)
    assert status == 1 and err.startswith(f"/dev/zero:1: {ERROR}"), (status, err)
    assert "Traceback" not in err and "MemoryError" not in err, err
    assert peak_kb < 300 * 1024, f"compile /dev/zero peaked at {peak_kb} KB: it read the device"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_compile_of_a_fifo_is_the_located_error_at_once(tmp_path):
    fifo = tmp_path / "tracer.py"
    os.mkfifo(fifo)
    status, err, _ = _compile(fifo, tmp_path, timeout=30)
    assert status == 1, f"compile of a FIFO {'hung (killed after 30 s)' if status is None else status}: {err}"
    assert err.startswith(f"tracer.py:1: {ERROR}") or f"{fifo}:1: {ERROR}" in err, err
