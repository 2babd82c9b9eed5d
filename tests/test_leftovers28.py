"""Session 27, leftovers28: small defects left by review 28 (L2, L4) and decl28.

- ``import`` of an expression nested past what the DSL's writer recurses (a chain of 15,000
  operators, which ``check`` reads) is refused at the expression, not at the script's ``1:1``.
- ``compile`` makes no declaration past ``lexer.MAX_DECL_OPERATORS`` / ``MAX_DECL_ITEMS`` (which
  ``check`` refuses): a DSLError at the user's line.
- ``check`` reports a string's newline at the line dtrace names (the next one).
- ``layout`` refuses what gcc refuses (an enumerator's overflow, a K&R parameter declared twice or
  initialized) and folds a shift past the width as gcc does.
"""

from __future__ import annotations

import pytest

_CHAIN = "1+" * 15000 + "1"


def _run(argv, capsys):
    from dtracepy.cli import main

    try:
        status = main(argv)
    except SystemExit as exit:
        status = exit.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("exact", [False, True], ids=["import", "import --exact"])
@pytest.mark.parametrize("text, where", [
    ("BEGIN { exit(0); }\n\nBEGIN\n{\n\tx = " + _CHAIN + ";\n}\n", "5:2"),
    ("BEGIN { exit(0); }\n\nBEGIN\n/ " + _CHAIN + " /\n{\n\tx = 1;\n}\n", "4:3"),
    ("BEGIN { exit(0); }\n\nBEGIN\n/ " + _CHAIN + " /\n", "4:3"),
    ("BEGIN { exit(0); }\n\nBEGIN\n{\n\tif (" + _CHAIN + ") {\n\t\tx = 1;\n\t}\n}\n", "5:6"),
    ("BEGIN { exit(0); }\n\nBEGIN\n{\n\tx = " + "a ? " * 3000 + "1" + " : 2" * 3000 + ";\n}\n", "5:2"),
], ids=["statement", "predicate", "predicate-no-body", "if-condition", "ternaries"])
def test_import_refuses_a_deep_expression_at_it(text, where, exact, tmp_path, capsys):
    """Review 28 L4: ``dtracepy import`` refused these at ``x.d:1:1`` (the script's first item);
    ``check`` reads each, and locates its errors: the refusal names the expression's line and
    column."""
    script = tmp_path / "x.d"
    script.write_text(text)
    status, out, err = _run(["import", *(["--exact"] if exact else []), str(script), "-o",
                             str(tmp_path / "x.py")], capsys)
    assert status == 1, err
    assert err.splitlines()[0] == (f"{script}:{where}: error: cannot import this expression: the DSL has no "
                                   "way to nest expressions this deeply"), err
    assert "Traceback" not in err


# --- compile makes no declaration check refuses (decl28's bounds) ------------------------------

def _lowered(monkeypatch, bound=10):
    from dtracepy import lexer

    monkeypatch.setattr(lexer, "MAX_DECL_OPERATORS", bound)
    monkeypatch.setattr(lexer, "MAX_DECL_ITEMS", bound)


def _declaring(how):
    """A tracer whose one declaration is ``how``'s (given the tracer; returns the line of the
    call), with a clause."""
    from dtracepy import Tracer

    t = Tracer("x")
    line = how(t)
    t.clause("BEGIN")
    return t, line


def _line():
    import sys

    return sys._getframe(1).f_lineno


def _keys(t):
    t.declare("a", "int", keys=["int"] * 12); return _line()


def _stars(t):
    t.declare("a", "int" + " *" * 12); return _line()


def _dims(t):
    t.declare("a", "int" + "[1]" * 12); return _line()


def _params(t):
    t.inline("f", "int", lambda *a: 1, params=[f"int x{i}" for i in range(12)]); return _line()


def _inline_stars(t):
    t.inline("f", "int" + "*" * 12, 0); return _line()


def _inline_dims(t):
    t.inline("f", "int" + "[2]" * 12, 0); return _line()


def _added_enum(t):
    from dtracepy import tree

    enum = tree.EnumSpec("e", tuple(tree.Enumerator(f"A{i}") for i in range(12)))
    t.add(tree.Declaration((enum,), ())); return _line()


