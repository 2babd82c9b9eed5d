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


# -- review 26's L6-L8: gcc's refusals, in its words at its place (gcc on this machine judges) -----

from dtracepy.errors import LayoutError  # noqa: E402
from dtracepy.layout import cparse, parse_layouts  # noqa: E402

from test_layout25 import gcc_errors  # noqa: E402
from test_layout_reader import _no_pycparser, _pycparser_calls  # noqa: E402
from test_layout_subset21 import _big  # noqa: E402

# K&R declarations after a prototype's parameters (L6), or of a name the identifier list does not
# hold (gcc reports those last first, after a storage class refused as read)
KR_REFUSED = ["int f(int a)\n  int b; { return 0; }\n",
              "int f(void) register int b; { return 0; }\n",
              "int (*f(int a))(int) int b; { return 0; }\n", "int f(int a, ...) int b; { return 0; }\n",
              "int f() int b; { return 0; }\n", "int f(a) int a, b; { return 0; }\n",
              "int f(a) int b; int c; int d; { return 0; }\n", "int f(a) int b; static int c; { return 0; }\n",
              "int f(a) static int b; int c; { return 0; }\n", "int (*f(a))(int) int b; { return 0; }\n",
              "int f(a) int *a, (*b)(void); { return 0; }\n", "int f(int a) static int b; { return 0; }\n",
              "int f(void) int (x)(int)(int); { return 0; }\n"]
KR_TAKEN = ["int f(a, b) int a; { return a + b; }\n", "int f(a, b) int b, a; { return a + b; }\n",
            "int (*f(a))(int) int a; { return 0; }\n", "int f(a) register int a; { int (*q)(int); return a; }\n"]
# what the fast reader refuses in gcc's words and pycparser's path took (L7), and L6's there too
PYCPARSER_REFUSED = ["typedef int T;\nint f(T) int T; { return 0; }\n", "auto int x;\n", "auto int fa(void);\n", "_Thread_local int f(void);\n",
                     "_Thread_local int f2(void) { return 0; }\n",
                     "int f(a) typedef int Q; int a; { return 0; }\n",
                     "int g(void) { int (*p)(void)(int); return 0; }\n",
                     "int g(void) { if (1) { typedef int A[2](void); } return 0; }\n"] + [
    text for text in KR_REFUSED if "return" in text]  # (without a body pycparser refuses it: its words)
PYCPARSER_TAKEN = ["auto int fb(void) { return 0; }\n"] + KR_TAKEN
# what sends a small header to pycparser's path (the fast reader gives way on it; gcc takes it)
TO_PYCPARSER = 'int h(void) { struct q { int a; }; _Static_assert(sizeof(struct q) == 4, "q"); return 0; }\n'


def _answer(text: str):
    try:
        parse_layouts(text, filename="h.h")
        return None
    except LayoutError as err:
        return f"{err.pos}: error: {err.message}"


@pytest.mark.parametrize("tail", KR_REFUSED + KR_TAKEN)
def test_kr_declarations_are_answered_as_gcc_answers_them(tail, tmp_path, monkeypatch):
    text = "struct s0 { int a; long b; char c[4]; };\n" + tail
    calls = _pycparser_calls(monkeypatch)
    ours = _answer(text)
    assert not calls  # (the fast reader's answer)
    gcc = gcc_errors(text, tmp_path)
    if gcc is not None:
        assert ours == (gcc[0] if gcc else None)


@pytest.mark.parametrize("tail", KR_REFUSED[:3] + KR_REFUSED[6:9])
def test_past_the_bound_kr_declarations_are_refused_in_gccs_words(tail, tmp_path, monkeypatch):
    text = _big(tail)
    monkeypatch.setattr(cparse, "PYCPARSER_TOKENS", 5_000)
    _no_pycparser(monkeypatch)
    ours = _answer(text)
    assert ours is not None and "outside the fast C reader's subset" not in ours
    gcc = gcc_errors(text, tmp_path)
    if gcc is not None:
        assert ours == gcc[0]


