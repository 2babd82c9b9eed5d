"""Declarations read fast (session 22, perf23d; issue 8: ``check`` of 4 MiB of declarations).

Three fast paths, each against the code it stands in for:

* the parser's declaration reader (dtracepy/parser_decls.py) against the LALR automaton alone
  (``parser.FAST_DECLARATIONS = False``): equal trees with equal positions on every node, or the
  same error at the same place;
* the lexer's replay of a declaration of a shape read before (``lexer.DECL_TEXT_MAX``) against the
  state machine alone (``lexer.DECL_MISSES = 0``): equal tokens, typedefs and errors;
* the checks' index (``Context._by_class``), which takes declaration nodes apart itself, against a
  walk of the tree.

The inputs are generated declarations of many shapes, each repeated with numbered names (so that
shapes are replayed), well formed and malformed, among clauses, comments and pragmas.  Work is
counted (Python calls, bytecode instructions, general steps of the index), never timed.
"""

from __future__ import annotations

import random
import sys

import pytest

from dtracepy import lexer as L
from dtracepy import parser as P
from dtracepy import tree
from dtracepy.errors import DSyntaxError
from test_parser_fast import _flat
from test_reading_speed import _opcodes

# {i}: a number that makes each repetition's names new; {j}: the previous repetition's
SHAPES = [
    "struct s{i} {{ int a; char b; }};",
    "struct s{i}{{int a;char b;}};",
    "struct s{i} {{\n\tunsigned long a;\n\tconst char *b;\n\tint **c, d;\n}};",
    "union u{i} {{ int a; long long b; }};",
    "struct s{i} {{ struct s{i} *next; uint64_t ts; }};",
    "struct s{i} {{ struct {{ int x; }} in; }};",
    "struct s{i} {{ char name[16]; int v[]; }};",
    "struct s{i} {{ char name[010]; }};",
    "struct s{i} {{ char name[08]; }};",
    "struct s{i} {{ int a : 3; }};",
    "struct s{i} {{ int a; }} v{i};",
    "struct s{i} {{ }};",
    "struct s{i};",
    "struct s{i} *p{i}, q{i};",
    "struct s{i} {{ int a }};",
    "struct s{i} {{ int a; ;",
    "struct s{i} {{ int self; }};",
    "struct s{i} {{ int a; char b; }}",
    "typedef int t{i};",
    "typedef int t{i}, *pt{i};",
    "typedef struct s{i} t{i};",
    "typedef struct s{i} {{ int a; }} t{i};",
    "typedef t{j} t{i};",
    "typedef int t1;",
    "typedef int t{i}, t{i};",
    "typedef struct s{i} {{ int a; }} t{i}, *p{i};",
    "typedef int t{i}; t{i} x{i};",
    "typedef int;",
    "typedef int t{i}",
    "typedef unsigned long long t{i};\nt{i} *v{i};",
    "int x{i};",
    "int x{i} = 1;",
    "int x{i} = 08;",
    "self int x{i};",
    "this string s{i};",
    "extern int `kmem{i};",
    "uint64_t a{i}[string];",
    "int a{i}[10], b{i};",
    "int * const * volatile p{i};",
    "int f{i}(int);",
    "foo{i} *bar{i};",
    "enum e{i} {{ A{i}, B{i} = 2 }};",
    "inline int k{i} = 3;",
    "struct o{i} {{ int a; }};\ntranslator struct o{i} < int *p > {{ a = *p; }};",
    "struct o{i} {{ int a; int b; }};\ntranslator struct o{i} < struct o{i} *p > {{ a = p->a + 1; b = p->b; }};",
    "translator struct o{i} < int *p > {{ a = p[0]; }};",
    "translator struct o{i} < int *p > {{ a = (int)*p; }};",
    "translator struct o{i} < int * > {{ a = 1; }};",
    "translator struct o{i} < int *p > {{ a = ; }};",
    "translator struct o{i} * < int *p > {{ a = 1; }};",
    "translator int < int *p > {{ }};",
    "BEGIN {{ x{i} = 1; }}",
    "/* c{i} */ int y{i};",
    "#pragma D option quiet\nint z{i};",
    "syscall::read:entry {{ self->t = timestamp; }}",
]


def _text(shape: str, n: int, seed: int) -> str:
    rnd = random.Random(seed)
    parts = []
    for i in range(n):
        parts.append(shape.format(i=i + 1000 * seed, j=max(i - 1, 0) + 1000 * seed))
        if rnd.random() < 0.1:
            parts.append(rnd.choice(SHAPES[:3]).format(i=90000 + i, j=90000 + i))
    return "\n".join(parts) + "\n"


def _texts():
    out = []
    for k, shape in enumerate(SHAPES):
        out.append(_text(shape, 6, k))
    rnd = random.Random(23)
    for k in range(40):  # shapes mixed
        shapes = rnd.sample(SHAPES, 4)
        out.append("".join(_text(s, rnd.randint(2, 5), 100 + k) for s in shapes))
    return out


TEXTS = _texts()


