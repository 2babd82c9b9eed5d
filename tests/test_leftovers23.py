"""Session 21's leftovers, fixed by helper leftovers23.

* ``dtracepy run`` reads every printf/printa format through
  :func:`dtracepy.facts.conversions.parse_format` (no regular expressions of its own), which reads
  the flags, width and precision as dtrace's dt_printf_create does (``?`` is a width of 16).

Each test fails on the code before the fix; what dtrace printed or said is recorded next to it.
"""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from tests.check_findings import errors


# --- one reader of printf conversions -----------------------------------------------------------

def test_run_has_no_conversion_reader_of_its_own():
    from dtracepy.run import aggregations, framing, output

    for module, name in ((framing, "_CONV"), (framing, "_PRINTA_CONV"), (aggregations, "_CONV"),
                         (output, "_WIDTH")):
        assert not hasattr(module, name), (module.__name__, name)


# dt_printf_create: a 0 before any width digit is the zero flag, "-" and "0" undo each other in
# order, "?" sets the width to 16 (a later width replaces it), ".0" is no precision
PARSED = {"%-08x": ("0", 8, 0), "%0-8x": ("-", 8, 0), "%8?x": ("", 16, 0), "%?8x": ("", 8, 0),
          "%#08.3x": ("#0", 8, 3), "%5 0x": (" ", 0, 0), "%.0s": ("", 0, 0), "%+'-12.4d": ("-+'", 12, 4),
          "%@8d": ("", 8, 0), "%8@d": ("", 8, 0), "%?p": ("", 16, 0)}


@pytest.mark.parametrize("fmt", PARSED)
def test_parse_format_reads_flags_width_and_precision_as_dtrace_does(fmt):
    from dtracepy.facts.conversions import parse_format

    (conv,) = parse_format(fmt)
    assert (conv.flags, conv.width, conv.precision) == PARSED[fmt]


# dtrace 2.0, live (this session): printf("[%+x] [%8?x] [%?8x] [%08.3x] [%-08x] [% x] [%0-8x]
# [%5 0x] [%#08x] [%#.5o] [%'x]\n", 255, ..., 8, 255) printed
# "[ff] [              ff] [      ff] [     0ff] [000000ff] [ff] [ff      ] [ff] [0x0000ff] [00010] [ff]"
C_CELLS = {("%+x", 255): "ff", ("%8?x", 255): " " * 14 + "ff", ("%?8x", 255): "      ff",
           ("%08.3x", 255): "     0ff", ("%-08x", 255): "000000ff", ("% x", 255): "ff",
           ("%0-8x", 255): "ff      ", ("%5 0x", 255): "ff", ("%#08x", 255): "0x0000ff",
           ("%#.5o", 8): "00010", ("%'x", 255): "ff"}


@pytest.mark.parametrize("fmt,value", C_CELLS)
def test_a_base_column_is_shown_as_dtraces_printf_printed_it(fmt, value):
    from dtracepy.run.output import _in_base

    assert _in_base(fmt, value) == C_CELLS[fmt, value]


def test_a_pointer_width_column_header_is_as_wide_as_its_rows():
    """``%?p`` pads to 16 (dtrace's ``?``): the header is laid out that wide before the first row,
    not 8 wide with the rows then wider than it."""
    from dtracepy.run.decode import row_class
    from dtracepy.run.framing import RecordSpec, column
    from dtracepy.run.output import TableWriter

    spec = RecordSpec(0, "r", (column("PTR", "%?p"), column("N", "%d"), column("T", "%%20 %s")))
    row = row_class(spec)
    out = io.StringIO()
    writer = TableWriter(out)
    writer.row(row(255, 1, "a"))
    writer.row(row(4096, 2, "b"))
    assert out.getvalue().splitlines() == [   # (16, then int's 8, then str's 12: "%%20" is text)
        "PTR" + " " * 13 + "  N" + " " * 7 + "  T",
        " " * 14 + "ff" + "  " + " " * 7 + "1  a",
        " " * 12 + "1000" + "  " + " " * 7 + "2  b"]


