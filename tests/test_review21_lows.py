"""Review 21's low findings the lead fixed (/work/review21.md L3, L4).

L3: ``run --verifier-log`` naming ``-o``'s file wrote the log over the tracer's output, and one
naming the tracer was refused only after dtrace had run.  L4: under ``-C``, ``#assert``,
``#unassert`` and ``#sccs`` (which cpp consumes) were passed on to D and warned about as "needs
the C preprocessor", and ``#import`` (an ``#include`` once) was dropped with that warning: its
file was never read.  Each test fails on the code before the fix.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO


def _cli(*args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "dtracepy", *args], cwd=cwd, capture_output=True,
                          text=True, env=env_with(REPO), timeout=timeout)


@pytest.fixture
def fake_dtrace(tmp_path):
    """A "dtrace" that only leaves a mark that it ran: the refusals below come before it."""
    path = tmp_path / "fake-dtrace"
    path.write_text(f"#!/bin/sh\ntouch {tmp_path / 'ran'}\nexit 0\n")
    path.chmod(0o755)
    return path


# --- L3 -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("log", ["out.csv", "./out.csv", "sub/../out.csv"])
def test_a_verifier_log_over_the_output_is_refused_before_dtrace_runs(tmp_path, fake_dtrace, log):
    (tmp_path / "sub").mkdir()
    (tmp_path / "x.d").write_text("BEGIN { exit(0); }\n")
    (tmp_path / "out.csv").write_text("kept\n")
    result = _cli("run", "--dtrace", str(fake_dtrace), "-o", "out.csv", "--verifier-log", log, "x.d",
                  cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"{log}:1: error: --verifier-log names the -o file out.csv"), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "ran").exists()
    assert (tmp_path / "out.csv").read_text() == "kept\n"


@pytest.mark.parametrize("log, message", [
    ("x.d", "x.d:1: error: refusing to write the output over the input x.d"),
    ("nowhere/log", "nowhere/log:1: error: cannot write: no such directory nowhere"),
    (".", ".:1: error: cannot write: it is a directory"),
])
def test_a_verifier_log_that_cannot_be_written_is_refused_before_dtrace_runs(tmp_path, fake_dtrace, log,
                                                                             message):
    (tmp_path / "x.d").write_text("BEGIN { exit(0); }\n")
    result = _cli("run", "--dtrace", str(fake_dtrace), "--verifier-log", log, "x.d", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[0] == message
    assert not (tmp_path / "ran").exists()
    assert (tmp_path / "x.d").read_text() == "BEGIN { exit(0); }\n"


def test_a_verifier_log_of_its_own_still_runs(tmp_path, fake_dtrace):
    (tmp_path / "x.d").write_text("BEGIN { exit(0); }\n")
    result = _cli("run", "--dtrace", str(fake_dtrace), "-o", "out.csv", "--verifier-log", "log.txt", "x.d",
                  cwd=tmp_path)
    assert "--verifier-log names" not in result.stderr
    assert (tmp_path / "ran").exists()


# --- L4 -----------------------------------------------------------------------------------------

CONSUMED = ["#assert machine(x86)", "#unassert machine", '#sccs "@(#)x.d 1.1"']


@pytest.mark.parametrize("directive", CONSUMED)
def test_check_c_consumes_what_cpp_consumes(tmp_path, directive):
    (tmp_path / "x.d").write_text(f"{directive}\nBEGIN {{ exit(0); }}\n")
    result = _cli("check", "-C", "x.d", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "needs the C preprocessor" not in result.stderr
    # without -C, dtrace -s refuses the line: the warning stays
    result = _cli("check", "x.d", cwd=tmp_path)
    assert "x.d:1:1: warning: #" in result.stderr and "needs the C preprocessor" in result.stderr


def test_import_c_of_an_assert_writes_no_directive(tmp_path):
    (tmp_path / "x.d").write_text("#assert machine(x86)\nBEGIN { exit(0); }\n")
    result = _cli("import", "-C", "x.d", "-o", "x.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    module = (tmp_path / "x.py").read_text()
    assert "directive" not in module and "machine" not in module, module


def test_check_c_refuses_import_at_its_line(tmp_path):
    (tmp_path / "h.h").write_text("#define N 3\n")
    (tmp_path / "x.d").write_text('BEGIN { exit(0); }\n#import "h.h"\ntick-1s { trace(N); }\n')
    result = _cli("check", "-C", "x.d", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("x.d:2:1: error: #import is not read by dtracepy's preprocessor"), \
        result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(shutil.which("dtrace") is None or os.geteuid() != 0,
                    reason="needs the real dtrace, as root")
@pytest.mark.parametrize("directive", CONSUMED)
def test_the_real_dtrace_c_takes_them(tmp_path, directive):
    (tmp_path / "x.d").write_text(f"{directive}\nBEGIN {{ exit(0); }}\n")
    result = subprocess.run(["dtrace", "-C", "-e", "-s", str(tmp_path / "x.d")], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
