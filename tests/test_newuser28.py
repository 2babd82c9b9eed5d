"""Session 27, helper newuser28: a new user followed the README from the top (/work/newuser28.md).

Each test fails on the code before the fix:

1. A tracer's several errors were printed rule by rule (the refusals, the options, the checks,
   the operands' rules): ``strlen(12)`` at line 10 was said above ``self->start`` at line 5.
   They are printed by file and line now, as ``check`` prints a file's findings.
2. ``Tracer(shebang="dtrace -qs")`` compiled without a word, and ``check`` said nothing of a
   ``#!dtrace -qs`` line: the kernel looks a relative interpreter up from the directory
   ``./x.d`` is run in, never on PATH ("required file not found" elsewhere).  A ``shebang``
   warning now, not a refusal: ``dtrace -s`` and ``run`` never run the interpreter, and Oracle's
   own ``tst.quiet.d`` has such a line (``import --exact`` of it must still work).
3. Short names got no did-you-mean: ``tpc:::send`` (``tcp`` swapped, but ``cpc`` is one edit
   away too: a tie, so nothing), ``up:::send`` (``ip`` or ``udp``), a bare ``BEGN`` or ``ED``
   (no word at all, and dtrace: "does not match any probes"), ``--tracer T`` for ``t``.
4. ``check --disable name,`` said "unknown check(s)  (known: ..." of the empty name after the
   comma; and its usage error named no subcommand ("dtracepy: error:"), which the README says
   every usage error does.
5. ``@t.probe`` without its parentheses said "a probe description is ... not function"; ``layout`` of a ``.py`` or
   ``.d`` file said only what its C reader made of it ("unknown type name 'printf'").
6. ``--help`` of ``check`` said ``--disable NAME`` "turn a check off" (the README: ``NAME[,NAME]``,
   repeatable), and that ``--dialect`` makes only a missing function an error (also a variable or
   an option); ``-I``/``-D`` of check, import and layout, and their positional arguments, had no
   help at all.
7. Messages quoted dtrace's types in single quotes (``'int' - 'string'``) where dtrace, and the
   other messages, write ``"int" - "string"``; and ``dialect-if`` said "oracle D" where the others
   say "Oracle DTrace for Linux (D 2.0)".
8. The README quoted ``run``'s check as "an integer assigned to a variable of type string"; check
   says "an int assigned ...".
9. A misspelt keyword argument (``Tracer(option=...)``) got no did-you-mean: Python 3.11 gives
   none for keywords.
10. ``--format CSV`` and ``--OUTPUT`` got no did-you-mean (capitals), nor ``--abi i368``.
"""

from __future__ import annotations

import pytest

from dtracepy.checks import CheckOptions, check_program
from dtracepy.cli import main
from dtracepy.parser import parse


def _compile(tmp_path, monkeypatch, capsys, name: str, text: str, *flags: str):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(text)
    status = main(["compile", name, *flags])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _findings(text: str, **options):
    return check_program(parse(text, "x.d"), CheckOptions(**options), source=text)


# --- 1. a compile's errors by line ------------------------------------------------------------

MANY_ERRORS = """\
from dtracepy import *
t = Tracer()
@t.probe("BEGIN")
def a():
    self.start = timestamp
@t.probe("syscall::read:entry")
def b():
    trace(self.nope)
    printf("%s", arg0)
    trace(strlen(12))
    self.q = 1
@t.probe("syscall::write:entry")
def c():
    trace(self.q)
    agg.a[execname] = count()
    agg.a[pid] = count()
    trace(zonename)
"""


@pytest.mark.parametrize("flags", [(), ("--dialect", "oracle")])
def test_a_tracers_errors_are_printed_by_line(tmp_path, monkeypatch, capsys, flags):
    status, _, err = _compile(tmp_path, monkeypatch, capsys, "ord.py", MANY_ERRORS, *flags)
    assert status == 1
    lines = [int(line.split(":")[1]) for line in err.splitlines() if line.startswith("ord.py:")]
    expected = [5, 8, 9, 10, 14, 16] + ([17] if flags else [])
    assert lines == expected, err


