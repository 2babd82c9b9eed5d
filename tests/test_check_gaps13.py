"""Session 13: cases where `check` passed what the real dtrace refuses (or crashes on).

Each case is D text, the dialect check is told (None: none given), and the rule check reports as
an error (None: no error).  The first test runs without dtrace; the second lets the real dtrace
(Oracle D 2.0) judge each case the same way round: refused where check reports an error,
accepted where it does not.
"""

import io
import subprocess

import pytest

from dtracepy.checks import CheckOptions, check_program
from dtracepy.parser import parse
from real_dtrace import judge_scripts
from test_check_gaps12 import _errors

CASES = {
    # sizeof of an expression is no constant to dtrace's parser: not an array's dimension
    "int a[sizeof(y)]": ("int y;\nint a[sizeof(y)];\nBEGIN { exit(0); }", None, "declaration"),
    "int a[sizeof(1)]": ("int a[sizeof(1)];\nBEGIN { exit(0); }", None, "declaration"),
    "this int a[sizeof(y)]": ("int y;\nthis int a[sizeof(y)];\nBEGIN { exit(0); }", None, "declaration"),
    "int a[sizeof(int)]": ("int a[sizeof(int)];\nBEGIN { exit(0); }", None, None),
    "int a[sizeof(int) + 1]": ("int a[sizeof(int) + 1];\nBEGIN { exit(0); }", None, None),
    'int a[sizeof("abc")]': ('int a[sizeof("abc")];\nBEGIN { exit(0); }', None, None),
    # a char array member printed as a number
    "%d of curpsinfo->pr_fname": ('BEGIN { printf("%d\\n", curpsinfo->pr_fname); }', "oracle", "printf-type"),
    "%u of curthread->comm": ('BEGIN { printf("%u\\n", curthread->comm); }', "oracle", "printf-type"),
    "%c of curpsinfo->pr_fname": ('BEGIN { printf("%c\\n", curpsinfo->pr_fname); }', "oracle", "printf-type"),
    "%f of curpsinfo->pr_fname": ('BEGIN { printf("%f\\n", curpsinfo->pr_fname); }', "oracle", "printf-type"),
    "%d of a program's struct member": (
        'struct s { char c[8]; int x; };\nstruct s v;\nBEGIN { printf("%d\\n", v.c); }', None, "printf-type"),
    "%d of a program's struct member, ->": (
        'struct s { char c[8]; int x; };\nstruct s *p;\nBEGIN { printf("%d\\n", p->c); }', None, "printf-type"),
    "%d of a program's int member": (
        'struct s { char c[8]; int x; };\nstruct s v;\nBEGIN { printf("%d\\n", v.x); }', None, None),
    "%s of curpsinfo->pr_fname": ('BEGIN { printf("%s\\n", curpsinfo->pr_fname); }', "oracle", None),
    "%p of curpsinfo->pr_fname": ('BEGIN { printf("%p\\n", curpsinfo->pr_fname); }', "oracle", None),
    "%a of curthread->comm": ('BEGIN { printf("%a\\n", curthread->comm); }', "oracle", None),
    # a variable typed as an integer given a pointer, and the other way round
    "int g; g = curthread": ("int g;\nBEGIN { g = curthread; }", None, "operand-type"),
    "int g; g = (char *)0": ("int g;\nBEGIN { g = (char *)0; }", None, "operand-type"),
    "long g; g = curthread": ("long g;\nBEGIN { g = curthread; }", None, "operand-type"),
    "g = 1 then g = curthread": ("BEGIN { g = 1; } BEGIN { g = curthread; }", None, "operand-type"),
    "x = 0 then x = curthread": ("BEGIN { x = 0; x = curthread; }", None, "operand-type"),
    "self->p = 0 then a pointer": ("BEGIN { self->p = 0; } BEGIN { self->p = curthread; }", None, "operand-type"),
    "this->p = 0 then a pointer": ("BEGIN { this->p = 0; this->p = (char *)arg0; }", None, "operand-type"),
    "a[1] = 1 then a pointer": ("BEGIN { a[1] = 1; a[2] = curthread; }", None, "operand-type"),
    "g = curthread then g = 1": ("BEGIN { g = curthread; } BEGIN { g = 1; }", None, "operand-type"),
    "int *g; g = 1": ("int *g;\nBEGIN { g = 1; }", None, "operand-type"),
    "int *g; g = 0": ("int *g;\nBEGIN { g = 0; }", None, None),
    "g = curthread then g = 0": ("BEGIN { g = curthread; g = 0; }", None, None),
    "int g; g = (int)curthread": ("int g;\nBEGIN { g = 0; g = (int)curthread; }", None, None),
    # a pointer beside an integer as ?:'s branches
    "arg0 ? curthread : 1": ("BEGIN { x = arg0 ? curthread : 1; trace(x); }", None, "operand-type"),
    "arg0 ? curthread : arg1": ("BEGIN { x = arg0 ? curthread : arg1; trace(x); }", None, "operand-type"),
    "arg0 ? curthread : 1L": ("BEGIN { x = arg0 ? curthread : 1L; trace(x); }", None, "operand-type"),
    "arg0 ? curthread : 0": ("BEGIN { x = arg0 ? curthread : 0; trace(x); }", None, None),
    "arg0 ? 0x0 : curthread": ("BEGIN { x = arg0 ? 0x0 : curthread; trace(x); }", None, None),
    "1 ? curthread : 1 (folded)": ("BEGIN { x = 1 ? curthread : 1; trace(x); }", None, None),
    "0 ? curthread : 1 (folded)": ("BEGIN { x = 0 ? curthread : 1; trace(x); }", None, None),
    "arg0 ? curthread : (void *)0": ("BEGIN { x = arg0 ? curthread : (void *)0; trace(x); }", None, None),
    # print() of what a pointer points to (Oracle's print takes a pointer)
    "print(*curthread)": ("BEGIN { print(*curthread); }", "oracle", "argument-type"),
    "print(*curpsinfo)": ("BEGIN { print(*curpsinfo); }", "oracle", "argument-type"),
    "print(*(int *)0)": ("BEGIN { print(*(int *)0); }", "oracle", "argument-type"),
    "print(*(int **)0)": ("BEGIN { print(*(int **)0); }", "oracle", None),
    "print(curthread)": ("BEGIN { print(curthread); }", "oracle", None),
    # a format is read up to its first NUL
    'printf("%d\\0%d\\n", 1, 2)': ('BEGIN { printf("%d\\0%d\\n", 1, 2); }', None, "printf-args"),
    'printf("%d\\x00%d\\n", 1, 2)': ('BEGIN { printf("%d\\x00%d\\n", 1, 2); }', None, "printf-args"),
    'printf("%d\\000%d\\n", 1, 2)': ('BEGIN { printf("%d\\000%d\\n", 1, 2); }', None, "printf-args"),
    'printf("\\0%d", 1)': ('BEGIN { printf("\\0%d", 1); }', None, "printf-format"),
    'printf("%d\\0\\n", 1)': ('BEGIN { printf("%d\\0\\n", 1); }', None, None),
    'printf("%s\\0%d", "x")': ('BEGIN { printf("%s\\0%d\\n", "x"); }', None, None),
    'printa("%d\\0 %@d", @a)': ('BEGIN { @a[1] = count(); printa("%d\\0 %@d\\n", @a); }', None, None),
    # an option's number past 64 bits
    "bufsize=2**64": ("#pragma D option bufsize=18446744073709551616\nBEGIN { exit(0); }", None, "pragma"),
    "bufsize=2**64-1": ("#pragma D option bufsize=18446744073709551615\nBEGIN { exit(0); }", None, None),
    "bufsize=0x1ffffffffffffffff": ("#pragma D option bufsize=0x1ffffffffffffffff\nBEGIN { exit(0); }", None,
                                    "pragma"),
    "bufsize=2**64-1 k (the product wraps)": (
        "#pragma D option bufsize=18446744073709551615k\nBEGIN { exit(0); }", None, None),
    "nspec=10**23": ("#pragma D option nspec=99999999999999999999999\nBEGIN { exit(0); }", None, "pragma"),
    "quiet=10**23": ("#pragma D option quiet=99999999999999999999999\nBEGIN { exit(0); }", None, "pragma"),
    "switchrate=2**64 (a rate: taken)": (
        "#pragma D option switchrate=18446744073709551616\nBEGIN { exit(0); }", None, None),
}


