"""Session 24, decoder25 (issue 8): ``run``'s printa decoder reads a format with a scanner (no
regular expression of the format compiled: a format of distinct texts built in time linear in
it), and two conversions whose texts run together in the output are refused, never split by
backtracking (docs/PERFORMANCE.md, "Session 24, decoder25").  Work is counted (Python bytecode
instructions, patterns compiled), never timed."""

from __future__ import annotations

import re
import sys

import pytest

from dtracepy.run.aggregations import FormatDecoder, parse_printa


def _opcodes(fn) -> int:
    """How many bytecode instructions ``fn()`` executes, in every frame (a pattern compiled by
    Python's ``re``, whose parser and compiler are Python, counts too)."""
    seen = 0

    def local(frame, event, arg):
        nonlocal seen
        if event == "opcode":
            seen += 1
        return local

    def call(frame, event, arg):
        frame.f_trace_opcodes = True
        return local

    sys.settrace(call)
    try:
        fn()
    finally:
        sys.settrace(None)
    return seen


# --- building: linear, no pattern compiled ------------------------------------------------------

def test_a_format_of_distinct_texts_is_built_without_compiling_a_pattern(monkeypatch):
    """One pattern of 64 conversions was compiled per piece of the format, each piece different
    when the texts between the conversions differ: 100,000 ``%@d a<i> `` took 16 s."""
    compiled = []
    real = re.compile
    monkeypatch.setattr(re, "compile", lambda *args: compiled.append(args) or real(*args))
    units = 1_000
    decoder = FormatDecoder("".join(f"%@d a{i} " for i in range(units)) + "\n")
    assert compiled == []
    [(keys, values)] = list(decoder.entries("".join(f"{i * 3} a{i} " for i in range(units)) + "\n"))
    assert keys == () and values == [i * 3 for i in range(units)]


def test_building_a_format_costs_a_bounded_number_of_steps_a_conversion():
    """Counted in bytecode instructions: about 320 a conversion whatever its text (the old
    pieces cost Python's pattern parser and compiler thousands a conversion)."""
    def steps(units: int) -> int:
        fmt = "".join(f"%@d a{i} %s b{i}|" for i in range(units)) + "\n"
        return _opcodes(lambda: FormatDecoder(fmt))

    small, large = steps(200), steps(400)
    assert large <= 2.1 * small
    assert large <= 400 * 800  # (800 conversions, parse_format too)


# --- conversions that run together ------------------------------------------------------------

def test_floats_that_run_together_are_refused_saying_why():
    """``%f%f`` printed ``1.5000002.500000``: the old pattern's ``\\S+`` gave characters back
    until some split matched (and float() then failed on it, or took a wrong one)."""
    with pytest.raises(ValueError, match=r"its %f%f print numbers with nothing between them"):
        parse_printa("1.5000002.500000 3\n", "%f%f %@d\n", ["a"])
    with pytest.raises(ValueError, match=r"its %d%f print numbers with nothing between them"):
        parse_printa("12.500000 3\n", "%d%f %@d\n", ["a"])
    with pytest.raises(ValueError, match=r"its %f%-@8d print numbers"):
        parse_printa("3.1415900       \n", "%f%-@8d\n", ["a"])


def test_a_string_and_a_number_that_run_together_are_refused():
    """``%s%d`` printed ``ab12`` is ``ab``, 12 or ``ab1``, 2: the old pattern guessed the first."""
    with pytest.raises(ValueError, match=r"its %s%d print texts with nothing between them"):
        parse_printa("ab12 3\n", "%s%d %@d\n", ["a"])
    with pytest.raises(ValueError, match=r"its %d%s print texts"):
        parse_printa("12ab 3\n", "%d%s %@d\n", ["a"])
    with pytest.raises(ValueError, match=r"its %s%p print texts"):
        parse_printa("=0xffff8000 3\n", "%s%p %@d\n", ["a"])


def test_texts_that_touch_but_meet_at_one_border_only_still_decode():
    """Texts that touch where no other border would do are read as before: ``1-2`` is 1, -2;
    ``ab5`` is ``ab``, 5; a hex and a negative float; blanks between run-together conversions."""
    assert dict(parse_printa("1-2 3\n", "%d%d %@d\n", ["a"])["a"]) == {(1, -2): 3}
    assert dict(parse_printa("ab5 3\n", "%s%d %@d\n", ["a"])["a"]) == {("ab", 5): 3}
    assert dict(parse_printa("0x1f-2.500000 3\n", "%p%f %@d\n", ["a"])["a"]) == {(31, -2.5): 3}
    assert dict(parse_printa("  1.500000  2.500000 3\n", "%10f%10f %@d\n", ["a"])["a"]) == {
        (1.5, 2.5): 3}
    assert dict(parse_printa("    1      21\n", "%5d%@8d\n", ["a"])["a"]) == {(1,): 21}


def test_a_float_before_a_text_still_ends_where_the_text_starts():
    """A float is read as C prints one, so the text after it is not taken (the old ``\\S+``
    took it and gave it back)."""
    assert dict(parse_printa("1.50ms 3\n", "%.2fms %@d\n", ["a"])["a"]) == {(1.5,): 3}
    assert dict(parse_printa("-2.250000e+00-1.5 4\n", "%e-%.1f %@d\n", ["a"])["a"]) == {
        (-2.25, 1.5): 4}


def test_a_hostile_run_of_floats_costs_steps_linear_in_it():
    """40 ``%f`` with nothing between them against 80 digits: the old pattern tried every split
    of the digits among them (C(79, 39) ways: it never finished).  Counted: linear."""
    with pytest.raises(ValueError, match=r"its %f%f print numbers"):
        parse_printa("1.52.5\n", "%f%f\n", ["a"])    # (the old code: never finished below)

    def steps(n: int) -> int:
        fmt = "%f" * n + "\n"
        text = "1" * (2 * n) + "!\n"

        def decode():
            with pytest.raises(ValueError, match=r"its %f%f print numbers"):
                parse_printa(text, fmt, ["a"])
        return _opcodes(decode)

    small, large = steps(40), steps(80)
    assert large <= 2.2 * small
    assert small <= 40_000


def test_hostile_strings_cost_steps_linear_in_the_output():
    """``%s %s %s %s %s`` against spaces without the newline the format ends with: the old
    pattern tried every placement of the four spaces (n**4 steps).  Each string is taken at its
    first end from which the rest matches, and not tried again."""
    from dtracepy.run.printa_scan import PrintaScanner  # (the old code: never finished below)

    scanner = PrintaScanner("%s %s %s %s %s\n%@d")

    def steps(n: int) -> int:
        text = "a " * n
        return _opcodes(lambda: scanner.match(text, 0))

    assert scanner.match("a b c d e f\n1", 0) == (13, ["a", "b", "c", "d", "e f", "1", None])
    small, large = steps(2_000), steps(4_000)
    assert large <= 2.2 * small


def test_a_histogram_whose_header_is_cut_over_two_lines_is_refused_not_a_crash():
    """The table's expression takes blanks, newlines among them, between ``value`` and the
    dashes, and no line of the table was then its header: a StopIteration in the generator, a
    RuntimeError ``run`` did not catch (a traceback)."""
    text = ("\n           value\n  ------------- Distribution ------------- count    \n"
            "               1 |@@@@                                     2        \n\n")
    with pytest.raises(ValueError, match="header is not on one line"):
        parse_printa(text, "%@d\n", ["a"])
