"""The D syntax tree: one frozen attrs class per D construct.

This is the one model of D at the centre of dtracepy.  The DSL builds it, passes rewrite it, the
printer writes it and the parser reads D back into it.

Conventions
-----------
* Fields are named by role; child sequences are tuples.
* Every node has a keyword-only ``pos`` (a :class:`~dtracepy.source.Pos` or ``None``) that takes no
  part in equality or hashing, so ``parse(to_d(t)) == t`` compares structure only.
* Parentheses are not nodes: the printer adds them from one precedence table.
* Literal spellings are kept as written (``IntLit("0x28")``) so the printer reproduces them.
* Operator symbols are plain strings, exactly as D spells them (``"->"``, ``"^^"``, ``"<<="``).
"""

from __future__ import annotations

from typing import Union

import attrs

from dtracepy.facts.probes import split as _split_desc
from dtracepy.source import Pos


def _pos_field():
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


def _tuple(value) -> tuple:
    return tuple(value)


def _opt_tuple(value):
    return None if value is None else tuple(value)


# Every node class is ``attrs.frozen`` (slotted, immutable, ``attrs.fields``/``attrs.evolve`` work),
# but ``__eq__``, ``__ne__``, ``__hash__`` and ``__repr__`` are not attrs' generated ones: attrs
# compiles them with ``compile()`` for every class as it is defined, which made importing this
# module cost ~40 ms, on every ``dtracepy check``.  :func:`_node` installs stand-ins that compile
# the same straight-line code for their class the first time one is called (so only the classes a
# run compares or hashes pay, ~0.1 ms each), and a repr.  They behave as attrs' would: equal when
# of the same class with equal fields other than ``pos``; ``pos`` is not in the repr.

# class -> names of its fields that take part in equality (all but ``pos`` and notes such as
# ``MacroVar.doc``), in field order
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in attrs.fields(cls) if f.eq)
    return names


def _note_field(default=None):
    """A note the DSL attaches for the compiler: like ``pos``, no part of equality, hash or repr."""
    return attrs.field(default=default, eq=False, repr=False, kw_only=True)


def _compile_methods(cls) -> None:
    """Replace ``cls``'s stand-in ``__eq__``, ``__ne__`` and ``__hash__`` with compiled ones."""
    mine = "".join(f"self.{name}, " for name in _field_names(cls))
    theirs = "".join(f"other.{name}, " for name in _field_names(cls))
    source = (
        "def __eq__(self, other):\n"
        "    if other.__class__ is not self.__class__:\n"
        "        return NotImplemented\n"
        f"    return ({mine}) == ({theirs})\n"
        "def __ne__(self, other):\n"
        "    if other.__class__ is not self.__class__:\n"
        "        return NotImplemented\n"
        f"    return ({mine}) != ({theirs})\n"
        "def __hash__(self):\n"
        f"    return hash((cls, {mine}))\n"
    )
    namespace = {"cls": cls}
    exec(compile(source, f"<dtracepy.tree.{cls.__qualname__} methods>", "exec"), namespace)  # noqa: S102
    for name in ("__eq__", "__ne__", "__hash__"):
        method = namespace[name]
        method.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, method)


def _node(cls):
    """``attrs.frozen``, with the stand-in methods described above."""
    cls = attrs.frozen(cls, eq=False, repr=False)
    names = _field_names(cls)
    shown = cls.__qualname__.rsplit(">.", 1)[-1]

    def __eq__(self, other):
        _compile_methods(cls)
        return cls.__eq__(self, other)

    def __ne__(self, other):
        _compile_methods(cls)
        return cls.__ne__(self, other)

    def __hash__(self):
        _compile_methods(cls)
        return cls.__hash__(self)

    def __repr__(self):
        return shown + "(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in names) + ")"

    for method in (__eq__, __ne__, __hash__, __repr__):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        setattr(cls, method.__name__, method)
    return cls


@_node
class Node:
    """Base class of every node.  ``pos`` is excluded from equality."""

    pos: Pos | None = _pos_field()

    def children(self):
        """The direct child nodes, in field order (tuples are flattened, None skipped)."""
        for name in _FIELD_NAMES.get(self.__class__) or _field_names(self.__class__):
            value = getattr(self, name)
            if isinstance(value, Node):
                yield value
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, Node):
                        yield item
                    elif isinstance(item, tuple):  # e.g. Translator members
                        yield from (x for x in item if isinstance(x, Node))

    def walk(self):
        """This node and every node below it, depth first, iteratively (deep trees are fine).

        The hot loop of every pass and check, so it reads the cached field names directly."""
        stack = [self]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            yield node
            cls = node.__class__
            for name in reversed(_FIELD_NAMES.get(cls) or _field_names(cls)):
                value = getattr(node, name)
                if isinstance(value, Node):
                    push(value)
                elif isinstance(value, tuple):
                    for item in reversed(value):
                        if isinstance(item, Node):
                            push(item)
                        elif isinstance(item, tuple):  # e.g. Translator members
                            stack.extend(x for x in reversed(item) if isinstance(x, Node))


