"""Idiomatic mode: the D program rewritten as a person would write it with dtracepy.

* **Thread-local lifetimes.**  A thread-local set only in function-entry clauses, and read only
  there and at the matching returns, is left to the automatic cleanup: its hand-written zeroing
  in those return clauses is dropped (a clause that did nothing else goes too).  Any other
  thread-local (set at BEGIN, profile, a return probe; an associative array; read in other
  clauses) keeps its zeroing and is marked ``t.keep(self.x)``.
* **Leaks.**  A thread-local the original sets and never zeroes gets a comment at the top of the
  module: fixed by the cleanup, or kept as the original had it (``t.keep``).  Zeroing of a
  thread-local that is never set (a typo of a leaked one) is dropped, and the comment names it.
* **Records.**  A ``BEGIN`` clause that only prints a header line (``printf("A,B\\n")`` or
  ``printf("%s,%s\\n", "A", "B")``) and a ``printf`` row with one conversion per title and the
  same separator become ``row = t.record(...)`` and ``row.emit(...)``.

The expression spellings of idiomatic mode (``at(p, 0x28, "T")`` for offset reads, octal in
decimal) are :class:`~dtracepy.importer.exprs.ExprEmitter`'s with ``exact=False``.
"""

from __future__ import annotations

import difflib

import attrs

from dtracepy import tree
from dtracepy.facts.probes import return_of
from dtracepy.importer.scan import INDEXED, ZERO, ProgramScan, scan
from dtracepy.passes.walk import is_zero, statements

SEPARATORS = (",", "\t", ";", "|", " ")


@attrs.define
class Plan:
    """What the module writer does beyond the rewritten program."""

    notes: list = attrs.field(factory=list)  # comment lines for the module's head
    keeps: list = attrs.field(factory=list)  # thread-local names for t.keep(...)
    headers: dict = attrs.field(factory=dict)  # id(BEGIN clause) -> (var, columns, sep)
    rows: dict = attrs.field(factory=dict)  # id(ExprStmt) -> var
    scan: ProgramScan | None = None  # the clauses' one walk, for the writer (see _lifetimes)


def _self_name(target):
    while isinstance(target, tree.Index):
        target = target.base
    return target.name if isinstance(target, tree.SelfVar) else None


def _is_zeroing(stmt, name=None) -> bool:
    if not (isinstance(stmt, tree.ExprStmt) and isinstance(stmt.expr, tree.Assign)):
        return False
    a = stmt.expr
    return (a.op == "=" and isinstance(a.target, tree.SelfVar) and is_zero(a.value)
            and (name is None or a.target.name == name))


def idiomatic(program: tree.Program):
    plan = Plan()
    program = _lifetimes(program, plan)
    _records(program, plan)
    return program, plan


