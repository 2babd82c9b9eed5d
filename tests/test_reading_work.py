"""The work reading D does per statement (session 12, issue 8: ``check`` of ``BEGIN{x;x;...}``,
3 MB, 1,500,000 statements, within 5 s): nodes built as builders (``tree.builder``), the checks'
index of a long body of lone operands made in C loops, the parser-stack rule's walk of short
statements skipped.  Counted as calls seen by ``sys.setprofile`` or by stand-ins, never timed;
the trees built are pinned to what the classes' own constructors make.
"""

from __future__ import annotations

import sys

import attrs
import pytest

from dtracepy import parser as P
from dtracepy import tree as T
from dtracepy import tree_inits
from dtracepy.checks import CheckOptions, check_program, parser_stack
from dtracepy.checks.context import Context
from dtracepy.errors import DSyntaxError
from test_lexer_work import _count

DENSE = ('syscall::read:entry, syscall::write:entry\n/pid == $target && self->ts == 0/\n{\n'
         '\tself->ts = timestamp; this->n = 1 + 2 * 3;\n\t@a[execname, probefunc] = count();\n'
         '\tprintf("%d %s\\n", pid, copyinstr(arg0)); x = y = z; a->b.c++; f(); $1;\n}\n')


def test_the_fast_parser_builds_its_nodes_without_their_init():
    # Before: each node's fast __init__ (tree_inits) stored every field through its slot's
    # descriptor, about 1,000 machine instructions a field; the builders store them plainly.
    n = 2000
    for text in ("BEGIN{" + "x;" * n + "}\n", "BEGIN{" + "x = y;" * n + "}\n"):
        assert _count(lambda: P.parse(text), "call", tree_inits.__file__) <= 10
    # a dense clause of 18 statements: its a->b.c++ (a Postfix, rarer, is made by its class)
    assert _count(lambda: P.parse(DENSE * 50), "call", tree_inits.__file__) <= 60


def test_a_lone_name_statement_is_no_call_of_the_fast_parser():
    # The statement loop makes a lone name's two nodes itself (unary() was called for each).
    n = 2000
    calls = _count(lambda: P.parse("BEGIN{" + "x;" * n + "}\n"), "call", P.__file__)
    assert calls <= 0.1 * n


def _node_classes():
    seen, stack = set(), [T.Node]
    while stack:
        cls = stack.pop()
        if cls.__name__.endswith("Builder") and cls in T._BUILDERS.values():
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
    return seen


@pytest.mark.parametrize("text", [
    DENSE, "BEGIN{" + "x;" * 40 + "}\n", "BEGIN{ `k; mod`sym; @; @a; 'c'; \"s\"; 0x10UL; this->t; }\n",
    "a:b:c:d, e::f:g /x/ { if (x) { y = -z; } else q[1, 2] = \"a\" + b; }\n",
])
def test_parsed_nodes_are_of_their_own_class_with_every_field_stored(text):
    # No builder instance escapes, and a builder stores what the class's constructor stores:
    # every field (a missing one would raise here), each equal to the automaton's.
    program = P.parse(text)
    classes = _node_classes()
    for node in program.walk():
        assert node.__class__ in classes, node.__class__
        for field in attrs.fields(node.__class__):
            getattr(node, field.name)
            value = T._POS_SLOT.__get__(node) if field.name == "pos" else getattr(node, field.name)
            assert value.__class__ is not list  # (converted: tuples)
    P.FAST_CLAUSES = False
    try:
        slow = P.parse(text)
    finally:
        P.FAST_CLAUSES = True
    assert program == slow
    assert [n.pos for n in program.walk()] == [n.pos for n in slow.walk()]
    # the DSL's notes too (no part of equality)
    assert [(n.is_global, n.module) for n in program.walk() if isinstance(n, T.Ident)] == \
        [(n.is_global, n.module) for n in slow.walk() if isinstance(n, T.Ident)]
    assert [n.doc for n in program.walk() if isinstance(n, T.MacroVar)] == \
        [n.doc for n in slow.walk() if isinstance(n, T.MacroVar)]


def test_a_builder_node_is_frozen_and_its_class_keeps_its_invariant(monkeypatch):
    node = P.parse("BEGIN{ x; }").items[0].body[0].expr
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        node.name = "y"
    # a name no Ident passed before is tested by Ident's own invariant, once
    tested = []
    real = T.Ident.__attrs_post_init__
    monkeypatch.setattr(T.Ident, "__attrs_post_init__", lambda self: tested.append(self.name) or real(self))
    monkeypatch.setattr(T, "_NAMES_SEEN", set())
    monkeypatch.setattr(P.tree, "_NAMES_SEEN", T._NAMES_SEEN)
    P.parse("BEGIN{ never_seen_a; never_seen_b = never_seen_a; never_seen_b; }")
    assert tested == ["never_seen_a", "never_seen_b"]
    with pytest.raises(TypeError):
        T.builder(int)


