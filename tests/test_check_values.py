"""Mistakes ``check`` passed and every D compiler refuses (review 7, item 7): a format that is a
value, not a string constant (``printf(execname)``: printf-format); a function named without a
call (``@a = count;``: function-value); the keys of one aggregation or associative array of two
kinds (``@a[execname]`` and ``@a[pid]``; ``a[1]`` and ``a["x"]``: key-type); a floating-point
conversion given an integer (``printf("%5.2f", 1)``: printf-type; D has no floating-point
values).  Each case is refused by the real dtrace and flagged where it stands, and a close variant
is accepted by it and not flagged: the real dtrace judges both ways.
"""

from __future__ import annotations

import pytest

from dtracepy.checks import CheckOptions, check_program
from dtracepy.parser import parse
from real_dtrace import job_for_d, judge_scripts

# name -> (refused D, check, "line:col", accepted D)
CASES = {
    "a built-in string as the format": (
        "BEGIN { printf(execname); }", "printf-format", "1:16",
        'BEGIN { printf("%s", execname); }'),
    "a variable as the format": (
        'BEGIN { x = "a"; printf(x); }', "printf-format", "1:25",
        'BEGIN { printf(1 ? "a" : "b"); }'),
    "an inline as the format": (
        'inline string f = "%d\\n";\nBEGIN { printf(f, 1); }', "printf-format", "2:16",
        'inline string f = "%d\\n";\nBEGIN { printf("%s %d\\n", f, 1); }'),
    "a string function's result as the format": (
        'BEGIN { printf(strjoin("a", "b")); }', "printf-format", "1:16",
        'BEGIN { printf("%s", strjoin("a", "b")); }'),
    "an aggregating function without its call": (
        "BEGIN { @a = count; }", "function-value", "1:14",
        "BEGIN { @a = count(); }"),
    "an action as a value": (
        "BEGIN { trace(exit); }", "function-value", "1:15",
        "BEGIN { trace(1); exit(0); }"),
    "a subroutine as a value": (
        "BEGIN { x = strlen; }", "function-value", "1:13",
        'BEGIN { x = strlen("a"); }'),
    "a function's name assigned": (
        "BEGIN { count = 1; }", "function-value", "1:9",
        "BEGIN { counts = 1; }"),
    "aggregation keys of two kinds": (
        "BEGIN { @a[execname] = count(); @a[pid] = count(); }", "key-type", "1:36",
        "BEGIN { @a[pid] = count(); @a[tid] = count(); }"),
    "aggregation keys of two kinds in two clauses": (
        "BEGIN { @a[execname] = count(); }\ntick-1s { @a[1] = count(); }", "key-type", "2:14",
        "BEGIN { @a[execname] = count(); }\ntick-1s { @a[probefunc] = count(); }"),
    "the second key of two kinds": (
        "BEGIN { @a[pid, execname] = sum(1); @a[tid, 2] = sum(2); }", "key-type", "1:45",
        "BEGIN { @a[pid, execname] = sum(1); @a[tid, probename] = sum(2); }"),
    "associative array keys of two kinds": (
        'BEGIN { a[1] = 2; a["x"] = 3; }', "key-type", "1:21",
        "BEGIN { a[1] = 2; a[pid] = 3; }"),
    "an associative array read with a key of another kind": (
        'BEGIN { a["x"] = 1; trace(a[1]); }', "key-type", "1:29",
        'BEGIN { a["x"] = 1; trace(a[execname]); }'),
    "thread-local array keys of two kinds": (
        'BEGIN { self->a["x"] = 1; self->a[1] = 0; }', "key-type", "1:35",
        'BEGIN { self->a["x"] = 1; self->a["y"] = 0; }'),
    "%f given an integer": (
        'BEGIN { printf("%5.2f\\n", 1); }', "printf-type", "1:27",
        'BEGIN { printf("%5.2d\\n", 1); }'),
    "%g given a built-in integer": (
        'BEGIN { printf("%g\\n", pid); }', "printf-type", "1:24",
        'BEGIN { printf("%a\\n", pid); }'),
}


def errors(text: str, **options) -> list:
    return [f for f in check_program(parse(text, "x.d"), CheckOptions(**options), source=text)
            if f.severity == "error"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_flags_the_refused_case_at_its_place(name):
    bad, check, place, good = CASES[name]
    for options in ({}, {"dialect": "oracle", "dialect_given": True}):
        found = [(f.check, f"{f.pos.line}:{f.pos.col}") for f in errors(bad, **options)]
        assert (check, place) in found, (name, options, found)
        assert errors(good, **options) == [], (name, options)


def test_the_real_dtrace_refuses_each_case_and_accepts_its_variant():
    jobs = {}
    for name, (bad, _check, _place, good) in CASES.items():
        jobs[f"refused: {name}"] = job_for_d(bad)
        jobs[f"accepted: {name}"] = job_for_d(good)
    verdicts = judge_scripts(jobs)
    assert [n for n in CASES if verdicts[f"refused: {n}"] is None] == [], verdicts
    assert {n: verdicts[f"accepted: {n}"] for n in CASES if verdicts[f"accepted: {n}"] is not None} == {}
