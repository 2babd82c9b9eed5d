"""The command line's own edges, as a new user meets them: output that cannot be written (a full
disk, a closed pipe) is a clear error, usage errors say what was meant, macro arguments are the
same wherever they stand, and a macro()'s doc cannot break the D's header comment."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pythonpath import env_with
from tests.real_dtrace import job_for_d, judge_scripts

from dtracepy.cli import main

REPO = Path(__file__).resolve().parent.parent
TRACER = ('"""A tracer."""\nfrom dtracepy import Tracer, execname, macro, printf\n\n'
          't = Tracer(options={"quiet": True})\n\n\n@t.probe("syscall::read:entry")\n'
          'def r():\n    printf("%s %d\\n", execname, macro(1, "a number"))\n')
full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")


def _shell(command: str, cwd, unbuffered: bool = False) -> subprocess.CompletedProcess:
    """``command`` in bash, with ``dtracepy`` this checkout's ``python -m dtracepy`` (its standard
    output buffered as Python buffers it, or not at all: PYTHONUNBUFFERED)."""
    prefix = f'dtracepy() {{ "{sys.executable}" -m dtracepy "$@"; }}\n'
    env = env_with(REPO)
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    return subprocess.run(["bash", "-c", prefix + command], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd)


def _usage_error(capsys, *argv) -> str:
    """The last line of the usage error ``dtracepy ARGV`` gives (exit status 2)."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


@pytest.fixture
def work(tmp_path):
    (tmp_path / "x.py").write_text(TRACER)
    (tmp_path / "x.d").write_text("BEGIN\n{\n\texit(0);\n}\n")
    (tmp_path / "s.h").write_text("struct s { int a; };\n")
    fake = tmp_path / "dtrace"      # a stand-in dtrace: prints 3,000 lines of text, then its argv
    fake.write_text('#!/bin/sh\ni=0\nwhile [ $i -lt 3000 ]; do echo "line $i"; i=$((i+1)); done\n'
                    'echo "argv: $*"\n')
    fake.chmod(0o755)
    return tmp_path


# --- output that cannot be written -------------------------------------------------------------
@full
@pytest.mark.parametrize("command", [
    "compile x.py", "import x.d", "layout s.h s", "layout s.h s --json", "--version", "check --help",
    "run x.d --dtrace ./dtrace"])
@pytest.mark.parametrize("unbuffered", [False, True])
def test_a_full_standard_output_is_an_error_not_an_internal_one(work, command, unbuffered):
    done = _shell(f"dtracepy {command} > /dev/full", work, unbuffered)
    assert (done.returncode, done.stderr) == (
        1, "dtracepy: error: cannot write to standard output: No space left on device\n")


@full
@pytest.mark.parametrize("command", ["run x.d --dtrace ./dtrace -o /dev/full",
                                     "run x.d --dtrace ./dtrace --format jsonl -o /dev/full",
                                     "compile x.py -o /dev/full", "import x.d -o /dev/full"])
def test_a_full_output_file_is_a_located_error(work, command):
    (work / "dtrace").write_text("#!/bin/sh\necho one line\n")   # less than a buffer: the last flush
    done = _shell(f"dtracepy {command}", work)
    assert (done.returncode, done.stderr) == (1, "/dev/full:1: error: cannot write: no space left on device\n")


@pytest.mark.parametrize("command", ["import big.d", "layout s.h s", "run x.d --dtrace ./dtrace"])
@pytest.mark.parametrize("unbuffered", [False, True])
def test_a_reader_that_goes_away_ends_the_command_quietly(work, command, unbuffered):
    (work / "big.d").write_text("BEGIN\n{\n\texit(0);\n}\n" * 3000)
    done = _shell(f'dtracepy {command} | (exec 0<&-; sleep 1); echo "status ${{PIPESTATUS[0]}}"', work,
                  unbuffered)
    assert (done.stdout, done.stderr) == ("status 141\n", "")


