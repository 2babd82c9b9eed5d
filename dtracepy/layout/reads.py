"""Reads as D syntax trees: a member of a layout, through a pointer, by explicit byte offsets.

Every read is a load of a standard D integer type (``uint8_t`` .. ``uint64_t``, ``int8_t`` ..
``int64_t``) at ``(char *)p + offset``, so the emitted D needs no kernel type information.

* A plain member: ``*(uint32_t *)((char *)p + 12)``.
* A bit-field: its storage unit loaded unsigned, shifted and masked, ``(*(uint8_t *)p >> 4) &
  0xf``; a signed bit-field is shifted left into the top of the unit, cast to the signed type and
  shifted right so that it is sign-extended.
* Loads are never misaligned (DTrace refuses them with "invalid alignment"): a member of a packed
  struct, or an 8-byte member of a 4-aligned i386 struct, is read in aligned pieces combined with
  ``<<`` and ``|`` in the target's byte order.
* ``a.b``, ``arr[3]`` add offsets; ``arr[i]`` with a tree expression adds ``i * size``; ``ptr->x``
  loads the pointer and continues in the pointed-to layout.
"""

from __future__ import annotations

from dtracepy import tree
from dtracepy.errors import LayoutError
from dtracepy.layout.model import Array, FieldInfo, Layout, Member, Pointer, Scalar, Vector, split_path

_UNSIGNED = {1: "uint8_t", 2: "uint16_t", 4: "uint32_t", 8: "uint64_t"}
_SIGNED = {1: "int8_t", 2: "int16_t", 4: "int32_t", 8: "int64_t"}


# ---------------------------------------------------------------------------------------------
# Where a member lives
# ---------------------------------------------------------------------------------------------


