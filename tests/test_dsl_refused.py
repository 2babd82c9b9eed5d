"""What the DSL would silently turn into D that no dtrace takes is a located error instead: a
Python string as a predicate, a method called on a D value."""

import inspect

import pytest

from dtracepy.dsl import Tracer, arg0, args, curpsinfo, execname, trace
from dtracepy.dsl.values import expr
from dtracepy.errors import DSLError
from dtracepy.printer import to_d


def _here() -> int:
    return inspect.currentframe().f_back.f_lineno


def test_a_string_predicate_is_refused_at_its_line():
    t = Tracer()
    with pytest.raises(DSLError, match="when='arg0 > 0' is a Python string.*scalar type.*D expression") as err:
        line = _here(); t.probe("syscall::read:entry", when="arg0 > 0")  # noqa: E702
    assert err.value.pos.line == line and err.value.pos.file.endswith("test_dsl_refused.py")
    with pytest.raises(DSLError, match="is a Python string"):
        t.clause("syscall::read:entry", when="pid == 1")
    assert t.items == []


def test_a_method_call_on_a_d_value_is_refused_at_its_line():
    t = Tracer()

    def predicate():
        t.probe("syscall::read:entry", when=execname.startswith("ss"))

    with pytest.raises(DSLError, match=r"execname.startswith\(...\) calls a method of a D value.*substr") as err:
        line = _here() - 3; predicate()  # noqa: E702
    assert err.value.pos.line == line

    def body():
        trace(execname.upper())  # marker

    with pytest.raises(DSLError, match=r"execname.upper\(...\) calls a method.*toupper\(s\)") as err:
        t.probe("syscall::read:entry")(body)
    lines, first = inspect.getsourcelines(body)
    assert err.value.pos.line == first + 1
    with pytest.raises(DSLError, match=r"calls a method of a D value"):
        curpsinfo.pr_psargs.strip()
    assert t.items == []


def test_member_access_is_still_member_access():
    assert to_d(expr(curpsinfo.pr_psargs)) == "curpsinfo->pr_psargs"
    assert to_d(expr(args[0].b_bcount)) == "args[0]->b_bcount"
    assert to_d(expr(arg0)) == "arg0"


def test_two_strings_added_are_refused_at_their_line():
    """execname + "x": dtrace says "operands have incompatible types: "string" + "string"" (judged
    by the real dtrace in tests/test_check_operands.py, where check says the same)."""
    with pytest.raises(DSLError, match=r"two strings cannot be operands of \+.*strjoin") as err:
        line = _here(); execname + "x"  # noqa: E702
    assert err.value.pos.line == line and err.value.pos.file.endswith("test_dsl_refused.py")
    with pytest.raises(DSLError, match="two strings"):
        "x" + execname
    assert to_d(expr(execname + 1)) == "execname + 1"
