"""What every D compiler refuses in a D file's declarations and constant expressions (part of the
rules family: :func:`dtracepy.checks.rules.run` yields these for a D file; a tracer's declarations
are the DSL's to make right).

* ``type-combination``: type specifiers that name no type (``char int``, ``short long``,
  ``unsigned float``, ``struct a {...} struct b {...};`` with the ``;`` between them missing):
  :func:`dtracepy.facts.keywords.type_specifier_problem`;
* ``redeclared``: a name declared again as something else: a variable of another type (``int x;
  char x;``), a typedef of a name already a type (``typedef int uint32_t;``), an inline of a name
  already defined (another inline, a variable, a function, a built-in variable, a library
  constant), a variable named as a built-in variable or function (``int pid;``), an enumerator
  named as anything else, a struct member twice in one struct, a struct, union or enum defined
  twice ("identifier redeclared", "typedef redeclared", "built-in identifier redeclared",
  "Duplicate member or variable name", "type redeclared");
* ``incomplete-type``: a struct or union member of a struct or union type (not a pointer to one)
  that the program defines only below it, or the struct being defined itself ("incomplete
  struct/union/enum");
* ``division-by-zero``: a ``/``, ``%``, ``/=`` or ``%=`` by a constant expression that is 0, even
  where it is never evaluated (dtrace folds constants first: "expression contains division by
  zero").

Names a kernel might define (a struct type never defined in the program, a variable named as a
kernel symbol) are not judged, nor, in a file without a probe clause (a D library, maybe the one
that defines them), the names D's libraries and built-ins define, nor the built-in names of a
program that sets the version option (an older D may lack them).  No walk of its own: it reads the checks' index of the tree.
"""

from __future__ import annotations

from dtracepy import tree as t
from dtracepy.facts import functions as Fn
from dtracepy.facts import variables as V
from dtracepy.facts.keywords import DEFINED_TYPEDEFS, TYPE_KEYWORDS, type_specifier_problem


def run(ctx):
    dialect = ctx.options.dialect
    yield from _type_combinations(ctx)
    yield from _divisions_by_zero(ctx, dialect)
    yield from _members_and_tags(ctx)
    yield from _names(ctx, dialect)


# --- type specifiers ------------------------------------------------------------------------------

_MARKS = {t.TypeRef: "name", t.EnumSpec: "enum"}


def _words(specifiers):
    for s in specifiers:
        if s.__class__ is str:
            if s in TYPE_KEYWORDS:
                yield s
        elif s.__class__ is t.StructSpec:
            yield s.kind
        else:
            mark = _MARKS.get(s.__class__)
            if mark:
                yield mark


def _type_combinations(ctx):
    for cls in (t.Declaration, t.FieldDecl, t.TypeName, t.Inline, t.Param):
        for node in ctx.of(cls):
            specifiers = node.specifiers
            if len(specifiers) < 2:
                continue  # (the usual case: one word)
            problem = type_specifier_problem(list(_words(specifiers)))
            if problem:
                named = [s for s in specifiers if s.__class__ is not str and s.pos is not None]
                yield ctx.finding("type-combination", named[1] if len(named) > 1 else node, problem,
                                  fallback=node)


# --- division by a constant 0 ---------------------------------------------------------------------

def _divisions_by_zero(ctx, dialect):
    from dtracepy.checks.rules import _constant

    for node in ctx.of(t.Binary):
        if node.op in ("/", "%") and _is_zero(_constant(node.right, dialect)):
            yield ctx.finding("division-by-zero", node.right, _ZERO_TEXT.format(op=node.op), fallback=node)
    for node in ctx.of(t.Assign):
        if node.op in ("/=", "%=") and _is_zero(_constant(node.value, dialect)):
            yield ctx.finding("division-by-zero", node.value, _ZERO_TEXT.format(op=node.op), fallback=node)


_ZERO_TEXT = ("{op} by a constant expression that is 0: dtrace folds it before anything runs and "
              "refuses the program (\"expression contains division by zero\"), even where it is never "
              "evaluated")


def _is_zero(value) -> bool:
    return value == 0 and value is not Fn.NOT_CONSTANT and value is not None


# --- struct members, tags, incomplete members ---------------------------------------------------

def _declared_name(declarator):
    """The name a declarator declares (``x`` of ``*x[4]``), or None."""
    while declarator is not None and declarator.__class__ is not t.NameDecl:
        declarator = getattr(declarator, "target", None) or getattr(declarator, "declarator", None)
    return declarator.name if declarator is not None else None


