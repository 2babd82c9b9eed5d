"""Safety: destructive actions without the destructive option; malformed probe descriptions."""

from __future__ import annotations


from dtracepy import tree as t
from dtracepy.checks.context import stmt_exprs
from dtracepy.facts import functions as Fn
from dtracepy.facts import probes, providers


def run(ctx):
    yield from _destructive(ctx)
    yield from _pragmas(ctx)
    called = set(ctx.call_names)
    if "speculate" in called or "commit" in called:  # else no clause has anything to say
        # (what _speculation says of a clause depends on its calls' names alone, their nodes only
        # place its findings: a sequence of names it found nothing in is not judged again)
        quiet: set = set()
        for clause in ctx.clauses:
            calls = _statement_calls(clause)
            if calls:
                names = tuple([name for name, _ in calls])
                if names in quiet:
                    continue
                found = list(_speculation(ctx, calls))
                if found:
                    yield from found
                elif len(quiet) < 4096:
                    quiet.add(names)
    if "strlen" in called and ctx.options.dialect.strlen_corrupts_aggregations:
        pending: dict = {}  # probe description text -> a strlen() an earlier clause of it ran
        for clause in ctx.clauses:
            shared = next((desc.text for desc in clause.probes if desc.text in pending), None)
            earlier = pending[shared] if shared is not None else None
            found, first = _strlen_then_aggregation(ctx, clause, earlier, shared)
            if found is not None:
                yield found
                pending = {text: node for text, node in pending.items() if node is not first}
            elif first is not None and first is not earlier and clause.predicate is None:
                for desc in clause.probes:
                    pending.setdefault(desc.text, first)
    judged: dict[str, tuple] = {}  # description text -> its three answers (scripts repeat descriptions)
    fine: set = set()  # (see _judged)
    special = probes.SPECIAL_PROBES
    for clause in ctx.clauses:
        for desc in clause.probes:
            text = desc.text
            parts = text.split(":")  # (_judged's first step, here: the usual description stops here)
            if len(parts) == 4 and (parts[0], parts[1], parts[3]) in fine:
                function = parts[2]
                if (function.isidentifier() or (function.split() == [function] and "[" not in function)) \
                        and function not in special:
                    continue
            answers = judged.get(text)
            if answers is None:
                answers = judged[text] = _judged(text, fine)
            problem = answers[0]
            if problem:
                yield ctx.finding("probe-desc", desc, f"probe description {desc.text!r}: {problem}",
                                  fallback=clause)
                continue
            problem = answers[1]
            if problem:
                yield ctx.finding("probe-name", desc, f"probe description {desc.text!r}: {problem}",
                                  fallback=clause)
            elif answers[2]:
                yield ctx.finding("probe-name", desc, f"probe description {desc.text!r}: {answers[2]}",
                                  severity="warning", fallback=clause)


_FINE = (None, None, None)


def _judged(text: str, fine: set) -> tuple:
    """What the ``probe-desc`` and ``probe-name`` checks say of ``text``: why it can match no probe
    (:func:`probe_desc_problem`), else why it names a probe or provider that does not exist
    (:func:`dtracepy.facts.providers.problem`), else why its provider is known nowhere, or its bare
    name is a profile probe's in other capitals (warnings: :func:`~dtracepy.facts.providers.unknown_provider`,
    :func:`~dtracepy.facts.probes.case_warning`); ``_FINE`` when none.

    A script of many clauses names many functions of one provider (``fbt::f1:entry``,
    ``fbt::f2:entry`` ...).  Of a four-field description whose function field is not empty, holds
    no white space and is no probe name of the dtrace provider (``BEGIN``), none of the three reads
    more than that: they read the provider, module and name, the text's white space and number of
    fields, and write the function only into a message.  So a description found fine answers for
    every other with the same provider, module and name and such a function (the three cost some
    12,000 instructions a description, a fifth of the checks of 100,000 clauses).  ``fine``: the
    (provider, module, name) of the descriptions of the program found fine so far."""
    parts = text.split(":")
    shape = None
    if len(parts) == 4:
        function = parts[2]
        # (str.split's white space is re's \s, which probes.problem looks for)
        if function.split() == [function] and function not in probes.SPECIAL_PROBES and "[" not in function:
            shape = (parts[0], parts[1], parts[3])
            if shape in fine:
                return _FINE
    problem = probe_desc_problem(text)
    if problem:
        answers = (problem, None, None)
    else:
        problem = providers.problem(text)
        answers = (None, problem, None) if problem else (
            None, None, providers.unknown_provider(text) or probes.case_warning(text)
            or providers.special_probe_warning(text))
    if shape is not None and answers == _FINE:
        fine.add(shape)
    return answers


