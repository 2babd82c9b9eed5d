"""A hostile new user's walk (session 11, /work/review11.md): what the compiler let through.

``dtracepy check`` refuses in D files what every D compiler refuses in operands, keys and
declarations (checks/operands.py, keys.py, declarations.py), but the compiler ran only
checks/rules.py's refusals on a tracer: these tracers compiled, exit 0, to D dtrace refuses.
Each must now be an error at the tracer's line naming the check; the real dtrace judges the D
printed without the checks (refused) and the accepted neighbours' D (accepted).
"""

from __future__ import annotations

import pytest

from dtracepy import (
    Tracer, addr, agg, arg0, count, execname, glob, lit, pid, printa, self, this, tid, trace,
)
from dtracepy.errors import CompileError, DSLError
from real_dtrace import job_for_d, judge_scripts
from test_compile_rules import unchecked_d

HERE = "test_new_user_review11.py"


def _tracer(body, probe="BEGIN"):
    t = Tracer()
    t.probe(probe)(body)
    return t


def _key_types():
    agg.a[execname] = count()
    agg.a[pid] = count()


def _array_key_types():
    glob.a[execname] = 1
    glob.a[pid] = 2


def _global_int_then_string():
    glob.i = 1
    glob.i = "a"


def _clause_local_string_then_int():
    this.s = execname
    this.s = 1


def _address_of_an_associative_element():
    glob.a[1] = 1
    trace(addr(glob.a[1]))


def _division_by_constant_zero():
    trace(arg0 / (7 - 7))


def _printa_of_different_keys():
    agg.a[1] = count()
    agg.b["x"] = count()
    printa(agg.a, agg.b)


# the neighbours dtrace takes: two integer widths are one kind, a string variable may be given 0
def _key_of_two_widths():
    agg.a[pid] = count()
    agg.a[tid] = count()


def _string_then_zero():
    glob.s = execname
    glob.s = 0


def _division_by_a_constant():
    trace(arg0 / (7 - 6))


