"""No input crashes, hangs or swells dtracepy (issue 8): one regression test per case.

Most cases call the CLI's ``main`` in-process (fast); a few run the real command, for what only a
process shows (a closed standard input, an endless pipe).  No test here is timed: speed and memory
are in benchmarks/ (see the README's Benchmarks section); these tests only say that the answer is
right, located, and not an internal error.
"""

from __future__ import annotations

import errno
import os
import random
import re
import shlex
import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO
from dtracepy.cli import main
from dtracepy.inputs import MAX_INPUT_BYTES, read_bounded

LOCATED = re.compile(r"^[^\s:][^:\n]*:\d+(?::\d+)?: error: ", re.M)


def cli(capsys, *argv):
    """Run ``dtracepy ARGV`` in-process: (exit status, stdout, stderr)."""
    try:
        status = main([str(a) for a in argv])
    except SystemExit as exit_:  # argparse's usage errors
        status = exit_.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return status, out, err


def run(*argv, stdin=None, shell=None, timeout=120):
    env = env_with(REPO)
    command = shell if shell is not None else [sys.executable, "-m", "dtracepy", *map(str, argv)]
    result = subprocess.run(command, input=stdin, capture_output=True, timeout=timeout, env=env, cwd=REPO,
                            shell=shell is not None)
    err = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err and result.returncode != 70, err
    return result.returncode, err


TRACER = '''from dtracepy import Tracer, printf
t = Tracer()

@t.probe("BEGIN")
def hello():
    printf("hi\\n")
'''


SCRIPT_D = "BEGIN { exit(0); }\n"