def destructive_allowed(ctx) -> bool:
    """Are destructive actions allowed: ``check -w``, else the last word of the script on it, as
    dtrace reads them in order (the ``#!`` line's ``-w`` and ``-x destructive[=v]``, then each
    ``#pragma D option destructive[=v]``; ``=no``, ``=off``, ``=false`` turn it off, ``=0`` on:
    :func:`dtracepy.facts.options.toggle_on`)."""
    if ctx.options.destructive:
        return True
    if "destructive" not in ctx.options_set:
        return "w" in ctx.shebang_flags
    from dtracepy.facts.options import toggle_on

    on = False
    for letter, value in ctx.shebang_flag_values:  # in order: `-w -x destructive=no` is off
        if letter == "w":
            on = True
        elif letter == "x" and value is not None and value.partition("=")[0] == "destructive":
            name, eq, setting = value.partition("=")
            on = toggle_on(setting if eq else None)
    for pragma in ctx.pragmas:
        words = pragma.words
        if len(words) >= 3 and words[0] == "D" and words[1] == "option":  # (more words: the pragma check says)
            name, eq, setting = words[2].partition("=")
            if name == "destructive":
                on = toggle_on(setting if eq else None)
    return on


def _destructive(ctx):
    if destructive_allowed(ctx):
        yield from _destructive_after_cpp(ctx, allowed=True)
        return
    fix = ("add #pragma D option destructive (or run dtrace -w)" if "destructive" not in ctx.options_set
           else "the script's last destructive option turns it off (=no, =off, =false, =unset or = "
                "are off to dtrace): write #pragma D option destructive")
    from dtracepy.checks.names import macro_designator

    for node, name in zip(ctx.of(t.Call), ctx.call_names):
        if name in Fn.DESTRUCTIVE:
            yield ctx.finding("destructive", node, f"{name}() is a destructive action: {fix}")
        elif name is None and macro_designator(node.callee):
            # dtrace reads $1 holding a name as that identifier: `dtrace -s x.d system` calls system()
            yield ctx.finding(
                "destructive", node,
                f"{node.callee.name}(...) calls the function its macro argument names, which may be a "
                f"destructive action (given system, it is system()): call the function by its name, or "
                f"{fix}")
    yield from _destructive_after_cpp(ctx, allowed=False)


#: The directives whose effect only the C preprocessor's expansion shows: a ``#define`` can spell
#: a destructive action under another name, and ``#error`` stops dtrace -C where it is reached.
_EXPANDED = ("define", "error")


def _destructive_after_cpp(ctx, allowed: bool):
    """A ``#define`` can spell a destructive action under another name (``#define trace system``,
    or by pasting tokens): when the program defines macros (or has an ``#error``), look again at
    it as ``dtrace -C`` would expand it (``CheckOptions.expand``, which the commands that run the
    checks hand them: :func:`dtracepy.parser.expanded`; none given, no second look).  Found calls
    are reported at the program's first ``#define``.  An expansion that fails (an ``#error``
    reached, an ``#if`` or header dtracepy's preprocessor cannot read) is an error too, never a
    silent pass: the program cannot be shown free of hidden destructive actions.  Quoted headers
    are read from the ``-I`` directories (the ``#!`` line's, then ``check -I``'s), never beside the
    script: dtrace -C gives cpp the script through /dev/stdin (system headers are kept unread, as
    everywhere in dtracepy)."""
    triggers = [item for item in ctx.items_of(t.Directive) if item.name in _EXPANDED]
    if not triggers or (allowed and not any(item.name == "error" for item in triggers)):
        return  # (destructive actions allowed: only an #error reached is left to find)
    expand = ctx.options.expand
    if expand is None:
        return
    from dtracepy.facts.command_line import preprocessing

    shebang_dirs = [d for item in ctx.items_of(t.Shebang) for d in preprocessing("#!" + item.text)[2]]
    expanded, failure = expand(ctx.program, [*shebang_dirs, *ctx.options.include_dirs],
                               getattr(ctx.first_pos, "file", None))
    if failure is not None:
        yield _expansion_failed(ctx, failure, triggers)
        return
    called = sorted({node.name for node in expanded.walk()
                     if isinstance(node, t.Call) and node.name in Fn.DESTRUCTIVE})
    direct = set(ctx.call_names)
    hidden = [name for name in called if name not in direct]
    defines = [item for item in triggers if item.name == "define"]
    if hidden and defines and not allowed:
        names = ", ".join(f"{name}()" for name in hidden)
        yield ctx.finding(
            "destructive", defines[0],
            f"after C preprocessing the program calls {names}, a destructive action spelled "
            f"through #define: add #pragma D option destructive (or run dtrace -w)")


