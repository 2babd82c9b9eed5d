"""Findings whose message, position and source line are made when asked (session 24, perf25b;
issue 8).

4 MiB of ``self->vN = 1;`` in one clause has 226,000 ``self-unused`` findings.  Each held its
message and its ``Pos`` (160 bytes besides the 80 of the ``Finding``), made in the lifecycle
checks, and ``check_program`` made a ``Pos`` and a key for each to order them.  Now such a finding
holds its node's stored offset and its thread-local's name (both the node's own) and makes the
rest when read (``checks.said``); findings that hold offsets of one text, each above the one
before, are in order as they are.  Counted and measured with tracemalloc here, never timed; the
lazy findings are compared field by field with findings made as before.
"""

from __future__ import annotations

import pickle
import tracemalloc

import attrs
import pytest

from dtracepy import source as _source, tree as t
from dtracepy.checks import CheckOptions, Finding, check_program, lifecycle
from dtracepy.checks.context import Context
from dtracepy.parser import parse


def thread_locals(n: int) -> str:
    return "BEGIN\n{\n" + "".join(f"self->v{i} = 1;\n" for i in range(n)) + "}\n"


def _peak_per_statement(work, n: int) -> float:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / n
    finally:
        tracemalloc.stop()


def _eager(finding: Finding) -> Finding:
    """The finding as ctx.finding made it before: each field a value."""
    return Finding(finding.severity, finding.message, finding.check, finding.pos, finding.source_line)


def _fields(finding: Finding) -> tuple:
    return (finding.severity, finding.message, finding.check, finding.pos, finding.source_line)


# --- memory and work (fail on the code before) --------------------------------------------------

def test_a_thread_locals_unused_finding_holds_no_message_or_position():
    """351 bytes a thread-local at the peak of the lifecycle checks, 250 of them kept (the Finding,
    its message, its Pos); 164 and 89 now."""
    n = 20_000
    ctx = Context(parse(thread_locals(n), "x.d"), CheckOptions(), thread_locals(n).split("\n"))
    ctx._by_class, ctx.clause_accesses(t.SelfVar)  # (shared with the other families: made before)
    found = []
    peak = _peak_per_statement(lambda: found.extend(lifecycle.run(ctx)), n)
    assert len(found) == n
    assert peak < 220, peak
    tracemalloc.start()
    try:
        kept = list(lifecycle.run(ctx))
        per_finding = tracemalloc.get_traced_memory()[0] / n
    finally:
        tracemalloc.stop()
    assert len(kept) == n
    assert per_finding < 100, per_finding  # (the Finding's 80 bytes and the list's pointer; 250 before)


def test_the_checks_of_many_thread_locals_peak_lower_still():
    """661 bytes a thread-local at the peak of check_program at cd95dcf (perf24a's test: < 740),
    788 at main 3a14886 (the context's new facts); 478 and 598 with the findings made when
    asked."""
    n = 20_000
    text = thread_locals(n)
    program = parse(text, "x.d")
    found = []
    peak = _peak_per_statement(lambda: found.extend(check_program(program, CheckOptions(), text)), n)
    assert len(found) == n
    assert peak < 680, peak


def test_no_position_is_made_to_check_and_order_many_unused_thread_locals(monkeypatch):
    made = 0
    original = _source.position_at

    def counting(at):
        nonlocal made
        made += 1
        return original(at)

    monkeypatch.setattr(t, "_position_at", counting)
    import dtracepy.checks as checks

    monkeypatch.setattr(checks, "position_at", counting, raising=False)
    text = thread_locals(2_000)
    findings = check_program(parse(text, "x.d"), CheckOptions(), text)
    assert len(findings) == 2_000
    assert made <= 2, made  # (the program's first position; 2,000 more before)
    # (made when asked: once for the position, once for the source line)
    before = made
    assert findings[5].pos.line == 8 and made == before + 1
    assert findings[5].source_line == "self->v5 = 1;" and made == before + 2


# --- the same findings ------------------------------------------------------------------------

MIXED = (
    "#!/usr/sbin/dtrace -s\n"
    "syscall::read:entry { self->a = 1; self->b = 2; }\n"
    "syscall::read:return { self->c = 3; trace(self->d); self->e = 0; }\n"
    "fbt::f:entry { self->a = 1; self->zz = timestamp; }\n"
    "BEGIN { this->t = 1; trace(this->u); self->long" + "_" * 100 + "x = 1; }\n"
    "BEGIN { self->s = \"\\xff\"; x = y; }\n"
)


def _as_before(monkeypatch):
    """check_program's findings with lifecycle's said() making each field a value, and without
    the ordering's fast path (as before)."""
    import dtracepy.checks as checks

    def eager_said(severity, check, at, word, template):
        return _eager(checks.said(severity, check, at, word, template))

    monkeypatch.setattr(lifecycle, "said", eager_said)
    monkeypatch.setattr(checks, "_in_order", lambda findings: False)


MARKED = '#line 100 "foo.d"\nBEGIN {\n self->a = 1;\n self->b = 2;\n}\n#line 7\nBEGIN { self->c = 1; }\n'


