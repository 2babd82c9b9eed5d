"""Session 25, layout26 (issue 8): the fast reader's shorter ways pinned against the general ones.

- ``fastc_lex.record_matches`` (the struct/union places and line markers, found with a pattern
  the search skips through in C) gives ``_RECORDS.finditer``'s matches;
- ``fastc_lex._directive_tokens`` gives ``_DIRECTIVE_TOKENS.findall``'s lines;
- ``_Reader.params``' short path for a parameter of one type word gives the general path's tree,
  layouts and errors (``fastc._GENERAL_PARAMS`` turns it off).
"""

from __future__ import annotations

import random

import pytest

from dtracepy.commands.layout_cmd import format_table
from dtracepy.errors import LayoutError
from dtracepy.layout import cdecl, fastc, fastc_lex
from dtracepy.layout.cdecl import parse_layouts
from dtracepy.layout.cparse import BUILTIN_FILE, PRELUDE

_PIECES = ["struct", "union", "structs", "xstruct", "_union", "union1", "s", "u", " ", "\t", "\n", "\n\n", "\r",
           "#", "# 5", '# 7 "f.h"', "#line 9", '#line 3 "<built-in>"', "#pragma pack(1)", "'", '"', "\\", "a",
           "{", "}", "1", ";", "\n#", '\n  # 4 "g.h"\n', "'s'", '"struct a"', "struct\n# 2\n",
           'union \n  #line 8 "q" 1\nz', "\t#", "x # 3\n"]


def _texts(n: int, seed: int):
    rnd = random.Random(seed)
    for _ in range(n):
        yield "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(0, 14)))


def _general(text: str) -> list:
    return [(m.group(1), m.group(2), m.group(3), m.start(3), m.end()) for m in fastc_lex._RECORDS.finditer(text)]


def _short(text: str) -> list:
    out = []
    for m in fastc_lex.record_matches(text):
        tag = 4 if m.group()[:1] == "u" else 3
        out.append((m.group(1), m.group(2), m.group(tag), m.start(tag), m.end()))
    return out


@pytest.mark.parametrize("text", [
    "", "struct a { int x; };", '# 1 "x.h"\nstruct a;\n  # 5 "y.h"\nunion { int b; } u;',
    "struct\n# 2\nint x;", "struct\n  # 3\nint x;", "x # 4\n# 5\n", "a#1\n#2", "#1\n\t #2 \"f\"\nstruct s",
    "'struct a' \"union b\" struct c", "mystruct s; union_x u; _struct q; struct_ r;", "#" * 200 + "\n#9\n",
    "s" * 50 + "struct" + "u" * 50 + "union"])
def test_record_matches_are_records_matches(text):
    assert _short(text) == _general(text)


def test_record_matches_random_texts():
    for text in _texts(20_000, 26):
        assert _short(text) == _general(text), text


def test_record_positions_of_a_header():
    text = '# 1 "x.h"\nstruct a { int x; };\n#line 7 "y.h"\n  union u { char c; };\nstruct\n#3\nb;\n'
    got = [(tag, c and (c.file, c.line, c.column)) for tag, c in fastc_lex._record_positions(text, BUILTIN_FILE)]
    assert got == [("a", ("x.h", 1, 8)), ("u", ("y.h", 7, 9)), (None, None)]  # (#line 7: the next line is 7)


def test_directive_tokens_are_the_findall():
    for text in list(_texts(20_000, 25)) + ["#a\n  #b\nx #c\n\t#d", "#" * 100, "a\n#\n#"]:
        assert fastc_lex._directive_tokens(text) == fastc_lex._DIRECTIVE_TOKENS.findall(text), text


# -- params(): the short path for a parameter of one type word against the general path --------

_HEADERS = [
    "struct s { int a; long b; char c[4]; int (x); char (*(y))[3]; int (*(*g)(int))[4]; };\n"
    "void (*h(int, void (*)(int)))(int);\n",
    "struct s { int (*f)(int, char, long, void *); void (*v)(void); int (*k)(int, ...); };\n",
    "int f(int, char);\nint g(void);\nint h(unsigned, long);\nstruct s { int a; };\n",
    "typedef int T;\nint f(int T, T x);\nstruct s { int a; };\n",  # (gcc refuses it: the typedef hidden)
    "typedef int T;\nint f(int, T);\nstruct s { int (*p)(T, int, double); };\n",
    "int f(int x, int);\nstruct s { void (*p)(int, register int); };\n",
    "struct s { int (*p)(int int); };\n",
    "struct s { int (*p)(int,); };\n",
    "struct s { int (*p)(void, int); };\n",
    "static inline int f(int, char c) { return c; }\nstruct s { char a; };\n",
    "struct s { int (*p)(long long, unsigned char, _Bool); };\n",
]


def _tree(text: str) -> str:
    return fastc.read(PRELUDE, '# 1 "x.h"\n' + text, BUILTIN_FILE).__repr__()


def _outcome(text: str):
    try:
        layouts = parse_layouts(text, filename="x.h")
        return {name: format_table(layouts[name]) for name in sorted(layouts)}
    except LayoutError as err:
        return ("error", err.message, err.pos)


@pytest.fixture
def general_params(monkeypatch):
    def switch(on: bool):
        monkeypatch.setattr(fastc, "_GENERAL_PARAMS", on)
    return switch


@pytest.mark.parametrize("text", _HEADERS)
def test_params_short_path_gives_the_general_tree(text, general_params):
    def read():
        try:
            return _tree(text)
        except (fastc.Unsupported, fastc.Refused) as err:
            return (type(err).__name__, str(err), err.at)
    short = read()
    general_params(True)
    assert read() == short


@pytest.mark.parametrize("text", _HEADERS)
def test_params_short_path_gives_the_general_layouts(text, general_params):
    short = _outcome(text)
    general_params(True)
    assert _outcome(text) == short


def test_params_short_path_is_taken():
    # (the declarators' shape: every parameter of one word takes it, and the result is the same)
    assert fastc._GENERAL_PARAMS is False
    assert cdecl.FAST_READER
