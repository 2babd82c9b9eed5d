"""Issue 9's DSL, compiler and check bugs: each fixed at its root, each result accepted by the
real DTrace (one ``dtrace -e`` process for every script of this file: see ``test_real_dtrace``)."""

import os
import subprocess
import sys
import textwrap

import pytest

from dtracepy import tree as T
from dtracepy.checks import CheckOptions, check_program
from dtracepy.dsl import (Tracer, agg, arg0, arg1, char, commit, count, execname, printf, self,
                          speculate, speculation, timestamp, trace, copyinstr, not_, and_)
from dtracepy.errors import CompileError, DSLError
from dtracepy.parser import parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.basename(__file__)

#: name -> a function giving D text: every compiled result below; test_real_dtrace judges them all.
REAL: dict = {}


def real(fn):
    """A function returning D (or a Tracer) that the real DTrace must accept."""
    REAL[fn.__name__] = fn
    return fn


def compiled(t, name=None, checks=True):
    return t.compile(checks=checks).text


def run_cli(*argv, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "dtracepy", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


# --- 1. clearing a thread-local associative array -----------------------------------------------

def test_clear_of_a_whole_thread_local_array_is_a_located_error_not_scalar_d():
    t = Tracer()

    @t.probe("syscall::openat:entry")
    def _():
        self.fd[arg0] = timestamp

    t.clear(self.fd, at="syscall::close:entry")    # D cannot zero a whole array
    with pytest.raises(CompileError) as info:
        t.compile()
    assert info.value.pos.file.endswith(HERE)
    assert "associative array" in info.value.message
    assert "t.clear(self.fd[key]" in info.value.message


@real
def clear_element():
    t = Tracer(options={"quiet": True})

    @t.probe("syscall::openat:entry")
    def _():
        self.fd[arg0] = timestamp

    @t.probe("syscall::close:entry", when=self.fd[arg0])
    def _():
        printf("%d\n", timestamp - self.fd[arg0])

    t.clear(self.fd[arg0], at="syscall::close:entry")
    return compiled(t)


def test_clear_names_the_element_of_a_thread_local_array():
    text = clear_element()
    assert "syscall::close:entry\n{\n\tself->fd[arg0] = 0;\n}" in text
    assert "self->fd = 0" not in text


def test_the_array_error_without_a_clear_point_suggests_what_works():
    t = Tracer()

    @t.probe("syscall::read:entry")
    def _():
        self.a[arg0] = 1

    with pytest.raises(CompileError) as info:
        t.compile()
    # the old message suggested t.clear(self.a, at=...), which emitted `self->a = 0;`
    assert "t.clear(self.a[key]" in info.value.message
    assert "t.clear(self.a, " not in info.value.message


# --- 2. character constants -----------------------------------------------------------------------

@pytest.mark.parametrize("value, d", [
    ("a", "'a'"), ("\n", "'\\n'"), ("'", "'\\''"), ("\\", "'\\\\'"), ("\\n", "'\\n'"),
    ("\t", "'\\t'"), ("\0", "'\\000'"), ("\x01", "'\\001'"), ('"', "'\"'"),
])
def test_char_escapes_what_d_needs(value, d):
    assert str(char(value)) == d


@real
def chars():
    t = Tracer()

    @t.probe("BEGIN")
    def _():
        for value in ("a", "\n", "'", "\\", "\t", "\0", "\x01", '"', "ab"):
            trace(char(value))

    return compiled(t)


@pytest.mark.parametrize("bad", ["", "abcdefghi", 7])
def test_char_refuses_what_is_no_character_at_the_users_line(bad):
    with pytest.raises(DSLError) as info:
        char(bad)
    assert info.value.pos.file.endswith(HERE)


# --- 4. nothing but the D on standard output ------------------------------------------------------

@real
def noisy(tmp_path=None):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return _noisy(tmp)


def test_compile_prints_only_the_d_on_stdout(tmp_path):
    _noisy(tmp_path)


def _noisy(tmp_path):
    import pathlib

    tmp_path = pathlib.Path(tmp_path)
    (tmp_path / "noisy.py").write_text(textwrap.dedent('''\
        import os
        from dtracepy import *
        print("hello from the module")
        os.system("echo from a shell")
        t = Tracer()

        @t.probe("syscall::read:entry")
        def _():
            print(execname)
            trace(arg0)
    '''))
    result = run_cli("compile", "noisy.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("#!/usr/sbin/dtrace -s\n")
    assert "hello" not in result.stdout and "shell" not in result.stdout
    assert "execname" not in result.stdout
    assert "hello from the module" in result.stderr and "from a shell" in result.stderr
    assert "noisy.py:9: warning: the tracer wrote 'execname' to standard output" in result.stderr
    return result.stdout


# --- 5/6. thread-locals meant to outlive their call -----------------------------------------------

def test_a_thread_local_read_outside_its_entry_return_pair_is_not_zeroed_silently():
    t = Tracer()

    @t.probe("syscall::openat:entry")
    def _():
        self.path = arg1

    @t.probe("syscall::close:entry", when=self.path)   # would always see 0
    def _():
        trace(copyinstr(self.path))

    with pytest.raises(CompileError) as info:
        t.compile()
    err = info.value
    assert err.pos.file.endswith(HERE) and err.pos.line == _.__code__.co_firstlineno  # the predicate reads it
    assert "syscall::close:entry" in err.message and "t.clear(self.path" in err.message
    assert "t.keep(self.path)" in err.message


@real
def outlive_clear():
    t = Tracer()

    @t.probe("syscall::openat:entry")
    def _():
        self.path = arg1

    @t.probe("syscall::close:entry", when=self.path)
    def _():
        trace(copyinstr(self.path))

    t.clear(self.path, at="syscall::close:return")
    return compiled(t)


def test_outliving_thread_local_with_a_clear_point_compiles():
    text = outlive_clear()
    assert "syscall::close:return\n{\n\tself->path = 0;\n}" in text
    assert "syscall::openat:return" not in text


@real
def pair():
    t = Tracer()

    @t.probe("syscall::read:entry")
    def _():
        self.ts = timestamp

    @t.probe("syscall::read:return", when=self.ts)
    def _():
        trace(timestamp - self.ts)

    return compiled(t)


def test_a_read_inside_the_pair_is_still_cleaned_automatically():
    assert "syscall::read:return\n{\n\tself->ts = 0;\n}" in pair()


@real
def spec_by_hand():
    t = Tracer()

    @t.probe("syscall::openat:return")      # no return probe of its own
    def _():
        self.spec = speculation()

    @t.probe("syscall::openat:return", when=self.spec)
    def _():
        speculate(self.spec)
        printf("%s\n", execname)

    @t.probe("syscall::close:entry", when=self.spec)
    def _():
        commit(self.spec)
        self.spec = 0

    return compiled(t)


def test_zeroing_by_hand_after_commit_is_a_clear_point():
    assert "dtracepy: zero" not in spec_by_hand()      # nothing added, nothing asked


@real
def outlive_by_hand():
    t = Tracer()

    @t.probe("syscall::openat:entry")
    def _():
        self.path = arg1

    @t.probe("syscall::close:entry", when=self.path)
    def _():
        trace(copyinstr(self.path))
        self.path = 0

    return compiled(t)


def test_outliving_thread_local_zeroed_by_hand_is_not_zeroed_at_the_return():
    assert "openat:return" not in outlive_by_hand()


def test_own_negation_guard_in_the_dsl_asks_instead_of_defeating_it():
    t = Tracer()

    @t.probe("syscall::connect:entry", when=not_(self.socket))
    def _():
        self.socket = arg0

    with pytest.raises(CompileError, match=r"set only while it is unset") as info:
        t.compile()
    assert info.value.pos.file.endswith(HERE)
    t.keep(self.socket)
    assert "self->socket = 0" not in compiled(t)


# --- 10. Python's sum after a star-import -------------------------------------------------------

def test_pythons_sum_after_star_import_says_to_use_sum_(tmp_path):
    (tmp_path / "s.py").write_text(textwrap.dedent('''\
        from dtracepy import *
        t = Tracer()

        @t.probe("syscall::read:entry")
        def _():
            agg.bytes[execname] = sum(arg2)
            agg.most[execname] = max(arg2, arg0)
    '''))
    result = run_cli("compile", "s.py", cwd=tmp_path)
    assert result.returncode == 1
    assert "s.py:6: error:" in result.stderr
    assert "Python's built-in sum" in result.stderr and "sum_(x)" in result.stderr
    assert "from dtracepy import sum" in result.stderr
    assert "cannot be iterated" not in result.stderr


def test_pythons_max_on_two_d_values_says_to_use_max_():
    with pytest.raises(TypeError, match=r"Python's built-in max.*max_"):
        max(arg0, arg1)


# --- 11. state kept on purpose --------------------------------------------------------------------

OWN_NEGATION = """\
syscall::connect:entry
/!self->socket/
{
	self->socket = arg0;
	self->start = timestamp;
}

syscall::connect:return
/self->start && !self->socket/
{
	printf("%d %d\\n", self->socket, timestamp - self->start);
}

syscall::connect:return
{
	self->start = 0;
}
"""


def test_a_thread_local_guarded_by_its_own_negation_is_at_most_a_warning():
    findings = check_program(parse(OWN_NEGATION, "x.d"), CheckOptions(), source=OWN_NEGATION)
    leaks = [f for f in findings if f.check == "self-leak"]
    assert [f.severity for f in leaks] == ["warning"]
    assert "kept on purpose" in leaks[0].message
    assert not [f for f in findings if f.severity == "error"]


@real
def own_negation():
    return OWN_NEGATION


# --- the real DTrace judges every compiled result above -----------------------------------------

def test_real_dtrace_accepts_every_result():
    from real_dtrace import compile_scripts, need_dtrace

    need_dtrace()
    verdicts = compile_scripts({name: make() for name, make in REAL.items()}, flags=("-Z",))
    assert {name: why for name, why in verdicts.items() if why} == {}
