"""``cpp-directive``: a C preprocessor line in a script read without ``-C``
(dtracepy/checks/preprocessor.py).  check passed ``#define``/``#include`` in a script whose ``#!``
line runs dtrace without ``-C``, which dtrace refuses ("invalid control directive").

Every directive the tree knows is judged by the real dtrace both ways: refused without ``-C``
exactly when it is not one D reads itself (:data:`dtracepy.tree.DIRECTIVES_WITHOUT_CPP`), and
check says so exactly then.
"""

from __future__ import annotations

import pytest

from dtracepy import tree
from dtracepy.checks import CheckOptions, check_program
from dtracepy.cli import main
from dtracepy.parser import parse
from real_dtrace import judge_scripts

# a line of each directive, as a script might hold it (the conditionals alone on their line: dtrace
# refuses them at that line, whatever follows)
LINES = {"include": "#include <stdio.h>", "include_next": "#include_next <x.h>", "import": "#import <x.h>",
         "define": "#define N 3", "undef": "#undef N", "if": "#if 0", "ifdef": "#ifdef N", "ifndef": "#ifndef N",
         "elif": "#elif 1", "else": "#else", "endif": "#endif", "line": "#line 3", "error": "#error stop",
         "warning": "#warning w", "ident": '#ident "x"', "sccs": '#sccs "x"', "assert": "#assert x(y)",
         "unassert": "#unassert x", "": '# 3 "x.d"'}
SHEBANG = "#!/usr/sbin/dtrace -qs\n"
BODY = "\nBEGIN { exit(0); }\n"


def findings(text: str) -> list:
    return [f for f in check_program(parse(text, "x.d"), CheckOptions(), source=text) if f.check == "cpp-directive"]


def test_every_directive_is_known():
    assert set(LINES) == set(tree.DIRECTIVES)


@pytest.mark.parametrize("name", sorted(LINES))
def test_a_directive_dtrace_reads_only_under_cpp_is_flagged_at_its_line(name):
    with_line = findings(SHEBANG + LINES[name] + BODY)
    without = findings(LINES[name] + BODY)
    if name in tree.DIRECTIVES_WITHOUT_CPP or name == "error":
        # (#error: dtrace reads it itself and stops there, with or without -C; see below)
        assert with_line == without == []
        return
    assert [(f.severity, f.pos.line, f.pos.col) for f in with_line] == [("error", 2, 1)], with_line
    assert with_line[0].message.startswith(f"#{name} needs the C preprocessor, and the #! line runs "
                                           "dtrace without -C"), with_line[0].message
    # no #! line: `dtrace -C -s x.d` may be how it runs
    assert [(f.severity, f.pos.line) for f in without] == [("warning", 1)], without


def test_the_real_dtrace_refuses_exactly_those():
    jobs = {name: {"text": SHEBANG + line + BODY} for name, line in LINES.items()}
    jobs["define, under -C"] = {"text": "#!/usr/sbin/dtrace -Cqs\n#define N 3\nBEGIN { trace(N); exit(0); }\n",
                                "flags": "C"}
    verdicts = judge_scripts(jobs)
    wrong = [f"{name!r}: dtrace {verdicts[name] or 'accepts it'}" for name in LINES
             if (verdicts[name] is None) != (name in tree.DIRECTIVES_WITHOUT_CPP)]
    assert not wrong, "\n".join(wrong)
    assert "#error: stop" in verdicts["error"], verdicts["error"]   # (not "invalid control directive")
    assert verdicts["define, under -C"] is None


