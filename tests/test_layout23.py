"""Session 22, helper layout23: ``layout`` spells a member's type only when it is shown, and the
type column and the model's spellings are C's (``const char *``, ``char (*)[3]``).

Each test fails on the code before (main ``4566103``): there every member of every record of the
header had its type spelled as it was read (a function pointer's signature, the costly part,
among them: issue 8's declarators row, docs/PERFORMANCE.md "Session 22, layout23"); the type
column dropped ``const``; ``Pointer.spelling()`` wrote ``char [3] *`` and ``int ** *``.  No test
here is timed: the work is counted in calls.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from dtracepy.cli import main
from dtracepy.layout import cdecl, parse_layouts

# --- a type spelled only where it is shown ------------------------------------------------------

N = 40
_MANY = "".join(f"struct s{i} {{ int a; int (*(*g)(int))[4]; void (*h)(const char *, ...); char (*y)[3]; }};\n"
                for i in range(N))


@pytest.fixture
def signatures(monkeypatch):
    """How many function-pointer signatures the reader spells (``_Converter._function_pointer``)."""
    calls = []
    spell = cdecl._Converter._function_pointer

    def counted(self, *args, **kwargs):
        calls.append(args[0])
        return spell(self, *args, **kwargs)

    monkeypatch.setattr(cdecl._Converter, "_function_pointer", counted)
    return calls


def test_reading_a_header_spells_no_function_pointer(signatures):
    layouts = parse_layouts(_MANY, filename="many.h")
    assert len(layouts) == N
    assert signatures == []  # (main: 2 a record, 80, each as its record was read)


def test_layout_spells_only_the_shown_records_members(signatures, tmp_path, capsys):
    header = tmp_path / "many.h"
    header.write_text(_MANY)
    assert main(["layout", str(header), f"s{N - 1}"]) == 0
    out = capsys.readouterr().out
    assert "int (*(*)(int))[4]" in out and "void (*)(const char *, ...)" in out and "char (*)[3]" in out
    assert len(signatures) == 2  # the shown record's g and h, once each (main: 80)


def test_a_member_spelled_when_shown_is_spelled_as_when_read():
    """The spelling made on demand is the one made as the header is read: the header's typedefs
    and tags as the member saw them (a tag first named in a parameter list too)."""
    text = ("typedef unsigned long size_t; typedef int (*cmp_t)(const void *, const void *);\n"
            "struct s { void (*f)(size_t, struct later *); cmp_t c; int (*v[2])(int); "
            "void (**pp)(char); struct { void (*in)(int); } u; };\nstruct later { int a; };\n")
    layouts = parse_layouts(text, filename="s.h")
    s = layouts["struct s"]
    assert [f.type for f in s.fields] == ["void (*)(size_t, struct later *)", "cmp_t", "int (*[2])(int)",
                                          "void (**)(char)", "struct <anonymous>", "void (*)(int)"]
    assert layouts["struct later"].size == 4


# --- const, volatile and restrict, as C spells them -------------------------------------------

_QUALIFIED = """struct q { const char *p; char *const q; const int r; volatile unsigned long s; int const t;
const char (*u)[3]; void (*f)(const char *, int *const); char *const *volatile w; const struct q *n;
const char c2[2]; const volatile int cv; char (*const h)[3]; void (*const fc)(void); };
"""
QUALIFIED = {"p": "const char *", "q": "char *const", "r": "const int", "s": "volatile unsigned long",
             "t": "const int", "u": "const char (*)[3]", "f": "void (*)(const char *, int *const)",
             "w": "char *const *volatile", "n": "const struct q *", "c2": "const char [2]",
             "cv": "const volatile int", "h": "char (*const)[3]", "fc": "void (*const)(void)"}


def test_the_type_column_keeps_qualifiers():
    layout = parse_layouts(_QUALIFIED, filename="q.h")["struct q"]
    assert {m.name: m.type_name for m in layout.members} == QUALIFIED


def test_the_table_shows_const(tmp_path, capsys):
    header = tmp_path / "q.h"
    header.write_text(_QUALIFIED)
    assert main(["layout", str(header), "q"]) == 0
    rows = {line.split()[-1]: line for line in capsys.readouterr().out.splitlines()[3:]}
    assert "  const char *  " in rows["p"] and "  const struct q *  " in rows["n"]


def test_gcc_spells_the_qualified_pointers_so(tmp_path):
    """gcc's diagnostic of a member read (an rvalue: its own top-level qualifier dropped) says
    the type of the members whose pointer itself is not qualified."""
    import re

    if shutil.which("gcc") is None:
        pytest.skip("no gcc here")
    members = ["p", "u", "f", "n"]
    source = tmp_path / "g.c"
    source.write_text(_QUALIFIED + "".join(f"void f_{m}(void) {{ double v = ((struct q *)0)->{m}; }}\n"
                                           for m in members))
    result = subprocess.run(["timeout", "-s", "KILL", "60", "gcc", "-fsyntax-only", "-fno-diagnostics-show-caret",
                             "-fno-diagnostics-color", str(source)], capture_output=True, text=True)
    said = [re.sub(r"\* const", "*const", s) for s in re.findall(r"using type .([^\n]*?).$", result.stderr, re.M)]
    assert said == [QUALIFIED[m] for m in members], result.stderr


# --- the model's spellings (reads and messages) -------------------------------------------------

_POINTERS = "struct a { char (*pa[2])[3]; int *m[2][3]; int ***p; int (*fp[2])(int); };\n"


def test_a_pointer_to_an_array_is_spelled_as_c_does():
    a = parse_layouts(_POINTERS, filename="a.h")["struct a"]
    assert a.member("pa[1]").type == "char (*)[3]"  # (main: "char [3] *")
    assert a.member("pa").ctype.elem.spelling() == "char (*)[3]"
    assert a.member("pa").ctype.spelling() == "char (*[2])[3]"  # (main: "char [2][3] *")
    assert a.member("m[1]").type == "int *[3]"  # (main: "int * [3]")
    assert a.member("p").ctype.spelling() == "int ***"  # (main: "int ** *")
    assert a.member("p").ctype.target_spelling() == "int **"


def test_messages_spell_a_pointer_to_an_array_as_c_does(tmp_path, capsys):
    header = tmp_path / "t.h"
    header.write_text("typedef char (*P)[3];\nstruct s { int a; };\n")
    assert main(["layout", str(header), "P"]) == 1
    err = capsys.readouterr().err
    assert "P is char (*)[3] (8 bytes), not a struct or union" in err  # (main: "char [3] *")
