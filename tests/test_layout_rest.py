"""``layout``'s leftovers of session 17, judged against gcc: ``vector_size``, ``<...>`` searched as
cpp searches it, and pycparser's messages that named no line."""

from __future__ import annotations

import os
import pathlib
import subprocess

import pytest

from dtracepy.errors import LayoutError
from dtracepy.layout import cc, cdecl, system
from dtracepy.layout.abi import ABIS, get_abi, host_abi_name
from dtracepy.layout.cdecl import parse_layouts

HOST = host_abi_name()

VECTORS = """\
typedef int v4si __attribute__((vector_size(16)));
typedef float v8sf __attribute__((__vector_size__(32)));
typedef double v8df __attribute__((vector_size(64)));
typedef char v2qi __attribute__((vector_size(2)));
typedef short v4hi __attribute__((vector_size(8)));
typedef float v2sf __attribute__((vector_size(8)));
typedef long long v1di __attribute__((vector_size(8)));
typedef long long v16di __attribute__((vector_size(128)));
typedef float ymm __attribute__ ((__vector_size__ (32), __aligned__ (16)));
typedef double zmm __attribute__ ((__vector_size__ (64), __aligned__ (16)));
typedef float lowered __attribute__((vector_size(32), aligned(8)));
typedef __attribute__((vector_size(16))) unsigned char before;
enum e { E1 };
typedef enum e venum __attribute__((vector_size(16)));
typedef unsigned short vsize __attribute__((vector_size(sizeof(int) * 4)));
struct s1 { char c; v4si a; char d; v8sf b; char e; v8df f; };
struct s2 { char c; v2qi a; char d; v4hi b; char e; v2sf f; char g; v1di h; };
struct s3 { char c; v16di a; ymm y[2]; zmm z; lowered l; before p; venum v; vsize w; };
struct s4 { char c; int m __attribute__((vector_size(16))); char d; short n __attribute__((vector_size(4))), o; };
struct s5 { char c; __attribute__((vector_size(8))) float x, y; };
union u6 { ymm ymm[2]; zmm zmm[1]; v4si xmm[4]; } __attribute__((aligned(16)));
struct s7 { char c; union u6 u; struct s2 inner; };
"""

# x86's intrinsics headers declare their wide vectors under #pragma GCC target (AVX): gcc places
# them alike (its _Alignof, not where it places them, follows the target)
X86_TARGETS = """\
#pragma GCC push_options
#pragma GCC target("avx")
typedef float m256 __attribute__((vector_size(32)));
#pragma GCC push_options
#pragma GCC target("avx512f")
typedef double m512d __attribute__((vector_size(64)));
#pragma GCC pop_options
#pragma GCC pop_options
typedef float after __attribute__((vector_size(32)));
struct s8 { char c; m256 a; char d; m512d b; char e; after h; };
"""


def _gcc_places(source: str, abi: str, types: dict) -> dict:
    """For each type: its size, where gcc places it after a char (its alignment in a record:
    _Alignof says at most 16 where gcc places a vector of 32 bytes at 32), and each named
    member's offset."""
    values, wrappers = [], []
    for i, (name, members) in enumerate(types.items()):
        wrappers.append(f"struct dtp_w{i} {{ char c; {name} t; }};\n")
        values += [f"sizeof({name})", f"__builtin_offsetof(struct dtp_w{i}, t)"]
        values += [f"__builtin_offsetof({name}, {m})" for m in members]
    raw = cc.compile_object(f"{source}{''.join(wrappers)}const unsigned long long dtp_meta[] "
                            f"__attribute__((section(\".dtpmeta\"))) = {{{', '.join(values)}}};\n", abi)[".dtpmeta"]
    order = get_abi(abi).byteorder
    nums = iter(int.from_bytes(raw[i:i + 8], order) for i in range(0, len(raw), 8))
    return {name: [next(nums) for _ in range(2 + len(members))] for name, members in types.items()}


def _ours(layouts, types: dict) -> dict:
    return {name: [layouts[name].size, layouts[name].align] + [layouts[name].member(m).offset for m in members]
            for name, members in types.items()}


