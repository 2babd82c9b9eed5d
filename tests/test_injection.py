"""No Python value becomes D it did not mean (issue 8): one regression test per injection found.

Every string the DSL takes ends up in a tree node, and a node refuses what its kind cannot print
(see ``dtracepy.tree``, "Invariants"): these tests pin each way in that was found open, the
located errors, the option list, and the destructive-action rule however the action is spelled.
"""

from __future__ import annotations

import inspect
import os
import pathlib
import subprocess
import sys

import attrs
import pytest

from dtracepy import (
    Tracer, agg, builtin, call, char, curpsinfo, execname, glob, ksym, macro, offsetof, printf,
    self, stmt, this, trace,
)
from dtracepy import tree as T
from dtracepy.dsl.values import D, expr
from dtracepy.checks import CheckOptions, check_program
from dtracepy.errors import CompileError, DSLError, DSyntaxError
from dtracepy.parser import parse
from dtracepy.printer import to_d
from dtracepy.source import Pos

ROOT = pathlib.Path(__file__).resolve().parent.parent
HERE = os.path.basename(__file__)
SYSTEM = 'BEGIN { system("id"); }'


def located_here(excinfo) -> None:
    """The error points at a line of this file (the user's line), not into dtracepy."""
    pos = excinfo.value.pos
    assert pos is not None and os.path.basename(pos.file) == HERE and pos.col is None, excinfo.value


def refused(fn, *args, match=None, **kwargs):
    with pytest.raises(DSLError, match=match) as excinfo:
        fn(*args, **kwargs)
    located_here(excinfo)
    return excinfo.value


def cli(*argv, cwd=None):
    return subprocess.run([sys.executable, "-m", "dtracepy", *argv], capture_output=True, text=True,
                          cwd=cwd or ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)


def destructive_calls(program) -> set[str]:
    from dtracepy.facts.functions import DESTRUCTIVE

    return {n.name for n in program.walk() if isinstance(n, T.Call) and n.name in DESTRUCTIVE}


# --- options and pragmas -------------------------------------------------------------------------


def test_option_value_cannot_add_a_clause():
    refused(Tracer, options={"bufsize": '8m\nBEGIN { system("id"); }'})


def test_option_value_cannot_turn_destructive_mode_on():
    refused(Tracer, options={"bufsize": "8m\n#pragma D option destructive"})


def test_option_method_and_pragma_refuse_the_same():
    t = Tracer()
    refused(t.option, "bufsize", '8m\nBEGIN { system("id"); }')
    refused(t.pragma, "D", "option", 'bufsize=8m\nBEGIN { system("id"); }')
    refused(t.pragma, "D", "option", "quiet\n#pragma D option destructive")
    refused(t.pragma, "ident", "x */ BEGIN { system(\"id\"); } /*")
    assert t.items == []


def test_misspelt_option_is_an_error_with_a_did_you_mean():
    err = refused(Tracer, options={"quite": True})
    assert "did you mean 'quiet'" in err.message


def test_option_values_follow_what_each_option_takes():
    t = Tracer(options={"quiet": True, "bufsize": "8m", "switchrate": "10hz", "bufpolicy": "ring",
                        "zdefs": True, "strsize": 1024, "aggsortrev": "yes"})
    t.clause("BEGIN")
    text = t.compile(checks=False).text
    for line in ("quiet", "bufsize=8m", "switchrate=10hz", "bufpolicy=ring", "zdefs", "strsize=1024",
                 "aggsortrev=yes"):
        assert f"#pragma D option {line}\n" in text
    refused(Tracer, options={"bufpolicy": "ringg"}, match="ring or fill or switch")
    refused(Tracer, options={"zdefs": "1"}, match="takes no value")
    refused(Tracer, options={"bufsize": "8 m"})
    refused(Tracer, options={"switchrate": "10 Hz"})
    refused(Tracer, options={"quiet": 1.5})
    refused(Tracer, options={"setenv": "A=1"}, match="command line")


