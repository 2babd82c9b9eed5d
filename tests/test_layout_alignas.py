"""C11's ``_Alignas`` laid out as gcc lays it out, on every ABI (a generated set of members, each
compared with gcc's sizeof, _Alignof and offsetof), and refused where gcc refuses it, in gcc's
words at gcc's place; the empty declarations gcc refuses (``inline;``); a ``_Static_assert`` in a
function's body evaluated; the "not constant" error at gcc's column.  Both readers agree."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from dtracepy.errors import LayoutError
from dtracepy.layout import cc, cdecl, parse_layouts

ABIS = ["x86_64", "i386", "aarch64", "sparcv9"]


def ours(text: str, fast: bool, monkeypatch, abi: str = "x86_64"):
    """Our first error as gcc prints it (``line:col: error: words``), or the layouts' (size, align,
    offsets) by name."""
    monkeypatch.setattr(cdecl, "FAST_READER", fast)
    try:
        layouts = parse_layouts(text, abi=abi, filename="b.h")
    except LayoutError as err:
        return f"{err.pos.line}:{err.pos.col}: error: {err.message}" if err.pos else f"error: {err.message}"
    return {name: (t.size, t.align, [(f.name, f.offset) for f in t.fields]) for name, t in layouts.items()}


def gcc_errors(text: str, abi: str = "x86_64", tmp_path=None) -> list[str]:
    """gcc's errors for ``text`` (``line:col: error: words``, quotes made plain), in order."""
    path = tmp_path / "b.h"
    path.write_text(text + "\n")
    run = subprocess.run([*cc.COMPILERS[abi], "-std=gnu11", "-fsyntax-only", "-fmax-errors=0", "-x", "c",
                          str(path)], capture_output=True, text=True, timeout=120)
    out = []
    for line in run.stderr.splitlines():
        if line.startswith(str(path)) and ": error: " in line:
            out.append(line[len(str(path)) + 1:].replace("\u2018", "'").replace("\u2019", "'"))
    return out


def needs(abi: str):
    reason = cc.unavailable(abi)
    if reason is not None:
        pytest.skip(f"cannot check {abi} here: {reason}")


# -- a generated set of members, laid out by gcc and by dtracepy --------------------------------

TYPES = ["char", "short", "int", "long", "long long", "float", "double", "long double", "_Bool", "void *",
         "struct in", "enum e"]
ALIGNS = [0, 1, 2, 4, 8, 16, 64]
PREAMBLE = "struct in { short x; char y; };\nenum e { E0, E1 = 1000 };\ntypedef char a8_t __attribute__((aligned(8)));"


def _shapes() -> list[tuple[str, str]]:
    """(type name, C text) of each shape: ``_Alignas`` on a member of each type and each
    alignment, in a plain, packed and union record, with a member's packed and aligned(N), under
    #pragma pack, on an array, with a bit-field after, twice, and as ``_Alignas(type)``."""
    out = []
    for i, (t, n) in enumerate((t, n) for t in TYPES for n in ALIGNS):
        out += [
            (f"struct p{i}", f"struct p{i} {{ char a; _Alignas({n}) {t} b; char c; }};"),
            (f"struct k{i}", f"struct __attribute__((packed)) k{i} {{ char a; _Alignas({n}) {t} b; char c; }};"),
            (f"struct m{i}", f"struct m{i} {{ char a; _Alignas({n}) {t} b __attribute__((packed)); short c; }};"),
            (f"union u{i}", f"union u{i} {{ char a; _Alignas({n}) {t} b; char c[3]; }};"),
            (f"struct r{i}", f"struct r{i} {{ char a; _Alignas({n}) {t} b[3]; int c:5; char d; }};"),
            (f"struct w{i}", f"struct w{i} {{ short a; _Alignas({n}) {t} b __attribute__((aligned(4))); char c; }};"),
            (f"struct d{i}", f"struct d{i} {{ char a; _Alignas({n}) _Alignas(2) {t} b; char c; }} __attribute__((aligned(2)));"),
        ]
        for pack in (1, 2, 4, 8):
            out.append((f"struct q{pack}_{i}", f"#pragma pack({pack})\nstruct q{pack}_{i} {{ char a; _Alignas({n}) {t} b; "
                                               f"char c; }};\n#pragma pack()"))
    for i, t in enumerate(TYPES + ["a8_t", "int[0]", "char[3]", "struct in[2]", "long double *"]):
        out += [(f"struct t{i}", f"struct t{i} {{ char a; _Alignas({t}) char b; char c; }};"),
                (f"struct y{i}", f"struct y{i} {{ char a; struct {{ char x; _Alignas({t}) short y; }} b; char c; }};")]
    out += [("struct nest", "struct nest { char a; struct p60 b; struct k75 c; char d; };"),
            ("struct flex", "struct flex { char a; int n; _Alignas(16) char b[]; };"),
            ("struct anon", "struct anon { char a; _Alignas(8) struct { int x; }; char c; };"),
            ("struct expr", "struct expr { char a; _Alignas(sizeof(int) * 2) char b; _Alignas(_Alignof(long) "
                            "<< 1) char c; _Alignas(E1 / 500 * 8) char d; };")]
    return out


