"""Session 26, helper newuser27: a new user followed the README (/work/newuser27.md).

1. ``speculate()`` after an aggregation, ``exit()``, ``system()``, ``clear()`` ... in its clause:
   dtrace refuses it ("speculate( ) may not follow data-recording action(s)"), the README says
   `speculation` wants ``speculate()`` first, and ``check`` (and so the compiler) said nothing:
   only the actions flagged as recording data (``printf``, ``trace`` ...) were looked at.  The
   actions that record nothing (``chill()``, which the corpus' speculation/tst.zerosize.d puts
   there for illumos) are still taken.
2. A tracer's ``this.x = 1; trace(this.x.y)`` on one line compiled to D dtrace refuses ("operator
   -> must be applied to a pointer"), though the README says a variable whose first assignment is
   an integer is refused as a pointer: a tracer's positions are lines, and the use was not seen
   as below the assignment on the same line.
3. ``dtracepy run``'s table printed a record's first header as wide as the formats ask
   (``0x%08x``: 8) and its first row as wide as it is (10): the titles stood two columns left of
   their values until the header was printed again.
"""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from dtracepy.checks import CheckOptions, check_program
from dtracepy.parser import parse
from real_dtrace import judge_scripts

# What comes before speculate() in its clause -> whether dtrace refuses it there (asked of
# Oracle's dtrace 2.0: tests/test_newuser27.py's judge test, and `dtrace -w -e` by hand).
BEFORE_SPECULATE = {
    "@b[1] = count()": True,
    "exit(0)": True,
    'system("x")': True,
    'freopen("x")': True,
    "clear(@b)": True,
    "trunc(@b)": True,
    "normalize(@b, 2)": True,
    'setopt("quiet")': True,
    "ftruncate()": True,
    'printf("a")': True,
    "trace(1)": True,
    "stack()": True,
    "x = 1": False,
    "discard(1)": False,
}

# (illumos takes these before speculate(): they record nothing; Oracle's dtrace 2.0 has not
# implemented chill() at all.  The check leaves them alone.)
NOT_JUDGED = ("chill(1)", "raise(9)")


def _script(before: str) -> str:
    return f"BEGIN {{ @b[1] = count(); }}\nBEGIN {{ {before}; speculate(1); }}\n"


def _speculation_findings(text: str):
    return [f for f in check_program(parse(text, "x.d"), CheckOptions(destructive=True), source=text)
            if f.check == "speculation"]


@pytest.mark.parametrize("before", sorted(BEFORE_SPECULATE))
def test_speculate_after_what_records_data_is_an_error_at_that_action(before):
    found = _speculation_findings(_script(before))
    if BEFORE_SPECULATE[before]:
        assert [(f.severity, f.pos.line, f.pos.col) for f in found] == [("error", 2, 9)], found
        assert "before speculate(); speculate() must come first" in found[0].message
    else:
        assert found == []


@pytest.mark.parametrize("before", NOT_JUDGED)
def test_an_action_that_records_nothing_may_come_before_speculate(before):
    assert _speculation_findings(_script(before)) == []


def test_the_message_names_an_aggregation_as_one():
    (found,) = _speculation_findings("BEGIN { @a = count(); speculate(1); }\n")
    assert found.message.startswith("an aggregation records data before speculate()")


def test_the_real_dtrace_judges_what_comes_before_speculate_so():
    jobs = {before: {"text": "#pragma D option destructive\n" + _script(before)} for before in BEFORE_SPECULATE}
    verdicts = judge_scripts(jobs)
    for before, refused in BEFORE_SPECULATE.items():
        verdict = verdicts[before]
        if refused:
            assert verdict is not None and "may not follow data-recording" in verdict, (before, verdict)
        else:
            assert verdict is None, (before, verdict)


def _compile(tmp_path, body: str) -> subprocess.CompletedProcess:
    path = tmp_path / "tr.py"
    path.write_text("from dtracepy import *\nt = Tracer()\n@t.probe('syscall::read:entry')\n"
                    f"def f():\n    {body}\n")
    return subprocess.run([sys.executable, "-m", "dtracepy", "compile", str(path)],
                          capture_output=True, text=True, timeout=120)


def test_a_tracer_that_aggregates_before_speculate_is_refused_at_its_line(tmp_path):
    done = _compile(tmp_path, "agg.a = count(); speculate(1)")
    assert done.returncode == 1
    assert f"{tmp_path / 'tr.py'}:5: error: an aggregation records data before speculate()" in done.stderr


