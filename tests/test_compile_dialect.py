"""A tracer compiled for a named dialect is held to that dialect's functions (``dialect-function``).

``Tracer(dialect="oracle")`` calling ``strtoll()`` compiled silently, and Oracle's dtrace then said
"undefined function name".  The compiler now refuses it at the user's line, through every public
path (``t.compile()``, ``t.to_d()``, ``t.run()``, ``dtracepy compile``), as ``check --dialect``
does for a D file; which dialects have which function is read from the facts
(:mod:`dtracepy.facts.functions`, through ``Dialect.functions``).  A tracer whose dialect was not
named (the default, illumos, is assumed) may be written for another platform: nothing changes.
The real dtrace judges both: the refused calls are refused by ``dtrace -e`` too, the rest accepted.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest

import dtracepy.dsl as dsl
from dtracepy import Tracer, arg0, cast, cond, copyinstr, d_path, execname, if_, stmt, strlen, strtoll, trace
from dtracepy.errors import CompileError
from dtracepy.facts import functions as Fn
from dtracepy.facts.dialects import dialect_named
from real_dtrace import job_for_d, judge_scripts
from test_compile_rules import unchecked_d

HERE = "test_compile_dialect.py"

ORACLE = dialect_named("oracle")
#: every function Oracle's D lacks, as the facts say (the real dtrace judges them below)
LACKING = sorted(name for name in Fn.TABLE if name not in ORACLE.functions)


#: arguments a prototype takes that the facts do not say (dtrace judges the prototype first)
POINTER_FIRST = {"ddi_pathname"}


def _call(name):
    """A body calling ``name`` with arguments of the kinds it takes (execname, arg0)."""
    function = getattr(dsl, name)
    kinds = Fn.ARGUMENT_KINDS.get(name, ())
    args = [execname if i < len(kinds) and kinds[i] == "string" else arg0
            for i in range(Fn.ARITY[name][0])]
    if name in POINTER_FIRST:
        args[0] = cast(arg0, "void *")
    if Fn.TABLE[name][0] == "action":
        return lambda: function(*args)
    return lambda: stmt(function(*args))


def _tracer(body, **kw) -> Tracer:
    t = Tracer(**kw)
    t.probe("BEGIN")(body)
    return t


def test_oracle_lacks_what_its_dtrace_says_it_lacks():
    assert {"strtoll", "toupper", "tolower", "json", "getf"} <= set(LACKING)


def _refused_here(err: CompileError, name: str):
    found = [f for f in err.findings if f.check == "dialect-function"]
    assert found, str(err)
    assert all(f.severity == "error" and f.pos is not None and f.pos.file.endswith(HERE) for f in found)
    assert f"{name}() is not a function of Oracle" in found[0].message
    return found


@pytest.mark.parametrize("name", LACKING)
def test_a_function_the_dialect_lacks_is_refused_at_the_users_line(name):
    t = _tracer(_call(name), dialect="oracle")
    for compile_it in (t.compile, lambda: t.compile(checks=False), t.to_d):
        with pytest.raises(CompileError) as info:
            compile_it()
        _refused_here(info.value, name)


def test_the_line_is_the_call_s_also_under_a_lowered_if():
    t = Tracer(dialect="oracle")

    @t.probe("BEGIN")
    def _():
        with if_(arg0 > 1):
            trace(strtoll("1"))    # the line
    with pytest.raises(CompileError) as info:
        t.compile()
    (finding,) = _refused_here(info.value, "strtoll")
    assert finding.pos.line == _.__code__.co_firstlineno + 3


def test_only_a_named_dialect_is_held_to_its_functions():
    # not named: illumos is assumed, the script may be for another platform (as check without --dialect)
    assert "strtoll(" in _tracer(_call("strtoll")).to_d()
    assert "strtoll(" in _tracer(_call("strtoll"), dialect="illumos").to_d()
    # named for this compile (compile --dialect): refused
    with pytest.raises(CompileError) as info:
        _tracer(_call("strtoll")).compile(dialect="oracle")
    _refused_here(info.value, "strtoll")
    # a function only Oracle's D has, in another named dialect
    with pytest.raises(CompileError, match=r"d_path\(\) is not a function of macOS DTrace: only oracle D"):
        _tracer(lambda: trace(d_path(0)), dialect="macos").compile()


def test_run_refuses_it_before_starting_dtrace():
    """``t.run()`` compiles for the tracer's dialect, or the running dtrace's (prepare_tracer's
    ``detected``) when it names none: both are named."""
    from dtracepy.run.script import prepare_tracer

    with pytest.raises(CompileError) as info:
        _tracer(_call("toupper"), dialect="oracle").run(dtrace="/nonexistent/dtrace")
    _refused_here(info.value, "toupper")
    with pytest.raises(CompileError) as info:
        prepare_tracer(_tracer(_call("toupper")), detected="oracle")
    _refused_here(info.value, "toupper")
    assert prepare_tracer(_tracer(_call("toupper")), detected=None).text


def test_the_cli_says_where_and_exits_1(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text(textwrap.dedent("""\
        from dtracepy import Tracer, execname, strlen, trace, toupper
        t = Tracer(dialect="oracle")

        @t.probe("BEGIN")
        def _():
            trace(strlen(execname))
            trace(toupper(execname))
        """))
    result = subprocess.run([sys.executable, "-m", "dtracepy", "compile", str(path)],
                            capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (1, "")
    assert "Traceback" not in result.stderr
    assert "bad.py:7: error: toupper() is not a function of Oracle" in result.stderr
    assert "[dialect-function]" in result.stderr and "bad.py:6" not in result.stderr


def test_the_real_dtrace_refuses_what_is_refused_and_accepts_the_rest():
    def accepted():
        trace(strlen(execname))
        trace(cond(arg0 > 0, copyinstr(arg0), "none"))

    jobs, expected = {}, {}
    for name in LACKING:
        t = _tracer(_call(name), dialect="oracle")
        with pytest.raises(CompileError):
            t.compile()
        jobs[name] = job_for_d(unchecked_d(t))
        expected[name] = "refused"
    jobs["accepted"] = job_for_d(_tracer(accepted, dialect="oracle").to_d())
    expected["accepted"] = None
    verdicts = judge_scripts(jobs)
    wrong = {name: verdicts[name] for name in jobs if (expected[name] is None) != (verdicts[name] is None)}
    assert not wrong, wrong
    # (Oracle's D names ddi_pathname(), and refuses it as an "unimplemented subroutine")
    not_functions = {name: verdicts[name] for name in LACKING if not re.search(
        rf"(undefined function name|unimplemented subroutine): {name}$", verdicts[name])}
    assert not not_functions, not_functions
