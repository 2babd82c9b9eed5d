"""The C preprocessor's ``_Pragma("...")`` operator and ``#warning`` directive, as ``dtrace -C``
reads them (session 9, gaps items 1 and 5).

cpp turns ``_Pragma("D option destructive")`` into the line ``#pragma D option destructive``, and
dtrace -C then reads it as the pragma (it runs a destructive action without -w: checked live
below); ``check -C`` called it a syntax error and its destructive rule did not see the option.  A
``#warning`` cpp prints at its file and line; dtracepy printed ``<expanded>:8 warning: ...`` for a
tracer's, from the destructive check's private expansion.
"""

from __future__ import annotations

import subprocess

import pytest

from dtracepy.cli import main
from dtracepy.preprocess import preprocess
from real_dtrace import judge_scripts, need_dtrace, need_root, wait_for_no_dtrace

SYSTEM = 'BEGIN { system("true"); exit(0); }\n'

CASES = {  # name -> the lines before the clause that calls system()
    "_Pragma": '_Pragma("D option destructive")\n',
    "_Pragma through a #define": '#define ALLOW _Pragma("D option destructive")\nALLOW\n',
    "_Pragma of a stringized argument": "#define P(x) _Pragma(#x)\nP(D option destructive)\n",
    "_Pragma with blanks and a wide string": '_Pragma ( L"D option destructive" )\n',
}


@pytest.mark.parametrize("name", CASES)
def test_a_destructive_option_spelled_through_pragma_allows_destructive_actions(tmp_path, capsys, name):
    path = tmp_path / "x.d"
    path.write_text(CASES[name] + SYSTEM)
    assert main(["check", "-C", str(path)]) == 0, capsys.readouterr().err
    assert capsys.readouterr().err == ""
    path.write_text(CASES[name].replace("destructive", "quiet") + SYSTEM)  # the option off: refused
    assert main(["check", "-C", str(path)]) == 1
    assert f"{path}:{CASES[name].count(chr(10)) + 1}:" in capsys.readouterr().err


def test_the_real_dtrace_reads_pragma_as_the_pragma(tmp_path):
    # dtrace -e does not judge destructive actions (enabling them does): a misspelt option does
    jobs = {name: {"text": text + SYSTEM, "flags": "C"} for name, text in CASES.items()}
    jobs["misspelt"] = {"text": '_Pragma("D option destructiv")\n' + SYSTEM, "flags": "C"}
    jobs["not a string"] = {"text": "_Pragma(D option quiet)\n" + SYSTEM, "flags": "C"}
    verdicts = judge_scripts(jobs)
    assert all(verdicts[name] is None for name in CASES), verdicts
    assert "destructiv" in verdicts["misspelt"] and verdicts["not a string"]
    # and it runs the destructive action without -w, as for #pragma D option destructive
    dtrace = need_dtrace()
    need_root()
    path = tmp_path / "x.d"
    path.write_text(CASES["_Pragma through a #define"] + 'BEGIN { system("echo ran"); exit(0); }\n')
    for _attempt in range(3):  # another dtrace starting or ending: "Failed to enable probe"
        wait_for_no_dtrace()
        done = subprocess.run([dtrace, "-q", "-C", "-s", str(path)], capture_output=True, text=True, timeout=120)
        if "ran" in done.stdout or "Destructive actions not allowed" in done.stderr:
            break
    assert "ran" in done.stdout and "Destructive actions not allowed" not in done.stderr, done


def test_check_c_reports_a_misspelt_option_and_a_malformed_pragma_at_their_lines(tmp_path, capsys):
    path = tmp_path / "x.d"
    path.write_text('BEGIN { _Pragma("D option quite") exit(0); }\n')
    assert main(["check", "-C", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:1:" in err and "did you mean 'quiet'" in err and "Traceback" not in err
    path.write_text("int x;\n_Pragma(D option quiet)\nBEGIN { exit(0); }\n")
    assert main(["check", "-C", str(path)]) == 1
    assert f"{path}:2:1: error: _Pragma takes a parenthesized string literal" in capsys.readouterr().err


def test_the_pragma_is_a_line_of_its_own_and_what_follows_keeps_its_line_and_column():
    source = 'BEGIN { _Pragma("D option \\"q\\"") trace(1); }\nBEGIN { x; }\n'
    text, line_map = preprocess(source, "x.d")
    lines = text.split("\n")
    at = lines.index("BEGIN { ")  # (after the #line marker's blank)
    assert lines[at:at + 4] == ["BEGIN { ", '#pragma D option "q"', " " * source.index("trace") + "trace(1); }",
                                "BEGIN { x; }"]
    assert line_map[at:at + 4] == [("x.d", 1)] * 3 + [("x.d", 2)]
    # text that only looks like the operator is left alone
    text, _ = preprocess('/* _Pragma("x") */ BEGIN { trace("_Pragma(\\"y\\")"); }\n', "x.d")
    assert "#pragma" not in text


def test_check_c_reports_a_warning_at_its_file_line_and_column(tmp_path, capsys):
    path = tmp_path / "w.d"
    path.write_text("#define A 1\n  #warning hello there\nBEGIN { exit(0); }\n")
    assert main(["check", "-C", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.endswith("w.d:2:4: warning: #warning hello there\n") and "<expanded>" not in err


def test_check_without_cpp_does_not_print_the_destructive_checks_expansion_warning(tmp_path, capsys):
    path = tmp_path / "w.d"
    path.write_text("#define A 1\n#warning hello there\nBEGIN { exit(0); }\n")
    main(["check", str(path)])
    err = capsys.readouterr().err
    assert "<expanded>" not in err and "hello there\n" not in err and "[cpp-directive]" in err


TRACER = """from dtracepy import Tracer, arg0, trace
t = Tracer(defines={"X": "1"}%s)
t.directive("warning", "careful now")
@t.probe("BEGIN")
def b():
    trace(arg0)
"""


@pytest.mark.parametrize("check", [[], ["--check"]])
def test_compile_reports_a_warning_at_the_tracers_line(tmp_path, capsys, monkeypatch, check):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.py").write_text(TRACER % "")
    assert main(["compile", "w.py", *check]) == 0
    err = capsys.readouterr().err
    assert err == "w.py:3: warning: #warning careful now\n"


def test_compile_check_does_not_read_a_header_beside_the_tracer(tmp_path, capsys, monkeypatch):
    """(Session 10: as dtrace -C, which gives cpp the script through /dev/stdin, compile --check no
    longer reads a quoted header beside the tracer: its #warning is not reached, the header is
    refused, saying why.)"""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.h").write_text("#define Y 2\n#warning from the header\n")
    (tmp_path / "w.py").write_text(TRACER % ", includes=['\"w.h\"']")
    assert main(["compile", "w.py", "--check"]) == 1
    err = capsys.readouterr().err
    assert "w.h: dtrace -C will not find it beside the script" in err and "from the header" not in err, err