def _text(shapes) -> tuple[str, dict]:
    """The shapes as one header after :data:`PREAMBLE`, and each one's (first, last) line."""
    lines, where = PREAMBLE.split("\n"), {}
    for name, text in shapes:
        first = len(lines) + 1
        lines += text.split("\n")
        where[name] = (first, len(lines))
    return "\n".join(lines), where


@pytest.mark.parametrize("abi", ABIS)
def test_generated_alignas_members_are_laid_out_and_refused_as_gcc_does(abi, tmp_path, monkeypatch):
    needs(abi)
    shapes = _shapes()
    text, where = _text(shapes)
    refused_by_gcc = set()
    for error in gcc_errors(text, abi, tmp_path):
        line = int(error.split(":", 1)[0])
        refused_by_gcc.update(name for name, (first, last) in where.items() if first <= line <= last)
    refused_by_us, kept = set(), []
    by_name = dict(shapes)
    for name, shape in shapes:
        alone = PREAMBLE + "\n" + shape
        if name == "struct nest":  # (it holds two records of the set)
            alone = "\n".join([PREAMBLE, by_name["struct p60"], by_name["struct k75"], shape])
        result = ours(alone, False, monkeypatch, abi)
        if isinstance(result, str):
            refused_by_us.add(name)
            assert "cannot reduce alignment" in result, (name, result)
        else:
            kept.append(name)
    assert refused_by_us == refused_by_gcc
    monkeypatch.setattr(cdecl, "FAST_READER", True)
    good = "\n".join([PREAMBLE] + [shape for name, shape in shapes if name in kept])
    assert len(kept) > 500
    assert _disagreements(good, kept, abi) == []


def _disagreements(text: str, names: list, abi: str) -> list:
    """Where dtracepy's layouts of ``names`` differ from gcc's (size, _Alignof, each ordinary
    field's offsetof), all asked of gcc in one compiled object (cc.compare compiles one a type)."""
    layouts = parse_layouts(text, abi=abi, filename="b.h")
    ours_, exprs = [], []
    for name in names:
        t = layouts[name]
        ours_ += [(name, "size", t.size), (name, "align", t.align)]
        exprs += [f"sizeof({name})", f"_Alignof({name})"]
        for f in t.fields:
            if f.bit_width is None:
                ours_.append((name, f.name, f.offset))
                exprs.append(f"__builtin_offsetof({name}, {f.name})")
    sections = cc.compile_object(text + "\nconst unsigned long long dtp_meta[] __attribute__((section(\".dtpmeta\")))"
                                 " = {" + ", ".join(exprs) + "};\n", abi)
    raw = sections[".dtpmeta"]
    order = "big" if abi == "sparcv9" else "little"
    theirs = [int.from_bytes(raw[i:i + 8], order) for i in range(0, len(raw), 8)]
    return [(name, what, mine, gcc) for (name, what, mine), gcc in zip(ours_, theirs) if mine != gcc]


def test_alignas_on_a_member_moves_it_as_aligned_n_does(monkeypatch):
    # (session 19 refused it; before, b was at 4, where gcc puts it at 8)
    for fast in (True, False):
        assert ours("struct s { char a; _Alignas(8) int b; char c; };", fast, monkeypatch) == \
            {"struct s": (16, 8, [("a", 0), ("b", 8), ("c", 12)])}
        # packed keeps it; #pragma pack caps it; _Alignas(type) is _Alignof(type); 0 is ignored
        assert ours("struct __attribute__((packed)) s { char a; _Alignas(8) int b; char c; };", fast,
                    monkeypatch)["struct s"][:2] == (16, 8)
        assert ours("#pragma pack(2)\nstruct s { char a; _Alignas(8) int b; char c; };", fast,
                    monkeypatch)["struct s"] == (8, 2, [("a", 0), ("b", 2), ("c", 6)])
        assert ours("struct s { char a; _Alignas(long long) char b; };", fast, monkeypatch, "i386")["struct s"] == \
            (8, 4, [("a", 0), ("b", 4)])
        assert ours("struct s { char a; _Alignas(0) int b; };", fast, monkeypatch)["struct s"][:2] == (8, 4)


