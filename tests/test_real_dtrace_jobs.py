"""tests/real_dtrace.py's ``job_for_d``: how the real dtrace is run on a script dtracepy emitted.

A ``$1`` inside a string constant or a comment is text: given a macro argument for it, dtrace
refuses the script ("extraneous argument '1' ($1 is not referenced)").  test_real_dsl's random
programs met it once (a string "U$1r") and failed by chance.
"""

from __future__ import annotations

from real_dtrace import job_for_d, judge_scripts

IN_TEXT = 'BEGIN\n{\n\ttrace("U$1r");\n\t/* $2 and $$3 */\n\ttrace(\'$\');\n\texit(0);\n}\n'
IN_CODE = 'BEGIN\n{\n\ttrace($1 + 1);\n\ttrace("$2");\n\ttrace($$3);\n\texit(0);\n}\n'


def test_a_macro_argument_in_a_string_or_a_comment_is_text():
    assert "args" not in job_for_d(IN_TEXT)
    job = job_for_d(IN_CODE)
    assert job["args"] == ["1", "1", "x"] and "argref" in job["options"]


def test_the_real_dtrace_accepts_both_as_run():
    verdicts = judge_scripts({"in text": job_for_d(IN_TEXT), "in code": job_for_d(IN_CODE)})
    assert verdicts == {"in text": None, "in code": None}, verdicts


def test_dtrace_processes_are_found_by_name():
    """wait_for_no_dtrace (live tests start with no other dtrace running) finds them by name."""
    import subprocess
    import sys

    from real_dtrace import dtrace_processes, wait_for_no_dtrace

    # a process named dtrace (prctl PR_SET_NAME), bounded: it ends by itself after 30 s
    helper = subprocess.Popen([sys.executable, "-c", "import ctypes, time\n"
                               "ctypes.CDLL(None).prctl(15, b'dtrace', 0, 0, 0)\ntime.sleep(30)"])
    try:
        import time

        deadline = time.monotonic() + 10
        while helper.pid not in dtrace_processes() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert helper.pid in dtrace_processes()
        started = time.monotonic()
        wait_for_no_dtrace(timeout=0.5)  # bounded: it gives up when one stays
        assert 0.4 < time.monotonic() - started < 5
    finally:
        helper.kill()
        helper.wait()
    assert helper.pid not in dtrace_processes()