def test_options_of_another_dialect_are_refused_for_the_dialect_compiled_for():
    # judged when compiled, for the dialect compiled for (the tracer's own, or compile's), at
    # the line that gave the option; an option no dialect has is refused at once
    Tracer(dialect="oracle", options={"printsize": "4k"}).clause("BEGIN")
    t = Tracer(dialect="illumos", options={"printsize": "4k"}); line = inspect.currentframe().f_lineno  # noqa: E702
    t.clause("BEGIN")
    with pytest.raises(CompileError, match=r"option printsize is not known to illumos D \(only to oracle\)") as err:
        t.compile()
    assert err.value.pos.line == line and err.value.pos.file.endswith("test_injection.py")
    assert "#pragma D option printsize=4k" in t.compile(dialect="oracle").text
    refused(Tracer, dialect="oracle", options={"printsze": "4k"}, match="printsize")


def test_unknown_d_pragma_is_refused():
    t = Tracer()
    refused(t.pragma, "D", "optoin", "quiet")
    refused(t.pragma, "D", "option", "quiet", "flowindent", match="superfluous")
    t.pragma("D", "depends_on", "module", "ip")
    t.pragma("ident", '"@(#)x.d"')
    assert len(t.items) == 2


def test_check_finds_unknown_and_malformed_option_pragmas():
    program = parse("#pragma D option quite\n#pragma D option nspec=24 * 44\n#pragma D opton x\n"
                    "BEGIN { exit(0); }\n", "p.d")
    found = [(f.pos.line, f.message) for f in check_program(program) if f.check == "pragma"]
    assert [line for line, _ in found] == [1, 2, 3]
    assert "did you mean 'quiet'" in found[0][1] and "superfluous" in found[1][1]
    # (f declared: a binding of a name declared nowhere is "unused #pragma binding" to dtrace)
    clean = parse('#pragma D option bufsize=4m\n#pragma D binding "1.0" f\ninline int f = 1;\nBEGIN { }\n')
    assert [f for f in check_program(clean) if f.check == "pragma"] == []


COMMENTED_PRAGMA = '#pragma D option destructive /* x */\nBEGIN\n{\n\tsystem("true");\n\texit(0);\n}\n'
# depends_on and binding ignore words past theirs (Oracle's own libdtrace/iscsit.d comments them)
OTHER_PRAGMAS = ('#pragma D depends_on provider syscall /* x */\n#pragma D binding "1.0" foo x\n'
                 'inline int foo = 1;\nBEGIN\n{\n\texit(0);\n}\n')


def test_a_comment_on_a_pragma_line_is_words_to_d_and_a_blank_to_cpp():
    """dtrace reads `#pragma D option destructive /* x */` as superfluous words (check passed it,
    with the option on); under -C, cpp has made the comment a blank."""
    from dtracepy.parser import parse_bytes

    found = [f for f in check_program(parse(COMMENTED_PRAGMA, "p.d")) if f.severity == "error"]
    assert [(f.check, f.pos.line) for f in found] == [("pragma", 1)] and "superfluous" in found[0].message
    under_cpp = parse_bytes(COMMENTED_PRAGMA.encode(), "p.d", cpp=True)
    assert [f for f in check_program(under_cpp) if f.severity == "error"] == []
    assert [f for f in check_program(parse(OTHER_PRAGMAS, "o.d")) if f.severity == "error"] == []


def test_the_real_dtrace_reads_a_comment_on_a_pragma_line_as_words():
    from real_dtrace import compile_scripts

    assert "superfluous arguments" in (compile_scripts({"d": COMMENTED_PRAGMA})["d"] or "")
    assert compile_scripts({"cpp": COMMENTED_PRAGMA}, flags=("-C",))["cpp"] is None
    assert compile_scripts({"others": OTHER_PRAGMAS})["others"] is None


# --- preprocessor lines ---------------------------------------------------------------------------


def test_define_that_renames_an_action_is_found_destructive():
    t = Tracer(defines={"trace": "system"})

    @t.probe("BEGIN")
    def _():
        trace("id")

    with pytest.raises(CompileError, match=r"system\(\).*#define") as excinfo:
        t.compile()
    located_here(excinfo)
    ok = Tracer(defines={"trace": "system"}, options={"destructive": True})

    @ok.probe("BEGIN")
    def _():
        trace("id")

    ok.compile()


