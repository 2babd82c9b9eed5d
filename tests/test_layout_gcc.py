"""Layouts checked against a real C compiler: sizes, alignments, offsets and bit positions agree
with gcc, and each bit-field's read expression, evaluated over the bytes gcc produced, gives the
value gcc stored.

x86_64 always runs (gcc is required).  i386 needs ``gcc -m32`` (the gcc-multilib package);
aarch64 and sparcv9 need the cross compilers gcc-aarch64-linux-gnu and gcc-sparc64-linux-gnu.
Nothing is executed, only compiled, so the big-endian sparcv9 check is a real one where the cross
compiler is installed; where a compiler is missing the test is skipped and says which.
"""

from __future__ import annotations

import pathlib

import pytest

from dtracepy.layout import cc, shipped
from dtracepy.layout.shipped import header_path

ABIS = ["x86_64", "i386", "aarch64", "sparcv9"]


def needs(abi: str):
    reason = cc.unavailable(abi)
    if reason is not None:
        if abi == "x86_64":
            pytest.fail(f"gcc is required for the layout tests: {reason}")
        pytest.skip(f"cannot check {abi} layouts here: {reason}")


MYIP = """
typedef struct {
        uchar_t         c1;
        uchar_t         c2,c3,c4;
        ushort_t        s1,s2,s3,s4;
        uint32_t        src,dst;
} myip_t;

typedef struct {
        uchar_t         c1_1:4,c1_2:4;
        uchar_t         c2,c3,c4;
        ushort_t        s1,s2,s3,s4;
        uint32_t        src,dst;
} myip2_t;
"""

TRICKY = {
    "zero_width": "struct z { char a; int :0; char b; int c:3; long long :0; char d; };",
    "straddle": "struct s { char a; int b:30; int c:5; short d:9; short e:9; unsigned long long f:63; };",
    "unnamed": "struct u { char a; int :3; char b; long :7; };",
    "signed_bits": "struct g { signed char a:3; int b:17; long long c:40; char d:2; };",
    "packed": "struct p { char a; int b; short c:9; long long d:33; char e; } __attribute__((packed));",
    "packed_member": "struct q { char a; int b __attribute__((packed)); long c; };",
    "aligned": "struct al { char a; int b __attribute__((aligned(16))); char c; } __attribute__((aligned(32)));",
    "pragma_pack": "#pragma pack(push, 2)\nstruct pp { char a; int b; long c; int d:20; int e:20; };\n#pragma pack(pop)\n"
                   "struct after { char a; int b; };",
    "nested": "struct in { short x; char y:4; }; union un { int i; struct in s; char c[5]; };\n"
              "struct out { char a; union un u; struct { int k:5; int l:6; }; struct in arr[3]; int *p; };",
    "typedefs": "typedef struct node { struct node *next; unsigned char flags:3, kind:5; double d; } node_t;",
    "enum_bits": "enum color { RED, GREEN, BLUE = 7 }; struct e { enum color c:3; enum color d; _Bool b:1; };",
    "attribute_positions": "// comment\nstruct m { __attribute__((aligned(8))) char a, b; char c __attribute__((aligned(4))), d; };\n"
                           "typedef struct __attribute__((__packed__)) { char x; int y; } pk_t;\n"
                           "struct fp { int (*fn)(int, char); char c; int arr[2][3]; };",
    "nine_bytes": "#pragma pack(push, 1)\nstruct T { char :6; unsigned long long a:59; long long b:61; char z:3; "
                  "long long c:64; };\n#pragma pack(pop)",
    "long_double": "struct ld { char a; long double x; short s; };",
    # aligned(N) on a bit-field places it as a member asking for N (it was ignored), capped by pack
    "aligned_bitfields": "struct ab { char a; long long b:62 __attribute__((aligned(32))); int c:3 "
                         "__attribute__((aligned(8))); char d; unsigned e:5 __attribute__((aligned(2))); int :0; "
                         "short f:4 __attribute__((aligned(1))); };",
    "aligned_bitfields_packed": "#pragma pack(2)\nstruct abp { char a; int b:3 __attribute__((aligned(8))); char c; "
                                "int d:9 __attribute__((aligned(16))); };\n#pragma pack()\n"
                                "struct abq { char a; int b:3 __attribute__((aligned(4), packed)); char c; } "
                                "__attribute__((packed));",
    # GNU's zero-length arrays may be anywhere (they were refused as flexible arrays not last)
    "zero_length_arrays": "struct zl { char a; int b[0]; char c; long d[0]; short e; char f[]; };",
}


