"""Characters that hide never reach the printed D raw (review 8, finding 12).

A bidirectional override (U+202E, U+2066...) printed raw into a D string makes the line read
otherwise than it runs ("Trojan source"), and a line separator (U+2028) or a C1 control (U+0085)
in a ``#!`` line is passed by the kernel as part of an argument.  The printer writes such
characters in strings as the octal escapes of their UTF-8 bytes, which dtrace reads as the same
bytes and dtracepy's lexer back as the same character; a line (``#!``, ``#pragma``, a directive)
cannot hold one.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from dtracepy import Tracer, trace
from dtracepy import tree as T
from dtracepy.compiler import compile_tracer
from dtracepy.errors import DSLError, DSyntaxError
from dtracepy.parser import parse
from dtracepy.printer import to_d

from real_dtrace import need_dtrace, need_root, wait_for_no_dtrace

HIDDEN = ["\u202e", "\u2066", "\u200f", "\u200b", "\ufeff", "\u2028", "\u2029", "\x85", "\x9b"]


def string_in(program: T.Program) -> str:
    return next(node.value for node in program.walk() if isinstance(node, T.StringLit))


@pytest.mark.parametrize("ch", HIDDEN)
def test_a_hidden_character_prints_as_its_bytes_and_reads_back_as_itself(ch):
    text = to_d(T.StringLit(f"a{ch}b"))
    assert text.isascii(), text
    assert text == '"a' + "".join("\\%03o" % byte for byte in ch.encode()) + 'b"'
    assert string_in(parse(f"BEGIN {{ trace({text}); }}")) == f"a{ch}b"


def test_visible_non_ascii_stays_as_written_and_escaped_utf8_reads_as_its_character():
    assert to_d(T.StringLit("é → ü")) == '"é → ü"'
    # D strings are bytes: "\303\251" is é, as dtrace prints it; a byte that is not UTF-8 stays one
    assert string_in(parse(r'BEGIN { trace("\303\251 \342\200"); }')) == "é \udce2\udc80"


def test_a_tracer_string_with_a_bidi_override_is_escaped_in_the_emitted_d():
    t = Tracer()

    @t.probe("BEGIN")
    def begin():
        trace("access granted \u202e ;)")

    d = compile_tracer(t).text
    assert "\u202e" not in d and r"\342\200\256" in d


@pytest.mark.parametrize("ch", ["\u2028", "\x85", "\u202e"])
def test_a_line_cannot_hold_a_hidden_character(ch):
    with pytest.raises(DSLError, match="without control characters") as excinfo:
        compile_tracer(Tracer(shebang=f"/usr/sbin/dtrace {ch}-qs"))
    assert os.path.basename(excinfo.value.pos.file) == os.path.basename(__file__)
    with pytest.raises(DSyntaxError, match="without control characters"):
        parse(f"#pragma D option quiet{ch}\nBEGIN {{ }}\n", "x.d")


def test_dtrace_prints_the_escaped_bytes_as_the_character():
    need_dtrace()
    need_root()
    wait_for_no_dtrace()
    literal = to_d(T.StringLit("x\u202ey"))
    script = f"BEGIN {{ printf({literal}); exit(0); }}"
    out = subprocess.run(["dtrace", "-q", "-n", script], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "x\u202ey\n".encode()  # (and the newline dtrace ends its output with)
