"""C11's declarations in a header: ``_Static_assert`` evaluated as gcc evaluates it (a false one,
or one that is not an integer constant, refused in gcc's words at gcc's place), on both readers,
the fast reader taking it without pycparser."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from dtracepy.errors import LayoutError
from dtracepy.layout import cdecl, parse_layouts

# (header, gcc's first error or None, (the struct laid out, its size) when gcc accepts)
ASSERTS = [
    ('struct s { int a; char b; };\n_Static_assert(sizeof(struct s) == 4, "size of s");',
     '2:1: error: static assertion failed: "size of s"', None),
    ('struct s { int a; char b; };\n_Static_assert(sizeof(struct s) == 8, "size of s");', None, ("struct s", 8)),
    ("int x; _Static_assert(x, \"m\");", "1:23: error: expression in static assertion is not constant", None),
    ('_Static_assert(1.5, "m");', "1:16: error: expression in static assertion is not an integer", None),
    ('_Static_assert(1/0 || 1, "m");', None, None),  # (gcc: not constant, at the '||': checked below)
    ('_Static_assert(0 && 1/0, "m");\nstruct t { int a; };', '1:1: error: static assertion failed: "m"', None),
    ('_Static_assert((char)256, "c");', '1:1: error: static assertion failed: "c"', None),
    ('_Static_assert(0, "a" "b");', '1:1: error: static assertion failed: "ab"', None),
    ("enum { E = 2 };\nstruct s {\n  int a[E];\n  _Static_assert(sizeof(int[E]) == 8, \"ok\");\n"
     "  _Static_assert(_Alignof(long) == 4, \"al\");\n};", '5:3: error: static assertion failed: "al"', None),
    ("struct s { struct i { int a; } x; _Static_assert(sizeof(struct i) == 4, \"i\"); char c; };\n"
     "_Static_assert(sizeof(struct s) == 8 && _Alignof(struct s) == 4, \"s\");", None, ("struct s", 8)),
    ('_Static_assert(2147483647 + 1 < 0, "overflow: gcc only warns");\nstruct s { int a; };', None, ("struct s", 4)),
]


def ours(text: str, fast: bool, monkeypatch, layout=None):
    monkeypatch.setattr(cdecl, "FAST_READER", fast)
    try:
        layouts = parse_layouts(text, filename="b.h")
    except LayoutError as err:
        return f"{err.pos.line}:{err.pos.col}: error: {err.message}"
    return (layout[0], layouts[layout[0]].size) if layout else None


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("text,error,layout", [a for a in ASSERTS if a[1] or a[2]])
def test_static_assert_is_evaluated_as_gcc_evaluates_it(text, error, layout, fast, monkeypatch):
    result = ours(text, fast, monkeypatch, layout)
    assert result == (error or layout)


@pytest.mark.parametrize("fast", [True, False])
def test_sizeof_of_the_record_being_defined_is_refused(fast, monkeypatch):
    # (gcc: "invalid application of 'sizeof' to incomplete type", at the type name; here at sizeof)
    assert ours('struct s { int a; _Static_assert(sizeof(struct s), "m"); };', fast, monkeypatch) == \
        "1:34: error: invalid application of 'sizeof' to incomplete type 'struct s'"


def test_a_division_by_zero_is_not_constant(monkeypatch):
    for fast in (True, False):
        assert ours('_Static_assert(1/0 || 1, "m");', fast, monkeypatch).endswith(
            "error: expression in static assertion is not constant")


def test_the_fast_reader_takes_static_assert_without_pycparser(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pycparser called")

    monkeypatch.setattr(cdecl._CParser, "parse", refuse)
    monkeypatch.setattr(cdecl, "FAST_READER", True)
    for text, error, layout in ASSERTS:
        if layout is not None:
            assert parse_layouts(text, filename="b.h")[layout[0]].size == layout[1]


def test_gcc_gives_the_words(tmp_path):
    if shutil.which("gcc") is None:
        pytest.skip("no gcc")
    for text, error, _ in ASSERTS:
        path = tmp_path / "b.h"
        path.write_text(text + "\n")
        run = subprocess.run(["gcc", "-fsyntax-only", "-x", "c", str(path)], capture_output=True, text=True,
                             timeout=60)
        errors = [line[len(str(path)) + 1:] for line in run.stderr.splitlines()
                  if line.startswith(str(path)) and ": error: " in line]
        first = errors[0].replace("\u2018", "'").replace("\u2019", "'") if errors else None
        assert first == error or (error is None and "1/0" in text and "not constant" in first), (text, first)


# storage classes and a function specifier with no effect on a layout: the fast reader takes them
# where gcc does (an object's _Thread_local at file scope, a function's _Noreturn, a block's auto)
SPECIFIERS = [
    "_Thread_local int x; static _Thread_local int y; _Thread_local static int z; extern _Thread_local long w;\n"
    "_Thread_local struct q { int a; char c; } v;",
    "_Noreturn void f(void); void _Noreturn g(void); static _Noreturn void h(void) { for (;;); }",
    "void g(void) { auto int z; register int r; for (auto int i = 0; i < 3; i++); }",
]
# where gcc refuses them: the fast reader refuses them in gcc's words, at its place (session 24,
# layout25; pycparser's path decided before, and took most)
OUTSIDE = ["_Thread_local void f(void);", "_Thread_local typedef int T;", "typedef _Thread_local int T;",
           "auto int x;", "void g(auto int z);", "struct s { _Thread_local int a; };",
           "void g(void) { _Thread_local int z; }", "int f(a) auto int a; { return 0; }"]


def test_the_fast_reader_takes_thread_local_noreturn_and_auto(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pycparser called")

    monkeypatch.setattr(cdecl._CParser, "parse", refuse)
    monkeypatch.setattr(cdecl, "FAST_READER", True)
    for text in SPECIFIERS:
        layouts = parse_layouts(text + "\nstruct r { char a; long b; };", filename="b.h")
        assert layouts["struct r"].size == 16


@pytest.mark.parametrize("text", SPECIFIERS)
def test_both_readers_agree_on_the_specifiers(text, monkeypatch):
    assert ours(text, True, monkeypatch) == ours(text, False, monkeypatch)


@pytest.mark.parametrize("text", OUTSIDE)
def test_the_fast_reader_refuses_what_gcc_refuses_in_its_words(text, tmp_path):
    from dtracepy.layout.abi import get_abi
    from dtracepy.layout.cparse import read_fast

    with pytest.raises(LayoutError) as info:
        read_fast(f'#line 1 "b.h"\n{text}\n', "b.h", get_abi("x86_64"))
    if shutil.which("gcc") is not None:
        (tmp_path / "b.h").write_text(text + "\n")
        out = subprocess.run(["gcc", "-fsyntax-only", "-x", "c", "b.h"], capture_output=True, text=True, cwd=tmp_path)
        first = next(line for line in out.stderr.splitlines() if ": error: " in line)
        assert f"{info.value.pos}: error: {info.value.message}" == first.replace("\u2018", "'").replace("\u2019", "'")


# C's struct, union and enum tags share one name space: gcc's first error, and its place (an
# enum's here at its keyword, where gcc points at its tag: the last two)
TAGS = [
    ("struct X {int a;}; union X *p;", "1:26: error: 'X' defined as wrong kind of tag"),
    ("struct X {int a;}; union X;", "1:26: error: 'X' defined as wrong kind of tag"),
    ("union X {int a;}; struct X {int b;};", "1:26: error: 'X' defined as wrong kind of tag"),
    ("struct X; union X {int a;};", "1:17: error: 'X' defined as wrong kind of tag"),
    ("struct X {int b;}; struct Y { union X { int c; } u; };", "1:37: error: 'X' defined as wrong kind of tag"),
    ("struct X *p; union X *q;", "1:20: error: 'X' defined as wrong kind of tag"),
    ("enum X {A}; enum X e; union X *u;", "1:29: error: 'X' defined as wrong kind of tag"),
    ("enum X {A}; struct X {int b;};", "1:20: error: 'X' defined as wrong kind of tag"),
    ("struct X {int b;}; enum X e;", "1:20: error: 'X' defined as wrong kind of tag"),
]


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("text,error", TAGS)
def test_a_tag_used_as_another_kind_is_refused_as_gcc_refuses_it(text, error, fast, monkeypatch):
    assert ours(text, fast, monkeypatch) == error


def test_the_same_kind_of_tag_again_is_taken(monkeypatch):
    text = "struct X {int b;}; struct X *p; enum E {A}; enum E e; struct Y {enum E e; struct X *x;};"
    assert ours(text, True, monkeypatch, ("struct Y", 16)) == ("struct Y", 16)


def test_asking_for_the_wrong_kind_of_tag_says_so():
    with pytest.raises(LayoutError, match=r"'X' defined as wrong kind of tag: the header declares struct X, "
                                          r"not union X"):
        parse_layouts("struct X { int a; };", filename="b.h")["union X"]


def test_gcc_gives_the_tags_words(tmp_path):
    if shutil.which("gcc") is None:
        pytest.skip("no gcc")
    for text, error in TAGS:
        path = tmp_path / "b.h"
        path.write_text(text + "\n")
        run = subprocess.run(["gcc", "-fsyntax-only", "-x", "c", str(path)], capture_output=True, text=True,
                             timeout=60)
        first = next(line[len(str(path)) + 1:] for line in run.stderr.splitlines() if ": error: " in line)
        first = first.replace("\u2018", "'").replace("\u2019", "'")
        if "enum X e;" in text or text.startswith("enum X {A}; struct"):
            first = first.replace("1:25:", "1:20:")  # (gcc: at the tag; here: at the enum keyword)
        assert first == error, text


@pytest.mark.parametrize("fast", [True, False])
def test_alignas_on_a_member_is_laid_out_as_gcc_lays_it_out(fast, monkeypatch):
    # (refused in session 19, where it had put b at 4; gcc at 16: tests/test_layout_alignas.py)
    assert ours("struct s { char a; _Alignas(16) int b; };", fast, monkeypatch, ("struct s", 32)) == ("struct s", 32)
    assert ours("_Alignas(32) int v; struct s { char a; int b; };", fast, monkeypatch, ("struct s", 8)) == ("struct s", 8)
