"""Issue 8 (review 22, finding P1): ``check`` (without -C) of 4 MiB of ``#define Mi i`` lines did
not finish in a minute: the ``destructive`` check expanded the whole program with pcpp to find
destructive actions spelled through a macro, 0.3 ms a ``#define`` line.  A ``#define`` whose macro
nothing names is now left out of that expansion (:func:`dtracepy.preprocess.unnamed_defines`):
the expansion is the same without it.  Work is counted (the macros pcpp defines), not time; the
rule still finds a destructive action renamed, pasted or passed to a function-like macro."""

from __future__ import annotations

import pcpp
import pytest

from dtracepy.checks import CheckOptions, check_program
from dtracepy.parser import expanded, parse
from dtracepy.preprocess import unnamed_defines

_HIDDEN = "a destructive action spelled through #define"


@pytest.fixture
def defined(monkeypatch):
    """The names of the macros pcpp defines (each #define it reads), in order."""
    names: list[str] = []
    define = pcpp.Preprocessor.define

    def counting(self, tokens):
        text = tokens if isinstance(tokens, str) else "".join(tok.value for tok in tokens)
        names.append(text.split("(")[0].split()[0] if text.split() else "")
        return define(self, tokens)

    monkeypatch.setattr(pcpp.Preprocessor, "define", counting)
    return names


def _findings(text: str):
    return check_program(parse(text, "x.d"), CheckOptions(expand=expanded), source=text)


def _hidden(text: str) -> list[str]:
    return [f.message for f in _findings(text) if f.check == "destructive" and _HIDDEN in f.message]


def _many(count: int, shape: str = "#define M{i} {i}\n") -> str:
    return "".join(shape.format(i=i) for i in range(count))


@pytest.mark.parametrize("shape", ["#define M{i} {i}\n", "#define F{i}(x) (x)\n",
                                   "#define G{i}( a , b )  a + b * {i}\n"])
def test_macros_nothing_names_are_not_expanded(defined, shape):
    """Old code: pcpp defined all 2,000 macros (and more for the builtins); now none of them."""
    text = _many(2000, shape) + "BEGIN\n{\n\ttrace(1);\n}\n"
    assert _hidden(text) == []
    assert not [name for name in defined if name[:1] in "MFG" and name[1:].isdigit()], defined[:5]


def test_named_macros_are_still_expanded(defined):
    text = _many(2000) + "BEGIN\n{\n\ttrace(M7 + M1999);\n}\n"
    assert _hidden(text) == []
    assert sorted(name for name in defined if name.startswith("M")) == ["M1999", "M7"]


@pytest.mark.parametrize("spelled", [
    "#define T system\nBEGIN\n{\n\tT(\"ls\");\n}\n",
    "#define T(s) system(s)\nBEGIN\n{\n\tT(\"ls\");\n}\n",
    "#define F(f, s) f(s)\nBEGIN\n{\n\tF(system, \"ls\");\n}\n",
    "#define P(a, b) a##b\nBEGIN\n{\n\tP(sys, tem)(\"ls\");\n}\n",
    "#define S sys\n#define P(a, b) a##b\n#define Q(a, b) P(a, b)\nBEGIN\n{\n\tQ(S, tem)(\"ls\");\n}\n",
    "#define T U\n#define U system\nBEGIN\n{\n\tT(\"ls\");\n}\n",
    "#define T system\n#define R T\nBEGIN\n{\n\tR(\"ls\");\n}\n",
    "#define T(s) raise(s)\nBEGIN\n{\n\tT(9);\n}\n",
])
def test_renamed_destructive_actions_are_still_found_among_unnamed_macros(spelled):
    text = _many(500) + spelled + _many(500, "#define N{i} {i}\n")
    messages = _hidden(text)
    assert len(messages) == 1 and ("system()" in messages[0] or "raise()" in messages[0]), messages


@pytest.mark.parametrize("text", [
    "#define M 1\n#include \"x.h\"\n",        # a header may name it
    "#define P(a, b) a##b\n#define M 1\n",     # pasting may make its name
    "#define M 1\n#define Q(a) a %:%: 1\n",    # (the digraph)
    "#define M 1??/\n2\n",                     # a trigraph's backslash
    "#define M 1\n#import x\n",                # a directive not known here
])
def test_nothing_is_left_out_where_a_name_may_come_from_elsewhere(text):
    program = parse(text, "x.d") if "#import" not in text and "??/" not in text else None
    defines = [item.text for item in program.items] if program else ["M 1"]
    assert unnamed_defines(defines, text) == set()


@pytest.mark.parametrize("defines, text, kept", [
    (["M 1", "M 2"], "#define M 1\n#define M 2\n", {0, 1}),          # defined twice: cpp warns
    (["M 1"], "#define M 1\n#undef M\n", {0}),
    (["M 1"], "#define M 1\n#ifdef M\n#endif\n", {0}),
    (["M 1"], "#define M 1\nBEGIN { trace(1uM); }\n", {0}),            # pcpp: 1u and M
    (["M 1"], "#define M 1\nBEGIN { trace(0x1fM); }\n", {0}),
    (["M 1"], "#define M 1\n/* 1\u00e9M */\n", {0}),                # a letter no name starts with
    (["M 1"], "#define M 1\nBEGIN { trace(\"M\"); }\n", {0}),           # a string: more is safe
    (["M1 1"], "#define M1 1\nBEGIN { trace(M\\\n1); }\n", {0}),       # spliced
    (["M 1 /* x"], "#define M 1 /* x\n*/\n", {0}),                     # a comment runs on
    (["M 'a"], "#define M 'a\n", {0}),
    (["M \"a"], "#define M \"a\n", {0}),
    (["M #x"], "#define M #x\n", {0}),
    (["F(x,x) x"], "#define F(x,x) x\n", {0}),                          # cpp refuses
    (["defined 1"], "#define defined 1\n", {0}),
    (["__LINE__ 1"], "#define __LINE__ 1\n", {0}),
    (["F(__VA_ARGS__) 1"], "#define F(__VA_ARGS__) 1\n", {0}),
    (["M+1"], "#define M+1\n", {0}),                                   # no white space after it
    (["M 1", "N 2"], "#define M 1\n#define N 2\nBEGIN { trace(N); }\n", {1}),
])
def test_which_defines_are_kept(defines, text, kept):
    assert set(range(len(defines))) - unnamed_defines(defines, text) == kept


def test_an_expansion_failure_keeps_its_line(defined):
    """Left-out lines stay blank: an error of the expansion is at the line it was at."""
    text = _many(300) + "#define go system\n#if 1/0\n#endif\nBEGIN\n{\n\tgo(\"id\");\n}\n"
    found = [f for f in _findings(text) if f.check == "destructive"]
    assert [f.pos.line for f in found] == [302], found


def test_line_numbers_are_kept_for_the_expansion():
    """__LINE__ in an #if after left-out lines reads the line's own number."""
    text = _many(50) + "#if __LINE__ == 51\n#error at 51\n#endif\n"
    messages = [f.message for f in _findings(text) if f.check == "destructive"]
    assert messages and "#error at 51" in messages[0], messages
