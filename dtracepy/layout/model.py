"""The laid-out C types: scalars, pointers, arrays, and records (:class:`Layout`).

A :class:`Layout` is a struct or union whose members have byte offsets and, for bit-fields, bit
positions.  Bit positions are kept in *allocation order* (bit 0 is the first bit the compiler
fills: the least significant bit of byte 0 on a little-endian target, the most significant bit of
byte 0 on a big-endian one); :meth:`Layout.member` turns them into a storage unit and a
``bit_offset`` counted from the least significant bit of that unit as the target loads it, so a
read is always ``(unit >> bit_offset) & mask``.
"""

from __future__ import annotations

import re

import attrs

from dtracepy.errors import LayoutError
from dtracepy.layout.abi import ABI


@attrs.frozen
class Scalar:
    """An integer, enum, ``_Bool`` or floating type.  ``name`` is its spelling (``uint16_t``)."""

    name: str
    size: int
    align: int
    signed: bool
    kind: str = "int"  # "int", "enum", "bool", "float"

    def spelling(self) -> str:
        return self.name


@attrs.frozen
class Pointer:
    """A pointer; ``target`` is the pointed-to type (None for ``void *`` and function pointers)."""

    target: object
    size: int
    #: the target's spelling; None for a pointer to the pointer below it in one declarator
    #: (``int ***p``), spelled from that one on demand (a spelling per level would be quadratic)
    target_name: "str | None" = "void"

    @property
    def align(self) -> int:
        return self.size

    @property
    def signed(self) -> bool:
        return False

    def target_spelling(self) -> str:
        """The target's spelling (``int **`` for ``int ***p``, ``char [3]``), counted down the
        chain without recursing."""
        return self._spelling(0)

    def spelling(self) -> str:
        """C's name of this pointer type: ``char *``, ``int **``, ``char (*)[3]``."""
        return self._spelling(1)

    def _spelling(self, stars: int) -> str:
        p = self
        while p.target_name is None:
            stars, p = stars + 1, p.target
        if not stars:
            return p.target_name
        base, declarator = split_type_name(p.target_name)
        return type_name(base, pointer_declarator(declarator, stars))


@attrs.frozen
class Array:
    """``elem[count]``; ``count`` is 0 for GNU's zero-length array ``elem[0]`` and for a
    flexible array member ``elem[]``, which is a :class:`FlexibleArray` (the same layout, gcc
    lays both out at the member's offset with no size; only the spelling differs)."""

    elem: object
    count: int

    # (each walks the chain of dimensions without recursing: a header may give thousands)
    def _base(self) -> "tuple[object, list[int]]":
        """The element type below every dimension, and the counts, outermost first."""
        counts, t = [], self
        while isinstance(t, Array):
            counts.append(None if t.__class__ is FlexibleArray else t.count)
            t = t.elem
        return t, counts

    @property
    def size(self) -> int:
        base, counts = self._base()
        size = base.size
        for count in counts:
            size *= count or 0
        return size

    @property
    def align(self) -> int:
        return self._base()[0].align

    def spelling(self) -> str:
        """C's name of this array type: ``int [2][3]``, ``int *[4]``, ``char (*[4])[3]``."""
        elem, counts = self._base()
        base, declarator = split_type_name(elem.spelling())
        dims = "".join("[]" if count is None else f"[{count}]" for count in counts)
        return type_name(base, suffix_declarator(declarator, dims))


@attrs.frozen
class Vector:
    """GNU C's vector of ``count`` scalars, ``elem __attribute__((vector_size(N)))``: ``N`` bytes,
    aligned as gcc aligns it for the ABI (``align``), read as a whole or not at all."""

    elem: Scalar
    count: int
    align: int

    @property
    def size(self) -> int:
        return self.elem.size * self.count

    def spelling(self) -> str:
        return f"{self.elem.spelling()} __attribute__((vector_size({self.size})))"


class FlexibleArray(Array):
    """A flexible array member's type, ``elem[]`` (``count`` 0): spelt ``[]`` where GNU's
    zero-length array ``elem[0]`` is spelt ``[0]``."""

    __slots__ = ()


