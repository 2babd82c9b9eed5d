"""Session 12: cases where `check` passed what the real dtrace refuses (or refused what it takes).

Each case is D text, the dialect check is told (None: none given), and the rule check reports as
an error (None: no error).  The first test runs without dtrace; the second lets the real dtrace
(Oracle D 2.0) judge each case the same way round: refused where check reports an error,
accepted where it does not.
"""

import pytest

from dtracepy.checks import CheckOptions, check_program
from dtracepy.parser import parse
from real_dtrace import judge_scripts

CASES = {
    # sizeof of an expression is no constant to dtrace's parser, so ?: is not folded and its
    # branches are judged; sizeof of a type or a string constant folds, and is never 0
    "sizeof(expr) ?: void branch": ("BEGIN { y = 3; x = sizeof(y) ? trace(1) : 2; }", None, "void-value"),
    "sizeof(expr) ?: void else": ("BEGIN { y = 3; x = sizeof(y) ? 2 : trace(1); }", None, "void-value"),
    "sizeof(expr) + 1 ?: void": ("BEGIN { y = 1; x = (sizeof(y) + 1) ? trace(1) : 2; }", None, "void-value"),
    "sizeof(expr) ?: actions": ("BEGIN { sizeof(execname) ? trace(1) : trace(2); }", None, "void-value"),
    "sizeof(type) ?: taken void": ("BEGIN { x = sizeof(int) ? trace(1) : 2; }", None, "void-value"),
    'sizeof("s") ?: taken void': ('BEGIN { x = sizeof("abc") ? trace(1) : 2; }', None, "void-value"),
    "sizeof(type) ?: untaken void": ("BEGIN { x = sizeof(int) ? 2 : trace(1); trace(x); }", None, None),
    "sizeof(expr) ?: values": ("BEGIN { y = 3; x = sizeof(y) ? 1 : 2; trace(x); }", None, None),
    # lltostr: one argument in Oracle's D
    "lltostr, 1 argument": ("BEGIN { trace(lltostr(12)); }", "oracle", None),
    "lltostr with a base, Oracle": ("BEGIN { trace(lltostr(12, 16)); }", "oracle", "call-arity"),
    # print: Oracle's takes a pointer (void *) and prints what it points to
    "print of an integer": ("BEGIN { print(1); }", "oracle", "argument-type"),
    "print of pid": ("BEGIN { print(pid); }", "oracle", "argument-type"),
    "print of strlen()": ('BEGIN { print(strlen("a")); }', "oracle", "argument-type"),
    "print of a string": ("BEGIN { print(execname); }", "oracle", None),
    "print of a pointer": ("BEGIN { print(curthread); }", "oracle", None),
    # %A prints a user symbol: any integer or pointer only with -p/-c ($target)
    "%A of an integer": ('BEGIN { printf("%A\\n", 1); }', None, "printf-type"),
    "%A of a pointer": ('BEGIN { printf("%A\\n", curthread); }', None, "printf-type"),
    "%A of ucaller": ('BEGIN { printf("%A\\n", ucaller); }', None, "printf-type"),
    "%a of an integer": ('BEGIN { printf("%a\\n", 1); }', None, None),
    # a cast to an integer type is an integer; a pointer is no floating-point value
    "%s of (char)1": ('BEGIN { printf("%s\\n", (char)1); }', None, "printf-type"),
    "%S of (uint8_t)1": ('BEGIN { printf("%S\\n", (uint8_t)1); }', None, "printf-type"),
    "%e of curthread": ('BEGIN { printf("%e\\n", curthread); }', None, "printf-type"),
    "%d of (char)1": ('BEGIN { printf("%d\\n", (char)1); }', None, None),
    # %k prints a stack only
    "%k of an integer": ('BEGIN { printf("%k\\n", 1); }', None, "printf-type"),
    "%k of caller": ('BEGIN { printf("%k\\n", caller); }', None, "printf-type"),
    "printa %k of an integer key": ('BEGIN { @[1] = count(); printa("%k %@d\\n", @); }', None, "printf-type"),
    "printa %k of a stack key": ('BEGIN { @[stack()] = count(); printa("%k %@d\\n", @); }', None, None),
    "printa %k of a ustack key": ('BEGIN { @[ustack()] = count(); printa("%k %@d\\n", @); }', None, None),
    # an action with a value (stack(), func()) is a statement or an aggregation key only
    "printf of stack() %k": ('BEGIN { printf("%k\\n", stack()); }', None, "void-value"),
    "printf of stack() %d": ('BEGIN { printf("%d\\n", stack()); }', None, "void-value"),
    "printf of ustack()": ('BEGIN { printf("%k\\n", ustack()); }', None, "void-value"),
    "printf of func()": ('BEGIN { printf("%a\\n", func(0)); }', None, "void-value"),
    "printf of ufunc()": ('BEGIN { printf("%A\\n", ufunc(0)); }', None, "void-value"),
    "trace of stack()": ("BEGIN { trace(stack()); }", None, "void-value"),
    "trace of func()": ("BEGIN { trace(func(0)); }", None, "void-value"),
    "stack() assigned": ("BEGIN { x = stack(); }", None, "void-value"),
    "stack() as a statement": ("BEGIN { stack(); }", None, None),
    "stack() as a key": ("BEGIN { @[stack()] = count(); }", None, None),
    "func() as a key": ("BEGIN { @[func(0)] = count(); }", None, None),
    "two stacks as keys": ("BEGIN { @[ustack(), stack()] = count(); }", None, None),
    # printa of a symbol key: %a for a kernel symbol, %A for a user one (Oracle's D)
    "printa %a of func()": ('BEGIN { @[func(0)] = count(); printa("%a %@d\\n", @); }', "oracle", None),
    "printa %d of func()": ('BEGIN { @[func(0)] = count(); printa("%d %@d\\n", @); }', "oracle", "printf-type"),
    "printa %A of func()": ('BEGIN { @[func(0)] = count(); printa("%A %@d\\n", @); }', "oracle", "printf-type"),
    "printa %A of ufunc()": ('BEGIN { @[ufunc(0)] = count(); printa("%A %@d\\n", @); }', "oracle", None),
    "printa %a of uaddr()": ('BEGIN { @[uaddr(0)] = count(); printa("%a %@d\\n", @); }', "oracle", "printf-type"),
    "printa %x of mod()": ('BEGIN { @[mod(0)] = count(); printa("%x %@d\\n", @); }', "oracle", "printf-type"),
    "printa %p of usym()": ('BEGIN { @[usym(0)] = count(); printa("%p %@d\\n", @); }', "oracle", "printf-type"),
    # an aggregation's value is an integer, whatever its function
    "printa %@s of count()": ('BEGIN { @a = count(); printa("%@s\\n", @a); }', None, "printf-type"),
    "printa %@f of avg()": ('BEGIN { @a = avg(1); printa("%@f\\n", @a); }', None, "printf-type"),
    "printa %@k of quantize()": ('BEGIN { @a = quantize(1); printa("%@k\\n", @a); }', None, "printf-type"),
    "printa %@A of sum()": ('BEGIN { @a = sum(1); printa("%@A\\n", @a); }', None, "printf-type"),
    "printa %@a of stddev()": ('BEGIN { @a = stddev(1); printa("%@a\\n", @a); }', None, None),
    "printa %@p of quantize()": ('BEGIN { @a = quantize(1); printa("%@p\\n", @a); }', None, None),
    "printa %A of an integer key": ('BEGIN { @a[1] = count(); printa("%A %@d\\n", @a); }', None, "printf-type"),
    # an associative array takes one number of keys
    "array keys 1 then 2": ("BEGIN { a[1] = 1; a[1, 2] = 2; }", None, "key-type"),
    "thread-local array keys 2 then 1": ("BEGIN { self->a[1, 2] = 1; trace(self->a[1]); }", None, "key-type"),
    "array keys 2 and 2": ("BEGIN { a[1, 2] = 1; trace(a[3, 4]); }", None, None),
    # a pointer where D needs an integer
    "pointer * 1": ("BEGIN { x = curthread * 1; trace(x); }", None, "operand-type"),
    "pointer & 0": ("BEGIN { x = curthread & 0; trace(x); }", None, "operand-type"),
    "pointer << 1": ("BEGIN { x = (char *)arg0 << 1; trace(x); }", None, "operand-type"),
    "pointer + pointer": ("BEGIN { x = curthread + curthread; trace(x); }", None, "operand-type"),
    "pointer == 1": ("BEGIN { x = curthread == 1; trace(x); }", None, "operand-type"),
    "-pointer": ("BEGIN { x = -curthread; trace(x); }", None, "operand-type"),
    "~pointer": ("BEGIN { x = ~curpsinfo; trace(x); }", None, "operand-type"),
    "pointer + 1": ("BEGIN { x = curthread + 1; trace(x); }", None, None),
    "pointer - pointer": ("BEGIN { x = curthread - curthread; trace(x); }", None, None),
    "pointer == 0": ("BEGIN { x = curthread == 0; trace(x); }", None, None),
    "!pointer": ("BEGIN { x = !curthread; trace(x); }", None, None),
    "pointer cast & 1": ("BEGIN { x = (uintptr_t)curthread & 1; trace(x); }", None, None),
    # a translator's output struct is complete where the translator stands
    "translator to a struct defined below": (
        "translator struct s < int x > { a = x; };\nstruct s { int a; };\nBEGIN { exit(0); }", None, "declaration"),
    "translator to a struct defined above": (
        "struct s { int a; };\ntranslator struct s < int x > { a = x; };\nBEGIN { exit(0); }", None, None),
}