def _findings(text, dialect=None):
    options = CheckOptions(dialect=dialect, dialect_given=True) if dialect else CheckOptions()
    return check_program(parse(text, "x.d"), options, source=text)


@pytest.mark.parametrize("name", CASES)
def test_check_judges_each_case(name):
    text, dialect, rule = CASES[name]
    found = _errors(text, dialect)
    assert [f.check for f in found][:1] == ([rule] if rule else []), (name, found)


def test_the_real_dtrace_judges_them_the_same_way():
    verdicts = judge_scripts({name: {"text": text + "\n"} for name, (text, _, _) in CASES.items()})
    wrong = {name: verdicts[name] for name, (_, _, rule) in CASES.items() if (verdicts[name] is None) != (rule is None)}
    assert wrong == {}


def test_the_messages_are_located(tmp_path, capsys):
    from dtracepy.cli import main

    path = tmp_path / "s.d"
    path.write_text('int y;\nint a[sizeof(y)];\nBEGIN\n{\n\tprintf("%d\\0%d\\n", 1, 2);\n\tx = arg0 ? curthread : 1;\n}\n')
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{path}:2:7: error: array a's dimension takes sizeof of an expression")
    assert err[1].startswith(f"{path}:5:21: error: printf(): too many arguments")
    assert "dtrace reads a format up to its first \\0" in err[1]
    assert err[2].startswith(f"{path}:6:25: error: the branches of this ?: are a pointer and an integer")


