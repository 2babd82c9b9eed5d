"""The fast C reader's subset, session 20 (layout21): GNU range designators, labels as values and
computed gotos, a local or a parameter named as a file-scope typedef, declarations in a ``for``
(and gcc's refusals there), ``typeof``/``__typeof__``/``__auto_type`` in a function's body, and
C23's words that gcc's default mode takes as names (``bool``, ``true``, ``nullptr`` ...).  Each
sent the whole header to pycparser (60,000 to 100,000 tokens a second) or was refused; now each is
read by the fast reader, as gcc reads it, and laid out as pycparser's path lays it out where that
path reads it.  And pycparser is bounded: a header of more tokens than it reads within issue 8's
5 s is read by the fast reader only, and what that does not take is refused at its place.

Work is counted (whether pycparser was called, how many tokens), never timed."""

from __future__ import annotations

import random
import shutil
import subprocess

import pytest

from dtracepy.errors import LayoutError
from dtracepy.layout import cdecl, cparse, fastc, parse_layouts

from test_layout_reader import _no_pycparser, _pycparser_calls, mutated, same

PREAMBLE = "typedef long T;\ntypedef int U;\nstruct r0 { int a; char b; struct r0 *n; };\n"
TAIL = "struct a { T x; U y; char z[3]; struct r0 *r; };\n"

# what both paths read (pycparser's with its GNU forms, cparse._CParser), and gcc
BOTH = {
    "range designators": [
        "static const int rd0[10] = { [0 ... 3] = 1, [5 ... 6] = 2, [9] = 3 };\n",
        "static const struct r0 rd1[4] = { [1 ... 2] = { .a = 1, .b = 'x' }, [3] = { 0 } };\n",
        "static int rd2(void) { int v[8] = { [0 ... 7] = -1 }; char s[4] = { [1 ... 2] = 'y' }; return v[1] + s[1]; }\n",
        "static const char rd3[2][4] = { [0 ... 1] = { [0 ... 3] = 'z' } };\n",
    ],
    "labels as values": [
        "static int lv0(int n) { static void *t[] = { &&one, &&two }; goto *t[n & 1]; one: return 1; two: return 2; }\n",
        "static int lv1(void) { void *p = &&out; goto *p; out: ; return 0; }\n",
        "static int lv2(int n) { void *q = n ? &&a : &&b; goto *(n ? q : &&b); a: return 1; b: return 0; }\n",
    ],
    "a local or a parameter named as a typedef": [
        "static int sh0(void) { int T = 3; T++; return T; }\n",
        "static int sh1(int T) { return T + 1; }\nT sh1v;\n",
        "static long sh2(void) { { char T = 1; T++; } T y = 2; return y; }\n",
        "static int sh3(U x) { double U = x; { int T[3] = { 0 }; U += T[0]; } return (int)U; }\n",
        "int sh4(int T, char *U);\nT sh4v; U sh4w;\n",
        "static int sh5(void) { T T = 4; return (int)T; }\n",
    ],
    "declarations in for": [
        "static int fd0(struct r0 *h) { int t = 0; for (struct r0 *p = h; p; p = p->n) t += p->a; return t; }\n",
        "static int fd1(void) { int t = 0; for (int i = 0, j = 4; i < j; i++) t += i; return t; }\n",
        "static int fd2(void) { int t = 0; for (int T = 0; T < 3; T++) t += T; T after = t; return (int)after; }\n",
        "static int fd3(void) { int t = 0; for (register int i = 0; i < 2; i++) for (U k = 0; k < 2; k++) t++; return t; }\n",
    ],
    "C23's words, names to gcc's default": [
        "typedef _Bool bool;\nstruct c0 { bool nullptr, constexpr; int alignas, alignof; };\n",
        "enum { false, true };\nstruct c1 { char x[true + 1]; int static_assert, thread_local, typeof_unqual, _BitInt; };\n",
        "static int c2(int bool) { int true = bool; return true; }\n",
    ],
}
# what the fast reader reads as gcc does and pycparser's path refuses (it has no typeof)
GNU_ONLY = {
    "typeof in a body": [
        "static int to0(int y) { typeof(y) z = y; __typeof__(int *) p = &z; return (__typeof(z))*p; }\n",
        "static unsigned long to1(struct r0 *p) { typeof(p->n) q = p; return sizeof(typeof(q->a)) + sizeof(__typeof__(T)); }\n",
        "static int to2(int n) { __auto_type x = n + 1; __auto_type y = (char)x; return x + y; }\n",
    ],
}
ALL_BOTH = [text for texts in BOTH.values() for text in texts]
ALL = ALL_BOTH + [text for texts in GNU_ONLY.values() for text in texts]