def _is_value(declarator) -> bool:
    """Does the declarator declare the type itself (not a pointer, a function, or an array, which
    dtrace takes of an incomplete type)?"""
    return declarator.__class__ is t.NameDecl


def _before(a, b) -> bool:
    """Is position ``a`` above ``b`` in the same file?"""
    return a is not None and b is not None and a.file == b.file and (a.line, a.col or 0) < (b.line, b.col or 0)


def _pos(node):
    return node.pos if node is not None else None


def _members_and_tags(ctx):
    defined: dict = {}  # (kind, tag) -> the first StructSpec/EnumSpec that defines it
    specs = ctx.of_any(t.StructSpec, t.EnumSpec)
    for spec in specs:
        body = spec.members if spec.__class__ is t.StructSpec else spec.enumerators
        if body is None or spec.name is None:
            continue
        key = (getattr(spec, "kind", "enum"), spec.name)
        if key in defined:
            yield ctx.finding("redeclared", spec, f"{key[0]} {spec.name} is defined twice (dtrace: \"type "
                              f"redeclared: {key[0]} {spec.name}\"): define it once")
        else:
            defined[key] = spec
    for spec in ctx.of(t.StructSpec):
        if spec.members is None:
            continue
        seen = set()
        for field in spec.members:
            inner = [s for s in field.specifiers if s.__class__ is t.StructSpec and s.members is None
                     and s.name is not None]
            for fd in field.declarators:
                declarator = fd.declarator
                name = _declared_name(declarator) if declarator is not None else None
                if name is None:
                    continue
                if name in seen:
                    yield ctx.finding("redeclared", declarator, f"{spec.kind} {spec.name or '(unnamed)'} has two "
                                      f"members named {name} (dtrace: \"failed to define member '{name}': "
                                      "Duplicate member or variable name\")", fallback=field)
                seen.add(name)
                if inner and _is_value(declarator):
                    other = inner[0]
                    definition = defined.get((other.kind, other.name))
                    if definition is spec or (definition is not None and _before(declarator.pos or field.pos,
                                                                                  definition.pos)):
                        where = "is being defined" if definition is spec else "is only defined below"
                        yield ctx.finding(
                            "incomplete-type", declarator,
                            f"member {name} is a {other.kind} {other.name}, which {where} here (dtrace: "
                            f"\"incomplete struct/union/enum {other.kind} {other.name}: {name}\"): make it "
                            f"a pointer ({other.kind} {other.name} *{name}) or define {other.kind} "
                            f"{other.name} above", fallback=field)


# --- identifiers: variables, typedefs, inlines, enumerators -------------------------------------

def _always_defined_constants():
    """Constants the D libraries every session loads define (in Oracle's D, in illumos' list):
    an inline or enumerator may not take their name.  (Imported here: the translated types'
    tables cost a check that has no inline or enumerator its start-up.)"""
    from dtracepy.facts import translated as Tr

    return ({name for name, library in Tr.CONSTANTS.items() if library not in Tr.LIBRARY_NEEDS}
            & V.LIBRARY_CONSTANTS) | Tr.BUILTIN_CONSTANTS


def _builtin(name, dialect, versioned=False) -> str | None:
    """What ``name`` is to D before the program says anything, or None.  ``versioned``: the
    program sets the version option, and an older D may not have the name yet (``strstr`` is D
    1.1's): no answer."""
    if versioned:
        return None
    if name in dialect.variables:
        return "a built-in variable"
    if name in dialect.functions:
        return "a D function"
    row = V.LIBRARY_TABLE.get(name)
    if row is not None and row[3] and (row[2] is None or dialect.name in row[2].split()):
        return "a variable of D's libraries"
    return None


def _scalar_type(specifiers):
    """A canonical form of a type made of type keywords only (``long int`` and ``long`` are one),
    or None when it names another type (a typedef, a struct) or is not one."""
    words = []
    for s in specifiers:
        if s.__class__ is not str:
            return None
        if s in TYPE_KEYWORDS:
            words.append(s)
    if not words or type_specifier_problem(words):
        return None
    base = next((w for w in words if w not in ("signed", "unsigned", "short", "long")), None)
    return ("unsigned" in words, "short" in words, words.count("long"), base or "int")


def _shown_type(specifiers) -> str:
    return " ".join(s for s in specifiers if s.__class__ is str and s not in ("self", "this"))


