"""Issue 8, session 21 (exact22): what ``import --exact`` proves is bounded by what proving costs.

The bound counted nodes of D alone (185,000), set by one-line clauses (6.5 nodes a clause, 99,000
instructions a node); but dense expressions cost 136,000 a node, and what the proof costs grows
with the module's Python statements too, one a top-level item: 92,000 empty clauses or
declarations (2 nodes each, 184,000 nodes) took two to three times the instructions of 28,400
one-line clauses, 10,200 statements ``x = a+b+...+h;`` 1.35 times.  Now a clause counts
``EXACT_CLAUSE_NODES`` more, another item but a comment ``EXACT_ITEM_NODES`` more, and the bound
is where the costliest shape measured costs what one-line clauses did at 185,000 nodes
(docs/PERFORMANCE.md, "Session 21, exact22").  And the measure the compile makes of the tracer's
tree sums up the usual clause (descriptions, a leaf predicate, ``leaf = leaf;`` statements) where
it meets it.

Not timed: the tests count the counted nodes, the measure's ``bracketed`` calls and the modules
written, and compare the measure with the general code's."""

from __future__ import annotations

import csv

import pytest

from dtracepy import importer, printer, tree
from dtracepy.errors import DTracePyError
from dtracepy.importer import CannotImport, import_program
from dtracepy.parser import parse, parse_bytes
from test_import_scale import _counting, _pairs


def _empty_clauses(n: int) -> str:
    return "".join(f"fbt::f{i}:entry{{}}\n" for i in range(n))


def _declarations(n: int) -> str:
    return "".join(f"int x{i};\n" for i in range(n)) + "BEGIN{}\n"


def _statements(n: int) -> str:
    return "BEGIN{\n" + "x;\n" * n + "}\n"


def _dense(n: int) -> str:
    return "BEGIN{\n" + "x = a+b+c+d+e+f+g+h;\n" * n + "}\n"


def test_the_count_weighs_clauses_and_items():
    """A node counts 1, a clause EXACT_CLAUSE_NODES more, another item EXACT_ITEM_NODES more, a
    comment nothing more."""
    c, i = importer.EXACT_CLAUSE_NODES, importer.EXACT_ITEM_NODES
    assert importer.exact_count(parse(_pairs(100), "x.d")) == (1_300, 200, 1_300 + 200 * c)
    assert importer.exact_count(parse(_empty_clauses(10), "x.d")) == (20, 10, 20 + 10 * c)
    assert importer.exact_count(parse(_declarations(10), "x.d")) == (22, 11, 22 + 10 * i + c)
    assert importer.exact_count(parse(_statements(10), "x.d")) == (22, 1, 22 + c)
    assert importer.exact_count(parse("/*a*/\n/*b*/\nBEGIN{}\n", "x.d")) == (4, 1, 4 + c)


