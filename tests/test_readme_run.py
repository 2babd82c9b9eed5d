"""The README's ``Tracer.run()`` block runs as written, live, from the project's root."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from conftest import REPO
from real_dtrace import need_dtrace, need_root
from test_real_emitted import readme_blocks


def _run_block() -> str:
    blocks = [text for _, lang, text in readme_blocks() if lang == "python" and "t.run(" in text
              and "from readlat import t" in text]
    assert len(blocks) == 1, "the README's Tracer.run() block (it runs examples/readlat.py) is gone"
    return blocks[0]


def test_the_readme_run_block_runs_as_written():
    dtrace = need_dtrace()
    need_root()
    stop = threading.Event()

    def reads():                                   # reads for the histogram, whatever the machine
        with open("/dev/urandom", "rb") as source:
            while not stop.wait(0.01):
                source.read(4096)

    reader = threading.Thread(target=reads, daemon=True)
    reader.start()
    env = dict(os.environ, PYTHONPATH=str(REPO), DTRACEPY_DTRACE=dtrace)
    try:
        proc = subprocess.run([sys.executable, "-c", _run_block()], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)
    finally:
        stop.set()
        reader.join(5)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and lines[-1].startswith("["), proc.stdout          # the warnings, a list
    # rows are "pid comm ns", histograms "comm total p99": a histogram of our reads is there
    histograms = [line.split() for line in lines[:-1] if not line.split()[0].isdigit()]
    assert any(int(total) > 0 for _, total, _ in histograms), proc.stdout
