"""A struct layout bound to a pointer: attribute access reads members by explicit offsets.

    from dtracepy.dsl import view
    ip = view("ip", this.iphdr)          # the shipped IPv4 header layout (dtracepy.layout)
    self.srcAddr = ip.ip_src             # *(uint32_t *)((char *)this->iphdr + 0xc)
    this.ihl = ip.ip_hl * 4              # (*(uint8_t *)this->iphdr & 0xf) * 4

A member that is itself a struct, union or array gives a view one level down (``v.u.a``,
``v.arr[2]``); a pointer member whose target layout is known is followed on the next attribute
(``v.conn.lport`` reads through ``conn``).  Used as a value, a view of a scalar is its read, a
view of a struct or array is its address, so ``view(tcp, ip.ip_hl * 4 + ...)`` composes.  The D
needs no kernel type information: only standard integer types appear in it.  Offsets print in
hex, as people write them.
"""

from __future__ import annotations

import attrs

from dtracepy import tree
from dtracepy.dsl.values import D, expr
from dtracepy.errors import DSLError, LayoutError
from dtracepy.source import user_pos


def _is_char_pointer(node) -> bool:
    return (isinstance(node, tree.Cast) and node.type.specifiers == ("char",)
            and isinstance(node.type.declarator, tree.PointerDecl))


def hex_offsets(node):
    """``(char *)p + 12`` -> ``(char *)p + 0xc`` throughout ``node`` (the seeds' spelling)."""
    if (isinstance(node, tree.Binary) and node.op == "+" and _is_char_pointer(node.left)
            and isinstance(node.right, tree.IntLit) and not node.right.text.startswith("0x")):
        return attrs.evolve(node, left=hex_offsets(node.left), right=tree.IntLit(hex(node.right.value)))
    changes = {}
    for field in attrs.fields(type(node)):
        if field.name == "pos":
            continue
        value = getattr(node, field.name)
        if isinstance(value, tree.Expr):
            new = hex_offsets(value)
            if new is not value:
                changes[field.name] = new
    return attrs.evolve(node, **changes) if changes else node


def _resolve(layout, pointer, path):
    from dtracepy.layout import address_expr, read_expr

    try:
        return read_expr(layout, pointer, list(path)), True
    except LayoutError as err:
        if "not a scalar" in err.message:
            return address_expr(layout, pointer, list(path)), False
        raise


class View(D):
    """``layout`` at ``pointer``, narrowed to ``path`` (a tuple of member names, indices, "->")."""

    __slots__ = ("_layout", "_pointer", "_path")

    def __init__(self, layout, pointer: tree.Expr, path: tuple = (), node=None):
        if node is None:
            node = pointer
        super().__init__(node)
        object.__setattr__(self, "_layout", layout)
        object.__setattr__(self, "_pointer", pointer)
        object.__setattr__(self, "_path", path)

    def _step(self, part) -> "View":
        pos = user_pos()
        first_error = None
        for path in (self._path + (part,), self._path + ("->", part)):
            try:
                node, _ = _resolve(self._layout, self._pointer, path)
            except LayoutError as err:
                first_error = first_error or err
                if not isinstance(part, str) or not self._path:
                    break
                continue
            node = attrs.evolve(hex_offsets(node), pos=pos)
            return View(self._layout, self._pointer, path, node)
        raise DSLError(first_error.message, pos)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._step(name)

    def __getitem__(self, key):
        if isinstance(key, str):
            from dtracepy.layout.model import split_path

            view = self
            for part in split_path(key):
                view = View(view._layout, view._pointer, view._path + ("->",)) if part == "->" else view._step(part)
            return view
        if isinstance(key, int) and not isinstance(key, bool):
            return self._step(key)
        return self._step(expr(key))

    def __setattr__(self, name, value):
        raise DSLError("a layout view reads memory; D cannot assign through it", user_pos())

    def __repr__(self):
        return f"View({self._layout.name} at {str(D(self._pointer))}, {self._path!r})"


def view(layout, pointer, abi: str = "x86_64") -> View:
    """``layout`` (a :class:`dtracepy.layout.Layout`, or the name of a shipped one: ``"ip"``,
    ``"tcphdr"``) over the memory ``pointer`` points to."""
    pos = user_pos()
    if isinstance(layout, str):
        from dtracepy.layout import shipped

        try:
            layout = shipped(layout, abi=abi)
        except LayoutError as err:
            raise DSLError(err.message, pos) from None
    from dtracepy.layout import Layout

    if not isinstance(layout, Layout):
        raise DSLError(f"view() takes a Layout or the name of a shipped one (\"ip\"), not "
                       f"{type(layout).__name__} ({layout!r:.60})", pos)
    return View(layout, expr(pointer))
