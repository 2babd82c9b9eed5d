"""A hostile new user's walk (session 15, /work/review15.md): what got through, fixed.

Each test fails on the code before its fix.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO


def _cli(*args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "dtracepy", *args], cwd=cwd, capture_output=True,
                          text=True, env=env_with(REPO), timeout=timeout)


# --- F8: importing a D file never writes Python that runs its comments -------------------------

_PAYLOAD = '\ropen("PWNED", "w")\r'


@pytest.mark.parametrize("name, text", [
    ("trailing", 'BEGIN { trace(1); /* a' + _PAYLOAD + ' */ }\n'),
    ("between", 'BEGIN { trace(1); }\n/* top' + _PAYLOAD + ' */\nEND { trace(2); }\n'),
    ("last", '/* first */\nBEGIN { trace(1); }\n/* last' + _PAYLOAD + ' */\n'),
    ("after-item", 'BEGIN { trace(1); } /* x' + _PAYLOAD + ' */\nEND { trace(2); }\n'),
    ("leading", 'BEGIN {\n/* above' + _PAYLOAD + ' */\ntrace(1); }\n'),
])
@pytest.mark.parametrize("exact", [False, True])
def test_a_carriage_return_in_a_d_comment_never_becomes_python_code(tmp_path, name, text, exact):
    """`dtracepy import` of `BEGIN { trace(1); /* a\\ropen("PWNED","w") */ }` wrote
    `trace(1)  # a<CR>open("PWNED","w")`: Python reads a lone CR as a line's end, so running the
    module (or `import --exact`, which runs it itself) created the file."""
    d = tmp_path / "evil.d"
    d.write_bytes(text.encode())
    result = _cli("import", *(["--exact"] if exact else []), "evil.d", "-o", "evil.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "PWNED").exists()
    source = (tmp_path / "evil.py").read_bytes().decode()
    for line in source.split("\n"):
        assert "\r" not in line, line
    subprocess.run([sys.executable, "evil.py"], cwd=tmp_path, env=env_with(REPO), capture_output=True,
                   timeout=120)
    assert not (tmp_path / "PWNED").exists()
    # The comment kept, as a comment: its CR written <U+000D> since session 25 (leftovers26), the
    # payload after a '#' on its line either way.
    payload = [line for line in source.split("\n") if 'open("PWNED", "w")' in line]
    assert payload and all("#" in line.split('open("PWNED"')[0] for line in payload), payload


# --- F1: a D value's text never reaches the D through the standard library ---------------------

_HEADER = "from dtracepy import Tracer, printf, execname, pid\nt = Tracer()\n@t.probe(\"BEGIN\")\ndef b():\n"


@pytest.mark.parametrize("imports, line", [
    ("import string", 'printf(string.Template("$p is running\\n").substitute(p=execname))'),
    ("import pprint", 'printf(pprint.pformat(execname) + "\\n")'),
    ("import json", 'printf(json.dumps({"p": pid}, default=str))'),
])
def test_a_library_formatting_a_d_value_in_a_probe_body_is_an_error_at_the_users_line(tmp_path, imports, line):
    """`printf(string.Template("$p is running\\n").substitute(p=execname))` compiled (exit 0) to
    `printf("execname is running\\n");`: str() of a D value was allowed whenever the standard
    library asked for it (pprint: `printf("D(execname)\\n")`)."""
    (tmp_path / "t.py").write_text(imports + "\n" + _HEADER + "    " + line + "\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("t.py:6: error: a D value (")
    assert "pass it as an argument" in result.stderr


def test_a_library_may_still_format_a_d_value_outside_a_probe_body(tmp_path):
    """Outside a body nothing is recorded: the text shows what the value is (a debugger, a log)."""
    (tmp_path / "t.py").write_text("import json\n" + _HEADER + "    printf(\"%d\\n\", pid)\n"
                                   "print(json.dumps([pid], default=str))\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert '["pid"]' in result.stderr


# --- F2: an on/off option given a number -------------------------------------------------------

@pytest.mark.parametrize("value", [0, 1])
def test_a_switch_option_given_a_number_is_an_error(value):
    """`Tracer(options={"quiet": 0})` emitted `#pragma D option quiet=0`, which dtrace reads as
    on (live: BEGIN's trace(1) printed without the header)."""
    from dtracepy import DSLError, Tracer

    for name in ("quiet", "flowindent", "rawbytes", "aggsortrev"):
        with pytest.raises(DSLError, match=f"option {name} is on or off.*{name}=0 too, as on"):
            Tracer(options={name: value})
        with pytest.raises(DSLError, match="is on or off"):
            Tracer().option(name, value)


def test_a_number_option_or_a_word_still_takes_its_value():
    from dtracepy import Tracer

    assert Tracer(options={"nspec": 4, "cpu": 0, "quiet": True, "flowindent": "no", "rawbytes": "1"}).options == \
        {"nspec": "4", "cpu": "0", "quiet": True, "flowindent": "no", "rawbytes": "1"}  # (a str: dtrace's text)


def test_run_refuses_a_switch_given_a_python_number():
    from dtracepy.run.arguments import check_arguments
    from dtracepy.run.errors import RunArgumentError

    with pytest.raises(RunArgumentError, match="quiet is on or off"):
        check_arguments(options={"quiet": 0})
    check_arguments(options={"quiet": "0"})  # -x's text, as dtrace reads it
    check_arguments(options={"nspec": 4, "quiet": True})


# --- F3: declare's keys as one str --------------------------------------------------------------

def test_declare_with_one_key_type_as_a_str():
    """`t.declare("x", "int", keys="string")` emitted `int x[s, t, r, i, n, g];`."""
    from dtracepy import Tracer, to_d

    t = Tracer()
    t.declare("x", "int", keys="string")
    t.declare("y", "int", keys=("string", "int"))
    assert [to_d(item) for item in t.items] == ["int x[string];", "int y[string, int];"]


# --- F4: parse_layouts' defines and include_dirs ----------------------------------------------

def test_parse_layouts_takes_defines_as_a_dict_or_one_string(tmp_path):
    """`parse_layouts("my.h", defines={"N": "4"})` (the form Tracer(defines=) takes) and
    `defines="N=4"` laid out with N=1, silently: the dict was iterated as its keys, the str as its
    characters; `include_dirs="inc"` searched i, n and c."""
    from dtracepy import LayoutError
    from dtracepy.layout import parse_layouts

    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "n.h").write_text("#define M 3\n")
    header = tmp_path / "my.h"
    header.write_text("#include <n.h>\n#ifndef N\n#define N 1\n#endif\nstruct s { int a[N]; char b[M]; };\n")
    for defines in (["N=4"], "N=4", {"N": "4"}, {"N": 4}):
        layouts = parse_layouts(str(header), include_dirs=str(tmp_path / "inc"), defines=defines)
        assert layouts["struct s"].size == 20, defines
    for bad in ({"N": None}, ["N=4\n#define X 1"], 4, [None]):
        with pytest.raises(LayoutError, match="defines"):
            parse_layouts(str(header), include_dirs=[str(tmp_path / "inc")], defines=bad)
    with pytest.raises(LayoutError, match="include_dirs"):
        parse_layouts(str(header), include_dirs=[None])