def same_tree(a, b) -> bool:
    """Structural equality ignoring positions (the same as ``==``; spelled out for readers)."""
    return a == b


# ----------------------------------------------------------------------------------------------
# Expressions
# ----------------------------------------------------------------------------------------------


@_node
class Expr(Node):
    """Base class of expressions."""


@_node
class IntLit(Expr):
    """An integer constant as written: ``42``, ``0x28``, ``0777``, ``10UL``."""

    text: str

    @property
    def value(self) -> int:
        digits = self.text.rstrip("uUlL")
        if digits[:2] in ("0x", "0X"):
            return int(digits, 16)
        if len(digits) > 1 and digits[0] == "0":
            return int(digits, 8)
        return int(digits)


@_node
class CharLit(Expr):
    """A character constant; ``text`` is what stands between the quotes, escapes kept (``\\n``)."""

    text: str


@_node
class StringLit(Expr):
    """A string constant; ``value`` is the decoded text (the printer escapes it for D)."""

    value: str


@_node
class Ident(Expr):
    """A name: a global variable, built-in variable, subroutine, enumerator or inline.

    ``module`` is set for a backquoted kernel symbol: ``` `kmem_flags ``` has module ``""``,
    ``genunix`kmem_flags`` has module ``"genunix"``.
    """

    name: str
    module: str | None = None
    #: Made by the DSL's ``glob`` scope: the tracer means a global variable of its own program.
    is_global: bool = _note_field(False)


@_node
class MacroVar(Expr):
    """A macro variable, spelled as in D: ``$1``, ``$$1``, ``$target``, ``$pid``."""

    name: str  # including the leading $ or $$
    #: What the argument is, as the DSL's ``macro(1, "listening port")`` said (for the header).
    doc: str | None = _note_field()


@_node
class SelfVar(Expr):
    """A thread-local variable ``self->name``."""

    name: str


@_node
class ThisVar(Expr):
    """A clause-local variable ``this->name``."""

    name: str


@_node
class AggVar(Expr):
    """An aggregation ``@name``; the anonymous aggregation ``@`` has name ``""``."""

    name: str


@_node
class Unary(Expr):
    """A prefix operator: ``! ~ - + * & ++ --``."""

    op: str
    operand: Expr


@_node
class Postfix(Expr):
    """A postfix ``++`` or ``--``."""

    op: str
    operand: Expr


@_node
class Binary(Expr):
    """A binary operator, including ``&& || ^^`` and the comma operator ``,``."""

    op: str
    left: Expr
    right: Expr


@_node
class Assign(Expr):
    """An assignment ``target op value`` with op one of ``= += -= *= /= %= &= ^= |= <<= >>=``."""

    op: str
    target: Expr
    value: Expr


@_node
class Ternary(Expr):
    """``cond ? then : otherwise``."""

    cond: Expr
    then: Expr
    otherwise: Expr


@_node
class Cast(Expr):
    """``(type) operand``."""

    type: "TypeName"
    operand: Expr


@_node
class SizeofExpr(Expr):
    """``sizeof expr`` (printed ``sizeof (expr)``)."""

    operand: Expr


@_node
class SizeofType(Expr):
    """``sizeof (type)``."""

    type: "TypeName"


@_node
class Stringof(Expr):
    """``stringof expr`` (printed ``stringof(expr)``)."""

    operand: Expr


@_node
class Offsetof(Expr):
    """``offsetof(type, member)``."""

    type: "TypeName"
    member: str


@_node
class Xlate(Expr):
    """``xlate <type> (operand)``."""

    type: "TypeName"
    operand: Expr


@_node
class Call(Expr):
    """A call of a subroutine, action or aggregating function: ``callee(args...)``.

    ``callee`` is almost always an :class:`Ident`; :attr:`name` gives its name or ``None``.
    """

    callee: Expr
    args: tuple[Expr, ...] = attrs.field(converter=_tuple, default=())

    @property
    def name(self) -> str | None:
        return self.callee.name if isinstance(self.callee, Ident) and self.callee.module is None else None


@_node
class Index(Expr):
    """Subscripting: ``base[k1, k2, ...]`` (arrays, associative arrays, aggregations, args[])."""

    base: Expr
    keys: tuple[Expr, ...] = attrs.field(converter=_tuple)


@_node
class Member(Expr):
    """Member access ``base.name`` or ``base->name`` (``op`` is ``"."`` or ``"->"``)."""

    base: Expr
    op: str
    name: str