def test_define_that_pastes_tokens_into_a_destructive_action_is_found():
    t = Tracer()
    t.define("CAT(a, b)", "a##b")

    @t.probe("BEGIN")
    def _():
        stmt(call("CAT", builtin("sys"), builtin("tem"))("id"))

    with pytest.raises(CompileError, match="destructive"):
        t.compile()


def test_define_and_include_cannot_break_their_line():
    refused(Tracer, defines={"X": '1\nBEGIN { system("id"); }'})
    refused(Tracer, defines={"X; system": "1"})
    refused(Tracer, defines={"X": "1 \\"})  # would continue onto the next line
    refused(Tracer, defines={"X": "1 /* unclosed"})
    refused(Tracer, includes=['x.h>\nBEGIN { system("id"); }\n#include <y.h'])
    refused(Tracer, includes="sys/types.h", match="a list")
    t = Tracer()
    refused(t.include, 'x.h"\nBEGIN { system("id"); }')
    refused(t.define, "X", 'y\n#pragma D option destructive')
    t.define("PORT", 22)
    t.include("sys/types.h")
    text = t.compile(checks=False).text
    assert "#define PORT 22\n#include <sys/types.h>\n" in text


def test_check_finds_define_renames_with_and_without_cpp(tmp_path):
    path = tmp_path / "r.d"
    path.write_text('#define go system\nBEGIN\n{\n\tgo("id");\n}\n')
    for flags in ((), ("-C",)):
        result = cli("check", *flags, str(path))
        assert result.returncode == 1, result.stderr
        assert "system()" in result.stderr and "[destructive]" in result.stderr, result.stderr


# --- names ------------------------------------------------------------------------------------------


def test_scopes_take_identifiers_only():
    t = Tracer()

    @t.probe("BEGIN")
    def _():
        refused(this, 'x = 1; system("id"); this->y')
        refused(self, 'x = 1; system("id"); self->y')
        refused(glob, 'x = 1; system("id"); y')
        refused(agg, 'x = count(); system("id"); @y')
        refused(setattr, this, 'x = 1; system("id"); this->y', 1)
        refused(self, 5)
        refused(glob, "int")  # a keyword is no global's name
        this.ok = 1

    assert "system" not in t.compile(checks=False).text


def test_member_names_are_identifiers():
    refused(getattr, curpsinfo, 'pr_pid); system("id"); trace(curpsinfo->pr_pid')
    from dtracepy import arrow, dot
    refused(dot, curpsinfo, "a.b); system(\"id\"")
    refused(arrow, curpsinfo, "é")


def test_char_offsetof_builtin_ksym_call_refuse_other_text():
    refused(char, "a'); system(\"id\"); trace('b")
    refused(char, "123456789")  # D's character constants hold at most 8 bytes
    refused(char, 5)
    refused(offsetof, "struct s", 'x); system("id"); trace(offsetof(struct s, x')
    refused(offsetof, "struct s", None)
    refused(builtin, 'execname); system("id"); trace(execname')
    refused(builtin, "int")
    refused(ksym, 'x); system("id"); trace(`y')
    refused(ksym, "x", "genunix`y; system")
    refused(ksym, None)
    refused(call, 'trace(1); system')
    refused(call, {})


def test_char_escapes_what_it_is_given():
    assert to_d(expr(char("'"))) == "'\\047'"  # D reads '\'' as two bytes (review 16)
    assert to_d(expr(char("\\"))) == "'\\\\'"
    assert to_d(expr(char("\n"))) == "'\\n'"
    assert to_d(expr(char("\\n"))) == "'\\n'"
    assert to_d(expr(char("\x01"))) == "'\\001'"
    assert to_d(expr(char("a"))) == "'a'"


def test_inline_and_declare_names_are_identifiers():
    t = Tracer()
    refused(t.inline, 'x = 1; BEGIN { system("id"); } inline int y', "int", 1)
    refused(t.declare, "x; int y", "int")
    refused(t.declare, "string", "int")
    assert t.items == []


def test_clear_and_keep_take_identifiers():
    t = Tracer()
    refused(t.keep, "é")
    refused(t.clear, "x; system", at="syscall::read:return")


