"""The fast C reader's subset, session 24 (layout25): what was outside it and so refused in a
header too large for pycparser -- what pycparser builds and gcc refuses (a function returning a
function or an array, an array of functions, a member that is a function, an array of voids), a
typedef name declared again in an inner scope, a typedef in a K&R parameter list, ``typeof`` where
a type is laid out, ``_Alignas`` where gcc refuses it, a ``_Static_assert`` in a function's body,
``_Thread_local`` and ``auto`` where gcc refuses them -- is read by the fast reader, laid out as
gcc lays it out or refused in gcc's words at gcc's place (gcc on this machine is the judge).

Work is counted (whether pycparser was called), never timed."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from dtracepy.errors import LayoutError
from dtracepy.layout import cparse, parse_layouts

from test_layout_reader import _no_pycparser
from test_layout_subset21 import _big

# each shape, after a header too large for pycparser (the bound made small here; the real one below)
REFUSED = {
    "a function returning a function": ["int f(void)(int);\n", "int (*g(void))(int)(char);\n",
                                        "int h(int (*q)(void)(int));\n", "int f(void)(int) { return 0; }\n",
                                        "struct m { int (*f)(void)(int); };\n"],
    "a function returning an array": ["int f(void)[2];\n", "int (g(int))[3];\n"],
    "an array of functions": ["int g[2](void);\n", "int (h[2])(int);\n", "typedef int fn(int);\nfn h[2];\n"],
    "a member that is a function": ["struct m { int a; int f(int); };\n", "struct m { int (f)(int); };\n",
                                    "typedef int fn(int);\nstruct m { int a; fn f; };\n"],
    "void": ["void v[2];\n", "struct m { void v[2]; };\n", "void (*p)[2];\n", "typedef void V;\nV a[2];\n",
             "extern void e[];\n", "int f(void v[2]);\n", "int f(void) { void x[2]; return 0; }\n",
             "struct m { const void v; };\n", "typedef void V;\nstruct m { V v; };\n", "struct m { void v:3; };\n"],
    "a typedef name hidden by a parameter": ["typedef int T;\nint f(int T, T x);\n"],
    "a typedef in a K&R parameter list": ["int f(a) typedef int Q; int a; { return 0; }\n",
                                          "int f(x) typedef int x; { return 0; }\n",
                                          "int f(x) static int x; { return 0; }\n"],
    "_Alignas where gcc refuses it": ["typedef _Alignas(8) int T;\n", "struct m { _Alignas(8) int x:3; };\n",
                                      "_Alignas(8) int f(void);\n", "int f(_Alignas(8) int x);\n",
                                      "int f(_Alignas(8) int);\n", "_Alignas(8) int f(int x) { return x; }\n",
                                      "struct m { _Alignas(8) int :3; };\n", "int f(int y, _Alignas(long) int x);\n"],
    "a false _Static_assert in a function's body": [
        'int f(void) { _Static_assert(0, "x"); return 0; }\n',
        'int f(int n) { { _Static_assert(sizeof(struct s0) == 4, "s0"); } return n; }\n',
        'enum { A = 3 };\nint f(int n) { for (;;) { _Static_assert(A - 3, "b"); } return n; }\n'],
    "_Thread_local and auto where gcc refuses them": [
        "_Thread_local int f(void);\n", "_Thread_local int f(void) { return 0; }\n", "auto int x;\n",
        "int f(auto int x);\n", "int f(_Thread_local int x);\n", "int f(auto int);\n",
        "int f(void) { _Thread_local int x; return 0; }\n", "int f(void) { for (_Thread_local int i = 0;;); }\n",
        "int f(void) { static _Thread_local int g(void); return 0; }\n", "typedef _Thread_local int T;\n",
        "int f(void) { auto _Thread_local int x; return 0; }\n", "struct m { auto int x; };\n",
        "struct m { _Thread_local int x; };\n", "struct m { int a; static int x; };\n",
        "int f(x) auto int x; { return 0; }\n"],
}
TAKEN = {
    "a typedef name declared again in an inner scope": [
        "typedef int T;\nint f(void) { int T = sizeof(T); return T; }\n",
        "typedef int T;\nint f(void) { T T = sizeof(T) + 1, y = T * 2; return y; }\n",
        "typedef int T;\nint f(int T, int x);\nT after;\n"],
    "a true _Static_assert in a function's body": [
        'int f(int n) { _Static_assert(sizeof(struct s0) == 24, "s0"); return n; }\n',
        'typedef long L;\nint f(void) { struct q { char c; }; { _Static_assert(sizeof(L) == 8, "L"); } return 0; }\n'],
    "_Thread_local and auto where gcc takes them": [
        "int f(void) { static _Thread_local int x; extern _Thread_local int y; auto int z = x + y; return z; }\n",
        "int f(x) register int x; { return x; }\n"],
}
# typeof where a type is laid out: of a type name, of a file-scope object (gcc lays it out)
TYPEOF = ("struct s { int a; char b; };\nlong gx; struct s gs[3]; char *gp;\ntypedef typeof(struct s *) SP;\n"
          "typeof(int) ti, *tip;\ntypeof(gs) gs2;\nconst typeof(char *) cp;\n"
          "struct b { typeof(int) m; typeof(char *) p, q; typeof(struct s) t; typeof(gx) y; typeof(gs) z; SP sp;\n"
          "  typeof(int [3]) arr; typeof(gp) g2; typeof(long (*)(int)) fp; char c; typeof(short) w[2]; };\n")
TYPEOF_MEMBERS = ["m", "p", "q", "t", "y", "z", "sp", "arr", "g2", "fp", "c", "w"]

ALL_REFUSED = [text for texts in REFUSED.values() for text in texts]
ALL_TAKEN = [text for texts in TAKEN.values() for text in texts]


def gcc_errors(text: str, tmp_path) -> "list | None":
    """gcc's errors on ``text`` as h.h, in dtracepy's quotes (None without gcc)."""
    if shutil.which("gcc") is None:  # pragma: no cover - gcc is on this machine
        return None
    (tmp_path / "h.h").write_text(text)
    out = subprocess.run(["timeout", "-s", "KILL", "60", "gcc", "-fsyntax-only", "-x", "c", "h.h"],
                         capture_output=True, text=True, cwd=tmp_path)
    return [line.replace("\u2018", "'").replace("\u2019", "'") for line in out.stderr.splitlines()
            if ": error: " in line]


def _over_the_bound(monkeypatch):
    monkeypatch.setattr(cparse, "PYCPARSER_TOKENS", 5_000)
    _no_pycparser(monkeypatch)


@pytest.mark.parametrize("tail", ALL_REFUSED)
def test_past_the_bound_what_gcc_refuses_is_refused_in_its_words_at_its_place(tail, tmp_path, monkeypatch):
    """Each was refused as outside the fast reader's subset (or, ``void v[2]``, laid out)."""
    text = _big(tail)
    _over_the_bound(monkeypatch)
    with pytest.raises(LayoutError) as info:
        parse_layouts(text, filename="h.h")
    ours = f"{info.value.pos}: error: {info.value.message}"
    assert "outside the fast C reader's subset" not in ours
    gcc = gcc_errors(text, tmp_path)
    if gcc is not None:
        assert ours == gcc[0]