def test_a_builder_refuses_what_its_class_refuses(monkeypatch):
    # The inline tests stand for the classes' own: an operator a class refuses is refused when
    # built as a builder (the fast parser gives the clause up to the automaton, whose error it is).
    tokens = [("PDESC", "BEGIN", 0), ("LBRACE", "{", 5), ("IDENT", "x", 6), ("ASSIGN", "=", 7),
              ("IDENT", "y", 8), ("SEMI", ";", 9), ("RBRACE", "}", 10)]
    assert isinstance(P._clause_parser(int)(tokens), T.Clause)
    monkeypatch.setattr(T, "ASSIGN_OPS", frozenset())
    assert P._clause_parser(int)(tokens) is None
    with pytest.raises(DSyntaxError, match="not a D assignment operator"):
        P.parse("BEGIN{x=y;}")


def test_the_index_of_a_long_body_of_lone_operands_is_made_in_c_loops():
    # Before: two appends a statement (its ExprStmt and its Ident), a Python loop over them.
    n = 20_000
    program = P.parse("BEGIN{" + "x; 1; y;" * (n // 2) + "}\n", "d.d")
    context = Context(program, None)
    calls = _count(lambda: context._by_class, "c_call", sys.modules[Context.__module__].__file__)
    assert calls < 50
    index = context._by_class
    walked = list(program.walk())
    for cls in (T.ExprStmt, T.Ident, T.IntLit, T.ProbeDesc, T.Clause):
        assert list(index[cls]) == [node for node in walked if node.__class__ is cls]  # (a body's tuple: borrowed)
        assert list(map(id, index[cls])) == [id(node) for node in walked if node.__class__ is cls]
    assert T.SelfVar not in index


@pytest.mark.parametrize("text, classes", [
    ("x = y;", (T.ExprStmt, T.Assign, T.Ident)),
    ("x = 1;", (T.ExprStmt, T.Assign, T.Ident, T.IntLit)),
    ("this->x = y;", (T.ExprStmt, T.Assign, T.ThisVar, T.Ident)),
])
def test_the_index_of_a_long_body_of_assignments_is_made_in_c_loops(text, classes):
    """Session 13: 750,000 ``x=y;`` were indexed a statement at a time (four appends each); a body
    of assignments of one class of operand to one is indexed in C loops, in the walk's order."""
    n = 20_000
    program = P.parse("BEGIN{" + text * n + "}\n", "d.d")
    context = Context(program, None)
    calls = _count(lambda: context._by_class, "c_call", sys.modules[Context.__module__].__file__)
    assert calls < 50
    index = context._by_class
    walked = list(program.walk())
    for cls in (*classes, T.ProbeDesc, T.Clause):
        assert list(map(id, index[cls])) == [id(node) for node in walked if node.__class__ is cls]
    assert {cls for cls in index} == {node.__class__ for node in walked}
    assert context._holding() == set()  # (no statement holds a thread-local)


def test_a_short_statement_is_not_walked_by_parser_stack(monkeypatch):
    """``x = y;`` cannot reach the limit: told from the statements' offsets, without a walk (each
    of a body of 750,000 was walked: a third of its check).  A long one still is."""
    walked = []
    real = parser_stack._deepest
    monkeypatch.setattr(parser_stack, "_deepest", lambda expr, *rest: walked.append(expr) or real(expr, *rest))
    text = "BEGIN\n{\n" + "x = y;\n" * 3_000 + "y = 1 + 2;\n}\n"
    check_program(P.parse(text, "d.d"), CheckOptions(), source=text)
    # (the last, with no statement after it to measure it by, is told short by its nodes since
    # session 25: parser_stack._few_states)
    assert len(walked) == 0
    walked.clear()
    deep = "x = " + "!" * 9_992 + "1;"
    text = "BEGIN\n{\n" + "z;\n" + deep + "\ny = 1;\n" + "x = y;\n" * 3_000 + "}\n"
    found = [f for f in check_program(P.parse(text, "d.d"), CheckOptions(), source=text)
             if f.check == "parser-stack"]
    assert len(found) == 1 and len(walked) == 1  # (the deep one; the last is told short by its nodes)
