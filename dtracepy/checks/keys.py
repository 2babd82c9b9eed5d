"""Keys of one aggregation or associative array of two kinds (part of the rules family:
:func:`dtracepy.checks.rules.run` yields these for a D file): ``key-type``.

The first use of ``@a[k]``, ``a[k]`` or ``self->a[k]`` in the program text gives the keys their
types; a later use with a string where that one had an integer (or the other way round) is
refused by every D compiler ("@a[ ] key #1 is incompatible with prototype: prototype: string,
key: pid_t").  Only what is certain is judged (:func:`dtracepy.checks.printf.kind`: a string
constant, ``execname``, a string function's result; an integer constant, ``pid``, a comparison);
a key of a kind not known here and the constant 0 (a null string to D) are not.  An array the
program declares (``int x[string];``, ``self int a[int];``) or a parameterised inline (``inline
int f[int a] = ...``) has its keys' types from its prototype, not from a first use: a key of the
other kind is refused ("x[ ] key #1 is incompatible with prototype: prototype: string key: int").  Integers of two widths are one kind (``@a[pid]`` and ``@a[tid]`` are fine).
An associative array given another number of keys than at its first use is refused too
("a[ ] prototype mismatch: 2 keys passed, 1 expected"; agg-mismatch says it of an aggregation).
"""

from __future__ import annotations

from dtracepy import tree as t
from dtracepy.checks.declarations import _declared_name
from dtracepy.checks.printf import kind as _kind
from dtracepy.facts import variables as V
from dtracepy.facts.keywords import INTEGER_TYPE_WORDS

_KINDS = ("int", "string")


def run(ctx):
    indexes = ctx.of(t.Index)
    if not indexes or ctx.uses_cpp:  # (a macro may stand for anything)
        return
    yield from _crashing_aggregation_keys(ctx, indexes)
    declared = {_declared_name(d) for item in ctx.of(t.Declaration) for d in item.declarators}
    prototypes = _prototypes(ctx) if declared or ctx.items_of(t.Inline) else {}
    first: dict = {}  # (scope, name) -> (node, key kinds)
    for node in sorted(indexes, key=_order):
        key = _array(node.base)
        if key is None:
            continue
        prototype = prototypes.get(key)
        if prototype is not None:
            yield from _against_prototype(ctx, node, key, prototype)
            continue
        if key[1] in declared:
            continue
        kinds = tuple(map(_kind, node.keys))
        seen = first.get(key)
        if seen is None:
            first[key] = (node, kinds)
            continue
        prototype = seen[1]
        if len(prototype) != len(kinds):
            if key[0] != "@":  # (agg-mismatch says it of an aggregation)
                where = seen[0].pos
                yield ctx.finding(
                    "key-type", node, f"{_spelled(key)}[ ] has {len(kinds)} key{'s' if len(kinds) != 1 else ''} "
                    f"here but {len(prototype)} at its first use"
                    + (f" (line {where.line})" if where is not None else "")
                    + f": an associative array takes one number of keys (dtrace: \"{key[1]}[ ] "
                    f"prototype mismatch: {len(kinds)} key{'s' if len(kinds) != 1 else ''} passed, "
                    f"{len(prototype)} expected\")")
            continue
        for number, (want, have) in enumerate(zip(prototype, kinds), start=1):
            value = node.keys[number - 1]
            if want in _KINDS and have in _KINDS and want != have and not _zero(value) \
                    and not _zero(seen[0].keys[number - 1]):
                where = seen[0].pos
                yield ctx.finding(
                    "key-type", value,
                    f"{_spelled(key)}[ ] key #{number} is a{'n' if have == 'int' else ''} {have} here but "
                    f"a{'n' if want == 'int' else ''} {want} at its first use"
                    + (f" (line {where.line})" if where is not None else "")
                    + f": the keys of one {'aggregation' if key[0] == '@' else 'associative array'} have one "
                    f"type each (dtrace: \"key #{number} is incompatible with prototype\")", fallback=node)
                break


