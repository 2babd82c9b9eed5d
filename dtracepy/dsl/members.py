"""``x.name``: ``->`` or ``.``, decided by what D's libraries say ``x`` is.

``x.name`` in a tracer is member access; D spells it ``x->name`` on a pointer and ``x.name`` on a
struct value.  When the DSL builds the node it often cannot know which ``x`` is: ``args[0]``
depends on the probe, ``curthread`` on the dialect.  So it writes ``->`` (the common case),
remembers the node as *chosen by default*, and once the clause's probes and the tracer's dialect
are known (:func:`resolve_clause`, called by ``t.probe`` and ``t.clause``) gives every such node
the operator the known types ask for; a compile for another dialect resolves the clause as built
again, for that dialect (``Tracer.items_for``):

* translated variables and arrays (:mod:`dtracepy.facts.translated`): ``curpsinfo`` is a
  ``psinfo_t *``, ``fds[fd]`` a ``fileinfo_t`` (``fds[arg0].fi_pathname``);
* ``args[N]`` of the stable providers (``io:::start`` ``args[0]`` is a ``bufinfo_t *``);
* members of those types and of the kernel types ``curthread`` reaches (``curthread.t_procp.
  p_user.u_comm`` is ``curthread->t_procp->p_user.u_comm`` on illumos; ``curpsinfo.pr_start.
  tv_sec`` is ``curpsinfo->pr_start.tv_sec``);
* casts, ``xlate`` and dereferences of those.

Explicit ``dot(x, ...)`` and ``arrow(x, ...)`` are never changed; neither is any member whose base
type is unknown.
"""

from __future__ import annotations

import weakref

import attrs

from dtracepy import tree
from dtracepy.facts import probes as _probes
from dtracepy.facts import translated

# id(node) -> node, for Member nodes whose operator the DSL chose by default.
_DEFAULT_OP: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def remember_default(node: tree.Member) -> tree.Member:
    _DEFAULT_OP[id(node)] = node
    return node


def _is_default(node) -> bool:
    return _DEFAULT_OP.get(id(node)) is node


def _type_text(type_name: tree.TypeName) -> str:
    from dtracepy.printer import to_d

    return to_d(type_name)


def _join(base: str, depth: int) -> str:
    return base + (" " + "*" * depth if depth else "")


def _chained(node) -> bool:
    return isinstance(node, tree.Member) or (isinstance(node, tree.Unary) and node.op in ("*", "&"))


def type_of(node, probes: tuple[str, ...], dialect: str | None, memo: dict | None = None) -> str | None:
    """The D type of ``node`` where D's libraries fix it; None when unknown.  Iterative: a chain
    of 50,000 members (``x = x.parent`` in a loop) is walked once, from its root up; ``memo``
    (id of a node -> its type) keeps what one walk found for the next, so that resolving every
    member of such a chain is linear, not quadratic."""
    chain = []
    while _chained(node) and (memo is None or id(node) not in memo):
        chain.append(node)
        node = node.base if isinstance(node, tree.Member) else node.operand
    found = memo[id(node)] if memo is not None and id(node) in memo else _root_type(node, probes, dialect)
    for step in reversed(chain):
        found = None if found is None else _step_type(step, found, dialect)
        if memo is not None:
            memo[id(step)] = found
    return found


def _root_type(node, probes: tuple[str, ...], dialect: str | None) -> str | None:
    if isinstance(node, tree.Ident) and node.module is None:
        return translated.variable_type(node.name, dialect)
    if isinstance(node, tree.Index) and isinstance(node.base, tree.Ident) and node.base.module is None:
        name = node.base.name
        if name in translated.ARRAYS:
            return translated.ARRAYS[name]
        if name == "args" and len(node.keys) == 1 and isinstance(node.keys[0], tree.IntLit):
            return _args_type(node.keys[0].value, probes)
        return None
    if isinstance(node, (tree.Cast, tree.Xlate)):
        return _type_text(node.type)
    return None


def _step_type(node, inner: str, dialect: str | None) -> str | None:
    """The type of a member, ``*`` or ``&`` of a value of type ``inner``."""
    base, depth, array = translated.split_type(inner)
    if isinstance(node, tree.Member):
        if array or depth > 1 or (depth == 1) != (node.op == "->"):
            return None
        return translated.member_type(base, node.name, dialect)
    if array:
        return None
    if node.op == "*":
        return _join(base, depth - 1) if depth >= 1 else None
    return _join(base, depth + 1)


def _args_type(index: int, probes: tuple[str, ...]) -> str | None:
    """The type of ``args[index]`` when every probe of the clause agrees on it."""
    found = None
    for text in probes:
        provider, _module, _function, name = _probes.split(text)
        if _probes.is_glob(provider) or _probes.is_glob(name) or not provider or not name:
            return None
        arg = translated.probe_arg_type(provider, name, index)
        if arg is None or (found is not None and arg != found):
            return None
        found = arg
    return found


def _operator(node: tree.Member, probes, dialect, memo: dict | None = None) -> str:
    base_type = type_of(node.base, probes, dialect, memo)
    if base_type is None:
        return node.op
    base, depth, array = translated.split_type(base_type)
    if array:
        return node.op
    if depth == 0:
        is_struct = base in translated.TYPES or base.startswith(("struct ", "union "))
        return "." if is_struct else node.op
    if depth == 1:
        return "->"
    return node.op


def resolve(node, probes: tuple[str, ...], dialect: str | None):
    """``node`` with every default-chosen member operator set from the known types.  Iterative
    (a thousand nested ``elif_`` or a 20,000-term expression are fine); a subtree without such a
    member is returned as it is."""
    if node is None or not _DEFAULT_OP:
        return node
    from dtracepy.dsl.context import distinct_ids

    if not any(isinstance(n, tree.Member) and _is_default(n) for _, n in distinct_ids((node,))):
        return node
    done: dict[int, object] = {}  # id(original) -> rebuilt
    types: dict[int, str | None] = {}  # id(rebuilt) -> its type (type_of's memo)
    stack = [(node, False)]
    while stack:
        current, expanded = stack.pop()
        if id(current) in done:
            continue
        fields = [f.name for f in attrs.fields(type(current)) if f.name != "pos"]
        if not expanded:
            stack.append((current, True))
            for name in fields:
                value = getattr(current, name)
                if isinstance(value, tree.Node):
                    stack.append((value, False))
                elif isinstance(value, tuple):
                    stack.extend((v, False) for v in value if isinstance(v, tree.Node))
            continue
        changes = {}
        for name in fields:
            value = getattr(current, name)
            if isinstance(value, tree.Node):
                new = done[id(value)]
                if new is not value:
                    changes[name] = new
            elif isinstance(value, tuple) and any(isinstance(v, tree.Node) for v in value):
                items = tuple(done[id(v)] if isinstance(v, tree.Node) else v for v in value)
                if any(a is not b for a, b in zip(items, value)):
                    changes[name] = items
        result = attrs.evolve(current, **changes) if changes else current
        if isinstance(current, tree.Member) and _is_default(current):
            op = _operator(result, probes, dialect, types)
            if op != result.op:
                result = attrs.evolve(result, op=op)
        done[id(current)] = result
    return done[id(node)]


def resolve_clause(probes, predicate, body, dialect):
    """The predicate and body statements of a clause on ``probes`` (ProbeDesc nodes), resolved."""
    if not _DEFAULT_OP:
        return predicate, body
    texts = tuple(p.text for p in probes)
    name = getattr(dialect, "name", dialect)
    predicate = resolve(predicate, texts, name)
    if body is not None:
        body = [resolve(stmt, texts, name) for stmt in body]
    return predicate, body