def _members(layouts, names) -> dict:
    return {name: [f.name for f in layouts[name].fields if f.bit_width is None] for name in names}


def _compiler(abi: str):
    if cc.unavailable(abi):
        pytest.skip(f"no compiler for {abi}: {cc.unavailable(abi)}")


@pytest.mark.parametrize("abi", sorted(ABIS))
def test_vectors_lay_out_as_gcc_lays_them_out(abi):
    _compiler(abi)
    text = VECTORS + (X86_TARGETS if abi in ("x86_64", "i386") else "")
    layouts = parse_layouts(text, abi=abi)
    types = _members(layouts, list(layouts))
    assert _ours(layouts, types) == _gcc_places(text, abi, types)
    assert layouts["struct s4"].member("m").type == "int __attribute__((vector_size(16)))"


@pytest.mark.parametrize("fast", [True, False])
def test_vectors_read_alike_by_both_readers(fast, monkeypatch):
    monkeypatch.setattr(cdecl, "FAST_READER", fast)
    s1 = parse_layouts(VECTORS, abi="x86_64")["struct s1"]
    assert (s1.size, s1.align, s1.member("b").offset, s1.member("f").offset) == (192, 64, 64, 128)


def test_a_vector_is_read_through_its_address_not_as_a_scalar():
    from dtracepy import tree
    from dtracepy.layout import address_expr, read_expr

    s1 = parse_layouts(VECTORS, abi="x86_64")["struct s1"]
    with pytest.raises(LayoutError, match="not a scalar"):
        read_expr(s1, tree.Ident("p"), "a")
    assert address_expr(s1, tree.Ident("p"), "a") is not None


# what gcc refuses (its words), and what dtracepy does not model, each at the attribute
REFUSED = [
    ("typedef int a __attribute__((vector_size(12)));", "number of vector components 3 not a power of two"),
    ("typedef int a __attribute__((vector_size(2)));", "vector size not an integral multiple of component size"),
    ("typedef int a __attribute__((vector_size(0)));", "zero vector size"),
    ("typedef int a __attribute__((vector_size(-16)));", "'vector_size' attribute argument value '-16' is negative"),
    ("typedef _Bool a __attribute__((vector_size(16)));", "invalid vector type for attribute 'vector_size'"),
    ("struct q { int x; };\ntypedef struct q a __attribute__((vector_size(16)));",
     "invalid vector type for attribute 'vector_size'"),
    ("struct r { int x; } __attribute__((vector_size(16)));", "invalid vector type for attribute 'vector_size'"),
    ("typedef int *a __attribute__((vector_size(16)));", "not modelled by dtracepy"),
    ("struct t { int x[2] __attribute__((vector_size(16))); };", "not modelled by dtracepy"),
    ("typedef int a __attribute__((vector_size));", "wrong number of arguments"),
]


@pytest.mark.parametrize("text,message", REFUSED)
def test_a_vector_gcc_refuses_or_dtracepy_does_not_model_is_refused_at_its_attribute(text, message):
    with pytest.raises(LayoutError) as err:
        parse_layouts(text + "\nstruct ok { int i; };\n", filename="v.h")
    assert message in err.value.message
    last = text.splitlines()[-1]
    assert (err.value.pos.file, err.value.pos.line) == ("v.h", len(text.splitlines()))
    assert err.value.pos.col == last.index("__attribute__") + 1


def _need_host(header: str):
    if HOST is None:
        pytest.skip("this machine's ABI is not one dtracepy lays out")
    if cc.unavailable(HOST):
        pytest.skip(f"no compiler: {cc.unavailable(HOST)}")
    if not any(os.path.isfile(os.path.join(d, header)) for d in system.system_dirs()):
        pytest.skip(f"{header} is not on this machine")


def test_the_intrinsics_headers_vectors_lay_out_as_gcc_does():
    _need_host("immintrin.h")
    if HOST != "x86_64":
        pytest.skip("x86's intrinsics")
    source = ("#include <immintrin.h>\n"
              "struct y { char c; __m128 a; char d; __m256 b; char e; __m512d f; __m128i_u u; char g; __m64 m; };\n")
    layouts = parse_layouts(source, abi=HOST, include_dirs=system.system_dirs(), filename="y.h")
    types = _members(layouts, ["struct y"])
    assert _ours(layouts, types) == _gcc_places(source, HOST, types)


