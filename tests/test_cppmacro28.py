"""Helper cppmacro28 (issue 8): ``check -C`` of ``#define N 1`` and 1.4 million lines of ``N;``
took 30 to 35 s and 1.25 GB: the reduction (``preprocess._reduced``) must give pcpp every line
naming a macro, pcpp takes 10 to 20 us a line, and the reduction's own walk of those lines took
3 s.  ``N\\`` on 1.4 million lines was refused past ``MAX_SPLICES`` in 7.5 s and 382 MB, a
``#define`` spliced over 1.4 million lines in 2.1 s and 320 MB, and 100,000 lines of
``N x ... x;`` (4 MB: 4 million tokens) took 15 s and 1 GB.

Now more than ``MAX_CPP_LINES`` (50,000) lines given to pcpp as they are (not a run of lines it
would only copy, which it is given as one) is a located error at the line past the bound, found
before pcpp runs (the reduction's walk stops there), and more than ``MAX_CPP_TOKENS`` (250,000)
tokens made by pcpp's lexer over a run is a located error at the token past it.  A text under
both is answered as before.  Every test here fails on the code before (3beff74): the bounds are
lowered through the module's constants, which it did not have, and the peaks were over."""

from __future__ import annotations

import subprocess

import pytest

from tests.child_peak import dtracepy_argv, read_peak_kb
from tests.pythonpath import env_with

from conftest import REPO
from dtracepy import preprocess as pp
from dtracepy.errors import DTracePyError


def _made(monkeypatch, text, reduce=True):
    monkeypatch.setattr(pp, "REDUCE_FROM", 0 if reduce else 1 << 62)
    warnings: list = []
    try:
        out, line_map = pp.preprocess(text, "x.d", warnings=warnings, in_place=True)
        return ("text", out, list(line_map), pp.same_lines(line_map, "x.d"), warnings)
    except DTracePyError as err:
        return ("error", err.render())


_LINES_SAID = ("error: more than 1,000 lines for the C preprocessor to read (lines naming a macro, "
               "directives, a macro's arguments; lines it would only copy are not counted); dtracepy stops there")
_TOKENS_SAID = ("error: more than 1,000 tokens (blanks and line ends included) for the C preprocessor to read "
                "(a run of lines it would only copy is one); dtracepy stops there")


@pytest.mark.parametrize("text, where", [
    ("#define N 1\nBEGIN {\n" + "  N;\n" * 1_500 + "}\n", "x.d:1001:3"),  # a macro named on each line
    ("#define N 1 \\\n" + "a\\\n" * 1_500 + "\nBEGIN { x = N; }\n", "x.d:1001:1"),  # a #define spliced
    ("#define N 1\nBEGIN {\n" + "N\\\n" * 1_500 + "; }\n", "x.d:1001:1"),  # N\\ on each line
    ("#define Q 1\n" + "BEGIN { x = 1; }\n" * 3_000 + "#define M\n" * 1_200, "x.d:4001:1"),  # the lines
])   # pcpp only copies do not count
def test_more_lines_than_pcpp_may_read_are_a_located_error(monkeypatch, text, where):
    monkeypatch.setattr(pp, "MAX_CPP_LINES", 1_000)
    made = _made(monkeypatch, text)
    assert made[0] == "error" and made[1].startswith(f"{where}: {_LINES_SAID}"), made[:2]


def test_a_text_given_to_pcpp_whole_is_bounded_too(monkeypatch):
    """A macro whose parentheses do not nest, named: the reduction is given up and pcpp reads the
    whole text, every line of it counted.  (A text too short to be reduced, or the tests' whole
    text with the reduction turned off, is not bounded by lines.)"""
    monkeypatch.setattr(pp, "MAX_CPP_LINES", 1_000)
    text = "#define O (\nBEGIN { x = O 1); }\n" + "BEGIN { x = 1; }\n" * 1_500
    made = _made(monkeypatch, text)
    assert made[0] == "error" and made[1].startswith(f"x.d:1001:1: {_LINES_SAID}"), made[:2]
    assert _made(monkeypatch, text, False)[0] == "text"
    monkeypatch.setattr(pp, "MAX_CPP_LINES", 1_502)
    assert _made(monkeypatch, text) == _made(monkeypatch, text, False)


def test_the_reduction_stops_walking_at_the_line_past_the_bound(monkeypatch):
    """The walk of the lines naming a macro stops once more than the bound before it are pcpp's
    (1.4 million lines of ``N;`` cost it 3 s before pcpp): the lines after it are read no more."""
    monkeypatch.setattr(pp, "MAX_CPP_LINES", 1_000)
    looked_at = []
    real = pp._NAME_AT_END_RE

    class Counting:
        def search(self, text):
            looked_at.append(text)
            return real.search(text)

    monkeypatch.setattr(pp, "_NAME_AT_END_RE", Counting())
    made = _made(monkeypatch, "#define N 1\nBEGIN {\n" + "  N;\n" * 100_000 + "}\n")
    assert made[0] == "error" and made[1].startswith(f"x.d:1001:3: {_LINES_SAID}")
    assert len(looked_at) < 2_000, len(looked_at)  # (100,000 before)


_PIECES = ["N;", "  N;", "x;", "", "", "a\\", "N\\", "N", "(", ")", "F(", "x)", "/* c */", "#define M 2",
           "BEGIN { x = 1; }", "y = (1 +", "2);", "N (", "\\", "M;"]


