"""What no D compiler takes is refused at the user's line (dtracepy/checks/rules.py), and only that.

Each case is a tracer built with the DSL.  A refused one fails to compile with a located error
naming the rule; an accepted one compiles.  Then the real dtrace judges all of them in one process:
the D of each refused tracer, printed without the rules (what dtracepy emitted before them), must
be rejected by dtrace, and the D of each accepted one accepted, so the rules refuse exactly what
dtrace refuses, no more.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from dtracepy import (
    B_READ, Tracer, assign_expr, cond, elif_, if_, ksym, agg, anon_agg, arg0, arg1, args, assign, clear, count, curpsinfo, execname, glob,
    lit, llquantize, lquantize, normalize, not_, pid, postinc, printa, printf, self, stack, stmt, sum,
    this, timestamp, trace, tracemem, trunc, ustack, copyinstr, exit, htons, strjoin, strlen,
)
from dtracepy.errors import CompileError, DSLError
from real_dtrace import job_for_d, judge_scripts

HERE = "test_compile_rules.py"


def unchecked_d(t: Tracer) -> str:
    """The D dtracepy printed for ``t`` before the rules: built, passed, printed, nothing refused."""
    from dtracepy.compiler import build_program
    from dtracepy.passes import PassContext, run_passes
    from dtracepy.printer import to_d

    ctx = PassContext(dict(t.clear_points), t.dialect, cleanup=t.cleanup)
    return to_d(run_passes(build_program(t), ctx))


def one(probe, body, when=None, **kw):
    t = Tracer(dialect="oracle", **kw)
    t.probe(probe, when=when)(body)
    return t


def two(first, second):
    """A tracer with two clauses: (probe, body, when) each."""
    t = Tracer(dialect="oracle")
    for probe, body, when in (first, second):
        t.probe(probe, when=when)(body)
    return t


def _agg_then(action):
    def body():
        agg.a = count()
        action()
    return lambda: one("BEGIN", body)


def _lq(*params):
    def body():
        agg.a = lquantize(arg0, *params)
    return lambda: one("BEGIN", body)


def _llq(*params):
    def body():
        agg.a = llquantize(arg0, *params)
    return lambda: one("BEGIN", body)


def _with_keep(t, *names):
    for name in names:
        t.keep(name)
    return t


# name -> (a function building the tracer, the rule that refuses it or None)
CASES = {
    # compound assignment / reads before the first assignment in the program text
    "this += first": (lambda: one("BEGIN", lambda: _iadd(this, "x")), "used-before-assigned"),
    "self += only": (lambda: one("syscall::read:entry", lambda: _iadd(self, "n")), "used-before-assigned"),
    "glob += only": (lambda: one("BEGIN", lambda: _iadd(glob, "x")), "used-before-assigned"),
    "glob[k] += only": (lambda: one("BEGIN", lambda: assign(glob.a[1], 1, "+=")), "used-before-assigned"),
    "self |= only": (lambda: one("syscall::read:entry", lambda: assign(self.f, 1, "|=")), "used-before-assigned"),
    "self read above its assignment": (lambda: two(
        ("syscall::read:return", lambda: trace(timestamp - self.ts), self.ts),
        ("syscall::read:entry", lambda: setattr(self, "ts", timestamp), None)), "used-before-assigned"),
    "glob read above its assignment": (lambda: two(
        ("BEGIN", lambda: trace(glob.limit), None),
        ("END", lambda: setattr(glob, "limit", 1), None)), "used-before-assigned"),
    "self read then assigned in one clause": (
        lambda: _with_keep(one("BEGIN", lambda: (trace(self.x), setattr(self, "x", 1))), "x"),
        "used-before-assigned"),
    "this = 0 then +=": (lambda: one("BEGIN", lambda: (setattr(this, "x", 0), _iadd(this, "x"))), None),
    "this += in a later clause": (lambda: two(
        ("BEGIN", lambda: setattr(this, "x", 0), None),
        ("BEGIN", lambda: _iadd(this, "x"), None)), None),
    "self++ first": (lambda: one("syscall::read:entry", lambda: stmt(postinc(self.n))), None),
    "glob[k]++ first": (lambda: one("BEGIN", lambda: stmt(postinc(glob.a[1]))), None),
    "own negation guard": (lambda: _with_keep(one("syscall::connect:entry", lambda: setattr(self, "sock", arg0),
                                                  when=not_(self.sock)), "sock"), None),
    "glob += after the declaration": (lambda: _declared_then_iadd(), None),
    # dtrace types a variable a unary operator applies to as int64_t instead of refusing it
    "!self->x before its assignment": (
        lambda: _with_keep(one("BEGIN", lambda: (trace(not_(self.x)), setattr(self, "x", 1))), "x"), None),
    "-this->x before any assignment": (lambda: one("BEGIN", lambda: trace(-this.x), cleanup=False), None),
    "!glob[k] before its assignment": (
        lambda: one("BEGIN", lambda: (trace(not_(glob.a[1])), glob.a.__setitem__(1, 2))), None),
    "!glob before its assignment": (
        lambda: one("BEGIN", lambda: (trace(not_(glob.g)), setattr(glob, "g", 2))), "used-before-assigned"),
    "this read in a branch D folds away": (lambda: one("BEGIN", lambda: trace(cond(1, arg0, this.a)), cleanup=False),
                                           None),
    "self = self = v where first assigned": (
        lambda: _with_keep(one("BEGIN", lambda: setattr(self, "x", assign_expr(self.x, 1))), "x"),
        "used-before-assigned"),
    "this = this = v after an assignment": (
        lambda: one("BEGIN", lambda: (setattr(this, "x", 0), setattr(this, "x", assign_expr(this.x, 1)))), None),
    "elif condition reads what the if branch assigns (oracle: conditions first)": (
        lambda: one("BEGIN", lambda: _if_assigns_elif_reads()), "used-before-assigned"),
    # the kernel's `x is no read of the global x (the corpus' tst.badcopyin.d)
    "glob x = f(`x)": (lambda: one("BEGIN", lambda: setattr(glob, "lbolt", ksym("lbolt") + 0)), None),
    "self += in a later clause": (lambda: _with_keep(two(
        ("syscall::read:entry", lambda: setattr(self, "n", 1), None),
        ("syscall::write:entry", lambda: _iadd(self, "n"), None)), "n"), None),
    # built-in variables, library variables and constants are read-only
    "execname =": (lambda: one("BEGIN", lambda: assign(execname, "x")), "assigned-read-only"),
    "pid =": (lambda: one("BEGIN", lambda: assign(pid, 1)), "assigned-read-only"),
    "arg0 =": (lambda: one("BEGIN", lambda: assign(arg0, 1)), "assigned-read-only"),
    "args[0] =": (lambda: one("syscall::read:entry", lambda: assign(args[0], 1)), "assigned-read-only"),
    "timestamp +=": (lambda: one("BEGIN", lambda: assign(timestamp, 1, "+=")), "assigned-read-only"),
    "pid++": (lambda: one("BEGIN", lambda: stmt(postinc(pid))), "assigned-read-only"),
    "curpsinfo member =": (lambda: one("BEGIN", lambda: setattr(curpsinfo, "pr_pid", 1)), "assigned-read-only"),
    "glob.execname =": (lambda: one("BEGIN", lambda: setattr(glob, "execname", "x")), "assigned-read-only"),
    "B_READ =": (lambda: one("BEGIN", lambda: assign(B_READ, 0)), "assigned-read-only"),
    "glob.B_READ =": (lambda: one("BEGIN", lambda: setattr(glob, "B_READ", 0)), "assigned-read-only"),
    "glob.limit =": (lambda: one("BEGIN", lambda: (setattr(glob, "limit", 0), trace(glob.limit))), None),
    # aggregating functions and aggregations are no values
    "trace(count())": (lambda: one("BEGIN", lambda: trace(count())), "aggregation-value"),
    "printf(sum())": (lambda: one("BEGIN", lambda: printf("%d\n", sum(1))), "aggregation-value"),
    "count() + 1": (lambda: one("BEGIN", lambda: trace(count() + 1)), "aggregation-value"),
    "stmt(count())": (lambda: one("BEGIN", lambda: stmt(count())), "aggregation-value"),
    "count() as a key": (lambda: one("BEGIN", lambda: agg.a.__setitem__(count(), count())), "aggregation-value"),
    "sum(count())": (lambda: one("BEGIN", lambda: setattr(agg, "a", sum(count()))), "aggregation-value"),
    "count() as a predicate": (lambda: one("BEGIN", lambda: trace(1), when=count()), "aggregation-value"),
    "trace(@a)": (_agg_then(lambda: trace(agg.a)), "aggregation-value"),
    "printa, trunc, normalize, clear": (_agg_then(lambda: (printa(agg.a), printa("%@d\n", agg.a), trunc(agg.a, 5),
                                                           normalize(agg.a, 2), clear(agg.a))), None),
    "clear(@a[k]), trunc(@a[k])": (lambda: one("BEGIN", lambda: (agg.a.__setitem__(1, count()), clear(agg.a[1]),
                                                                trunc(agg.a[1], 2))), None),
    "trunc(@a, @a)": (_agg_then(lambda: trunc(agg.a, agg.a)), "aggregation-value"),
    "printa(@)": (lambda: one("BEGIN", lambda: (agg.__setitem__(1, count()), printa(anon_agg))), None),
    # arguments that must be integer constants in a range
    "stack(-1)": (lambda: one("BEGIN", lambda: stack(-1)), "constant-argument"),
    "stack(0)": (lambda: one("BEGIN", lambda: stack(0)), "constant-argument"),
    "stack(arg0)": (lambda: one("BEGIN", lambda: stack(arg0)), "constant-argument"),
    "stack(2 + 3)": (lambda: one("BEGIN", lambda: stack(lit(2) + 3)), None),
    "stack(5)": (lambda: one("BEGIN", lambda: stack(5)), None),
    "ustack(-5)": (lambda: one("BEGIN", lambda: ustack(-5)), "constant-argument"),
    "ustack(1, -1)": (lambda: one("BEGIN", lambda: ustack(1, -1)), "constant-argument"),
    "ustack(1, arg0)": (lambda: one("BEGIN", lambda: ustack(1, arg0)), "constant-argument"),
    "ustack(1, 0)": (lambda: one("BEGIN", lambda: ustack(1, 0)), None),
    "tracemem(p, 0)": (lambda: one("BEGIN", lambda: tracemem(arg0, 0)), "constant-argument"),
    "tracemem(p, arg1)": (lambda: one("BEGIN", lambda: tracemem(arg0, arg1)), "constant-argument"),
    "tracemem(p, 10)": (lambda: one("BEGIN", lambda: tracemem(arg0, 10)), None),
    "lquantize base = limit": (_lq(100, 100, 10), "constant-argument"),
    "lquantize step 0": (_lq(0, 100, 0), "constant-argument"),
    "lquantize step -1": (_lq(0, 100, -1), "constant-argument"),
    "lquantize step too large": (_lq(0, 100, 200), "constant-argument"),
    "lquantize step over 16 bits": (_lq(0, 1000000, 70000), "constant-argument"),
    "lquantize too many levels": (_lq(0, 1000000, 1), "constant-argument"),
    "lquantize base over 32 bits": (_lq(-3000000000, 100, 10), "constant-argument"),
    "lquantize base a variable": (_lq(arg1, 100, 10), "constant-argument"),
    "lquantize from -100": (_lq(-100, 100, 10), None),
    "lquantize without step": (_lq(0, 100), None),
    "llquantize": (_llq(10, 0, 6, 20), None),
    "llquantize factor 1": (_llq(1, 0, 6, 20), "constant-argument"),
    "llquantize factor over 16 bits": (_llq(70000, 0, 1, 20), "constant-argument"),
    "llquantize high < low": (_llq(10, 6, 2, 20), "constant-argument"),
    "llquantize steps 0": (_llq(10, 0, 6, 0), "constant-argument"),
    "llquantize steps not dividing": (_llq(10, 0, 6, 3), "constant-argument"),
    "llquantize steps not a multiple": (_llq(10, 0, 6, 25), "constant-argument"),
    "llquantize overflow": (_llq(10, 0, 30, 20), "constant-argument"),
    "llquantize steps 100, low 0": (_llq(10, 0, 6, 100), None),
    "llquantize steps 1000, low 0": (_llq(10, 0, 6, 1000), "constant-argument"),
    "llquantize steps 100, low 1": (_llq(10, 1, 6, 100), None),
    # a program needs a clause
    "empty tracer": (lambda: Tracer(dialect="oracle", options={"quiet": True}), "empty-program"),
    # an aggregation is typed where the text first assigns it, as any variable
    "printa(@x) never assigned": (lambda: one("BEGIN", lambda: printa(agg.x)), "used-before-assigned"),
    "printa(@x) above its assignment": (lambda: two(
        ("BEGIN", lambda: printa(agg.x), None),
        ("END", lambda: setattr(agg, "x", count()), None)), "used-before-assigned"),
    "trunc(@x) never assigned": (lambda: one("BEGIN", lambda: trunc(agg.x, 5)), "used-before-assigned"),
    "printa(@) never assigned": (lambda: one("BEGIN", lambda: printa(anon_agg)), "used-before-assigned"),
    "printa(@x) below its assignment": (lambda: two(
        ("END", lambda: setattr(agg, "x", count()), None),
        ("BEGIN", lambda: printa(agg.x), None)), None),
    # arguments of the kind the function's prototype says; inlines of their type
    "strlen(12)": (lambda: one("BEGIN", lambda: trace(strlen(12))), "argument-type"),
    "strlen(arg0)": (lambda: one("BEGIN", lambda: trace(strlen(arg0))), "argument-type"),
    "strjoin(s, 1)": (lambda: one("BEGIN", lambda: trace(strjoin("a", 1))), "argument-type"),
    "htons(\"a\")": (lambda: one("BEGIN", lambda: trace(htons("a"))), "argument-type"),
    "exit(\"a\")": (lambda: one("BEGIN", lambda: exit("a")), "argument-type"),
    "strlen(0)": (lambda: one("BEGIN", lambda: trace(strlen(0))), None),
    "strlen(execname)": (lambda: one("BEGIN", lambda: trace(strlen(execname))), None),
    "strlen(copyinstr(arg0))": (lambda: one("BEGIN", lambda: trace(strlen(copyinstr(arg0)))), None),
    "htons(arg0)": (lambda: one("BEGIN", lambda: trace(htons(arg0))), None),
    "inline int = 'text'": (lambda: _inline("int", "text"), "inline-type"),
    "inline string = 1": (lambda: _inline("string", 1), "inline-type"),
    "inline uint32_t = 'x'": (lambda: _inline("uint32_t", "x"), "inline-type"),
    "inline int = 3": (lambda: _inline("int", 3), None),
    "inline string = 'text'": (lambda: _inline("string", "text"), None),
    "inline string = 0": (lambda: _inline("string", 0), None),
}


def _inline(type_text, value):
    t = Tracer(dialect="oracle")
    f = t.inline("f", type_text, value)
    t.probe("BEGIN")(lambda: trace(f))
    return t



# Not for the real dtrace here: Linux has no kernel symbol lbolt (illumos and macOS have).
NOT_JUDGED = {"glob x = f(`x)"}


def _if_assigns_elif_reads():
    glob.n = 0
    with if_(arg0 == 1):
        stmt(postinc(glob.n))
    with elif_(glob.m):
        trace(2)
    with if_(arg0 == 2):
        glob.m = 1


def _iadd(scope, name):
    value = getattr(scope, name)
    value += 1
    setattr(scope, name, value)


def _declared_then_iadd():
    t = Tracer(dialect="oracle")
    t.declare("total", "int")
    t.probe("BEGIN")(lambda: _iadd(glob, "total"))
    return t


def _refusal(build):
    """(the tracer or None, the error: a CompileError, a DSLError, or None)."""
    try:
        t = build()
    except DSLError as err:
        return None, err
    try:
        t.compile()
    except CompileError as err:
        return t, err
    return t, None


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_rules_refuse_at_the_users_line(name):
    build, rule = CASES[name]
    _, err = _refusal(build)
    if rule is None:
        assert err is None, f"{name}: refused: {err}"
        return
    assert isinstance(err, CompileError), f"{name}: not refused ({err!r})"
    checks = {f.check for f in err.findings}
    assert rule in checks, f"{name}: {err}"
    for finding in err.findings:
        if finding.check == rule:
            assert finding.pos is not None and finding.pos.file.endswith(HERE), finding.render()


def test_the_real_dtrace_refuses_what_the_rules_refuse_and_only_that():
    jobs, expected = {}, {}
    for name, (build, rule) in CASES.items():
        t, err = _refusal(build)
        if t is None or name in NOT_JUDGED:
            continue
        jobs[name] = job_for_d(unchecked_d(t) if rule is not None else t.to_d())
        expected[name] = rule
    verdicts = judge_scripts(jobs)
    wrong = {name: (expected[name], verdicts[name]) for name in jobs
             if (expected[name] is None) != (verdicts[name] is None)}
    assert not wrong, "\n".join(f"{name}: rule {rule}, dtrace: {why or 'accepted'}"
                                for name, (rule, why) in wrong.items())


def test_the_cli_says_where_and_exits_1(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text(textwrap.dedent("""\
        from dtracepy import Tracer, count, execname, printf, stack, trace
        t = Tracer()

        @t.probe("BEGIN")
        def _():
            trace(count())
            stack(-1)
            printf("%s\\n", execname)
        """))
    result = subprocess.run([sys.executable, "-m", "dtracepy", "compile", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert "bad.py:6: error: count() is an aggregating function" in result.stderr
    assert "bad.py:7: error: stack() argument #1 must be a non-zero positive integer constant, not -1" in result.stderr


def test_an_empty_tracer_is_an_error_at_its_line():
    t = Tracer()  # the line below
    with pytest.raises(CompileError, match=r"no probe clause.*empty D program translation unit") as info:
        t.to_d()
    assert info.value.pos.file.endswith(HERE)
    t.clause("BEGIN")
    assert "BEGIN" in t.to_d()


def test_the_llquantize_rule_only_oracle_has():
    """steps > factor must divide factor ** (low + 1) in Oracle's D only (Apple's tst.steps.d and
    tst.llquantsteps.d use llquantize(x, 10, 0, 10, 1000))."""
    for dialect, refused in (("oracle", True), ("illumos", False), ("macos", False)):
        t = Tracer(dialect=dialect)

        @t.probe("BEGIN")
        def _():
            agg.a = llquantize(arg0, 10, 0, 10, 1000)

        if refused:
            with pytest.raises(CompileError, match="must divide the factor squared"):
                t.compile()
        else:
            assert "llquantize(arg0, 10, 0, 10, 1000)" in t.to_d()