def _fast(text: str):
    """The fast reader's tree of ``text`` (Unsupported where it gives way)."""
    return fastc.read(cdecl.PRELUDE, '#line 1 "h.h"\n' + text, cdecl.BUILTIN_FILE)


@pytest.mark.parametrize("text", ALL_BOTH)
def test_each_construct_is_read_without_pycparser_as_pycparsers_path_reads_it(text, monkeypatch):
    header = PREAMBLE + text + TAIL
    _fast(header)  # (not Unsupported)
    result = same(header, monkeypatch)  # (pycparser's path, then the fast one: the same layouts)
    assert result[0] == "ok"
    _no_pycparser(monkeypatch)
    layouts = parse_layouts(header, filename="h.h")
    assert layouts["a"].size == 24 and layouts["a"].member("r").offset == 16


@pytest.mark.parametrize("text", [text for texts in GNU_ONLY.values() for text in texts])
def test_typeof_and_auto_type_in_a_body_are_read_without_pycparser(text, monkeypatch):
    header = PREAMBLE + text + TAIL
    _no_pycparser(monkeypatch)
    assert parse_layouts(header, filename="h.h")["a"].size == 24


@pytest.mark.parametrize("abi", ["x86_64", "i386", "sparcv9"])
def test_a_header_of_every_construct_reads_the_same(abi, monkeypatch):
    header = PREAMBLE + "".join(ALL_BOTH) + TAIL
    _fast(header)
    assert same(header, monkeypatch, abi)[0] == "ok"


@pytest.mark.parametrize("text", [
    "int f(void) { typeof(1) x; }\nstruct b { typeof(1) m; };\n",  # (a type laid out, of an expression: not the reader's)
    "int f(void) { __auto_type x; }\n", "int f(void) { __auto_type *p = 0; }\n",
    "int f(void) { __auto_type x = 1, y = 2; }\n",
    "void *p = &&l;\n",  # (gcc: referenced outside of any function)
    "int f(void) { typedef int V; int V; }\n",
    "int f(void) { for (struct nosuch *p = 0; p; ) ; }\n",  # (a tag first named there)
])
def test_where_gcc_and_pycparser_differ_the_reader_gives_way(text):
    with pytest.raises(fastc.Unsupported):
        _fast(PREAMBLE + text)


def _generated(seed: int) -> str:
    rng = random.Random(seed)
    return PREAMBLE + "".join(rng.choice(ALL_BOTH) for _ in range(rng.randrange(2, 6))) + TAIL


@pytest.mark.parametrize("block", range(3))
def test_mutated_constructs_refuse_or_read_the_same(block, monkeypatch):
    rng = random.Random(2100 + block)
    for _ in range(150):
        text = _generated(rng.randrange(10_000))
        for _ in range(rng.randrange(1, 3)):
            text = mutated(text, rng) if rng.randrange(3) else _mutated21(text, rng)
        same(text, monkeypatch, rng.choice(["x86_64", "i386"]))


