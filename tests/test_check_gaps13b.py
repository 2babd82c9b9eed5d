"""Session 13 (checkgaps2): more cases where `check` passed what the real dtrace refuses.

Each case is D text, the dialect check is told (None: none given), and the rule check reports as
an error (None: no error), as in tests/test_check_gaps13.py: the first test runs without dtrace;
the second lets the real dtrace (Oracle D 2.0) judge each case the same way round.
"""

import subprocess

import pytest

from test_check_gaps12 import assert_first_error, dtrace_disagreements
from test_check_gaps13 import LONG, _findings

CASES = {
    # #pragma D attributes: an identifier dtrace finds among the program's globals
    "attributes without a name": ("#pragma D attributes Evolving/Evolving/Common\nBEGIN { exit(0); }", None, "pragma"),
    "attributes alone": ("#pragma D attributes\nBEGIN { exit(0); }", None, "pragma"),
    "attributes of an undeclared name": (
        "#pragma D attributes Evolving/Evolving/Common foo\nBEGIN { exit(0); }", None, "pragma"),
    "attributes of an assigned global": (
        "#pragma D attributes Evolving/Evolving/Common x\nBEGIN { x = 1; exit(0); }", None, "pragma"),
    "attributes after the assignment": (
        "BEGIN { x = 1; exit(0); }\n#pragma D attributes Evolving/Evolving/Common x\n", None, "pragma"),
    "attributes of a self variable": (
        "self int foo;\n#pragma D attributes Evolving/Evolving/Common foo\nBEGIN { exit(0); }", None, "pragma"),
    "attributes of a typedef": (
        "typedef int foo;\n#pragma D attributes Evolving/Evolving/Common foo\nBEGIN { exit(0); }", None, "pragma"),
    "attributes of execname": (
        "#pragma D attributes Evolving/Evolving/Common execname\nBEGIN { exit(0); }", None, "pragma"),
    "attributes of execname, a comment after": (
        "#pragma D attributes Evolving/Evolving/Common execname /* x */\nBEGIN { exit(0); }", None, "pragma"),
    "attributes of strlen": ("#pragma D attributes Evolving/Evolving/Common strlen\nBEGIN { exit(0); }", None,
                             "pragma"),
    "attributes of a declared name and another": (
        "int x;\n#pragma D attributes Evolving/Evolving/Common x y\nBEGIN { x = 1; exit(0); }", None, None),
    "attributes of a declared global": (
        "int foo;\n#pragma D attributes Evolving/Evolving/Common foo\nBEGIN { foo = 1; exit(0); }", None, None),
    "attributes before the declaration": (
        "#pragma D attributes Evolving/Evolving/Common foo\nint foo;\nBEGIN { exit(0); }", None, None),
    "attributes of an associative array": (
        "int foo[int];\n#pragma D attributes Evolving/Evolving/Common foo\nBEGIN { exit(0); }", None, None),
    "attributes of an inline": (
        "inline int f = 3;\n#pragma D attributes Evolving/Evolving/Common f\nBEGIN { exit(0); }", None, None),
    "attributes of an enumerator": (
        "enum e { AA };\n#pragma D attributes Evolving/Evolving/Common AA\nBEGIN { exit(0); }", None, None),
    "attributes of the second declarator": (
        "int a, b;\n#pragma D attributes Evolving/Evolving/Common b\nBEGIN { exit(0); }", None, None),
    # two pointers of incompatible types
    "?: char * and curthread": ("BEGIN { x = arg0 ? (char *)arg1 : curthread; trace(x); }", None, "operand-type"),
    "?: char * and int *": ("BEGIN { x = arg0 ? (char *)arg1 : (int *)arg1; trace(x); }", None, "operand-type"),
    "?: int * and long *": ("BEGIN { x = arg0 ? (int *)arg1 : (long *)arg2; trace(x); }", None, "operand-type"),
    "?: int * and unsigned *": (
        "BEGIN { x = arg0 ? (int *)arg1 : (unsigned int *)arg2; trace(x); }", None, "operand-type"),
    "?: char * and char **": ("BEGIN { x = arg0 ? (char *)arg1 : (char **)arg2; trace(x); }", None, "operand-type"),
    "?: void * and curthread": ("BEGIN { x = arg0 ? (void *)arg1 : curthread; trace(x); }", None, None),
    "?: int * and const int *": ("BEGIN { x = arg0 ? (int *)arg1 : (const int *)arg2; trace(x); }", None, None),
    "?: long * and long long *": ("BEGIN { x = arg0 ? (long *)arg1 : (long long *)arg2; trace(x); }", None, None),
    "?: short * and short int *": ("BEGIN { x = arg0 ? (short *)arg1 : (short int *)arg2; trace(x); }", None, None),
    "?: int * and signed *": ("BEGIN { x = arg0 ? (int *)arg1 : (signed *)arg2; trace(x); }", None, None),
    "?: char * and signed char *": (
        "BEGIN { x = arg0 ? (char *)arg1 : (signed char *)arg2; trace(x); }", None, None),
    "?: int * and int32_t * (a typedef)": ("BEGIN { x = arg0 ? (int *)arg1 : (int32_t *)arg2; trace(x); }", None,
                                           None),
    "?: char * and a string": ('BEGIN { x = arg0 ? (char *)arg1 : "abc"; trace(x); }', None, None),
    "?: folded": ("BEGIN { x = 1 ? (char *)arg1 : curthread; trace(x); }", None, None),
    "char * then curthread": ("BEGIN { x = (char *)arg1; x = curthread; }", None, "operand-type"),
    "char * then curthread, two clauses": ("BEGIN { x = (char *)arg1; } BEGIN { x = curthread; }", None,
                                           "operand-type"),
    "curthread then char *": ("BEGIN { x = curthread; x = (char *)arg1; }", None, "operand-type"),
    "char *g; g = curthread": ("char *g;\nBEGIN { g = curthread; }", None, "operand-type"),
    "int * then long *": ("BEGIN { x = (int *)arg1; x = (long *)arg1; }", None, "operand-type"),
    "self->x": ("BEGIN { self->x = (char *)arg1; self->x = curthread; }", None, "operand-type"),
    "this->x in two clauses": ("BEGIN { this->x = (char *)arg1; } END { this->x = curthread; }", None,
                               "operand-type"),
    "a[1], a[2]": ("BEGIN { a[1] = (char *)arg1; a[2] = curthread; }", None, "operand-type"),
    "void * then curthread": ("BEGIN { x = (void *)arg1; x = curthread; }", None, None),
    "curthread then void *": ("BEGIN { x = curthread; x = (void *)arg1; }", None, None),
    "void *g; g = curthread": ("void *g;\nBEGIN { g = curthread; }", None, None),
    "int * then const int *": ("BEGIN { x = (int *)arg1; x = (const int *)arg1; }", None, None),
    "char * then a string": ('BEGIN { x = (char *)arg1; x = "abc"; }', None, None),
    "char * then 0": ("BEGIN { x = (char *)arg1; x = (char *)0; x = 0; }", None, None),
    "curthread then a member": ("BEGIN { x = curthread; x = curthread->real_parent; }", None, None),
    # print() takes a pointer in Oracle's D: not what a member points to, nor an integer member
    "print(*curthread->mm)": ("BEGIN { print(*curthread->mm); }", "oracle", "argument-type"),
    "print(*curthread->real_parent->mm)": ("BEGIN { print(*curthread->real_parent->mm); }", "oracle",
                                           "argument-type"),
    "print(*curthread->cred)": ("BEGIN { print(*curthread->cred); }", "oracle", "argument-type"),
    "print(curthread->pid)": ("BEGIN { print(curthread->pid); }", "oracle", "argument-type"),
    "print(curpsinfo->pr_pid)": ("BEGIN { print(curpsinfo->pr_pid); }", "oracle", "argument-type"),
    "print(curthread->mm)": ("BEGIN { print(curthread->mm); }", "oracle", None),
    "print(curthread->real_parent->mm)": ("BEGIN { print(curthread->real_parent->mm); }", "oracle", None),
    # sizeof of an expression as any array declarator's dimension
    "struct member a[sizeof(y)]": ("int y;\nstruct s { int a[sizeof(y)]; };\nBEGIN { exit(0); }", None,
                                   "declaration"),
    "struct member a[sizeof(1)]": ("struct s { int a[sizeof(1)]; };\nBEGIN { exit(0); }", None, "declaration"),
    "union member a[sizeof(1)]": ("union u { char a[sizeof(1)]; };\nBEGIN { exit(0); }", None, "declaration"),
    "struct member a[2][sizeof(1)]": ("struct s { int a[2][sizeof(1)]; };\nBEGIN { exit(0); }", None,
                                      "declaration"),
    "typedef t[sizeof(y)]": ("int y;\ntypedef int t[sizeof(y)];\nBEGIN { exit(0); }", None, "declaration"),
    "typedef t[sizeof(1)]": ("typedef int t[sizeof(1)];\nBEGIN { exit(0); }", None, "declaration"),
    "struct member a[sizeof(int)]": ("struct s { int a[sizeof(int)]; };\nBEGIN { exit(0); }", None, None),
    "typedef t[sizeof(int)]": ("typedef int t[sizeof(int)];\nBEGIN { exit(0); }", None, None),
}


