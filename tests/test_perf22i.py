"""Session 21, perf22i (docs/PERFORMANCE.md): work counted, never timed.

1. ``import``'s note on each thread-local the original leaks asks ``self-leak``'s answer
   (checks/lifecycle.leaks).  For the usual clauses (no predicate, statements that are leaves or
   assign a leaf to a leaf: ``syscall::f1:entry{self->t1 = timestamp;}``) that answer is made in
   one pass (``lifecycle.plain_leaks``), without the checks' context, an Access for each use and a
   VarUses for each thread-local: 85,000 of each at the size limit.  Its answers are the
   context's, for any program.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dtracepy import tree
from dtracepy.checks import CheckOptions
from dtracepy.checks import context as context_module
from dtracepy.checks import lifecycle
from dtracepy.checks.context import Context
from dtracepy.importer import idioms, import_d
from dtracepy.importer.scan import scan
from dtracepy.parser import parse


def _counting_accesses(monkeypatch) -> list:
    """A list that grows by one for each Access the checks make."""
    made: list = []
    original = context_module.Access.__init__

    def counted(self, *args, **kwargs):
        made.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(context_module.Access, "__init__", counted)
    return made


def one_line_entries(n: int) -> str:
    return "".join(f"syscall::f{i}:entry{{self->t{i} = timestamp;}}\n" for i in range(n))


def test_the_import_of_leaking_entries_makes_no_access(monkeypatch):
    made = _counting_accesses(monkeypatch)
    module = import_d(one_line_entries(50), "x.d")
    assert made == []
    assert module.count("# Leak in the original: self->t") == 50
    assert "# Leak in the original: self->t49 is set and never zeroed; dtracepy's cleanup now zeroes\n# it at syscall::f49:return." in module


def test_a_clause_that_is_not_plain_is_asked_of_the_context(monkeypatch):
    made = _counting_accesses(monkeypatch)
    module = import_d("syscall::f:entry /pid == 1/ { self->t = timestamp; }\n", "x.d")
    assert made  # (the predicate: the checks' context answers)
    assert "# Leak in the original: self->t is set and never zeroed" in module


def _by_the_context(program):
    """(leaks, unzeroed) as the importer asked them of the checks' context before."""
    found = scan(program)
    holding = {i for where in found.mentioned.values() for i in where}
    ctx = Context(program, CheckOptions(), None)
    ctx.holders_known(tree.SelfVar, holding)
    uses, _ = lifecycle.collect(ctx)
    unzeroed = {n for n, u in uses.items() if not u.zeros and not u.partials and (u.writes or u.updates)}
    return lifecycle.leaks(ctx), unzeroed, found, holding


_PROBES = st.sampled_from(["syscall::read:entry", "syscall::read:return", "fbt:ip:f:entry", "BEGIN",
                           "sched:::on-cpu", "profile-97", "python*:::function-entry", "proc:::exec",
                           "syscall:::entry", "a:b:c:d:entry"])
_VALUES = st.sampled_from(["timestamp", "0", "NULL", "1", "self->a", "self->b", "0x0", "'\\0'", "\"s\"",
                           "$1", "@c", "this->z", "x"])
_TARGETS = st.sampled_from(["self->a", "self->b", "self->c", "x", "this->z"])
_OPS = st.sampled_from(["=", "=", "=", "+="])
_STATEMENT = st.one_of(
    st.builds(lambda t, o, v: f"{t} {o} {v};", _TARGETS, _OPS, _VALUES),
    st.builds(lambda v: f"{v};", _VALUES),
    st.sampled_from(["self->a++;", "self->b[1] = 2;", "trace(self->a);", "self->c = self->a + 1;"]),
)
_CLAUSE = st.builds(
    lambda probes, predicate, body: f"{', '.join(probes)}{predicate}\n{{\n{''.join(body)}}}\n",
    st.lists(_PROBES, min_size=1, max_size=3),
    st.sampled_from(["", "", "", " /self->a/", " /pid == 1/"]),
    st.lists(_STATEMENT, max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_CLAUSE, min_size=1, max_size=6))
