"""C11's ``_Alignas`` as gcc applies it (a mixin of :class:`.cdecl._Converter`), measured against
gcc 12 on x86_64, i386, aarch64 and sparcv9 (docs/PERFORMANCE.md, "Session 20, alignas21"):

* on a member, ``_Alignas(N)`` is ``__attribute__((aligned(N)))``: the member's alignment is the
  larger of its type's and N, kept under ``packed`` (the record's or the member's), capped by
  ``#pragma pack``; several specifiers: the largest; ``_Alignas(0)`` is ignored;
* ``_Alignas(type)`` asks for the type's alignment as ``_Alignof`` gives it (i386's ``long long``
  and ``double``: 4);
* refused, in gcc's words: N not a power of two or negative, over 2**28, not an integer constant
  (at gcc's ``input_location``, see :func:`input_location`); N below the declared type's
  alignment ("cannot reduce", ``packed`` or not); on a bit-field, a typedef, a function, a
  parameter or a ``register`` object;
* on a file-scope object it changes no layout, and is checked as on a member.
"""

from __future__ import annotations

import re

from pycparser import c_ast

from dtracepy.errors import LayoutError
from dtracepy.layout.model import Layout
from dtracepy.layout.prepass import MAX_ALIGNMENT
from dtracepy.source import Pos


class AlignasRules:
    """The converter's part that applies ``_Alignas`` (it uses ``typed_const``, ``type_of``,
    ``pos``, ``error`` and the prepassed text)."""

    def alignas(self, decl, t, what: str, specs=None) -> "int | None":
        """The alignment ``decl``'s ``_Alignas`` specifiers (``specs``, else its ``align``) ask for
        (None when none, or all 0), refused where gcc refuses it; ``t`` is the declared type,
        ``what`` the kind of declaration ("member", "object", "register", "parameter", "function",
        "typedef")."""
        specs = decl.align if specs is None else specs
        values = [self.alignas_value(spec) for spec in specs]
        name = decl.name
        if what == "member" and decl.bitsize is not None:
            if name is None:
                raise LayoutError("alignment specified for unnamed bit-field", self.input_location(specs[-1]))
            self.error(f"alignment specified for bit-field '{name}'", decl)
        if what == "parameter" and name is None:
            raise LayoutError("alignment specified for unnamed parameter", self.input_location(specs[-1]))
        if what in ("typedef", "function", "parameter"):
            self.error(f"alignment specified for {what} '{name}'", decl)
        if what == "register":
            self.error(f"alignment specified for 'register' object '{name}'", decl)
        asked = max(values)
        if not asked:
            return None
        if asked < t.align:  # (the type's, as _Alignof gives it: packed does not count)
            self.error("'_Alignas' specifiers cannot reduce alignment of "
                       + (f"'{name}'" if name is not None else "unnamed field"), decl)
        return asked

    def function_alignas(self, decl) -> None:
        """A function's declaration (``decl``, of a FuncDecl): ``_Alignas`` on it or on one of its
        parameters is refused, as gcc refuses it."""
        if decl.align:
            self.alignas(decl, None, "function")
        args = getattr(decl.type, "args", None)  # (pycparser's FuncDef of ``s { ... }`` has a TypeDecl)
        params = args.params if args is not None else ()
        for param in params:
            if getattr(param, "align", None):
                self.alignas(param, None, "parameter")

    def alignas_value(self, spec: c_ast.Alignas) -> int:
        """One specifier's value: a type's alignment, or a constant checked as gcc checks it."""
        done = self.alignments.get(id(spec))
        if done is not None:
            return done
        arg = spec.alignment
        if isinstance(arg, c_ast.Typename):
            t = self.type_of(arg)[0]
            if isinstance(t, Layout) and not t.complete:
                self.error(f"invalid application of '__alignof__' to incomplete type '{t.name}'", spec)
            value = t.align
        else:
            try:
                value, _, _ = self.typed_const(arg)
            except LayoutError as err:
                if not any(w in err.message for w in ("not a known constant", "floating", "a cast to",
                                                      "not allowed", "division by zero")):
                    raise
                raise LayoutError("requested alignment is not an integer constant", self.input_location(spec)) \
                    from None
            if value < 0 or value & (value - 1):
                raise LayoutError(f"requested alignment '{value}' is not a positive power of 2",
                                  self.input_location(spec))
            if value > MAX_ALIGNMENT:
                raise LayoutError(f"requested alignment '{value}' exceeds maximum {MAX_ALIGNMENT}",
                                  self.input_location(spec))
        self.alignments[id(spec)] = value
        return value

    def input_location(self, node) -> "Pos | None":
        """Where gcc puts an error it locates at its ``input_location`` when ``node`` is read: the
        first token of ``node``'s line, or after it the last struct or union tag (its ``{`` when
        untagged) or enumerator met on that line before ``node``."""
        pos = self.pos(node)
        start = self.line_start(pos)
        if start is None:
            return pos
        end = self.pre.text.find("\n", start)
        return Pos(pos.file, pos.line, input_column(self.pre.text[start:end if end >= 0 else None], pos.col))


_PLACES = re.compile(r"\b(?:struct|union)\b[ \t]*([A-Za-z_]\w*|\{)|\b(enum)\b[ \t]*(?:[A-Za-z_]\w*[ \t]*)?\{"
                     r"|([A-Za-z_]\w*)|([,}])|'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"")


def input_column(line: str, col: int) -> int:
    """gcc's ``input_location`` column on ``line`` when it has read up to column ``col``: it is
    set to each line's first token, each struct or union's tag (or ``{``) and each enumerator."""
    head = line[:col - 1]
    stripped = len(head) - len(head.lstrip())
    best = stripped + 1 if stripped < len(head) else col
    in_enum = expect = False
    for m in _PLACES.finditer(head):
        if m.group(1) is not None:
            best = m.start(1) + 1
        elif m.group(2) is not None:
            in_enum = expect = True
        elif m.group(3) is not None:
            if in_enum and expect:
                best, expect = m.start(3) + 1, False
        elif m.group(4) == ",":
            expect = in_enum
        elif m.group(4) == "}":
            in_enum = expect = False
    return best
