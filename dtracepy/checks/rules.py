"""What every D compiler refuses in a program: the rules family of the checks.

The DSL builds whatever Python says; some of it is no D a real ``dtrace`` takes, and a D file may
hold the same.  The compiler (:func:`dtracepy.compiler.compile_tracer`, through
:mod:`dtracepy.compiler_rules`) calls :func:`refusals` on a tracer's own items (before the passes
add anything), and each refusal becomes an error at the user's Python line, so no entry point of
the DSL needs to know these rules; ``dtracepy check`` runs them on a D file (:func:`run`), each an
error at its ``file:line:col``:

* ``assigned-read-only``: assigning a built-in variable, a library variable or constant
  (``execname = ...``, ``pid++``, ``curpsinfo->pr_pid = 1``);
* ``aggregation-value``: an aggregating function (``count()``) anywhere but as the value assigned
  to an aggregation, or an aggregation anywhere but assigned or given to ``printa``, ``clear``,
  ``trunc``, ``normalize``, ``denormalize``;
* ``constant-argument``: an argument that must be an integer constant in a range
  (``stack(-1)``, ``ustack(arg0)``, ``lquantize(x, 10, 0)``): :mod:`dtracepy.facts.functions`;
* ``used-before-assigned``: D types a variable at its first assignment or declaration in the
  program text, so a read, or a compound assignment (``+=``), of a variable no earlier text
  assigns or declares is refused ("has not yet been declared or assigned"), even if a later
  clause assigns it; ``x++`` may come first (it makes an int);
* ``empty-program``: a tracer with no clause (dtrace: "empty D program translation unit");
* ``argument-type``: an argument of a kind the function's prototype does not take
  (``strlen(12)``, ``htons("a")``: :data:`dtracepy.facts.functions.ARGUMENT_KINDS`);
* ``inline-type``: an inline whose value is of another kind than its type (``inline int f =
  "text";``).

For a D file, an aggregation or clause-local counts as above; a global is a name the program
assigns somewhere (``x = ...``, ``x[k] = ...``, ``x++``), not a built-in: a name nothing assigns may
be a kernel variable or an enumerator dtracepy cannot see (``undefined-name`` warns of it), but a
name the program assigns is no kernel variable (dtrace refuses to assign one), so reading it above
its first assignment is refused.  With the C preprocessor, globals are not judged (a macro may
stand for anything).

The facts come from the facts modules; this module only walks the tree.
"""

from __future__ import annotations

from operator import attrgetter, is_

from dtracepy import tree as t
from dtracepy.checks import Finding
from dtracepy.checks.assignments import Assignments
from dtracepy.checks.context import _LEAVES, Access, Context, accesses, clause_accesses, is_zero, stmt_exprs
from dtracepy.checks.printf import kind as _kind
from dtracepy.facts import conversions as C
from dtracepy.facts import functions as Fn
from dtracepy.facts import variables as V
from dtracepy.facts.keywords import INTEGER_TYPE_WORDS


class _Words:
    """How a refusal names things and says what to do: in the DSL's terms for a tracer, in D's
    for a D file."""

    def __init__(self, dsl: bool, shown=None):
        self.dsl = dsl
        self.shown = shown or _shown_plain
        self.add_clause = "add one with @t.probe(...)" if dsl else "add one"
        self.own_variable = "this.x, self.x, glob.x" if dsl else "this->x, self->x, a global"
        self.aggregate = "agg.name[keys] = count()" if dsl else "@name[keys] = count()"

    def declare(self, prefix: str, name: str) -> str:
        if self.dsl:
            return "declare it with t.declare(...) before the clauses"
        scope = {"self->": "self ", "this->": "this "}.get(prefix, "")
        return f"declare it above this clause ({scope}int {name};)"


def refusals(items, dialect, pos=None, includes=(), passed=None, *, shown=None,
             hand_written=False, judge_globals=True, of=None, per_clause=None,
             call_names=None, assignments=None, passed_context=None) -> list[Finding]:
    """The errors in a tracer's items (``tracer.items``, in order); ``pos`` locates those that
    belong to no node (an empty program: the tracer's line).  A program that ``#include``s a
    header (``includes``) may get its clauses there, so it is never called empty.  ``passed``:
    the program's items after the passes, in the order dtrace reads them (Oracle's D gets an
    ``if_`` as predicated clauses that evaluate every condition first), where a variable must be
    assigned above its uses (``items`` when not given).  ``shown(node)``: the text a message
    shows for a node (the compiler prints it as D; plain names otherwise).  ``hand_written``:
    the items are a D file's (see the module docstring: which names are globals; messages in
    D's terms), not a tracer's; ``judge_globals=False``: its globals are not judged (it uses the
    C preprocessor).  ``of(cls)`` (the nodes of a class, in walk order) and ``per_clause(cls)``
    (:func:`~dtracepy.checks.context.clause_accesses` of each clause) come from the checks'
    :class:`~dtracepy.checks.context.Context` for a D file; made here otherwise, as is
    ``call_names`` (``node.name`` of each node of ``of(t.Call)``) and ``assignments`` (an
    :class:`~dtracepy.checks.assignments.Assignments` of ``of(t.Assign)``).  ``passed_context``:
    the checks' context of the program whose items are ``passed`` (the compiler's), read for
    ``passed`` and, where the passes kept the tracer's items as they were, for ``items`` too."""
    words = _Words(not hand_written, shown)
    found: list[Finding] = []
    if not includes and not any(isinstance(item, (t.Clause, t.Inline, t.Translator, t.Provider)) or (
            isinstance(item, t.Directive) and item.name == "include") for item in items):
        if words.dsl:
            found.append(_finding("empty-program", pos,
                                  "the tracer has no probe clause, and dtrace refuses a program without "
                                  "one (\"empty D program translation unit\"): add one with @t.probe(...)"))
        elif any(isinstance(item, t.Declaration) for item in items):
            # declarations alone: a D library (dtrace -L reads those), or a script missing its clauses
            found.append(Finding("warning", "the program declares but has no probe clause: as a D "
                                 "library (dtrace -L DIR) that is fine, but dtrace -s refuses it (\"empty "
                                 "D program translation unit\")", "empty-program", pos))
        else:
            found.append(_finding("empty-program", pos,
                                  "the program has no probe clause, and dtrace refuses a program without "
                                  "one (\"empty D program translation unit\"; #pragma D option empty "
                                  "allows it)"))
    inlines = []
    for item in items:
        if item.__class__ is t.Inline:
            found += _inline_type(item, words)
            inlines.append(item)
    if of is None and passed_context is not None:
        of = _tail_index(items, passed, passed_context.of)
    if of is None:
        of = _index(items)
    if assignments is None:
        assignments = Assignments(of(t.Assign))
    found += _calls_and_aggregations(of, dialect, words, call_names, assignments)
    Ident = t.Ident
    writable: set = set()  # (names _read_only found writable: each asked once, not once an assignment)
    plain = assignments.plain_target_names
    for cls in (t.Assign, t.Unary, t.Postfix):
        if cls is t.Assign and plain is not None and not any(_is_read_only(name, dialect, words) for name in plain):
            continue  # (every target a name D lets a program assign: told without a loop over them)
        if cls is t.Assign and assignments.target_classes <= _OWN_VARIABLES:
            continue  # (every target a variable of the program's own, never read-only: told so too)
        for node in of(cls):
            if cls is t.Assign or node.op in ("++", "--"):
                target = node.target if cls is t.Assign else node.operand
                if target.__class__ not in _LVALUES and not (target.__class__ is t.Unary and target.op == "*"):
                    found.append(_finding("assigned-read-only", node.pos or target.pos,
                                          f"{words.shown(target)} is no variable: D assigns ({node.op}) only "
                                          "a variable, a member or an element (dtrace: \"operator "
                                          f"{node.op} requires modifiable lvalue as an operand\")"))
                    continue
                # only an identifier can be read-only (the usual target is not one: told here)
                root = target
                if root.__class__ is not Ident:  # (a name is its own root: no call for it)
                    root = _root(root)
                if root.__class__ is Ident and root.module is None and root.name not in writable:
                    refused = _read_only(node, root, dialect, words)
                    if refused:
                        found += refused
                    else:
                        writable.add(root.name)
    if inlines:
        found += _inline_assignments(inlines, of, words)
    from dtracepy.checks.operands import scalar_dereferences, scalar_indexes, whole_arrays

    found += [_finding("array-use", node.pos, message)
              for node, message in scalar_indexes(of, shown, variables=judge_globals)]
    found += [_finding("operand-type", node.pos, message)
              for node, message in scalar_dereferences(of, shown, variables=judge_globals)]
    if judge_globals:  # (under cpp a macro may stand for anything, as scalar_indexes says)
        found += [_finding("array-use", node.pos, message)
                  for node, message in whole_arrays(items, of, dialect, shown,
                                                             never_whole_globals=not hand_written,
                                                             assignments=assignments)]
    found += _untyped_arguments(items, of, dialect)
    found += _translated_whole(items, of, dialect, words)
    if passed_context is not None:
        of, per_clause = passed_context.of, passed_context.clause_accesses
    elif passed is not None:
        of = _index(passed)
    clauses = [item for item in (items if passed is None else passed) if isinstance(item, t.Clause)]
    if per_clause is None:
        cache: dict = {}

        def per_clause(cls):
            if cls not in cache:
                cache[cls] = [clause_accesses(clause, cls) for clause in clauses]
            return cache[cls]
    if passed_context is not None:
        assignments = passed_context.assignments
    elif passed is not None:
        assignments = Assignments(of(t.Assign))
    found += _defined_below(items, of)
    found += _used_before_assigned(items if passed is None else passed, of, per_clause, words,
                                   None if not hand_written
                                   else _assigned_globals(of, dialect, assignments) if judge_globals else set(),
                                   assignments)
    found.sort(key=_place)
    return found


