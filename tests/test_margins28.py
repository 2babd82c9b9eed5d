"""Issue 8 (session 27, helper margins28): the sweep's row nearest 300 MB, ``check -C`` of 2 million
lines of ``x`` after a ``__``, took 271 MB (``check`` without ``-C``: 247 MB).  Those lines are one
declaration (``x x x ... ;``) that the automaton refuses at its second token, but the lexer handed
it over whole, 2 million tokens held at once before the parse began.  A declaration is now handed
over in parts of ``lexer.DECL_PART`` tokens; the automaton, on its states alone, reads the first,
and where it refuses a token the parse stops there.  The memory tests fail on the code before
(2c2c3db): its children peak at 271 and 247 MB; the parts' tests because it has no ``DECL_PART``.
Found on the way, and failing there too: an array dimension of some 990 operators or more was an
internal error (a RecursionError in the checks' constant folding), and the declaration check
judged a declaration's type once a declarator (1,002 calls for 1,001 declarators)."""

from __future__ import annotations

import random

import pytest
from tests.child_peak import check_in_child

from dtracepy import lexer, parser
from dtracepy.errors import DTracePyError

_BIG = 4 * 1024 * 1024 - 4096
#: bench_robust.py's "-C, 2 million lines of x, and a __" (check-cpp-lines)
_LINES_OF_X = "BEGIN { x = 1; } /* __ */\n" + "x\n" * (_BIG // 2 - 100) + ";\n"


def _check(tmp_path, text: str, *args):
    """``check ARGS x.d`` of ``text`` in a child under a 1.5 GB address space: (status, stderr,
    its own peak in KB)."""
    return check_in_child(tmp_path, {"x.d": text}, *args)


@pytest.mark.parametrize("args", [("-C",), ()], ids=["-C", "without -C"])
def test_a_declaration_refused_at_its_second_token_is_not_held_whole(tmp_path, args):
    # (before: 271 MB with -C, 247 MB without; now 91 and 48 MB)
    status, err, peak = _check(tmp_path, _LINES_OF_X, *args)
    assert status == 1
    assert err == 'x.d:4:1: error: syntax error near "x"\nx\n^\n'
    assert peak is not None and peak < 150 * 1024, f"{peak / 1024:.0f} MB"


def _result(text: str):
    """The tree of ``text`` with every node's position, or its error as rendered."""
    try:
        program = parser.parse(text, "x.d")
    except DTracePyError as err:
        return "error", err.render()
    return "tree", program, _positions(program.items)


def _positions(node) -> list:
    found = []
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(reversed(node))
            continue
        if hasattr(type(node), "__attrs_attrs__"):
            pos = getattr(node, "pos", None)
            found.append(None if pos is None else (pos.file, pos.line, pos.col))
            stack.extend(reversed([getattr(node, a.name) for a in type(node).__attrs_attrs__ if a.name != "pos"]))
    return found


_PIECES = ["int", "x", "y", ",", ";", "*", "(", ")", "[", "]", "{", "}", "struct", "s", "=", "1", "+", "typedef",
           "enum", "E", "T", "char", "a", "const", ":", "inline", "translator", "<", ">", "provider", "probe",
           "BEGIN", "/", "#pragma D option quiet\n", "\n", "/* c */", "'c'", '"s"', "@", "`", "self", "->", "#"]


def _texts(count: int, seed: int):
    rng = random.Random(seed)
    for _ in range(count):
        body = " ".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 40)))
        yield (rng.choice(["", "int x; ", "BEGIN { x = 1; } ", "struct s { int a; }; ", "typedef int T; "])
               + rng.choice(["int ", "struct s { ", "x ", "typedef ", "enum E { ", "T ", "inline int "]) + body
               + rng.choice(["", ";", "};", " }"]) + "\nBEGIN { trace(1); }\n")
    yield "int " + ", ".join(f"v{i}" for i in range(50)) + ";\nBEGIN { trace(v1); }\n"
    yield "struct s {" + "".join(f" int m{i};" for i in range(50)) + " };\nBEGIN { trace(1); }\n"
    yield "BEGIN { x = 1; }\n" + "x\n" * 50 + ";\n"
    yield "int x" + ",x" * 50 + " x x;\n"
    yield "int x" + ",x" * 50 + ' "unterminated;\n'


@pytest.mark.parametrize("part", [1, 2, 3, 7])
def test_declarations_in_parts_give_the_same_trees_and_errors(monkeypatch, part):
    """Every text's tree (its nodes and their positions) or error is the same whatever the size of
    a declaration's part: the first part refused, the parts gathered for the fast reader, a
    lexing error in a later part."""
    texts = list(_texts(400, part))
    whole = [_result(text) for text in texts]
    monkeypatch.setattr(lexer, "DECL_PART", part)
    seen = {"parts": 0, "refused": 0}
    parts = parser._declaration_parts

    def counted(*args):
        answer = parts(*args)
        seen["parts"] += 1
        seen["refused"] += answer[1]
        return answer

    monkeypatch.setattr(parser, "_declaration_parts", counted)
    for text, expected in zip(texts, whole):
        assert _result(text) == expected, text
    assert seen["parts"] > 50 and seen["refused"] > 5, seen  # (both ways taken)


def test_the_parts_are_large():
    # (the fast declaration reader reads an item whole: a declaration in parts is gathered, or
    # refused by the automaton on its first part; larger than any the corpus holds)
    assert lexer.DECL_PART >= 4096
    assert parser._refused  # (the automaton's states alone)


@pytest.mark.parametrize("terms, expected", [
    # dtrace -e accepts it (its dimension 5,001)
    ("+1" * 5000, ""),
    # dtrace: "positive integral constant expression or tuple signature expected as array
    # declaration subscript" (its dimension -1)
    ("+1-1" * 2000 + "-2", "x.d:1:7: error: array x has dimension -1: an array needs a positive one "
                           "(dtrace refuses it) [declaration]\n"),
], ids=["5,000 terms", "-1 after 4,000 terms"])
def test_a_long_array_dimension_is_folded(tmp_path, terms, expected):
    # (before: "x.d: error: internal error in the checks: RecursionError" past some 990 terms: a
    # declaration bounds no operators, and checks.rules._constant recursed into each left operand)
    status, err, _ = _check(tmp_path, f"int x[1{terms}];\nBEGIN {{ exit(0); }}\n")
    assert (status, err) == (1 if expected else 0, expected)


def test_a_declarations_type_is_judged_once(monkeypatch):
    # (before: once a declarator, 37 % of the time of `check` of `int x,x,...;` of 200,000; the
    # findings are the same, a redeclaration with another type still found)
    from dtracepy.checks import CheckOptions, check_program
    from dtracepy.checks import declarations

    calls = []
    scalar = declarations._scalar_type
    monkeypatch.setattr(declarations, "_scalar_type", lambda specifiers: calls.append(1) or scalar(specifiers))
    text = "int " + ", ".join(f"v{i}" for i in range(1000)) + ";\nlong v7, w;\nBEGIN { exit(0); }\n"
    findings = check_program(parser.parse(text, "x.d"), options=CheckOptions(), source=text)
    assert len(calls) == 2
    assert [(f.check, f.pos.line, f.pos.col) for f in findings] == [("redeclared", 2, 6)]
