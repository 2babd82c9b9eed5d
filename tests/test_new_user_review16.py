"""A hostile new user's walk (session 16, /work/review16.md): what got through, fixed.

Each test fails on the code before its fix.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO
from dtracepy import char, expr, to_d
from dtracepy.lexer import decode_string
from dtracepy.parser import parse


def _cli(*args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "dtracepy", *args], cwd=cwd, capture_output=True,
                          text=True, env=env_with(REPO), timeout=timeout)


# --- F2, F3: D's escapes are fewer than C's ------------------------------------------------------
# D's lexer reads string and character constants through stresc2chr(), which keeps a backslash it
# does not know with the character after it: "\'" and "\?" are two bytes, '\'' is 0x5C27.

@pytest.mark.parametrize("body, value", [
    ("\\'", "\\'"), ("\\?", "\\?"), ("\\e", "\\e"), ("\\q", "\\q"), ("\\8", "\\8"),
    ("\\x", "\0"), ("a\\xzb", "a\0zb"), ("\\x4e", "N"), ("\\047", "'"), ('\\"', '"'), ("\\\\", "\\"),
])
def test_a_string_constant_holds_what_dtrace_makes_of_its_escapes(body, value):
    """`"\\'"` was read as `'`, `"\\q"` as `q` and `"\\x"` as `x`: a program whose string
    dtrace reads as `\\'` was imported as one whose string is `'`, a different program."""
    assert decode_string(body) == value


def test_import_keeps_a_backslash_dtrace_keeps(tmp_path):
    d = tmp_path / "esc.d"
    d.write_text('BEGIN { printf("can\\\'t \\e[1m\\n"); exit(0); }\n')
    for exact in ((), ("--exact",)):
        made = _cli("import", *exact, "esc.d", "-o", "esc.py", cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        compiled = _cli("compile", "esc.py", cwd=tmp_path)
        assert compiled.returncode == 0, compiled.stderr
        program = parse(compiled.stdout)
        (value,) = [n.value for n in program.walk() if type(n).__name__ == "StringLit"]
        assert value == "can\\'t \\e[1m\n", (exact, compiled.stdout)


def test_char_of_a_quote_is_the_quote():
    """`char("'")` printed `'\\''`, which dtrace reads as 23591, not 39."""
    assert to_d(expr(char("'"))) == "'\\047'"
    assert to_d(expr(char("\\'"))) == "'\\047'"  # C's spelling still means the quote
    assert to_d(expr(char('"'))) == "'\"'"


def test_a_character_constant_of_an_unknown_escape_is_two_bytes():
    from dtracepy.lexer import _char_len

    assert _char_len("\\'") == 2 and _char_len("\\?") == 2 and _char_len("\\q") == 2
    assert _char_len("\\047") == 1 and _char_len("\\\\") == 1 and _char_len('\\"') == 1


def test_the_real_dtrace_reads_the_escapes_as_the_facts_say():
    """dtrace folds `1 / (c - v)` at compile time: a division by zero exactly when `c` is `v`."""
    from tests.real_dtrace import compile_scripts

    cases = {
        "quote": (to_d(expr(char("'"))), 39),
        "quote-c": ("'\\''", 0x5C27),
        "qmark": ("'\\?'", 0x5C3F),
        "unknown": ("'\\q'", 0x5C71),
        "hex-none": ("'\\x'", 0),
        "string-quote": ('sizeof("\\\'")', 3),
        "string-qmark": ('sizeof("\\?")', 3),
        "string-x": ('sizeof("a\\xzb")', 2),  # "a", then the NUL
        "string-e": ('sizeof("\\e")', 3),
    }
    scripts = {name: f"BEGIN {{ trace(1 / ({text} - {value})); }}\n"
               for name, (text, value) in cases.items()}
    verdicts = compile_scripts(scripts)
    for name, verdict in verdicts.items():
        assert verdict is not None and "division by zero" in verdict, (name, verdict)