def test_a_printa_value_with_its_width_before_the_at_is_framed_as_the_value():
    """``printa("%s %8@d\\n", @a, @b)``: dtrace takes ``%8@d`` as ``%@8d`` (``@`` is a flag)."""
    from dtracepy.run.framing import framed_user

    fields, fmt = framed_user("%s %8@d %-8@d\n", 2)
    assert fields == ("str", "agg", "agg")


def test_the_printa_decoder_reads_a_value_with_its_width_before_the_at():
    from dtracepy.run.aggregations import parse_printa

    aggs = parse_printa("a        3\nb       12\n", "%s %8@d\n", ["a"])
    assert dict(aggs["a"]) == {("a",): 3, ("b",): 12}


def test_the_printa_decoder_reads_up_to_the_formats_nul():
    """dtrace prints a format up to its first NUL, so what follows is no conversion."""
    from dtracepy.run.aggregations import parse_printa

    aggs = parse_printa("x 3\ny 4\n", "%s %@d\n\0%d", ["a"])
    assert dict(aggs["a"]) == {("x",): 3, ("y",): 4}


def test_a_bare_at_conversion_is_refused_as_dtrace_refuses_it():
    """dtrace -e: ``printa("%@\\n", @a)``: "format conversion #1 is undefined: %" (the newline)."""
    from dtracepy.facts.conversions import FormatError, parse_format

    for fmt in ("%@\n", "%@", "%-@ "):
        with pytest.raises(FormatError):
            parse_format(fmt)
    assert errors('BEGIN { @a = count(); printa("%@\\n", @a); }\n')



# --- L2: a type's run of pointers on dtrace's parser stack ------------------------------------

def _stars(n):
    return "*" * n


# name -> (script of n, the largest n dtrace 2.0 accepts: bisected against dtrace -e this session)
POINTER_RUNS = {
    "a cast": (lambda n: f"BEGIN\n{{\n\ttrace((int {_stars(n)})arg0);\n}}\n", 9991),
    "a cast assigned": (lambda n: f"BEGIN\n{{\n\tx = (int {_stars(n)})arg0;\n}}\n", 9991),
    "a cast, second statement": (lambda n: f"BEGIN\n{{\n\ttrace(1);\n\ttrace((int {_stars(n)})arg0);\n}}\n", 9989),
    "a cast, second clause": (lambda n: f"BEGIN\n{{\n\tself->p = 0;\n}}\nBEGIN\n{{\n\ttrace((int {_stars(n)})arg0);\n}}\n", 9990),
    "sizeof a type": (lambda n: f"BEGIN\n{{\n\ttrace(sizeof(int {_stars(n)}));\n}}\n", 9990),
    "a declaration": (lambda n: f"int {_stars(n)} x;\nBEGIN\n{{\n\tx = 0;\n}}\n", 9996),
}
# the tree keeps no parentheses: 6,000 pointers, then 6,000 more in parentheses, are two runs
# on dtrace's stack (the first reduced before the "("): dtrace takes it, check must too
SPLIT_RUN = f"BEGIN\n{{\n\ttrace((int {_stars(6000)}({_stars(6000)}))arg0);\n}}\n"


def _stack_errors(text):
    return [f for f in errors(text) if f.check == "parser-stack"]


@pytest.mark.parametrize("name", POINTER_RUNS)
def test_check_flags_one_pointer_past_the_run_dtrace_accepts(name):
    make, largest = POINTER_RUNS[name]
    assert _stack_errors(make(largest)) == []
    found = _stack_errors(make(largest + 1))
    assert len(found) == 1 and "memory exhausted" in found[0].message, found
    assert found[0].pos.line == make(largest + 1).count("\n") - 1 - (name == "a declaration") * 3, found[0].pos


def test_a_run_of_pointers_split_by_parentheses_is_not_counted_as_one():
    assert _stack_errors(SPLIT_RUN) == []


