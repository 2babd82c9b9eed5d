"""Review 18's leftovers (/work/review18.md, "Noticed and left alone"), fixed in session 18.

Each test fails on the code before its fix; the real dtrace judges the same cases (skipped where
there is none).
"""

from __future__ import annotations

import pytest


def _findings(text, check, dialect=None):
    from dtracepy.checks import CheckOptions, check_program
    from dtracepy.parser import parse

    options = CheckOptions(dialect=dialect, dialect_given=True) if dialect else CheckOptions()
    return [f for f in check_program(parse(text, "a.d"), options, source=text) if f.check == check]


# --- N1: a key of another type than a declared array's (or a parameterised inline's) prototype --

_KEYS_REFUSED = [  # each refused by Oracle's dtrace -e: "x[ ] key #1 is incompatible with prototype"
    "int x[string];\nBEGIN { x[3] = 1; exit(0); }\n",
    "int x[int];\nBEGIN { x[execname] = 1; exit(0); }\n",
    "int x[int, string];\nBEGIN { x[1, 2] = 1; exit(0); }\n",
    "int x[uint64_t];\nBEGIN { x[\"a\"] = 1; exit(0); }\n",
    "self int x[string];\nBEGIN { self->x[3] = 1; exit(0); }\n",
    "inline int f[int a] = a + 1;\nBEGIN { trace(f[\"x\"]); exit(0); }\n",
    "inline string g[string s] = s;\nBEGIN { trace(g[pid]); exit(0); }\n",
]
_KEYS_TAKEN = [
    "int x[string];\nBEGIN { x[execname] = 1; x[\"a\"] = 2; exit(0); }\n",
    "int x[int, string];\nBEGIN { x[pid, \"a\"] = 1; x['c', execname] = 2; exit(0); }\n",
    "self int x[int];\nBEGIN { self->x[tid] = 1; exit(0); }\n",
    "inline int f[int a] = a + 1;\nBEGIN { trace(f[3]); exit(0); }\n",
]


@pytest.mark.parametrize("text", _KEYS_REFUSED)
def test_check_refuses_a_key_against_its_declared_prototype(text):
    found = _findings(text, "key-type")
    assert len(found) == 1 and "incompatible with prototype" in found[0].message, found
    assert found[0].pos.line == 2


@pytest.mark.parametrize("text", _KEYS_TAKEN)
def test_check_takes_keys_of_the_declared_types(text):
    assert _findings(text, "key-type") == []


def test_the_real_dtrace_judges_declared_keys_as_check_does():
    from tests.real_dtrace import compile_scripts

    # (one script a run: they declare the same names)
    verdicts = compile_scripts({text: text for text in _KEYS_REFUSED + _KEYS_TAKEN}, batch=1)
    for text in _KEYS_REFUSED:
        assert verdicts[text] is not None and "incompatible with prototype" in verdicts[text], (text, verdicts[text])
    for text in _KEYS_TAKEN:
        assert verdicts[text] is None, (text, verdicts[text])


# --- N1: a member the program's own struct or union lacks; a translator's member likewise --------

_STRUCTS = "struct bar { int z; };\nstruct foo { int a; struct bar in; struct bar *p; };\n"
_MEMBERS_REFUSED = [  # (text, the missing member), each refused: "b is not a member of struct foo"
    (_STRUCTS + "this struct foo *x;\nBEGIN { this->x = (struct foo *)alloca(32); trace(this->x->b); exit(0); }\n", "b"),
    (_STRUCTS + "BEGIN { trace(((struct foo *)arg0)->b); exit(0); }\n", "b"),
    (_STRUCTS + "struct foo y;\nBEGIN { trace(y.b); exit(0); }\n", "b"),
    (_STRUCTS + "typedef struct foo foo_t;\nself foo_t *s;\n"
     "BEGIN { self->s = (foo_t *)alloca(32); trace(self->s->in.q); exit(0); }\n", "q"),
    (_STRUCTS + "BEGIN { trace(((struct foo *)arg0)->p->w); exit(0); }\n", "w"),
    ("union u { int a; long b; };\nBEGIN { trace(((union u *)arg0)->c); exit(0); }\n", "c"),
    (_STRUCTS + "BEGIN { exit(0); }\ntranslator struct foo < int x > { a = x; b = x; };\n", "b"),
]
_MEMBERS_TAKEN = [
    _STRUCTS + "this struct foo *x;\nBEGIN { this->x = (struct foo *)alloca(32); trace(this->x->a); exit(0); }\n",
    _STRUCTS + "BEGIN { trace(((struct foo *)arg0)->p->z); trace(((struct foo *)arg0)->in.z); exit(0); }\n",
    _STRUCTS + "typedef struct foo *foo_p;\nBEGIN { trace(((foo_p)arg0)->a); exit(0); }\n",
    _STRUCTS + "translator struct foo < int x > { a = x; };\nBEGIN { exit(0); }\n",
    "struct s { int a; int : 3; int c : 2; };\nBEGIN { trace(((struct s *)arg0)->c); exit(0); }\n",
    "BEGIN { trace(curthread->pid); exit(0); }\n",
]