def _expansion_failed(ctx, failure, triggers):
    """The finding for an expansion that failed (``failure``: :func:`dtracepy.parser.expanded`'s):
    at the directive it failed on when that is one of the program's own lines, else at the first
    ``#define`` or ``#error``."""
    item, where, message = failure
    node = item if item is not None else triggers[0]
    if message.startswith("#error"):
        if where:   # (a header's #error: only cpp reads headers)
            return ctx.finding("destructive", node, f"the C preprocessor stops at {message}{where}, and "
                               "dtrace -C refuses the script there", fallback=triggers[0])
        return ctx.finding("destructive", node, f"dtrace stops at {message}: it refuses the script there, "
                           "with or without -C (it reads #error itself: \"#error: ...\")", fallback=triggers[0])
    return ctx.finding(
        "destructive", node,
        f"the C preprocessor (as dtrace -C runs it) fails here{where}: {message}; dtracepy expands "
        "a program that has #define to find destructive actions spelled through a macro, so it "
        "cannot show this one free of them", fallback=triggers[0])


def _pragmas(ctx):
    from dtracepy.facts import options

    # Any dialect's options pass here unless the dialect was chosen (check --dialect; the DSL
    # holds a tracer to its own dialect's): a script may be written for another platform.
    dialect = ctx.options.dialect.name if ctx.options.dialect_given else None
    yield from _line_directives(ctx)
    for pragma in ctx.pragmas:
        problem = options.pragma_problem(pragma.words, dialect) or _attributes_target(ctx, pragma)
        if problem:
            yield ctx.finding("pragma", pragma, problem)
        elif pragma.words[1:2] == ("option",) and len(pragma.words) == 3:
            yield from _option_values(ctx, pragma, dialect)
        elif options.crashing_pragma(pragma.words):
            # an error for the dialect whose compiler crashes; a warning when none was chosen
            if dialect is None:
                yield ctx.finding("pragma", pragma, options.CRASHING_PRAGMA, severity="warning")
            elif ctx.options.dialect.crashes_on_provider_attributes:
                yield ctx.finding("pragma", pragma, options.CRASHING_PRAGMA)


def _line_directives(ctx):
    """A ``#line`` or line marker (``# 12 "file"``) dtrace refuses: :func:`dtracepy.facts.options.line_problem`."""
    from dtracepy.facts import options

    directives = ctx.items_of(t.Directive)
    # run through cpp (a -C #! line, or a directive only cpp reads), the C preprocessor reads #line
    # first, by rules of its own (check -C leaves none to find; a tracer's #! line says -C then)
    cpp = "C" in ctx.shebang_flags or t.needs_cpp(directives)
    # (what is said of a line depends on its name and text alone: each said once, for a script of
    # 500,000 `#line 5` lines; bounded, as what a long-lived process keeps)
    said: dict = {}
    for item in directives:
        if item.name != "line" and item.name != "":  # (none other is judged here: 190,000 `#define`s)
            continue
        key = (item.name, item.text)
        problem = said.get(key, _UNSAID)
        if problem is _UNSAID:
            problem = None
            if item.name == "line" or item.name == "" and item.text[:1].isdigit() and not cpp:
                problem = options.line_problem(options.line_words(item.text), "#line" if item.name else "a line marker (#)", cpp)
            if len(said) < 4096:
                said[key] = problem
        if problem:
            yield ctx.finding("pragma", item, problem)


