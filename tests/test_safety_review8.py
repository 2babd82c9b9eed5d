"""The holes review 8 found in issue 8 ("no Python value becomes D it did not mean"), each closed
and pinned: the null directive, the #define expansion that gave up silently, the values of the
destructive option, dunder names read on D values, and check directives in the header comment."""

from __future__ import annotations

import os

import pytest

from dtracepy import Tracer, exit_, stmt, call, trace
from dtracepy import tree as T
from dtracepy.checks import check_program
from dtracepy.errors import DSLError, DSyntaxError
from dtracepy.parser import parse
from dtracepy.printer import to_d

HERE = os.path.basename(__file__)


def located_here(excinfo) -> None:
    pos = excinfo.value.pos
    assert pos is not None and os.path.basename(pos.file) == HERE and pos.col is None, excinfo.value


# --- 1. the null directive holds a line marker, a late #! line or nothing --------------------------

SMUGGLED = ["pragma D option destructive", "define trace system", 'include "evil.h"', "include}",
            "BEGIN", "system", "option", "pragma##=:_", " 12", "12 f", '12 "f" x', "12 \"f\" 1 \\"]


@pytest.mark.parametrize("text", SMUGGLED)
def test_a_null_directive_refuses_what_would_print_as_another_directive(text):
    t = Tracer()
    with pytest.raises(DSLError, match="null directive|line marker|backslash") as excinfo:
        t.directive("", text)
    located_here(excinfo)
    with pytest.raises(DSLError) as excinfo:
        T.Directive("", text)  # the tree's own error, at the caller's line
    located_here(excinfo)


@pytest.mark.parametrize("text", ["", "12", '12 "file"', '12 "f.d" 1 3 4', '1\t"a\\"b.d"', "!/usr/sbin/dtrace -Fs"])
def test_a_null_directive_still_holds_a_line_marker_or_a_late_shebang(text):
    t = Tracer()
    t.directive("", text)
    assert to_d(T.Directive("", text)) == ("# " + text if text and text[0] != "!" else "#" + text)


@pytest.mark.parametrize("name", sorted(T.DIRECTIVES))
def test_no_directive_prints_as_a_pragma_the_checks_would_not_see(name):
    """The destructive and option checks read Pragma nodes: no other directive may print as one."""
    for text in ("pragma D option destructive", "\\\npragma D option destructive", " pragma D option destructive",
                 "x \\\n#pragma D option destructive", "!x \\\n#pragma D option destructive"):
        try:
            node = T.Directive(name, text)
        except DSLError:
            continue
        printed = to_d(T.Program((T.Comment(" c "), node, T.Clause((T.ProbeDesc("BEGIN"),), None, ()))))
        assert not [item for item in parse(printed, "x.d").items if isinstance(item, T.Pragma)], printed
        assert "\n#pragma" not in printed.replace("\\\n#pragma", ""), printed


def test_the_printer_refuses_a_null_directive_mutated_after_it_was_built():
    node = T.Directive("", "12")
    object.__setattr__(node, "text", "pragma D option destructive")
    with pytest.raises(DSLError, match="null directive"):
        to_d(T.Program((node,)))


def test_lines_dtrace_reads_without_cpp_do_not_continue_at_a_backslash():
    """dtrace (without -C) skips `#!x \\` below the first line and reads the next line, a
    `#pragma D option destructive`, as one of its own (judged: it ran system()); dtracepy read the
    two lines as one directive and saw neither the pragma nor a clause there."""
    for text in ('/* c */\n#!x \\\n#pragma D option destructive\nBEGIN { system("id"); }\n',
                 '#ident "x" \\\nBEGIN { system("id"); }\n', '# 12 "f.d" \\\nBEGIN { system("id"); }\n'):
        with pytest.raises(DSyntaxError, match="continued"):
            parse(text, "x.d")
    with pytest.raises(DSLError):
        Tracer().directive("ident", 'x \\\nBEGIN { system("id"); }')
    assert to_d(T.Directive("define", "X \\\n\t1")) == "#define X \\\n\t1"  # cpp's lines still do