def test_probe_descriptions_cannot_hold_clauses():
    t = Tracer()
    refused(t.probe, 'BEGIN { system("id"); } END')
    refused(t.probe, "BEGIN\n{")


# --- raw tree nodes -----------------------------------------------------------------------------------


def test_raw_nodes_refuse_what_their_kind_cannot_print():
    refused(T.Ident, 'x); system("id"); trace(y')
    refused(T.IntLit, '1); system("id"); trace(2')
    refused(T.IntLit, 5)
    refused(T.IntLit, "1" * 4301)  # does not fit in 64 bits
    refused(T.IntLit, "18446744073709551616")
    T.IntLit("18446744073709551615")
    refused(T.Comment, '*/ BEGIN { system("id"); } /*')
    refused(T.Comment, "a/")  # would print /*a/*/, a nested comment to D
    refused(T.Directive, "define", 'X 1\nBEGIN { system("id"); }')
    refused(T.Directive, "system", "x")
    refused(T.Pragma, ("D", "option", "quiet\nBEGIN"))
    refused(T.Shebang, '/usr/sbin/dtrace -s\nBEGIN { system("id"); }')
    refused(T.CharLit, "a'")
    refused(T.StringLit, 5)
    refused(T.SelfVar, "x->y")
    refused(T.Member, T.Ident("x"), "->", "y; z")
    refused(T.Member, T.Ident("x"), "=>", "y")
    refused(T.Binary, "; system", T.Ident("x"), T.Ident("y"))
    refused(T.Assign, "=;", T.Ident("x"), T.Ident("y"))
    refused(T.MacroVar, "$1; x")
    refused(T.ProbeDesc, "BEGIN { x }")
    refused(T.TypeRef, "int")
    refused(T.Declaration, ("int; system",), ())
    refused(T.PointerDecl, T.NameDecl(None), ("const; x",))


def test_raw_nodes_given_to_add_or_used_as_values_are_checked_whole():
    t = Tracer()
    bad_clause = T.Clause((T.ProbeDesc("BEGIN"),), None, ("system(\"id\");",))
    refused(t.add, bad_clause)
    refused(t.add, T.Clause((T.Ident("BEGIN"),), None, ()))
    refused(t.add, T.Program(()))  # not a top-level item

    @t.probe("BEGIN")
    def _():
        refused(trace, T.Call(T.Ident("x"), ("system(\"id\")",)))
        trace(T.IntLit("0x10"))

    t.add(T.Comment(" fine "))
    t.add(T.Directive("define", "X 1"))
    text = t.compile(checks=False).text
    assert "trace(0x10);" in text and "/* fine */" in text


def test_tree_from_text_is_refused_with_a_syntax_error_at_its_column():
    with pytest.raises(DSyntaxError) as excinfo:
        T.Ident("a b", pos=Pos("x.d", 3, 7))
    assert str(excinfo.value.pos) == "x.d:3:7"
    with pytest.raises(DSyntaxError, match="nested comment|comment"):
        parse("/* a/*/\nBEGIN { }\n", "c.d")
    with pytest.raises(DSyntaxError, match="64 bits|too large"):
        parse("BEGIN { trace(" + "9" * 4301 + "); }\n", "big.d")


def test_printer_refuses_a_node_changed_behind_its_constructor():
    node = T.Ident("x")
    object.__setattr__(node, "name", 'x); system("id"); trace(y')
    with pytest.raises(DSLError, match="not a D identifier"):
        to_d(T.ExprStmt(node))
    with pytest.raises(DSLError, match="cannot print"):
        to_d(T.ExprStmt("trace(1)"))


