"""A hostile new user's walk (session 16, /work/review16.md): what got through, fixed.

Each test fails on the code before its fix.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO
from dtracepy import char, expr, to_d
from dtracepy.lexer import decode_string
from dtracepy.parser import parse


def _cli(*args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "dtracepy", *args], cwd=cwd, capture_output=True,
                          text=True, env=env_with(REPO), timeout=timeout)


# --- F2, F3: D's escapes are fewer than C's ------------------------------------------------------
# D's lexer reads string and character constants through stresc2chr(), which keeps a backslash it
# does not know with the character after it: "\'" and "\?" are two bytes, '\'' is 0x5C27.

@pytest.mark.parametrize("body, value", [
    ("\\'", "\\'"), ("\\?", "\\?"), ("\\e", "\\e"), ("\\q", "\\q"), ("\\8", "\\8"),
    ("\\x", "\0"), ("a\\xzb", "a\0zb"), ("\\x4e", "N"), ("\\047", "'"), ('\\"', '"'), ("\\\\", "\\"),
])
def test_a_string_constant_holds_what_dtrace_makes_of_its_escapes(body, value):
    """`"\\'"` was read as `'`, `"\\q"` as `q` and `"\\x"` as `x`: a program whose string
    dtrace reads as `\\'` was imported as one whose string is `'`, a different program."""
    assert decode_string(body) == value


def test_import_keeps_a_backslash_dtrace_keeps(tmp_path):
    d = tmp_path / "esc.d"
    d.write_text('BEGIN { printf("can\\\'t \\e[1m\\n"); exit(0); }\n')
    for exact in ((), ("--exact",)):
        made = _cli("import", *exact, "esc.d", "-o", "esc.py", cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        compiled = _cli("compile", "esc.py", cwd=tmp_path)
        assert compiled.returncode == 0, compiled.stderr
        program = parse(compiled.stdout)
        (value,) = [n.value for n in program.walk() if type(n).__name__ == "StringLit"]
        assert value == "can\\'t \\e[1m\n", (exact, compiled.stdout)


def test_char_of_a_quote_is_the_quote():
    """`char("'")` printed `'\\''`, which dtrace reads as 23591, not 39."""
    assert to_d(expr(char("'"))) == "'\\047'"
    assert to_d(expr(char("\\'"))) == "'\\047'"  # C's spelling still means the quote
    assert to_d(expr(char('"'))) == "'\"'"


def test_a_character_constant_of_an_unknown_escape_is_two_bytes():
    from dtracepy.lexer import _char_len

    assert _char_len("\\'") == 2 and _char_len("\\?") == 2 and _char_len("\\q") == 2
    assert _char_len("\\047") == 1 and _char_len("\\\\") == 1 and _char_len('\\"') == 1


def test_the_real_dtrace_reads_the_escapes_as_the_facts_say():
    """dtrace folds `1 / (c - v)` at compile time: a division by zero exactly when `c` is `v`."""
    from tests.real_dtrace import compile_scripts

    cases = {
        "quote": (to_d(expr(char("'"))), 39),
        "quote-c": ("'\\''", 0x5C27),
        "qmark": ("'\\?'", 0x5C3F),
        "unknown": ("'\\q'", 0x5C71),
        "hex-none": ("'\\x'", 0),
        "string-quote": ('sizeof("\\\'")', 3),
        "string-qmark": ('sizeof("\\?")', 3),
        "string-x": ('sizeof("a\\xzb")', 2),  # "a", then the NUL
        "string-e": ('sizeof("\\e")', 3),
    }
    scripts = {name: f"BEGIN {{ trace(1 / ({text} - {value})); }}\n"
               for name, (text, value) in cases.items()}
    verdicts = compile_scripts(scripts)
    for name, verdict in verdicts.items():
        assert verdict is not None and "division by zero" in verdict, (name, verdict)


# --- F1: a pointer is a pointer through a variable, an address and a call ------------------------

_POINTER_OPERANDS = [
    "this->p = (int *)arg0; trace(this->p & 1);",
    "self->p = (int *)arg0; trace(self->p | 2);",
    "p = (int *)arg0; trace(p ^ 2);",
    "a[1] = (int *)arg0; trace(a[1] & 1);",
    "this->p = (int *)arg0; trace(this->p * 2);",
    "this->p = (int *)arg0; trace(this->p == 1);",
    "this->a = (int *)arg0; this->b = (int *)arg1; trace(this->a + this->b);",
    "trace(arg0 & &curthread->pid);",
    "trace(-&curthread->pid);",
    "trace(&curthread->pid == 1);",
    "trace(arg0 & copyin(arg0, 4));",
    "this->p = alloca(8); trace(this->p << 1);",
    "this->p = copyin(arg0, 8); trace(~this->p);",
]
_POINTER_FINE = [
    "this->p = (int *)arg0; trace(this->p + 1); trace(this->p == 0); trace((uintptr_t)this->p & 1);",
    "this->p = 1; this->p = 0; trace(this->p & 1);",
    "trace(&curthread->pid - &curthread->tgid);",
    "this->p = &curthread->pid; trace(*this->p & 1);",
    "x = (int *)arg0; x = 0; trace(x == 0);",
]


def _operand_findings(body):
    from dtracepy.checks import CheckOptions, check_program

    text = f"BEGIN {{ {body} }}\n"
    return [f for f in check_program(parse(text), CheckOptions(), source=text)
            if f.check == "operand-type"]


@pytest.mark.parametrize("body", _POINTER_OPERANDS)
def test_check_refuses_a_pointer_operand_however_it_is_reached(body):
    """`this->p = (int *)arg0; trace(this->p & 1);` passed `check` (and the DSL's compile, which
    runs the same rule) though dtrace refuses it: only a cast or curthread was a known pointer."""
    assert _operand_findings(body), body


@pytest.mark.parametrize("body", _POINTER_FINE)
def test_check_takes_what_dtrace_takes_of_pointers(body):
    assert not _operand_findings(body), body


def test_the_real_dtrace_judges_the_pointer_operands_as_check_does():
    from tests.real_dtrace import compile_scripts

    scripts = {body: f"BEGIN {{ {body} }}\n" for body in _POINTER_OPERANDS + _POINTER_FINE}
    verdicts = compile_scripts(scripts)
    for body in _POINTER_OPERANDS:
        assert verdicts[body] is not None, body
    for body in _POINTER_FINE:
        assert verdicts[body] is None, (body, verdicts[body])


def test_the_dsl_refuses_a_pointer_variable_as_an_operand_at_the_users_line(tmp_path):
    (tmp_path / "ptr.py").write_text(
        "from dtracepy import Tracer, addr, arg0, cast, deref, this, trace\n"
        "t = Tracer()\n"
        "@t.probe('BEGIN')\n"
        "def b():\n"
        "    this.p = cast(arg0, 'int *')\n"
        "    trace(this.p & addr(deref(this.p)))\n")
    result = _cli("compile", "ptr.py", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.startswith("ptr.py:6: error: operator &"), result.stderr


# --- F4: a parameterised inline names each parameter once ----------------------------------------

def test_an_inline_naming_a_parameter_twice_is_refused_at_its_line(tmp_path):
    """`t.inline("f", "int", lambda x, y: x + y, params=["int x", "int x"])` compiled to
    `inline int f[int x, int x] = x + x;`, which dtrace refuses."""
    (tmp_path / "inl.py").write_text(
        "from dtracepy import Tracer, trace\n"
        "t = Tracer()\n"
        "@t.probe('BEGIN')\n"
        "def b():\n"
        "    trace(1)\n"
        "t.inline('f', 'int', lambda x, y: x + y, params=['int x', 'int x'])\n")
    result = _cli("compile", "inl.py", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.startswith("inl.py:6: error: parameter x is named twice"), \
        result.stderr
    (tmp_path / "inl.d").write_text("inline int f[int x, int x] = x + x;\nBEGIN { trace(1); }\n")
    result = _cli("check", "inl.d", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.startswith("inl.d:1:21: error: parameter x"), result.stderr
    (tmp_path / "ok.d").write_text("inline int f[int x, int y] = x + y;\nBEGIN { trace(1); }\n")
    assert _cli("check", "ok.d", cwd=tmp_path).returncode == 0


def test_the_real_dtrace_refuses_a_parameter_named_twice():
    from tests.real_dtrace import compile_scripts

    verdicts = compile_scripts({"twice": "inline int f[int x, int x] = x + x;\nBEGIN { trace(1); }\n",
                                "once": "inline int f[int x, int y] = x + y;\nBEGIN { trace(1); }\n"})
    assert "parameter is already declared" in (verdicts["twice"] or "") and verdicts["once"] is None


# --- F5: a tracer's #if has its #endif ----------------------------------------------------------

@pytest.mark.parametrize("lines, line, message", [
    ("t.directive('if', '0')\n", 6, "#if without #endif"),
    ("t.directive('ifdef', 'X')\nt.directive('else')\n", 6, "#ifdef without #endif"),
    ("t.directive('else')\n", 6, "#else without #if"),
    ("t.directive('if', '1')\nt.directive('endif')\nt.directive('endif')\n", 8, "#endif without #if"),
])
def test_compile_refuses_a_conditional_directive_left_open_at_its_line(tmp_path, lines, line, message):
    """`t.directive("if", "0")` alone compiled (exit 0) to D that dtrace -C refuses ("unterminated
    #if"); only `compile --check` said so, as a preprocessor error."""
    (tmp_path / "cond.py").write_text(
        "from dtracepy import Tracer, trace\n"
        "t = Tracer()\n"
        "@t.probe('BEGIN')\n"
        "def b():\n"
        "    trace(1)\n" + lines)
    result = _cli("compile", "cond.py", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.startswith(f"cond.py:{line}: error: {message}"), result.stderr


def test_compile_takes_balanced_conditional_directives(tmp_path):
    (tmp_path / "cond.py").write_text(
        "from dtracepy import Tracer, trace\n"
        "t = Tracer()\n"
        "t.directive('if', '1')\n"
        "@t.probe('BEGIN')\n"
        "def b():\n"
        "    trace(1)\n"
        "t.directive('else')\n"
        "t.directive('ifdef', 'X')\n"
        "t.directive('endif')\n"
        "t.directive('endif')\n")
    result = _cli("compile", "cond.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


# --- F6: layout does not claim a type exists that the header never names ---------------------------

def test_layout_of_an_enum_the_header_lacks_does_not_say_it_is_one(tmp_path):
    """`dtracepy layout s.h 'enum zz'` said "enum zz is an enum" of a header without it."""
    (tmp_path / "s.h").write_text("struct s { int a; };\n")
    result = _cli("layout", "s.h", "enum zz", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "is an enum" not in result.stderr and "enum zz names an enum" in result.stderr, result.stderr


# --- F7: a process that writes without a newline neither swells nor stalls a run -----------------

def test_a_line_without_end_is_shown_in_pieces_and_held_bounded():
    """`run quiet.py -c "sh -c 'yes xxx | tr -d \\"\\\\n\\"'"`: the decoder joined each read to
    the whole unfinished line and split it again (quadratic), and held all of it: 13 minutes and
    300 MB later the run was still going.  Now it shows such text as it comes, in pieces."""
    from dtracepy.run import Decoder, Text
    from dtracepy.run.decode import MAX_UNFINISHED, STARTED

    dec = Decoder()
    assert dec.feed(b"\x1eB\n") == [STARTED]
    chunk = b"x" * (1 << 16)
    shown = []
    for _ in range(64):  # 4 MiB, no newline, no pause
        shown += dec.feed(chunk)
        assert len(dec._pending) <= MAX_UNFINISHED + len(chunk)
    shown += dec.close()
    assert all(isinstance(e, Text) for e in shown) and "".join(shown) == "x" * (64 << 16)


def test_a_long_line_keeps_what_may_be_a_mark_and_a_cut_character():
    from dtracepy.run import Decoder, Text
    from dtracepy.run.decode import MAX_UNFINISHED, STARTED

    from dtracepy.run.framing import Plan

    dec = Decoder(Plan(framed=False, token="Secretab"))
    dec.feed(b"\x1eSecretabB\n")
    junk = b"\x1ey" * 10 + b"a" * MAX_UNFINISHED    # RS bytes that start no mark are text
    shown = dec.feed(junk + b"\xc3")                # and a character cut by the read waits
    assert "".join(shown) == junk.decode() and dec._pending == b"\xc3"
    assert dec.feed(b"\xa9\n") == ["\u00e9\n"]
    # text, then what may be a mark on the same line: it waits for the rest
    dec = Decoder(Plan(framed=False, token="Secretab"))
    dec.feed(b"\x1eSecretabB\n")
    shown = dec.feed(b"z" * (MAX_UNFINISHED + 10) + b"\x1eSecr")
    assert "".join(shown) == "z" * (MAX_UNFINISHED + 10) and dec._pending == b"\x1eSecr"


def test_after_dtrace_ends_a_writer_it_left_cannot_keep_the_run_going(tmp_path, monkeypatch, capsys):
    """A stand-in dtrace that exits and leaves a process of its own writing to its output without a
    pause: the run ends (the pipes are let go at most _MOST_AFTER_EXIT seconds after dtrace
    ended), where it waited for a second without output that never came."""
    import os
    import signal
    import threading

    from dtracepy.cli import main
    from dtracepy.run import runner

    script = tmp_path / "x.d"
    script.write_text("BEGIN { trace(1); }\n")
    group = tmp_path / "writer.pgid"
    fake = tmp_path / "dtrace"
    fake.write_text("#!/bin/sh\n"
                    f"setsid sh -c 'echo $$ > {group}; exec yes xxxxxxxxxxxxxxxx' &\n"
                    "exit 0\n")
    fake.chmod(0o755)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(runner, "_MOST_AFTER_EXIT", 2.0, raising=False)
    done = []
    thread = threading.Thread(target=lambda: done.append(main(["run", str(script), "--dtrace", str(fake),
                                                               "-o", str(tmp_path / "out.jsonl")])),
                              daemon=True)
    thread.start()
    try:
        thread.join(30)
        assert done, "the run was still going 30 s after dtrace ended"
    finally:
        for _ in range(50):
            if group.exists() and group.read_text().strip():
                break
            import time

            time.sleep(0.1)
        if group.exists() and group.read_text().strip():
            try:
                os.killpg(int(group.read_text()), signal.SIGKILL)  # the writer this test started
            except ProcessLookupError:
                pass


# --- F8: dtrace's standard error is read and kept within bounds ---------------------------------

def test_standard_error_without_end_is_kept_within_bounds(tmp_path, monkeypatch, capsys):
    """A `-c` command writing to standard error without a newline: `run` read it as one line
    without a limit, and kept it twice (its own list and Messages.other, which nothing read): 695 MB
    after 7 s of `yes | tr -d '\\n' >&2`.  Now lines are read 64 KiB at a time and the first MiB
    is kept, then the last lines, with a note of those left out."""
    import os

    from dtracepy.cli import main
    from dtracepy.run import runner

    script = tmp_path / "x.d"
    script.write_text("BEGIN { trace(1); }\n")
    fake = tmp_path / "dtrace"
    fake.write_text("#!/bin/sh\nhead -c 3000000 /dev/zero | tr '\\0' x >&2\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(runner, "_STDERR_KEPT", 100_000, raising=False)
    monkeypatch.setattr(runner, "_STDERR_TAIL", 3, raising=False)
    main(["run", str(script), "--dtrace", str(fake), "-o", str(tmp_path / "out.jsonl")])
    err = capsys.readouterr().err
    assert "more lines of standard error (dtrace's and its command's) were not kept" in err, err[-300:]
    assert len(err) < 100_000 + 4 * (1 << 16) + 10_000


def test_messages_keep_no_plain_lines_the_run_keeps_them_once():
    """Messages kept the first MiB of plain lines in a list nothing read, beside the run's own
    bounded copy (session 16 left two overlapping 1 MiB caps): now it keeps only warnings."""
    import tracemalloc

    from dtracepy.run.messages import Messages

    m = Messages()
    line = "y" * 100_000 + "\n"
    tracemalloc.start()
    try:
        for _ in range(100):
            assert m.add(line) is None
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 50_000, held
    assert Messages().add("dtrace: something else\n") is None
