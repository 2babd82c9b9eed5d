"""Issue 8, session 16: ``import --exact`` of a script whose faithful module prints D over the
input limit is refused before the module is written, run and compiled (100,000 clauses: 30 s,
then the compiler's refusal), from a printing of the original tree
(:func:`dtracepy.importer.exact_size_at_least`).  That is sound because the module compiles to the
original's items, comments aside (what :func:`~dtracepy.importer.check_exact` holds it to), and
comments only add text: checked here against the compiled D over a sample of the corpus and
over programs at the printer's edges.  Not timed: the tests count the modules written and run."""

from __future__ import annotations

import csv

import pytest

from dtracepy import inputs, tree
from dtracepy.errors import DTracePyError
from dtracepy.importer import CannotImport, compile_module, exact_size_at_least, import_program
from dtracepy.parser import parse, parse_bytes


def _pairs(n: int) -> str:
    return "".join(f"fbt::f{i}:entry{{self->a=timestamp;}}\nfbt::f{i}:return/self->a/{{self->a=0;}}\n"
                   for i in range(n))


def _gap_allowed(compiled: tree.Program) -> int:
    """What the compiled program's comments may add to its text: each printed, with a blank
    line on either side."""
    from dtracepy.printer import to_d

    return sum(len(to_d(item).encode()) + 4 for item in compiled.items if isinstance(item, tree.Comment))


def _bound_holds(program: tree.Program, text: "str | None", name: str) -> bool:
    """The bound is at most the compiled D's bytes, and short of it by the comments only; False
    when the script has no faithful module."""
    try:
        module = import_program(program, name, exact=True, text=text)
    except DTracePyError:
        return False
    compiled = compile_module(module, name + ".py", checks=False)
    size = len(compiled.text.encode("utf-8", "surrogatepass"))
    bound = exact_size_at_least(program)
    assert bound <= size, (name, bound, size)
    assert size - bound <= _gap_allowed(compiled.program), (name, bound, size)
    if not any(isinstance(item, tree.Comment) for item in program.items) and text is not None \
            and "/*" not in text and "//" not in text:
        # no comment of the script's: the gap is the header comment and a blank line
        from dtracepy.printer import to_d

        comments = [item for item in compiled.program.items if isinstance(item, tree.Comment)]
        assert len(comments) == 1, name
        head = len(to_d(comments[0]).encode()) + len("\n\n")
        assert size - bound == head, (name, bound, size, head)
    return True


_EDGES = {
    "#! first": "#!/usr/sbin/dtrace -s\nBEGIN { x = 1; }\n",
    "#! line directive first": "# !/x\nBEGIN { x = 1; }\n",
    "bodyless last": "BEGIN { x = 1; }\ntick-1s\n/x/\n",
    "bodyless, comment after": "BEGIN { x = 1; }\ntick-1s\n/x/\n/* c */\n",
    "pragmas and a comment between": "#pragma D option quiet\n/* c */\n#pragma D option flowindent\nBEGIN {}\n",
    "comments in bodies": "BEGIN\n{\n\t/* a */\n\tx = 1; /* b */\n}\n",
    "non-ASCII string": 'BEGIN { printf("\u00e9\u4e2d\\n"); }\n',
    "pairs": _pairs(20),
}


@pytest.mark.parametrize("name", sorted(_EDGES))
def test_the_exact_bound_is_the_compiled_d_less_its_comments(name):
    text = _EDGES[name]
    assert _bound_holds(parse(text, "x.d"), text, "x.d"), name


def test_the_exact_bound_holds_over_the_corpus(corpus):
    """Every 8th ``parse-ok`` file of the corpus that has a faithful module (about 350)."""
    with open(corpus / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["expect"] == "parse-ok"]
    held = 0
    for row in rows[::8]:
        data = (corpus / row["path"]).read_bytes()
        try:
            program = parse_bytes(data, row["path"])
        except DTracePyError:
            continue
        held += _bound_holds(program, data.decode("utf-8", "surrogateescape"), row["path"].rsplit("/", 1)[-1])
    assert held > 200, held