# ----------------------------------------------------------------------------------------------
# Types and declarations (C declarations as D reads them)
# ----------------------------------------------------------------------------------------------

# A declaration's specifiers are a tuple, in source order, of keyword strings (``"static"``,
# ``"const"``, ``"unsigned"``, ``"int"``, ``"self"``, ``"this"``, ``"string"``, ``"typedef"`` ...)
# and at most one of the type-specifier nodes below.


@_node
class TypeRef(Node):
    """A type referred to by name: a typedef name such as ``uint16_t`` or ``tcp_t``, optionally
    scoped to a module with a backquote (``genunix`kthread_t`` has module ``"genunix"``)."""

    name: str
    module: str | None = None


@_node
class Enumerator(Node):
    """One enumerator, ``NAME`` or ``NAME = value``."""

    name: str
    value: Expr | None = None


@_node
class EnumSpec(Node):
    """``enum name { ... }`` or ``enum name``; ``enumerators`` is None when there is no body."""

    name: str | None
    enumerators: tuple[Enumerator, ...] | None = attrs.field(converter=_opt_tuple, default=None)


@_node
class FieldDeclarator(Node):
    """One declarator of a struct member, with a bit-field ``width`` (``uchar_t ip_hl:4``).

    ``declarator`` is None for an unnamed bit-field (``int :0``).
    """

    declarator: "Declarator | None"
    width: Expr | None = None


@_node
class FieldDecl(Node):
    """One member line of a struct or union: ``specifiers declarator, declarator;``."""

    specifiers: tuple = attrs.field(converter=_tuple)
    declarators: tuple[FieldDeclarator, ...] = attrs.field(converter=_tuple)


@_node
class StructSpec(Node):
    """``struct name { members }`` or ``union name``; ``members`` is None when there is no body."""

    kind: str  # "struct" or "union"
    name: str | None
    members: tuple[FieldDecl, ...] | None = attrs.field(converter=_opt_tuple, default=None)


TypeSpecifier = Union[str, TypeRef, StructSpec, EnumSpec]


@_node
class Declarator(Node):
    """Base class of C declarators (what surrounds the declared name: ``*``, ``[]``, ``()``)."""


@_node
class NameDecl(Declarator):
    """The innermost declarator: the declared name, or None in an abstract declarator."""

    name: str | None


@_node
class PointerDecl(Declarator):
    """``* qualifiers target``: a pointer to what ``target`` declares."""

    target: Declarator
    qualifiers: tuple[str, ...] = attrs.field(converter=_tuple, default=())


@_node
class ArrayDecl(Declarator):
    """``target [dims]``.  ``dims`` is empty for ``[]``; one expression for ``[16]``; for a D
    associative array declaration (``int a[string, int];``) it holds :class:`TypeName` keys."""

    target: Declarator
    dims: tuple = attrs.field(converter=_tuple, default=())


@_node
class Param(Node):
    """A function or probe parameter: specifiers and an optional (possibly abstract) declarator.
    The ellipsis ``...`` is ``Param(("...",), None)``."""

    specifiers: tuple = attrs.field(converter=_tuple)
    declarator: Declarator | None = None


@_node
class FuncDecl(Declarator):
    """``target (params)``: a function type (function pointers in kernel headers)."""

    target: Declarator
    params: tuple[Param, ...] = attrs.field(converter=_tuple, default=())


@_node
class TypeName(Node):
    """A type as written in a cast, ``sizeof``, ``offsetof``, ``xlate`` or a translator:
    specifiers plus an abstract declarator (``(tcp_t **)`` is specifiers ``(TypeRef("tcp_t"),)``
    and declarator ``PointerDecl(PointerDecl(NameDecl(None)))``)."""

    specifiers: tuple = attrs.field(converter=_tuple)
    declarator: Declarator = attrs.field(factory=lambda: NameDecl(None))


# ----------------------------------------------------------------------------------------------
# Statements
# ----------------------------------------------------------------------------------------------


@_node
class Stmt(Node):
    """Base class of statements (what a clause body holds)."""


@_node
class ExprStmt(Stmt):
    """An expression followed by ``;``: assignments, action calls, aggregations."""

    expr: Expr


@_node
class EmptyStmt(Stmt):
    """A lone ``;``."""


@_node
class Block(Stmt):
    """``{ statements }`` inside a clause (the body of an ``if`` or ``else``)."""

    body: tuple[Stmt, ...] = attrs.field(converter=_tuple, default=())


@_node
class If(Stmt):
    """``if (cond) then [else otherwise]`` (illumos, FreeBSD and macOS D; not Oracle's)."""

    cond: Expr
    then: Stmt
    otherwise: Stmt | None = None


# ----------------------------------------------------------------------------------------------
# Top level
# ----------------------------------------------------------------------------------------------


@_node
class TopLevel(Node):
    """Base class of what a D program is a sequence of."""


