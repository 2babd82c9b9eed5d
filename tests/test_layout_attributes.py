"""``aligned(N)`` arguments and ``#pragma pack`` as gcc reads them (review 10, "left alone": they
had their own untyped evaluator).  An ``aligned`` argument is an integer constant expression typed
as an array size is (``(char)264`` is 8, ``-1U`` is 4294967295), with the enumerators and types
declared before it; ``#pragma pack`` takes one integer constant token, as gcc does (``pack(1+1)``
packed to 2 where gcc ignores it).  gcc judges: the real compiler for each ABI lays out what is
accepted, and gives the same words for what is refused."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

import pytest

from dtracepy.errors import LayoutError
from dtracepy.layout import cc
from dtracepy.layout.cdecl import parse_layouts

ABIS = ("x86_64", "i386", "aarch64", "sparcv9")
PRELUDE = "typedef unsigned char u8; enum e { enA = 4 };\n"

# (attribute on ``int x`` after ``char c``, sizeof the struct on x86_64 as gcc lays it out)
ACCEPTED = [
    ("aligned(8u)", 16), ("aligned(sizeof(int))", 8), ("aligned((char)264)", 16), ("aligned('\\b')", 16),
    ("aligned((int)8.5)", 16), ("aligned(0x10)", 32), ("aligned(010)", 16), ("aligned(8ULL)", 16),
    ("aligned(-(-8))", 16), ("aligned(~-9)", 16), ("aligned(16/2)", 16), ("aligned(1?8:4)", 16),
    ("aligned(4 > 2 ? 8 : 2)", 16), ("aligned((unsigned char)-248)", 16), ("aligned(enA)", 8),
    ("aligned((u8)264)", 16), ("aligned(1<<4)", 32), ("aligned(1)", 8), ("aligned()", 32), ("aligned", 32),
    # gcc warns that 0 is not a positive power of 2 and ignores it
    ("aligned(0)", 8),
]

# (attribute, dtracepy's message, gcc's words or None where they differ)
REFUSED = [
    ("aligned(-8)", "requested alignment -8 is not a positive power of 2", "same"),
    ("aligned(3)", "requested alignment 3 is not a positive power of 2", "same"),
    ("aligned(4294967296+8)", "requested alignment 4294967304 is not a positive power of 2", "same"),
    ("aligned(1<<31)", "requested alignment -2147483648 is not a positive power of 2", "same"),
    ("aligned(2147483647+1)", "requested alignment -2147483648 is not a positive power of 2", "same"),
    ("aligned(-1U)", "requested alignment 4294967295 is not a positive power of 2", "same"),
    ("aligned(1<<29)", "requested alignment 536870912 exceeds maximum 268435456", "same"),
    ("aligned(0x80000000)", "requested alignment 2147483648 exceeds maximum 268435456", "same"),
    ("aligned(9223372036854775808)", "requested alignment 9223372036854775808 exceeds maximum 268435456", "same"),
    ("aligned(8,4)", "wrong number of arguments specified for 'aligned' attribute", "same"),
    ("packed(1)", "wrong number of arguments specified for 'packed' attribute", "same"),
    ("aligned(2.0)", "floating constant 2.0 in an integer constant expression", "requested alignment is not an "
                                                                                 "integer constant"),
    ("aligned(x)", "'x' is not a known constant", "'x' undeclared"),
]


def attributed(attr: str, i: int = 0) -> str:
    return f"struct a{i} {{ char c; int x __attribute__(({attr})); }};\n"


def test_aligned_arguments_are_typed_constant_expressions():
    text = PRELUDE + "".join(attributed(attr, i) for i, (attr, _) in enumerate(ACCEPTED))
    layouts = parse_layouts(text)
    assert [(attr, layouts[f"a{i}"].size) for i, (attr, _) in enumerate(ACCEPTED)] == ACCEPTED
    # on a record, with the ABI's own sizes
    record = "struct b { char c; } __attribute__((aligned(sizeof(long) * 2)));"
    assert [parse_layouts(record, abi=abi)["b"].size for abi in ABIS] == [16, 8, 16, 16]


@pytest.mark.parametrize("abi", ABIS)
def test_gcc_lays_out_the_aligned_arguments_alike(abi):
    if cc.unavailable(abi):
        pytest.skip(f"cannot compile for {abi} here: {cc.unavailable(abi)}")
    text = PRELUDE + "".join(attributed(attr, i) for i, (attr, _) in enumerate(ACCEPTED))
    text += "struct b { char c; } __attribute__((aligned(sizeof(long) * 2)));\n"
    assert cc.compare(text, abi) == []


@pytest.mark.parametrize("attr, message, gcc_words", REFUSED)
def test_alignments_gcc_refuses_are_refused_located(attr, message, gcc_words):
    with pytest.raises(LayoutError) as info:
        parse_layouts(PRELUDE + attributed(attr), filename="x.h")
    assert re.match(r"x\.h:2:\d+: error: ", str(info.value)) and message in info.value.message


def _gcc(text: str) -> str:
    """gcc's diagnostics for ``text``, its quotes made plain ("" when gcc is not installed)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.c")
        with open(path, "w") as f:
            f.write(text)
        proc = subprocess.run(["gcc", "-std=gnu11", "-fsyntax-only", path], capture_output=True, text=True)
    return re.sub("[\u2018\u2019]", "", proc.stderr)