# --- #pragma D attributes ... provider: Oracle's dtrace crashes ---------------------------------
CRASHING = ["#pragma D attributes Evolving/Evolving/Common provider x",
            "#pragma D attributes Evolving/Evolving/Common provider syscall",
            "#pragma D attributes Evolving provider x",
            "#pragma D attributes Evolving/Evolving/Common provider"]
NOT_CRASHING = ["#pragma D attributes Evolving/Evolving/Common provider x args",
                "#pragma D attributes Evolving/Evolving/Common x"]


@pytest.mark.parametrize("line", CRASHING)
def test_a_crashing_attributes_pragma_is_reported(line):
    text = line + "\nBEGIN { exit(0); }\n"
    by_dialect = {d: [(f.check, f.severity, f.pos.line) for f in _findings(text, d) if f.check == "pragma"]
                  for d in (None, "oracle", "illumos")}
    assert by_dialect == {None: [("pragma", "warning", 1)], "oracle": [("pragma", "error", 1)], "illumos": []}
    assert "crashes Oracle's dtrace" in _findings(text, "oracle")[0].message


@pytest.mark.parametrize("line", NOT_CRASHING)
def test_other_attributes_pragmas_are_not_called_crashes(line):
    text = line + "\nBEGIN { exit(0); }\n"
    assert [f for f in _findings(text, "oracle") if "crashes" in f.message] == []


def test_the_real_dtrace_crashes_on_them(tmp_path):
    from real_dtrace import need_dtrace, need_root

    need_dtrace()
    need_root()
    codes = {}
    for i, line in enumerate(CRASHING + NOT_CRASHING):
        path = tmp_path / f"p{i}.d"
        path.write_text(line + "\nBEGIN { exit(0); }\n")
        codes[line] = subprocess.run(["dtrace", "-e", "-s", str(path)], capture_output=True, timeout=120).returncode
    assert {line: codes[line] in (139, -11) for line in codes} == {line: line in CRASHING for line in codes}, codes


def test_the_dsl_refuses_them_for_oracle_and_options_past_64_bits():
    from dtracepy.dsl import Tracer
    from dtracepy.errors import DSLError

    with pytest.raises(DSLError, match="crashes Oracle's dtrace"):
        Tracer(dialect="oracle").pragma("D", "attributes", "Evolving/Evolving/Common", "provider", "x")
    Tracer(dialect="illumos").pragma("D", "attributes", "Evolving/Evolving/Common", "provider", "x")
    for make in (lambda: Tracer(options={"bufsize": "18446744073709551616"}),
                 lambda: Tracer().option("nspec", "0x10000000000000000"),
                 lambda: Tracer().pragma("D", "option", "bufsize=99999999999999999999999")):
        with pytest.raises(DSLError, match="does not fit in 64 bits"):
            make()
    Tracer(options={"bufsize": "18446744073709551615"})


# --- strlen() then an aggregation, in Oracle's D 2.0 ---------------------------------------------
LONG = '"abcdefghijklmnopqrstuvwxyz"'
STRLEN_CASES = {
    "strlen then count": (f"BEGIN {{ this->n = strlen({LONG}); @c = count(); exit(0); }}", True),
    "strlen in a key": (f"BEGIN {{ @c[strlen({LONG})] = count(); exit(0); }}", True),
    "strlen of a variable": ("BEGIN { s = execname; } BEGIN { x = strlen(s); @c = count(); exit(0); }", True),
    "count then strlen": (f"BEGIN {{ @c = count(); x = strlen({LONG}); exit(0); }}", False),
    "17 bytes": ('BEGIN { x = strlen("abcdefghijklmnopq"); @c = count(); exit(0); }', False),
    "execname": ("BEGIN { x = strlen(execname); @c = count(); exit(0); }", False),
    "sum(strlen())": (f"BEGIN {{ @c = sum(strlen({LONG})); exit(0); }}", False),
}


