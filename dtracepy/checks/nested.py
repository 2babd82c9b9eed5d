"""Structs and unions defined inside another's body, which Oracle's D then knows by their tag
only as forward declarations (:data:`dtracepy.facts.dialects.NESTED_TAGS_FORWARD`): the checks of
members (``->`` and ``.`` through one), of keys (one's value as an aggregation key, on which
Oracle's dtrace aborts) and of declarations (a definition apart after it is no redefinition there)
ask this module which tags those are and how sure a finding is.
"""

from __future__ import annotations

from dtracepy import tree as t


def nested_definitions(ctx) -> set:
    """The ids of the StructSpecs with a body that stand in another struct's or union's member
    list (``struct bar { ... }`` of ``struct foo { struct bar { ... } y; }``)."""
    found = set()
    for spec in ctx.of(t.StructSpec):
        for field in spec.members or ():
            for word in field.specifiers:
                if word.__class__ is t.StructSpec and word.members is not None and word.name is not None:
                    found.add(id(word))
    return found


def forward_tags(ctx) -> frozenset:
    """(kind, tag) of each struct or union the program defines only inside another's body."""
    if ctx.uses_cpp or not ctx.of(t.StructSpec):
        return frozenset()
    nested = nested_definitions(ctx)
    if not nested:
        return frozenset()
    inner, apart = set(), set()
    for spec in ctx.of(t.StructSpec):
        if spec.members is not None and spec.name is not None:
            (inner if id(spec) in nested else apart).add((spec.kind, spec.name))
    return frozenset(inner - apart)


def severity(ctx):
    """"error" when the dialect checked for knows such a tag only as a forward declaration,
    "warning" when no dialect was chosen, None for another dialect (where it is a definition)."""
    from dtracepy.facts.dialects import NESTED_TAGS_FORWARD

    if ctx.options.dialect.name in NESTED_TAGS_FORWARD:
        return "error"
    return None if ctx.options.dialect_given else "warning"


def forward_note(kind, name) -> str:
    return (f"{kind} {name} is defined only inside another struct's body, and Oracle's D knows it by its tag "
            f"only as a forward declaration; define {kind} {name} apart, above the struct that holds it")


def size_findings(ctx):
    """``offsetof`` and ``sizeof`` of a struct or union known by its tag only as a forward
    declaration (Oracle's dtrace 2.0, ``dtrace -e``): ``offsetof(struct bar, a)`` is refused
    ("offsetof operand must be a struct or union type": incomplete-type, at the severity of
    :func:`severity`); ``sizeof(struct bar)`` and ``sizeof(*(struct bar *)p)`` compile, to -1
    (18446744073709551615 as dtrace prints it, measured live), which ``alloca()`` or a quantize's
    bounds then refuse: a warning."""
    forward = forward_tags(ctx)
    level = severity(ctx) if forward else None
    if level is None:
        return
    for node in ctx.of(t.Offsetof):
        tag = _tag_of(node.type.specifiers) if node.type.declarator.__class__ is t.NameDecl else None
        if tag in forward:
            yield ctx.finding("incomplete-type", node, f"offsetof({tag[0]} {tag[1]}, ...), which Oracle's dtrace 2.0 "
                              f"refuses (\"offsetof operand must be a struct or union type\"): "
                              f"{forward_note(*tag)}", severity=level)
    sizes = [(node, node.type) for node in ctx.of(t.SizeofType)]
    sizes += [(node, node.operand.operand.type) for node in ctx.of(t.SizeofExpr)
              if node.operand.__class__ is t.Unary and node.operand.op == "*"
              and node.operand.operand.__class__ is t.Cast]
    for node, type_name in sizes:
        declarator = type_name.declarator
        if node.__class__ is t.SizeofExpr:  # (*(struct bar *)p: the pointer's target)
            if declarator.__class__ is not t.PointerDecl:
                continue
            declarator = declarator.target
        tag = _tag_of(type_name.specifiers) if declarator.__class__ is t.NameDecl else None
        if tag in forward:
            yield ctx.finding("incomplete-type", node, f"sizeof of {tag[0]} {tag[1]}, which Oracle's dtrace 2.0 "
                              f"gives as -1 (18446744073709551615): {forward_note(*tag)}", severity="warning")


def _tag_of(specifiers):
    """(kind, tag) of a type's specifiers that name one struct or union (const aside), else None."""
    words = [w for w in specifiers if w not in ("const", "volatile")]
    if len(words) == 1 and words[0].__class__ is t.StructSpec and words[0].members is None:
        return words[0].kind, words[0].name
    return None
