"""Session 25, helper mem26 (issue 8): a parsed name is a smaller node, and a body of simple
statements that differ in their digits (``self->v1 = 1; self->v2 = 1; ...``) is lexed from the
tokens of the first of its shape.  Neither changes what a tree is or what a check says."""

from __future__ import annotations

import copy
import gc
import pickle
import sys
import tracemalloc

import attrs
import pytest

from dtracepy import lexer, parser
from dtracepy import tree as T
from test_reading_speed import _lexer_steps, _token_by_token, _tokens


def _bytes_a_statement(text_of, n: int) -> float:
    """Memory held by the tree of a body of n statements, a statement (tracemalloc)."""
    parser.parse(text_of(10), "warm.d")  # (the parser's own first-use costs left out)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        program = parser.parse(text_of(n), "m.d")
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(program.items[0].body) == n
    return held / n


def test_a_parsed_name_holds_two_slots():
    # A name was 64 bytes (pos, name, module, is_global); now 48: 312 -> 280 bytes a statement
    # of x=y; (two names), 152 -> 136 of x; (one).  Measured: allocations, not time.
    n = 20_000
    assert _bytes_a_statement(lambda k: "BEGIN{" + "x=y;" * k + "}", n) <= 290
    assert _bytes_a_statement(lambda k: "BEGIN{" + "x;" * k + "}", n) <= 145
    assert sys.getsizeof(T.Ident("x")) < sys.getsizeof(T.Ident("x", "genunix"))
    assert T.Ident.__slots__ == ("name",)


@pytest.mark.parametrize("node", [
    T.Ident("x"), T.Ident("sym", "genunix"), T.Ident("sym", ""), T.Ident("g", is_global=True),
    T.Ident("x", pos=T.Pos("f.d", 3, 4)), T.Ident("", ""),
])
def test_a_name_is_the_node_it_was(node):
    # Fields, equality, hash, repr, evolve, pickling and copies as before, with or without a module.
    assert node.__class__ is T.Ident and isinstance(node, T.Ident)
    assert [a.name for a in attrs.fields(node.__class__)] == ["pos", "name", "module", "is_global"]
    again = T.Ident(node.name, node.module, pos=node.pos, is_global=node.is_global)
    assert again == node and hash(again) == hash(node) and repr(again) == repr(node)
    assert not (again != node)
    for made in (pickle.loads(pickle.dumps(node)), copy.copy(node), copy.deepcopy(node),
                 attrs.evolve(node)):
        assert made == node and made.__class__ is T.Ident
        assert (made.module, made.is_global, made.pos) == (node.module, node.is_global, node.pos)
    other = attrs.evolve(node, name="y")
    assert other.name == "y" and other.module == node.module and other.is_global == node.is_global
    if node.name:
        plain = attrs.evolve(node, module=None, is_global=False)
        assert plain.module is None and plain.is_global is False and plain.name == node.name
    assert attrs.evolve(T.Ident("x"), module="m") == T.Ident("x", "m") != T.Ident("x")
    assert repr(T.Ident("x", "m")) == "Ident(name='x', module='m')"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        node.name = "z"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        node.module = "z"


def test_a_name_keeps_its_invariants():
    with pytest.raises(T.DSLError):
        T.Ident("not a name")
    with pytest.raises(T.DSLError):
        T.Ident("x", "bad module")
    with pytest.raises(T.DSLError):
        T.Ident("if")
    assert T.Ident("", "").name == ""  # (a lone ` is an identifier to D's lexer)


def test_parsed_names_are_the_automatons():
    text = "BEGIN { x = y; `k = genunix`sym; z; }\nBEGIN { x = y; `k = genunix`sym; z; }\n" * 30
    program = parser.parse(text, "n.d")
    names = [n for n in program.walk() if n.__class__ is T.Ident]
    assert [(n.name, n.module) for n in names[:5]] == [("x", None), ("y", None), ("k", ""),
                                                       ("sym", "genunix"), ("z", None)]
    assert (names[2].pos.col, names[3].pos.col) == (16, 21) and all(n.is_global is False for n in names)


def _self_body(n: int, start: int = 0) -> str:
    return "BEGIN\n{\n" + "".join(f"self->v{i} = 1;\n" for i in range(start, start + n)) + "}\n"


def test_simple_statements_of_one_shape_cost_the_lexer_fewer_steps():
    # Each statement of self->vN = 1; was seen once, so read token by token: 64.2 steps a token
    # in session 24; 50.7 made from the tokens of the first text of its shape.
    assert _lexer_steps(_self_body(4000, 1000)) <= 56


def test_simple_statements_of_one_shape_have_the_tokens_of_a_scan_token_by_token(monkeypatch):
    texts = [
        _self_body(300, 5),
        # a name with digits that is a typedef in one text of a shape, not in another
        "typedef int t5;\nBEGIN{x1 = t1; x2 = t2; x3 = t3; x4 = t5; x6 = t6; x7 = t7;}\n",
        "BEGIN{x1 = t1; x2 = t2; x3 = t3;}\ntypedef int t5;\nBEGIN{x4 = t5; x6 = t6; x5 = t5;}\n",
        # numbers: a 0 is kept in the shape (07 is no plain decimal, 70 is)
        "BEGIN{x = 10; x = 20; x = 30; x = 07; x = 70; x = 01; x = 99999999999999999999;}",
        # a member's name after -> and .
        "BEGIN{a.b1 = c1; a.b2 = c2; a.b3 = c3; p->q4 = 4; p->q5 = 5; p->q6 = 6;}",
        "".join(f"BEGIN{{x{i} = y{i};x{i} = {i};}}\n" for i in range(lexer.SIMPLE_MISSES + 40)),
        "BEGIN{" + "".join(f"self->v{i} = {i} + y{i};" for i in range(2000)) + "}\n",
    ]
    for text in texts:
        assert _tokens(text) == _token_by_token(text, monkeypatch), text[:80]


def test_scoped_names_are_told_from_their_class():
    names = [T.Ident("x"), T.Ident("k", ""), T.Ident("g", is_global=True), T.Ident("y")]
    found = T.scoped_names(names)
    assert len(found) == 2 and found[0] is names[1] and found[1] is names[2]
    assert T.any_scoped(iter(names)) and not T.any_scoped(iter([names[0], names[3]]))
    assert T.scoped_names([names[0]]) == []
    assert [T.Call(n).name for n in names] == ["x", None, "g", "y"]
