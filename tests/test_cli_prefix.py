"""The command line's error prefix and how ``python -m dtracepy`` finds its own code.

* A file name that is not UTF-8 is shown in every command's ``file:line:`` prefix as the shell
  shows its bytes (``x\\xff.d``), never as Python's surrogate (``x\\udcff.d``): one helper,
  :func:`dtracepy.errors.shown_name`, behind ``str(Pos)``.
* ``python -m dtracepy`` run where a module named like one of dtracepy's dependencies lies
  (``attrs.py``) imports the real one, as the ``dtracepy`` command does.
* ``t.clear``/``t.keep`` given what is not a thread-local, or ``at=`` what is not probe
  descriptions, is a located DSLError at the user's line.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO
from dtracepy import Tracer, arg0, glob, self, this, timestamp
from dtracepy.errors import DSLError, shown_name
from dtracepy.source import Pos

BAD_NAME = os.fsdecode(b"x\xff.d")  # a name that is not UTF-8, as Python holds it


def _dtracepy(*args, cwd, stdin=None):
    env = env_with(REPO)
    return subprocess.run([sys.executable, "-m", "dtracepy", *args], capture_output=True, cwd=cwd,
                          env=env, timeout=120, input=stdin)


def test_shown_name_shows_bytes_as_the_shell_does():
    assert shown_name(BAD_NAME) == "x\\xff.d"
    assert shown_name("tab\there.d") == "tab\\there.d"
    assert shown_name("plain/é.d") == "plain/é.d"
    assert str(Pos(BAD_NAME, 3, 7)) == "x\\xff.d:3:7" and str(Pos(BAD_NAME, 3)) == "x\\xff.d:3"


@pytest.mark.parametrize("command", ["check", "import", "layout", "compile"])
def test_every_command_prefixes_a_bad_file_name_with_its_bytes(tmp_path, command):
    if command == "compile":
        name = b"t\xff.py"
        (tmp_path / os.fsdecode(name)).write_bytes(b"from dtracepy import Tracer\nt = Tracer()\nt.nosuch()\n")
        expected = b"t\\xff.py:3: error: "
        args = [os.fsdecode(name)]
    else:
        (tmp_path / BAD_NAME).write_bytes(b"BEGIN { x = 1 +; }\n")
        expected = b"x\\xff.d:1:"
        args = [BAD_NAME] + (["struct s"] if command == "layout" else [])
    result = _dtracepy(command, *args, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(expected), result.stderr
    assert b"\\udc" not in result.stderr and b"Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["check", ""], ["check", "-C", ""], ["import", ""], ["layout", "", "T"],
                                  ["compile", ""], ["run", ""]])
def test_an_empty_file_name_is_named_and_said(tmp_path, args):
    """An empty argument (an unset shell variable) was ``:1: error: cannot read: no such file or
    directory`` (a prefix naming no file), and ``layout`` read the working directory (``.``)."""
    result = _dtracepy(*args, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == b"'':1: error: cannot read: the file name is empty\n"
    assert str(Pos("", 1)) == "'':1" and shown_name("") == "''"


def test_python_dash_m_imports_its_own_dependencies_not_the_working_directorys(tmp_path):
    """``python -m`` puts the working directory first on sys.path; an attrs.py there used to be
    imported by dtracepy (here: exit status 3 and its message, before any check ran)."""
    (tmp_path / "attrs.py").write_text('raise SystemExit("the attrs.py of the working directory")\n')
    (tmp_path / "x.d").write_text("BEGIN { x = 1 +; }\n")
    result = _dtracepy("check", "x.d", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.decode().startswith('x.d:1:16: error: syntax error near ";"')


def _tracer():
    t = Tracer()

    @t.probe("syscall::read:entry")
    def _():
        self.ts = timestamp

    return t


@pytest.mark.parametrize("call, message", [
    (lambda t: t.clear(this.x, at="syscall::read:return"), "not this->x"),
    (lambda t: t.clear(glob.x, at="syscall::read:return"), "thread-local (self.x) or its name, not x"),
    (lambda t: t.clear(3, at="syscall::read:return"), "not int (3)"),
    (lambda t: t.clear("ts; x", at="syscall::read:return"), "not str ('ts; x')"),
    (lambda t: t.clear(self.ts + 1, at="syscall::read:return"), "not self->ts + 1"),
    (lambda t: t.clear(arg0, at="syscall::read:return"), "not arg0"),
    (lambda t: t.clear(), "thread-local (self.x) or its name, not NoneType"),
    (lambda t: t.clear(self.ts), "needs at="),
    (lambda t: t.clear(self.ts, at=None), "needs at="),
    (lambda t: t.clear(self.ts, at=3), "not int (3)"),
    (lambda t: t.clear(self.ts, at={"syscall::read:return": 1}), "not dict"),
    (lambda t: t.clear(self.ts, at=b"syscall::read:return"), "not bytes"),
    (lambda t: t.clear(self.ts, at=[3]), "not int"),
    (lambda t: t.clear(self.ts, at=[]), "at least one probe description"),
    (lambda t: t.keep(3), "keep takes a thread-local (self.x) or its name, not int (3)"),
    (lambda t: t.keep(this.x), "not this->x"),
])
def test_clear_and_keep_with_odd_arguments_are_located_errors(call, message):
    t = _tracer()
    with pytest.raises(DSLError) as info:
        call(t)
    assert message in info.value.message
    pos = info.value.pos  # the user's line: where t.clear is called
    assert pos is not None and pos.file.endswith("test_cli_prefix.py")
    assert pos.line == call.__code__.co_firstlineno


def test_an_unknown_check_name_that_is_not_utf8_is_shown_with_its_bytes(tmp_path):
    (tmp_path / "x.d").write_text("BEGIN { exit(0); }\n")
    result = _dtracepy("check", "--disable", os.fsdecode(b"\xff"), "x.d", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(b"dtracepy check: error: --disable: unknown check(s) \\xff (known: ")
