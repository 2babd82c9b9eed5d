"""Issue 8, session 24 (import25): the writer breaks ``target = a + b + ...`` from the chain it
wrote, not by parsing the line back, and finds the text of a type once.

``pyfmt.wrap`` parsed each statement too long for a line with ``ast.parse`` to break it: half
the writing of ``x = a+b+c+d+e+f+g+h;`` (the shape that held ``--exact``'s bound).  The
expression writer now keeps a binary operation's parts (``exprs.Chain``) and
``pyfmt.wrap_chain`` breaks the statement from them; the lines must be those ``wrap`` gives,
which the tests compare on generated expressions.  ``exprs.type_text`` read each declaration's
type back through the DSL; now once a distinct type.

Not timed: the tests count ``ast.parse`` calls and the DSL's readings of a type, and compare
modules with the old path's (docs/PERFORMANCE.md, "Session 24, import25")."""

from __future__ import annotations

import ast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dtracepy.importer import CannotImport, exprs, import_d, pyfmt


def _dense(n: int) -> str:
    return "BEGIN{\n" + "x = a+b+c+d+e+f+g+h;\n" * n + "}\n"


def _counting_parses(monkeypatch) -> dict:
    counts = {"parse": 0}
    parse = ast.parse

    def counting(*args, **kwargs):
        counts["parse"] += 1
        return parse(*args, **kwargs)

    monkeypatch.setattr(pyfmt.ast, "parse", counting)
    return counts


def _old_path(monkeypatch):
    """The writer as it was: every long statement broken by ``pyfmt.wrap``."""
    monkeypatch.setattr(pyfmt, "wrap_chain", lambda *args, **kwargs: None)


def test_dense_statements_are_broken_without_parsing_them_back(monkeypatch):
    """200 statements ``x = a+b+...+h;`` (each too long for a line): no ``ast.parse`` (200 on the
    old code), and the module is the old path's."""
    counts = _counting_parses(monkeypatch)
    for exact in (False, True):
        module = import_d(_dense(200), "x.d", exact=exact, verify=False)
        assert counts["parse"] == 0
        assert module.count('        + builtin("h")\n') == 200
        with monkeypatch.context() as m:
            _old_path(m)
            assert import_d(_dense(200), "x.d", exact=exact, verify=False) == module
        counts["parse"] = 0


def test_a_long_operand_or_chain_goes_to_wrap(monkeypatch):
    """An operand longer than a line is broken inside by ``wrap`` (a chain of more than
    CHAIN_OPERANDS too, which ``ast.parse`` may refuse as nested too deeply): the same lines as
    the old path."""
    long_name = "a" * 100
    chain = "+".join(f"v{i}" for i in range(pyfmt.CHAIN_OPERANDS + 5))
    for d in (f"BEGIN{{ x = {long_name} + b + c; }}\n", f"BEGIN{{ x = {chain}; }}\n",
              "BEGIN{ x = b + strjoin(\"" + "s" * 90 + "\", \"t\"); }\n"):
        counts = _counting_parses(monkeypatch)
        module = import_d(d, "x.d", exact=True)
        assert counts["parse"] >= 1
        with monkeypatch.context() as m:
            _old_path(m)
            assert import_d(d, "x.d", exact=True) == module


_LEAVES = st.sampled_from(["a", "b", "arg0", "self->s", "this->t", "1", "0x10", "-1", "'c'", '"str"',
                           "count", "@x", "timestamp", "x[1]", "y.z", "curthread->t_pid", "NULL",
                           "strlen(\"abcdefgh\")", "stringof(arg1)", "-a", "~b", "!c", "sizeof(int)",
                           "(char *)arg0", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "execname",
                           "bbbbbbbbbbbbbbbbbbbb", "\"ü\""])
_OPS = st.sampled_from(["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "==", "<", "!=", "&&", "||",
                        "?:", "="])


@st.composite
def _expressions(draw, depth=0):
    if depth > 4 or draw(st.integers(0, 3)) == 0:
        return draw(_LEAVES)
    op = draw(_OPS)
    left, right = draw(_expressions(depth + 1)), draw(_expressions(depth + 1))
    if op == "?:":
        return f"({left} ? {right} : {draw(_LEAVES)})"
    if op == "=":
        return f"(q = {right})"
    return f"({left} {op} {right})" if draw(st.booleans()) else f"{left} {op} {right}"