def _needs_gcc():
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed: the written-in words are not judged here")


def test_gcc_refuses_them_in_the_same_words():
    _needs_gcc()
    for attr, message, gcc_words in REFUSED:
        said = _gcc(PRELUDE + attributed(attr))
        assert "error: " in said, attr
        assert (message if gcc_words == "same" else gcc_words).replace("'", "") in said, (attr, said)


def test_an_alignment_no_record_takes_is_checked_too():
    # a typedef's attribute: gcc refuses aligned(3) there too (dtracepy read it, then dropped it)
    with pytest.raises(LayoutError, match=r"^x\.h:1:15: error: requested alignment 3 is not a positive power of 2"):
        parse_layouts("typedef int T __attribute__((aligned(3)));\nstruct a { int x; };", filename="x.h")


def test_a_bad_argument_is_located_in_it():
    text = "struct a {\n  int x __attribute__((aligned(8 +\n      sizeof(struct nosuch *) * y)));\n};\n"
    with pytest.raises(LayoutError) as info:
        parse_layouts(text, filename="x.h")
    assert str(info.value) == "x.h:3:33: error: 'y' is not a known constant"


# --- #pragma pack ------------------------------------------------------------------------------

# (the pragmas before ``struct a { char c; int x; }``, its size as gcc lays it out)
PACKS = [
    ("pack(2u)", 6), ("pack(0x2)", 6), ("pack(02)", 6), ("pack(0b10)", 6), ("pack(2UL)", 6), ("pack(8ll)", 8),
    ("pack(16)", 8), ("pack(0)", 8), ("pack(1)|pack()", 8), ("pack(push, 2)", 6), ("pack(push, x, 2)", 6),
    ("pack( push , 2 )", 6), ("pack(push)", 8), ("pack(push,N)", 8), ("pack(pop)", 8),
    # a pop without its push changes nothing (it reset the packing)
    ("pack(2)|pack(pop)", 6), ("pack(2)|pack(push, 0)|pack(pop)", 6),
    ("pack(push, a, 2)|pack(push, 4)|pack(pop, a)", 8), ("pack(push, a, 2)|pack(push, 4)|pack(pop, b)", 6),
    ("pack(push, 2)|pack(push, 0)", 8), ("pack(push, 2)|pack(push)", 6), ("pack(push, a)|pack(1)|pack(pop, a)", 8),
]

# (the pragma, gcc's words for it: gcc warns and ignores it, dtracepy refuses it)
PACKS_REFUSED = [
    ("pack(N)", "unknown action 'N' for '#pragma pack'"),  # (gcc expands no macro there)
    ("pack(1+1)", "malformed '#pragma pack'"),
    ("pack(3)", "alignment must be a small power of two, not 3"),
    ("pack(32)", "alignment must be a small power of two, not 32"),
    ("pack(push, 1+1)", "malformed '#pragma pack(push[, id][, <n>])'"),
    ("pack(-1)", "malformed '#pragma pack'"),
    ("pack((2))", "malformed '#pragma pack'"),
    ("pack(2.0)", "invalid constant in '#pragma pack'"),
    ("pack(show)", "unknown action 'show' for '#pragma pack'"),
    ("pack(1, 2)", "malformed '#pragma pack'"),
    ("pack(pop, 2)", "malformed '#pragma pack(pop[, id])'"),
    ("pack(push,)", "malformed '#pragma pack(push[, id][, <n>])'"),
]


