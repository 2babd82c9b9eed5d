"""The outputs the README shows are what the commands print today (they drifted once)."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO
from test_real_emitted import readme_blocks

BAD_PY = '''from dtracepy import Tracer, self, timestamp
t = Tracer()

@t.probe("BEGIN")
def begin():
    self.start = timestamp
'''


def _shown(first_words: str) -> str:
    blocks = [text for _, lang, text in readme_blocks() if lang == "" and text.startswith(first_words)]
    assert len(blocks) == 1, f"the README's block that starts with {first_words!r} is gone"
    return blocks[0]


def _dtracepy(*argv: str, cwd) -> str:
    proc = subprocess.run([sys.executable, "-m", "dtracepy", *argv], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1, proc.stderr
    return proc.stdout + proc.stderr


def test_the_check_of_the_seeds_final_script_is_as_shown():
    out = _dtracepy("check", "tcpq_ex11.d", cwd=REPO / "examples" / "imported")
    assert out == _shown("tcpq_ex11.d:")


def test_the_thread_local_without_a_return_probe_error_is_as_shown(tmp_path):
    (tmp_path / "bad.py").write_text(BAD_PY)
    out = _dtracepy("compile", "bad.py", cwd=tmp_path)
    assert out == _shown("bad.py:6:")


def test_the_lowered_if_else_is_as_shown(tmp_path):
    source = [text for _, lang, text in readme_blocks() if lang == "python" and 'dialect="oracle"' in text
              and "else_" in text]
    assert len(source) == 1, "the README's if/else lowering example is gone"
    (tmp_path / "t.py").write_text(source[0])
    proc = subprocess.run([sys.executable, "-m", "dtracepy", "compile", "t.py"], cwd=tmp_path,
                          capture_output=True, text=True, env={"PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    assert _shown("/*\n * dtracepy: Oracle D has no if/else") in proc.stdout
