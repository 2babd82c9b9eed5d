"""``Tracer``: a D program being built from decorated Python functions.

    t = Tracer(options={"quiet": True}, includes=["<sys/types.h>"])

    @t.probe("syscall::read:entry", when=execname == "sshd")
    def read_entry():
        self.ts = timestamp

    print(t.to_d())

Each ``@t.probe`` body runs once, when it is decorated, on symbolic values; what it assigns and
calls becomes the clause's D statements.  Items appear in the D in the order they were made.
"""

from __future__ import annotations

import os

import attrs

from dtracepy import tree
from dtracepy.dsl import context
from dtracepy.dsl import types as _types
from dtracepy.dsl.probes import check_desc
from dtracepy.dsl.records import Record
from dtracepy.dsl.values import D, expr
from dtracepy.errors import DSLError
from dtracepy.facts.dialects import UnknownDialect, dialect_named
from dtracepy.source import user_pos


@attrs.frozen
class ClearPoint:
    """Where the cleanup zeroes one thread-local: named probes, or nowhere (kept on purpose)."""

    name: str
    probes: tuple[str, ...]  # empty: kept
    pos: object = attrs.field(eq=False, default=None)
    keys: tuple = ()  # the element of a thread-local associative array to zero (tree.Expr keys)


def _self_name(var, what: str, pos) -> str:
    node = var._node if isinstance(var, D) else None
    if isinstance(node, tree.SelfVar):
        return node.name
    if isinstance(var, str) and var.isidentifier():
        return var
    raise DSLError(f"{what} takes a thread-local (self.x) or its name", pos)


