"""Struct and union layout, following the SysV psABIs as gcc implements them.

Rules (positions in bits, alignments in bytes):

* An ordinary member is placed at the next multiple of its alignment: the type's alignment, raised
  by ``aligned(N)``, lowered to 1 by ``packed``, and capped by ``#pragma pack(N)``.
* A bit-field is placed at the next free bit unless it would then span more alignment units of
  its declared type than the type itself has (a 3-bit ``int`` may not cross a 4-byte boundary; an
  i386 ``long long`` aligned to 4 may span two 4-byte units), in which case it moves to the next
  boundary.  ``packed`` bit-fields and any bit-field under ``#pragma pack`` skip that rule.  A
  bit-field with ``aligned(N)`` first moves to the next multiple of N (capped by ``#pragma pack``)
  and raises the record's alignment to it, as an ordinary member asking for N would.
* A named bit-field raises the record's alignment to its type's (capped by packing); an unnamed
  one does not, except on aarch64.  A zero-width bit-field moves to the next boundary of its type
  and is not affected by packing.
* The size is the end of the last member rounded up to the record's alignment (and to
  ``aligned(N)`` on the record).  A union places every member at 0.
"""

from __future__ import annotations

import attrs

from dtracepy.errors import LayoutError
from dtracepy.layout.model import Array, Layout, Member, Scalar, spelled
from dtracepy.source import Pos


@attrs.define
class MemberSpec:
    """A member as declared, before layout."""

    name: "str | None"
    type: object
    type_name: object  # its spelling, or what makes it (model.spelled)
    width: "int | None" = None  # bit-field width
    packed: bool = False  # __attribute__((packed)) on the member
    aligned: "int | None" = None  # __attribute__((aligned(N))) on the member
    pos: "Pos | None" = None
    offset: "int | None" = None  # pinned byte offset (hand-written layouts)
    bit_pos: "int | None" = None  # pinned allocation bit position (hand-written bit-fields)


#: Sizes and offsets are below this (what a 64-bit size_t holds).
MAX_SIZE = 2**64


def most_bytes(abi) -> int:
    """The largest size of a type gcc takes for ``abi``: PTRDIFF_MAX (2**63 - 1 on a 64-bit ABI,
    2**31 - 1 on a 32-bit one); past it gcc refuses the type ("type 'struct s' is too large",
    "size of array 'x' is too large")."""
    most = _MOST_BYTES.get(abi.pointer_size)
    if most is None:  # (asked for each record and array: the power computed once a pointer size)
        most = _MOST_BYTES[abi.pointer_size] = 2 ** (8 * abi.pointer_size - 1) - 1
    return most


_MOST_BYTES: dict = {}


