"""The GNU attributes the converter models, from what the prepass kept (:class:`.prepass.Attrs`):
``aligned(N)`` (its argument parsed at its place in the header and evaluated as an enumerator
is), ``mode(M)`` on a typedef of an integer type, and ``vector_size(N)`` on a typedef or member of
a scalar type; each refused, located, where gcc refuses it or where dtracepy does not model it."""

from __future__ import annotations

import re

import attrs
from pycparser import c_ast, c_parser

from dtracepy.errors import LayoutError
from dtracepy.layout.cparse import _CParser, _located_parse_error
from dtracepy.layout.model import Array, Layout, Pointer, Scalar, Vector
from dtracepy.layout.prepass import MAX_ALIGNMENT, Argument, Attrs
from dtracepy.source import Pos


class AttributeRules:
    """The converter's part that applies attributes (a mixin of :class:`.cdecl._Converter`, whose
    ``abi``, ``typedefs``, ``alignments``, ``error`` and ``typed_const`` it uses)."""

    # -- attribute arguments ------------------------------------------------------------------

    def alignment(self, a: Attrs) -> "int | None":
        """The largest alignment ``a`` asks for, or None (``aligned(0)``: gcc warns and ignores it)."""
        best = None
        for request in a.aligned:
            value = request if isinstance(request, int) else self.requested_alignment(request)
            if value:
                best = max(best or 0, value)
        return best

    def _aligned_typedef(self, node, t, a: Attrs):
        """``t`` with the alignment a typedef's ``aligned(N)`` gives it: gcc raises or lowers a
        typedef's alignment to N and leaves its size (``packed`` on a typedef: gcc ignores it)."""
        if a.mode is not None:
            t = self._mode(t, *a.mode)
        if a.vector is not None:
            t = self._vector(t, a.vector)
        align = self.alignment(a)
        if align is None or align == t.align:
            return t
        if isinstance(t, Layout) and t.complete:  # (glibc's __pthread_unwind_buf_t): the record's
            import copy                              # members and size, the typedef's alignment

            aligned = copy.copy(t)
            aligned.align = align
            return aligned
        if t.__class__ is Vector:
            return attrs.evolve(t, align=align)
        if not isinstance(t, Scalar) or t.kind in ("void", "function"):
            self.error(f"__attribute__((aligned({align}))) on a typedef of {t.spelling()} is not supported by "
                       "dtracepy (on a typedef of an integer, enum or floating type, or of a complete struct "
                       "or union, it is)", node)
        return attrs.evolve(t, align=align)

    #: gcc's integer machine modes by size in bytes (``word`` and ``pointer`` are the ABI's)
    _MODES = {"QI": 1, "byte": 1, "HI": 2, "SI": 4, "DI": 8}

    def _mode(self, t, mode: str, at: Pos):
        """``t`` (an integer type) as ``mode(M)`` makes it: the integer type of M's size, its
        signedness kept, aligned as that type is (an i386 DI is a ``long long``, 4 in a struct)."""
        size = self.abi.pointer_size if mode in ("word", "pointer") else self._MODES.get(mode)
        if size is None or not isinstance(t, Scalar) or t.kind not in ("int", "enum"):
            raise LayoutError(f"__attribute__((mode({mode[:20]}))) changes layout in a way dtracepy does not model "
                              "(it models QI, HI, SI, DI, word and pointer on a typedef of an integer type)", at)
        name = {1: "char", 2: "short", 4: "int", 8: "long long"}[size]
        _, align, _ = self.abi.base(name)
        return attrs.evolve(t, size=size, align=align)

    def _vector(self, t, arg: Argument) -> Vector:
        """``t`` as ``vector_size(N)`` makes it: N bytes of ``t``, placed in a record at N (gcc's
        TYPE_ALIGN; its ``_Alignof`` says at most 16, and of a struct holding one too, while the
        struct's size is a multiple of N), at most 16 on aarch64, and an i386 vector of 8 bytes
        of integers at 4, as its ``long long``; refused as gcc refuses it (N not a power of two
        of ``t``, ``t`` not an integer, enum or floating type).  A pointer or an array declared
        with it (a pointer to a vector, an array of them to gcc) is not modelled: refused."""
        value = self._argument_value(arg)
        if not isinstance(t, Scalar) or t.kind not in ("int", "enum", "float"):
            what = t.spelling() if hasattr(t, "spelling") else "this type"
            if isinstance(t, (Pointer, Array)):
                raise LayoutError(f"__attribute__((vector_size)) on a declarator of {what} is not modelled by "
                                  "dtracepy (on a typedef or member of an integer, enum or floating type, it is)",
                                  arg.at)
            raise LayoutError(f"invalid vector type for attribute 'vector_size' ({what})", arg.at)
        if value < 0:
            raise LayoutError(f"'vector_size' attribute argument value '{value}' is negative", arg.at)
        if value == 0:
            raise LayoutError("zero vector size", arg.at)
        if value % t.size:
            raise LayoutError("vector size not an integral multiple of component size", arg.at)
        count = value // t.size
        if count & (count - 1):
            raise LayoutError(f"number of vector components {count} not a power of two", arg.at)
        if value > MAX_ALIGNMENT:
            raise LayoutError(f"vector size {value} is over {MAX_ALIGNMENT} bytes; dtracepy stops there", arg.at)
        align = min(value, 16) if self.abi.name == "aarch64" else value
        if value == 8 and self.abi.name == "i386" and t.kind != "float":
            align = self.abi.base("long long")[1]
        return Vector(t, count, align)

    def _argument_value(self, arg: Argument) -> int:
        """An attribute argument's value, evaluated as an enumerator is."""
        node = self._argument_node(arg)
        try:
            return self.typed_const(node)[0]
        except LayoutError as err:
            if err.pos is None:  # (an error in a literal: at the attribute)
                raise LayoutError(err.message, arg.at) from None
            raise

    def requested_alignment(self, arg: Argument) -> int:
        """The value of ``aligned(N)``, evaluated as an enumerator is (typed as gcc types it, an
        overflow folded: gcc folds ``aligned(2147483647 + 1)`` to INT_MIN and refuses that), with
        the types and enumerators declared before it; refused as gcc refuses it, at the attribute."""
        done = self.alignments.get(id(arg))
        if done is not None:
            return done
        value = self._argument_value(arg)
        if value < 0 or value & (value - 1):
            raise LayoutError(f"requested alignment {value} is not a positive power of 2", arg.at)
        if value > MAX_ALIGNMENT:
            raise LayoutError(f"requested alignment {value} exceeds maximum {MAX_ALIGNMENT}", arg.at)
        self.alignments[id(arg)] = value
        return value

    def _argument_node(self, arg: Argument):
        """The expression of an attribute's argument: a literal as it is, else parsed by pycparser
        at its place in the header (its typedef names declared first, so a cast parses)."""
        from dtracepy.layout.fastc_lex import _INTEGER

        text = arg.text.strip()
        if _INTEGER.fullmatch(text):  # the common aligned(8)
            return c_ast.Constant("int", text)
        # GNU's spelling of _Alignof (gcc's stddef.h: max_align_t), padded so columns stay right
        text = re.sub(r"\b__alignof(?:__)?\b", lambda m: "_Alignof".ljust(len(m.group())), arg.text)
        names = sorted(set(re.findall(r"[A-Za-z_]\w*", text)) & set(self.typedefs))
        source = "".join(f"typedef int {name};\n" for name in names) + (
            f'char __dtracepy_argument[(\n#line {arg.pos.line} "{arg.pos.file}"\n'
            f'{" " * (arg.pos.col - 1)}{text}\n)];\n')
        try:
            ast = _CParser().parse(source, arg.pos.file)
        except c_parser.ParseError as err:
            raise _located_parse_error(err, arg.at) from None
        return ast.ext[-1].type.dim