def test_nodes_built_by_hand_are_reported_at_the_users_line():
    """A raw node has no position: what the checks or the printer find in it was reported at the
    tracer's first line (the `from dtracepy import *` line, or x.py:1:1); D(), expr() and t.add()
    give each node without one the user's line (review 8, finding 10)."""
    import copy

    t = Tracer()
    lines = []

    @t.probe("BEGIN")
    def _():
        lines.append(inspect.currentframe().f_lineno + 1)
        stmt(D(T.Call(T.Ident("system"), (T.StringLit("id"),))))
        lines.append(inspect.currentframe().f_lineno + 1)
        stmt(D(T.Call(T.Ident("system", module=""), (T.StringLit("id"),))))
        lines.append(inspect.currentframe().f_lineno + 1)
        trace(T.Binary("+", T.Ident("a"), T.Call(T.Ident("chill"), (T.IntLit("1"),))))

    with pytest.raises(CompileError) as excinfo:
        t.compile()
    found = {(f.pos.line, f.check) for f in excinfo.value.findings}
    assert {(lines[0], "destructive"), (lines[1], "unknown-function"), (lines[2], "destructive")} <= found, found
    assert all(os.path.basename(f.pos.file) == HERE for f in excinfo.value.findings), excinfo.value.findings
    # changed behind its constructor after D(): the printer refuses it at the line of the D()
    t = Tracer()

    @t.probe("BEGIN")
    def _():
        lines.append(inspect.currentframe().f_lineno + 1)
        v = D(T.Ident("okname"))
        object.__setattr__(v._node, "name", 'x); system("id"); trace(1')
        trace(v)

    with pytest.raises(DSLError, match="not a D identifier") as excinfo:
        t.compile()
    assert excinfo.value.pos.line == lines[3] and os.path.basename(excinfo.value.pos.file) == HERE
    # changed before: refused by D() itself, here
    node = copy.deepcopy(T.Ident("ok"))
    object.__setattr__(node, "name", "a b")
    refused(D, node, match="not a D identifier")


# --- comments: docstrings, descriptions, names, macro docs ---------------------------------------------


def test_comment_delimiters_in_user_text_do_not_break_the_header(tmp_path):
    t = Tracer("a*/b/*c", description="uses /* and */ freely /*/")
    n = macro(1, "port /* in */ host order */")

    @t.probe("BEGIN", when=n > 0)
    def _():
        trace(1)

    text = t.compile().text
    header = text[text.index("/*") + 2: text.index("*/")]
    assert "/*" not in header and "uses / * and * / freely" in header
    program = parse(text, "h.d")  # parses: no nested or early-closed comment
    assert len(program.clauses) == 1


def test_module_docstring_with_comment_delimiters_compiles_to_d_that_parses(tmp_path):
    path = tmp_path / "doc.py"
    path.write_text('"""Counts */ things /* nested."""\nfrom dtracepy import Tracer, trace\n'
                    't = Tracer()\n\n@t.probe("BEGIN")\ndef _():\n    trace(1)\n')
    result = cli("compile", str(path), "--check")
    assert result.returncode == 0, result.stderr
    assert "Counts * / things / * nested." in result.stdout


# --- argument types at DSL entry points ---------------------------------------------------------------


def test_wrong_argument_types_are_located_dsl_errors():
    refused(Tracer, description=1.5)
    refused(Tracer, name=3)
    refused(Tracer, options=["quiet"])
    refused(Tracer, defines={"X": None})
    refused(macro, 1, 5)
    from dtracepy import Record
    refused(Record, [("A", "%d")], sep=1)
    refused(Record, "A")


@pytest.mark.parametrize("line", ["ksym(None)", "call({})", "Tracer(description=1.5)",
                                  'printf(f"{execname}\\n")',
                                  "with if_(None):\n        trace(1)"])  # (was an internal error)
def test_wrong_types_at_the_cli_are_user_errors_not_internal_errors(tmp_path, line):
    path = tmp_path / "bad.py"
    path.write_text("from dtracepy import *\nt = Tracer()\n\n@t.probe('BEGIN')\ndef _():\n"
                    f"    {line}\n")
    result = cli("compile", str(path))
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "bad.py:6: error:" in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_d_value_formatted_into_a_python_string_says_pass_it_as_an_argument():
    t = Tracer()

    @t.probe("BEGIN")
    def _():
        with pytest.raises(DSLError, match="pass it as an argument") as excinfo:
            printf(f"{execname}\n")
        located_here(excinfo)
        with pytest.raises(DSLError, match="pass it as an argument"):
            "{}".format(execname)
        printf("%s\n", execname)

    assert 'printf("%s\\n", execname);' in t.compile(checks=False).text