# --- thread-local lifetimes ------------------------------------------------------------------------
def _lifetimes(program, plan):
    found = scan(program)  # (one walk for all that follows, and the writer's when nothing changes)
    clauses = found.clauses
    sets: dict[str, list] = {}  # name -> clauses setting it (non-zero)
    indexed: set[str] = set()
    zeroed: set[str] = set()  # names zeroed
    for clause, name, kind in found.events:
        if kind != ZERO:
            if kind == INDEXED:
                indexed.add(name)
            setters = sets.get(name)
            if setters is None:
                sets[name] = [clause]
            elif setters[-1] is not clause:  # (each clause once)
                setters.append(clause)
        else:
            zeroed.add(name)
    mentioned = found.mentioned  # name -> the indexes of the clauses that mention it
    cleaned = found.cleaned  # what the cleanup pass would zero (or ask about)
    leaks, unzeroed = _check_leaks(program, found, zeroed)  # what the self-leak check says the original leaks
    drop: dict[str, frozenset] = {}  # name -> return probes where its hand zeroing goes
    auto_leaks, kept_leaks = [], []
    for name, setters in sets.items():
        if name not in cleaned:
            continue  # set only by ++, inside expressions...: the cleanup leaves it alone
        first = setters[0]
        if len(setters) == 1 and len(first.probes) == 1:  # (_returns' usual case, without its call)
            returns = return_of(first.probes[0].text)
            if returns is not None:
                returns = frozenset((returns,))
        else:
            returns = _returns(setters)
        where = mentioned[name]
        # (named in its one setter only, as each thread-local of a script of entry clauses is:
        # read only in pairs, as _read_only_in_pairs finds without its call)
        if name not in indexed and returns is not None and (
                len(where) == 1 and clauses[where[0]] is first
                or _read_only_in_pairs(clauses, where, setters, returns)):
            drop[name] = returns
            if name in leaks:
                auto_leaks.append((name, setters, returns))
            continue
        plan.keeps.append(name)
        if name in leaks:
            kept_leaks.append((name, leaks[name]))
        elif name in unzeroed:
            plan.notes.append(f"# The original never zeroes self->{name} (set at "
                              f"{setters[0].probes[0].text}; no leak to the self-leak check); "
                              f"t.keep(self.{name}) keeps it that way.")
    typos = {n for n in zeroed if n not in sets}

    # The writer reuses the scan: what the idioms drop is hand zeroing (``self->x = 0``: no global,
    # no call), unless a clause goes with a predicate that assigns a global
    reuse = True
    dropped_typos = set()
    # (only a name the scan saw zeroed has a zeroing to drop: a script that zeroes none, 85,000
    # one-line entries each leaking its own, has none of its clauses looked at)
    if typos or drop and not zeroed.isdisjoint(drop):
        items = _drop_zeroing(program, drop, typos, mentioned, found, dropped_typos)
        reuse = items.pop()
    else:  # (nothing to drop: the program's items as they are, none of them looked at)
        items = program.items
    typo_names = sorted(dropped_typos)
    for name, setters, returns in auto_leaks:
        where = ", ".join(sorted(returns)) if len(returns) > 1 else next(iter(returns))
        # (asked only of typos there are: difflib's matcher, made for each leak, was a fifth
        # of importing 85,000 one-line clauses that each leak their own thread-local)
        typo = difflib.get_close_matches(name, typo_names, n=1, cutoff=0.7) if typo_names else []
        also = f" (it zeroes self->{typo[0]}, which is never set: a typo)" if typo else ""
        plan.notes.append(f"# Leak in the original: self->{name} is set and never zeroed{also}; "
                          f"dtracepy's cleanup now zeroes it at {where}.")
    for name, where in kept_leaks:
        plan.notes.append(f"# Leak in the original: self->{name} is set at {where} and never "
                          f"zeroed; t.keep(self.{name}) keeps it that way.")
    for name in sorted(dropped_typos):
        if not any(name in note for note in plan.notes):
            plan.notes.append(f"# The original zeroes self->{name}, which it never sets; "
                              "that zeroing is dropped.")
    if reuse:
        # (what only the idioms read of the scan is freed before the writer makes the module,
        # which reads the rest: the events and each thread-local's clauses, 12 MB at the peak of
        # importing 85,000 one-line entries)
        found.events = found.mentioned = found.cleaned = None
        plan.scan = found
    return tree.Program(tuple(items), pos=program.pos)