def test_the_walk_stopped_refuses_where_the_whole_walk_would(monkeypatch):
    """Where the walk stops (after a name's lines, or within a name's arguments over more than
    4,096 lines), the refusal is at the line the whole walk's reduction gives: the line past the
    bound among the lines it gives pcpp as they are."""
    import random

    rng = random.Random(28)
    for _ in range(300):
        long = rng.random() < 0.3  # (arguments across more than 4,096 lines)
        pieces = [rng.choice(_PIECES) for _ in range(rng.randrange(50, 400))]
        if long:
            at = rng.randrange(len(pieces))
            pieces[at:at] = ["N ("] + ["x,"] * rng.randrange(4_100, 6_000) + [")"]
        text = "#define N 1\n#define F(x) x\n" + "\n".join(pieces) + "\n"
        monkeypatch.setattr(pp, "MAX_CPP_LINES", 1 << 40)
        whole = pp._reduced(text, {"N", "F", "M"})
        if whole is None:
            continue
        given = [number for row, number in zip(whole.text.split("\n"), whole.numbers[1:])
                 if not row.startswith(whole.prefix)]
        bound = rng.randrange(1, len(given)) if len(given) > 1 else 1
        monkeypatch.setattr(pp, "MAX_CPP_LINES", bound)
        with pytest.raises(pp._TooManyLines) as caught:
            pp._reduced(text, {"N", "F", "M"})
        assert caught.value.line == given[bound], (bound, text[:300])


@pytest.mark.parametrize("text, where", [
    ("#define N 1\nBEGIN {\n" + "N x x x;\n" * 200 + "}\n", "x.d:112:1"),
    ("#define N 1\nBEGIN {\n" + "N" + " x" * 2_000 + ";\n}\n", "x.d:3:990"),  # in one line
])
def test_more_tokens_than_pcpp_may_read_are_a_located_error(monkeypatch, text, where):
    monkeypatch.setattr(pp, "MAX_CPP_TOKENS", 1_000)
    for reduce in (True, False):
        made = _made(monkeypatch, text, reduce)
        assert made[0] == "error" and made[1].startswith(f"{where}: {_TOKENS_SAID}"), made[:2]


def test_a_header_s_tokens_count(monkeypatch, tmp_path):
    """A header's tokens count with the script's: its 500 (``int x;``, five each) and the
    script's reach the bound at the script's line 101; with the #define alone, at line 200."""
    monkeypatch.setattr(pp, "MAX_CPP_TOKENS", 1_000)
    text = '#include "h.h"\nBEGIN {\n' + "N x;\n" * 300 + "}\n"
    for header, line in (("#define N 1\n" + "int x;\n" * 99, 101), ("#define N 1\n", 200)):
        (tmp_path / "h.h").write_text(header)
        with pytest.raises(DTracePyError) as caught:
            pp.preprocess(text, "x.d", include_dirs=[str(tmp_path)])
        assert caught.value.render().startswith(f"x.d:{line}:1: {_TOKENS_SAID}"), caught.value.render()[:300]


@pytest.mark.parametrize("bound, value, past", [
    ("MAX_CPP_LINES", 1_000, "x.d:1502:1: error: more than 999 lines"),
    ("MAX_CPP_TOKENS", 4_007, "x.d:1502:10: error: more than 4,006 tokens"),
])
def test_a_text_just_under_the_bounds_is_answered_as_before(monkeypatch, bound, value, past):
    """1,000 lines given to pcpp as they are (the #define, ``BEGIN {``, 998 lines naming ``Q``, the
    #warning; the 501 lines between are one), 4,007 tokens: the same text, line map and warnings
    as with no bound, reduced or whole; one less, refused at the last line."""
    text = "#define Q 1\nBEGIN {\n" + "  Q;\n" * 998 + "}\n" + "BEGIN { x = 1; }\n" * 500 + "#warning w\n"
    unbounded = [_made(monkeypatch, text, reduce) for reduce in (True, False)]
    assert unbounded[0][0] == "text" and unbounded[0] == unbounded[1] and unbounded[0][4]
    monkeypatch.setattr(pp, bound, value)
    assert _made(monkeypatch, text, True) == unbounded[0]
    monkeypatch.setattr(pp, bound, value - 1)
    made = _made(monkeypatch, text, True)
    assert made[0] == "error" and made[1].startswith(past), made[:2]


@pytest.mark.parametrize("piece, count, before", [
    ("N;\n", 350_000, "339 MB, answered in 8 CPU s"),
    ("N" + " x" * 19 + ";\n", 25_000, "273 MB, 3.6 CPU s"),
])
def test_check_cpp_of_lines_naming_a_macro_is_small(tmp_path, piece, count, before):
    """The child's own peak (tests/child_peak.py) over 1 MB of lines naming a macro: ``before``
    on the code before (pcpp read every line); now 74 and 69 MB, refused before pcpp runs (at
    line 50,001) or at the token past 250,000."""
    (tmp_path / "x.d").write_text("#define N 1\nBEGIN {\n" + piece * count + "}\n")
    peak = tmp_path / "peak"
    proc = subprocess.run(dtracepy_argv(peak, "check", "-C", "x.d"), cwd=tmp_path, env=env_with(REPO),
                          capture_output=True, text=True, timeout=600)
    assert read_peak_kb(peak) < 130 * 1024, read_peak_kb(peak)
    first = proc.stderr.split("\n")[0]
    assert proc.returncode == 1 and first.startswith("x.d:") and ": error: more than " in first \
        and "Traceback" not in proc.stderr, proc.stderr[:500]
