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

import inspect
import os
import re
import sys
from collections.abc import Mapping

import attrs

from dtracepy import tree
from dtracepy.checks.printf import kind as _kind
from dtracepy.dsl import context
from dtracepy.dsl import types as _types
from dtracepy.dsl.members import resolve_clause
from dtracepy.dsl.probes import check_desc
from dtracepy.dsl.records import Record
from dtracepy.dsl.values import D, _short_text, at_position, expr, placed, plain_int, surrogate_problem
from dtracepy.errors import DSLError
from dtracepy.facts import options as _options
from dtracepy.facts.dialects import DEFAULT as DEFAULT_DIALECT, UnknownDialect, dialect_named
from dtracepy.source import user_pos


@attrs.frozen
class ClearPoint:
    """Where the cleanup zeroes one thread-local: named probes, or nowhere (kept on purpose)."""

    name: str
    probes: tuple[str, ...]  # empty: kept
    pos: object = attrs.field(eq=False, default=None)
    keys: tuple = ()  # the element of a thread-local associative array to zero (tree.Expr keys)


def _parsed(text, pos, kind, what):
    """``text`` parsed as D: its items, every one of ``kind`` (comments dropped)."""
    from dtracepy.errors import DSyntaxError
    from dtracepy.parser import parse

    if not isinstance(text, str):
        raise DSLError(f"{what} are written as D text, not {type(text).__name__}", pos)
    try:
        program = parse(text, "<dtracepy>")
    except DSyntaxError as err:
        raise DSLError(f"cannot read {what} {text!r}: {err.message}", pos) from None
    items = [item for item in program.items if not isinstance(item, tree.Comment)]
    if not items or any(not isinstance(item, kind) for item in items):
        raise DSLError(f"{text!r} is not {what}", pos)
    # (at the user's line: a finding about them, a struct defined twice, is the tracer's, not
    # "<dtracepy>:1:1")
    return [at_position(item, pos, every=True) for item in items] if pos is not None else items


def _declared_name(decl):
    while not isinstance(decl, tree.NameDecl):
        decl = getattr(decl, "target", None)
        if decl is None:
            return None
    return decl.name


def _self_name(var, what: str, pos) -> str:
    node = var._node if isinstance(var, D) else None
    if isinstance(node, tree.SelfVar):
        return node.name
    if tree.is_identifier(var):
        return var
    raise DSLError(f"{what} takes a thread-local (self.x) or its name, not {_given(var)}", pos)


def _given(value) -> str:
    """What a user passed, for a message: D text for a D value, else its type and repr."""
    if isinstance(value, D):
        try:
            return str(value)
        except Exception:  # noqa: BLE001 - only a message
            return "this D value"
    text = repr(value)
    return f"{type(value).__name__} ({text if len(text) <= 60 else text[:57] + '...'})"


def _predicate(when, pos):
    """``when=`` as a D expression; a Python string would be D's string constant, which no
    predicate takes (dtrace: "predicate result must be of scalar type")."""
    if when is None:
        return None
    if isinstance(when, str):
        text = when if len(when) <= 60 else when[:57] + "..."
        raise DSLError(f"when={text!r} is a Python string, so the predicate would be that string "
                       "constant (dtrace: \"predicate result must be of scalar type\"): write it "
                       "as a D expression, when=arg0 > 0 or when=and_(pid == 1, arg0 != 0)", pos)
    node = expr(when)
    if _kind(node) == "string":  # (when=execname: the same refusal, for a D string)
        raise DSLError(_not_scalar("the predicate", node, "\"predicate result must be of scalar type\""), pos)
    return node


def _not_scalar(what: str, node, dtrace_says: str) -> str:
    """What is said of a D string where D wants a scalar (a predicate, an ``if_`` condition)."""
    from dtracepy.printer import to_d

    text = to_d(node)
    text = text if len(text) <= 60 else text[:57] + "..."
    return (f"{what} ({text}) is a string, and D tests only integers and pointers (dtrace: "
            f"{dtrace_says}): compare it, {text} != \"\", or test its length, strlen({text})")


def _dialect_name(dialect) -> str:
    return getattr(dialect, "name", dialect)