@_node
class ProbeDesc(Node):
    """A probe description as written: ``fbt:ip:tcp_conn_request:entry``, ``BEGIN``,
    ``syscall::read*:entry``, ``pid$target::malloc:entry``, ``profile-997``."""

    text: str

    @property
    def fields(self) -> tuple[str, str, str, str]:
        """provider, module, function, name; fewer than four fields fill from the right."""
        return _split_desc(self.text)[:4]  # type: ignore[return-value]

    @property
    def provider(self) -> str:
        return self.fields[0]

    @property
    def module(self) -> str:
        return self.fields[1]

    @property
    def function(self) -> str:
        return self.fields[2]

    @property
    def name(self) -> str:
        return self.fields[3]


@_node
class Clause(TopLevel):
    """A probe clause: ``descs [/predicate/] [{ body }]``.

    ``body`` is None when the clause has no braces at all (``syscall:::entry /pid == 1/``, which
    traces the default record); an empty tuple prints ``{}``.
    """

    probes: tuple[ProbeDesc, ...] = attrs.field(converter=_tuple)
    predicate: Expr | None = None
    body: tuple[Stmt, ...] | None = attrs.field(converter=_opt_tuple, default=())


@_node
class Declaration(TopLevel):
    """A declaration: ``int x;``, ``self int x;``, ``this string s;``, ``typedef ... t;``,
    ``struct s { ... };``, ``extern int `kmem_flags;``, ``int a[string, int];``.

    Specifiers follow the convention described above :class:`TypeRef`.
    """

    specifiers: tuple = attrs.field(converter=_tuple)
    declarators: tuple[Declarator, ...] = attrs.field(converter=_tuple, default=())


@_node
class Inline(TopLevel):
    """``inline type name = value;`` and the parameterised ``inline string name[int x] = value;``
    (the declarator is then an :class:`ArrayDecl` whose dims are :class:`Param`)."""

    specifiers: tuple = attrs.field(converter=_tuple)
    declarator: Declarator
    value: Expr


@_node
class TranslatorMember(Node):
    """``name = expr;`` inside a translator."""

    name: str
    value: Expr


@_node
class Translator(TopLevel):
    """``translator output < input name > { members };``"""

    output: TypeName
    input: TypeName
    input_name: str
    members: tuple[TranslatorMember, ...] = attrs.field(converter=_tuple, default=())


@_node
class ProviderProbe(Node):
    """``probe name(params) [: (mapped params)];`` inside a provider definition."""

    name: str
    params: tuple[Param, ...] = attrs.field(converter=_tuple, default=())
    mapped: tuple[Param, ...] | None = attrs.field(converter=_opt_tuple, default=None)


@_node
class Provider(TopLevel):
    """``provider name { probe ...; ... };``"""

    name: str
    probes: tuple[ProviderProbe, ...] = attrs.field(converter=_tuple, default=())


@_node
class Pragma(TopLevel):
    """``#pragma words...``, e.g. ``#pragma D option quiet`` has words ``("D", "option", "quiet")``.

    Quoted words keep their quotes: ``#pragma D binding "1.0" f`` has ``('D', 'binding', '"1.0"', 'f')``.
    """

    words: tuple[str, ...] = attrs.field(converter=_tuple)


@_node
class Directive(TopLevel):
    """Any other preprocessor line at top level, kept as written: ``#include <sys/socket.h>`` is
    ``Directive("include", "<sys/socket.h>")``; ``#define X 1``, ``#if``, ``#endif``, ``#line``,
    ``# 12 "file"`` (name ``""``).  ``text`` keeps backslash-continued lines."""

    name: str
    text: str = ""


@_node
class Shebang(TopLevel):
    """The ``#!`` line; ``text`` follows ``#!`` (``/usr/sbin/dtrace -qs``)."""

    text: str


@_node
class Comment(TopLevel):
    """A top-level comment; ``text`` is what stands between ``/*`` and ``*/``, verbatim."""

    text: str


@_node
class Program(Node):
    """A whole D program: a sequence of top-level items in order."""

    items: tuple[TopLevel, ...] = attrs.field(converter=_tuple, default=())

    @property
    def clauses(self) -> tuple[Clause, ...]:
        return tuple(item for item in self.items if isinstance(item, Clause))


def bodyless_is_d(items, index: int) -> bool:
    """Can the clause ``items[index]`` stand without braces?  Only with a predicate, and only
    when nothing but comments follows: the lexer closes a predicate with ``/`` only before ``{``,
    ``;``, ``/`` or the end of input, so ``BEGIN /x/`` followed by ``tick-1s`` reads as a division.
    (The printer and the pass that adds braces both ask this.)"""
    clause = items[index]
    return clause.predicate is not None and all(isinstance(i, Comment) for i in items[index + 1:])
