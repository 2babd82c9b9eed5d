"""perf25a (session 24, issue 8): ``check`` of 4 MiB of one declaration's or one clause's shape.

* The parser makes the tree of an item of a shape read before (the lexer's replays: texts that
  differ only in their digits 1-9) by a function written for the shape (``parser._shaped``,
  ``parser._maker`` with the item's tokens), once the shape came ``REMAKE_AFTER`` times: pinned
  here against the readers themselves (the fast declaration reader and clause parser) on
  generated texts whose digits vary, trees and positions and errors and findings alike.
* The driver appends an item to the items' list in one step where it found those steps before
  (``parser._appended``), not by ``_settle``'s loop: pinned against ``_settle``.
* The checks' index takes the usual declaration and translator apart in one loop
  (``context._declaration_nodes``, ``_translator_nodes``): pinned against a walk.

Work is counted (calls made), never timed.
"""

from __future__ import annotations

import random

import pytest

from dtracepy import parser as P
from dtracepy import parser_decls
from dtracepy.checks import CheckOptions, check_program
from dtracepy.checks import context as C
from dtracepy.errors import DSyntaxError

_BODIES = ["speculate(s);", "trace({n});", "trace(x{n});", "x{n} = y{m};", "self->t{n} = timestamp;",
           "this->x = {n};", "trace({n}{m});", "x = 0{n};", "x = {n}UL;", "trace(arg{n});", "a[{n}] = {m};",
           "x = y.z{n};", "trace(-{n});", "f(x{n}, {m}, y);", "trace(int{n}_t);", "x = y ? {n} : z{m};",
           "commit(s{n});", "x = f(];", "x{n} = x{n} + {n};", "trace(!x{m});", "x = -y{n} * ~{m};",
           "a{n}[x, {m}] = y;", "p->q{n} = {n};", "trace({n}, {n});", "x++;", "if (x{n} > {m}) y = {n};"]
_HEADS = ["BEGIN", "syscall::read{n}:entry", "fbt::f{m}:entry", "profile-{n}", "tick-{m}s", "a{n}:b:c{m}:d",
          "BEGIN /x{n} == {m}/"]
_DECLS = ["struct s{n} {{ int a{m}; char b; }};", "typedef int t{n};", "int x{n};", "int x{n} = {m};",
          "int a{n}[{m}];", "struct s{n} {{ int a[{m}], b[{m}]; }};", "union u{n} {{ int a; long b{m}; }};",
          "struct o{n} {{ int a; }};\ntranslator struct o{n} < int *p > {{ a = *p; }};",
          "typedef struct s{n} t{n};", "struct s{n} *p{m};", "int x{n}, y{n}, z{m};",
          "struct o{n} {{ int a; int b{m}; }};\ntranslator struct o{n} < int *p > {{ a = *p; b{m} = -p->x{n}; }};",
          "self int v{n};", "struct s{n} {{ struct t{m} *p; unsigned long q[{n}]; }};",
          "struct s{n} {{ int a; int a; }};", "struct s{n} {{ int a{n}; int a{m}; }};"]


def _digits(rng: random.Random) -> str:
    # (mostly digits 1-9 of one length: texts of one shape; now and then a 0 or another length)
    if rng.random() < 0.85:
        return "".join(rng.choice("123456789") for _ in range(rng.choice((1, 3, 3, 3))))
    return str(rng.choice([rng.randint(10, 99), rng.randint(100, 99999), 10 ** rng.randint(0, 5)]))


def _varied_text(rng: random.Random) -> str:
    """1,500 to 2,500 clauses and declarations of a few shapes, their digits varied: each shape
    comes past REMAKE_AFTER, so that its later items are made by its maker."""
    bodies = [" ".join(rng.choice(_BODIES) for _ in range(rng.randint(0, 4))) for _ in range(3)]
    heads = rng.sample(_HEADS, 3)
    decls = rng.sample(_DECLS, 4)
    out = []
    for _ in range(rng.randint(1500, 2500)):
        if rng.random() < 0.5:
            out.append(rng.choice(decls) + "\n")
        else:
            out.append(f"{rng.choice(heads)} {{ {rng.choice(bodies)} }}\n")
        out[-1] = out[-1].replace("{n}", _digits(rng)).replace("{m}", _digits(rng))
        out[-1] = out[-1].replace("{{", "{").replace("}}", "}")
        if rng.random() < 0.005:
            out.append(rng.choice(["typedef int x1;\n", "typedef int t2;\n", "/* c */\n", "#line 5\n"]))
    return "".join(out)


def _parsed(text: str):
    """The tree's items with every node's class and position, or the error."""
    try:
        program = P.parse_bytes(text.encode(), "x.d")
    except DSyntaxError as err:
        return err.render()
    return program, [(node.__class__.__name__, node.pos) for node in program.walk()]


