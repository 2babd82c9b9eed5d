"""``dtracepy check`` on what every D compiler refuses in declarations and constant expressions
(dtracepy/checks/declarations.py): type specifiers that name no type, names declared twice,
struct members of a struct not yet defined, division by a constant 0.

As in tests/test_check_rules.py, each case is a script the real dtrace refuses, the check that
must say so and where (``line:col``), and a close variant dtrace accepts, on which ``check``
reports no error; the real dtrace judges all of them both ways.  The facts the checks read
(:func:`dtracepy.facts.keywords.type_specifier_problem`, :data:`DEFINED_TYPEDEFS`) are judged
whole.
"""

from __future__ import annotations

import pytest

from dtracepy.facts.keywords import DEFINED_TYPEDEFS, STANDARD_TYPES, type_specifier_problem
from real_dtrace import judge_scripts
from test_check_rules import assert_dtrace_judges_both_ways, assert_flagged_at_its_place, errors

B = "\nBEGIN { exit(0); }"

# name -> (refused D, check, "line:col", accepted D)
CASES = {
    # type-combination
    "char int": ("BEGIN { i = (char int)0; trace(i); }", "type-combination", "1:14",
                 "BEGIN { i = (unsigned char)0; trace(i); }"),
    "short long": ("BEGIN { i = sizeof(short long); trace(i); }", "type-combination", "1:20",
                   "BEGIN { i = sizeof(long long); trace(i); }"),
    "long long long": ("BEGIN { i = sizeof(long long long); trace(i); }", "type-combination", "1:20",
                       "BEGIN { i = sizeof(long int long); trace(i); }"),
    "unsigned float": ("BEGIN { i = sizeof(unsigned float); trace(i); }", "type-combination", "1:20",
                       "BEGIN { i = sizeof(unsigned short); trace(i); }"),
    "long of a typedef": ("BEGIN { i = sizeof(long uint64_t); trace(i); }", "type-combination", "1:20",
                          "BEGIN { i = sizeof(uint64_t); trace(i); }"),
    "a declaration of char int": ("char int x;" + B, "type-combination", "1:1", "signed char x;" + B),
    "a member of short char": ("struct s { short char c; };" + B, "type-combination", "1:12",
                               "struct s { short int c; };" + B),
    "two structs without the ; between them": (
        "struct a { int x; }\nstruct b { int y; };" + B, "type-combination", "2:1",
        "struct a { int x; };\nstruct b { int y; };" + B),
    # redeclared
    "a global declared with two types": ("int x;\nchar x;" + B, "redeclared", "2:6", "int x;\nint x;" + B),
    "a thread-local declared with two types": ("self int x;\nself char x;" + B, "redeclared", "2:11",
                                               "self int x;\nchar x;" + B),
    "a typedef twice": ("typedef int t;\ntypedef int t;" + B, "redeclared", "2:13",
                        "typedef int t;\ntypedef int u;" + B),
    "a typedef of a type D defines": ("typedef unsigned int uint32_t;" + B, "redeclared", "1:22",
                                      "typedef unsigned int my_uint32_t;" + B),
    "a typedef of a declared variable": ("int t;\ntypedef int t;" + B, "redeclared", "2:13",
                                         "int t;\ntypedef int t_t;" + B),
    "an inline twice": ("inline int foo = 8;\ninline int foo = 8;" + B, "redeclared", "2:12",
                        "inline int foo = 8;\ninline int bar = 8;" + B),
    "an inline named as a subroutine": ("inline int rand = 7;" + B, "redeclared", "1:12",
                                        "inline int random = 7;" + B),
    "an inline named as a built-in variable": ("inline int pid = 1;" + B, "redeclared", "1:12",
                                               "inline int mypid = 1;" + B),
    "an inline named as a library constant": ("inline int EPERM = 1;" + B, "redeclared", "1:12",
                                              "inline int PROT_READ = 1;" + B),  # (no library has it)
    "an inline of a declared variable": ("int foo;\ninline int foo = 8;" + B, "redeclared", "2:12",
                                         "int foo;\ninline int foo2 = 8;" + B),
    "a variable named as a built-in variable": ("int execname;" + B, "redeclared", "1:5",
                                                "self int execname;" + B),
    "a variable named as a subroutine": ("int strstr;" + B, "redeclared", "1:5",
                                         "#pragma D option version=1.0\nint strstr;" + B),
    "an enumerator twice in one enum": ("enum a { RED, RED };" + B, "redeclared", "1:15",
                                        "enum a { RED, GREEN };" + B),
    "an enumerator in two enums": ("enum a { RED };\nenum b { RED };" + B, "redeclared", "2:10",
                                   "enum a { RED };\nenum b { BLUE };" + B),
    "an enumerator named as a declared variable": ("int RED;\nenum a { RED };" + B, "redeclared", "2:10",
                                                   "int RED2;\nenum a { RED };" + B),
    "an enumerator named as a built-in variable": ("enum e { pid };" + B, "redeclared", "1:10",
                                                   "enum e { pidx };" + B),
    "an enumerator, then an inline of its name": ("enum a { RED };\ninline int RED = 1;" + B, "redeclared",
                                                  "2:12", "enum a { RED };\ninline int BLUE = 1;" + B),
    "a struct member twice": ("struct s { int x; char x; };" + B, "redeclared", "1:24",
                              "struct s { int x; };\nstruct t { char x; };" + B),
    "a struct defined twice": ("struct s { int x; };\nstruct s { int x; };" + B, "redeclared", "2:1",
                               "struct s;\nstruct s { int x; };" + B),
    # incomplete-type
    "a struct member of the struct itself": ("struct r { struct r x; };" + B, "incomplete-type", "1:21",
                                             "struct r { struct r *x; };" + B),
    "a struct member of a struct defined below": (
        "struct a { struct b x; };\nstruct b { int y; };" + B, "incomplete-type", "1:21",
        "struct b { int y; };\nstruct a { struct b x; };" + B),
    "a union member of a union defined below": (
        "union a { union b x; };\nunion b { int y; };" + B, "incomplete-type", "1:19",
        "union a { union b x[2]; };\nunion b { int y; };" + B),  # (an array of it: taken)
    # declaration
    "two storage classes": ("self this int x;" + B, "declaration", "1:1", "self int x;" + B),
    "a storage class of C": ("static int x;" + B, "declaration", "1:1", "extern int x;" + B),
    # `self` after the type is its storage class, not a name: the declaration declares nothing
    "a keyword where the name goes": ("int self;" + B, "declaration", "1:1", "self int x;" + B),
    "this as the name of a string": ("string this;" + B, "declaration", "1:1", "this string x;" + B),
    "a type alone": ("int;" + B, "declaration", "1:1", "struct s;" + B),
    "a storage class and a type alone": ("self int;" + B, "declaration", "1:1",
                                         "self struct s { int a; };" + B),
    "a bit-field bigger than its type": ("struct s { char a : 9; };" + B, "declaration", "1:21",
                                         "struct s { char a : 8; };" + B),
    "a named bit-field of no bits": ("struct s { int a : 0; };" + B, "declaration", "1:20",
                                     "struct s { int a : 1; int : 0; };" + B),
    "a bit-field of a float": ("struct s { float a : 1; };" + B, "declaration", "1:18",
                               "struct s { float a; };" + B),
    "an array without a dimension": ("int a[];" + B, "declaration", "1:5", "extern int a[];" + B),
    "an array of no elements": ("int a[0];" + B, "declaration", "1:7", "int a[1];" + B),
    "an array too big": ("int a[4294967296];" + B, "declaration", "1:7", "int a[4294967295];" + B),
    "an enumerator beyond an int": ("enum e { A = 2147483648 };" + B, "declaration", "1:14",
                                    "enum e { A = -2147483648 };" + B),
    # address-of-variable
    "the address of a global": ("BEGIN { x = 1; p = &x; }", "address-of-variable", "1:20",
                                "struct r { int x; };\nstruct r v;\nBEGIN { p = &v.x; }"),
    "the address of a clause-local": ("BEGIN { this->x = 1; p = &this->x; }", "address-of-variable", "1:26",
                                      "int a[5];\nBEGIN { p = &a[1]; }"),
    "the address of an associative array's element": (
        "BEGIN { a[1] = 2; p = &a[1]; }", "address-of-variable", "1:23",
        "BEGIN { s = (char *)alloca(15); p = &s[14]; }"),  # (s may be a pointer)
    "the address of a built-in variable": ("BEGIN { p = &arg0; }", "address-of-variable", "1:13",
                                           "BEGIN { p = &curthread->pid; trace(p); }"),
    "a translator to an int": (
        'struct in { int i; };\ntranslator int < struct in *p > { };' + B, "declaration", "2:12",
        'struct in { int i; };\nstruct out { int o; };\ntranslator struct out < struct in *p > { o = p->i; };' + B),
    "a translator declared twice": (
        'struct in { int i; };\nstruct out { int o; };\ntranslator struct out < struct in *p > { o = p->i; };\ntranslator struct out < struct in *p > { o = p->i; };' + B, "declaration", "4:1",
        'struct in { int i; };\nstruct out { int o; };\nstruct out2 { int o; };\ntranslator struct out < struct in *p > { o = p->i; };\ntranslator struct out2 < struct in *p > { o = p->i; };' + B),
    "a clause-local declared an associative array": (
        'this int a[int];' + B, "declaration", "1:10",
        'self int a[int];' + B),
    "offsetof of an int": (
        'BEGIN { trace(offsetof(int, x)); }', "offsetof-member", "1:15",
        'struct s { int x; };\nBEGIN { trace(offsetof(struct s, x)); }'),
    "offsetof of a member the struct lacks": (
        'struct s { int x; };\nBEGIN { trace(offsetof(struct s, y)); }', "offsetof-member", "2:15",
        'struct s { int x; int y; };\nBEGIN { trace(offsetof(struct s, y)); }'),
    # division-by-zero
    "a division by a constant 0": ("BEGIN { c = 123/(7-7); trace(c); }", "division-by-zero", "1:18",
                                   "BEGIN { c = 123/(7-6); trace(c); }"),
    "a modulo of a variable by 0": ("BEGIN { c = arg0 % 0; trace(c); }", "division-by-zero", "1:20",
                                    "BEGIN { c = arg0 % 1; trace(c); }"),
    "/= 0": ("BEGIN { c = 1; c /= 0; trace(c); }", "division-by-zero", "1:21",
             "BEGIN { c = 1; c /= 1; trace(c); }"),
    "a division by 0 in a branch never taken": ("BEGIN { c = 1 ? 2 : 3 / 0; trace(c); }", "division-by-zero",
                                                "1:25", "BEGIN { c = 1 ? 2 : 0 / 3; trace(c); }"),
    "a division by 0 in an inline": ("inline int z = 1 / (2 - 2);" + B, "division-by-zero", "1:21",
                                     "inline int z = 1 / (2 - 1);" + B),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_flags_the_refused_case_at_its_place(name):
    assert_flagged_at_its_place(CASES, name)


def test_the_real_dtrace_refuses_each_case_and_accepts_its_variant():
    assert_dtrace_judges_both_ways(CASES)


# Every combination of type words here, judged: the facts refuse exactly those dtrace refuses.
_COMBINATIONS = [
    "char int", "double double", "short long", "long short", "long long long", "signed unsigned int",
    "unsigned signed", "unsigned long long int", "long long int", "unsigned", "signed", "short int",
    "long int", "long double", "unsigned char", "signed char", "int long", "long unsigned", "float",
    "unsigned float", "long float", "short char", "long char", "int int", "void int", "unsigned long long",
    "long int long", "long long long long int", "string int", "unsigned string", "signed short int",
    "long long double", "short double", "short float", "signed void", "unsigned void", "long void",
    "short string", "long string", "signed string", "long int double", "unsigned int char",
    "uint32_t int", "unsigned uint32_t", "long uint64_t", "short uint64_t", "struct s int",
    "unsigned struct s", "long enum e", "short enum e",
]
_MARK = {"uint32_t": "name", "uint64_t": "name", "s": None, "e": None}


def _marked(combination):
    return [_MARK.get(w, w) for w in combination.split() if _MARK.get(w, w)]


def test_type_specifier_facts_refuse_what_dtrace_refuses():
    prelude = "struct s { int a; };\nenum e { E0 };\n"
    verdicts = judge_scripts({c: {"text": f"{prelude}BEGIN {{ i = sizeof({c}); trace(i); }}\n"}
                              for c in _COMBINATIONS})
    wrong = []
    for combination in _COMBINATIONS:
        said, ours = verdicts[combination], type_specifier_problem(_marked(combination))
        if said is not None and "syntax error" not in said and ours is None:
            wrong.append(f"{combination}: dtrace {said}; the facts take it")
        if said is None and ours is not None:
            wrong.append(f"{combination}: dtrace takes it; the facts say {ours}")
    assert not wrong, "\n".join(wrong)


def test_defined_typedefs_are_ones_dtrace_refuses_to_typedef_again():
    """Each of DEFINED_TYPEDEFS is refused; others a session may know from one kernel's types
    (kthread_t on illumos) are left out, and a few dtrace takes are not in it."""
    names = sorted(DEFINED_TYPEDEFS | {"boolean_t", "kthread_t", "vnode_t", "off_t"})
    verdicts = judge_scripts({n: {"text": f"typedef int {n};{B}\n"} for n in names})
    wrong = [f"{n}: dtrace {verdicts[n] or 'accepts it'}, in the facts: {n in DEFINED_TYPEDEFS}" for n in names
             if (verdicts[n] is not None and "typedef redeclared" in verdicts[n]) != (n in DEFINED_TYPEDEFS)]
    assert not wrong, "\n".join(wrong)
    assert DEFINED_TYPEDEFS < STANDARD_TYPES


def test_a_file_without_a_clause_may_be_the_library_that_defines_the_names():
    """A D library (no probe clause) may be the one that defines EPERM, uint32_t or fds: those are
    not judged there; what it declares twice itself still is."""
    library = "typedef unsigned int uint32_t;\ninline int EPERM = 1;\ninline int fds = 1;\n"
    assert errors(library) == []
    assert [f.check for f in errors(library + "inline int EPERM = 2;\n")] == ["redeclared"]
    assert [f.check for f in errors(library + B)] == ["redeclared"] * 3
