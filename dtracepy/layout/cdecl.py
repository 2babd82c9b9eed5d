"""Declarations turned into laid-out types: ``parse_layouts`` and the converter.

``parse_layouts`` reads a header in four steps, each a module of its own: the preprocessor
(:mod:`.cpp`, pcpp, only when a directive or ``-D`` needs it), the prepass (:mod:`.prepass`:
attributes and ``#pragma pack``), the reading into pycparser's ``c_ast`` (:mod:`.cparse`: the
fast reader, :mod:`.fastc`, then pycparser for what it does not take), and the converter here,
which lays out each struct, union, enum and typedef of the tree (with :mod:`.engine`), applying
the attributes (:mod:`.attributes`) and evaluating constant expressions (:mod:`.consts`).

System headers are not read in a header of the user's own: the common fixed-width and
Solaris/BSD typedefs (``uint32_t``, ``uchar_t``, ``u_short``, ``in_addr_t`` ...) are predefined
instead (:data:`.cparse.PRELUDE`), and when such a header fails to parse after system headers of
this machine were skipped, the error says which ``-I`` reads them.  A header of this machine's
system directories is read as gcc reads it (:mod:`.system`).
"""

from __future__ import annotations

import difflib
import functools
import os
import re

from pycparser import c_ast

from dtracepy.errors import LayoutError
from dtracepy.layout.abi import ABI, get_abi, host_abi_name
from dtracepy.layout.alignas import AlignasRules
from dtracepy.layout.attributes import AttributeRules
from dtracepy.layout.blocks import BlockRules
from dtracepy.layout.consts import _INT, ConstantEvaluator, _common, _wrap
from dtracepy.layout.cparse import (BUILTIN_FILE, PRELUDE, _C_KEYWORDS, _CParser, _deepest, _line_starts,  # noqa: F401
                                    parse_c, read_fast)
from dtracepy.layout.fastc_decl import refused_derivation
from dtracepy.layout.cpp import abi_macros, preprocess, read_source, refuse_binary  # noqa: F401
from dtracepy.layout.empties import refuse_empty_declarations
from dtracepy.layout.engine import MemberSpec, lay_out, most_bytes
from dtracepy.layout.model import (Array, FlexibleArray, Layout, Pointer, Scalar, Vector, close_names, pointer_declarator,
                                   pointer_text, qualified, spelled, split_type_name, suffix_declarator, type_name)
from dtracepy.layout.prepass import Attrs
from dtracepy.layout.system import builtin_types, int128_types, reads_system_headers
from dtracepy.source import Pos


class Layouts(dict):
    """The laid-out records of a header, by ``struct tag``/``union tag`` and by typedef name.

    Looking up a bare tag (``ip``) finds ``struct ip``; an unknown name raises a LayoutError that
    lists the known ones.
    """

    def __init__(self, *args, abi: "ABI | None" = None, typedefs=None, tags=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.abi = abi
        self.typedefs = typedefs if typedefs is not None else {}  # shared: filled as the header is read
        self.tags = tags if tags is not None else {}  # (kind, tag) -> its type: the incomplete ones too

    def __missing__(self, key):
        name = " ".join(str(key).split())
        for candidate in (name, f"struct {name}", f"union {name}"):
            if candidate in self.keys():
                return dict.__getitem__(self, candidate)
        bare = name.split(" ", 1)[-1] if name.startswith(("struct ", "union ")) else name
        known = sorted(self.keys())
        listing = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "") if known else "(none)"
        if bare in self.typedefs and not isinstance(self.typedefs[bare][0], Layout):
            target = self.typedefs[bare][0]
            what = f"{target.spelling()} ({target.size} bytes)" if target.size else target.spelling()
            raise LayoutError(f"{name} is {what}, not a struct or union: layout lays out structs and "
                              f"unions (known types: {listing})")
        if name.startswith("enum "):
            # (whether the header defines that enum or not: the name is an enum's either way)
            raise LayoutError(f"{name} names an enum: layout lays out structs and unions, not enums "
                              f"(known types: {listing})")
        if bare != name:
            kind = name.split(" ", 1)[0]
            other = next((k for k in ("struct", "union", "enum") if k != kind and (k, bare) in self.tags), None)
            if other is not None and (kind, bare) not in self.tags:  # (C's tags share one name space)
                raise LayoutError(f"'{bare}' defined as wrong kind of tag: the header declares {other} {bare}, "
                                  f"not {kind} {bare} (known types: {listing})")
        for kind in (name.split(" ", 1)[0],) if bare != name else ("struct", "union"):
            declared = self.tags.get((kind, bare))
            if declared is not None and not declared.complete:  # (gcc: "incomplete type", not unknown)
                raise LayoutError(f"{kind} {bare} is incomplete (declared but never defined): it has no "
                                  f"layout (known types: {listing})")
        bare_known = {k.split(" ", 1)[-1]: k for k in known}
        hits = difflib.get_close_matches(bare, list(bare_known), n=3)
        hint = "; did you mean " + " or ".join(repr(bare_known[h]) for h in hits) + "?" if hits else ""
        raise LayoutError(f"unknown type {name!r}{hint} (known types: {listing})")

    def get(self, key, default=None):
        try:
            return self[key]
        except LayoutError:
            return default