# the shapes measured (docs/PERFORMANCE.md, "Session 21, exact22"; again in "Session 24,
# import25", after the writer stopped parsing its long statements back, and in "Session 25,
# exact26", after the compile stopped walking short statements for the parser stack) and their
# instructions each (the command's, less its start-up: exact26's branch)
_SHAPES = {"one-line clauses": (lambda n: _pairs(n // 2), 606_800),
           "empty clauses": (_empty_clauses, 361_500),
           "declarations": (_declarations, 418_100),
           "statements": (_statements, 191_600),
           "dense statements": (_dense, 1_787_100)}
_AT_THE_OLD_BOUND = 18_268_000_000  # 28,400 one-line clauses (184,600 nodes), less the start-up


def _most_under_the_bound(make) -> int:
    """The most n for which make(n) is within the bound (by the count, which is linear in n)."""
    one, two = (importer.exact_count(parse(make(n), "x.d"))[2] for n in (100, 200))
    per = (two - one) / 100
    return int((importer.MAX_EXACT_NODES - (one - 100 * per)) // per)


def test_no_shape_measured_costs_more_at_the_bound_than_one_line_clauses_did_at_the_old_one():
    """Each shape, as many as the bound takes, at its instructions each: at most what 28,400
    one-line clauses took (main took 92,000 empty clauses, 92,000 declarations and 10,200 dense
    statements: 36, 53 and 25 G instructions, against 18.3 G)."""
    most = {name: _most_under_the_bound(make) for name, (make, _) in _SHAPES.items()}
    for name, (_, each) in _SHAPES.items():
        assert most[name] * each <= _AT_THE_OLD_BOUND * 1.01, (name, most)
    assert 20_100 <= most["one-line clauses"] < 20_200, most
    assert most["empty clauses"] < 92_000 and most["declarations"] < 92_000, most


def test_a_script_just_under_the_bound_is_proved_and_one_just_over_is_refused_at_its_first_line(monkeypatch):
    """At the real bound: the most one-line clauses it takes are proved (the module written, run
    and compiled back); two more are refused at once, located, saying the count; nothing is
    written."""
    n = _most_under_the_bound(lambda n: _pairs(n // 2)) // 2 * 2
    text = _pairs(n // 2)
    program = parse(text, "x.d")
    assert importer.exact_count(program)[2] <= importer.MAX_EXACT_NODES
    counts = _counting(monkeypatch)
    module = import_program(program, "x.d", exact=True, text=text)
    assert counts == {"written": 1, "run": 1} and f"def clear_f{n // 2 - 1}_return" in module
    over_text = _pairs(n // 2 + 1)
    over = parse(over_text, "x.d")
    nodes, items, count = importer.exact_count(over)
    assert count > importer.MAX_EXACT_NODES
    with pytest.raises(CannotImport) as caught:
        import_program(over, "x.d", exact=True, text=over_text)
    assert counts == {"written": 1, "run": 1}
    message = caught.value.render(with_context=False)
    assert message.startswith(f"x.d:1:1: error: cannot import this script exactly: it is {nodes:,} nodes of D "
                              f"in {items:,} clauses and other items, which --exact counts as {count:,} "), message
    assert f"over the {importer.MAX_EXACT_NODES:,} that it proves" in message and "without --exact" in message


def test_92_000_empty_clauses_are_refused_before_the_module_is_written(monkeypatch):
    """184,000 nodes, under the old bound of 185,000: main wrote, ran and compiled the module
    (8.1 G instructions for 20,000 of them, 36 G for 92,000: 6 s at a loaded hour)."""
    text = _empty_clauses(92_000)
    program = parse(text, "x.d")
    counts = _counting(monkeypatch)
    with pytest.raises(CannotImport, match="it is 184,000 nodes of D in 92,000 clauses and other items"):
        import_program(program, "x.d", exact=True, text=text)
    assert counts == {"written": 0, "run": 0}


def test_a_small_script_at_its_count_is_proved_and_one_under_is_refused(monkeypatch):
    """The bound is the count's: with MAX_EXACT_NODES set to a script's count it is proved (the
    module written, run and compiled back), one less and it is refused."""
    text = _pairs(5) + _declarations(3) + "/* a comment */\n"
    program = parse(text, "x.d")
    count = importer.exact_count(program)[2]
    monkeypatch.setattr(importer, "MAX_EXACT_NODES", count)
    counts = _counting(monkeypatch)
    module = import_program(program, "x.d", exact=True, text=text)
    assert counts == {"written": 1, "run": 1} and 't.declare("x2", "int")' in module
    monkeypatch.setattr(importer, "MAX_EXACT_NODES", count - 1)
    with pytest.raises(CannotImport, match=f"which --exact counts as {count:,} .* over the {count - 1:,}"):
        import_program(program, "x.d", exact=True, text=text)


# --- the measure sums up the usual clause where it meets it -------------------------------------

def _counting_bracketed(monkeypatch) -> dict:
    counts = {"bracketed": 0}
    bracketed = printer.bracketed

    def counted(p, node):
        counts["bracketed"] += 1
        return bracketed(p, node)

    monkeypatch.setattr(printer, "bracketed", counted)
    return counts


def test_the_measure_of_one_line_clauses_takes_none_apart(monkeypatch):
    """400 one-line clauses: no ``bracketed`` call (400 on main, one a clause), the same measure
    as the general code gives."""
    items = parse(_pairs(200), "x.d").items
    counts = _counting_bracketed(monkeypatch)
    found = printer.measure(items)
    assert counts["bracketed"] == 0
    monkeypatch.setattr(printer, "_plain_clause", lambda clause, found: None)
    general = printer.measure(items)
    assert counts["bracketed"] == 400
    assert found == general


_EDGES = ["BEGIN{}\n", "BEGIN{x=1;}\n", "BEGIN/x/{y=2;z+=3;}\n", "a,b{self->x=arg0;}\n",
          "BEGIN{x=y+1;}\n", "BEGIN/x>1/{y=2;}\n", "BEGIN{trace(1);x=2;}\n", "BEGIN{@a=count();}\n",
          "BEGIN{x=\"s\";y='c';z=this->t;w=`k;}\n", "syscall::read:entry\n/pid == 1/\n"]


def _corpus_programs(every: int):
    import os

    root = os.environ.get("DTRACEPY_CORPUS")
    if not root:
        return []
    with open(os.path.join(root, "MANIFEST.tsv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    programs = []
    for row in rows[::every]:
        try:
            with open(os.path.join(root, row["path"]), "rb") as f:
                programs.append(parse_bytes(f.read(), "x.d"))
        except (DTracePyError, RecursionError, OSError):
            continue
    return programs


def test_the_measure_is_the_general_code_s_on_the_edges_and_the_corpus(monkeypatch):
    """Every 3rd corpus file and the edges (a shared leaf, an empty body, no body, two
    descriptions, other statements): the measure of each node the same as without the sum."""
    programs = [parse(text, "x.d") for text in _EDGES] + _corpus_programs(3)
    shared = tree.Ident("x")
    programs.append(tree.Program((tree.Clause((tree.ProbeDesc("BEGIN"),), None, (
        tree.ExprStmt(tree.Assign("=", shared, shared)), tree.ExprStmt(tree.Assign("=", shared, tree.IntLit("1"))))),)))
    plain = printer._plain_clause
    for program in programs:
        items = program.items
        monkeypatch.setattr(printer, "_plain_clause", plain)
        found = printer.measure(items)
        monkeypatch.setattr(printer, "_plain_clause", lambda clause, found: None)
        assert printer.measure(items) == found