def storage_unit(top: Layout, bit_pos: int, width: int, type_size: int) -> tuple[int, int]:
    """(byte offset, size) of the load that holds bits ``[bit_pos, bit_pos + width)``.

    The declared type's size is preferred, then the smallest of 1, 2, 4, 8 bytes, provided the
    load is aligned (relative to ``top``, whose alignment the pointer is assumed to have) and stays
    inside ``top``.  Failing that (packed structs) it is the bytes the field touches.
    """
    sizes = [type_size] + [s for s in (1, 2, 4, 8) if s != type_size]
    for s in sizes:
        if s > top.align or s not in _UNSIGNED:
            continue
        start = (bit_pos // (s * 8)) * s
        if (start + s) * 8 >= bit_pos + width and start + s <= top.size:
            return start, s
    start = bit_pos // 8
    return start, -(-(bit_pos + width) // 8) - start


def bit_offset_in_unit(abi, bit_pos: int, width: int, unit_offset: int, unit_size: int) -> int:
    """The bit-field's shift within its unit, counted from the unit's least significant bit."""
    rel = bit_pos - unit_offset * 8
    return unit_size * 8 - rel - width if abi.big_endian else rel


def field_info(top: Layout, name: str, member: Member, base: int) -> FieldInfo:
    """The FieldInfo of ``member`` of a record placed at byte ``base`` inside ``top``."""
    t = member.type
    if member.is_bitfield:
        bit_pos = base * 8 + member.bit_pos
        off, size = storage_unit(top, bit_pos, member.width, t.size)
        bo = bit_offset_in_unit(top.abi, bit_pos, member.width, off, size)
        return FieldInfo(name, member.type_name, off, size, bo, member.width, ctype=t)
    return FieldInfo(name, member.type_name, base + member.offset, t.size, ctype=t)


class _Walk:
    """The state of walking a member path: where we are and what type is there."""

    def __init__(self, layout: Layout, pointer):
        self.top = layout
        self.type = layout
        self.base = pointer
        self.offset = 0
        self.dynamic: list[tuple[tree.Expr, int]] = []
        self.member: "Member | None" = None
        self.member_base = 0
        self.name = ""

    def step(self, part, allow_arrow: bool):
        if isinstance(self.type, Member):  # pragma: no cover - defensive
            raise AssertionError
        if part == "->":
            if not allow_arrow:
                raise LayoutError("'->' follows a pointer; use read_expr to read through it")
            self._follow()
        elif isinstance(part, str):
            if self.member is not None and self.member.is_bitfield:
                raise LayoutError(f"{self.name} is a bit-field; it has no member {part!r}")
            if not isinstance(self.type, Layout):
                what = "a pointer (use '->')" if isinstance(self.type, Pointer) else "not a struct or union"
                raise LayoutError(f"{self.name or self.top.name} is {what}; cannot select {part!r}")
            off, m = self.type.lookup(part)
            self.member_base = self.offset + off - m.offset
            self.offset += off
            self.member, self.type = m, m.type
            self.name = f"{self.name}.{part}" if self.name else part
        else:
            if not isinstance(self.type, Array):
                raise LayoutError(f"{self.name or self.top.name} is not an array; cannot index it")
            elem = self.type.elem
            if isinstance(part, int):
                if self.type.count and not 0 <= part < self.type.count:
                    raise LayoutError(f"index {part} is outside {self.name}[{self.type.count}]")
                self.offset += part * elem.size
                self.name += f"[{part}]"
            elif isinstance(part, tree.Expr):
                self.dynamic.append((part, elem.size))
                self.name += "[...]"
            else:
                raise LayoutError(f"cannot index with {part!r}")
            self.member, self.type = None, elem

    def _follow(self):
        if not isinstance(self.type, Pointer):
            raise LayoutError(f"{self.name or self.top.name} is not a pointer; cannot use '->'")
        target = self.type.target
        if not isinstance(target, Layout) or not target.complete:
            raise LayoutError(f"{self.name} points to {self.type.target_spelling()}, whose layout is not known")
        self.base = _load(self.top, self.base, self.offset, self.dynamic, self.type.size, False)
        self.top = self.type = target
        self.offset, self.dynamic, self.member, self.name = 0, [], None, self.name + "->"


def _walk(layout: Layout, pointer, path, allow_arrow: bool) -> _Walk:
    if not isinstance(layout, Layout):
        raise LayoutError(f"expected a Layout, got {type(layout).__name__}")
    if pointer is not None and not isinstance(pointer, tree.Expr):  # (None: offsets only)
        # (a str or a DSL value would be held by the tree built, which its kind cannot print)
        raise LayoutError(f"the pointer is a dtracepy.tree expression (dtracepy.expr(x) of a DSL "
                          f"value), not {type(pointer).__name__} ({pointer!r:.60})")
    w = _Walk(layout, pointer)
    parts = split_path(path)
    if not parts:
        raise LayoutError("empty member path")
    for part in parts:
        w.step(part, allow_arrow)
    return w


def resolve_static(layout: Layout, path) -> FieldInfo:
    """The FieldInfo of ``path`` (no ``->``), offsets counted from the start of ``layout``."""
    w = _walk(layout, None, path, allow_arrow=False)
    if w.dynamic:
        raise LayoutError("member() needs constant array indices")
    if w.member is not None:
        return field_info(layout, w.name, w.member, w.member_base)
    return FieldInfo(w.name, w.type.spelling(), w.offset, w.type.size, ctype=w.type)


# ---------------------------------------------------------------------------------------------
# Building the tree
# ---------------------------------------------------------------------------------------------


def _type_name(name: str, pointer: bool = False) -> tree.TypeName:
    spec = (name,) if name == "char" else (tree.TypeRef(name),)
    return tree.TypeName(spec, tree.PointerDecl(tree.NameDecl(None)) if pointer else tree.NameDecl(None))


def _int(value: int) -> tree.IntLit:
    return tree.IntLit(str(value))


def _hex(value: int) -> tree.IntLit:
    return tree.IntLit(hex(value))


def address(base: tree.Expr, offset: int, dynamic=()) -> tree.Expr:
    """``(char *)base + offset [+ i * size ...]``, or ``base`` itself at offset 0."""
    if offset == 0 and not dynamic:
        return base
    expr = tree.Cast(_type_name("char", pointer=True), base)
    if offset:
        expr = tree.Binary("+", expr, _int(offset))
    for index, size in dynamic:
        expr = tree.Binary("+", expr, tree.Binary("*", index, _int(size)) if size != 1 else index)
    return expr


def _deref(type_name: str, addr: tree.Expr) -> tree.Expr:
    return tree.Unary("*", tree.Cast(_type_name(type_name, pointer=True), addr))


def _load(top: Layout, base, offset: int, dynamic, size: int, signed: bool) -> tree.Expr:
    """A ``size``-byte integer at ``offset``, in aligned pieces if a single load would be misaligned."""
    if size in _UNSIGNED and size <= top.align and offset % size == 0 and all(s % size == 0 for _, s in dynamic):
        return _deref((_SIGNED if signed else _UNSIGNED)[size], address(base, offset, dynamic))
    if size > 8:
        raise LayoutError(f"cannot read {size} bytes as one integer (at most 8)")
    if dynamic:
        raise LayoutError("a misaligned read cannot take a computed array index")
    result = next(s for s in (1, 2, 4, 8) if s >= size)
    rtype = _UNSIGNED[result]
    pieces, cur, end = [], offset, offset + size
    while cur < end:
        s = next(s for s in (8, 4, 2, 1) if s <= top.align and cur % s == 0 and cur + s <= end)
        shift = (end - cur - s) * 8 if top.abi.big_endian else (cur - offset) * 8
        piece = _deref(_UNSIGNED[s], address(base, cur))
        if s != result:
            piece = tree.Cast(_type_name(rtype), piece)
        if shift:
            piece = tree.Binary("<<", piece, _int(shift))
        pieces.append(piece)
        cur += s
    expr = pieces[0]
    for piece in pieces[1:]:
        expr = tree.Binary("|", expr, piece)
    if signed:
        expr = tree.Cast(_type_name(_SIGNED[result]), expr)
    return expr


def _extract(top: Layout, base, bit_pos: int, width: int, type_size: int, dynamic, signed: bool) -> tree.Expr:
    """The bits ``[bit_pos, bit_pos + width)`` (allocation order) of ``top`` as an integer."""
    off, size = storage_unit(top, bit_pos, width, type_size)
    if size > 8:  # a packed field touching 9 bytes: read it in two parts
        first = (bit_pos // 8 + 8) * 8 - bit_pos
        low = _extract(top, base, bit_pos, first, 8, dynamic, False)
        high = _extract(top, base, bit_pos + first, width - first, 8, dynamic, False)
        if top.abi.big_endian:  # the first bits allocated are the most significant
            low, high, first = high, low, width - first
        high = tree.Binary("<<", tree.Cast(_type_name("uint64_t"), high), _int(first))
        expr = tree.Binary("|", low, high)
        if signed:
            expr = tree.Binary(">>", tree.Cast(_type_name("int64_t"), tree.Binary("<<", expr, _int(64 - width))),
                               _int(64 - width))
        return expr
    shift = bit_offset_in_unit(top.abi, bit_pos, width, off, size)
    unit = _load(top, base, off, dynamic, size, False)
    bits = next(s for s in (8, 16, 32, 64) if s >= size * 8)
    if signed and width > 0:
        left = bits - shift - width
        if left:
            unit = tree.Binary("<<", unit, _int(left))
        expr = tree.Cast(_type_name(_SIGNED[bits // 8]), unit)
        if bits - width:
            expr = tree.Binary(">>", expr, _int(bits - width))
        return expr
    expr = unit
    if shift:
        expr = tree.Binary(">>", expr, _int(shift))
    if shift + width < bits:
        expr = tree.Binary("&", expr, _hex((1 << width) - 1))
    return expr


def _bitfield(top: Layout, base, member: Member, member_base: int, dynamic) -> tree.Expr:
    signed = bool(member.type.signed) and member.type.kind != "bool"
    return _extract(top, base, member_base * 8 + member.bit_pos, member.width, member.type.size, dynamic, signed)


def read_expr(layout: Layout, pointer: tree.Expr, path) -> tree.Expr:
    """The D expression that reads ``path`` of the ``layout`` that ``pointer`` points to.

    ``path`` is a string (``"ip_src"``, ``"u.a.b"``, ``"arr[2]"``, ``"conn->lport"``) or a list of
    parts where an array index may be a :class:`tree.Expr`.  The value is an integer: a plain
    member's bytes, a bit-field's value (sign-extended if signed), a pointer as an address.
    """
    w = _walk(layout, pointer, path, allow_arrow=True)
    if w.member is not None and w.member.is_bitfield:
        return _bitfield(w.top, w.base, w.member, w.member_base, w.dynamic)
    t = w.type
    if isinstance(t, (Layout, Array, Vector)):
        raise LayoutError(f"{w.name} is {t.spelling()}, not a scalar; read one of its members "
                          "or take its address with address_expr")
    signed = isinstance(t, Scalar) and t.signed and t.kind in ("int", "enum")
    return _load(w.top, w.base, w.offset, w.dynamic, t.size, signed)


def address_expr(layout: Layout, pointer: tree.Expr, path) -> tree.Expr:
    """``(char *)p + offset``: the address of ``path`` (any member but a bit-field)."""
    w = _walk(layout, pointer, path, allow_arrow=True)
    if w.member is not None and w.member.is_bitfield:
        raise LayoutError(f"cannot take the address of bit-field {w.name}")
    return address(w.base, w.offset, w.dynamic)
