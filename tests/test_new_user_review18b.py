"""Review 18b: a new user of the end-to-end product (run, its formats, the Python API).

Each test fails on the code before its fix (see /work/review18b.md)."""

from __future__ import annotations

import os
import sys
import time


# --- B1: a dtrace killed while it releases its probes, after printing everything ------------------

_TEARDOWN_DTRACE = '''#!{python}
"""A stand-in dtrace: traces at once, ends its output on SIGINT as dtrace does (its END clauses),
then stays busy releasing its probes (Linux: an RCU grace period a probe) until killed."""
import re, signal, sys, time
script = open(sys.argv[sys.argv.index("-s") + 1], encoding="utf-8").read()
mark = "\\036" + re.search(r"\\\\036(\\w+)B", script).group(1)
stopped = []
signal.signal(signal.SIGINT, lambda *_: stopped.append(1))
sys.stdout.write(mark + "B\\n")
sys.stdout.flush()
for _ in range(600):      # (bounded: a failed test leaves no process behind for long)
    if stopped:
        break
    time.sleep(0.05)
sys.stdout.write("bye\\n" + mark + "E\\n" + mark + "F\\n")
sys.stdout.flush()
signal.signal(signal.SIGINT, signal.SIG_IGN)
time.sleep(30)
'''


def _teardown_run(tmp_path, monkeypatch, capsys, end_output=True):
    from dtracepy.cli import main
    from dtracepy.run import runner

    script = tmp_path / "x.d"
    script.write_text("BEGIN { trace(1); }\n")
    fake = tmp_path / "dtrace"
    text = _TEARDOWN_DTRACE.format(python=sys.executable)
    if not end_output:
        text = text.replace('mark + "E\\n" + mark + "F\\n"', '""')
    fake.write_text(text)
    fake.chmod(0o755)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    real_run = runner.run
    monkeypatch.setattr(runner, "run", lambda *a, **k: real_run(*a, stop_timeout=1.5, **k))
    start = time.monotonic()
    code = main(["run", str(script), "--dtrace", str(fake), "--duration", "0.2", "--no-status",
                 "--format", "jsonl"])
    assert time.monotonic() - start < 20
    return code, capsys.readouterr()


def test_a_dtrace_killed_while_it_releases_its_probes_lost_nothing(tmp_path, monkeypatch, capsys):
    """`dtracepy run` of `syscall:::entry` on Linux, stopped: dtrace ran its END clauses and printed
    everything, then took 27 s to close its 360 probes (each waits for an RCU grace period); at
    30 s dtracepy killed it and said `error: dtrace had not ended 30 s after it was asked to stop`,
    exit 137, though nothing was lost.  Now a note, and the status of a run that ended well."""
    code, out = _teardown_run(tmp_path, monkeypatch, capsys)
    assert '{"text": "bye\\n"}' in out.out
    assert "error" not in out.err, out.err
    assert "nothing was lost" in out.err and "releasing its probes" in out.err
    assert code == 0


def test_a_dtrace_killed_before_its_end_clauses_printed_is_still_an_error(tmp_path, monkeypatch, capsys):
    code, out = _teardown_run(tmp_path, monkeypatch, capsys, end_output=False)
    assert "error: dtrace had not ended" in out.err
    assert code == 128 + 9


def test_the_api_says_whether_dtrace_printed_all_it_prints(tmp_path, monkeypatch):
    from dtracepy.run import runner

    script = tmp_path / "x.d"
    script.write_text("BEGIN { trace(1); }\n")
    fake = tmp_path / "dtrace"
    fake.write_text(_TEARDOWN_DTRACE.format(python=sys.executable))
    fake.chmod(0o755)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    with runner.run(str(script), dtrace=str(fake), duration=0.2, stop_timeout=1.5) as tracing:
        assert [str(e) for e in tracing.events()] == ["bye\n"]
    assert tracing.killed_after is not None and tracing.output_complete


# --- B2: --format csv's text on stderr keeps dtrace's bytes ---------------------------------------

def test_csv_text_on_stderr_keeps_bytes_that_are_not_utf8(tmp_path, monkeypatch, capsysbinary):
    """`dtracepy run x.d --format csv` of `printf("[%s]\\n", "\\377\\376")`: the text went to stderr as
    `[\\udcff\\udcfe]` (Python's escape of the surrogates the decoder holds the bytes as), where
    --format table, jsonl's file and dtrace itself give the bytes."""
    from dtracepy.cli import main

    script = tmp_path / "x.d"
    script.write_text("BEGIN { trace(1); }\n")
    fake = tmp_path / "dtrace"
    fake.write_bytes(b"#!/bin/sh\nprintf '[\\377\\376] caf\\303\\251\\n'\n")
    fake.chmod(0o755)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    main(["run", str(script), "--dtrace", str(fake), "--no-status", "--format", "csv"])
    err = capsysbinary.readouterr().err
    assert b"[\xff\xfe] caf\xc3\xa9\n" in err, err


# --- B3: records() of a run never started -------------------------------------------------------

def test_records_of_a_run_never_started_is_an_error_not_a_wait_for_ever(tmp_path, monkeypatch):
    """`tracing = t.run(duration=1)` then `for row in tracing.records():` (no `with`, no start()):
    the loop waited for ever for a dtrace that was never started.  Now a RunError at the user's
    line saying how to start it."""
    import pytest

    from dtracepy.run import runner
    from dtracepy.run.errors import RunError

    script = tmp_path / "x.d"
    script.write_text("BEGIN { trace(1); }\n")
    fake = tmp_path / "dtrace"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    tracing = runner.run(str(script), dtrace=str(fake), duration=1)
    result = []
    worker = __import__("threading").Thread(target=lambda: result.append(_first_error(tracing)), daemon=True)
    worker.start()
    worker.join(10)
    assert result, "records() of a run never started waited for ever"
    assert isinstance(result[0], RunError) and "never started" in str(result[0])
    assert "test_new_user_review18b.py" in str(result[0].pos)
    with pytest.raises(RunError):
        next(tracing.events())


def _first_error(tracing):
    try:
        for _ in tracing.records():
            break
    except Exception as err:        # what the user gets
        return err
    return None


# --- B4: a %Y column shown in local time, as dtrace prints it ------------------------------------

def test_the_table_shows_a_time_in_local_time_as_dtrace_does(monkeypatch):
    """`printf("%Y", walltimestamp)` under TZ=America/New_York: dtrace prints 17:53, `run`'s table
    showed 22:53 (UTC, without a zone).  The data stays an aware datetime; the table and the lab's
    CSV show it as dtrace does."""
    import datetime

    from dtracepy.run.output import _cell

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        when = datetime.datetime(2026, 12, 2, 22, 53, 11, 5, tzinfo=datetime.timezone.utc)
        assert _cell(when) == "2026-12-02 17:53:11.000005"
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
        try:
            import listen_queue_lab
        finally:
            sys.path.pop(0)
        row = {"TS": 1, "Date": when, "Action": "syn", "Source IP": 1, "Source Port": 2,
               "Dest Port": 3, "Q0": 0, "Q": 0, "Qmax": 1}
        assert listen_queue_lab.csv_lines({"rows": [row]})[1] == "1,2026 Dec  2 17:53:11,syn,0x00000001,2,3,0,0,1"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
