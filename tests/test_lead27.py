"""Session 26 lead: what the helpers' reviews left in files whose helper had finished."""

from __future__ import annotations


def test_before_tracing_starts_a_line_without_end_is_shown_in_pieces_and_held_bounded():
    """review27 M4: before dtrace's start mark, an unfinished line was held whole and each read
    joined to it (a stand-in dtrace printing 48 MB without a newline: 90 s and 266 MB; 300 MB, over
    10 minutes).  Now it is shown as it comes, as after the start; then tracing starts as usual."""
    from dtracepy.run import Decoder, Text
    from dtracepy.run.decode import MAX_UNFINISHED, STARTED

    dec = Decoder()
    chunk = b"x" * (1 << 16)
    shown = []
    for _ in range(64):  # 4 MiB, no newline, before the start mark
        shown += dec.feed(chunk)
        assert len(dec._pending) <= MAX_UNFINISHED + len(chunk)
    shown += dec.feed(b"\n\x1eB\n")
    assert shown[-1] is STARTED
    assert all(isinstance(e, Text) for e in shown[:-1]) and "".join(shown[:-1]) == "x" * (64 << 16) + "\n"


def test_before_tracing_starts_text_then_the_prefixed_start_on_one_long_line():
    """Text of more than MAX_UNFINISHED without a newline, then dtrace's probe prefix and the
    framing BEGIN's mark on the same line: the text is shown, the probe prefix is dtrace's (not
    shown, as on a line of its own), tracing starts."""
    from dtracepy.run import Decoder
    from dtracepy.run.decode import MAX_UNFINISHED, STARTED

    dec = Decoder()
    events = dec.feed(b"y" * (MAX_UNFINISHED + 5)) + dec.feed(b"  0  1  :BEGIN \x1eB\nafter\n")
    assert events.count(STARTED) == 1
    assert "".join(e for e in events if e is not STARTED) == "y" * (MAX_UNFINISHED + 5) + "after\n"


def test_a_clause_of_x_eq_y_read_often_is_made_again_with_its_shifted_names(monkeypatch):
    """mem27 gave the value of ``x = y;`` a hidden class (tree.shifted_ident) that the clause
    maker (parser._maker) took for a scoped name and gave up on: every clause with such a
    statement was parsed again however often it came (tests/test_reading_repeats.py's bound on
    the parser's calls failed in CI, 9,110 against 2,220).  Now it is made again, with the same
    hidden class and the same positions as the parser's."""
    from dtracepy import parser, tree

    text = "BEGIN{self->ts = timestamp; x = y;}\n" * (parser.REMAKE_AFTER + 10)
    made = []
    maker = parser._maker

    def counted(clause, toks=None):
        made.append(maker(clause, toks))
        return made[-1]

    monkeypatch.setattr(parser, "_maker", counted)
    program = parser.parse(text, "m.d")
    assert made and all(m is not False for m in made)
    values = [stmt.expr.value for item in program.items for stmt in item.body]
    assert all(type(v) in tree.SHIFTED for v in values)  # (the memory mem27 saved, kept)
    at = [(v.name, v.pos) for v in values]
    monkeypatch.setattr(parser, "REMAKE_AFTER", 1 << 60)
    again = parser.parse(text, "m.d")
    assert at == [(stmt.expr.value.name, stmt.expr.value.pos) for item in again.items for stmt in item.body]


def test_a_dtrace_that_closes_its_output_and_runs_on_is_killed_at_the_timeout():
    """run/dtrace_binary._answer (hostile27's bounded read of ``dtrace -V`` and ``-e``) waited
    without a bound for a program that closed its output and went on running: the 30 s timeout
    did not hold.  Now it is killed when its time is up (no answer: status None)."""
    from dtracepy.run.dtrace_binary import _answer

    status, said = _answer(["sh", "-c", "echo dtrace; exec >&- 2>&-; sleep 20"], timeout=1)
    assert status is None and said == "dtrace\n"