def packed(pragmas: str, name: str = "a") -> str:
    lines = "".join(f"#pragma {p}\n" for p in pragmas.split("|"))
    return f"#define N 2\n{lines}struct {name} {{ char c; int x; }};\n#pragma pack()\n"


def test_pragma_pack_is_read_as_gcc_reads_it():
    assert [(p, parse_layouts(packed(p))["a"].size) for p, _ in PACKS] == PACKS


@pytest.mark.parametrize("abi", ABIS)
def test_gcc_lays_out_the_pragmas_alike(abi):
    if cc.unavailable(abi):
        pytest.skip(f"cannot compile for {abi} here: {cc.unavailable(abi)}")
    for p, _ in PACKS:
        assert cc.compare(packed(p), abi) == [], p


@pytest.mark.parametrize("pragma, words", PACKS_REFUSED)
def test_pragmas_gcc_ignores_are_refused_in_its_words(pragma, words):
    with pytest.raises(LayoutError) as info:
        parse_layouts(packed(pragma), filename="x.h")
    assert str(info.value) == f"x.h:2:1: error: {words}: gcc ignores the pragma, with a warning (dtracepy refuses it)"


def test_gcc_ignores_them_with_those_words():
    _needs_gcc()
    for pragma, words in PACKS_REFUSED:
        said = _gcc(packed(pragma))
        assert "warning: " + words.replace("'", "") in said, (pragma, said)


# --- aligned(N) on a typedef -------------------------------------------------------------------
#
# gcc gives a typedef the alignment its aligned(N) asks for, higher or lower, its size unchanged;
# dtracepy dropped the attribute (``typedef int T __attribute__((aligned(8)))``: a T member after a
# char was at offset 4, gcc's 8).  (the header with | for newlines, offset of x and sizeof(struct a)
# on x86_64 as gcc lays them out)
TYPEDEFS = [
    ('typedef int T __attribute__((aligned(8)));|struct a { char c; T x; };', 8, 16),
    ('typedef int __attribute__((aligned(8))) T;|struct a { char c; T x; };', 8, 16),
    ('typedef __attribute__((aligned(8))) int T;|struct a { char c; T x; };', 8, 16),
    ('__attribute__((aligned(8))) typedef int T;|struct a { char c; T x; };', 8, 16),
    ('typedef int T __attribute__((aligned(2)));|struct a { char c; T x; };', 2, 6),
    ('typedef int T, U __attribute__((aligned(16)));|struct a { char c; T x; U y; };', 4, 32),
    ('typedef int __attribute__((aligned(16))) T, U;|struct a { char c; T x; U y; };', 16, 48),
    ('typedef long long T __attribute__((aligned(8)));|struct a { char c; T x; };', 8, 16),
    ('typedef double T __attribute__((aligned(8)));|struct a { char c; T x; };', 8, 16),
    ('typedef unsigned T __attribute__((aligned(8)));|struct a { char c; T x:3; char d; };', 8, 16),
    ('typedef unsigned T __attribute__((aligned(1)));|struct a { char c; T x:30; char d; };', 1, 6),
    ('typedef char T __attribute__((aligned(4)));|struct a { char c; T x; } __attribute__((packed));', 1, 2),
    ('typedef enum { A, B } T __attribute__((aligned(8)));|struct a { char c; T x; };', 8, 16),
    ('static inline int f(void) { return 1; }|typedef int T __attribute__((aligned(8)));|'
     'struct a { char c; T x; };', 8, 16),
    ('typedef int T __attribute__((aligned(8))) __attribute__((aligned(4)));|struct a { char c; T x; };', 4, 8),
    ('typedef int T __attribute__((aligned(4), aligned(16)));|struct a { char c; T x; };', 16, 32),
    ('typedef int T __attribute__((packed));|struct a { char c; T x; };', 4, 8),
    ('typedef void (*fp)(int x __attribute__((unused)));|typedef int T __attribute__((aligned(8)));|'
     'struct a { char c; T x; fp f; };', 8, 24),
    ('#pragma pack(2)|typedef int T __attribute__((aligned(8)));|struct a { char c; T x; };', 2, 6),
    ('typedef int T __attribute__((aligned(8)));|struct a { char c; T x __attribute__((aligned(2))); };', 8, 16),
    ('typedef int T __attribute__((aligned(8)));|typedef T U __attribute__((aligned(2)));|'
     'struct a { char c; U x; };', 2, 6),
    # a typedef of a record: the record's size, the typedef's alignment (glibc's __pthread_unwind_buf_t)
    ('typedef struct { int x; char c; } T __attribute__((aligned(16)));|struct a { char c; T x; char d; };',
     16, 32),
    ('typedef struct s { int x; char c; } T __attribute__((aligned(2)));|struct a { char c; T x; };', 2, 10),
    ('typedef union { int x; char c; } T __attribute__((__aligned__));|struct a { char c; T x; };', 16, 32),
    # mode(M) on a typedef of an integer type (glibc's register_t): the integer type of M's size
    ('typedef int T __attribute__((__mode__(__word__)));|struct a { char c; T x; };', 8, 16),
    ('typedef unsigned T __attribute__((mode(QI)));|struct a { char c; T x; };', 1, 2),
    ('typedef int T __attribute__((mode(HI)));|struct a { char c; T x; };', 2, 4),
    ('typedef char T __attribute__((mode(SI)));|struct a { char c; T x; };', 4, 8),
    ('typedef int T __attribute__((mode(DI)));|struct a { char c; T x; };', 8, 16),
]


