"""Tracer -> Program -> passes -> checks -> printer.

:func:`compile_tracer` builds the D program a :class:`~dtracepy.dsl.Tracer` describes: the
``#!`` line (``-s``, ``-qs``, ``-Cs``...), a header comment naming the macro arguments, option
pragmas, preprocessor lines, the user's items in order; then it runs the passes
(:mod:`dtracepy.passes`, automatic cleanup first: passes only rewrite the tree), runs the checks
(:mod:`dtracepy.checks`, the compiler's own rules among them; every finding of severity error is
reported, each located, and fails the compile) and prints D.  What no D compiler takes (a built-in
assigned, ``count()`` used as a value, ``stack(-1)``, a variable read above its first assignment,
an empty program) is refused first, at the user's line (:mod:`dtracepy.compiler_rules`).
"""

from __future__ import annotations

import attrs

from dtracepy import tree
from dtracepy.errors import CompileError
from dtracepy.facts import translated as _translated

DTRACE = "/usr/sbin/dtrace"


@attrs.frozen
class Compiled:
    program: tree.Program
    text: str
    findings: tuple = ()


def shebang(tracer) -> str | None:
    given = getattr(tracer, "shebang", True)
    if given is False:
        return None
    if isinstance(given, str):
        if tracer.needs_cpp:
            from dtracepy.facts.command_line import preprocessing

            if not preprocessing("#!" + given)[0]:
                from dtracepy.errors import DSLError

                raise DSLError(f"shebang {given!r} runs dtrace without -C, but the tracer's #define, "
                               "#include or directive needs the C preprocessor (dtrace: \"invalid "
                               "control directive\"): add C to its flags (-Cs)", tracer.pos)
        return given
    flags = ("C" if tracer.uses_cpp else "") + ("q" if tracer.quiet else "") + "s"
    return f"{DTRACE} -{flags}"


def _nodes_of(items, classes) -> dict:
    """class -> the nodes of that class under ``items``, in walk order (one walk for all: the
    loop of ``Node.walk``, with the statements, assignments and leaves of every clause taken
    apart here; the generator's step for each node was a tenth of compiling 30,000 clauses)."""
    from dtracepy.checks.context import push_children

    found: dict = {cls: [] for cls in classes}
    get = found.get
    stack = list(reversed(items))
    pop, push = stack.pop, stack.append
    leaves, ExprStmt, Assign, Binary, Clause = _NO_CHILDREN, tree.ExprStmt, tree.Assign, tree.Binary, tree.Clause
    while stack:
        node = pop()
        cls = node.__class__
        of = get(cls)
        if of is not None:
            of.append(node)
        if cls in leaves:
            continue
        if cls is ExprStmt:
            push(node.expr)
        elif cls is Assign:
            push(node.value)
            push(node.target)
        elif cls is Binary:
            push(node.right)
            push(node.left)
        elif cls is Clause:  # (push_children's order, its fields read by name: the usual item)
            body = node.body
            if body:
                stack.extend(reversed(body))
            if node.predicate is not None:
                push(node.predicate)
            stack.extend(reversed(node.probes))
        else:
            push_children(node, stack)
    return found


# node classes with no node below them (names, literals, descriptions)
_NO_CHILDREN = frozenset((tree.Ident, tree.IntLit, tree.StringLit, tree.CharLit, tree.MacroVar, tree.AggVar,
                          tree.SelfVar, tree.ThisVar, tree.ProbeDesc))


def macros_used(items, _found=None) -> dict[str, str | None]:
    """The macro variables ``items`` use, in header order, with the doc the DSL gave each."""
    from dtracepy.facts.keywords import macro_argument_number as macro_number

    if _found is None:
        _found = _nodes_of(items, (tree.MacroVar,))
    seen: dict[str, str | None] = {}
    for node in _found[tree.MacroVar]:
        if seen.get(node.name) is None:
            seen[node.name] = node.doc
    Clause = tree.Clause
    for item in items:  # (loops, no generator: a description without `$` names none, not searched)
        if isinstance(item, Clause):
            for desc in item.probes:
                text = desc.text
                if "$" in text:
                    for name in macros_in_desc(text):
                        seen.setdefault(name, None)

    def key(name):
        n = macro_number(name)
        return (0, n, name) if n is not None else (1, 0, name)

    return {name: seen[name] for name in sorted(seen, key=key)}


