"""A dialect named when compiling (``t.compile(dialect=...)``, ``dtracepy compile --dialect``,
``run``'s dtrace's own) redoes the decisions that depend on the dialect, instead of keeping those
made for the tracer's: the ``->``/``.`` of the members the DSL chose (``curthread.cred.uid.val``
is ``curthread->cred->uid.val`` for Oracle, where ``uid`` is a ``kuid_t`` struct) and which
options D has (judged for the dialect compiled for, at the line that gave the option).  The real
dtrace (Oracle D) judges the Oracle output."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from dtracepy import Tracer, curthread, trace
from dtracepy.errors import CompileError
from dtracepy.run.script import prepare_tracer
from real_dtrace import job_for_d, judge_scripts

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORACLE_LINE = "trace(curthread->cred->uid.val);"


def _uid_tracer(**kw) -> Tracer:
    t = Tracer(**kw)

    @t.probe("BEGIN")
    def _():
        trace(curthread.cred.uid.val)

    return t


def _traced_line(text: str) -> str:
    return next(line.strip() for line in text.splitlines() if line.strip().startswith("trace("))


def test_compile_for_another_dialect_redoes_the_member_operators():
    assert _traced_line(_uid_tracer(dialect="oracle").to_d()) == ORACLE_LINE
    assert _traced_line(_uid_tracer().compile(dialect="oracle").text) == ORACLE_LINE
    # and back: an Oracle tracer compiled for illumos is what an illumos tracer is
    illumos = _traced_line(_uid_tracer().to_d())
    assert illumos != ORACLE_LINE
    assert _traced_line(_uid_tracer(dialect="oracle").compile(dialect="illumos").text) == illumos
    # the tracer itself is unchanged: compiled again for its own dialect, the same D
    t = _uid_tracer()
    t.compile(dialect="oracle")
    assert _traced_line(t.to_d()) == illumos


def test_run_compiles_for_the_dtrace_it_runs():
    assert _traced_line(prepare_tracer(_uid_tracer(), frame=False, detected="oracle").text) == ORACLE_LINE
    assert _traced_line(prepare_tracer(_uid_tracer(), frame=False, dialect="oracle").text) == ORACLE_LINE


def _cli(tmp_path, source: str, *argv):
    path = tmp_path / "tr.py"
    path.write_text(textwrap.dedent(source))
    return subprocess.run([sys.executable, "-m", "dtracepy", "compile", str(path), *argv],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": ROOT})


UID_SOURCE = """\
    from dtracepy import Tracer, curthread, trace
    t = Tracer()

    @t.probe("BEGIN")
    def _():
        trace(curthread.cred.uid.val)
    """


def test_the_cli_dialect_redoes_them(tmp_path):
    result = _cli(tmp_path, UID_SOURCE, "--dialect", "oracle", "--check")
    assert result.returncode == 0, result.stderr
    assert _traced_line(result.stdout) == ORACLE_LINE


def test_options_are_judged_for_the_dialect_compiled_for(tmp_path):
    def tracer(**kw):
        t = Tracer(**kw)
        t.clause("BEGIN")
        return t

    # an Oracle-only option in a tracer naming no dialect: taken, and compiled for Oracle
    assert "#pragma D option bpflogsize=1m" in tracer(options={"bpflogsize": "1m"}).compile(dialect="oracle").text
    with pytest.raises(CompileError, match="option bpflogsize is not known to illumos D"):
        tracer(options={"bpflogsize": "1m"}).compile(dialect="illumos")
    # an illumos option in an Oracle tracer: refused for Oracle, taken for illumos
    with pytest.raises(CompileError, match="option temporal is not known to oracle D"):
        tracer(dialect="oracle", options={"temporal": True}).compile()
    assert "#pragma D option temporal" in tracer(dialect="oracle", options={"temporal": True}).compile(
        dialect="illumos").text
    # t.option and t.pragma the same, checks or not
    t = tracer(dialect="oracle")
    t.option("temporal")
    with pytest.raises(CompileError, match="temporal"):
        t.compile(checks=False)
    t = tracer(dialect="oracle")
    t.pragma("D", "option", "temporal")
    with pytest.raises(CompileError, match="temporal"):
        t.compile()
    assert "#pragma D option temporal" in t.compile(dialect="illumos").text
    result = _cli(tmp_path, """\
        from dtracepy import Tracer
        t = Tracer(dialect="oracle", options={"temporal": True})
        t.clause("BEGIN")
        """, "--dialect", "illumos")
    assert result.returncode == 0, result.stderr


def test_compile_check_with_a_dialect_reports_its_missing_functions(tmp_path):
    # (review 7, item 5: the compiler holds a named dialect to its functions, --check or not)
    result = _cli(tmp_path, """\
        from dtracepy import Tracer, execname, toupper, trace
        t = Tracer()

        @t.probe("BEGIN")
        def _():
            trace(toupper(execname))
        """, "--dialect", "oracle", "--check")
    assert result.returncode == 1 and result.stdout == ""
    assert "tr.py:6: error: toupper() is not a function of Oracle" in result.stderr
    assert "[dialect-function]" in result.stderr


def test_the_real_dtrace_takes_the_oracle_output():
    bpf = Tracer(options={"bpflogsize": "1m"})
    bpf.clause("BEGIN")
    jobs = {"uid": job_for_d(_uid_tracer().compile(dialect="oracle").text),
            "uid-illumos-tracer": job_for_d(_uid_tracer(dialect="illumos").compile(dialect="oracle").text),
            "bpflogsize": job_for_d(bpf.compile(dialect="oracle").text)}
    verdicts = judge_scripts(jobs)
    assert verdicts == {name: None for name in jobs}
