"""perf24c (session 23, issue 8): ``check`` of 110,000 speculate clauses and of 4 MiB of structs
and a translator each.

* A clause or declaration of a shape read before (the lexer's replays of perf23c and perf23d)
  has its tokens' values sliced from its text at the offsets kept from the shape's first text
  (``lexer._values_getter``), not found by a ``findall`` of the token pattern: the same values
  because texts of one shape differ only in digits 1-9 and the token pattern tells none of them
  from another (tested here of the pattern itself), and the same tokens as the state machine's
  (compared on generated texts whose digits vary in names, numbers and descriptions).
* ``declarations._translators`` hashes a translator's key once (not once to look it up and once
  to add it) and tells a struct defined above its translator by their offsets, making no
  position (compared with the code before, kept here, on generated texts).

Work is counted (calls made), never timed.
"""

from __future__ import annotations

import random
import re
import re._parser as sre_parse

import pytest

from dtracepy import lexer as L
from dtracepy import parser as P
from dtracepy import source
from dtracepy import tree as t
from dtracepy.checks import CheckOptions, check_program, declarations
from dtracepy.checks.context import Context
from dtracepy.errors import DSyntaxError
from dtracepy.facts.keywords import TYPE_KEYWORDS

# --- the token pattern tells no digit 1-9 from another ------------------------------------------


def _sets(parsed):
    """Each set of characters of a parsed pattern, as a function: character -> in the set?"""
    for op, av in parsed:
        if op is sre_parse.LITERAL:
            yield lambda c, v=av: ord(c) == v
        elif op is sre_parse.NOT_LITERAL:
            yield lambda c, v=av: ord(c) != v
        elif op is sre_parse.IN:
            yield lambda c, items=av: _in(items, c)
        elif op is sre_parse.ANY:
            yield lambda c: c != "\n"
        elif op in (sre_parse.SUBPATTERN,):
            yield from _sets(av[-1])
        elif op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, sre_parse.POSSESSIVE_REPEAT):
            yield from _sets(av[-1])
        elif op is sre_parse.ATOMIC_GROUP:
            yield from _sets(av)
        elif op is sre_parse.BRANCH:
            for branch in av[1]:
                yield from _sets(branch)
        elif op in (sre_parse.AT, sre_parse.ASSERT, sre_parse.ASSERT_NOT, sre_parse.GROUPREF):
            if op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
                yield from _sets(av[1])
        else:
            raise AssertionError(f"an operator this test does not know: {op}")


def _in(items, c):
    negate, found = False, False
    for op, av in items:
        if op is sre_parse.NEGATE:
            negate = True
        elif op is sre_parse.LITERAL:
            found = found or ord(c) == av
        elif op is sre_parse.RANGE:
            found = found or av[0] <= ord(c) <= av[1]
        elif op is sre_parse.CATEGORY:
            found = found or re.match({sre_parse.CATEGORY_DIGIT: r"\d", sre_parse.CATEGORY_SPACE: r"\s",
                                       sre_parse.CATEGORY_WORD: r"\w", sre_parse.CATEGORY_NOT_SPACE: r"\S",
                                       sre_parse.CATEGORY_NOT_DIGIT: r"\D",
                                       sre_parse.CATEGORY_NOT_WORD: r"\W"}[av], c) is not None
        else:
            raise AssertionError(f"a set item this test does not know: {op}")
    return found != negate



@pytest.mark.parametrize("pattern", [L._TOKEN_RE, L._BODY_TOKEN_RE, L._BODY_PLAIN_RE],
                         ids=["token", "body", "plain"])
def test_the_token_patterns_tell_no_digit_from_another(pattern):
    """A replayed item's values are slices at its shape's first text's offsets: right only while
    every set of characters of the token patterns holds all of 1-9 or none (a set ``[0-7]``, an
    octal's, would make ``18`` and ``17`` of one shape lex apart)."""
    parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    sets = list(_sets(parsed))
    assert len(sets) > 20
    for test in sets:
        assert len({test(d) for d in "123456789"}) == 1


# --- replays as the state machine reads them ----------------------------------------------------