# -- what gcc refuses: its first error, where it puts it ------------------------------------------

REFUSED = [
    ("struct s { char a; _Alignas(3) int b; };", "1:8: error: requested alignment '3' is not a positive power of 2"),
    ("struct s {\n  char a;\n  _Alignas(-4) int b;\n};", "3:3: error: requested alignment '-4' is not a positive power of 2"),
    ("struct t { int x; }; struct s { char a; _Alignas(1 << 29) int b; };",
     "1:29: error: requested alignment '536870912' exceeds maximum 268435456"),
    ("struct s { char a; _Alignas(1.0) int b; };", "1:8: error: requested alignment is not an integer constant"),
    ("int x; struct s { char a; _Alignas(x) int b; };", "1:15: error: requested alignment is not an integer constant"),
    ("enum e { A, B }; _Alignas(6) int v;", "1:13: error: requested alignment '6' is not a positive power of 2"),
    ("struct s { char a; _Alignas(2) int b; };", "1:36: error: '_Alignas' specifiers cannot reduce alignment of 'b'"),
    ("struct s { char a; _Alignas(2) int b __attribute__((packed)); };",
     "1:36: error: '_Alignas' specifiers cannot reduce alignment of 'b'"),
    ("struct s { _Alignas(1) struct { int x; }; };",
     "1:31: error: '_Alignas' specifiers cannot reduce alignment of unnamed field"),
    ("struct s { char a; _Alignas(char) int b; };", "1:39: error: '_Alignas' specifiers cannot reduce alignment of 'b'"),
    ("_Alignas(1) int v;", "1:17: error: '_Alignas' specifiers cannot reduce alignment of 'v'"),
    ("_Alignas(void) int v;", "1:20: error: '_Alignas' specifiers cannot reduce alignment of 'v'"),
    ("struct s { char a; _Alignas(8) int b:3; };", "1:36: error: alignment specified for bit-field 'b'"),
    ("struct s { char a;\n  _Alignas(8) int :3; };", "2:3: error: alignment specified for unnamed bit-field"),
    ("typedef _Alignas(8) int T;", "1:25: error: alignment specified for typedef 'T'"),
    ("_Alignas(0) typedef int T;", "1:25: error: alignment specified for typedef 'T'"),
    ("_Alignas(8) void f(void);", "1:18: error: alignment specified for function 'f'"),
    ("void f(_Alignas(8) int x);", "1:24: error: alignment specified for parameter 'x'"),
    ("void f(_Alignas(8) int);", "1:1: error: alignment specified for unnamed parameter"),
    ("void f(void) { register _Alignas(8) int x; }", "1:41: error: alignment specified for 'register' object 'x'"),
    ("void f(void) {\n  static _Alignas(12) int x; }", "2:3: error: requested alignment '12' is not a positive power of 2"),
    ("struct q; _Alignas(struct q) int v;",
     "1:11: error: invalid application of '__alignof__' to incomplete type 'struct q'"),
    # empty declarations with a function specifier
    ("inline;", "1:1: error: 'inline' in empty declaration"),
    ("_Noreturn;", "1:1: error: '_Noreturn' in empty declaration"),
    ("int a; _Noreturn static inline;", "1:1: error: 'inline' in empty declaration"),
    ("inline struct s { int a; };", "1:15: error: 'inline' in empty declaration"),
    ("inline enum e { A, B };", "1:20: error: 'inline' in empty declaration"),
    ("__inline__ const volatile unsigned long __attribute__((unused));", "1:1: error: 'inline' in empty declaration"),
    ("int x; void f(void) {\n  x = 1; inline; }", "2:3: error: 'inline' in empty declaration"),
    # _Static_assert in a function's body, with the block's own types
    ("void f(void) { _Static_assert(0, \"m\"); }", "1:16: error: static assertion failed: \"m\""),
    ("struct s { char c; };\nvoid f(void) { struct s { int a; }; _Static_assert(sizeof(struct s) == 4, \"in\"); }\n"
     "_Static_assert(sizeof(struct s) == 4, \"out\");", "3:1: error: static assertion failed: \"out\""),
    ("void f(int n) { int a[n]; { typedef char T; _Static_assert(sizeof(T) == 2, \"t\"); } }",
     "1:45: error: static assertion failed: \"t\""),
    ("void f(void) { for (;;) { enum { K = 3 }; _Static_assert(K == 4, \"k\"); } }",
     "1:43: error: static assertion failed: \"k\""),
    ("int x; void f(void) { _Static_assert(x, \"m\"); }", "1:38: error: expression in static assertion is not constant"),
    # "not constant" at gcc's column: a binary operator's, the ':' of ?:, a prefix operator's
    ("_Static_assert(1/0 || 1, \"m\");", "1:20: error: expression in static assertion is not constant"),
    ("int x; _Static_assert(1 +   (1/0 + x), \"m\");", "1:25: error: expression in static assertion is not constant"),
    ("int x; _Static_assert(x ? 1 : 2, \"m\");", "1:29: error: expression in static assertion is not constant"),
    ("int x; _Static_assert(x ==-1, \"m\");", "1:25: error: expression in static assertion is not constant"),
    ("int x; _Static_assert((-x), \"m\");", "1:24: error: expression in static assertion is not constant"),
    ("int x; _Static_assert( ( x ), \"m\");", "1:24: error: expression in static assertion is not constant"),
    ("_Static_assert(2.5 * 2, \"m\");", "1:20: error: expression in static assertion is not an integer"),
]