class _Converter(AttributeRules, AlignasRules, BlockRules, ConstantEvaluator):
    """pycparser declarations -> :class:`Layout` and friends, for one ABI."""

    def __init__(self, abi: ABI, pre):
        self.abi = abi
        self.pre = pre
        self.typedefs: dict[str, tuple[object, str]] = {}
        self.tags: dict[tuple[str, str], object] = {}
        self.enumerators: dict[str, tuple[int, tuple[int, bool]]] = {}  # name -> (value, type)
        self.array_size = False  # is the constant expression being evaluated an array size?
        self.scalars: dict[tuple, tuple[Scalar, str]] = {}  # type words -> (Scalar, spelling)
        self.named: dict[tuple, tuple[object, str]] = {}  # names as written -> base_type's answer
        self.canonicals: dict[tuple, str] = {}  # type words -> canonical's answer (what it refuses raises)
        self._line_starts = None  # (file, line) -> offset in the prepassed text, made for an error
        self.alignments: dict[int, int] = {}  # id(Argument) -> its value, evaluated
        self.defining: set[int] = set()  # ids of the records whose members are being read
        self.result = Layouts(abi=abi, typedefs=self.typedefs, tags=self.tags)

    # -- errors -------------------------------------------------------------------------------

    @staticmethod
    def pos(node) -> "Pos | None":
        coord = getattr(node, "coord", None)
        if coord is None:
            return None
        return Pos(coord.file or "<string>", coord.line, coord.column or None)

    def error(self, message: str, node):
        raise LayoutError(message, self.pos(node))

    # -- top level ----------------------------------------------------------------------------

    def run(self, ast: c_ast.FileAST) -> Layouts:
        typedefs = [node for node in ast.ext if isinstance(node, c_ast.Typedef) and self._user(node)]
        # the prepass's attributes of each typedef declarator, in order (none if they do not pair up)
        attributes = dict(zip(map(id, typedefs), self.pre.typedef_attrs)) \
            if len(typedefs) == len(self.pre.typedef_attrs) else {}
        if not attributes:
            for a in self.pre.typedef_attrs:  # (a mode dropped would give the typedef a wrong size)
                if a.mode is not None:
                    raise LayoutError("__attribute__((mode)) here is not modelled by dtracepy", a.mode[1])
                if a.vector is not None:
                    raise LayoutError("__attribute__((vector_size)) here is not modelled by dtracepy", a.vector.at)
        declared: dict[str, c_ast.Typedef] = {}  # a typedef name the header declares -> its declaration
        self._typedef_decls: dict[str, c_ast.Typedef] = {}  # every typedef's, the prelude's too
        # (a function's body is read for its _Static_asserts and _Alignas, where the text has any)
        scan_bodies = "_Static_assert" in self.pre.text or "_Alignas" in self.pre.text
        for node in ast.ext:
            if isinstance(node, c_ast.Typedef):
                if node.name in declared and self._user(node):
                    self._redeclared(declared[node.name], node)
                self._typedef_decls[node.name] = node
                if id(node) in self.pre.typedef_alignas:  # (gcc refuses it)
                    self.alignas(node, None, "typedef", self.pre.typedef_alignas[id(node)])
                if node.type.__class__ is not c_ast.TypeDecl:
                    refuse_derivations(node)
                t, spelling = self.type_of(node.type)
                if id(node) in attributes:
                    t = self._aligned_typedef(node, t, attributes[id(node)])
                    before = self.typedefs.get(node.name, (None,))[0]
                    if node.name in declared and self._user(node) and Vector in (t.__class__, before.__class__) \
                            and t != before:  # (the same words, one a vector: gcc's conflicting types too)
                        self._redeclared(declared[node.name], node, differ=True)
                self.typedefs[node.name] = (t, node.name)
                self.named.pop((node.name,), None)  # a typedef given again names its new type
                if self._user(node):
                    declared[node.name] = node
                if isinstance(t, Layout):
                    if t.tag is None and t.name.endswith("<anonymous>"):
                        t.name = node.name
                    if self._user(node):
                        self.result[node.name] = t
            elif isinstance(node, c_ast.Decl):
                if node.storage and ("auto" in node.storage or "_Thread_local" in node.storage and
                                     node.type.__class__ is c_ast.FuncDecl):  # (pycparser's path: the fast
                    # reader refuses them so, storage_refusal)
                    self.error(f"file-scope declaration of '{node.name}' specifies 'auto'" if "auto" in node.storage
                               else f"invalid storage class for function '{node.name}'", node)
                if node.type.__class__ is not c_ast.TypeDecl:
                    refuse_derivations(node)
                if isinstance(node.type, c_ast.FuncDecl):
                    self.function_alignas(node)
                    continue
                t = self.type_of(node.type)[0]
                if node.align and node.name is not None:  # (an object's: checked, no layout changed)
                    self.alignas(node, t, "object")
            elif isinstance(node, c_ast.FuncDef):  # (pycparser's path: the fast reader reads none)
                self.function_rules(node)
                if scan_bodies:
                    self.function_alignas(node.decl)
                    self.function_body(node.body)
            elif isinstance(node, c_ast.StaticAssert):
                self.static_assert(node)
        for arg in self.pre.arguments:  # those no record took (a typedef's, an object's): gcc checks them too
            self.requested_alignment(arg)
        return self.result

    def _redeclared(self, first: c_ast.Typedef, again: c_ast.Typedef, differ: bool = False) -> None:
        """C lets a typedef name be declared again only as the same type (C11; gcc: "conflicting
        types for 'T'"): an error at the second declaration's name, where gcc puts it.  (The
        prelude's typedefs are not compared: a header may give ``off_t`` its own type where it
        includes no system header.)"""
        if differ or self._identity(first.type, self._typedef_decls) != self._identity(again.type, self._typedef_decls):
            line = first.coord.line if first.coord is not None else "?"
            name = again.type  # (located at the name, as gcc locates it: pycparser's typedef is at its first *)
            while name is not None and not (name.__class__ is c_ast.TypeDecl and name.declname == again.name):
                name = getattr(name, "type", None)
            self.error(f"conflicting types for {again.name!r}: a typedef declared above (line {line}) "
                       "as another type; a typedef name may be declared again only as the same type",
                       name if name is not None and name.coord is not None else again)

    def _identity(self, node, decls) -> tuple:
        """What makes two declarations' types the same C type: the chain of pointers (with their
        qualifiers), arrays (with their sizes) and functions (with their parameters as written)
        down to the base type with its qualifiers, as canonical words (``long int`` is ``long``) or
        a tag (an untagged record or enum is a type of its own); a typedef name is read as its
        declaration in ``decls`` (name -> ``c_ast.Typedef``), its qualifiers given to the type it
        names (to the pointer of ``const P`` where ``P`` is ``char *``).  Read without recursing (a
        declarator may hold a million stars); asked only of a typedef name declared twice."""
        parts: list = []
        carried: set = set()  # qualifiers for the next pointer, or the base
        while True:
            cls = node.__class__
            if cls is c_ast.TypeDecl or cls is c_ast.Typename:
                carried.update(node.quals or ())
                node = node.type
            elif cls is c_ast.PtrDecl:
                parts.append(("*", frozenset(carried.union(node.quals or ()))))
                carried = set()
                node = node.type
            elif cls is c_ast.ArrayDecl:  # (an array's qualifiers are its elements')
                parts.append(("[]", None if node.dim is None else self.const(node.dim)))
                node = node.type
            elif cls is c_ast.FuncDecl:
                from pycparser import c_generator

                parts.append(("()", c_generator.CGenerator().visit(node.args) if node.args else ""))
                carried = set()
                node = node.type
            elif cls is c_ast.IdentifierType:
                words = [n for n in node.names if n not in ("const", "volatile")]
                carried.update(n for n in node.names if n in ("const", "volatile"))
                if len(words) == 1 and words[0] in decls:
                    node = decls[words[0]].type
                    continue
                base = ("typedef", words[0]) if len(words) == 1 and words[0] in self.typedefs else \
                    self.canonical(words, node)
                return (*parts, base, frozenset(carried))
            else:  # a record or an enum: its tag, or itself
                name = getattr(node, "name", None)
                return (*parts, (cls.__name__, name or id(node)), frozenset(carried))

    @staticmethod
    def _user(node) -> bool:
        return getattr(node.coord, "file", None) != BUILTIN_FILE

    # -- types --------------------------------------------------------------------------------

    def type_of(self, node, lazy: bool = False) -> tuple[object, object]:
        """(type, spelling) of a pycparser type node.  Pointers and array dimensions are taken
        without recursing, a run of each at once (a header may declare ``int **...*p`` with a
        million stars or ``char x[1][1]...`` with thousands of dimensions).  ``lazy`` (a
        member's): a function pointer's spelling is a function that makes it
        (:func:`dtracepy.layout.model.spelled`), called if the member is shown."""
        cls = node.__class__
        if cls is c_ast.TypeDecl:
            inner = node.type
            if inner.__class__ is c_ast.IdentifierType:
                known = self.base_type(inner)  # the common case, a member of a plain type
                return (known[0], qualified(node.quals, known[1])) if node.quals else known
            if (inner.__class__ is c_ast.Struct or inner.__class__ is c_ast.Union) and not node.quals:
                node, cls = inner, inner.__class__
        if cls is c_ast.Struct or cls is c_ast.Union:
            # a record's definition (struct s { ... };) or its specifier and a name, unqualified:
            # what _type_parts gives it, its chain of pointers and dimensions empty
            t = self.record(node)
            return t, t.name if node.name is None else f"{'struct' if cls is c_ast.Struct else 'union'} {node.name}"
        t, base, declarator = self._type_parts(node, spell=not lazy)
        if base is None:
            return t, functools.partial(self._spelling, node)
        return t, type_name(base, declarator)

    def _spelling(self, node) -> str:
        """The spelling of a member's type, made when the member is shown: the header is read by
        then, and its tags and typedefs are those the member saw (C adds to them; a typedef given
        again names the same type)."""
        _, base, declarator = self._type_parts(node)
        return type_name(base, declarator)

    def _type_parts(self, node, spell: bool = True) -> tuple[object, "str | None", "str | None"]:
        """(type, base, abstract declarator) of a pycparser type node: its spelling is C's type
        name of the two (:func:`dtracepy.layout.model.type_name`: ``char (*)[3]``).  Unless
        ``spell``, a function pointer's (or an array's of them) base and declarator are None, not
        made (its signature's spelling is the costly part)."""
        chain = []  # the PtrDecl and ArrayDecl nodes above the base type, outermost first
        quals = ()  # the base's qualifiers (const char)
        TypeDecl, PtrDecl, ArrayDecl = c_ast.TypeDecl, c_ast.PtrDecl, c_ast.ArrayDecl  # (no subclasses)
        while True:
            cls = node.__class__
            if cls is TypeDecl:
                quals = node.quals
                node = node.type
            elif cls is c_ast.Typename:
                node = node.type
            elif cls is PtrDecl and node.type.__class__ is not c_ast.FuncDecl or cls is ArrayDecl:
                chain.append(node)
                node = node.type
            else:
                break
        if not spell and node.__class__ is c_ast.PtrDecl and not any(c.__class__ is c_ast.PtrDecl for c in chain):
            t, base, declarator = Pointer(None, self.abi.pointer_size, "function"), None, None
        else:  # (a pointer to a function pointer is spelled here: its Pointer holds the target's name)
            t, base, declarator = self._base_of(node)
            if quals:
                base = qualified(quals, base)
        spelling = base and type_name(base, declarator)
        i = len(chain) - 1
        while i >= 0:
            if chain[i].__class__ is PtrDecl:
                j = i
                while j > 0 and chain[j - 1].__class__ is PtrDecl:
                    j -= 1
                stars = i - j + 1
                t = Pointer(t, self.abi.pointer_size, spelling)
                run = chain[j:i + 1]
                if (run[0].quals if stars == 1 else any(p.quals for p in run)):  # (char *const *p: each
                    # level's text, innermost first)
                    levels = [p.quals for p in reversed(run)]
                    for k in range(1, stars):  # (a short run's pointers hold their targets' names)
                        named = type_name(base, pointer_declarator(declarator, _pointers_text(levels[:k]))) \
                            if stars <= 64 else None
                        t = Pointer(t, self.abi.pointer_size, named)
                    declarator = pointer_declarator(declarator, _pointers_text(levels))
                else:
                    for _ in range(stars - 1):
                        t = Pointer(t, self.abi.pointer_size, None)
                    declarator = pointer_declarator(declarator, stars)
            else:
                j = i
                while j > 0 and chain[j - 1].__class__ is ArrayDecl:
                    j -= 1
                if t.__class__ is Scalar and (t.kind == "void" or t.kind == "function") and chain[i].type.__class__ \
                        is not PtrDecl:  # (gcc's words, at the name)
                    placed = chain[-1].type
                    while placed.__class__ is not TypeDecl and getattr(placed, "type", None) is not None:
                        placed = placed.type
                    name = getattr(placed, "declname", None)
                    self.error(f"declaration of '{name}' as array of {t.kind}s" if name is not None else
                               f"declaration of type name as array of {t.kind}s", placed)
                inner_spelling = base and t.spelling()
                size = t.size
                if size % t.align:  # (a typedef aligned beyond its size: gcc refuses an array of it)
                    self.error("alignment of array elements is greater than element size", chain[i])
                counts = []
                for k in range(i, j - 1, -1):  # innermost dimension first
                    node = chain[k]
                    if node.dim is None:  # a flexible array member, x[] (x[0] is GNU's zero-length array)
                        size = 0
                        t = FlexibleArray(t, 0)
                        counts.append(None)
                        continue
                    dim = node.dim
                    if dim.__class__ is c_ast.Constant and dim.type == "int" and _SMALL_DECIMAL.match(dim.value):
                        count = int(dim.value)  # (an int: what const() gives it, without its stack)
                    else:
                        count = self.const(dim, array_size=True)
                    if count < 0:
                        self.error(f"array size is negative ({count})", node)
                    if count * max(size, 1) > most_bytes(self.abi):
                        self.error(f"array too large: {count} elements of {size} bytes (sizes must be below "
                                   f"2**{8 * self.abi.pointer_size - 1} for {self.abi.name}, as gcc's: \"size "
                                   "of array is too large\")", node)
                    size *= count
                    t = Array(t, count)
                    counts.append(count)
                if base is None:
                    i = j - 1
                    continue
                counts.reverse()
                if inner_spelling.endswith("]") and not declarator:
                    # (a typedef of an array: spelled as its elements' type, the dimensions joined)
                    base, declarator = split_type_name(inner_spelling)
                    base = qualified(quals, base)
                declarator = suffix_declarator(declarator, "".join("[]" if c is None else f"[{c}]" for c in counts))
            spelling = type_name(base, declarator)
            i = j - 1
        return t, base, declarator

    def _base_of(self, node) -> tuple[object, str, str]:
        """(type, base, abstract declarator) of what a declarator's pointers and dimensions apply
        to (the declarator is a function pointer's, else empty)."""
        if isinstance(node, c_ast.IdentifierType):
            return (*self.base_type(node), "")
        if isinstance(node, (c_ast.Struct, c_ast.Union)):
            t = self.record(node)
            kind = "struct" if isinstance(node, c_ast.Struct) else "union"
            return t, t.name if node.name is None else f"{kind} {node.name}", ""
        if isinstance(node, c_ast.Enum):
            return (*self.enum(node), "")
        if isinstance(node, c_ast.PtrDecl):  # to a function
            return (Pointer(None, self.abi.pointer_size, "function"), *self._function_pointer(node.type, node.quals))
        if isinstance(node, c_ast.FuncDecl):  # valid in a typedef; refused as a member (below)
            return Scalar("a function type", 0, 1, False, "function"), "function", ""
        self.error(f"unsupported declaration ({type(node).__name__})", node)

    def _function_pointer(self, func: c_ast.FuncDecl, quals=()) -> tuple[str, str]:
        """(base, abstract declarator) of a pointer to the function ``func`` as C spells it:
        ``void (*)(int, char *)``, ``int (*(*)(int))[4]``; ``void (*)()`` where its return and
        parameter types are not spelled here (one defines a struct, a K&R list, a type this
        header does not know: the layout of a pointer does not depend on them)."""
        try:
            if _defines_a_type(func):
                raise LayoutError("")
            params = []
            for param in func.args.params if func.args is not None else ():
                if isinstance(param, c_ast.EllipsisParam):
                    params.append("...")
                    continue
                if not isinstance(param, (c_ast.Decl, c_ast.Typename)) or isinstance(param.type, c_ast.FuncDecl):
                    raise LayoutError("")
                if isinstance(param.type, c_ast.ArrayDecl):  # (a parameter's array is a pointer)
                    _, base, declarator = self._type_parts(param.type.type)
                    declarator = pointer_declarator(declarator)
                else:
                    _, base, declarator = self._type_parts(param.type)
                params.append(type_name(base, declarator))
            _, base, declarator = self._type_parts(func.type)
        except LayoutError:
            return "void", f"({pointer_text(quals)})()"
        return base, pointer_declarator(suffix_declarator(declarator, f"({', '.join(params)})"), pointer_text(quals))

    def base_type(self, node: c_ast.IdentifierType) -> tuple[object, str]:
        known = self.named.get(tuple(node.names))  # (a header names a few types, over and over)
        if known is not None:
            return known
        names = [n for n in node.names if n not in ("const", "volatile")]
        spelling = " ".join(names)
        if len(names) == 1 and names[0] in self.typedefs:
            t, _ = self.typedefs[names[0]]
            self.named[tuple(node.names)] = t, names[0]
            return t, names[0]
        key = tuple(names)
        known = self.scalars.get(key)
        if known is not None:
            self.named[tuple(node.names)] = known
            return known
        unknown = [n for n in names if n not in _C_KEYWORDS]
        if unknown:
            self.error(f"unknown type name {unknown[0]!r}{close_names(unknown[0], self.typedefs)}", node)
        canon = self.canonical(names, node)
        if canon == "void":
            known = Scalar("void", 1, 1, False, "void"), "void"
        else:
            size, align, signed = self.abi.base(canon)
            kind = "bool" if canon == "_Bool" else "float" if canon in ("float", "double", "long double") else "int"
            known = Scalar(spelling, size, align, signed, kind), spelling
        self.scalars[key] = self.named[tuple(node.names)] = known
        return known

    def canonical(self, names: list[str], node) -> str:
        """C's name of the type ``names`` (its words, qualifiers taken out) say, as the ABI's
        table knows it (``long int`` is ``long``); what gcc refuses raises, located at ``node``."""
        key = tuple(names)
        known = self.canonicals.get(key)  # (a typedef given again is compared by it each time)
        if known is None:
            known = self.canonicals[key] = self._canonical(names, node)
        return known

    def _canonical(self, names: list[str], node) -> str:
        refused = _refused_type_words(names)
        if refused is not None:
            index, message = refused
            raise LayoutError(message, self._type_word_pos(node, index))
        count = {n: names.count(n) for n in set(names)}
        unsigned = "unsigned" in count
        if "__int128" in count:  # (gcc's: the LP64 ABIs have it, i386 not)
            if self.abi.pointer_size != 8:
                self.error("'__int128' is not supported on this target", node)
            return "unsigned __int128" if unsigned else "__int128"
        for word in ("void", "_Bool", "float"):
            if word in count:
                return word
        if "double" in count:
            return "long double" if "long" in count else "double"
        prefix = "unsigned " if unsigned else ""
        if "char" in count:
            return "unsigned char" if unsigned else "signed char" if "signed" in count else "char"
        if "short" in count:
            return prefix + "short"
        longs = count.get("long", 0)
        if longs >= 2:
            return prefix + "long long"
        if longs == 1:
            return prefix + "long"
        return prefix + "int"

    def _type_word_pos(self, node, index: int) -> "Pos | None":
        """Where the ``index``-th type word of ``node`` (an IdentifierType) is, as gcc locates a
        refused one: read from the prepassed text at the node's place (qualifiers and blanked
        attributes between the words are skipped); the node's place if it cannot be found."""
        pos = self.pos(node)
        start = self.line_start(pos)
        if start is None:
            return pos
        text, line, line_start = self.pre.text, pos.line, start
        seen = 0
        for m in re.finditer(r"[A-Za-z_]\w*|#|\n", text[start + pos.col - 1:]):
            at = start + pos.col - 1 + m.start()
            if m.group() == "#":  # a line marker: the words are not all on this file's lines
                return pos
            if m.group() == "\n":
                line, line_start = line + 1, at + 1
            elif m.group() in _C_KEYWORDS:
                if seen == index:
                    return Pos(pos.file, line, at - line_start + 1)
                seen += 1
        return pos

    def _tag_kind(self, kind: str, node) -> None:
        """C's struct, union and enum tags share one name space (a record's body opens no scope of
        its own): a tag used as another kind is gcc's "defined as wrong kind of tag" (located at the
        record's tag, as gcc locates it; at an enum's keyword)."""
        for other in ("struct", "union", "enum"):
            if other != kind and (other, node.name) in self.tags:
                self.error(f"'{node.name}' defined as wrong kind of tag", node)

    def enum(self, node: c_ast.Enum) -> tuple[object, str]:
        spelling = f"enum {node.name}" if node.name else "enum <anonymous>"
        if node.name and self.block_tags is None:
            self._tag_kind("enum", node)
        if node.values is None:
            t = self.tags.get(("enum", node.name))
            return (t or Scalar(spelling, 4, 4, False, "enum")), spelling
        value, t, values = 0, _INT, []
        overflow = False
        for e in node.values.enumerators:
            if e.value is not None:
                value, t, _ = self.typed_const(e.value)
            elif overflow:  # (gcc's words, at the enumerator given no value)
                self.error("overflow in enumeration values", e)
            # gcc: an enumerator is an int if its value fits, else of its value's type (until the
            # enum is complete: then of the enum's type)
            self.enumerators[e.name] = value, _INT if -(1 << 31) <= value < 1 << 31 else t
            values.append(value)
            # the next value, the previous one plus 1 in its type (at least int): past that type
            # (0x7fffffff, 0xffffffffu, 0xffffffffffffffff), an error if the next one takes it
            t = _common(t, _INT)
            value += 1
            overflow = _wrap(value, t) != value
        signed = any(v < 0 for v in values)
        big = any(v >= 2**32 or v < -(2**31) for v in values) or (signed and any(v >= 2**31 for v in values))
        t = Scalar(spelling, 8 if big else 4, 8 if big else 4, signed, "enum")
        for e in node.values.enumerators:
            v = self.enumerators[e.name][0]
            if not -(1 << 31) <= v < 1 << 31:
                self.enumerators[e.name] = v, (t.size * 8, signed)
        if node.name:
            self.tags[("enum", node.name)] = t
        return t, spelling

    def record(self, node) -> Layout:
        kind = "struct" if isinstance(node, c_ast.Struct) else "union"
        key = (kind, node.name)
        existing = self.tags.get(key) if node.name else None
        block = self.block_tags
        if block is not None and node.decls is not None and key not in block:
            existing = None  # (a block's own definition: it hides the outer scope's tag)
        if node.name and existing is None and block is None:
            self._tag_kind(kind, node)
        if node.decls is None:
            if existing is None:
                existing = Layout(node.name, kind, self.abi)
                self.tags[key] = existing
            return existing
        if existing is not None and existing.complete:
            self.error(f"redefinition of {kind} {node.name}", node)
        if existing is not None and id(existing) in self.defining:  # (it would hold itself: no size)
            self.error(f"nested redefinition of {kind} {node.name}", node)
        layout = existing or Layout(node.name, kind, self.abi)
        if node.name:
            self.tags[key] = layout
            if block is not None:
                block.add(key)
        coord = node.coord
        rkey = (coord.file, coord.line, coord.column)
        rattrs = self.pre.record_attrs.get(rkey, _PLAIN)
        if rattrs.mode is not None:
            raise LayoutError("__attribute__((mode)) on a struct or union is not valid", rattrs.mode[1])
        if rattrs.vector is not None:  # (gcc's words)
            raise LayoutError("invalid vector type for attribute 'vector_size'", rattrs.vector.at)
        mattrs = self.pre.member_attrs.get(rkey, _NONE)
        decls = node.decls
        if mattrs:  # (most records have none: no list of them, no copy of the members)
            decls = [d for d in node.decls if isinstance(d, c_ast.Decl)]
            if len(mattrs) != len(decls):
                for a in mattrs:  # (a vector dropped would give the member a wrong size)
                    if a.vector is not None:
                        raise LayoutError("__attribute__((vector_size)) here is not modelled by dtracepy",
                                          a.vector.at)
                mattrs = _NONE
        specs = []
        self.defining.add(id(layout))
        k = -1  # (the index of the member among the record's Decls)
        named, Decl, TypeDecl, IdentifierType = self.named, c_ast.Decl, c_ast.TypeDecl, c_ast.IdentifierType
        short = _SHORT_MEMBERS
        for decl in node.decls:
            if short and decl.__class__ is Decl and not mattrs and not decl.align and decl.bitsize is None:
                typ = decl.type
                # the common members, a plain type and a name or one dimension of a small decimal
                # size: what the general path below gives them (no attribute, width, alignment or
                # qualifier to apply, no constant to evaluate; their types' checks only)
                if typ.__class__ is TypeDecl and typ.type.__class__ is IdentifierType and not typ.quals:
                    known = named.get(tuple(typ.type.names)) or self.base_type(typ.type)
                    t, spelling = known
                    cls = t.__class__
                    plain = cls is Scalar and t.kind != "void" and t.kind != "function" or cls is Pointer or \
                        cls is Layout
                elif typ.__class__ is c_ast.ArrayDecl and typ.type.__class__ is TypeDecl and not typ.dim_quals \
                        and typ.type.type.__class__ is IdentifierType and not typ.type.quals \
                        and typ.dim.__class__ is c_ast.Constant and typ.dim.type == "int" \
                        and _SMALL_DECIMAL.match(typ.dim.value):
                    elem, base = named.get(tuple(typ.type.type.names)) or self.base_type(typ.type.type)
                    # (a scalar's spelling is its words: no typedef of an array or pointer to join)
                    plain = elem.__class__ is Scalar and elem.kind != "void" and elem.kind != "function" and \
                        not elem.size % elem.align
                    if plain:
                        count = int(typ.dim.value)
                        if count * max(elem.size, 1) > most_bytes(self.abi):
                            plain = False  # (refused below)
                        else:
                            t, spelling = Array(elem, count), f"{base} [{count}]"
                else:
                    plain = False
                if plain:
                    k += 1
                    coord = decl.coord or typ.coord
                    specs.append(MemberSpec(decl.name, t, spelling, None, False, None, coord and Pos(
                        coord.file or "<string>", coord.line, coord.column or None)))
                    continue
            if decl.__class__ is c_ast.StaticAssert:  # (evaluated where it stands: the record incomplete)
                self.static_assert(decl)
                continue
            if not isinstance(decl, c_ast.Decl):
                continue
            k += 1
            a = mattrs[k] if mattrs else _PLAIN
            if decl.align:  # (evaluated first, as gcc evaluates it: before the declarator)
                for spec in decl.align:
                    self.alignas_value(spec)
            if decl.type.__class__ is not c_ast.TypeDecl:
                refuse_derivations(decl)
            t, spelling = self.type_of(decl.type, lazy=True)
            if a.vector is not None:
                t = self._vector(t, a.vector)
                spelling = t.spelling()
            width = None if decl.bitsize is None else self.const(decl.bitsize)
            if width is not None and t.__class__ is Scalar and t.kind == "int" and t.size > 8:
                # (gcc lays it out; dtracepy's reads load at most 8 bytes, and its unit is 16)
                self.error(f"a bit-field of {spelled(spelling)} is not modelled by dtracepy (of an integer type of "
                           "at most 8 bytes, it is)", decl)
            if t.__class__ is Scalar and t.kind in ("void", "function") or isinstance(t, Array):
                placed = decl if decl.coord is not None else decl.type  # (the fast reader's: its TypeDecl's)
                while placed.__class__ is not c_ast.Decl and placed.__class__ is not c_ast.TypeDecl:
                    placed = placed.type
                if getattr(t, "kind", None) == "void":  # (gcc's words)
                    self.error(f"bit-field '{decl.name}' has invalid type" if decl.bitsize is not None else
                               f"variable or field '{decl.name}' declared void", placed)
                if getattr(t, "kind", None) == "function":
                    self.error(f"field '{decl.name}' declared as a function", placed)
                # (x[0], GNU's zero-length array, may be anywhere: only x[] must be last)
                if isinstance(decl.type, c_ast.ArrayDecl) and decl.type.dim is None and \
                        decl is not next(d for d in reversed(decls) if isinstance(d, c_ast.Decl)):
                    self.error(f"flexible array member {decl.name} is not last", decl)
            if a.mode is not None:
                raise LayoutError("__attribute__((mode)) on a member changes layout in a way dtracepy does not "
                                  "model (on a typedef of an integer type it is modelled)", a.mode[1])
            aligned = self.alignment(a) if a.aligned else None
            if decl.align:  # (gcc: as aligned(N) on the member, not lowering it)
                aligned = max(aligned or 0, self.alignas(decl, t, "member") or 0) or None
            # (an unnamed bit-field's Decl has no coord: its width's has)
            coord = decl.coord or getattr(decl.bitsize, "coord", None) or decl.type.coord
            specs.append(MemberSpec(decl.name, t, spelling, width, a.packed, aligned, coord and Pos(
                coord.file or "<string>", coord.line, coord.column or None)))
        self.defining.discard(id(layout))
        lay_out(layout, specs, packed=rattrs.packed, aligned=self.alignment(rattrs) if rattrs.aligned else None,
                pack=self.pre.record_pack.get(rkey), consume=True)
        if node.name and self._user(node) and block is None:
            self.result[f"{kind} {node.name}"] = layout
        return layout


