"""if/else lowered to predicated clauses where the dialect has none (Oracle D): the tree and text.

What the lowered D does on the real DTrace is in tests/test_lower_if_dtrace.py.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from dtracepy import (CompileError, Tracer, arg0, elif_, else_, if_, parse, printf, speculate, this,
                      tree)
from dtracepy.passes.lower_if import lower_if_else
from dtracepy.passes import PassContext

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _tracer(dialect="oracle"):
    t = Tracer(options={"quiet": True}, dialect=dialect)

    @t.probe("BEGIN", when=arg0 == 0)
    def _():
        this.x = 3
        printf("start\n")
        with if_(this.x > 1):
            printf("big\n")
        with elif_(this.x == 1):
            printf("one\n")
        with else_():
            printf("small\n")
        printf("end\n")

    return t


def _user_stmts(program):
    """The program's statements other than the lowering's own, in the order they are written."""
    out = []
    for clause in program.clauses:
        for stmt in clause.body or ():
            if isinstance(stmt, tree.ExprStmt) and isinstance(stmt.expr, tree.Assign) and \
                    stmt.expr.target == tree.ThisVar("_next"):
                continue
            out.append(stmt)
    return out


def test_oracle_lowers_if_to_predicated_clauses_on_the_same_probes():
    compiled = _tracer().compile()
    program = compiled.program
    assert not any(isinstance(n, tree.If) for n in program.walk())
    assert all(c.probes == (tree.ProbeDesc("BEGIN"),) for c in program.clauses)
    text = compiled.text
    assert "Oracle D has no if/else" in text and "this->_next" in text
    # the clause's predicate once, the conditions once each, the else-if nested in the first
    assert text.count("arg0 == 0") == 1
    assert "this->_next = this->x > 1 ? 2 : this->x == 1 ? 3 : 4;" in text
    assert text.count("this->x > 1") == 1 and text.count("this->x == 1") == 1
    # the first clause resets the part number, unconditionally
    first = program.clauses[0]
    assert first.predicate is None and first.body == (
        tree.ExprStmt(tree.Assign("=", tree.ThisVar("_next"), tree.IntLit("0"))),)
    # statements in their order
    printed = [s.expr.args[0].value for s in _user_stmts(program) if isinstance(s.expr, tree.Call)]
    assert printed == ["start\n", "big\n", "one\n", "small\n", "end\n"]
    assert parse(text) == program


def test_native_if_where_the_dialect_has_it():
    for dialect in ("illumos", "freebsd", "macos"):
        text = _tracer(dialect).to_d()
        assert "if (this->x > 1) {" in text and "_next" not in text


def test_compile_dialect_overrides_the_tracers():
    assert "_next" in _tracer("illumos").compile(dialect="oracle").text
    assert "if (" in _tracer("oracle").compile(dialect="illumos").text


def test_nested_ifs_and_statements_after_them_keep_their_order():
    t = Tracer(dialect="oracle")

    @t.probe("BEGIN")
    def _():
        this.a = 1
        with if_(this.a):
            this.b = 2
            with if_(this.b > 1):
                this.c = 3
            with else_():
                this.c = 4
            this.d = this.c
        with else_():
            this.d = 5
        printf("%d\n", this.d)

    program = t.program()
    names = [s.expr.target.name for s in _user_stmts(program) if isinstance(s.expr, tree.Assign)]
    assert names == ["a", "b", "c", "c", "d", "d"]
    # every part number assigned names a later clause; no clause tests a number twice
    tested = [c.predicate.right.value for c in program.clauses[2:]]
    assert tested == sorted(set(tested))


def test_a_program_using_this_next_gets_another_name():
    t = Tracer(dialect="oracle")

    @t.probe("BEGIN")
    def _():
        this._next = 1
        with if_(this._next):
            printf("x\n")

    assert "this->_next2 = this->_next ? 2 : 0;" in t.to_d()


def test_a_clause_that_speculates_is_not_split_and_its_if_is_refused_at_its_line():
    t = Tracer(dialect="oracle")

    @t.probe("BEGIN")
    def _():
        speculate(1)
        with if_(arg0):
            printf("x\n")

    with pytest.raises(CompileError) as info:
        t.to_d()
    assert "speculate()" in info.value.message and "dialect-if" in info.value.message
    assert info.value.pos.file.endswith("test_lower_if.py")
    assert info.value.pos.line == _.__code__.co_firstlineno + 3  # the with if_ line


def test_the_pass_leaves_programs_without_if_alone():
    program = parse("BEGIN { x = 1; }\n")
    assert lower_if_else(program, PassContext(dialect="oracle")) is program
    program = parse("BEGIN { if (x) y = 1; }\n")
    assert lower_if_else(program, PassContext(dialect="illumos")) is program


def test_cli_dialect_flag(tmp_path):
    source = tmp_path / "t.py"
    source.write_text(
        "from dtracepy import Tracer, if_, printf, arg0\n"
        "t = Tracer()\n"
        "@t.probe('BEGIN')\n"
        "def _():\n"
        "    with if_(arg0 > 1):\n"
        "        printf('x')\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "dtracepy", "compile", str(source), *args],
                              capture_output=True, text=True, env=env, cwd=tmp_path)

    native = run()
    assert native.returncode == 0 and "if (arg0 > 1)" in native.stdout
    lowered = run("--dialect", "oracle", "--check")
    assert lowered.returncode == 0, lowered.stderr
    assert "if (" not in lowered.stdout and "this->_next = arg0 > 1 ? 2 : 0;" in lowered.stdout
    bad = run("--dialect", "solaris")
    assert bad.returncode == 2


def test_a_thousand_nested_ifs_and_elifs_lower(tmp_path):
    import contextlib

    t = Tracer(dialect="oracle")

    @t.probe("BEGIN")
    def _():
        with contextlib.ExitStack() as stack:
            for i in range(1000):
                stack.enter_context(if_(arg0 > i))
            printf("deep\n")

    @t.probe("END")
    def _end():
        with if_(arg0 == 0):
            printf("0")
        for i in range(1, 1000):
            with elif_(arg0 == i):
                printf("x")

    program = t.program()
    assert not any(isinstance(n, tree.If) for n in program.walk())
    assert len(program.clauses) > 1000
