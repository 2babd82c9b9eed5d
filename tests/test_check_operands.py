"""``dtracepy check`` on operands of a kind D refuses (dtracepy/checks/operands.py): a string
where an integer or a scalar is needed, a string compared with an integer, a variable given a
value of another kind than the type its declaration or first assignment gave it.

As in tests/test_check_rules.py: each case is a script the real dtrace refuses, where
``operand-type`` must say so (``line:col``), and a close variant it accepts, on which ``check``
reports no error; the real dtrace judges all of them both ways.
"""

from __future__ import annotations

import pytest

from test_check_rules import assert_dtrace_judges_both_ways, assert_flagged_at_its_place

# name -> (refused D, check, "line:col", accepted D)
CASES = {
    "a string operand of &": (
        'BEGIN { x = "a" & 1; trace(x); }', "operand-type", "1:13",
        'BEGIN { x = strlen("a") & 1; trace(x); }'),
    "a string operand of <<": (
        "BEGIN { x = execname << 2; trace(x); }", "operand-type", "1:13",
        "BEGIN { x = strlen(execname) << 2; trace(x); }"),
    "a string operand of &&": (
        'BEGIN /"char" && "foo"/ { exit(0); }', "operand-type", "1:8",
        'BEGIN /"char" == "foo"/ { exit(0); }'),
    "a string compared with an integer": (
        "BEGIN { x = execname == 1; trace(x); }", "operand-type", "1:25",
        "BEGIN { x = execname == 0; trace(x); }"),  # (0: a null pointer)
    "a string subtracted from an integer": (
        'BEGIN { x = 1 - "a"; trace(x); }', "operand-type", "1:17",
        'BEGIN { x = 1 - strlen("a"); trace(x); }'),
    "! of a string": (
        "BEGIN { x = !execname; trace(x); }", "operand-type", "1:14",
        "BEGIN { x = !strlen(execname); trace(x); }"),
    "a string as the condition of ?:": (
        "BEGIN { x = execname ? 1 : 2; trace(x); }", "operand-type", "1:13",
        'BEGIN { x = execname == "a" ? 1 : 2; trace(x); }'),
    "++ of a string variable": (
        'BEGIN { s = "a"; s++; }', "operand-type", "1:18",
        "BEGIN { s = 1; s++; }"),
    "a string assigned to an int variable": (
        'BEGIN { i = 1; i = "a"; }', "operand-type", "1:16",
        "BEGIN { i = 1; i = arg0; }"),
    "an int assigned to a string variable": (
        'BEGIN { s = "a"; s = 1; }', "operand-type", "1:18",
        'BEGIN { s = "a"; s = 0; }'),
    "a string assigned to a declared int": (
        'int x;\nBEGIN { x = "a"; }', "operand-type", "2:9",
        'string x;\nBEGIN { x = "a"; }'),
    "a string assigned to a clause-local declared without a type": (
        "this x;\nBEGIN { this->x = execname; }", "operand-type", "2:9",
        "this string x;\nBEGIN { this->x = execname; }"),
    "a thread-local typed in another clause": (
        'BEGIN { self->x = 1; }\nEND { self->x = "a"; }', "operand-type", "2:7",
        'BEGIN { self->x = 1; }\nEND { self->y = "a"; }'),
    "+= of a string to an int": (
        'BEGIN { a = 3; a += "foobar"; }', "operand-type", "1:16",
        "BEGIN { a = 3; a += 4; }"),
    "an associative array of ints given a string": (
        'BEGIN { a[1] = 1; a[2] = "a"; }', "operand-type", "1:19",
        'BEGIN { a[1] = 1; b[2] = "a"; }'),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_flags_the_refused_case_at_its_place(name):
    assert_flagged_at_its_place(CASES, name)


def test_the_real_dtrace_refuses_each_case_and_accepts_its_variant():
    assert_dtrace_judges_both_ways(CASES)
