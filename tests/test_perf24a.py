"""The work and memory of ``check`` where it reports many findings (session 23, perf24a; issue 8).

4 MiB of ``self->vN = 1;`` in one clause has 226,000 findings (each thread-local is never read):
the slowest and largest ``check`` at the size limit (4.1 to 4.4 s, 285 MB).  Counted and measured
with tracemalloc here, never timed; the ordering and deduplication of findings, which now take a
fast path when nothing needs moving or dropping, are compared with the way they were made before
on generated lists.
"""

from __future__ import annotations

import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from dtracepy import tree as t
from dtracepy.checks import CheckOptions, Finding, _dedupe, _order, _sorted, check_program, lifecycle
from dtracepy.checks.context import Context
from dtracepy.facts import probes
from dtracepy.parser import parse
from dtracepy.source import Pos


def thread_locals(n: int) -> str:
    return "BEGIN\n{\n" + "".join(f"self->v{i} = 1;\n" for i in range(n)) + "}\n"


def test_a_clause_setting_many_thread_locals_has_its_probes_read_once(monkeypatch):
    # each thread-local's leak site read the descriptions of its clause again: 226,000 times one clause
    asked = 0
    original = probes.releases_of

    def counting(text):
        nonlocal asked
        asked += 1
        return original(text)

    monkeypatch.setattr(probes, "releases_of", counting)
    text = thread_locals(500)
    findings = check_program(parse(text, "x.d"), CheckOptions(), text)
    assert [f.check for f in findings] == ["self-unused"] * 500
    assert asked <= 5, asked


def test_a_thread_local_set_once_gets_no_record_of_its_uses(monkeypatch):
    # a VarUses, a list and a tuple for each of 226,000 thread-locals: 49 MB at the peak
    made = 0
    original = lifecycle.VarUses.__init__

    def counting(self):
        nonlocal made
        made += 1
        original(self)

    monkeypatch.setattr(lifecycle.VarUses, "__init__", counting)
    text = thread_locals(300) + "syscall::read:entry { self->v7 = 2; self->w = 0; trace(self->u); }\n"
    findings = check_program(parse(text, "x.d"), CheckOptions(), text)
    assert made == 3  # (self->v7, set twice; self->w, zeroed; self->u, read)
    # (the same findings as before: self->v7's self-unused at its first write, its leak at the
    # second, the one at an entry probe)
    assert [f.render() for f in findings if f.pos.line >= 301 or "v7 " in f.message] == [
        "x.d:10:1: warning: self->v7 is assigned but never read [self-unused]",
        "x.d:301:1: warning: self->v298 is assigned but never read [self-unused]",
        "x.d:302:1: warning: self->v299 is assigned but never read [self-unused]",
        "x.d:304:23: warning: self->v7 is assigned at syscall::read:entry but never zeroed, so it leaks "
        "dynamic-variable space on every firing; zero it at syscall::read:return [self-leak]",
        "x.d:304:37: warning: self->w is zeroed but never assigned [self-zero-unassigned]",
        "x.d:304:56: error: self->u is read but never assigned or declared [self-undefined]",
    ]


def test_a_nonzero_decimal_constant_is_not_converted_to_be_told_from_zero(monkeypatch):
    converted = 0
    original = t.IntLit.value

    def counting(self):
        nonlocal converted
        converted += 1
        return original.fget(self)

    monkeypatch.setattr(t.IntLit, "value", property(counting))
    text = thread_locals(200)
    assert len(check_program(parse(text, "x.d"), CheckOptions(), text)) == 200
    assert converted == 0


def _peak_per_statement(work, n: int) -> float:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / n
    finally:
        tracemalloc.stop()


def test_the_lifecycle_checks_of_many_thread_locals_keep_little_besides_the_findings():
    """487 bytes a thread-local at the peak of the lifecycle checks, 260 of them the findings'
    own (the Finding, its message, its position); 351 now."""
    n = 20_000
    ctx = Context(parse(thread_locals(n), "x.d"), CheckOptions())
    ctx._by_class, ctx.clause_accesses(t.SelfVar)  # (shared with the other families: made before)
    found = []
    peak = _peak_per_statement(lambda: found.extend(lifecycle.run(ctx)), n)
    assert len(found) == n
    assert peak < 420, peak


def test_used_before_assigned_keeps_no_pair_for_each_typed_thread_local():
    """291 bytes a thread-local at the peak of the rules (a (scope, name) tuple in a set besides
    the set of names); 131 now."""
    from dtracepy.checks import rules

    n = 20_000
    ctx = Context(parse(thread_locals(n), "x.d"), CheckOptions())
    ctx._by_class, ctx.call_names, ctx.ident_names, ctx.clause_accesses(t.SelfVar)
    found = []
    peak = _peak_per_statement(lambda: found.extend(rules.run(ctx)), n)
    assert found == []
    assert peak < 200, peak


def test_the_checks_of_many_thread_locals_peak_below_what_they_did():
    """815 bytes a thread-local at the peak of check_program (396 of them kept: the findings and
    their lines); 661 now."""
    n = 20_000
    text = thread_locals(n)
    program = parse(text, "x.d")
    found = []
    peak = _peak_per_statement(lambda: found.extend(check_program(program, CheckOptions(), text)), n)
    assert len(found) == n
    assert peak < 740, peak


# --- ordering and deduplication: the fast paths against the way it was done -----------------------

def _ordered_before(findings):
    """check_program's order and deduplication as they were (session 22)."""
    findings = sorted(findings, key=_order)
    seen, out = set(), []
    for finding in findings:
        key = (finding.pos, finding.check, finding.message)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


_positions = st.one_of(st.none(), st.builds(Pos, st.sampled_from(["a.d", "b.d"]), st.integers(1, 4),
                                            st.one_of(st.none(), st.integers(0, 3))))
_findings = st.builds(Finding, st.sampled_from(["error", "warning"]), st.sampled_from(["m", "n", "o"]),
                      st.sampled_from(["self-leak", "self-unused", "this-unset"]), _positions)


@settings(max_examples=400, deadline=None)
@given(st.lists(_findings, max_size=12), st.booleans())
def test_ordering_and_deduplication_are_what_they_were(findings, presorted):
    if presorted:
        findings = sorted(findings, key=_order)
    keys = [_order(f) for f in findings]
    ordered, ordered_keys = _sorted(list(findings), keys)
    assert ordered_keys == [_order(f) for f in ordered]
    assert _dedupe(ordered, ordered_keys) == _ordered_before(findings)
    assert _dedupe(ordered) == _ordered_before(findings)


def test_check_program_orders_and_deduplicates_as_it_did():
    # findings of several families at one position, out of order, a this-unset refused
    text = ("BEGIN { trace(this->x); this->x = 1; self->a = self->b; }\n"
            "syscall::read:entry { self->a = 1; self->a = 1; trace(self->c); }\n"
            "BEGIN { x = y; printf(\"%d\"); }\n")
    findings = check_program(parse(text, "x.d"), CheckOptions(), text)
    assert findings == _ordered_before(findings)
    assert len({(f.pos, f.check, f.message) for f in findings}) == len(findings)
    assert len(findings) >= 5
