"""``dtracepy check`` on operands of a kind D refuses (dtracepy/checks/operands.py): a string
where an integer or a scalar is needed, a string compared with an integer, a variable given a
value of another kind than the type its declaration or first assignment gave it; aggregations
where they are needed (aggregation-argument, printa-keys) and arrays used as what they are not
(array-use).

As in tests/test_check_rules.py: each case is a script the real dtrace refuses, where
``operand-type`` must say so (``line:col``), and a close variant it accepts, on which ``check``
reports no error; the real dtrace judges all of them both ways.
"""

from __future__ import annotations

import pytest

from test_check_rules import assert_dtrace_judges_both_ways, assert_flagged_at_its_place, errors

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
    "two strings added": (
        'BEGIN { trace(execname + "x"); }', "operand-type", "1:15",
        'BEGIN { trace(strjoin(execname, "x")); }'),
    "a string constant added to a string variable": (
        'BEGIN { s = "a"; trace(s + "b"); }', "operand-type", "1:24",
        'BEGIN { s = "a"; trace(s - "b"); }'),
    "an associative array of ints given a string": (
        'BEGIN { a[1] = 1; a[2] = "a"; }', "operand-type", "1:19",
        'BEGIN { a[1] = 1; b[2] = "a"; }'),
    "trunc of a variable": (
        'int i;\nBEGIN { trunc(i); }', "aggregation-argument", "2:15",
        'int i;\nBEGIN { @i = count(); trunc(@i); }'),
    "clear of a constant": (
        'BEGIN { clear(1); }', "aggregation-argument", "1:15",
        'BEGIN { @a[1] = count(); clear(@a); }'),
    "printa of aggregations with other numbers of keys": (
        'BEGIN { @a = count(); @b[1] = count(); printa(@a, @b); }', "printa-keys", "1:51",
        'BEGIN { @a[2] = count(); @b[1] = count(); printa(@a, @b); }'),
    "printa of aggregations with keys of other kinds": (
        'BEGIN { @a[1] = count(); @b["x"] = count(); printa("%d %@d %@d", @a, @b); }', "printa-keys", "1:70",
        'BEGIN { @a[pid] = count(); @b[1] = count(); printa("%d %@d %@d", @a, @b); }'),
    "a declared array given two keys": (
        'int x[5];\nBEGIN { x[1, 2] = 1; }', "array-use", "2:9",
        'BEGIN { x[1, 2] = 1; }'),
    "a declared array indexed beyond it": (
        'int a[5];\nBEGIN { trace(a[5]); }', "array-use", "2:17",
        'int a[5];\nBEGIN { trace(a[4]); }'),
    "a clause-local as an associative array": (
        'BEGIN { this->x[1] = 2; }', "array-use", "1:9",
        'BEGIN { this->p = (char *)alloca(4); this->p[0] = 1; }'),
    "an associative array named without a key": (
        'BEGIN { a[0] = 1; trace(sizeof(a)); }', "array-use", "1:32",
        'BEGIN { a[0] = 1; trace(sizeof(a[0])); }'),
    # session 11: ?: whose condition is no constant, given an integer and a string
    "an integer and a string as the branches of ?:": (
        'BEGIN { trace(pid ? 1 : "b"); }', "operand-type", "1:21",
        'BEGIN { trace(pid ? 0 : "b"); trace(1 ? 1 : "b"); x = 0 ? (pid ? 1 : "b") : 2; }'),
    "a string and an integer, the condition a variable": (
        'BEGIN { x = 1; trace(x ? execname : 2); }', "operand-type", "1:37",
        'inline int c = 1;\nBEGIN { x = 1; trace(c ? execname : 2); }'),
    "a string cast to an integer": (
        "BEGIN { x = (uint64_t)execname; trace(x); }", "operand-type", "1:13",
        "BEGIN { x = (string)execname; trace(x); (void)execname; y = (uint64_t)pid; trace(y); }"),
    "a string cast to a pointer": (
        'BEGIN { x = (const char *)"abc"; trace(x); }', "operand-type", "1:13",
        'BEGIN { x = (const char *)curthread->comm; trace(x); }'),
    "args without an index": (
        'syscall::read:entry { trace(args); }', "array-use", "1:29",
        'syscall::read:entry { trace(args[0]); }'),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_flags_the_refused_case_at_its_place(name):
    assert_flagged_at_its_place(CASES, name)


def test_the_real_dtrace_refuses_each_case_and_accepts_its_variant():
    assert_dtrace_judges_both_ways(CASES)


def test_the_address_one_past_a_declared_array_is_not_judged():
    """&a[5] of int a[5]: illumos' D takes it, as C does (Apple's tst.ArrayPointer1.d), Oracle's
    refuses it: not said; a[5] itself is refused by both."""
    assert errors("int a[5];\nBEGIN { p = &a[5]; }") == []
    assert [f.check for f in errors("int a[5];\nBEGIN { p = &a[6]; }")] == ["array-use"]