def _optional_text(value, what: str, pos):
    if value is not None and not isinstance(value, str):
        raise DSLError(f"{what} is a str (or None), not {type(value).__name__} ({value!r})", pos)
    problem = surrogate_problem(value, what) if value else None
    if problem:
        raise DSLError(problem, pos)
    return value


# ``#define NAME`` or ``#define NAME(a, b)``: what may stand before the replacement text.
_DEFINE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\((?:\s*[A-Za-z_][A-Za-z0-9_]*\s*"
                          r"(?:,\s*[A-Za-z_][A-Za-z0-9_]*\s*)*)?\))?").fullmatch
_HEADER = re.compile(r'<[^<>"\x00-\x1f\x7f]+>|"[^"<>\x00-\x1f\x7f]+"|[A-Za-z0-9_./+-]+').fullmatch


_NEVER_RUNS = ("@t.probe(...) decorates a plain function, whose body Python runs once, now, to "
               "record the clause: the body of an `async def` or of a generator (a function with "
               "`yield`) would not run, and the clause would be empty")


def _never_runs(fn) -> bool:
    """An ``async def`` or generator function, or the coroutine or generator it returned.  A plain
    ``def`` not marked a coroutine function (``inspect.markcoroutinefunction``) is answered from
    its code's flags, which is what inspect's six tests read for it (they were a twentieth of
    running the module of 30,000 clauses that ``import --exact`` checks).  (``getattr``, not
    ``fn.__dict__``: that made a dict for every function.)"""
    if fn.__class__ is _FUNCTION and getattr(fn, "_is_coroutine_marker", None) is None:
        return bool(fn.__code__.co_flags & _NOT_PLAIN)
    return (inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn)
            or inspect.isgeneratorfunction(fn) or inspect.iscoroutine(fn) or inspect.isgenerator(fn)
            or inspect.isasyncgen(fn))


_FUNCTION = type(_never_runs)
_NOT_PLAIN = inspect.CO_COROUTINE | inspect.CO_GENERATOR | inspect.CO_ASYNC_GENERATOR


def _refuse_an_early_exit(fn, pos, decorated_in: str) -> None:
    """A ``return`` inside ``with if_(...)`` in ``fn``'s body: an error at its line
    (:mod:`dtracepy.dsl.early_exit` says why)."""
    from dtracepy.dsl.early_exit import early_exit
    from dtracepy.source import Pos

    code = getattr(fn, "__code__", None)
    found = early_exit(code) if code is not None else None
    if found is None:
        return
    line, statement = found
    file = pos.file if pos is not None and code.co_filename == decorated_in else code.co_filename
    after = "after it" if statement == "return" else "after it in that pass of the loop"
    raise DSLError(f"this {statement} inside `with if_(...)` is Python's, not D's: it leaves the block "
                   f"while the body is recorded, so what the body says {after} is never recorded, for "
                   "any firing (a D clause has no return). Put the rest in `with else_():`, or guard "
                   "it with the negated condition", Pos(file, line))


def _dropped_message(value) -> str:
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    hint = (f"assign it to an aggregation (agg.name[keys] = {text})" if value._agg else
            "record it as a statement with stmt(...), or use its value")
    return (f"{text} is computed here but never used, so it would not be in the D (Python drops "
            f"the value of an expression standing alone): {hint}")


def _takes(function, count: int, pos) -> None:
    """A DSLError at ``pos`` unless ``function`` can be called with ``count`` arguments (an
    inline's value: one per parameter of ``params``)."""
    try:
        inspect.signature(function).bind(*range(count))
    except TypeError as err:
        raise DSLError(f"the inline's function must take one argument per parameter of params= "
                       f"({count}): {err}", pos) from None
    except ValueError:      # (a builtin without a signature: let the call say)
        pass


