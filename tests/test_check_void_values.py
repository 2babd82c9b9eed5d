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
    "printf of printf": ('BEGIN { printf("%d", printf("a")); }', 'printf("a")',
                         'BEGIN { printf("%d", strlen("")); }'),
    "the second argument": ('BEGIN { printf("%d %d", 1, trace(1)); }', "trace(1)",
                            'BEGIN { printf("%d %d", 1, 2); }'),
    "%s of exit": ('BEGIN { printf("%s", exit(0)); }', "exit(0)", 'BEGIN { printf("%s", execname); }'),
    "a cast to void": ('BEGIN { printf("%d", (void)0); }', "(void)0", 'BEGIN { printf("%d", (int)0); }'),
    "a * width": ('BEGIN { printf("%*d", printf("a"), 1); }', 'printf("a")', 'BEGIN { printf("%*d", 3, 1); }'),
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
    path.write_text('BEGIN\n{\n\tprintf("%d", printf("a"));\n}\n')
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:3:15: error: printf(): argument 1 for '%d': printf() returns no value")
    assert "[printf-type]" in err


# A call that returns nothing used as any other value (session 10, part 1a): `check` passed
# `trace(printf(""))` and `x = printf("")`, which dtrace refuses ("trace( ) may not be applied to a
# void expression", "operands have incompatible types: "void" = "void"").  name -> (refused D,
# the call flagged, the words saying where it is).
VALUE_CASES = {
    "trace of printf": ('BEGIN { trace(printf("a")); }', 'printf("a")', "an argument of trace()"),
    "assigned": ('BEGIN { x = printf("a"); }', 'printf("a")', "assigned"),
    "assigned to a thread-local": ('BEGIN { self->x = exit(0); }', "exit(0)", "assigned"),
    "an operand": ('BEGIN { trace(1 + trace(2)); }', "trace(2)", "an operand of +"),
    "a key": ('BEGIN { @a[printf("a")] = count(); }', 'printf("a")', "a key"),
    "an aggregating function's argument": ('BEGIN { @a = sum(exit(0)); }', "exit(0)", "an argument of sum()"),
    "a predicate": ('BEGIN /printf("a")/ { trace(1); }', 'printf("a")', "a predicate"),
    "a cast": ('BEGIN { (void)printf("a"); }', 'printf("a")', "cast"),
    "a subroutine's argument": ('BEGIN { trace(strlen(printf("a"))); }', 'printf("a")', "an argument of strlen()"),
    "a void subroutine": ('BEGIN { x = bcopy(0, 0, 0); }', "bcopy(0, 0, 0)", "assigned"),
    "trace of a cast to void": ("BEGIN { trace((void)pid); }", "(void)pid", "an argument of trace()"),
    "assigned a cast to void": ("BEGIN { x = (void)0; }", "(void)0", "assigned"),
    "an inline": ('inline int y = printf("a");\nBEGIN { trace(y); }', 'printf("a")', "an inline's value"),
}
# what dtrace takes: a call as a statement, a ?: statement or a constant condition's untaken branch
VALUE_ACCEPTED = ['BEGIN { printf("a"); trace(1); exit(0); }', 'BEGIN { 1 ? printf("a") : printf("b"); }',
                  'BEGIN { x = 1 ? 2 : printf("a"); trace(x); }', 'BEGIN { (void)0; x = (void *)0; trace(x); }',
                  'BEGIN { x = strlen("a"); trace(x); }']


@pytest.mark.parametrize("name", VALUE_CASES)
def test_a_void_call_used_as_a_value_is_an_error_at_the_call(name):
    refused, call, where = VALUE_CASES[name]
    found = _flagged(refused)
    assert found and {f.check for f in found} == {"void-value"}, found  # (both of a, b: two)
    line = refused[:refused.index(call)].count("\n") + 1
    col = refused.index(call) - (refused.rfind("\n", 0, refused.index(call)) + 1) + 1
    assert (found[0].pos.line, found[0].pos.col) == (line, col)
    assert ("returns no value (void)" in found[0].message or "a cast to void has no value" in found[0].message)
    assert where in found[0].message, found[0].message


