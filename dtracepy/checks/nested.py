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
