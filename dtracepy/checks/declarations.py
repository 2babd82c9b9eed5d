"""What every D compiler refuses in a D file's declarations, constant expressions and addresses (part
of the rules family: :func:`dtracepy.checks.rules.run` yields these for a D file; a tracer's declarations
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
* ``declaration``: a declaration D refuses: two storage classes (``self this int x;``) or one of
  C's D has not (``static``, ``register``), a bit-field of a non-integer type, of no bits or of
  more than its type has (``char c : 9``), an array declared without a dimension or with one
  that is not positive or above 2^32-1 (``int a[];``, ``int a[0];``), an enumerator whose value
  does not fit an int;
* ``address-of-variable``: ``&x`` of a variable D keeps itself (a global, an element of an
  associative array, a thread-local, a clause-local, a built-in variable, an inline): "cannot
  take address of dynamic variable";
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
from dtracepy.source import plainly_ordered


def run(ctx):
    dialect = ctx.options.dialect
    yield from _type_combinations(ctx)
    yield from _divisions_by_zero(ctx, dialect)
    yield from _members_and_tags(ctx)
    yield from _names(ctx, dialect)
    if ctx.of(t.Declaration):
        yield from _storage(ctx)
        if ctx.of(t.ArrayDecl):  # (it judges array declarators only: none, no work a declaration)
            yield from _array_dimensions(ctx, dialect)
    if ctx.of(t.SizeofExpr) and ctx.of(t.ArrayDecl):
        yield from _sizeof_dimensions(ctx)
    if ctx.of(t.FieldDecl):
        yield from _bit_fields(ctx, dialect)
    if ctx.of(t.Enumerator):
        yield from _enumerator_values(ctx, dialect)
    yield from _addresses(ctx, dialect)
    if ctx.of(t.Translator):
        yield from _translators(ctx)
    if ctx.of(t.Declaration) and ctx.of(t.ArrayDecl):  # (both judge array declarators only)
        yield from _local_arrays(ctx)
        yield from _typedef_keys(ctx)
    if ctx.of(t.Offsetof):
        yield from _offsets(ctx)
    if ctx.of(t.Offsetof) or ctx.of(t.SizeofType) or ctx.of(t.SizeofExpr):
        from dtracepy.checks.nested import size_findings

        yield from size_findings(ctx)
    if ctx.items_of(t.Inline):
        yield from _inline_named_locals(ctx)


def _inline_named_locals(ctx):
    """A clause-local or thread-local named as an inline is: Oracle's dtrace crashes on it
    (:data:`dtracepy.facts.variables.INLINE_NAMED_LOCAL_CRASHES`): an error for that dialect, a
    warning when none was chosen."""
    # (the compiler's context names a tracer's dialect without "given": Tracer(dialect="oracle"))
    if ctx.options.dialect.name in V.INLINE_NAMED_LOCAL_CRASHES:
        severity = "error"
    elif not ctx.options.dialect_given:
        severity = "warning"
    else:
        return
    names = {_declared_name(item.declarator) for item in ctx.items_of(t.Inline)}
    seen = set()
    for cls, shown in ((t.ThisVar, "this->"), (t.SelfVar, "self->")):
        for node in ctx.of(cls):
            if node.name in names and (cls, node.name) not in seen:
                seen.add((cls, node.name))
                yield ctx.finding("redeclared", node, f"{shown}{node.name} has the name of inline {node.name}: "
                                  "Oracle's dtrace 2.0 crashes on that (SIGSEGV, no message); rename one of them",
                                  severity=severity)


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
    # (each list of specifiers judged once: 210,000 `typedef int tN;` are one judgement; nodes
    # hash and compare without their positions, as the words judged do)
    judged: dict = {}
    for cls in (t.Declaration, t.FieldDecl, t.TypeName, t.Inline, t.Param):
        for node in ctx.of(cls):
            specifiers = node.specifiers
            if len(specifiers) < 2:
                continue  # (the usual case: one word)
            try:
                problem = judged[specifiers]
            except KeyError:
                problem = judged[specifiers] = type_specifier_problem(list(_words(specifiers)))
            except TypeError:  # (a node that cannot hash)
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
    # (no /= or %= among the assignments: no loop over them)
    for node in ctx.of(t.Assign) if not ctx.assignments.ops.isdisjoint(("/=", "%=")) else ():
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
    nested = None
    for spec in specs:
        body = spec.members if spec.__class__ is t.StructSpec else spec.enumerators
        if body is None or spec.name is None:
            continue
        key = (getattr(spec, "kind", "enum"), spec.name)
        if key in defined:
            yield ctx.finding("redeclared", spec, f"{key[0]} {spec.name} is defined twice (dtrace: \"type "
                              f"redeclared: {key[0]} {spec.name}\"): define it once")
        else:
            if nested is None:
                from dtracepy.checks.nested import nested_definitions

                nested = nested_definitions(ctx)
            if id(spec) not in nested:
                # (one defined inside another's body is no definition of its tag to Oracle's D, which
                # takes a definition apart after it: checks/nested.py; one apart before it is refused)
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
                    elif definition is None and nested:
                        yield from _forward_member(ctx, other, name, declarator, field)


def _forward_member(ctx, other, name, declarator, field):
    """A member whose type is a struct defined only inside another's body, which Oracle's D knows
    by its tag only as a forward declaration (checks/nested.py): "incomplete struct/union/enum"."""
    from dtracepy.checks import nested

    severity = nested.severity(ctx)
    if severity is not None and (other.kind, other.name) in nested.forward_tags(ctx):
        yield ctx.finding("incomplete-type", declarator, f"member {name} is a {other.kind} {other.name}, which Oracle's "
                          f"dtrace 2.0 refuses (\"incomplete struct/union/enum {other.kind} {other.name}: {name}\"): "
                          f"{nested.forward_note(other.kind, other.name)}", severity=severity, fallback=field)


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


_NOT_YET = object()


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
    if not ctx.of(t.Declaration) and not ctx.of(t.Inline):
        return
    items = ctx.program.items
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
            if not item.declarators:  # (``struct s { ... };``: no name declared)
                continue
            specifiers = item.specifiers
            scope = "global"
            for s in specifiers:  # (the first of them; a node among the words is neither)
                if s.__class__ is str and (s == "self" or s == "this"):
                    scope = s
                    break
            kind = _NOT_YET  # (the canonical type of the declaration's specifiers, once asked)
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
                if kind is _NOT_YET:  # (once a declaration: `int x,x,...` of 2 million, 37 % of the time)
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
            yield from _repeated_parameters(ctx, item)
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


def _repeated_parameters(ctx, item):
    """A parameterised inline that names one parameter twice, ``inline int f[int x, int x]``
    (dtrace: "parameter is already declared in array prototype: x, parameter #2")."""
    declarator = item.declarator
    if declarator.__class__ is not t.ArrayDecl:
        return
    seen = set()
    for number, param in enumerate(declarator.dims, 1):
        name = _declared_name(param.declarator) if param.__class__ is t.Param and param.declarator else None
        if name is None:
            continue
        if name in seen:
            yield ctx.finding("redeclared", param, f"parameter {name} is named twice (dtrace: \"parameter is "
                              f"already declared in array prototype: {name}, parameter #{number}\"): name "
                              f"each parameter otherwise", fallback=item)
        seen.add(name)


# --- storage classes, bit-fields, array dimensions, enumerator values -------------------------

_STORAGE = ("self", "this", "typedef", "extern", "static", "register")
#: Storage classes C has and D refuses ("specified storage class not appropriate in D").
_NOT_IN_D = ("static", "register")
#: Bits of the integer types a bit-field may be declared with.
_BITS = {"char": 8, "short": 16, "int": 32, "long": 64, "int8_t": 8, "uint8_t": 8, "int16_t": 16,
         "uint16_t": 16, "int32_t": 32, "uint32_t": 32, "int64_t": 64, "uint64_t": 64}


def _storage(ctx):
    for node in ctx.of(t.Declaration):
        classes = [s for s in node.specifiers if s.__class__ is str and s in _STORAGE]
        if len(classes) > 1:
            yield ctx.finding("declaration", node, f"{' '.join(classes)}: only one storage class is "
                              "allowed in a declaration (dtrace refuses it)")
        elif classes and classes[0] in _NOT_IN_D:
            yield ctx.finding("declaration", node, f"{classes[0]} is a storage class of C that D refuses "
                              "(\"specified storage class not appropriate in D\"): leave it out")
        elif not node.declarators and not any(s.__class__ in (t.StructSpec, t.EnumSpec) for s in node.specifiers):
            # `int self;`: no name, no struct, union or enum (dt_parser.c's dt_node_decl)
            text = " ".join(s if s.__class__ is str else getattr(s, "name", "?") for s in node.specifiers)
            keyword = f": '{classes[-1]}' is a storage class, not a name" if classes else ""
            yield ctx.finding("declaration", node, f"{text}; declares nothing{keyword} (dtrace: \"useless "
                              "declaration\")")


def _bit_width(specifiers):
    """Bits of the integer type ``specifiers`` name (0: not an integer type D takes for a
    bit-field; None: not known here, a typedef of another name)."""
    words = [s.name if s.__class__ is t.TypeRef and s.module is None else s for s in specifiers
             if s not in ("const", "volatile")]
    if any(w.__class__ is not str for w in words):
        return 0  # a struct, union or enum
    if len(words) == 1 and words[0] not in TYPE_KEYWORDS:
        return _BITS.get(words[0])
    if any(w in ("float", "double", "void", "string") for w in words):
        return 0
    if "long" in words:
        return 64
    if "short" in words:
        return 16
    if "char" in words:
        return 8
    return 32


def _bit_fields(ctx, dialect):
    from dtracepy.checks.rules import _constant

    for field in ctx.of(t.FieldDecl):
        for fd in field.declarators:
            if fd.width is None:
                continue
            declarator = fd.declarator
            name = _declared_name(declarator) if declarator is not None else None
            width = _constant(fd.width, dialect)
            bits = 0 if declarator is not None and declarator.__class__ is not t.NameDecl else \
                _bit_width(field.specifiers)
            shown = name or "(unnamed)"
            if bits == 0:
                yield ctx.finding("declaration", declarator or fd, f"bit-field {shown} is not of an integer "
                                  "type (dtrace: \"invalid type for bit-field\")", fallback=field)
            elif width.__class__ is int and name is not None and width <= 0:
                yield ctx.finding("declaration", fd.width, f"bit-field {shown} has {width} bits: a named "
                                  "bit-field needs a positive size", fallback=field)
            elif width.__class__ is int and bits is not None and width > bits:
                yield ctx.finding("declaration", fd.width, f"bit-field {shown} has {width} bits, more than "
                                  f"its type's {bits} (dtrace: \"bit-field too big for type\")", fallback=field)


def _sizeof_of_expression(dim):
    """The ``sizeof expr`` (not of a string constant) in an array dimension ``dim``, or None."""
    if dim.__class__ is t.TypeName or dim.__class__ is t.Param:
        return None
    return next((n for n in dim.walk() if n.__class__ is t.SizeofExpr and n.operand.__class__ is not t.StringLit),
                None)


def _sizeof_dimensions(ctx):
    """sizeof of an expression in any array declarator's dimension: a variable's, a struct or union
    member's, a typedef's, each dimension of it (``int a[sizeof(y)]``, ``struct s { int a[2][sizeof(1)]; }``)."""
    for declarator in ctx.of(t.ArrayDecl):
        for dim in declarator.dims:
            sizeof = _sizeof_of_expression(dim)
            if sizeof is not None:
                name = _declared_name(declarator)
                yield ctx.finding("declaration", sizeof, f"{f'array {name}' if name else 'an array'}'s dimension "
                                  "takes sizeof of an expression, which dtrace's parser does not fold to a constant "
                                  "(dtrace: \"positive integral constant expression or tuple signature expected as "
                                  "array declaration subscript\"): use sizeof of a type (sizeof (int))",
                                  fallback=declarator)
                break


def _array_dimensions(ctx, dialect):
    from dtracepy.checks.rules import _constant

    for item in ctx.items_of(t.Declaration):
        if "typedef" in item.specifiers or "extern" in item.specifiers:
            continue  # (extern int a[]; is taken)
        for declarator in item.declarators:
            if declarator.__class__ is not t.ArrayDecl:
                continue
            name = _declared_name(declarator)
            if not declarator.dims:
                yield ctx.finding("declaration", declarator, f"array {name} is declared without a dimension "
                                  f"(dtrace: \"array declaration requires array dimension or tuple signature\"): "
                                  f"give it one ({name}[16]) or key types ({name}[int])", fallback=item)
                continue
            first = declarator.dims[0]
            if len(declarator.dims) != 1 or first.__class__ is t.TypeName:
                continue
            if _sizeof_of_expression(first) is not None:
                continue  # (_sizeof_dimensions)
            size = _constant(first, dialect)
            if size.__class__ is int and size <= 0:
                yield ctx.finding("declaration", first, f"array {name} has dimension {size}: an array needs "
                                  "a positive one (dtrace refuses it)", fallback=declarator)
            elif size.__class__ is int and size > 2**32 - 1:
                yield ctx.finding("declaration", first, f"array {name} has dimension {size}, more than D "
                                  "takes (dtrace: \"array dimension too big\")", fallback=declarator)


def _enumerator_values(ctx, dialect):
    from dtracepy.checks.rules import _constant

    for node in ctx.of(t.Enumerator):
        if node.value is None:
            continue
        value = _constant(node.value, dialect)
        if value.__class__ is int and not -2**31 <= value <= 2**31 - 1:
            yield ctx.finding("declaration", node.value, f"enumerator {node.name} = {value} does not fit an "
                              "int (dtrace: \"value overflows INT_MAX\")", fallback=node)


# --- the address of a D variable ---------------------------------------------------------------

#: Operands of ``&`` that are values, never lvalues: a constant, an operator's result, a cast, a
#: call (``&copyin(p, 4)``), ``sizeof``, ``stringof`` (and a unary operator but ``*``).
_NO_ADDRESS = frozenset((t.IntLit, t.CharLit, t.StringLit, t.Binary, t.Ternary, t.Cast, t.Call, t.SizeofExpr,
                         t.SizeofType, t.Stringof, t.Offsetof))


def _addresses(ctx, dialect):
    """``&x`` of a variable D keeps itself (a global, an element of an associative array, a
    thread-local, a clause-local, a built-in): it has no address (dtrace: "cannot take address of
    dynamic variable"); a member of one, or an element of a declared array, has."""
    from dtracepy.checks.rules import _assigned_globals

    found = [node for node in ctx.of(t.Unary) if node.op == "&"]
    if not found:
        return
    declared, arrays = set(), set()
    for item in ctx.items_of(t.Declaration):
        if not any(s in ("typedef", "self", "this") for s in item.specifiers):
            for declarator in item.declarators:
                if declarator.__class__ in (t.NameDecl, t.ArrayDecl):
                    (arrays if declarator.__class__ is t.ArrayDecl and declarator.dims
                     and declarator.dims[0].__class__ is not t.TypeName else declared).add(
                        _declared_name(declarator))
        elif item.__class__ is t.Inline:
            declared.add(_declared_name(item.declarator))
    assigned = set() if ctx.uses_cpp else _assigned_globals(ctx.of, dialect, ctx.assignments)
    # a name assigned whole (s = alloca(15)) may be a pointer, whose s[14] has an address
    whole = {node.target.name for node in ctx.of(t.Assign) if node.target.__class__ is t.Ident}
    for node in found:
        operand = node.operand
        cls = operand.__class__
        if cls in _NO_ADDRESS or (cls is t.Unary and operand.op != "*"):
            yield ctx.finding("operand-type", operand, "& takes the address of a member, an element, *p or a "
                              "kernel symbol, and this is a value, which has none (dtrace: \"unacceptable operand "
                              "for unary & operator\")", fallback=node)
            continue
        if cls in (t.SelfVar, t.ThisVar):
            what = f"{'self->' if cls is t.SelfVar else 'this->'}{operand.name}"
        elif cls is t.Ident and operand.module is None and (
                operand.name in dialect.variables or operand.name in declared | assigned) and (
                operand.name not in arrays):
            what = operand.name
        elif cls is t.Index and operand.base.__class__ is t.Ident and operand.base.module is None and (
                operand.base.name in assigned and operand.base.name not in arrays | declared | whole):
            what = f"{operand.base.name}[...]"
        else:
            continue
        yield ctx.finding("address-of-variable", node, f"&{what}: {what} is a variable D keeps itself, which has no "
                          "address (dtrace: \"cannot take address of dynamic variable\"); copy what you need "
                          "(a member of it, or an element of a declared array, has one)")


# --- translators, clause-local arrays, offsetof ------------------------------------------------

def _translators(ctx):
    # (a set: tree nodes hash and compare without their positions; a list's `in` compared each
    # translator with every one above it, n**2/2 deep comparisons for a file of translators)
    seen, defined = set(), {}
    for node in ctx.of(t.Translator):
        output = node.output
        named = [s for s in output.specifiers if s.__class__ is not str or s in TYPE_KEYWORDS]
        if output.declarator.__class__ is t.NameDecl and named and (
                all(s.__class__ is str for s in named) or named[0].__class__ is t.EnumSpec):
            yield ctx.finding("declaration", output, "a translator's output type must be a struct or union "
                              "(dtrace: \"translator output type must be a struct or union\")", fallback=node)
        spec = named[0] if len(named) == 1 and named[0].__class__ is t.StructSpec else None
        if (spec is not None and spec.members is None and spec.name is not None and not ctx.uses_cpp
                and output.declarator.__class__ is t.NameDecl):
            yield from _translator_output(ctx, node, spec, defined)
        key = (output, node.input)
        if seen.__class__ is set:
            # (added, then told by the set's size: a key's deep hash computed once, not twice)
            size = len(seen)
            try:
                seen.add(key)
                found = len(seen) == size
            except TypeError:  # (a tree that cannot hash: told by comparing it with each one above)
                seen = list(seen)
                found = key in seen
                seen.append(key)
        else:
            found = key in seen
            seen.append(key)
        if found:
            yield ctx.finding("declaration", node, "this translator (the same input and output types) is "
                              "declared above already (dtrace: \"has already been declared\")")


def _translator_output(ctx, node, spec, defined):
    """A translator's output struct must be complete where the translator stands (dtrace:
    "incomplete struct/union/enum struct s"): defined above it in the script, or by the kernel
    (``struct task_struct``), which check cannot see, so a struct the script never defines is
    a warning, one it defines only below the translator an error."""
    if not defined:
        # (the struct, not its position: a position is made only for the structs translators
        # name, not for every struct, and once; 4 MiB of structs and translators made five a pair)
        for s in ctx.of(t.StructSpec):
            if s.members is not None and s.name is not None and s._at is not None:
                defined.setdefault((s.kind, s.name), s)
        defined.setdefault(None, None)  # (looked at once)
    where = defined.get((spec.kind, spec.name))
    name = f"{spec.kind} {spec.name}"
    quoted = f"(dtrace: \"incomplete struct/union/enum {name}\")"
    if where is None:
        yield ctx.finding("declaration", node.output, f"{name} is not defined in this script, and a translator's "
                          f"output type must be complete: unless the kernel defines it, dtrace refuses it "
                          f"{quoted}; define it above the translator", severity="warning", fallback=node)
        return
    if plainly_ordered(where._at, node._at):
        return  # (defined above it: told by offsets, no position made)
    where, pos = where.pos, node.pos
    if pos is not None and (where.line, where.col) > (pos.line, pos.col):
        yield ctx.finding("declaration", node.output, f"{name} is defined only below this translator (line "
                          f"{where.line}), and a translator's output type must be complete where it stands "
                          f"{quoted}: define it above the translator", fallback=node)


def _local_arrays(ctx):
    for item in ctx.items_of(t.Declaration):
        if "this" in item.specifiers:
            for declarator in item.declarators:
                if declarator.__class__ is t.ArrayDecl and declarator.dims and \
                        declarator.dims[0].__class__ is t.TypeName:
                    yield ctx.finding("declaration", declarator, f"this->{_declared_name(declarator)} is declared "
                                      "an associative array, which a clause-local cannot be (dtrace: "
                                      "\"associative arrays may not be declared as local variables\")", fallback=item)


def _typedef_keys(ctx):
    """A typedef name as a key type before a ``,`` in an associative array's declaration
    (``uint64_t start[dev_t, uint64_t];``): dtrace's lexer has read the declared name by then and
    returns a typedef name as an identifier, so the key list reads as an expression and dtrace
    says "syntax error near ","" (Oracle's D 2.0, the illumos lexer it keeps).  The last key, a
    pointer (``dev_t *``) and a qualifier after the name (``dev_t const``) are read as types."""
    for item in ctx.items_of(t.Declaration):
        if "typedef" in item.specifiers or "this" in item.specifiers:
            continue  # (a clause-local array is refused as such: _local_arrays)
        for declarator in item.declarators:
            if declarator.__class__ is not t.ArrayDecl or len(declarator.dims) < 2:
                continue
            for key in declarator.dims[:-1]:
                if key.__class__ is not t.TypeName or key.declarator.__class__ is t.PointerDecl \
                        or not key.specifiers or key.specifiers[-1].__class__ is not t.TypeRef:
                    continue
                name = key.specifiers[-1].name
                yield ctx.finding("declaration", key, f"{name}, a typedef name, is a key type before a ',' in "
                                  f"the declaration of {_declared_name(declarator)}, which dtrace reads as an "
                                  "expression there (dtrace: \"syntax error near \",\"\"): make it the last key, "
                                  f"or write its type in keywords (unsigned long long for uint64_t)",
                                  fallback=declarator)
                break


def _offsets(ctx):
    defined = {}
    for spec in ctx.of(t.StructSpec):
        if spec.members is not None and spec.name is not None:
            defined.setdefault((spec.kind, spec.name), spec)
    for node in ctx.of(t.Offsetof):
        specifiers = node.type.specifiers
        if node.type.declarator.__class__ is not t.NameDecl:
            continue
        words = [s for s in specifiers if s.__class__ is not str or s in TYPE_KEYWORDS]
        if words and all(s.__class__ is str for s in words):
            yield ctx.finding("offsetof-member", node, f"offsetof({' '.join(words)}, ...): offsetof takes a "
                              "struct or union type (dtrace: \"offsetof operand must be a struct or union type\")")
            continue
        spec = words[0] if len(words) == 1 and words[0].__class__ is t.StructSpec else None
        if spec is None:
            continue
        definition = spec if spec.members is not None else defined.get((spec.kind, spec.name))
        if definition is None or any(
                fd.declarator is None or _declared_name(fd.declarator) is None
                for field in definition.members for fd in field.declarators):
            continue  # (the kernel's type, or one with unnamed members: not judged)
        names = {_declared_name(fd.declarator) for field in definition.members for fd in field.declarators}
        if node.member not in names:
            yield ctx.finding("offsetof-member", node, f"{spec.kind} {spec.name} has no member {node.member} "
                              f"(dtrace: \"failed to determine offset of {node.member}: Member name not found\")")