_BODIES = ["speculate(s);", "trace({n});", "trace(x{n});", "x{n} = y{m};", "self->t{n} = timestamp;",
           "this->x = {n};", "trace({n}{m});", "x = 0{n};", "x = 0x{n}f;", "x = {n}UL;", "x = {n}e{m};",
           "trace(arg{n});", "a[{n}] = {m};", "x = {n}{n}{n}{n}{n}{n}{n}{n}{n}{n}{n}{n}{n}{n}{n}{n}{n}{n}{n}{n};",
           "x = y.z{n};", "trace(-{n});", "f(x{n}, {m}, y);", "x = 1{n}a;", "trace({n}.{m});", "x = 0{n}{m};",
           "trace(int{n}_t);", "x = y ? {n} : z{m};", "commit(s{n});", "x = f(];"]
_HEADS = ["BEGIN", "syscall::read{n}:entry", "fbt::f{m}:entry", "profile-{n}", "tick-{m}s", "a{n}:b:c{m}:d"]
_DECLS = ["struct s{n} {{ int a{m}; char b; }};", "typedef int t{n};", "int x{n};", "int x{n} = {m};",
          "int a{n}[{m}];", "int x{n} = 0{m};", "struct o{n} {{ int a; }};\ntranslator struct o{n} < int *p > "
          "{{ a = *p + {m}; }};", "typedef struct s{n} t{n};", "struct s{n} *p{m};", "int x{n} = 0x{m};"]


def _digits(rng: random.Random) -> str:
    # (mostly three digits 1-9: texts seen once, of one shape; now and then a 0 or another length)
    if rng.random() < 0.8:
        return "".join(rng.choice("123456789") for _ in range(3))
    return str(rng.choice([rng.randint(1, 9), rng.randint(10, 99), rng.randint(100, 99999), 10 ** rng.randint(0, 5)]))


def _varied_text(rng: random.Random) -> str:
    """900 to 1,500 clauses and declarations of a few shapes, their digits varied (so that after the
    texts seen once the lexer replays shapes), the first of a shape's digits as likely as any."""
    bodies = [" ".join(rng.choice(_BODIES) for _ in range(rng.randint(0, 4))) for _ in range(4)]
    heads = rng.sample(_HEADS, 3)
    decls = rng.sample(_DECLS, 3)
    out = []
    for _ in range(rng.randint(900, 1500)):
        if rng.random() < 0.3:
            out.append(rng.choice(decls).format(n="{n}", m="{m}") + "\n")
        else:
            out.append(f"{rng.choice(heads)} {{ {rng.choice(bodies)} }}\n")
        out[-1] = out[-1].replace("{n}", _digits(rng)).replace("{m}", _digits(rng))
        if rng.random() < 0.01:
            out.append(rng.choice(["typedef int x1;\n", "typedef int y2;\n", "/* c */\n", "#line 5\n"]))
    return "".join(out)


def _read(text: str):
    lexer = L.Lexer(text, "x.d")
    items, error = [], None
    try:
        for item in lexer.items(P.CLAUSE_PART):
            items.append(list(item))
    except DSyntaxError as err:
        error = err.render()
    return items, sorted(lexer.typedefs), [(repr(node), node.pos) for node in lexer.toplevel], error


def _checked(text: str):
    try:
        program = P.parse_bytes(text.encode(), "x.d")
    except DSyntaxError as err:
        return err.render()
    return [f.render() for f in check_program(program, CheckOptions(), source=text)]


@pytest.mark.parametrize("seed", range(30))
def test_replayed_items_are_read_as_the_machine_reads_them(monkeypatch, seed):
    """Clauses and declarations whose digits vary (in names, numbers, descriptions; numbers with
    a leading 0, hexadecimal, with suffixes and exponents, malformed): the same tokens, typedefs,
    nodes, errors and findings with the replays (values sliced) as with the machine alone."""
    text = _varied_text(random.Random(seed))
    fast = _read(text), _checked(text)
    monkeypatch.setattr(L, "CLAUSE_SHAPES", False)
    monkeypatch.setattr(L, "DECL_MISSES", 0)
    assert fast == (_read(text), _checked(text))