# --- F5, F6: wrong types to the public functions -----------------------------------------------

def test_layout_functions_refuse_wrong_types_at_the_call():
    """shipped(None) and define("x", [1]) ended in AttributeError tracebacks; read_expr() with a
    str or a DSL value as the pointer returned a tree holding it (refused only by to_d); a
    negative offset went as far as the printer."""
    from dtracepy import LayoutError, arg0, expr
    from dtracepy.layout import Field, define, read_expr, shipped

    with pytest.raises(LayoutError, match="takes a layout's name"):
        shipped(None)
    with pytest.raises(LayoutError, match="a field is a Field"):
        define("x", [1])
    with pytest.raises(LayoutError, match="offset is a non-negative int"):
        define("x", [Field("a", "uint16_t", offset=-1)])
    for pointer in ("arg0", arg0):
        with pytest.raises(LayoutError, match="the pointer is a dtracepy.tree expression"):
            read_expr(shipped("ip"), pointer, "ip_src")
    assert read_expr(shipped("ip"), expr(arg0), "ip_src") is not None


def test_view_of_no_layout_and_at_with_a_str_offset_are_located_errors():
    """view(None, arg0) was taken (its repr then raised AttributeError); at(pid, "0x28", "int")
    emitted `*(int *)((char *)pid + "0x28")`, which dtrace refuses."""
    from dtracepy import DSLError, at, pid, view

    with pytest.raises(DSLError, match=r"test_new_user_review15.py:\d+: error: view\(\) takes a Layout"):
        view(None, pid)
    with pytest.raises(DSLError, match=r"test_new_user_review15.py:\d+: error: an offset is an int"):
        at(pid, "0x28", "int")


