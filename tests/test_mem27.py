"""Session 26, helper mem27 (issue 8): an assignment's value that is a name near its target holds
the target's stored offset (``tree.shifted_ident``: no int of its own).  Neither the tree as read
nor what a check says changes."""

from __future__ import annotations

import copy
import re
import pickle

import attrs
import pytest

from dtracepy import parser, printer
from dtracepy import tree as T
from dtracepy.checks import check_program
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