@pytest.mark.parametrize("name", CASES)
def test_check_judges_each_case(name):
    assert_first_error(CASES, name)


def test_the_real_dtrace_judges_them_the_same_way():
    assert dtrace_disagreements(CASES) == {}


def test_the_messages_are_located(tmp_path, capsys):
    from dtracepy.cli import main

    path = tmp_path / "s.d"
    path.write_text("#pragma D attributes Evolving/Evolving/Common\n#pragma D attributes Evolving/Evolving/Common foo\n"
                    "#pragma D attributes Evolving/Evolving/Common execname\nstruct s { int a[sizeof(1)]; };\n"
                    "BEGIN\n{\n\tx = arg0 ? (char *)arg1 : curthread;\n\ty = (char *)arg1;\n\ty = curthread;\n"
                    "\tprint(*curthread->mm);\n}\n")
    assert main(["check", "--dialect", "oracle", str(path)]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if ": error: " in line]
    assert err[0].startswith(f"{path}:1:1: error: #pragma D attributes takes attributes and an identifier"), err
    assert "(dtrace: malformed)" in err[0]
    assert err[1].startswith(f"{path}:2:1: error: #pragma D attributes names foo, which the program declares "
                             "nowhere"), err
    assert err[2].startswith(f"{path}:3:1: error: #pragma D attributes cannot change execname: it is D's own"), err
    assert err[3].startswith(f"{path}:4:18: error: array a's dimension takes sizeof of an expression"), err
    assert err[4].startswith(f"{path}:7:28: error: the branches of this ?: are pointers of incompatible types"), err
    assert err[5].startswith(f"{path}:9:2: error: a pointer assigned to a variable of an incompatible pointer "
                             "type"), err
    assert err[6].startswith(f"{path}:10:8: error: print() argument #1 must be a pointer"), err
    assert len(err) == 7, err