@pytest.mark.parametrize("name", STRLEN_CASES)
def test_strlen_then_an_aggregation_is_a_warning_in_oracle(name):
    text, warned = STRLEN_CASES[name]
    found = [f for f in _findings(text, "oracle") if f.check == "strlen-aggregation"]
    assert [f.severity for f in found] == (["warning"] if warned else []), found
    assert [f for f in _findings(text, "illumos") if f.check == "strlen-aggregation"] == []
    assert [f for f in _findings(text) if f.check == "strlen-aggregation"] == []


def test_strlen_really_corrupts_the_aggregations_after_it(tmp_path):
    """The warning's facts, measured with `dtrace -s`: a count() of 1 after a strlen() of 26 bytes
    held 8752877226454971251; 17 bytes, or a count() before the strlen(), held 1."""
    from real_dtrace import need_dtrace, need_root

    need_dtrace()
    need_root()

    def run(body):
        path = tmp_path / "s.d"
        path.write_text("#pragma D option quiet\nBEGIN { " + body + " exit(0); }\n")
        out = subprocess.run(["dtrace", "-s", str(path)], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout.split()

    assert run(f"x = strlen({LONG}); @c = count();") != ["1"]
    assert run('x = strlen("abcdefghijklmnopq"); @c = count();') == ["1"]
    assert run(f"@c = count(); x = strlen({LONG});") == ["1"]


def test_the_strlen_warning_is_located(tmp_path, capsys):
    from dtracepy.cli import main

    path = tmp_path / "s.d"
    path.write_text(f"BEGIN\n{{\n\tthis->n = strlen({LONG});\n\t@c = count();\n}}\n")
    assert main(["check", "--dialect", "oracle", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:3:12: warning: Oracle DTrace for Linux (D 2.0): strlen() of a string of 18 "
                          "bytes or more corrupts every aggregation updated after it (@c here")


# --- layout: a header that includes itself -------------------------------------------------------
def test_layout_of_a_header_that_includes_itself(tmp_path):
    from dtracepy.errors import LayoutError
    from dtracepy.layout import parse_layouts

    (tmp_path / "self.h").write_text('struct t { int x; };\n#include "self.h"\nstruct s { int a; };\n')
    with pytest.raises(LayoutError) as info:
        parse_layouts(str(tmp_path / "self.h"))
    assert "includes itself" in str(info.value)
    assert (info.value.pos.line, info.value.pos.col) == (2, 1)
    (tmp_path / "a.h").write_text('#include "b.h"\nstruct s { int a; };\n')
    (tmp_path / "b.h").write_text('\n#include "a.h"\n')
    with pytest.raises(LayoutError) as info:
        parse_layouts(str(tmp_path / "a.h"))
    assert f"{tmp_path / 'a.h'} includes itself (through {tmp_path / 'b.h'})" in str(info.value)
    assert (info.value.pos.file.endswith("b.h"), info.value.pos.line) == (True, 2)
    (tmp_path / "guard.h").write_text('#ifndef G\n#define G\n#include "guard.h"\nstruct s { int a; };\n#endif\n')
    assert parse_layouts(str(tmp_path / "guard.h"))


# --- CSV: a cell a spreadsheet would run as a formula --------------------------------------------
def test_csv_cells_that_start_a_formula_are_neutralised():
    import csv

    from dtracepy.run.aggregations import Aggregation
    from dtracepy.run.decode import Printed
    from dtracepy.run.output import csv_text, writer

    nasty = ["=cmd|' /C calc'!A0", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx", "'quoted"]
    assert [csv_text(s) for s in nasty] == ["'" + s for s in nasty]
    assert [csv_text(s) for s in ("plain", "a=b", "", "1-2")] == ["plain", "a=b", "", "1-2"]
    out = io.StringIO()
    w = writer("csv", out, io.StringIO())
    w.event(Printed({"c": Aggregation("c", "count", {("=1+1", -5): 3, ("ok", 2): -1})}, None))
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["aggregation", "key1", "key2", "value"], ["c", "'=1+1", "-5", "3"], ["c", "ok", "2", "-1"]]