@pytest.mark.parametrize("abi", ABIS)
def test_seed_myip_structs_are_20_bytes_as_gcc_says(abi):
    needs(abi)
    assert cc.compare(MYIP, abi) == []
    from dtracepy.layout import parse_layouts

    layouts = parse_layouts(MYIP, abi=abi)
    assert layouts["myip_t"].size == layouts["myip2_t"].size == 20


@pytest.mark.parametrize("abi", ABIS)
@pytest.mark.parametrize("header", ["ip.h", "tcp.h"])
def test_shipped_headers_agree_with_gcc(abi, header):
    needs(abi)
    with open(header_path(header)) as handle:
        text = handle.read()
    assert cc.compare(text, abi) == []


@pytest.mark.parametrize("abi", ABIS)
@pytest.mark.parametrize("case", sorted(TRICKY))
def test_tricky_layouts_agree_with_gcc(abi, case):
    needs(abi)
    assert cc.compare(TRICKY[case], abi) == []


@pytest.mark.parametrize("abi", ABIS)
def test_ip_version_is_the_high_nibble_of_byte_0_in_gcc_bytes(abi):
    needs(abi)
    with open(header_path("ip.h")) as handle:
        got = cc.probe(handle.read(), "struct ip", shipped("ip", abi=abi), abi)
    assert got["bitfields"]["ip_v"]["ones"][1][0] == 0xF0
    assert got["bitfields"]["ip_hl"]["ones"][1][0] == 0x0F


def test_compare_notices_a_wrong_layout(monkeypatch):
    """The checker is not vacuous: a deliberately wrong rule is caught."""
    needs("x86_64")
    from dtracepy.layout import reads

    real = reads.bit_offset_in_unit
    monkeypatch.setattr(reads, "bit_offset_in_unit", lambda abi, *a: real(abi, *a) + 1)
    assert cc.compare("struct w { unsigned a:3, b:4; };", "x86_64")


UAPI = pathlib.Path("/usr/include/linux")
UAPI_TYPES = {"ip": "struct iphdr", "tcp": "struct tcphdr", "udp": "struct udphdr", "ipv6": "struct ipv6hdr",
              "if_ether": "struct ethhdr", "perf_event": "struct perf_event_attr", "sched": "struct clone_args"}


def test_linux_uapi_headers_agree_with_gcc():
    """This machine's own kernel headers, the natural input on Linux: they spell signed
    `__signed__` and have inline assembly in static functions (asm/swab.h), which the layout
    refused ('Missing type in declaration', then a syntax error at the asm)."""
    needs("x86_64")
    from dtracepy.preprocess import system_include_dirs

    missing = [h for h in UAPI_TYPES if not (UAPI / f"{h}.h").is_file()]
    if missing:
        pytest.skip(f"no kernel headers here (linux-libc-dev): {UAPI} lacks {', '.join(missing)}")
    text = "".join(f"#include <linux/{h}.h>\n" for h in UAPI_TYPES)
    assert cc.compare(text, "x86_64", types=list(UAPI_TYPES.values()), include_dirs=system_include_dirs()) == []


def test_long_sums_many_dimensions_and_stars_agree_with_gcc():
    # review 9, finding 4: dtracepy called these "nested too deeply"; gcc lays them out
    needs("x86_64")
    text = ("struct long_decls { char c; char s[" + "+".join(["1"] * 1000) + "]; short d" + "[1]" * 3000
            + "[3]; int " + "*" * 3000 + "p; char e; };\n")
    assert cc.compare(text, "x86_64", types=["struct long_decls"]) == []
