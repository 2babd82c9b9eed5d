"""The fast C reader's subset, session 19: GNU statement expressions, compound literals,
``register``, typedefs inside functions, K&R definitions, parenthesised declarators of any
shape, and ``restrict``.  Each of these sent the whole header to pycparser (60,000 to 100,000 tokens a second);
they are read by the fast reader now, laid out as pycparser's path lays them out (and as gcc
does, for the declarators the layout reads), and pycparser is not called."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from dtracepy.errors import LayoutError
from dtracepy.layout import cdecl, fastc, parse_layouts

from test_layout_reader import REPO, _no_pycparser, mutated, read_by_fastc, same

# --- what each construct looks like in a header -----------------------------------------------

CONSTRUCTS = {
    "statement expressions": [
        "static int se0(int x) { return ({ int t = x; t * 2; }) + ({ x; }); }\n",
        "static int se1(int x) { int y = ({ int t = ({ x + 1; }); if (t) t++; t; }); return y; }\n",
        "static int se2(struct r0 *p) { return ({ struct r0 q = *p; q.a; }) ? ({ p->b; }) : 0; }\n",
        "static int se3(void) { return ({ typedef int T; T v = 3; v; }); }\n",
    ],
    "compound literals": [
        "static struct r0 *cl0(void) { return &(struct r0){ 1, 2 }; }\n",
        "static int cl1(void) { return (int []){ 1, 2, 3 }[1] + (struct r0){ .a = 1, }.a; }\n",
        "static unsigned long cl2(void) { return sizeof (int [2]){ 1, 2 } + sizeof((char){ 'x' }); }\n",
        "static int *cl3 = (int []){ 1, 2 };\n",
        "static int cl4(void) { return (int)(struct r0){ 0 }.b + -(int){ 4 }; }\n",
    ],
    "register": [
        "static int rg0(register int x) { register int y = x, *z = &y; return *z; }\n",
        "static long rg1(long n) { register long t = 0; for (register int i = 0; i < n; i++) t += i; return t; }\n",
        "int rg2(register const char *s, register unsigned n);\n",
    ],
    "typedefs in blocks": [
        "static int tb0(int x) { typedef int T; T y = x; { typedef char U; U z = (U)y; y += z; } return y; }\n",
        "static int tb1(void) { typedef struct tb { int a; char b; } tb_t; tb_t v = { 1, 2 }; return v.b; }\n",
        "static int tb2(void) { typedef int T2; return sizeof(T2); }\nint T2;\n",
        "static int tb3(void) { { typedef long L, *LP; L l = 0; LP p = &l; return (int)*p; } }\n",
    ],
    "K&R definitions": [
        "int kr0(a, b) int a; char *b; { return a + *b; }\n",
        "int kr1(p) struct r0 *p; { return p->a; }\n",
        "long kr2(x, y) register long x; unsigned y; { return x + y; }\n",
        "int kr3(a, b);\nint kr4(c) { return c; }\n",
        "static int kr5(n, v) int n, v[]; { typedef int K; K k = n; return k + v[0]; }\n",
    ],
    "restrict": [
        "int rs0(char *restrict s, const char *restrict t);\n",
        "struct rs1 { char *restrict p; int *const restrict q; };\ntypedef int *restrict rs1_t;\n",
        "static void rs2(int n, int *restrict a) { int *restrict b = a; b[0] = n; }\n",
    ],
    "parenthesised declarators": [
        "struct pd0 { int (x); char (*(y))[3]; int (*(*g)(int))[4]; };\n",
        "struct pd1 { void (*(*cb[2]))(int); int ((*p)); short (z)[5]; unsigned (w):3, (v):4; };\n",
        "typedef int (*(pd2))(void);\ntypedef char (*(*pd3)(int))[7];\n",
        "void (*pd4(int sig, void (*func)(int)))(int);\n",
        "struct pd5 { char c[sizeof(int (*)[3])]; char d[sizeof(char (*(*)(int))[5])]; int (e); };\n",
        "void pd6(int (x), char (*)(int), int (*[3])(void), long (*(*)(int))[2]);\n",
        "struct pd7 { int (*(a[2]))[3]; char (((b))); };\n",
        "typedef int pd8_t; struct pd8 { pd8_t (*f)(pd8_t (*)(int)); pd8_t (m); };\n",
    ],
}

ALL = [text for texts in CONSTRUCTS.values() for text in texts]
PREAMBLE = "struct r0 { int a; char b; };\n"
TAIL = "struct a { int x; char y[3]; struct r0 *r; };\n"


@pytest.mark.parametrize("text", ALL)
def test_each_construct_is_read_without_pycparser(text, monkeypatch):
    header = PREAMBLE + text + TAIL
    fastc.read(cdecl.PRELUDE, '#line 1 "h.h"\n' + header, cdecl.BUILTIN_FILE)  # not Unsupported
    result = same(header, monkeypatch)  # (pycparser's path, then the fast one: the same layouts)
    assert result[0] == "ok"
    _no_pycparser(monkeypatch)
    layouts = parse_layouts(header, filename="h.h")
    assert layouts["a"].size == 16 and layouts["a"].member("r").offset == 8


@pytest.mark.parametrize("abi", ["x86_64", "i386", "sparcv9"])
def test_a_header_of_every_construct_reads_the_same(abi, monkeypatch):
    header = PREAMBLE + "".join(ALL) + TAIL
    assert read_by_fastc(header, abi)
    assert same(header, monkeypatch, abi)[0] == "ok"


def _generated(seed: int) -> str:
    rng = random.Random(seed)
    parts = [PREAMBLE]
    for _ in range(rng.randrange(2, 7)):
        parts.append(rng.choice(ALL))
    parts.append(TAIL)
    return "".join(parts)


@pytest.mark.parametrize("block", range(3))
def test_mutated_constructs_refuse_or_read_the_same(block, monkeypatch):
    rng = random.Random(1900 + block)
    for _ in range(200):
        text = _generated(rng.randrange(10_000))
        for _ in range(rng.randrange(1, 3)):
            text = mutated(text, rng)
        same(text, monkeypatch, rng.choice(["x86_64", "i386"]))


# --- the parenthesised declarators, against gcc --------------------------------------------------

GCC_STRUCT = """
typedef int pd8_t;
struct g {
    char c0; int (x); char c1; char (*(y))[3]; char c2; int (*(*g)(int))[4];
    char c3; void (*(*cb[2]))(int); char c4; int ((*p)); char c5; short (z)[5];
    unsigned (w):3, (v):4; char c6; char e[sizeof(int (*)[3]) + sizeof(char (*(*)(int))[5])];
    int (*(a[2]))[3]; char (((b))); pd8_t (*f)(pd8_t (*)(int)); pd8_t (m)[3]; long (n):5;
};
"""
GCC_MEMBERS = ["c0", "x", "c1", "y", "c2", "g", "c3", "cb", "c4", "p", "c5", "z", "c6", "e", "a", "b",
               "f", "m"]


def test_parenthesised_declarators_lay_out_as_gcc_lays_them_out(tmp_path, monkeypatch):
    import shutil

    if shutil.which("gcc") is None:
        pytest.skip("no gcc")
    from dtracepy.layout.abi import host_abi_name

    abi = host_abi_name()
    if abi is None:
        pytest.skip("not an ABI dtracepy lays out")
    probe = tmp_path / "p.c"
    probe.write_text("#include <stddef.h>\n#include <stdio.h>\n" + GCC_STRUCT + "int main(void) {\n"
                     '    printf("%zu %zu", sizeof(struct g), _Alignof(struct g));\n'
                     + "".join(f'    printf(" %zu", offsetof(struct g, {m}));\n' for m in GCC_MEMBERS)
                     + "    return 0;\n}\n")
    exe = tmp_path / "p"
    subprocess.run(["timeout", "-s", "KILL", "60", "gcc", "-o", str(exe), str(probe)], check=True)
    gcc = subprocess.run(["timeout", "-s", "KILL", "20", str(exe)], check=True, capture_output=True,
                         text=True).stdout.split()
    _no_pycparser(monkeypatch)
    layout = parse_layouts(GCC_STRUCT, abi=abi, filename="h.h")["g"]
    ours = [str(layout.size), str(layout.align)] + [str(layout.member(m).offset) for m in GCC_MEMBERS]
    assert ours == gcc
    assert [(m.name, m.width) for m in layout.members if m.name in ("w", "v", "n")] == [("w", 3), ("v", 4), ("n", 5)]


# --- the refusals stay pycparser's path's ------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "int f(int (*g(int))(int)(char));\n", "struct a { int (x; };\n", "struct a { int (*)(int); };\n",
    "int f(a, int b) int a; { return 0; }\n", "int f(a) int b; { return a; }\n",
    "int f(void) { typedef int T; T T; }\n", "int f(void) { return ({ int x; }) }\n",
    "int f(void) { return (struct nosuch){ 1 }.x; }\n", "int f(void) { register typedef int T; }\n",
])
def test_refusals_stay_located_and_the_same(text, monkeypatch):
    result = same(text + "struct a2 { int x; };\n", monkeypatch)
    if result[0] == "error":
        assert ":" in result[2]  # file:line:col


def test_a_header_needing_the_fallback_is_laid_out_from_the_command_line(tmp_path):
    """The command reads such a header without pycparser (bench_robust.py's layout-fallback row
    holds 4 MB of them)."""
    header = tmp_path / "x.h"
    header.write_text(PREAMBLE + "".join(ALL) + TAIL)
    code = ("import sys, runpy\nfrom dtracepy.layout import cdecl\n"
            "def refuse(*a, **k):\n    raise SystemExit('pycparser called')\n"
            "cdecl._CParser.parse = refuse\n"
            f"sys.argv = ['dtracepy', 'layout', {str(header)!r}, 'a']\n"
            "runpy.run_module('dtracepy', run_name='__main__')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "struct a: size 16" in out.stdout


def test_no_traceback_for_a_refused_construct(monkeypatch):
    with pytest.raises(LayoutError) as info:
        parse_layouts("struct a { int (x; };\n", filename="h.h")
    assert str(info.value.pos).startswith("h.h:1:")