#: The converter's short path for the common members (tests turn it off to compare with the general one).
_SHORT_MEMBERS = True
_SMALL_DECIMAL = re.compile(r"(?:[1-9][0-9]{0,8}|0)\Z")  # (below 2**31: an int, never wrapped)
_PLAIN = Attrs()  # (no attributes: shared, read only)
_NONE: list = []


# gcc's checks of a declaration's type words (c-decl.cc, declspecs_add_type), in gcc's words: the
# words are taken one by one and the first that cannot join those before it is refused
_NO_LONG = ("void", "__int128", "_Bool", "char", "float")  # 'long' cannot join these ...
_NO_SHORT = _NO_LONG + ("double",)  # ... 'short' these
_NO_SIGN = ("void", "_Bool", "float", "double")  # ... 'signed' and 'unsigned' these


def _refused_type_words(names: list[str]) -> "tuple[int, str] | None":
    """(index, gcc's message) of the first of ``names`` (C's type words, in order) gcc refuses."""
    longs, short, signed, unsigned, word = 0, False, False, False, None

    def both(a, b):
        return f"both '{a}' and '{b}' in declaration specifiers"

    for i, name in enumerate(names):
        if name == "long":
            if longs == 2:
                return i, "'long long long' is too long for GCC"
            if longs == 1 and word == "double":
                return i, both("long long", "double")
            if longs == 0 and short:
                return i, both("long", "short")
            if longs == 0 and word in _NO_LONG:
                return i, both("long", word)
            longs += 1
        elif name == "short":
            if longs:
                return i, both("long", "short")
            if word in _NO_SHORT:
                return i, both("short", word)
            if short:
                return i, "duplicate 'short'"
            short = True
        elif name in ("signed", "unsigned"):
            if (unsigned if name == "signed" else signed):
                return i, both("signed", "unsigned")
            if word in _NO_SIGN:
                return i, both(name, word)
            if (signed if name == "signed" else unsigned):
                return i, f"duplicate '{name}'"
            signed, unsigned = signed or name == "signed", unsigned or name == "unsigned"
        elif name in _C_KEYWORDS:
            if word is not None:
                return i, "two or more data types in declaration specifiers"
            if name == "__int128" and (longs or short):
                return i, both("__int128", "long" if longs else "short")
            if name == "double" and (longs == 2 or short):  # (long double is a type)
                return i, both("long long" if longs == 2 else "short", name)
            if name in _NO_LONG and (longs or short):
                return i, both("long" if longs else "short", name)
            if name in _NO_SIGN and (signed or unsigned):
                return i, both("signed" if signed else "unsigned", name)
            word = name
    return None