def test_the_reviewers_null_directive_tracer_is_refused(tmp_path):
    """Review 8, finding 1 (h10.py): compile, compile --check and check all exited 0, and
    dtrace -C ran system()."""
    t = Tracer()
    with pytest.raises(DSLError) as excinfo:
        t.directive("", "pragma D option destructive")
    located_here(excinfo)
    assert t.items == []


# --- 5. the header comment cannot hold a check directive -----------------------------------------


@pytest.mark.parametrize("where", ["description", "name"])
def test_a_check_directive_in_the_header_comment_is_neutralised(where):
    t = Tracer(**{where: "dtracepy: disable[destructive] dtracepy:ignore"})

    @t.probe("BEGIN")
    def _():
        exit_(0)

    text = t.compile().text
    assert "dtracepy:" not in text.split("*/")[0] and "disable[destructive]" in text
    text += 'BEGIN\n{\n\tsystem("id");\n}\n'
    assert [f.check for f in check_program(parse(text, "dd.d"), source=text)].count("destructive") == 1


def test_a_check_directive_in_the_tracer_path_is_neutralised_where_the_d_names_it(tmp_path):
    """The comment over an if/else lowered for Oracle D names the tracer's file."""
    from dtracepy.commands.compile_cmd import compile_path

    folder = tmp_path / "dtracepy:disable[destructive]"
    folder.mkdir()
    path = folder / "lw.py"
    path.write_text("from dtracepy import *\nt = Tracer(dialect='oracle')\n@t.probe('BEGIN')\ndef b():\n"
                    "    with if_(arg0 == 0):\n        trace(1)\n    with else_():\n        trace(2)\n")
    text = compile_path(str(path)).text
    assert "has no if/else" in text and "disable[destructive]" in text and "dtracepy:disable" not in text


# --- 3. the destructive option's values, as dtrace reads them ------------------------------------

# value -> does dtrace allow destructive actions (judged live below)
DESTRUCTIVE_VALUES = {None: True, "0": True, "1": True, "yes": True, "On": True, "no": False,
                      "off": False, "FALSE": False, "unset": False, "": False}


def _destructive_findings(text: str, **options) -> int:
    from dtracepy.checks import CheckOptions

    program = parse(text, "v.d")
    return [f.check for f in check_program(program, options=CheckOptions(**options), source=text)
            ].count("destructive")


def _emitted(**kwargs) -> str:
    t = Tracer(**kwargs)
    t.clause("BEGIN")
    return t.compile(checks=False).text


def _pragma(value) -> str:
    return f"#pragma D option destructive{'' if value is None else '=' + value}\n"


@pytest.mark.parametrize("value", list(DESTRUCTIVE_VALUES))
def test_check_reads_the_destructive_option_value_as_dtrace_does(value):
    text = _pragma(value) + 'BEGIN\n{\n\tsystem("id");\n}\n'
    assert _destructive_findings(text) == (0 if DESTRUCTIVE_VALUES[value] else 1)
    assert _destructive_findings(text, destructive=True) == 0  # check -w: whatever the text says


def test_the_last_setting_of_the_destructive_option_wins():
    body = 'BEGIN\n{\n\tsystem("id");\n}\n'
    assert _destructive_findings(_pragma(None) + _pragma("off") + body) == 1
    assert _destructive_findings(_pragma("off") + _pragma(None) + body) == 0
    assert _destructive_findings("#!/usr/bin/env -S /usr/sbin/dtrace -w -x destructive=no -s\n" + body) == 1
    assert _destructive_findings("#!/usr/bin/env -S /usr/sbin/dtrace -x destructive=no -w -s\n" + body) == 0
    assert _destructive_findings("#!/usr/bin/env -S /usr/sbin/dtrace -x destructive=0 -s\n" + body) == 0
    assert _destructive_findings("#!/usr/bin/env -S /usr/sbin/dtrace -w -s\n" + _pragma("false") + body) == 1


def test_the_option_facts_say_which_toggle_values_are_on():
    from dtracepy.facts.options import toggle_on

    for value, on in DESTRUCTIVE_VALUES.items():
        assert toggle_on(value) is on, value
    assert toggle_on("x") is False and toggle_on("enabled") and not toggle_on("Disabled")