def _checked(text: str):
    try:
        program = P.parse_bytes(text.encode(), "x.d")
    except DSyntaxError as err:
        return err.render()
    return [f.render() for f in check_program(program, CheckOptions(), source=text)]


def _without_makers(monkeypatch):
    monkeypatch.setattr(P, "_shaped", lambda shapes, key, toks, read, at_of: read(toks))


@pytest.mark.parametrize("seed", range(24))
def test_shapes_made_are_the_readers_trees(monkeypatch, seed):
    """Items of shapes read before, their digits varied in names, numbers, descriptions and
    dimensions: the same tree, positions, errors and findings made by the shapes' makers as
    read by the readers (the fast declaration reader, the fast clause parser)."""
    text = _varied_text(random.Random(seed))
    if seed % 2:  # (most shapes made by their makers, not only the commonest)
        monkeypatch.setattr(P, "REMAKE_AFTER", 2)
    made = _parsed(text), _checked(text)
    with monkeypatch.context() as m:
        _without_makers(m)
        read = _parsed(text), _checked(text)
    assert made == read


def test_the_varied_texts_are_made_by_makers(monkeypatch):
    """The texts above reach the makers of shapes, of declarations and clauses (else that test
    says little), and some shapes are refused (a value that is no token's)."""
    built, used = [], []
    real = P._maker

    def counted(node, toks=None):
        maker = real(node, toks)
        if toks is None or maker is False:
            built.append((toks is not None, False))
            return maker
        built.append((node.__class__.__name__, True))
        return lambda at, toks: used.append(1) or maker(at, toks)

    monkeypatch.setattr(P, "_maker", counted)
    monkeypatch.setattr(P, "REMAKE_AFTER", 2)
    for seed in range(24):
        _parsed(_varied_text(random.Random(seed)))
    kinds = {kind for kind, ok in built if ok}
    assert {"Clause", "Declaration", "Translator"} <= kinds, built
    assert len(used) > 3_000, len(used)


def test_a_shape_whose_values_are_one_object_is_read(monkeypatch):
    """``trace(4, 4)``: the two tokens' values are one object (Python's one-character strings),
    so the maker cannot tell which token a field holds, and the shape is read every time; the
    texts after it whose two digits differ are read as the readers read them."""
    built = []
    real = P._maker
    monkeypatch.setattr(P, "_maker", lambda node, toks=None: built.append(real(node, toks)) or built[-1])
    rng = random.Random(5)
    first = "".join(
        f"BEGIN {{ trace(4, 4); x = {rng.randint(100, 999)}; }}\n" for _ in range(400))
    text = first + "".join(f"BEGIN {{ trace({rng.randint(1, 9)}, {rng.randint(1, 9)}); x = {i}; }}\n"
                           for i in range(111, 999) if "0" not in str(i))
    made = _parsed(text)
    assert built and built[0] is False, built  # (the key's first text: ``trace(4, 4)``)
    with monkeypatch.context() as m:
        _without_makers(m)
        assert _parsed(text) == made


@pytest.mark.parametrize("text, each", [
    ("".join(f"BEGIN {{ speculate(s); trace({i}); }}\n" for i in range(2000)), 1),
    ("".join(f"struct s{i} {{ int a; char b; }};\n" for i in range(2000)), 1),
    ("".join(f"struct o{i} {{ int a; }};\ntranslator struct o{i} < int *p > {{ a = *p; }};\n" for i in range(1000)), 2),
    ("".join(f"typedef int t{i};\n" for i in range(2000)), 1),
], ids=["speculations", "structs", "translators", "typedefs"])
def test_items_of_one_shape_are_not_read(monkeypatch, text, each):
    """2,000 items of one shape (digits apart): the readers read the items the lexer reads (the
    first few hundred) and the shape's first REMAKE_AFTER replays only; before, every item."""
    reads = []
    real_reader, real_clause_parser = parser_decls.reader, P._clause_parser

    def reader(*args):
        read = real_reader(*args)
        return lambda toks: reads.append(1) or read(toks)

    def clause_parser(*args):
        read = real_clause_parser(*args)

        def counted(toks, parts=None):
            reads.append(1)
            return read(toks, parts)

        counted.expression = read.expression
        return counted

    monkeypatch.setattr(parser_decls, "reader", reader)
    monkeypatch.setattr(P, "_clause_parser", clause_parser)
    program = P.parse(text, "x.d")
    assert len(program.items) == 2000
    assert len(reads) < 400 + P.REMAKE_AFTER * each + 4, len(reads)


def test_an_item_appended_as_settle_appends_it(monkeypatch):
    """The driver's one step that appends an item to the list makes what _settle's loop makes
    (the texts above), and _settle is asked for none of 2,000 typedefs' (before: each)."""
    for seed in range(6):
        text = _varied_text(random.Random(100 + seed))
        fast = _parsed(text)
        with monkeypatch.context() as m:
            m.setattr(P, "_appended", lambda appends, *args: P._settle(*args))
            assert _parsed(text) == fast
    settles = []
    real = P._settle
    monkeypatch.setattr(P, "_settle", lambda *a: settles.append(a[4]) or real(*a))
    P.parse("".join(f"typedef int t{i};\n" for i in range(2000)) + "BEGIN {}\n", "x.d")
    assert len(settles) < 10, len(settles)