#: Read what the fast reader can (:mod:`.fastc`) before pycparser; tests turn it off to compare.
FAST_READER = True


def parse_layouts(source, abi="x86_64", include_dirs=(), defines=(), filename: "str | None" = None) -> Layouts:
    """Lay out every struct and union declared in ``source`` (a path or a string of C).
    ``include_dirs`` is a list of directories (or one), ``defines`` a list of ``NAME[=VALUE]``
    (or one), or a dict of NAME to value as ``Tracer(defines=...)`` takes."""
    abi = get_abi(abi)
    include_dirs, defines = _cpp_arguments(include_dirs, defines)
    text, filename = read_source(source, filename)
    refuse_binary(text, filename)
    skipped: list[tuple[str, str]] = []
    import gc

    collecting = gc.isenabled()
    gc.disable()  # as the D parser: pycparser's tree is many long-lived objects, which each
    try:          # collection would scan again (30,000 members: 2.6 CPU s with it, 1.9 without)
        system = reads_system_headers(filename, abi, include_dirs)
        prelude = PRELUDE + builtin_types(abi) if system else PRELUDE + int128_types(abi)
        text = preprocess(text, filename, abi, include_dirs, defines, skipped, system)
        if "inline" in text or "_Noreturn" in text:
            refuse_empty_declarations(text)
        fast = read_fast(text, filename, abi, prelude) if FAST_READER else None
        if fast is not None:
            try:
                return _Converter(abi, fast[1]).run(fast[0])
            except (LayoutError, RecursionError):
                if fast[2]:  # (too large for pycparser: the refusal is the fast reader's tree's)
                    raise
                # refused: pycparser's path refuses it too, located as it always was
        ast, pre = parse_c(text, filename, abi, prelude)
        return _Converter(abi, pre).run(ast)
    except RecursionError:
        raise LayoutError("nested too deeply for dtracepy's C parser", _deepest(text, filename)) from None
    except LayoutError as err:
        if skipped and err.pos is not None:
            _hint_system_headers(err, skipped, abi)
        raise
    finally:
        if collecting:
            gc.enable()