def _errors(text, dialect):
    options = CheckOptions(dialect=dialect, dialect_given=True) if dialect else CheckOptions()
    return [f for f in check_program(parse(text, "x.d"), options, source=text) if f.severity == "error"]


def assert_first_error(cases, name):
    """``cases[name]`` is (text, dialect, rule): check's first error is of that rule (None: none)."""
    text, dialect, rule = cases[name]
    found = _errors(text, dialect)
    assert [f.check for f in found][:1] == ([rule] if rule else []), (name, found)


def dtrace_disagreements(cases) -> dict:
    """The cases the real dtrace judges otherwise than their rule says (refused: a rule)."""
    verdicts = judge_scripts({name: {"text": text + "\n"} for name, (text, _, _) in cases.items()})
    return {name: verdicts[name] for name, (_, _, rule) in cases.items() if (verdicts[name] is None) != (rule is None)}


@pytest.mark.parametrize("name", CASES)
def test_check_judges_each_case(name):
    assert_first_error(CASES, name)


def test_the_real_dtrace_judges_them_the_same_way():
    assert dtrace_disagreements(CASES) == {}


def test_a_script_naming_target_may_print_an_integer_with_percent_A():
    """pid$target: dtrace runs with -p or -c, and %A then takes an integer (pfcheck_uaddr)."""
    text = 'pid$target::main:entry { printf("%A\\n", uregs[R_PC]); }\n'
    assert _errors(text, None) == []
    verdicts = judge_scripts({"target": {"text": text, "target": True, "flags": "Z"},
                              "int": {"text": 'BEGIN { printf("%A\\n", $target); }\n', "target": True}})
    assert verdicts == {"target": None, "int": None}


def test_a_translator_to_a_struct_the_script_never_defines_is_a_warning():
    """The kernel may define it (struct task_struct: dtrace takes it), which check cannot see."""
    text = "translator struct nosuch < int x > { a = x; };\nBEGIN { exit(0); }\n"
    found = check_program(parse(text, "x.d"), CheckOptions(), source=text)
    assert [(f.check, f.severity, f.pos.line, f.pos.col) for f in found] == [("declaration", "warning", 1, 12)]
    assert "incomplete struct/union/enum struct nosuch" in found[0].message


def test_the_messages_are_located(tmp_path, capsys):
    from dtracepy.cli import main

    path = tmp_path / "s.d"
    path.write_text('BEGIN\n{\n\tprintf("%k\\n", stack());\n}\n')
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:3:17: error: stack() is an action, which D takes only as a statement")
    assert err.rstrip().endswith("[void-value]")