@pytest.mark.parametrize("head", ["", SHEBANG])
def test_error_directive_is_one_error_saying_dtrace_stops_there_with_or_without_cpp(head):
    """`#error stop` without -C had a warning that dtrace -s refuses it as "invalid control
    directive" (it says "#error: stop": dtrace reads #error itself) and an error saying the C
    preprocessor stops there (review 17, noticed): now one error, in dtrace's words."""
    text = head + LINES["error"] + BODY
    from dtracepy.parser import expanded  # (what the commands hand the checks: CheckOptions.expand)

    found = [(f.severity, f.check, f.message)
             for f in check_program(parse(text, "x.d"), CheckOptions(expand=expanded), source=text)]
    assert found == [("error", "destructive", "dtrace stops at #error stop: it refuses the script there, with or "
                      "without -C (it reads #error itself: \"#error: ...\")")], found


def test_the_check_command_follows_the_shebang(tmp_path, capsys):
    script = tmp_path / "x.d"
    script.write_text(SHEBANG + "#define N 3\nBEGIN { trace(N); exit(0); }\n")
    assert main(["check", str(script)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{script}:2:1: error: #define needs the C preprocessor"), err
    script.write_text(SHEBANG.replace("-qs", "-Cqs") + "#define N 3\nBEGIN { trace(N); exit(0); }\n")
    assert main(["check", str(script)]) == 0
    assert "cpp-directive" not in capsys.readouterr().err
    script.write_text("#define N 3\nBEGIN { trace(N); exit(0); }\n")
    assert main(["check", str(script)]) == 0
    assert "warning: #define needs the C preprocessor" in capsys.readouterr().err
    assert main(["check", "-C", str(script)]) == 0
    assert "cpp-directive" not in capsys.readouterr().err


def test_a_tracer_with_defines_compiles_and_checks_clean(tmp_path, capsys):
    """The compiler gives the #! line its -C; `compile --check` reads that line."""
    tracer = tmp_path / "t.py"
    tracer.write_text("from dtracepy import Tracer, trace\nt = Tracer(defines={'N': '3'})\n\n"
                      "@t.probe('BEGIN')\ndef b():\n    trace(3)\n")
    assert main(["compile", str(tracer), "--check"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("#!/usr/sbin/dtrace -C") and "#define N 3" in captured.out
    assert "cpp-directive" not in captured.err, captured.err


def test_line_comments_under_cpp_are_removed_as_cpp_removes_them(tmp_path, capsys):
    # cpp removes // comments, so dtrace -C accepts them; check -C refused them ("syntax error
    # near /"), and a comment in a #define was kept in the macro (review 8, finding 12)
    text = ('#define X 1 // one\nBEGIN // the start\n{\n\tx = X; // c\n\ty = "a // b";\n'
            '\tz = 1 / 2;\n\texit(0);\n}\n')
    path = tmp_path / "sl.d"
    path.write_text(text)
    assert judge_scripts({"sl": {"text": text, "flags": "C"}}) == {"sl": None}
    assert main(["check", "-C", str(path)]) == 0
    assert capsys.readouterr().err == ""
    # the lines after a // comment keep their numbers
    path.write_text(text.replace("exit(0);", "exit(nosuch);"))
    main(["check", "-C", str(path)])
    assert f"{path}:7:" in capsys.readouterr().err


def test_a_pragma_line_with_comments_around_its_hash_is_a_pragma_under_cpp(tmp_path, capsys):
    # cpp reads "/**/#pragma" and "#/**/pragma" as the directive (a comment is a blank to it);
    # check -C read the first as a syntax error and the second as no pragma (review 8, finding 12)
    text = "/**/#pragma D option quiet\n/* a */ # pragma D option flowindent /* b */\nBEGIN { exit(0); }\n"
    assert judge_scripts({"p": {"text": text, "flags": "C"}}) == {"p": None}
    path = tmp_path / "p.d"
    path.write_text(text)
    assert main(["check", "-C", str(path)]) == 0
    assert capsys.readouterr().err == ""
    for pragma, allowed in [("#/**/pragma D option destructive\n", True), ("", False)]:
        path.write_text(pragma + 'BEGIN { system("echo hi"); exit(0); }\n')
        assert main(["check", "-C", str(path)]) == (0 if allowed else 1)
        assert ("[destructive]" in capsys.readouterr().err) is not allowed