def typedef_header(row) -> str:
    return row[0].replace("|", "\n") + "\n"


def test_a_typedefs_alignment_is_the_one_it_asks_for():
    got = []
    for row in TYPEDEFS:
        a = parse_layouts(typedef_header(row))["a"]
        got.append((row[0], a.member("x").offset, a.size))
    assert got == TYPEDEFS
    # i386's long long is 4-aligned in a struct: aligned(8) on its typedef raises it, as Linux's
    # __aligned_u64 does
    a = parse_layouts("typedef long long T __attribute__((aligned(8)));\nstruct a { char c; T x; };", abi="i386")["a"]
    assert (a.member("x").offset, a.size, a.align) == (8, 16, 8)


@pytest.mark.parametrize("abi", ABIS)
def test_gcc_lays_out_the_aligned_typedefs_alike(abi):
    if cc.unavailable(abi):
        pytest.skip(f"cannot compile for {abi} here: {cc.unavailable(abi)}")
    for row in TYPEDEFS:
        assert cc.compare(typedef_header(row), abi, types=["struct a"]) == [], row[0]


def test_what_an_aligned_typedef_cannot_be_is_refused():
    # gcc: "alignment of array elements is greater than element size"
    with pytest.raises(LayoutError, match=r"^x\.h:2:\d+: error: alignment of array elements is greater than element "
                                          "size"):
        parse_layouts("typedef char T __attribute__((aligned(4)));\nstruct a { char c; T x[3]; };", filename="x.h")
    # a typedef of an incomplete record: its members are not known yet, so refused
    with pytest.raises(LayoutError, match=r"^x\.h:1:18: error: __attribute__\(\(aligned\(8\)\)\) on a typedef of "
                                          "struct s is not supported"):
        parse_layouts("typedef struct s T __attribute__((aligned(8)));\nstruct s { int x; };", filename="x.h")
    # mode(M) where dtracepy does not model it: a member, a floating mode, a mode it does not know
    for text, where in (("struct a { int x __attribute__((mode(DI))); };", "1:18"),
                        ("typedef float T __attribute__((mode(DF)));", "1:17"),
                        ("typedef int T __attribute__((mode(TI)));", "1:15")):
        with pytest.raises(LayoutError, match=rf"^x\.h:{where}: error: __attribute__\(\(mode"):
            parse_layouts(text, filename="x.h")
