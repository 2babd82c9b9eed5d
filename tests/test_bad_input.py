"""Bad input gets a clear, located error (or a clear message), never a traceback or a hang.

Each case goes through the API (:func:`dtracepy.parser.parse_bytes`) and through the
``dtracepy check`` command in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO
from dtracepy.errors import DSyntaxError
from dtracepy.parser import MAX_INPUT_BYTES, parse, parse_bytes

CASES = {
    "malformed": (b"BEGIN\n{\n\ttrace(epid));\n}\n", "syntax error near \")\"", (3, 13)),
    "unterminated_comment": (b"BEGIN { }\n/* no end\n", "unterminated comment", (2, 1)),
    "nested_comment": (b"/* a\n /* b */\nBEGIN { }\n", "nested comment", (2, 2)),
    "unterminated_string": (b'BEGIN { x = "abc; }', "unterminated string", (1, 13)),
    "newline_in_string": (b'BEGIN { x = "abc\n"; }\n', "newline in string constant", (2, 1)),  # (dtrace: line 2)
    "non_utf8": (b"BEGIN { x = 1; }\nEND { \xff\xfe }\n", "invalid byte 0xff (not UTF-8", (2, 7)),
    "nul_byte": (b"BEGIN { x\x00 = 1; }\n", "NUL character", (1, 10)),
    "binary_garbage": (bytes(range(256)) * 4, "NUL character", (1, 1)),
    "deep_parens": (b"BEGIN { x = " + b"(" * 10000 + b"1" + b")" * 10000 + b"; }\n",
                    "nested too deeply", (1, 268)),
    "truncated": (b"syscall::read:entry\n/pid == 1\n", "unterminated predicate", (3, 1)),
    "stray_close": (b"BEGIN { }\n}\n", 'syntax error near "}"', (2, 1)),
}


def run_check(*args, stdin: bytes | None = None, timeout: float = 60):
    env = env_with(REPO)
    return subprocess.run([sys.executable, "-m", "dtracepy", "check", "--syntax-only", *args],
                          input=stdin, capture_output=True, timeout=timeout, env=env, cwd=REPO)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_gets_a_located_error(name):
    data, message, (line, col) = CASES[name]
    with pytest.raises(DSyntaxError) as info:
        parse_bytes(data, "bad.d")
    err = info.value
    assert message in err.message
    assert (err.pos.file, err.pos.line, err.pos.col) == ("bad.d", line, col)
    rendered = err.render()
    assert rendered.startswith(f"bad.d:{line}:{col}: error: ")
    assert rendered.count("\n") == 2 and rendered.endswith("^")


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_through_the_check_command(name, tmp_path):
    data, message, (line, col) = CASES[name]
    path = tmp_path / "bad.d"
    path.write_bytes(data)
    result = run_check(str(path))
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert f"bad.d:{line}:{col}: error: " in err and message in err
    assert "Traceback" not in err


def test_empty_file_is_a_valid_empty_program(tmp_path):
    assert parse_bytes(b"", "e.d").items == ()
    path = tmp_path / "e.d"
    path.write_bytes(b"")
    result = run_check(str(path))
    assert result.returncode == 0, result.stderr.decode()


def test_deeply_nested_unary_operators_do_not_crash():
    # No parentheses, so no nesting limit: the parser builds the deep tree without recursing.
    prog = parse("BEGIN { x = " + "-" * 3000 + "1; }")
    assert prog.items[0].body[0].expr.target.name == "x"


def test_random_garbage_never_tracebacks():
    import random

    rng = random.Random(1234)
    alphabet = "BEGIN{}()[]/*-+:;,.'\"\\$@`#\n \tabc019xX_<>=!&|^~?"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        try:
            parse(text)
        except DSyntaxError as err:
            assert err.pos is not None and err.pos.line >= 1 and err.pos.col >= 1, text


def test_a_50_mb_file_is_refused_quickly_with_the_limit_stated(tmp_path):
    clause = b"syscall::read:entry\n/pid == $target/\n{\n\t@a[execname] = count();\n}\n\n"
    data = clause * (50 * 1024 * 1024 // len(clause) + 1)
    assert len(data) >= 50 * 1024 * 1024
    with pytest.raises(DSyntaxError) as info:
        parse_bytes(data, "big.d")
    assert f"at most {MAX_INPUT_BYTES // (1024 * 1024)} MiB" in info.value.message
    path = tmp_path / "big.d"
    path.write_bytes(data)
    result = run_check(str(path))
    assert result.returncode == 1
    assert "big.d:1:1: error: input too large" in result.stderr.decode()


@pytest.mark.parametrize("text,col", [
    ("BEGIN\n{\n\tx = 1; // count\n}\n", 9),
    ("// a comment\nBEGIN { }\n", 1),
])
def test_line_comments_get_a_message_that_says_d_has_none(text, col):
    with pytest.raises(DSyntaxError) as info:
        parse(text, "c.d")
    assert "D has no // comments" in info.value.message
    assert info.value.pos.col == col


def test_division_before_a_comment_is_still_division():
    prog = parse("BEGIN { x = a//* why */b; }")
    assert prog.items[0].body[0].expr.value.op == "/"


def test_no_break_spaces_pasted_from_a_web_page_are_named():
    with pytest.raises(DSyntaxError) as info:
        parse("BEGIN\n{\n\u00a0\u00a0x = 1;\n}\n", "web.d")
    assert "U+00A0 (a no-break space" in info.value.message
    assert (info.value.pos.line, info.value.pos.col) == (3, 1)
