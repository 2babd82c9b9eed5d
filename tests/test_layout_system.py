"""``layout`` of this machine's own system headers (/usr/include), read as gcc reads them, and
the offsets compared with gcc's."""

from __future__ import annotations

import os
import pathlib

import pytest

from dtracepy.errors import LayoutError
from dtracepy.layout import cc, cdecl, system
from dtracepy.layout.abi import get_abi, host_abi_name
from dtracepy.layout.cdecl import parse_layouts

HOST = host_abi_name()

# (header under /usr/include, type): what a user of dtrace lays out first
REAL = [
    ("netinet/ip.h", "struct ip"), ("netinet/tcp.h", "struct tcphdr"), ("netinet/in.h", "struct sockaddr_in"),
    ("netinet/in.h", "struct sockaddr_in6"), ("netinet/udp.h", "struct udphdr"), ("netinet/ip6.h", "struct ip6_hdr"),
    ("netinet/ip_icmp.h", "struct icmp"), ("sys/time.h", "struct timeval"), ("sys/socket.h", "struct msghdr"),
    ("sys/epoll.h", "struct epoll_event"), ("sys/stat.h", "struct stat"), ("time.h", "struct tm"),
    ("stdio.h", "struct _IO_FILE"), ("net/if.h", "struct ifreq"), ("sys/resource.h", "struct rusage"),
    ("dirent.h", "struct dirent"), ("netdb.h", "struct addrinfo"), ("sys/un.h", "struct sockaddr_un"),
    ("poll.h", "struct pollfd"), ("linux/ip.h", "struct iphdr"), ("linux/tcp.h", "struct tcphdr"),
    ("pthread.h", "__pthread_unwind_buf_t"), ("sys/wait.h", "struct sigaction"),
]


def _need(header: str):
    if HOST is None:
        pytest.skip("this machine's ABI is not one dtracepy lays out")
    if not os.path.isfile(os.path.join("/usr/include", header)):
        pytest.skip(f"/usr/include/{header} is not on this machine")


def _gcc(header: str, type_name: str, fields) -> list[int]:
    """sizeof, _Alignof and each field's offsetof, as gcc compiles them (nothing is run)."""
    values = [f"sizeof({type_name})", f"_Alignof({type_name})"] + [
        f"__builtin_offsetof({type_name}, {f.name})" for f in fields]
    # a member name may be a macro of the header (sigaction's sa_handler): #undef'd once it is read
    undefs = "".join(f"#undef {part}\n" for f in fields for part in f.name.split("."))
    source = (f"#include <{header}>\n{undefs}const unsigned long long dtp_meta[] "
              f"__attribute__((section(\".dtpmeta\"))) = {{{', '.join(values)}}};\n")
    raw = cc.compile_object(source, HOST)[".dtpmeta"]
    order = get_abi(HOST).byteorder
    return [int.from_bytes(raw[i:i + 8], order) for i in range(0, len(raw), 8)]


@pytest.mark.parametrize("header,type_name", REAL)
def test_a_system_header_lays_out_as_gcc_does(header, type_name):
    _need(header)
    if cc.unavailable(HOST):
        pytest.skip(f"no compiler: {cc.unavailable(HOST)}")
    layout = parse_layouts(pathlib.Path("/usr/include", header), abi=HOST)[type_name]
    plain = [f for f in layout.fields if f.bit_width is None and "." not in f.name]
    got = _gcc(header, type_name, plain)
    assert [layout.size, layout.align] + [f.offset for f in plain] == got


@pytest.mark.parametrize("fast", [True, False])
def test_a_packed_system_struct_keeps_its_attribute(fast, monkeypatch):
    # glibc drops __attribute__ where __GNUC__ is not defined (sys/cdefs.h): epoll_event is
    # packed on x86_64 (12 bytes), 16 without the attribute
    _need("sys/epoll.h")
    monkeypatch.setattr(cdecl, "FAST_READER", fast)
    event = parse_layouts(pathlib.Path("/usr/include/sys/epoll.h"), abi=HOST)["epoll_event"]
    if HOST == "x86_64":
        assert (event.size, event.align, event.member("data").offset) == (12, 1, 4)
    # and with -I (the include directories given by hand) too
    event = parse_layouts("#include <sys/epoll.h>\n", abi=HOST, include_dirs=system.system_dirs())["epoll_event"]
    if HOST == "x86_64":
        assert event.size == 12


def test_the_headers_directory_is_searched_for_quoted_includes_only():
    # /usr/include/sys/signal.h is "#include <signal.h>": the <signal.h> of /usr/include, not itself
    _need("sys/signal.h")
    assert parse_layouts(pathlib.Path("/usr/include/sys/signal.h"), abi=HOST)["struct sigaction"].size > 0


