"""Issue 8 (session 27, helper decl28): one declaration of millions of declarators or operators.
``check`` of 4 MB of ``int x,x,...,x;`` (2 million declarators) took 631 MB, and of
``int x[1+1+...+1];`` (2 million terms) 23 s and 759 MB: a body's expression is refused past
20,000 operators and its lists past 8,000 items (dtrace cannot run more), but a declaration was
not counted.  dtrace -e compiles both at 100,000, 500,000 and 2 million (1.7 and 2.5 s; 71 and
508 MB), so the bounds the lexer now counts a declaration against are dtracepy's own, and its
error says so: 100,000 operators in one expression or declarator (``lexer.MAX_DECL_OPERATORS``)
and 250,000 items in one list (``lexer.MAX_DECL_ITEMS``).  Every test here fails on the code
before (3beff74): its children peak at 631 and 759 MB and read the declarations through, and it
has no such bounds to lower."""

from __future__ import annotations

import pytest
from tests.test_margins28 import _check

from dtracepy import lexer, parser
from dtracepy.errors import DTracePyError

_WHY = "(a bound of dtracepy's own, not dtrace's, which keeps dtracepy within 5 s and 300 MB on any input)"
_ITEMS = ("declaration too long: more than {:,} items (declarators, members, enumerators or parameters) "
          "in one list of a declaration " + _WHY)
_OPERATORS = "declaration too long: more than {:,} operators in one expression or declarator of a declaration " + _WHY

_TERMS = 2_000_000  # (4 MB: margins28's shapes)


def _rendered(text: str) -> str:
    """``text`` parsed: "" or its error as rendered."""
    try:
        parser.parse(text, "x.d")
    except DTracePyError as err:
        return err.render()
    return ""


@pytest.mark.parametrize("text, col, message", [
    ("int " + ",".join(["x"] * _TERMS) + ";\nBEGIN { exit(0); }\n", 4 + 2 * 250_000, _ITEMS.format(250_000)),
    ("int x[" + "+".join(["1"] * _TERMS) + "];\nBEGIN { exit(0); }\n", 6 + 2 * 100_001, _OPERATORS.format(100_000)),
], ids=["2 million declarators", "a dimension of 2 million terms"])
def test_a_declaration_of_millions_is_refused_at_the_bound(tmp_path, text, col, message):
    # (before: checked clean, 631 MB; 759 MB; now 101 and 54 MB, the refusal at the comma or
    # operator past the bound)
    status, err, peak = _check(tmp_path, text)
    assert peak is not None and peak < 300 * 1024, f"{peak / 1024:.0f} MB"
    assert status == 1
    assert err.split("\n")[0] == f"x.d:1:{col}: error: {message}"


@pytest.mark.parametrize("text", [
    "int " + ",".join(["x"] * 250_000) + ";\nBEGIN { exit(0); }\n",
    "int x[" + "+".join(["1"] * 100_001) + "];\nBEGIN { exit(0); }\n",
], ids=["250,000 declarators", "100,000 operators"])
def test_at_the_bound_a_declaration_is_checked_as_before(tmp_path, text):
    # (as dtrace -e: accepted; under the memory bound)
    status, err, peak = _check(tmp_path, text)
    assert (status, err) == (0, "")
    assert peak < 300 * 1024, f"{peak / 1024:.0f} MB"


def test_the_refusal_is_located_and_says_whose_bound(monkeypatch):
    monkeypatch.setattr(lexer, "MAX_DECL_ITEMS", 3)
    monkeypatch.setattr(lexer, "MAX_DECL_OPERATORS", 2)
    assert _rendered("int a, b, c;\nint x[1+2+3], y[1+1+1];\nint **p;\nBEGIN { exit(0); }\n") == ""
    items, operators = _ITEMS.format(3), _OPERATORS.format(2)
    cases = [
        ("int a, b, c, d;\n", 12, items),                       # declarators
        ("enum e { a, b, c, d };\n", 17, items),                # enumerators
        ("struct s { int a, b, c, d; };\n", 23, items),         # a member's declarators
        ("int f(int, int, int, int);\n", 20, items),            # parameters
        ("int x[1+2+3+4];\n", 12, operators),                   # a dimension
        ("int ***x;\n", 7, operators),                          # a declarator's '*'
        ("BEGIN { x = 1; }\nint a,\n b, c, d;\n", 6, items),   # after a clause, on line 3
    ]
    for text, col, message in cases:
        line = 3 if text.startswith("BEGIN") else 1
        source = text.split("\n")[line - 1]
        assert _rendered(text) == f"x.d:{line}:{col}: error: {message}\n{source}\n{' ' * (col - 1)}^", text


def test_a_body_keeps_its_own_bounds(monkeypatch):
    # (the declaration's bounds do not reach a clause: dtrace's own limits there, with their words)
    monkeypatch.setattr(lexer, "MAX_DECL_ITEMS", 3)
    monkeypatch.setattr(lexer, "MAX_DECL_OPERATORS", 2)
    assert _rendered("BEGIN { x = 1 + 2 + 3 + 4; trace(x); printf(\"%d %d %d %d\", 1, 2, 3, 4); }\n") == ""
    body = "BEGIN { x = " + "+".join(["1"] * (lexer.MAX_OPERATORS + 2)) + "; }\n"
    assert "expression too long: more than 20,000 operators in one expression (dtrace crashes" in _rendered(body)