def _place(finding):
    pos = finding.pos
    return (0, pos.line, pos.col or 0) if pos is not None else (1, 0, 0)


def _index(items):
    """``of(cls)``: the nodes of class ``cls`` in ``items``, in the order of a walk (one walk: the
    checks' index of a program of them, :class:`~dtracepy.checks.context.Context`'s, which takes
    the common nodes apart without ``Node.walk``'s generator step for each)."""
    return Context(t.Program(tuple(items)), None).of


def _tail_index(items, passed, of_passed):
    """``of(cls)`` for ``items`` read from ``of_passed``, the index of ``passed``, when ``passed``
    ends with ``items`` themselves (the passes changed none of them and added only the prologue
    before them): the nodes of ``cls`` in ``passed`` past those of the prologue.  None otherwise.
    (``compile`` walked the tracer's items, then the program after the passes, then the program
    again for the checks: the same nodes each time for ``import --exact``'s modules.)"""
    if passed is None:
        return None
    items, passed = tuple(items), tuple(passed)
    extra = len(passed) - len(items)
    if extra < 0 or not all(map(is_, items, passed[extra:])):
        return None
    if not extra:
        return of_passed
    before = _index(passed[:extra])   # (the prologue: a few items)
    sliced: dict = {}

    def of(cls):
        found = sliced.get(cls)
        if found is None:
            skip = len(before(cls))
            found = sliced[cls] = of_passed(cls)[skip:] if skip else of_passed(cls)
        return found
    return of


def run(ctx):
    """The rules on a D file (``dtracepy check``; a tracer gets them from the compiler), reading
    the checks' index of the tree and their per-clause accesses (no walk of its own)."""
    if ctx.options.compiling:
        return
    includes = ("",) if ctx.uses_cpp or "empty" in ctx.options_set else ()  # (a header may hold the clauses)
    yield from refusals(ctx.program.items, ctx.options.dialect, ctx.first_pos, includes,
                        hand_written=True, judge_globals=not ctx.uses_cpp, of=ctx.of,
                        per_clause=ctx.clause_accesses, call_names=ctx.call_names,
                        assignments=ctx.assignments)
    from dtracepy.checks import declarations, hidden, keys, operands, parser_stack, preprocessor

    yield from preprocessor.run(ctx)
    yield from hidden.run(ctx)
    yield from declarations.run(ctx)
    yield from operands.run(ctx)
    yield from keys.run(ctx)
    if ctx.of(t.StructSpec) and not ctx.uses_cpp:  # (its module read only for a program defining a struct)
        from dtracepy.checks import members

        yield from members.run(ctx)
    yield from parser_stack.run(ctx)
    yield from parser_stack.dereferences(ctx)


def _finding(check: str, pos, message: str) -> Finding:
    return Finding("error", message, check, pos)


_PREFIXES = {t.SelfVar: "self->", t.ThisVar: "this->", t.AggVar: "@"}


def _shown_plain(node) -> str:
    """A short name for the lvalue ``node`` (no printer here: the checks do not import one)."""
    if isinstance(node, t.Ident):
        return node.name if node.module is None else f"{node.module}`{node.name}"
    prefix = _PREFIXES.get(node.__class__)
    if prefix is not None:
        return prefix + node.name
    if isinstance(node, t.Member):
        return f"{_shown_plain(node.base)}{node.op}{node.name}"
    if isinstance(node, t.Index):
        return f"{_shown_plain(node.base)}[...]"
    if isinstance(node, t.Assign):
        return f"{_shown_plain(node.target)} {node.op} ..."
    return "this expression"


# --- a named constant used above its definition -------------------------------------------------

def _defined_below(items, of) -> list:
    """used-before-assigned: an enumerator named above its enum (in a clause, dtrace: "enumerator
    'A' may not be referenced as scalar"; in a declaration, "failed to resolve A"), or an inline
    named above its definition in a declaration: another inline's value, an enumerator's, an array's
    dimension ("failed to resolve N: Unknown variable name").  dtrace reads a declaration's
    constants as it meets it, and a clause once the whole program is read: an inline named in a
    clause above it is fine, but an enumerator there was read as a variable before its enum made
    it a constant.  Only the items above the last that defines one are walked."""
    enumerators, inlines = of(t.Enumerator), of(t.Inline)
    if not enumerators and not inlines:
        return []
    kinds = {decl.name: "inline" for item in inlines for decl in (item.declarator,) if decl.__class__ is t.NameDecl}
    kinds.update((node.name, "enumerator") for node in enumerators)
    last = -1
    for index, item in enumerate(items):
        cls = item.__class__
        if (cls is t.Inline and item.declarator.__class__ is t.NameDecl) or (
                cls is t.Declaration and enumerators and any(n.__class__ is t.Enumerator for n in item.walk())):
            last = index
    defined: set = set()
    reported: set = set()
    out = []
    for item in items[:last + 1]:
        cls = item.__class__
        if cls is not t.Clause and cls is not t.Inline and cls is not t.Declaration:
            continue
        in_clause = cls is t.Clause
        stack = [item]
        while stack:
            node = stack.pop()
            kind = node.__class__
            if kind is t.Ident:
                name = node.name
                what = kinds.get(name)
                if what is None or name in defined or name in reported or node.module is not None or (
                        in_clause and what == "inline"):
                    continue
                reported.add(name)
                said = (f"enumerator '{name}' may not be referenced as scalar" if in_clause
                        else f"failed to resolve {name}: Unknown variable name")
                where = "a clause" if in_clause else "a declaration"
                if cls is t.Inline and item.declarator.__class__ is t.NameDecl and item.declarator.name == name:
                    message = (f"inline {name} is named in its own value, which D reads before it knows "
                               f"{name} (dtrace: \"{said}\")")
                else:
                    message = (f"{name} is {'an enumerator' if what == 'enumerator' else 'an inline'} "
                               f"defined below its use here, in {where}, which D reads before it knows "
                               f"{name} (dtrace: \"{said}\"): define it above")
                out.append(_finding("used-before-assigned", node.pos or item.pos, message))
                continue
            if kind is t.Enumerator:  # (named only once its value is read: stacked below it)
                stack.append(_Defines(node.name))
                if node.value is not None:
                    stack.append(node.value)
                continue
            if kind is _Defines:
                defined.add(node.name)
                continue
            if isinstance(node, t.Node):
                stack.extend(reversed(list(node.children())))
        if cls is t.Inline and item.declarator.__class__ is t.NameDecl:
            defined.add(item.declarator.name)
    return out


