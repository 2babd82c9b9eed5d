"""Integer constant expressions as pycparser's ``c_ast`` nodes (a mixin of :class:`.fastc._Reader`):
array sizes, bit-field widths, enumerators; chains of binary operators by precedence with
stacks, no recursion; a sum of plain decimal literals folded where typing cannot tell."""

from __future__ import annotations

from pycparser import c_ast

from dtracepy.layout.fastc_decl import Typeof
from dtracepy.layout.fastc_lex import (Unsupported, _CHAR, _ID_START, _INTEGER, _MAX_DEPTH, _NO,
                                       _PLAIN_DECIMAL, _PREC, _PREFIX, _RESERVED, _TYPENAME_DEPTH)
from dtracepy.layout.fastc_nodes import new_constant, new_typename


class Constants:
    """The constant expressions the converter evaluates (:mod:`.consts`)."""

    # -- constant expressions -----------------------------------------------------------------

    def typename(self) -> c_ast.Typename:
        self.depth += _TYPENAME_DEPTH  # pycparser recurses deeper for a type name than a '('
        if self.depth > _MAX_DEPTH:
            raise Unsupported("nested deeply")
        _, quals, base = self.specifiers(False)
        if self.align:  # (gcc refuses _Alignas in a type name: pycparser's path says so)
            raise Unsupported("_Alignas in a type name")
        _, node, _ = self.declarator(base, quals, False, abstract=True)
        if base.__class__ is Typeof:
            node = self.spliced(node)
        self.depth -= _TYPENAME_DEPTH
        return new_typename(None, quals, None, node, None)

    def expr(self):
        """A conditional expression (``a ? b : c`` nests by recursion, depth-limited)."""
        cond = self.binary()
        if self.toks[self.i] != "?":
            return cond
        self.i += 1
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise Unsupported("nested deeply")
        yes = self.expr()
        self.expect(":")
        no = self.expr()
        self.depth -= 1
        return c_ast.TernaryOp(cond, yes, no)

    def binary(self):
        """Binary operators by precedence, with stacks: a chain of any length, no recursion."""
        toks = self.toks
        prec = _PREC
        folded = self.sum_of_literals()
        if folded is not None:
            return folded
        operands = [self.unary()]
        ops: list[str] = []
        while True:
            op = toks[self.i]
            p = prec.get(op)
            if p is None:
                break
            self.i += 1
            while ops and prec[ops[-1]] >= p:
                right = operands.pop()
                operands.append(c_ast.BinaryOp(ops.pop(), operands.pop(), right))
            ops.append(op)
            operands.append(self.unary())
        while ops:
            right = operands.pop()
            operands.append(c_ast.BinaryOp(ops.pop(), operands.pop(), right))
        return operands[0]

    def sum_of_literals(self):
        """``1+2-1+...``, plain decimal literals added and subtracted, as the one constant the
        layout engine would compute from it, when every operand and partial sum is in [0, 2**31)
        (then every operand, partial sum and the constant are ``int``s, and the engine refuses
        nothing; a sum beyond it overflows ``int`` or has operands of wider types, which the
        engine types); else None, and the chain is read as nodes."""
        toks = self.toks
        i = self.i
        plain = _PLAIN_DECIMAL.match
        t = toks[i]
        if toks[i + 1] not in ("+", "-") or not plain(t):
            return None
        total = int(t)
        if total >= 1 << 31:  # a long: ``3000000000 - 2999999999`` is not the int 1
            return None
        while True:
            op = toks[i + 1]
            if op != "+" and op != "-":
                break
            t = toks[i + 2]
            if not plain(t):
                return None
            total = total + int(t) if op == "+" else total - int(t)
            if not 0 <= total < 1 << 31:
                return None
            i += 2
        if toks[i + 1] in _PREC:  # a higher (or lower) precedence operator follows: not a plain sum
            return None
        self.i = i + 1
        return new_constant("int", str(total))

    def unary(self):
        toks = self.toks
        prefix = []
        while True:
            t = toks[self.i]
            if t in _PREFIX:
                prefix.append(t)
                self.i += 1
            elif t == "(" and self.starts_type(toks[self.i + 1]):
                self.i += 1
                prefix.append(self.typename())
                self.expect(")")
            else:
                break
            self.depth += 1  # pycparser recurses for each prefix operator and cast
            if self.depth > _MAX_DEPTH:
                raise Unsupported("nested deeply")
        t = toks[self.i]
        self.i += 1
        if t == "sizeof" or t == "_Alignof":
            self.expect("(")
            if not self.starts_type(toks[self.i]):
                raise Unsupported(f"{t} of an expression")
            node = c_ast.UnaryOp(t, self.typename())
            self.expect(")")
        elif t == "(":
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise Unsupported("nested deeply")
            node = self.expr()
            self.expect(")")
            self.depth -= 1
        elif t[:1].isdigit():
            if not _INTEGER.fullmatch(t):
                self.i -= 1  # (the refusal at its token)
                raise Unsupported(f"number {t!r}")
            node = new_constant("int", t)
        elif t[:1] == "'":
            if not _CHAR.fullmatch(t):
                self.i -= 1
                raise Unsupported(f"character {t!r}")
            node = new_constant("char", t)
        elif t[:1] in _ID_START and t not in _RESERVED and t not in self.typedefs:
            node = c_ast.ID(t)
        else:
            self.i -= 1
            raise Unsupported(f"operand {t!r}")
        self.depth -= len(prefix)
        for p in reversed(prefix):
            node = c_ast.UnaryOp(p, node) if isinstance(p, str) else c_ast.Cast(p, node)
        return node
