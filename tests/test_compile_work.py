"""Session 18, compilespeed (issue 8: a compile of 10,000 entry/return pairs, and ``import
--exact``'s compile of its module, in seconds): the work ``compile`` does on a large tracer.
Counted (walks of the tree, indexes made, calls), never timed; the D and the findings stay what
they were (the compile tests, and the corpus compared by hand: docs/PERFORMANCE.md).

Before, one compile walked the whole tree five times or more: ``rules.refusals`` indexed the
tracer's items (a ``Node.walk`` of each) and again the program after the passes, and
``check_program`` and ``_refused_in_operands`` each built a checks' ``Context`` whose index walks
the whole program."""

from __future__ import annotations

from functools import cached_property

import pytest

from dtracepy import compiler, tree
from dtracepy.checks import context as ctx_module
from dtracepy.checks import rules
from dtracepy.importer import import_program, run_module
from dtracepy.parser import parse


def _pairs(n: int) -> str:
    return "".join(f"fbt::f{i}:entry{{self->a=timestamp;}}\nfbt::f{i}:return/self->a/{{self->a=0;}}\n"
                   for i in range(n))


def _exact_tracer(n: int):
    """The tracer of ``import --exact``'s module of ``n`` pairs (``Tracer(cleanup=False)``: the
    passes change none of its items)."""
    text = _pairs(n)
    return run_module(import_program(parse(text, "x.d"), "x.d", exact=True, verify=False, text=text), "x.py")


def _pairs_tracer(n: int):
    """``n`` entry/return pairs with the cleanup on: the passes add the zeroing to each return."""
    source = ("from dtracepy import Tracer, self, timestamp, trace\nt = Tracer()\n"
              f"for i in range({n}):\n"
              "    @t.probe(f'syscall::f{i}:entry')\n    def _():\n        self.ts = timestamp\n"
              "    @t.probe(f'syscall::f{i}:return', when=self.ts)\n    def _():\n        trace(timestamp - self.ts)\n")
    namespace: dict = {"__name__": "pairs"}
    exec(compile(source, "pairs.py", "exec"), namespace)
    return namespace["t"]


def _counting(monkeypatch):
    """(Node.walk calls, indexes made by class: Context._by_class computed)."""
    walks, indexes = [], []
    real_walk = tree.Node.walk
    real_index = ctx_module.Context.__dict__["_by_class"].func

    def walk(self):
        walks.append(self)
        return real_walk(self)

    def by_class(self):
        indexes.append(len(self.program.items))
        return real_index(self)

    prop = cached_property(by_class)
    prop.__set_name__(ctx_module.Context, "_by_class")
    monkeypatch.setattr(tree.Node, "walk", walk)
    monkeypatch.setattr(ctx_module.Context, "_by_class", prop)
    return walks, indexes


@pytest.mark.parametrize("checks", [False, True])
def test_compile_of_an_exact_module_indexes_the_program_once(monkeypatch, checks):
    """400 clauses: the program after the passes is indexed once, by one context the refusals,
    the checks and the operands' rules read; the tracer's items are read from that index (the
    passes kept them).  Main e652d3b: two indexes of the program, and 800 ``Node.walk`` calls
    (each item, twice)."""
    tracer = _exact_tracer(200)
    want = tracer.compile(checks=checks)
    walks, indexes = _counting(monkeypatch)
    got = tracer.compile(checks=checks)
    assert got.text == want.text and got.findings == want.findings
    assert [n for n in indexes if n > 10] == [400 + 1], indexes   # (and the prologue's one item alone)
    assert len(walks) <= 10, len(walks)


def test_compile_with_the_cleanup_indexes_the_items_without_walking_them(monkeypatch):
    """With the cleanup the passes change the return clauses: the tracer's items get an index of
    their own, made by the checks' walk (no generator step a node), and the program one; the
    cleanup pass (and the check that asks it again, ``cleanup_problems``) finds each clause's
    assignments without ``Node.walk`` too (main e652d3b: 600 walks of statements and
    predicates, and 400 of items by the refusals)."""
    tracer = _pairs_tracer(100)
    want = tracer.compile()
    walks, indexes = _counting(monkeypatch)
    got = tracer.compile()
    assert got.text == want.text and got.findings == want.findings
    big = [n for n in indexes if n > 10]
    assert len(big) == 2 and big[0] == 200 and len(got.program.items) == big[1], indexes
    assert len(walks) <= 10, len(walks)


def test_the_items_read_from_the_program_s_index_are_their_own_index(corpus):
    """``rules._tail_index``: the nodes of each class under the items, in walk order, as an index
    of the items alone gives them, when the program ends with the items; None when it does not."""
    from dtracepy.checks import CheckOptions
    from dtracepy.checks.context import Context

    paths = sorted(corpus.rglob("*.d"))[:600:6]
    tried = 0
    for path in paths:
        try:
            program = parse(path.read_text("utf-8", "surrogateescape"), path.name)
        except Exception:
            continue
        items = program.items[2:]
        of = rules._tail_index(items, program.items, Context(program, CheckOptions(), None).of)
        want: dict = {}
        for item in items:
            for node in item.walk():
                want.setdefault(node.__class__, []).append(node)
        for cls, nodes in want.items():
            assert list(map(id, of(cls))) == list(map(id, nodes)), (path, cls)
        if len(items) > 1:
            changed = items[:-1] + (tree.Comment("x"),)
            assert rules._tail_index(changed, program.items, None) is None
        tried += 1
    assert tried > 50


def test_the_checks_share_the_compiler_s_index_and_no_option_s_fact():
    """A context made ``index_of`` another shares the program's facts (the same lists), not the
    options or what a family keeps on it."""
    from dtracepy.checks import CheckOptions
    from dtracepy.checks.context import Context

    program = compiler.build_program(_exact_tracer(20))
    first = Context(program, CheckOptions(dialect="illumos"), None)
    first.__dict__["_uses"] = {}   # (a family's own, as lifecycle keeps it)
    second = Context(program, CheckOptions(dialect="oracle"), ["x"], first)
    assert second.of(tree.Clause) is first.of(tree.Clause)
    assert second.clause_accesses(tree.SelfVar) is first.clause_accesses(tree.SelfVar)
    assert second.options.dialect != first.options.dialect and second.lines == ["x"]
    assert "_uses" not in second.__dict__


def test_import_exact_s_node_bound_counts_without_walking(monkeypatch):
    """``importer.node_count`` is the count ``Node.walk`` gives, made by the checks' index (no
    generator step a node; main e652d3b: one ``walk`` call a node, 1,501 for 300 clauses)."""
    import dtracepy.importer as importer

    program = parse(_pairs(150) + "BEGIN{x = y + 1; @a[f(1, \"s\")] = count(); if (x) {z;} else {w++;}}\n", "x.d")
    want = sum(1 for _ in program.walk()) - 1
    walks, _ = _counting(monkeypatch)
    importer.refuse_exact_over_limit(program)
    assert importer.node_count(program) == want
    assert walks == []
