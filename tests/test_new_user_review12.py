"""A hostile new user's walk (session 12, /work/review12.md): what got through, fixed.

Each test fails on the code before its fix: a record whose separator or column format holds a NUL
compiled to D whose row printf dtrace refuses or cuts short; an integer of more than 4,300 digits,
a huge macro number or option value said Python's "Exceeds the limit ... for integer string
conversion"; ``os._exit()`` in a tracer module ended ``compile`` with status 0 and no output;
``compile --check`` said an error of the emitted D at ``<compiled>:9:1`` (or at the ``-o`` file,
which it then did not write).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO
from dtracepy import Tracer, macro, macro_str, trace
from dtracepy.errors import DSLError

HERE = "test_new_user_review12.py"


def _located_here(err) -> None:
    assert err.value.pos is not None and err.value.pos.file.endswith(HERE), err.value


@pytest.mark.parametrize("kwargs, said", [
    ({"sep": "\0"}, "sep cannot hold a NUL"),
    ({"end": "\0\n"}, "end cannot hold a NUL"),
])
def test_a_records_separator_or_end_cannot_hold_a_nul(kwargs, said):
    """sep="\\0" compiled, exit 0; dtrace: "printf( ) prototype mismatch: only 1 arguments
    required by this format string" (its printf ends the format at the NUL)."""
    t = Tracer()
    with pytest.raises(DSLError) as err:
        t.record(("a", "%d"), ("b", "%d"), **kwargs)
    assert said in str(err.value)
    _located_here(err)


def test_a_record_columns_format_cannot_hold_a_nul():
    """("a", "%d\\0") compiled: the row's newline never printed."""
    t = Tracer()
    with pytest.raises(DSLError) as err:
        t.record(("a", "%d\0"))
    assert "holds a NUL" in str(err.value)
    _located_here(err)


def test_a_nul_free_separator_still_compiles():
    t = Tracer()
    row = t.record(("a", "%d"), ("b", "%d"), sep="%")

    @t.probe("BEGIN")
    def _():
        row.emit(1, 2)

    assert 'printf("%d%%%d\\n", 1, 2);' in t.to_d()


def test_an_integer_too_long_to_print_says_it_does_not_fit_in_64_bits():
    """trace(10**5000): "ValueError: Exceeds the limit (4300 digits) for integer string
    conversion; use sys.set_int_max_str_digits()", Python's words about printing it."""
    t = Tracer()

    def body():
        trace(10**5000)

    with pytest.raises(TypeError) as err:
        t.probe("BEGIN")(body)
    assert "an integer of 16610 bits does not fit in 64 bits" in str(err.value)


@pytest.mark.parametrize("make", [lambda: macro(10**5000), lambda: macro(2**31), lambda: macro_str(2**40)],
                         ids=["10**5000", "2**31", "str-2**40"])
def test_a_macro_number_no_command_line_can_give_is_an_error(make):
    """macro(10**5000) said Python's "Exceeds the limit"; macro(2**31) compiled to $2147483648."""
    with pytest.raises(DSLError) as err:
        make()
    assert "no macro argument" in str(err.value)
    _located_here(err)


def test_a_large_macro_number_a_command_line_can_give_still_works():
    t = Tracer()

    @t.probe("BEGIN")
    def _():
        trace(macro(1000))

    assert "trace($1000);" in t.to_d()


@pytest.mark.parametrize("value, said", [
    (10**30, "1000000000000000000000000000000 does not fit in 64 bits"),
    (2**64, "18446744073709551616 does not fit in 64 bits"),
    (10**5000, "an integer of 16610 bits does not fit in 64 bits"),
], ids=["10**30", "2**64", "10**5000"])
def test_an_option_value_beyond_64_bits_is_an_error(value, said):
    """options={"bufsize": 10**30} compiled, exit 0; dtrace: "failed to set option 'bufsize' to
    '1000000000000000000000000000000': Invalid value for specified option"."""
    with pytest.raises(DSLError) as err:
        Tracer(options={"bufsize": value})
    assert said in str(err.value)
    _located_here(err)