def _parsed(text: str, fast: bool, replay: bool):
    saved = P.FAST_DECLARATIONS, L.DECL_MISSES
    P.FAST_DECLARATIONS, L.DECL_MISSES = fast, (L.DECL_MISSES if replay else 0)
    try:
        program = P.parse(text, "x.d")
    except DSyntaxError as err:
        return ("error", str(err))
    finally:
        P.FAST_DECLARATIONS, L.DECL_MISSES = saved
    return [_flat(n) for n in program.walk()]


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_fast_declarations_as_the_automaton(text):
    slow = _parsed(text, False, False)
    assert _parsed(text, True, False) == slow, text
    assert _parsed(text, True, True) == slow, text


def _lexed(text: str, replay: bool):
    saved = L.DECL_MISSES
    L.DECL_MISSES = saved if replay else 0
    lexer = L.Lexer(text, "x.d")
    items = []
    try:
        for item in lexer.items(P.CLAUSE_PART):
            items.append(list(item))
    except DSyntaxError as err:
        return ("error", str(err), items, list(lexer.partial))
    finally:
        L.DECL_MISSES = saved
    return items, sorted(lexer.typedefs), [(type(n).__name__, n.pos) for n in lexer.toplevel]


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_replayed_declarations_as_the_state_machine(text):
    assert _lexed(text, True) == _lexed(text, False), text


def test_texts_exercise_the_fast_paths():
    """The generated texts reach the fast reader and the replay (else the tests above say little)."""
    read = replayed = 0
    original_reader, original_keep = P._parser_decls.reader, L._keep_decl
    kept = []

    def counting_reader(*args):
        declaration = original_reader(*args)

        def counted(toks):
            nonlocal read
            node = declaration(toks)
            read += node is not None
            return node
        return counted

    def counting_keep(shapes, *args):
        original_keep(shapes, *args)
        kept.append(len(shapes))

    P._parser_decls.reader, L._keep_decl = counting_reader, counting_keep
    try:
        for text in TEXTS:
            try:
                P.parse(text, "x.d")
            except DSyntaxError:
                pass
    finally:
        P._parser_decls.reader, L._keep_decl = original_reader, original_keep
    assert read > 500
    assert kept and max(kept) >= 1


def _calls(function, *args) -> int:
    """Python function calls made by ``function(*args)`` (the profiler's 'call' events)."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        function(*args)
    finally:
        sys.setprofile(None)
    return count


def _structs(n: int) -> str:
    return "".join(f"struct s{i} {{ int a; char b; }};\n" for i in range(n))


@pytest.mark.parametrize("unit, before, bound", [
    ("struct s{i} {{ int a; char b; }};\n", 77, 20),
    ("typedef int t{i};\n", 27, 15),
    ("struct o{i} {{ int a; }};\ntranslator struct o{i} < int *p > {{ a = *p; }};\n", 147, 80),
])
def test_declarations_parsed_without_the_automaton_callbacks(unit, before, bound):
    """2,000 declarations: the automaton's callbacks made ``before`` Python calls an item
    (specifier lists, splices, declarators, each node's __init__; measured at main 4566103); the
    fast reader makes 14, 9 and 55."""
    P.parse(unit.format(i=0), "x.d")  # (the tables loaded)
    calls = _calls(P.parse, "".join(unit.format(i=i) for i in range(2000)), "x.d")
    assert calls < 2000 * bound, calls / 2000


@pytest.mark.parametrize("unit", [
    "struct s{i} {{ int a; char b; }};\n",
    "typedef int t{i};\n",
    "struct o{i} {{ int a; }};\ntranslator struct o{i} < int *p > {{ a = *p; }};\n",
])
def test_declarations_of_one_shape_lexed_without_the_state_machine(unit):
    """A declaration of a shape read before is its kept tokens: some 230 to 260 bytecode
    instructions of the lexer an item, where the state machine ran 680 to 1,500 (main 4566103)."""
    n = 1000
    text = "".join(unit.format(i=i) for i in range(n))
    steps = _opcodes(lambda: [None for _ in L.Lexer(text, "x.d").items(P.CLAUSE_PART)], L.__file__)
    items = n * unit.count(";\n")
    assert steps < items * 400, (steps / items)


def test_index_takes_declarations_apart():
    """The checks' index of 500 structs and translators: the general step (push_children) only
    for the program and each pair's Translator, Unary and ArrayDecl (9,501 steps at main 4566103,
    1,501 now), and the index is a walk's."""
    from dtracepy.checks import CheckOptions
    from dtracepy.checks import context as C

    text = "".join(f"struct o{i} {{ int a; char *b[4]; }};\ntranslator struct o{i} < int *p > {{ a = *p; }};\n"
                   for i in range(500))
    program = P.parse(text, "x.d")
    steps = 0
    original = C.push_children

    def counted(node, stack):
        nonlocal steps
        steps += 1
        original(node, stack)

    C.push_children = counted
    try:
        by_class = C.Context(program, CheckOptions())._by_class
    finally:
        C.push_children = original
    assert steps <= 500 * 3 + 1, steps
    walked: dict = {}
    for node in program.walk():
        walked.setdefault(node.__class__, []).append(node)
    for cls in set(walked) | set(by_class):
        assert [id(n) for n in by_class.get(cls, [])] == [id(n) for n in walked.get(cls, [])], cls