# -- #include <...> searches the -I and system directories, never the header's own ---------------

def _gcc_finds(main: pathlib.Path, *flags) -> bool:
    proc = subprocess.run(["timeout", "-s", "KILL", "60", "gcc", "-fsyntax-only", "-x", "c", *flags, str(main)],
                          capture_output=True, text=True)
    return proc.returncode == 0


def test_an_angle_include_is_not_searched_for_beside_the_header(tmp_path, monkeypatch):
    (tmp_path / "n.h").write_text("struct n { int a; };\n")
    main = tmp_path / "m.h"
    main.write_text("#include <n.h>\nstruct s { struct n x; char c; };\n")
    quoted = tmp_path / "q.h"
    quoted.write_text('#include "n.h"\nstruct s { struct n x; char c; };\n')
    if cc.unavailable("x86_64") is None:  # (the oracle: cpp finds "n.h" beside it, <n.h> only with -I)
        assert not _gcc_finds(main) and _gcc_finds(quoted) and _gcc_finds(main, "-I", str(tmp_path))
    with pytest.raises(LayoutError) as err:
        parse_layouts(main)
    assert (err.value.pos.file, err.value.pos.line, err.value.pos.col) == (str(main), 1, 10)
    assert "n.h: no such file" in err.value.message and '#include "n.h"' in err.value.message
    assert parse_layouts(quoted)["struct s"].size == 8
    assert parse_layouts(main, include_dirs=[str(tmp_path)])["struct s"].size == 8
    # nor in the working directory, which pcpp searched for <...> when given no -I
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LayoutError, match="n.h: no such file"):
        parse_layouts("#include <n.h>\nstruct s { struct n x; };\n", filename="str.h")


def test_an_angle_include_of_an_included_header_is_searched_as_cpp_searches_it(tmp_path):
    inc, sub = tmp_path / "inc", tmp_path / "inc" / "sub"
    sub.mkdir(parents=True)
    (sub / "n.h").write_text("struct n { long a; };\n")
    (sub / "mid.h").write_text("#include <n.h>\n")  # beside mid.h, not in a -I directory
    (inc / "n.h").write_text("struct n { char a; };\n")
    main = tmp_path / "m.h"
    main.write_text("#include <sub/mid.h>\nstruct s { struct n x; };\n")
    if cc.unavailable("x86_64") is None:
        assert _gcc_finds(main, "-I", str(inc))
    # cpp: <n.h> of sub/mid.h is inc/n.h (the -I directory), not sub/n.h beside it
    assert parse_layouts(main, include_dirs=[str(inc)])["struct s"].size == 1


# -- pycparser's messages without a line: at the token it stopped before ------------------------

# (text, gcc's line:col of its first error): pycparser's words name the file only for these
UNLOCATED = [
    ("struct s { int a; };\nint f(void) { ; } int x = ;\n", (2, 27)),
    ("struct s { int a; };\nint g(void){ case: ; }\n", (2, 18)),
    ("struct s { int a; };\nint f(void){ return 1 + ; }\n", (2, 25)),
    ("struct s{int a;};\n int x = (int (*)[3])0 +;\n", (2, 25)),
    ("struct s{int a;};\nint f(int a,,int b);\n", (2, 13)),
]


@pytest.mark.parametrize("text,where", UNLOCATED)
@pytest.mark.parametrize("fast", [True, False])
def test_pycparsers_unlocated_errors_are_at_gccs_place(text, where, fast, monkeypatch, tmp_path):
    monkeypatch.setattr(cdecl, "FAST_READER", fast)
    header = tmp_path / "t.h"
    header.write_text(text)
    if cc.unavailable("x86_64") is None:
        proc = subprocess.run(["timeout", "-s", "KILL", "60", "gcc", "-fsyntax-only", "-x", "c", str(header)],
                              capture_output=True, text=True)
        first = next(line for line in proc.stderr.splitlines() if ": error: " in line)
        assert first.startswith(f"{header}:{where[0]}:{where[1]}: ")
    with pytest.raises(LayoutError) as err:
        parse_layouts(header)
    assert (err.value.pos.line, err.value.pos.col) == where
    assert err.value.message.startswith("syntax error")


