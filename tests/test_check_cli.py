"""``dtracepy check``: errors as file:line:col, the source line and a caret; exit status 1 on error."""

from __future__ import annotations

from test_bad_input import run_check

GOOD = b"#pragma D option quiet\n\nsyscall::read:entry\n/pid == $target/\n{\n\t@reads[execname] = count();\n}\n"
BAD = b"BEGIN\n{\n\tx = 0128;\n}\n"


def test_good_file_exits_0_and_prints_nothing(tmp_path):
    path = tmp_path / "good.d"
    path.write_bytes(GOOD)
    result = run_check(str(path))
    assert result.returncode == 0
    assert result.stderr == b""


def test_syntax_error_is_printed_with_line_and_caret(tmp_path):
    path = tmp_path / "bad.d"
    path.write_bytes(BAD)
    result = run_check(str(path))
    assert result.returncode == 1
    lines = result.stderr.decode().splitlines()
    assert lines[0] == f"{path}:3:6: error: invalid digit in octal constant '0128'"
    assert lines[1] == "\tx = 0128;"
    assert lines[2] == "\t    ^"


def test_every_file_is_checked_and_any_error_fails(tmp_path):
    good, bad = tmp_path / "good.d", tmp_path / "bad.d"
    good.write_bytes(GOOD)
    bad.write_bytes(BAD)
    result = run_check(str(bad), str(good), str(bad))
    assert result.returncode == 1
    assert result.stderr.decode().count("error: invalid digit") == 2


def test_dash_reads_standard_input():
    result = run_check("-", stdin=BAD)
    assert result.returncode == 1
    assert result.stderr.decode().startswith("<stdin>:3:6: error: ")
    assert run_check("-", stdin=GOOD).returncode == 0


def test_missing_file_is_a_clear_message(tmp_path):
    result = run_check(str(tmp_path / "nope.d"))
    assert result.returncode == 1
    assert "nope.d:1: error: cannot read" in result.stderr.decode()


def test_cpp_option_preprocesses(tmp_path):
    path = tmp_path / "cpp.d"
    path.write_bytes(b"#define N 3\nBEGIN\n{\n#if N > 2\n\ttrace(N);\n#endif\n}\n")
    assert run_check(str(path)).returncode == 1
    result = run_check("-C", str(path))
    assert result.returncode == 0, result.stderr.decode()
