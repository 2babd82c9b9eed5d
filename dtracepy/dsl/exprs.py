"""Named functions for what Python's syntax cannot say in D.

Logic: :func:`and_` (``&&``), :func:`or_` (``||``), :func:`xor` (``^^``), :func:`not_` (``!``),
:func:`cond` (``?:``).  Types: :func:`cast`, :func:`sizeof`, :func:`offsetof`, :func:`stringof`,
:func:`xlate`.  Pointers: :func:`deref` (``*p``), :func:`addr` (``&x``), :func:`at` (a typed read
at a byte offset), :func:`dot`/:func:`arrow` (member access spelled explicitly).  Side effects:
:func:`preinc` ... :func:`postdec`, :func:`assign`.  Literals: :func:`hexint`, :func:`char`.
"""

from __future__ import annotations

import re
from functools import reduce

from dtracepy import tree
from dtracepy.dsl import context
from dtracepy.dsl import types as _types
from dtracepy.dsl.values import D, expr, plain_int, surrogate_problem
from dtracepy.errors import DSLError
from dtracepy.facts import escapes as _escapes
from dtracepy.source import user_pos


def _logic(op, operands, name):
    if len(operands) < 2:
        raise DSLError(f"{name} needs at least two operands", user_pos())
    pos = user_pos()
    return D(reduce(lambda a, b: tree.Binary(op, a, b, pos=pos), (expr(o) for o in operands)))


def and_(*operands) -> D:
    """``a && b && ...``"""
    return _logic("&&", operands, "and_")


def or_(*operands) -> D:
    """``a || b || ...``"""
    return _logic("||", operands, "or_")


def xor(a, b) -> D:
    """D's logical exclusive or, ``a ^^ b`` (Python's ``^`` is the bitwise one)."""
    return D(tree.Binary("^^", expr(a), expr(b), pos=user_pos()))


def not_(a) -> D:
    """``!a``"""
    return D(tree.Unary("!", expr(a), pos=user_pos()))


def cond(c, then, otherwise) -> D:
    """``c ? then : otherwise``"""
    return D(tree.Ternary(expr(c), expr(then), expr(otherwise), pos=user_pos()))


def comma(*operands) -> D:
    """D's comma operator ``a, b``."""
    return _logic(",", operands, "comma")


def cast(value, type_text: str) -> D:
    """``(type) value``: ``cast(arg0, "tcp_t *")`` prints ``(tcp_t *)arg0``."""
    pos = user_pos()
    return D(tree.Cast(_types.type_name(type_text, pos), expr(value), pos=pos),
             depth=_types.pointer_depth(type_text))


def deref(pointer) -> D:
    """``*pointer``"""
    depth = pointer._depth if isinstance(pointer, D) else None
    return D(tree.Unary("*", expr(pointer), pos=user_pos()),
             depth=None if depth is None or depth < 1 else depth - 1)


def addr(value) -> D:
    """``&value``"""
    depth = value._depth if isinstance(value, D) else None
    return D(tree.Unary("&", expr(value), pos=user_pos()), depth=None if depth is None else depth + 1)


def sizeof(value) -> D:
    """``sizeof (type)`` for a type string (``sizeof("struct ip")``), ``sizeof (expr)`` otherwise."""
    pos = user_pos()
    if isinstance(value, str):
        return D(tree.SizeofType(_types.type_name(value, pos), pos=pos))
    return D(tree.SizeofExpr(expr(value), pos=pos))


def stringof(value) -> D:
    """``stringof(value)``"""
    return D(tree.Stringof(expr(value), pos=user_pos()))


def offsetof(type_text: str, member: str) -> D:
    """``offsetof(type, member)``"""
    pos = user_pos()
    if not isinstance(member, str):
        raise DSLError(f"offsetof() takes a member name, not {type(member).__name__}", pos)
    return D(tree.Offsetof(_types.type_name(type_text, pos), member, pos=pos))


def xlate(type_text: str, value) -> D:
    """``xlate <type> (value)``"""
    pos = user_pos()
    return D(tree.Xlate(_types.type_name(type_text, pos), expr(value), pos=pos),
             depth=_types.pointer_depth(type_text))


