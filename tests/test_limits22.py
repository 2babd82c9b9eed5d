"""Issue 8's targets at the size limit for the shapes review 21 found past them (session 21,
limits22; /work/review21.md M1, benchmarks/bench_robust.py ``--only limit-shapes``).

No timed test: each counts the work (bytes searched, deep comparisons) or the objects kept, and
fails on the code before its fix.
"""

from __future__ import annotations

import pytest

from dtracepy import lexer
from dtracepy import tree as t
from dtracepy.checks import CheckOptions, Finding, check_program
from dtracepy.parser import parse


class _Searched(str):
    """A text that records how many characters each ``find`` may search."""

    spans: list

    def find(self, sub, start=0, end=None):
        stop = len(self) if end is None else min(end, len(self))
        self.spans.append(max(0, stop - start))
        return str.find(self, sub, start, stop)


# --- a file of declarations with no '}': each searched for one to the file's end ---------------
# (4 MiB of `typedef int tN;` was n**2/2 bytes searched: 33 s under load 11)

def test_the_clause_lookup_searches_a_bounded_span_in_a_file_without_braces():
    unit = "typedef int t{};\n"
    text = _Searched("".join(unit.format(i) for i in range(5000)))
    text.spans = []
    rests: dict = {}
    pos = 0
    for i in range(5000):
        assert lexer._looked_up(text, pos, rests) == ("", 0, False)
        pos += len(unit.format(i))
    assert max(text.spans) <= lexer.MAX_REST, max(text.spans)  # (was the rest of the file: 96,000)
    assert sum(text.spans) <= 5000 * lexer.MAX_REST


def test_a_clause_seen_again_is_still_found_by_its_text():
    text = "BEGIN { x = 1; }\nBEGIN { x = 1; }\n"
    rests: dict = {}
    assert lexer._looked_up(text, 0, rests)[2] is None  # (first sighting)
    key, end, known = lexer._looked_up(text, 17, rests)
    assert (key, end, known) == ("BEGIN { x = 1; }", 33, True)


def test_typedefs_after_a_long_run_without_braces_still_name_types():
    text = "".join(f"typedef int t{i};\n" for i in range(3000)) + "BEGIN { trace((t2999)1); trace(sizeof (t0)); }\n"
    program = parse(text, "x.d")
    assert sum(1 for item in program.items if item.__class__ is t.Declaration) == 3000
    assert any(node.__class__ is t.Cast for node in program.walk())


# --- translators: the duplicate test compared each with every one above it -------------------

def _translators(n):
    return "".join(f"struct o{i} {{ int a; }};\ntranslator struct o{i} < int *p > {{ a = *p; }};\n"
                   for i in range(n))


def test_translators_are_told_apart_without_comparing_each_pair():
    import sys

    program = parse(_translators(400), "x.d")
    calls = [0]

    def profile(frame, event, arg):  # (the tree's generated __eq__ methods, counted as they run)
        if event == "call" and frame.f_code.co_name == "__eq__":
            calls[0] += 1

    sys.setprofile(profile)
    try:
        findings = check_program(program, options=CheckOptions())
    finally:
        sys.setprofile(None)
    assert calls[0] < 40 * 400, calls[0]  # (linear: 8,000; was n**2/2 TypeName and StructSpec more: 168,000)
    assert not [f for f in findings if "already" in f.message]


def test_a_translator_declared_twice_is_still_found():
    text = _translators(3) + "translator struct o1 < int *q > { a = *q + 1; };\n"
    findings = check_program(parse(text, "x.d"), options=CheckOptions())
    (twice,) = [f for f in findings if "declared above already" in f.message]
    assert twice.pos.line == 7


# --- a finding on each line: each Finding held an instance dict ---------------------------------
# (4 MiB of `self->vN = 1;`: 226,000 findings, 316 MB at the peak, the dicts 40 MB of it)

def test_a_finding_holds_no_instance_dict():
    text = "BEGIN\n{\n" + "".join(f"self->v{i} = 1;\n" for i in range(200)) + "}\n"
    findings = check_program(parse(text, "x.d"), options=CheckOptions(), source=text)
    assert len(findings) == 200
    for finding in findings:
        assert not hasattr(finding, "__dict__")
    assert Finding.__slots__


def test_a_finding_still_renders_and_compares_as_before():
    first = Finding("warning", "m", "self-unused", None, None)
    assert first == Finding("warning", "m", "self-unused", None, None)
    assert hash(first) == hash(Finding("warning", "m", "self-unused", None, None))
    with pytest.raises(AttributeError):
        first.message = "n"  # (still frozen)


def test_a_file_of_thread_locals_peaks_at_fewer_bytes_each():
    """The checks' peak, in bytes traced a thread-local, for a clause of 20,000 ``self->vN = 1;``:
    908 on the code before (a Finding's dict; a set of every leaking name made whether a hint
    needed it or not), 812 with the Finding slotted, 785 with the set made only for a hint."""
    import gc
    import tracemalloc

    n = 20_000
    text = "BEGIN\n{\n" + "".join(f"self->v{i} = 1;\n" for i in range(n)) + "}\n"
    program = parse(text, "x.d")
    check_program(parse("BEGIN { self->x = 1; }", "y.d"), options=CheckOptions(), source="BEGIN { self->x = 1; }")
    gc.collect()
    tracemalloc.start()
    try:
        findings = check_program(program, options=CheckOptions(), source=text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(findings) == n
    assert peak / n < 800, peak / n


# --- distinct `BEGIN { ... }` clauses: each read by the state machine's steps --------------------

def test_distinct_begin_clauses_take_the_one_match_clause_head(monkeypatch):
    real = lexer._PSPEC_RE
    calls = [0]

    class Counting:
        def match(self, *args):
            calls[0] += 1
            return real.match(*args)

    monkeypatch.setattr(lexer, "_PSPEC_RE", Counting())
    n = 1000
    program = parse("".join(f"BEGIN {{ speculate(s); trace({i}); }}\nEND\n{{ trace({i}); }}\n" for i in range(n)), "x.d")
    assert len(program.items) == 2 * n
    assert [p.text for p in program.items[-1].probes] == ["END"]
    assert calls[0] <= lexer.REST_MISSES + 10, calls[0]  # (was one a clause: 2,000)