def macros_in_desc(text):
    """The macro variables a probe description's text names (``$1``, ``$$2``, ``$target``)."""
    import re

    return re.findall(r"\$\$?(?:[0-9]+|[A-Za-z_][A-Za-z0-9_]*)", text)


_MACRO_DEFAULT_DOCS = {
    "$target": "the process given with -p PID or -c COMMAND",
}


def _given(macro: str) -> bool:
    """Is the macro variable one a run is given: ``$1``, ``$$2`` (after the script's name on
    dtrace's command line) or ``$target`` (-p, -c)?  ``$0`` is the script's name and ``$pid``,
    ``$uid`` ... dtrace's own: no argument of the tracer's."""
    digits = macro.lstrip("$")
    return macro == "$target" or digits.isdigit() and int(digits) > 0


def header_comment(tracer, macros: dict) -> tree.Comment:
    from dtracepy.inputs import printable_name

    name = f" (tracer {tracer.name})" if tracer.name else ""
    source = printable_name(tracer.source) if tracer.source else "a tracer"   # D is UTF-8; a name may not be
    lines = [f"Generated by dtracepy from {source}{name}; edit the Python, "
             "not this file."]
    if tracer.description:
        lines += ["", *tracer.description.strip().splitlines()]
    lines.append("")
    macros = {m: doc for m, doc in macros.items() if _given(m)}
    if macros:
        lines.append("Arguments:")
        width = max(len(m) for m in macros)
        for m in macros:
            doc = macros[m] or _MACRO_DEFAULT_DOCS.get(m, "")
            if not doc and m.startswith("$$"):
                doc = f"argument {m[2:]}, as a string"
            # a doc of several lines: each under the first (no line of the comment may lose
            # its " * ", which a reader of the D relies on, whatever the doc holds)
            first, *more = doc.splitlines() or [""]
            lines.append(f"  {m.ljust(width)}  {first}".rstrip())
            lines += [f"  {'':{width}}  {line}".rstrip() for line in more]
    else:
        lines.append("Arguments: none.")
    body = "".join(f"\n * {line}".rstrip() for line in lines)
    return tree.Comment(tree.comment_safe(body) + "\n ")


def _option_pragma(name, value, pos=None) -> tree.Pragma:
    word = name if value is True else f"{name}={value}"
    return tree.Pragma(("D", "option", word), pos=pos)


def build_program(tracer, items=None) -> tree.Program:
    """The program as the user wrote it, with its prologue; no passes yet.  ``items``: the
    tracer's items as compiled for another dialect (``Tracer.items_for``)."""
    user_items = tuple(tracer.items if items is None else items)
    found = _nodes_of(user_items, (tree.MacroVar, tree.Ident))
    line = shebang(tracer)
    _refuse_hash_bangs_under_cpp(tracer, line, user_items)
    items: list[tree.TopLevel] = [tree.Shebang(line)] if line is not None else []
    items.append(header_comment(tracer, macros_used(user_items, found)))
    where = getattr(tracer, "_option_pos", {})
    items += [_option_pragma(k, v, where.get(k, tracer.pos)) for k, v in tracer.options.items()]
    where = getattr(tracer, "_define_pos", {})
    items += [tree.Directive("define", f"{k} {v}".rstrip(), pos=where.get(k, tracer.pos))
              for k, v in tracer.defines.items()]
    items += [tree.Directive("include", inc) for inc in tracer.includes]
    if not tracer.includes:  # a header may #define them; else no D library does: declare them
        items += portable_declarations(user_items, set(tracer.defines) | {n for s, n in tracer.declared}, found)
    items += user_items
    return tree.Program(tuple(items))