def test_unbuffered_output_still_streams(work):
    """Under PYTHONUNBUFFERED (python -u) a run's lines reach a pipe as they come, as they did
    before standard output was rebuilt to tell its write errors apart."""
    import time

    (work / "dtrace").write_text("#!/bin/sh\necho first\nsleep 5\necho second\n")
    env = dict(env_with(REPO), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "dtracepy", "run", "x.d", "--dtrace", "./dtrace"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=work)
    try:
        start = time.monotonic()
        assert proc.stdout.readline() == "first\n"
        assert time.monotonic() - start < 4.5 and proc.poll() is None
    finally:
        out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (0, "second\n", "")


# --- CSV: a header whenever the fields change --------------------------------------------------
def test_csv_repeats_the_header_when_the_record_changes():
    """A header row whenever the rows' fields change (another record's rows, or an aggregation's,
    came in between), so that every row stands under the titles of its own columns."""
    import csv

    from dtracepy.run import aggregations as A
    from dtracepy.run.decode import row_class
    from dtracepy.run.framing import RecordSpec, column
    from dtracepy.run.output import writer

    def record(number, *titles):
        return row_class(RecordSpec(number, f"r{number}", tuple(column(t, "%d") for t in titles)))

    a, b = record(0, "Pid", "Comm"), record(1, "When", "Bytes", "Path")
    out = io.StringIO()
    w = writer("csv", out, io.StringIO())
    for event in [a(1, "sh"), a(2, "ls"), b(3, 4, "/"), a(5, "vi")]:
        w.event(event)
    w.aggregation(A.Aggregation("n", "count", {("sh",): 3}))
    w.event(a(6, "cc"))
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["Pid", "Comm"], ["1", "sh"], ["2", "ls"],
        ["When", "Bytes", "Path"], ["3", "4", "/"],
        ["Pid", "Comm"], ["5", "vi"],
        ["aggregation", "key1", "value"], ["n", "sh", "3"],
        ["Pid", "Comm"], ["6", "cc"]]