def _prototypes(ctx) -> dict:
    """(scope, name) -> the kinds of the keys an associative array's declaration or a parameterised
    inline gives (None for a key of a type not judged here)."""
    found = {}
    items = [(item.specifiers, d) for item in ctx.items_of(t.Declaration) for d in item.declarators]
    items += [(item.specifiers, item.declarator) for item in ctx.items_of(t.Inline)]
    for specifiers, declarator in items:
        if declarator.__class__ is not t.ArrayDecl or declarator.target.__class__ is not t.NameDecl \
                or not declarator.dims or not all(d.__class__ in (t.TypeName, t.Param) for d in declarator.dims):
            continue
        scope = "self" if "self" in specifiers else "global"
        found.setdefault((scope, declarator.target.name), tuple(map(_key_kind, declarator.dims)))
    return found


def _key_kind(dim) -> str | None:
    return type_kind(dim.specifiers, dim.declarator)


def type_kind(specifiers, declarator) -> str | None:
    """``string``, ``int`` (an integer type) or None (another, or not known here), of a type spelled
    as specifiers and a declarator (a prototype's key, a struct member, a translator's input)."""
    if declarator is not None and declarator.__class__ is not t.NameDecl:
        return None  # (a pointer, an array: not judged)
    words = [w for w in specifiers if w not in ("const", "volatile")]
    names = [w.name if w.__class__ is t.TypeRef and w.module is None else w for w in words]
    if names == ["string"]:
        return "string"
    if names and all(n.__class__ is str and n in INTEGER_TYPE_WORDS for n in names):
        return "int"
    return None


def _against_prototype(ctx, node, key, prototype):
    if len(prototype) != len(node.keys):
        return  # (array-use says it)
    for number, (want, value) in enumerate(zip(prototype, node.keys), start=1):
        have = _kind(value)
        if want in _KINDS and have in _KINDS and want != have and not _zero(value):
            yield ctx.finding(
                "key-type", value,
                f"{_spelled(key)}[ ] key #{number} is a{'n' if have == 'int' else ''} {have}, but its "
                f"declaration says {want} (dtrace: \"{key[1]}[ ] key #{number} is incompatible with "
                f"prototype: prototype: {want} key: {have}\"): give it a{'n' if want == 'int' else ''} "
                f"{want} key", fallback=node)
            return


def _array(base):
    cls = base.__class__
    if cls is t.AggVar:
        return ("@", base.name)
    if cls is t.SelfVar:
        return ("self", base.name)
    if cls is t.Ident and base.module is None and base.name not in V.KNOWN_NAMES:
        return ("global", base.name)
    return None


def _spelled(key) -> str:
    scope, name = key
    return "@" + name if scope == "@" else "self->" + name if scope == "self" else name


def _zero(node) -> bool:
    return node.__class__ is t.IntLit and node.text in ("0", "0x0", "00")


def _order(node):
    pos = node.pos
    return (pos.line, pos.col or 0) if pos is not None else (0, 0)


