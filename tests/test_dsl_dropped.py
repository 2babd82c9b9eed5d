"""Nothing the user writes in a probe body is dropped silently, and record titles cannot corrupt the
header line.

* A value with an effect (``postinc(x)``, ``assign_expr(...)``, ``call()``, a subroutine called
  for what it does such as ``bcopy``, an aggregating function) computed in a body and never used
  would not be in the D (Python drops the value of an expression standing alone): a located
  error saying to use ``stmt(...)``.  A pure value Python chose not to use is no error.
* ``async def`` and generator functions never run their body when called: a located error.
* A record's title holding its separator, its line end, a newline or the bytes ``dtracepy run``
  frames with is refused where the record is made; ``sep``/``end`` are printed as written
  (a ``%`` in them is no conversion).
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest

from dtracepy import (
    Tracer, agg, arg0, arg1, assign_expr, bcopy, call, copyinstr, count, else_, execname, if_, pid,
    postinc, self, stmt, strjoin, strtok, this, trace,
)
from dtracepy.errors import DSLError
from real_dtrace import job_for_d, judge_scripts

HERE = "test_dsl_dropped.py"


def body_error(body, **kw) -> DSLError:
    t = Tracer(**kw)
    with pytest.raises(DSLError) as info:
        t.probe("syscall::read:entry")(body)
    assert info.value.pos is not None and info.value.pos.file.endswith(HERE), info.value.render()
    return info.value


def line_of(marker: str) -> int:
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if marker in line and "line_of" not in line)


def test_a_bare_increment_is_an_error_at_its_line():
    def body():
        postinc(self.n)  # MARK-postinc

    err = body_error(body)
    assert err.pos.line == line_of("MARK-postinc")
    assert "self->n++ is computed here but never used" in err.message and "stmt(" in err.message


@pytest.mark.parametrize("make", [
    lambda: assign_expr(this.x, arg0),
    lambda: bcopy(arg0, arg1, 8),
    lambda: strtok(execname, " "),
    lambda: call("foo", arg0),
    lambda: postinc(self.n) + 1,           # used, but by an expression that is dropped itself
])
def test_bare_effects_and_calls_are_errors(make):
    body_error(lambda: make())


def test_a_pure_value_python_chose_not_to_use_is_no_error():
    t = Tracer()

    @t.probe("syscall::read:entry")
    def _():
        copyinstr(arg0)                   # built by Python logic, then not used: nothing to do
        other = strjoin(execname, "x")
        trace(other if arg0 is None else 1)

    assert "trace(1);" in t.to_d() and "copyinstr" not in t.to_d()


def test_a_bare_aggregating_function_says_to_assign_it():
    err = body_error(lambda: count())
    assert "assign it to an aggregation (agg.name[keys] = count())" in err.message


def test_inside_if_blocks_too_and_used_values_are_fine():
    def body():
        with if_(arg0 > 0):
            postinc(self.n)

    body_error(body)

    t = Tracer()

    @t.probe("syscall::read:entry")
    def _():
        self.n = 0
        stmt(postinc(self.n))
        with if_(arg0 > 0):
            v = postinc(self.n)             # made in the block, used after it
        with else_():
            this.s = copyinstr(arg1)
        trace(v)
        agg.c[pid] = count()

    text = t.to_d()
    assert "self->n++;" in text and "trace(self->n++);" in text and "this->s = copyinstr(arg1);" in text


@pytest.mark.parametrize("source", [
    "async def _():\n    trace(1)\n",
    "def _():\n    trace(1)\n    yield\n",
    "async def _():\n    trace(1)\n    yield\n",
])
def test_async_and_generator_bodies_are_errors(source):
    t = Tracer()
    namespace = {"trace": trace}
    exec(compile(source, __file__, "exec"), namespace)
    with pytest.raises(DSLError, match="async def.*generator"):
        t.probe("BEGIN")(namespace["_"])  # MARK-decorate
    assert t.items == []


def test_a_callable_returning_a_generator_is_an_error_and_the_generator_is_closed():
    ran = []

    def gen():
        ran.append(1)
        yield

    t = Tracer()
    with pytest.raises(DSLError, match="generator"):
        t.probe("BEGIN")(lambda: gen())
    assert ran == []


def test_a_body_that_returns_none_is_not_asked_whether_it_is_a_generator(monkeypatch):
    """The usual body returns None: the six ``inspect`` questions of ``_never_runs`` are asked of
    the function only (a module of 30,000 clauses asked them 30,000 times more for nothing)."""
    from dtracepy.dsl import tracer as tracer_module

    asked = []
    real = tracer_module._never_runs
    monkeypatch.setattr(tracer_module, "_never_runs", lambda fn: asked.append(fn) or real(fn))
    t = Tracer()

    def body():
        trace(1)

    t.probe("BEGIN")(body)
    assert asked == [body]


def test_the_cli_locates_them(tmp_path):
    path = tmp_path / "bare.py"
    path.write_text(textwrap.dedent("""\
        from dtracepy import Tracer, self, postinc, trace
        t = Tracer()

        @t.probe("syscall::read:entry")
        async def _():
            trace(1)
        """))
    result = subprocess.run([sys.executable, "-m", "dtracepy", "compile", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "bare.py:4: error: @t.probe(...) decorates a plain function" in result.stderr


# --- records ----------------------------------------------------------------------------------

@pytest.mark.parametrize("title, kw, why", [
    ("Source, IP", {}, "separator ','"),
    ("a\tb", {"sep": "\t"}, "separator '\\t'"),
    ("two\nlines", {}, "a newline"),
    ("cr\r", {"sep": ";"}, "a carriage return"),
    ("x\x1ey", {}, "0x1e"),
    ("x\x1fy", {}, "0x1f"),
    ("x;;y", {"end": ";;"}, "line end ';;'"),
])
def test_titles_that_would_break_the_header_are_refused(title, kw, why):
    t = Tracer()
    with pytest.raises(DSLError, match=re.escape(why)) as info:
        t.record((title, "%d"), ("B", "%d"), **kw)
    assert info.value.pos.file.endswith(HERE)
    assert t.items == [] and t.records == []


def test_other_titles_and_literal_separators_print_as_written():
    t = Tracer(dialect="oracle", options={"quiet": True})
    tabbed = t.record(("Source, IP", "%d"), ("100%", "%d"), sep="\t")
    percent = t.record(("x", "%d"), ("y", "%d"), sep="%", end=" %d\n")

    @t.probe("BEGIN")
    def _():
        tabbed.emit(1, 2)
        percent.emit(3, 4)

    text = t.to_d()
    assert 'printf("Source, IP\\t100%%\\n");' in text and 'printf("%d\\t%d\\n", 1, 2);' in text
    assert 'printf("x%%y %%d\\n");' in text and 'printf("%d%%%d %%d\\n", 3, 4);' in text
    assert judge_scripts({"records": job_for_d(text)}) == {"records": None}