_UNSAID = object()  # (see _line_directives)


def _option_values(ctx, pragma, dialect):
    """An option value a dialect's dtrace refuses (``strsize=1`` in Oracle's D: an error for that
    dialect, a warning when none was chosen) or cannot run with (a bare ``bufsize``: a warning,
    since ``dtrace -e`` takes it)."""
    from dtracepy.facts import options

    name, eq, value = pragma.words[2].partition("=")
    value = value if eq else None
    for other in sorted(options.PROGRAM_REFUSED):
        if dialect is None or dialect == other:
            problem = options.program_refused_problem(name, other)
            if problem:
                yield ctx.finding("pragma", pragma, problem, severity="error" if dialect else "warning")
                return
    for other in sorted(options.LEAST_SIZES):
        if dialect is None or dialect == other:
            problem = options.least_size_problem(name, value, other)
            if problem:
                yield ctx.finding("pragma", pragma, problem, severity="error" if dialect else "warning")
                return
    for other in sorted(set(options.VERSIONS) | set(options.REGISTER_COUNTS)):
        if dialect is None or dialect == other:
            problem = options.dialect_value_problem(name, value, other)
            if problem:
                yield ctx.finding("pragma", pragma, problem, severity="error" if dialect else "warning")
                return
    for other in sorted(options.UNRUNNABLE_ZERO):
        if dialect is None or dialect == other:
            problem = options.unrunnable_problem(name, value, other)
            if problem:
                yield ctx.finding("pragma", pragma, problem, severity="warning")
                return


def _attributes_target(ctx, pragma):
    """:func:`dtracepy.facts.options.attributes_target_problem` of a ``#pragma D attributes`` or
    ``binding`` line; not under the C preprocessor (a header may declare the name)."""
    if pragma.words[1:2] not in (("attributes",), ("binding",)) or ctx.uses_cpp:
        return None
    from dtracepy.checks.lifecycle import declarator_name
    from dtracepy.facts import functions, options, variables

    declared = {declarator_name(item.declarator) for item in ctx.items_of(t.Inline)}
    for item in ctx.items_of(t.Declaration):
        if not {"self", "this", "typedef"} & set(item.specifiers):
            declared.update(declarator_name(decl) for decl in item.declarators)
    declared.update(node.name for node in ctx.of(t.Enumerator))
    items = ctx.program.items
    at = next((i for i, item in enumerate(items) if item is pragma), len(items))  # (not ==: equal pragmas)
    if any(item.__class__ is t.Translator for item in items[at + 1:]):
        # (the libraries' "#pragma D binding "1.0" translator": a pending pragma of that name is
        # taken by the next translator declared; none below it leaves it unused)
        declared.add("translator")
    return options.attributes_target_problem(
        pragma.words, declared, lambda name: name in variables.KNOWN_NAMES or name in functions.TABLE)


def probe_desc_problem(text: str) -> str | None:
    """Why a probe description is malformed or can match no probe (:func:`dtracepy.facts.probes.problem`)."""
    return probes.problem(text)


def _statement_calls(clause) -> list:
    """(name, node) for each top-level action call or aggregation of a clause body, in order."""
    body = clause.body
    if not body:
        return []
    ExprStmt = t.ExprStmt
    for stmt in body:
        if stmt.__class__ is not ExprStmt:
            exprs = [expr for expr, _guarded in stmt_exprs(body)]
            break
    else:  # (the usual body, statements alone: their expressions, as stmt_exprs gives them)
        exprs = [stmt.expr for stmt in body]
    out = []
    Call, Assign, AggVar, Index = t.Call, t.Assign, t.AggVar, t.Index
    for expr in exprs:
        if isinstance(expr, Call):
            name = expr.name
            if name is not None:
                out.append((name, expr))
        elif isinstance(expr, Assign) and (
                isinstance(expr.target, AggVar)
                or (isinstance(expr.target, Index) and isinstance(expr.target.base, AggVar))):
            out.append(("@", expr))
    return out


