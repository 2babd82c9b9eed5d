"""D's actions, subroutines and aggregating functions as Python functions.

* Actions (``printf``, ``trace``, ``exit`` ...) record a statement in the current probe body.
  Those that also make sense as values (``stack()``, ``ustack()``, ``func(pc)``, ``sym(pc)`` ...)
  return the call too: used as an aggregation key, the statement is withdrawn.
* Subroutines (``copyinstr``, ``htons``, ``strjoin`` ...) return expressions.
* Aggregating functions (``count``, ``sum``, ``quantize`` ...) return expressions that may only be
  assigned to aggregations.

``raise`` is spelled ``raise_``.  ``min``, ``max``, ``sum``, ``print`` and ``exit`` keep their D
names here but a star-import gives only the aliases ``min_``, ``max_``, ``sum_``, ``print_``,
``exit_``, so Python's own stay usable.  :func:`call` calls anything else by name.
"""

from __future__ import annotations

from dtracepy import tree
from dtracepy.dsl import context
from dtracepy.dsl.values import D, as_statement, expr
from dtracepy.errors import DSLError
from dtracepy.facts import functions as _functions
from dtracepy.source import user_pos

# Generated from the one table of D's functions (dtracepy.facts.functions), in its order.
ACTIONS = [n for n, f in _functions.FUNCTIONS.items() if f.kind == _functions.ACTION]
# Actions that are also values: aggregation keys (dtrace refuses them anywhere else but a statement).
VALUE_ACTIONS = frozenset(n for n, f in _functions.FUNCTIONS.items() if f.is_value)
SUBROUTINES = [n for n, f in _functions.FUNCTIONS.items() if f.kind == _functions.SUBROUTINE]
AGGREGATING = [n for n, f in _functions.FUNCTIONS.items() if f.kind == _functions.AGGREGATING]


def _call_node(name: str, args) -> tree.Call:
    pos = user_pos()
    return tree.Call(tree.Ident(name, pos=pos), tuple(expr(a) for a in args), pos=pos)


def call(name: str, *args) -> D:
    """A call of any D function by name, as an expression (record it with :func:`stmt`)."""
    return context.made(D(_call_node(name, args)))


def stmt(value) -> None:
    """Record any expression as a statement (``stmt(postinc(self.n))`` is ``self->n++;``)."""
    as_statement(value if isinstance(value, D) else D(expr(value)))


def _action(name: str):
    if name in VALUE_ACTIONS:
        def action(*args):
            return as_statement(D(_call_node(name, args)))
    else:
        def action(*args):
            if name == "printf" and not (args and (isinstance(args[0], str) or (
                    isinstance(args[0], D) and isinstance(args[0]._node, tree.StringLit)))):
                raise DSLError("printf needs a format string constant as its first argument", user_pos())
            as_statement(D(_call_node(name, args)))
    action.__name__ = action.__qualname__ = name
    action.__doc__ = f"The D action ``{name}(...)``; records a statement."
    return action


def _subroutine(name: str):
    effect = name in _functions.EFFECTS

    def subroutine(*args):
        value = D(_call_node(name, args))
        return context.made(value) if effect else value
    subroutine.__name__ = subroutine.__qualname__ = name
    subroutine.__doc__ = f"The D subroutine ``{name}(...)``; returns an expression."
    return subroutine


def _aggregating(name: str):
    lo, hi = _functions.ARITY[name]

    def aggregating(*args):
        if not lo <= len(args) <= hi:
            want = _functions.arity_text(lo, hi)
            raise DSLError(f"{name}() takes {want}, not {len(args)}", user_pos())
        return context.made(D(_call_node(name, args), agg=True))
    aggregating.__name__ = aggregating.__qualname__ = name
    aggregating.__doc__ = f"The aggregating function ``{name}(...)``; assign it to an aggregation."
    return aggregating


_ns = globals()
for _name in ACTIONS:
    _ns[_name + "_" if _name == "raise" else _name] = _action(_name)
for _name in SUBROUTINES:
    _ns[_name] = _subroutine(_name)
for _name in AGGREGATING:
    _ns[_name] = _aggregating(_name)
del _ns, _name

min_, max_, sum_, print_, exit_ = min, max, sum, print, exit  # noqa: F821 - made above

# Star-imports leave Python's min, max, sum, print and exit alone: the aliases come instead.
_SHADOWING = {"min", "max", "sum", "print", "exit"}
__all__ = [n for n in [n + "_" if n == "raise" else n for n in ACTIONS] + SUBROUTINES + AGGREGATING
           if n not in _SHADOWING] + ["call", "stmt", "min_", "max_", "sum_", "print_", "exit_"]