# --- C's type names: a base (``char``, ``struct s``, a typedef name) and an abstract declarator ---
# (``*``, ``[3]``, ``(*)[3]``, ``(*)(int)``), composed as C composes them: a pointer to an array
# is ``char (*)[3]``, an array of pointers ``int *[4]``, a pointer to a function ``void (*)(int)``.

def _name_place(declarator: str) -> int:
    """Where the name would stand in an abstract declarator: after its leading ``*``, their
    qualifiers (``*const *``) and the ``(`` that group (``(*)[3]``: 2); a ``(`` that opens a
    parameter list is followed by a type name, ``)`` or ``...``, never by ``*`` or ``(``."""
    i, n = 0, len(declarator)
    while i < n:
        c = declarator[i]
        if c == "*" or c == "(" and i + 1 < n and declarator[i + 1] in "*(":
            i += 1
        elif i and declarator[i - 1] in "* " and c.isalpha():  # a pointer's qualifier
            while i < n and declarator[i].isalpha():
                i += 1
        elif c == " " and i and declarator[i - 1].isalpha():  # (between qualifiers, before a *)
            i += 1
        else:
            break
    return i


def pointer_declarator(declarator: str, stars: "int | str" = 1) -> str:
    """``declarator`` of a type, made the declarator of a pointer (``stars`` of them, or the text
    of them with their qualifiers, ``*const``) to it: at the name's place, in parentheses before a
    ``[]`` or a parameter list (``[3]`` -> ``(*)[3]``), after a space behind a qualifier."""
    i = _name_place(declarator)
    rest = declarator[i:]
    inserted = "*" * stars if stars.__class__ is int else stars
    if rest[:1] in ("[", "("):
        inserted = f"({inserted})"
    if i and declarator[i - 1].isalpha():
        inserted = " " + inserted
    return declarator[:i] + inserted + rest


def qualified(quals, base: str) -> str:
    """``base`` after its qualifiers, in C's order, as gcc spells them: ``const char``."""
    words = [q for q in _QUALIFIERS if q in quals]
    return " ".join(words + [base]) if words else base


def pointer_text(quals) -> str:
    """A pointer's ``*`` with its qualifiers, as C writes them in a declarator: ``*const``."""
    return "*" + " ".join(q for q in _QUALIFIERS if q in quals)


_QUALIFIERS = ("const", "volatile", "restrict")


def split_type_name(spelling: str) -> tuple[str, str]:
    """(base, abstract declarator) of a type's spelling: ``char (*)[3]`` -> ``char``, ``(*)[3]``
    (the base ends before the first ``*``, ``(`` or ``[`` that is not a GNU attribute's)."""
    i, n = 0, len(spelling)
    while i < n:
        c = spelling[i]
        if c == "(" and spelling.endswith("__attribute__", 0, i):  # (a vector's: its parentheses)
            depth = 0
            while i < n:
                depth += (spelling[i] == "(") - (spelling[i] == ")")
                i += 1
                if not depth:
                    break
            continue
        if c in "*([":
            break
        i += 1
    return spelling[:i].rstrip(), spelling[i:]


def suffix_declarator(declarator: str, suffix: str) -> str:
    """``declarator`` of a type, made that of an array of it (``suffix`` ``[2]``) or of a function
    returning it (``(int)``): the suffix at the name's place (``*`` -> ``*[2]``, ``(*)[3]`` ->
    ``(*[2])[3]``)."""
    i = _name_place(declarator)
    return declarator[:i] + suffix + declarator[i:]


def type_name(base: str, declarator: str) -> str:
    """C's type name of a base and an abstract declarator: ``char (*)[3]``, ``int *[4]``."""
    return f"{base} {declarator}" if declarator else base