def runs_through_cpp(tracer, line: str | None) -> bool:
    """Whether the tracer's D goes through the C preprocessor: its ``#!`` line's (``line``, the
    text after ``#!``) ``-C``; without one, whether it uses cpp (``Tracer.uses_cpp``), as
    dtracepy runs it."""
    from dtracepy.facts.command_line import preprocessing

    return preprocessing("#!" + line)[0] if line is not None else tracer.uses_cpp


def _refuse_hash_bangs_under_cpp(tracer, line, user_items) -> None:
    """A ``t.directive("", "!...")`` prints a ``#!`` line below the first, which cpp refuses: an
    error at its line when the program goes through cpp (its ``#!`` line says ``-C``; without
    one, when the tracer uses cpp), as ``check -C`` says of the D."""
    from dtracepy.facts.command_line import HASH_BANG_UNDER_CPP, hash_bang_directive

    if not runs_through_cpp(tracer, line):
        return
    for item in user_items:
        if item.__class__ is tree.Directive and hash_bang_directive(item.name, item.text):
            from dtracepy.errors import DSLError

            raise DSLError(HASH_BANG_UNDER_CPP, item.pos)


def portable_declarations(items, declared: set[str], _found=None) -> list:
    """``inline int PROT_READ = 0x1;`` for each portable constant ``items`` use and nothing in the
    program declares (no D library defines them)."""
    if _found is None:
        _found = _nodes_of(items, (tree.Ident,))
    used: dict[str, None] = {}
    for node in _found[tree.Ident]:
        if (node.module is None and node.name in _translated.PORTABLE_CONSTANTS
                and node.name not in declared):
            used.setdefault(node.name, None)
    return [tree.Inline(("int",), tree.NameDecl(name), tree.IntLit(hex(_translated.PORTABLE_CONSTANTS[name])))
            for name in used]


def compile_tracer(tracer, *, checks: bool = True, dialect=None, printed=None) -> Compiled:
    """Build, rewrite, check, print.  The compiler's own rules
    (:data:`~dtracepy.checks.registry.COMPILER_RULES`) are checks like the others and always run;
    ``checks=False`` turns the rest off.  Every error finding is reported at once: the
    :class:`CompileError` holds them all, each at the tracer's Python line.  ``dialect`` (a
    :class:`~dtracepy.facts.dialects.Dialect`) overrides the tracer's, as ``compile --dialect``.
    ``printed``: what ``import --exact`` printed of the program the tracer should rebuild (an
    object whose ``known_for(program)`` compares that program's items with it and gives
    :func:`~dtracepy.printer.to_d`'s ``known`` record if they are equal, else None): the D of
    equal items is taken from it, the same text, not printed again.

    It runs with the cyclic collector off, as the parser and ``check`` do: what it makes (trees,
    measures, indexes, findings) holds no cycles and is freed by reference counting, and the
    collections set off by making it scanned the growing heap again and again (a third of the
    work of the passes and checks for 10,000 clauses; more for larger tracers)."""
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        return _compile_tracer(tracer, checks, dialect, printed)
    finally:
        if collecting:
            gc.enable()