# --- usage errors say what was meant ------------------------------------------------------------
@pytest.mark.parametrize("argv,said", [
    (["check", "--macro-argz", "3", "x.d"],
     "dtracepy check: error: unrecognized option --macro-argz (did you mean --macro-args?)"),
    (["check", "x.d", "--strikt"], "dtracepy check: error: unrecognized option --strikt (did you mean --strict?)"),
    (["run", "x.d", "--no-statuz"],
     "dtracepy run: error: unrecognized option --no-statuz (did you mean --no-status?)"),
    # an abbreviation was taken silently for the option it begins (--durat 3 ran as --duration 3)
    (["run", "x.d", "--durat", "3"], "dtracepy run: error: unrecognized option --durat (did you mean "
                                     "--duration?)"),
    (["check", "--stric", "x.d"], "dtracepy check: error: unrecognized option --stric (did you mean "
                                  "--strict?)"),
    (["check", "--dialect", "orcle", "x.d"],
     "dtracepy check: error: argument --dialect: invalid choice: 'orcle' (did you mean 'oracle'? choose "
     "from 'illumos', 'freebsd', 'macos', 'oracle')"),
    # an option before the command (argparse said "the following arguments are required: COMMAND")
    (["--vers"], "dtracepy: error: unrecognized option --vers (did you mean --version?)"),
    (["--verison", "check", "x.d"], "dtracepy: error: unrecognized option --verison (did you mean --version?)"),
    (["--vers=1"], "dtracepy: error: unrecognized option --vers=1 (did you mean --version?)"),
    (["chek", "x.d"], "dtracepy: error: argument COMMAND: invalid choice: 'chek' (did you mean 'check'? "
     "choose from 'compile', 'check', 'layout', 'run', 'import')"),
    # `--` ends dtracepy's own options: what follows is the command, never an option
    (["--", "--version"], "dtracepy: error: argument COMMAND: invalid choice: '--version' (choose from "
     "'compile', 'check', 'layout', 'run', 'import')"),
    (["--", "--", "check", "x.d"], "dtracepy: error: argument COMMAND: invalid choice: '--' (choose from "
     "'compile', 'check', 'layout', 'run', 'import')"),
    (["--", "chek", "x.d"], "dtracepy: error: argument COMMAND: invalid choice: 'chek' (did you mean 'check'? "
     "choose from 'compile', 'check', 'layout', 'run', 'import')"),
    (["--"], "dtracepy: error: the following arguments are required: COMMAND"),
    # a duration too long for a timer was a plain error, exit 1 (review 13, finding 8)
    (["run", "x.d", "--duration", "1e308"],
     "dtracepy run: error: argument --duration: must be at most 9223372036 seconds: '1e308'"),
    (["check", "--macro-args", "10000", "x.d"],
     "dtracepy check: error: argument --macro-args: '10000' is not a number of arguments (0 to 9999)"),
    # a byte that is not UTF-8 (os.fsdecode's surrogate) is shown as the shell shows it
    (["check", "--dialect", "or\udcffacle", "x.d"],
     "dtracepy check: error: argument --dialect: invalid choice: 'or\\xffacle' (did you mean 'oracle'? "
     "choose from 'illumos', 'freebsd', 'macos', 'oracle')"),
    (["check", "x.d", "--\udcff"], "dtracepy check: error: unrecognized option --\\xff"),
    (["check", "-C", "-D", "\udcff=1", "x.d"],
     "dtracepy check: error: argument -D: '\\xff' is not a macro name (a C identifier, as in -D NAME "
     "or -D NAME=VALUE)"),
    (["import", "-C", "-D", "1x", "x.d"],
     "dtracepy import: error: argument -D: '1x' is not a macro name (a C identifier, as in -D NAME "
     "or -D NAME=VALUE)"),
    (["layout", "-D", "A B=1", "s.h", "s"],
     "dtracepy layout: error: argument -D: 'A B' is not a macro name (a C identifier, as in -D NAME "
     "or -D NAME=VALUE)"),
    (["compile", "x.py", "-o", ""], "dtracepy compile: error: argument -o/--output: empty file name "
     "(to write standard output, leave -o out or write -o /dev/stdout)"),
    (["import", "x.d", "-o", ""], "dtracepy import: error: argument -o/--output: empty file name "
     "(to write standard output, leave -o out or write -o /dev/stdout)"),
    (["run", "x.d", "--output=", "--dtrace", "./dtrace"], "dtracepy run: error: argument -o/--output: "
     "empty file name (to write standard output, leave -o out or write -o /dev/stdout)"),
    (["run", "x.d", "--tracer", "t", "--dtrace", "./dtrace"],
     "dtracepy run: error: --tracer t: x.d is a D script, not a tracer module (TRACER.py): it has no "
     "tracers to choose from"),
])
def test_usage_errors_say_what_was_meant(work, capsys, monkeypatch, argv, said):
    monkeypatch.chdir(work)
    assert _usage_error(capsys, *argv) == said


def test_a_misspelt_dtrace_option_gets_a_did_you_mean(work, capsys, monkeypatch):
    monkeypatch.chdir(work)
    assert main(["run", "x.d", "--dtrace", "./dtrace", "-x", "quite"]) == 1
    assert "-x quite: unknown D option 'quite'; did you mean 'quiet'?" in capsys.readouterr().err


