"""Session 18's leftovers (/work/review18.md N2, N3, R3's not-done; /work/review18b.md N1), fixed in
session 19 (helper leftovers19).

Each test fails on the code before its fix; where D is judged, the expectation is what Oracle's
dtrace 2.0 does with the same D (recorded in a comment, and checked live where there is a dtrace).
"""

from __future__ import annotations

import io

import pytest


# --- review18b N1: a table's header glued to dtrace's probe prefix without `quiet` ---------------

def test_a_table_starts_its_header_and_rows_on_a_line_of_their_own_after_a_probe_prefix():
    """Without `quiet`, dtrace prints its probe prefix (`  0  1  :BEGIN `) and then the clause's
    output on the same line; the framed row came right after it, so the table's header (and a
    later row) was glued to the prefix: `  0      1      :BEGIN When      Who`."""
    from dtracepy.run.decode import Text, row_class
    from dtracepy.run.framing import RecordSpec, column
    from dtracepy.run.output import TableWriter

    Row = row_class(RecordSpec(1, "r", (column("When", "%d"), column("Who", "%s"))))
    out = io.StringIO()
    writer = TableWriter(out)
    for event in [Text("CPU     ID                    FUNCTION:NAME\n"),
                  Text("  0      1                           :BEGIN "), Row(1, "a"), Row(2, "b"),
                  Text("mid"), Text("\n"), Text("  0      1                           :BEGIN "), Row(3, "c"),
                  Text("\n")]:
        writer.event(event)
    assert out.getvalue().split("\n") == [
        "CPU     ID                    FUNCTION:NAME",
        "  0      1                           :BEGIN ",
        "When      Who",
        "       1  a",
        "       2  b",
        "mid",
        "  0      1                           :BEGIN ",
        "       3  c",
        "",
        "",
    ]
