"""Keys of one aggregation or associative array of two kinds (part of the rules family:
:func:`dtracepy.checks.rules.run` yields these for a D file): ``key-type``.

The first use of ``@a[k]``, ``a[k]`` or ``self->a[k]`` in the program text gives the keys their
types; a later use with a string where that one had an integer (or the other way round) is
refused by every D compiler ("@a[ ] key #1 is incompatible with prototype: prototype: string,
key: pid_t").  Only what is certain is judged (:func:`dtracepy.checks.printf.kind`: a string
constant, ``execname``, a string function's result; an integer constant, ``pid``, a comparison);
a key of a kind not known here, an array the program declares, and the constant 0 (a null string
to D) are not.  Integers of two widths are one kind (``@a[pid]`` and ``@a[tid]`` are fine).
An associative array given another number of keys than at its first use is refused too
("a[ ] prototype mismatch: 2 keys passed, 1 expected"; agg-mismatch says it of an aggregation).
"""

from __future__ import annotations

from dtracepy import tree as t
from dtracepy.checks.declarations import _declared_name
from dtracepy.checks.printf import kind as _kind
from dtracepy.facts import variables as V

_KINDS = ("int", "string")


def run(ctx):
    indexes = ctx.of(t.Index)
    if not indexes or ctx.uses_cpp:  # (a macro may stand for anything)
        return
    declared = {_declared_name(d) for item in ctx.of(t.Declaration) for d in item.declarators}
    first: dict = {}  # (scope, name) -> (node, key kinds)
    for node in sorted(indexes, key=_order):
        key = _array(node.base)
        if key is None or key[1] in declared:
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
