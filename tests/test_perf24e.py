"""Session 23, helper perf24e: ``layout`` reads the common members and declarators on short paths
(issue 8's declarators, prototypes and typedef-given-again rows; docs/PERFORMANCE.md "Session 23,
perf24e").

What the short paths rely on, each checked here: the converter's member of a plain type or of one
small decimal dimension gets the type and spelling the general path (``_Converter._type_parts``)
gives it, and what that path refuses is still refused there; a typedef given again is compared
with its words' canonical type remembered, and a refused one is still refused each time; the fast
reader's one-word specifiers, unnamed parameters and literal dimensions build pycparser's tree.
The tests that count calls fail on the code before (main ``fee2aef``); none is timed.
"""

from __future__ import annotations

import pytest

from dtracepy.errors import LayoutError
from dtracepy.layout import cc, cdecl, fastc, parse_layouts

# members of every kind the converter's short path takes, and beside them what it leaves to the
# general path (qualified, a typedef of an array, a pointer, a bit-field, two dimensions)
_MEMBERS = """typedef long T; typedef char *P; typedef int A3[3]; typedef unsigned char u8;
enum e { E0, E1 = 300 };
struct in { short s; char c; };
struct s {
    int a; long b; char c[4]; unsigned long long u[3]; T t[2]; T t1; P p; P pp[2]; u8 bytes[5];
    enum e en; enum e ens[2]; _Bool flags[3]; long double ld[2]; double d; float f[1]; struct in in;
    int z[0]; const int q; const char cq[2]; A3 a3; A3 a3s[2]; char *ptrs[2]; char m[2][3]; int bits : 3;
    char last[];
};
"""


def _members(layout) -> list:
    return [(m.name, repr(m.type), m.type_name, m.offset, m.width) for m in layout.members]


def test_the_short_paths_members_are_the_general_paths(monkeypatch):
    """Each member's type, spelling and offset, read on the short path, as the general path gives
    them (the short path turned off: every member through ``_type_parts``)."""
    quick = parse_layouts(_MEMBERS, filename="m.h")["struct s"]
    calls = []
    general = cdecl._Converter._type_parts

    def counted(self, node, *args, **kwargs):
        calls.append(node)
        return general(self, node, *args, **kwargs)

    monkeypatch.setattr(cdecl._Converter, "_type_parts", counted)
    monkeypatch.setattr(cdecl, "_SHORT_MEMBERS", False, raising=False)
    slow = parse_layouts(_MEMBERS, filename="m.h")["struct s"]
    assert len(calls) > 10  # (the arrays, and each pointer of the prelude)
    assert _members(quick) == _members(slow)
    assert (quick.size, quick.align) == (slow.size, slow.align)
    assert [m.type_name for m in quick.members][:4] == ["int", "long", "char [4]", "unsigned long long [3]"]


@pytest.mark.skipif(cc.unavailable("x86_64") is not None, reason="no gcc here")
def test_the_short_paths_members_are_laid_out_as_gcc_does():
    assert cc.compare(_MEMBERS, "x86_64", types=["struct s", "struct in"]) == []


@pytest.fixture
def type_parts(monkeypatch):
    """The types the converter reads through its general path (``_Converter._type_parts``)."""
    calls = []
    general = cdecl._Converter._type_parts

    def counted(self, node, *args, **kwargs):
        calls.append(node)
        return general(self, node, *args, **kwargs)

    monkeypatch.setattr(cdecl._Converter, "_type_parts", counted)
    return calls


def test_plain_members_and_record_definitions_take_no_general_path(type_parts):
    counts = []
    for n in (10, 20):  # (the prelude's typedefs counted out: what ten more records cost)
        text = "".join(f"typedef long T{i};\nstruct s{i} {{ int a; long b; char c[4]; T{i} t; struct s{i} *n; }};\n"
                       for i in range(n))
        type_parts.clear()
        assert parse_layouts(text, filename="plain.h")[f"struct s{n - 1}"].size == 40
        counts.append(len(type_parts))
    # each record's n, a pointer (main fee2aef: 30, its c and its definition's own too)
    assert counts[1] - counts[0] == 10


@pytest.mark.parametrize(("member", "message"), [
    ("void v[2];", "as array of voids"),  # (gcc's words; refused on both paths since hostile25)
    ("char big[2147483647]; char more[2147483647]; char x[2147483647]; char y[2147483647]; "
     "char z[2147483647]; char w[2147483647];", None),
    ("struct in x[3];", "array type has incomplete element type"),  # (gcc's words; as above)
    ("long huge[2305843009213693952];", "array too large"),
    ("int f(void)[2];", None),
])
def test_what_the_general_path_refuses_is_refused(member, message, monkeypatch):
    """A member the short path leaves (an element it does not take, a size past the ABI's) meets
    the general path's refusal, the same with the short path off."""
    text = f"struct in;\nstruct s {{ {member} }};\n"

    def outcome():
        try:
            layout = parse_layouts(text, filename="r.h")["struct s"]
            return ("ok", _members(layout), layout.size)
        except LayoutError as err:
            return ("error", err.message, str(err.pos))

    quick = outcome()
    monkeypatch.setattr(cdecl, "_SHORT_MEMBERS", False, raising=False)
    assert quick == outcome()
    if message is not None:
        assert quick[0] == "error" and message in quick[1], quick


