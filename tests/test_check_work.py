"""Issue 8, session 9: the checks' work per clause (``check`` of 100,000 clauses within 5 s).

No test here is timed: each counts the work a check does on a script of many clauses (calls of a
fact's function, fields read), which the round cut (docs/PERFORMANCE.md, "seventh round"), and
checks that the shortcut gives the findings the full work gives.
"""

from __future__ import annotations

import pytest

from dtracepy import tree as t
from dtracepy.checks import check_program
from dtracepy.parser import parse


def _pairs(n: int) -> str:
    return "".join(f"fbt::f{i}:entry{{self->a=timestamp;}}\nfbt::f{i}:return/self->a/{{self->a=0;}}\n"
                   for i in range(n))


def test_descriptions_differing_only_in_a_plain_function_are_judged_once(monkeypatch):
    """probe-desc and probe-name judged each distinct description (some 12,000 instructions
    each, a fifth of the checks of 100,000 clauses); of descriptions that differ only in their
    function, one found fine answers for the others."""
    from dtracepy.checks import safety

    calls = {"n": 0}
    real = safety.probe_desc_problem

    def counting(text):
        calls["n"] += 1
        return real(text)

    monkeypatch.setattr(safety, "probe_desc_problem", counting)
    text = _pairs(500)
    assert check_program(parse(text, "x.d"), source=text) == []
    assert calls["n"] == 2, calls  # fbt::*:entry and fbt::*:return


@pytest.mark.parametrize("bad, check", [
    ("fbt::BEGIN:entry", "probe-desc"),     # a dtrace probe's name in the function field
    ("fbt::f1:entyr", "probe-desc"),        # another name: judged on its own
    ("fbt:mod:f1:entry", None),             # another module: judged on its own (fine)
    ("fbtt::f1:entry", "probe-name"),       # another provider
    ("fbt::f\u00a0x:entry", "probe-desc"),  # white space in the function (what \s matches)
    ("fbt:::entry", None),                  # an empty function: judged on its own
])
def test_a_description_unlike_the_fine_ones_is_still_judged(bad, check):
    from dtracepy.checks.safety import _judged, probe_desc_problem
    from dtracepy.facts import providers

    fine: set = set()
    assert _judged("fbt::f0:entry", fine) == (None, None, None)
    assert fine  # remembered
    answers = _judged(bad, fine)
    problem = probe_desc_problem(bad)
    expected = (problem, None, None) if problem else (
        None, providers.problem(bad), None if providers.problem(bad) else providers.unknown_provider(bad))
    assert answers == expected
    said = "probe-desc" if answers[0] else "probe-name" if answers[1] or answers[2] else None
    assert said == check


def test_used_before_assigned_lists_the_uses_of_a_clause_only_when_it_follows_it(monkeypatch):
    """used-before-assigned listed every access of every clause (a tuple each) before asking
    whether the clause uses a variable not yet typed; it tells that from the accesses' names now,
    and lists the uses of the clauses it follows (here the first)."""
    from dtracepy.checks import CheckOptions, rules
    from dtracepy.checks.context import Access, Context

    text = _pairs(500)
    program = parse(text, "x.d")
    ctx = Context(program, CheckOptions())
    per_clause = {cls: ctx.clause_accesses(cls) for cls in (t.SelfVar, t.ThisVar)}  # (made before counting)
    counts = {"n": 0}
    slot = Access.__dict__["in_predicate"]

    def read(access):
        counts["n"] += 1
        return slot.__get__(access, Access)

    monkeypatch.setattr(Access, "in_predicate", property(read))
    found = rules.refusals(program.items, ctx.options.dialect, ctx.first_pos, (), hand_written=True,
                           of=ctx.of, per_clause=per_clause.__getitem__, call_names=ctx.call_names)
    assert found == []
    assert counts["n"] <= 2, counts


