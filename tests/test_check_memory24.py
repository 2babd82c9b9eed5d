"""What the checks hold beside the tree on a long body of small statements (issue 8, session 23:
``BEGIN{x;x;...}`` of 3 MB peaked at 273 MB).  Memory is measured with ``tracemalloc`` on
moderate inputs against generous bounds, never by the clock.
"""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from dtracepy import parser as P
from dtracepy import tree as T
from dtracepy.checks import check_program, parser_stack
from dtracepy.checks.context import Context


def _statements(n: int, statement: str = "x;") -> str:
    return "BEGIN{" + statement * n + "}\n"


def test_the_index_borrows_a_long_bodys_statements():
    """The index of the tree by class holds a long body of lone operands as the body's own tuple
    (a copy of it was 8 bytes a statement, 12 MB of check's peak for 1,500,000 ``x;``): what it
    keeps per statement is the list of the Idents alone."""
    n = 50_000
    program = P.parse(_statements(n), "d.d")
    context = Context(program, None)
    gc.collect()
    tracemalloc.start()
    try:
        index = context._by_class
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert index[T.ExprStmt] is program.items[0].body
    assert len(index[T.Ident]) == n
    assert kept / n < 12, kept / n  # (the Idents' list: 8 bytes a statement and its growth)


@pytest.mark.parametrize("text", [
    # a borrowed body, then statements recorded one by one, in bulk and by the general walk
    _statements(40) + "END { y; z = 1; }\n",
    _statements(40) + _statements(20, "y;"),
    _statements(40) + "END { if (x) { y; } }\n",
    "END { y; z = 1; }\n" + _statements(40) + _statements(30, "w = v;"),
    _statements(40, "trace(x);") + _statements(40),
])
def test_the_index_with_a_borrowed_body_is_the_walks(text):
    """Where more nodes of the borrowed body's class come, the index copies it and goes on: each
    class's list is that class's nodes in the order of a walk of the tree."""
    program = P.parse(text, "d.d")
    walked: dict = {}
    for node in program.walk():
        walked.setdefault(node.__class__, []).append(node)
    index = Context(program, None)._by_class
    assert {cls: list(nodes) for cls, nodes in index.items()} == walked
    assert all(list(map(id, index[cls])) == list(map(id, walked[cls])) for cls in walked)
    assert check_program(program, source=text) == check_program(P.parse(text, "d.d"), source=text)


def _all_short_plainly(stmts, most):
    """parser_stack._all_short as it read before (every offset in one list)."""
    if {type(s) for s in stmts} != {T.ExprStmt}:
        return False
    ats = [s._at for s in stmts]
    if {type(a) for a in ats} != {int}:
        return False
    gaps = [b - a for a, b in zip(ats, ats[1:])]
    return min(gaps) > 0 and max(gaps) < most


def test_parser_stack_reads_a_long_bodys_offsets_in_parts():
    """``_all_short`` holds the offsets of a part of the body at a time: a list of all of them was
    8 bytes a statement of check's peak (12 MB for 1,500,000 ``x;``)."""
    n = 200_000
    body = P.parse(_statements(n), "d.d").items[0].body
    gc.collect()
    tracemalloc.start()
    try:
        assert parser_stack._all_short(body, 100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak / n < 3, peak / n


@pytest.mark.parametrize("long_at", [None, 0, 1, 5, 6, 7, 8, 12, 13, 14])
def test_parser_stack_reads_the_offsets_in_parts_as_whole(monkeypatch, long_at):
    """A long statement (or a body of short ones) is told alike wherever it falls, at a part's
    edge too (parts of 6 statements here, each one statement past the next one's start)."""
    monkeypatch.setattr(parser_stack, "_SHORT_PART", 6)
    stmts = ["x;"] * 15
    if long_at is not None:
        stmts[long_at] = "x = " + " + ".join(["y"] * 10) + ";"
    body = P.parse("BEGIN{" + "".join(stmts) + "}\n", "d.d").items[0].body
    for most in (3, 4, 10, 60):
        assert parser_stack._all_short(body, most) == _all_short_plainly(body, most), (most, long_at)