def _round_up(value: int, align: int) -> int:
    return -(-value // align) * align


_NO_ELEMENT = frozenset(("void", "function"))  # (the scalars no array holds: see _check_member_type)


def _check_member_type(layout: Layout, spec: MemberSpec):
    t = spec.type
    if isinstance(t, Layout) and not t.complete:
        raise LayoutError(f"member {spec.name or '<anonymous>'} of {layout.name} has incomplete type "
                          f"{t.name}", spec.pos)
    if isinstance(t, Array):
        # (an element gcc refuses at any dimension: `void v[2]` was laid out as 2 bytes, `struct
        # in x[3]` of an undefined struct and `F f[2][3]` of a function type as none, in gcc's words)
        base = t._base()[0]
        kind = getattr(base, "kind", None)
        if kind in ("void", "function"):
            raise LayoutError(f"declaration of '{spec.name or '<anonymous>'}' as array of {kind}s", spec.pos)
        if isinstance(base, Layout) and not base.complete:
            raise LayoutError(f"array type has incomplete element type '{base.name}' (member "
                              f"{spec.name or '<anonymous>'} of {layout.name})", spec.pos)
    if spec.width is not None:
        if getattr(t, "kind", None) not in ("int", "enum", "bool"):
            raise LayoutError(f"bit-field {spec.name or '<unnamed>'} has non-integer type {spelled(spec.type_name)}",
                              spec.pos)
        bits = 1 if getattr(t, "kind", None) == "bool" else t.size * 8  # _Bool holds one bit
        if spec.width < 0 or spec.width > bits:
            raise LayoutError(f"width of bit-field {spec.name or '<unnamed>'} ({spec.width}) exceeds "
                              f"its type ({bits} bit{'s' if bits > 1 else ''})", spec.pos)
        if spec.width == 0 and spec.name is not None:
            raise LayoutError(f"zero-width bit-field {spec.name} must be unnamed", spec.pos)


def _taken(specs: list):
    """The items of ``specs`` from its end, each taken out of it as it is given."""
    while specs:
        yield specs.pop()


def lay_out(layout: Layout, specs: list[MemberSpec], *, packed: bool = False, aligned: "int | None" = None,
            pack: "int | None" = None, size: "int | None" = None, align: "int | None" = None,
            consume: bool = False) -> Layout:
    """Place ``specs`` into ``layout`` (a struct or union) and complete it.  ``consume``: ``specs``
    is emptied, each spec let go once placed (a struct of 300,000 members held 35 MB of them to
    its end, where the command's memory peaks)."""
    abi = layout.abi
    last = specs[-1].pos if specs else None
    if consume:
        specs.reverse()
        specs = _taken(specs)
    union = layout.kind == "union"
    pos = 0  # next free bit (struct)
    end = 0  # furthest bit used
    rec_align = 1
    members = []
    seen: set[str] = set()
    for spec in specs:
        t = spec.type
        if spec.width is not None or isinstance(t, Layout) or isinstance(t, Array) and (
                t.elem.__class__ is not Scalar or t.elem.kind in _NO_ELEMENT):  # (`char c[4]`: nothing to ask)
            _check_member_type(layout, spec)
        name = spec.name
        if name is not None:  # (the common member: its one name)
            if name in seen:
                raise LayoutError(f"duplicate member {name!r} in {layout.name}", spec.pos)
            seen.add(name)
        elif isinstance(t, Layout) and t.complete:
            for name in t.member_names():
                if name in seen:
                    raise LayoutError(f"duplicate member {name!r} in {layout.name}", spec.pos)
                seen.add(name)
        is_packed = packed or spec.packed
        if union:
            pos = 0
        elif end > pos:
            pos = end  # computed fields go after pinned ones
        if spec.width is not None:
            talign, tbits = t.align, t.size * 8
            if spec.bit_pos is not None:
                place = spec.bit_pos
            elif spec.width == 0:
                place = _round_up(pos, talign * 8)
                if abi.unnamed_bitfield_aligns_record:
                    rec_align = max(rec_align, talign)
                pos = max(pos, place)
                end = max(end, pos)
                continue
            else:
                place = pos
                if spec.aligned is not None:  # gcc places it as an ordinary member asking for that
                    place = _round_up(place, (spec.aligned if pack is None else min(spec.aligned, pack)) * 8)
                unit = talign * 8
                if not is_packed and pack is None:
                    if (place % unit + spec.width + unit - 1) // unit > tbits // unit:
                        place = _round_up(place, unit)
            if spec.name is not None or abi.unnamed_bitfield_aligns_record:
                eff = talign
                if pack is not None:
                    eff = min(eff, pack)
                elif is_packed:
                    eff = 1
                rec_align = max(rec_align, eff)
            if spec.aligned is not None and spec.width:
                rec_align = max(rec_align, spec.aligned if pack is None else min(spec.aligned, pack))
            members.append(Member(spec.name, t, spec.type_name, place // 8, place, spec.width))
            pos = place + spec.width
        else:
            a = 1 if is_packed else t.align
            if spec.aligned is not None and spec.aligned > a:
                a = spec.aligned
            if pack is not None and pack < a:
                a = pack
            if spec.offset is not None:
                place = spec.offset * 8
            else:
                place = -(-pos // (a * 8)) * a * 8
            if a > rec_align:
                rec_align = a
            members.append(Member(spec.name, t, spec.type_name, place // 8))
            pos = place + t.size * 8
        if pos > end:
            end = pos
    if aligned is not None:
        rec_align = max(rec_align, aligned)
    if align is not None:
        rec_align = align
    computed = _round_up(_round_up(end, 8) // 8, rec_align)
    if size is not None:
        if size * 8 < end:
            raise LayoutError(f"{layout.name}: members end at byte {_round_up(end, 8) // 8}, beyond the "
                              f"given size {size}")
        computed = size
    if computed > most_bytes(abi):
        raise LayoutError(f"{layout.name} is too large: {computed} bytes (sizes must be below "
                          f"2**{8 * abi.pointer_size - 1} for {abi.name}, as gcc's: \"type is too large\")",
                          last)
    layout.members = members
    layout.size = computed
    layout.align = rec_align
    layout.complete = True
    return layout
