"""Issue 8 (helper lines27): ``check`` of 4 million empty lines took 533 MB (557 MB measured by
cpp27), ``check -C`` 546 MB, and a string of 2 million escapes 286 MB.  The tables of a text's
lines were lists of Python integers, 36 bytes a line (the lexer's newline offsets, which the
check keeps; the stack check's line starts and a copy of them as newlines; the reduction's line
starts before pcpp), and the lexer's string and comment patterns kept a backtracking frame per
escape.  The tables are arrays of 8-byte integers now, compared and summed without a list, and
the patterns' loops possessive.  Each memory test fails on the code before (f699a8d); memory is
the child's own peak (tests/child_peak.py) or what tracemalloc counts in this process."""

from __future__ import annotations

import random
import re
import tracemalloc

import pytest
from tests.child_peak import check_in_child

from dtracepy import lexer
from dtracepy.source import offsets_in, register_text


def _check(tmp_path, text: str, *args):
    """``check ARGS x.d`` of ``text`` in a child under a 1.5 GB address space: (status, stderr,
    its own peak in KB)."""
    return check_in_child(tmp_path, {"x.d": text}, *args)


_SHAPES = {
    # (before: 533 MB; 546 MB with -C, 266 MB once the check's own tables were arrays)
    "4 million empty lines": ("\n" * 4_000_000 + "BEGIN { exit(0); }\n", 0, ""),
    # (before: 286 MB, 300 MB with -C: the lexer's string pattern, a frame per escape)
    "a string of 2 million escapes": ('BEGIN { x = "' + "\\n" * 2_000_000 + '"; }\n', 0, ""),
    # (before: 2 million empty lines and a comment of a million stars, 1.1 GB)
    "a comment of stars after empty lines": ("\n" * 2_000_000 + "/*" + "*x" * 1_000_000 + "*/ BEGIN {}\n", 0, ""),
}


@pytest.mark.parametrize("cpp", [False, True], ids=["check", "check -C"])
@pytest.mark.parametrize("shape", sorted(_SHAPES))
def test_check_reads_many_lines_and_escapes_in_bounded_memory(tmp_path, shape, cpp):
    text, status, said = _SHAPES[shape]
    got, stderr, peak = _check(tmp_path, text, *(["-C"] if cpp else []))
    assert got == status and said in stderr and "Traceback" not in stderr, (got, stderr[:300])
    assert peak is not None and peak < 200 * 1024, peak  # (KB)


def test_the_lexer_reads_a_string_of_escapes_without_a_frame_each():
    """400,000 escapes: 50 MB of backtracking frames before, nothing now."""
    text = 'x = "' + "\\t" * 400_000 + '";'
    tracemalloc.start()
    try:
        spans = [m.span() for m in lexer._TOKEN_RE.finditer(text)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (4, len(text) - 1) in spans
    assert peak < 5 * 1024 * 1024, peak


def _as_before(pattern: re.Pattern) -> re.Pattern:
    """``pattern`` with the string's and the comment's loops as they were (backtracking)."""
    return re.compile(pattern.pattern.replace(
        r"[^*]*+\*++(?:[^/*][^*]*+\*++)*+/", r"[^*]*\*+(?:[^/*][^*]*\*+)*/").replace(
        r'"(?:[^"\\\n]*+(?:\\[^\n][^"\\\n]*+)*+")?', r'"(?:[^"\\\n]*(?:\\[^\n][^"\\\n]*)*")?'), pattern.flags)


@pytest.mark.parametrize("name", ["_TOKEN_RE", "_BODY_TOKEN_RE", "_BODY_PLAIN_RE"])
def test_the_possessive_token_patterns_match_what_they_matched(name):
    """30,000 random texts of quotes, backslashes, stars, slashes and newlines: the same tokens."""
    now = getattr(lexer, name)
    before = _as_before(now)
    assert before.pattern != now.pattern
    rnd = random.Random(27)
    for _ in range(30_000):
        text = "".join(rnd.choice('"\\\n*/ a;') for _ in range(rnd.randint(0, 24)))
        assert [m.span() for m in before.finditer(text)] == [m.span() for m in now.finditer(text)], text


def test_offsets_in_compares_the_lines_with_the_texts_newlines():
    """Offsets are given only for a text whose newlines are where the lines' are."""
    text = "BEGIN {}\n\nEND {}\n"
    base = register_text("lines27.d", len(text), lexer._newline_offsets(text))
    ats = [base, base + 10]
    assert offsets_in(ats, "lines27.d", text.split("\n")) == [0, 10]
    assert offsets_in(ats, "lines27.d", "BEGIN {}\n\nEND {}\nx".split("\n")) == [0, 10]  # (no newline ends the last line)
    assert offsets_in(ats, "lines27.d", "BEGIN {} \n\nEND {}\n".split("\n")) is None
    assert offsets_in(ats, "lines27.d", "BEGIN {}\n\n\nEND {}\n".split("\n")) is None
    assert offsets_in(ats, "lines27.d", "BEGIN {}\nEND {}\n".split("\n")) is None
    assert offsets_in(ats, "other.d", text.split("\n")) is None
