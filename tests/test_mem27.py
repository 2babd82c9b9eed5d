"""Session 26, helper mem27 (issue 8): an assignment's value that is a name near its target holds
the target's stored offset (``tree.shifted_ident``: no int of its own).  Neither the tree as read
nor what a check says changes."""

from __future__ import annotations

import copy
import gc
import re
import tracemalloc
import pickle

import attrs
import pytest

from dtracepy import parser, printer
from dtracepy import parser as P
from dtracepy import tree as T
from dtracepy.checks import check_program
from dtracepy.checks.context import Context
from dtracepy.source import position_at
from test_mem26 import _bytes_a_statement


def test_a_value_name_holds_no_offset_of_its_own():
    # x=y; was 280 bytes a statement: an ExprStmt (48), an Assign (64), two Idents (48 each), the
    # offsets of x and of y (32 each: x's shared by the statement and the assignment) and the
    # body's slot (8).  y now stores x's offset: 248.  Measured: allocations, not time.
    n = 20_000
    assert _bytes_a_statement(lambda k: "BEGIN{" + "x=y;" * k + "}", n) <= 256
    assert _bytes_a_statement(lambda k: "BEGIN{" + "self->a = b;" * k + "}", n) <= 256


def _names(text):
    program = parser.parse(text, "s.d")
    return [node for node in program.walk() if isinstance(node, T.Ident)], program


@pytest.mark.parametrize("text", [
    "BEGIN{x=y;}", "BEGIN{x = y;}", "BEGIN{x += y;}", "BEGIN{ self->a = yy ; }", "BEGIN{x = y, z;}",
    "BEGIN{x = y}", "BEGIN{a[1] = y;}", "BEGIN{\n x =\n\n   y;}", "BEGIN{x=y;x=y;}\nEND{w >>= y;}",
    "BEGIN{x = /* a comment longer than the farthest shift there is */ y;}",
])
def test_a_value_name_is_where_it_was(text):
    # The value's position, as read from the node (pos, _at, a finding's), is the text's.
    names, program = _names(text)
    values = [node for node in names if node.name in ("y", "yy")]
    wanted = [(text.count("\n", 0, m.start(1)) + 1, m.start(1) - text.rfind("\n", 0, m.start(1)))
              for m in re.finditer(r"=\s*(?:/\*.*?\*/\s*)?(y+)", text)]
    assert [(node.pos.line, node.pos.col) for node in values] == wanted
    assert all(node.__class__ is T.Ident and isinstance(node, T.Ident) for node in values)
    assert [position_at(node._at) for node in values] == [node.pos for node in values]
    assert all((node.module, node.is_global) == (None, False) for node in values)
    findings = check_program(program, source=text)
    assert [f.pos for f in findings if f.check == "undefined-name"][:1] == [values[0].pos]


def test_a_shifted_name_is_the_node_it_was():
    names, program = _names("BEGIN{x=y;}")
    node = names[1]
    assert type(node) is T.shifted_ident(2)  # (the hidden class: what the test is about)
    plain = T.Ident("y", pos=node.pos)
    assert plain == node and hash(plain) == hash(node) and repr(plain) == repr(node)
    for made in (pickle.loads(pickle.dumps(node)), copy.copy(node), copy.deepcopy(node), attrs.evolve(node)):
        assert made == node and made.__class__ is T.Ident and made.pos == node.pos
    assert attrs.evolve(node, name="z").pos == node.pos
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        node.pos = None
    assert printer.to_d(program) == printer.to_d(T.Program((T.Clause(
        program.items[0].probes, None, (T.ExprStmt(T.Assign("=", T.Ident("x"), T.Ident("y"))),)),)))
    assert T.scoped_names(names) == [] and not T.any_scoped(names)


def _statements(n: int, statement: str) -> str:
    return "BEGIN{" + statement * n + "}\n"


def test_the_index_reads_a_bodys_names_from_its_assignments():
    # The index of 750,000 x=y; held a list of their 1,500,000 names (8 bytes each, 12 MB of
    # check's peak); it reads them from its list of the assignments (8 bytes a statement).
    n = 50_000
    program = P.parse(_statements(n, "x=y;"), "d.d")
    context = Context(program, None)
    gc.collect()
    tracemalloc.start()
    try:
        index = context._by_class
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept / n < 12, kept / n  # (the assignments' list: 8 bytes a statement and its growth)
    names = index[T.Ident]
    assert len(names) == 2 * n and [node.name for node in list(names)[:4]] == ["x", "y", "x", "y"]
    assert names[3] is program.items[0].body[1].expr.value


@pytest.mark.parametrize("text", [
    # a body of assignments of names, then more names: by the general walk, from a declaration,
    # a predicate, another such body, and before one
    _statements(40, "x=y;") + "END { if (z) { w; } }\n",
    _statements(40, "x=y;") + "int a[N];\n",
    _statements(40, "x=y;") + "END /w/ { trace(v); }\n",
    _statements(40, "x=y;") + _statements(30, "w = v;") + _statements(20, "u;"),
    "END { y; z = 1; }\n" + _statements(40, "x = y;"),
    _statements(40, "x=y;") + "END { a = b + 1; c = d; }\n" + _statements(20, "x=y;"),
])
def test_the_index_with_the_names_of_a_body_is_the_walks(text):
    program = P.parse(text, "d.d")
    walked: dict = {}
    for node in program.walk():
        walked.setdefault(node.__class__, []).append(node)
    index = Context(program, None)._by_class
    assert {cls: list(nodes) for cls, nodes in index.items()} == walked
    assert all(list(map(id, index[cls])) == list(map(id, walked[cls])) for cls in walked)
    assert check_program(program, source=text) == check_program(P.parse(text, "d.d"), source=text)