CASES = {
    "key-types": (_key_types, "key-type"),
    "array-key-types": (_array_key_types, "key-type"),
    "global-int-then-string": (_global_int_then_string, "operand-type"),
    "this-string-then-int": (_clause_local_string_then_int, "operand-type"),
    "address-of-element": (_address_of_an_associative_element, "address-of-variable"),
    "division-by-zero": (_division_by_constant_zero, "division-by-zero"),
    "printa-keys": (_printa_of_different_keys, "printa-keys"),
    "key-of-two-widths": (_key_of_two_widths, None),
    "string-then-zero": (_string_then_zero, None),
    "division-by-one": (_division_by_a_constant, None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_operand_key_and_declaration_rules_refuse_a_tracer_at_its_line(name):
    body, check = CASES[name]
    t = _tracer(body)
    if check is None:
        t.compile()
        return
    with pytest.raises(CompileError) as err:
        t.compile()
    found = [f for f in err.value.findings if f.check == check]
    assert found, str(err.value)
    assert all(f.pos is not None and f.pos.file.endswith(HERE) for f in found), str(err.value)


def test_they_are_refused_with_checks_off_too():
    """As checks/rules.py's refusals are: the D would be refused by dtrace whatever is checked."""
    with pytest.raises(CompileError, match=r"\[key-type\]"):
        _tracer(_key_types).compile(checks=False)


def test_the_real_dtrace_refuses_what_the_compiler_now_refuses_and_only_that():
    jobs = {name: job_for_d(unchecked_d(_tracer(body)) if check else _tracer(body).to_d())
            for name, (body, check) in CASES.items()}
    verdicts = judge_scripts(jobs)
    wrong = {name: verdicts[name] for name, (_, check) in CASES.items()
             if (check is None) != (verdicts[name] is None)}
    assert not wrong, wrong


def test_len_of_a_d_value_names_strlen():
    """len(execname) said only "object of type 'D' has no len()", from Python, unlocated."""
    def body():
        trace(len(execname))

    with pytest.raises(DSLError) as err:
        _tracer(body)
    assert "has no Python length" in str(err.value) and "strlen(x)" in str(err.value)
    assert err.value.pos is not None and err.value.pos.file.endswith(HERE)


def test_a_d_value_returned_by_a_probe_body_is_an_error():
    """`return arg0 > 0` (a predicate meant) compiled to an empty clause, silently."""
    def returns_a_condition():
        return self.ts > 0

    def returns_nothing():
        trace(1)

    def returns_a_python_value():
        trace(1)
        return 5

    with pytest.raises(DSLError, match=r"a probe body's return value \(self->ts > 0\) becomes no D"):
        _tracer(returns_a_condition)
    _tracer(returns_nothing).compile()
    _tracer(returns_a_python_value).compile()


def test_a_string_as_a_predicate_or_if_condition_is_an_error_at_its_line():
    """when=execname and if_(execname) compiled, exit 0; dtrace: "predicate result must be of
    scalar type", and for Oracle's lowered if_ "operator ?: expression must be of scalar type"."""
    from dtracepy import if_

    t = Tracer()
    with pytest.raises(DSLError, match=r"the predicate \(execname\) is a string") as err:
        t.probe("BEGIN", when=execname)(lambda: trace(1))
    assert err.value.pos.file.endswith(HERE)
    with pytest.raises(DSLError, match=r"the predicate \(execname\) is a string"):
        t.clause("BEGIN", when=execname)

    def body():
        with if_(execname):
            trace(1)

    with pytest.raises(DSLError, match=r"the if_ condition \(execname\) is a string") as err:
        Tracer(dialect="oracle").probe("BEGIN")(body)
    assert err.value.pos.file.endswith(HERE)
    # a comparison, or the length, is what was meant: both compile
    t.probe("BEGIN", when=execname != "")(lambda: trace(1))
    t.compile()


def test_dtrace_refuses_a_string_predicate_and_a_lowered_string_condition():

    plain = Tracer()
    plain.probe("BEGIN", when=execname != "")(lambda: trace(1))
    text = plain.to_d()
    refused = text.replace('/execname != ""/', "/execname/")
    lowered = text.replace('/execname != ""/\n{\n\ttrace(1);', '\n{\n\ttrace(execname ? 1 : 2);')
    assert refused != text and lowered != text
    verdicts = judge_scripts({"predicate": job_for_d(refused), "ternary": job_for_d(lowered),
                              "compared": job_for_d(text)})
    assert verdicts["predicate"] and "scalar" in verdicts["predicate"]
    assert verdicts["ternary"] and "scalar" in verdicts["ternary"]
    assert verdicts["compared"] is None


def _declared_twice(t):
    t.declare("x", "int")
    t.declare("x", "string")


def _inline_twice(t):
    t.inline("N", "int", 5)
    t.inline("N", "int", 6)


def _builtin_declared(t):
    t.declare("pid", "int")


def _struct_twice(t):
    t.declare_c("struct s { int a; };")
    t.declare_c("struct s { int b; };")


def _member_twice(t):
    t.declare_c("struct s { int a; int a; };")


@pytest.mark.parametrize("declare", [_declared_twice, _inline_twice, _builtin_declared, _struct_twice,
                                     _member_twice])
def test_declarations_dtrace_refuses_are_refused_at_the_tracers_line(declare):
    """Compiled, exit 0, to D dtrace refuses ("identifier redeclared", "type redeclared" ...); a
    finding about t.declare_c's text was at "<dtracepy>:1:1", a line of that text."""
    t = Tracer()
    declare(t)
    t.probe("BEGIN")(lambda: trace(1))
    with pytest.raises(CompileError) as err:
        t.compile()
    found = [f for f in err.value.findings if f.check == "redeclared"]
    assert found and all(f.pos.file.endswith(HERE) for f in found), str(err.value)
    assert "<dtracepy>" not in str(err.value)


def test_the_real_dtrace_refuses_those_declarations():
    jobs = {}
    for declare in (_declared_twice, _inline_twice, _builtin_declared, _struct_twice, _member_twice):
        t = Tracer()
        declare(t)
        t.probe("BEGIN")(lambda: trace(1))
        jobs[declare.__name__] = job_for_d(unchecked_d(t))
    verdicts = judge_scripts(jobs)
    assert all(verdicts.values()), verdicts


def test_a_clear_point_where_the_variable_is_set_is_an_error():
    """t.clear(self.x, at="syscall::read:entry") for a variable set at syscall::read:entry put the
    zeroing after every clause of that firing: the return clause's /self->x/ never held, and the
    tracer printed nothing, silently."""
    t = Tracer()
    t.clear(self.x, at="syscall::read:entry")
    t.probe("syscall::read:entry")(lambda: setattr(self, "x", arg0))
    t.probe("syscall::read:return", when=self.x)(lambda: trace(self.x))
    with pytest.raises(CompileError, match=r'zeroes self->x at syscall::read:entry, where it is set: .*'
                       r'at="syscall::read:return", the matching return') as err:
        t.compile()
    assert [f.check for f in err.value.findings] == ["self-clear"]
    assert err.value.findings[0].pos.file.endswith(HERE)
    # spelled otherwise (an empty field for *), the same
    t = Tracer()
    t.clear(self.x, at="syscall:*:read:entry")
    t.probe("syscall::read:entry")(lambda: setattr(self, "x", arg0))
    with pytest.raises(CompileError, match=r"\[self-clear\]"):
        t.compile()
    # where it is no longer needed: fine
    t = Tracer()
    t.clear(self.x, at="syscall::close:entry")
    t.probe("syscall::read:entry")(lambda: setattr(self, "x", arg0))
    t.probe("syscall::close:entry", when=self.x)(lambda: trace(self.x))
    assert "syscall::close:entry\n{\n\tself->x = 0;" in t.to_d()


@pytest.mark.parametrize("call, said", [
    (lambda: trace(abs(arg0)), "D has no abs(): write cond(arg0 < 0, -(arg0), arg0)"),
    (lambda: trace(divmod(arg0, 3)), "D has no divmod(): write x / y and x % y"),
    (lambda: trace(divmod(3, arg0)), "D has no divmod()"),
    (lambda: trace(round(arg0)), "a D value (arg0) is an integer, and D has no floating point"),
    (lambda: trace(__import__("math").floor(arg0)), "D has no floating point"),
    (lambda: trace(__import__("math").trunc(arg0)), "D has no floating point"),
])
def test_pythons_numeric_builtins_on_a_d_value_say_what_to_write(call, said):
    """abs(arg0) said "bad operand type for abs(): 'D'", divmod() and round() alike."""
    with pytest.raises(DSLError) as err:
        _tracer(call)
    assert said in str(err.value)
    assert err.value.pos is not None and err.value.pos.file.endswith(HERE)


def test_a_python_return_inside_with_if_is_an_error_at_its_line():
    """`with if_(arg0): trace(1); return` then `trace(2)`: the D was `if (arg0) { trace(1); }`
    alone, trace(2) lost for every firing, silently."""
    from dtracepy import if_

    def returns():
        with if_(arg0):
            trace(1)
            return
        trace(2)

    with pytest.raises(DSLError, match=r"this return inside `with if_\(...\)` is Python's, not D's") as err:
        _tracer(returns)
    assert err.value.pos.file.endswith(HERE)
    assert err.value.pos.line == returns.__code__.co_firstlineno + 3

    def continues():
        for i in range(2):
            with if_(arg0 == i):
                trace(i)
                continue
            trace(2)

    with pytest.raises(DSLError, match=r"this continue .* after it in that pass of the loop"):
        _tracer(continues)

    def fine():   # a loop inside the block, a function defined there, and returns outside it
        with if_(arg0):
            for i in range(3):
                if i:
                    break
                trace(i)

            def helper():
                return 1
            trace(helper())
        trace(2)
        return None

    assert "trace(2);" in _tracer(fine).to_d()