@pytest.mark.parametrize("tail", ALL_TAKEN)
def test_past_the_bound_what_gcc_takes_is_read(tail, tmp_path, monkeypatch):
    text = _big(tail)
    _over_the_bound(monkeypatch)
    assert parse_layouts(text, filename="h.h")["s299"].size == 24
    assert gcc_errors(text, tmp_path) in ([], None)


@pytest.mark.parametrize("tail", ALL_REFUSED + ALL_TAKEN)
def test_a_small_header_is_answered_as_gcc_answers_it(tail, tmp_path):
    """Under the bound the fast reader answers too (pycparser's path took most of these)."""
    text = "struct s0 { int a; long b; char c[4]; };\n" + tail
    try:
        parse_layouts(text, filename="h.h")
        ours = None
    except LayoutError as err:
        ours = f"{err.pos}: error: {err.message}"
    gcc = gcc_errors(text, tmp_path)
    if gcc is not None:
        assert ours == (gcc[0] if gcc else None)


def test_typeof_where_a_type_is_laid_out_lays_out_as_gcc(tmp_path, monkeypatch):
    _over_the_bound(monkeypatch)
    layouts = parse_layouts(_big(TYPEOF), filename="h.h")  # (past the bound: the fast reader's alone)
    if shutil.which("gcc") is None:  # pragma: no cover - gcc is on this machine
        pytest.skip("no gcc")
    from dtracepy.layout.abi import host_abi_name

    abi = host_abi_name()
    if abi != "x86_64":  # pragma: no cover - the machine the figures are measured on
        pytest.skip("laid out for x86_64 here")
    probe = "#include <stddef.h>\n#include <stdio.h>\n" + TYPEOF + "int main(void) {\n" \
        '    printf("%zu %zu", sizeof(struct b), _Alignof(struct b));\n' + "".join(
            f'    printf(" %zu", offsetof(struct b, {m}));\n' for m in TYPEOF_MEMBERS) + "    return 0;\n}\n"
    (tmp_path / "p.c").write_text(probe)
    subprocess.run(["gcc", "p.c", "-o", "p"], check=True, cwd=tmp_path)
    gcc = subprocess.run([str(tmp_path / "p")], check=True, capture_output=True, text=True).stdout.split()
    layout = layouts["b"]
    assert [str(layout.size), str(layout.align)] + [str(layout.member(m).offset) for m in TYPEOF_MEMBERS] == gcc
    assert layouts.typedefs and "SP" in layouts.typedefs


@pytest.mark.parametrize("tail", ["int f(void)(int);\n", "typedef _Alignas(8) int T;\n",
                                  "typedef int T;\nint g(int T, T x);\n", "struct m { auto int x; };\n"])
def test_at_the_real_bound_the_shape_is_answered_without_pycparser(tail, monkeypatch):
    """At the real bound (200,000 tokens): gcc's refusal, not "outside the fast reader's subset"."""
    text = _big(tail, 12_000)
    _no_pycparser(monkeypatch)
    with pytest.raises(LayoutError) as info:
        parse_layouts(text, filename="h.h")
    assert "outside the fast C reader's subset" not in info.value.message
    assert str(info.value.pos).startswith("h.h:2400")


def test_at_the_real_bound_typeof_is_laid_out_without_pycparser(monkeypatch):
    _no_pycparser(monkeypatch)
    layouts = parse_layouts(_big(TYPEOF, 12_000), filename="h.h")
    assert layouts["b"].size == 112 and layouts["b"].member("fp").offset == 96  # (gcc's, above)