def test_used_before_assigned_still_finds_a_read_above_the_assignment_among_typed_clauses():
    text = _pairs(50) + "fbt::g:entry{trace(self->b);}\nfbt::g:return{self->b=1;}\n" + _pairs(5)
    found = [f for f in check_program(parse(text, "x.d"), source=text) if f.check == "used-before-assigned"]
    assert [(f.pos.line, f.message.split(" ")[0]) for f in found] == [(101, "self->b")], found


def test_the_accesses_of_plain_clauses_are_gathered_in_one_walk(monkeypatch):
    """Each clause's accesses were gathered by a call of their own (setting up the walk's loop:
    a tenth of the accesses' work on one-statement clauses); the clauses whose bodies are
    expression statements are gathered in one call now, and give the same accesses."""
    from dtracepy.checks import CheckOptions
    from dtracepy.checks import context as C

    text = _pairs(300) + "fbt::g:entry{if (self->a) {self->b = 1;} self->c = self->b;}\n" + _pairs(3)
    program = parse(text, "x.d")
    one_by_one = [[(a.kind, id(a.node), a.name, a.zero, a.in_predicate, a.guarded)
                   for a in C.clause_accesses(clause, t.SelfVar)] for clause in program.clauses]
    calls = {"n": 0}
    real = C._gather

    def counting(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(C, "_gather", counting)
    found = C.Context(program, CheckOptions()).clause_accesses(t.SelfVar)
    assert [[(a.kind, id(a.node), a.name, a.zero, a.in_predicate, a.guarded) for a in acc]
            for acc in found] == one_by_one
    assert calls["n"] <= 5, calls  # (the clause with an if: on its own)


class _CountingItems(tuple):
    """A program's items that count how often they are gone through."""

    walks = 0

    def __iter__(self):
        _CountingItems.walks += 1
        return super().__iter__()


def test_the_checks_go_through_the_items_of_many_clauses_a_few_times(monkeypatch):
    """Twelve checks went through every item of the program to find one of a class (a pragma, a
    directive, an inline, a declaration): they ask the set of the items' classes first."""
    text = _pairs(200)
    program = parse(text, "x.d")
    counted = parse(text, "x.d")
    object.__setattr__(counted, "items", _CountingItems(counted.items))  # (the class makes a tuple of it)
    monkeypatch.setattr(_CountingItems, "walks", 0)
    assert check_program(counted, source=text) == check_program(program, source=text)
    assert _CountingItems.walks <= 6, _CountingItems.walks


def test_a_program_without_clause_locals_or_directives_is_not_gone_through_for_them(monkeypatch):
    """this-unset went through every clause's (empty) list of clause-local accesses, and the
    ``dtracepy:`` comments were looked for on every line of a file that has none."""
    from dtracepy.checks import CheckOptions, Directives, names
    from dtracepy.checks.context import Context

    text = _pairs(100)
    ctx = Context(parse(text, "x.d"), CheckOptions())
    monkeypatch.setattr(ctx, "clause_accesses", lambda cls: pytest.fail(f"asked for {cls.__name__}"))
    assert list(names._this_unset(ctx)) == []
    lines_read = []
    real = Directives.scan.__func__
    monkeypatch.setattr(Directives, "scan", classmethod(lambda cls, lines: real(cls, (
        lines_read.append(line) or line for line in lines))))
    assert check_program(parse(text, "x.d"), source=text) == []
    assert lines_read == []
    said = text + "/* dtracepy: ignore[self-leak] */\n"
    check_program(parse(said, "x.d"), source=said)
    assert len(lines_read) == said.count("\n") + 1


_LEAF_CLAUSES = (
    "fbt::a:entry{self->a=timestamp;}\n", "fbt::a:return/self->a/{self->a=0;}\n",
    "fbt::b:entry/x/{self->b=self->a;x=self->b;}\n", "fbt::c:entry{self->c+=1;self->c;this->d=self->c;}\n",
    "BEGIN{x=0;y=x;@a=1;}\n", "fbt::d:entry/this->d/{this->d=this->e;self->e-=this->d;}\n",
    "fbt::e:entry{self->f=(int)0;}\n", "fbt::f:entry{self->g=NULL;y=\"s\";}\n",
    "fbt::g:entry/self->g == 0/{self->g=1;}\n", "fbt::h:entry{trace(self->a);self->a=0;}\n",
    "fbt::i:entry{if (self->a) {self->b = 1;} self->c = 2;}\n", "fbt::j:entry{;self->a=1;}\n",
    "fbt::k:entry{}\n", "fbt::l:entry/self->l/{}\n", "fbt::m:entry{self->m=self->n=0;}\n",
)


@pytest.mark.parametrize("seed", range(4))
def test_the_accesses_made_without_a_walk_are_those_of_the_walk(seed):
    """The usual clause's accesses (a leaf predicate, statements that are leaves or assign a leaf
    to a leaf) are made without a walk: the same accesses, in the same order, for every class."""
    import random

    from dtracepy.checks import context as C

    rng = random.Random(seed)
    text = "".join(rng.choice(_LEAF_CLAUSES) for _ in range(200))
    program = parse(text, "x.d")
    for cls in (t.SelfVar, t.ThisVar, t.Ident, t.AggVar):
        walked = [[(a.kind, id(a.node), a.name, a.zero, a.in_predicate, a.guarded)
                   for a in C.clause_accesses(clause, cls)] for clause in program.clauses]
        made = [[(a.kind, id(a.node), a.name, a.zero, a.in_predicate, a.guarded) for a in found]
                for found in C.clauses_accesses(program.clauses, cls)]
        assert made == walked, cls


def test_the_usual_clauses_accesses_need_no_walk(monkeypatch):
    from dtracepy.checks import CheckOptions
    from dtracepy.checks import context as C

    monkeypatch.setattr(C, "_gather", lambda *args, **kwargs: pytest.fail("walked"))
    found = C.Context(parse(_pairs(300), "x.d"), CheckOptions()).clause_accesses(t.SelfVar)
    assert [[a.kind for a in acc] for acc in found[:2]] == [["write"], ["read", "write"]]


@pytest.mark.parametrize("seed", range(3))
def test_the_index_records_the_usual_clause_in_the_walks_order(seed):
    """The index records the nodes of the usual clause without pushing them on its stack: each
    class's list is still in the order of ``program.walk()``, and the thread-locals' marks give
    the accesses of walking every clause whole."""
    import random

    from dtracepy.checks import CheckOptions
    from dtracepy.checks import context as C

    rng = random.Random(seed)
    text = "".join(rng.choice(_LEAF_CLAUSES) for _ in range(200)) + \
        'syscall::read:entry\n/pid == $target/\n{\n\t@a[execname] = count();\n\tprintf("%d", pid);\n}\n'
    program = parse(text, "x.d")
    ctx = C.Context(program, CheckOptions())
    walked: dict = {}
    for node in program.walk():
        walked.setdefault(node.__class__, []).append(node)
    assert {cls: [id(n) for n in nodes] for cls, nodes in ctx._by_class.items()} == \
        {cls: [id(n) for n in nodes] for cls, nodes in walked.items()}
    whole = [[(a.kind, id(a.node), a.in_predicate) for a in C.clause_accesses(clause, t.SelfVar)]
             for clause in program.clauses]
    assert [[(a.kind, id(a.node), a.in_predicate) for a in acc]
            for acc in ctx.clause_accesses(t.SelfVar)] == whole


def _identifiers_read(monkeypatch, text: str) -> int:
    """How many identifiers the checks take from the index (Context.of(t.Ident)) on ``text``."""
    from dtracepy.checks.context import Context

    read = [0]

    class Counting(list):
        def __iter__(self):
            for node in list.__iter__(self):
                read[0] += 1
                yield node

    real = Context.of

    def of(self, cls):
        found = real(self, cls)
        return Counting(found) if cls is t.Ident else found

    monkeypatch.setattr(Context, "of", of)
    check_program(parse(text, "x.d"), source=text)
    return read[0]


def test_undefined_names_stop_looking_once_each_is_reported(monkeypatch):
    """``BEGIN{x;x;...}`` (issue 8, 3 MB): undefined-name reported x at its first use, then
    went on over the 1,500,000 others; and operand-type asked each identifier's type where each
    distinct name does (lexfast's count, session 11)."""
    from dtracepy.facts import variables as V

    asked = [0]
    real = V.kind

    def kind(name):
        asked[0] += 1
        return real(name)

    monkeypatch.setattr(V, "kind", kind)
    text = "BEGIN { trace(\"s\"); " + "x; " * 2_000 + "}\n"
    findings = check_program(parse(text, "x.d"), source=text)
    assert [f.check for f in findings] == ["undefined-name"]
    assert asked[0] < 100, asked
    assert _identifiers_read(monkeypatch, text) <= 3 * 2_000 + 10  # (4 passes over them before)


# --- session 13: used-before-assigned's memory on many uses of globals -----------------------------

def _lone_assignments(n: int) -> str:
    """benchmarks/bench_robust.py's memory-assignments input: one clause of ``x=y;`` n times."""
    return "BEGIN{" + "x=y;" * n + "}"


def _peak_per_statement(work, n: int) -> float:
    import tracemalloc

    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / n
    finally:
        tracemalloc.stop()


def test_used_before_assigned_keeps_no_record_for_each_use_of_a_global():
    """check of 750,000 ``x=y;`` peaked at 507 MB: used-before-assigned kept an access record for
    every read and every write of a global, in every clause (282 bytes a statement at its peak);
    it gathers the globals' uses a clause at a time now, keeping those its following can reach
    (here: the first write of x)."""
    from dtracepy.checks import CheckOptions, rules
    from dtracepy.checks.context import Context

    n = 20_000
    ctx = Context(parse(_lone_assignments(n), "x.d"), CheckOptions())
    ctx._by_class, ctx.call_names, ctx.ident_names  # (the index every family shares: made before)
    found = []
    peak = _peak_per_statement(lambda: found.extend(rules.run(ctx)), n)
    assert found == []
    assert peak < 40, peak  # (10 bytes a statement: what rules.run makes of the index, not records)
    assert not ctx.__dict__.get("_accesses", {}).get(t.Ident)  # (and none kept for later)


def test_the_checks_of_many_uses_of_globals_keep_little_beside_the_index():
    """The checks of ``x=y;`` n times peaked at 354 bytes a statement (the access records, a list
    of every identifier's name); the index of the tree's nodes by class (4 nodes a statement) is
    most of what they need now."""
    from dtracepy.checks import CheckOptions
    from dtracepy.checks.context import Context

    n = 20_000
    text = _lone_assignments(n)
    program = parse(text, "x.d")
    found = []
    peak = _peak_per_statement(lambda: found.extend(check_program(program, source=text)), n)
    assert [f.check for f in found] == ["undefined-name"]  # (y)
    assert peak < 100, peak
    assert Context(program, CheckOptions()).ident_names == {"x": n, "y": n}  # (counted, not listed)


def test_used_before_assigned_finds_the_same_with_the_uses_it_leaves_out():
    """Of a global's uses in a clause's predicate or body, used-before-assigned keeps the first
    read, the first other use and the first that types it (the rest cannot change what it says):
    what it says on reads, updates, repeats, a predicate, an if, a kernel symbol, a unary
    ``!f[k]`` (which types f), a dead branch and ``w = w = 1`` is what it said following them all."""
    text = ("BEGIN\n/n + m/\n{\n\ta; a; b += 1; a = b; b; c++; c; m = 1;\n}\n"
            "tick-1s\n/a/\n{\n\td; d += 2; d = 0; e = d; e = e = 3; x = !f[1]; f[2] = 1;\n\t`k; k = 1;\n}\n"
            "tick-2s\n{\n\tif (g) { g = 1; } else { h += 1; }\n\tn = (0 ? q : 1); q = 1; w = w = 1;\n}\n")
    found = [(f.pos.line, f.pos.col, f.message.split(" (")[0].split(", and")[0])
             for f in check_program(parse(text, "g.d"), source=text) if f.check == "used-before-assigned"]
    assert found == [(2, 2, "n is read here before any assignment to it in the program text"),
                     (2, 6, "m is read here before any assignment to it in the program text"),
                     (4, 2, "a is read here before any assignment to it in the program text"),
                     (4, 8, "b is updated"),
                     (9, 2, "d is read here before any assignment to it in the program text"),
                     (14, 6, "g is read here before any assignment to it in the program text"),
                     (14, 27, "h is updated"),
                     (15, 30, "w is assigned twice in one expression")]


def _lines_run(text):
    """(file, function) -> lines run by the checks of ``text`` (sys.settrace's line events)."""
    import collections
    import sys

    program = parse(text, "x.d")
    check_program(program, source=text)  # (imports, made before counting)
    counts: collections.Counter = collections.Counter()

    def tracer(frame, event, arg):
        if event == "line":
            counts[(frame.f_code.co_filename.rsplit("/", 1)[-1], frame.f_code.co_name)] += 1
        return tracer

    sys.settrace(tracer)
    try:
        findings = check_program(program, source=text)
    finally:
        sys.settrace(None)
    return counts, findings


def test_the_rules_that_look_for_rare_assignments_skip_a_body_of_plain_ones():
    """Session 16: ten rules each went through every assignment looking for an aggregation's, an
    element's, a chain, a division or a read-only name (70,000 lines run for 2,000 ``x = y;``).
    The classes of the targets and values and the operators, asked once
    (checks/assignments.py), tell them there is none: each of those rules runs a few lines.
    What still steps through each statement: the table's sets, the index's comprehensions,
    used-before-assigned's gathering of the globals' uses, global-unset's look at each name."""
    n = 2000
    counts, findings = _lines_run("BEGIN{" + "x = y;" * n + "}")
    assert [f.check for f in findings] == ["undefined-name"]  # (y)
    still = {("assignments.py", "<setcomp>"), ("rules.py", "_gather"), ("context.py", "<listcomp>"),
             ("context.py", "<setcomp>"), ("names.py", "<listcomp>")}
    per_statement = {key: c for key, c in counts.items() if c >= n and key not in still}
    assert per_statement == {}, per_statement
    # (the classes of the targets and of the values, the operators, the names, their modules)
    assert counts[("assignments.py", "<setcomp>")] <= 5 * n + 50


@pytest.mark.parametrize("text, expected", [
    ("BEGIN{" + "x = y;" * 20 + "execname = 1;}", ["assigned-read-only"]),
    ("BEGIN{" + "x = 1;" * 20 + "`kmem_flags = 1; y = kmem_flags;}", []),
    ("BEGIN{" + "x = 1;" * 20 + "x = x = 2;}", []),
    ("BEGIN{" + "x = 1;" * 20 + "x /= 0;}", ["division-by-zero"]),
    ("BEGIN{" + "x = 1;" * 20 + "@a = count(); @a = sum(1);}", ["agg-mismatch"]),
    ("BEGIN{" + "x = 1;" * 20 + "a[1] = 2; y = a;}", ["array-use"]),
    ("BEGIN{" + "x = 1;" * 20 + "y = args;}", ["array-use"]),
    ("BEGIN{" + "x = 1;" * 20 + "y = count();}", ["aggregation-value"]),
])
def test_a_rare_assignment_among_plain_ones_is_still_found(text, expected):
    """What the skips above must not lose: each rule still finds its assignment."""
    findings = check_program(parse(text, "x.d"), source=text)
    assert [f.check for f in findings if f.severity == "error"] == expected, findings