def _cpp_arguments(include_dirs, defines) -> tuple[list, list]:
    """``include_dirs`` and ``defines`` as lists of one-line strings: a str (or path) is one item
    and a dict ``{"N": "4"}`` is ``["N=4"]``, never iterated by its characters or keys (which laid
    out with ``-D N``, silently); anything else is refused."""
    def items(value, what):
        if isinstance(value, (str, os.PathLike)):
            value = [value]
        elif not isinstance(value, (list, tuple)):
            raise LayoutError(f"{what} is a list of strings, not {type(value).__name__} ({value!r:.60})")
        out = []
        for item in value:
            item = os.fspath(item) if isinstance(item, os.PathLike) else item
            if not isinstance(item, str) or "\n" in item or "\r" in item or "\0" in item:
                raise LayoutError(f"{what}: each is a one-line string, not {item!r:.60}")
            out.append(item)
        return out

    if isinstance(defines, dict):
        for name, value in defines.items():
            if not isinstance(name, str) or isinstance(value, bool) or not isinstance(value, (str, int)):
                raise LayoutError(f"defines: {{{name!r:.40}: {value!r:.40}}} is not NAME: value (a str or an int)")
        defines = [f"{name}={value}" for name, value in defines.items()]
    return items(include_dirs, "include_dirs"), items(defines, "defines")