# --- strlen() in one clause, an aggregation in a later clause of the same probe description -----
STRLEN_CASES = {
    "strlen, then count in a later clause": (f"BEGIN {{ x = strlen({LONG}); }} BEGIN {{ @c = count(); exit(0); }}",
                                             True),
    "an empty clause between": (f"BEGIN {{ x = strlen({LONG}); }} BEGIN /0/ {{ }} BEGIN {{ @c = count(); exit(0); }}",
                                True),
    "BEGIN,END then END": (f"BEGIN,END {{ x = strlen({LONG}); }} END {{ @c = count(); }} BEGIN {{ exit(0); }}", True),
    "count then strlen, then count later": (
        f"BEGIN {{ @c = count(); x = strlen({LONG}); }} BEGIN {{ @d = count(); exit(0); }}", True),
    "count, then strlen in a later clause": (
        f"BEGIN {{ @c = count(); }} BEGIN {{ x = strlen({LONG}); exit(0); }}", False),
    "a predicate on the strlen clause": (
        f"BEGIN /arg0/ {{ x = strlen({LONG}); }} BEGIN {{ @c = count(); exit(0); }}", False),
    "another probe's clause": (f"BEGIN {{ x = strlen({LONG}); }} END {{ @c = count(); }} BEGIN {{ exit(0); }}",
                               False),
}


@pytest.mark.parametrize("name", STRLEN_CASES)
def test_strlen_then_an_aggregation_in_a_later_clause(name):
    text, warned = STRLEN_CASES[name]
    found = [f for f in _findings(text, "oracle") if f.check == "strlen-aggregation"]
    assert [f.severity for f in found] == (["warning"] if warned else []), found
    if warned:
        assert "in a later clause of" in found[0].message and "which runs in the same firing" in found[0].message
    assert [f for f in _findings(text, "illumos") if f.check == "strlen-aggregation"] == []


def test_strlen_corrupts_a_later_clauses_aggregation(tmp_path):
    """The rule's facts, measured with `dtrace -s`: every warned case's count() of 1 is corrupted,
    and a count() before the strlen() is not."""
    from real_dtrace import need_dtrace, need_root

    need_dtrace()
    need_root()

    def run(text):
        path = tmp_path / "s.d"
        path.write_text("#pragma D option quiet\n" + text + "\n")
        out = subprocess.run(["dtrace", "-s", str(path)], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout.split()

    for name, (text, warned) in STRLEN_CASES.items():
        if warned:
            assert run(text)[-1] != "1", name
    assert run(STRLEN_CASES["count, then strlen in a later clause"][0]) == ["1"]
