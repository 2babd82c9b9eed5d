"""Give an empty body to every clause without one that would not be D without braces.

A clause without actions (``t.clause(...)``) is written ``desc /pred/`` only where that is D: with a
predicate and nothing but comments after it (:func:`dtracepy.tree.bodyless_is_d`).  Elsewhere
it needs ``{}``, which dtrace reads the same way; for Oracle's D, which has no clause without a
body, everywhere.  The printer would add the braces anyway; doing
it in the tree keeps the compiled program equal to what its printed D parses back to.
"""

from __future__ import annotations

import attrs

from dtracepy import tree
from dtracepy.facts.dialects import dialect_named
from dtracepy.tree import bodyless_is_d


def braces_where_needed(program, ctx=None):
    items = program.items
    # (Oracle's D takes no clause without a body at all: Dialect.has_bodyless_clauses)
    anywhere = ctx is not None and not dialect_named(ctx.dialect).has_bodyless_clauses
    changed = [
        attrs.evolve(item, body=())
        if isinstance(item, tree.Clause) and item.body is None and (anywhere or not bodyless_is_d(items, i))
        else item
        for i, item in enumerate(items)
    ]
    if all(a is b for a, b in zip(changed, items)):
        return program
    return attrs.evolve(program, items=tuple(changed))