def _drop_zeroing(program, drop, typos, mentioned, found, dropped_typos) -> list:
    """The program's items less the hand zeroing the cleanup does now (``drop``: name -> the
    return probes where it zeroes the name) and the zeroing of names never set (``typos``, at
    return probes), those names added to ``dropped_typos``; a clause left empty goes.  The last
    element of the list is whether the writer may reuse the scan (``found``)."""
    reuse = True
    Clause, ExprStmt, Assign, SelfVar, IntLit = tree.Clause, tree.ExprStmt, tree.Assign, tree.SelfVar, tree.IntLit
    ClauseBuilder = tree.builder(Clause)
    # A name's zeroing goes only from the last clause naming it on: the clauses before the first
    # such clause (``start``) keep theirs, unless a typo's zeroing may go.  The items from the
    # first of those clauses on are looked at; found from the end (entry/return pairs: the last)
    all_items = program.items
    first, index = 0, -1  # the first item looked at; the index (in ``found.clauses``) of the clause before it
    if not typos:
        start = min(mentioned[name][-1] for name in drop)
        first, index = len(all_items), len(found.clauses) - 1
        while first > 0 and index >= start:
            first -= 1
            if all_items[first].__class__ is Clause:
                index -= 1
    items = list(all_items[:first])
    for item in all_items[first:]:
        if item.__class__ is not Clause:
            items.append(item)
            continue
        index += 1
        stmts = item.body
        if stmts is None:
            items.append(item)
            continue
        probes = None
        body, removed = None, 0  # (body: the statements kept, made once one is dropped)
        for k, stmt in enumerate(stmts):
            # a hand zeroing (_is_zeroing) of a name in ``drop`` or ``typos``
            name = None
            if stmt.__class__ is ExprStmt:
                a = stmt.expr
                if (a.__class__ is Assign and a.op == "=" and a.target.__class__ is SelfVar
                        and a.value.__class__ is IntLit and (a.value.text == "0" or a.value.value == 0)):
                    name = a.target.name
                    if name not in drop and name not in typos:
                        name = None
            if name is not None:
                if probes is None:
                    probes = {d.text for d in item.probes}
                if name in drop and mentioned[name][-1] <= index and probes <= drop[name]:  # none later
                    removed += 1
                    if body is None:
                        body = list(stmts[:k])
                    continue
                if name in typos and all(_is_return(p) for p in probes):
                    removed += 1
                    dropped_typos.add(name)
                    if body is None:
                        body = list(stmts[:k])
                    continue
            if body is not None:
                body.append(stmt)
        if removed and not body:
            reuse = reuse and (item.predicate is None or not scan(tree.Program((item,))).globals)
            continue  # the clause only zeroed: the cleanup does that now
        if removed:
            # (attrs.evolve, less its keyword arguments and the position it made of the offset:
            # a third of this loop for 34,000 pairs.  The probes, non-empty, are the item's: the
            # clause's own test holds)
            rewritten = ClauseBuilder()
            rewritten.pos = item._at
            rewritten.probes, rewritten.predicate, rewritten.body = item.probes, item.predicate, tuple(body)
            rewritten.__class__ = Clause
            if id(item) in found.calls:  # (the same calls: the scan keeps ``item`` alive)
                found.calls[id(rewritten)] = found.calls[id(item)]
            item = rewritten
        items.append(item)
    items.append(reuse)
    return items


def _is_return(text: str) -> bool:
    return text.endswith(":return")


def _returns(setters) -> frozenset | None:
    """The return probes where the cleanup zeroes a thread-local set in ``setters``, or None
    when one of them has no return probe."""
    if len(setters) == 1 and len(setters[0].probes) == 1:  # (the usual: one clause of one probe)
        ret = return_of(setters[0].probes[0].text)
        return None if ret is None else frozenset((ret,))
    out = set()
    for clause in setters:
        for desc in clause.probes:
            ret = return_of(desc.text)
            if ret is None:
                return None
            out.add(ret)
    return frozenset(out)


def _read_only_in_pairs(clauses, mentioning, setters, returns) -> bool:
    """Whether every clause mentioning the thread-local (``clauses[i]`` for ``i`` in
    ``mentioning``) is on its entry probes or their returns."""
    allowed = None  # (made if a clause other than the first setter mentions it: most thread-locals
    # of a script of entry clauses are named in their one setter only)
    first = setters[0]
    for i in mentioning:
        clause = clauses[i]
        if allowed is None:
            if clause is first:
                continue  # (its probes are a setter's: allowed)
            allowed = {d.text for c in setters for d in c.probes} | set(returns)
        for d in clause.probes:
            if d.text not in allowed:
                return False
    return True