@attrs.define(eq=False)
class Member:
    """One member of a record.  ``offset`` is in bytes; for a bit-field ``bit_pos`` is its first
    bit in allocation order counted from the start of the record and ``width`` its width."""

    name: "str | None"
    type: object
    #: its type's spelling (``char (*)[3]``), or what makes it when first asked (see :func:`spelled`)
    _type_name: object
    offset: int
    bit_pos: "int | None" = None
    width: "int | None" = None

    @property
    def type_name(self) -> str:
        name = self._type_name
        if name.__class__ is not str:
            name = self._type_name = name()
        return name

    @property
    def is_bitfield(self) -> bool:
        return self.width is not None


def spelled(name) -> str:
    """A type's spelling given as a string, or as a function that makes it: a header's reader
    spells a member's type only when it is shown (the spelling of a function pointer's signature
    costs more than the member's layout, and ``layout`` shows one record of thousands)."""
    return name if name.__class__ is str else name()


@attrs.frozen
class FieldInfo:
    """A member as a reader sees it, with offsets counted from the start of the outer layout.

    For an ordinary member ``offset``/``size`` are its bytes and ``bit_offset``/``bit_width`` are
    None.  For a bit-field ``offset``/``size`` are its storage unit (the aligned load that holds
    it) and ``bit_offset`` counts from that unit's least significant bit as the target reads it.
    """

    name: str
    type: str
    offset: int
    size: int
    bit_offset: "int | None" = None
    bit_width: "int | None" = None
    ctype: object = attrs.field(default=None, eq=False, repr=False)

    @property
    def signed(self) -> bool:
        return bool(getattr(self.ctype, "signed", False))

    def to_json(self) -> dict:
        return {"name": self.name, "type": self.type, "offset": self.offset, "size": self.size,
                "bit_offset": self.bit_offset, "bit_width": self.bit_width}


_PATH_TOKEN = re.compile(r"\s*(?:(->)|(\.)|\[\s*(\d+|0x[0-9a-fA-F]+)\s*\]|([A-Za-z_]\w*))")


def split_path(path) -> list:
    """``"a.b[2]->c"`` -> ``["a", ".", "b", 2, "->", "c"]`` (a list or tuple passes through)."""
    if not isinstance(path, str):
        return list(path)
    parts, pos = [], 0
    while pos < len(path):
        m = _PATH_TOKEN.match(path, pos)
        if not m or m.end() == pos:
            raise LayoutError(f"cannot read member path {path!r} at {path[pos:]!r}")
        arrow, dot, index, name = m.groups()
        if arrow or dot:
            parts.append(arrow or dot)
        elif index is not None:
            parts.append(int(index, 0))
        else:
            parts.append(name)
        pos = m.end()
    return [p for p in parts if p != "."]


