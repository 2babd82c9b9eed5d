"""Session 22's leftovers, fixed by helper leftovers24.

* One home for which directives need the C preprocessor (``dtracepy.facts.directives``):
  ``Tracer.uses_cpp``, the compiler's ``#!`` line, ``check``'s and ``compile``'s reading of a
  program, ``run`` and ``import`` all read it; a ``#line``, ``#ident``, line marker or ``#!``
  line no longer makes a tracer ``-Cs``.
* ``parse_format`` refuses a second ``.`` or a second ``*`` for the width or the precision.
* ``run``'s printa decoder gives a padded string key (``%3s``) its value, not dtrace's padding.
* Trigraphs: ``import`` (without ``-C``) of D that goes through cpp reads it with cpp's
  trigraphs; a ``charlit("??/")`` prints as what dtrace -C reads as those three characters.

Each test fails on the code before the fix; what dtrace said is recorded next to it.
"""

from __future__ import annotations

import inspect

import pytest

from dtracepy import Tracer, charlit, trace
from dtracepy.cli import main


def _tracer(*directives, **kwargs):
    t = Tracer(**kwargs)
    for name, text in directives:
        t.directive(name, text)

    @t.probe("BEGIN")
    def _():
        trace(1)

    return t


# --- 1: which directives need cpp, in one place -------------------------------------------------

WITHOUT_CPP = [("line", '5 "x.d"'), ("ident", '"v1"'), ("", '7 "y.d"'), ("", "!/usr/sbin/dtrace -ws")]
WITH_CPP = [("define", "X 1"), ("include", "<stddef.h>"), ("if", "1"), ("undef", "X")]


def test_the_fact_has_one_home():
    from dtracepy import compiler, tree
    from dtracepy.commands import compile_cmd
    from dtracepy.facts import directives
    from dtracepy.run import script

    assert tree.DIRECTIVES_WITHOUT_CPP is directives.DIRECTIVES_WITHOUT_CPP
    assert tree.DIRECTIVES is directives.DIRECTIVES
    for module in (compiler, compile_cmd, script):   # (the compiler's workaround is gone)
        assert "DIRECTIVES_WITHOUT_CPP" not in inspect.getsource(module), module.__name__


@pytest.mark.parametrize("directive", WITHOUT_CPP, ids=repr)
def test_a_directive_dtrace_reads_itself_does_not_make_the_tracer_use_cpp(directive):
    t = _tracer(directive)
    assert not t.uses_cpp
    assert t.to_d().startswith("#!/usr/sbin/dtrace -s\n")


@pytest.mark.parametrize("directive", WITH_CPP[:2], ids=repr)
def test_a_directive_only_cpp_reads_makes_it_use_cpp(directive):
    t = _tracer(directive)
    assert t.uses_cpp
    assert t.to_d().startswith("#!/usr/sbin/dtrace -Cs\n")


def test_cpp_true_still_asks_for_cpp():
    assert _tracer(("line", "3"), cpp=True).to_d().startswith("#!/usr/sbin/dtrace -Cs\n")


def test_the_real_dtrace_takes_each_as_its_hash_bang_line_runs_it():
    """dtrace -e: ``#line``, ``#ident``, ``# 7 "y.d"``, a ``#!`` line below the first and
    ``#pragma`` compile without -C; ``#define``/``#include`` need it ("invalid control
    directive: #define"); a ``#!`` line below the first under -C: "invalid preprocessing
    directive #!"."""
    from tests.real_dtrace import job_for_d, judge_scripts

    t = _tracer(*WITHOUT_CPP)
    t.pragma("D", "option", "quiet")
    plain = t.to_d()
    assert plain.startswith("#!/usr/sbin/dtrace -s\n")
    jobs = {"plain": job_for_d(plain)}
    for directive in WITH_CPP[:2]:
        text = _tracer(("line", '5 "x.d"'), directive).to_d()
        jobs[directive[0]] = job_for_d(text)
        jobs[directive[0] + " without -C"] = dict(job_for_d(text), flags="")
    verdicts = judge_scripts(jobs)
    assert verdicts["plain"] is None
    assert verdicts["define"] is None and verdicts["include"] is None
    assert "invalid control directive: #define" in verdicts["define without -C"]
    assert "invalid control directive: #include" in verdicts["include without -C"]