@pytest.mark.parametrize("body, said", [
    ("this.x = 1; trace(this.x.y)", "this->x is an integer (typed by its first assignment, line 5), not a pointer: ->"),
    ("glob.g = 1; trace(deref(glob.g))", "g is an integer (typed by its first assignment, line 5), not a pointer: it cannot be dereferenced"),
    ("self.v = 1; trace(self.v[0])", "self->v is an integer (typed by its first assignment, line 5), not a pointer or an array"),
])
def test_an_integer_variable_used_as_a_pointer_on_its_assignments_line_is_refused(tmp_path, body, said):
    done = _compile(tmp_path, body)
    assert done.returncode == 1, done.stdout
    assert f"{tmp_path / 'tr.py'}:5: error: {said}" in done.stderr


def test_an_integer_variable_used_as_a_pointer_on_a_later_line_is_still_refused(tmp_path):
    done = _compile(tmp_path, "this.x = 1\n    trace(this.x.y)")
    assert done.returncode == 1
    assert "tr.py:6: error: this->x is an integer (typed by its first assignment, line 5)" in done.stderr


def test_a_pointer_assigned_first_on_the_same_line_is_taken(tmp_path):
    done = _compile(tmp_path, 'this.x = cast(arg0, "struct foo *"); trace(this.x.y)')
    assert done.returncode == 0, done.stderr
    assert "trace(this->x->y);" in done.stdout


def _table(spec_columns, rows) -> list[str]:
    from dtracepy.run.decode import row_class
    from dtracepy.run.framing import RecordSpec, column
    from dtracepy.run.output import TableWriter

    row = row_class(RecordSpec(0, "r", tuple(column(title, fmt) for title, fmt in spec_columns)))
    out = io.StringIO()
    writer = TableWriter(out)
    for values in rows:
        writer.row(row(*values))
    return out.getvalue().splitlines()


def test_the_tables_first_header_stands_over_a_hex_column_with_text_around_it():
    lines = _table([("Addr", "0x%08x"), ("Name", "%s")], [(16777343, "lo"), (1, "x")])
    assert lines == ["Addr        Name", "0x0100007f  lo", "0x00000001  x"]
    assert lines[0].index("Name") == lines[1].index("lo")


def test_a_first_value_wider_than_its_title_widens_the_header_above_it():
    lines = _table([("N", "%s"), ("M", "%d")], [("abcdefghijklmnop", 1)])
    assert lines == ["N" + " " * 15 + "  M", "abcdefghijklmnop  " + "1".rjust(8)]


