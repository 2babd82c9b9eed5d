"""Issue 8, session 19 (exact19): ``import --exact``'s proof prints the original once.

The size bound prints the original's items (``exact_size_at_least``) and the compile of the
module's tracer printed the rebuilt items again, equal to them when the proof holds.  Now the
compile compares them first and, when they are equal, takes their D from the bound's printing
(``to_d``'s ``record`` and ``known``): the same text, every refusal made on it the same.  And an
assignment of an int (``self->a = 0;``) asks the stack for the user's line once, not twice.

Not timed: the tests count the nodes printed and the positions asked, and compare the D taken
with a fresh printing (on the printer's edges and a sample of the corpus)."""

from __future__ import annotations

import csv

import pytest

from dtracepy import importer, printer, tree
from dtracepy.errors import DTracePyError
from dtracepy.parser import parse, parse_bytes
from test_import_scale import _EDGES as _SCALE_EDGES
from test_import_scale import _pairs


def _counting_visits(monkeypatch) -> dict:
    counts = {"visits": 0}
    visit = printer.DPrinter.visit

    def counted(self, node):
        counts["visits"] += 1
        return visit(self, node)

    monkeypatch.setattr(printer.DPrinter, "visit", counted)
    return counts


def test_import_exact_prints_the_original_s_nodes_once(monkeypatch):
    """400 clauses, 2,600 nodes: the printer visits each once (the bound's printing) and the
    compile's prologue (the program, its header comment); main 74ff5b1 visited 5,204 nodes, each
    clause's twice."""
    text = _pairs(200)
    program = parse(text, "x.d")
    nodes = importer.node_count(program)
    counts = _counting_visits(monkeypatch)
    module = importer.import_program(program, "x.d", exact=True, text=text)
    assert "def remember_f199_entry" in module
    assert nodes < counts["visits"] <= nodes + 4, (nodes, counts)


def _checking_the_d_taken(monkeypatch) -> dict:
    """Each printing given ``known`` is compared with a fresh one (text and starts)."""
    seen = {"known": 0}
    to_d = printer.to_d

    def checked(node, starts=None, *, record=None, known=None):
        text = to_d(node, starts, record=record, known=known)
        if known is not None:
            seen["known"] += 1
            fresh_starts: list = []
            assert text == to_d(node, fresh_starts)
            assert starts is None or starts == fresh_starts
        return text

    import dtracepy.compiler  # noqa: F401 - (it imports to_d where it prints: patched there)

    monkeypatch.setattr(printer, "to_d", checked)
    return seen


# the printer's edges the size bound is tested on, and comments between clauses
_EDGES = {**_SCALE_EDGES, "comments between clauses": "/* a */\nBEGIN { x = 1; }\n/* b */\nEND { trace(x); }\n/* c */\n"}


@pytest.mark.parametrize("name", sorted(_EDGES))
def test_the_d_taken_from_the_bound_s_printing_is_the_d_printed_again(monkeypatch, name):
    text = _EDGES[name]
    seen = _checking_the_d_taken(monkeypatch)
    importer.import_program(parse(text, "x.d"), "x.d", exact=True, text=text)
    assert seen["known"] == 1, name


def test_the_d_taken_is_the_d_printed_again_over_the_corpus(monkeypatch, corpus):
    """Every 6th ``parse-ok`` file of the corpus (the whole corpus, 2,570 compiles, was compared
    so when this was made)."""
    seen = _checking_the_d_taken(monkeypatch)
    with open(corpus / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["expect"] == "parse-ok"]
    for row in rows[::6]:
        data = (corpus / row["path"]).read_bytes()
        name = row["path"].rsplit("/", 1)[-1]
        try:
            importer.import_program(parse_bytes(data, name), name, exact=True,
                                    text=data.decode("utf-8", "surrogateescape"))
        except (DTracePyError, RecursionError):
            continue
    assert seen["known"] > 300, seen


