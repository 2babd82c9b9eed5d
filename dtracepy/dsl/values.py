"""The symbolic value: a D expression that Python operators combine into bigger D expressions.

``D`` wraps a :class:`tree.Expr`.  Python's ``+ - * / // % & | ^ ~ << >>`` and the comparisons
build D's operators (reflected forms too); ``x.name`` is member access, ``x[k1, k2]`` indexing,
``f(args)`` a call when ``f`` names a function.  Python's ``and``/``or``/``not``, ``if x:``,
``a < b < c`` and ``x in y`` cannot be overloaded, so they raise a :class:`TypeError` naming the
D spelling: :func:`and_`, :func:`or_`, :func:`not_`, :func:`xor`, :func:`cond`.

Member access and pointers
--------------------------
``x.name`` prints ``x->name`` unless ``x`` is known to be a struct value, in which case it prints
``x.name``.  A value is known to be a struct value when it comes from a cast to a non-pointer
type or from dereferencing a value known to be a one-level pointer (``deref(cast(p, "T *"))``,
``at(p, off, "struct s")``).  Everything else (thread-locals, built-ins, ``args[0]``, members)
defaults to ``->``, the common case in tracing.  Force either spelling with ``dot(x, "a.b")`` and
``arrow(x, "a")``; names starting with ``_`` also need those functions.

Coercion
--------
:func:`expr` is the one coercion function: a ``D`` gives its node, a Python ``int`` an
:class:`tree.IntLit`, a ``str`` a :class:`tree.StringLit`; anything else is a TypeError.
"""

from __future__ import annotations

import builtins
import os
import sys

from dtracepy import tree
from dtracepy.dsl import context
from dtracepy.errors import DSLError
from dtracepy.source import user_pos

_BOOL_HELP = (
    "a D expression has no Python truth value: `if x:`, `and`, `or`, `not`, `a < b < c` and "
    "`x in y` cannot become D. Write and_(a, b), or_(a, b), not_(a), xor(a, b) for D's && || ! ^^, "
    "cond(c, a, b) for c ? a : b, `with if_(c):` for a D if, and compare one pair at a time"
)

_MAX_INT = 2**64
_INT64_MAX = 2**63 - 1


def plain_int(value: int) -> int:
    """The value a Python int holds, as a plain int: a subclass's ``__str__``, ``__format__``,
    ``__index__`` or ``__int__`` may say another number (an ``int, Enum`` member's ``str()`` is
    ``E.X``), and D is to get the number it holds (review 27); ``int.__int__`` asks none of them."""
    return value if type(value) is int else int.__int__(value)


def _int_node(value: int, pos=None) -> tree.Expr:
    """A Python int as D can type it.  D, as C, types an unsuffixed decimal constant as int, long
    or long long only: above INT64_MAX it needs a U suffix (the real compiler says "cannot be
    represented in any built-in integral type"), and INT64_MIN is written as limits.h writes it.
    ``pos``: the user's position, if the caller has it (:func:`expr`'s)."""
    value = plain_int(value)
    if value < -_INT64_MAX - 1 or value >= _MAX_INT:
        shown = f"{value}" if value.bit_length() <= 256 else f"an integer of {value.bit_length()} bits"
        raise TypeError(f"{shown} does not fit in 64 bits (D's integers run from -2**63 to 2**64 - 1)")
    if pos is None:
        pos = user_pos()
    if value == -_INT64_MAX - 1:
        return tree.Binary("-", tree.Unary("-", tree.IntLit(str(_INT64_MAX))), tree.IntLit("1"), pos=pos)
    if value < 0:
        return tree.Unary("-", tree.IntLit(str(-value)), pos=pos)
    if value > _INT64_MAX:
        return tree.IntLit(f"{value}ULL", pos=pos)
    return tree.IntLit(str(value), pos=pos)

# D's aggregating functions and actions whose names Python's built-ins take after a star-import.
_SHADOWED = {"sum": "sum_", "min": "min_", "max": "max_"}