@pytest.mark.parametrize("text", [MIXED, thread_locals(40), MIXED.replace("\n", "\r\n"),
                                  "BEGIN{self->a=1;self->b=1;}", "", MARKED])
@pytest.mark.parametrize("lines", [True, False])
def test_lazy_findings_are_the_findings_made_before(monkeypatch, text, lines):
    program = parse(text, "x.d")
    source = text if lines else None
    lazy = check_program(program, CheckOptions(), source)
    with monkeypatch.context() as m:
        _as_before(m)
        before = check_program(program, CheckOptions(), source)
    assert [_fields(f) for f in lazy] == [_fields(f) for f in before]
    assert lazy == before
    assert [hash(f) for f in lazy] == [hash(f) for f in before]
    assert [repr(f) for f in lazy] == [repr(f) for f in before]
    assert [f.render() for f in lazy] == [f.render() for f in before]
    assert [f.render(with_context=True) for f in lazy] == [f.render(with_context=True) for f in before]


def test_a_lazy_finding_is_a_finding_in_every_way():
    text = thread_locals(3)
    findings = check_program(parse(text, "x.d"), CheckOptions(), text)
    lazy = findings[1]
    assert type(lazy) is Finding
    eager = _eager(lazy)
    assert lazy == eager and hash(lazy) == hash(eager) and repr(lazy) == repr(eager)
    assert lazy.message == "self->v1 is assigned but never read"
    assert str(lazy.pos) == "x.d:4:1" and lazy.source_line == "self->v1 = 1;"
    assert attrs.evolve(lazy, severity="error") == attrs.evolve(eager, severity="error")
    assert _fields(attrs.evolve(lazy, check="x")) == _fields(attrs.evolve(eager, check="x"))
    assert pickle.loads(pickle.dumps(lazy)) == eager
    assert attrs.asdict(lazy) == attrs.asdict(eager)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        lazy.message = "m"
    # (a finding made as always gives its values as they are)
    plain = Finding("warning", "m", "c", lazy.pos, "line")
    assert _fields(plain) == ("warning", "m", "c", lazy.pos, "line")
    assert _fields(Finding("warning", "m", "c")) == ("warning", "m", "c", None, None)


def test_the_order_fast_path_needs_rising_offsets_of_one_text():
    from dtracepy.checks import _in_order

    a = parse("BEGIN { self->a = 1; self->b = 1; }", "a.d")
    b = parse("BEGIN { self->c = 1; }", "b.d")
    found_a = check_program(a, CheckOptions())
    found_b = check_program(b, CheckOptions())
    assert _in_order(found_a)
    assert not _in_order(found_a[::-1])
    assert not _in_order(found_a + found_b)  # (two texts: the file names order them)
    assert not _in_order([found_a[0], found_a[0]])  # (one place twice)
    assert not _in_order(found_a[:1])
    assert not _in_order([*found_a, Finding("warning", "m", "c", None)])


# --- rendering: a run of findings of one template written together -------------------------------

def _rendered(findings):
    from dtracepy.checks import rendered

    return rendered(findings)


@pytest.mark.parametrize("text", [
    MIXED, thread_locals(300), MIXED.replace("\n", "\r\n"), "",
    "BEGIN { self->" + "w" * 74 + " = 1; self->" + "w" * 75 + " = 1; self->" + "w" * 81 + " = 1; }\n",
    "BEGIN { self->a = 1; }\nBEGIN { self->a = 2; self->b = 1; x = y; self->c = 1; self->d = 1; }\n",
    MARKED,
])
@pytest.mark.parametrize("name", ["x.d", "", "a\udcffb.d", "t\x1b[2J.d", "dir/x y.d"])
def test_findings_rendered_together_are_rendered_as_one_by_one(text, name):
    findings = check_program(parse(text, name), CheckOptions(), text)
    assert _rendered(findings) == [f.render() for f in findings]
    # (and in any slice: check_cmd renders a block at a time)
    for start in range(0, len(findings), 7):
        assert _rendered(findings[start:start + 7]) == [f.render() for f in findings[start:start + 7]]


def test_rendering_a_run_of_findings_makes_no_position(monkeypatch):
    import dtracepy.checks as checks

    text = thread_locals(1_000)
    findings = check_program(parse(text, "x.d"), CheckOptions(), text)
    expected = [f.render() for f in findings]
    made = 0
    original = _source.position_at

    def counting(at):
        nonlocal made
        made += 1
        return original(at)

    monkeypatch.setattr(checks, "position_at", counting)
    assert _rendered(findings) == expected
    assert made == 0


def test_findings_of_another_severity_or_text_are_rendered_one_by_one():
    text = thread_locals(5)
    findings = check_program(parse(text, "x.d"), CheckOptions(), text)
    mixed = [findings[0], attrs.evolve(findings[1], severity="error"), *findings[2:]]
    assert _rendered(mixed) == [f.render() for f in mixed]
    other = check_program(parse(text, "y.d"), CheckOptions(), text)
    both = [*findings[:2], *other[:2], *findings[2:]]
    assert _rendered(both) == [f.render() for f in both]