# --- F7: a lone surrogate in the header comment ------------------------------------------------

def test_a_lone_surrogate_in_the_docstring_is_named_as_the_users_text(tmp_path):
    """The message quoted a window of the generated header (`'... * Arguments:\\n '`)."""
    (tmp_path / "t.py").write_text('"""doc \\udcff"""\n' + _HEADER + "    printf(\"x\")\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1
    assert "the comment text 'doc \\udcff' (the header comment's is the module's docstring" in result.stderr
    assert "Arguments" not in result.stderr


# --- F10: an unnamed bit-field too wide is located ---------------------------------------------

def test_an_unnamed_bit_field_too_wide_is_located(tmp_path):
    """`struct s {\\n int : 33; };`: "dtracepy: error: width of bit-field <unnamed> ..." with
    no file:line:col."""
    (tmp_path / "x.h").write_text("struct s {\n  int : 33; };\n")
    result = _cli("layout", "x.h", "struct s", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("x.h:2:"), result.stderr


# --- F14: an exception that leaves a `with if_` block and is caught in the body ----------------

@pytest.mark.parametrize("body", [
    "    try:\n        with if_(pid == 1):\n            trace(1)\n            raise ValueError\n"
    "    except ValueError:\n        pass\n    trace(2)\n",
    "    with contextlib.suppress(ZeroDivisionError):\n        with if_(pid == 1):\n            trace(1)\n"
    "            1 / 0\n    trace(2)\n",
    "    with if_(pid == 2):\n        try:\n            with if_(pid == 1):\n                raise KeyError\n"
    "        except KeyError:\n            pass\n",
])
def test_a_caught_exception_that_left_an_if_block_is_an_error(body):
    """`try: with if_(pid == 1): trace(1); raise ValueError / except ValueError: pass`, then
    `trace(2)`: compiled (exit 0) to `BEGIN { trace(2); }`, the if and its trace(1) dropped."""
    import contextlib  # noqa: F401 - the body's

    from dtracepy import DSLError, Tracer, if_, pid, trace  # noqa: F401 - the body's

    t = Tracer()
    source = "def b():\n" + body
    scope = {"if_": if_, "pid": pid, "trace": trace, "contextlib": contextlib}
    exec(compile(source, "tracer_f14.py", "exec"), scope)
    with pytest.raises(DSLError, match=r"left this `with if_\(...\)` block .* the block is in no D"):
        t.probe("BEGIN")(scope["b"])


def test_an_if_block_entered_by_hand_and_never_left_is_a_located_error():
    """`if_(c).__enter__()` alone: "RuntimeError: dtracepy: statement stack out of order"."""
    from dtracepy import DSLError, Tracer, if_, pid, trace

    t = Tracer()

    def b():
        if_(pid == 1).__enter__()
        trace(1)

    with pytest.raises(DSLError, match="entered and never left"):
        t.probe("BEGIN")(b)
    t.probe("END")(lambda: trace(2))  # the statement stack is whole again
    assert "END" in t.to_d()


# --- F12: #if 1/0 in cpp's words ---------------------------------------------------------------

def test_a_division_by_zero_in_if_is_said_as_cpp_says_it(tmp_path):
    """`#if 1/0` under -C: "C preprocessor: Could not evaluate expression due to
    ZeroDivisionError('division by zero') (passed to evaluator: '1/0')"."""
    (tmp_path / "z.d").write_text("BEGIN { trace(1); }\n#if 3 % (1-1)\n#endif\n")
    result = _cli("check", "-C", "z.d", cwd=tmp_path)
    assert result.returncode == 1
    # (at the operator since session 24, as gcc names `#if 1/0`'s; of this one gcc names 2:11, the
    # `-` of the right operand)
    assert result.stderr.startswith("z.d:2:7: error: C preprocessor: division by zero in #if\n"), result.stderr


# --- F16: an error raised inside the standard library is at the user's line --------------------

@pytest.mark.parametrize("call", ['html.escape(execname)', 'textwrap.shorten(execname, 5)'])
def test_an_error_inside_a_standard_library_call_is_at_the_users_line(tmp_path, call):
    """`printf(html.escape(execname))`: "/usr/lib/python3.11/html/__init__.py:19: error:
    execname.replace(...) calls a method of a D value", at the library's line."""
    (tmp_path / "t.py").write_text("import html, textwrap\n" + _HEADER + f"    printf({call})\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("t.py:6: error: execname."), result.stderr


# --- F19: assigning what is no variable --------------------------------------------------------

@pytest.mark.parametrize("statement", ["1 = 2;", "(x + 1) = 2;", "x++ ++;", "++x++;", "(x = 1) = 2;",
                                       "-x = 1;", "(x ? x : x) = 1;", "x++ += 1;", "$1 = 2;"])
def test_check_refuses_assigning_what_is_no_variable(tmp_path, statement):
    """`BEGIN { x = 1; x++ ++; }` passed `dtracepy check`; dtrace: "operator ++ requires modifiable
    lvalue as an operand"."""
    (tmp_path / "a.d").write_text("BEGIN { x = 1; " + statement + " }\n")
    result = _cli("check", "a.d", cwd=tmp_path)
    assert result.returncode == 1
    assert "is no variable: D assigns" in result.stderr and "[assigned-read-only]" in result.stderr


@pytest.mark.parametrize("statement", ["(x) = 2;", "((x)) += 2;", "a[1] = 1; a[1]++;", "self->s.a = 1;",
                                       "x = y = 1;", "this->p = (int *)0; *this->p = 1;"])
def test_check_takes_assigning_a_variable_member_or_element(tmp_path, statement):
    (tmp_path / "a.d").write_text("BEGIN { x = 1; " + statement + " }\n")
    result = _cli("check", "a.d", cwd=tmp_path)
    assert "is no variable" not in result.stderr


@pytest.mark.parametrize("line", ['assign(lit(1), 2)', 'assign(glob.x + 1, 2)', 'assign(cast(glob.x, "int"), 1)',
                                  'stmt(postinc(postinc(glob.x)))', 'stmt(preinc(lit(1)))'])
def test_the_dsl_refuses_assigning_what_is_no_variable(tmp_path, line):
    """`assign(lit(1), 2)` compiled (exit 0) to `1 = 2;`, `stmt(postinc(postinc(glob.x)))` to
    `x++++;`: dtrace refuses both."""
    (tmp_path / "t.py").write_text("from dtracepy import *\nt = Tracer()\n@t.probe(\"BEGIN\")\ndef b():\n"
                                   "    glob.x = 1\n    " + line + "\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("t.py:6: error: ") and "is no variable" in result.stderr, result.stderr
