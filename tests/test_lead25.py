"""Session 24, the lead: what the final sweep found (issue 8).

``checks.rendered`` wrote the findings made by ``said`` a run of one template at a time; where each
clause gives findings of two templates in turn (a thread-local set at an entry, never zeroed and
never read: one finding made when shown, one made as usual), every run was of one finding and paid
a group's setup: ``check`` of 85,000 such clauses went from 3.01 s to 3.89 s in the sweep, 20,000
of them from 4.44 G to 6.28 G instructions.  Findings of one template are now written together
wherever they stand in the block."""

from __future__ import annotations

import dtracepy.checks as checks
from dtracepy.checks import CheckOptions, check_program, rendered
from dtracepy.parser import parse


def entry_clauses(n: int) -> str:
    return "".join(f"syscall::f{i}:entry{{self->t{i} = timestamp;}}\n" for i in range(n))


def test_findings_of_one_template_among_others_are_written_together(monkeypatch):
    text = entry_clauses(600)
    findings = check_program(parse(text, "x.d"), CheckOptions(), text)
    assert len(findings) == 1_200
    expected = [f.render() for f in findings]
    calls = 0
    original = checks._rendered_run

    def counting(run, template):
        nonlocal calls
        calls += 1
        return original(run, template)

    monkeypatch.setattr(checks, "_rendered_run", counting)
    assert rendered(findings) == expected
    assert calls == 1  # (one template, its 600 findings written together; was 600 runs of one)
    for start in range(0, len(findings), 256):  # (as check_cmd renders: a block at a time)
        assert rendered(findings[start:start + 256]) == expected[start:start + 256]
    assert calls == 1 + 5


# --- layout ends as check and import do: what it read is not freed before the process ends ------

def test_layout_ends_without_freeing_what_it_read(tmp_path, monkeypatch):
    """``layout`` of 4 MB of parenthesised declarators was the slowest row of the sweep (5.09 s, then
    4.63 s); freeing its records one by one before the process ended was 2.7 % of it (1 MB: 7,039 M
    instructions, 6,848 M without).  It now ends as ``check`` and ``import`` end (cli._end_now),
    its records held in ``args.keep``."""
    import argparse

    from dtracepy import cli
    from dtracepy.commands import layout_cmd

    assert "layout" in cli._ENDING_NOW
    header = tmp_path / "x.h"
    header.write_text("struct s { int a; char (*(b))[3]; };\n")
    args = argparse.Namespace(header=str(header), type="s", abi="x86_64", include_dirs=[], defines=[],
                              json=False, keep=[])
    monkeypatch.setattr("sys.stdout", __import__("io").StringIO())
    assert layout_cmd.run(args) == 0
    (kept,) = args.keep
    assert kept["s"].size == 16