#: A string strlen() may take without harm: shorter than 18 bytes (execname: 15 at most).
_SHORT_STRINGS = frozenset(("execname",))


def _long_strlen(node) -> bool:
    """Is ``node`` a strlen() call whose string may hold 18 bytes or more?"""
    if node.__class__ is not t.Call or node.name != "strlen" or len(node.args) != 1:
        return False
    arg = node.args[0]
    if arg.__class__ is t.StringLit:
        return len(arg.value.encode("utf-8", "surrogateescape")) >= 18
    return not (arg.__class__ is t.Ident and arg.module is None and arg.name in _SHORT_STRINGS)


def _strlen_then_aggregation(ctx, clause, earlier=None, shared=None):
    """strlen() followed, in the same clause, by an aggregation update (or in its keys:
    ``@a[strlen(s)] = count()``), or ``earlier``'s strlen() (in an earlier clause of one of this
    clause's probe descriptions, without a predicate: clauses of one description run in their order
    in one firing) by an update in this clause: :attr:`dtracepy.facts.dialects.Dialect.strlen_corrupts_aggregations`.
    (the finding or None, the strlen() it is at, or the clause's first such when none, or ``earlier``)."""
    first = earlier
    for expr, _guarded in stmt_exprs(clause.body):
        target = expr.target if expr.__class__ is t.Assign else None
        agg = target if target.__class__ is t.AggVar else target.base if (
            target.__class__ is t.Index and target.base.__class__ is t.AggVar) else None
        if agg is not None and first is None and target.__class__ is t.Index:
            first = next((n for key in target.keys for n in key.walk() if _long_strlen(n)), None)
        if agg is not None and first is not None:
            shown = f"@{agg.name}" if agg.name else "@"
            where = "here" if first is not earlier else (
                f"in a later clause of {shared}, which runs in the same firing")
            return ctx.finding("strlen-aggregation", first, (
                f"{ctx.options.dialect.title}: strlen() of a string of 18 bytes or more corrupts every "
                f"aggregation updated after it ({shown} {where}; with dtrace -s a count() of 1 printed "
                f"8752877226454971251; later clauses and firings too): take the length with rindex(s, \"\") "
                f"instead, or update the aggregations first"), fallback=clause), first
        if first is None:
            first = next((n for n in expr.walk() if _long_strlen(n)), None)
    return None, first


def _speculation(ctx, calls):
    """D's rules for speculative clauses: speculate() first and once, then no aggregation,
    destructive action or exit(); commit() not with data-recording actions (an aggregation and
    exit() among them), nor before speculate().  A clause may speculate() and then commit() or
    discard() (Oracle's dtrace 2.0 compiles and runs it, and no D compiler's clause flags refuse it).
    ``calls``: the clause's :func:`_statement_calls`."""
    names = [name for name, _ in calls]
    if "speculate" in names:
        seen_speculate = False
        for name, node in calls:
            if name == "speculate":
                if seen_speculate:
                    yield ctx.finding("speculation", node, "a clause may call speculate() only once")
                seen_speculate = True
            elif not seen_speculate and (name == "@" or name in Fn.SPECULATE_NOT_AFTER):
                shown = "an aggregation" if name == "@" else f"{name}()"
                yield ctx.finding("speculation", node,
                                  f"{shown} records data before speculate(); speculate() must come first")
            elif not seen_speculate:
                continue
            elif name == "@":
                yield ctx.finding("speculation", node, "a speculative clause may not aggregate")
            elif name in Fn.DESTRUCTIVE or name == "exit":
                yield ctx.finding("speculation", node, f"a speculative clause may not call {name}()")
    if "commit" in names:
        seen_commit = seen_speculate = False
        for name, node in calls:
            if name == "commit":
                seen_commit = True
            elif name == "speculate":
                if seen_commit:
                    yield ctx.finding("speculation", node, "speculate() may not follow commit()")
                seen_speculate = True
            elif name in Fn.RECORDS_DATA or (name in ("@", "exit") and not seen_speculate):
                # (after speculate(), "@" and exit() are refused above already)
                shown = "an aggregation" if name == "@" else f"{name}()"
                yield ctx.finding("speculation", node,
                                  f"a clause that calls commit() may not record data with {shown}")