def test_the_varied_texts_replay(monkeypatch):
    """The texts above reach both replays (else that test says little)."""
    replays = []
    real = L._values_getter

    def counted(offsets, values):
        getter = real(offsets, values)
        return lambda text: replays.append(len(offsets)) or getter(text)

    monkeypatch.setattr(L, "_values_getter", counted)
    for seed in range(30):
        _read(_varied_text(random.Random(seed)))
    assert len(replays) > 1000, len(replays)


@pytest.mark.parametrize("text, each", [
    ("".join(f"BEGIN {{ speculate(s); trace({i}); }}\n" for i in range(2000)), 1),
    ("".join(f"struct o{i} {{ int a; }};\ntranslator struct o{i} < int *p > {{ a = *p; }};\n" for i in range(1000)), 2),
    ("".join(f"typedef int t{i};\n" for i in range(2000)), 1),
], ids=["speculations", "translators", "typedefs"])
def test_a_replay_scans_no_text_again(monkeypatch, text, each):
    """2,000 items of one shape (digits apart): the token pattern's findall runs for the items the
    machine reads (the first few hundred) only; before, for every item."""
    found = []
    real = L._TOKENS_OF
    monkeypatch.setattr(L, "_TOKENS_OF", lambda *a: found.append(a) or real(*a))
    items = list(L.Lexer(text, "x.d").items())
    assert len(items) == 2000
    assert len(found) < 600, len(found)


def test_a_replay_of_one_token_is_a_tuple():
    """``itemgetter`` of one slice gives the value, not a tuple of it: the getter makes one."""
    assert L._values_getter((0,), ("ab",))("abc") == ("ab",)
    assert L._values_getter((0, 3), ("ab", "d"))("ab d") == ("ab", "d")


# --- translators ----------------------------------------------------------------------------------

def _reference_translators(ctx):
    """declarations._translators as it was before (session 22's main), for comparison."""
    seen, defined = set(), {}
    for node in ctx.of(t.Translator):
        output = node.output
        named = [s for s in output.specifiers if s.__class__ is not str or s in TYPE_KEYWORDS]
        if output.declarator.__class__ is t.NameDecl and named and (
                all(s.__class__ is str for s in named) or named[0].__class__ is t.EnumSpec):
            yield ctx.finding("declaration", output, "a translator's output type must be a struct or union "
                              "(dtrace: \"translator output type must be a struct or union\")", fallback=node)
        spec = named[0] if len(named) == 1 and named[0].__class__ is t.StructSpec else None
        if (spec is not None and spec.members is None and spec.name is not None and not ctx.uses_cpp
                and output.declarator.__class__ is t.NameDecl):
            yield from _reference_output(ctx, node, spec, defined)
        key = (output, node.input)
        try:
            found = key in seen
        except TypeError:
            seen = list(seen)
            found = key in seen
        if found:
            yield ctx.finding("declaration", node, "this translator (the same input and output types) is "
                              "declared above already (dtrace: \"has already been declared\")")
        seen.add(key) if seen.__class__ is set else seen.append(key)


def _reference_output(ctx, node, spec, defined):
    if not defined:
        for s in ctx.of(t.StructSpec):
            if s.members is not None and s.name is not None and s._at is not None:
                defined.setdefault((s.kind, s.name), s)
        defined.setdefault(None, None)
    where = defined.get((spec.kind, spec.name))
    name = f"{spec.kind} {spec.name}"
    quoted = f"(dtrace: \"incomplete struct/union/enum {name}\")"
    if where is None:
        yield ctx.finding("declaration", node.output, f"{name} is not defined in this script, and a translator's "
                          f"output type must be complete: unless the kernel defines it, dtrace refuses it "
                          f"{quoted}; define it above the translator", severity="warning", fallback=node)
        return
    where, pos = where.pos, node.pos
    if pos is not None and (where.line, where.col) > (pos.line, pos.col):
        yield ctx.finding("declaration", node.output, f"{name} is defined only below this translator (line "
                          f"{where.line}), and a translator's output type must be complete where it stands "
                          f"{quoted}: define it above the translator", fallback=node)


