"""Evaluate a read expression over bytes: what the target would compute, in Python.

Used to check emitted reads against the bytes a real C compiler produced.  Understands exactly
what :mod:`dtracepy.layout.reads` emits: names bound to addresses, ``(char *)`` casts, ``+ * <<
>> & |``, integer casts to ``[u]intN_t`` (which wrap) and ``*(uintN_t *)addr`` loads in the ABI's
byte order.
"""

from __future__ import annotations

from dtracepy import tree
from dtracepy.errors import LayoutError

_WIDTH = {f"{s}int{n}_t": (n, s == "") for n in (8, 16, 32, 64) for s in ("", "u")}


def _cast_name(type_name: tree.TypeName):
    spec = type_name.specifiers[0]
    name = spec.name if isinstance(spec, tree.TypeRef) else spec
    return name, isinstance(type_name.declarator, tree.PointerDecl)


def _wrap(value: int, bits: int, signed: bool) -> int:
    value &= (1 << bits) - 1
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def evaluate(expr: tree.Expr, memory: bytes, byteorder: str = "little", names=None) -> int:
    """The value of ``expr`` with ``memory`` at address 0 (``names`` maps identifiers to values;
    by default every identifier is address 0)."""
    names = names or {}

    def ev(e):
        if isinstance(e, tree.IntLit):
            return e.value
        if isinstance(e, (tree.Ident, tree.SelfVar, tree.ThisVar, tree.MacroVar)):
            return names.get(getattr(e, "name", None), 0)
        if isinstance(e, tree.Cast):
            name, pointer = _cast_name(e.type)
            value = ev(e.operand)
            if pointer:
                return value
            bits, signed = _WIDTH[name]
            return _wrap(value, bits, signed)
        if isinstance(e, tree.Unary) and e.op == "*":
            if not (isinstance(e.operand, tree.Cast) and isinstance(e.operand.type.declarator, tree.PointerDecl)):
                raise LayoutError("evaluate: dereference of an untyped address")
            name, _ = _cast_name(e.operand.type)
            bits, signed = _WIDTH[name]
            addr = ev(e.operand.operand)
            size = bits // 8
            if addr < 0 or addr + size > len(memory):
                raise LayoutError(f"evaluate: load of {size} bytes at {addr} is outside the object")
            if addr % size:
                raise LayoutError(f"evaluate: misaligned load of {size} bytes at {addr}")
            return int.from_bytes(memory[addr:addr + size], byteorder, signed=signed)
        if isinstance(e, tree.Binary):
            a, b = ev(e.left), ev(e.right)
            ops = {"+": a + b, "*": a * b, "&": a & b, "|": a | b, "^": a ^ b} if e.op not in ("<<", ">>") else {}
            if e.op == "<<":
                return a << b
            if e.op == ">>":
                return a >> b
            if e.op in ops:
                return ops[e.op]
        raise LayoutError(f"evaluate: unsupported node {type(e).__name__}")

    return ev(expr)