def test_an_error_at_the_end_of_input_is_at_the_last_token_of_the_header_through_line_markers(tmp_path):
    (tmp_path / "inner.h").write_text("struct s { int a; };\n\nstruct t { int b; \n")
    main = tmp_path / "m.h"
    main.write_text('// a comment\n#include "inner.h"\n')
    with pytest.raises(LayoutError) as err:
        parse_layouts(main)
    assert err.value.message == "syntax error at end of input"
    assert (os.path.basename(err.value.pos.file), err.value.pos.line) == ("inner.h", 3)


# -- __int128 (gcc's, on the LP64 ABIs), which link.h's La_x86_64_regs holds --------------------

INT128 = """\
struct s { char c; __int128 a; unsigned __int128 b; signed __int128 d; __int128 unsigned e; char f; };
union u { char c; __int128 x; };
struct v { char c; union u x; int i; long double ld; __int128 arr[2]; };
"""


@pytest.mark.parametrize("abi", ["x86_64", "aarch64", "sparcv9"])
def test_int128_lays_out_as_gcc_lays_it_out(abi):
    _compiler(abi)
    assert cc.compare(INT128, abi) == []


def test_int128_is_refused_where_gcc_refuses_it_and_its_bit_fields_are_not_modelled():
    with pytest.raises(LayoutError) as err:
        parse_layouts("struct s { char c;\n  __int128 a; };\n", abi="i386", filename="i.h")
    assert (err.value.message, err.value.pos.line, err.value.pos.col) == (
        "'__int128' is not supported on this target", 2, 3)
    with pytest.raises(LayoutError) as err:
        parse_layouts("struct t { char c; __int128 x:100; };\n", filename="i.h")
    assert "a bit-field of __int128 is not modelled" in err.value.message and err.value.pos.col == 29
    from dtracepy import tree
    from dtracepy.layout import read_expr

    with pytest.raises(LayoutError, match="cannot read 16 bytes"):
        read_expr(parse_layouts(INT128)["struct s"], tree.Ident("p"), "a")


def test_link_h_lays_out_as_gcc_lays_it_out():
    # vector_size and __int128_t: both were refused (session 17)
    _need_host("link.h")
    if HOST != "x86_64":
        pytest.skip("x86_64's bits/link.h")
    layouts = parse_layouts("/usr/include/link.h", abi=HOST)
    names = [n for n in layouts if layouts[n].complete and "anonymous" not in n]
    assert {"La_x86_64_regs", "La_x86_64_retval", "La_x86_64_vector", "struct link_map"} <= set(names)
    types = _members(layouts, names)
    assert _ours(layouts, types) == _gcc_places("#include <link.h>\n", HOST, types)


@pytest.mark.parametrize("text", [
    "typedef int v __attribute__((vector_size(16)));\ntypedef int v;\nstruct s { char c; v x; };\n",
    "typedef int v;\ntypedef int v __attribute__((vector_size(16)));\nstruct s { char c; v x; };\n",
])
def test_a_typedef_given_again_as_a_vector_or_not_is_gccs_conflicting_types(text, tmp_path):
    # (it was laid out silently with the last declaration's type)
    header = tmp_path / "r.h"
    header.write_text(text)
    if cc.unavailable("x86_64") is None:
        proc = subprocess.run(["timeout", "-s", "KILL", "60", "gcc", "-fsyntax-only", "-x", "c", str(header)],
                              capture_output=True, text=True)
        assert f"{header}:2:13: error: conflicting types for" in proc.stderr
    with pytest.raises(LayoutError) as err:
        parse_layouts(header)
    assert err.value.message.startswith("conflicting types for 'v'")
    assert (err.value.pos.line, err.value.pos.col) == (2, 13)
    again = "typedef int v __attribute__((vector_size(16)));\n" * 2 + "struct s { char c; v x; };\n"
    assert parse_layouts(again)["struct s"].size == 32