def test_the_real_dtrace_stops_at_the_pointer_run_where_check_does():
    from tests.real_dtrace import judge_scripts

    jobs = {"split": {"text": SPLIT_RUN}}
    for name, (make, largest) in POINTER_RUNS.items():
        jobs[f"{name}/ok"] = {"text": make(largest)}
        jobs[f"{name}/over"] = {"text": make(largest + 1)}
    verdicts = judge_scripts(jobs)
    assert verdicts["split"] is None, verdicts["split"]
    for name in POINTER_RUNS:
        assert verdicts[f"{name}/ok"] is None, (name, verdicts[f"{name}/ok"])
        assert "memory exhausted" in (verdicts[f"{name}/over"] or ""), (name, verdicts[f"{name}/over"])


@pytest.mark.parametrize("stars, refused", [(9991, False), (9992, True), (100000, True)])
def test_compile_refuses_a_cast_to_more_pointers_than_dtraces_parser_holds(tmp_path, capsys, stars, refused):
    """review21 L2: ``cast(arg0, "int " + "*" * 100000)`` compiled; dtrace: "memory exhausted"."""
    from dtracepy.cli import main

    path = tmp_path / "deep.py"
    path.write_text("from dtracepy import *\nt = Tracer()\n\n@t.probe('BEGIN')\ndef b():\n"
                    f"    trace(cast(arg0, 'int ' + '*' * {stars}))\n")
    out = tmp_path / "deep.d"
    status = main(["compile", str(path), "-o", str(out)])
    err = capsys.readouterr().err
    if refused:
        assert status == 1 and f"{path}:6: error: this expression nests" in err, err
        assert not out.exists()
    else:
        assert status == 0, err
        assert f"(int {_stars(stars)})arg0" in out.read_text()


# --- L5: a #! directive in a tracer that goes through cpp ---------------------------------------

def _compile(tmp_path, source):
    from tests.pythonpath import env_with

    from conftest import REPO

    path = tmp_path / "hb.py"
    path.write_text(source)
    out = tmp_path / "hb.d"
    result = subprocess.run([sys.executable, "-m", "dtracepy", "compile", str(path), "-o", str(out)],
                            capture_output=True, text=True, env=env_with(REPO), timeout=300)
    return path, out, result


# (Tracer() once went through cpp for the #! directive itself: leftovers24 made it -s, where
# dtrace skips the line; tests/test_leftovers24.py)
@pytest.mark.parametrize("tracer", ['Tracer(defines={"X": "1"})', 'Tracer(includes=["stddef.h"])', "Tracer(cpp=True)"])
def test_compile_refuses_a_hash_bang_directive_that_goes_through_cpp(tmp_path, tracer):
    """review21 L5: dtrace -C: "invalid preprocessing directive #!" (a directive makes the tracer's
    ``#!`` line ``-Cs``); plain ``compile`` printed it, exit 0."""
    path, out, result = _compile(tmp_path, f"from dtracepy import *\nt = {tracer}\n\n"
                                 't.directive("", "!/usr/sbin/dtrace -ws")\n\n'
                                 "@t.probe('BEGIN')\ndef b():\n    trace(1)\n")
    assert result.returncode == 1, result
    assert f"{path}:4: error: invalid preprocessing directive #!" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_a_hash_bang_directive_without_cpp_still_compiles_and_dtrace_takes_it(tmp_path):
    from tests.real_dtrace import judge_scripts

    path, out, result = _compile(tmp_path, "from dtracepy import *\nt = Tracer(shebang='/usr/sbin/dtrace -s')\n\n"
                                 't.directive("", "!/usr/sbin/dtrace -ws")\n\n'
                                 "@t.probe('BEGIN')\ndef b():\n    trace(1)\n")
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "\n#!/usr/sbin/dtrace -ws\n" in text
    assert judge_scripts({"x": {"text": text}})["x"] is None


# --- xlate of a type the D library's translators do not take ------------------------------------