@pytest.mark.parametrize("how, what", [
    (_keys, "items"), (_stars, "operators"), (_dims, "operators"), (_params, "items"),
    (_inline_stars, "operators"), (_inline_dims, "operators"), (_added_enum, "items")],
    ids=["declare-keys", "declare-stars", "declare-dims", "inline-params", "inline-stars", "inline-dims",
         "added-enum"])
def test_compile_refuses_a_declaration_check_refuses(how, what, monkeypatch, tmp_path, capsys):
    """decl28's bounds: ``check`` refuses a declaration of more than MAX_DECL_ITEMS items in one
    list or MAX_DECL_OPERATORS operators in one declarator; ``compile`` printed them (a map's
    keys, an inline's parameters, a type's ``*`` and ``[ ]``, an enum added as a tree), D its own
    ``check`` refuses.  Now a DSLError at the user's line, in the lexer's words (the bounds lowered
    to 10 here: the shapes at the real bounds are 100,000 ``*`` or 250,000 keys)."""
    from dtracepy.errors import DSLError

    t, line = _declaring(how)
    text = t.to_d()  # (the D printed under the real bounds)
    _lowered(monkeypatch)
    with pytest.raises(DSLError) as caught:
        t.to_d()
    err = caught.value
    assert err.pos is not None and err.pos.line == line, str(err)
    assert f"declaration too long: more than 10 {what}" in err.message, err.message
    # and what ``check`` says of that D under the lowered bounds: the same words
    script = tmp_path / "x.d"
    script.write_text(text)
    status, _, stderr = _run(["check", str(script)], capsys)
    assert status == 1 and f"declaration too long: more than 10 {what}" in stderr, stderr


@pytest.mark.parametrize("how", [_keys, _stars, _dims, _params, _inline_stars, _inline_dims, _added_enum])
def test_compile_keeps_a_declaration_at_the_bound(how, monkeypatch):
    """The same declarations within the bounds compile (bounds of 13: 12 items; 12 ``*`` and an
    inline's ``=``, which the lexer counts in the declarator as well)."""
    _lowered(monkeypatch, 13)
    t, _ = _declaring(how)
    assert t.to_d()


# --- a string's newline is reported at the line dtrace names -----------------------------------

@pytest.mark.parametrize("text, line", [
    ('BEGIN\n{\n\tx = "abc\ndef";\n\texit(0);\n}\n', 4),
    ('BEGIN\n{\n\tx = "abc\n\ndef";\n}\n', 4),
    ('BEGIN\n{\n\tprintf("a %d\\n", 1); x = \n"abc\n', 5),
    ('BEGIN\n/ "ab\nc" == "x" /\n{\n}\n', 3),
    ('BEGIN\n{\n\tx = "abc\n', 4),
    ('BEGIN { x = "abc\r\ndef"; }\n', 2),
    ('BEGIN { x = "abc\n', 2),
    ('BEGIN\n{\n\tx = "a\\\nb";\n\texit(0);\n}\n', 3),  # (a backslash's newline: dtrace names its line)
], ids=["body", "two-newlines", "after-printf", "predicate", "end-of-body", "crlf", "end-of-file",
        "backslash-newline"])
def test_a_strings_newline_is_at_dtraces_line(text, line, tmp_path, capsys):
    """Review 28 L4: ``check`` reported a string's newline at the line the string opens; dtrace
    (``dtrace -e -s``, Oracle D 2.0, checked live for each of these) names the next line: "line 4:
    newline encountered in string literal", its lexer having counted the newline.  The error is
    now at the start of that line (a backslash before the newline: dtrace names the backslash's
    line, "syntax error near \\"\\"", as check did)."""
    script = tmp_path / "x.d"
    script.write_bytes(text.encode())
    status, _, err = _run(["check", str(script)], capsys)
    assert status == 1
    first = err.splitlines()[0]
    assert first.startswith(f"{script}:{line}:") and "newline in string constant" in first, err


# --- layout: review 28 L2, what gcc refuses or takes, in its words at its place ----------------

from dtracepy.errors import LayoutError  # noqa: E402
from dtracepy.layout import parse_layouts  # noqa: E402

from test_layout25 import gcc_errors  # noqa: E402
from test_layout_reader import _pycparser_calls  # noqa: E402