def test_include_next_takes_the_next_directorys_header(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "x.h").write_text("#include_next <x.h>\nstruct outer { struct inner i; char c; };\n")
    (second / "x.h").write_text("struct inner { long v; };\n")
    main = tmp_path / "main.h"
    main.write_text("#include <x.h>\n")
    text = cdecl.preprocess(main.read_text(), str(main), get_abi("x86_64"), [str(first), str(second)], system=True)
    assert "struct inner { long v; }" in text and "struct outer" in text
    # found nowhere after it: left an #include of its name (cpp: no such file)
    assert system.resolve_include_next("#include_next <nowhere.h>\n", str(first / "x.h"), [str(first)]) == \
        "#include <nowhere.h>\n"


def test_system_headers_are_read_for_this_machines_abi_only():
    _need("netinet/ip.h")
    other = next(name for name in ("sparcv9", "x86_64") if name != HOST)
    with pytest.raises(LayoutError, match=rf"this machine's are {HOST}'s and would lay {other} structs out wrongly"):
        parse_layouts(pathlib.Path("/usr/include/netinet/ip.h"), abi=other)


def test_gcc_predefined_macros_are_each_abis():
    # what headers test: the version (sys/cdefs.h), and the types gcc's stddef.h reads
    text = "#if defined __GNUC__ && __GNUC__ >= 4 && __STDC_VERSION__ >= 199901L\n" \
           "struct a { __SIZE_TYPE__ s; __WCHAR_TYPE__ w; char c; };\n#endif\n"
    assert parse_layouts(text, abi="i386")["a"].size == 12
    assert parse_layouts(text, abi="x86_64")["a"].size == 16


def test_a_system_header_missing_is_an_error_where_cpp_gives_it(tmp_path):
    # where system headers are read, one found nowhere is not skipped (gcc: "fatal error:
    # sys/nosuch.h: No such file or directory" at the name)
    _need("stdio.h")
    header = tmp_path / "x.h"
    header.write_text("#include <stdio.h>\n#include <sys/nosuch_dtracepy.h>\nstruct a { int x; };\n")
    with pytest.raises(LayoutError, match=r"x\.h:2:10: error: sys/nosuch_dtracepy\.h: no such file .*/usr/include\)"):
        parse_layouts(header, abi=HOST, include_dirs=system.system_dirs())


@pytest.mark.parametrize("fast", [True, False])
def test_gccs_stddef_lays_out_max_align_t(fast, monkeypatch):
    # gcc's stddef.h: aligned(__alignof__(long double)), GNU's spelling of _Alignof
    if HOST is None or system.gcc_include_dir()[0] is None:
        pytest.skip("no gcc include directory here")
    monkeypatch.setattr(cdecl, "FAST_READER", fast)
    layouts = parse_layouts("#include <stddef.h>\nstruct a { char c; max_align_t m; };\n", abi=HOST,
                            include_dirs=system.system_dirs())
    if HOST == "x86_64":
        assert (layouts["a"].size, layouts["a"].align, layouts["a"].member("m").offset) == (48, 16, 16)
    assert parse_layouts("struct a { char c; int x __attribute__((aligned(__alignof__(long long)))); };")["a"] \
        .member("x").offset == 8


def test_an_unknown_type_name_is_found_past_nested_braces():
    # the guess after pycparser's bare "Invalid declaration": a typedef of a struct holding a
    # union (glibc's __mbstate_t) is a typedef name, not the unknown one
    text = ("typedef struct { int n; union { int w; char b[4]; } v; } mb_t;\n"
            "struct a { mb_t s; };\nstruct b { nosuch_t q; };\n")
    with pytest.raises(LayoutError, match=r"^h\.h:3:12: error: unknown type name 'nosuch_t'"):
        parse_layouts(text, filename="h.h")


def test_a_macro_naming_itself_in_an_argument_is_refused_at_its_line():
    # pcre2.h's PCRE2_SUFFIX(PCRE2_UCHAR): gcc expands it once; pcpp recursed until Python
    # stopped it, reported as "nested too deeply for dtracepy's C parser" at the deepest '('
    text = ("#define JOIN(a,b) a ## b\n#define GLUE(a,b) JOIN(a,b)\n#define SUFFIX(a) GLUE(a,8)\n"
            "#define UCHAR SUFFIX(UCHAR)\ntypedef unsigned char UCHAR8;\nstruct a { UCHAR *p; };\n")
    with pytest.raises(LayoutError, match=r"^h\.h:4:1: error: macro expansion nested too deeply for dtracepy's C "
                                          "preprocessor"):
        parse_layouts(text, filename="h.h")