def test_the_first_error_of_a_compile_error_is_the_first_line(tmp_path):
    from dtracepy.errors import CompileError

    path = tmp_path / "ord2.py"
    path.write_text(MANY_ERRORS)
    import runpy

    namespace = runpy.run_path(str(path))
    with pytest.raises(CompileError) as caught:
        namespace["t"].to_d()
    assert caught.value.pos.line == 5
    assert [f.pos.line for f in caught.value.findings] == [5, 8, 9, 10, 14, 16]


# --- 2. a relative #! interpreter -------------------------------------------------------------

TRACER_WITH = 'from dtracepy import *\nt = Tracer(shebang={!r})\n@t.probe("BEGIN")\ndef b():\n    trace(1)\n'


@pytest.mark.parametrize("shebang", ["dtrace -qs", "bin/dtrace -s", "./dtrace -Zs"])
def test_a_tracers_relative_shebang_is_a_warning_at_its_line(tmp_path, monkeypatch, capsys, shebang):
    status, out, err = _compile(tmp_path, monkeypatch, capsys, "rel.py", TRACER_WITH.format(shebang))
    assert status == 0 and out.startswith(f"#!{shebang}\n")
    interpreter = shebang.split()[0]
    assert err.startswith(f"rel.py:2: warning: run as a program, the script may not start: the #! "
                          f"line's interpreter {interpreter!r} is no absolute path: the kernel looks it "
                          f"up from the directory ./x.d is run in, not on PATH"), err
    assert err.rstrip().endswith("[shebang]") and err.count("\n") == 1, err


def test_compile_check_says_the_relative_shebang_once(tmp_path, monkeypatch, capsys):
    status, _, err = _compile(tmp_path, monkeypatch, capsys, "rel.py", TRACER_WITH.format("dtrace -qs"),
                              "--check")
    assert status == 0 and err.count("[shebang]") == 1, err


@pytest.mark.parametrize("shebang", ["/usr/sbin/dtrace -qs", "/usr/local/bin/dtrace -s"])
def test_an_absolute_shebang_is_no_warning(tmp_path, monkeypatch, capsys, shebang):
    status, _, err = _compile(tmp_path, monkeypatch, capsys, "abs.py", TRACER_WITH.format(shebang))
    assert status == 0 and err == ""


@pytest.mark.parametrize("line, interpreter", [("#!dtrace -qs", "dtrace"), ("#!env -S dtrace -qs", "env"),
                                               ("#!sbin/dtrace -s", "sbin/dtrace")])
def test_check_warns_of_a_relative_shebang(line, interpreter):
    found = [f for f in _findings(f"{line}\nBEGIN {{ trace(1); }}\n") if f.check == "shebang"]
    assert [(f.severity, f.pos.line) for f in found] == [("warning", 1)], found
    assert f"interpreter {interpreter!r} is no absolute path" in found[0].message


@pytest.mark.parametrize("line", ["#!/usr/sbin/dtrace -qs", "#!/usr/bin/env -S dtrace -qs", "#!sh", "#!/bin/sh -p"])
def test_check_says_nothing_of_an_absolute_shebang_or_another_program(line):
    assert [f for f in _findings(f"{line}\nBEGIN {{ trace(1); }}\n") if f.check == "shebang"] == []


def test_oracles_relative_shebang_test_still_imports_exactly(tmp_path, monkeypatch, capsys):
    # the corpus' dtrace-utils-tests/test/unittest/scripting/tst.quiet.d, in short
    monkeypatch.chdir(tmp_path)
    (tmp_path / "q.d").write_text("#!dtrace -qs\n\nBEGIN\n{\n\texit(0);\n}\n")
    assert main(["import", "--exact", "q.d", "-o", "q.py"]) == 0
    assert 'Tracer(shebang="dtrace -qs"' in (tmp_path / "q.py").read_text()