def test_a_define_of_an_integer_too_long_to_print_is_an_error():
    with pytest.raises(DSLError) as err:
        Tracer(defines={"N": 10**5000})
    assert "does not fit in 64 bits" in str(err.value)
    _located_here(err)


def _cli(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "dtracepy", *args], capture_output=True, text=True,
                          env=env_with(REPO), cwd=tmp_path, timeout=120)


def test_os_exit_in_a_tracer_module_is_an_error_at_its_line(tmp_path):
    """``os._exit(0)`` in the module: compile exited 0, printing nothing and writing no -o file."""
    (tmp_path / "quits.py").write_text("import os\n\nos._exit(0)\n")
    result = _cli(tmp_path, "compile", "quits.py", "-o", "quits.d")
    assert result.returncode == 1, result
    assert result.stderr.startswith("quits.py:3: error: the module called os._exit(0)"), result.stderr
    assert not (tmp_path / "quits.d").exists()


def test_a_child_the_module_forks_still_exits_with_os_exit(tmp_path):
    (tmp_path / "forks.py").write_text(
        "import os\nfrom dtracepy import Tracer, trace\n"
        "child = os.fork()\nif child == 0:\n    os._exit(7)\n"
        "assert os.WEXITSTATUS(os.waitpid(child, 0)[1]) == 7\n"
        "t = Tracer()\n\n@t.probe('BEGIN')\ndef _():\n    trace(1)\n")
    result = _cli(tmp_path, "compile", "forks.py")
    assert result.returncode == 0, result.stderr
    assert "trace(1);" in result.stdout


@pytest.mark.parametrize("output", [None, "out.d"])
def test_compile_check_says_an_error_of_the_emitted_d_at_the_tracers_line(tmp_path, output):
    """includes=["/dev/zero"]: `compile --check` said `<compiled>:9:1: error: #include of
    /dev/zero ...`, or `out.d:9:1` for an out.d it then did not write."""
    (tmp_path / "inc.py").write_text(
        "from dtracepy import Tracer, trace\n\n"
        "t = Tracer(includes=['/dev/zero'])\n\n@t.probe('BEGIN')\ndef _():\n    trace(1)\n")
    result = _cli(tmp_path, "compile", "--check", "inc.py", *(["-o", output] if output else []))
    assert result.returncode == 1, result
    first = result.stderr.splitlines()[0]
    assert first.startswith("inc.py:3: error: #include of /dev/zero, which is not a regular file"), result.stderr
    assert "#include </dev/zero>" in first
    assert "<compiled>" not in result.stderr
    assert not (tmp_path / "out.d").exists()


def test_a_framed_row_of_a_long_string_leaves_the_aggregations_alone():
    """A row with a string of 18 bytes or more, then an aggregation in the same firing: the framed
    row sent its length as strlen(s), and in Oracle's D 2.0 a strlen() of 18 bytes or more
    corrupts the aggregations updated after it in that firing (@c held 12354, the bytes "A0"
    plus one, where `dtrace -s` of the compiled D printed 1; @q's 5 went to the bucket
    -4611686018427387904).  Also a string of strsize bytes, whose length Oracle's rindex says
    one short, comes back whole."""
    from tests.real_dtrace import need_dtrace, need_root

    from dtracepy import agg, count, quantize
    from dtracepy import exit as exit_

    need_dtrace()
    need_root()
    long = "=cmd|' /C calc'!A0 and some more"
    at_strsize = "B" * 300                     # dtrace keeps strsize (64 here) bytes of it
    t = Tracer(options={"quiet": True, "strsize": 64})
    row = t.record(("S", "%s"), ("N", "%d"), ("T", "%s"))

    @t.probe("BEGIN")
    def _():
        row.emit(long, 1, at_strsize)

    @t.probe("BEGIN")
    def _():
        agg.c["k", 3] = count()
        agg.q = quantize(5)
        exit_(0)

    with t.run(duration=30) as tracing:
        rows = list(tracing.records())
    assert tracing.returncode == 0, tracing.stderr_lines
    assert [tuple(r) for r in rows] == [(long, 1, "B" * 64)]
    assert dict(tracing.aggregations["c"]) == {("k", 3): 1}
    buckets = {value: n for value, n in tracing.aggregations["q"][()].buckets if n}
    assert buckets == {4: 1}, buckets
    assert tracing.warnings == []


