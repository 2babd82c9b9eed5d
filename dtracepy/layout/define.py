"""Layouts written in Python: offsets found by hand, computed, or a mix of both.

>>> conn = define("conn_t", [Field("conn_lport", "uint16_t", offset=0x10a)])
>>> arg = define("tcp_conn_request_arg0", [Field("tcpq", pointer_to(conn), offset=0x28)])

A field with an ``offset`` is pinned there; one without is placed after the previous field by
the usual C rules (alignment of its type; a ``width`` makes it a bit-field).  A pinned bit-field
gives its unit type, the unit's ``offset`` and ``bit_offset`` counted from the unit's least
significant bit as the target reads it (``Field("ip_hl", "uint8_t", offset=0, bit_offset=0,
width=4)``).  Without ``size`` the layout ends at its last field, rounded up to its alignment.
"""

from __future__ import annotations

import functools
import re

import attrs

from dtracepy.errors import LayoutError
from dtracepy.layout.abi import ABI, get_abi
from dtracepy.layout.engine import MemberSpec, lay_out
from dtracepy.layout.model import Array, Layout, Pointer, Scalar


@attrs.frozen
class Field:
    """One field of a hand-written layout (see the module docstring)."""

    name: str
    type: object  # a C type as a string ("uint16_t", "char [16]", "tcp_t *"), a Layout or a Pointer
    offset: "int | None" = None
    width: "int | None" = None
    bit_offset: "int | None" = None


def pointer_to(layout: Layout) -> Pointer:
    """A pointer member that ``read_expr`` can follow with ``->`` into ``layout``."""
    return Pointer(layout, layout.abi.pointer_size, layout.name)


# Plain type names that need no C parser: C's base types (as dtracepy.layout.abi names them, plus
# two common short forms) and the scalar typedefs of cdecl.PRELUDE, each with the base type it
# stands for, spelt as PRELUDE spells it.  tests/test_define_fast_path.py checks every entry
# against the C parser on every ABI.
_BASE_TYPES = {name: name for name in (
    "char", "signed char", "unsigned char", "short", "unsigned short", "int", "unsigned int", "long",
    "unsigned long", "long long", "unsigned long long", "_Bool", "float", "double", "long double")}
_BASE_TYPES.update({"unsigned": "unsigned int", "signed": "int"})
_PRELUDE_SCALARS = {
    "int8_t": "signed char", "uint8_t": "unsigned char", "int16_t": "short", "uint16_t": "unsigned short",
    "int32_t": "int", "uint32_t": "unsigned int", "int64_t": "long long", "uint64_t": "unsigned long long",
    "intptr_t": "long", "uintptr_t": "unsigned long", "size_t": "unsigned long", "ssize_t": "long",
    "ptrdiff_t": "long", "off_t": "long", "uchar_t": "unsigned char", "ushort_t": "unsigned short",
    "uint_t": "unsigned int", "ulong_t": "unsigned long", "u_longlong_t": "unsigned long long",
    "longlong_t": "long long", "u_char": "unsigned char", "u_short": "unsigned short", "u_int": "unsigned int",
    "u_long": "unsigned long", "u_int8_t": "unsigned char", "u_int16_t": "unsigned short",
    "u_int32_t": "unsigned int", "u_int64_t": "unsigned long long", "pid_t": "int", "uid_t": "unsigned int",
    "gid_t": "unsigned int", "time_t": "long", "in_addr_t": "unsigned int", "in_port_t": "unsigned short",
    "tcp_seq": "unsigned int", "n_short": "unsigned short", "n_long": "unsigned int", "n_time": "unsigned int",
    "sa_family_t": "unsigned short", "socklen_t": "unsigned int",
}
_PLAIN_DIMS = re.compile(r"\[\s*(0|[1-9][0-9]*)\s*\]")


