"""Issue 8, sixth round: the paths a review found super-linear on small inputs (review 8, findings 4-6).

No test here is timed: each counts the work (elements copied, nodes visited, files included) or
uses a size the old code took minutes over.  The figures are in benchmarks/bench_robust.py and
docs/PERFORMANCE.md ("sixth round: super-linear paths").
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest


class _CountingKnown:
    """A stand-in for the set of typed variables that counts what is read from it."""

    def __init__(self, keys):
        self.keys = set(keys)
        self.reads = 0

    def __contains__(self, key):
        self.reads += 1
        return key in self.keys

    def __iter__(self):
        for key in self.keys:
            self.reads += 1
            yield key

    def __len__(self):
        return len(self.keys)


def test_following_a_clause_reads_its_uses_not_every_known_variable():
    """used-before-assigned walks each clause from the variables typed before it: copying that
    set for each clause made ``check`` quadratic in the clauses (20,000 entry/return pairs with a
    thread-local each took 32 s, 50,000 one-line clauses 100 s)."""
    from dtracepy.checks import rules

    known = _CountingKnown(("self", f"t{i}") for i in range(100_000))
    node = SimpleNamespace(pos=None)
    uses = [(SimpleNamespace(name="t100000", kind="write", node=node), "self", "self->", False),
            (SimpleNamespace(name="t100000", kind="read", node=node), "self", "self->", False),
            (SimpleNamespace(name="t5", kind="read", node=node), "self", "self->", False)]
    added, refused = rules._follow(uses, known, set(), SimpleNamespace(pos=None), None)
    assert set(added) == {("self", "t100000")} and refused == []
    assert known.reads <= 2 * len(uses), known.reads
    assert len(known.keys) == 100_000  # left as it was: the caller adds what the clause typed


def test_used_before_assigned_still_follows_the_clauses_in_order():
    from dtracepy.checks import check_program
    from dtracepy.parser import parse

    text = ("syscall::f0:entry\n{\n\tself->t0 = timestamp;\n}\n\n"
            "syscall::f0:return\n{\n\ttrace(self->t0);\n\tself->t0 = 0;\n}\n\n"
            "syscall::f1:return\n/self->t1/\n{\n\ttrace(self->t1);\n\tself->t1 = 0;\n}\n\n"
            "syscall::f1:entry\n{\n\tself->t1 = timestamp;\n}\n")
    found = [f for f in check_program(parse(text, "d.d"), source=text) if f.check == "used-before-assigned"]
    assert [(f.pos.line, f.pos.col) for f in found] == [(13, 2)], found


def _count_reads(monkeypatch, cls, field) -> dict:
    """Counts the reads of ``cls.field`` (a slot of a tree node class): ``counts["n"]``."""
    counts = {"n": 0}
    slot = cls.__dict__[field]

    def read(node):
        counts["n"] += 1
        return slot.__get__(node, cls)

    monkeypatch.setattr(cls, field, property(read))
    return counts


@pytest.mark.parametrize("name", ["x{i}", "x", "self->x{i}"])
def test_each_link_of_a_chained_assignment_is_followed_once(monkeypatch, name):
    """Whether an assignment writes 0 follows ``a = b = ... = v`` to its end; asking that about each
    link followed the rest of the chain again (``x0 = x1 = ... = x7999 = 1;``, 72 KB: 9.5 s)."""
    from dtracepy import tree as t
    from dtracepy.checks.context import accesses
    from dtracepy.parser import parse
    from dtracepy.passes.cleanup import thread_local_sets

    n = 2000
    text = ("syscall::read:entry\n{\n\t" + " = ".join(name.format(i=i) for i in range(n))
            + " = (int)0;\n}\n")
    program = parse(text, "d.d")
    expr = program.clauses[0].body[0].expr
    counts = _count_reads(monkeypatch, t.Assign, "value")
    found = accesses(expr, t.SelfVar if name.startswith("self") else t.Ident)
    assert len(found) == n and all(a.kind == "write" and a.zero for a in found)
    assert counts["n"] <= 3 * n, counts
    counts["n"] = 0
    assert thread_local_sets(program) == {}  # (every link is a zeroing)
    assert counts["n"] <= 3 * n, counts


def test_a_declarator_of_many_stars_takes_each_star_once(monkeypatch):
    """The parser reduces ``int ***...*p`` from the innermost star out: copying the inner stars'
    list at every level took 6.5 s for 32,000 stars (and over 20 s for 100,000)."""
    from dtracepy import parser as P
    from dtracepy import tree as t

    taken = {"n": 0}

    class CountingList(P._L):
        __slots__ = ()

        def __init__(self, items=()):
            items = list(items)
            taken["n"] += len(items)
            super().__init__(items)

        def append(self, item):
            taken["n"] += 1
            super().append(item)

        def extend(self, items):
            items = list(items)
            taken["n"] += len(items)
            super().extend(items)

    monkeypatch.setattr(P, "_L", CountingList)
    n = 5000
    program = P.parse("int * const * volatile " + "*" * n + "p;\n", "d.d")
    assert taken["n"] <= 2 * n, taken
    decl = program.items[0].declarators[0]
    quals = []
    while isinstance(decl, t.PointerDecl):
        quals.append(decl.qualifiers)
        decl = decl.target
    # the outermost declarator is the leftmost star's
    assert quals == [("const",), ("volatile",)] + [()] * n and decl == t.NameDecl("p")
    assert P.parse("int * const * volatile p;", "d.d").items[0].declarators[0].pos.col == 5


def test_an_include_bomb_of_empty_headers_stops_at_the_inclusion_limit(capsys, tmp_path, monkeypatch):
    """Forty empty headers, each including the one before it twice: 2**41 inclusions of nothing,
    which the input limit never stops (fifteen took 94 s and 900 MB before the output limit did).
    The preprocessor stops once it has included MAX_INCLUDES files, at the ``#include`` that
    goes past the limit."""
    import pcpp

    from dtracepy.cli import main
    from dtracepy.preprocess import MAX_INCLUDES

    monkeypatch.chdir(tmp_path)
    (tmp_path / "h0.h").write_text("")
    for i in range(1, 41):
        (tmp_path / f"h{i}.h").write_text(f'#include "h{i - 1}.h"\n#include "h{i - 1}.h"\n')
    (tmp_path / "b.d").write_text('#include "h40.h"\nBEGIN\n{\n\texit(0);\n}\n')
    parsed = {"files": 0}
    parsegen = pcpp.Preprocessor.parsegen

    def counting(self, *args, **kwargs):
        parsed["files"] += 1
        assert parsed["files"] <= 5 * MAX_INCLUDES, "the preprocessor does not stop"
        return parsegen(self, *args, **kwargs)

    monkeypatch.setattr(pcpp.Preprocessor, "parsegen", counting)
    assert main(["check", "-C", "-I", ".", "b.d"]) == 1
    err = capsys.readouterr().err
    assert err == (f"h1.h:2:1: error: #include of {tmp_path / 'h0.h'}: more than {MAX_INCLUDES:,} files "
                   "included; dtracepy stops there (do the headers include each other over and over?)\n")
    assert parsed["files"] <= MAX_INCLUDES + 2, parsed  # (the main file, and the includes)


def test_headers_included_once_each_do_not_count_against_the_limit(capsys, tmp_path, monkeypatch):
    """A guarded header included from everywhere is read once: pcpp skips it after that."""
    from dtracepy.cli import main
    from dtracepy.preprocess import MAX_INCLUDES

    monkeypatch.chdir(tmp_path)
    (tmp_path / "g.h").write_text("#ifndef G_H\n#define G_H\ninline int g = 1;\n#endif\n")
    (tmp_path / "b.d").write_text('#include "g.h"\n' * (2 * MAX_INCLUDES) + "BEGIN\n{\n\ttrace(g);\n}\n")
    assert main(["check", "-C", "-I", ".", "b.d"]) == 0, capsys.readouterr().err


# --- compile: the D a tracer makes is D that check reads ------------------------------------------


def _compile(capsys, tmp_path, monkeypatch, body, head="t = Tracer()\n"):
    from dtracepy.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.py").write_text("from dtracepy import *\nimport contextlib\n" + head
                                   + "@t.probe('BEGIN')\ndef b():\n" + body)
    status = main(["compile", "d.py", "-o", "d.d"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return status, err


def test_a_value_doubled_in_a_loop_is_refused_at_its_statement_without_walking_it(
        capsys, tmp_path, monkeypatch):
    """``x = x + x`` forty times is 41 nodes but 2**40 copies of arg0 in the D: compile printed,
    walked and checked it as a tree (n = 22 took over 20 s); now it is refused, at the statement
    that prints it, before anything walks it."""
    from dtracepy import tree as T

    walked = {"n": 0}
    walk = T.Node.walk

    def counting_walk(node):
        for found in walk(node):
            walked["n"] += 1
            assert walked["n"] < 1_000_000, "the tree is walked as a tree"
            yield found

    monkeypatch.setattr(T.Node, "walk", counting_walk)
    # (a member whose operator the types decide, made anywhere, had the DSL look for such members
    # in each clause, walking it as a tree; so did a value with an effect, looked for as dropped)
    status, err = _compile(capsys, tmp_path, monkeypatch, "    x = strlen(execname)\n"
                           "    for i in range(40):\n        x = x + x\n    trace(x)\n",
                           head="t = Tracer()\nkept = this.p.q\n")
    assert status == 1 and err.startswith("d.py:10: error: the D is over 4 MiB here (at least "), err
    assert "a D value used twice is printed twice" in err


def test_nesting_is_refused_exactly_where_check_would_refuse_it(capsys, tmp_path, monkeypatch):
    """``y = 1 - y`` prints ``1 - (1 - (...))``: 255 steps nest 256 levels (the clause's brace and
    trace's parenthesis among them), which check reads; 256 steps nest 257, which check refuses,
    and so compile refuses them, at the line that builds the step."""
    from dtracepy.checks import CheckOptions, check_program  # noqa: F401 - (check's parser below)
    from dtracepy.compiler import build_program
    from dtracepy.commands.compile_cmd import choose, load_module
    from dtracepy.errors import DSyntaxError
    from dtracepy.parser import parse
    from dtracepy.printer import to_d

    body = "    y = arg0\n    for i in range({n}):\n        y = 1 - y\n    trace(y)\n"
    status, err = _compile(capsys, tmp_path, monkeypatch, body.format(n=255))
    assert status == 0, err
    parse((tmp_path / "d.d").read_text(), "d.d")  # (check reads it)
    status, err = _compile(capsys, tmp_path, monkeypatch, body.format(n=256))
    assert status == 1 and err.startswith("d.py:8: error: the D nests ( [ { more than 256 levels deep here"), err
    tracer = choose(load_module(str(tmp_path / "d.py")), "d.py", None)
    with pytest.raises(DSyntaxError, match="nested too deeply"):
        parse(to_d(build_program(tracer)), "d.d")


def test_a_thousand_nested_if_blocks_are_refused_at_the_if(capsys, tmp_path, monkeypatch):
    """1,000 nested ``if_`` compiled, exit 0, to D that check refuses (more than 256 levels)."""
    status, err = _compile(capsys, tmp_path, monkeypatch,
                           "    with contextlib.ExitStack() as s:\n        for i in range(1000):\n"
                           "            s.enter_context(if_(arg0 == i))\n        trace(1)\n")
    assert status == 1 and err.startswith("d.py:8: error: the D nests ( [ { more than 256 levels deep here"), err


def test_a_description_over_the_input_limit_is_refused_at_the_tracer(capsys, tmp_path, monkeypatch):
    from dtracepy.inputs import MAX_INPUT_BYTES

    status, err = _compile(capsys, tmp_path, monkeypatch, "    trace(1)\n",
                           head=f"t = Tracer(description='x' * {MAX_INPUT_BYTES})\n")
    assert status == 1 and err.startswith("d.py:3: error: the D is "), err
    assert not (tmp_path / "d.d").exists()


def test_the_measure_of_the_d_is_the_printers(corpus):
    """printer.measure says how deeply each item's D nests without printing it: exactly what the
    printed D nests (brackets outside strings, comments and directives), and never more characters
    than it has.  On every 7th script of the corpus."""
    from dtracepy.parser import parse
    from dtracepy.printer import measure, to_d

    def nesting(text):
        depth = best = i = 0
        while i < len(text):
            c = text[i]
            if c in "\"'":
                j = i + 1
                while j < len(text) and text[j] != c:
                    j += 2 if text[j] == "\\" else 1
                i = j + 1
                continue
            if text.startswith("/*", i):
                i = text.index("*/", i + 2) + 2
                continue
            if c == "#" and (i == 0 or text[i - 1] == "\n"):
                j = text.find("\n", i)
                while j > 0 and text[j - 1] == "\\":
                    j = text.find("\n", j + 1)
                i = len(text) if j < 0 else j
                continue
            depth += c in "([{"
            depth -= c in ")]}"
            best = max(best, depth)
            i += 1
        return best

    items = 0
    for path in sorted(corpus.rglob("*.d"))[::7]:
        try:
            program = parse(path.read_text(encoding="utf-8", errors="surrogateescape"), str(path))
        except Exception:  # noqa: BLE001 - (the corpus holds D that check refuses)
            continue
        found = measure(program.items)
        for item in program.items:
            text = to_d(item)
            assert found[id(item)][1] == nesting(text), (path, text[:300])
            assert found[id(item)][0] <= len(text), (path, text[:300])
            items += 1
    assert items > 2000


def test_compile_runs_without_cyclic_collections(tmp_path):
    """compile_tracer runs with the cyclic collector off, as the parser and check do (session 10):
    the collections its trees set off scanned the growing heap again and again (10,000 clauses:
    627 collections, 45 % of the passes and checks).  Counted, not timed; the collector's state
    is restored after."""
    import gc

    from dtracepy.commands.compile_cmd import load_module
    from dtracepy.compiler import compile_tracer

    path = tmp_path / "pairs.py"
    path.write_text("from dtracepy import *\nt = Tracer()\nfor i in range(500):\n"
                    "    @t.probe(f'syscall::f{i}:entry')\n    def _():\n        self.ts = timestamp\n"
                    "    @t.probe(f'syscall::f{i}:return', when=self.ts)\n    def _():\n        trace(timestamp - self.ts)\n")
    tracer = load_module(str(path)).t
    collections = []

    def count(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    assert gc.isenabled()
    gc.callbacks.append(count)
    try:
        compiled = compile_tracer(tracer)
    finally:
        gc.callbacks.remove(count)
    assert "syscall::f499:return" in compiled.text
    assert collections == [] and gc.isenabled()
    gc.disable()
    try:
        compile_tracer(tracer)
        assert not gc.isenabled()  # (left off when it was off)
    finally:
        gc.enable()