def _names(ctx, dialect):
    items = ctx.program.items
    if not any(item.__class__ in (t.Declaration, t.Inline) for item in items):
        return
    # A file without a probe clause is taken for a D library (as empty-program does), maybe the one
    # that defines D's names: what the libraries define is not judged there.
    library = not ctx.clauses
    constants = frozenset() if library else None
    versioned = library or "version" in ctx.options_set
    typedefs: dict = {}   # name -> node
    variables: dict = {}  # (scope, name) -> (canonical type, specifiers, node)
    inlines: dict = {}
    enumerators: dict = {}
    for spec in ctx.of(t.EnumSpec):
        for enumerator in spec.enumerators or ():
            enumerators.setdefault(enumerator.name, enumerator)
    globals_declared: dict = {}  # name -> the declarator
    for item in items:
        if item.__class__ is t.Declaration:
            specifiers = item.specifiers
            scope = next((s for s in specifiers if s in ("self", "this")), "global")
            for declarator in item.declarators:
                name = _declared_name(declarator)
                if name is None:
                    continue
                if "typedef" in specifiers:
                    if name in typedefs or (name in DEFINED_TYPEDEFS and not library):
                        yield ctx.finding("redeclared", declarator, f"{name} is already a type (dtrace: "
                                          f"\"typedef redeclared: {name}\"): name the new type otherwise",
                                          fallback=item)
                    elif name in globals_declared:
                        yield ctx.finding("redeclared", declarator, f"{name} is already declared as a "
                                          f"variable (dtrace: \"typedef identifier redeclared: {name}\")",
                                          fallback=item)
                    typedefs.setdefault(name, declarator)
                    continue
                if declarator.__class__ is t.FuncDecl:
                    continue
                if scope == "global":
                    what = _builtin(name, dialect, versioned)
                    if what:
                        yield ctx.finding("redeclared", declarator, f"{name} is {what} (dtrace: \"built-in "
                                          f"identifier redeclared: {name}\"): name the variable otherwise",
                                          fallback=item)
                        continue
                    if name in typedefs:
                        yield ctx.finding("redeclared", declarator, f"{name} is already a type (dtrace: "
                                          f"\"global variable identifier redeclared: {name}\")", fallback=item)
                        continue
                    if name in enumerators and _before(enumerators[name].pos, declarator.pos):
                        yield ctx.finding("redeclared", declarator, f"{name} is an enumerator (dtrace: "
                                          f"\"identifier redeclared: {name}\")", fallback=item)
                        continue
                    globals_declared.setdefault(name, declarator)
                if declarator.__class__ is not t.NameDecl:
                    continue
                kind = _scalar_type(specifiers)
                key = (scope, name)
                earlier = variables.get(key)
                if earlier is None:
                    variables[key] = (kind, specifiers, declarator)
                elif kind is not None and earlier[0] is not None and kind != earlier[0]:
                    prefix = {"self": "self->", "this": "this->"}.get(scope, "")
                    yield ctx.finding("redeclared", declarator, f"{prefix}{name} is declared "
                                      f"{_shown_type(specifiers)} here and {_shown_type(earlier[1])} above "
                                      f"(dtrace: \"identifier redeclared: {name}\"): declare it once",
                                      fallback=item)
        elif item.__class__ is t.Inline:
            name = _declared_name(item.declarator)
            if name is None:
                continue
            if constants is None:
                constants = _always_defined_constants()
            what = (_builtin(name, dialect, versioned) or ("a constant of D's libraries" if name in constants else None)
                    or ("an inline above" if name in inlines else None)
                    or ("a variable declared above" if ("global", name) in variables else None)
                    or ("an enumerator" if name in enumerators
                        and _before(enumerators[name].pos, item.declarator.pos) else None))
            if what:
                yield ctx.finding("redeclared", item.declarator, f"inline {name}: {name} is already {what} "
                                  f"(dtrace: \"identifier redefined: {name}\"): name the inline otherwise",
                                  fallback=item)
            inlines.setdefault(name, item)
    # enumerators: one name, one meaning (in any order of the text)
    seen: dict = {}
    for spec in ctx.of(t.EnumSpec):
        for enumerator in spec.enumerators or ():
            name = enumerator.name
            if constants is None:
                constants = _always_defined_constants()
            what = (("another enumerator above" if name in seen else None) or _builtin(name, dialect, versioned)
                    or ("a constant of D's libraries" if name in constants else None)
                    or ("a declared variable" if _before(_pos(globals_declared.get(name)), enumerator.pos)
                        else None)
                    or ("an inline" if _before(_pos(inlines.get(name)), enumerator.pos) else None))
            if what:
                tag = "failed to define enumerator" if seen.get(name) is spec else "identifier redeclared"
                yield ctx.finding("redeclared", enumerator, f"enumerator {name} is already {what} (dtrace: "
                                  f"\"{tag}: {name}\"): name it otherwise", fallback=spec)
            seen.setdefault(name, spec)