def test_d_values_and_scopes_have_no_python_hash_nor_size():
    """A dict lookup, a set or hash() of a D value was done once, in Python, by identity, and its
    answer became a constant in the D (review 9, finding 11): ``{"bash": 1}.get(execname, 0)``
    compiled to ``trace(0);``.  (``id(pid)`` cannot be intercepted: Python's id() calls no method.)"""
    import sys as _sys

    t = Tracer()
    shells = {"bash": 1}

    @t.probe("BEGIN")
    def _():
        from dtracepy import pid
        refused(shells.get, execname, 0, match=r"a D value \(execname\) has no Python hash.*dict or set")
        refused(hash, pid, match="has no Python hash")
        # still the TypeError Python raises for an unhashable value, which code that asks
        # (hypothesis's sampled_from of D values) catches
        with pytest.raises(TypeError):
            hash(execname)
        refused(lambda: {pid: 1}, match="has no Python hash")
        refused(lambda: {pid, pid}, match="has no Python hash")
        refused(lambda: pid.__sizeof__(), match=r"a D value \(pid\) has no Python size")
        refused(_sys.getsizeof, pid, match="has no Python size")
        for scope in (self, this, glob, agg):
            refused(hash, scope, match=f"scope {scope._label} has no Python hash")
            refused(_sys.getsizeof, scope, match="has no Python size")
        trace(1)

    assert "trace(1);" in t.compile(checks=False).text


@pytest.mark.parametrize("line", ['trace({"bash": 1, "sh": 2}.get(execname, 0))', "trace(hash(pid))",
                                  "trace(hash(execname) & 0xff)", "trace(len({pid, pid}))",
                                  "trace(pid.__sizeof__())", "trace({self: 1}[self])"])
def test_hash_of_a_d_value_at_the_cli_is_a_located_error(tmp_path, line):
    path = tmp_path / "h.py"
    path.write_text("from dtracepy import *\nt = Tracer()\n\n@t.probe('BEGIN')\ndef _():\n"
                    f"    {line}\n")
    result = cli("compile", str(path))
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "h.py:6: error:" in result.stderr and "has no Python " in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("shebang, match", [
    ("/usr/bin/env -S sh -c id", "runs '/usr/bin/env', not dtrace"),
    ("/bin/sh -c id", "runs '/bin/sh', not dtrace"),
    ("/usr/sbin/dtracex -s", "not dtrace"),
    ("#!/usr/sbin/dtrace -ws", "not the #! too"),
    ("/usr/sbin/dtrace -q -s", "as one argument"),
    ("/usr/sbin/dtrace -x destructive -s", "as one argument"),
    ("/usr/sbin/dtrace -q", "must end in -s"),
    ("/usr/sbin/dtrace", "must end in -s"),
    ("/usr/sbin/dtrace -Ks", "-K is not a dtrace flag"),
    ("   ", "runs nothing"),
])
def test_shebang_must_run_dtrace_with_one_word_of_flags(shebang, match):
    """``Tracer(shebang="/usr/bin/env -S sh -c id")`` made ``./x.d`` run ``id``, and a shebang given
    with its ``#!`` emitted ``#!#!`` (review 9, finding 6)."""
    refused(Tracer, shebang=shebang, match=match)


@pytest.mark.parametrize("shebang", ["/usr/sbin/dtrace -qs", "/usr/local/bin/dtrace -Zs", "dtrace -CZs",
                                     "/usr/sbin/dtrace -xbufsize=8m", "/usr/sbin/dtrace -s"])
def test_shebang_of_dtrace_and_one_flag_word_is_emitted(shebang):
    if not shebang.endswith("s"):
        refused(Tracer, shebang=shebang, match="must end in -s")
        return
    t = Tracer(shebang=shebang)
    t.clause("BEGIN")
    assert t.to_d().startswith(f"#!{shebang}\n")


def test_import_of_a_script_whose_shebang_runs_another_program_is_refused(tmp_path):
    path = tmp_path / "sh.d"
    path.write_text("#!/bin/sh -p\nBEGIN { exit(0); }\n")
    result = cli("import", str(path))
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "sh.d:1:1: error: cannot import the #! line '/bin/sh -p'" in result.stderr, result.stderr


