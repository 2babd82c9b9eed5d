"""Integer constant expressions of C declarations (array sizes, bit-field widths, enumerators,
attribute arguments), evaluated typed, as gcc evaluates them for the target."""

from __future__ import annotations

import re

from pycparser import c_ast

from dtracepy.errors import LayoutError
from dtracepy.layout.model import Layout, Scalar
from dtracepy.source import Pos


class ConstantEvaluator:
    """The converter's constant evaluator (a mixin of :class:`.cdecl._Converter`, whose ``abi``,
    ``enumerators``, ``type_of`` and ``error`` it uses)."""

    # -- constant expressions -----------------------------------------------------------------
    #
    # Evaluated as gcc does for the target: every value has an integer type, (bits, signed) --
    # the rank of C's types only matters between types of one width, where the usual arithmetic
    # conversions pick the unsigned one either way.  Results wrap modulo 2**bits.  A signed
    # result out of its type's range has overflowed: gcc keeps the wrapped value (with a warning)
    # and carries the overflow with it through arithmetic and casts, but a comparison, ``&&``,
    # ``||`` or the chosen arm of ``?:`` with an overflowed operand is not a constant; the
    # condition of ``?:`` drops it.  A left shift of a negative value or into the sign bit is
    # not a constant either.  gcc refuses what is not a constant as an array size ("variably
    # modified at file scope") and folds it anyway for an enumerator or a bit-field width
    # (``enum { F = 1 << 31 }`` is INT_MIN): ``array_size`` says which.  A negative shift count
    # is refused everywhere (gcc: not a constant); one beyond the width is refused in an array
    # size (gcc: variably modified) and folded elsewhere, to 0 (-1 for a negative value shifted
    # right), as gcc folds it with a warning.

    def const(self, node, array_size: bool = False) -> int:
        """The value of an integer constant expression, evaluated without recursing (pycparser
        gives ``1+1+...+1`` as a chain as long as the sum), operands left to right as before."""
        value, _, overflow = self.typed_const(node, array_size)
        if array_size and isinstance(overflow, c_ast.Cast):
            self.error(f"floating constant {overflow.expr.value[:30]} is out of the range of "
                       f"{self.type_of(overflow.to_type)[1]}: not a constant array size (gcc: variably "
                       "modified)", overflow)
        if array_size and overflow is not None and self.abi.pointer_size == 4:
            # gcc keeps the overflow through the conversion to a 32-bit size_t (not to a 64-bit one)
            self.error("integer overflow in an array size (gcc for a 32-bit target: exceeds maximum object size)",
                       overflow)
        return value

    def static_assert(self, node: c_ast.StaticAssert) -> None:
        """gcc's ``_Static_assert``: refused, in gcc's words, when its expression is false
        ("static assertion failed", at the keyword), not a constant or not an integer (at gcc's
        column, :meth:`_expression_place`; the fast reader's refusal is read again by pycparser's
        path, which keeps the places).  An overflow
        does not matter here (gcc only warns); what dtracepy does not evaluate keeps its words."""
        where = node.cond if getattr(node.cond, "coord", None) is not None else node
        try:
            value = self.typed_const(node.cond)[0]
        except LayoutError as err:
            words = err.message
            if words.startswith("invalid application") or any(
                    w in words for w in ("not supported", "not modelled", "too large", "too long", "shift count")):
                raise  # (gcc's own first error, or what dtracepy does not evaluate: its words)
            words = "not an integer" if "floating" in words or "a cast to" in words else "not constant"
            raise LayoutError(f"expression in static assertion is {words}",
                              self._expression_place(node) or self.pos(where)) from None
        if not value:
            message = getattr(node.message, "value", None)
            self.error("static assertion failed" + (f": {message}" if message else ""), node)

    def _expression_place(self, node: c_ast.StaticAssert) -> "Pos | None":
        """Where gcc locates an assertion's expression: a binary operator at the operator, ``?:`` at
        its ``:``, a unary operator at the operator, a cast at its ``(``, a name or a constant at
        the expression's first character (a parenthesis too).  Found in the prepassed text, before
        the operand after the operator; None where it cannot be (another line: the caller's place)."""
        cond = node.cond
        cls = cond.__class__
        if cls is c_ast.BinaryOp or cls is c_ast.TernaryOp:
            right = self._start(cond.right if cls is c_ast.BinaryOp else cond.iffalse)
            op = cond.op if cls is c_ast.BinaryOp else ":"
            at = None if right is None else self._before(right, op)
        elif cls is c_ast.UnaryOp or cls is c_ast.Cast:
            at = self._start(cond)
        else:  # (the first character after the keyword's '(')
            at = self._offset(node)
            if at is not None:
                at = self.pre.text.find("(", at)
                while at >= 0 and self.pre.text[at + 1] in " \t":
                    at += 1
                at = at + 1 if at >= 0 else None
        if at is None:
            return None
        start = self.pre.text.rfind("\n", 0, at) + 1
        line = self.pos(node).line + self.pre.text.count("\n", self._offset(node), start)
        return Pos(self.pos(node).file, line, at - start + 1)

    def line_start(self, pos: "Pos | None") -> "int | None":
        """The offset in the prepassed text of the line ``pos`` is on (None where it has no column
        or the text has no such line)."""
        if pos is None or pos.col is None:
            return None
        if self._line_starts is None:
            from dtracepy.layout.cparse import _line_starts

            self._line_starts = _line_starts(self.pre.text)
        return self._line_starts.get((pos.file, pos.line))

    def _offset(self, node) -> "int | None":
        """The offset in the prepassed text of ``node``'s place."""
        pos = self.pos(node)
        start = self.line_start(pos)
        return None if start is None else start + pos.col - 1

    def _start(self, node) -> "int | None":
        """The offset of the first character of ``node`` (its parentheses left out): pycparser
        places an expression at its leftmost operand, but a prefix operator at its operand."""
        while node.__class__ is c_ast.BinaryOp or node.__class__ is c_ast.TernaryOp:
            node = node.left if node.__class__ is c_ast.BinaryOp else node.cond
        if node.__class__ is c_ast.UnaryOp and node.op not in ("sizeof", "_Alignof"):
            operand = self._start(node.expr)
            return None if operand is None else self._before(operand, node.op)
        return self._offset(node)

    def _before(self, at: int, op: str) -> "int | None":
        """The offset of ``op`` just before ``at`` (blanks and '(' between), on the same line."""
        text = self.pre.text
        i = at - 1
        while i >= 0 and text[i] in " \t(":
            i -= 1
        if not text.endswith(op, 0, i + 1):
            return None
        return i - len(op) + 1

    def _not_constant(self, overflowed, node):
        if not self.array_size:
            return
        op = getattr(node, "op", "?:")
        what = "integer overflow" if not isinstance(overflowed, c_ast.Cast) else \
            f"floating constant {overflowed.expr.value[:30]} out of range of {self.type_of(overflowed.to_type)[1]}"
        self.error(f"{what} in an operand of {op!r}: not a constant array size (gcc: variably modified)", overflowed)

    def typed_const(self, node, array_size: bool = False) -> tuple[int, tuple[int, bool], object]:
        outer, self.array_size = self.array_size, array_size  # (a sizeof may hold another one)
        try:
            return self._typed_const(node)
        finally:
            self.array_size = outer

    def _typed_const(self, node) -> tuple[int, tuple[int, bool], object]:
        """(value, (bits, signed), the node that overflowed or None) of a constant expression.
        The arm of ``?:`` and the operand of ``&&``/``||`` that are not evaluated are read
        "quietly": only for their type, their errors ignored (gcc accepts ``1 ? 1 : 1/0``)."""
        values: list[tuple[int, tuple[int, bool], object]] = []
        stack = [(node, 0, False)]
        while stack:
            node, state, quiet = stack.pop()
            try:
                if isinstance(node, c_ast.BinaryOp):
                    if state == 0:
                        stack += ((node, 1, quiet), (node.left, 0, quiet))
                    elif state == 1 and node.op in ("&&", "||"):
                        decided = bool(values[-1][0]) == (node.op == "||")
                        stack += ((node, 2, quiet), (node.right, 0, quiet or decided))
                    elif state == 1:
                        stack += ((node, 2, quiet), (node.right, 0, quiet))
                    else:
                        b = values.pop()
                        values.append(self._binary(node, values.pop(), b, quiet))
                elif isinstance(node, c_ast.UnaryOp) and node.op not in ("sizeof", "_Alignof"):
                    if state == 0:
                        stack += ((node, 1, quiet), (node.expr, 0, quiet))
                    else:
                        values.append(self._unary(node, values.pop()))
                elif isinstance(node, c_ast.Cast):
                    if state == 0 and _is_floating(node.expr):  # C allows a floating constant only here
                        values.append(self._floating_cast(node))
                    elif state == 0:
                        stack += ((node, 1, quiet), (node.expr, 0, quiet))
                    else:
                        values.append(self._cast(node, values.pop()))
                elif isinstance(node, c_ast.TernaryOp):
                    if state == 0:
                        stack += ((node, 1, quiet), (node.cond, 0, quiet))
                    elif state == 1:
                        yes = bool(values.pop()[0])
                        stack += ((node, 2 if yes else 3, quiet), (node.iffalse, 0, quiet or yes),
                                  (node.iftrue, 0, quiet or not yes))
                    else:
                        no, yes = values.pop(), values.pop()
                        t = _common(yes[1], no[1])
                        chosen = yes if state == 2 else no
                        if chosen[2] is not None:
                            self._not_constant(chosen[2], node)
                        values.append((_wrap(chosen[0], t), t, None))
                else:
                    values.append(self._operand(node))
            except LayoutError:
                if not quiet or _is_floating(node):  # (a floating operand makes the type not an integer's)
                    raise
                values.append((0, _INT, None))  # only the type of an unevaluated operand counts
        return values[0]

    def _int_type(self, t) -> "tuple[int, bool] | None":
        """(bits, signed) of an integer, enum or _Bool type; None for any other."""
        if isinstance(t, Scalar) and t.kind in ("int", "enum", "bool"):
            return (1, False) if t.kind == "bool" else (t.size * 8, t.signed)
        return None

    def _cast(self, node: c_ast.Cast, operand):
        value, t, overflow = operand
        target = self.type_of(node.to_type)[0]
        to = self._int_type(target)
        if getattr(target, "kind", None) == "float":  # (gcc folds it, warning that the size is variable)
            self.error(f"a cast to {target.spelling()} is not allowed in an integer constant expression", node)
        if to is None:  # a pointer type: the value as it was
            return operand
        if to == (1, False):  # _Bool
            return int(value != 0), _BOOL, overflow
        return _wrap(value, to), to, overflow

    def _floating_cast(self, node: c_ast.Cast):
        """``(T)2.5``: the floating constant as its type holds it (``16777217.0f`` is 16777216),
        truncated toward zero.  Beyond T's range (or infinite) gcc saturates and marks it
        overflowed: not a constant where an integer overflow is not one, nor as an array size."""
        target = self.type_of(node.to_type)[0]
        to = self._int_type(target)
        if to is None:
            self.error(f"a cast of a floating constant to {target.spelling()} is not an integer constant "
                       "expression", node)
        literal = node.expr.value
        if len(literal) > 4000:  # (digits Python's int() refuses beyond 4300)
            self.error(f"floating constant {literal[:30]}... is too long", node.expr)
        suffix = literal[-1].lower() if literal[-1] in "fFlL" else ""
        digits, max_exp = {"f": (24, 128), "l": (self.abi.long_double_digits, 16384)}.get(suffix, (53, 1024))
        value = _floating_value(literal.rstrip("fFlL"), digits, max_exp)
        if value is False:
            self.error(f"unsupported floating constant {literal[:30]}", node.expr)
        if to == _BOOL:
            return int(value != 0), _BOOL, None
        high = (1 << (to[0] - to[1])) - 1
        if value is None or value >= high + 1:
            return high, to, node
        return int(value), to, None

    def _unary(self, node: c_ast.UnaryOp, operand):
        value, t, overflow = operand
        if node.op == "!":  # (gcc: a fresh constant, without the operand's overflow)
            return int(not value), _INT, None
        if node.op not in ("-", "+", "~"):
            self.error(f"operator '{node.op}' is not allowed in an integer constant expression", node)
        t = _promote(t)
        exact = -value if node.op == "-" else ~value if node.op == "~" else value
        result = _wrap(exact, t)
        return result, t, overflow if result == exact or not t[1] else overflow or node

    def _operand(self, node):
        """A constant, an enumerator, ``sizeof`` or ``_Alignof``: (value, type, None)."""
        if isinstance(node, c_ast.Constant):
            if node.type == "char":
                body = node.value[1:-1]
                if not body:
                    return 0, _INT, None
                char = "?" if body == "\\?" else body.encode().decode("unicode_escape")
                if len(char) != 1:  # ord() of two characters was an internal error
                    self.error(f"multi-character character constant {node.value[:30]} is not supported", node)
                value = ord(char)
                if self.abi.char_signed and 128 <= value < 256:  # '\377' is -1 where char is signed
                    value -= 256
                return value, _INT, None
            if _is_floating(node):
                self.error(f"floating constant {node.value[:30]} in an integer constant expression: C allows "
                           "one only as the operand of a cast to an integer type", node)
            text = node.value.rstrip("uUlL")
            suffix = node.value[len(text):].lower()
            try:
                if text[:2].lower() in ("0x", "0b"):
                    value = int(text, 0)
                elif len(text) > 1 and text[0] == "0":
                    value = int(text, 8)
                else:
                    value = int(text)
            except ValueError:
                self.error(f"not an integer constant: {node.value}", node)
            if value >= 1 << 64:
                # (gcc warns and keeps its low 64 bits, which is no value the header meant)
                self.error(f"integer constant is too large for its type: {node.value[:30]} is 2**64 or more "
                           "(gcc keeps only its low 64 bits)", node)
            t = self._literal_type(value, text, suffix)
            return _wrap(value, t), t, None
        if isinstance(node, c_ast.ID):
            if node.name in self.enumerators:
                value, t = self.enumerators[node.name]
                return value, t, None
            self.error(f"{node.name!r} is not a known constant", node)
        size_t = (self.abi.long_size * 8, False)
        if isinstance(node, c_ast.UnaryOp) and node.op == "sizeof":
            t = self.type_of(node.expr)[0] if isinstance(node.expr, c_ast.Typename) else None
            if t is None:
                self.error("sizeof of an expression is not supported here", node)
            self._refuse_incomplete(t, node)
            return t.size, size_t, None
        if isinstance(node, c_ast.UnaryOp) and node.op == "_Alignof":
            t = self.type_of(node.expr)[0]
            self._refuse_incomplete(t, node)
            return t.align, size_t, None
        self.error(f"not an integer constant expression ({type(node).__name__})", node)

    def _refuse_incomplete(self, t, node):
        """gcc's error for ``sizeof``/``_Alignof`` of a struct not (yet) defined: its size was 0."""
        if isinstance(t, Layout) and not t.complete:
            self.error(f"invalid application of '{node.op}' to incomplete type '{t.name}'", node)

    def _literal_type(self, value: int, digits: str, suffix: str) -> tuple[int, bool]:
        """The type of an integer constant (C11 6.4.4.1): the first of its suffix's list that holds
        the value; a decimal one without ``u`` only among the signed types."""
        lng = self.abi.long_size * 8
        longs = suffix.count("l")
        candidates = [(32, True), (32, False), (lng, True), (lng, False), (64, True), (64, False)]
        candidates = candidates[4:] if longs == 2 else candidates[2 * longs:]
        decimal = not (digits[:2].lower() in ("0x", "0b") or (len(digits) > 1 and digits[0] == "0"))
        if "u" in suffix:
            candidates = [t for t in candidates if not t[1]]
        elif decimal:
            candidates = [t for t in candidates if t[1]]
        for bits, signed in candidates:
            if value < 1 << (bits - signed):
                return bits, signed
        # a decimal constant in [2**63, 2**64) without u: gcc warns that it "is so large that it is
        # unsigned" and makes it a (signed) __int128 where the target has one (the LP64 ABIs), a
        # long long wrapped to a negative value on i386
        return (128, True) if self.abi.pointer_size == 8 else (64, True)

    def _binary(self, node: c_ast.BinaryOp, a, b, quiet: bool = False):
        op = node.op
        (x, ta, oa), (y, tb, ob) = a, b
        overflow = oa or ob
        if op in ("&&", "||"):
            decided = bool(x) == (op == "||")  # b was read quietly: only a counts
            if (oa if decided else overflow) is not None:
                self._not_constant(oa if decided else overflow, node)
            return int(bool(x and y) if op == "&&" else bool(x or y)), _INT, None
        if op in ("<<", ">>"):
            t = _promote(ta)
            if not 0 <= y < t[0]:
                if y < 0 or self.array_size:
                    self.error(f"shift count {y} is out of range for {self._type_name(t)} (0 to {t[0] - 1})", node)
                # gcc folds a count past the width (warning "left shift count >= width of type")
                # where a constant is folded, an enumerator, a bit-field's width, a static assertion:
                # 0 (a negative value shifted right: -1); not an integer constant as an array size
                # ("variably modified"), refused above
                return (-1 if op == ">>" and _wrap(x, t) < 0 else 0), t, overflow
            if op == ">>":
                return x >> y, t, overflow
            if t[1] and (x < 0 or x << y >= 1 << (t[0] - 1)) and self.array_size:
                self.error(f"left shift of {x} by {y} overflows {self._type_name(t)} (gcc: not a constant)", node)
            return _wrap(x << y, t), t, overflow
        t = _common(ta, tb)
        x, y = _wrap(x, t), _wrap(y, t)
        compare = {"==": x == y, "!=": x != y, "<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}
        if op in compare:
            if overflow is not None:
                self._not_constant(overflow, node)
            return int(compare[op]), _INT, None
        if op in ("/", "%") and y == 0:
            self.error("division by zero in a constant expression", node)
        ops = {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y,
               "/": lambda: _c_quotient(x, y), "%": lambda: x - _c_quotient(x, y) * y,
               "&": lambda: x & y, "|": lambda: x | y, "^": lambda: x ^ y}
        if op not in ops:
            self.error(f"operator '{op}' is not allowed in an integer constant expression", node)
        exact = ops[op]()
        result = _wrap(exact, t)
        if t[1] and (result != exact or op == "%" and y == -1 and x == -(1 << (t[0] - 1))):
            overflow = overflow or node  # (gcc: INT_MIN % -1 overflows as INT_MIN / -1 does)
        return result, t, overflow

    def _type_name(self, t: tuple[int, bool]) -> str:
        name = {32: "int", 64: "long" if self.abi.long_size == 8 else "long long", 128: "__int128"}.get(
            t[0], f"{t[0]}-bit int")
        return name if t[1] else "unsigned " + name


_INT = (32, True)
_BOOL = (1, False)

_FLOATING = re.compile(r"(?:(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?|0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+))")


def _is_floating(node) -> bool:
    return isinstance(node, c_ast.Constant) and node.type in ("float", "double", "long double")


def _floating_value(text: str, digits: int, max_exp: int):
    """The value of a floating constant (without suffix) rounded to nearest, ties to even, to a
    ``digits``-bit significand, as a Fraction; None when beyond the type's range (infinite); False
    when it is not one this reads."""
    from fractions import Fraction

    m = _FLOATING.fullmatch(text)
    if m is None or not any(m.group(i) for i in (1, 2, 4, 5)):
        return False
    if m.group(6) is None:
        whole, frac, exp, base = m.group(1), m.group(2), int(m.group(3) or 0), 10
    else:
        whole, frac, exp, base = m.group(4), m.group(5), int(m.group(6)), 2
        exp -= 4 * len(frac)
    n = int(whole + frac or "0", 16 if base == 2 else 10)
    exp -= len(frac) if base == 10 else 0
    if n == 0:
        return Fraction(0)
    scale = exp if base == 2 else exp * 3.33  # (about log2 of the power of ten)
    if scale + n.bit_length() > max_exp + 8:  # (far beyond every type: not worth the exact power)
        return None
    if scale + n.bit_length() < -100:  # far below 1: it truncates to 0 whatever its rounding
        return Fraction(0)
    x = Fraction(n) * Fraction(base) ** exp
    e = x.numerator.bit_length() - x.denominator.bit_length()  # floor(log2(x)) is e or e - 1
    if Fraction(2) ** e > x:
        e -= 1
    rounded = Fraction(round(x / Fraction(2) ** (e - digits + 1))) * Fraction(2) ** (e - digits + 1)
    return None if rounded >= Fraction(2) ** max_exp else rounded  # promoted to int like any type narrower than int


def _promote(t: tuple[int, bool]) -> tuple[int, bool]:
    """C's integer promotions: a type narrower than int becomes int."""
    return _INT if t[0] < 32 else t


def _common(a: tuple[int, bool], b: tuple[int, bool]) -> tuple[int, bool]:
    """The usual arithmetic conversions, by width and signedness (see ``const``)."""
    a, b = _promote(a), _promote(b)
    if a == b:
        return a
    if a[1] == b[1]:
        return max(a, b)
    unsigned, signed = (a, b) if not a[1] else (b, a)
    return unsigned if unsigned[0] >= signed[0] else signed


def _wrap(value: int, t: tuple[int, bool]) -> int:
    """``value`` converted to the integer type ``t``: modulo 2**bits, then signed if ``t`` is."""
    bits, signed = t
    value &= (1 << bits) - 1
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def _c_quotient(a: int, b: int) -> int:
    """C's integer division, which truncates toward zero (Python's // floors; a / b through a
    float lost the low bits of a 64-bit value)."""
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient
