"""The work ``check`` does per finding (session 16, issue 8: any input under 4 MiB answered in
5 s).  A file of 85,000 one-line ``:entry`` clauses, each setting its own thread-local, has two
findings a clause (it leaks, it is never read): 170,000.  Counted, never timed; the findings
themselves stay what they were (the corpus runs of tests/test_check_corpus.py and the other
check tests compare them).
"""

from __future__ import annotations

import io
import sys

import attrs

from dtracepy import cli
from dtracepy.checks import CheckOptions, check_program, context
from dtracepy.checks.lifecycle import _Cleanups
from dtracepy.parser import parse


def one_line_entries(n: int) -> str:
    return "".join(f"syscall::f{i}:entry{{self->t{i} = timestamp;}}\n" for i in range(n))


def test_a_finding_is_made_with_its_source_line_not_copied_to_add_it(monkeypatch):
    # check_program gave each finding its source line by attrs.evolve: a second Finding a finding
    text = one_line_entries(300)
    copies = 0
    evolve = attrs.evolve

    def counting(*args, **kwargs):
        nonlocal copies
        copies += 1
        return evolve(*args, **kwargs)

    monkeypatch.setattr(attrs, "evolve", counting)
    findings = check_program(parse(text, "x.d"), CheckOptions(), text)
    assert len(findings) == 600
    assert copies <= 1          # (CheckOptions' own, at most)
    assert findings[0].source_line == "syscall::f0:entry{self->t0 = timestamp;}"
    assert findings[0].render(with_context=True).splitlines()[1:] == [
        "syscall::f0:entry{self->t0 = timestamp;}", " " * 18 + "^"]


def test_a_leak_looks_up_no_cleanup_clause_where_nothing_is_zeroed(monkeypatch):
    # with no clause zeroing a thread-local, each leak still looked its return up in the (empty)
    # indexes of cleanup clauses: a fifth of checking one_line_entries
    looked = 0
    for cls, name in ((context.DescIndex, "matching"), (context.DescSet, "matched_by")):
        original = getattr(cls, name)

        def counting(self, *args, _original=original):
            nonlocal looked
            looked += 1
            return _original(self, *args)

        monkeypatch.setattr(cls, name, counting)
    text = one_line_entries(200)
    findings = check_program(parse(text, "x.d"), CheckOptions(), text)
    assert sum(f.check == "self-leak" for f in findings) == 200
    assert looked == 0


def test_a_leak_still_names_the_cleanup_clause_that_zeroes_others():
    # (the short cut is only for no cleanup clause at all)
    text = ("syscall::read:entry { self->a = 1; self->b = 2; }\n"
            "syscall::read:return { trace(self->a + self->b); self->a = 0; }\n")
    findings = check_program(parse(text, "x.d"), CheckOptions(), text)
    leak, = (f for f in findings if f.check == "self-leak")
    assert leak.severity == "error" and "the cleanup clause (line 2)" in leak.message
    cleanups = _Cleanups([], [])
    assert cleanups.first(["syscall::read:return"]) is None


class _CountingStderr(io.StringIO):
    writes = 0

    def write(self, text):
        self.writes += 1
        return super().write(text)


def test_check_writes_its_findings_in_blocks(tmp_path, monkeypatch):
    # a print per finding to the line-buffered stderr was a write(2) each: 170,000 of them
    path = tmp_path / "x.d"
    path.write_text(one_line_entries(400))
    err = _CountingStderr()
    monkeypatch.setattr(sys, "stderr", err)
    assert cli.main(["check", str(path)]) == 0
    lines = err.getvalue().splitlines()
    assert len(lines) == 800 and all(": warning: " in line for line in lines)
    assert lines[0].startswith(f"{path}:1:19: warning: self->t0 is assigned at syscall::f0:entry")
    assert err.writes <= 8