_TRANSLATOR_ITEMS = [
    "struct o{i} {{ int a; }};", "translator struct o{i} < int *p > {{ a = *p; }};",
    "translator struct o{j} < int *p > {{ a = *p; }};", "translator struct o{j} < long *p > {{ a = *p; }};",
    "translator struct k{i} < int *p > {{ a = *p; }};", "translator int < int *p > {{ a = 1; }};",
    "translator enum e{i} < int *p > {{ a = 1; }};", "translator union o{j} < int *p > {{ a = *p; }};",
    "union o{i} {{ int a; }};", "struct o{i} {{ int a; }}; translator struct o{i} < int *p > {{ a = *p; }};",
    "translator struct o{j} < struct o{j} *p > {{ a = p->a; }};", "BEGIN {{ x = {i}; }}",
    "translator struct o{j} * < int *p > {{ a = 1; }};", "#line 3\n", "/* c */", "\n\n",
]


def _translators_text(rng: random.Random) -> str:
    out = []
    for i in range(rng.randint(5, 80)):
        out.append(rng.choice(_TRANSLATOR_ITEMS).format(i=i, j=rng.randint(0, max(i, 1))))
    return "\n".join(out) + "\n"


def _translator_findings(text, function):
    try:
        program = P.parse_bytes(text.encode(), "x.d")
    except DSyntaxError as err:
        return err.render()
    ctx = Context(program, CheckOptions(), text.split("\n"))
    return [f.render() for f in function(ctx)]


@pytest.mark.parametrize("seed", range(40))
def test_translators_are_judged_as_before(seed):
    """Structs defined above, below or nowhere, translators declared again (the same or other
    types), outputs that are no struct: the same findings, in the same order, as the code before."""
    text = _translators_text(random.Random(seed))
    assert _translator_findings(text, declarations._translators) == \
        _translator_findings(text, _reference_translators), text


def test_the_generated_translators_find_each_kind():
    said = "\n".join(str(_translator_findings(_translators_text(random.Random(seed)), declarations._translators))
                     for seed in range(40))
    for words in ("is declared above already", "is defined only below", "is not defined in this script",
                  "must be a struct or union"):
        assert words in said


def test_a_translator_is_hashed_once_and_makes_no_position(monkeypatch):
    """1,000 structs and a translator each, defined above it: each translator's key hashed once
    (before: twice, looked up then added: 4,000 hashes of a TypeName) and no position made
    (before: the struct's and the translator's, 2,000)."""
    text = "".join(f"struct o{i} {{ int a; }};\ntranslator struct o{i} < int *p > {{ a = *p; }};\n"
                   for i in range(1000))
    program = P.parse_bytes(text.encode(), "x.d")
    ctx = Context(program, CheckOptions(), text.split("\n"))
    ctx._by_class  # (the index made before counting)
    hashes, positions = [], []
    real_hash, real_position = t.TypeName.__hash__, t._position_at
    monkeypatch.setattr(t.TypeName, "__hash__", lambda self: hashes.append(1) or real_hash(self))
    monkeypatch.setattr(t, "_position_at", lambda at: positions.append(at) or real_position(at))
    assert list(declarations._translators(ctx)) == []
    assert len(hashes) == 2000, len(hashes)
    assert positions == []


def test_plainly_ordered_only_within_one_text_without_a_line_map():
    """Offsets tell the order of lines and columns only within one text that has no line map."""
    plain = P.parse_bytes(b"struct o { int a; };\nBEGIN { x = 1; }\n", "x.d")
    first, second = plain.items[0]._at, plain.items[1]._at
    assert source.plainly_ordered(first, second)
    assert not source.plainly_ordered(second, first)
    assert not source.plainly_ordered(first, first)
    assert not source.plainly_ordered(None, second)
    assert not source.plainly_ordered(first, plain.items[1].pos)  # (a Pos: not an offset)
    other = P.parse_bytes(b"BEGIN { x = 1; }\n", "y.d")
    assert not source.plainly_ordered(first, other.items[0]._at)  # (another text)
    base = source.register_text("m.d", 10, [3], line_map=lambda line: ("n.d", 10 - line))
    assert not source.plainly_ordered(base + 1, base + 5)  # (a line map may order lines otherwise)
    assert source.position_at(base + 1).line > source.position_at(base + 5).line  # (as here: 9, then 8)


