"""Adversarial text at every DSL entry point that takes a string or a node (issue 8, property 1).

For each entry point, hypothesis builds a small tracer around one hostile string: a line break,
``*/``, ``#pragma D option destructive``, ``system("id")``, quotes, backslashes, NUL ... in any
mix.  Either building or compiling it fails with a located error, or the emitted D, parsed back,
holds exactly the items and statements the tracer asked for, and calls no destructive action,
neither as written nor after the C preprocessor (``dtrace -C``) has expanded it.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dtracepy import (
    Tracer, agg, arg0, arrow, at, builtin, call, cast, char, charlit, const, count, curpsinfo, dot, glob,
    ksym, macro, num, offsetof, printf, self, sizeof, stmt, this, trace, xlate,
)
from dtracepy import tree as T
from dtracepy.dsl import context
from dtracepy.errors import DTracePyError
from dtracepy.facts.functions import DESTRUCTIVE
from dtracepy.parser import parse
from dtracepy.preprocess import preprocess

FRAGMENTS = [
    "\n", "\r", "\t", " ", ";", "{", "}", "(", ")", "[", "]", '"', "'", "\\", "\\\n", "*/", "/*",
    "//", "#", "##", "#pragma D option destructive", "#define trace system", "BEGIN", "END",
    'system("id")', "system", "raise(9)", "x", "_y1", "int", "self", "quiet", "8m", "=", "->", ".",
    ",", ":", "`", "$", "$1", "%", "%d", "@", "*", "/", "\x00", "\x7f", "é", "\u2028", "0x10", "42",
]
_PIECES = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=2), min_size=0, max_size=8).map("".join)
# Mostly hostile mixes; some a plausible value (a name, a size) with or without a hostile tail,
# so that the entry points also succeed and their D is read back.
HOSTILE = st.one_of(
    _PIECES,
    st.tuples(st.from_regex(r"[a-z_][a-z0-9_]{0,6}|[0-9]{1,3}[km]?", fullmatch=True),
              st.sampled_from(["", ""] + FRAGMENTS)).map("".join),
)


def _probe(t, body):
    @t.probe("BEGIN")
    def _():
        body()


def _assign(var):
    from dtracepy.dsl.scopes import assign

    assign(var, 1)


def _body(fn, **tracer):
    t = Tracer(**tracer)
    _probe(t, fn)
    return t


def _tracer(**kwargs):
    t = Tracer(**kwargs)
    _probe(t, lambda: trace(1))
    return t


def _with(fn):
    t = Tracer()
    fn(t)
    _probe(t, lambda: trace(1))
    return t


def _module_doc(text):
    """A tracer module whose docstring is ``text``, chosen as ``dtracepy compile`` chooses it."""
    import types

    from dtracepy.commands.compile_cmd import choose

    module = types.ModuleType("hostile_doc", text)
    module.t = _tracer()
    return choose(module, "hostile_doc.py", None)


def _probe_doc(text):
    """A probe function whose docstring is ``text`` (as written in its source)."""
    t = Tracer()
    scope = {"t": t, "trace": trace}
    exec(f"@t.probe('BEGIN')\ndef _():\n    {text!r}\n    trace(1)\n", scope)  # noqa: S102
    return t


def _clear_at(text):
    t = Tracer()

    @t.probe("syscall::read:entry")
    def _():
        self.x = 1

    t.clear(self.x, at=text)
    return t


def _clause(probe="BEGIN", predicate=None, value=None):
    body = (T.ExprStmt(T.Call(T.Ident("trace"), (value if value is not None else T.IntLit("1"),))),)
    return _with(lambda t: t.add(T.Clause((T.ProbeDesc(probe),), predicate, body)))


# entry point -> a function of the hostile text that builds a tracer using it there
ENTRIES = {
    "this": lambda s: _body(lambda: _assign(this(s))),
    "self": lambda s: _body(lambda: _assign(self(s))),
    "glob": lambda s: _body(lambda: _assign(glob(s))),
    "agg": lambda s: _body(lambda: agg(s).__setitem__(0, count())),
    # (a name starting with _ is Python's own business: getattr raises AttributeError for it)
    "member getattr": lambda s: _body(lambda: trace(getattr(curpsinfo, s) if s[:1] != "_" else 0)),
    "member dot": lambda s: _body(lambda: trace(dot(curpsinfo, s))),
    "member arrow": lambda s: _body(lambda: trace(arrow(curpsinfo, s))),
    "option value": lambda s: _tracer(options={"bufsize": s}),
    "option name": lambda s: _tracer(options={s: True}),
    "t.option": lambda s: _with(lambda t: t.option("switchrate", s)),
    "pragma option": lambda s: _with(lambda t: t.pragma("D", "option", s)),
    "pragma words": lambda s: _with(lambda t: t.pragma(*s.split(" "))),
    "define value": lambda s: _tracer(defines={"X": s}),
    "define name": lambda s: _tracer(defines={s: "1"}),
    "t.define": lambda s: _with(lambda t: t.define("Y", s)),
    "include": lambda s: _tracer(includes=[s]),
    "t.include": lambda s: _with(lambda t: t.include(s)),
    "inline name": lambda s: _with(lambda t: t.inline(s, "int", 1)),
    "declare name": lambda s: _with(lambda t: t.declare(s, "int")),
    "char": lambda s: _body(lambda: trace(char(s))),
    "offsetof": lambda s: _body(lambda: trace(offsetof("struct s", s))),
    "builtin": lambda s: _body(lambda: trace(builtin(s))),
    "ksym": lambda s: _body(lambda: trace(ksym(s))),
    "ksym module": lambda s: _body(lambda: trace(ksym("x", s))),
    "call": lambda s: _body(lambda: stmt(call(s, 1))),
    "string value": lambda s: _body(lambda: trace(s)),
    "printf format": lambda s: _body(lambda: printf(s)),
    "record title": lambda s: _with(lambda t: t.record((s, "%d"))),
    "record sep": lambda s: _with(lambda t: t.record(("A", "%d"), ("B", "%d"), sep=s)),
    "probe spec": lambda s: _with(lambda t: t.probe(s)(lambda: trace(2))),
    "description": lambda s: _tracer(description=s),
    "tracer name": lambda s: _tracer(name=s),
    "macro doc": lambda s: _body(lambda: trace(macro(1, s))),
    "add comment": lambda s: _with(lambda t: t.add(T.Comment(s))),
    "add directive": lambda s: _with(lambda t: t.add(T.Directive("define", s))),
    "add pragma": lambda s: _with(lambda t: t.add(T.Pragma(tuple(s.split(" "))))),
    "raw ident": lambda s: _body(lambda: trace(T.Ident(s))),
    "raw int": lambda s: _body(lambda: trace(T.IntLit(s))),
    "raw char": lambda s: _body(lambda: trace(T.CharLit(s))),
    # (review 9, §2.1: the entry points the first version did not draw)
    "shebang": lambda s: _tracer(shebang=s),
    "t.directive name": lambda s: _with(lambda t: t.directive(s, "X")),
    "t.directive text": lambda s: _with(lambda t: t.directive("if", s)),
    "t.declare_c": lambda s: _with(lambda t: t.declare_c(s)),
    "translator output": lambda s: _with(lambda t: t.translator(s, "int", "I", {"a": 1})),
    "translator input": lambda s: _with(lambda t: t.translator("struct o", s, "I", {"a": 1})),
    "translator name": lambda s: _with(lambda t: t.translator("struct o", "int", s, {"a": 1})),
    "translator member": lambda s: _with(lambda t: t.translator("struct o", "int", "I", {s: 1})),
    "translator value": lambda s: _with(lambda t: t.translator("struct o", "int", "I", {"a": s})),
    "provider name": lambda s: _with(lambda t: t.provider(s, "start(int)")),
    "provider probe": lambda s: _with(lambda t: t.provider("myapp", s)),
    "cast type": lambda s: _body(lambda: trace(cast(arg0, s))),
    "xlate type": lambda s: _body(lambda: trace(xlate(s, arg0))),
    "at type": lambda s: _body(lambda: trace(at(arg0, 8, s))),
    "sizeof type": lambda s: _body(lambda: trace(sizeof(s))),
    "declare type": lambda s: _with(lambda t: t.declare("x", s)),
    "inline type": lambda s: _with(lambda t: t.inline("x", s, 1)),
    "const": lambda s: _body(lambda: trace(const(s))),
    "num": lambda s: _body(lambda: trace(num(s))),
    "charlit": lambda s: _body(lambda: trace(charlit(s))),
    "record end": lambda s: _with(lambda t: t.record(("A", "%d"), end=s)),
    "clear at": _clear_at,
    "module docstring": _module_doc,
    "probe docstring": _probe_doc,
    "add clause probe": lambda s: _clause(probe=s),
    "add clause predicate": lambda s: _clause(predicate=T.Ident(s)),
    "add clause string": lambda s: _clause(value=T.StringLit(s)),
    "add clause call": lambda s: _with(lambda t: t.add(T.Clause((T.ProbeDesc("BEGIN"),), None, (
        T.ExprStmt(T.Call(T.Ident(s), (T.IntLit("1"),))),)))),
    "add declaration name": lambda s: _with(lambda t: t.add(T.Declaration(("int",), (T.NameDecl(s),)))),
    "add declaration type": lambda s: _with(lambda t: t.add(T.Declaration((s,), (T.NameDecl("x"),)))),
    "add declaration typeref": lambda s: _with(lambda t: t.add(T.Declaration((T.TypeRef(s),),
                                                                             (T.NameDecl("x"),)))),
}

#: Draws per entry point (each entry is its own test, so each gets them all).
PER_ENTRY = 30


def _items_kinds(program):
    return [type(item).__name__ for item in program.items]


def _destructive(program):
    return {n.name for n in program.walk() if isinstance(n, T.Call) and n.name in DESTRUCTIVE}


def _same_reading(node):
    """``node`` with D's one context-dependent reading made one: ``sizeof (name)`` is the size of
    a type when ``name`` is a typedef and of a variable otherwise, which only the program's types
    decide (dtrace reads ``sizeof("foo_t")``'s ``sizeof (foo_t)`` by the types it knows); read
    back without them, it is the variable."""
    import attrs

    if isinstance(node, T.SizeofExpr) and type(node.operand) is T.Ident and node.operand.module is None:
        return T.SizeofType(T.TypeName((T.TypeRef(node.operand.name),)))
    if isinstance(node, tuple):
        return tuple(_same_reading(x) for x in node)
    if isinstance(node, T.Node):
        return attrs.evolve(node, **{f.name: _same_reading(getattr(node, f.name))
                                     for f in attrs.fields(type(node)) if f.init and f.name != "pos"})
    return node


def _dtrace_shebang(first_line: str) -> bool:
    """An emitted ``#!`` line runs dtrace, with at most one word after it (what Linux passes)."""
    words = first_line[2:].split()
    return bool(words) and words[0].rsplit("/", 1)[-1] == "dtrace" and len(words) <= 2


@pytest.mark.parametrize("entry", sorted(ENTRIES))
@settings(max_examples=PER_ENTRY, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=HOSTILE)
def test_hostile_text_fails_located_or_means_only_what_was_asked(entry, text):
    try:
        tracer = ENTRIES[entry](text)
        compiled = tracer.compile()
    except DTracePyError as err:
        assert err.pos is not None, f"{entry}: unlocated error {err!r}"
        return
    finally:
        context.reset()
    assert "destructive" not in tracer.options
    first = compiled.text.split("\n", 1)[0]
    assert not first.startswith("#!") or _dtrace_shebang(first), (entry, text, first)
    back = parse(compiled.text, "<emitted>")
    # Exactly the items asked for, in order, and exactly the clauses (statements included).
    assert _items_kinds(back) == _items_kinds(compiled.program), (entry, text, compiled.text)
    assert _same_reading(back.clauses) == _same_reading(compiled.program.clauses), (entry, text, compiled.text)
    assert not _destructive(back), (entry, text, compiled.text)
    assert not any(p.words[:3] == ("D", "option", "destructive") for p in back.items
                   if isinstance(p, T.Pragma)), (entry, text)
    if compiled.text.startswith("#!/usr/sbin/dtrace -C"):
        # What dtrace -C runs: no destructive action appears after expansion either.
        try:
            expanded, _ = preprocess(compiled.text.split("\n", 1)[1], "<emitted>")
            program = parse(expanded, "<expanded>")
        except DTracePyError:
            return  # the real cpp + dtrace would refuse it too: nothing runs
        assert not _destructive(program), (entry, text, compiled.text)