def test_a_hash_bang_directive_under_cpp_is_still_refused_at_its_line():
    from dtracepy.errors import DSLError

    t = Tracer(defines={"X": "1"})
    t.directive("", "!/usr/sbin/dtrace -ws")
    with pytest.raises(DSLError) as err:
        t.to_d()
    assert "invalid preprocessing directive #!" in str(err.value)


def test_check_reads_a_script_with_only_line_markers_without_cpp():
    """dtrace -e of ``#line 5 "h.d"`` then ``trace(foo)``: "failed to resolve foo: Unknown
    variable name"; check said nothing (a #line counted as cpp, where a macro may be anything)."""
    from tests.check_findings import findings

    text = '#line 5 "h.d"\nBEGIN { trace(foo); }\n'
    assert [f.check for f in findings(text)] == ["undefined-name"]
    assert [f.check for f in findings("#define Y 1\n" + text) if f.check == "undefined-name"] == []


@pytest.mark.parametrize("flags", ["s", "Cs"])
def test_import_keeps_the_hash_bang_lines_cpp_as_it_was(tmp_path, capsys, flags):
    """A script with a ``#line`` and ``#!/usr/sbin/dtrace -s`` imported to a tracer that said
    ``shebang="/usr/sbin/dtrace -s"`` (its own #! line was -Cs); with -Cs, to ``cpp=True``."""
    script = tmp_path / "x.d"
    script.write_text(f'#!/usr/sbin/dtrace -{flags}\n#line 5 "x.d"\nBEGIN {{ trace(1); exit(0); }}\n')
    out = tmp_path / "x.py"
    assert main(["import", str(script), "-o", str(out)]) == 0
    module = out.read_text()
    assert "shebang=" not in module, module
    assert ("cpp=True" in module) == (flags == "Cs"), module
    assert main(["compile", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"#!/usr/sbin/dtrace -{flags}\n")


# --- 2: one '.' and one '*' each for the width and the precision ---------------------------------

# dtrace -e (this session): "format conversion #1 has more than one '.' specified" (%..3d, %.*.*d,
# %.3.d), "... more than one '*' specified for the output width" (%**d, %-*-*d), "... for the
# output precision" (%*.**d); %*.*d, %*5d, %5*d, %.*3d, %.3*d are taken
TWICE = {"%..3d": "'.'", "%**d": "'*' for the output width", "%.*.*d": "'.'", "%.3.d": "'.'",
         "%-*-*d": "'*' for the output width", "%*.**d": "'*' for the output precision"}
ONCE = ["%*.*d", "%*5d", "%5*d", "%.*3d", "%.3*d"]


@pytest.mark.parametrize("fmt", TWICE)
def test_parse_format_refuses_a_second_dot_or_star(fmt):
    from dtracepy.facts.conversions import FormatError, parse_format

    with pytest.raises(FormatError) as err:
        parse_format(fmt)
    assert f"has more than one {TWICE[fmt]}" in str(err.value)


@pytest.mark.parametrize("fmt", ONCE)
def test_parse_format_takes_one_of_each(fmt):
    from dtracepy.facts.conversions import parse_format

    (conv,) = parse_format(fmt)
    assert conv.stars == fmt.count("*")


def test_check_says_it_at_the_format():
    from tests.check_findings import errors

    found = errors('BEGIN { printf("%..3d\\n", 1); }\n')
    assert [(f.check, f.pos.line, f.pos.col) for f in found] == [("printf-format", 1, 16)], found


def test_compile_says_it_at_the_users_line(tmp_path, capsys):
    path = tmp_path / "f.py"
    path.write_text("from dtracepy import *\nt = Tracer()\n\n@t.probe('BEGIN')\ndef b():\n"
                    "    printf('%**d\\n', 1, 2, 3)\n")
    assert main(["compile", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:6: error: printf(): '%**' has more than one '*' for the output width" in err, err


def test_the_real_dtrace_judges_the_formats_as_parse_format_does():
    from tests.real_dtrace import judge_scripts

    jobs = {fmt: {"text": f'BEGIN {{ printf("{fmt}\\n", 1, 2, 3); exit(0); }}\n'} for fmt in [*TWICE, *ONCE]}
    verdicts = judge_scripts(jobs)
    for fmt in TWICE:
        assert "has more than one" in (verdicts[fmt] or ""), (fmt, verdicts[fmt])
    for fmt in ONCE:   # (refused only for the count of arguments, 3 given)
        assert verdicts[fmt] is None or "prototype mismatch" in verdicts[fmt], (fmt, verdicts[fmt])


# --- 3: a padded string key -----------------------------------------------------------------------

# dtrace -s of printa("%3s %@d %@d\n", @a) with keys "a" and "abcd" (this session, live): "  a 1 1"
# and "abcd 1 1"; run's Python data had the key "  a" (a format of two values for one
# aggregation is not framed: FormatDecoder reads dtrace's own text)
@pytest.mark.parametrize("fmt,text", [("%3s %@d %@d\n", "  a 1 1\nabcd 1 1\n"),
                                      ("[%5s] %@d %@d\n", "[    a] 1 1\n[abcd] 1 1\n"),
                                      ("%-5s| %@d %@d\n", "a    | 1 1\nabcd | 1 1\n")])
def test_a_padded_string_key_is_the_keys_value(fmt, text):
    from dtracepy.run.aggregations import parse_printa

    aggs = parse_printa(text, fmt, ["a"])
    assert dict(aggs["a"]) == {("a",): 1, ("abcd",): 1}


def test_a_key_wider_than_its_width_is_kept_whole():
    from dtracepy.run.aggregations import parse_printa

    aggs = parse_printa(" abcd 1 1\n", "%3s %@d %@d\n", ["a"])
    assert dict(aggs["a"]) == {(" abcd",): 1}


# --- 4: trigraphs ----------------------------------------------------------------------------------

def test_import_of_d_that_goes_through_cpp_applies_its_trigraphs(tmp_path, capsys):
    """dtrace -C reads ``"a??=b"`` as ``"a#b"`` (and a script with a #define goes through it);
    import without -C made a tracer printing ``"a??=b"``."""
    script = tmp_path / "t.d"
    script.write_text('#define X 1\nBEGIN { trace("a??=b"); trace(X); exit(0); }\n')
    assert main(["import", str(script)]) == 0
    module = capsys.readouterr().out
    assert 'trace("a#b")' in module and "??" not in module, module


def test_import_of_d_run_without_cpp_keeps_them(tmp_path, capsys):
    script = tmp_path / "t.d"
    script.write_text('#!/usr/sbin/dtrace -s\nBEGIN { trace("a??!b"); exit(0); }\n')
    assert main(["import", str(script)]) == 0
    assert 'trace("a??!b")' in capsys.readouterr().out


def test_import_of_an_unterminated_constant_after_the_trigraph_is_located(tmp_path, capsys):
    """dtrace -C -e: 'missing terminating " character' (cpp's warning, at line 2), then "line 3:
    newline encountered in string literal": dtrace names the line after the string's newline, and
    so does dtracepy since session 27 (leftovers28; the real dtrace asked again on 2026-12-04)."""
    script = tmp_path / "t.d"
    script.write_text('#define X 1\nBEGIN { trace("??/"); exit(0); }\n')
    assert main(["import", str(script)]) == 1
    assert f"{script}:3:1: error: newline in string constant" in capsys.readouterr().err


def test_a_charlit_trigraph_prints_as_dtrace_c_reads_those_characters():
    """``charlit("??/")`` printed ``'??/'``: dtrace -C: "missing terminating ' character",
    "newline encountered in character constant".  ``'?\\077/'`` is the same constant (printf
    ``%d`` of both, live: 4144943 4144943)."""
    from tests.real_dtrace import job_for_d, judge_scripts

    t = Tracer(cpp=True)

    @t.probe("BEGIN")
    def _():
        trace(charlit("??/"))
        trace(charlit("a??="))

    text = t.to_d()
    assert "'?\\077/'" in text and "'a?\\077='" in text, text
    verdicts = judge_scripts({"C": job_for_d(text), "s": dict(job_for_d(text), flags="")})
    assert verdicts == {"C": None, "s": None}


# --- 5: cpp's assertions under check -C -----------------------------------------------------------

def _check_c(text: str):
    """``check -C``'s reading of ``text``: None when it reads, else the located error."""
    from dtracepy.errors import DTracePyError
    from dtracepy.parser import parse_bytes

    try:
        parse_bytes(text.encode(), "a.d", cpp=True)
    except DTracePyError as err:
        return str(err)
    return None


_BAD = "BEGIN { trace(nothere); }\n"     # (dtrace: "failed to resolve nothere")
# each: text, whether the #if holds (dtrace -C -e refuses the script then); check -C said "Could
# not evaluate expression due to SyntaxError("around token '#' type CPP_POUND")" of each
ASSERTIONS = {
    "asserted": ("#assert machine(foo)\n#if #machine(foo)\n" + _BAD + "#endif\n", True),
    "asserted, other answer": ("#assert foo(a b)\n#if #foo(b)\n" + _BAD + "#endif\n", False),
    "spaces in the answer": ("#assert foo(a b)\n#if #foo( a  b ) && !#foo(ab)\n" + _BAD + "#endif\n", True),
    "never asserted": ("#if #foo(bar) || #foo\n" + _BAD + "#endif\n", False),
    "any answer": ("#assert foo(x)\n#if #foo\n" + _BAD + "#endif\n", True),
    "unasserted whole": ("#assert machine(foo)\n#unassert machine\n#if #machine(foo) || #machine\n" + _BAD + "#endif\n", False),
    "unasserted one": ("#assert foo(x)\n#assert foo(y)\n#unassert foo(x)\n#if #foo(x)\n" + _BAD + "#endif\n", False),
    "in an #elif": ("#if 0\n#elif #machine\n" + _BAD + "#endif\n", True),
    "skipped #assert": ("#if 0\n#assert foo(x)\n#endif\n#if #foo(x)\n" + _BAD + "#endif\n", False),
}


@pytest.mark.parametrize("name", ASSERTIONS)
def test_check_c_evaluates_an_assertion_as_cpp_does(name):
    from dtracepy.parser import parse_bytes

    text, holds = ASSERTIONS[name]
    program = parse_bytes(text.encode(), "a.d", cpp=True)
    assert bool(program.items) == holds, program


def test_the_real_dtrace_evaluates_them_so():
    from tests.real_dtrace import judge_scripts

    verdicts = judge_scripts({name: {"text": text + "BEGIN { exit(0); }\n", "flags": "C"}
                              for name, (text, _) in ASSERTIONS.items()})
    for name, (_, holds) in ASSERTIONS.items():
        assert (verdicts[name] is not None and "nothere" in verdicts[name]) == holds, (name, verdicts[name])


def test_a_machine_predicate_the_script_does_not_settle_is_refused_at_its_line():
    """dtrace -C: #machine(x86_64), #cpu(x86_64), #system(linux) hold here, #machine(i386) does
    not: gcc's cpp answers them from its machine, which check cannot know."""
    said = _check_c("BEGIN { exit(0); }\n#if #machine(i386)\n" + _BAD + "#endif\n")
    assert said.startswith("a.d:2:1: error: #if #machine(i386): cpp predefines the answers of #machine"), said


# cpp's words (dtrace -C -e, this session), each at the directive's line
MALFORMED = {"#assert machine\n": "#assert: missing '(' after predicate",
             "#assert machine(\n": "#assert: missing ')' to complete answer",
             "#assert (x)\n": "#assert: predicate must be an identifier",
             "#assert machine()\n": "#assert: predicate's answer is empty",
             "#unassert 3\n": "#unassert: predicate must be an identifier",
             "#if #\n#endif\n": "#if: assertion without predicate",
             "#if #machine(\n#endif\n": "#if: missing ')' to complete answer"}


@pytest.mark.parametrize("text", MALFORMED)
def test_a_malformed_assertion_is_refused_in_cpps_words(text):
    said = _check_c("BEGIN { exit(0); }\n" + text)
    assert said.startswith(f"a.d:2:1: error: {MALFORMED[text]}"), said


def test_the_real_dtrace_refuses_those():
    from tests.real_dtrace import judge_scripts

    verdicts = judge_scripts({text: {"text": "BEGIN { exit(0); }\n" + text, "flags": "C"} for text in MALFORMED})
    for text in MALFORMED:   # (cpp's own words go to its standard error: recorded above)
        assert "Preprocessor failed" in (verdicts[text] or ""), (text, verdicts[text])
