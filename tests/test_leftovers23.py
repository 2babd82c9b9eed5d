"""Session 21's leftovers, fixed by helper leftovers23.

* ``dtracepy run`` reads every printf/printa format through
  :func:`dtracepy.facts.conversions.parse_format` (no regular expressions of its own), which reads
  the flags, width and precision as dtrace's dt_printf_create does (``?`` is a width of 16).

Each test fails on the code before the fix; what dtrace printed or said is recorded next to it.
"""

from __future__ import annotations

import io

import pytest
from tests.check_findings import errors


# --- one reader of printf conversions -----------------------------------------------------------

def test_run_has_no_conversion_reader_of_its_own():
    from dtracepy.run import aggregations, framing, output

    for module, name in ((framing, "_CONV"), (framing, "_PRINTA_CONV"), (aggregations, "_CONV"),
                         (output, "_WIDTH")):
        assert not hasattr(module, name), (module.__name__, name)


# dt_printf_create: a 0 before any width digit is the zero flag, "-" and "0" undo each other in
# order, "?" sets the width to 16 (a later width replaces it), ".0" is no precision
PARSED = {"%-08x": ("0", 8, 0), "%0-8x": ("-", 8, 0), "%8?x": ("", 16, 0), "%?8x": ("", 8, 0),
          "%#08.3x": ("#0", 8, 3), "%5 0x": (" ", 0, 0), "%.0s": ("", 0, 0), "%+'-12.4d": ("-+'", 12, 4),
          "%@8d": ("", 8, 0), "%8@d": ("", 8, 0), "%?p": ("", 16, 0)}


@pytest.mark.parametrize("fmt", PARSED)
def test_parse_format_reads_flags_width_and_precision_as_dtrace_does(fmt):
    from dtracepy.facts.conversions import parse_format

    (conv,) = parse_format(fmt)
    assert (conv.flags, conv.width, conv.precision) == PARSED[fmt]


# dtrace 2.0, live (this session): printf("[%+x] [%8?x] [%?8x] [%08.3x] [%-08x] [% x] [%0-8x]
# [%5 0x] [%#08x] [%#.5o] [%'x]\n", 255, ..., 8, 255) printed
# "[ff] [              ff] [      ff] [     0ff] [000000ff] [ff] [ff      ] [ff] [0x0000ff] [00010] [ff]"
C_CELLS = {("%+x", 255): "ff", ("%8?x", 255): " " * 14 + "ff", ("%?8x", 255): "      ff",
           ("%08.3x", 255): "     0ff", ("%-08x", 255): "000000ff", ("% x", 255): "ff",
           ("%0-8x", 255): "ff      ", ("%5 0x", 255): "ff", ("%#08x", 255): "0x0000ff",
           ("%#.5o", 8): "00010", ("%'x", 255): "ff"}


@pytest.mark.parametrize("fmt,value", C_CELLS)
def test_a_base_column_is_shown_as_dtraces_printf_printed_it(fmt, value):
    from dtracepy.run.output import _in_base

    assert _in_base(fmt, value) == C_CELLS[fmt, value]


def test_a_pointer_width_column_header_is_as_wide_as_its_rows():
    """``%?p`` pads to 16 (dtrace's ``?``): the header is laid out that wide before the first row,
    not 8 wide with the rows then wider than it."""
    from dtracepy.run.decode import row_class
    from dtracepy.run.framing import RecordSpec, column
    from dtracepy.run.output import TableWriter

    spec = RecordSpec(0, "r", (column("PTR", "%?p"), column("N", "%d"), column("T", "%%20 %s")))
    row = row_class(spec)
    out = io.StringIO()
    writer = TableWriter(out)
    writer.row(row(255, 1, "a"))
    writer.row(row(4096, 2, "b"))
    assert out.getvalue().splitlines() == [   # (16, then int's 8, then str's 12: "%%20" is text)
        "PTR" + " " * 13 + "  N" + " " * 7 + "  T",
        " " * 14 + "ff" + "  " + " " * 7 + "1  a",
        " " * 12 + "1000" + "  " + " " * 7 + "2  b"]


def test_a_printa_value_with_its_width_before_the_at_is_framed_as_the_value():
    """``printa("%s %8@d\\n", @a, @b)``: dtrace takes ``%8@d`` as ``%@8d`` (``@`` is a flag)."""
    from dtracepy.run.framing import framed_user

    fields, fmt = framed_user("%s %8@d %-8@d\n", 2)
    assert fields == ("str", "agg", "agg")


def test_the_printa_decoder_reads_a_value_with_its_width_before_the_at():
    from dtracepy.run.aggregations import parse_printa

    aggs = parse_printa("a        3\nb       12\n", "%s %8@d\n", ["a"])
    assert dict(aggs["a"]) == {("a",): 3, ("b",): 12}


def test_the_printa_decoder_reads_up_to_the_formats_nul():
    """dtrace prints a format up to its first NUL, so what follows is no conversion."""
    from dtracepy.run.aggregations import parse_printa

    aggs = parse_printa("x 3\ny 4\n", "%s %@d\n\0%d", ["a"])
    assert dict(aggs["a"]) == {("x",): 3, ("y",): 4}


def test_a_bare_at_conversion_is_refused_as_dtrace_refuses_it():
    """dtrace -e: ``printa("%@\\n", @a)``: "format conversion #1 is undefined: %" (the newline)."""
    from dtracepy.facts.conversions import FormatError, parse_format

    for fmt in ("%@\n", "%@", "%-@ "):
        with pytest.raises(FormatError):
            parse_format(fmt)
    assert errors('BEGIN { @a = count(); printa("%@\\n", @a); }\n')