# what sends a small header to pycparser's path (test_layout27's)
_TO_PYCPARSER = 'int h(void) { struct q { int a; }; _Static_assert(sizeof(struct q) == 4, "q"); return 0; }\n'

L2_REFUSED = [
    "enum e { A = 0xffffffffffffffff, B };\n", "enum e {\n A = 0x7fffffff,\n B };\n",
    "enum e { A = 0xffffffffu, B, C };\n", "enum e { A = 0x7ffffffe, B, C };\n",
    "enum e { A = 0x7fffffffffffffff, B };\n", "enum e { A = 18446744073709551615ULL, B };\n",
    "int f(a) int a; int a; { return a; }\n", "int f(a) int a, a; { return a; }\n",
    "int f(a) int a; register int a; { return a; }\n", "int f(a) int b; int b; { return 0; }\n",
    "int f(a) int a = 5; { return a; }\n", "static int\n  f(a) int a = 5; { return a; }\n",
    "int f(a)\n int a = 5;\n { return a; }\n", "struct s { int x; };  int f(a) int a = 5; { return a; }\n",
    "int f(a) int a; int a = 2; { return a; }\n", "int f(a, b) int a, b = 2; int a; { return a; }\n",
]
L2_TAKEN = [
    "enum e { A = 0xffffffffffffffff };\n", "enum e { A = 4294967295, B };\n", "enum e { A = (char)127, B };\n",
    "enum e { A = 0x7ffffffe, B };\n", "enum e { A = 0x7fffffff, B = 0 };\n",
    "enum e { A = 1 << 63 };\nstruct s { enum e x; };\n", "enum e { A = 1 << 63, B };\n_Static_assert(B == 1, \"b\");\n",
    "_Static_assert((1 << 33) == 0, \"x\");\n", "enum e { A = -8 >> 40 };\n_Static_assert(A == -1, \"a\");\n",
    "enum e { A = 1L << 64, B = 1U << 33 };\n_Static_assert(A == 0 && B == 0, \"z\");\n",
    "int f(a, b) int b; int a; { return a + b; }\n",
]


def _answer(text: str):
    try:
        parse_layouts(text, filename="h.h")
        return None
    except LayoutError as err:
        return f"{err.pos}: error: {err.message}"


@pytest.mark.parametrize("pycparser", [False, True], ids=["fast", "pycparser"])
@pytest.mark.parametrize("tail", L2_REFUSED + L2_TAKEN)
def test_layout_answers_as_gcc(tail, pycparser, tmp_path, monkeypatch):
    """Review 28 L2: an implicit enumerator past its predecessor's type (gcc: "overflow in
    enumeration values", at it), a K&R parameter declared twice ("redefinition of parameter", at
    the second) or initialized ("parameter 'a' is initialized", at gcc's input_location) were laid
    out by both readers; a shift count past the width (``1 << 63``, which gcc folds to 0 with a
    warning) was refused.  gcc on this machine judges each (``gcc -fsyntax-only``)."""
    text = (_TO_PYCPARSER if pycparser else "") + tail
    calls = _pycparser_calls(monkeypatch)
    ours = _answer(text)
    if pycparser:
        assert calls  # (pycparser's path read it)
    elif tail.startswith("int f("):
        assert not calls  # (the fast reader's refusal or answer)
    gcc = gcc_errors(text, tmp_path)
    assert gcc is not None  # (gcc is on this machine)
    assert ours == (gcc[0] if gcc else None)
    assert (tail in L2_REFUSED) == (ours is not None)


def test_a_shift_past_the_width_takes_gccs_value():
    """gcc folds ``1 << 63`` to 0 (and ``-8 >> 40`` to -1): the enum is an int's 4 bytes, and B
    (1) sizes an array; an array size of such a shift is still refused (gcc: variably modified)."""
    layouts = parse_layouts("enum e { A = 1 << 63, B };\nstruct s { char c[B + 1]; enum e x; };\n", filename="h.h")
    s = layouts.get("struct s")
    assert s.size == 8 and [m.offset for m in s.members] == [0, 4]
    with pytest.raises(LayoutError):
        parse_layouts("struct t { int a[1 << 40]; };\n", filename="h.h")