@pytest.mark.parametrize("argv,said", [
    (["-x", "qu\udcffet"], "-x qu\\xffet: 'qu\\xffet' is not an option name"),
    (["-x", "bufsize=\udcff"], "-x bufsize=\\xff: option bufsize takes a size such as 4m, 512k or 65536; "
                               "not '\\xff'"),
])
def test_an_option_that_is_not_utf8_is_shown_as_its_bytes(work, capsys, monkeypatch, argv, said):
    """As every other message of the command line: \\xff, not Python's '\\udcff' (the option facts
    quoted the name with repr)."""
    monkeypatch.chdir(work)
    assert main(["run", "x.d", "--dtrace", "./dtrace", *argv]) == 1
    err = capsys.readouterr().err
    assert said in err and "udc" not in err, err


def test_a_shebang_option_and_a_pragma_that_are_not_utf8_are_shown_as_their_bytes(work, capsys, monkeypatch):
    monkeypatch.chdir(work)
    (work / "b.d").write_bytes(b"#!/usr/bin/env -S /usr/sbin/dtrace -x qu\xffet -s\nBEGIN\n{\n\texit(0);\n}\n")
    assert main(["run", "b.d", "--dtrace", "./dtrace"]) == 1
    err = capsys.readouterr().err
    assert "'qu\\xffet' is not an option name" in err and "udc" not in err, err
    (work / "b.d").write_bytes(b"#!/usr/sbin/dtrace -x qu\xffet -s\nBEGIN\n{\n\texit(0);\n}\n")
    assert main(["run", "b.d", "--dtrace", "./dtrace"]) == 1
    err = capsys.readouterr().err
    assert "gives dtrace '-x qu\\xffet -s' as one argument" in err and "udc" not in err, err
    (work / "p.d").write_bytes(b"#pragma D option qu\xffet\nBEGIN\n{\n\texit(0);\n}\n")
    main(["check", "p.d"])
    err = capsys.readouterr().err
    assert "'qu\\xffet'" in err and "udc" not in err, err


def test_function_like_defines_are_macro_names(work, capsys, monkeypatch):
    monkeypatch.chdir(work)
    (work / "f.d").write_text("BEGIN\n{\n\ttrace(TWICE(2) + N);\n}\n")
    assert main(["check", "-C", "-D", "TWICE(x)=((x) * 2)", "-D", "N", "f.d"]) == 0


@pytest.mark.parametrize("argv", [
    ["m.d", "7"], ["m.d", "--no-status", "7"], ["m.d", "7", "--no-status"], ["--no-status", "m.d", "--", "7"],
    ["m.d", "--no-status", "--", "7"], ["m.d", "-7"], ["m.d", "--no-status", "-7"], ["m.d", "--", "-7"]])
def test_macro_arguments_are_the_same_wherever_they_stand(work, capsys, monkeypatch, argv):
    """Without `--` as after it, before the options or after them; dtrace is given them after its
    own `--`, so that one that starts with `-` is no dtrace option."""
    monkeypatch.chdir(work)
    (work / "m.d").write_text("BEGIN\n{\n\ttrace($1);\n}\n")
    (work / "dtrace").write_text('#!/bin/sh\necho "argv: $*"\n')
    assert main(["run", "--dtrace", "./dtrace", *argv]) == 0
    out = capsys.readouterr().out
    number = next(word for word in argv if word.lstrip("-").isdigit())
    assert out.startswith("argv: ") and out.rstrip().endswith(f".d -- {number}"), out