TAKEN = [
    "_Alignas(16) int v; static _Alignas(16) int w; extern _Alignas(32) int u; _Alignas(long) char c;",
    "_Alignas(8) struct s { int a; };",
    "void f(void) { _Static_assert(sizeof(long) == 8, \"m\"); }",
    "struct s { char c; }; void f(void) { struct s { int a; }; _Static_assert(sizeof(struct s) == 4, \"m\"); }",
    "static inline int f(void) { return 1; } /* inline; */ const char *s = \"inline;\";",
    "_Noreturn void f(void); inline int g(int x) { return x; }",
]


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("text,error", REFUSED)
def test_refused_as_gcc_refuses_it(text, error, fast, monkeypatch):
    assert ours(text, fast, monkeypatch) == error


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("text", TAKEN)
def test_taken_as_gcc_takes_it(text, fast, monkeypatch):
    assert isinstance(ours(text + "\nstruct z { int a; };", fast, monkeypatch), dict)


def test_gcc_gives_these_words_at_these_places(tmp_path):
    if shutil.which("gcc") is None:
        pytest.skip("no gcc")
    for text, error in REFUSED:
        errors = gcc_errors(text, "x86_64", tmp_path)
        assert errors and errors[0] == error, (text, errors)
    for text in TAKEN:
        assert gcc_errors(text, "x86_64", tmp_path) == [], text


def test_i386_lets_alignas_4_stand_on_a_long_long(monkeypatch):
    # (its _Alignof(long long) is 4: no reduction there; 8 on the others)
    text = "struct s { char a; _Alignas(4) long long b; _Alignas(4) double c; };"
    assert ours(text, False, monkeypatch, "i386") == {"struct s": (20, 4, [("a", 0), ("b", 4), ("c", 12)])}
    assert re.search("cannot reduce alignment of 'b'", ours(text, False, monkeypatch, "x86_64"))


def test_the_fast_reader_takes_alignas_on_members_and_objects(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pycparser called")

    shapes = [shape for _, shape in _shapes() if "#pragma" not in shape and re.search(r"_Alignas\((0|64)\)", shape)]
    text = "\n".join([PREAMBLE.replace("typedef char a8_t __attribute__((aligned(8)));", "")]
                     + [s for s in shapes if "a8_t" not in s and "__attribute__" not in s]
                     + ["_Alignas(16) int v; _Alignas(long) char w[3]; _Alignas(E1 / 125) struct in x;"])
    monkeypatch.setattr(cdecl, "FAST_READER", False)
    slow = {name: (t.size, t.align, [(f.name, f.offset) for f in t.fields])
            for name, t in parse_layouts(text, filename="b.h").items()}
    monkeypatch.setattr(cdecl._CParser, "parse", refuse)
    monkeypatch.setattr(cdecl, "FAST_READER", True)
    fast = {name: (t.size, t.align, [(f.name, f.offset) for f in t.fields])
            for name, t in parse_layouts(text, filename="b.h").items()}
    assert fast == slow and len(fast) > 60