# --- 3. did-you-mean for short names ----------------------------------------------------------

def _probe_findings(desc: str):
    return [f for f in _findings(f"{desc}\n{{ trace(1); }}\n") if f.check == "probe-name"]


def test_two_letters_swapped_win_a_tie():
    found = _probe_findings("tpc:::send")
    assert [f.severity for f in found] == ["error"], found
    assert "there is no 'tpc' provider; did you mean 'tcp' (tcp:::send)?" in found[0].message


@pytest.mark.parametrize("desc, meant", [("up:::send", "did you mean 'ip' or 'udp'?"),
                                         ("sd:::x", "did you mean 'sdt' or 'sh'?"),
                                         ("tc:::send", "did you mean 'fc', 'tcl' or 'tcp'?")])
def test_a_short_provider_near_several_names_them(desc, meant):
    found = _probe_findings(desc)
    assert [f.severity for f in found] == ["warning"], found
    assert found[0].message.endswith(meant), found[0].message


@pytest.mark.parametrize("desc, meant", [("BEGN", "BEGIN"), ("ED", "END"), ("Begin", "BEGIN"),
                                         ("ERRO", "ERROR"), (":::ENDD", "END"), ("::Error", "ERROR")])
def test_a_bare_misspelt_begin_end_or_error_is_a_warning_with_its_name(desc, meant):
    found = _probe_findings(desc)
    assert [f.severity for f in found] == ["warning"], found
    assert found[0].message.endswith(f"did you mean {meant!r}?"), found[0].message


@pytest.mark.parametrize("desc", ["BEGIN", "END", "ERROR", "end", "entry", "Foo", "ENTRY", "myapp*:::BEGN"])
def test_other_bare_names_are_left_alone(desc):
    assert _probe_findings(desc) == []


def test_a_tracers_bare_misspelt_begin_is_a_warning_at_its_line(tmp_path, monkeypatch, capsys):
    status, _, err = _compile(tmp_path, monkeypatch, capsys, "bg.py",
                              'from dtracepy import *\nt = Tracer()\n@t.probe("BEGN")\ndef b():\n    trace(1)\n')
    assert status == 0
    assert err.startswith("bg.py:3: warning: probe description 'BEGN': ") and "did you mean 'BEGIN'?" in err, err


@pytest.mark.parametrize("wanted, meant", [("T", "; did you mean 't'?"), ("tt", "; did you mean 't'?"),
                                           ("uu", "; did you mean 'u'?"), ("v", "")])
def test_compile_tracer_name_gets_a_did_you_mean(tmp_path, monkeypatch, capsys, wanted, meant):
    status, _, err = _compile(tmp_path, monkeypatch, capsys, "two.py",
                              "from dtracepy import *\nt = Tracer()\nu = Tracer()\n"
                              "@t.probe('BEGIN')\ndef b():\n    trace(1)\n", "--tracer", wanted)
    assert status == 1
    assert err.startswith(f"two.py:1: error: no tracer named {wanted!r}{meant} (it defines: t, u)\n"), err


# --- 4. check --disable -----------------------------------------------------------------------