def _crashing_aggregation_keys(ctx, indexes):
    """An aggregation key that is a char array of the kernel's types whose size is not 1, 2, 4
    or 8 (``@a[curthread->comm]``, ``@a[curpsinfo->pr_fname]``): Oracle's dtrace aborts compiling
    it (:data:`dtracepy.facts.translated.AGGREGATION_KEY_ALIGNMENT_CRASHES`): an error for that
    dialect, a warning when none was chosen.  (The table of the kernel's types, a 2 M-instruction
    import, is loaded only for a key that could be such a value, a member or a cast's value: a
    program's aggregations mostly have none.)"""
    structs = forward = types = every = Tr = None
    for node in indexes:
        if node.base.__class__ is not t.AggVar:
            continue
        for key in node.keys:
            cls = key.__class__
            if cls is t.Unary:
                if key.op != "*" or key.operand.__class__ is not t.Cast:
                    continue
            elif cls is not t.Member:
                continue
            if Tr is None:
                from dtracepy.facts import translated as Tr

                if ctx.options.dialect.name in Tr.AGGREGATION_KEY_ALIGNMENT_CRASHES:
                    severity, dialect = "error", ctx.options.dialect.name
                elif not ctx.options.dialect_given:
                    severity, dialect = "warning", next(iter(sorted(Tr.AGGREGATION_KEY_ALIGNMENT_CRASHES)))
                else:
                    return
            if cls is t.Unary:
                if structs is None:
                    structs = _program_structs(ctx)
                    from dtracepy.checks.nested import forward_note, forward_tags

                    forward = forward_tags(ctx)
                tag = _forward_value(key.operand.type, forward) if forward else None
                if tag is not None:
                    yield ctx.finding("key-type", key, f"a value of {tag[0]} {tag[1]} as an aggregation key: Oracle's "
                                      f"dtrace 2.0 aborts compiling that (\"dt_aggid_rec_add: Assertion `alignment > "
                                      f"0 ...' failed\"): {forward_note(*tag)}", severity=severity)
                    continue
                name, size = _program_struct_value(key.operand.type, structs)
                if size is not None and size not in (1, 2, 4, 8):
                    yield ctx.finding("key-type", key, f"a value of the program's {name} ({size} bytes) as "
                                      f"an aggregation key: Oracle's dtrace 2.0 aborts compiling that (\"dt_aggid_"
                                      f"rec_add: Assertion `alignment > 0 && alignment <= 8 ...' failed\") for a "
                                      f"key of a size other than 1, 2, 4 or 8 bytes; key by its members instead",
                                      severity=severity)
                continue
            base = key.base  # (a member: see above)
            if ctx.of(t.StructSpec) and not ctx.uses_cpp:
                if types is None:
                    from dtracepy.checks.members import _Types

                    types = _Types(ctx)
                    every = _program_structs(ctx)
                size = _program_member_bytes(types, key, every)
                if size is not None and size not in (1, 2, 4, 8):
                    yield ctx.finding("key-type", key, f"member {key.name} ({size} bytes) of the program's struct as "
                                      f"an aggregation key: Oracle's dtrace 2.0 aborts compiling that (\"dt_aggid_"
                                      f"rec_add: Assertion `alignment > 0 && alignment <= 8 ...' failed\") for a "
                                      f"key of a size other than 1, 2, 4 or 8 bytes; key by its members instead"
                                      f"{' or by stringof(...)' if size and _is_char_array(types, key) else ''}",
                                      severity=severity)
                    continue
            if key.op != "->" or base.__class__ is not t.Ident or base.module is not None:
                continue
            shown = Tr.variable_type(base.name, dialect)
            if shown is None:
                continue
            struct, depth, array = Tr.split_type(shown)
            found = Tr.member_type(struct, key.name, dialect) if depth == 1 and not array else None
            size = Tr.array_bytes(found) if found is not None else None
            if size is not None and size not in (1, 2, 4, 8):
                yield ctx.finding("key-type", key, f"{base.name}->{key.name} ({found}) as an aggregation key: "
                                  f"Oracle's dtrace 2.0 aborts compiling that (\"dt_aggid_rec_add: Assertion "
                                  f"`alignment > 0 && alignment <= 8 ...' failed\"); use stringof({base.name}->"
                                  f"{key.name}) as the key", severity=severity)


class _Member:
    """One member of a struct as a struct of its own (what :func:`_struct_layout` reads)."""

    __slots__ = ("members",)

    def __init__(self, field, declarator):
        self.members = (_Field(field.specifiers, (declarator,)),)


class _Field:
    __slots__ = ("specifiers", "declarators")

    def __init__(self, specifiers, declarators):
        self.specifiers, self.declarators = specifiers, declarators


def _member_field(types, key):
    """(field, its declarator) of the member ``key`` (``p->m``, ``s.m``) of a struct the program
    defines, where members.py's types know the base's type; else None."""
    found = types.of(key.base)
    if found is None or found[1] != (1 if key.op == "->" else 0) or found[0].members is None:
        return None
    from dtracepy.checks.declarations import _declared_name

    for field in found[0].members:
        for fd in field.declarators:
            if fd.declarator is not None and _declared_name(fd.declarator) == key.name:
                return field, fd
    return None


def _program_member_bytes(types, key, structs):
    """The size dtrace gives the member ``key`` of the program's own struct, where it is an array
    or a struct value of certain layout (:func:`_struct_layout`); None otherwise (a scalar, whose
    size is 1, 2, 4 or 8, or what is not known here).  Measured: ``@[((struct foo *)p)->n]`` of a
    ``char n[3]``, or of a member ``struct bar y`` of 3 or 5 bytes, aborts Oracle's dtrace 2.0;
    ``char n[4]`` does not."""
    found = _member_field(types, key)
    if found is None or (found[1].declarator.__class__ is not t.ArrayDecl and not any(
            w.__class__ is t.StructSpec for w in found[0].specifiers)):
        return None
    layout = _struct_layout(_Member(*found), structs, 0)
    return layout[0] if layout is not None else None