def _compile_tracer(tracer, checks: bool, dialect, printed=None) -> Compiled:
    from dtracepy.lexer import MAX_NESTING
    from dtracepy.passes import PassContext, run_passes
    from dtracepy.printer import to_d

    from dtracepy.compiler_rules import refusals

    # a dialect named (the tracer's, compile --dialect's, the running dtrace's) is held to its
    # functions (dialect-function); the default one is assumed, as check without --dialect
    dialect_given = dialect is not None or getattr(tracer, "dialect_given", False)
    if dialect is None:
        dialect = tracer.dialect
    # the DSL's member operators, decided again for the dialect compiled for
    items = tracer.items_for(dialect) if hasattr(tracer, "items_for") else tracer.items
    where = getattr(tracer, "pos", None) or _tracer_pos(tracer)
    nests = _refuse_beyond_limits(items, where, nesting=False)  # (before anything walks a graph)
    program = build_program(tracer, items)
    program = run_passes(program, PassContext(dict(tracer.clear_points), dialect,
                                              cleanup=getattr(tracer, "cleanup", True)))
    if nests > MAX_NESTING:  # (the passes lower if_ for Oracle, and nest nothing deeper: measured
        _refuse_beyond_limits(program.items, where)  # again only when the tracer's tree is too deep)
    # (one index of the program, read by the refusals, the checks and the operands' rules: each
    # made its own, and the refusals one of the tracer's items too, the same nodes when the
    # passes changed nothing)
    index = _program_context(program, dialect)
    refused = refusals(tuple(items), dialect, where, includes=getattr(tracer, "includes", ()),
                       passed=program.items, passed_context=index)
    kept = frozenset(point.name for point in tracer.clear_points.values() if not point.probes)
    findings = tuple(run_checks(program, dialect, clear_points=_clear_points(tracer),
                                only_rules=not checks, kept=kept, dialect_given=dialect_given, index_of=index))
    findings = _shebang_warnings(tracer) + findings
    # (a clause-local read above any assignment is this-unset's too, an error here unless the
    # tracer has no cleanup: said once, by this-unset)
    said = {f.pos for f in findings if f.check == "this-unset" and f.severity == "error"}
    errors = [f for f in refused if not (f.check == "used-before-assigned" and f.pos in said
                                         and f.message.startswith("this->"))]
    # options and pragmas are judged for the dialect compiled for, if named, checks or not
    foreign = _foreign_options(program, dialect) if dialect_given else []
    said = {(f.pos, f.message) for f in foreign}
    errors += foreign
    errors += [f for f in findings if f.severity == "error" and (f.pos, f.message) not in said]
    # (an operands' finding where the compiler's own refusal of the same rule, of the same name
    # (the word each message begins with), stands says it again in other words: ``trace(glob.a)``
    # after ``glob.a[1] = 2`` was array-use twice at its line, hidden until the errors were ordered)
    said = {(f.pos, f.check, f.message.split(" ", 1)[0]) for f in errors}
    errors += [f for f in _refused_in_operands(program, dialect, index)
               if (f.pos, f.check, f.message.split(" ", 1)[0]) not in said]
    if errors:
        # by file and line, as check orders a file's findings (they came rule by rule: the
        # refusals, the options, the checks, the operands; line 10 was said above line 5)
        errors.sort(key=_where)
        raise CompileError.from_findings(errors)
    starts: list = []
    text = to_d(program, starts, known=None if printed is None else printed.known_for(program))
    if not text.isascii():
        _refuse_unencodable(program, text, _tracer_pos(tracer))
    _refuse_too_long(text, where)
    _refuse_long_declarations(program, text, starts, where)
    _refuse_too_deep_for_dtrace(program, text, starts, index)
    return Compiled(program, text, findings)


def _shebang_warnings(tracer) -> tuple:
    """The ``shebang`` warning of a ``Tracer(shebang=...)`` whose interpreter is no absolute path
    (``"dtrace -qs"``: ./x.d starts only from a directory holding a ``dtrace``), at the Tracer's
    line, with the words ``check`` says of such a line (so ``compile --check`` says it once)."""
    given = getattr(tracer, "shebang", True)
    if not isinstance(given, str):
        return ()
    from dtracepy.facts.command_line import relative_interpreter_problem

    problem = relative_interpreter_problem(given)
    if problem is None:
        return ()
    from dtracepy.checks import Finding

    return (Finding("warning", f"run as a program, the script may not start: {problem}", "shebang",
                    getattr(tracer, "pos", None)),)


def _where(finding) -> tuple:
    """A finding's place, to order a compile's errors by: file, line, column (one without a
    position last); a stable sort keeps two at one place in the order they were found."""
    pos = finding.pos
    if pos is None:
        return (1, "", 0, 0)
    return (0, str(pos.file), pos.line or 0, pos.col or 0)