def test_disable_with_a_trailing_comma_disables_what_it_names(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.d").write_text("BEGIN { trace(hz); }\n")
    assert main(["check", "--strict", "--disable", "undefined-name,", "d.d"]) == 0
    assert capsys.readouterr().err == ""


def test_disable_of_an_unknown_check_names_the_subcommand(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.d").write_text("BEGIN { trace(hz); }\n")
    assert main(["check", "--disable", ",undefined-nam", "d.d"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dtracepy check: error: --disable: unknown check(s) undefined-nam; "
                          "undefined-nam: did you mean undefined-name?"), err


# --- 5. what a new user types next ------------------------------------------------------------

def test_probe_without_its_parentheses_says_so(tmp_path, monkeypatch, capsys):
    status, _, err = _compile(tmp_path, monkeypatch, capsys, "pr.py",
                              "from dtracepy import *\nt = Tracer()\n@t.probe\ndef b():\n    trace(1)\n")
    assert status == 1
    assert err.startswith("pr.py:3: error: @t.probe is given the function 'b', not a probe description: "
                          "write the descriptions in its parentheses, @t.probe(\"syscall::read:entry\")"), err


@pytest.mark.parametrize("name, text, kind", [
    ("hello.py", '"""Who opens files."""\nfrom dtracepy import Tracer, printf\n', "a Python module"),
    ("hello.d", "#!/usr/sbin/dtrace -qs\nBEGIN { trace(1); }\n", "a D script"),
])
def test_layout_of_a_tracer_or_a_d_script_says_what_it_was_given(tmp_path, monkeypatch, capsys, name, text, kind):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(text)
    assert main(["layout", name, "ip"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{name}:") and f"({name} is {kind}, read here as C: layout reads C headers)" in err, err


def test_layout_of_a_missing_d_file_is_only_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["layout", "nope.d", "ip"]) == 1
    assert capsys.readouterr().err.startswith("nope.d:1: error: cannot read: no such file or directory\n")


# --- 6. --help says what the README says ------------------------------------------------------

def _help(capsys, command: str) -> str:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_check_help_says_disable_takes_several_and_what_dialect_refuses(capsys):
    text = _help(capsys, "check")
    assert "--disable NAME[,NAME] turn checks off (repeatable)" in text, text
    assert "a function, variable or option that D lacks is an error" in text, text
    assert "FILE.d D scripts ('-' reads standard input)" in text
    assert "-I DIR look for #include files here, as dtrace -I (repeatable)" in text
    assert "-D NAME[=VAL] define a macro, as dtrace -D (repeatable)" in text


@pytest.mark.parametrize("command, wanted", [
    ("import", ["-I DIR look for #include files here", "-D NAME[=VAL] define a macro"]),
    ("layout", ["FILE.h the C header", "TYPE the type: struct ip, ip or a typedef name",
                "--json print the layout as JSON", "-I DIR look for #include files here too"]),
    ("compile", ["TRACER.py the tracer module (a .py file)"]),
])
def test_every_option_has_its_help(capsys, command, wanted):
    text = _help(capsys, command)
    for words in wanted:
        assert words in text, (words, text)


# --- 7. dtrace's words as dtrace writes them --------------------------------------------------

@pytest.mark.parametrize("statement, said", [
    ("x = 1 - execname", 'operands have incompatible types: "int" - "string"'),
    ("y = 1; y = \"a\"", 'operands have incompatible types: "int" = "string"'),
    ("z = \"a\"; z += 1", 'operands have incompatible types: "string" += "int"'),
])
def test_operand_messages_quote_types_as_dtrace_does(statement, said):
    messages = [f.message for f in _findings(f"BEGIN {{ {statement}; }}\n") if f.check == "operand-type"]
    assert len(messages) == 1 and said in messages[0], messages


def test_dialect_if_names_the_dialect_by_its_title():
    messages = [f.message for f in _findings("BEGIN { if (1) { trace(1); } }\n",
                                             dialect=__import__("dtracepy.facts.dialects",
                                                                fromlist=["x"]).dialect_named("oracle"),
                                             dialect_given=True)
                if f.check == "dialect-if"]
    assert messages == ["Oracle DTrace for Linux (D 2.0) has no if/else; use a predicated clause or ?:"], messages


# --- 8. the README's quotes are what dtracepy says --------------------------------------------

def test_the_readmes_run_check_quote_is_what_check_says():
    # README, `dtracepy run`: "A .d script is checked first ... located in the script (`x.d:2:9:
    # error: an integer assigned ...`" -- check says "an int", as its other messages do.
    import pathlib
    import re

    readme = pathlib.Path(__file__).resolve().parent.parent.joinpath("README.md").read_text()
    m = re.search(r"\(`(x\.d:2:9: error: [^`]*?) \.\.\. \[operand-type\]` of\s+`([^`]*)` and `([^`]*)` on its two lines",
                  readme)
    assert m, "the README's sentence moved"
    quoted, first, second = m.groups()
    text = f"{first}\n{second}\n"
    said = [f.render() for f in _findings(text) if f.check == "operand-type"]
    assert len(said) == 1 and said[0].startswith(quoted), (quoted, said)


# --- 9. a misspelt keyword argument -----------------------------------------------------------

@pytest.mark.parametrize("lines, line, said", [
    ('t = Tracer(option={"quiet": True})', 2,
     "Tracer.__init__() got an unexpected keyword argument 'option'; did you mean 'options'?"),
    ('t = Tracer(dialekt="oracle")', 2, "got an unexpected keyword argument 'dialekt'; did you mean 'dialect'?"),
    ('t = Tracer()\n@t.probe("BEGIN", whn=1)\ndef b():\n    trace(1)', 3,
     "Tracer.probe() got an unexpected keyword argument 'whn'; did you mean 'when'?"),
    ('t = Tracer()\nr = t.record(("a", "%d"), seperator=";")', 3,
     "Tracer.record() got an unexpected keyword argument 'seperator' (its keyword arguments: sep, end, header)"),
    ('t = Tracer()\ndef f(alpha=1):\n    pass\nf(alpah=2)', 5,
     "f() got an unexpected keyword argument 'alpah'; did you mean 'alpha'?"),
])
def test_a_misspelt_keyword_argument_gets_a_did_you_mean(tmp_path, monkeypatch, capsys, lines, line, said):
    status, _, err = _compile(tmp_path, monkeypatch, capsys, "kw.py", f"from dtracepy import *\n{lines}\n")
    assert status == 1
    first = err.splitlines()[0]
    assert first.startswith(f"kw.py:{line}: error: TypeError: ") and first.endswith(said), err


# --- 10. a choice in other capitals, an ABI misspelt -------------------------------------------

def _usage_error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    return capsys.readouterr().err.splitlines()[-1]


@pytest.mark.parametrize("argv, said", [
    (["run", "x.d", "--format", "CSV"], "invalid choice: 'CSV' (did you mean 'csv'? choose from"),
    (["run", "x.d", "--format", "JSON"], "invalid choice: 'JSON' (did you mean 'json'? choose from"),
    (["compile", "x.py", "--OUTPUT", "x.d"], "unrecognized option --OUTPUT (did you mean --output?)"),
    (["layout", "x.h", "ip", "--abi", "i368"], "unknown ABI 'i368' (did you mean 'i386'? choose from"),
    (["layout", "x.h", "ip", "--abi", "amd6"], "unknown ABI 'amd6' (did you mean 'x86_64'? choose from"),
])
def test_usage_errors_suggest_across_capitals_and_for_abis(capsys, argv, said):
    assert said in _usage_error(capsys, argv)


def test_a_one_letter_option_in_other_capitals_is_not_taken_for_another(capsys):
    # run has -c (a command) and no -C: `run x.d -C` is no typo of -c
    assert _usage_error(capsys, ["run", "x.d", "-C"]).endswith("unrecognized option -C")


# --- 11. a name cut short ---------------------------------------------------------------------

@pytest.mark.parametrize("imports, said", [
    ("from dtracepy import Tracer, trace, execname, pid", "did you mean 'execname'?"),
    ("from dtracepy import *", "did you mean 'execargs' or 'execname'?"),
])
def test_a_name_cut_short_gets_the_imported_name_not_pythons_exec(tmp_path, monkeypatch, capsys, imports, said):
    # `exe`: close_matches' ratio does not reach execname (0.55), so Python's own `exec` was said
    status, _, err = _compile(tmp_path, monkeypatch, capsys, "ex.py",
                              f"{imports}\nt = Tracer()\n@t.probe('BEGIN')\ndef b():\n    trace(exe)\n")
    assert status == 1
    assert err.startswith(f"ex.py:5: error: NameError: name 'exe' is not defined; {said}\n"), err
