"""``dtracepy check``: errors as file:line:col, the source line and a caret; exit status 1 on error."""

from __future__ import annotations

import subprocess
import sys

from test_bad_input import REPO, env_with, run_check

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


def _check(*args):
    """``dtracepy check`` with its checks (run_check reads the syntax only)."""
    env = env_with(REPO)
    return subprocess.run([sys.executable, "-m", "dtracepy", "check", *args], capture_output=True,
                          timeout=60, env=env, cwd=REPO)


def test_the_shebang_lines_preprocessor_flags_are_honoured_as_run_does(tmp_path):
    """`#!/usr/bin/env -S /usr/sbin/dtrace -C -D ... -I ... -s`: check read the script without cpp (false errors on
    DTraceToolkit j_profile.d, tcpsnoop.d ...: a directive inside a clause, a macro in a probe
    description) where run, and ./x.d, preprocess it with those flags."""
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "rate.h").write_text("#define RATE 101\n")
    path = tmp_path / "c.d"
    path.write_bytes(b"#!/usr/bin/env -S /usr/sbin/dtrace -C -D BIG=1 -I " + str(tmp_path / "inc").encode() + b" -s\n"
                     b'#include "rate.h"\nprofile-RATE\n{\n#if BIG\n\ttrace(1);\n#else\n\ttrace(2);\n#endif\n}\n')
    result = _check(str(path))
    assert (result.returncode, result.stderr) == (0, b"")
    # the command line's -D comes after the #! line's (it wins), as its -C adds to none
    path.write_bytes(b"#!/usr/bin/env -S /usr/sbin/dtrace -C -D N=1 -s\nBEGIN\n/N == 2/\n{\n#if N == 2\n\texit(0);\n#endif\n}\n")
    assert _check("-D", "N=2", str(path)).returncode == 0
    # no -C: read as written, as dtrace would (the directive in the clause is an error)
    path.write_bytes(b"#!/usr/sbin/dtrace -s\nBEGIN\n{\n#if 1\n\texit(0);\n#endif\n}\n")
    assert b"preprocessor directive inside a clause" in _check(str(path)).stderr


def test_a_shebang_lines_w_counts_under_its_C(tmp_path):
    """The preprocessor keeps the #! line as `# !...`: its -w was not seen, so system() was called
    destructive under `check -C` (and now under the #! line's own -C)."""
    path = tmp_path / "cw.d"
    path.write_bytes(b'#!/usr/sbin/dtrace -Cws\nBEGIN\n{\n\tsystem("ls");\n\texit(0);\n}\n')
    assert (_check(str(path)).returncode, _check("-C", str(path)).returncode) == (0, 0)
