"""Issue 8: ``dtracepy import`` does work linear in the script (any input under the size limit is
answered in seconds).  Not timed: these count the nodes that the walks of the tree visit.

Before, the idiomatic mode asked every later clause, for each hand zeroing, whether it mentioned
the thread-local: quadratic, 100,000 clauses took minutes (benchmarks/bench_robust.py
``import-*`` cases)."""

from __future__ import annotations

import pytest

from dtracepy import tree
from dtracepy.importer import import_d


def _pairs(n: int) -> str:
    return "".join(f"fbt::f{i}:entry{{self->a=timestamp;}}\nfbt::f{i}:return/self->a/{{self->a=0;}}\n"
                   for i in range(n))


def _distinct_pairs(n: int) -> str:
    return "".join(f"fbt::f{i}:entry{{self->a{i}=timestamp;}}\nfbt::f{i}:return/self->a{i}/{{self->a{i}=0;}}\n"
                   for i in range(n))


def _nodes_walked(monkeypatch, text: str, exact: bool = False, scans: bool = True) -> int:
    """The nodes that import's walks visit: Node.walk's, and (``scans``) the scan's own loop's."""
    from dtracepy.importer import scan

    count = [0]
    real = tree.Node.walk

    def counting(self):
        for node in real(self):
            count[0] += 1
            yield node

    made = _calls(monkeypatch, scan.ProgramScan, "__init__")
    monkeypatch.setattr(tree.Node, "walk", counting)
    import_d(text, "x.d", exact=exact, verify=False)
    monkeypatch.setattr(tree.Node, "walk", real)
    return count[0] + (sum(found.nodes for found, _clauses in made) if scans else 0)