def _plain_type(base: str, dims: str, abi: ABI):
    """The type of ``base dims`` without the C parser, or None if it needs the parser."""
    spelling = _PRELUDE_SCALARS.get(base, base)
    canon = _BASE_TYPES.get(spelling)
    if canon is None:
        return None
    counts = []
    if dims:
        counts = [int(n) for n in _PLAIN_DIMS.findall(dims)]
        if "".join(_PLAIN_DIMS.sub("", dims).split()):
            return None  # a dimension that is not a plain decimal number
    size, align, signed = abi.base(canon)
    kind = "bool" if canon == "_Bool" else "float" if canon in ("float", "double", "long double") else "int"
    t = Scalar(spelling, size, align, signed, kind)
    for count in reversed(counts):
        t = Array(t, count)
    return t


@functools.lru_cache(maxsize=256)
def _parse_type(text: str, abi: ABI):
    m = re.fullmatch(r"(.*?)\s*((?:\[\s*\w*\s*\])+)", text.strip())
    base, dims = (m.group(1), m.group(2)) if m else (text, "")
    plain = _plain_type(base.strip(), dims, abi)
    if plain is not None:
        return plain
    from dtracepy.layout.cdecl import _Converter
    from dtracepy.layout.cparse import parse_c

    source = f"typedef {base} __dtracepy_t{dims};\n"
    try:
        ast, pre = parse_c(source, "<field type>", abi)
        conv = _Converter(abi, pre)
        conv.run(ast)
    except LayoutError as err:
        raise LayoutError(f"cannot understand the type {text!r}: {err.message}") from None
    return conv.typedefs["__dtracepy_t"][0]


def resolve_type(spec, abi: ABI, types=None) -> tuple[object, str]:
    """(type, spelling) of a field type given as a string, a Layout or a Pointer."""
    if isinstance(spec, Layout):
        return spec, spec.name
    if isinstance(spec, Pointer):
        return spec, spec.spelling()
    if not isinstance(spec, str):
        raise LayoutError(f"a field type is a C type string, a Layout or pointer_to(layout), not {spec!r}")
    text = " ".join(spec.split())
    if types and text in types:
        return types[text], text
    if text.endswith("*"):
        target_name = text[:-1].strip()
        target = (types or {}).get(target_name)
        return Pointer(target, abi.pointer_size, target_name), text
    return _parse_type(text, abi), text


def define(name: str, fields, *, size: "int | None" = None, align: "int | None" = None, abi="x86_64",
           kind: str = "struct", packed: bool = False, types=None) -> Layout:
    """A :class:`Layout` from Python: pinned and computed fields (see the module docstring).

    ``types`` maps names used in field type strings to layouts (``{"conn_t": conn}`` lets a field
    be ``"conn_t *"`` and followed with ``->``).
    """
    abi = get_abi(abi)
    layout = Layout(None, kind, abi)
    layout.name = name
    specs = []
    if not isinstance(name, str):
        raise LayoutError(f"define() takes the layout's name as a str, not {name!r:.60}")
    for f in fields:
        if isinstance(f, tuple):
            f = Field(*f)
        if not isinstance(f, Field):
            raise LayoutError(f"{name}: a field is a Field or a tuple of its arguments, not {f!r:.60}")
        for what in ("offset", "width", "bit_offset"):
            value = getattr(f, what)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise LayoutError(f"field {f.name!r:.40}: {what} is a non-negative int or None, not {value!r:.40}")
        t, spelling = resolve_type(f.type, abi, types)
        spec = MemberSpec(f.name, t, spelling, f.width, offset=f.offset)
        if f.bit_offset is not None:
            if f.offset is None or f.width is None:
                raise LayoutError(f"field {f.name}: a bit_offset needs an offset and a width")
            bits = t.size * 8
            if f.bit_offset + f.width > bits:
                raise LayoutError(f"field {f.name}: bits {f.bit_offset}+{f.width} do not fit in {spelling}")
            rel = bits - f.bit_offset - f.width if abi.big_endian else f.bit_offset
            spec.bit_pos = f.offset * 8 + rel
        elif f.width is not None and f.offset is not None:
            raise LayoutError(f"field {f.name}: a pinned bit-field needs its bit_offset")
        specs.append(spec)
    return lay_out(layout, specs, packed=packed, size=size, align=align)