class Tracer:
    """A D program.  ``options`` become ``#pragma D option``s (``True`` for a bare option);
    ``includes``/``defines`` become ``#include``/``#define`` lines and make the script run
    through the C preprocessor (``dtrace -C``), as does ``cpp=True``.  ``dialect`` (illumos,
    oracle, freebsd, macos, or a :class:`~dtracepy.facts.dialects.Dialect`; illumos when not
    given, except that ``run`` then compiles for the dtrace it runs) is the D the program is
    compiled for and the checks hold it to, unless a compile names another (``compile(dialect=)``,
    ``dtracepy compile --dialect``, ``run``'s dtrace's): what depends on it (member operators,
    options, ``if`` lowering) is decided for the dialect compiled for.  For a dialect without
    ``if`` (Oracle's), each clause with an ``if_`` is lowered to predicated clauses
    (:mod:`dtracepy.passes.lower_if`).

    ``cleanup=False`` turns the automatic cleanup off for this tracer: no thread-local is zeroed
    for you, and the program keeps exactly the zeroing it writes itself (``dtracepy import
    --exact`` emits it, since the imported D zeroes by hand).  ``shebang`` is the ``#!`` line:
    ``True`` (the default) derives it from the options (``/usr/sbin/dtrace -qs``), a string gives
    its text after ``#!`` (``<path>/dtrace`` and one word of flags ending in ``-s``: Linux passes
    the rest of the line to dtrace as one argument; anything else is refused), ``False`` leaves it out."""

    def __init__(self, name: str | None = None, *, options: dict | None = None, includes=(),
                 defines: dict | None = None, cpp: bool = False, description: str | None = None,
                 dialect=None, cleanup: bool = True, shebang: bool | str = True):
        pos = user_pos()
        try:
            #: The :class:`~dtracepy.facts.dialects.Dialect` the program is written for.
            self.dialect = dialect_named(dialect if dialect is not None else DEFAULT_DIALECT)
        except UnknownDialect as err:
            raise DSLError(str(err), pos) from None
        #: Whether ``dialect`` was given: ``dtracepy run`` otherwise compiles for the dtrace it runs.
        self.dialect_given = dialect is not None
        if not isinstance(cleanup, bool):
            raise DSLError(f"cleanup is True or False, not {cleanup!r}", pos)
        if not isinstance(shebang, (bool, str)) or (isinstance(shebang, str) and "\n" in shebang):
            raise DSLError(f"shebang is True, False or the text of one line, not {shebang!r}", pos)
        if isinstance(shebang, str):
            tree.Shebang(_optional_text(shebang, "shebang", pos), pos=pos)  # refused here, at this line
            from dtracepy.facts.command_line import dtrace_shebang_problem

            problem = dtrace_shebang_problem(shebang)  # ./x.d runs dtrace, and runs it as written
            if problem:
                raise DSLError(f"shebang {shebang!r}: {problem}", pos)
        self.cleanup = cleanup
        self.shebang = shebang
        self.name = _optional_text(name, "a tracer's name", pos)
        self.description = _optional_text(description, "a tracer's description", pos)
        self.source = os.path.basename(pos.file) if pos else None
        self.pos = pos
        self.options: dict = {}
        self._option_pos: dict = {}
        for what, value, kind in (("options", options, Mapping), ("defines", defines, Mapping),
                                  ("includes", includes, (list, tuple))):
            if value is not None and not isinstance(value, kind):
                want = "a dict" if kind is Mapping else "a list"
                raise DSLError(f"{what}= takes {want}, not {type(value).__name__} ({value!r})", pos)
        for key, value in (options or {}).items():
            self._set_option(key, value, pos)
        self.includes = [self._include_text(i, pos) for i in includes]
        self.defines: dict = {}
        self._define_pos: dict = {}
        for key, value in (defines or {}).items():
            self._define(key, value, pos)
        self.cpp = bool(cpp)
        self.items: list[tree.TopLevel] = []
        # id(clause) -> (clause, predicate, body) before its members were resolved (items_for)
        self._as_built: dict[int, tuple] = {}
        self.clear_points: dict[str, ClearPoint] = {}
        self.declared: set[tuple[str, str]] = set()  # (scope, name) from declare()
        self.records: list[Record] = []

    # --- configuration ------------------------------------------------------------------------
    @staticmethod
    def _include_text(text, pos):
        if not isinstance(text, str) or not text.strip():
            raise DSLError(f"an include is a header name such as \"sys/types.h\", not {text!r}", pos)
        text = text.strip()
        if _HEADER(text) is None or "/*" in text or "*/" in text or "//" in text:
            raise DSLError(f"{text!r} is not a header name (<sys/types.h>, \"local.h\" or "
                           "sys/types.h; one line, no comment)", pos)
        text = text if text[0] in "<\"" else f"<{text}>"
        tree.Directive("include", text, pos=pos)  # refuses what cannot stand on the line
        return text

    def _set_option(self, name, value, pos) -> None:
        # an option of any dialect is taken here: the one compiled for judges it (compile_tracer)
        problem = _options.name_problem(name)
        if problem:
            raise DSLError(problem, pos)
        if value is False or value is None:
            self.options.pop(name, None)
            return
        if isinstance(value, int) and not isinstance(value, bool) and value >= 2**64:
            shown = f"{value}" if value.bit_length() <= 256 else f"an integer of {value.bit_length()} bits"
            raise DSLError(f"option {name}: {shown} does not fit in 64 bits (dtrace refuses it: "
                           "\"Invalid value for specified option\")", pos)
        problem = _options.python_value_problem(name, value)
        if problem:
            raise DSLError(problem, pos)
        if value is True:
            text = None
        elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            text = str(plain_int(value))
        elif isinstance(value, str):
            text = value
        else:
            raise DSLError(f"option {name}: the value is True (a bare option), a non-negative int or "
                           f"a str, not {value!r}", pos)
        problem = _options.value_problem(name, text)
        if problem:
            raise DSLError(problem, pos)
        self.options[name] = True if text is None else text
        self._option_pos[name] = pos

    def option(self, name: str, value=True) -> None:
        """``#pragma D option name[=value]``; ``value`` True for a bare option, False to drop it.
        ``name`` is one of D's options (:mod:`dtracepy.facts.options`) and ``value`` what it
        takes (a size such as ``"8m"``, a rate such as ``"10hz"`` ...)."""
        self._set_option(name, value, user_pos())

    def include(self, header: str) -> None:
        self.includes.append(self._include_text(header, user_pos()))

    def _define(self, name, value, pos) -> None:
        if not isinstance(name, str) or _DEFINE_NAME(name) is None:
            raise DSLError(f"{name!r} is not a macro name for #define (NAME or NAME(a, b))", pos)
        if isinstance(value, int) and not isinstance(value, bool):
            if value.bit_length() > 64:
                raise DSLError(f"#define {name}: an integer of {value.bit_length()} bits does not fit "
                               "in 64 bits", pos)
            value = str(plain_int(value))
        if not isinstance(value, str):
            raise DSLError(f"#define {name}: the value is a str or an int, not {value!r}", pos)
        if "\n" in value or "\r" in value:
            raise DSLError(f"#define {name}: the value must be one line, not {value!r}", pos)
        tree.Directive("define", f"{name} {value}".rstrip(), pos=pos)  # the line's invariants
        self.defines[name] = value
        self._define_pos[name] = pos

    def define(self, name: str, value: str = "") -> None:
        """``#define name value`` (one line); the script then runs through the C preprocessor."""
        self._define(name, value, user_pos())

    @property
    def quiet(self) -> bool:
        return bool(self.options.get("quiet"))

    @property
    def needs_cpp(self) -> bool:
        """Whether the program holds a line only the C preprocessor reads: an include, a define,
        a directive but those dtrace reads itself (``#line``, ``#ident``, a line marker or
        ``#!`` line: :func:`dtracepy.facts.directives.needs_cpp`)."""
        return bool(self.includes) or bool(self.defines) or tree.needs_cpp(self.items)

    @property
    def uses_cpp(self) -> bool:
        """Whether the script runs through the C preprocessor (``dtrace -C``): it needs it, or
        ``cpp=True`` asks for it."""
        return self.cpp or self.needs_cpp

    # --- clauses ------------------------------------------------------------------------------
    def probe(self, *descs: str, when=None):
        """Decorator: the function's body becomes a clause for ``descs`` with predicate ``when``."""
        pos = user_pos(2)  # (from the caller: this frame is dtracepy's)
        probes = self._descs(descs, pos)
        predicate = _predicate(when, pos)

        def decorate(fn):
            if not callable(fn):
                raise DSLError("@t.probe(...) decorates a function", pos)
            if isinstance(fn, type):
                # calling it makes an instance: the clause was empty, silently
                raise DSLError(f"@t.probe(...) decorates a function, not a class ({fn.__name__}): a "
                               "class body runs when Python defines the class, outside the probe, "
                               "and the clause would be empty", pos)
            if _never_runs(fn):
                raise DSLError(_NEVER_RUNS, pos)
            depth = context.depth()
            body = context.push()
            try:
                result = fn()
            except BaseException as err:
                context.unwind(depth)  # only what this body pushed
                if isinstance(err, SystemExit):
                    # Python's exit(0) where D's exit_(0) was meant: the CLI's error says so
                    err.dtracepy_in_probe_body = True
                raise
            if context.depth() != depth + 1:  # an if_(...).__enter__() without its __exit__
                context.unwind(depth)
                raise DSLError("a `with if_(...)` block (or elif_, else_) was entered and never left while "
                               "this body ran: use it as a `with` statement", pos)
            context.pop(body)
            if body.refused is not None:  # (a library caught it: reprlib.repr(pid))
                raise body.refused
            if body.interrupted is not None:
                kind, exc_name, at = body.interrupted
                raise DSLError(f"a {exc_name} left this `with {kind}(...)` block while its body was "
                               f"recorded, and the probe body caught it: the block is in no D (nothing of "
                               "it, not even what it recorded before the exception); let the exception "
                               "end the compile, or do what raises outside the block", at or pos)
            if result is not None and _never_runs(result):  # (None, the usual: six inspect calls saved)
                result.close()  # (a coroutine or generator object: its body has not run)
                raise DSLError(_NEVER_RUNS, pos)
            lost = context.dropped(body.effects, [*body, predicate])
            if lost:
                raise DSLError(_dropped_message(lost[0]), lost[0]._node.pos or pos)
            If = tree.If
            for stmt in body:  # (a loop, not any() of a generator: once a clause)
                if stmt.__class__ is If:  # (only then can it happen)
                    _refuse_an_early_exit(fn, pos, sys._getframe(1).f_code.co_filename)
                    break
            if isinstance(result, D) and result._pending is None:
                # `return arg0 > 0` (a predicate meant?) or `return x` made nothing: the clause
                # would be empty, silently.  (A lambda's call, `lambda: trace(1)`, returns what
                # it recorded as a statement: that is fine.)
                raise DSLError(f"a probe body's return value ({_short_text(result)}) becomes no D: the "
                               "clause records what its body calls and assigns; for a predicate write "
                               "@t.probe(..., when=...), to record a value trace(x)",
                               result._node.pos or pos)
            self._add_clause(probes, predicate, tuple(body), pos)
            return fn

        return decorate

    def clause(self, *descs: str, when=None) -> None:
        """A clause without actions (``syscall:::entry /pid == 1/``): D traces the default record.

        The printer writes it without braces where that is D (a predicate, and nothing but
        comments after it) and with an empty body elsewhere, which dtrace reads the same way."""
        pos = user_pos()
        predicate = _predicate(when, pos)
        probes = self._descs(descs, pos)
        self._add_clause(probes, predicate, None, pos)

    def _add_clause(self, probes, predicate, body, pos) -> None:
        """The clause, its members resolved for the tracer's dialect; as built, too, for a compile
        for another dialect (:meth:`items_for`)."""
        resolved, stmts = resolve_clause(probes, predicate, body, self.dialect)
        clause = tree.Clause(probes, resolved, None if body is None else tuple(stmts), pos=pos)
        self.items.append(clause)
        self._as_built[id(clause)] = (clause, predicate, body)

    def items_for(self, dialect) -> list:
        """The items as compiled for ``dialect`` (a name or Dialect; None: the tracer's own): each
        member whose ``->`` or ``.`` the DSL chose is chosen again from what that dialect's types
        say (``curthread.cred.uid.val`` is ``curthread->cred->uid.val`` for Oracle)."""
        if dialect is None or _dialect_name(dialect) == _dialect_name(self.dialect):
            return self.items
        items = []
        for item in self.items:
            built = self._as_built.get(id(item))
            if built is not None and built[0] is item:
                _clause, predicate, body = built
                predicate, stmts = resolve_clause(item.probes, predicate, body, dialect)
                stmts = None if body is None else tuple(stmts)
                if predicate is not item.predicate or stmts != item.body:
                    item = attrs.evolve(item, predicate=predicate, body=stmts)
            items.append(item)
        return items

    @staticmethod
    def _descs(descs, pos):
        if not descs:
            raise DSLError("a probe clause needs at least one probe description", pos)
        if len(descs) == 1:  # (the usual: one description, without a generator)
            return (tree.ProbeDesc(check_desc(descs[0], pos), pos=pos),)
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
    def clear(self, var=None, at=None) -> None:
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
        if at is None:
            raise DSLError(f"clear(self.{name}, at=...) needs at=: the probe description(s) where "
                           f"self->{name} is zeroed (at=\"syscall::read:return\", or a list of them)", pos)
        if not isinstance(at, (str, list, tuple)):
            raise DSLError(f"clear(..., at=...) takes a probe description (a str) or a list or tuple "
                           f"of them, not {type(at).__name__} ({at!r})", pos)
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

    def inline(self, name: str, type_text: str, value, *, params=()) -> D:
        """``inline type name = value;``; returns the name as a value.  With ``params`` (each
        ``"type name"``) it is D's parameterised inline, ``inline string f[int x] = ...;``, and
        ``value`` a function of the parameters: ``t.inline("f", "string", lambda x: cond(x == 1,
        "one", "other"), params=["int x"])``; use it as ``f[k]``."""
        pos = user_pos()
        specs, depth, dims = _types.parse_type(type_text, pos)
        if params:
            if dims:
                raise DSLError("a parameterised inline has no array dimensions of its own", pos)
            nodes, names = [], []
            for param in ([params] if isinstance(params, str) else params):
                ptype, _, pname = str(param).strip().rpartition(" ")
                pname = pname.lstrip("*")
                if not ptype or not pname.isidentifier():
                    raise DSLError(f"an inline parameter is written \"type name\", not {param!r}", pos)
                pspecs, pdepth, pdims = _types.parse_type(param[: len(param) - len(pname)], pos)
                nodes.append(tree.Param(pspecs, _types._declarator(pname, pdepth, pdims, pos), pos=pos))
                names.append(pname)
            if callable(value):
                _takes(value, len(names), pos)
                value = value(*(D(tree.Ident(n, pos=pos)) for n in names))
            decl: tree.Declarator = tree.ArrayDecl(tree.NameDecl(name, pos=pos), tuple(nodes), pos=pos)
            for _ in range(depth):
                decl = tree.PointerDecl(decl, pos=pos)
        else:
            if callable(value) and not isinstance(value, D):
                raise DSLError(f"inline {name}: a function as the value makes a parameterised inline, "
                               "which needs its parameters as params=[\"int x\", ...]", pos)
            decl = _types._declarator(name, depth, dims, pos)
        self.items.append(tree.Inline(specs, decl, expr(value), pos=pos))
        self.declared.add(("global", name))
        return D(tree.Ident(name, pos=pos))

    def directive(self, name: str, text: str = "") -> None:
        """A preprocessor line here, in program order: ``t.directive("if", "defined(X)")`` is
        ``#if defined(X)``; ``t.directive("include", "<sys/x.h>")`` (``include``/``define`` put
        theirs at the top instead).  The script then runs through the C preprocessor."""
        pos = user_pos()
        if not isinstance(name, str) or not (name == "" or name.isidentifier()):
            raise DSLError(f"{name!r} is not a preprocessor directive name", pos)
        if not isinstance(text, str) or "\n" in text.replace("\\\n", ""):
            raise DSLError("a directive's text is one line (continued with a backslash)", pos)
        self.items.append(tree.Directive(name, text, pos=pos))

    def declare_c(self, text: str) -> None:
        """C declarations written in C, for what :meth:`declare` cannot say: struct, union and
        enum definitions, typedefs, ``extern`` kernel symbols, several declarators, function
        types: ``t.declare_c("struct fileinfo { string name; int fd; };")``."""
        pos = user_pos()
        for item in _parsed(text, pos, tree.Declaration, "declarations"):
            self.items.append(item)
            scope = next((s for s in item.specifiers if s in ("self", "this")), "global")
            for decl in item.declarators:
                name = _declared_name(decl)
                if name:
                    self.declared.add((scope, name))

    def translator(self, output: str, input: str, name: str, members) -> None:  # noqa: A002
        """``translator output < input name > { member = value; ... };``.  ``members`` maps member
        names to values, or is a function of the input (a D value named ``name``) returning that
        mapping: ``t.translator("struct info", "struct proc *", "P", lambda P: {"pid": P.p_pid})``."""
        pos = user_pos()
        if not isinstance(name, str) or not name.isidentifier():
            raise DSLError(f"{name!r} is not a D identifier", pos)
        if callable(members):
            members = members(D(tree.Ident(name, pos=pos)))
        if isinstance(members, dict):
            members = list(members.items())
        if not isinstance(members, (list, tuple)) or not all(
                isinstance(m, tuple) and len(m) == 2 for m in members):
            raise DSLError("a translator's members are a dict of member name -> value (or a list "
                           "of (name, value) pairs, where D gives a member twice)", pos)
        items = []
        for member, value in members:
            if not isinstance(member, str) or not member.isidentifier():
                raise DSLError(f"{member!r} is not a member name", pos)
            items.append(tree.TranslatorMember(member, expr(value), pos=pos))
        self.items.append(tree.Translator(_types.type_name(output, pos), _types.type_name(input, pos),
                                          name, tuple(items), pos=pos))

    def provider(self, name: str, *probes: str) -> None:
        """A USDT provider definition; each probe is written as in D, without ``probe`` and
        ``;``: ``t.provider("myapp", "request__start(char *, int)", "done()")``."""
        pos = user_pos()
        if not isinstance(name, str) or not name.isidentifier():
            raise DSLError(f"{name!r} is not a provider name", pos)
        body = "".join(f"probe {p};" for p in probes)
        if any(not isinstance(p, str) or ";" in p for p in probes):
            raise DSLError("each provider probe is one string such as \"start(int, char *)\"", pos)
        (item,) = _parsed(f"provider {name} {{{body}}};", pos, tree.Provider, "a provider")
        self.items.append(attrs.evolve(item, pos=pos))

    def pragma(self, *words: str) -> None:
        """Any ``#pragma`` line: ``t.pragma("D", "depends_on", "module", "ip")``.  A ``#pragma D``
        line must be one D knows (an option by its name and value, as :meth:`option` takes)."""
        pos = user_pos()
        for word in words:
            if not isinstance(word, (str, int)) or isinstance(word, bool):
                raise DSLError(f"a #pragma word is a str, not {type(word).__name__} ({word!r})", pos)
        node = tree.Pragma(tuple(str(w) for w in words), pos=pos)
        problem = _options.pragma_problem(node.words)  # the dialect compiled for: compile_tracer
        if problem is None and self.dialect.crashes_on_provider_attributes and _options.crashing_pragma(node.words):
            problem = _options.CRASHING_PRAGMA  # (another dialect: compile's check warns of it)
        if problem:
            raise DSLError(problem, pos)
        self.items.append(node)

    def add(self, item: tree.TopLevel) -> None:
        """Add any top-level tree node as is (translators, providers, comments, directives).  The
        whole tree is checked: each node must hold what its kind can print, where its kind goes."""
        if not isinstance(item, tree.TopLevel):
            raise DSLError(f"add() takes a dtracepy.tree top-level node, not {type(item).__name__}", user_pos())
        if isinstance(item, tree.Pragma):
            problem = _options.pragma_problem(item.words)
            if problem:
                raise DSLError(problem, user_pos())
        self.items.append(placed(item, "t.add()"))

    # --- output -------------------------------------------------------------------------------
    def compile(self, *, checks: bool = True, dialect=None):
        """The :class:`dtracepy.compiler.Compiled` program: tree, D text and check findings.
        ``dialect`` (a name or Dialect) overrides the tracer's own for this compile, as
        ``dtracepy compile --dialect`` does."""
        from dtracepy.compiler import compile_tracer

        if dialect is not None:
            try:
                dialect = dialect_named(dialect)
            except UnknownDialect as err:
                raise DSLError(str(err), user_pos()) from None
        return compile_tracer(self, checks=checks, dialect=dialect)

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