def _counting(monkeypatch):
    """The modules written and the modules run from now on."""
    from dtracepy import importer
    from dtracepy.importer import module

    counts = {"written": 0, "run": 0}
    write, run = module.ModuleWriter.write, importer.run_module

    def writing(self):
        counts["written"] += 1
        return write(self)

    def running(*args, **kwargs):
        counts["run"] += 1
        return run(*args, **kwargs)

    monkeypatch.setattr(module.ModuleWriter, "write", writing)
    monkeypatch.setattr(importer, "run_module", running)
    return counts


def test_exact_over_the_limit_is_refused_before_the_module_is_written(monkeypatch):
    """Under a limit of 2,000 bytes (the 4 MiB one made small), 60 clauses are refused at once,
    saying how large and what to do; before, the module was written, run and compiled (at
    100,000 clauses, 30 s) and the compiler refused it."""
    text = _pairs(30)
    program = parse(text, "x.d")
    size = exact_size_at_least(program)
    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", 2_000)
    counts = _counting(monkeypatch)
    with pytest.raises(CannotImport) as caught:
        import_program(program, "x.d", exact=True, text=text)
    assert counts == {"written": 0, "run": 0}
    message = caught.value.render(with_context=False)
    assert message.startswith("x.d:1:1: error: cannot import this script exactly: ")
    assert f"at least {size:,} bytes of D, over 4 MiB" in message and "without --exact" in message
    # without --exact, or unverified, nothing is refused: the module is not compiled back
    assert import_program(program, "x.d", text=text)
    assert import_program(program, "x.d", exact=True, verify=False, text=text)


def test_exact_at_the_limit_is_not_refused(monkeypatch):
    """A limit of exactly the compiled D's bytes: the module is written, run and returned."""
    text = _pairs(30)
    program = parse(text, "x.d")
    module = import_program(program, "x.d", exact=True, text=text)
    size = len(compile_module(module, "x.d.py", checks=False).text.encode())
    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", size)
    counts = _counting(monkeypatch)
    assert import_program(program, "x.d", exact=True, text=text) == module
    assert counts == {"written": 1, "run": 1}
    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", size - 1)   # a byte less: the compiler refuses it
    with pytest.raises(CannotImport):
        import_program(program, "x.d", exact=True, text=text)


# --- the work of importing, per clause (issue 8, session 16) --------------------------------------

def _one_line_entries(n: int) -> str:
    return "".join(f"syscall::f{i}:entry{{self->t{i} = timestamp;}}\n" for i in range(n))


def _count(monkeypatch, owner, name: str) -> list:
    calls = []
    real = getattr(owner, name)

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


def test_a_leak_note_is_filled_without_textwrap_or_difflib(monkeypatch):
    """Each of 200 clauses leaks its own thread-local: 200 notes, none given to textwrap, and no
    typo asked about (there is none); before, textwrap filled each and difflib was asked for
    each (a fifth and a twentieth of importing 85,000 such clauses)."""
    import difflib
    import textwrap

    from dtracepy.importer import import_d

    wrapped = _count(monkeypatch, textwrap, "wrap")
    matched = _count(monkeypatch, difflib, "get_close_matches")
    module = import_d(_one_line_entries(200), "x.d")
    assert module.count("# Leak in the original: self->t") == 200
    assert wrapped == [] and matched == []