def _index_as_walk(text):
    program = P.parse_bytes(text.encode(), "x.d")
    by_class = Context(program, CheckOptions())._by_class
    walked: dict = {}
    for node in program.walk():
        walked.setdefault(node.__class__, []).append(node)
    assert set(walked) == set(by_class)
    for cls in walked:
        assert [id(n) for n in by_class[cls]] == [id(n) for n in walked[cls]], cls


@pytest.mark.parametrize("seed", range(20))
def test_the_index_of_translators_is_a_walks(seed):
    """The index takes a Translator and a Unary apart itself: the same lists as a walk, on
    translators of one member or several, of expressions with prefix operators."""
    rng = random.Random(seed)
    text = _translators_text(rng) + "".join(
        f"translator struct o{i} < int *p > {{ a = {rng.choice(['*p', '-*p', '!p', '~*(p + 1)', '*&p[1]'])}; "
        f"b = {rng.choice(['-1', '*p', 'sizeof (int)', '-(int)*p'])}; }};\n" for i in range(rng.randint(0, 5)))
    try:
        _index_as_walk(text)
    except DSyntaxError:
        pass


def test_the_index_takes_translators_apart(monkeypatch):
    """500 structs and translators: the general step (push_children) for the program and each
    pair's ArrayDecl only (session 22's main: each Translator and Unary too, 1,501)."""
    from dtracepy.checks import context as C

    text = "".join(f"struct o{i} {{ int a; char *b[4]; }};\ntranslator struct o{i} < int *p > {{ a = *p; }};\n"
                   for i in range(500))
    program = P.parse(text, "x.d")
    steps = []
    real = C.push_children
    monkeypatch.setattr(C, "push_children", lambda node, stack: steps.append(node) or real(node, stack))
    Context(program, CheckOptions())._by_class
    assert len(steps) <= 501, len(steps)
    _index_as_walk(text)


# --- argument-type of variables -------------------------------------------------------------------

def test_a_constant_argument_is_passed_over_without_a_call(monkeypatch):
    """1,000 clauses of ``copyin(N, 8); speculate(s);``: operands._variable_arguments asks
    ``_variable`` of each ``s`` (and once more of the one judged), not of each constant (before:
    3,001 asks)."""
    from dtracepy.checks import operands

    text = "".join(f"BEGIN {{ copyin({i}, 8); speculate(s); }}\n" for i in range(1000))
    program = P.parse_bytes(text.encode(), "x.d")
    ctx = Context(program, CheckOptions(), text.split("\n"))
    ctx._by_class, ctx.call_names  # (made before counting)
    asked = []
    real = operands._variable
    monkeypatch.setattr(operands, "_variable", lambda node: asked.append(node) or real(node))
    said = [f.render() for f in operands._variable_arguments(ctx)]
    assert len(asked) <= 1001, len(asked)
    monkeypatch.setattr(operands, "_variable", real)
    assert said == [f.render() for f in operands._variable_arguments(ctx)]


@pytest.mark.parametrize("seed", range(10))
def test_argument_types_of_variables_as_before_on_varied_texts(seed):
    """The findings of operands' rules on the varied texts above: as session 22's code says them
    (kept in tests/test_perf23c.py)."""
    from dtracepy.checks import operands
    from test_perf23c import _reference_variable_arguments

    firsts = ["x = 1;", 'x = "a";', "self->p = curthread;", "x = curthread;", ""]
    text = _varied_text(random.Random(seed)) + "".join(
        "BEGIN { " + random.Random(seed + k).choice(firsts) + f" trace(x); copyinstr(x); speculate(x); "
        f"stack(x, {k}); strlen(self->p); copyin(x, 1); printf(\"%d\", x); }}\n" for k in range(20))
    try:
        program = P.parse_bytes(text.encode(), "x.d")
    except DSyntaxError:
        return
    ctx = Context(program, CheckOptions(), text.split("\n"))
    assert [f.render() for f in operands._variable_arguments(ctx)] == \
        [f.render() for f in _reference_variable_arguments(ctx)]