def _program_context(program, dialect):
    """The checks' context of the program after the passes, for the compiler's own readings (the
    refusals, the operands' rules, the parser stack); ``check_program`` shares its index."""
    from dtracepy.checks import CheckOptions
    from dtracepy.checks.context import Context

    return Context(program, CheckOptions(dialect=dialect), None)


def _refused_in_operands(program, dialect, ctx=None) -> list:
    """What ``check`` refuses in a D file's operands, keys and declarations (``checks/operands.py``,
    ``keys.py``, ``declarations.py``: every D compiler refuses them too) found in the tracer's
    program, at its Python lines.  ``run_checks`` leaves the rules family to the compiler, and
    :func:`~dtracepy.compiler_rules.refusals` holds only ``checks/rules.py``'s own: without this,
    ``glob.i = 1`` then ``glob.i = "a"``, ``@a[execname]`` then ``@a[pid]``, ``addr(glob.a[1])``
    or ``arg0 / (7 - 7)`` compiled to D that dtrace refuses; nor may an ``#if`` be left without
    its ``#endif``.  Always errors, as the refusals are, checks or not; run on the program after
    the passes (the order dtrace reads).  ``ctx``: :func:`_program_context` of it, if made."""
    from dtracepy.checks import declarations, keys, operands, preprocessor

    if ctx is None:
        ctx = _program_context(program, dialect)
    found = [finding for module in (operands, keys, declarations) for finding in module.run(ctx)
             if finding.severity == "error"]
    return found + list(preprocessor.unbalanced_conditionals(ctx))


def _refuse_too_deep_for_dtrace(program, text: str, starts: list, ctx=None) -> None:
    """D whose expression is deeper than dtrace's parser stack (``check``'s ``parser-stack``:
    ``~`` applied 10,000 times in a loop) is refused at the tracer's line, not emitted.  Only the
    clauses whose printed D is long enough to reach the limit are walked (``starts``: the offset
    of each of the program's items in ``text``, as ``to_d`` gave them), as ``check`` walks only
    those of a D file: walking every clause of 20,000 was a tenth of compiling them."""
    from dtracepy.checks import parser_stack

    if len(text) < parser_stack.SHORTEST:   # (too short to reach the limit: nothing to walk)
        return
    from dtracepy.checks import CheckOptions
    from dtracepy.checks.context import Context

    # (the compiler's context of the program: its own dialect's options, which parser_stack does
    # not read, and the program's clauses made once)
    if ctx is None:
        ctx = Context(program, CheckOptions(), None)
    found = list(parser_stack.run(ctx, (starts, len(text))))
    if found:
        raise CompileError.from_findings(found)


def _refuse_long_declarations(program, text: str, starts: list, fallback) -> None:
    """A declaration's D ``check`` refuses (``lexer.MAX_DECL_OPERATORS`` operators in one
    expression or declarator, ``MAX_DECL_ITEMS`` items in one list: ``t.declare("a", "int",
    keys=[...])`` of 250,001 keys, an inline of as many parameters, a type of 100,001 ``*`` or
    ``[1]``, a declaration added with ``t.add``) is refused at its line, not emitted.
    :func:`_refuse_beyond_limits` measures expressions against the body's lower bounds, not a
    declarator's stars, dimensions and lists: the lexer counts them here, on the item's printed
    D, as ``check`` would, and only where that D is long enough to pass a bound (a list of more
    than ``MAX_DECL_ITEMS`` items has as many commas; more than ``MAX_DECL_OPERATORS`` operators,
    as many characters).  ``starts``: the offset of each of the program's items in ``text``."""
    from dtracepy import lexer

    shortest = min(lexer.MAX_DECL_OPERATORS, lexer.MAX_DECL_ITEMS)
    if len(text) <= shortest:
        return
    from dtracepy.errors import DSLError, DSyntaxError

    items = program.items
    ends = starts[1:] + [len(text)]
    for item, start, end in zip(items, starts, ends):
        if end - start <= shortest or item.__class__ is tree.Clause:
            continue
        try:
            for _ in lexer.Lexer(text[start:end]).items():
                pass
        except DSyntaxError as err:
            if err.message.startswith("declaration too long"):
                raise DSLError(f"the D of this declaration is one dtracepy check refuses ({err.message}): "
                               "declare fewer names, keys or parameters at once, or a type of fewer * or "
                               "[ ]", getattr(item, "pos", None) or fallback) from None