def test_the_readme_says_what_the_self_clear_error_asks_for(tmp_path):
    """README section 3: a thread-local read outside its entry/return pair; the compile fails at
    the read and asks where it may be zeroed, or for t.keep (it asked for no close:return)."""
    import pathlib

    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    said = ("compile fails at the read and asks where it may be zeroed, `t.clear(self.path, at=...)` (here\n"
            "`at=\"syscall::close:return\"`), or for `t.keep(self.path)`.")
    assert said in readme
    path = tmp_path / "tr.py"
    path.write_text("from dtracepy import *\nt = Tracer()\n@t.probe('syscall::open:entry')\ndef o():\n"
                    "    self.path = arg0\n@t.probe('syscall::close:entry')\ndef c():\n    trace(self.path)\n")
    done = subprocess.run([sys.executable, "-m", "dtracepy", "compile", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"{path}:8: error: self->path is set at syscall::open:entry and read at syscall::close:entry" in done.stderr
    assert "t.clear(self.path, at=...)" in done.stderr and "t.keep(self.path)" in done.stderr


def test_the_readme_names_the_check_that_refuses_a_struct_value_given_to_sum():
    """README, the checks: `sum(*curthread)` was listed among operand-type's findings; it is an
    argument-type error (as `quantize`'s and `max`'s), `stringof(*curthread)` operand-type's."""
    import pathlib

    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "(an aggregating function's, `sum(*curthread)`, \"must be of scalar\n  type\", is `argument-type`'s)" in readme
    for text, check in (("BEGIN { @a = sum(*curthread); }", "argument-type"),
                        ("BEGIN { trace(stringof(*curthread)); }", "operand-type")):
        found = [f.check for f in check_program(parse(text, "x.d"), CheckOptions(), source=text)
                 if f.severity == "error"]
        assert found == [check], (text, found)


def _compile_for(tmp_path, body: str, *argv: str, dialect: str = "") -> subprocess.CompletedProcess:
    path = tmp_path / "tr.py"
    path.write_text("from dtracepy import *\nfrom dtracepy import zonename\n"
                    f"t = Tracer({dialect})\n@t.probe('syscall::read:entry')\ndef f():\n    {body}\n")
    return subprocess.run([sys.executable, "-m", "dtracepy", "compile", str(path), *argv],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("how", ["Tracer", "--dialect"])
def test_a_variable_the_dialect_lacks_is_refused_at_the_line_that_reads_it(tmp_path, how):
    """README: zonename in a tracer compiled for Oracle's D is "an error at your line"
    [dialect-variable]; it was shown at the tracer's first line (tr.py:1:1), the built-in
    variable being one node, with no position, for every use."""
    argv, dialect = (("--dialect", "oracle"), "") if how == "--dialect" else ((), 'dialect="oracle"')
    done = _compile_for(tmp_path, "trace(execname)\n    trace(zonename)\n    trace(zonename)", *argv,
                        dialect=dialect)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if "[dialect-variable]" in line]
    assert [line.split(": error:")[0] for line in lines] == [f"{tmp_path / 'tr.py'}:7", f"{tmp_path / 'tr.py'}:8"]
    assert ":1:1:" not in done.stderr


@pytest.mark.parametrize("body", ["trace(args)", "trace(args[0]); trace(args)"])
def test_args_named_whole_in_a_tracer_is_refused_at_its_line(tmp_path, body):
    done = _compile_for(tmp_path, body, dialect='dialect="oracle"')
    assert done.returncode == 1
    assert (f"{tmp_path / 'tr.py'}:6: error: args is an associative array: name an element of it (args[key])"
            in done.stderr), done.stderr


def test_args_with_an_index_is_still_taken(tmp_path):
    done = _compile_for(tmp_path, "trace(args[0])", dialect='dialect="oracle"')
    assert done.returncode == 0, done.stderr
    assert "trace(args[0]);" in done.stdout


def test_the_readmes_real_compiler_figures_are_the_tests():
    """README, "Against the real D compiler": the table said 1618 of 1618 parse-ok files agree
    with no listed exception (7 provider definitions are listed), 13 examples and snippets (18
    are judged), 651 of 1,185 rejected files flagged and 40 accepted ones (786 and 47), the test
    failing above 40 (its ceiling is 47).  What can be counted without dtrace is counted here."""
    import pathlib

    import test_real_corpus
    from test_real_emitted import emitted_scripts

    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    listed = [line for line in (pathlib.Path(__file__).resolve().parent / "real_corpus_exceptions.txt")
              .read_text().splitlines() if line.strip() and not line.startswith("#")]
    providers = sum("[dialect-provider]" in line for line in listed)
    assert f" 1618 files,  {1618 - providers} agree,   {providers} listed exceptions," in readme
    assert f"  141 files,   112 agree,  {len(listed) - providers} listed exceptions," in readme
    scripts = len(emitted_scripts())
    assert f"   {scripts} scripts,    {scripts} accepted: examples and README snippets (dtrace -e)" in readme
    assert (f"the test fails below {test_real_corpus.REJECTED_FLAGGED_FLOOR}, or above "
            f"{test_real_corpus.ACCEPTED_FLAGGED_CEILING})") in readme
    assert f"it flags {test_real_corpus.ACCEPTED_FLAGGED_CEILING} of 1,813" in readme


def test_the_readme_says_how_import_writes_a_lone_cr_in_a_comment(tmp_path):
    """README, import: "a carriage return ends the comment's line"; since session 25 a lone CR
    in a comment is written <U+000D> (what followed it stays in the comment)."""
    import pathlib

    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "carriage return ends the comment's line" not in readme
    assert "a lone carriage return `<U+000D>` (Python reads a lone CR as the end of a\nline" in readme
    path = tmp_path / "cm.d"
    path.write_bytes(b"BEGIN\n{\n\ttrace(1); /* x\ry */\n}\n")
    done = subprocess.run([sys.executable, "-m", "dtracepy", "import", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "    trace(1)  # x<U+000D>y\n" in done.stdout


def test_a_first_comment_with_a_backslash_stays_a_comment_as_the_readme_says(tmp_path):
    import pathlib

    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "docstring, but one holding a backslash or `\"\"\"`, which stays a comment)" in readme
    path = tmp_path / "cm.d"
    path.write_bytes(b"/* top \xff comment */\nBEGIN\n{\n\ttrace(1);\n}\n")
    done = subprocess.run([sys.executable, "-m", "dtracepy", "import", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('"""Imported from cm.d by `dtracepy import`."""\n')
    assert "\n# top \\xff comment\n" in done.stdout
