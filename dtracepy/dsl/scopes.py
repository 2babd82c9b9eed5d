"""Variables: ``self.x`` (thread-local ``self->x``), ``this.x`` (clause-local ``this->x``),
``glob.x`` (a global ``x``; ``glob.a[k] = v`` for associative arrays), ``agg.name[keys] = count()``
(aggregations; ``agg[keys] = ...`` is the anonymous ``@``).

Reading a variable builds an expression anywhere (predicates are built outside probe bodies);
assigning records ``target = value;`` into the probe body being run.
"""

from __future__ import annotations

from dtracepy import tree
from dtracepy.dsl import context
from dtracepy.dsl.values import (PYTHON_ONLY, Compound, D, NoPythonValue, expr, not_pickled, python_only_dunders,
                                  python_only_error)
from dtracepy.errors import DSLError
from dtracepy.source import user_pos

def _is_agg_target(node) -> bool:
    return isinstance(node, tree.AggVar) or (isinstance(node, tree.Index) and isinstance(node.base, tree.AggVar))


def assign(target, value, op: str = "=", pos=None) -> None:
    """Record ``target op value;`` in the current probe body; ``pos``: the user's position, if
    the caller has it (it is the same line: each position asked costs a walk of the stack)."""
    body = context.current("an assignment")
    if pos is None:
        pos = user_pos()
    target_node = expr(target)
    if isinstance(value, Compound) and op == "=" and value._target == target_node:
        op, value_node = value._op, value._value
    else:
        value_node = expr(value, pos)  # (`self.x = 0`: its IntLit at ``pos``, not asked again)
    is_agg = _is_agg_target(target_node)
    value_is_agg = isinstance(value, D) and value._agg
    if is_agg and not value_is_agg:
        raise DSLError("an aggregation is assigned the result of an aggregating function "
                       "(count(), sum(x), quantize(x), ...)", pos)
    if value_is_agg and not is_agg:
        raise DSLError("an aggregating function's result can only be assigned to an aggregation "
                       "(agg.name[keys] = ...)", pos)
    if is_agg and op != "=":
        raise DSLError("aggregations take `=` only", pos)
    body.append(tree.ExprStmt(tree.Assign(op, target_node, value_node, pos=pos), pos=pos))


class _Scope:
    """Attribute access builds a variable; attribute assignment records an assignment."""

    __slots__ = ("_make", "_label")

    def __init__(self, make, label):
        object.__setattr__(self, "_make", make)
        object.__setattr__(self, "_label", label)

    def __getattr__(self, name: str) -> D:
        if name in PYTHON_ONLY:  # (Python asks here after the class's guard raised AttributeError)
            raise python_only_error(name)
        if name.startswith("__") or name in _Scope.__slots__:  # (a slot unset: an object never made)
            raise AttributeError(name)
        return D(self._make(name, user_pos(2)))  # (from the caller: this frame is dtracepy's)

    def __setattr__(self, name: str, value) -> None:
        if name.startswith("__"):  # as reading one is (self.__class__ is Python's, not self->__class__)
            raise DSLError(f"{self._label}.{name}: a name starting with __ is Python's; write "
                           f"{self._label}({name!r}) for the D variable", user_pos())
        pos = user_pos(2)
        assign(D(self._make(name, pos)), value, pos=pos)

    def __call__(self, name: str) -> D:
        """``self("x")``: the variable named by a string (for generated names)."""
        return D(self._make(name, user_pos()))

    def __repr__(self):
        return f"<dtracepy scope {self._label}>"

    def __bool__(self):
        return True

    def __hash__(self):
        # {self: 1}, hash(glob): a Python constant in the D, as a D value's hash would be
        raise NoPythonValue(f"the DSL's scope {self._label} has no Python hash: it names D variables, "
                       "whose values exist only when the probe fires; a Python dict or set cannot "
                       "hold it or be looked up by it", user_pos())

    def __sizeof__(self):
        raise NoPythonValue(f"the DSL's scope {self._label} has no Python size: sys.getsizeof() measures "
                       "the Python object (write sizeof(x) for D's sizeof)", user_pos())

    # A scope is one namespace (self is every thread-local): a copy is the scope itself.
    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce_ex__(self, protocol):
        raise DSLError(not_pickled(f"the DSL's scope {self._label}"), user_pos())


def _global(name, pos):
    # The node says it was made by `glob`, so the compiler tells this tracer's globals from
    # built-ins and kernel names (no state shared between tracers).
    return tree.Ident(name, is_global=True, pos=pos)


class _AggScope(_Scope):
    __slots__ = ()

    def __getitem__(self, keys) -> D:
        return D(tree.AggVar("", pos=user_pos()))[keys]

    def __setitem__(self, keys, value) -> None:
        assign(self[keys], value)


python_only_dunders(_Scope)
python_only_dunders(_AggScope)

self = _Scope(lambda n, p: tree.SelfVar(n, pos=p), "self")
this = _Scope(lambda n, p: tree.ThisVar(n, pos=p), "this")
glob = _Scope(_global, "glob")
agg = _AggScope(lambda n, p: tree.AggVar(n, pos=p), "agg")

#: The anonymous aggregation ``@`` as a whole: ``printa(anon_agg)``, ``trunc(anon_agg, 20)``,
#: ``clear(anon_agg)``; ``anon_agg[keys] = count()`` is ``agg[keys] = count()``.
anon_agg = D(tree.AggVar(""))
