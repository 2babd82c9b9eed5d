"""The Python steps the lexer and the fast clause parser take per token and per statement
(session 11, issue 8: ``BEGIN{x;x;...}`` of 3 MB is 3,000,000 tokens; every call per token is
seconds there).

The counts are of calls seen by ``sys.setprofile`` (not of time): built-in calls the lexer's own
code makes (``c_call``), Python calls into the parser's module."""

from __future__ import annotations

import sys

from dtracepy import lexer, parser


def _count(fn, event: str, filename: str) -> int:
    seen = 0

    def profile(frame, what, arg):
        nonlocal seen
        if what == event and frame.f_code.co_filename == filename:
            seen += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return seen


def test_a_body_of_lone_operands_costs_the_lexer_three_builtin_calls_a_token():
    # A match object's start() and an append per token, a dictionary lookup per name and the
    # part's length per ';'.  Before the ';' was told first: 3.5 a token (a dictionary lookup per
    # punctuator as well).
    text = "BEGIN{" + "x;" * 2000 + "}\n"
    tokens = sum(len(item) for item in lexer.Lexer(text).items())
    calls = _count(lambda: [None for _ in lexer.Lexer(text).items(parser.CLAUSE_PART)], "c_call", lexer.__file__)
    assert tokens == 4003
    assert calls <= 3.05 * tokens


def test_an_expression_statement_is_one_call_of_the_fast_parser():
    # The statement loop reads the operand itself (unary) and calls assign's and the comma's
    # rest only when a token of theirs follows: before, expr(), assign() and unary() a statement.
    n = 2000
    calls = _count(lambda: parser.parse("BEGIN{" + "x;" * n + "}\n"), "call", parser.__file__)
    assert calls <= 1.1 * n
    # an assignment: unary(), assign_rest(), and assign() and unary() for the value (five before)
    calls = _count(lambda: parser.parse("BEGIN{" + "x = y;" * n + "}\n"), "call", parser.__file__)
    assert calls <= 4.1 * n