@pytest.mark.parametrize("add", [
    lambda t: t.define("N", "4"),
    lambda t: t.include("sys/types.h"),
    lambda t: t.directive("error", "not here"),
], ids=["define", "include", "error"])
def test_a_shebang_without_c_for_a_tracer_that_needs_cpp_is_an_error(add):
    """Tracer(shebang="/usr/sbin/dtrace -s") with a #define (what `dtracepy import` makes of a
    script that has both) compiled, exit 0; dtrace: "invalid control directive: #define"."""
    t = Tracer(shebang="/usr/sbin/dtrace -s")
    add(t)

    @t.probe("BEGIN")
    def _():
        trace(1)

    with pytest.raises(DSLError) as err:
        t.to_d()
    assert "runs dtrace without -C" in str(err.value)
    _located_here(err)


def test_a_shebang_with_c_or_a_line_marker_needs_no_error():
    t = Tracer(shebang="/usr/sbin/dtrace -Cs", defines={"N": "4"})
    t.directive("", '12 "x.d"')

    @t.probe("BEGIN")
    def _():
        trace(1)

    assert t.to_d().startswith("#!/usr/sbin/dtrace -Cs\n")
    plain = Tracer(shebang="/usr/sbin/dtrace -s")
    plain.directive("", '12 "x.d"')
    plain.probe("BEGIN")(lambda: trace(1))
    assert plain.to_d().startswith("#!/usr/sbin/dtrace -s\n")


@pytest.mark.parametrize("value, shown", [
    ("é\u202e", "é\\u202e"),          # was \xe9\u202e: the é escaped with the U+202E
    ("dé\nx", "dé\\nx"),
    ("a\\b\n", "a\\\\b\\n"),
    ("x\udcff", "x\\xff"),            # a byte that is not UTF-8 (was \udcff)
    ("plain é", "plain é"),
])
def test_a_table_cell_escapes_only_what_cannot_be_shown(value, shown):
    from dtracepy.run.output import _cell

    assert _cell(value) == shown


@pytest.mark.parametrize("kwargs, said", [
    ({"args": [10**5000]}, "macro argument $1 does not fit in 64 bits: an integer of 16610 bits"),
    ({"args": [2**64]}, "macro argument $1 does not fit in 64 bits: 18446744073709551616"),
    ({"duration": 10**5000}, "duration must be a finite number of seconds, 0 or more: an integer of"),
    ({"duration": 1e12}, "duration must be at most"),
    ({"pid": 2**70}, "no such process"),
    ({"target_cmd": ["true\0"]}, "target_cmd holds a NUL byte"),
], ids=["arg-10**5000", "arg-2**64", "duration-10**5000", "duration-1e12", "pid-2**70", "cmd-nul"])
def test_run_arguments_that_cannot_be_right_are_located_errors(kwargs, said):
    """Were Python's ValueError ("Exceeds the limit (4300 digits)"), OverflowError ("int too large
    to convert to float", "Python int too large to convert to C long"), a Timer thread's
    OverflowError after the run began (its duration then never ended it), and "no such command:
    true  (not on PATH)" for a NUL."""
    from dtracepy.run import RunArgumentError

    t = Tracer()
    t.probe("BEGIN")(lambda: trace(1))
    with pytest.raises(RunArgumentError) as err:
        t.run(**kwargs)
    assert said in str(err.value)
    _located_here(err)


def test_compile_of_standard_input_says_a_tracer_is_read_from_its_file(tmp_path):
    """`dtracepy compile - < t.py` said "-:1: error: cannot read: no such file or directory"
    (check and run read `-` as standard input; compile imports a module by its path)."""
    result = subprocess.run([sys.executable, "-m", "dtracepy", "compile", "-"], input="x = 1\n",
                            capture_output=True, text=True, env=env_with(REPO), cwd=tmp_path, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("-:1: error: a tracer is a Python module read from its file"), result.stderr