def test_prose_is_textwrap_s_filling():
    """pyfmt.prose fills as textwrap.wrap(..., break_long_words=False, break_on_hyphens=False)
    does, for the text it fills itself and for what it hands to textwrap."""
    import random
    import textwrap

    from dtracepy.importer.pyfmt import WIDTH, prose

    pick = random.Random(16)
    parts = ["a", "bb", "x" * 30, "y" * 90, " ", "  ", "\t", "\x1c", "\u00e9", "-", "\n", "self->t1",
             "syscall::f0:return.", "\u00a0"]
    for _ in range(4000):
        text = "".join(pick.choice(parts) for _ in range(pick.randrange(0, 40)))
        for first, later in (("", "# "), ("# ", "# "), ("        # ", "        # ")):
            assert prose(text, first, later) == textwrap.wrap(
                text, WIDTH, initial_indent=first, subsequent_indent=later, break_long_words=False,
                break_on_hyphens=False), (text, first)


def test_running_the_module_asks_inspect_and_the_system_nothing_per_clause(monkeypatch):
    """Running the faithful module of 100 clauses (what ``--exact`` does to check it): a plain
    function is known to run from its code's flags (inspect's six tests were asked of each), the
    working directory once (it was asked for every node built), and an assignment asks for its
    position once (twice before)."""
    import inspect
    import os

    from dtracepy import importer, source
    from dtracepy.dsl import scopes

    module = import_program(parse(_pairs(50), "x.d"), "x.d", exact=True, verify=False)
    asked = [_count(monkeypatch, inspect, name) for name in (
        "iscoroutinefunction", "isasyncgenfunction", "isgeneratorfunction")]
    cwd = _count(monkeypatch, os, "getcwd")
    positions = _count(monkeypatch, scopes, "user_pos")
    tracer = importer.run_module(module, "x.d.py")
    assert len(tracer.items) == 100
    assert asked == [[], [], []]
    assert len(cwd) <= 1, len(cwd)
    # one for each self.a = ... (100) and each self.a read in a when= (50)
    assert len(positions) == 150, len(positions)


def test_a_generator_or_async_probe_body_is_still_refused():
    """What the quick answer of _never_runs leaves to inspect still goes to it."""
    import functools

    from dtracepy.dsl.tracer import _never_runs

    def gen():
        yield 1

    async def coro():
        return 1

    async def agen():
        yield 1

    def plain():
        return 1

    assert _never_runs(gen) and _never_runs(coro) and _never_runs(agen)
    assert not _never_runs(plain)
    assert _never_runs(functools.wraps(gen)(lambda: None)) is False  # (as inspect says of it)
    marked = inspect_marked(plain)
    assert _never_runs(marked) == __import__("inspect").iscoroutinefunction(marked)


def inspect_marked(function):
    """``function``, marked a coroutine function where Python can mark one (3.12)."""
    import inspect

    def copy():
        return function()

    mark = getattr(inspect, "markcoroutinefunction", None)
    return mark(copy) if mark else copy


def test_measure_takes_apart_no_leaf_and_no_statement(monkeypatch):
    """printer.measure of 40 clauses of ``self->a = timestamp;``: ``bracketed`` is asked of none of
    them (40 before session 21, exact22: each clause; 200 before session 17: every node but the
    leaves; 80 before session 18: a clause and its assignment); the answers are the same for every
    node as measured apart."""
    from dtracepy import printer

    program = parse(_pairs(20) + "BEGIN{x = y + 1; @a[1] = count(); z = z;}\n", "x.d")
    calls = _count(monkeypatch, printer, "bracketed")
    found = printer.measure(program.items)
    # (a predicate self->a is a leaf; BEGIN, x = y + 1 and its sum, @a[1] = count(), its index and call)
    assert len(calls) == 6, len(calls)
    nodes = [node for item in program.items for node in item.walk()]
    assert all(id(node) in found for node in nodes)
    # each statement's assignment measured as a root (taken apart by the general code) the same
    for node in nodes:
        if isinstance(node, tree.ExprStmt):
            alone = printer.measure([node.expr])
            assert alone[id(node.expr)] == found[id(node.expr)] == found[id(node)], node
            assert all(alone[id(c)] == found[id(c)] for c in node.expr.walk())