def _mutated21(text: str, rng: random.Random) -> str:
    """A change among the new constructs' tokens: a typedef name, '...', '&&', 'goto *', 'for ('."""
    import re

    tokens = re.findall(r"\w+|\.\.\.|&&|\S|\s+", text)
    k = rng.randrange(len(tokens))
    tokens.insert(k, rng.choice(["T ", "U ", " ... ", "&&", "goto *", "for (int T = 0;;) ", "typedef int T; ",
                                 "static ", "int T; ", "{ ", "} ", "bool ", "typeof(1) "]))
    return "".join(tokens)


# --- against gcc: the layouts, and its refusals in a for's declaration ----------------------------------


def _gcc(tmp_path, name: str, text: str, *flags) -> subprocess.CompletedProcess:
    source = tmp_path / name
    source.write_text(text)
    return subprocess.run(["timeout", "-s", "KILL", "60", "gcc", *flags, str(source)], capture_output=True,
                          text=True, cwd=tmp_path)


def test_the_constructs_lay_out_as_gcc_lays_them_out(tmp_path, monkeypatch):
    if shutil.which("gcc") is None:
        pytest.skip("no gcc")
    from dtracepy.layout.abi import host_abi_name

    abi = host_abi_name()
    if abi is None:
        pytest.skip("not an ABI dtracepy lays out")
    header = PREAMBLE + "".join(ALL) + TAIL
    members = {"struct a": ["x", "y", "z", "r"], "struct c0": ["nullptr", "constexpr", "alignas", "alignof"],
               "struct c1": ["x", "static_assert", "thread_local", "typeof_unqual", "_BitInt"]}
    probe = "#include <stddef.h>\n#include <stdio.h>\n" + header + "int main(void) {\n" + "".join(
        f'    printf("%zu %zu ", sizeof({t}), _Alignof({t}));\n'
        + "".join(f'    printf("%zu ", offsetof({t}, {m}));\n' for m in ms) for t, ms in members.items()) \
        + "    return 0;\n}\n"
    assert _gcc(tmp_path, "p.c", probe, "-o", "p").returncode == 0
    gcc = subprocess.run(["timeout", "-s", "KILL", "20", str(tmp_path / "p")], check=True, capture_output=True,
                         text=True).stdout.split()
    _no_pycparser(monkeypatch)
    layouts = parse_layouts(header, abi=abi, filename="h.h")
    ours = []
    for t, ms in members.items():
        layout = layouts[t]
        ours += [str(layout.size), str(layout.align)] + [str(layout.member(m).offset) for m in ms]
    assert ours == gcc


FOR_REFUSED = [
    "typedef int T;", "typedef int T, V;", "struct q { int a; } v = { 0 };", "static int i = 0;",
    "static int i = 0, j;", "extern int i;", "enum e { A } v = A;", "int g(void);",
    "union w { int a; } u, *up = 0;", "struct { struct q2 { int b; } x; } v;",
]


@pytest.mark.parametrize("decl", FOR_REFUSED)
def test_what_gcc_refuses_in_a_for_is_refused_in_its_words_at_its_place(decl, tmp_path, monkeypatch):
    text = "struct r0 { int a; };\nint f(int n)\n{\n  int t = 0;\n  for (" + decl + " ; ; )\n    break;\n  return t;\n}\n"
    if shutil.which("gcc") is not None:
        out = _gcc(tmp_path, "h.h", text, "-fsyntax-only", "-x", "c")
        first = next(line for line in out.stderr.splitlines() if ": error: " in line)
        gcc = first.split(str(tmp_path) + "/", 1)[-1].replace("\u2018", "'").replace("\u2019", "'")
    else:  # pragma: no cover - gcc is on this machine
        gcc = None
    for fast in (True, False):  # (pycparser's path refuses the same: cparse._refuse_in_for)
        monkeypatch.setattr(cdecl, "FAST_READER", fast)
        if fast:
            _no_pycparser(monkeypatch)
        with pytest.raises(LayoutError) as info:
            parse_layouts(text, filename="h.h")
        assert "'for' loop initial declaration" in info.value.message
        if gcc is not None:
            assert f"{info.value.pos}: error: {info.value.message}" == gcc
        monkeypatch.undo()