class _Defines:
    """On :func:`_defined_below`'s stack after an enumerator's value: it is defined from here."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


# --- args[] where the probe has no typed arguments ---------------------------------------------------

def _untyped_arguments(items, of, dialect) -> list:
    """array-use: ``args[i]`` in a clause one of whose descriptions names probes with fewer typed
    arguments than ``i + 1`` (:func:`dtracepy.facts.translated.argument_count`: none at ``BEGIN``,
    ``*:::END``, ``tick-1s``, ``proc:::exec-success``; three at ``sched:::enqueue`` in Oracle's D),
    which D refuses ("index 0 is out of range for :::BEGIN args[ ]"), whatever the other
    descriptions; any ``args[i]`` where a description matches several of the dtrace provider's
    probes (``dtrace:::*``).  Only the clauses that have such a description are walked, and only
    when the program indexes ``args`` at all."""
    if not any(node.base.__class__ is t.Ident and node.base.name == "args" and node.base.module is None
               for node in of(t.Index)):
        return []
    from dtracepy.facts.translated import argument_count

    out = []
    for item in items:
        if item.__class__ is not t.Clause:
            continue
        counts = [(probe.text, count) for probe in item.probes
                  for count in (argument_count(probe.text, dialect.name),) if count is not None]
        if not counts:
            continue
        for root in (item.predicate, *(item.body or ())):
            for node in root.walk() if root is not None else ():
                base = node.base if node.__class__ is t.Index else None
                if base is None or base.__class__ is not t.Ident or base.name != "args" or base.module is not None:
                    continue
                index = _constant(node.keys[0], dialect) if len(node.keys) == 1 else None
                problem = _arguments_problem(counts, index)
                if problem is not None:
                    out.append(_finding("array-use", node.pos or item.pos, problem))
    return out


def _arguments_problem(counts, index) -> str | None:
    """Why ``args[index]`` is refused in a clause of these (description, argument count)s, or None
    (``index``: :func:`_constant`'s value of the index)."""
    from dtracepy.facts.probes import split
    from dtracepy.facts.translated import UNSTABLE

    for description, count in counts:
        shown = ":".join(split(description))  # (as dtrace shows it: BEGIN is :::BEGIN)
        if count == UNSTABLE:
            return (f"args[] cannot be used in a clause of {description}, which matches several of the "
                    "dtrace provider's probes (BEGIN, END, ERROR), none of which has typed arguments "
                    f"(dtrace: \"args[ ] may not be referenced because probe description {shown} "
                    "matches an unstable set of probes\")")
        if index is Fn.NOT_CONSTANT and count == 0:
            said = "args[ ] argument #1 is incompatible with prototype"
        elif index.__class__ is int and not 0 <= index < count:
            said = f"index {index} is out of range for {shown} args[ ]"
        else:
            continue
        if count == 0:
            return (f"args[] has no elements in a clause of {description}: the dtrace provider's "
                    "probes (BEGIN, END, ERROR), the profile provider's (profile-N, tick-N) and some "
                    "stable probes (proc:::exec-success, sched:::on-cpu) have no typed arguments "
                    f"(dtrace: \"{said}\"); profile's arg0 and arg1 (the kernel's and the user's "
                    "program counter) are untyped")
        return (f"args[{index}] is out of range in a clause of {description}, whose probes have "
                f"{count} typed argument{'s' if count > 1 else ''} (args[0] to args[{count - 1}]) "
                f"(dtrace: \"{said}\")")
    return None


# --- a translated value used whole ----------------------------------------------------------------

def _translated_whole(items, of, dialect, words) -> list:
    """array-use: a translated variable (``curpsinfo``), what it points to, an element of a
    translated array (``fds[0]``) or a translated ``args[i]`` of a stable probe given to
    ``trace()``, assigned, or used as a key, where the dialect's compiler refuses that
    (:data:`dtracepy.facts.dialects.WHOLE_REFUSED`, :func:`~dtracepy.facts.translated.translated_arguments`)."""
    from dtracepy.facts.dialects import WHOLE_REFUSED

    refused = WHOLE_REFUSED.get(dialect.name)
    if refused is None:
        return []
    names, arrays = refused
    out = _whole_uses(of, names, arrays, frozenset(), dialect, words)
    if any(node.base.__class__ is t.Ident and node.base.name == "args" for node in of(t.Index)):
        from dtracepy.facts.translated import translated_arguments

        for item in items:
            if item.__class__ is t.Clause:
                indexes = frozenset().union(*(translated_arguments(probe.text, dialect.name) for probe in item.probes))
                if indexes:
                    out += _whole_uses(_index([item]), frozenset(), frozenset(), indexes, dialect, words)
    return out


def _whole_uses(of, names, arrays, arguments, dialect, words) -> list:
    """:func:`_translated_whole`'s findings among the nodes ``of`` gives: ``names`` the translated
    variables, ``arrays`` the translated arrays, ``arguments`` the indexes of translated args[]."""

    def whole(node):
        if node.__class__ is t.Unary and node.op == "*":
            node = node.operand
        if node.__class__ is t.Ident:
            return node.module is None and node.name in names
        if node.__class__ is not t.Index or node.base.__class__ is not t.Ident or node.base.module is not None:
            return False
        if node.base.name == "args":
            key = node.keys[0] if len(node.keys) == 1 else None
            return key.__class__ is t.IntLit and key.value in arguments
        return node.base.name in arrays

    uses = []  # (value, the node that holds it: where a value without a position is, how, dtrace's words)
    for node in of(t.Call):
        if node.callee.__class__ is t.Ident and node.callee.name == "trace" and len(node.args) == 1:
            uses.append((node.args[0], node, "given to trace()", "trace( ) may not be applied to a dynamic expression"))
    for node in of(t.Assign):
        if node.op == "=":
            uses.append((node.value, node, "assigned", "operands have incompatible types: ... = \"pointer to "
                         "translated data\""))
    for node in of(t.Index):
        aggregation = node.base.__class__ is t.AggVar
        if aggregation or node.base.__class__ is t.Ident and node.base.name not in arrays and node.base.name != "args":
            for key in node.keys:
                uses.append((key, node, "used as a key", "translated data expression may not be used as "
                             f"{'aggregation' if aggregation else 'associative array'} index"))
    out = []
    for value, holder, how, said in uses:
        if whole(value):
            out.append(_finding("array-use", value.pos or holder.pos, f"{words.shown(value)} is translated data, which "
                                f"{dialect.title} cannot handle whole: it cannot be {how} (dtrace: \"{said}\"); "
                                "use a member (curpsinfo->pr_pid, fds[0].fi_pathname)"))
    return out


# --- assigning what cannot be assigned ------------------------------------------------------------

def _inline_assignments(inlines, of, words):
    """An inline (or a parameterised inline's element) assigned: dtrace refuses it, "operator =
    requires modifiable lvalue as an operand"; an inline is a name for its expression, no variable."""
    from dtracepy.checks.lifecycle import declarator_name

    names = {declarator_name(item.declarator) for item in inlines}
    out = []
    for cls in (t.Assign, t.Unary, t.Postfix):
        for node in of(cls):
            if cls is not t.Assign and node.op not in ("++", "--"):
                continue
            target = node.target if cls is t.Assign else node.operand
            base = target.base if target.__class__ is t.Index else target
            if base.__class__ is t.Ident and base.module is None and base.name in names:
                out.append(_finding("assigned-read-only", node.pos or target.pos,
                                    f"{words.shown(target)} cannot be assigned ({node.op}): {base.name} is an "
                                    "inline, a name for its expression, not a variable (dtrace: \"operator "
                                    f"{node.op} requires modifiable lvalue as an operand\"); keep the value in "
                                    f"a variable of your own ({words.own_variable})"))
    return out


def _root(node):
    """The variable an lvalue writes into (``x`` of ``x[k].m``, ``curpsinfo`` of
    ``curpsinfo->pr_pid``, ``p`` of ``*p``).  (Node classes are concrete, never subclassed: the
    class is compared, asked once per assignment.)"""
    while True:
        cls = node.__class__
        if cls is t.Index or cls is t.Member:
            node = node.base
        elif cls is t.Cast or (cls is t.Unary and node.op == "*"):
            node = node.operand
        else:
            return node


#: Variables a program makes (``self->x``, ``this->x``, ``@a``): an lvalue, never read-only.
_OWN_VARIABLES = frozenset({t.SelfVar, t.ThisVar, t.AggVar})
#: What D assigns (=, op=, ++, --), with ``*p``: not a constant, a cast, an operator's result
#: (``1 = 2``, ``(x + 1) = 2``, ``x++ ++``: "requires modifiable lvalue as an operand").
_LVALUES = frozenset({t.Ident, t.SelfVar, t.ThisVar, t.AggVar, t.Member, t.Index})


def _portable_constants():
    """The constants the compiler declares for a tracer (``PROT_READ`` ...): read-only in a tracer,
    but a D file may name a global so (no D library defines them)."""
    from dtracepy.facts.translated import PORTABLE_CONSTANTS

    return PORTABLE_CONSTANTS


def _is_read_only(name, dialect, words) -> bool:
    """Is the global ``name`` one a program may not assign (see :func:`_read_only`)?"""
    return V.read_only(name, dialect.variables, dialect.name) or (words.dsl and name in _portable_constants())


def _read_only(node, root, dialect, words):
    """``node`` assigns the identifier ``root`` (its :func:`_root`, without a module)."""
    target = node.target if node.__class__ is t.Assign else node.operand
    name = root.name
    if _is_read_only(name, dialect, words):
        what = ("a constant" if name.isupper() else "a built-in variable" if name in dialect.variables
                else "a variable of D's libraries")
        op = node.op
        return [_finding("assigned-read-only", node.pos or root.pos,
                         f"{words.shown(target)} cannot be assigned ({op}): {name} is {what}, which "
                         f"D only reads; keep the value in a variable of your own ({words.own_variable})")]
    return []


# --- aggregations and aggregating functions as values ------------------------------------------

def _agg_of(node):
    """The aggregation ``node`` is (``@a``) or indexes (``@a[k]``), or None."""
    if node.__class__ is t.Index:
        node = node.base
    return node if node.__class__ is t.AggVar else None


def _calls_and_aggregations(of, dialect, words, names=None, assignments=None):
    """aggregation-value, constant-argument and argument-type: an aggregating function is a value
    only assigned to an aggregation, an aggregation only assigned (=) or given to the functions of
    AGGREGATION_ARGUMENTS (where they take it)."""
    out = []
    assigned_calls, usable = set(), set()
    agg_classes = (t.Index, t.AggVar)
    if assignments is None:
        assignments = Assignments(of(t.Assign))
    # (no target an aggregation or an element: no assignment to look at)
    for node in of(t.Assign) if assignments.targets_any(*agg_classes) else ():
        target = node.target
        if target.__class__ not in agg_classes:  # (the usual target: no call for it)
            continue
        agg = _agg_of(target)
        if agg is not None:
            assigned_calls.add(id(node.value))
            if node.op == "=":
                usable.add(id(agg))
                if _not_aggregating(node.value):
                    shown = f"@{agg.name}" if agg.name else "the anonymous aggregation @"
                    out.append(_finding("aggregation-value", node.value.pos or node.pos,
                                        f"{shown} must be assigned the result of an aggregating function "
                                        f"({words.aggregate}), and this is none (dtrace refuses it); keep a "
                                        f"value in a variable ({words.own_variable})"))
    calls = of(t.Call)
    if names is None:
        names = [node.name for node in calls]  # (a property: asked once per call)
    aggregation_arguments = Fn.AGGREGATION_ARGUMENTS
    for node, name in zip(calls, names):
        if name in aggregation_arguments:  # (clear(@a[k]) too: dtrace takes it)
            where = aggregation_arguments[name]
            for index, arg in enumerate(node.args):
                agg = _agg_of(arg)
                if agg is not None and (where is None or index in where):
                    usable.add(id(agg))
    aggregating, constant_arguments, argument_kinds = Fn.AGGREGATING_FUNCTIONS, Fn.CONSTANT_ARGUMENTS, Fn.ARGUMENT_KINDS
    # What is wrong with a name alone where an integer goes depends on the name only (and on
    # whether the function takes a pointer): said once each (110,000 clauses that speculate(s)).
    int_names: dict = {}
    Ident = _INT_NAMES_OF
    # dtrace's parser drops the branch a constant ?: condition never takes before it types
    # anything (`x = 1 ? 2 : strlen(12)` compiles): what is there is not judged.
    dead = _dead_branches(of) if of(t.Ternary) else ()
    for node, name in zip(calls, names):
        if name is None or dead and id(node) in dead:
            continue
        if name in aggregating and id(node) not in assigned_calls:
            example = words.aggregate.replace("count()", name + "(...)")
            out.append(_finding("aggregation-value", node.pos,
                                f"{name}() is an aggregating function: its result can only be "
                                f"assigned to an aggregation ({example}), not used as a value here"))
        if name in constant_arguments:
            values = [_constant(arg, dialect) for arg in node.args]
            for index, message in Fn.constant_argument_problems(
                    name, values, dialect.llquantize_steps_divide_power):
                out.append(_finding("constant-argument", node.args[index].pos or node.pos, message))
        kinds = argument_kinds.get(name)
        if name in Fn.DIALECT_ARGUMENT_KINDS:
            kinds = Fn.DIALECT_ARGUMENT_KINDS[name].get(dialect.name, kinds)
        if kinds:
            for index, (want, arg) in enumerate(zip(kinds, node.args)):
                if want == "int" and arg.__class__ is Ident and arg.module is None:
                    key = (arg.name, name in Fn.POINTERS_TAKEN)
                    problem = int_names.get(key, int_names)
                    if problem is int_names:
                        problem = int_names[key] = _int_argument_problem(name, arg, dialect)
                else:
                    problem = _argument_problem(want, arg, dialect) if want else None
                    if problem is None and want == "int" and name not in Fn.POINTERS_TAKEN:
                        problem = _pointer_problem(arg, dialect)
                if problem:
                    out.append(_finding("argument-type", arg.pos or node.pos,
                                        f"{name}() argument #{index + 1} must be {Fn.KIND_TEXT[want]}, "
                                        f"not {problem}"))
        pointer_parameters = Fn.POINTER_PARAMETERS.get(name)
        if pointer_parameters:
            for index, arg in enumerate(node.args):
                problem = _pointer_parameter_problem(pointer_parameters.get(index), arg, dialect)
                if problem:
                    out.append(_finding("argument-type", arg.pos or node.pos,
                                        f"{name}() argument #{index + 1} must be a pointer, not {problem}"))
    for node in of(t.AggVar):
        if id(node) not in usable and not (dead and id(node) in dead):
            shown = f"@{node.name}" if node.name else "the anonymous aggregation @"
            out.append(_finding("aggregation-value", node.pos,
                                f"{shown} is an aggregation, not a value: assign it an aggregating "
                                f"function ({words.aggregate}) or print it with printa(); D cannot read "
                                "it in an expression"))
    return out


#: The class of the arguments whose problem as an integer argument is told by name alone (see
#: _calls_and_aggregations; tests set None to compare with telling each where it stands).
_INT_NAMES_OF = t.Ident


def _int_argument_problem(name, arg, dialect):
    """What :func:`_calls_and_aggregations` says of ``arg`` where ``name()`` takes an integer."""
    problem = _argument_problem("int", arg, dialect)
    if problem is None and name not in Fn.POINTERS_TAKEN:
        problem = _pointer_problem(arg, dialect)
    return problem


def _not_aggregating(value) -> bool:
    """Is ``value``, assigned to an aggregation, no aggregating function's call, and holds none
    (``@a = count() + 1``: that ``count()`` is found as a value)?"""
    if value.__class__ is t.Call and value.name in Fn.AGGREGATING_FUNCTIONS:
        return False
    return not any(node.__class__ is t.Call and node.name in Fn.AGGREGATING_FUNCTIONS for node in value.walk())


def _argument_problem(want, arg, dialect):
    """What is wrong with ``arg`` where a value of kind ``want`` ("string" or "int") goes, as the
    message says it ("an integer", "a string"); None when it fits or its kind is not known.  An
    integer constant 0 is a null pointer, which a string parameter takes."""
    have = _kind(arg)
    if want == "string" and have == "int":
        value = _constant(arg, dialect)
        if value == 0 and value is not Fn.NOT_CONSTANT:
            return None
        return "an integer"
    if want == "int" and have == "string":
        return "a string"
    if want == "pointer" and have == "int":
        return "an integer"
    if want == "pointer" and _pointed_value(arg, dialect):
        return "what a pointer points to (*p is a struct or an integer, no pointer): give it the pointer, print(p)"
    if want == "pointer" and arg.__class__ is t.Member:
        found = _member_chain_type(arg, dialect)
        if found is not None and found[1:] == (0, False) and found[0] not in _POINTER_NAMES:
            return f"a member of type {found[0]}, no pointer: give it a pointer (print(&p->m) or the struct's p)"
    return None


def _pointer_problem(arg, dialect):
    """"a pointer ..." when ``arg`` is certainly a pointer (a cast to a pointer type, ``&x``,
    ``curthread``, ``copyin()``'s result, a member the dialect's types say is a pointer or an
    array), which an integer parameter does not take (:data:`dtracepy.facts.functions.POINTERS_TAKEN`);
    else None."""
    from dtracepy.checks.operands import _is_pointer

    if _is_pointer(arg):
        return "a pointer: cast it to an integer first ((uintptr_t)p)"
    if arg.__class__ is t.Member:
        found = _member_chain_type(arg, dialect)
        if found is not None and (found[1] or found[2]) and found[0] != "string":
            return "a pointer or array member: cast it to an integer first ((uintptr_t)p)"
    return None


def _pointer_parameter_problem(how, arg, dialect):
    """What a pointer parameter (``how``: "void" or "typed", from
    :data:`dtracepy.facts.functions.POINTER_PARAMETERS`; None: no pointer parameter) does not
    take: an integer but the constant 0 (a null pointer), or, when ``typed``, a string."""
    if how is None:
        return None
    have = _kind(arg)
    if have == "int":
        value = _constant(arg, dialect)
        if value == 0 and value is not Fn.NOT_CONSTANT:
            return None
        return "an integer (an address held in an integer is cast first: (void *)arg0)"
    if have == "string" and how == "typed":
        return "a string"
    return None


#: Member types of :mod:`dtracepy.facts.translated` without a ``*`` that are no integer or struct:
#: a typedef of a pointer, D's string.
_POINTER_NAMES = frozenset(("caddr_t", "string"))


def _member_chain_type(node, dialect):
    """:func:`dtracepy.facts.translated.split_type` of ``v->m->n`` where ``v`` is a translated or
    kernel variable (``curthread->mm``) and every member's type is known in ``dialect``; else None."""
    from dtracepy.facts import translated as Tr

    if node.__class__ is t.Ident:
        shown = Tr.variable_type(node.name, dialect.name) if node.module is None else None
        return None if shown is None else Tr.split_type(shown)
    if node.__class__ is not t.Member or node.op != "->":
        return None
    base = _member_chain_type(node.base, dialect)
    if base is None or base[1:] != (1, False):
        return None
    shown = Tr.member_type(base[0], node.name, dialect.name)
    return None if shown is None else Tr.split_type(shown)


def _pointed_value(arg, dialect) -> bool:
    """Is ``arg`` ``*p`` where ``p`` is certainly a pointer to a value that is no pointer: a built-in
    variable of a one-level pointer type (``*curthread``), a member of one that the dialect's types
    say is (``*curthread->mm``), or a cast to one (``*(int *)p``)?"""
    if arg.__class__ is not t.Unary or arg.op != "*":
        return False
    inner = arg.operand
    if inner.__class__ is t.Member:
        found = _member_chain_type(inner, dialect)
        return found is not None and found[1:] == (1, False) and found[0] not in _POINTER_NAMES
    if inner.__class__ is t.Ident and inner.module is None:
        return V.kind(inner.name) == "pointer" and V.type_text(inner.name).count("*") == 1
    if inner.__class__ is t.Cast:
        decl = inner.type.declarator
        return decl.__class__ is t.PointerDecl and decl.target.__class__ is t.NameDecl and not any(
            s.__class__ is t.TypeRef for s in inner.type.specifiers)  # (a typedef may name a pointer)
    return False


def _declared_kind(specifiers, declarator):
    """"string" or "int" for an inline of a plain ``string`` or integer type; None otherwise."""
    if not isinstance(declarator, t.NameDecl):
        return None  # a pointer, an array, a parameterised inline
    words = tuple(s.name if isinstance(s, t.TypeRef) and s.module is None else s for s in specifiers
                  if s not in ("const", "volatile"))
    if words == ("string",):
        return "string"
    if words and all(w in INTEGER_TYPE_WORDS for w in words):
        return "int"
    return None


def _inline_type(item, words):
    want = _declared_kind(item.specifiers, item.declarator)
    if want is None:
        return []
    problem = _argument_problem(want, item.value, None)
    if not problem:
        return []
    name = item.declarator.name
    typed = " ".join(s if isinstance(s, str) else s.name for s in item.specifiers)
    return [_finding("inline-type", item.value.pos or item.pos,
                     f"inline {name} is declared {typed} but its value is {problem} (dtrace: "
                     f"\"inline {name} definition uses incompatible types\"); give it a value of "
                     f"its type{' (an expression, not a Python str, for D text)' if words.dsl else ''}")]


# --- integer constants ----------------------------------------------------------------------------

_UNKNOWN = None


def _constant(node, dialect, names=None):
    """The value of a constant integer expression as D folds it: an int, None when it is a constant
    whose value is not known here (a macro argument, sizeof of a type, an enumerator), or NOT_CONSTANT.
    ``names`` (see :func:`program_names`) tells the program's own identifiers: its inlines, whose
    values dtrace's parser folds in, its enumerators and the variables it assigns."""
    if isinstance(node, t.IntLit):
        try:
            return node.value
        except ValueError:
            return _UNKNOWN
    if isinstance(node, (t.MacroVar, t.SizeofType, t.Offsetof, t.CharLit)):
        return _UNKNOWN
    if isinstance(node, t.SizeofExpr):
        # dt_node_op1 folds sizeof only of a type or a string constant; sizeof of any other
        # expression is typed later, so it is no constant to the parser (x ? a : b is not folded,
        # an array dimension refuses it)
        return _UNKNOWN if isinstance(node.operand, t.StringLit) else Fn.NOT_CONSTANT
    if isinstance(node, t.Ident):
        if dialect is None:
            return _UNKNOWN
        if node.module is None and (node.name in dialect.variables or node.is_global
                                    or (node.name in V.LIBRARY_TABLE and V.LIBRARY_TABLE[node.name][3])):
            return Fn.NOT_CONSTANT
        if names is not None and node.module is None and node.name in names:
            found = names[node.name]
            if found is None or found is Fn.NOT_CONSTANT:
                return found
            return _constant(found, dialect)  # (an inline's value; not through other inlines)
        return _UNKNOWN  # an inline or enumerator may be a constant
    if isinstance(node, t.Cast):
        return _cast_constant(node, _constant(node.operand, dialect, names))
    if isinstance(node, t.Unary) and node.op in ("-", "+", "~", "!"):
        value = _constant(node.operand, dialect, names)
        if not isinstance(value, int) or value is Fn.NOT_CONSTANT:
            return value
        return {"-": -value, "+": value, "~": ~value, "!": int(not value)}[node.op]
    if isinstance(node, t.Binary) and node.op in _FOLDED:
        # (a left operand that is such a Binary too is walked down, not recursed into: a
        # declaration's `int x[1+1+...+1]` is a chain as long as it has operators, which a
        # declaration does not bound; 1,000 of them were "internal error ... RecursionError")
        spine = []
        while isinstance(node, t.Binary) and node.op in _FOLDED:
            spine.append(node)
            node = node.left
        left = _constant(node, dialect, names)
        for node in reversed(spine):
            left = _folded(node.op, left, _constant(node.right, dialect, names))
        return left
    if isinstance(node, t.Ternary):
        # dtrace's parser replaces c ? a : b by a or b when c is an integer constant (dt_node_op3)
        cond = condition_constant(node.cond, dialect, names)
        if cond is Fn.NOT_CONSTANT or cond is None:
            return cond
        return _constant(node.then if cond else node.otherwise, dialect, names)
    if isinstance(node, (t.SelfVar, t.ThisVar, t.AggVar, t.Call, t.Assign, t.Index, t.Member,
                         t.StringLit, t.Postfix, t.Binary)):  # (a Binary here: the comma, never folded)
        return Fn.NOT_CONSTANT
    return _UNKNOWN


def _folded(op, left, right):
    """``left op right`` of two :func:`_constant` values, as :func:`_constant` folds a Binary."""
    if left is Fn.NOT_CONSTANT or right is Fn.NOT_CONSTANT:
        return Fn.NOT_CONSTANT
    if left is None or right is None:
        return _UNKNOWN
    try:
        return _fold(op, left, right)
    except (ZeroDivisionError, ValueError, OverflowError):
        return _UNKNOWN


def condition_constant(node, dialect, names=None):
    """:func:`_constant` of the condition of a ``?:``, where only its truth matters: ``sizeof`` of a
    type or of a string constant is folded by the parser and never 0 (1 stands for it here)."""
    if node.__class__ is t.SizeofType or (node.__class__ is t.SizeofExpr and node.operand.__class__ is t.StringLit):
        return 1
    return _constant(node, dialect, names)


def program_names(of, dialect) -> dict:
    """name -> what :func:`_constant` knows of it in this program: an inline's value (an Expr,
    folded where it is used), None for an enumerator (a constant not known here), NOT_CONSTANT
    for a global the program assigns."""
    names: dict = dict.fromkeys(_assigned_globals(of, dialect), Fn.NOT_CONSTANT)
    for item in of(t.Enumerator):
        names[item.name] = None
    for item in of(t.Inline):
        decl = item.declarator
        if decl.__class__ is t.NameDecl:  # (a parameterised inline is no constant)
            names[decl.name] = item.value
    return names


# The binary operators dtrace's parser folds when both operands are integer constants (dt_node_op2:
# the arithmetic, bitwise, shift, comparison and logical ones; never the comma).
_FOLDED = frozenset({"+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^", "==", "!=", "<", "<=", ">", ">=",
                     "&&", "||", "^^"})
# The integer types a cast folds to, by their words (a cast to a pointer, a struct or another
# typedef is not folded here).
_CAST_WORDS = {"signed char": "signed char", "short int": "short", "signed short": "short",
               "unsigned short int": "unsigned short", "signed": "int", "signed int": "int",
               "unsigned": "unsigned int", "long int": "long", "signed long": "long",
               "unsigned long int": "unsigned long", "long long int": "long long"}


def _cast_constant(node, value):
    """``value`` cast as ``(type)`` ``node`` folds it: dtrace's parser keeps the low bits that fit
    an integer type (``(char)256`` is 0: dt_node_op2's cast of an integer constant)."""
    if not isinstance(value, int) or value is Fn.NOT_CONSTANT:
        return value
    if node.type.declarator.__class__ is not t.NameDecl:
        return _UNKNOWN  # a pointer
    words = " ".join(s if s.__class__ is str else getattr(s, "name", "?") for s in node.type.specifiers)
    found = C.INTEGER_TYPES.get(_CAST_WORDS.get(words, words))
    if found is None:
        return _UNKNOWN
    bits, signed = found[0], found[1]
    low = value % (1 << bits)
    if low == 0 or not signed:
        return low
    if low >= 1 << (bits - 1):
        low -= 1 << bits
    return low if low == value else _UNKNOWN  # (a signed narrowing's sign: not judged here)


def _fold(op, a, b):
    if op in ("/", "%") and (a < 0 or b < 0):
        raise ValueError("C's division of negative numbers: not folded here")
    if op in ("<<", ">>") and not 0 <= b < 64:
        raise ValueError("shift out of range")
    if op in ("&&", "||", "^^"):
        return int({"&&": bool(a and b), "||": bool(a or b), "^^": bool(a) != bool(b)}[op])
    if op in ("==", "!=", "<", "<=", ">", ">="):
        if not (0 <= a < 2**63 and 0 <= b < 2**63):
            raise ValueError("a comparison whose result depends on the operands' signedness")
        return int({"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])
    value = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a // b,
             "%": lambda: a % b, "<<": lambda: a << b, ">>": lambda: a >> b, "&": lambda: a & b,
             "|": lambda: a | b, "^": lambda: a ^ b}[op]()
    if not -2**63 <= value < 2**64:
        raise OverflowError
    return value


# --- a variable used before the program text assigns or declares it --------------------------

def _declared(item):
    scope = next((s for s in item.specifiers if s in ("self", "this")), "global")
    for decl in item.declarators:
        while decl is not None and not isinstance(decl, t.NameDecl):
            decl = getattr(decl, "target", None) or getattr(decl, "declarator", None)
        if decl is not None:
            yield scope, decl.name


_SCOPES = ((t.SelfVar, "self", "self->"), (t.ThisVar, "this", "this->"), (t.Ident, "global", ""),
           (t.AggVar, "agg", "@"))
#: Scopes whose reads are refused here even when nothing assigns the variable (no other rule says
#: it: a clause-local or an aggregation is never a kernel variable or a library name).
_ALWAYS_REPORTED = ("this", "agg")


def _assigned_globals(of, dialect, assignments=None) -> set:
    """The names a D file assigns as globals (``x = v``, ``x[k] = v``, ``x++``, ``x += v``): no
    built-in or library variable (assigning one is assigned-read-only's) and no kernel symbol
    (```x``)."""
    names = set()
    asked = set()  # (the names asked of V.read_only: each once, not once an assignment)
    Index, Ident = t.Index, t.Ident
    if assignments is None:
        assignments = Assignments(of(t.Assign))
    plain = assignments.plain_target_names
    if plain is not None and assignments.targets_have_modules:
        plain = None  # (a kernel symbol ```x`` is no global: each target looked at)
    if plain is not None:  # (every assignment's target a name without a module: no loop over them)
        asked |= plain
        names |= {name for name in plain if not V.read_only(name, dialect.variables, dialect.name)}
    for cls in (t.Assign, t.Unary, t.Postfix):
        if cls is t.Assign and (plain is not None or not assignments.targets_any(Ident, Index)):
            continue  # (names told without a loop, or no target is a name or an element)
        for node in of(cls):
            if cls is t.Assign:
                target = node.target
            elif node.op in ("++", "--"):
                target = node.operand
            else:
                continue
            while target.__class__ is Index:  # (node classes are concrete: compared)
                target = target.base
            if target.__class__ is Ident and target.module is None:
                name = target.name
                if name not in asked:
                    asked.add(name)
                    if not V.read_only(name, dialect.variables, dialect.name):
                        names.add(name)
    return names


def _uses(accs, scope, prefix, globals_made, dead, made):
    """(access, scope, prefix, made) for the uses among ``accs`` (one clause's accesses of one
    scope's variables) that count: what D's constant folding drops is not a use (the branch
    ``c ? a : b`` does not take when ``c`` is a constant: dtrace folds it before it looks); of the
    identifiers, only the globals."""
    for a in accs:
        if dead and id(a.node) in dead:
            continue
        if scope != "global" or (a.name in globals_made and (
                a.kind != "read" or a.node.module is None)):  # (not a kernel symbol `x)
            yield a, scope, prefix, id(a.node) in made


def _made_by_unary(of) -> set:
    """The ids of the variables a unary ``! - ~ +`` applies to directly (``!self->x``,
    ``-this->a[k]``, ``~a[k]`` for a global array; not a plain global): dtrace gives such a
    variable, not yet typed, the type int64_t there (libdtrace dt_cook_op1) instead of refusing
    the read."""
    made = set()
    for node in of(t.Unary):
        if node.op in ("!", "-", "~", "+"):
            operand = node.operand
            if operand.__class__ is t.Index:
                operand = operand.base
                if operand.__class__ is t.Ident:
                    made.add(id(operand))
            if operand.__class__ in (t.SelfVar, t.ThisVar):
                made.add(id(operand))
    return made


def _dead_branches(of) -> set:
    """The ids of the nodes under the branch a ternary with a constant condition never takes."""
    dead: set = set()
    for node in of(t.Ternary):  # (outer ones first: the order of a walk)
        if id(node) not in dead:
            value = condition_constant(node.cond, None)
            if isinstance(value, int) and value is not Fn.NOT_CONSTANT:
                dead.update(id(n) for n in (node.otherwise if value else node.then).walk())
    return dead


def _chained_on_itself(of, assignments) -> set:
    """The ids of the inner assignments of ``x = x = v`` (any scope, any operator)."""
    if t.Assign not in assignments.value_classes:
        return set()  # (no assignment's value an assignment: no loop over them)
    return {id(node.value) for node in of(t.Assign)
            if node.value.__class__ is t.Assign and node.value.target == node.target}


def _creates(a) -> bool:
    """An access that gives its variable a type: ``x = v``, ``x[k] = v``, and ``x++``/``x--``
    (which make an int); not ``x += v``, which reads it first."""
    return a.kind in ("write", "partial") or (a.kind == "update" and a.node.__class__ is not t.Assign)


def _follow(uses, known, assigned, item, words, chained=frozenset()):
    """Walk ``uses`` in order from the variables ``known`` (typed, left as it is): the variables
    they type that ``known`` lacks, and the refusals (the first for each variable).  (Copying
    ``known`` for each clause made check quadratic in the clauses: 20,000 entry/return pairs with
    a thread-local each took 32 s.)"""
    added: set = set()
    out = []
    reported = set()
    for a, scope, prefix, made in uses:
        key = (scope, a.name)
        if key in known or key in added:
            continue
        if made or _creates(a):
            added.add(key)
            if id(a.node) in chained:
                out.append(_finding(
                    "used-before-assigned", a.node.pos or item.pos,
                    f"{prefix}{a.name} is assigned twice in one expression ({words.shown(a.node)} inside "
                    f"an assignment to it) where it is first assigned, which crashes Oracle's dtrace "
                    f"2.0 (a segmentation fault compiling it): assign it once"))
            continue
        # Reads of a thread-local or global nothing assigns are the self-undefined and
        # global-unset rules' to report (errors whatever the tracer says).
        if key in reported or (a.kind == "read" and key not in assigned and scope not in _ALWAYS_REPORTED):
            continue
        reported.add(key)
        how = f"updated ({a.node.op})" if a.kind != "read" else "read"
        if scope == "agg":
            example = f"agg.{a.name or 'name'}[keys] = count()" if words.dsl else f"@{a.name}[keys] = count()"
            message = (f"@{a.name} is used here before any aggregating function is assigned to it in "
                       f"the program text (dtrace: \"failed to resolve @{a.name or '_'}: Unknown variable "
                       f"name\"): assign it first ({example}) in this clause or one defined above it")
        else:
            message = (f"{prefix}{a.name} is {how} here before any assignment to it in the program text, "
                       f"and D gives a variable its type at its first assignment or declaration (dtrace: "
                       f"\"{_undefined_text(prefix, a.name)}\"): assign it first (= 0) or in a clause "
                       f"defined above this one, or {words.declare(prefix, a.name)}")
        out.append(_finding("used-before-assigned", a.node.pos or item.pos, message))
    return added, out


def _used_before_assigned(items, of, per_clause, words, globals_made=None, assignments=None):
    """``per_clause(cls)``: each clause's accesses of ``cls`` variables, predicate first (see
    :func:`~dtracepy.checks.context.clause_accesses`), for the thread-locals, clause-locals and
    aggregations; the globals' uses are gathered here, a clause at a time (:class:`_GlobalUses`).

    A clause is followed (:func:`_follow`) only when it uses a variable not yet typed; what
    ``known`` holds after a clause is what it held before and the variables the clause types
    (:func:`_follow` adds exactly those it lacks), so a clause all of whose variables are typed
    already (the usual clause) is told by the names of its accesses alone, in C loops, and its
    uses are never listed."""
    if globals_made is None:  # a tracer's: the globals it made with glob
        globals_made = {n.name for n in of(t.Ident) if n.is_global}
    if assignments is None:
        assignments = Assignments(of(t.Assign))
    dead, made, chained = _dead_branches(of), _made_by_unary(of), _chained_on_itself(of, assignments)
    scopes = []  # (scope, prefix, each clause's accesses) of the scopes that have uses to judge
    judged_globals = False
    for cls, scope, prefix in _SCOPES:
        if not of(cls) or (scope == "global" and not globals_made) or (
                scope == "agg" and _only_assigned(of)):
            continue  # (no clause has a use to judge: nothing to walk)
        # (the globals' table stays None: their uses are gathered clause by clause)
        scopes.append((scope, prefix, per_clause(cls) if scope != "global" else None))
        judged_globals |= scope == "global"
    if not scopes:
        return []
    # (the clauses, for the globals' uses: a program without judged globals is not gone through for them)
    clauses = [item for item in items if item.__class__ is t.Clause] if judged_globals else None

    def global_uses(index):
        return _GlobalUses(clauses[index], globals_made, dead, made)

    def uses_of(index, globals_=None):
        """The uses that count in clause ``index``: (body uses, predicate uses).  ``globals_``:
        the clause's :class:`_GlobalUses` if made already."""
        body, pred = [], []
        for scope, prefix, table in scopes:
            if table is None:
                found = globals_ if globals_ is not None else global_uses(index)
                body += found.body
                pred += found.pred
                continue
            accs = table[index]
            if not accs:
                continue
            if not dead:  # every access counts (_uses, made directly)
                for a in accs:
                    (pred if a.in_predicate else body).append((a, scope, prefix, id(a.node) in made))
                continue
            for use in _uses(accs, scope, prefix, globals_made, dead, made):
                (pred if use[0].in_predicate else body).append(use)
        return body, pred

    assigned = _Assigned(uses_of, len(clauses) if judged_globals else len(scopes[0][2]))
    names_known = {scope: set() for scope, _, _ in scopes}  # (the names typed, by scope)
    known = _Known(names_known)
    plain_writes = not judged_globals and not dead and not chained  # (see below)
    out = []
    index = -1
    Declaration, Clause = t.Declaration, t.Clause
    for item in items:
        cls = item.__class__
        if cls is Declaration:
            for key in _declared(item):
                known.add(key)
            continue
        if cls is not Clause:
            continue
        index += 1
        globals_ = None
        for scope, _, table in scopes:
            if table is None:
                globals_ = global_uses(index)
                if globals_.names and not names_known[scope].issuperset(globals_.names):
                    break
                continue
            accs = table[index]
            if accs and not names_known[scope].issuperset(map(_NAME, accs)):
                break
        else:
            continue  # every variable it uses is typed already (the usual clause): nothing to follow
        if plain_writes:
            # A clause whose every use is a plain write (``self->ts = timestamp``, a thread-local
            # set at its entry): each one types its variable, and none is refused (the chain of
            # ``x = x = v`` aside, and a write in a dead branch, which types nothing: neither in
            # this program), as _follow would find without listing the uses.
            for scope, _, table in scopes:
                accs = table[index]
                if accs and not all(a.kind == "write" for a in accs):
                    break
            else:
                for scope, _, table in scopes:
                    names_known[scope].update(map(_NAME, table[index]))
                continue
        if judged_globals and globals_ is None:
            globals_ = global_uses(index)
        body, pred = uses_of(index, globals_)
        globals_ = None
        # dtrace cooks a clause's actions, then its predicate; when that fails on an undefined
        # variable it tries the predicate first (libdtrace dt_cook_clause).
        added, refused = _follow(body + pred, known, assigned, item, words, chained)
        if refused and pred:
            added, refused = _follow(pred + body, known, assigned, item, words, chained)
        for key in added:
            known.add(key)
        out += refused
    return out


class _Known:
    """The variables typed so far, as ``(scope, name)`` keys, kept as each judged scope's set of
    names (``names``: the sets :func:`_used_before_assigned` reads too) and the other scopes' keys
    (a declaration's).  (A set of the keys besides was a tuple and two set entries for each
    variable: 28 MB at the peak of a check of 226,000 thread-locals.)"""

    __slots__ = ("names", "others")

    def __init__(self, names: dict):
        self.names = names
        self.others: set = set()

    def add(self, key) -> None:
        found = self.names.get(key[0])
        if found is None:
            self.others.add(key)
        else:
            found.add(key[1])

    def __contains__(self, key) -> bool:
        found = self.names.get(key[0])
        return key in self.others if found is None else key[1] in found


# what _GlobalUses has kept of a name in a part of a clause: its first read, its first other use
# (``x += v``), the use that types it (after which nothing of it is kept)
_READ, _OTHER, _TYPED = 1, 2, 4


class _GlobalUses:
    """One clause's uses of the globals, as used-before-assigned reads them, gathered without
    keeping an access record for each: ``names``, the names of every access
    (:func:`~dtracepy.checks.context.clause_accesses`' of ``t.Ident``), and ``body`` and ``pred``,
    the uses that count (:func:`_uses`' tuples), in order, less those :func:`_follow` cannot
    reach.  :func:`_follow` reads the uses of a name in order and stops at the first that types it
    (:func:`_creates`, or made by a unary operator); before that it reports the first use it
    reports at all: the first read, or the first other use.  So of each name, in the predicate and
    in the body apart (the two are followed in either order), only those three are kept, and
    :func:`_follow` gives the same answers on them as on them all.  (Keeping every access of every
    clause cost 194 bytes a statement of ``x=y;``: 507 MB for 3 MB of them.)

    The usual statement (a name, or a name assigned a name or a literal) is read here directly,
    as :func:`~dtracepy.checks.context.clauses_accesses` reads it, and an access is made only for
    a use that is kept; the others go through :func:`~dtracepy.checks.context.accesses`, which
    gives them to :meth:`append` one at a time."""

    __slots__ = ("names", "body", "pred", "_seen", "_globals", "_dead", "_made")

    def __init__(self, clause, globals_made, dead, made):
        self.names: set = set()
        self.body: list = []
        self.pred: list = []
        self._seen = ({}, {})  # (body, predicate): name -> _READ | _OTHER | _TYPED kept of it
        self._globals, self._dead, self._made = globals_made, dead, made
        if clause is not None:
            self._gather(clause)

    def append(self, a) -> None:
        """Take one access (in the order of the clause's accesses)."""
        name = a.name
        self.names.add(name)
        if name not in self._globals or (a.kind == "read" and a.node.module is not None):
            return  # (not a global the program assigns; a kernel symbol `x)
        node = a.node
        if self._dead and id(node) in self._dead:
            return
        in_predicate = a.in_predicate
        seen = self._seen[in_predicate]
        bits = seen.get(name, 0)
        if bits & _TYPED:
            return
        made = id(node) in self._made
        if made or _creates(a):
            seen[name] = bits | _TYPED
        else:
            bit = _READ if a.kind == "read" else _OTHER
            if bits & bit:
                return
            seen[name] = bits | bit
        (self.pred if in_predicate else self.body).append((a, "global", "", made))

    def _read(self, node) -> None:
        """A read of the name ``node`` in a statement (the fast path of :meth:`_gather`)."""
        name = node.name
        self.names.add(name)
        if name in self._globals and not self._seen[False].get(name, 0) & (_TYPED | _READ) or \
                id(node) in self._made:
            self.append(Access("read", node, name, False, False, False))

    def _gather(self, clause) -> None:
        """The clause's accesses of the globals, in :func:`~dtracepy.checks.context.clause_accesses`'
        order: the predicate's, then each statement's."""
        Ident, ExprStmt, Assign, leaves = t.Ident, t.ExprStmt, t.Assign, _LEAVES
        predicate = clause.predicate
        if predicate is not None:
            accesses(predicate, Ident, True, False, self)
        seen, names, globals_made, made = self._seen[False], self.names, self._globals, self._made
        typed_or_read, typed, add = _TYPED | _READ, _TYPED, names.add  # (locals: read each statement)
        for stmt in clause.body or ():
            if stmt.__class__ is not ExprStmt:
                for expr, guarded in stmt_exprs((stmt,), Ident):
                    accesses(expr, Ident, False, guarded, self)
                continue
            expr = stmt.expr
            kind = expr.__class__
            if kind is Assign:
                target, value = expr.target, expr.value
                if target.__class__ is Ident and value.__class__ in leaves:
                    if value.__class__ is Ident:  # (the value is evaluated first: _read, inlined)
                        name = value.name
                        add(name)
                        if name in globals_made and not seen.get(name, 0) & typed_or_read or \
                                made and id(value) in made:  # (made is usually empty: no id asked)
                            self.append(Access("read", value, name, False, False, False))
                    name = target.name
                    add(name)
                    if name in globals_made and not seen.get(name, 0) & typed:
                        # (a write types its name: kept unless the name is typed already)
                        if expr.op == "=":
                            self.append(Access("write", expr, name, is_zero(value), False, False))
                        else:
                            self.append(Access("update", expr, name, False, False, False))
                    continue
            elif kind is Ident:
                self._read(expr)
                continue
            elif kind in leaves:
                continue
            accesses(expr, Ident, False, False, self)


_NAME = attrgetter("name")


class _Assigned:
    """The (scope, name) of every variable the program's counted uses assign (or type: ``!x``),
    made the first time :func:`_follow` asks (it asks only of a read of a variable not yet typed)."""

    def __init__(self, uses_of, clauses):
        self._uses_of, self._clauses, self._keys = uses_of, clauses, None

    def __contains__(self, key) -> bool:
        if self._keys is None:
            self._keys = {(scope, a.name) for index in range(self._clauses) for found in self._uses_of(index)
                          for a, scope, _, made_ in found if a.kind != "read" or made_}
        return key in self._keys


def _only_assigned(of) -> bool:
    """Is every aggregation in the program the target of a plain ``@a[...] = f()``?  Then none is
    used before it is assigned, and the clauses need no walk for them (a dense script's checks
    took a quarter longer with that walk)."""
    targets = 0
    for node in of(t.Assign):
        if node.op == "=":
            target = node.target
            if target.__class__ is t.Index:
                target = target.base
            targets += target.__class__ is t.AggVar
    return targets == len(of(t.AggVar))


def _undefined_text(prefix, name):
    if prefix:
        return f"{prefix}{name} has not yet been declared or assigned"
    return f"failed to resolve {name}: Unknown variable name"