class Layout:
    """A laid-out struct or union.  ``size`` and ``align`` are in bytes; ``members`` are the
    direct members in declaration order; :attr:`fields` flattens them for display."""

    def __init__(self, name: "str | None", kind: str, abi: ABI):
        self.tag = name
        self.name = f"{kind} {name}" if name else f"{kind} <anonymous>"
        self.kind = kind
        self.abi = abi
        self.members: list[Member] = []
        self.size = 0
        self.align = 1
        self.complete = False

    def __repr__(self) -> str:
        state = f"size={self.size} align={self.align}" if self.complete else "incomplete"
        return f"<Layout {self.name} {state} {self.abi.name}>"

    def spelling(self) -> str:
        return self.name

    # -- looking members up -------------------------------------------------------------------

    def _require_complete(self):
        if not self.complete:
            raise LayoutError(f"{self.name} is incomplete (declared but never defined)")

    def find(self, name: str) -> "tuple[int, Member] | None":
        """The member called ``name`` with its byte offset, looking inside anonymous members."""
        self._require_complete()
        for m in self.members:
            if m.name == name:
                return m.offset, m
            if m.name is None and isinstance(m.type, Layout):
                hit = m.type.find(name)
                if hit is not None:
                    return m.offset + hit[0], hit[1]
        return None

    def member_names(self) -> list[str]:
        names = []
        for m in self.members:
            if m.name is not None:
                names.append(m.name)
            elif isinstance(m.type, Layout):
                names.extend(m.type.member_names())
        return names

    def lookup(self, name: str) -> "tuple[int, Member]":
        hit = self.find(name)
        if hit is None:
            names = self.member_names()
            import difflib  # (only to suggest a name: it costs start-up time)

            close = difflib.get_close_matches(name, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; members: {', '.join(names) or '(none)'}"
            raise LayoutError(f"{self.name} has no member {name!r}{hint}")
        return hit

    def member(self, path) -> FieldInfo:
        """The :class:`FieldInfo` of ``path`` (``"ip_src"``, ``"u.a.b"``, ``"arr[2]"``), with
        offsets from the start of this layout.  ``->`` is not allowed here (use read_expr)."""
        from dtracepy.layout.reads import resolve_static

        return resolve_static(self, path)

    @property
    def fields(self) -> list[FieldInfo]:
        """Every named member, nested ones flattened with dotted names (``u.a.b``); arrays are not
        expanded and unnamed bit-fields (padding) are left out.  (Their number can be exponential
        in the size of the header, each struct holding two of the one before:
        :meth:`flat_count` says how many there are, :meth:`fields_up_to` stops at a limit.)"""
        out: list[FieldInfo] = []
        self._flatten("", 0, out, self, nested=True)
        return out

    def flat_count(self) -> int:
        """How many entries :attr:`fields` has, counted in time linear in the number of records
        (and without recursing: a header may chain a thousand records, each holding the last)."""
        order, stack, seen = [], [self], set()
        while stack:  # the records reachable from this one, each after those it holds
            layout = stack.pop()
            if id(layout) in seen or getattr(layout, "_flat_count", None) is not None:
                continue
            seen.add(id(layout))
            layout._require_complete()
            order.append(layout)
            stack.extend(m.type for m in layout.members if isinstance(m.type, Layout) and m.type.complete)
        for layout in reversed(order):
            count = 0
            for m in layout.members:
                inner = m.type if isinstance(m.type, Layout) and m.type.complete else None
                nested = (getattr(inner, "_flat_count", None) or 0) if inner is not None else 0
                count += nested if m.name is None else 1 + nested
            layout._flat_count = count
        return self._flat_count

    def fields_up_to(self, limit: int) -> tuple[list[FieldInfo], bool]:
        """``(fields, expanded)``: :attr:`fields` if there are at most ``limit`` of them, else only
        this record's own members (members of anonymous members included) and False."""
        if self.flat_count() <= limit:
            return self.fields, True
        out: list[FieldInfo] = []
        self._flatten("", 0, out, self, nested=False)
        return out, False

    def _flatten(self, prefix: str, base: int, out: list, top: "Layout", nested: bool = True):
        """Iterative, depth first, in declaration order."""
        from dtracepy.layout.reads import field_info

        stack = [(self, prefix, base, 0)]
        while stack:
            layout, prefix, base, i = stack.pop()
            layout._require_complete()
            members = layout.members
            while i < len(members):
                m = members[i]
                i += 1
                if m.name is None:
                    if isinstance(m.type, Layout):  # its members now, the ones after it later
                        stack += ((layout, prefix, base, i), (m.type, prefix, base + m.offset, 0))
                        break
                    continue
                name = prefix + m.name
                out.append(field_info(top, name, m, base))
                if nested and isinstance(m.type, Layout) and m.type.complete:
                    stack += ((layout, prefix, base, i), (m.type, name + ".", base + m.offset, 0))
                    break

    def to_json(self, limit: "int | None" = None) -> dict:
        fields, expanded = (self.fields, True) if limit is None else self.fields_up_to(limit)
        out = {"name": self.name, "size": self.size, "align": self.align,
               "fields": [f.to_json() for f in fields]}
        if not expanded:
            out["nested_expanded"] = False
        return out


def close_names(name: str, known) -> str:
    import difflib  # (only to suggest a name: it costs start-up time)

    close = difflib.get_close_matches(name, list(known), n=3)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