# --- records -------------------------------------------------------------------------------------
def _header(clause):
    """(titles, end) of a BEGIN clause that only prints a header line, or None."""
    if [d.text for d in clause.probes] != ["BEGIN"] or clause.predicate is not None:
        return None
    if not clause.body or len(clause.body) != 1 or not isinstance(clause.body[0], tree.ExprStmt):
        return None
    call = clause.body[0].expr
    if not (isinstance(call, tree.Call) and call.name == "printf" and call.args
            and all(isinstance(a, tree.StringLit) for a in call.args)):
        return None
    fmt = call.args[0].value
    if len(call.args) == 1:
        text = fmt.replace("%%", "\0")
        if "%" in text:
            return None
        return text.replace("\0", "%")
    from dtracepy.facts.conversions import FormatError, parse_format

    try:
        convs = parse_format(fmt)
    except FormatError:
        return None
    if len(convs) != len(call.args) - 1 or fmt.count("%") != len(convs):
        return None
    text = fmt
    for arg in call.args[1:]:
        text = text.replace("%s", arg.value.replace("%", "%%"), 1)
    if text.count("%s") or any(c != "%s" for c in _conv_texts(fmt)):
        return None
    return text.replace("%%", "%")


def _conv_texts(fmt):
    import re

    return re.findall(r"%[^a-zA-Z%]*[a-zA-Z]", fmt)


def _columns(header_text, fmt):
    """(columns, sep, end) when ``fmt`` has one conversion per title of ``header_text``."""
    from dtracepy.dsl.records import _one_conversion

    for end in ("\n",):
        if not (header_text.endswith(end) and fmt.endswith(end)):
            continue
        head, body = header_text[: -len(end)], fmt[: -len(end)]
        for sep in SEPARATORS:
            titles, formats = head.split(sep), body.split(sep)
            if len(titles) < 2 or len(titles) != len(formats):
                continue
            if all(_one_conversion(f) for f in formats) and all(t.strip() for t in titles):
                return tuple(zip(titles, formats)), sep, end
    return None


def _records(program, plan):
    Clause = tree.Clause
    # (a header's clause has the one probe BEGIN: _header is asked of those only)
    headers = [(item, _header(item)) for item in program.items if item.__class__ is Clause
               and len(item.probes) == 1 and item.probes[0].text == "BEGIN"]
    headers = [(c, h) for c, h in headers if h]
    if not headers:
        return
    for clause, text in headers:
        for other in program.clauses:
            if other is clause:
                continue
            for stmt in statements(other.body):
                call = stmt.expr if isinstance(stmt, tree.ExprStmt) else None
                if not (isinstance(call, tree.Call) and call.name == "printf" and call.args
                        and isinstance(call.args[0], tree.StringLit)):
                    continue
                found = _columns(text, call.args[0].value)
                if found and len(call.args) - 1 == len(found[0]):
                    var = "row" if not plan.headers else f"row{len(plan.headers) + 1}"
                    plan.headers[id(clause)] = (var, found[0], found[1])
                    _mark_rows(program, call.args[0].value, len(found[0]), var, plan)
                    break
            if id(clause) in plan.headers:
                break


def _mark_rows(program, fmt, n, var, plan):
    for clause in program.clauses:
        for stmt in statements(clause.body):
            call = stmt.expr if isinstance(stmt, tree.ExprStmt) else None
            if (isinstance(call, tree.Call) and call.name == "printf" and len(call.args) == n + 1
                    and isinstance(call.args[0], tree.StringLit) and call.args[0].value == fmt):
                plan.rows[id(stmt)] = var


