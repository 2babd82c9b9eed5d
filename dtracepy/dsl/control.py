"""D's ``if``/``else`` as context managers (illumos, FreeBSD and macOS D; Oracle D has none).

    with if_(self.ts):
        printf("%d\\n", timestamp - self.ts)
    with elif_(self.n > 1):
        ...
    with else_():
        ...

Python's own ``if`` decides, at compile time, which D gets generated; ``if_`` generates a D ``if``.
"""

from __future__ import annotations

import weakref

from dtracepy import tree
from dtracepy.dsl import context
from dtracepy.dsl.values import expr
from dtracepy.checks.printf import kind as _kind
from dtracepy.errors import DSLError
from dtracepy.source import user_pos


#: else_'s condition: none (``if_(None)`` is a Python None given as a condition, refused by expr).
_NO_CONDITION = object()


class _Branch:
    kind = "if_"

    def __init__(self, condition):
        self.pos = user_pos()
        self.cond = None if condition is _NO_CONDITION else expr(condition)
        if self.cond is not None and _kind(self.cond) == "string":  # (if_(execname))
            from dtracepy.dsl.tracer import _not_scalar

            raise DSLError(_not_scalar(f"the {self.kind} condition", self.cond,
                                       "refused; Oracle's, which gets if_ as ?:, says \"operator ?: expression must be of "
                                       "scalar type\""), self.pos)
        self.parent = None
        self.body = None

    def __enter__(self):
        self.parent = context.current(self.kind)
        self.prepare()
        self.body = context.push()
        return None

    def __exit__(self, exc_type, exc, tb):
        context.pop(self.body)
        if exc_type is None:
            self.parent.effects.extend(self.body.effects)  # used later in the body, perhaps
            self.parent.interrupted = self.parent.interrupted or self.body.interrupted
            self.parent.refused = self.parent.refused or self.body.refused
            self.finish(tree.Block(tuple(self.body), pos=self.pos))
        else:
            self.parent.refused = self.parent.refused or self.body.refused
            if self.parent.interrupted is None:
                self.parent.interrupted = (self.kind, exc_type.__name__, self.pos)
        return False

    def prepare(self):
        pass

    def finish(self, block):
        self.parent.append(tree.If(self.cond, block, None, pos=self.pos))


class if_(_Branch):  # noqa: N801 - reads as a keyword
    """``with if_(cond):`` records ``if (cond) { ... }``."""


class _Else(_Branch):
    """else_/elif_: extends the ``if`` chain just before it in the same body.

    The chain's nodes are new and not yet shared, so the last ``if`` gets its ``else`` in place,
    and the end of the most recent chain is remembered: a thousand ``elif_`` take linear time
    (rebuilding the chain each time was quadratic)."""

    def prepare(self):
        parent = self.parent
        if not parent or not isinstance(parent[-1], tree.If):
            raise DSLError(f"{self.kind} must follow a `with if_(...)` block directly", self.pos)
        head = parent[-1]
        global _LAST_CHAIN
        ref, tail = _LAST_CHAIN
        if ref() is not head:
            tail = head
        while isinstance(tail.otherwise, tree.If):
            tail = tail.otherwise
        if tail.otherwise is not None:
            raise DSLError(f"{self.kind}: the preceding if_ already has an else_", self.pos)
        self.head, self.tail = head, tail

    def attach(self, node):
        global _LAST_CHAIN
        object.__setattr__(self.tail, "otherwise", node)  # see the class docstring
        _LAST_CHAIN = (weakref.ref(self.head), node if isinstance(node, tree.If) else self.tail)


def _dead():
    return None


# (the head of the most recent if/elif_ chain, weakly; its last if)
_LAST_CHAIN = (_dead, None)


class else_(_Else):  # noqa: N801
    """``with else_():`` after ``with if_(...)`` records ``else { ... }``."""

    kind = "else_"

    def __init__(self):
        super().__init__(_NO_CONDITION)

    def finish(self, block):
        self.attach(block)


class elif_(_Else):  # noqa: N801
    """``with elif_(cond):`` records ``else if (cond) { ... }``."""

    kind = "elif_"

    def finish(self, block):
        self.attach(tree.If(self.cond, block, None, pos=self.pos))