# --- pycparser bounded ----------------------------------------------------------------------------


def _big(tail: str, n: int = 300) -> str:
    return "".join(f"struct s{i} {{ int a; long b; char c[4]; }};\nint f{i}(struct s{i} *p, int n);\n"
                   for i in range(n)) + tail


def test_a_header_over_the_bound_is_refused_where_the_fast_reader_gave_way(monkeypatch):
    """Over the bound (made small here: what counts is the header's tokens against it), pycparser
    is never called: what the fast reader does not take is refused at its token, saying so."""
    text = _big("int later;\nint g(int (size_t));\n")  # (pycparser's abstract function type; gcc's a name)
    assert len(fastc.read(cdecl.PRELUDE, '#line 1 "h.h"\n' + _big(""), cdecl.BUILTIN_FILE).ext) > 300
    monkeypatch.setattr(cparse, "PYCPARSER_TOKENS", 5_000)
    _no_pycparser(monkeypatch)
    with pytest.raises(LayoutError) as info:
        parse_layouts(text, filename="h.h")
    assert str(info.value.pos) == "h.h:602:11"  # (the "(" around the typedef name)
    assert "outside the fast C reader's subset" in info.value.message
    from dtracepy.layout.fastc_lex import _tokens

    assert f"more than 5,000 tokens (this one has {len(_tokens(text)):,})" in info.value.message
    # an unknown type name there, as pycparser's path names it
    for tail, place in (("nosuch_t x;\n", "h.h:601:1"), ("int g(void) { nosuch_t x; }\n", "h.h:601:15")):
        with pytest.raises(LayoutError) as info:
            parse_layouts(_big(tail), filename="h.h")
        assert info.value.message.startswith("unknown type name 'nosuch_t'")
        assert str(info.value.pos) == place


def test_over_the_bound_a_refusal_of_the_fast_readers_tree_is_final(monkeypatch):
    monkeypatch.setattr(cparse, "PYCPARSER_TOKENS", 5_000)
    _no_pycparser(monkeypatch)
    with pytest.raises(LayoutError) as info:
        parse_layouts(_big('_Static_assert(sizeof(struct s0) == 4, "s0");\n'), filename="h.h")
    assert info.value.message == 'static assertion failed: "s0"' and str(info.value.pos) == "h.h:601:1"


def test_under_the_bound_pycparser_still_reads_what_the_fast_reader_does_not(monkeypatch):
    calls = _pycparser_calls(monkeypatch)
    layouts = parse_layouts(_big("int f(int (size_t));\n", 20), filename="h.h")
    assert layouts["s19"].size == 24 and calls == [1]


def test_the_bound_is_met_by_a_real_header_past_it(monkeypatch):
    """At the real bound (200,000 tokens): refused without pycparser, naming the counts."""
    text = _big("typeof(1 + 1) last;\n", 12_000)  # (of an expression: session 24 reads typeof(int))
    _no_pycparser(monkeypatch)
    with pytest.raises(LayoutError) as info:
        parse_layouts(text, filename="h.h")
    assert str(info.value.pos) == "h.h:24001:1"
    assert "'typeof' is outside the fast C reader's subset" in info.value.message
    assert f"more than {cparse.PYCPARSER_TOKENS:,} tokens" in info.value.message


@pytest.mark.parametrize("fast", [True, False])
def test_a_function_definition_without_a_declarator_of_a_function_is_no_traceback(fast, monkeypatch):
    """pycparser reads ``s { ... }`` as a definition of ``s`` whose type is no function; the
    converter's look at its parameters for ``_Alignas`` raised AttributeError (found by
    test_layout_reader's mutations once this file's texts changed their draw)."""
    monkeypatch.setattr(cdecl, "FAST_READER", fast)
    layouts = parse_layouts(" s { char a; _Alignas(8) int b; char c; };\nstruct a { int x; };\n", filename="h.h")
    assert layouts["a"].size == 4
