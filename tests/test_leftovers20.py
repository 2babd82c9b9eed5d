"""Session 19's reviews' leftovers (/work/review19.md "Noticed and left alone" and "Left from my
fixes"), fixed in session 20 (helper leftovers20).

Each test fails on the code before its fix; where D is judged, the expectation is what Oracle's
dtrace 2.0 does with the same D (`dtrace -e`, recorded in a comment).
"""

from __future__ import annotations

import pytest


def _findings(text, check, dialect=None):
    from dtracepy.checks import CheckOptions, check_program
    from dtracepy.parser import parse

    options = CheckOptions(dialect=dialect, dialect_given=True) if dialect else CheckOptions()
    return [f for f in check_program(parse(text, "a.d"), options, source=text) if f.check == check]


# --- review19 R7's not-done: a value of the program's own struct as an aggregation key ---------

# Oracle's dtrace 2.0, `dtrace -e` of `struct foo { ... }; BEGIN { @[*(struct foo *)arg0] =
# count(); }`: SIGABRT, "dt_aggid_rec_add: Assertion `alignment > 0 && alignment <= 8 && ...'
# failed" when the struct's size as dtrace's CTF gives it (the end of its last member, no tail
# padding) is not 1, 2, 4 or 8; compiled otherwise.
_STRUCT_KEYS_CRASHING = ["int a; char b;", "char a[2]; char b;", "int *p; char c;", "short a; char b;",
                         "int a; char b; char c; char d;", "long a; long b;", "long a; int b; int c;"]
_STRUCT_KEYS_TAKEN = ["char a; short b;", "int a; int b;", "char a; int b;", "char a[4];",
                      "int a; short b; short c;"]


def _struct_key(members, kind="struct"):
    return f"{kind} foo {{ {members} }};\nBEGIN {{ @[*({kind} foo *)arg0] = count(); }}\n"


@pytest.mark.parametrize("members", _STRUCT_KEYS_CRASHING)
def test_a_program_struct_value_key_that_aborts_oracles_dtrace_is_an_error_for_oracle(members):
    found = _findings(_struct_key(members), "key-type", "oracle")
    assert [f.severity for f in found] == ["error"], found
    assert "struct foo" in found[0].message and "dt_aggid_rec_add" in found[0].message
    warned = _findings(_struct_key(members), "key-type")
    assert [f.severity for f in warned] == ["warning"], warned


@pytest.mark.parametrize("members", _STRUCT_KEYS_TAKEN)
def test_a_program_struct_value_key_dtrace_takes_is_not_judged(members):
    assert _findings(_struct_key(members), "key-type", "oracle") == []


def test_a_union_value_key_and_a_struct_defined_elsewhere_are_not_judged():
    # dtrace -e: `union foo { char a[3]; char b; }` as a key compiles; so does `struct foo { struct
    # bar y; char c; }` with `struct bar { char x[3]; }` defined before it (4 bytes).
    assert _findings(_struct_key("char a[3]; char b;", "union"), "key-type", "oracle") == []
    text = "struct bar { char x[3]; };\n" + _struct_key("struct bar y; char c;")
    assert _findings(text, "key-type", "oracle") == []