@st.composite
def _chains(draw):
    """Runs of operands long enough to break: one operator, or ``+`` and ``-`` mixed."""
    ops = draw(st.sampled_from([["+"], ["+", "-"], ["*"], ["|"], ["<<"], ["&", "^"], ["=="]]))
    operands = draw(st.lists(_expressions(3), min_size=2, max_size=14))
    text = operands[0]
    for operand in operands[1:]:
        text += f" {draw(st.sampled_from(ops))} {operand}"
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_expressions(), _chains()), min_size=1, max_size=4), st.sampled_from(["x", "self->y", "this->z", "@w",
                                                                           "@v[pid]", "x[1]"]),
       st.sampled_from(["=", "+=", "<<="]), st.sampled_from(["", "if (a) { ", "if (a) { if (b) { "]))
def test_the_chains_lines_are_wraps(values, target, op, nesting):
    """For generated expressions (operators, parentheses, leaves of every kind) assigned to every
    kind of target, at several indentations: the module is the one ``wrap`` alone wrote."""
    if target.startswith("@") and op == "<<=":
        op = "+="
    body = "".join(f"{nesting}{target} {op} {value};{' }' * nesting.count('{')}\n" for value in values)
    d = f"int x[int];\nBEGIN{{\n{body}}}\n"
    try:
        module = import_d(d, "x.d", exact=False, verify=False)
    except CannotImport:
        return
    with pytest.MonkeyPatch.context() as m:
        _old_path(m)
        assert import_d(d, "x.d", exact=False, verify=False) == module


def test_wrap_chain_gives_none_where_wrap_must_break_inside():
    """A chain whose operand does not fit on its line is left to ``wrap``."""
    names = exprs.Names()
    emitter = exprs.ExprEmitter(names)
    from dtracepy.parser import parse

    value = parse("BEGIN{ x = " + "b" * 90 + " + c; }", "x.d").items[0].body[0].expr.value
    py = emitter.emit(value)
    assert isinstance(py, exprs.Chain)
    assert pyfmt.wrap_chain("glob.x = ", py, "    ") is None
    short = emitter.emit(parse("BEGIN{ x = b + c; }", "x.d").items[0].body[0].expr.value)
    assert pyfmt.wrap_chain("glob.x = ", short, "    ") == ["    glob.x = (", "        builtin(\"b\")",
                                                         "        + builtin(\"c\")", "    )"]


def test_a_declarations_type_is_read_back_once(monkeypatch):
    """300 declarations ``int xN;``: the DSL reads the type ``int`` back once for all (300 times on
    the old code), the module the same as when it is read each time."""
    from dtracepy.dsl import types

    exprs._type_text.cache_clear()
    calls = {"n": 0}
    read = types.type_name

    def counting(text, *args, **kwargs):
        calls["n"] += 1
        return read(text, *args, **kwargs)

    monkeypatch.setattr(types, "type_name", counting)
    d = "".join(f"int x{i};\n" for i in range(300)) + "BEGIN{}\n"
    module = import_d(d, "x.d", exact=False, verify=False)
    assert calls["n"] <= 2
    assert module.count('t.declare("x') == 300
    exprs._type_text.cache_clear()
    with monkeypatch.context() as m:
        m.setattr(exprs, "type_text", lambda type_name: exprs._type_text.__wrapped__(type_name))
        assert import_d(d, "x.d", exact=False, verify=False) == module


@pytest.mark.parametrize("d", ["BEGIN{ x = a + b; }\n" * 3, _dense(30)])
def test_the_proof_still_fails_when_the_chain_would_not_give_the_d_back(monkeypatch, d):
    """The proof is a proof: a module whose chain rebuilds other D (here ``+`` written as ``-``)
    is refused at the clause, not written."""
    real = exprs.ExprEmitter.e_Binary

    def wrong(self, node):
        py = real(self, node)
        if isinstance(py, exprs.Chain) and py.op == "+":
            return exprs.Chain(py.code.replace(" + ", " - "), py.prec, "-", py.left, py.ltext, py.rtext)
        return py

    monkeypatch.setattr(exprs.ExprEmitter, "e_Binary", wrong)
    with pytest.raises(CannotImport, match="exactly"):
        import_d(d, "x.d", exact=True)
