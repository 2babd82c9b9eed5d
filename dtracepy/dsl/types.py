"""C type names written as Python strings (``"tcp_t **"``, ``"struct ip *"``, ``"unsigned long"``)
turned into :class:`tree.TypeName`, and declarations (``self int x;``) built from them."""

from __future__ import annotations

import re

from dtracepy import tree
from dtracepy.errors import DSLError
from dtracepy.facts import functions as _functions
from dtracepy.facts import keywords as _keywords
from dtracepy.facts import variables as _variables
from dtracepy.source import user_pos

# Words that are type keywords (or qualifiers) rather than typedef names.
_KEYWORDS = _keywords.TYPE_KEYWORDS | _keywords.TYPE_QUALIFIERS
_TOKEN = re.compile(r"\s*(?:(?P<word>[A-Za-z_][A-Za-z0-9_]*(?:`[A-Za-z_][A-Za-z0-9_]*)?)"
                    r"|(?P<star>\*)|(?P<bracket>\[\s*(?P<dim>[0-9]*|0x[0-9a-fA-F]+)\s*\]))")


def parse_type(text: str, pos=None) -> tuple[tuple, int, tuple]:
    """Split ``text`` into (specifiers, pointer depth, array dims)."""
    if not isinstance(text, str):
        raise TypeError(f"a D type is written as a string such as \"uint16_t *\", not {type(text).__name__}")
    specs: list = []
    depth = 0
    dims: list = []
    i = 0
    src = text.strip()
    while i < len(src):
        m = _TOKEN.match(src, i)
        if not m or m.end() == i:
            raise DSLError(f"cannot read the type {text!r}", pos or user_pos())
        i = m.end()
        if m.group("word"):
            word = m.group("word")
            if dims or (depth and word not in ("const", "volatile", "restrict")):
                raise DSLError(f"cannot read the type {text!r}", pos or user_pos())
            if depth:
                continue  # qualifiers after '*' are dropped (rare in tracing casts)
            if word in ("struct", "union", "enum"):
                m2 = _TOKEN.match(src, i)
                if not m2 or not m2.group("word"):
                    raise DSLError(f"{word} needs a tag name in the type {text!r}", pos or user_pos())
                i = m2.end()
                tag = m2.group("word")
                specs.append(tree.EnumSpec(tag) if word == "enum" else tree.StructSpec(word, tag))
            elif word in _KEYWORDS:
                specs.append(word)
            elif "`" in word:
                module, name = word.split("`")
                specs.append(tree.TypeRef(name, module))
            else:
                specs.append(tree.TypeRef(word))
        elif m.group("star"):
            if dims:
                raise DSLError(f"cannot read the type {text!r}", pos or user_pos())
            depth += 1
        else:
            dim = m.group("dim")
            dims.append(tree.IntLit(dim) if dim else None)
    if not specs:
        raise DSLError(f"the type {text!r} names no type", pos or user_pos())
    problem = _type_problem(specs)
    if problem:
        raise DSLError(f"the type {text!r} is no D type: {problem}", pos or user_pos())
    return tuple(specs), depth, tuple(dims)


def _type_problem(specs) -> str | None:
    """What dtrace refuses in a type text's specifiers: two types in one (``int int``), a type
    and a name (``int x``, ``foo bar``: a type text names a type only, the DSL takes a declared
    name apart), a D function or variable as a type name (``system``, ``execname``), which
    dtrace's lexer never reads as a type (all are syntax errors there)."""
    names = [s for s in specs if s.__class__ is tree.TypeRef]
    for ref in names:
        if ref.module is None and (ref.name in _functions.TABLE or ref.name in _variables.KNOWN_NAMES):
            what = "function" if ref.name in _functions.TABLE else "variable"
            return f"{ref.name} is a D {what}, not a type"
    words = [s if s.__class__ is str else "name" if s.__class__ is tree.TypeRef
             else "enum" if s.__class__ is tree.EnumSpec else s.kind for s in specs]
    problem = _keywords.type_specifier_problem(words)
    if problem and names and len(specs) > 1:
        problem += (f" ({names[-1].name} reads as a declared name: a type text names only a type, "
                    "without a name)")
    return problem


def _declarator(name: str | None, depth: int, dims: tuple, pos=None) -> tree.Declarator:
    decl: tree.Declarator = tree.NameDecl(name, pos=pos)
    for dim in dims:
        decl = tree.ArrayDecl(decl, () if dim is None else (dim,), pos=pos)
    for _ in range(depth):
        decl = tree.PointerDecl(decl, pos=pos)
    return decl


def type_name(text: str, pos=None) -> tree.TypeName:
    """``"tcp_t **"`` -> ``TypeName((TypeRef("tcp_t"),), PointerDecl(PointerDecl(NameDecl(None))))``."""
    specs, depth, dims = parse_type(text, pos)
    return tree.TypeName(specs, _declarator(None, depth, dims, pos), pos=pos)


def pointer_depth(text: str) -> int:
    return parse_type(text)[1]


def declaration(name: str, type_text: str, *, scope: str | None = None, keys=(), pos=None) -> tree.Declaration:
    """``self int x;`` (scope "self"), ``this string s;``, ``int x;``, ``int a[string, int];``."""
    specs, depth, dims = parse_type(type_text, pos)
    decl: tree.Declarator = tree.NameDecl(name, pos=pos)
    if isinstance(keys, str):
        keys = (keys,)  # one key type, keys="string": not a key per character
    if keys:
        decl = tree.ArrayDecl(decl, tuple(type_name(k, pos) for k in keys), pos=pos)
    for dim in dims:
        decl = tree.ArrayDecl(decl, () if dim is None else (dim,), pos=pos)
    for _ in range(depth):
        decl = tree.PointerDecl(decl, pos=pos)
    prefix = (scope,) if scope else ()
    return tree.Declaration(prefix + specs, (decl,), pos=pos)