def hexint(value: int) -> D:
    """An integer printed in hex (``hexint(0xf)`` prints ``0xf``)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError("hexint takes a non-negative int")
    return D(tree.IntLit(hex(plain_int(value)), pos=user_pos()))


def lit(value) -> D:
    """A Python int or str as a D value where Python would otherwise compute with it: ``lit(1) +
    2`` is D's ``1 + 2`` (``1 + 2`` is Python's 3), ``lit("a") == x`` keeps the operands in order."""
    if isinstance(value, D):
        return value
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        return D(expr(value))
    raise TypeError(f"lit() takes an int or a str, not {type(value).__name__}")


_NUMERAL = re.compile(r"(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(?:[uU](?:ll|LL|[lL])?|(?:ll|LL|[lL])[uU]?)?")


def num(text: str) -> D:
    """An integer constant spelled exactly as given: ``num("0777")`` (octal), ``num("10UL")``,
    ``num("0X1F")``.  Plain Python ints print in decimal, :func:`hexint` in lower-case hex."""
    if not isinstance(text, str) or not _NUMERAL.fullmatch(text):
        raise DSLError(f"{text!r} is not a D integer constant", user_pos())
    return D(tree.IntLit(text, pos=user_pos()))


_CHAR_ESCAPES = {**{v: "\\" + k for k, v in _escapes.SIMPLE.items() if k != '"'},
                 # D reads '\'' as the two bytes \ and ' (facts/escapes.py): a quote is octal
                 "'": "\\047", "\0": "\\000"}
# The two-character spellings of those escapes (``char("\\n")``) mean the escape, as before, and
# C's ``\'`` and ``\0`` mean the quote and the NUL.
_CHAR_SPELLED = {**{v: k for k, v in _CHAR_ESCAPES.items()}, "\\'": "'", "\\0": "\0"}


def char_text(value: str, pos=None) -> str:
    """The text between the quotes of D's character constant for the Python string ``value``:
    the character(s) meant, each escaped as D needs (``'\\n'``, ``'\\\\'``, octal for the quote and
    other control characters: ``'\\047'``).  D's constants hold 1 to 8 bytes; anything else is a
    located error."""
    if not isinstance(value, str):
        raise DSLError(f"char() takes a one-character string such as \"a\" or \"\\n\", not "
                       f"{type(value).__name__}", pos or user_pos())
    value = _CHAR_SPELLED.get(value, value)
    problem = surrogate_problem(value, "char()'s string")
    if problem:
        raise DSLError(problem, pos or user_pos())
    if not value.isascii():
        # D's character constants are bytes: "\xff" would be its two UTF-8 bytes, which dtrace
        # reads as the number 50111, not the byte 255 a Python "\xff" seems to mean (review 17)
        wide = next(ch for ch in value if not ch.isascii())
        byte = (f"; for the byte {ord(wide):#04x} write charlit(\"\\{ord(wide):03o}\") or {ord(wide):#04x}"
                if ord(wide) <= 0xFF else "")
        raise DSLError(f"char() takes ASCII characters: D's character constants are bytes, and {wide!r} "
                       f"(U+{ord(wide):04X}) would be its {len(wide.encode())} bytes in UTF-8, the number "
                       f"{int.from_bytes(wide.encode(), 'big')}{byte}", pos or user_pos())
    size = len(value.encode("utf-8"))
    if not 1 <= size <= 8:
        what = "an empty string" if not value else f"{value!r} ({size} bytes in UTF-8)"
        raise DSLError(f"char() takes one character (D's character constants hold 1 to 8 bytes), "
                       f"not {what}", pos or user_pos())
    out = []
    for ch in value:
        if ch in _CHAR_ESCAPES:
            out.append(_CHAR_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\%03o" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def char(text: str) -> D:
    """A character constant: ``char("a")`` is ``'a'``; ``char("\\n")`` (a newline) is ``'\\n'``,
    ``char("'")`` is ``'\\047'`` (D reads ``'\\''`` as two bytes).  The string is the character
    meant, escaped for D here (the two-character spelling ``char("\\\\n")`` means the same
    newline)."""
    pos = user_pos()
    return D(tree.CharLit(char_text(text, pos), pos=pos))


_CHAR_BODY = re.compile(r"(?:[^'\\\n]|\\(?:[0-7]{1,3}|x[0-9a-fA-F]+|[^\n0-7x]))+")


def charlit(text: str) -> D:
    """A character constant spelled exactly as written between its quotes, escapes and all:
    ``charlit("\\0")`` is ``'\0'``, ``charlit("\\x4E")`` is ``'\x4E'``, ``charlit("ab")`` is
    ``'ab'`` (what ``dtracepy import --exact`` writes where :func:`char` would respell it)."""
    pos = user_pos()
    if not isinstance(text, str) or not _CHAR_BODY.fullmatch(text):
        raise DSLError(f"{text!r} is not the text of a D character constant", pos)
    return D(tree.CharLit(text, pos=pos))


def _offset(offset):
    if isinstance(offset, int) and not isinstance(offset, bool):
        if offset < 0:
            return tree.Unary("-", tree.IntLit(hex(-offset)), pos=user_pos())
        return tree.IntLit(hex(offset), pos=user_pos())
    if isinstance(offset, str):
        # expr() makes a str a string constant: `(char *)p + "0x28"`, which dtrace refuses
        raise DSLError(f"an offset is an int or a D integer expression, not the str {offset!r:.40}",
                       user_pos())
    return expr(offset)


def at(pointer, offset, type_text: str) -> D:
    """The ``type`` stored ``offset`` bytes past ``pointer``: ``at(arg0, 0x28, "tcp_t *")`` prints
    ``*(tcp_t **)((char *)arg0 + 0x28)``.  Offsets print in hex; ``offset`` may be an expression."""
    pos = user_pos()
    specs, depth, dims = _types.parse_type(type_text, pos)
    if dims:
        raise DSLError("at() reads a scalar, struct or pointer; read array elements one by one", pos)
    if isinstance(offset, int) and not isinstance(offset, bool) and offset == 0:
        base = expr(pointer)  # *(T *)p: no arithmetic, so no (char *) either
    else:
        base = tree.Binary("+", tree.Cast(_types.type_name("char *", pos), expr(pointer), pos=pos),
                           _offset(offset), pos=pos)
    ptr_type = _types.type_name(type_text + " *", pos)
    return D(tree.Unary("*", tree.Cast(ptr_type, base, pos=pos), pos=pos), depth=depth)


def _path(base, path: str, op: str) -> D:
    if not isinstance(path, str):
        raise DSLError(f"a member path is a str such as \"a.b\", not {type(path).__name__}", user_pos())
    names = path.split(".")
    if not all(tree.is_identifier(n) for n in names):
        raise DSLError(f"{path!r} is not a member name or a dotted path of them", user_pos())
    pos = user_pos()
    node = expr(base)
    for i, name in enumerate(names):
        node = tree.Member(node, op if i == 0 else ".", name, pos=pos)
    return D(node)


def dot(base, path: str) -> D:
    """``base.a.b``: member access with ``.`` (a struct or union value)."""
    return _path(base, path, ".")


def arrow(base, path: str) -> D:
    """``base->a.b``: follow the pointer ``base``, then ``.`` for the rest of a dotted path."""
    return _path(base, path, "->")


def _incdec(op, cls, value):
    return context.made(D(cls(op, expr(value), pos=user_pos())))


def preinc(value) -> D:
    """``++value``"""
    return _incdec("++", tree.Unary, value)


def predec(value) -> D:
    """``--value``"""
    return _incdec("--", tree.Unary, value)


def postinc(value) -> D:
    """``value++``"""
    return _incdec("++", tree.Postfix, value)


def postdec(value) -> D:
    """``value--``"""
    return _incdec("--", tree.Postfix, value)


def assign(target, value, op: str = "=") -> None:
    """Record ``target op value;`` (any lvalue, any of D's assignment operators)."""
    from dtracepy.dsl.scopes import assign as _assign

    if op not in ("=", "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "<<=", ">>="):
        raise DSLError(f"{op!r} is not a D assignment operator", user_pos())
    _assign(target, value, op)


_ASSIGN_OPS = ("=", "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "<<=", ">>=")


def assign_expr(target, value, op: str = "=") -> D:
    """An assignment as a D expression, ``(target op value)``, for where D uses one: a predicate
    (``when=assign_expr(this.start, glob.start_time[arg0])`` is ``/this->start =
    start_time[arg0]/``), a chain (``self.a = assign_expr(self.b, 0)`` is ``self->a = self->b =
    0;``), an argument.  Record one as a statement with :func:`stmt`, or use :func:`assign`."""
    pos = user_pos()
    if op not in _ASSIGN_OPS:
        raise DSLError(f"{op!r} is not a D assignment operator ({' '.join(_ASSIGN_OPS)})", pos)
    target_node = expr(target)
    base = target_node
    while isinstance(base, tree.Index):
        base = base.base
    if isinstance(base, tree.AggVar):
        raise DSLError("an aggregation is assigned only as a statement (agg.name[keys] = count())", pos)
    if isinstance(value, D) and value._agg:
        raise DSLError("an aggregating function's result can only be assigned to an aggregation", pos)
    if not isinstance(target_node, (tree.SelfVar, tree.ThisVar, tree.Ident, tree.Index, tree.Member)) and not (
            isinstance(target_node, tree.Unary) and target_node.op == "*"):
        raise DSLError("assign_expr() assigns to a variable, an array element, a member or *p, "
                       f"not to {str(D(target_node))}", pos)
    return context.made(D(tree.Assign(op, target_node, expr(value), pos=pos)))