# --- the faithful module's leaks -------------------------------------------------------------------
def _lifecycle(program: tree.Program, holding):
    """(the checks' context, name -> VarUses of each thread-local) of ``program``, gathered from
    the clauses of indexes ``holding`` only (those the scan saw naming the thread-locals asked
    about): the context does not walk the whole tree again to find them."""
    from dtracepy.checks import CheckOptions
    from dtracepy.checks.context import Context
    from dtracepy.checks.lifecycle import collect

    ctx = Context(program, CheckOptions(), None)
    ctx.holders_known(tree.SelfVar, holding)
    uses, _ = collect(ctx)
    return ctx, uses


def _check_leaks(program: tree.Program, found: ProgramScan, zeroed) -> tuple[dict[str, str], set[str]]:
    """The thread-locals ``self-leak`` reports as never zeroed in ``program`` (whose scan is
    ``found``) -> the entry probe each is set at (the importer's comments on the original's leaks
    say what the check says), and the names the checks see set and never zeroed, whole or an
    element.

    ``zeroed``: names the scan saw zeroed (``self->x = 0`` in a body), which the checks see zeroed
    too (their zero is the literal's and more): neither answer can hold them, so only the
    clauses naming the others are gathered, and none when every one is zeroed somewhere (the
    usual entry/return pairs)."""
    from dtracepy.checks.lifecycle import leaks, plain_leaks

    asked = [name for name in found.mentioned if name not in zeroed]
    if not asked:
        return {}, set()
    mentioned = found.mentioned
    holding = {i for name in asked for i in mentioned[name]}
    # (the usual clauses, no predicate and leaf assignments: both answers in one pass, without
    # the checks' context, for the same clauses)
    plain = plain_leaks(found.clauses, holding)
    if plain is not None:
        leaking, unzeroed = plain
        return ({n: entry for n, entry in leaking.items() if n not in zeroed},
                {n for n in unzeroed if n not in zeroed})
    ctx, uses = _lifecycle(program, holding)
    # (a zeroed name may be named in those clauses too: its uses there are not all of them)
    return ({n: entry for n, entry in leaks(ctx).items() if n not in zeroed},
            # (assigned, and neither zeroed nor partly: written or updated, without the property's call)
            {n for n, u in uses.items() if not u.zeros and not u.partials and (u.writes or u.updates)
             and n not in zeroed})


def faithful_plan(program: tree.Program) -> Plan:
    """What ``--exact`` adds to the module: ``t.keep(self.x)`` for each thread-local the original
    sets at an ``:entry`` and never zeroes (which ``self-leak`` would refuse when the module is
    compiled), with a comment saying so.  ``t.keep`` adds nothing to the D (the cleanup is off):
    it says the leak is the original's, kept as it was, so the module compiles back to the same D.
    The program's scan goes with the plan, for the writer."""
    from dtracepy.checks.lifecycle import leaks

    plan = Plan(scan=scan(program))
    found = plan.scan
    zeroed = {name for _clause, name, kind in found.events if kind == ZERO}
    if not _check_leaks(program, found, zeroed)[0]:
        return plan  # (no leak: nothing to keep, and no typo to look for)
    # the typos are looked for among all the thread-locals: each one's uses, from every clause
    ctx, uses = _lifecycle(program, {i for where in found.mentioned.values() for i in where})
    set_names = {n for n, u in uses.items() if u.assigned}
    never_set = sorted(n for n, u in uses.items() if u.zeros and not u.assigned)
    for name, entry in leaks(ctx).items():    # the self-leak check's, as lifecycle.run finds them
        plan.keeps.append(name)
        typo = difflib.get_close_matches(name, [n for n in never_set if n not in set_names], n=1, cutoff=0.7)
        also = f" (it zeroes self->{typo[0]}, which is never set: a typo)" if typo else ""
        plan.notes.append(f"# Leak in the original: self->{name} is set at {entry} and never "
                          f"zeroed{also}; t.keep(self.{name}) says so, and keeps the D as it was.")
    return plan