def _shadowed_builtin_help() -> str | None:
    """When the user's line calls ``sum``/``min``/``max`` and those are Python's own (a star-import
    leaves them alone), the message that says so; else None.  Python's ``sum(x)`` iterates ``x``,
    ``max(a, b)`` asks ``a < b`` for a truth value: both end here."""
    import linecache
    import re

    import os

    from dtracepy.source import _PACKAGE_DIR

    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR + os.sep):
        frame = frame.f_back
    if frame is None:
        return None
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    for name, alias in _SHADOWED.items():
        if not re.search(rf"(?<![\w.]){name}\s*\(", line):
            continue
        scope = {**frame.f_builtins, **frame.f_globals, **frame.f_locals}
        if scope.get(name) is getattr(builtins, name):
            return (f"{name}(...) here is Python's built-in {name}, not D's: `from dtracepy import *` "
                    f"leaves Python's min, max and sum alone. Write {alias}(x), or import D's by "
                    f"name (`from dtracepy import {name}`)")
    return None


def _called_by_user() -> bool:
    """Is the code that asked for a D value's text (str, repr) the user's own, not dtracepy's,
    Python's library or a tool's (a debugger, a test runner, site-packages)?"""
    import sysconfig

    from dtracepy.source import _PACKAGE_DIR, _internal

    frame = sys._getframe(2)
    filename = frame.f_code.co_filename
    if _internal(filename, _PACKAGE_DIR) or filename.startswith("<frozen ") or _in_print(frame):
        return False
    global _LIBRARY_DIRS
    if _LIBRARY_DIRS is None:
        paths = sysconfig.get_paths()
        _LIBRARY_DIRS = tuple({os.path.abspath(paths[k]) + os.sep
                               for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths})
    path = os.path.abspath(filename)
    if not path.startswith(_LIBRARY_DIRS):
        return True
    # A library's code: while a probe body is recorded, what it makes of the text can only end up
    # in the D (string.Template's substitute, json.dumps(x, default=str), pprint.pformat(x)); only
    # a debugger or a test runner looking at the value may see it.
    return context.active() and not any(part in _DEBUGGERS for part in path.split(os.sep))


def _text_refused(message: str) -> DSLError:
    """The error of a D value's text asked for at the user's line, remembered by the probe body
    being recorded (:func:`dtracepy.dsl.context.refuse`), which raises it when it ends: a library
    that asked may catch it and make text of its own (``reprlib.repr(pid)`` is ``"<D instance at
    0x...>"``), which must not reach the D either."""
    error = DSLError(message, _asking_user_pos(2))
    context.refuse(error)
    return error


def _asking_user_pos(depth: int = 1):
    """The user's line that asked for a D value's text, past the library that asked for it
    (``string.Template(...).substitute(p=execname)``: the user's line, not string.py's)."""
    from dtracepy.source import _PACKAGE_DIR, _internal

    frame, skip = sys._getframe(depth), depth + 1
    while frame is not None and (_internal(frame.f_code.co_filename, _PACKAGE_DIR) or (
            _LIBRARY_DIRS and os.path.abspath(frame.f_code.co_filename).startswith(_LIBRARY_DIRS))):
        frame, skip = frame.f_back, skip + 1
    return user_pos(skip) if frame is not None else user_pos()


_LIBRARY_DIRS: tuple | None = None
#: The library code that may show a D value's text while a probe body is recorded: debuggers and
#: test runners (pdb, IPython's, pytest's, an IDE's), which only show it.
_DEBUGGERS = frozenset({"pdb.py", "bdb.py", "code.py", "codeop.py", "traceback.py", "_pytest", "IPython",
                        "debugpy", "pydevd.py", "_pydevd_bundle", "pudb", "ipdb"})