class Tracer:
    """A D program.  ``options`` become ``#pragma D option``s (``True`` for a bare option);
    ``includes``/``defines`` become ``#include``/``#define`` lines and make the script run
    through the C preprocessor (``dtrace -C``), as does ``cpp=True``.  ``dialect`` (illumos,
    oracle, freebsd, macos, or a :class:`~dtracepy.facts.dialects.Dialect`) is the D the program
    is compiled for and the checks hold it to; it is resolved here, once."""

    def __init__(self, name: str | None = None, *, options: dict | None = None, includes=(),
                 defines: dict | None = None, cpp: bool = False, description: str | None = None,
                 dialect="illumos"):
        pos = user_pos()
        try:
            #: The :class:`~dtracepy.facts.dialects.Dialect` the program is written for.
            self.dialect = dialect_named(dialect)
        except UnknownDialect as err:
            raise DSLError(str(err), pos) from None
        self.name = name
        self.description = description
        self.source = os.path.basename(pos.file) if pos else None
        self.pos = pos
        self.options: dict = {}
        for key, value in (options or {}).items():
            self.option(key, value)
        self.includes = [self._include_text(i, pos) for i in includes]
        self.defines = dict(defines or {})
        self.cpp = bool(cpp)
        self.items: list[tree.TopLevel] = []
        self.clear_points: dict[str, ClearPoint] = {}
        self.declared: set[tuple[str, str]] = set()  # (scope, name) from declare()
        self.records: list[Record] = []

    # --- configuration ------------------------------------------------------------------------
    @staticmethod
    def _include_text(text, pos):
        if not isinstance(text, str) or not text.strip():
            raise DSLError(f"an include is a header name such as \"sys/types.h\", not {text!r}", pos)
        text = text.strip()
        return text if text[0] in "<\"" else f"<{text}>"

    def option(self, name: str, value=True) -> None:
        """``#pragma D option name[=value]``; ``value`` True for a bare option, False to drop it."""
        if not isinstance(name, str) or not name.replace("-", "_").isidentifier():
            raise DSLError(f"{name!r} is not a D option name", user_pos())
        if value is False or value is None:
            self.options.pop(name, None)
        else:
            self.options[name] = value

    def include(self, header: str) -> None:
        self.includes.append(self._include_text(header, user_pos()))

    def define(self, name: str, value: str = "") -> None:
        self.defines[name] = value

    @property
    def quiet(self) -> bool:
        return bool(self.options.get("quiet"))

    @property
    def uses_cpp(self) -> bool:
        return self.cpp or bool(self.includes) or bool(self.defines) or any(
            isinstance(i, tree.Directive) for i in self.items)

    # --- clauses ------------------------------------------------------------------------------
    def probe(self, *descs: str, when=None):
        """Decorator: the function's body becomes a clause for ``descs`` with predicate ``when``."""
        pos = user_pos()
        probes = self._descs(descs, pos)
        predicate = None if when is None else expr(when)

        def decorate(fn):
            if not callable(fn):
                raise DSLError("@t.probe(...) decorates a function", pos)
            depth = context.depth()
            body = context.push()
            try:
                fn()
            except BaseException:
                context.unwind(depth)  # only what this body pushed
                raise
            context.pop(body)
            self.items.append(tree.Clause(probes, predicate, tuple(body), pos=pos))
            return fn

        return decorate

    def clause(self, *descs: str, when=None) -> None:
        """A clause without actions (``syscall:::entry /pid == 1/``): D traces the default record.

        The printer writes it without braces where that is D (a predicate, and nothing but
        comments after it) and with an empty body elsewhere, which dtrace reads the same way."""
        pos = user_pos()
        predicate = None if when is None else expr(when)
        self.items.append(tree.Clause(self._descs(descs, pos), predicate, None, pos=pos))

    @staticmethod
    def _descs(descs, pos):
        if not descs:
            raise DSLError("a probe clause needs at least one probe description", pos)
        return tuple(tree.ProbeDesc(check_desc(d, pos), pos=pos) for d in descs)

    # --- records ------------------------------------------------------------------------------
    def record(self, *columns, sep: str = ",", end: str = "\n", header: bool = True) -> Record:
        """Output columns; unless ``header=False`` a BEGIN clause printing their titles is added
        here.  ``rec.emit(v1, v2, ...)`` in a probe body prints one row."""
        rec = Record(columns, sep=sep, end=end)
        self.records.append(rec)
        if header:
            self.items.append(rec.header_clause(user_pos()))
        return rec

    # --- thread-local lifetimes ---------------------------------------------------------------
    def clear(self, var, at) -> None:
        """Zero thread-local ``var`` at probe(s) ``at`` instead of at the matching return probe(s)
        of the entry probes that set it (``t.clear(self.conn, at="syscall::accept*:return")``).
        For a thread-local associative array, name the element: ``t.clear(self.path[arg0],
        at="syscall::close:entry")`` zeroes ``self->path[arg0]`` there (D cannot zero a whole
        array); the keys are evaluated where it is zeroed."""
        pos = user_pos()
        keys: tuple = ()
        node = var._node if isinstance(var, D) else None
        if isinstance(node, tree.Index) and isinstance(node.base, tree.SelfVar):
            name, keys = node.base.name, node.keys
        else:
            name = _self_name(var, "clear", pos)
        probes = (at,) if isinstance(at, str) else tuple(at)
        for desc in probes:
            check_desc(desc, pos)
        if not probes:
            raise DSLError("clear(..., at=...) needs at least one probe description", pos)
        self.clear_points[name] = ClearPoint(name, probes, pos, keys)

    def keep(self, *variables) -> None:
        """Thread-locals kept set on purpose: the compiler will not zero them nor ask where to."""
        pos = user_pos()
        for var in variables:
            node = var._node if isinstance(var, D) else None
            if isinstance(node, tree.Index) and isinstance(node.base, tree.SelfVar):
                var = node.base.name  # keeping one element keeps the array
            name = _self_name(var, "keep", pos)
            self.clear_points[name] = ClearPoint(name, (), pos)

    # --- declarations and raw items -----------------------------------------------------------
    def declare(self, name: str, type_text: str, *, scope: str | None = None, keys=()) -> None:
        """A typed declaration: ``declare("x", "int", scope="self")`` is ``self int x;``,
        ``declare("a", "int", keys=("string", "int"))`` is ``int a[string, int];``."""
        pos = user_pos()
        if scope not in (None, "self", "this"):
            raise DSLError(f"scope is None, \"self\" or \"this\", not {scope!r}", pos)
        if not isinstance(name, str) or not name.isidentifier():
            raise DSLError(f"{name!r} is not a D identifier", pos)
        self.items.append(_types.declaration(name, type_text, scope=scope, keys=keys, pos=pos))
        self.declared.add((scope or "global", name))

    def inline(self, name: str, type_text: str, value) -> D:
        """``inline type name = value;``; returns the name as a value."""
        pos = user_pos()
        specs, depth, dims = _types.parse_type(type_text, pos)
        decl = _types._declarator(name, depth, dims, pos)
        self.items.append(tree.Inline(specs, decl, expr(value), pos=pos))
        self.declared.add(("global", name))
        return D(tree.Ident(name, pos=pos))

    def pragma(self, *words: str) -> None:
        """Any ``#pragma`` line: ``t.pragma("D", "depends_on", "module", "ip")``."""
        self.items.append(tree.Pragma(tuple(str(w) for w in words), pos=user_pos()))

    def add(self, item: tree.TopLevel) -> None:
        """Add any top-level tree node as is (translators, providers, comments, directives)."""
        if not isinstance(item, tree.TopLevel):
            raise DSLError(f"add() takes a dtracepy.tree top-level node, not {type(item).__name__}", user_pos())
        self.items.append(item)

    # --- output -------------------------------------------------------------------------------
    def compile(self, *, checks: bool = True):
        """The :class:`dtracepy.compiler.Compiled` program: tree, D text and check findings."""
        from dtracepy.compiler import compile_tracer

        return compile_tracer(self, checks=checks)

    def program(self) -> tree.Program:
        """The final D program as a tree (cleanup added)."""
        return self.compile().program

    def to_d(self) -> str:
        """The D script, starting with its ``#!`` line."""
        return self.compile().text

    def run(self, *, duration: float | None = None, args=(), target_cmd=None, pid: int | None = None,
            **options):
        """Run the tracer under the real dtrace; a context manager whose ``records()`` yields typed
        rows as they arrive, with ``.events()``, ``.aggregations``, ``.warnings`` and ``stop()``.
        See :func:`dtracepy.run.run` for the other options."""
        from dtracepy.run import run

        return run(self, duration=duration, args=args, target_cmd=target_cmd, pid=pid, **options)

    def __repr__(self):
        return f"<Tracer {self.name or ''} {len(self.items)} items>"