def test_a_record_of_other_braces_is_not_taken():
    """``known`` gives an item's D only where its braces are decided alike: a clause without a
    body is printed bare last in a program and with ``{}`` before another clause."""
    bare = tree.Clause((tree.ProbeDesc("tick-1s"),), tree.Ident("x"), None)
    other = tree.Clause((tree.ProbeDesc("BEGIN"),), None, ())
    record: list = []
    alone = printer.to_d(tree.Program((tree.Comment(""), bare)), record=record)
    assert record == [("tick-1s\n/x/", False)]
    # the same clause, now before another: braced, so the record's bare text is not taken
    program = tree.Program((tree.Comment("h"), bare, other))
    assert printer.to_d(program, known=record + [("BEGIN\n{\n}", False)]) == printer.to_d(program)
    assert "tick-1s\n/x/\n{\n}" in printer.to_d(program)
    assert alone.endswith("tick-1s\n/x/\n")


def test_unequal_items_are_printed_not_taken(monkeypatch):
    """The compile's ``printed`` is asked whether the program's items are the original's: a
    rebuilt program that differs is printed in full (and the proof then refuses it)."""
    program = parse("BEGIN { x = 1; }\n", "x.d")
    record: list = []
    importer.exact_size_at_least(program, record)
    printed = importer.Printed(importer.comparable(program), record)
    other = parse("BEGIN { x = 2; }\n", "x.d")
    assert printed.known_for(other) is None and printed.same is False
    assert printed.known_for(program) is record and printed.same is True


def test_an_int_assigned_asks_for_the_user_s_line_once(monkeypatch):
    """``self.a = 0`` in a probe body: one ``user_pos`` (the assignment's), not a second for
    the 0 (main 74ff5b1: two, a walk of the stack each)."""
    from dtracepy import Tracer, self
    from dtracepy.dsl import scopes, values

    asked = {"n": 0}

    def counting(module):
        real = module.user_pos

        def user_pos(*args):
            asked["n"] += 1
            return real(*args)

        monkeypatch.setattr(module, "user_pos", user_pos)

    counting(scopes)
    counting(values)
    t = Tracer(cleanup=False)
    for _ in range(10):
        @t.probe("BEGIN")
        def zero():
            self.a = 0
    assert asked["n"] == 10, asked
    stmt = t.items[0].body[0]
    assert stmt.expr.value.pos == stmt.expr.pos == stmt.pos and stmt.pos.line > 1


def test_running_an_exact_module_makes_no_generator_a_clause():
    """A clause's description and its test for an ``if_`` (dsl/tracer.py), and each function's
    code moved to its line (importer/pieces.py), without a generator: main 74ff5b1 made three a
    clause of the module of 1,000 clauses (its pieces are run: it is over ``pieces.PIECE``)."""
    import sys

    from dtracepy.importer import pieces

    text = _pairs(500)
    module = importer.import_program(parse(text, "x.d"), "x.d", exact=True, text=text)
    assert len(module) > pieces.PIECE
    made: dict = {}

    def profile(frame, event, arg):
        code = frame.f_code
        if event == "call" and code.co_name == "<genexpr>" and "dtracepy" in code.co_filename:
            where = code.co_filename.rsplit("dtracepy", 1)[-1]
            made[where] = made.get(where, 0) + 1

    sys.setprofile(profile)
    try:
        tracer = importer.run_module(module, "x.py")
    finally:
        sys.setprofile(None)
    assert len(tracer.items) == 1000
    # (pieces.py's one: whether the module holds a word that keeps it whole, asked once)
    assert made.get("/dsl/tracer.py", 0) == 0 and made.get("/importer/pieces.py", 0) <= 2, made


def test_the_bound_takes_20_100_one_line_clauses():
    """README: at most 151,000 nodes, a clause counting one more (session 25, exact26; 145,000 in
    session 24, import25, 133,500 in session 21, exact22, 185,000 nodes alone until then): about
    20,100 one-line clauses (15 a pair of them)."""
    assert importer.MAX_EXACT_NODES == 151_000
    assert importer.node_count(parse(_pairs(100), "x.d")) == 1_300
    assert importer.exact_count(parse(_pairs(100), "x.d"))[2] == 1_500
    assert 20_100 * 15 // 2 <= importer.MAX_EXACT_NODES < 20_200 * 15 // 2