def _hint_system_headers(err: LayoutError, skipped, abi: ABI) -> None:
    """Say which system headers were not read, and the -I that reads them; not for an ABI other
    than the machine's, whose headers would lay its structs out wrongly (say so instead)."""
    names = ", ".join(f"<{name}>" for name, _ in skipped[:3]) + (", ..." if len(skipped) > 3 else "")
    host = host_abi_name()
    if host != abi.name:
        err.message += (f"; dtracepy skipped the system headers {names}: this machine's are "
                        f"{host or 'another ABI'}'s and would lay {abi.name} structs out wrongly, so -I "
                        f"the {abi.name} headers (the usr/include of a sysroot for {abi.name})")
        return
    dirs = []
    for _, directory in skipped:
        if directory not in dirs:
            dirs.append(directory)
    flags = " ".join(f"-I {d}" for d in dirs)
    err.message += f"; dtracepy skipped the system headers {names}: {flags} reads them"


def _pointers_text(levels) -> str:
    """The ``*`` of pointers, innermost first, each with its qualifiers (``quals`` of a PtrDecl),
    as C writes them in a declarator: ``*const *``, ``**volatile``."""
    return " ".join(pointer_text(quals) for quals in levels).replace("* ", "*")


def _defines_a_type(node) -> bool:
    """Does the type ``node`` define a struct, union or enum (a body) anywhere inside it?"""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, (c_ast.Struct, c_ast.Union)) and node.decls is not None or \
                isinstance(node, c_ast.Enum) and node.values is not None:
            return True
        stack.extend(child for _, child in node.children())
    return False



def refuse_derivations(decl) -> None:
    """Refuse, as gcc does, a declaration (Decl or Typedef) whose declarator makes a function
    return a function or an array, or an array of functions; at its name (its TypeDecl's place)."""
    found = refused_derivation(decl.type)
    if found is not None:
        raise LayoutError(found[0].format(decl.name), _Converter.pos(found[1]) or _Converter.pos(decl))
