"""dtrace's command-line flags and the #! line reader that check and run share (facts/command_line)."""

from __future__ import annotations

import pytest

from dtracepy.checks import check_program
from dtracepy.facts import command_line
from dtracepy.parser import parse


def test_the_flags_that_take_a_value_are_dtraces_optstr():
    # cmd/dtrace.c: "3:6:aAb:Bc:CD:ef:FGhHi:I:lL:m:n:o:p:P:qs:SU:vVwx:X:Z"
    assert command_line.TAKES_VALUE == set("36bcDfiILmnopPsUxX")
    assert "l" not in command_line.TAKES_VALUE and "w" in command_line.FLAGS


@pytest.mark.parametrize("text,flags,problems", [
    ("/usr/sbin/dtrace -qs", [("q", None), ("s", None)], 0),
    ("/usr/sbin/dtrace -xswitchrate=10hz", [("x", "switchrate=10hz")], 0),
    ("/usr/bin/env -S dtrace -xswitchrate=10hz -s", [("x", "switchrate=10hz"), ("s", None)], 0),
    ("/usr/bin/env -S dtrace -o w.out -qs", [("o", "w.out"), ("q", None), ("s", None)], 0),
    ("/usr/sbin/dtrace -lws", [("l", None), ("w", None), ("s", None)], 0),
    ("/usr/bin/env -S dtrace -ws", [("w", None), ("s", None)], 0),
    ("/usr/sbin/dtrace -qs  \t", [("q", None), ("s", None)], 0),     # the kernel drops trailing blanks
    # all that follows the interpreter is one argument: getopt stops at the blank, no flag is given
    ("/usr/sbin/dtrace -q -w -s", [], 1),
    ("/usr/sbin/dtrace -x destructive -s", [], 1),
    ("/usr/sbin/dtrace\t-w\t-s", [], 1),
    ("/usr/bin/env dtrace -ws", [], 1),                   # env looks for a program named "dtrace -ws"
    ("/bin/sh -w", [], 0),
    ("/usr/sbin/dtrace -p", [], 1),
    # dtrace stops at a letter it does not know ("invalid option") and runs nothing: no -w counts
    ("/usr/sbin/dtrace -Kws extra", [], 1),
    ("/usr/sbin/dtrace --w -s", [], 1),
    ("/usr/sbin/dtrace -q -w- -s", [], 1),
])
def test_a_shebang_line_is_read_as_dtraces_getopt_reads_it(text, flags, problems):
    found, wrong = command_line.shebang_flags(text)
    assert found == flags and len(wrong) == problems, wrong


def _destructive_findings(text):
    return [f for f in check_program(parse(text, "x.d")) if f.check == "destructive"]


def test_checks_w_rule_reads_the_shebang_through_the_shared_reader():
    body = 'BEGIN\n{\n\tsystem("id");\n}\n'
    assert not _destructive_findings("#!/usr/bin/env -S dtrace -ws\n" + body)
    assert not _destructive_findings("#!/usr/sbin/dtrace -lws\n" + body)   # -l takes no value
    assert _destructive_findings("#!/usr/bin/env -S dtrace -xswitchrate=10hz -s\n" + body)
    assert _destructive_findings("#!/usr/sbin/dtrace -q -w -s\n" + body)      # one argument: no -w
    assert _destructive_findings("#!/bin/sh -w\n" + body)                     # not dtrace's -w
    assert _destructive_findings("#!/usr/sbin/dtrace --w -s\n" + body)        # invalid option: no -w
    assert _destructive_findings("#!/usr/sbin/dtrace -Kw -s\n" + body)
    assert _destructive_findings("#!/usr/sbin/dtrace -w- -s\n" + body)


def test_the_real_dtrace_refuses_an_unknown_letter_and_reads_no_flag_after_it(tmp_path):
    import subprocess

    from real_dtrace import need_dtrace

    dtrace = need_dtrace()
    script = tmp_path / "x.d"
    script.write_text('BEGIN\n{\n\texit(0);\n}\n')
    for words in (["--w", "-s"], ["-Kw", "-s"], ["-w-", "-s"]):
        done = subprocess.run([dtrace, "-e", *words, str(script)], capture_output=True, text=True, timeout=120)
        assert done.returncode != 0 and "invalid option" in done.stderr, (words, done.stderr[:200])
    done = subprocess.run([dtrace, "-e", "-w", "-s", str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_kernel_gives_dtrace_a_shebang_lines_flags_as_one_argument(tmp_path):
    """Review 9, finding 7: `#!dtrace -e -s` reaches dtrace as the one word "-e -s" (Linux), which
    its getopt refuses, so a `-w` among blanks gives nothing; `-es` and `env -S` lines run."""
    import os
    import subprocess

    from real_dtrace import need_dtrace, need_root

    dtrace = need_dtrace()
    need_root()
    for first, runs in ((f"#!{dtrace} -e -s", False), (f"#!{dtrace} -es", True),
                        (f"#!/usr/bin/env -S {dtrace} -e -s", True)):
        script = tmp_path / "x.d"
        script.write_text(first + '\nBEGIN\n{\n\texit(0);\n}\n')
        os.chmod(script, 0o755)
        done = subprocess.run([str(script)], capture_output=True, text=True, timeout=120)
        assert (done.returncode == 0) is runs, (first, done.stderr[:300])
        assert (not command_line.shebang_flags(first[2:])[1]) is runs
        if not runs:
            assert "invalid option" in done.stderr


def test_check_warns_of_a_shebang_line_that_cannot_start_dtrace(tmp_path, capsys):
    from dtracepy.cli import main

    body = 'BEGIN\n{\n\tsystem("id");\n}\n'
    path = tmp_path / "w.d"
    path.write_text("#!/usr/sbin/dtrace -q -w -s\n" + body)
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:1:1: warning: run as a program, the script would not start: the #! line gives dtrace '-q -w -s' as one argument" in err
    assert "[shebang]" in err and f"{path}:4:2:" in err and "[destructive]" in err
    path.write_text("#!/usr/sbin/dtrace -qws\n" + body)
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().err == ""


def test_run_refuses_a_shebang_line_whose_flags_are_one_argument(tmp_path):
    from dtracepy.run.errors import RunError
    from dtracepy.run.shebang import shebang

    with pytest.raises(RunError, match="gives dtrace '-C -D X=2 -s' as one argument"):
        shebang("#!/usr/sbin/dtrace -C -D X=2 -s\nBEGIN { exit(0); }\n", None)
