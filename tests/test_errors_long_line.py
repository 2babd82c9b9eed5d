"""A located error under a very long source line shows a window of the line around the column,
not the line whole (model's report: 3 MB of stderr for one refusal of a 3 MB line)."""

from __future__ import annotations

from dtracepy.errors import MAX_LINE, render_located
from dtracepy.source import Pos


def _caret_under(text):
    _, line, caret = text.split("\n")
    return line, line[len(caret) - 1]


def test_a_long_line_is_shown_around_the_column_with_the_caret_under_it():
    line = "a" * 1_000_000 + "X" + "b" * 2_000_000
    text = render_located("error", "here", Pos("x.d", 1, 1_000_001), line)
    shown, under = _caret_under(text)
    assert len(text) < 3 * MAX_LINE and under == "X"
    assert shown.startswith("...a") and shown.endswith("b...")


def test_the_start_and_the_end_of_a_long_line_are_shown_without_dots_on_their_side():
    line = "X" + "a" * 10_000 + "Y"
    shown, under = _caret_under(render_located("error", "here", Pos("x.d", 1, 1), line))
    assert under == "X" and shown.startswith("Xa") and shown.endswith("a...")
    shown, under = _caret_under(render_located("error", "here", Pos("x.d", 1, len(line)), line))
    assert under == "Y" and shown.startswith("...a") and shown.endswith("aY")


def test_a_short_line_is_shown_whole():
    text = render_located("error", "here", Pos("x.d", 3, 5), "\tx = y;")
    assert text == "x.d:3:5: error: here\n\tx = y;\n\t   ^"


def test_the_command_line_prints_a_window_of_a_three_megabyte_line(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "sum.d"
    path.write_text("BEGIN { trace(" + "x+" * 1_500_000 + "x); }\n")
    done = subprocess.run([sys.executable, "-m", "dtracepy", "check", str(path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and ": error:" in done.stderr, done.stderr[:300]
    assert len(done.stderr) < 2_000, len(done.stderr)