@pytest.mark.parametrize("text,member", _MEMBERS_REFUSED)
def test_check_refuses_a_member_the_programs_struct_lacks(text, member):
    found = _findings(text, "member-name")
    assert len(found) == 1, found
    assert f"{member} is not a member of" in found[0].message and found[0].severity == "error"
    assert found[0].pos.line == text.count("\n"), found[0].pos  # (the last line: the use)


@pytest.mark.parametrize("text", _MEMBERS_TAKEN)
def test_check_takes_members_the_struct_has(text):
    assert _findings(text, "member-name") == []


def test_the_real_dtrace_judges_members_as_check_does():
    from tests.real_dtrace import compile_scripts

    verdicts = compile_scripts({text: text for text, _ in _MEMBERS_REFUSED} | {text: text for text in _MEMBERS_TAKEN},
                               batch=1)
    for text, member in _MEMBERS_REFUSED:
        assert verdicts[text] is not None and f"{member} is not a member of" in verdicts[text], (text, verdicts[text])
    for text in _MEMBERS_TAKEN:
        assert verdicts[text] is None, (text, verdicts[text])


# --- N1: a translator member of the other kind; xlate<> of the program's struct it cannot translate

_TRANSLATIONS_REFUSED = [  # (text, check, what dtrace says)
    ("struct foo { int a; };\ntranslator struct foo < int x > { a = \"str\"; };\nBEGIN { exit(0); }\n",
     "operand-type", "incompatible types"),
    ("struct foo { string a; };\ntranslator struct foo < int x > { a = x; };\nBEGIN { exit(0); }\n",
     "operand-type", "incompatible types"),
    ("struct foo { int a; };\nBEGIN { trace(xlate<struct foo>(1).a); exit(0); }\n", "xlate", "cannot translate"),
    ("struct foo { int a; };\ntranslator struct foo < int x > { a = x; };\n"
     "BEGIN { trace(xlate<struct foo>(\"s\").a); exit(0); }\n", "xlate", "cannot translate"),
]
_TRANSLATIONS_TAKEN = [
    "struct foo { int a; };\ntranslator struct foo < int x > { a = x; };\n"
    "BEGIN { trace(xlate<struct foo *>(1)->a); trace(xlate<struct foo>(pid).a); exit(0); }\n",
    "struct foo { int a; string s; };\ntranslator struct foo < int x > { a = 0; s = \"x\"; };\nBEGIN { exit(0); }\n",
    "struct foo { string s; };\ntranslator struct foo < string x > { s = x; };\n"
    "BEGIN { trace(xlate<struct foo>(execname).s); exit(0); }\n",
]


@pytest.mark.parametrize("text,check,said", _TRANSLATIONS_REFUSED)
def test_check_refuses_a_translation_dtrace_refuses(text, check, said):
    found = _findings(text, check)
    assert len(found) == 1 and said in found[0].message, found
    assert found[0].pos.line == text.count("\n") - (check == "operand-type"), found[0].pos


@pytest.mark.parametrize("text", _TRANSLATIONS_TAKEN)
def test_check_takes_translations_dtrace_takes(text):
    assert _findings(text, "operand-type") == [] and _findings(text, "xlate") == []


def test_the_real_dtrace_judges_translations_as_check_does():
    from tests.real_dtrace import compile_scripts

    verdicts = compile_scripts({text: text for text, _, _ in _TRANSLATIONS_REFUSED}
                               | {text: text for text in _TRANSLATIONS_TAKEN}, batch=1)
    for text, _, said in _TRANSLATIONS_REFUSED:
        assert verdicts[text] is not None and said in verdicts[text], (text, verdicts[text])
    for text in _TRANSLATIONS_TAKEN:
        assert verdicts[text] is None, (text, verdicts[text])


_BY_STRUCT = ("struct in_s { int i; };\nstruct out_s { int o; };\n"
              "translator struct out_s < struct in_s *p > { o = p->i; };\nstruct in_s f;\n")
_STRUCT_XLATES = [  # (text, refused?)
    (_BY_STRUCT + "BEGIN { trace(xlate<struct out_s>(f).o); exit(0); }\n", True),
    (_BY_STRUCT.replace("struct in_s f;", "struct in_s *f;") + "BEGIN { trace(xlate<struct out_s>(f).o); exit(0); }\n",
     False),
    (_BY_STRUCT + "BEGIN { trace(xlate<struct out_s>((struct in_s *)arg0).o); exit(0); }\n", False),
]


@pytest.mark.parametrize("text,refused", _STRUCT_XLATES)
def test_check_judges_xlate_of_a_struct_by_its_translators_input(text, refused):
    assert len(_findings(text, "xlate")) == refused


def test_the_real_dtrace_judges_xlate_of_a_struct_as_check_does():
    from tests.real_dtrace import compile_scripts

    verdicts = compile_scripts({text: text for text, _ in _STRUCT_XLATES}, batch=1)
    for text, refused in _STRUCT_XLATES:
        assert (verdicts[text] is not None and "translate" in verdicts[text]) if refused else verdicts[text] is None, \
            (text, verdicts[text])