@pytest.mark.parametrize("tail", PYCPARSER_REFUSED + PYCPARSER_TAKEN)
def test_on_pycparsers_path_what_gcc_refuses_is_refused_in_its_words(tail, tmp_path, monkeypatch):
    text = TO_PYCPARSER + tail + "struct s { int a; };\n"
    calls = _pycparser_calls(monkeypatch)
    ours = _answer(text)
    assert calls  # (pycparser's path read it)
    gcc = gcc_errors(text, tmp_path)
    if gcc is not None:
        assert ours == (gcc[0] if gcc else None)


@pytest.mark.parametrize("text, line", [
    ("typedef int T;\nint f(void) { T T = sizeof(T) + 1, y = T * 2; return y; }\nlong gx;\n"
     "struct t { typeof(&gx) m; };\n", 4),
    ("long gx;\nint f(void) { return 0; }\nstruct t { typeof(gx + 1) m; };\n", 3),
    ("long gx;\n__auto_type q = 1;\nstruct t { int m; };\n", 2)])
def test_a_typeof_the_fast_reader_gives_way_on_is_refused_at_it(text, line, monkeypatch):
    """pycparser reads no typeof: its path refused such a header wherever it misread first (L8:
    a line gcc takes, above the typeof)."""
    calls = _pycparser_calls(monkeypatch)
    ours = _answer(text)
    assert not calls
    assert ours is not None and ours.startswith(f"h.h:{line}:") and "not read by dtracepy" in ours, ours


# -- fastc_nodes: each node as its class makes it --------------------------------------------------

from pycparser import c_ast  # noqa: E402



def _nodes():
    from dtracepy.layout import fastc_nodes  # (here: the old code has none, its other tests still run)

    return fastc_nodes


_NO = ()
_MADE = [  # (the function's node, the class's node from the same arguments)
    (lambda a, b, c, d, e: _nodes().new_type_decl(a, b, c, d, e),
     lambda a, b, c, d, e: c_ast.TypeDecl(a, b, c, d, e, attributes=_NO)),
    (lambda a, b, c, d, e: _nodes().new_decl(a, b, c, d, e, a, b, c, d),
     lambda a, b, c, d, e: c_ast.Decl(a, b, c, d, e, a, b, c, d)),
    (lambda a, b, c, d, e: _nodes().new_ptr_decl(a, b, c), lambda a, b, c, d, e: c_ast.PtrDecl(a, b, c, attributes=_NO)),
    (lambda a, b, c, d, e: _nodes().new_array_decl(a, b, c, d),
     lambda a, b, c, d, e: c_ast.ArrayDecl(a, b, c, d, attributes=_NO)),
    (lambda a, b, c, d, e: _nodes().new_func_decl(a, b, c), lambda a, b, c, d, e: c_ast.FuncDecl(a, b, c, attributes=_NO)),
    (lambda a, b, c, d, e: _nodes().new_param_list(a), lambda a, b, c, d, e: c_ast.ParamList(a)),
    (lambda a, b, c, d, e: _nodes().new_typename(a, b, c, d, e),
     lambda a, b, c, d, e: c_ast.Typename(a, b, c, d, e, attributes=_NO)),
    (lambda a, b, c, d, e: _nodes().new_constant(a, b), lambda a, b, c, d, e: c_ast.Constant(a, b)),
    (lambda a, b, c, d, e: _nodes().new_record(c_ast.Struct, a, b, c),
     lambda a, b, c, d, e: c_ast.Struct(a, b, c, attributes=_NO)),
    (lambda a, b, c, d, e: _nodes().new_record(c_ast.Union, a, b, c),
     lambda a, b, c, d, e: c_ast.Union(a, b, c, attributes=_NO)),
]


@pytest.mark.parametrize("made, by_class", _MADE)
def test_each_node_is_what_its_class_makes(made, by_class):
    args = ("n", ["const"], None, object(), ("f.h", 3))
    ours, theirs = made(*args), by_class(*args)
    assert ours.__class__ is theirs.__class__
    for slot in theirs.__slots__:
        if slot != "__weakref__":
            assert getattr(ours, slot) == getattr(theirs, slot), slot
    assert ours.children() == theirs.children()