@pytest.mark.parametrize("line, hinted", [("    exit(0)", True), ("    import sys; sys.exit(3)", True),
                                          ("    trace(1)\nexit(0)", False)])
def test_python_exit_in_a_probe_body_hints_at_d_exit(tmp_path, line, hinted):
    """Python's ``exit(0)`` in a probe body (the star import gives D's exit as exit_): the module
    exited, and the error says which exit was almost certainly meant (review 9, finding 12)."""
    path = tmp_path / "e.py"
    path.write_text(f"from dtracepy import *\nt = Tracer()\n\n@t.probe('BEGIN')\ndef _():\n{line}\n")
    result = cli("compile", str(path))
    assert result.returncode == 1 and "the module exited while being imported" in result.stderr, result.stderr
    hint = "D's exit? (`from dtracepy import exit` for the plain name)"
    assert (hint in result.stderr) is hinted, result.stderr
    if hinted:
        assert f"did you mean exit_({3 if 'sys' in line else 0})" in result.stderr, result.stderr
        assert "e.py:6: error:" in result.stderr, result.stderr


# --- -w and destructive actions however spelled ---------------------------------------------------------


@pytest.mark.parametrize("shebang, allowed", [
    ("#!/usr/sbin/dtrace -xswitchrate=10hz -s", False),
    ("#!/usr/sbin/dtrace -x switchrate=10hz -s", False),
    ("#!/usr/sbin/dtrace -o w.out -s", False),
    ("#!/usr/sbin/dtrace -qws", True),
    ("#!/usr/bin/env -S dtrace -w -s", True),
    ("#!/usr/bin/env -S dtrace -x destructive -s", True),
    # the kernel gives dtrace "-w -s" as one argument: ./x.d stops at "invalid option" (review 9, 7)
    ("#!/usr/sbin/dtrace -w -s", False),
    ("#!/usr/sbin/dtrace -x destructive -s", False),
    ("#!/usr/sbin/dtrace -s", False),
])
def test_w_means_a_w_flag(shebang, allowed):
    program = parse(shebang + "\n" + SYSTEM + "\n", "w.d")
    found = [f for f in check_program(program) if f.check == "destructive"]
    assert (found == []) is allowed, found


def test_parenthesised_destructive_action_is_found():
    program = parse('BEGIN\n{\n\t(system)("id");\n}\n', "p.d")
    assert destructive_calls(program) == {"system"}
    found = [f for f in check_program(program) if f.check == "destructive"]
    assert len(found) == 1 and found[0].pos.line == 3
    assert check_program(program, CheckOptions(destructive=True)) == []


def test_real_dtrace_calls_a_parenthesised_action_destructive(tmp_path):
    from tests.real_dtrace import need_dtrace, need_root

    dtrace = need_dtrace()
    need_root()
    path = tmp_path / "p.d"
    path.write_text('BEGIN\n{\n\t(system)("echo injected");\n\texit(0);\n}\n')
    result = subprocess.run([dtrace, "-q", "-s", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "Destructive actions not allowed" in result.stderr, result.stderr
    assert "injected" not in result.stdout


def test_real_dtrace_accepts_the_d_emitted_for_edge_cases():
    from tests.real_dtrace import compile_scripts

    scripts = {}
    t = Tracer("x*/y", description="a /* b */ c /*/", options={"quiet": True, "bufsize": "8m",
                                                                "switchrate": "10hz", "strsize": 256})

    @t.probe("BEGIN")
    def _():
        trace(char("'"))
        trace(char("\\"))
        trace(char("\n"))
        trace(char("\x01"))
        printf("%s\n", "a \"quoted\" */ /* string\\")
        stmt(call("exit", 0))

    scripts["edge"] = t.to_d()
    verdicts = compile_scripts(scripts)
    assert verdicts == {"edge": None}, verdicts


def test_attrs_evolve_keeps_the_invariants():
    node = T.Ident("x")
    with pytest.raises(DSLError):
        attrs.evolve(node, name="x y")
