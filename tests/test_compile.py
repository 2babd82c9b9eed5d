"""``dtracepy compile``: shebang, header comment, -o, --tracer, --check, located import errors."""

import os
import pathlib
import stat
import subprocess
import sys


from dtracepy import Tracer, printf, macro, macro_str, arg0
from dtracepy.cli import main

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(*argv, cwd=None):
    return subprocess.run([sys.executable, "-m", "dtracepy", *argv], capture_output=True, text=True,
                          cwd=cwd or ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def write(tmp_path, text, name="tr.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


SIMPLE = """\
from dtracepy import Tracer, self, timestamp, printf, macro
t = Tracer(options={"quiet": True})
limit = macro(1, "minimum latency in ns")

@t.probe("syscall::read:entry")
def _():
    self.ts = timestamp

@t.probe("syscall::read:return", when=timestamp - self.ts > limit)
def _():
    printf("%d\\n", timestamp - self.ts)
"""


def test_compile_prints_d_with_shebang_and_argument_header(tmp_path):
    result = run("compile", str(write(tmp_path, SIMPLE)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("#!/usr/sbin/dtrace -qs\n")
    assert "$1  minimum latency in ns" in result.stdout
    assert "self->ts = 0;" in result.stdout


def test_output_file_is_executable(tmp_path):
    out = tmp_path / "out.d"
    result = run("compile", str(write(tmp_path, SIMPLE)), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert out.stat().st_mode & stat.S_IXUSR
    assert out.read_text().startswith("#!/usr/sbin/dtrace -qs")


def test_shebang_flags():
    t = Tracer()
    t.clause("BEGIN")
    assert t.compile(checks=False).text.startswith("#!/usr/sbin/dtrace -s\n")
    t = Tracer(includes=["sys/types.h"])
    text = t.compile(checks=False).text
    assert text.startswith("#!/usr/sbin/dtrace -Cs\n") and "#include <sys/types.h>" in text
    t = Tracer(options={"quiet": True, "bufsize": "4m"}, defines={"PORT": "22"})
    t.clause("BEGIN")
    text = t.compile(checks=False).text
    assert text.startswith("#!/usr/sbin/dtrace -Cqs\n")
    assert "#pragma D option quiet\n#pragma D option bufsize=4m" in text and "#define PORT 22" in text


def test_macro_arguments_are_listed_in_the_header():
    t = Tracer()

    @t.probe("pid$target::malloc:entry", when=arg0 > macro(2, "size"))
    def _():
        printf("%s\n", macro_str(1))

    text = t.compile(checks=False).text
    header = text[: text.index("*/")]
    names = [line.split()[1] for line in header.splitlines() if line.startswith(" *   $")]
    assert names == ["$$1", "$2", "$target"]
    assert "$2       size" in header and "$$1      argument 1, as a string" in header


def test_several_tracers_need_tracer_option(tmp_path):
    path = write(tmp_path, "from dtracepy import Tracer\na = Tracer()\nb = Tracer()\nb.clause('BEGIN')\n")
    result = run("compile", str(path))
    assert result.returncode == 1
    assert "a, b" in result.stderr and "--tracer" in result.stderr
    result = run("compile", str(path), "--tracer", "b")
    assert result.returncode == 0, result.stderr
    assert "(tracer b)" in result.stdout
    result = run("compile", str(path), "--tracer", "c")
    assert result.returncode == 1 and "no tracer named 'c'" in result.stderr


def test_import_error_is_located_without_traceback(tmp_path):
    path = write(tmp_path, "from dtracepy import Tracer\nt = Tracer()\n\nx = undefined_name + 1\n")
    result = run("compile", str(path))
    assert result.returncode == 1
    assert "tr.py:4: error: NameError" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_syntax_error_is_located(tmp_path):
    path = write(tmp_path, "from dtracepy import Tracer\nt = Tracer(\n")
    result = run("compile", str(path))
    assert result.returncode == 1 and "tr.py:2" in result.stderr and "Traceback" not in result.stderr


def test_dsl_error_points_at_the_tracer_line(tmp_path):
    path = write(tmp_path, "from dtracepy import Tracer, self\nt = Tracer()\n\n"
                           "@t.probe('BEGIN')\ndef _():\n    self.x = 1.5\n")
    result = run("compile", str(path))
    assert result.returncode == 1
    assert "tr.py:6: error:" in result.stderr and "floating" in result.stderr


def test_uncleared_thread_local_fails_at_its_line(tmp_path):
    path = write(tmp_path, "from dtracepy import Tracer, self, timestamp\nt = Tracer()\n\n"
                           "@t.probe('BEGIN')\ndef _():\n    self.start = timestamp\n")
    result = run("compile", str(path))
    assert result.returncode == 1
    assert "tr.py:6: error: self->start is set in BEGIN" in result.stderr


def test_no_tracer_is_an_error(tmp_path):
    result = run("compile", str(write(tmp_path, "x = 1\n")))
    assert result.returncode == 1 and "defines no Tracer" in result.stderr


def test_missing_file_is_an_error(tmp_path):
    result = run("compile", str(tmp_path / "nope.py"))
    assert result.returncode == 1 and "no such file" in result.stderr


def test_check_parses_the_output_back(tmp_path):
    result = run("compile", str(write(tmp_path, SIMPLE)), "--check")
    assert result.returncode == 0, result.stderr


def test_python_dash_m_and_main_agree(tmp_path, capsys):
    path = write(tmp_path, SIMPLE)
    assert main(["compile", str(path)]) == 0
    assert capsys.readouterr().out == run("compile", str(path)).stdout


def test_compile_does_not_import_the_parser():
    code = ("import sys; from dtracepy.cli import main; main(['compile', 'examples/tcpq_part1.py']); "
            "sys.stderr.write(str('lark' in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.stderr.endswith("False")


def test_to_d_api():
    t = Tracer(options={"quiet": True})

    @t.probe("BEGIN")
    def _():
        printf("hello\n")

    assert t.to_d().startswith("#!/usr/sbin/dtrace -qs")


def test_a_clause_without_actions_compiles_to_d_that_reads_back_equal():
    from dtracepy import Tracer, pid
    from dtracepy.parser import parse

    t = Tracer()
    t.clause("syscall::read:entry", when=pid == 1)

    @t.probe("tick-1s")
    def tick():
        pass

    compiled = t.compile()
    assert "/pid == 1/\n{\n}\n\ntick-1s" in compiled.text
    assert parse(compiled.text) == compiled.program


# --- one error model: every error finding, each at its Python line ---------------------------------

def test_compile_reports_every_error_each_at_its_python_line(tmp_path):
    path = write(tmp_path, "from dtracepy import Tracer, self, this, glob, trace, timestamp\n"
                           "t = Tracer()\n\n"
                           "@t.probe('BEGIN')\ndef _():\n"
                           "    self.start = timestamp\n"          # 6: no clear point
                           "    trace(this.x)\n"                   # 7: clause-local read first
                           "    trace(glob.never)\n"               # 8: global never assigned
                           "    trace(self.ghost)\n")              # 9: thread-local never assigned
    result = run("compile", str(path))
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert [line.split(": error: ")[0].rsplit("/", 1)[-1] for line in lines] == [
        "tr.py:6", "tr.py:7", "tr.py:8", "tr.py:9"]
    assert "[self-clear]" in lines[0] and "[this-unset]" in lines[1]
    assert "global never is read but never assigned [global-unset]" in lines[2]
    assert "self->ghost is read but never assigned" in lines[3]
    assert "more)" not in result.stderr and "Traceback" not in result.stderr
    assert "    trace(glob.never)" in result.stderr  # each error shows its source line


def test_compile_error_holds_every_finding():
    from dtracepy import CompileError, Tracer, self, trace
    import pytest

    t = Tracer()

    @t.probe("BEGIN")
    def _():
        trace(self.a)
        trace(self.b)

    with pytest.raises(CompileError) as info:
        t.compile(checks=False)  # the compiler's own rules run even with the checks off
    assert [f.check for f in info.value.findings] == ["self-undefined", "self-undefined"]
    assert str(info.value).count("test_compile.py:") == 2


def test_compile_check_prints_each_warning_once(tmp_path):
    path = write(tmp_path, "from dtracepy import Tracer, builtin, trace\nt = Tracer()\n\n"
                           "@t.probe('BEGIN')\ndef _():\n    trace(builtin('nosuchvar'))\n")
    result = run("compile", str(path), "--check")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "[undefined-name]" in line]
    assert len(warnings) == 1 and warnings[0].rsplit("/", 1)[-1].startswith("tr.py:6: warning:")
