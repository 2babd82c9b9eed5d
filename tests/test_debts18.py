"""Session 18, debts: the architecture's two declared debts paid (the escape decoder in
facts/escapes.py; the destructive check handed the #define expansion, CheckOptions.expand), and
Oracle's dtrace crashing on a provider definition outside ``dtrace -h`` (``dialect-provider``)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

from dtracepy.checks import CheckOptions, check_program
from dtracepy.parser import expanded, parse
from tests.pythonpath import env_with

ROOT = pathlib.Path(__file__).resolve().parent.parent

HIDDEN = '#define go system\nBEGIN\n{\n\tgo("id");\n}\n'


def _python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env=env_with(ROOT)).stdout


def test_a_character_constant_is_measured_without_the_lexer():
    """CharLit's invariant read the lexer's decoder (tree imported the text layer)."""
    out = _python("import sys\nfrom dtracepy import tree\n"
                  "try:\n    tree.CharLit(\"\\\\'\" * 5)\nexcept Exception as err:\n    print(err)\n"
                  "tree.CharLit(\"\\\\047\" * 8)\nprint('dtracepy.lexer' in sys.modules)")
    assert "holds at most 8 bytes" in out and out.endswith("False\n"), out


def test_the_destructive_check_looks_past_macros_only_through_what_it_is_handed():
    program = parse(HIDDEN, "x.d")
    assert not [f for f in check_program(program, source=HIDDEN) if f.check == "destructive"]
    found = [(f.pos.line, f.message) for f in check_program(program, CheckOptions(expand=expanded), source=HIDDEN)
             if f.check == "destructive"]
    assert found == [(1, "after C preprocessing the program calls system(), a destructive action spelled through "
                         "#define: add #pragma D option destructive (or run dtrace -w)")]


def test_the_commands_hand_the_expansion(tmp_path):
    script = tmp_path / "x.d"
    script.write_text(HIDDEN)
    run = subprocess.run([sys.executable, "-m", "dtracepy", "check", str(script)], capture_output=True,
                         text=True, env=env_with(ROOT))
    assert run.returncode == 1 and f"{script}:1:1: error: after C preprocessing the program calls system()" in run.stderr