@pytest.mark.parametrize("text", VALUE_ACCEPTED)
def test_a_void_call_as_a_statement_is_not_flagged(text):
    assert _flagged(text) == []


def test_the_real_dtrace_refuses_the_void_values_and_takes_the_rest():
    jobs = {name: {"text": refused + "\n"} for name, (refused, _, _) in VALUE_CASES.items()}
    jobs.update({f"accepted {i}": {"text": text + "\n"} for i, text in enumerate(VALUE_ACCEPTED)})
    verdicts = judge_scripts(jobs)
    for name in VALUE_CASES:  # (of a void value, each in its words)
        assert verdicts[name] is not None and any(
            word in verdicts[name] for word in ("void", "actions", "scalar type", "D expression")), (name, verdicts[name])
    for i in range(len(VALUE_ACCEPTED)):
        assert verdicts[f"accepted {i}"] is None, (VALUE_ACCEPTED[i], verdicts[f"accepted {i}"])


@pytest.mark.parametrize("body, col", [('trace(printf(""));', 8), ('x = printf("");', 6)])
def test_check_cli_refuses_the_briefs_two(tmp_path, capsys, body, col):
    path = tmp_path / "v.d"
    path.write_text("BEGIN\n{\n\t" + body + "\n}\n")
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:3:{col}: error: printf() returns no value (void)" in err and "[void-value]" in err
    # (and the empty format, which dtrace refuses too: "printf( ) format string is empty")
    assert f"{path}:3:{col + 7}: error: printf(): the format string is empty" in err


EMPTY_FORMATS = ['BEGIN { printf(""); }', 'BEGIN { @a = count(); printa("", @a); }',
                 'BEGIN { system(""); }\n#pragma D option destructive\n']


@pytest.mark.parametrize("text", EMPTY_FORMATS)
def test_an_empty_format_is_an_error_at_it(text):
    found = _flagged(text)
    assert [f.check for f in found] == ["printf-format"], found
    assert found[0].pos.col == text.index('""') + 1 and "format string is empty" in found[0].message


def test_the_real_dtrace_refuses_empty_formats_but_freopens():
    accepted = 'BEGIN { freopen(""); printf("%s", ""); }\n#pragma D option destructive\n'
    assert _flagged(accepted) == []
    jobs = {text: {"text": text + "\n"} for text in EMPTY_FORMATS}
    jobs[accepted] = {"text": accepted + "\n"}
    verdicts = judge_scripts(jobs)
    for text in EMPTY_FORMATS:
        assert verdicts[text] is not None and "format string is empty" in verdicts[text], (text, verdicts[text])
    assert verdicts[accepted] is None, verdicts[accepted]