def test_an_operand_s_level_is_looked_up_once_a_class(monkeypatch):
    from dtracepy import printer

    printer._LEVELS.clear()
    asked = _count(monkeypatch, printer.DPrinter, "_level")
    printer.to_d(parse(_pairs(50), "x.d"))
    assert len(asked) <= 3, len(asked)


def test_the_compiler_finds_its_nodes_without_walking(monkeypatch, corpus):
    """compiler._nodes_of lists what ``Node.walk`` reaches, in its order, without its generator."""
    from dtracepy import compiler

    classes = (tree.MacroVar, tree.Ident, tree.SelfVar, tree.StringLit, tree.Call)
    programs = [parse(text, "x.d") for text in _EDGES.values()]
    programs += [parse_bytes(path.read_bytes(), path.name) for path in sorted(corpus.rglob("*.d"))[:400:4]
                 if _parses(path)]
    for program in programs:
        want = {cls: [n for item in program.items for n in item.walk() if n.__class__ is cls] for cls in classes}
        got = compiler._nodes_of(program.items, classes)
        assert all(list(map(id, want[c])) == list(map(id, got[c])) for c in classes)
    walked = _count(monkeypatch, tree.Node, "walk")
    compiler._nodes_of(parse(_pairs(20), "x.d").items, classes)
    assert walked == []


def _parses(path) -> bool:
    try:
        parse_bytes(path.read_bytes(), path.name)
    except (DTracePyError, RecursionError):
        return False
    return True


# --- session 17: --exact proves at most MAX_EXACT_NODES nodes -----------------------------------

def test_exact_of_more_nodes_than_it_proves_is_refused_before_the_module_is_written(monkeypatch):
    """`import --exact` of 90,000 clauses (under the 4 MiB bound) took 9.3 s, of which writing,
    running and Python compiling the module is work an exact proof cannot skip; 90,000 lone
    statements (180,002 nodes, 360 KB of D) ran too.  Now a script of more nodes than --exact
    proves within a few seconds (175,000 since session 18, 185,000 since session 19, 133,500 with a
    clause or item counting more since session 21, 145,000 since session 24, 151,000 since
    session 25: 95,000 statements, 190,002 nodes, are over it) is refused at once, saying how many and what to do."""
    import dtracepy.importer as importer

    text = "BEGIN{" + "x;" * 95_000 + "}\n"
    program = parse(text, "x.d")
    counts = _counting(monkeypatch)
    with pytest.raises(CannotImport) as caught:
        import_program(program, "x.d", exact=True, text=text)
    assert counts == {"written": 0, "run": 0}
    message = caught.value.render(with_context=False)
    assert message.startswith("x.d:1:1: error: cannot import this script exactly: it is 190,002 nodes of D in 1 "
                              "clauses and other items, which --exact counts as 190,003 "), message
    assert f"over the {importer.MAX_EXACT_NODES:,} that it proves" in message
    assert "without --exact" in message
    # unverified, or not exact, it is imported: the module is not compiled back
    assert import_program(program, "x.d", exact=True, verify=False, text=text)


def test_exact_at_the_node_bound_is_proved_and_one_over_it_is_refused(monkeypatch):
    import dtracepy.importer as importer

    text = _pairs(30)
    program = parse(text, "x.d")
    module = import_program(program, "x.d", exact=True, text=text)
    nodes = sum(1 for _ in program.walk()) - 1
    count = nodes + 60 * importer.EXACT_CLAUSE_NODES  # (session 21: a clause counts more)
    monkeypatch.setattr(importer, "MAX_EXACT_NODES", count)
    assert import_program(program, "x.d", exact=True, text=text) == module
    monkeypatch.setattr(importer, "MAX_EXACT_NODES", count - 1)
    with pytest.raises(CannotImport, match=f"it is {nodes:,} nodes of D in 60 clauses and other items, which "
                                           f"--exact counts as {count:,} .* over the {count - 1:,}"):
        import_program(program, "x.d", exact=True, text=text)