@pytest.fixture
def tracer(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.py").write_text(TRACER)
    return tmp_path / "x.py"


# --- compile: whatever the module does, a located error -------------------------------------------

@pytest.mark.parametrize("body,message", [
    ("raise BaseException('boom')", "BaseException: boom"),
    ("raise GeneratorExit('boom')", "GeneratorExit: boom"),
    ("raise SystemExit(5)", "the module exited while being imported (SystemExit(5))"),
    ("import sys\nsys.exit('bye')", "SystemExit('bye')"),
    ("class E(Exception):\n    def __str__(self):\n        raise ValueError('x')\nraise E()",
     "E: (its message cannot be printed: its __str__ raised an exception)"),
])
def test_a_module_that_raises_anything_is_a_located_error(capsys, tmp_path, monkeypatch, body, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.py").write_text(body + "\n")
    status, out, err = cli(capsys, "compile", "bad.py")
    assert status == 1 and out == ""
    line = body.count("\n") + 1
    assert err.startswith(f"bad.py:{line}: error: "), err
    assert message in err


def test_a_4301_digit_literal_in_python_is_a_located_syntax_error(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "big.py").write_text("x = " + "1" * 4301 + "\n")
    status, _, err = cli(capsys, "compile", "big.py")
    assert status == 1 and err.startswith("big.py:1: error: invalid Python syntax"), err


@pytest.mark.parametrize("surrogate", ["\\ud800", "\\udc7f", "\\udd00", "\\udfff"])
def test_a_lone_surrogate_in_a_string_is_a_located_error(capsys, tracer, surrogate):
    tracer.write_text(TRACER.replace('"hi\\n"', f'"{surrogate}"'))
    status, out, err = cli(capsys, "compile", "x.py")
    assert status == 1 and out == ""
    assert err.startswith(f"x.py:6: error: the string '{surrogate}' holds a lone surrogate"), err


def test_an_undecodable_byte_in_a_string_prints_as_its_octal_escape(capsys, tracer):
    # U+DC80..U+DCFF is how Python's surrogateescape holds a byte that is not UTF-8 (and how
    # the parser reads D's "\\377"): the byte itself, in D
    tracer.write_text(TRACER.replace('"hi\\n"', '"a\\udcffb\\udc80"'))
    status, out, err = cli(capsys, "compile", "x.py")
    assert status == 0, err
    assert 'printf("a\\377b\\200");' in out


def _compile_elsewhere(tracer, cwd, entry=None) -> tuple[int, str, str]:
    """``dtracepy compile TRACER`` in a fresh process run from ``cwd`` (``python -m dtracepy``, or
    the script ``entry``): (status, D, stderr)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    program = [str(entry)] if entry is not None else ["-m", "dtracepy"]
    done = subprocess.run([sys.executable, *program, "compile", str(tracer)], capture_output=True,
                          text=True, timeout=120, env=env, cwd=cwd)
    assert "Traceback" not in done.stderr and done.returncode != 70, done.stderr
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("stem", ["dtracepy", "re", "typing", "os", "json", "attrs"])
def test_a_tracer_named_as_a_module_dtracepy_imports_compiles(tmp_path, stem):
    # the tracer was registered in sys.modules under its stem (dtracepy's `import re` got the
    # tracer) and its directory went first on sys.path: exit 70, or a misleading error
    work = tmp_path / "work"
    work.mkdir()
    tracer = work / f"{stem}.py"
    tracer.write_text((REPO / "examples/tcpq.py").read_text())
    status, out, err = _compile_elsewhere(tracer, tmp_path)
    assert (status, err) == (0, ""), err
    expected = _compile_elsewhere(REPO / "examples/tcpq.py", tmp_path)[1]
    assert out == expected.replace("from tcpq.py (tracer t)", f"from {stem}.py (tracer t)")


def test_a_tracer_imports_its_sibling_modules_but_they_never_shadow_the_standard_library(tmp_path):
    work = tmp_path / "work"
    (work / "pkg").mkdir(parents=True)
    (work / "helpers.py").write_text('GREETING = "hi from a helper\\n"\n')
    (work / "pkg" / "__init__.py").write_text("")
    (work / "pkg" / "more.py").write_text('WORD = "sub"\n')
    for shadow in ("re", "typing", "json", "tempfile", "dtracepy", "csv"):   # never imported in their place
        (work / f"{shadow}.py").write_text("raise SystemExit('the wrong module')\n")
    (work / "tr.py").write_text(TRACER.replace("from dtracepy import Tracer, printf",
                                                "from dtracepy import Tracer, printf\nimport helpers\nfrom pkg import more")
                                      .replace('"hi\\n"', "helpers.GREETING + more.WORD"))
    status, out, err = _compile_elsewhere(work / "tr.py", tmp_path)
    assert (status, err) == (0, ""), err
    assert 'printf("hi from a helper\\nsub");' in out
    # from the tracer's own directory too, as the installed `dtracepy` script (`python -m` would put
    # the current directory, and its dtracepy.py, first on sys.path before dtracepy starts)
    entry = tmp_path / "bin" / "dtracepy"
    entry.parent.mkdir()
    entry.write_text("import sys\nfrom dtracepy.cli import main\nsys.exit(main())\n")
    status, out, err = _compile_elsewhere(work / "tr.py", work, entry)
    assert (status, err) == (0, ""), err


def test_two_tracers_of_one_name_in_one_process_each_compile_to_their_own_d(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for where, word in (("a", "first"), ("b", "second")):
        (tmp_path / where).mkdir()
        (tmp_path / where / "json.py").write_text(TRACER.replace("hi", word))
    for where, word in (("a", "first"), ("b", "second"), ("a", "first")):
        status, out, err = cli(capsys, "compile", f"{where}/json.py")
        assert status == 0 and f'printf("{word}\\n");' in out, err
    import json

    assert json.dumps([1]) == "[1]"   # the standard library's, still


BAD_NAME = os.fsdecode(b"bad\xffname")    # a byte that is not UTF-8: Python holds it as U+DCFF


def test_import_of_a_file_whose_name_is_not_utf8_shows_the_byte_escaped(capsys, tmp_path, monkeypatch):
    # its name went into the docstring as a lone surrogate: exit 70, UnicodeEncodeError
    monkeypatch.chdir(tmp_path)
    (tmp_path / f"{BAD_NAME}.d").write_text('BEGIN { printf("hi\\n"); exit(0); }\n')
    for output in ("out.py", f"{BAD_NAME}.py"):
        status, _, err = cli(capsys, "import", f"{BAD_NAME}.d", "-o", output)
        assert status == 0, err
        source = (tmp_path / output).read_bytes().decode("utf-8")      # UTF-8, as Python source is
        assert source.startswith('"""Imported from bad\\\\xffname.d by `dtracepy import`."""\n'), source
    status, out, err = cli(capsys, "import", f"{BAD_NAME}.d")
    assert status == 0 and out == source
    status, out, err = cli(capsys, "compile", "out.py")
    assert status == 0 and " * Imported from bad\\xffname.d by `dtracepy import`.\n" in out, err


def test_compile_of_a_file_whose_name_is_not_utf8_shows_the_byte_escaped(capsys, tmp_path, monkeypatch):
    # its name went into the D header: "the string ... holds a lone surrogate", blamed on line 1
    monkeypatch.chdir(tmp_path)
    (tmp_path / f"{BAD_NAME}.py").write_text(TRACER)
    status, out, err = cli(capsys, "compile", f"{BAD_NAME}.py")
    assert (status, err) == (0, "")
    assert " * Generated by dtracepy from bad\\xffname.py (tracer t); edit" in out
    status, _, err = cli(capsys, "compile", f"{BAD_NAME}.py", "-o", f"{BAD_NAME}.d")
    assert status == 0, err
    assert (tmp_path / f"{BAD_NAME}.d").read_bytes().decode("utf-8").startswith("#!/usr/sbin/dtrace")


def test_a_file_name_with_a_newline_or_quotes_stays_in_its_comment_and_docstring(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = 'odd\n"""\\name'
    (tmp_path / f"{name}.d").write_text(SCRIPT_D)
    status, out, err = cli(capsys, "import", f"{name}.d", "-o", f"{name}.py")
    assert status == 0, err
    import ast

    module = ast.parse((tmp_path / f"{name}.py").read_text())
    assert ast.get_docstring(module).startswith('Imported from odd\\n"""\\name.d by')
    status, out, err = cli(capsys, "compile", f"{name}.py")
    assert status == 0, err
    assert ' * Generated by dtracepy from odd\\n"""\\name.py (tracer t)' in out


# --- compile -o: refuse the input, never leave a broken file -------------------------------------

def test_output_over_the_tracer_itself_is_refused_however_spelled(capsys, tracer, tmp_path):
    os.symlink("x.py", tmp_path / "link.py")
    for spelled in ("x.py", "./x.py", str(tracer), "link.py", "../" + tmp_path.name + "/x.py"):
        status, _, err = cli(capsys, "compile", "x.py", "-o", spelled)
        assert status == 1 and f"{spelled}:1: error: refusing to write the output over the input" in err
    status, _, err = cli(capsys, "compile", "link.py", "-o", "x.py")
    assert status == 1 and "refusing" in err
    assert tracer.read_text() == TRACER


def test_output_is_written_whole_and_executable(capsys, tracer, tmp_path):
    status, _, _ = cli(capsys, "compile", "x.py", "-o", "x.d")
    assert status == 0
    text = (tmp_path / "x.d").read_text()
    assert text.startswith("#!/usr/sbin/dtrace") and 'printf("hi\\n");' in text
    assert os.stat(tmp_path / "x.d").st_mode & 0o111
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.d", "x.py"]  # no temporary left


def test_compile_leaves_no_bytecode_beside_the_tracer(capsys, tracer, tmp_path, monkeypatch):
    """Even where Python writes bytecode (no PYTHONDONTWRITEBYTECODE), importing the tracer and
    the modules beside it leaves no __pycache__ in the user's directory, as ``python x.py``."""
    (tmp_path / "helper.py").write_text("VALUE = 1\n")
    (tmp_path / "x.py").write_text("import helper\n" + (tmp_path / "x.py").read_text())
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert cli(capsys, "compile", "x.py", "-o", "x.d")[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["helper.py", "x.d", "x.py"]
    assert sys.dont_write_bytecode is False, "restored after the import"


def test_output_through_a_symlink_replaces_the_target_not_the_link(capsys, tracer, tmp_path):
    (tmp_path / "real.d").write_text("old\n")
    os.symlink("real.d", tmp_path / "link.d")
    assert cli(capsys, "compile", "x.py", "-o", "link.d")[0] == 0
    assert os.path.islink(tmp_path / "link.d")
    assert (tmp_path / "real.d").read_text().startswith("#!")


@pytest.mark.parametrize("target,message", [
    (".", "cannot write: it is a directory"),
    ("nowhere/x.d", "cannot write: no such directory nowhere"),
])
def test_output_that_cannot_be_a_file_is_a_located_error(capsys, tracer, target, message):
    status, out, err = cli(capsys, "compile", "x.py", "-o", target)
    assert status == 1 and out == ""
    assert err.startswith(f"{target}:1: error: {message}"), err


def test_output_over_a_read_only_file_is_refused_and_the_file_kept(capsys, tracer, tmp_path):
    (tmp_path / "ro.d").write_text("keep\n")
    os.chmod(tmp_path / "ro.d", 0o444)
    status, _, err = cli(capsys, "compile", "x.py", "-o", "ro.d")
    assert status == 1 and err.startswith("ro.d:1: error: cannot write: the file is read-only"), err
    assert (tmp_path / "ro.d").read_text() == "keep\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_output_to_a_full_device_is_a_located_error(capsys, tracer):
    status, _, err = cli(capsys, "compile", "x.py", "-o", "/dev/full")
    assert status == 1 and err.startswith("/dev/full:1: error: cannot write: no space left on device"), err


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(capsys, tracer, tmp_path, monkeypatch):
    (tmp_path / "x.d").write_text("the good old script\n")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("dtracepy.inputs.os.fsync", full)
    status, _, err = cli(capsys, "compile", "x.py", "-o", "x.d")
    assert status == 1 and err.startswith("x.d:1: error: cannot write: no space left on device"), err
    assert (tmp_path / "x.d").read_text() == "the good old script\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.d", "x.py"]


def _piped(command: str) -> tuple[int, str, str]:
    """``command | cat`` in a shell: (the command's exit status, what came through the pipe, stderr)."""
    env = env_with(REPO)
    done = subprocess.run(["bash", "-c", command + ' | cat; exit "${PIPESTATUS[0]}"'], capture_output=True,
                          text=True, timeout=120, env=env, cwd=REPO)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("spelled", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_compile_and_import_to_dev_stdout_through_a_pipe(spelled, tmp_path):
    # os.path.realpath made /dev/stdout "/proc/<pid>/fd/pipe:[...]": "cannot write: no such file"
    (tmp_path / "hi.d").write_text(SCRIPT_D)
    dtracepy = f"{sys.executable} -m dtracepy"
    status, out, err = _piped(f"{dtracepy} compile examples/tcpq.py -o {spelled}")
    assert (status, err) == (0, "") and out.startswith("#!/usr/sbin/dtrace"), err
    status, out, err = _piped(f"{dtracepy} import {tmp_path / 'hi.d'} -o {spelled}")
    assert (status, err) == (0, "") and "from dtracepy import" in out, err


def test_dev_stdout_to_a_file_is_written_where_the_shell_opened_it(tmp_path):
    # appended to the file the shell opened (>>), not a new file renamed over it
    log = tmp_path / "log.d"
    log.write_text("// kept\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(["bash", "-c", f"{sys.executable} -m dtracepy compile examples/tcpq.py -o /dev/stdout >> {log}"],
                          capture_output=True, text=True, timeout=120, env=env, cwd=REPO)
    assert (done.returncode, done.stderr) == (0, "")
    assert log.read_text().startswith("// kept\n#!/usr/sbin/dtrace")


def test_run_to_dev_stdout_through_a_pipe(tmp_path):
    from tests.real_dtrace import need_dtrace, need_root

    need_dtrace()
    need_root()
    (tmp_path / "hi.d").write_text('BEGIN { printf("hi there\\n"); exit(0); }\n')
    status, out, err = _piped(f"{sys.executable} -m dtracepy run {tmp_path / 'hi.d'} -o /dev/stdout")
    assert status == 0 and "hi there" in out, err
    assert "cannot write" not in err


def test_the_refusals_stay_for_outputs_under_dev_and_proc(capsys, tracer, tmp_path):
    # /dev/fd/N naming the input itself is still refused, as is a directory under /proc
    with open(tracer, "rb") as handle:
        fd = handle.fileno()
        status, _, err = cli(capsys, "compile", "x.py", "-o", f"/dev/fd/{fd}")
        assert status == 1 and err.startswith(f"/dev/fd/{fd}:1: error: refusing to write the output over the input"), err
    status, _, err = cli(capsys, "compile", "x.py", "-o", "/proc/self/fd")
    assert status == 1 and err.startswith("/proc/self/fd:1: error: cannot write: it is a directory"), err
    assert tracer.read_text() == TRACER


# --- reading: never more than the limit plus one byte ---------------------------------------------

class _Endless:
    """A binary stream of zeros that never ends; counts what was read."""

    def __init__(self):
        self.given = 0
        self.closed = False

    def read(self, n=-1):
        assert n is not None and n >= 0, "an unbounded read of an endless stream"
        self.given += n
        return b"\0" * n


def test_reads_stop_at_the_limit_plus_one_byte():
    stream = _Endless()
    with pytest.raises(Exception) as info:
        read_bounded(stream, "zeros")
    assert "input too large: over 4 MiB" in str(info.value)
    assert stream.given == MAX_INPUT_BYTES + 1


def test_endless_standard_input_is_refused(capsys, monkeypatch):
    stream = _Endless()
    monkeypatch.setattr(sys, "stdin", type("In", (), {"buffer": stream})())
    status, _, err = cli(capsys, "check", "-")
    assert status == 1 and err.startswith("<stdin>:1:1: error: input too large: over 4 MiB"), err
    assert stream.given == MAX_INPUT_BYTES + 1


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this system")
def test_dev_zero_as_a_file_and_as_an_include_is_refused(capsys, tmp_path):
    status, _, err = cli(capsys, "check", "/dev/zero")
    assert status == 1 and err.startswith("/dev/zero:1:1: error: input too large"), err
    (tmp_path / "inc.d").write_text("#include </dev/zero>\nBEGIN { }\n")
    status, _, err = cli(capsys, "check", "-C", tmp_path / "inc.d")
    assert status == 1 and "inc.d:1:1: error: #include of /dev/zero, which is not a regular file" in err


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this system")
def test_dev_zero_on_standard_input_and_through_a_pipe_in_a_real_process():
    exe = f"{sys.executable} -m dtracepy check -"
    for shell in (f"{exe} < /dev/zero", f"cat /dev/zero | {exe}"):
        status, err = run(shell=shell)
        assert status == 1 and err.startswith("<stdin>:1:1: error: input too large"), (shell, err)


def test_closed_standard_input_is_a_located_error(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)
    status, _, err = cli(capsys, "check", "-")
    assert status == 1 and err.startswith("<stdin>:1: error: cannot read standard input: it is closed")


def test_closed_standard_input_in_a_real_process():
    status, err = run(shell=f"{sys.executable} -m dtracepy check - <&-")
    assert status == 1 and "<stdin>:1: error: cannot read standard input" in err, err


def test_a_directory_or_a_missing_file_is_a_located_error(capsys, tmp_path):
    status, _, err = cli(capsys, "check", tmp_path, tmp_path / "nope.d")
    assert status == 1
    assert f"{tmp_path}:1: error: cannot read: is a directory" in err
    assert f"{tmp_path / 'nope.d'}:1: error: cannot read: no such file or directory" in err


# --- huge numbers --------------------------------------------------------------------------------

def test_a_4301_digit_integer_in_d_is_a_located_error(capsys, tmp_path):
    (tmp_path / "n.d").write_text("BEGIN { x = " + "1" * 4301 + "; }\n")
    status, _, err = cli(capsys, "check", tmp_path / "n.d")
    assert status == 1 and "n.d:1:13: error: integer constant '11111111111111111111...(4301 characters)' " \
                           "is too large for 64 bits" in err


def test_a_tick_probe_of_4301_digits_is_a_located_error(capsys, tmp_path):
    (tmp_path / "t.d").write_text("tick-" + "1" * 4301 + "s\n{\n\ttrace(1);\n}\n")
    status, _, err = cli(capsys, "check", tmp_path / "t.d")
    assert status == 1 and "t.d:1:1: error: " in err and "too large for 64 bits [probe-desc]" in err


def test_a_macro_argument_of_4301_digits_is_a_finding(capsys, tmp_path):
    (tmp_path / "m.d").write_text("BEGIN { trace($" + "1" * 4301 + "); }\n")
    status, _, err = cli(capsys, "check", "--macro-args", "1", tmp_path / "m.d")
    assert status == 1 and "[macro-arg]" in err


# --- deep nesting: answers, not RecursionError ---------------------------------------------------

def test_989_nested_unbraced_ifs_and_1000_chained_else_ifs_are_checked(capsys, tmp_path):
    (tmp_path / "ifs.d").write_text("BEGIN\n{\n" + "if (x)\n" * 989 + "y = 1;\n}\n")
    chain = "".join(f"\telse if (x == {i}) {{ y = {i}; }}\n" for i in range(1, 1000))
    (tmp_path / "elifs.d").write_text("BEGIN\n{\n\tif (x == 0) { y = 0; }\n" + chain + "}\n")
    for name in ("ifs.d", "elifs.d"):
        status, _, err = cli(capsys, "check", tmp_path / name)
        assert status == 0, err


ELIF_TRACER = '''from dtracepy import Tracer, arg0, elif_, else_, if_, trace
t = Tracer()

@t.probe("BEGIN")
def b():
    with if_(arg0 == 0):
        trace(0)
    for i in range(1, {n}):
        with elif_(arg0 == i):
            trace(i)
    with else_():
        trace(-1)
'''


def test_a_thousand_elif_compile(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.py").write_text(ELIF_TRACER.format(n=1000))
    status, out, err = cli(capsys, "compile", "e.py")
    assert status == 0, err
    assert out.count("} else if (arg0 == ") == 999 and "} else {\n\t\ttrace(-1);" in out


def test_elif_after_else_is_still_refused(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.py").write_text(ELIF_TRACER.format(n=3) + "    with elif_(arg0 == 9):\n        trace(9)\n")
    status, _, err = cli(capsys, "compile", "e.py")
    assert status == 1 and "e.py:13: error: elif_: the preceding if_ already has an else_" in err, err


def test_a_deep_dsl_expression_compiles(capsys, tmp_path, monkeypatch):
    """A chain of 20,000 operators prints without parentheses and compiles; 20,000 nested in
    parentheses would be D that check refuses (more than 256 levels): a located error at the line
    that nests them (test_superlinear has the exact limit)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.py").write_text(
        "from dtracepy import Tracer, arg0, trace\nt = Tracer()\n\n@t.probe('BEGIN')\ndef b():\n"
        "    x = arg0\n    y = arg0\n    for i in range(20000):\n        x = x + 1\n        y = 1 - y\n"
        "    trace(x)\n    trace(y)\n")
    status, out, err = cli(capsys, "compile", "d.py")
    assert status == 1 and err.startswith("d.py:10: error: the D nests ( [ { more than 256 levels"), err
    (tmp_path / "d.py").write_text((tmp_path / "d.py").read_text().replace("trace(y)", "trace(1)"))
    status, out, err = cli(capsys, "compile", "d.py")
    assert status == 0, err
    assert "trace(arg0 + 1 + 1 + 1" in out


# --- the C preprocessor --------------------------------------------------------------------------

def test_cpp_errors_in_an_included_file_are_reported_there(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inc.h").write_text("BEGIN\n{\n\tx = 1 +;\n}\n")
    (tmp_path / "main.d").write_text("/* top */\n#include \"inc.h\"\nEND { }\n")
    status, _, err = cli(capsys, "check", "-C", "-I", ".", "main.d")  # (-I: as dtrace -C needs)
    assert status == 1 and err.startswith('inc.h:3:9: error: syntax error near ";"'), err


def test_cpp_error_directive_fails_located(capsys, tmp_path):
    (tmp_path / "e.d").write_text("BEGIN { }\n#error stop here\n")
    status, _, err = cli(capsys, "check", "-C", tmp_path / "e.d")
    assert status == 1 and "e.d:2:1: error: #error stop here" in err


def test_cpp_exponential_macros_are_capped(capsys, tmp_path):
    text = "#define A0 x\n" + "".join(f"#define A{i} A{i - 1} A{i - 1}\n" for i in range(1, 21))
    (tmp_path / "x.d").write_text(text + "BEGIN { y = A20; }\n")
    status, _, err = cli(capsys, "check", "-C", tmp_path / "x.d")
    assert status == 1 and "x.d:22:1: error: macro expansion makes more than 200,000 tokens" in err


def test_cpp_a_file_including_itself_is_an_error(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.d").write_text('#include "s.d"\nBEGIN { }\n')
    status, _, err = cli(capsys, "check", "-C", "-I", ".", "s.d")
    assert status == 1 and err.startswith("s.d:1:1: error: "), err


# --- options and directives ----------------------------------------------------------------------

def test_unknown_names_in_dtracepy_comments_are_reported(capsys, tmp_path):
    (tmp_path / "d.d").write_text("/* dtracepy: disable[self-lek, printf-args] */\nBEGIN { x = 1; }\n"
                                  "/* dtracepy: ignore[nothing] */\n")
    status, _, err = cli(capsys, "check", tmp_path / "d.d")
    assert status == 1
    assert "d.d:1:22: error: dtracepy: disable[...] names no known check 'self-lek'; did you mean self-leak?" in err
    assert "d.d:3:21: error: dtracepy: ignore[...] names no known check 'nothing'" in err


@pytest.mark.parametrize("value", ["-1", "x", "99999999999"])
def test_macro_args_must_be_a_small_count(capsys, tmp_path, value):
    (tmp_path / "a.d").write_text("BEGIN { }\n")
    try:
        status = main(["check", "--macro-args", value, str(tmp_path / "a.d")])
    except SystemExit as exit_:
        status = exit_.code
    assert status == 2 and "is not a number of arguments" in capsys.readouterr().err


# --- lifecycle checks: indexed, and the same answers as trying every pair ------------------------

def test_description_index_agrees_with_matching_every_pair():
    from dtracepy.checks.context import DescIndex, DescSet
    from dtracepy.facts import probes

    rng = random.Random(8)
    fields = ["", "*", "syscall", "sys*", "fbt", "ip", "i?", "read", "re*", "entry", "return", "[er]*"]

    def desc():
        n = rng.choice((1, 2, 4, 4, 4, 5))
        return ":".join(rng.choice(fields) for _ in range(n))

    texts = [desc() for _ in range(300)]
    index, found = DescIndex(), DescSet()
    for i, text in enumerate(texts):
        index.add(text, i)
        found.add(text, i)
    for query in [desc() for _ in range(300)]:
        expect = {}
        for i, text in enumerate(texts):
            if probes.matches(text, query):
                expect.setdefault(text, i)
        assert sorted(index.matching(query)) == sorted(expect.values()), query
        assert sorted(found.matched_by(query)) == [i for i, t in enumerate(texts) if probes.matches(query, t)]


def test_partly_zeroed_thread_locals_are_judged_without_trying_every_pair(matches_calls):
    """2,000 entry/return clauses, each return zeroing the thread-local: whether each entry's
    return is among the zeroings is looked up in an index, not tried against every zeroing (that
    made 10,000 clauses take a minute).  Counted, not timed: D's matching is tried a few times
    per clause, not once per pair of clauses."""
    from dtracepy.checks import CheckOptions, check_program
    from dtracepy.parser import parse

    n = 1000
    text = "".join(f"fbt::f{i}:entry{{self->a=timestamp;}}\nfbt::f{i}:return/self->a/{{self->a=0;}}\n"
                   for i in range(n))
    program = parse(text, "x.d")
    findings = check_program(program, options=CheckOptions(), source=text)
    assert not [f for f in findings if f.check == "self-leak"]
    assert matches_calls["n"] <= 10 * n, matches_calls["n"]


def test_lifecycle_findings_for_a_clause_of_3000_descriptions(capsys, tmp_path):
    entries = ",\n".join(f"syscall::f{i}:entry" for i in range(3000))
    returns = ",\n".join(f"syscall::f{i}:return" for i in range(3000))
    (tmp_path / "d.d").write_text(f"{entries}\n{{\n\tself->ts = timestamp;\n\tself->u = 1;\n}}\n\n"
                                  f"{returns}\n/self->ts/\n{{\n\ttrace(self->u);\n\tself->ts = 0;\n}}\n")
    status, _, err = cli(capsys, "check", tmp_path / "d.d")
    assert status == 1
    assert ("d.d:3003:2: error: self->u is assigned at syscall::f0:entry but never zeroed" in err
            and "(the cleanup clause (line 3006) zeroes other thread-locals, not this one) [self-leak]" in err)


def test_checks_walk_the_tree_once(monkeypatch):
    """The checks read one shared walk of the program, whatever its size: each check walking the
    tree itself (and each clause's thread-locals, clause-locals, predicate and formats walked
    again per check) made the checks of a dense 1 MiB script cost more than parsing it."""
    from dtracepy import tree as T
    from dtracepy.checks import check_program
    from dtracepy.parser import parse

    clause = ("syscall::read{i}:entry\n/pid == $target && self->ts == 0/\n{{\n\tself->ts = timestamp;\n"
              "\tthis->n = arg0;\n\t@a[execname, probefunc] = count();\n"
              "\tprintf(\"%d %s\\n\", this->n, copyinstr(arg1));\n}}\n\n"
              "syscall::read{i}:return\n/self->ts/\n{{\n\t@t = quantize(timestamp - self->ts);\n"
              "\tself->ts = 0;\n}}\n\n")
    program = parse("".join(clause.format(i=i) for i in range(200)), "d.d")
    size = sum(1 for _ in program.walk())
    visited = {"walk": 0, "children": 0}
    walk, children = T.Node.walk, T.Node.children

    def counting_walk(node):
        for found in walk(node):
            visited["walk"] += 1
            yield found

    def counting_children(node):
        for found in children(node):
            visited["children"] += 1
            yield found

    monkeypatch.setattr(T.Node, "walk", counting_walk)
    monkeypatch.setattr(T.Node, "children", counting_children)
    assert check_program(program) == []
    assert visited["walk"] <= size and visited["children"] <= size // 10, (visited, size)


def _dense(clauses: int) -> str:
    """bench_robust's dense D: each clause a predicate, a thread-local, an aggregation, a printf."""
    clause = ('syscall::read:entry\n/pid == $target && self->ts == 0/\n{\n\tself->ts = timestamp;\n'
              '\t@a[execname, probefunc] = count();\n\tprintf("%d %s\\n", pid, copyinstr(arg0));\n}\n\n')
    return clause * clauses


def test_check_sets_off_no_collection_over_the_new_tree(tmp_path):
    """``check`` keeps the cyclic collector off from the parse to the checks' end: a collection set
    off between the parser's end and the tree's ``gc.freeze()`` scanned every node of the tree
    (2 % of a dense script's instructions)."""
    import gc
    from types import SimpleNamespace

    from dtracepy.commands import check_cmd

    path = tmp_path / "d.d"
    path.write_text(_dense(300))
    args = SimpleNamespace(disable=[], dialect=None, strict=False, macro_args=None, destructive=False,
                           files=[str(path)], cpp=False, include_dirs=[], defines=[], syntax_only=False)
    collections = []  # those that ran while the tree was still in the collector's sight

    def note(phase, info):
        if phase == "start" and gc.get_freeze_count() == 0:
            collections.append(info["generation"])

    assert gc.isenabled()
    gc.unfreeze()
    gc.collect()
    gc.callbacks.append(note)
    try:
        status = check_cmd.run(args)
    finally:
        gc.callbacks.remove(note)
        gc.unfreeze()
    assert status == 0 and gc.isenabled()
    assert collections == []


def test_positions_asked_in_order_need_no_binary_search():
    """The parser asks for a position per leaf, mostly in text order: the lexer's position
    function tries the line of its last answer and the next one before a binary search (which
    was 3 % of a dense script's instructions).  Every answer is the binary search's."""
    from bisect import bisect_right

    from dtracepy.lexer import Lexer

    text = _dense(20) + "BEGIN\n\n\n{ x = 1; }"
    pos_at = Lexer(text, "d.d").position_function()
    newlines = [i for i, c in enumerate(text) if c == "\n"]
    searches = []

    def counting(*args):
        searches.append(args)
        return bisect_right(*args)

    offsets = list(range(len(text) + 1))
    for offset in offsets + offsets[::-7] + offsets[::13]:
        line = bisect_right(newlines, offset - 1)
        want = ("d.d", line + 1, offset - newlines[line - 1] if line else offset + 1)
        assert tuple(pos_at(offset, bisect=counting)) == want
    # in order, only the step over the blank lines searches; backwards and by jumps, nearly all
    assert len(searches) < len(offsets) // 13 + len(offsets) // 7 + 3


def test_the_position_function_holds_the_last_line_ready():
    """Most positions fall on the line of the last answer: the position function keeps that
    line's bounds and number in its closure (one comparison, no list reads or arithmetic but the
    column's), and moving on to another line updates them."""
    from dtracepy.lexer import Lexer

    pos_at = Lexer("ab\ncd\n\nef", "d.d").position_function()
    assert {"line_start", "line_end", "line"} <= set(pos_at.__code__.co_freevars)
    cells = dict(zip(pos_at.__code__.co_freevars, pos_at.__closure__))
    assert [tuple(pos_at(o)) for o in (0, 1, 4, 7, 3, 0)] == [
        ("d.d", 1, 1), ("d.d", 1, 2), ("d.d", 2, 2), ("d.d", 4, 1), ("d.d", 2, 1), ("d.d", 1, 1)]
    assert (cells["line_start"].cell_contents, cells["line"].cell_contents) == (-1, 1)
    pos_at(9)
    assert (cells["line_start"].cell_contents, cells["line_end"].cell_contents, cells["line"].cell_contents) == (6, 10, 4)


def test_the_checks_ask_each_call_its_name_about_twice(monkeypatch):
    """``Call.name`` is a property: the checks ask it once for all of them (``Context.call_names``)
    instead of once or twice per check (ten times a call on a dense script)."""
    from dtracepy import tree as T
    from dtracepy.checks import check_program
    from dtracepy.parser import parse

    program = parse(_dense(100), "d.d")
    calls = sum(1 for node in program.walk() if isinstance(node, T.Call))
    asked = {"n": 0}
    name = T.Call.name

    def counting(node):
        asked["n"] += 1
        return name.fget(node)

    monkeypatch.setattr(T.Call, "name", property(counting))
    findings = check_program(program)
    assert [f.check for f in findings] == ["self-leak"]
    assert asked["n"] <= 3 * calls, (asked, calls)


def test_a_return_spelled_as_its_zeroing_needs_no_matching(matches_calls):
    """The partly-zeroed rule looks each entry's return up among the zeroings' descriptions: one
    spelled as a zeroing's matches it without the pattern matching (a third of the checks of
    bench_robust's entry/return clauses)."""
    calls = matches_calls
    text = "".join(f"fbt::f{i}:entry{{self->a=timestamp;}}\nfbt::f{i}:return/self->a/{{self->a=0;}}\n"
                   for i in range(500))
    from dtracepy.checks import check_program
    from dtracepy.parser import parse

    assert check_program(parse(text, "d.d")) == []
    assert calls["n"] == 0
    # a return that is not spelled as the zeroing still matches it (and is matched for it)
    text = ("fbt::f:entry, fbt::g:entry { self->a = timestamp; }\n"
            "fbt::f:return, fbt::g*:return /self->a/ { self->a = 0; }\n")
    assert check_program(parse(text, "d.d")) == []
    assert calls["n"] > 0


def test_names_an_ident_took_are_remembered_but_never_what_it_refuses():
    """An ``Ident`` checks a name once and remembers it (a dense script names the same few
    hundred times); keywords, non-names and non-strings are refused every time, however often."""
    from dtracepy import tree as T
    from dtracepy.errors import DSLError

    for _ in range(3):
        assert T.Ident("timestamp").name == "timestamp"
        for bad in ("self", "if", "1x", "a b", "é", 1, None):
            with pytest.raises(DSLError):
                T.Ident(bad)
    assert "timestamp" in T._NAMES_SEEN
    assert not {"self", "if", "1x", "a b", "é"} & T._NAMES_SEEN


def test_descriptions_a_probedesc_took_are_remembered_but_never_what_it_refuses():
    """A ``ProbeDesc`` checks a description once and remembers it (its two regular expressions
    cost three times the rest of the node); what it refuses is refused every time."""
    from dtracepy import tree as T
    from dtracepy.errors import DSLError

    refused = ("int", "a b", "x{", "", "char*x")
    # (the set is bounded and shared by the process: a test before this one may have filled it)
    saved = set(T._DESCS_SEEN)
    T._DESCS_SEEN.clear()
    try:
        _descriptions_remembered(T, DSLError, refused)
    finally:
        T._DESCS_SEEN.clear()
        T._DESCS_SEEN.update(saved)


def _descriptions_remembered(T, DSLError, refused):
    for _ in range(3):
        assert T.ProbeDesc("syscall::read:entry").text == "syscall::read:entry"
        for bad in (*refused, 1, None):
            with pytest.raises(DSLError):
                T.ProbeDesc(bad)
    assert "syscall::read:entry" in T._DESCS_SEEN
    assert not set(refused) & T._DESCS_SEEN


# --- layout: invalid C refused, located; linear in the header ------------------------------------

@pytest.mark.parametrize("text,message", [
    ("struct a { _Bool b:2; };\n", "1:18: error: width of bit-field b (2) exceeds its type (1 bit)"),
    ("struct a { int x; char x; };\n", "1:24: error: duplicate member 'x' in struct a"),
    ("struct a { int x; struct { int x; }; };\n", "1:26: error: duplicate member 'x' in struct a"),
    ("#pragma pack(3)\nstruct a { int x; };\n", "1:1: error: alignment must be a small power of two, not 3"),
    ("#pragma pack(9**9**9)\nstruct a { int x; };\n", "1:1: error: malformed '#pragma pack'"),
    ("struct a { int x __attribute__((aligned(1<<10**10))); };\n", "1:48: error: operator '*' is not allowed"),
    ("struct a { char x[1ULL<<62]; char y[1ULL<<62]; char z[1ULL<<62]; char w[1ULL<<62]; char v; };\n",
     "error: struct a is too large: 18446744073709551617 bytes (sizes must be below 2**63 for x86_64"),
    # the constant itself, as gcc says it ("integer constant is too large for its type")
    ("struct a { char x[18446744073709551616]; };\n", "1:19: error: integer constant is too large for its type"),
    ("struct a { int b[" + "(" * 300 + "1" + ")" * 300 + "]; };\n", "1:317: error: nested too deeply"),
    ("#include \"/dev/zero\"\nstruct a { int x; };\n", "1:1: error: #include of /dev/zero, which is not a regular file"),
    ("struct a { int x };\n", "1:18: error: syntax error before: }"),
])
def test_layout_refuses_invalid_c_located(capsys, tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "h.h").write_text(text)
    status, out, err = cli(capsys, "layout", "h.h", "a")
    assert status == 1 and out == ""
    assert err.startswith("h.h:") and message in err, err


def test_layout_path_with_semicolon_and_brace_is_a_path(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "we;ird{.h").write_text("struct a { int x; };\n")
    status, out, err = cli(capsys, "layout", "we;ird{.h", "a")
    assert status == 0 and "struct a: size 4, align 4" in out, err
    status, _, err = cli(capsys, "layout", "/dev/zero", "a")
    assert status == 1 and err.startswith("/dev/zero:1:1: error: input too large"), err


def test_layout_of_doubly_nested_structs_lists_own_members_only(capsys, tmp_path):
    text = "struct s0 { int x; char c; };\n" + "".join(
        f"struct s{i} {{ struct s{i - 1} a; struct s{i - 1} b; }};\n" for i in range(1, 21))
    (tmp_path / "n.h").write_text(text)
    status, out, err = cli(capsys, "layout", tmp_path / "n.h", "s20")
    assert status == 0, err
    assert "struct s20: size 8388608, align 4" in out and out.count("struct s19") == 2
    assert "Nested members are not expanded: struct s20 has 4,194,302 of them (over 10,000)" in out
    status, out, _ = cli(capsys, "layout", tmp_path / "n.h", "s20", "--json")
    import json

    data = json.loads(out)
    assert data["nested_expanded"] is False and [f["name"] for f in data["fields"]] == ["a", "b"]
    status, out, _ = cli(capsys, "layout", tmp_path / "n.h", "s3")  # small: expanded as before
    assert "b.b.b.c" in out and "not expanded" not in out


def test_a_layout_error_below_the_dsl_is_located_at_the_tracer_line(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "l.py").write_text(
        "from dtracepy import Tracer\nfrom dtracepy.layout import Field, define\nt = Tracer()\n"
        "conn = define('conn_t', [Field('a', 'uint16_t', offset=0), Field('a', 'uint16_t', offset=2)])\n")
    status, _, err = cli(capsys, "compile", "l.py")
    assert status == 1 and err.startswith("l.py:4: error: duplicate member 'a' in conn_t"), err


def test_layout_of_a_chain_of_1000_structs_is_listed_without_recursing(capsys, tmp_path):
    text = "struct s0 { int x; unsigned f:3; };\n" + "".join(
        f"struct s{i} {{ struct s{i - 1} prev; unsigned f:3; char c; }};\n" for i in range(1, 1000))
    (tmp_path / "c.h").write_text(text)
    status, out, err = cli(capsys, "layout", tmp_path / "c.h", "s999")
    assert status == 0, err
    assert out.count("\n") > 2997 and ("prev." * 998 + "f") in out


def test_a_nul_in_text_bound_for_a_comment_is_escaped(capsys, tracer):
    tracer.write_text(TRACER.replace('t = Tracer()', 't = Tracer(description="a \\x00 b")')
                      .replace('printf("hi\\n")', 'printf("%s\\n", macro_str(1, "s\\x00x"))')
                      .replace("import Tracer, printf", "import Tracer, macro_str, printf"))
    status, out, err = cli(capsys, "compile", "x.py")
    assert status == 0, err
    assert " * a \\0 b\n" in out and "$$1  s\\0x" in out


def test_what_runs_dtracepy_is_not_the_users_code(monkeypatch):
    import runpy

    from dtracepy import source

    monkeypatch.setattr(source, "_RUNNERS", None)
    monkeypatch.setattr(sys, "argv", ["/venv/bin/dtracepy", "compile", "x.py"])
    package = source._PACKAGE_DIR
    assert source._internal("/venv/bin/dtracepy", package)
    assert source._internal(runpy.__file__, package)
    assert source._internal("<frozen importlib._bootstrap>", package)
    assert not source._internal("/home/me/tracer.py", package)
    # a tracer run as a script is the user's own code
    monkeypatch.setattr(source, "_RUNNERS", None)
    monkeypatch.setattr(sys, "argv", ["/home/me/tracer.py"])
    assert not source._internal("/home/me/tracer.py", package)
    monkeypatch.setattr(source, "_RUNNERS", None)


def test_a_closed_standard_output_is_a_located_error_not_an_internal_one(tracer, tmp_path):
    (tmp_path / "ok.d").write_text("BEGIN\n{\n\ttrace(1);\n}\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    command = f"{shlex.quote(sys.executable)} -m dtracepy"
    result = subprocess.run(["sh", "-c", f"{command} compile x.py >&-"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (1, "<stdout>:1: error: cannot write standard output: it is closed\n")
    result = subprocess.run(["sh", "-c", f"{command} check ok.d >&-"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (0, "")
    # stderr closed: an error goes nowhere, and never to standard output
    result = subprocess.run(["sh", "-c", f"{command} compile nope.py 2>&-"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (1, "")


_PARTS = (  # clauses of every shape the checks' thread-local accesses meet
    "syscall::read:entry\n/pid == $target && self->ts == 0/\n{\n\tself->ts = timestamp;\n"
    "\t@a[execname, probefunc] = count();\n\tprintf(\"%d %s\\n\", pid, copyinstr(arg0));\n}\n",
    "syscall::read:return\n/self->ts/\n{\n\t@t = quantize(timestamp - self->ts);\n\tself->ts = 0;\n}\n",
    "BEGIN\n{\n\tx = 1;\n\tif (self->a) { self->b = 1; } else { y = 2; }\n\tz = 3;\n\tself->c[1]++;\n}\n",
    "profile:::tick-1s\n/x > 1/\n{\n\ttrace(x);\n}\n",
    "tick-1s\n{\n\tif (x) { trace(1); }\n\tself->d = self->d + 1;\n}\n",
    "END\n/self->e == 0/\n;\n",
    "BEGIN\n{\n\tself->f.g = 1;\n\tthis->h = self->i;\n\t{ self->j = 0; }\n\ttrace(arg0);\n}\n",
    "int x;\nfbt:::entry\n{\n\t;\n\tself->k = x ? self->l : 0;\n}\n",
)


def test_the_checks_walk_no_expression_without_a_thread_local_for_thread_locals(monkeypatch):
    """The checks' index notes where each clause's predicate and expression statements begin in
    the list of thread-locals, and the per-clause thread-local accesses leave out those that hold
    none (in a dense script, the aggregation and the printf: half the nodes of the clauses'
    walks).  The accesses are those of walking every clause whole, in the same order."""
    from dtracepy import tree as T
    from dtracepy.checks import CheckOptions, context
    from dtracepy.parser import parse

    rng = random.Random(8)
    text = "".join(rng.choice(_PARTS) for _ in range(300)) + _dense(20)
    program = parse(text, "d.d")
    walked = []
    gather = context._gather
    monkeypatch.setattr(context, "_gather", lambda stack, *rest, **kw: walked.extend(stack) or gather(stack, *rest, **kw))
    ctx = context.Context(program, CheckOptions())
    pruned = ctx.clause_accesses(T.SelfVar)
    walked_ids = {id(node) for node in walked}
    whole = [context.clause_accesses(clause, T.SelfVar) for clause in program.clauses]

    def shown(per_clause):
        return [[(a.kind, id(a.node), a.name, a.zero, a.in_predicate, a.guarded) for a in found]
                for found in per_clause]

    assert shown(pruned) == shown(whole)
    left_out = 0
    for clause in program.clauses:
        if any(stmt.__class__ is not T.ExprStmt for stmt in clause.body or ()):
            continue  # (what follows a statement up to the next counts as its own: an if's condition)
        for stmt in clause.body or ():
            if not any(n.__class__ is T.SelfVar for n in stmt.walk()):
                assert id(stmt.expr) not in walked_ids, f"walked for thread-locals, holding none: {stmt}"
                left_out += 1
    assert left_out >= 40


# --- review 8, finding 10: errors at the user's line, quoting what is wrong ------------------------

@pytest.mark.parametrize("given,line,message", [
    ('t = Tracer(shebang="/usr/sbin/dtrace -s\\rBEGIN { }")', 3,
     "the #! line must be one line without control characters"),
    ('t = Tracer(description="a\\ud800b")', 3, "a tracer's description holds a lone surrogate (U+D800, in 'a\\ud800b')"),
    ('t = Tracer(name="a\\ud800b")', 3, "a tracer's name holds a lone surrogate (U+D800, in 'a\\ud800b')"),
    ('t = Tracer()\nc = char("\\ud800")', 4, "char()'s string holds a lone surrogate (U+D800"),
])
def test_a_bad_tracer_argument_is_reported_at_its_line(capsys, tmp_path, monkeypatch, given, line, message):
    """Were: the #! line and the surrogates at line 1 (the header comment's text quoted, not the
    description), and char("\\ud800") a raw UnicodeEncodeError."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.py").write_text("# a tracer\nfrom dtracepy import *\n" + given
                                   + '\n@t.probe("BEGIN")\ndef b():\n    trace(1)\n')
    status, out, err = cli(capsys, "compile", "x.py")
    assert status == 1 and out == "" and err.startswith(f"x.py:{line}: error: {message}"), err


def test_a_long_name_is_clipped_in_its_message(capsys, tmp_path, monkeypatch):
    """A 3 MB identifier was quoted whole in its warning (3 MB on stderr); every message prints
    through render_located, which clips a word over 80 characters."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "l.d").write_text("BEGIN\n{\n\ttrace(" + "a" * 300_000 + ");\n}\n")
    status, out, err = cli(capsys, "check", "l.d")
    assert err == f"l.d:3:8: warning: {'a' * 40}... (300,000 characters) is no built-in variable and is never " \
                  "declared, defined or assigned [undefined-name]\n", err[:300]


def test_a_run_of_empty_statements_is_one_token_and_one_node():
    """``BEGIN{;;;...}`` (3,000,000 ';' read in a second by dtrace; 850 MB and 7 s of dtracepy's
    when each was a token and a node): the lexer hands a run over as one token, and the statement
    list holds one node for it, once per ';' (printed back, each is a ';' again)."""
    from dtracepy import parser, tree
    from dtracepy.lexer import SEMIS, Lexer
    from dtracepy.printer import to_d

    text = "BEGIN\n{\n\tx = 1;" + ";" * 1000 + " ;\n;\n}\n"
    (item,) = Lexer(text, "x.d").items()
    assert [tok[0] for tok in item].count(SEMIS) == 1 and len(item) < 12
    for fast in (True, False):
        saved, parser.FAST_CLAUSES = parser.FAST_CLAUSES, fast
        try:
            body = parser.parse(text, "x.d").items[0].body
        finally:
            parser.FAST_CLAUSES = saved
        assert len(body) == 1003 and len({id(stmt) for stmt in body[1:]}) == 1
        assert body[1] == tree.EmptyStmt() and str(body[1].pos) == "x.d:3:8"
    printed = to_d(parser.parse(text, "x.d"))
    assert printed.count(";") == 1003 and parser.parse(printed) == parser.parse(text)


def _lex_error(text):
    """(the lexing error, the number of tokens made before it) of ``text``."""
    from dtracepy.errors import DSyntaxError
    from dtracepy.lexer import Lexer

    lexer = Lexer(text, "x.d")
    with pytest.raises(DSyntaxError) as info:
        for _ in lexer.items():
            pass
    return info.value, len(lexer.partial)


def test_an_expression_of_more_operators_than_dtrace_runs_is_refused_as_it_is_read(capsys, tmp_path):
    """``trace(x+x+...+x)`` of 3 MB took 780 MB and 10 s to read; dtrace crashes running one of
    20,000 operators (lexer.MAX_OPERATORS): refused at the operator past the limit, before the
    rest of the clause is lexed."""
    from dtracepy import lexer, parser

    assert lexer.MAX_OPERATORS == 20_000
    parser.parse("BEGIN{trace(x" + "+x" * 20_000 + ");}")  # 20,000 are read
    # (a chain of member accesses is counted on its own since review 28: 20,000 are read, the one
    # past refused: tests/test_hostile_review28.py)
    parser.parse("BEGIN{trace(x" + "+(x)" * 15_000 + ");y=a" + "->b" * 20_000 + ";x=x" + "+x" * 19_000 + ";}")
    err, made = _lex_error("BEGIN{trace(x" + "+x" * 1_500_000 + ");}")
    assert (err.pos.line, err.pos.col) == (1, 14 + 2 * 20_000)
    assert made < 2 * 20_000 + 10
    assert "more than 20,000 operators in one expression" in err.message
    err, _ = _lex_error("BEGIN{x = y" + "[0]" * 20_001 + ";}")  # a[0][0]...: each a level
    assert "20,000 operators" in err.message
    err, _ = _lex_error("BEGIN{x = " + "-" * 1_000_000 + "y;}")  # -- -- ...: prefix operators
    assert "20,000 operators" in err.message
    (tmp_path / "x.d").write_text("BEGIN\n{\n\tx = " + "!" * 30_000 + "1;\n}\n")
    status, _, err = cli(capsys, "check", tmp_path / "x.d")  # ('=' is the first operator)
    assert status == 1 and f"x.d:3:{6 + 19_999}: error: expression too long" in err


def test_a_list_of_more_items_than_dtrace_runs_is_refused_as_it_is_read(capsys, tmp_path):
    """``printf("%d", x,x,...)`` of 3 MB took 640 MB; dtrace cannot run a printf of 8,000
    arguments (lexer.MAX_ITEMS): refused at the comma past the limit."""
    from dtracepy import lexer, parser

    assert lexer.MAX_ITEMS == 8_000
    parser.parse('BEGIN{printf("%d"' + ",x" * 7_999 + ");" + "f(x" + ",x" * 7_999 + ");}")  # 8,000 each
    parser.parse("BEGIN{f(" + "g(x, x), " * 5_000 + "x);}")  # the inner lists' commas are their own
    err, made = _lex_error('BEGIN{printf("%d"' + ",x" * 1_500_000 + ");}")
    assert (err.pos.line, err.pos.col) == (1, 18 + 2 * 7_999)
    assert made < 2 * 8_000 + 10
    assert "more than 8,000 items" in err.message
    (tmp_path / "x.d").write_text("enum e { " + ", ".join(f"e{i}" for i in range(9_000)) + " };\n"
                                  "BEGIN\n{\n\t@[x" + ", x" * 8_000 + "] = count();\n}\n")
    status, _, err = cli(capsys, "check", tmp_path / "x.d")
    assert status == 1 and f"x.d:4:{5 + 3 * 7_999}: error: list too long" in err


def test_compile_refuses_what_check_would_refuse_as_too_long(capsys, tmp_path, monkeypatch):
    """compile makes only D that check reads: an expression of more than lexer.MAX_OPERATORS
    operators, or a call of more than lexer.MAX_ITEMS arguments, is a located error at the line
    that makes it; at the limits, the D compiles and check reads it."""
    monkeypatch.chdir(tmp_path)
    body = ("from dtracepy import Tracer, arg0, printf, trace\nt = Tracer()\n\n@t.probe('BEGIN')\ndef b():\n"
            "    x = arg0\n    for i in range(N):\n        x = x + 1\n    trace(x)\n"
            "    printf('%d' * M, *([arg0] * M))\n")
    (tmp_path / "d.py").write_text(body.replace("N", "20000").replace("M", "7999"))
    status, out, err = cli(capsys, "compile", "d.py", "-o", "d.d")
    assert status == 0, err
    status, out, err = cli(capsys, "check", "d.d")
    assert "error" not in err, err
    (tmp_path / "d.py").write_text(body.replace("N", "20001").replace("M", "7999"))
    status, out, err = cli(capsys, "compile", "d.py")
    assert status == 1 and err.startswith("d.py:8: error: the D has more than 20,000 operators"), err
    (tmp_path / "d.py").write_text(body.replace("N", "10").replace("M", "8000"))
    status, out, err = cli(capsys, "compile", "d.py")
    assert status == 1 and err.startswith("d.py:10: error: the D has more than 20,000 operators in one "
                                          "expression, or more than 8,000 arguments"), err


def test_a_predicate_of_exactly_the_most_operators_is_read():
    """The predicate's closing '/' is no operator (it was counted as one: a predicate of 20,000
    operators was refused at it); a division is."""
    from dtracepy import parser

    program = parser.parse("BEGIN /x" + "+x" * 20_000 + "/ { y = 1; }")
    assert program.items[0].predicate is not None
    err, _ = _lex_error("BEGIN /x" + "+x" * 20_000 + "/x/ { y = 1; }")  # x/x: the 20,001st
    assert (err.pos.line, err.pos.col) == (1, 9 + 2 * 20_000) and "20,000 operators" in err.message
