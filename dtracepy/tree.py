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

from dtracepy.source import Pos


def _pos_field():
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


def _tuple(value) -> tuple:
    return tuple(value)


def _opt_tuple(value):
    return None if value is None else tuple(value)


@attrs.frozen
class Node:
    """Base class of every node.  ``pos`` is excluded from equality."""

    pos: Pos | None = _pos_field()

    def children(self):
        """The direct child nodes, in field order (tuples are flattened, None skipped)."""
        for field in attrs.fields(type(self)):
            if field.name == "pos":
                continue
            value = getattr(self, field.name)
            if isinstance(value, Node):
                yield value
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, Node):
                        yield item
                    elif isinstance(item, tuple):  # e.g. Translator members
                        yield from (x for x in item if isinstance(x, Node))

    def walk(self):
        """This node and every node below it, depth first, iteratively (deep trees are fine)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(list(node.children())))


def same_tree(a, b) -> bool:
    """Structural equality ignoring positions (the same as ``==``; spelled out for readers)."""
    return a == b


# ----------------------------------------------------------------------------------------------
# Expressions
# ----------------------------------------------------------------------------------------------


@attrs.frozen
class Expr(Node):
    """Base class of expressions."""


@attrs.frozen
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


@attrs.frozen
class CharLit(Expr):
    """A character constant; ``text`` is what stands between the quotes, escapes kept (``\\n``)."""

    text: str


@attrs.frozen
class StringLit(Expr):
    """A string constant; ``value`` is the decoded text (the printer escapes it for D)."""

    value: str


@attrs.frozen
class Ident(Expr):
    """A name: a global variable, built-in variable, subroutine, enumerator or inline.

    ``module`` is set for a backquoted kernel symbol: ``` `kmem_flags ``` has module ``""``,
    ``genunix`kmem_flags`` has module ``"genunix"``.
    """

    name: str
    module: str | None = None


@attrs.frozen
class MacroVar(Expr):
    """A macro variable, spelled as in D: ``$1``, ``$$1``, ``$target``, ``$pid``."""

    name: str  # including the leading $ or $$


@attrs.frozen
class SelfVar(Expr):
    """A thread-local variable ``self->name``."""

    name: str


@attrs.frozen
class ThisVar(Expr):
    """A clause-local variable ``this->name``."""

    name: str


@attrs.frozen
class AggVar(Expr):
    """An aggregation ``@name``; the anonymous aggregation ``@`` has name ``""``."""

    name: str


@attrs.frozen
class Unary(Expr):
    """A prefix operator: ``! ~ - + * & ++ --``."""

    op: str
    operand: Expr


@attrs.frozen
class Postfix(Expr):
    """A postfix ``++`` or ``--``."""

    op: str
    operand: Expr


@attrs.frozen
class Binary(Expr):
    """A binary operator, including ``&& || ^^`` and the comma operator ``,``."""

    op: str
    left: Expr
    right: Expr


@attrs.frozen
class Assign(Expr):
    """An assignment ``target op value`` with op one of ``= += -= *= /= %= &= ^= |= <<= >>=``."""

    op: str
    target: Expr
    value: Expr


@attrs.frozen
class Ternary(Expr):
    """``cond ? then : otherwise``."""

    cond: Expr
    then: Expr
    otherwise: Expr


@attrs.frozen
class Cast(Expr):
    """``(type) operand``."""

    type: "TypeName"
    operand: Expr


@attrs.frozen
class SizeofExpr(Expr):
    """``sizeof expr`` (printed ``sizeof (expr)``)."""

    operand: Expr


@attrs.frozen
class SizeofType(Expr):
    """``sizeof (type)``."""

    type: "TypeName"


@attrs.frozen
class Stringof(Expr):
    """``stringof expr`` (printed ``stringof(expr)``)."""

    operand: Expr


@attrs.frozen
class Offsetof(Expr):
    """``offsetof(type, member)``."""

    type: "TypeName"
    member: str


@attrs.frozen
class Xlate(Expr):
    """``xlate <type> (operand)``."""

    type: "TypeName"
    operand: Expr


@attrs.frozen
class Call(Expr):
    """A call of a subroutine, action or aggregating function: ``callee(args...)``.

    ``callee`` is almost always an :class:`Ident`; :attr:`name` gives its name or ``None``.
    """

    callee: Expr
    args: tuple[Expr, ...] = attrs.field(converter=_tuple, default=())

    @property
    def name(self) -> str | None:
        return self.callee.name if isinstance(self.callee, Ident) and self.callee.module is None else None


@attrs.frozen
class Index(Expr):
    """Subscripting: ``base[k1, k2, ...]`` (arrays, associative arrays, aggregations, args[])."""

    base: Expr
    keys: tuple[Expr, ...] = attrs.field(converter=_tuple)


@attrs.frozen
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


@attrs.frozen
class TypeRef(Node):
    """A type referred to by name: a typedef name such as ``uint16_t`` or ``tcp_t``, optionally
    scoped to a module with a backquote (``genunix`kthread_t`` has module ``"genunix"``)."""

    name: str
    module: str | None = None


@attrs.frozen
class Enumerator(Node):
    """One enumerator, ``NAME`` or ``NAME = value``."""

    name: str
    value: Expr | None = None


@attrs.frozen
class EnumSpec(Node):
    """``enum name { ... }`` or ``enum name``; ``enumerators`` is None when there is no body."""

    name: str | None
    enumerators: tuple[Enumerator, ...] | None = attrs.field(converter=_opt_tuple, default=None)


@attrs.frozen
class FieldDeclarator(Node):
    """One declarator of a struct member, with a bit-field ``width`` (``uchar_t ip_hl:4``).

    ``declarator`` is None for an unnamed bit-field (``int :0``).
    """

    declarator: "Declarator | None"
    width: Expr | None = None


@attrs.frozen
class FieldDecl(Node):
    """One member line of a struct or union: ``specifiers declarator, declarator;``."""

    specifiers: tuple = attrs.field(converter=_tuple)
    declarators: tuple[FieldDeclarator, ...] = attrs.field(converter=_tuple)


@attrs.frozen
class StructSpec(Node):
    """``struct name { members }`` or ``union name``; ``members`` is None when there is no body."""

    kind: str  # "struct" or "union"
    name: str | None
    members: tuple[FieldDecl, ...] | None = attrs.field(converter=_opt_tuple, default=None)


TypeSpecifier = Union[str, TypeRef, StructSpec, EnumSpec]


@attrs.frozen
class Declarator(Node):
    """Base class of C declarators (what surrounds the declared name: ``*``, ``[]``, ``()``)."""


@attrs.frozen
class NameDecl(Declarator):
    """The innermost declarator: the declared name, or None in an abstract declarator."""

    name: str | None


@attrs.frozen
class PointerDecl(Declarator):
    """``* qualifiers target``: a pointer to what ``target`` declares."""

    target: Declarator
    qualifiers: tuple[str, ...] = attrs.field(converter=_tuple, default=())


@attrs.frozen
class ArrayDecl(Declarator):
    """``target [dims]``.  ``dims`` is empty for ``[]``; one expression for ``[16]``; for a D
    associative array declaration (``int a[string, int];``) it holds :class:`TypeName` keys."""

    target: Declarator
    dims: tuple = attrs.field(converter=_tuple, default=())


@attrs.frozen
class Param(Node):
    """A function or probe parameter: specifiers and an optional (possibly abstract) declarator.
    The ellipsis ``...`` is ``Param(("...",), None)``."""

    specifiers: tuple = attrs.field(converter=_tuple)
    declarator: Declarator | None = None


@attrs.frozen
class FuncDecl(Declarator):
    """``target (params)``: a function type (function pointers in kernel headers)."""

    target: Declarator
    params: tuple[Param, ...] = attrs.field(converter=_tuple, default=())


@attrs.frozen
class TypeName(Node):
    """A type as written in a cast, ``sizeof``, ``offsetof``, ``xlate`` or a translator:
    specifiers plus an abstract declarator (``(tcp_t **)`` is specifiers ``(TypeRef("tcp_t"),)``
    and declarator ``PointerDecl(PointerDecl(NameDecl(None)))``)."""

    specifiers: tuple = attrs.field(converter=_tuple)
    declarator: Declarator = attrs.field(factory=lambda: NameDecl(None))


# ----------------------------------------------------------------------------------------------
# Statements
# ----------------------------------------------------------------------------------------------


@attrs.frozen
class Stmt(Node):
    """Base class of statements (what a clause body holds)."""


@attrs.frozen
class ExprStmt(Stmt):
    """An expression followed by ``;``: assignments, action calls, aggregations."""

    expr: Expr


@attrs.frozen
class EmptyStmt(Stmt):
    """A lone ``;``."""


@attrs.frozen
class Block(Stmt):
    """``{ statements }`` inside a clause (the body of an ``if`` or ``else``)."""

    body: tuple[Stmt, ...] = attrs.field(converter=_tuple, default=())


@attrs.frozen
class If(Stmt):
    """``if (cond) then [else otherwise]`` (illumos, FreeBSD and macOS D; not Oracle's)."""

    cond: Expr
    then: Stmt
    otherwise: Stmt | None = None


# ----------------------------------------------------------------------------------------------
# Top level
# ----------------------------------------------------------------------------------------------


@attrs.frozen
class TopLevel(Node):
    """Base class of what a D program is a sequence of."""


@attrs.frozen
class ProbeDesc(Node):
    """A probe description as written: ``fbt:ip:tcp_conn_request:entry``, ``BEGIN``,
    ``syscall::read*:entry``, ``pid$target::malloc:entry``, ``profile-997``."""

    text: str

    @property
    def fields(self) -> tuple[str, str, str, str]:
        """provider, module, function, name; fewer than four fields fill from the right."""
        parts = self.text.split(":")
        parts = [""] * (4 - len(parts)) + parts if len(parts) < 4 else parts
        return tuple(parts[:4])  # type: ignore[return-value]

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


@attrs.frozen
class Clause(TopLevel):
    """A probe clause: ``descs [/predicate/] [{ body }]``.

    ``body`` is None when the clause has no braces at all (``syscall:::entry /pid == 1/``, which
    traces the default record); an empty tuple prints ``{}``.
    """

    probes: tuple[ProbeDesc, ...] = attrs.field(converter=_tuple)
    predicate: Expr | None = None
    body: tuple[Stmt, ...] | None = attrs.field(converter=_opt_tuple, default=())


@attrs.frozen
class Declaration(TopLevel):
    """A declaration: ``int x;``, ``self int x;``, ``this string s;``, ``typedef ... t;``,
    ``struct s { ... };``, ``extern int `kmem_flags;``, ``int a[string, int];``.

    Specifiers follow the convention described above :class:`TypeRef`.
    """

    specifiers: tuple = attrs.field(converter=_tuple)
    declarators: tuple[Declarator, ...] = attrs.field(converter=_tuple, default=())


@attrs.frozen
class Inline(TopLevel):
    """``inline type name = value;`` and the parameterised ``inline string name[int x] = value;``
    (the declarator is then an :class:`ArrayDecl` whose dims are :class:`Param`)."""

    specifiers: tuple = attrs.field(converter=_tuple)
    declarator: Declarator
    value: Expr


@attrs.frozen
class TranslatorMember(Node):
    """``name = expr;`` inside a translator."""

    name: str
    value: Expr


@attrs.frozen
class Translator(TopLevel):
    """``translator output < input name > { members };``"""

    output: TypeName
    input: TypeName
    input_name: str
    members: tuple[TranslatorMember, ...] = attrs.field(converter=_tuple, default=())


@attrs.frozen
class ProviderProbe(Node):
    """``probe name(params) [: (mapped params)];`` inside a provider definition."""

    name: str
    params: tuple[Param, ...] = attrs.field(converter=_tuple, default=())
    mapped: tuple[Param, ...] | None = attrs.field(converter=_opt_tuple, default=None)


@attrs.frozen
class Provider(TopLevel):
    """``provider name { probe ...; ... };``"""

    name: str
    probes: tuple[ProviderProbe, ...] = attrs.field(converter=_tuple, default=())


@attrs.frozen
class Pragma(TopLevel):
    """``#pragma words...``, e.g. ``#pragma D option quiet`` has words ``("D", "option", "quiet")``.

    Quoted words keep their quotes: ``#pragma D binding "1.0" f`` has ``('D', 'binding', '"1.0"', 'f')``.
    """

    words: tuple[str, ...] = attrs.field(converter=_tuple)


@attrs.frozen
class Directive(TopLevel):
    """Any other preprocessor line at top level, kept as written: ``#include <sys/socket.h>`` is
    ``Directive("include", "<sys/socket.h>")``; ``#define X 1``, ``#if``, ``#endif``, ``#line``,
    ``# 12 "file"`` (name ``""``).  ``text`` keeps backslash-continued lines."""

    name: str
    text: str = ""


@attrs.frozen
class Shebang(TopLevel):
    """The ``#!`` line; ``text`` follows ``#!`` (``/usr/sbin/dtrace -qs``)."""

    text: str


@attrs.frozen
class Comment(TopLevel):
    """A top-level comment; ``text`` is what stands between ``/*`` and ``*/``, verbatim."""

    text: str


@attrs.frozen
class Program(Node):
    """A whole D program: a sequence of top-level items in order."""

    items: tuple[TopLevel, ...] = attrs.field(converter=_tuple, default=())

    @property
    def clauses(self) -> tuple[Clause, ...]:
        return tuple(item for item in self.items if isinstance(item, Clause))