@pytest.mark.parametrize("value", ["0", "1", "no", "yes", "off", 0, 1, "", "true"])
def test_the_dsl_takes_only_true_for_the_destructive_option(value):
    with pytest.raises(DSLError, match="write True") as excinfo:
        Tracer(options={"destructive": value})
    located_here(excinfo)
    t = Tracer()
    with pytest.raises(DSLError, match="write True") as excinfo:
        t.option("destructive", value)
    located_here(excinfo)
    assert "#pragma D option destructive\n" in _emitted(options={"destructive": True})
    assert "destructive" not in _emitted(options={"destructive": False})


def test_other_toggle_options_keep_their_values():
    """nspec, maxframes ... are 'toggles' that take numbers meaning numbers (the corpus's)."""
    text = _emitted(options={"aggsortrev": "yes", "nspec": 4, "maxframes": "10"})
    for line in ("aggsortrev=yes", "nspec=4", "maxframes=10"):
        assert f"#pragma D option {line}\n" in text


def test_the_reviewers_destructive_no_tracer_is_refused():
    """Review 8, finding 3 (h03.py): compile exited 0 and emitted destructive=no with system()."""
    with pytest.raises(DSLError) as excinfo:
        Tracer(options={"destructive": "no"})
    located_here(excinfo)


def test_the_real_dtrace_reads_destructive_values_as_the_facts_say(tmp_path):
    """Live: a script under `#pragma D option destructive=VALUE` (and `-x destructive=VALUE`) runs
    `system()` or is refused ("Destructive actions not allowed")."""
    import subprocess

    from tests.real_dtrace import need_dtrace, need_root, wait_for_no_dtrace

    dtrace = need_dtrace()
    need_root()
    body = 'BEGIN\n{\n\tsystem("echo DESTRUCTIVE-RAN");\n\texit(0);\n}\n'
    runs = [(value, [], _pragma(value) + body) for value in DESTRUCTIVE_VALUES]
    runs += [(value, ["-x", f"destructive={value}"], body) for value in ("0", "no")]
    for value, flags, text in runs:
        path = tmp_path / "v.d"
        path.write_text(text)
        for _attempt in range(3):  # another dtrace starting or ending: "Failed to enable probe"
            wait_for_no_dtrace()
            result = subprocess.run([dtrace, "-q", *flags, "-s", str(path)], capture_output=True,
                                    text=True, timeout=120)
            ran = "DESTRUCTIVE-RAN" in result.stdout
            if ran or "Destructive actions not allowed" in result.stderr:
                break
        assert ran is DESTRUCTIVE_VALUES[value], (value, flags, result.stdout, result.stderr)
        if not ran:
            assert "Destructive actions not allowed" in result.stderr, result.stderr
        assert _destructive_findings(text) == (0 if ran else 1) or flags


# --- 2. the #define expansion never gives up silently --------------------------------------------


def _compile_errors(build) -> list[str]:
    from dtracepy.errors import CompileError

    t = Tracer(defines={"trace": "system"})
    build(t)

    @t.probe("BEGIN")
    def _():
        trace("echo DESTRUCTIVE-RAN")

    with pytest.raises(CompileError) as excinfo:
        t.compile()
    findings = excinfo.value.findings
    assert all(os.path.basename(f.pos.file) == HERE and f.pos.col is None for f in findings), findings
    return [f.message for f in findings]


@pytest.mark.parametrize("build", [
    lambda t: (t.directive("if", "__has_include(stdio.h)"), t.directive("endif")),
    lambda t: (t.directive("if", "__has_builtin(foo)"), t.directive("endif")),
    lambda t: t.include("<no_such_header_xyz.h>"),
    lambda t: (t.directive("if", "1/0"), t.directive("endif")),
    lambda t: t.directive("error", "stop"),
], ids=["has_include-malformed", "has_builtin", "missing-header", "division-by-zero", "error"])
def test_an_expansion_that_fails_is_an_error_not_a_pass(build):
    """Review 8, finding 2 (i06.py and its variants): compile exited 0 and dtrace -w ran system()."""
    messages = _compile_errors(build)
    assert any("C preprocessor" in m or "dtrace stops at #error" in m for m in messages), messages