def test_plain_leaks_answers_as_the_context(clauses):
    try:
        program = parse("".join(clauses), "x.d")
    except Exception:  # noqa: BLE001 - a text the parser refuses is no case here
        return
    want_leaks, want_unzeroed, found, holding = _by_the_context(program)
    got = lifecycle.plain_leaks(found.clauses, holding)
    if got is None:  # (not the usual clauses: the importer asks the context, as before)
        assert any(found.clauses[i].predicate is not None or any(
            s.__class__ is not tree.ExprStmt or s.expr.__class__ not in context_module._LEAVES and (
                s.expr.__class__ is not tree.Assign or s.expr.target.__class__ not in context_module._LEAVES
                or s.expr.value.__class__ not in context_module._LEAVES) for s in found.clauses[i].body or ())
            for i in holding)
        return
    assert got[0] == want_leaks
    assert got[1] == want_unzeroed
    # and the importer's answer, less the names the scan saw zeroed, is the same either way
    zeroed = {name for _c, name, kind in found.events if kind == 1}
    assert idioms._check_leaks(program, found, zeroed) == (
        {n: e for n, e in want_leaks.items() if n not in zeroed}, {n for n in want_unzeroed if n not in zeroed})


@pytest.mark.parametrize("text", [
    "syscall::f:entry { self->a = NULL; }\n",            # zeroed to the checks (NULL), not to the scan
    "syscall::f:entry { self->a = 0x0; }\n",
    "syscall::f:entry { self->a += 1; }\n",               # an update: unzeroed, no leak
    "BEGIN { self->a = 1; }\nsyscall::f:entry { self->a = 2; }\n",  # the first write at no entry
    "syscall::f:entry, syscall::g:entry { self->a = 1; }\n",
])
def test_plain_leaks_edge_cases(text):
    program = parse(text, "x.d")
    want_leaks, want_unzeroed, found, holding = _by_the_context(program)
    assert lifecycle.plain_leaks(found.clauses, holding) == (want_leaks, want_unzeroed)


# -- 2. the idioms' and the writer's per-clause calls for the usual clauses -------------------


def _counting(monkeypatch, owner, name) -> list:
    """A list that grows by one for each call of ``owner.name``."""
    calls: list = []
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def distinct_pairs(n: int) -> str:
    return "".join(f"syscall::f{i}:entry\n{{\n\tself->t{i} = timestamp;\n}}\n"
                   f"syscall::f{i}:return\n{{\n\ttrace(self->t{i});\n\tself->t{i} = 0;\n}}\n" for i in range(n))


def test_a_thread_local_set_in_one_entry_clause_needs_no_call_for_its_returns(monkeypatch):
    returns = _counting(monkeypatch, idioms, "_returns")
    pairs = _counting(monkeypatch, idioms, "_read_only_in_pairs")
    module = import_d(one_line_entries(30), "x.d")
    assert returns == [] and pairs == []
    assert "dtracepy's cleanup now zeroes\n# it at syscall::f29:return." in module
    # (read at its return too: _read_only_in_pairs answers, as before)
    module = import_d(distinct_pairs(3), "x.d")
    assert returns == [] and len(pairs) == 3
    assert "self.t2 = 0" not in module and "trace(self.t2)" in module


def test_the_writer_asks_one_function_name_an_action_statement_and_no_target_of_self(monkeypatch):
    from dtracepy.importer import exprs, module as module_writer

    names = _counting(monkeypatch, exprs.ExprEmitter, "function_name")
    targets = _counting(monkeypatch, module_writer.ModuleWriter, "assign_target")
    module = import_d(distinct_pairs(5), "x.d")
    assert len(names) == 5  # (one trace() a return clause; twice before)
    assert targets == []  # (self->t = timestamp: its text made in expr_statement)
    assert "def remember_f4_entry():\n    self.t4 = timestamp\n" in module
    assert "def print_f4_return():\n    trace(self.t4)\n" in module


@pytest.mark.parametrize("statement, line", [
    ("self->x = timestamp;", "self.x = timestamp"),
    ("self->x += 1;", "self.x += 1"),
    ("self->x = self->y;", "self.x = self.y"),
    ("self->_x = 1;", 'assign(self("_x"), 1)'),   # (no attribute: the general path, as before)
    ("self->class = 1;", 'assign(self("class"), 1)'),
])
def test_a_thread_local_assignment_is_written_as_before(statement, line):
    module = import_d(f"BEGIN {{ {statement} }}\n", "x.d")
    assert f"():\n    {line}\n" in module


# -- 3. what only the idioms read of the scan is not kept for the writer --------------------------


def test_the_scan_the_writer_reuses_holds_no_events_nor_mentions():
    program = parse(one_line_entries(20), "x.d")
    _, plan = idioms.idiomatic(program)
    assert plan.scan is not None  # (reused by the writer: nothing was dropped)
    assert plan.scan.events is None and plan.scan.mentioned is None and plan.scan.cleaned is None
    assert len(plan.notes) == 20
    # what the writer reads of it is there
    assert plan.scan.arrow_names == {f"t{i}" for i in range(20)} and plan.scan.same == {}