def test_a_directive_inside_a_clause_suggests_the_commands_own_c_preprocessor(work, capsys, monkeypatch):
    monkeypatch.chdir(work)
    (work / "if.d").write_text("BEGIN\n{\n#if 1\n\ttrace(1);\n#endif\n}\n")
    for command in ("check", "import"):
        assert main([command, "if.d"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("if.d:3:1: error: preprocessor directive inside a clause or declaration "
                              "(run the C preprocessor first: -C, as dtrace -C does)"), err
        assert main([command, "-C", "if.d"]) == 0
        capsys.readouterr()


# --- a macro()'s doc ----------------------------------------------------------------------------
def test_a_lone_surrogate_in_a_macro_doc_is_reported_at_its_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.py").write_text(
        'from dtracepy import Tracer, macro, trace\n\nt = Tracer()\n\n\nn = macro(1, "bad \\udc80 doc")\n\n\n'
        '@t.probe("BEGIN")\ndef b():\n    trace(n)\n')
    assert main(["compile", "s.py"]) == 1
    assert capsys.readouterr().err.startswith("s.py:6: error: the string 'bad \\udc80 doc' holds a lone surrogate")


def test_a_macro_doc_of_several_lines_stays_inside_the_header_comment(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text(
        'from dtracepy import Tracer, macro, trace\n\nt = Tracer()\n'
        'n = macro(1, "the port\\n#pragma D option destructive\\nBEGIN { exit(0); } */ x /*\\r\\nlast line")\n\n\n'
        '@t.probe("BEGIN")\ndef b():\n    trace(n)\n')
    assert main(["compile", "m.py"]) == 0
    text = capsys.readouterr().out
    header = text[text.index("/*"):text.index("*/") + 2].splitlines()
    assert header[0] == "/*" and header[-1] == " */"
    assert all(line == " *" or line.startswith(" * ") for line in header[1:-1]), header
    assert header[-6:-1] == [" * Arguments:", " *   $1  the port", " *       #pragma D option destructive",
                             " *       BEGIN { exit(0); } * / x / *", " *       last line"]
    verdicts = judge_scripts({"m": job_for_d(text)})
    assert verdicts == {"m": None}


@pytest.mark.parametrize("name", ["tracer.txt", "tracer", "tracer.PY"])
def test_a_tracer_whose_name_does_not_end_in_py_says_so(tmp_path, capsys, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(TRACER)
    assert main(["compile", name]) == 1
    assert capsys.readouterr().err.startswith(
        f"{name}:1: error: cannot be imported as a Python module (a tracer module's file name ends in .py)")


def test_a_script_named_after_the_double_dash_is_still_the_script(work, capsys, monkeypatch):
    """`run -- -m.d 7`: a script whose name starts with `-` is named after `--`, as argparse reads
    it; the words after it are its macro arguments."""
    monkeypatch.chdir(work)
    (work / "-m.d").write_text("BEGIN\n{\n\ttrace($1);\n}\n")
    (work / "dtrace").write_text('#!/bin/sh\necho "argv: $*"\n')
    assert main(["run", "--dtrace", "./dtrace", "--", "-m.d", "7"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("-m.d -- 7")


def _outcome(capsys, argv):
    try:
        status = main(list(argv))
    except SystemExit as exit_info:
        status = exit_info.code
    return status, capsys.readouterr()


_WORDS = ["x.d", "-", "--strict", "-w", "-C", "--", "-x", "--dialect", "oracle", "--syntax-only", "b.d"]


def test_a_double_dash_before_the_command_ends_dtracepys_own_options(work, capsys, monkeypatch):
    """`dtracepy -- check x.d` was refused ("invalid choice: '--'": Python 3.11's argparse took the
    `--` for the command); it is `dtracepy check x.d`, as `--` ends options in most command lines.
    Every check command line of up to two words (from the words above: the quick reader's and
    argparse's), and one of each other command, give the same status and output with `--` before."""
    import itertools

    monkeypatch.chdir(work)
    (work / "b.d").write_text("BEGIN\n{\n\ttrace(nosuch);\n}\n")
    lines = [["check", *words] for size in range(3) for words in itertools.product(_WORDS, repeat=size)]
    lines += [["compile", "x.py"], ["compile"], ["layout", "s.h", "struct s", "--json"], ["import", "x.d"],
              ["run", "x.d", "--dtrace", "./nosuch"]]
    for argv in lines:
        assert _outcome(capsys, ["--", *argv]) == _outcome(capsys, argv), argv
    assert _outcome(capsys, ["--", "check", "x.d"])[0] == 0
    assert _outcome(capsys, ["--", "check", "--strict", "b.d"])[0] == 1