def _refuse_beyond_limits(items, fallback, nesting: bool = True) -> int:
    """The D ``items`` print must be D ``dtracepy check`` reads: at most the input limit long,
    (``nesting``) nested at most the lexer's limit deep, and no expression or list longer than
    the lexer's limits (``lexer.MAX_OPERATORS``, ``MAX_ITEMS``).  Measured on the tree as built, each
    distinct node of a run of items once: a value used twice is one node printed twice, so ``x =
    x + x`` twenty times prints arg0 2**20 times, and the passes and checks would walk it as often."""
    from dtracepy.errors import DSLError
    from dtracepy.inputs import LIMIT_TEXT, MAX_INPUT_BYTES
    from dtracepy.lexer import MAX_ITEMS, MAX_NESTING, MAX_OPERATORS
    from dtracepy.printer import crowded, deepest, largest, measure

    total = deepest_seen = 0
    items = tuple(items)
    found: dict = {}
    for index, item in enumerate(items):
        # (the items measured 256 at a time, the measures dropped after them: a node shared
        # between such runs of items is measured again in each, and printed again in each too;
        # the measures of all the items at once were 85 MB for the 90,000 clauses of the largest
        # `import --exact`)
        if not index % _MEASURED_AT_ONCE:
            found = measure(items[index:index + _MEASURED_AT_ONCE])
        size, deep, _, most, longest = found[id(item)]
        deepest_seen = max(deepest_seen, deep)
        if nesting and deep > MAX_NESTING:
            raise DSLError(f"the D nests ( [ {{ more than {MAX_NESTING} levels deep here, which dtracepy "
                           "check refuses (nested too deeply): an if_ inside hundreds of others, or an "
                           "expression built in a loop that puts each step in parentheses; nest less, or "
                           "keep a step's value in a variable (this->x = ...)",
                           deepest(item, found, MAX_NESTING).pos or fallback)
        total += size
        if total > MAX_INPUT_BYTES:
            # (a value doubled 100,000 times is 2**100000 bytes: more digits than Python prints)
            bits = total.bit_length()
            shown = f"{total:,}" if bits <= 64 else f"2**{bits - 1}"
            raise DSLError(f"the D is over {LIMIT_TEXT} here (at least {shown} bytes), which dtracepy "
                           "check refuses (input too large): a D value used twice is printed twice (x = x "
                           "+ x in a loop doubles it each time); keep a value in a variable (this->x = "
                           "...) and use that", largest(item, found).pos or fallback)
        if most > MAX_OPERATORS or longest > MAX_ITEMS:
            raise DSLError(f"the D has more than {MAX_OPERATORS:,} operators in one expression, or more "
                           f"than {MAX_ITEMS:,} arguments in one call, here, which dtracepy check refuses "
                           "(dtrace cannot run it): an expression built in a loop; keep a step's value in a "
                           "variable (this->x = ...)", crowded(item, found, MAX_OPERATORS, MAX_ITEMS).pos or fallback)
    return deepest_seen


_MEASURED_AT_ONCE = 256


def _refuse_too_long(text: str, fallback) -> None:
    """The printed D, over the input limit (a ``description=`` of megabytes): refused at the tracer."""
    from dtracepy.errors import DSLError
    from dtracepy.inputs import LIMIT_TEXT, MAX_INPUT_BYTES

    if len(text) > MAX_INPUT_BYTES // 4:  # (else at most 4 bytes a character cannot be over)
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_INPUT_BYTES:
            raise DSLError(f"the D is {size:,} bytes, over {LIMIT_TEXT}, which dtracepy check refuses "
                           "(input too large): is a description= or docstring that long?", fallback)