def _calls(monkeypatch, owner, name: str) -> list:
    """The arguments of each call of ``owner.name`` from now on (the test's)."""
    calls = []
    real = getattr(owner, name)

    def counting(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(owner, name, counting)
    return calls


def test_import_walks_grow_linearly_with_the_clauses(monkeypatch):
    for make in (_pairs, _distinct_pairs):
        small = _nodes_walked(monkeypatch, make(100))
        large = _nodes_walked(monkeypatch, make(400))
        assert large < 4.4 * small, (make.__name__, small, large)  # 4x the clauses: 16x when quadratic


def test_a_clause_of_many_probes_is_named_from_its_first_three_distinct_parts(monkeypatch):
    """The clause's function name uses at most three distinct probe parts; searching a list of
    all of them for each probe was quadratic (a clause of 40,000 probes)."""
    from dtracepy.importer import module
    from dtracepy.parser import parse

    clause = parse("".join(f"fbt::f{i}:entry,\n" for i in range(1_000)) + "fbt::g:entry{}\n", "x.d").items[0]
    calls = _calls(monkeypatch, module, "_probe_part")
    assert module.clause_name(clause) == "trace_f0_entry_etc"
    assert len(calls) == 3


def test_wrapping_a_long_line_encodes_it_once_at_most():
    """pyfmt turns ast's byte offsets into indexes of the line; encoding the whole line again for
    each node was quadratic (12 s for the decorator of a clause of 40,000 probes)."""
    import sys

    from dtracepy.importer import pyfmt

    line = "t.probe(" + ", ".join(f'"fbt::f{i}:entry"' for i in range(2_000)) + ")"
    encodes = [0]

    def profile(frame, event, arg):
        if event == "c_call" and getattr(arg, "__name__", "") == "encode":
            encodes[0] += 1

    sys.setprofile(profile)
    try:
        lines = pyfmt.wrap(line)
    finally:
        sys.setprofile(None)
    assert len(lines) == 2_002 and lines[1] == '    "fbt::f0:entry",'
    assert encodes[0] <= 1, encodes


@pytest.mark.parametrize("line", [
    'f("ascii", 1)',
    'f("é", "x", ("ü€", b), "𝔘", c)',            # 2-, 3- and 4-byte characters before nodes
    'f("𝔘𝔘", x["ö"], y)',
])
def test_segments_of_non_ascii_lines_are_ast_s(line):
    import ast

    from dtracepy.importer import pyfmt

    for node in ast.walk(ast.parse(line)):
        if hasattr(node, "col_offset") and not isinstance(node, ast.Module):
            assert pyfmt._segment(line, node) == ast.get_source_segment(line, node)
            assert line[pyfmt._offset(line, node):pyfmt._end_offset(line, node)] == pyfmt._segment(line, node)


def test_fresh_names_of_one_base_are_numbered_without_recounting():
    """26,000 clauses of one name (4 MiB of dense D): each fresh name tried every number from 2
    again (quadratic); it now goes on from the last one, with the same names."""
    from dtracepy.importer.exprs import Names

    class Counting(set):
        asked = 0

        def __contains__(self, name):
            Counting.asked += 1
            return super().__contains__(name)

    names = Names()
    names.taken = Counting(names.taken | {"f_3"})
    made = [names.fresh("f") for _ in range(1_000)]
    assert made[:4] == ["f", "f_2", "f_4", "f_5"] and len(set(made)) == 1_000
    assert Counting.asked < 3_000, Counting.asked


def test_positions_in_a_long_tracer_function_are_its_lines(tmp_path):
    """The DSL locates each node at its line in the tracer (user_pos).  CPython finds a frame's
    line by reading the code's line table from its start, which in a function of 20,000
    statements (an ``import --exact`` of 20,000 lines writes one) was quadratic: 20 s.  The
    table is now read once per code object; the lines must be the same, wrapped calls too."""
    from dtracepy.importer import run_module

    lines = ["from dtracepy import Tracer, builtin, stmt, trace", "t = Tracer()", "@t.probe('BEGIN')",
             "def b():"]
    expected = []
    for i in range(3_000):
        if i % 3 == 0:
            lines.append("    stmt(builtin('x'))")
        elif i % 3 == 1:
            lines += ["    trace(", "        builtin('y'))"]
        else:
            lines.append("    stmt(builtin('z')); stmt(builtin('w'))")
            expected.append(len(lines))
        expected.append(len(lines) if i % 3 != 1 else len(lines) - 1)
    tracer = run_module("\n".join(lines) + "\n", str(tmp_path / "long.py"))
    clause = tracer.compile(checks=False).program.clauses[0]
    assert [s.pos.line for s in clause.body] == expected


@pytest.mark.parametrize("long_table", [0, 1 << 30])  # every table read by _line_of; none
def test_line_of_is_f_lineno(monkeypatch, long_table):
    import sys

    from dtracepy import source
    from dtracepy.source import _line_of

    monkeypatch.setattr(source, "_LONG_LINE_TABLE", long_table)

    seen = []

    def here():
        frame = sys._getframe(1)
        seen.append((_line_of(frame), frame.f_lineno))
        return 1

    def shapes(a=None):
        here()
        x = [here(),
             here()]
        if here():
            here(
            )
        for _ in range(2):
            here()
        (lambda: here())()
        try:
            1 / 0
        except ZeroDivisionError:
            here()
        return x, here() + (here()
                            + here())

    shapes()
    assert len(seen) == 12 and all(a == b for a, b in seen), seen


def _dense(n: int) -> str:
    return ('syscall::read:entry\n/pid == $target && self->ts == 0/\n{\n\tself->ts = timestamp;\n'
            '\t@a[execname, probefunc] = count();\n\tprintf("%d %s\\n", pid, copyinstr(arg0));\n}\n\n') * n


@pytest.mark.parametrize("make", [_pairs, _dense])
@pytest.mark.parametrize("exact", [False, True])
def test_import_walks_each_clause_once(monkeypatch, make, exact):
    """The idioms (lifetimes, the clauses naming each thread-local, the cleanup's names) and the
    writer (globals, Oracle-only names, each clause's calls) walked every clause again, six
    walks: one scan now (importer/scan.py), which the writer reuses after the idioms (fewer nodes
    than the program's: probe descriptions are not walked).  5 and 2.6 nodes a node before."""
    from dtracepy.parser import parse

    text = make(200)
    nodes = sum(1 for _ in parse(text, "x.d").walk())
    walked = _nodes_walked(monkeypatch, text, exact=exact)
    assert walked < nodes, (walked, nodes)


def test_the_writer_reuses_the_scan_only_where_the_idioms_kept_what_it_saw():
    """What the idioms drop is hand zeroing; a clause dropped with its predicate may take the only
    assignment of a global with it (the writer scans its own program then), and one dropped with
    a thread-local named by a keyword (``self->self``, Oracle's D only) leaves the writer to
    look again."""
    from dtracepy.importer import idioms
    from dtracepy.parser import parse

    kept = parse("fbt::f:entry{self->a=timestamp;}\nfbt::f:return/self->a/{self->a=0;}\n", "x.d")
    rewritten, plan = idioms.idiomatic(kept)
    assert len(rewritten.clauses) == 1 and plan.scan is not None

    text = "fbt::f:entry{self->a=timestamp;}\nfbt::f:return/self->a && (g = 1)/{self->a=0;}\nBEGIN{trace(g);}\n"
    rewritten, plan = idioms.idiomatic(parse(text, "x.d"))
    assert len(rewritten.clauses) == 2 and plan.scan is None
    # g is no global of the module written (nothing in it assigns g): a builtin name, as before
    assert 'trace(builtin("g"))' in import_d(text, "x.d")


@pytest.mark.parametrize("text, oracle", [
    # the only self->self is a typo's zeroing that the idioms drop: not an Oracle program
    ("fbt::f:entry{self->a=timestamp;}\nfbt::f:return{trace(self->a);self->a=0;self->self=0;}\n", False),
    ("fbt::f:entry{self->self=timestamp;}\nfbt::f:return{trace(self->self);self->self=0;}\n", True),
    ("BEGIN{this->self=1;trace(this->self);}\n", True),
])
def test_an_oracle_name_after_the_arrow_is_looked_for_in_the_written_program(text, oracle):
    assert ('dialect="oracle"' in import_d(text, "x.d")) is oracle


@pytest.mark.parametrize("body, verb", [
    ("trace(1);", "print"), ("exit(0);", "stop"), ("printa(@a);", "report"), ("@a = count();", "count"),
    ("@a = sum(arg0);", "aggregate"), ("self->a = 0;", "clear"), ("self->a = 1;", "remember"),
    ("x = 1; if (x) { printf(\"x\"); }", "print"), ("", "trace"),
])
def test_a_clause_function_s_verb_comes_from_the_calls_the_scan_found(body, verb):
    source = import_d(f"fbt::f:entry{{{body}}}\nfbt::g:entry{{x = 2; self->a = 1;}}\n", "x.d", exact=True,
                      verify=False)
    assert f"def {verb}_f_entry():" in source, source


def test_a_probe_description_repeated_is_checked_once(monkeypatch):
    """The writer checks each description as ``t.probe`` would (located at the D); 26,000 clauses
    of one probe (dense D) asked the same question 26,000 times."""
    from dtracepy.dsl import probes

    calls = _calls(monkeypatch, probes, "check_desc")
    import_d(_dense(300) + _pairs(5), "x.d")
    texts = [text for text, _pos in calls]
    assert texts.count("syscall::read:entry") == 1 and len(texts) == len(set(texts)) > 5, texts


def test_a_misspelt_description_after_many_good_ones_is_still_refused():
    from dtracepy.errors import DSLError

    with pytest.raises(DSLError, match="x.d:601:1:.*'syscal' provider"):
        import_d(_pairs(300) + "syscal::read:entry{}\n", "x.d")


def test_writing_the_module_imports_nothing_per_node(monkeypatch):
    """An ``import`` statement inside the expression writer's methods ran for each node (the
    DSL's tables of actions and builtins): they are looked up once per module written."""
    import builtins

    text = _dense(200)
    imports = [0]
    real = builtins.__import__

    def counting(*args, **kwargs):
        imports[0] += 1
        return real(*args, **kwargs)

    import_d(text, "x.d")  # (the modules loaded)
    monkeypatch.setattr(builtins, "__import__", counting)
    import_d(text, "x.d")
    assert imports[0] < 200, imports[0]


@pytest.mark.parametrize("make", [_pairs, _dense])
def test_positions_are_made_only_where_a_comment_may_go(monkeypatch, make):
    """A parsed node holds an offset, made a position when asked (``position_at``); the writer
    asked for five a clause (the item, the next one, the statements' keys, the descriptions
    checked) where only comments in the text need them: none now, in a script without any."""
    made = _calls(monkeypatch, tree, "_position_at")
    import_d(make(200), "x.d")
    assert len(made) == 0
    import_d("/* a comment */\n" + make(200), "x.d")
    assert 0 < len(made) <= 2 * 400 + 2, len(made)


# --- import --exact runs its module in pieces (session 13) ------------------------------------------

def _lone_operands(n: int) -> str:
    return "BEGIN{" + "x;" * n + "}"


def _clause_pairs(n: int) -> str:
    return "".join(f"fbt::f{i}:entry{{self->a=timestamp;}}\nfbt::f{i}:return/self->a/{{self->a=0;}}\n"
                   for i in range(n // 2))


def test_exact_compiles_no_large_text_at_once(monkeypatch):
    """Python's compile of a whole module held ~150 bytes a byte of it (356 MB for the module of
    100,000 ``x;``): the check of ``--exact`` compiles pieces of at most a few PIECEs, never the
    whole module, also when it is one function of 20,000 statements."""
    import builtins

    from dtracepy.importer import import_d, pieces

    sizes = []
    real = builtins.compile

    def counting(source, *args, **kwargs):
        if isinstance(source, str):
            sizes.append(len(source))
        return real(source, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", counting)
    for text in (_lone_operands(20_000), _clause_pairs(4_000)):
        sizes.clear()
        module = import_d(text, "x.d", exact=True)
        assert len(module) > 4 * pieces.PIECE
        assert sizes and max(sizes) < 2 * pieces.PIECE + 1_000, (len(module), max(sizes))


@pytest.mark.parametrize("text, bound", [(_lone_operands(20_000), 50e6), (_clause_pairs(2_000), 14e6)])
def test_exact_memory_peak(text, bound):
    """tracemalloc's peak of ``import_d(exact=True)``: 80 MB and 19 MB before (Python's compile of the
    whole module), 32 MB and 11 MB now."""
    import tracemalloc

    from dtracepy.importer import import_d

    import_d("BEGIN{x;}", "w.d", exact=True)  # (the modules imported before the count)
    tracemalloc.start()
    try:
        import_d(text, "x.d", exact=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < bound, peak


_PIECES_MODULES = {
    "body": "from dtracepy import Tracer, builtin, stmt, trace\nt = Tracer()\n\n@t.probe('BEGIN')\ndef b():\n"
            + "".join("    stmt(builtin('x'))\n    trace(\n        builtin('y'))\n" if i % 7 else
                      "    stmt(builtin('z')); stmt(builtin('w'))\n    # a comment\n\n" for i in range(300)),
    "clauses": "from dtracepy import Tracer, self, timestamp\nt = Tracer()\n" + "".join(
        f"\n\n@t.probe(\n    'fbt::f{i}:entry',\n)\ndef e{i}():\n    self.a = timestamp\n\n\n"
        f"@t.probe('fbt::f{i}:return', when=self.a)\ndef r{i}():\n    self.a = 0\n" for i in range(100)),
}
# bodies the pieces must not cut (a docstring, a return, a local, a line at column 0 in a string,
# `global`): each is run as exec of the whole would run it
_PIECES_MODULES["docstring"] = _PIECES_MODULES["body"].replace("def b():\n", 'def b():\n    """Doc."""\n')
_PIECES_MODULES["return"] = _PIECES_MODULES["body"] + "    return None\n"
_PIECES_MODULES["local"] = _PIECES_MODULES["body"].replace("def b():\n", "def b():\n    y = builtin('y')\n") \
    + "    stmt(y)\n"
_PIECES_MODULES["string"] = _PIECES_MODULES["body"].replace(
    "def b():\n", "def b():\n    trace('''a\nstmt(builtin('q'))\n    b''')\n")
_PIECES_MODULES["global"] = "global q\n" + _PIECES_MODULES["clauses"]
_PIECES_MODULES["cr"] = _PIECES_MODULES["clauses"].replace("def e3():", "# a\r# b\ndef e3():")


@pytest.mark.parametrize("name", sorted(_PIECES_MODULES))
def test_a_module_run_in_pieces_is_the_module(monkeypatch, name):
    """Run in pieces of 200 characters, a module builds the same program, every node at the same
    line, as exec of it whole; and each piece compiled is at most a statement or PIECE long."""
    import builtins

    from dtracepy.importer import pieces, run_module

    source = _PIECES_MODULES[name]

    def program():
        compiled = run_module(source, "m.py").compile(checks=False).program
        return compiled, [(type(node).__name__, node.pos) for item in compiled.items for node in item.walk()]

    whole = program()
    sizes = []
    real = builtins.compile
    monkeypatch.setattr(builtins, "compile", lambda s, *a, **k: (sizes.append(len(s)), real(s, *a, **k))[1])
    monkeypatch.setattr(pieces, "PIECE", 200)
    assert program() == whole
    if name in ("body", "clauses"):  # (the others are compiled whole where they cannot be cut)
        assert max(sizes) < 3 * 200
    else:  # (the function, or for `global` the module, compiled whole)
        assert max(sizes) > len(source) - 100


def test_pieces_refuse_what_the_whole_refuses(monkeypatch):
    """A module that does not compile whole is not run in pieces: the same SyntaxError."""
    from dtracepy.importer import pieces, run_module

    source = _PIECES_MODULES["clauses"] + "from __future__ import annotations\n"
    with pytest.raises(SyntaxError) as whole:
        run_module(source, "m.py")
    monkeypatch.setattr(pieces, "PIECE", 200)
    with pytest.raises(SyntaxError) as cut:
        run_module(source, "m.py")
    assert (cut.value.msg, cut.value.lineno) == (whole.value.msg, whole.value.lineno)


# --- session 14: the work of import, not its walks' number -------------------------------------------

@pytest.mark.parametrize("make", [_pairs, _dense])
@pytest.mark.parametrize("exact", [False, True])
def test_the_scan_walks_without_a_generator(monkeypatch, make, exact):
    """The scan walked each clause with ``Node.walk``, a generator's step for each node (most of
    the scan's work): its loop is the scan's own now, and nothing else in import walks a clause
    of these programs (``_nodes_walked`` counts the scan's nodes, as before)."""
    assert _nodes_walked(monkeypatch, make(200), exact=exact, scans=False) == 0
    assert _nodes_walked(monkeypatch, make(200), exact=exact) > 0


@pytest.mark.parametrize("make", [_pairs, _dense])
@pytest.mark.parametrize("exact", [False, True])
def test_the_leak_check_finds_the_thread_locals_where_the_scan_saw_them(monkeypatch, make, exact):
    """What the original leaks is the self-leak check's answer (lifecycle.leaks of a check
    context), whose context walked the whole tree again (``_by_class``) to find the clauses that
    name a thread-local: the scan has found them, and the context is told (``holders_known``)."""
    from dtracepy.checks.context import Context

    index = Context.__dict__["_by_class"]
    walks = []
    monkeypatch.setattr(Context, "_by_class", property(lambda ctx: (walks.append(ctx), index.func(ctx))[1]))
    import_d(make(100), "x.d", exact=exact, verify=False)
    assert walks == []


def test_the_leaks_found_are_the_check_s():
    """The same answer as the check context that walks the tree itself: set at an entry and never
    zeroed, a partial write, a write in a predicate, an element, a clause without any."""
    from dtracepy.checks import CheckOptions
    from dtracepy.checks.context import Context
    from dtracepy.checks.lifecycle import collect, leaks
    from dtracepy.importer import idioms
    from dtracepy.importer.scan import scan
    from dtracepy.parser import parse

    text = ("BEGIN{x = 1;}\nfbt::a:entry{self->a = 1; self->b[1] = 2;}\nfbt::b:entry/(self->c = 1)/{}\n"
            "fbt::c:entry{self->d = 1; if (x) { self->e = 1; }}\nfbt::c:return/self->d/{self->d = 0; trace(1);}\n"
            "fbt::d:entry{self->f++; self->g.x = 1;}\nsyscall::read:entry{trace(self->h);}\n"
            "fbt::e:entry{self->d = 2; self->k = (int)0; self->m = 3;}\nfbt::e:return{self->m = (self->n = 0);}\n")
    program = parse(text, "x.d")
    ctx = Context(program, CheckOptions(), None)
    uses, _ = collect(ctx)
    want = (leaks(ctx), {n for n, u in uses.items() if u.assigned and not u.zeros and not u.partials})
    found = scan(program)
    zeroed = {name for _clause, name, kind in found.events if kind == idioms.ZERO}
    assert zeroed == {"d", "n"}  # (self->m = 0 through a chain, self->k through a cast: the checks')
    assert idioms._check_leaks(program, found, zeroed) == want
    assert want[0] and want[1] - set(want[0]) and "d" not in want[0]


@pytest.mark.parametrize("exact", [False, True])
def test_import_runs_without_the_cyclic_collector(exact):
    """Collections set off by what import makes scanned the parsed tree again and again (half the
    work of importing 4 MiB of dense D): import runs with the collector off, as the parser and
    the compiler do, and turns it on again after."""
    import gc

    from dtracepy.importer import import_program
    from dtracepy.parser import parse

    program = parse(_dense(300), "x.d")
    collections = []

    def callback(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    assert gc.isenabled()
    gc.callbacks.append(callback)
    try:
        import_program(program, "x.d", exact=exact)
    finally:
        gc.callbacks.remove(callback)
    assert collections == [] and gc.isenabled()


@pytest.mark.parametrize("op", ["*", "&", "-"])
@pytest.mark.parametrize("exact", [False, True])
def test_each_node_of_an_expression_is_emitted_once(monkeypatch, op, exact):
    """``*p`` emitted its operand, then emitted it again for the ``deref`` call (``&`` too): n
    stars took 2**n emissions (18 of them, 5 s).  Each node is emitted once now, and what a
    value's ``lit`` wraps is not emitted again either."""
    from dtracepy.importer.exprs import ExprEmitter

    emitted = _calls(monkeypatch, ExprEmitter, "emit")
    # (& of &x is refused by dtrace, "unacceptable operand for unary & operator", and by import --exact's
    # compile since review19's R4: & of *p is not)
    operand = "&*" * 16 + "curthread" if op == "&" else "curthread" if op == "*" else "(-(-(x + 1)))"
    # (16 minus signs apart: "--" would be D's decrement, of what is no variable, which D refuses)
    prefix = "*" if op == "&" else "- " * 16 if op == "-" else op * 16
    text = f"BEGIN{{trace({prefix}{operand}); y = 1 + 2; z = -3 - 4;}}\n"
    source = import_d(text, "x.d", exact=exact)
    nodes = sum(1 for node in __import__("dtracepy.parser").parser.parse(text, "x.d").walk()
                if isinstance(node, tree.Expr))
    assert len(emitted) <= nodes, (len(emitted), nodes, source)


@pytest.mark.parametrize("exact", [False, True])
def test_no_thread_local_s_uses_are_gathered_when_each_is_zeroed_somewhere(monkeypatch, exact):
    """A thread-local the script zeroes (``self->a = 0``) is none the self-leak check reports,
    nor one the idioms' notes call never zeroed: the uses of the others only are gathered, and
    none at all for entry/return pairs that zero what they set.  Dense D (self->ts set, never
    zeroed) still asks the check."""
    from dtracepy.checks import context

    gathered = _calls(monkeypatch, context, "clauses_accesses")
    import_d(_pairs(100), "x.d", exact=exact, verify=False)
    assert gathered == []
    source = import_d(_dense(10), "x.d", exact=exact, verify=False)
    assert gathered and "Leak in the original: self->ts" in source


def test_a_text_without_comments_is_not_read_for_them(monkeypatch):
    """The writer finds the comments inside clauses in the D text (body_comments): it read every
    string constant and every line of 4 MiB of dense D for none.  Without a ``/*`` it reads
    nothing."""
    from dtracepy.importer import body_comments

    real = body_comments._TOKEN
    scans = []

    class Counting:
        def finditer(self, text):
            scans.append(len(text))
            return real.finditer(text)

    monkeypatch.setattr(body_comments, "_TOKEN", Counting())
    import_d(_dense(50), "x.d")
    assert scans == []
    assert "# why\n" in import_d("BEGIN\n{\n\t/* why */\n\tx = 1;\n}\n" + _dense(5), "x.d")
    assert len(scans) == 1


def test_a_description_s_name_part_is_made_once(monkeypatch):
    """Each clause's function is named from its descriptions (``_probe_part``: their fields, two
    regular expressions): 26,000 clauses of one probe in dense D made the same part 26,000
    times.  Once a text now; a part without a run of underscores is not searched for one."""
    from dtracepy.importer import module

    getattr(module, "_PARTS", {}).clear()  # (made by earlier tests)
    made = _calls(monkeypatch, module, "_ident")
    real = module._UNDERSCORES

    class Counting:
        subs = 0

        def sub(self, *args):
            Counting.subs += 1
            return real.sub(*args)

    monkeypatch.setattr(module, "_UNDERSCORES", Counting())
    source = import_d(_dense(300), "x.d")
    assert len(made) == 1 and "def print_read_entry_300():" in source
    assert Counting.subs == 0
    assert module._probe_part("fbt:m:a__b:entry") == "a_b_entry" and Counting.subs == 1


def test_a_decimal_literal_is_written_as_its_text(monkeypatch):
    """A decimal integer's text is its Python spelling: its value (``IntLit.value``, an int()
    of the text) is not computed to find that out; other spellings still are."""
    from dtracepy.importer.exprs import ExprEmitter, Names

    computed = []
    real = tree.IntLit.value
    monkeypatch.setattr(tree.IntLit, "value", property(lambda node: (computed.append(node.text), real.fget(node))[1]))
    emitter = ExprEmitter(Names())
    assert [emitter.code(tree.IntLit(text)) for text in ("0", "7", "123456789012345678")] == \
        ["0", "7", "123456789012345678"]
    assert computed == []
    assert emitter.code(tree.IntLit("0x10")) == "hexint(0x10)" and computed == ["0x10"]


def test_a_string_is_quoted_once(monkeypatch):
    """py_string (repr, and double quotes) is asked for every description and format string:
    the same ones clause after clause in dense D; each distinct string is quoted once, and one
    that repr would write as it is (a description: printable, no quote or backslash) is not
    given to repr at all (100,000 distinct descriptions)."""
    from dtracepy.importer import exprs

    getattr(exprs, "_quoted", exprs.py_string).cache_clear()  # (quoted by earlier tests)
    quoted = []
    monkeypatch.setattr(exprs, "repr", lambda value: (quoted.append(value), repr(value))[1], raising=False)
    import_d(_dense(200) + _pairs(50), "x.d")
    assert sorted(quoted) == ["%d %s\n"]
    for text in ("fbt::f1:entry", "", "é ü", "it's", 'a "b"', "a\\b", "a\nb", "\udcff", "\x7f", "a'b\"c"):
        assert exprs.py_string(text) == exprs._quoted.__wrapped__(text), text  # (repr's, double-quoted)


def test_the_expression_writer_s_per_node_look_ups(monkeypatch):
    """For each node the writer found its ``e_`` method by ``getattr`` of a name made for it, built
    its ``Py`` with attrs' frozen ``__init__`` (``object.__setattr__`` for each field), and asked
    whether a ``self->``/``this->``/``@`` name is a Python attribute name again: the method is
    looked up once per node class, ``Py`` is a plain class, the names' answers are kept."""
    import sys

    from dtracepy.importer import exprs

    getattr(exprs.is_attr_name, "cache_clear", lambda: None)()  # (asked by earlier tests)
    text = _dense(200)
    counts = {"getattr": 0, "__setattr__": 0, "isidentifier": 0}

    def profile(frame, event, arg):
        if event != "c_call":
            return
        name = getattr(arg, "__name__", "")
        code = frame.f_code
        if name == "getattr" and code.co_name == "emit":
            counts["getattr"] += 1
        elif name == "__setattr__" and code.co_name == "__init__":
            counts["__setattr__"] += 1
        elif name == "isidentifier" and code.co_name == "is_attr_name":
            counts["isidentifier"] += 1

    sys.setprofile(profile)
    try:
        import_d(text, "x.d")
    finally:
        sys.setprofile(None)
    assert counts["getattr"] <= 20 and counts["__setattr__"] == 0 and counts["isidentifier"] <= 5, counts


# --- session 15 (importspeed2): the work a clause costs -------------------------------------------

def _import_steps(text: str, exact: bool) -> int:
    """Bytecode instructions (sys.settrace's opcode events) that import_program runs for ``text``
    once parsed: the work of writing the module, not its time."""
    import sys

    from dtracepy.importer import import_program
    from dtracepy.parser import parse

    program = parse(text, "x.d")
    import_program(program, "x.d", exact=exact, verify=False, text=text)  # (modules loaded, patterns compiled)
    steps = [0]

    def local(frame, event, arg):
        if event == "opcode":
            steps[0] += 1
        return local

    def call(frame, event, arg):
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return local

    sys.settrace(call)
    try:
        import_program(program, "x.d", exact=exact, verify=False, text=text)
    finally:
        sys.settrace(None)
    return steps[0]


@pytest.mark.parametrize("make, clauses, exact, bound", [
    (_pairs, 300, False, 1_000),   # 2,013 steps a clause before, 717 now
    (_pairs, 300, True, 900),      # 1,743, 632
    (_dense, 150, False, 3_500),   # 6,394, 2,708
    (_dense, 150, True, 4_800),    # 7,344, 3,915
])
def test_import_steps_a_clause(make, clauses, exact, bound):
    """Issue 8 (100,000 clauses in 5 s): what writing the module costs a clause, in bytecode steps.
    A clause of the predicate and body of an earlier one (scan.ProgramScan.same) is neither walked
    nor written again; a plain probe description is checked by one match (dsl.probes.check_desc)
    and quoted without repr (exprs.py_string); the idioms look only at the clauses from a zeroing's
    last mention on; the writer's per-clause work goes without the look-ups it repeated."""
    steps = _import_steps(make(clauses // 2 if make is _pairs else clauses), exact)
    assert steps / clauses <= bound, steps / clauses


@pytest.mark.parametrize("exact", [False, True])
def test_a_clause_like_an_earlier_one_is_not_walked_or_written_again(monkeypatch, exact):
    """4 MiB of dense D is one clause 26,000 times, entry/return pairs two clauses: each node of
    each was walked by the scan and emitted by the writer.  Only the first of equal clauses is."""
    from dtracepy.importer import exprs

    emitted = _calls(monkeypatch, exprs.ExprEmitter, "emit")
    few = (_nodes_walked(monkeypatch, _pairs(10), exact=exact), len(emitted))
    emitted.clear()
    many = (_nodes_walked(monkeypatch, _pairs(400), exact=exact), len(emitted))
    assert many == few, (few, many)  # (linear in the clauses before: 40x)


def _without_equal_trees(monkeypatch):
    """No node has a hash: the scan finds no clause equal to another, the writer writes each."""
    def unhashable(self):
        raise TypeError("unhashable (the test's)")

    for cls in vars(tree).values():
        if isinstance(cls, type) and issubclass(cls, tree.Node):
            monkeypatch.setattr(cls, "__hash__", unhashable)


_EQUAL_CLAUSES = [
    _pairs(3) + _dense(3),
    # an inline between equal clauses: the name means the inline after it
    "BEGIN { trace(y); }\ninline int y = 3;\nBEGIN { trace(y); }\nBEGIN { trace(y); }\n",
    # a translator's input name, a record's variable, between equal clauses
    "BEGIN { trace(s); }\ntranslator int < int s > { x = s; };\nBEGIN { trace(s); }\n",
    'BEGIN { printf("A,B\\n"); }\nsyscall::read:entry { printf("%d,%s\\n", pid, execname); }\n'
    'syscall::write:entry { printf("%d,%s\\n", pid, execname); }\nsyscall::write:entry { trace(1); }\n',
    # comments inside equal clauses, on a statement's line and above one
    "BEGIN { x = 1; /* one */ }\nBEGIN { x = 1; }\nBEGIN {\n/* above */\nx = 1; }\n",
    # equal bodies, other predicates; equal predicates, other bodies; value actions in predicates
    "BEGIN /x/ { y = 1; }\nEND /z/ { y = 1; }\nBEGIN /x/ { y = 2; }\nEND /x/ { y = 1; }\n",
    "BEGIN /copyinstr(arg0) == \"a\"/ { copyinstr(arg0); }\nEND /copyinstr(arg0) == \"a\"/ { copyinstr(arg0); }\n",
    # the hand zeroing the idioms drop from the last clauses, equal clauses before them
    "fbt::f:entry{self->a=timestamp;}\nfbt::f:return/self->a/{trace(1);self->a=0;}\n" * 3,
    "fbt::f:entry{self->a=timestamp;}\nfbt::f:return/self->a/{self->a=0;self->b=0;}\n" * 3,
    # constants, a global, a keyword after the arrow, this->, aggregations
    "BEGIN { x = NULL; trace(PROT_READ); }\nEND { x = NULL; trace(PROT_READ); }\n",
    "BEGIN { g = 1; this->self = 2; @a[probefunc] = count(); }\n" * 2,
    "BEGIN\n{\n\tif (x) { y = 1; } else { y = 2; }\n}\n" * 2,
]


@pytest.mark.parametrize("text", _EQUAL_CLAUSES)
@pytest.mark.parametrize("exact", [False, True])
def test_equal_clauses_are_written_as_each_alone(monkeypatch, text, exact):
    """What the scan and the writer reuse for a clause equal to an earlier one is what they would
    find and write for it: the same module (or the same refusal) as when no tree has a hash."""
    def module():
        try:
            return import_d(text, "x.d", exact=exact)
        except Exception as err:  # (a refusal: the same one)
            return f"{type(err).__name__}: {err}"

    reused = module()
    _without_equal_trees(monkeypatch)
    assert module() == reused


def test_a_plain_description_is_checked_by_its_provider_and_name(monkeypatch):
    """``t.probe``'s check of a description (dsl.probes.check_desc): the usual one, four fields of
    letters, digits and ``_ . -``, is well-formed unless it is ``:::``, and what facts.providers
    says of it depends on its provider and probe name only: 100,000 distinct descriptions
    (fbt::f1:entry ...) are one question, asked once; the answers are the slow path's."""
    from dtracepy.dsl import probes
    from dtracepy.errors import DSLError
    from dtracepy.facts import probes as fact_probes
    from dtracepy.facts import providers

    def answer(text):
        try:
            return probes.check_desc(text, None)
        except DSLError as err:
            return err.message

    texts = [":m::", ":::", "fbt::f:entry", "fbt::g:entry", "fbt::f:entrx", "sycall::read:entry",
             "syscall::read:entry", "syscall::read:return", "a:b:c:d:e", "fbt::f*:entry", "BEGIN",
             "x:::", ":::y", "fbt::a.b-c:return", "profile:::tick-1s", "pid$target::f:entry",
             "tick-1s", "syscall::read", "fbt::f :entry", "fbt::f,g:entry"]
    getattr(probes, "_FINE_PAIRS", set()).clear()
    cold = [answer(text) for text in texts]
    warm = [answer(text) for text in texts]  # (every pair known now)
    assert cold == warm and cold[1] != ":::" and cold[4] != "fbt::f:entrx" and cold[5] != texts[5]
    slow = _calls(monkeypatch, fact_probes, "syntax_problem")
    named = _calls(monkeypatch, providers, "problem")
    getattr(probes, "_FINE_PAIRS", set()).clear()
    for i in range(1_000):
        assert probes.check_desc(f"fbt::f{i}:entry", None) == f"fbt::f{i}:entry"
    assert len(slow) == len(named) == 1


# --- session 17 (importspeed): the limit inputs of distinct clauses --------------------------------

def _one_line_entries(n: int) -> str:
    """bench_robust.one_line_entries: each clause its own thread-local, leaked."""
    return "".join(f"syscall::f{i}:entry{{self->t{i} = timestamp;}}\n" for i in range(n))


def _distinct_syscall_pairs(n: int) -> str:
    """bench_robust.distinct_pairs: n entry/return pairs, each of its own thread-local."""
    return "".join(f"syscall::f{i}:entry\n{{\n\tself->t{i} = timestamp;\n}}\n"
                   f"syscall::f{i}:return\n{{\n\ttrace(self->t{i});\n\tself->t{i} = 0;\n}}\n" for i in range(n))


@pytest.mark.parametrize("make, clauses, bound", [
    (_one_line_entries, 2_400, 2_000),       # 2,296 steps a clause before, 1,806 now
    (_distinct_syscall_pairs, 2_400, 1_700),  # 1,901, 1,535
])
def test_import_steps_a_distinct_clause(make, clauses, bound):
    """Issue 8 (4 MiB in 5 s): the idiomatic import of distinct clauses, in bytecode steps a
    clause.  The scan stops hashing clauses once a thousand were looked up and almost none found
    again; no clause is looked at for hand zeroing to drop when no name to drop is zeroed; the
    idioms' zeroing dropped makes its clause without attrs.evolve; ``self->x = <leaf>`` is scanned
    without its two nodes' steps; a one-assignment body's verb and a name's zero without loops."""
    steps = _import_steps(make(clauses // 2 if make is _distinct_syscall_pairs else clauses), False)
    assert steps / clauses <= bound, steps / clauses


def test_the_scan_stops_hashing_distinct_clauses(monkeypatch):
    """A script of distinct clauses has each clause's trees hashed (a Python call a node) for
    nothing: the scan gives up looking clauses up after scan._GIVE_UP of them, fewer than one in
    scan._HIT_RATIO found."""
    from dtracepy.importer import scan

    import_d("BEGIN{x;}\nBEGIN{x;}\n", "x.d", verify=False)  # (tree's compiled __hash__ in place)
    hashed = _calls(monkeypatch, tree.ExprStmt, "__hash__")
    import_d(_one_line_entries(3 * scan._GIVE_UP), "x.d", verify=False)
    assert 0 < len(hashed) <= 2 * scan._GIVE_UP, len(hashed)  # (each looked up, then stored)


@pytest.mark.parametrize("exact", [False, True])
def test_giving_up_the_look_ups_writes_the_same_module(monkeypatch, exact):
    """What the scan and the writer do once the look-ups stopped is what they do for a clause
    never seen: the module is the one written with every clause looked up.  Distinct clauses, then
    equal ones past the point of giving up, pairs with zeroing, a leak, a typo's zeroing."""
    from dtracepy.importer import scan

    text = (_one_line_entries(40) + _distinct_syscall_pairs(30)
            + "fbt::g:entry{self->a = timestamp;}\nfbt::g:return/self->a/{trace(self->a); self->a = 0;}\n" * 20
            + "fbt::h:return{self->tpyo = 0;}\n" + _dense(5))
    monkeypatch.setattr(scan, "_GIVE_UP", 10)
    early = import_d(text, "x.d", exact=exact, verify=False)
    monkeypatch.setattr(scan, "_GIVE_UP", 10**9)
    never = import_d(text, "x.d", exact=exact, verify=False)
    assert early == never
