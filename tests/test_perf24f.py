"""Session 23, perf24f (issue 8): ``run``'s printa decoder linear in its format, and ``import``
not splitting its module into lines again (docs/PERFORMANCE.md, "Session 23, perf24f")."""

from __future__ import annotations

import pytest

from dtracepy.run.aggregations import FormatDecoder, parse_printa


# --- run: FormatDecoder ------------------------------------------------------------------------

def test_a_long_format_is_matched_in_pieces_compiled_once_each():
    """One regular expression of 4,000 groups took seconds to compile (1.4 million ``%@d``, which
    dtrace compiles, never finished): a format repeating one unit is two compiles, the first
    piece and the others."""
    decoder = FormatDecoder("%@d " * 4_000 + "\n")
    # (session 24, decoder25: no regular expression of the format is compiled; the steps alike
    # are one object, the last one's text differs)
    assert len({id(step) for step in decoder.scanner.steps}) == 2
    [(keys, values)] = list(decoder.entries(" ".join(str(i) for i in range(4_000)) + " \n"))
    assert keys == () and values == list(range(4_000))


def test_pieces_decode_keys_and_values_across_their_seams():
    """A format of several pieces (64 conversions each) decodes as one expression did: string
    keys that start a piece, numbers whose blanks the text after them needs, two entries."""
    units = 100  # (200 key conversions: a %s starts the 2nd, 3rd and 4th pieces)
    fmt = "".join(f"k{i}=%s %d, " for i in range(units)) + "%@d\n"
    keys = [(f"s{i}", i * 7) for i in range(units)]
    line = "".join(f"k{i}={s} {n}, " for i, (s, n) in enumerate(keys))
    text = line + "5\n" + line + "6\n"
    aggs = parse_printa(text, fmt, ["a"])
    flat = tuple(k for pair in keys for k in pair)
    assert dict(aggs["a"]) == {flat: 6}  # (the same keys twice: the last value)
    decoder = FormatDecoder(fmt)
    assert [values for _, values in decoder.entries(text)] == [[5], [6]]


def test_numbers_that_run_together_are_refused_saying_why():
    """``%@d%@d%@d`` prints its numbers with nothing between them: the one expression tried every
    split of the digits (2**n steps: a format of 40 such never finished) and guessed one.  Now the
    digits are not given back: the block is refused (``run`` shows it as text, with the warning),
    and the message says why."""
    with pytest.raises(ValueError, match=r"its %@d%@d print numbers with nothing between them"):
        parse_printa("111\n", "%@d%@d%@d\n", ["a"])
    with pytest.raises(ValueError, match=r"its %d%@d print numbers"):
        parse_printa("121\n", "%d%@d\n", ["a"])


def test_numbers_with_blanks_between_them_still_give_back_blanks():
    """The blanks after a number are not part of the atomic group: the text after it may need
    them (``%d  %@d`` printed ``1  5``; ``%@8d`` padded)."""
    assert dict(parse_printa("1  5\n2  6\n", "%d  %@d\n", ["a"])["a"]) == {(1,): 5, (2,): 6}
    assert dict(parse_printa("0x1f       3\n", "%x %@8d\n", ["a"])["a"]) == {(31,): 3}


# --- import: the module's lines -------------------------------------------------------------------

def test_import_does_not_split_a_module_of_short_lines(monkeypatch):
    """The writer knows its longest line: a module of short lines (every usual one) is not split
    into lines again to look for a deep one (0.07 s and 425,000 lines for 85,000 clauses)."""
    import dtracepy.importer as importer

    def refuse(source):
        raise AssertionError("_maybe_too_deep asked of a module of short lines")

    monkeypatch.setattr(importer, "_maybe_too_deep", refuse)
    source = importer.import_d("syscall::read:entry { self->t = timestamp; }\n", "x.d")
    assert "def remember_read_entry():" in source


def test_import_still_refuses_a_module_python_cannot_compile():
    from dtracepy.importer import CannotImport, import_d

    text = "BEGIN { x = " + "abs(" * 210 + "1" + ")" * 210 + "; }\n"
    with pytest.raises(CannotImport, match="too many nested parentheses"):
        import_d(text, "x.d")
