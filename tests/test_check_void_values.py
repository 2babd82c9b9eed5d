"""A call that returns nothing (an action: ``printf``, ``trace``, ``exit`` ...; ``void`` in
``facts/functions.py``) given to printf as a value to print (session 9, gaps item 6): dtrace
refuses it ("printf( ) argument #2 is incompatible with conversion #1 prototype: ... argument:
void"); ``check`` passed it.  Now a ``printf-type`` error at the argument, in D files and, through
the same check, in tracers.
"""

from __future__ import annotations

import pytest

from dtracepy.checks import CheckOptions, check_program
from dtracepy.cli import main
from dtracepy.parser import parse
from real_dtrace import judge_scripts

# name -> (refused D, the argument flagged, a close variant dtrace takes)
CASES = {
    "printf of printf": ('BEGIN { printf("%d", printf("")); }', 'printf("")',
                         'BEGIN { printf("%d", strlen("")); }'),
    "the second argument": ('BEGIN { printf("%d %d", 1, trace(1)); }', "trace(1)",
                            'BEGIN { printf("%d %d", 1, 2); }'),
    "%s of exit": ('BEGIN { printf("%s", exit(0)); }', "exit(0)", 'BEGIN { printf("%s", execname); }'),
    "a * width": ('BEGIN { printf("%*d", printf(""), 1); }', 'printf("")', 'BEGIN { printf("%*d", 3, 1); }'),
}


def _flagged(text: str):
    return [f for f in check_program(parse(text, "x.d"), CheckOptions(), source=text) if f.severity == "error"]


@pytest.mark.parametrize("name", CASES)
def test_a_void_value_given_to_printf_is_an_error_at_its_argument(name):
    refused, argument, accepted = CASES[name]
    found = _flagged(refused)
    assert [f.check for f in found] == ["printf-type"], found
    assert found[0].pos.col == refused.index(argument) + 1
    assert "void" in found[0].message or "takes an integer" in found[0].message
    assert _flagged(accepted) == []


def test_the_real_dtrace_judges_them_so():
    jobs = {}
    for name, (refused, _, accepted) in CASES.items():
        jobs[name] = {"text": refused + "\n"}
        jobs[name + " (accepted)"] = {"text": accepted + "\n"}
    verdicts = judge_scripts(jobs)
    for name in CASES:
        assert verdicts[name] is not None and "void" in verdicts[name], (name, verdicts[name])
        assert verdicts[name + " (accepted)"] is None, (name, verdicts[name + " (accepted)"])


def test_check_says_it_at_line_and_column(tmp_path, capsys):
    path = tmp_path / "v.d"
    path.write_text('BEGIN\n{\n\tprintf("%d", printf(""));\n}\n')
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:3:15: error: printf(): argument 1 for '%d': printf() returns no value")
    assert "[printf-type]" in err
