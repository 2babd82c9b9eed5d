"""Session 23's new user, following the README from the top: what did not do what it says.

Each test fails on the code before the fix.  The live runs the user made are not repeated here:
`run`'s checks of its arguments happen before dtrace starts, so a stand-in dtrace serves."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

from dtracepy.cli import main

REPO = pathlib.Path(__file__).resolve().parent.parent


def _standin(tmp_path) -> str:
    fake = tmp_path / "dtrace"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    return str(fake)


def test_target_without_c_or_p_is_located_at_its_use_in_a_tracer(tmp_path, capsys, monkeypatch):
    # README, `run`: "`$target` without `-c`/`-p` at its use".  The DSL's `target` is one node made
    # where dtracepy defines it (no user line), so the error named the clause's decorator instead.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tg.py").write_text(
        "from dtracepy import Tracer, target, trace\n\nt = Tracer()\n\n\n"
        "@t.probe('BEGIN')\ndef _():\n    trace(1)\n    trace(target)\n")
    assert main(["run", "tg.py", "--dtrace", _standin(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith("tg.py:9: error: tg.py uses $target")


def test_target_in_a_predicate_is_located_at_the_predicate(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tp.py").write_text(
        "from dtracepy import Tracer, pid, target, trace\n\nt = Tracer()\n\n\n"
        "@t.probe('syscall::read:entry',\n         when=pid == target)\ndef _():\n    trace(1)\n")
    assert main(["run", "tp.py", "--dtrace", _standin(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(("tp.py:6: error: tp.py uses $target", "tp.py:7: error: tp.py uses $target")), err


def test_a_named_constant_after_a_star_import_says_to_import_it_by_name(tmp_path, capsys, monkeypatch):
    # README: D's named constants are importable by name, not by `*`; and "one of dtracepy's names
    # used without its import says `it is dtracepy's: from dtracepy import trace`".  EPERM got a
    # bare NameError.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.py").write_text(
        "from dtracepy import *\n\nt = Tracer()\n\n\n@t.probe('BEGIN')\ndef _():\n    trace(EPERM)\n")
    assert main(["compile", "c.py"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("c.py:8: error: NameError: name 'EPERM' is not defined; it is dtracepy's"), err
    assert "from dtracepy import EPERM" in err


def test_a_misspelt_disable_name_gets_a_did_you_mean(tmp_path, capsys, monkeypatch):
    # README: "a misspelt option, subcommand or choice gets a did-you-mean"; the same name in the
    # file (`/* dtracepy: disable[printf-arg] */`) got one, `--disable printf-arg` only the list.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.d").write_text('BEGIN { printf("%d\\n"); }\n')
    assert main(["check", "--disable", "printf-arg,zzzz", "x.d"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dtracepy check: error: --disable: unknown check(s) printf-arg, zzzz"), err
    assert "printf-arg: did you mean printf-args?" in err
    assert "zzzz: did you mean" not in err


def test_the_lab_run_by_a_python_without_dtracepy_says_so_without_a_traceback(capsys, monkeypatch):
    # The lab's docstring said `sudo python3 examples/listen_queue_lab.py`, which the README says
    # is the system's Python, without dtracepy: it ended in a ModuleNotFoundError traceback.
    spec = importlib.util.spec_from_file_location("listen_queue_lab_nu23", REPO / "examples" / "listen_queue_lab.py")
    lab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lab)
    assert "sudo python3 examples" not in lab.__doc__
    for name in [n for n in sys.modules if n == "dtracepy" or n.startswith("dtracepy.") or n == "tcpq_linux"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "dtracepy", None)     # `import dtracepy` raises ImportError
    monkeypatch.setattr(lab.os, "geteuid", lambda: 0)      # (as root, as the lab is run)
    assert lab.main(["--json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("listen_queue_lab: error: this Python ("), err
    assert "has no dtracepy" in err and "Traceback" not in err


def test_an_exception_in_a_probe_body_shows_its_line_as_written(tmp_path, capsys, monkeypatch):
    # A DSL error showed `    trace(len(execname))`, indented as in the file; a Python exception
    # raised on the line (`if arg0:`) showed it stripped, `if arg0:`, so the two looked unlike.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.py").write_text(
        "from dtracepy import Tracer, arg0, trace\n\nt = Tracer()\n\n\n"
        "@t.probe('BEGIN')\ndef _():\n    if arg0:\n        trace(1)\n")
    assert main(["compile", "b.py"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("b.py:8: error: TypeError: a D expression has no Python truth value"), lines
    assert lines[1] == "    if arg0:", lines