# ?: and the comma operator as dtrace 2.0 judges them (session 11): a constant condition is folded
# by dtrace's parser, so the branch not taken is never judged and the one taken stands where the ?:
# stood; otherwise a void branch needs a void other branch, no branch may be an action, and both
# void make the ?: void; no operand of a comma may be an action, and its value is its right
# operand's.  `check` took every ?: branch (`pid ? printf("a") : 2`) and refused `1, (void)0`.
# text -> (what is flagged, words of the message, dtrace's words)
FOLDED_REFUSED = {
    'BEGIN { x = pid ? printf("a") : 2; trace(x); }': ('printf("a")', "the other branch of this ?: has one",
                                                        "operands must have compatible types"),
    'BEGIN { pid ? 2 : (void)0; }': ("(void)0", "a cast to void has no value, and the other branch",
                                     "operands must have compatible types"),
    'BEGIN { x = 1 ? (pid ? 2 : printf("a")) : 3; trace(x); }': ('printf("a")', "the other branch",
                                                                  "operands must have compatible types"),
    'BEGIN { pid ? printf("a") : printf("b"); }': ('printf("a")', "is an action, which cannot be a branch of ?:",
                                                   "action cannot be used in a conditional context"),
    'BEGIN { pid ? exit(0) : (void)0; }': ("exit(0)", "is an action", "action cannot be used in a conditional context"),
    'BEGIN { @a[pid ? stack() : stack()] = count(); }': ("stack()", "stack() is an action",
                                                         "action cannot be used in a conditional context"),
    'BEGIN { x = 0 ? 2 : printf("a"); trace(x); }': ('printf("a")', "returns no value (void), so it cannot be assigned",
                                                     '"void" = "void"'),
    'BEGIN { x = !1 ? 2 : printf("a"); trace(x); }': ('printf("a")', "so it cannot be assigned", '"void" = "void"'),
    'BEGIN { x = 1 < 0 ? 2 : printf("a"); trace(x); }': ('printf("a")', "so it cannot be assigned", '"void" = "void"'),
    'BEGIN { x = (char)256 ? 2 : printf("a"); trace(x); }': ('printf("a")', "so it cannot be assigned",
                                                             '"void" = "void"'),
    'BEGIN { trace(1 ? printf("a") : 2); }': ('printf("a")', "an argument of trace()", "void expression"),
    'BEGIN { x = pid ? (void)0 : (void)1; }': ("pid ?", "this ?: expression has no value", '"void" = "void"'),
    'BEGIN /pid ? (void)0 : (void)1/ { trace(1); }': ("pid ?", "so it cannot be a predicate", "scalar type"),
    'BEGIN { printf("a"), trace(1); }': ('printf("a")', "is an action, which cannot be an operand of the comma operator",
                                         "operands cannot be actions"),
    'BEGIN { @a[(1, stack())] = count(); }': ("stack()", "operand of the comma operator", "operands cannot be actions"),
    'BEGIN { x = (1, (void)0); }': ("1, (void)0", "this comma expression has no value", '"void" = "void"'),
    'BEGIN { x = 1 / (char)256; }': ("(char)256", "is 0", "division by zero"),
    # an inline's value is folded in; a global the program assigns is no constant
    'inline int c = 0;\nBEGIN { x = c ? 2 : printf("a"); trace(x); }': ('printf("a")', "so it cannot be assigned",
                                                                        '"void" = "void"'),
    'BEGIN { x = 1; x ? printf("a") : 1; }': ('printf("a")', "the other branch", "operands must have compatible types"),
}
FOLDED_ACCEPTED = [
    'BEGIN { x = 1 ? 2 : printf("a"); trace(x); }', 'BEGIN { x = 1 == 1 ? 2 : printf("a"); trace(x); }',
    'BEGIN { x = !0 ? 2 : printf("a"); trace(x); }', 'BEGIN { x = (int)1 ? 2 : printf("a"); trace(x); }',
    'BEGIN { x = 0 ? (pid ? 2 : printf("a")) : 3; trace(x); }', 'BEGIN { x = 0 ? trace(printf("a")) : 1; trace(x); }',
    'BEGIN { pid ? (void)0 : (void)1; }', 'BEGIN { pid ? (void)0 : (0 ? 3 : (void)2); }',
    'BEGIN { @a[1 ? stack() : 2] = count(); }', 'BEGIN { 1, (void)0; }', 'BEGIN { (void)0, 1; }',
    'BEGIN { 1 ? printf("a") : 2; }', 'inline int c = 1;\nBEGIN { x = c ? 2 : printf("a"); trace(x); }',
]


@pytest.mark.parametrize("text", FOLDED_REFUSED)
def test_void_in_conditionals_and_commas_is_flagged_where_dtrace_refuses_it(text):
    flagged, words, _ = FOLDED_REFUSED[text]
    found = _flagged(text)
    assert len({f.check for f in found}) == 1, found
    line_start = text.rfind("\n", 0, text.index(flagged)) + 1
    assert found[0].pos.col == text.index(flagged) - line_start + 1, found
    assert words in found[0].message, found[0].message


@pytest.mark.parametrize("text", FOLDED_ACCEPTED)
def test_void_in_conditionals_and_commas_dtrace_takes_is_not_flagged(text):
    assert _flagged(text) == []


def test_the_real_dtrace_judges_conditionals_and_commas_so():
    jobs = {text: {"text": text + "\n"} for text in [*FOLDED_REFUSED, *FOLDED_ACCEPTED]}
    verdicts = judge_scripts(jobs)
    for text, (_, _, said) in FOLDED_REFUSED.items():
        assert verdicts[text] is not None and said in verdicts[text], (text, verdicts[text])
    for text in FOLDED_ACCEPTED:
        assert verdicts[text] is None, (text, verdicts[text])