def test_an_expansion_through_has_include_sees_the_renamed_action():
    # (review 8 met __has_include as an expansion that failed; review 23 taught the expansion
    # gcc's answer, so the action the #define renames is found through it)
    messages = _compile_errors(lambda t: (t.directive("if", "__has_include(<stdio.h>)"), t.directive("endif")))
    assert any("calls system(), a destructive action spelled through #define" in m for m in messages), messages


def test_an_error_directive_reached_fails_the_compile_without_any_define():
    from dtracepy.errors import CompileError

    t = Tracer()
    t.directive("error", "stop"); line = __import__("inspect").currentframe().f_lineno  # noqa: E702

    @t.probe("BEGIN")
    def _():
        exit_(0)

    with pytest.raises(CompileError, match="stops at #error stop") as excinfo:
        t.compile()
    assert excinfo.value.pos.line == line
    skipped = Tracer(options={"destructive": True})
    skipped.directive("if", "0")
    skipped.directive("error", "stop")
    skipped.directive("endif")
    skipped.clause("BEGIN")
    skipped.compile()  # an #error not reached stops nothing


def test_check_reports_a_failed_expansion_in_a_d_file():
    text = '#define go system\n#if 1/0\n#endif\nBEGIN\n{\n\tgo("id");\n}\n'
    from dtracepy.checks import CheckOptions
    from dtracepy.parser import expanded  # (what the commands hand the checks: CheckOptions.expand)

    findings = check_program(parse(text, "x.d"), CheckOptions(expand=expanded), source=text)
    assert [f.pos.line for f in findings if f.check == "destructive"] == [2], findings


def test_compile_check_reads_the_headers_a_tracer_includes(tmp_path, capsys):
    """compile never read an included header and check -C did: a header with system() passed
    compile --check (review 8, e/h06.py)."""
    from dtracepy.cli import main

    (tmp_path / "evil.h").write_text('BEGIN\n{\n\tsystem("id");\n}\n')
    (tmp_path / "h06.py").write_text("from dtracepy import *\nt = Tracer()\nt.include('\"evil.h\"')\n"
                                     "@t.probe('BEGIN')\ndef b():\n    exit_(0)\n")
    assert main(["compile", "--check", str(tmp_path / "h06.py")]) == 1
    err = capsys.readouterr().err
    # (session 10: as dtrace -C, which gives cpp the script through /dev/stdin, a quoted header
    # beside the tracer is not found at all: refused, whatever it holds)
    assert "evil.h: dtrace -C will not find it beside the script" in err, err
    (tmp_path / "evil.h").write_text("inline int N = 1;\n")
    assert main(["compile", "--check", str(tmp_path / "h06.py")]) == 1


# --- 4. Python's attributes of DSL objects are not D values --------------------------------------


def test_dunder_reads_on_d_values_and_scopes_are_located_errors():
    from dtracepy import agg, arg0, glob, self, this
    from dtracepy.dsl.values import D

    t = Tracer()

    @t.probe("BEGIN")
    def _():
        for read in (lambda: self.__module__, lambda: glob.__doc__, lambda: this.__doc__,
                     lambda: arg0.__doc__, lambda: (arg0 + 1).__module__, lambda: agg.__module__):
            with pytest.raises(DSLError, match="Python's attribute") as excinfo:
                trace(read())
            located_here(excinfo)
        with pytest.raises(DSLError, match=r"self\('__class__'\)") as excinfo:
            self.__class__ = 1
        located_here(excinfo)
        with pytest.raises(DSLError):
            glob.__doc__ = 1
        self.x = 1
        trace(self.x)

    t.keep(self.x)
    assert "__" not in t.compile().text.split("*/", 1)[1]
    # the classes keep theirs: help(), pickle and repr read them there
    assert D.__module__ == "dtracepy.dsl.values" and D.__doc__.startswith("A D expression")
    assert repr(D) == "<class 'dtracepy.dsl.values.D'>"