def test_an_aligned_typedef_beyond_its_size_is_refused_as_an_array_element():
    text = "typedef char C8 __attribute__((aligned(8)));\nstruct s { C8 x[2]; };\n"
    with pytest.raises(LayoutError, match="alignment of array elements is greater than element size"):
        parse_layouts(text, filename="a.h")


# --- a typedef given again ------------------------------------------------------------------------


def test_a_typedef_given_again_is_compared_by_its_remembered_canonical_words(monkeypatch):
    calls = []
    words = cdecl._Converter._canonical

    def counted(self, names, node):
        calls.append(tuple(names))
        return words(self, names, node)

    monkeypatch.setattr(cdecl._Converter, "_canonical", counted)
    text = "".join(f"struct s{i} {{ int a; }};\ntypedef unsigned long size_t;\n" for i in range(30))
    parse_layouts(text, filename="t.h")
    assert calls.count(("unsigned", "long")) == 1  # (main fee2aef: 59, twice for each given again)


@pytest.mark.parametrize(("text", "message"), [
    ("typedef unsigned long size_t;\ntypedef unsigned long size_t;\ntypedef long size_t;\n",
     "conflicting types for 'size_t'"),
    ("typedef long long long L;\n", "'long long long' is too long for GCC"),
    ("struct a { long long long x; };\nstruct b { long long long y; };\n", "'long long long' is too long for GCC"),
    ("typedef unsigned long U;\ntypedef unsigned long U;\nstruct a { short long x; };\n",
     "both 'long' and 'short' in declaration specifiers"),
])
def test_the_remembered_words_refuse_as_before(text, message):
    with pytest.raises(LayoutError, match=message):
        parse_layouts(text, filename="t.h")


# --- the fast reader's short paths -----------------------------------------------------------------


def _outcome(text: str, fast: bool, monkeypatch) -> tuple:
    monkeypatch.setattr(cdecl, "FAST_READER", fast)
    try:
        layouts = parse_layouts(text, filename="h.h")
    except LayoutError as err:
        return ("error", err.message, str(err.pos))
    return ("ok", [(name, layout.to_json(limit=2000)) for name, layout in layouts.items()],
            sorted(layouts.typedefs))


@pytest.mark.parametrize("text", [
    "int f(int, char, unsigned long, struct s *, void (*)(int), ...);\nstruct s { char (c)[4]; int (x); };\n",
    "void (*signal(int, void (*)(int)))(int);\nstruct a { int (*(*g)(int))[4]; char (*(y))[3]; };\n",
    "typedef int T;\nstruct a { long T; };\n",  # (pycparser: the declarator T, of long)
    "typedef int T;\nint f(T, T);\nstruct a { T x; char y[1]; };\n",
    "struct a { int x[3]; char y[0x10]; char z[010]; char w[1u]; char v[2 + 1]; char u[]; };\n",
    "struct a { int x[3; };\n",
    "struct a { int (x)[3]; int (y)(int); };\n",
    "int f(int const, char volatile *);\nstruct a { int x; };\n",
    "struct a { int x; };\nint f(int int);\n",
    "struct a { int x; };\nint f(int,);\n",
    "struct a { unsigned x; signed char y; long long z[2]; };\n",
])
def test_the_readers_short_paths_read_as_pycparser(text, monkeypatch):
    assert _outcome(text, True, monkeypatch) == _outcome(text, False, monkeypatch)


def test_literal_dimensions_and_unnamed_parameters_are_read_on_short_paths(monkeypatch):
    calls = {"expr": 0, "declarator": 0}
    expr, declarator = fastc._Reader.expr, fastc._Reader.declarator

    def counted_expr(self, *args, **kwargs):
        calls["expr"] += 1
        return expr(self, *args, **kwargs)

    def counted_declarator(self, *args, **kwargs):
        calls["declarator"] += 1
        return declarator(self, *args, **kwargs)

    monkeypatch.setattr(fastc._Reader, "expr", counted_expr)
    monkeypatch.setattr(fastc._Reader, "declarator", counted_declarator)
    counts = []
    for n in (10, 20):  # (the prelude's declarations counted out: what ten more units cost)
        calls.update(expr=0, declarator=0)
        parse_layouts("".join(f"struct s{i} {{ char (c)[4]; }};\nint f{i}(int, char);\n" for i in range(n)),
                      filename="d.h")
        counts.append(dict(calls))
    assert counts[1]["expr"] - counts[0]["expr"] == 0  # (main fee2aef: 10, one a dimension)
    # each member's and function's (main fee2aef: 40, each parameter's too)
    assert counts[1]["declarator"] - counts[0]["declarator"] == 20