def _index_as_walk(text: str) -> None:
    try:
        program = P.parse(text, "x.d")
    except DSyntaxError:
        return
    index = C.Context(program, CheckOptions(), [])._by_class
    walk: dict = {}
    for node in program.walk():
        walk.setdefault(node.__class__, []).append(node)
    assert set(index) == set(walk)
    for cls, nodes in walk.items():
        assert len(index[cls]) == len(nodes) and all(a is b for a, b in zip(index[cls], nodes)), cls


@pytest.mark.parametrize("seed", range(12))
def test_the_index_of_declarations_is_a_walks(seed):
    _index_as_walk(_varied_text(random.Random(200 + seed)))


@pytest.mark.parametrize("text, taken", [
    ("typedef int t;", True), ("struct s { int a; char b; };", True), ("int x, y;", True),
    ("struct s { struct t *p; unsigned long q; } x;", True), ("typedef struct s t;", True),
    ("struct s { int a[4]; };", False), ("int *p, **q;", True), ("struct s { int a : 3; };", False),
    ("struct s { struct t { int a; } b; };", False), ("enum e { A };", False), ("int f(int);", False),
])
def test_the_usual_declarations_are_taken_apart_at_once(text, taken):
    """The usual declaration is its nodes in one loop; any other is walked step by step (and
    either way the index is the walk's)."""
    program = P.parse(text + "\nBEGIN { x = 1; }\n", "x.d")
    assert (C._declaration_nodes(program.items[0]) is not None) == taken
    _index_as_walk(text + "\nBEGIN { x = 1; }\n")


@pytest.mark.parametrize("text, taken", [
    ("translator struct o < int *p > { a = *p; b = p; };", True),
    ("translator struct o < int **p > { a = -*p; };", True),
    ("translator struct o < struct i *p > { a = p->a; };", False),
    ("translator struct o < int *p > { a = *p + 1; };", False),
])
def test_the_usual_translators_are_taken_apart_at_once(text, taken):
    program = P.parse("struct o { int a; int b; };\n" + text, "x.d")
    assert (C._translator_nodes(program.items[1]) is not None) == taken
    _index_as_walk("struct o { int a; int b; };\n" + text)


def test_array_checks_skipped_where_no_array_is_declared(monkeypatch):
    """The checks that judge array declarators only (dimensions, clause-local arrays, typedef
    keys, the operands' declared arrays) look at no declaration of a program without one (before:
    at each of 2,000 typedefs); with one, at it, as before."""
    from dtracepy.checks import declarations, operands

    asked = []
    for module, name in ((declarations, "_array_dimensions"), (declarations, "_local_arrays"),
                         (declarations, "_typedef_keys"), (operands, "_declared_arrays")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _real=real, _name=name: asked.append(_name) or _real(*a))
    text = "".join(f"typedef int t{i};\n" for i in range(2000)) + "BEGIN { x = 1; }\n"
    assert _checked(text) == []
    assert "_array_dimensions" not in asked and "_local_arrays" not in asked and "_typedef_keys" not in asked
    findings = _checked(text + "int a[0];\nthis int b[int];\n")
    assert any("dimension 0" in f for f in findings) and any("associative array" in f for f in findings), findings


def test_speculation_judged_once_a_sequence_of_names(monkeypatch):
    """What the speculation rules say of a clause depends on its calls' names: a sequence found
    fine is not judged again (2,000 speculate clauses: a few judgements; before, 2,000), and the
    findings of the varied texts are those of judging every clause."""
    from dtracepy.checks import safety

    judged = []
    real = safety._speculation
    monkeypatch.setattr(safety, "_speculation", lambda ctx, calls: judged.append(1) or real(ctx, calls))
    bad = "BEGIN { speculate(s); speculate(t); }\nBEGIN { commit(s); speculate(s); }\n"
    findings = _checked("".join(f"BEGIN {{ speculate(s); trace({i}); }}\n" for i in range(2000)) + bad * 3)
    assert len(judged) < 10, len(judged)
    assert sum("only once" in f for f in findings) == 3 and sum("may not follow" in f for f in findings) == 3
    for seed in range(4):
        text = _varied_text(random.Random(300 + seed))
        cached = _checked(text)
        with monkeypatch.context() as m:
            m.setattr(safety, "_statement_calls", lambda clause, _real=safety._statement_calls: list(_real(clause)))
            m.setattr(safety, "tuple", lambda x: object(), raising=False)  # (no two sequences alike)
            assert _checked(text) == cached
