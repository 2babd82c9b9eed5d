"""Session 26, layout27 (issue 8): the fast reader's plain-text tokens pinned against the pattern's,
and the fast reader's refusals of review 26's L6-L8 (gcc's words, where gcc refuses).

- ``fastc_lex._plain_tokens`` (a plain text's tokens from ``str.split``, no match a token) gives
  :func:`fastc_lex._matched_tokens`' tokens wherever it answers (None elsewhere: the pattern reads it).
"""

from __future__ import annotations

import random

import pytest

from dtracepy.layout import fastc_lex

_PIECES = ["a", "b1", "_x", "9", "0x1f", "12ul", "1e", " ", "\t", "\n", "(", ")", "{", "}", "[", "]", ";", ",",
           "?", "~", ":", "*", "=", "+", "-", "/", "%", "&", "^", "|", "<", ">", "!", ".", "'a'", '"s"', "'",
           '"', "#", '\n# 3 "f.h"\n', "\n#line 4\n", "  # 5\n", "\n#pragma x\n", "\r", "\v", "\f", "é", "\x00",
           "@", "$", "\\", "struct", "int", "...", "->", "<<=", "==", "!=", "&&", "||", "++", "--"]


def _matched(text: str):
    try:
        return fastc_lex._matched_tokens(text)
    except fastc_lex.Unsupported as err:
        return ("Unsupported", str(err), err.at, err.tokens)


@pytest.mark.parametrize("text", [
    "", " \n\t", '# 1 "x.h"\n', '# 1 "x.h"\nstruct s { int a; char (*(y))[3]; };\n',
    '# 1 "x.h"\nvoid (*h(int, void (*)(int)))(int);\n# 3 "y.h"\nint x;', "a=b", "a==b", "a=-b", "a->b",
    "a- >b", "x<<=1", "x< <y", "1.5e+3", "f(...)", "a .b", "'('", '"a(b"', "# 1 \"x(.h\"\n(", "x # 1\n",
    "  # 2\nint x;", "#pragma pack(1)\nint x;", "a\rb", "a\x0bb", "a\x1cb", "é", "a\x00b", "@x", "0x10UL[4]"])
def test_plain_tokens_are_the_matched_ones(text):
    plain = fastc_lex._plain_tokens(text)
    assert plain is None or plain == _matched(text), text
    assert fastc_lex._tokens(text) == _matched(text) if not isinstance(_matched(text), tuple) else True


def test_plain_tokens_of_a_plain_header_are_taken():
    text = '# 1 "x.h"\nstruct s0 { int a; long b; char c[4]; int (x); };\nvoid (*h0(int, void (*)(int)))(int);\n'
    assert fastc_lex._plain_tokens(text) == fastc_lex._matched_tokens(text)
    assert fastc_lex._plain_tokens(text)[:4] == ["struct", "s0", "{", "int"]


def test_plain_tokens_random_texts():
    rnd = random.Random(27)
    answered = 0
    for _ in range(40_000):
        text = "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(0, 12)))
        if rnd.random() < 0.5:
            text = '# 1 "x.h"\n' + text
        plain = fastc_lex._plain_tokens(text)
        if plain is not None:
            answered += 1
            assert plain == _matched(text), text
    assert answered > 5_000  # (the plain texts are tried, not only refused)
