"""Tree -> tree passes the compiler runs, in one listed order (cleanup first).

Each pass is ``pass_(program, ctx) -> program``; ``ctx`` is a :class:`PassContext` carrying what
the tracer said beyond the tree (clear points, variables kept on purpose).
"""

from __future__ import annotations

import attrs

from dtracepy.passes.bodyless import braces_where_needed
from dtracepy.passes.cleanup import zero_thread_locals
from dtracepy.passes.lower_if import lower_if_else


@attrs.frozen
class PassContext:
    clear_points: dict = attrs.field(factory=dict)  # name -> dtracepy.dsl.tracer.ClearPoint
    dialect: object = "illumos"  # the D printed for: a name (or a Dialect); decides what is lowered
    cleanup: bool = True  # False: Tracer(cleanup=False), no automatic zeroing


PASSES = (
    zero_thread_locals,
    lower_if_else,  # where the dialect has no if/else (Oracle D): predicated clauses instead
    braces_where_needed,  # last: it depends on what follows each clause
)


def run_passes(program, ctx: PassContext | None = None):
    ctx = ctx or PassContext()
    for pass_ in PASSES:
        program = pass_(program, ctx)
    return program