def _foreign_options(program, dialect) -> list:
    """A ``pragma`` finding for each ``#pragma D option`` the named ``dialect`` has not (the
    tracer's ``options=``, ``t.option``, ``t.pragma``), at the line that gave it."""
    from dtracepy.checks import Finding
    from dtracepy.facts import options as _options

    name = getattr(dialect, "name", dialect)
    found = []
    for item in program.items:
        if isinstance(item, tree.Pragma):
            problem = _options.pragma_problem(item.words, name)
            if problem and not _options.pragma_problem(item.words):
                found.append(Finding("error", problem, "pragma", item.pos))
    return found


def _tracer_pos(tracer):
    from dtracepy.source import Pos

    return Pos(tracer.source, 1) if getattr(tracer, "source", None) else None


def _refuse_unencodable(program, text: str, fallback) -> None:
    """D is UTF-8: a lone surrogate (``"\\udc80"``, from a bad decode) cannot be written.  Refuse it
    at the node that holds it (else at the tracer's first position)."""
    try:
        text.encode("utf-8")
        return
    except UnicodeEncodeError as err:
        bad = text[err.start]
    unplaced = None     # the header comment holds a macro()'s doc too: name the macro()'s line
    for node in program.walk():
        for value in attrs.astuple(node, recurse=False):
            if isinstance(value, str) and bad in value:
                at = value.index(bad)  # (the text around it: a header comment is long)
                if isinstance(node, tree.Comment):  # (its line, without the header's " * ")
                    line = value[max(0, at - 20):at + 1].split("\n")[-1].lstrip(" *")
                    what = (f"the comment text {line!r} (the header comment's is the module's docstring, "
                            "the tracer's name or description, a macro()'s doc)")
                else:
                    what = f"the string {value[max(0, at - 20):at + 20]!r}"
                error = CompileError(f"{what} holds a lone surrogate "
                                     f"(U+{ord(bad):04X}), which is not text and cannot be written as "
                                     "UTF-8 D", node.pos or fallback)
                if node.pos is not None:
                    raise error
                unplaced = unplaced or error
    if unplaced is not None:
        raise unplaced
    raise CompileError(f"the D holds a lone surrogate (U+{ord(bad):04X}), which cannot be written as UTF-8",
                       fallback)


def _clear_points(tracer):
    """What the cleanup rules hold the tracer to; None (no such rules) with ``cleanup=False``:
    the program zeroes what it zeroes itself, as D does."""
    if not getattr(tracer, "cleanup", True):
        return None
    return tuple(tracer.clear_points.values())


def run_checks(program, dialect="illumos", *, clear_points: tuple = (), only_rules: bool = False,
               kept: frozenset = frozenset(), dialect_given: bool = False, index_of=None):
    """The findings for a compiled tracer's program (the compiler's rules are errors there);
    ``kept``: the thread-locals the tracer keeps on purpose (``t.keep``), which do not leak;
    ``dialect_given``: the dialect was named, and a function it lacks is an error; ``index_of``:
    a checks' context of ``program`` whose index the checks share."""
    from dtracepy.checks import CheckOptions, check_program
    from dtracepy.checks.registry import BY_NAME, CHECKS, COMPILER_RULES

    disabled = frozenset(BY_NAME) - COMPILER_RULES if only_rules else frozenset()
    # the rules family is what compile_tracer's refusals say, at the tracer's lines
    disabled |= frozenset(info.name for info in CHECKS if info.family == "rules")
    options = CheckOptions(dialect=dialect, dialect_given=dialect_given, clear_points=clear_points,
                           disabled=disabled, kept=kept, expand=_expanded)
    return check_program(program, options=options, index_of=index_of)


def _expanded(program, include_dirs, source_file):
    """:func:`dtracepy.parser.expanded`, the parser imported only by a tracer the destructive check
    must look at past its macros (a compile imports no parser otherwise)."""
    from dtracepy.parser import expanded

    return expanded(program, include_dirs, source_file)