def _in_print(frame) -> bool:
    """Is the expression ``frame`` is evaluating a call of ``print(...)``: Python's print, which
    shows the text while the tracer is built (the compile command reports it; D's print_ takes
    the value itself and never asks for a string)."""
    import linecache

    try:
        positions = list(frame.f_code.co_positions())[frame.f_lasti // 2]
    except (AttributeError, IndexError, ValueError):
        return False
    line, end_line, col, end_col = positions
    if line is None or col is None:
        return False
    text = linecache.getline(frame.f_code.co_filename, line)
    if not text[col:].lstrip().startswith("print("):
        return False
    return _to_standard_stream(frame.f_code.co_filename, line, end_line, col, end_col)


#: The streams a ``print(x, file=...)`` shows the text on (a ``StringIO`` would hold it, for the D).
_STANDARD_STREAMS = frozenset({"sys.stdout", "sys.stderr", "sys.__stdout__", "sys.__stderr__"})


def _to_standard_stream(filename: str, line: int, end_line, col: int, end_col) -> bool:
    """Does the ``print(...)`` call at these positions write to standard output or error: no
    ``file=``, or ``file=sys.stderr`` (``print(x, file=io.StringIO())`` keeps the text, which may
    reach the D: refused as ``str()`` is)?  A call that cannot be read again is taken as printed."""
    import ast
    import linecache

    if end_line is None or end_col is None or end_line - line > 50:
        return True
    lines = [linecache.getline(filename, n).encode() for n in range(line, end_line + 1)]
    lines[-1] = lines[-1][:end_col]  # (positions count UTF-8 bytes)
    lines[0] = lines[0][col:] if len(lines) > 1 else lines[0][col:end_col]
    try:
        call = ast.parse(b"".join(lines).decode(), mode="eval").body
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return True
    for keyword in getattr(call, "keywords", ()):
        if keyword.arg == "file":
            return ast.unparse(keyword.value) in _STANDARD_STREAMS or (
                keyword.value.__class__ is ast.Constant and keyword.value.value is None)
    return True


def _short_text(value) -> str:
    """A D value's text for a message, at most 60 characters."""
    text = value._text()
    return text if len(text) <= 60 else text[:57] + "..."


def _as_text_message(value, how: str) -> str:
    from dtracepy.checks.printf import kind  # (what D's printf says of the value's type)

    text = _short_text(value)
    node = getattr(value, "_node", None)
    known = kind(node) if isinstance(node, tree.Expr) else None
    conversion = ("printf(\"%s\\n\", {})" if known == "string" else "printf(\"%d\\n\", {})" if known == "int"
                  else "printf(\"%d\\n\", {}) (%s for strings)").format(text)
    return (f"a D value ({text}) made into a Python string ({how}) becomes that text, not its "
            f"value when the probe fires: pass it as an argument instead, {conversion}, or join "
            "strings in D with strjoin()")


def _no_python_value_message(value, what: str, consequence: str) -> str:
    return (f"a D value ({_short_text(value)}) has no Python {what}: it has a value only when the probe "
            f"fires, in D; {consequence}")


class NoPythonValue(DSLError, TypeError):
    """A located DSLError that is also the TypeError Python raises for an unhashable object: code
    that asks whether a value is hashable (``try: hash(x) except TypeError``, as hypothesis's
    ``sampled_from`` does) gets its usual answer, and the user's own dict lookup a located error."""


def not_pickled(what: str) -> str:
    """What pickle is told of a DSL object: it belongs to a tracer being built, in this process."""
    return (f"{what} cannot be pickled: it is part of the tracer being built, not data; pickle "
            "or save the tracer's D instead (t.to_d())")


class PythonOnlyAttribute(DSLError, AttributeError):
    """A located DSLError that is also an AttributeError: ``trace(arg0.__doc__)`` is an error at the
    user's line, while ``hasattr(arg0, "__doc__")`` says no, so ``help(arg0)`` and
    ``inspect.getdoc`` in a REPL show class D's text instead of an error about D."""


def python_only_error(name: str) -> PythonOnlyAttribute:
    """The error for reading ``__doc__`` or ``__module__`` on an instance (see :class:`_PythonOnly`)."""
    return PythonOnlyAttribute(f"{name} is Python's attribute of a dtracepy object, not a D value: "
                               "its text would go into the D as a string", user_pos())


PYTHON_ONLY = ("__doc__", "__module__")


class _PythonOnly(str):
    """A class's ``__doc__`` or ``__module__`` that an instance cannot read: ``trace(arg0.__doc__)``
    or ``trace(self.__module__)`` would put dtracepy's own text into the D as a string constant.
    The class keeps it (``D.__doc__``, ``help(D)``, pickle's ``D.__module__``)."""

    __slots__ = ("_name",)

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        raise python_only_error(self._name)


def python_only_dunders(cls) -> None:
    """Make ``cls``'s ``__doc__`` and ``__module__`` readable on the class only (see :class:`_PythonOnly`)."""
    for name in PYTHON_ONLY:
        value = cls.__dict__.get(name)
        if isinstance(value, str) and not isinstance(value, _PythonOnly):
            guarded = _PythonOnly(value)
            guarded._name = name
            setattr(cls, name, guarded)


class D:
    """A D expression built by the DSL.  Its D text is ``dtracepy.printer.to_d(expr(x))``;
    ``str(x)``, ``repr(x)`` and formatting in the user's code are located errors, since the text
    would end up in the D as a string."""

    __slots__ = ("_node", "_depth", "_pending", "_agg", "__weakref__")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        python_only_dunders(cls)

    def __init__(self, node: tree.Expr, depth: int | None = None, agg: bool = False):
        if getattr(node, "pos", 0) is None and _user_code(sys._getframe(1)):
            node = placed(node, "D()")  # a node the user built: checked, and at the user's line
        object.__setattr__(self, "_node", node)
        object.__setattr__(self, "_depth", depth)  # pointer depth when known (0 = not a pointer)
        object.__setattr__(self, "_pending", None)  # (list, stmt) when recorded as a statement
        object.__setattr__(self, "_agg", agg)  # an aggregating function call

    # --- Python protocols that must not silently "work" -----------------------------------
    def __bool__(self):
        raise TypeError(_shadowed_builtin_help() or _BOOL_HELP)

    def __iter__(self):
        raise TypeError(_shadowed_builtin_help() or (
            "a D expression cannot be iterated (D has no loops); use a Python loop over Python "
            "values to generate D"))

    def __contains__(self, item):
        raise TypeError("`x in expr` has no D meaning; " + _BOOL_HELP)

    def __hash__(self):
        # {"bash": 1}.get(execname, 0), {pid: 1}, a set of D values, hash(pid): a lookup done once,
        # in Python, by the object's identity, whose answer would go into the D as a constant.
        # (dtracepy keys its own tables by the tree node or by id(), never by a D value.)
        raise NoPythonValue(_no_python_value_message(self, "hash", "a Python dict or set cannot be looked up "
                       "by it (use a D associative array, glob.a[k], or cond())"), user_pos())

    def __len__(self):
        # len(execname): Python's len() said only "object of type 'D' has no len()"
        raise NoPythonValue(_no_python_value_message(self, "length", "for the length of a D string "
                       "write strlen(x)"), user_pos())

    # Python's numeric built-ins on a D value said only "bad operand type for abs(): 'D'"
    def __abs__(self):
        x = _short_text(self)
        raise DSLError(f"D has no abs(): write cond({x} < 0, -({x}), {x})", user_pos())

    def __divmod__(self, o):
        raise DSLError("D has no divmod(): write x / y and x % y", user_pos())

    __rdivmod__ = __divmod__

    def __round__(self, ndigits=None):
        raise DSLError(f"a D value ({_short_text(self)}) is an integer, and D has no floating point: "
                       "round(), math.floor() and math.ceil() have nothing to do (divide to scale it)",
                       user_pos())

    __trunc__ = __floor__ = __ceil__ = __round__

    def __sizeof__(self):
        # pid.__sizeof__(), sys.getsizeof(pid): the size of the Python object, not of the D value
        raise NoPythonValue(_no_python_value_message(self, "size", "sys.getsizeof() measures the Python "
                       "object (write sizeof(x) for D's sizeof)"), user_pos())

    def __repr__(self):
        # dtracepy's own messages, debuggers and test runners see the D text; the user's code
        # (repr(x), f"{x!r}", "%r" % x) would put that text into a Python string: refused.
        if _called_by_user():
            raise _text_refused(_as_text_message(self, "repr()"))
        return "D(" + self._text() + ")"

    def __format__(self, spec):
        # f"{execname}\n" would put the *text* execname into a Python string: D never sees it.
        raise DSLError(_as_text_message(self, "an f-string or str.format"), user_pos())

    def __str__(self):
        # str(pid), "pid=" + str(pid), "%s" % execname, print(x): the same as an f-string.
        if _called_by_user():
            raise _text_refused(_as_text_message(self, "str() or %-formatting"))
        return self._text()

    def __int__(self):
        # int(pid), "%d" % pid, "%x" % arg0, range(pid), a list indexed by a D value
        text = _short_text(self)
        raise DSLError(f"a D value ({text}) has no Python number: it has a value only when the "
                       "probe fires, in D; pass it to D instead (printf(\"%d\\n\", "
                       f"{text}), x + 1 builds D's addition)", user_pos())

    __index__ = __float__ = __int__

    # --- copying: a D value is an immutable piece of D (a node of the tree) ------------------
    def __copy__(self):
        return self  # as copy.copy of a str or a tuple: the value itself

    def __deepcopy__(self, memo):
        return self

    def __reduce_ex__(self, protocol):
        raise DSLError(not_pickled(f"a D value ({_short_text(self)})"), user_pos())

    def _text(self) -> str:
        """The D text of the expression, for dtracepy's own messages."""
        from dtracepy.printer import to_d

        return to_d(self._node)

    def __setattr__(self, name, value):
        # `this.x.y = v`/`self.p.m = v` assign to a member.
        if name.startswith("_"):
            raise AttributeError(f"cannot set {name!r} on a D expression")
        from dtracepy.dsl.scopes import assign

        assign(_member(self, name, None), value)

    def __setitem__(self, keys, value):
        from dtracepy.dsl.scopes import assign

        assign(self[keys], value)

    # --- member access, indexing, calls -----------------------------------------------------
    def __getattr__(self, name):
        if name in PYTHON_ONLY:  # (Python asks here after the class's guard raised AttributeError)
            raise python_only_error(name)
        if name.startswith("_"):
            raise AttributeError(f"{name!r}: use arrow(x, {name!r}) or dot(x, {name!r}) for D members "
                                 "whose names start with an underscore")
        return _member(self, name, None)

    def __getitem__(self, keys):
        if not isinstance(keys, tuple):
            keys = (keys,)
        if not keys:
            raise DSLError("an index needs at least one key", user_pos())
        # an integer indexed (arg0[0]) is refused at the user's line, by the rule check applies
        from dtracepy.checks.operands import index_problem

        base = expr(self)
        problem = index_problem(base)
        if problem is not None:
            raise DSLError(problem, user_pos())
        return D(tree.Index(base, tuple(expr(k) for k in keys), pos=user_pos()))

    def __call__(self, *args):
        node = expr(self)
        if isinstance(node, tree.Member):
            raise DSLError(_method_message(node), user_pos())
        from dtracepy.checks.names import designator_problem

        # (a call's result may be a macro's, CAT(sys, tem)(...) under a t.define: the compiler's
        # check says, as for a D file, an error only without the C preprocessor)
        problem = None if isinstance(node, tree.Call) else designator_problem(node)
        if problem is not None:
            raise DSLError(problem + "; call(\"name\", ...) calls a function by its name", user_pos())
        # remembered as call() is: a call standing alone as a statement (glob.f(1)) is reported,
        # not dropped from the D
        return context.made(D(tree.Call(node, tuple(expr(a) for a in args), pos=user_pos())))

    # --- operators ---------------------------------------------------------------------------
    def __add__(self, o): return _binop("+", self, o)
    def __radd__(self, o): return _binop("+", o, self)
    def __sub__(self, o): return _binop("-", self, o)
    def __rsub__(self, o): return _binop("-", o, self)
    def __mul__(self, o): return _binop("*", self, o)
    def __rmul__(self, o): return _binop("*", o, self)
    def __truediv__(self, o): return _binop("/", self, o)
    def __rtruediv__(self, o): return _binop("/", o, self)
    def __floordiv__(self, o): return _binop("/", self, o)
    def __rfloordiv__(self, o): return _binop("/", o, self)
    def __mod__(self, o): return _binop("%", self, o)
    def __rmod__(self, o): return _binop("%", o, self)
    def __and__(self, o): return _binop("&", self, o)
    def __rand__(self, o): return _binop("&", o, self)
    def __or__(self, o): return _binop("|", self, o)
    def __ror__(self, o): return _binop("|", o, self)
    def __xor__(self, o): return _binop("^", self, o)
    def __rxor__(self, o): return _binop("^", o, self)
    def __lshift__(self, o): return _binop("<<", self, o)
    def __rlshift__(self, o): return _binop("<<", o, self)
    def __rshift__(self, o): return _binop(">>", self, o)
    def __rrshift__(self, o): return _binop(">>", o, self)
    def __eq__(self, o): return _binop("==", self, o)  # noqa: E704
    def __ne__(self, o): return _binop("!=", self, o)
    def __lt__(self, o): return _binop("<", self, o)
    def __le__(self, o): return _binop("<=", self, o)
    def __gt__(self, o): return _binop(">", self, o)
    def __ge__(self, o): return _binop(">=", self, o)
    def __neg__(self): return _unop("-", self)
    def __pos__(self): return _unop("+", self)
    def __invert__(self): return _unop("~", self)

    def __pow__(self, o):
        raise TypeError("D has no power operator")

    __rpow__ = __pow__

    # `self.x += 1` and `a[k] += 1` record D's compound assignment, not `x = x + 1`.
    def __iadd__(self, o): return _compound("+=", self, o)
    def __isub__(self, o): return _compound("-=", self, o)
    def __imul__(self, o): return _compound("*=", self, o)
    def __itruediv__(self, o): return _compound("/=", self, o)
    def __ifloordiv__(self, o): return _compound("/=", self, o)
    def __imod__(self, o): return _compound("%=", self, o)
    def __iand__(self, o): return _compound("&=", self, o)
    def __ior__(self, o): return _compound("|=", self, o)
    def __ixor__(self, o): return _compound("^=", self, o)
    def __ilshift__(self, o): return _compound("<<=", self, o)
    def __irshift__(self, o): return _compound(">>=", self, o)


python_only_dunders(D)


class Compound(D):
    """``x op= v`` on its way to an assignment: a plain ``x op v`` expression elsewhere."""

    __slots__ = ("_target", "_op", "_value")

    def __init__(self, op: str, target: D, value):
        super().__init__(tree.Binary(op[:-1], expr(target), expr(value), pos=user_pos()))
        object.__setattr__(self, "_target", expr(target))
        object.__setattr__(self, "_op", op)
        object.__setattr__(self, "_value", expr(value))


# Python's str methods a tracer may reach for, and what D says instead.
_METHOD_HINTS = {
    "startswith": "substr(s, 0, 2) == \"ss\"",
    "endswith": "strstr(s, \"x\") != NULL, or substr() from the end",
    "upper": "toupper(s)", "lower": "tolower(s)", "find": "index(s, \"x\")",
    "index": "index(s, \"x\")", "split": "strtok(s, \" \")", "strip": "substr()",
    "replace": "strjoin() of substr()s", "join": "strjoin(a, b)", "format": "printf()",
}


def _method_message(member: tree.Member) -> str:
    from dtracepy.printer import to_d

    base = to_d(member.base)
    if len(base) > 40:
        base = base[:37] + "..."
    hint = _METHOD_HINTS.get(member.name)
    hint = f", such as {hint}" if hint else ""
    return (f"{base}.{member.name}(...) calls a method of a D value, which D has not: "
            f"{base}.{member.name} is member access ({base}->{member.name}) and D calls only its "
            f"functions and actions, by name: use D's functions{hint}")


def _compound(op, target, value):
    return Compound(op, target, value)


def _binop(op: str, left, right) -> D:
    # Operands dtrace refuses (a string where an integer is needed: `execname * 2`, `1 - execname`,
    # two strings added) are refused at the user's line, by the rule `check` applies to D files.
    from dtracepy.checks.operands import binary_problem

    pos = user_pos()
    node = tree.Binary(op, expr(left), expr(right), pos=pos)
    problem = binary_problem(node, {})
    if problem is not None:
        raise DSLError(problem[1], pos)
    return D(node)


def _unop(op: str, operand) -> D:
    from dtracepy.checks.operands import unary_problem

    pos = user_pos()
    node = tree.Unary(op, expr(operand), pos=pos)
    problem = unary_problem(node, {})
    if problem is not None:
        raise DSLError(problem[1], pos)
    return D(node)


def _member(base, name: str, op: str | None) -> D:
    if op is None:
        depth = base._depth if isinstance(base, D) else None
        if depth is None:
            # Not known here: `->`, set from the known types once the clause's probes and the
            # tracer's dialect are (dtracepy.dsl.members).
            from dtracepy.dsl.members import remember_default

            return D(remember_default(tree.Member(expr(base), "->", name, pos=user_pos())))
        op = "." if depth == 0 else "->"
    return D(tree.Member(expr(base), op, name, pos=user_pos()))


def expr(value, pos=None) -> tree.Expr:
    """The one coercion: D -> its node, int -> IntLit, str -> StringLit; anything else a TypeError.
    ``pos``: the user's position where the caller has it (``user_pos()`` gives the same: the same
    frame, on the same line), for the node it makes; else asked."""
    if isinstance(value, D):
        pending = value._pending
        if pending is not None:
            # An action used as a value (`@[stack()] = count()`) is not a statement after all.
            body, stmt = pending
            for i in range(len(body) - 1, -1, -1):
                if body[i] is stmt:
                    del body[i]
                    break
            object.__setattr__(value, "_pending", None)
        node = value._node
        if node.__class__ is tree.AggVar and node.pos is None:
            # `anon_agg` is one node made where dtracepy defines it, with no line of the user's:
            # each use gets the user's, so `printa(anon_agg)` above any `@[...] = count()` is
            # refused at that line, not at the clause's decorator.
            return tree.AggVar(node.name, pos=pos if pos is not None else user_pos())
        return node
    if isinstance(value, bool):
        raise TypeError("a Python bool is not a D value; write 1 or 0")
    if isinstance(value, int):
        return _int_node(value, pos)
    if isinstance(value, str):
        return tree.StringLit(value, pos=pos if pos is not None else user_pos())
    if isinstance(value, tree.Expr):
        return placed(value, "an expression node")  # built by hand: refuse what cannot print
    if isinstance(value, float):
        raise TypeError("D has no floating-point constants; scale to an integer")
    if value is None:  # (most often an action's: trace(printf("a")), x = printf("a"))
        raise TypeError("cannot use None as a D value: an action (printf(), trace(), exit() ...) returns "
                        "nothing, so it is a statement of its own, not a value")
    raise TypeError(f"cannot use a Python {type(value).__name__} as a D value (only D expressions, "
                    "int and str)")


def surrogate_problem(text: str, what: str) -> str | None:
    """Why ``text`` cannot be written as UTF-8 D: a lone surrogate (``"\\ud800"``, or a byte a bad
    decode left, U+DC80..U+DCFF), as a message naming ``what`` and the text around it; else None."""
    if text.isascii():
        return None
    for i, ch in enumerate(text):
        if "\ud800" <= ch <= "\udfff":
            around = text[max(0, i - 20): i + 20]
            return (f"{what} holds a lone surrogate (U+{ord(ch):04X}, in {around!r}), which is not text and "
                    "cannot be written as UTF-8 D")
    return None


def _user_code(frame) -> bool:
    from dtracepy.source import _PACKAGE_DIR, _internal

    return not _internal(frame.f_code.co_filename, _PACKAGE_DIR)


def placed(node, what: str):
    """A tree the user built by hand (``D(tree.Call(...))``, ``t.add(...)``), checked as
    :func:`tree.check_tree` does, with each node that has no position given the user's line: the
    checks and the printer then report what is wrong in it there, not at the tracer's first line.
    (The nodes are rebuilt, so each is checked again as its constructor checks it.)"""
    tree.check_tree(node, what)
    pos = user_pos()
    if pos is None:
        return node
    return at_position(node, pos)


def at_position(node, pos, every: bool = False):
    """``node`` rebuilt with ``pos`` for each of its nodes that has no position (``every``: for
    each node, whatever position it had: a tree parsed from the user's text, ``t.declare_c(...)``,
    whose positions name a line of that text, not of the tracer)."""
    import attrs

    done: dict = {}

    def swap(value):
        if isinstance(value, tree.Node):
            return done.get(id(value), value)
        if isinstance(value, tuple):
            new = tuple(swap(x) for x in value)
            return value if all(a is b for a, b in zip(new, value)) else new
        return value

    stack = [(node, False)]
    while stack:  # (children first, without recursion: a deep tree built by hand is fine)
        current, ready = stack.pop()
        if id(current) in done:
            continue
        if not ready:
            stack.append((current, True))
            stack.extend((child, False) for child in current.children() if every or child.pos is None)
            continue
        changes = {}
        for field in attrs.fields(current.__class__):
            if field.name != "pos" and field.init:
                value = getattr(current, field.name)
                new = swap(value)
                if new is not value:
                    changes[field.name] = new
        if every or current.pos is None:
            changes["pos"] = pos
        done[id(current)] = attrs.evolve(current, **changes) if changes else current
    return done[id(node)]


def wrap(value) -> D:
    return value if isinstance(value, D) else D(expr(value))


def as_statement(value: D) -> D:
    """Record ``value`` as an expression statement now; undone if it is later used as a value."""
    body = context.current("an action")
    stmt = tree.ExprStmt(expr(value), pos=value._node.pos)
    body.append(stmt)
    object.__setattr__(value, "_pending", (body, stmt))
    return value