# dtrace -e (Oracle's D 2.0, this session): each "cannot translate from "<type>" to "psinfo_t *""
XLATE_REFUSED = {
    'BEGIN { trace(xlate <psinfo_t *> ("abc")->pr_pid); }': 'cannot translate from "string" to "psinfo_t *"',
    "BEGIN { trace(xlate <psinfo_t *> (1)->pr_pid); }": 'cannot translate from "int" to "psinfo_t *"',
    "BEGIN { trace(xlate <psinfo_t *> (arg0)->pr_pid); }": 'cannot translate from "int64_t" to "psinfo_t *"',
    "BEGIN { trace(xlate <psinfo_t *> (execname)->pr_pid); }": 'cannot translate from "string" to "psinfo_t *"',
    "BEGIN { trace(xlate <psinfo_t> (\"abc\").pr_pid); }": 'cannot translate from "string" to "psinfo_t"',
    "BEGIN { trace(xlate <lwpsinfo_t *> (arg0 + 1)->pr_lwpid); }": 'to "lwpsinfo_t *"',
    "BEGIN { trace(xlate <psinfo_t *> ((struct file *)arg0)->pr_pid); }": 'cannot translate from "struct file *"',
    "BEGIN { trace(xlate <psinfo_t *> ((char *)arg0)->pr_pid); }": 'cannot translate from "char *"',
    "BEGIN { trace(xlate <psinfo_t *> ((int *)arg0)->pr_pid); }": 'cannot translate from "int *"',
    "BEGIN { trace(xlate <ipinfo_t *> ((struct tcphdr *)arg0)->ip_ver); }": 'cannot translate from "struct tcphdr *"',
    "BEGIN { trace(xlate <ipinfo_t *> (curthread)->ip_ver); }": 'cannot translate from "struct task_struct *"',
}
XLATE_TAKEN = [
    "BEGIN { trace(xlate <psinfo_t *> ((void *)arg0)->pr_pid); }",
    "BEGIN { trace(xlate <psinfo_t *> (curthread)->pr_pid); }",
    "BEGIN { trace(xlate <psinfo_t> (curthread).pr_pid); }",
    "BEGIN { trace(xlate <psinfo_t *> ((const struct task_struct *)arg0)->pr_pid); }",
    "BEGIN { trace(xlate <ipinfo_t *> ((struct ipv6hdr *)arg0)->ip_ver); }",
    "translator psinfo_t < int x > { pr_pid = x; };\nBEGIN { trace(xlate <psinfo_t *> (1)->pr_pid); }",
]


@pytest.mark.parametrize("text", XLATE_REFUSED)
def test_an_xlate_of_a_type_no_library_translator_takes_is_refused(text):
    found = [f for f in errors(text + "\n") if f.check == "xlate"]
    assert len(found) == 1 and "cannot translate from" in found[0].message, found


@pytest.mark.parametrize("text", XLATE_TAKEN)
def test_an_xlate_the_library_translators_take_is_taken(text):
    assert errors(text + "\n") == []


def test_a_string_or_an_integer_is_refused_in_every_dialect():
    from tests.check_findings import findings

    for text in list(XLATE_REFUSED)[:6]:
        found = [f for f in findings(text + "\n") if f.check == "xlate"]   # (no dialect given)
        assert len(found) == 1 and found[0].severity == "error", (text, found)
    assert [f for f in findings(list(XLATE_REFUSED)[6] + "\n") if f.check == "xlate"] == []


def test_the_real_dtrace_judges_the_xlates_as_check_does():
    from tests.real_dtrace import judge_scripts

    verdicts = judge_scripts({text: {"text": text + "\n"} for text in [*XLATE_REFUSED, *XLATE_TAKEN]})
    for text, said in XLATE_REFUSED.items():
        assert verdicts[text] is not None and said in verdicts[text], (text, verdicts[text])
    for text in XLATE_TAKEN:
        assert verdicts[text] is None, (text, verdicts[text])


def test_compile_refuses_an_xlate_of_a_string_at_the_users_line(tmp_path):
    """review21: ``xlate("psinfo_t *", "abc")`` compiled; dtrace: "cannot translate from "string"
    to "psinfo_t *""."""
    path, out, result = _compile(tmp_path, "from dtracepy import *\nt = Tracer()\n\n@t.probe('BEGIN')\n"
                                 "def b():\n    trace(xlate('psinfo_t *', 'abc'))\n")
    assert result.returncode == 1, result
    assert f"{path}:6: error: xlate<psinfo_t *>(...) of a string" in result.stderr, result.stderr
    assert not out.exists()
