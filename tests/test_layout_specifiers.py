"""Type words gcc refuses are refused, in gcc's words and at gcc's place (review 10, "left alone":
``long long long``, ``signed unsigned``, ``short long``, ``unsigned float``, ``_Bool signed`` and
``char long`` were laid out).  WORDS holds gcc 12's answers, written in; ``test_gcc_gives_the_words``
asks the gcc on this machine for the same, so the expectations are judged."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

import pytest

from dtracepy.errors import LayoutError
from dtracepy.layout import cdecl
from dtracepy.layout.cdecl import parse_layouts

# (the words of a member's type, gcc's column of its error or None where gcc accepts it, gcc's
# message).  The member is on line 2, after two spaces: "  WORDS x; };"
WORDS = [
    ('long long long', 13, "'long long long' is too long for GCC"),
    ('signed unsigned', 10, "both 'signed' and 'unsigned' in declaration specifiers"),
    ('short long', 9, "both 'long' and 'short' in declaration specifiers"),
    ('unsigned float', 12, "both 'unsigned' and 'float' in declaration specifiers"),
    ('_Bool signed', 9, "both 'signed' and '_Bool' in declaration specifiers"),
    ('char long', 8, "both 'long' and 'char' in declaration specifiers"),
    ('const const int', None, None),
    ('signed signed', 10, "duplicate 'signed'"),
    ('unsigned unsigned int', 12, "duplicate 'unsigned'"),
    ('short short', 9, "duplicate 'short'"),
    ('int int', 7, 'two or more data types in declaration specifiers'),
    ('long double long', 15, "both 'long long' and 'double' in declaration specifiers"),
    ('long long double', 13, "both 'long long' and 'double' in declaration specifiers"),
    ('unsigned double', 12, "both 'unsigned' and 'double' in declaration specifiers"),
    ('signed char unsigned', 15, "both 'signed' and 'unsigned' in declaration specifiers"),
    ('long char', 8, "both 'long' and 'char' in declaration specifiers"),
    ('short char', 9, "both 'short' and 'char' in declaration specifiers"),
    ('void signed', 8, "both 'signed' and 'void' in declaration specifiers"),
    ('unsigned void', 12, "both 'unsigned' and 'void' in declaration specifiers"),
    ('long _Bool', 8, "both 'long' and '_Bool' in declaration specifiers"),
    ('short double', 9, "both 'short' and 'double' in declaration specifiers"),
    ('long float', 8, "both 'long' and 'float' in declaration specifiers"),
    ('int char', 7, 'two or more data types in declaration specifiers'),
    ('signed', None, None),
    ('unsigned', None, None),
    ('long int long', None, None),
    ('int long long unsigned', None, None),
    ('char signed', None, None),
    ('double long', None, None),
    ('float float', 9, 'two or more data types in declaration specifiers'),
    ('double double', 10, 'two or more data types in declaration specifiers'),
    ('long __int128', 8, "both '__int128' and 'long' in declaration specifiers"),
    ('short __int128', 9, "both '__int128' and 'short' in declaration specifiers"),
    ('_Bool _Bool', 9, 'two or more data types in declaration specifiers'),
    ('void void', 8, 'two or more data types in declaration specifiers'),
    ('int short', None, None),
    ('long short int', 8, "both 'long' and 'short' in declaration specifiers"),
    ('char char', 8, 'two or more data types in declaration specifiers'),
    ('volatile volatile int', None, None),
    ('short unsigned int', None, None),
    ('signed long long int', None, None),
    ('long void', 8, "both 'long' and 'void' in declaration specifiers"),
    ('short void', 9, "both 'short' and 'void' in declaration specifiers"),
    ('signed void', 10, "both 'signed' and 'void' in declaration specifiers"),
    ('void long', 8, "both 'long' and 'void' in declaration specifiers"),
    ('void short', 8, "both 'short' and 'void' in declaration specifiers"),
    ('_Bool long', 9, "both 'long' and '_Bool' in declaration specifiers"),
    ('_Bool short', 9, "both 'short' and '_Bool' in declaration specifiers"),
    ('_Bool unsigned', 9, "both 'unsigned' and '_Bool' in declaration specifiers"),
    ('unsigned _Bool', 12, "both 'unsigned' and '_Bool' in declaration specifiers"),
    ('float long', 9, "both 'long' and 'float' in declaration specifiers"),
    ('float short', 9, "both 'short' and 'float' in declaration specifiers"),
    ('float signed', 9, "both 'signed' and 'float' in declaration specifiers"),
    ('double short', 10, "both 'short' and 'double' in declaration specifiers"),
    ('double signed', 10, "both 'signed' and 'double' in declaration specifiers"),
    ('double unsigned', 10, "both 'unsigned' and 'double' in declaration specifiers"),
    ('long long signed char', 20, "both 'long' and 'char' in declaration specifiers"),
    ('signed long char', 15, "both 'long' and 'char' in declaration specifiers"),
    ('short signed double', 16, "both 'short' and 'double' in declaration specifiers"),
    ('signed float', 10, "both 'signed' and 'float' in declaration specifiers"),
    ('long signed unsigned', 15, "both 'signed' and 'unsigned' in declaration specifiers"),
    ('unsigned short short', 18, "duplicate 'short'"),
    ('int long long long', 17, "'long long long' is too long for GCC"),
    ('char unsigned', None, None),
    ('long double', None, None),
    ('short int signed', None, None),
]


def header(words: str) -> str:
    return f"struct a {{ char c;\n  {words} x; }};\n"


def outcome(words: str):
    try:
        parse_layouts(header(words), filename="x.h")
    except LayoutError as err:
        return str(err)
    return None


def expected(words, col, message):
    return None if col is None else f"x.h:2:{col}: error: {message}"


@pytest.mark.parametrize("fast", [True, False])
def test_type_words_gcc_refuses_are_refused_as_gcc_refuses_them(fast, monkeypatch):
    monkeypatch.setattr(cdecl, "FAST_READER", fast)
    got = [(words, outcome(words)) for words, _, _ in WORDS]
    assert got == [(words, expected(words, col, message)) for words, col, message in WORDS]


def test_the_reviews_words_are_in_the_table():
    refused = {words for words, col, _ in WORDS if col is not None}
    assert {"long long long", "signed unsigned", "short long", "unsigned float", "_Bool signed",
            "char long"} <= refused
    assert "const const int" not in refused  # C99 allows a repeated qualifier


def test_the_word_is_found_across_lines_qualifiers_and_attributes():
    text = "struct a {\n  const unsigned\n    long __attribute__((unused)) volatile long long x; };\n"
    with pytest.raises(LayoutError) as info:
        parse_layouts(text, filename="x.h")
    assert str(info.value) == "x.h:3:48: error: 'long long long' is too long for GCC"
    # a typedef's words too, and the valid spellings still lay out
    with pytest.raises(LayoutError, match=r"^x\.h:1:14: error: both 'long' and 'char'"):
        parse_layouts("typedef char long c_t;\nstruct a { c_t x; };", filename="x.h")
    layouts = parse_layouts("struct a { long unsigned int long a; double long b; char signed c; short int d; };")
    assert [m.type.size for m in layouts["a"].members] == [8, 16, 1, 2]


def test_gcc_gives_the_words():
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed: the written-in table is not judged here")
    got = []
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "x.h")
        for words, _, _ in WORDS:
            with open(path, "w") as f:
                f.write(header(words))
            proc = subprocess.run(["gcc", "-std=gnu11", "-fsyntax-only", "-x", "c", "x.h"], capture_output=True,
                                  text=True, cwd=d)
            m = re.search(r"^x\.h:2:(\d+): error: (.*)$", proc.stderr, re.M)
            got.append((words, None, None) if m is None else
                       (words, int(m.group(1)), re.sub("[\u2018\u2019]", "'", m.group(2))))
    assert got == [row for row in WORDS]
