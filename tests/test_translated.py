"""dtracepy.facts.translated and .providers against the real thing: the installed Oracle D
libraries (``/usr/lib64/dtrace/<kernel>/*.d``) and ``dtrace -lv`` where there is a DTrace."""

import glob
import os
import re
import subprocess

import pytest

from dtracepy.facts import providers, translated

LIBS = sorted(glob.glob("/usr/lib64/dtrace/[0-9]*/"))


def _library_dir():
    if not LIBS:
        from real_dtrace import need_dtrace

        need_dtrace()  # fails in CI, skips (saying why) on a laptop
        pytest.skip("no Oracle D libraries in /usr/lib64/dtrace")
    release = os.uname().release.split(".")
    for n in (2, 1):
        want = "/usr/lib64/dtrace/" + ".".join(release[:n]) + "/"
        if want in LIBS:
            return want
    return LIBS[-1]


def _text(directory):
    text = "".join(open(path).read() for path in sorted(glob.glob(directory + "*.d")))
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def test_every_constant_is_an_inline_of_its_library():
    directory = _library_dir()
    for library, names in translated._LIBRARY_CONSTANTS.items():
        text = re.sub(r"/\*.*?\*/", "", open(directory + library).read(), flags=re.S)
        defined = set(re.findall(r"^inline\s+[\w ]+?\s+([A-Z][A-Z0-9_]*)\s*=", text, re.M))
        assert set(names.split()) == defined, library
    for name in translated.PORTABLE_CONSTANTS:
        assert name not in translated.CONSTANTS


def test_translated_types_match_the_libraries_typedefs():
    text = _text(_library_dir())
    found = 0
    for match in re.finditer(r"typedef\s+struct\s+\w+\s*\{(.*?)\}\s*(\w+)\s*;", text, re.S):
        body, name = match.groups()
        if name not in translated.TYPES:
            continue
        found += 1
        ours = translated.TYPES[name]
        for member, type_text in translated._members(body).items():
            assert member in ours, (name, member)
            # pointer, struct value or scalar: what `.` versus `->` depends on
            mine = translated.member_type(name, member, "oracle")
            theirs, ours_t = translated.split_type(type_text), translated.split_type(mine)
            assert (theirs[1], theirs[2]) == (ours_t[1], ours_t[2]), (name, member, type_text)
            assert (theirs[0] in translated.TYPES) == (ours_t[0] in translated.TYPES), (name, member)
    assert found >= 15


def test_translated_variables_match_the_libraries_inlines():
    text = _text(_library_dir())
    assert re.search(r"inline\s+fileinfo_t\s+fds\s*\[", text)
    for name in ("curpsinfo", "curlwpsinfo"):
        declared = re.search(rf"inline\s+(\w+\s*\*)\s*{name}\s*=", text).group(1)
        assert translated.split_type(declared) == translated.split_type(translated.variable_type(name, "oracle"))


def test_probe_arguments_match_dtrace_lv():
    from real_dtrace import need_dtrace, need_root

    dtrace = need_dtrace()
    need_root()
    listing = subprocess.run([dtrace, "-lv", "-n", "io:::", "-n", "proc:::", "-n", "sched:::",
                              "-n", "ip:::"], capture_output=True, text=True, timeout=120).stdout
    probes = re.split(r"\n\s*\d+\s+", "\n" + listing)
    checked = 0
    for block in probes:
        head = block.split()
        if len(head) < 3 or head[0] not in ("io", "proc", "sched", "ip"):
            continue
        provider, name = head[0], head[2]
        args = tuple(re.findall(r"args\[\d+\]:\s*(.+)", block))
        ours = translated.PROBE_ARGS[(provider, name)]
        assert name in providers.PROVIDERS[provider], (provider, name)
        for theirs, mine in zip(args, ours):
            if "(" in theirs:
                continue  # a function pointer
            assert translated.split_type(theirs) == translated.split_type(mine), (provider, name)
        assert len(args) <= len(ours), (provider, name, args)
        checked += 1
    assert checked >= 20