def _is_char_array(types, key) -> bool:
    found = _member_field(types, key)
    return found is not None and found[1].declarator.__class__ is t.ArrayDecl and "char" in found[0].specifiers


def _forward_value(type_name, forward):
    """(kind, tag) of the struct or union a cast ``(struct bar *)`` points to, where ``forward``
    (:func:`dtracepy.checks.nested.forward_tags`) holds it; else None."""
    declarator, specifiers = type_name.declarator, type_name.specifiers
    if declarator.__class__ is not t.PointerDecl or declarator.target.__class__ is not t.NameDecl:
        return None
    words = [w for w in specifiers if w not in ("const", "volatile")]
    if len(words) != 1 or words[0].__class__ is not t.StructSpec:
        return None
    tag = (words[0].kind, words[0].name)
    return tag if tag in forward else None


def _program_structs(ctx) -> dict:
    """(kind, tag) -> the definition of each struct and union the program defines by a tag."""
    return {(s.kind, s.name): s for s in ctx.of(t.StructSpec)
            if s.kind in ("struct", "union") and s.name is not None and s.members is not None}


def _program_struct_value(type_name, structs):
    """("struct foo", bytes) of the struct or union a cast ``(struct foo *)`` points to, where the
    program defines it of members whose sizes are certain (spelled integer types, pointers, arrays
    of them, such structs and unions: LP64, natural alignment; :func:`_struct_layout`); (None, None)
    otherwise."""
    declarator, specifiers = type_name.declarator, type_name.specifiers
    if declarator.__class__ is not t.PointerDecl or declarator.target.__class__ is not t.NameDecl:
        return None, None
    spec = specifiers[0] if len(specifiers) == 1 else None
    if spec.__class__ is not t.StructSpec or (spec.kind, spec.name) not in structs:
        return None, None
    found = _struct_layout(structs[spec.kind, spec.name], structs, 0)
    return (f"{spec.kind} {spec.name}", found[0]) if found is not None else (None, None)


#: Bytes of a spelled integer type's deciding word (LP64); ``int`` when none of these is spelled.
_WORD_BYTES = {"char": 1, "short": 2, "long": 8}
_INTEGER_WORDS = frozenset(("char", "short", "int", "long", "signed", "unsigned"))


def _struct_layout(spec, structs, depth):
    """(size, alignment) of a program struct whose every member's size is certain, else None.  The
    size is dtrace's: the end of the last member, without C's tail padding (measured with ``dtrace
    -e``: ``struct { int a; char b; }`` as a key aborts it, ``{ char a; short b; }`` does not); a
    union's is its largest member's, unpadded too (``union { char a[3]; char b; }``, 3 bytes, aborts
    it, ``{ char a[3]; int b; }`` does not)."""
    if depth > 8 or spec.members is None:
        return None
    union = getattr(spec, "kind", "struct") == "union"
    offset, align = 0, 1
    for field in spec.members:
        words = [w for w in field.specifiers if w not in ("const", "volatile")]
        if len(words) == 1 and words[0].__class__ is t.StructSpec and words[0].kind in ("struct", "union"):
            inner = words[0] if words[0].members is not None else structs.get((words[0].kind, words[0].name))
            base = _struct_layout(inner, structs, depth + 1) if inner is not None else None
        elif words and all(w.__class__ is str and w in _INTEGER_WORDS for w in words):
            size = next((_WORD_BYTES[w] for w in ("char", "short", "long") if w in words), 4)
            base = (size, size)
        else:
            return None
        for item in field.declarators:
            if item.width is not None or item.declarator is None:
                return None  # (bit-fields: not judged)
            size, alignment, declarator, count = base, None, item.declarator, 1
            while declarator.__class__ is t.ArrayDecl:
                if len(declarator.dims) != 1 or declarator.dims[0].__class__ is not t.IntLit:
                    return None
                count *= int(declarator.dims[0].text, 0)
                declarator = declarator.target
            if declarator.__class__ is t.PointerDecl and declarator.target.__class__ is t.NameDecl:
                size = (8, 8)
            elif declarator.__class__ is not t.NameDecl or size is None:
                return None
            size, alignment = size[0] * count, size[1]
            offset = max(offset, size) if union else -(-offset // alignment) * alignment + size
            align = max(align, alignment)
    return offset, align  # (no tail padding: dtrace's CTF of a program struct ends at its last member)
