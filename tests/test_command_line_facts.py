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
    ("/usr/sbin/dtrace -xswitchrate=10hz -s", [("x", "switchrate=10hz"), ("s", None)], 0),
    ("/usr/sbin/dtrace -o w.out -qs", [("o", "w.out"), ("q", None), ("s", None)], 0),
    ("/usr/sbin/dtrace -l -ws", [("l", None), ("w", None), ("s", None)], 0),
    ("/usr/bin/env -S dtrace -ws", [("w", None), ("s", None)], 0),
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
    assert not _destructive_findings("#!/usr/sbin/dtrace -l -ws\n" + body)   # -l takes no value
    assert _destructive_findings("#!/usr/sbin/dtrace -xswitchrate=10hz -s\n" + body)
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
