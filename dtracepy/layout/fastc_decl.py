"""Declarators of any shape (a mixin of :class:`.fastc._Reader`): ``int (x)``, ``char (*(y))[3]``,
``int (*(*g)(int))[4]``, ``void (*signal(int, void (*)(int)))(int)``, abstract ones in type names
(``sizeof(int (*)[3])``).  The reader's own path takes the common forms (a name, a pointer to a
function or to an array) and comes here for the rest.

pycparser's tree of a declarator is the C type read from the name outwards: the first thing the
name is (an array, a function, a pointer) outermost, down to the TypeDecl of the base type
(``_type_modify_decl`` puts each suffix and each pointer just above the TypeDecl).  So a
declarator is read into that list of derivations -- the inner declarator's, then this level's
suffixes in order, then its pointers from the last ``*`` to the first -- and built from the inside.

What pycparser reads as another C, or refuses, gives way (:class:`Unsupported`): a function
returning a function or an array, an array of functions (pycparser builds them; gcc refuses
them), a parenthesised typedef name in a parameter (pycparser's abstract function type), an
identifier list anywhere but a named function's."""

from __future__ import annotations

from pycparser import c_ast

from dtracepy.layout.fastc_lex import Refused, TokenCoord, Unsupported, _ID_START, _MAX_DEPTH, _NO, _QUALS, _RESERVED
from dtracepy.layout.fastc_nodes import new_array_decl, new_func_decl, new_param_list, new_ptr_decl, new_type_decl

_SUFFIX_START = ("*", "(", "[")


class Declarators:
    """:meth:`general_declarator`: any declarator, named or abstract, as pycparser builds it."""

    name_at = None  # the index of the token of the name the last declarator declared

    def general_declarator(self, base, quals, abstract: bool, typedef: bool = False, param: bool = False,
                           member: bool = False):
        """(name, type chain) of the declarator at the reader's position.  ``abstract``: a type
        name's (no name); ``param``: a parameter's (named or abstract, as pycparser's scan of it
        decides)."""
        if param:
            found = self.declarator_name()
            if found is not None and (found in self.typedefs or found in _RESERVED):
                raise Unsupported("a parenthesised typedef name in a parameter")
            abstract = found is None
        self.name_at = None
        name, mods = self.derivations(abstract, typedef)
        node = typedecl = new_type_decl(name, quals, None, base, None)
        inner = refused = None
        for kind, value in reversed(mods):
            if kind == "*":
                node = new_ptr_decl(value or _NO, node, None)
            elif kind == "[":
                if inner == "(" and refused is None:
                    refused = "declaration of '{}' as array of functions"
                node = new_array_decl(node, value, _NO, None)
            else:
                if (inner == "(" or inner == "[") and refused is None:
                    refused = "'{}' declared as function returning " + ("a function" if inner == "(" else "an array")
                node = new_func_decl(value, node, None)
            inner = kind
        if refused is not None or member and node.__class__ is c_ast.FuncDecl:
            # gcc refuses it, in its words: the converter (at the name) or, where it reads no
            # declaration (a parameter's, a block's), here
            if name is None:
                raise Unsupported("an abstract declarator gcc refuses")
            if refused is not None and (self.block or self.in_params):
                raise Refused(refused.format(name), self.name_at)
            typedecl.coord = TokenCoord(self.text, self.name_at - self.head)
            self.odd_decl = True
        elif name is not None and (base is self.void or base.__class__ is c_ast.IdentifierType and
                                   base.names[0] in self.odd) and (member or len(mods)):
            first = mods[-1][0] if mods else None  # (what the name's type is of the base: an array?)
            self.odd_type(typedecl, name, self.name_at, first == "[")
        return name, node

    def declarator_name(self):
        """The name pycparser's scan finds in the declarator ahead (its stars and parentheses
        skipped), or None: an abstract declarator."""
        toks = self.toks
        j = self.i
        while True:
            t = toks[j]
            if t == "*" or t in _QUALS or t == "(":
                j += 1
            elif t[:1] in _ID_START:
                return t
            else:
                return None

    def derivations(self, abstract: bool, typedef: bool):
        """(name, [(kind, value)] outermost first): kind '*' (the pointer's qualifiers), '['
        (the dimension) or '(' (the ParamList).  Each parenthesised level is read in a loop, not
        a call (its pointers first, kept until its ')'): inwards to the name, then outwards, each
        level's suffixes then its pointers; ``depth`` counts the open levels as the calls did."""
        toks = self.toks
        levels = []  # the pointers of each level the declarator opened, outermost first
        while True:
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise Unsupported("nested deeply")
            stars = self.stars() if toks[self.i] == "*" else _NO
            if toks[self.i] == "(" and (not abstract or toks[self.i + 1] in _SUFFIX_START):
                self.i += 1
                levels.append(stars)
                continue
            break
        name, mods, at = None, [], None
        if not abstract:
            at = self.i
            name = self.name(typedef)
        while True:
            t = toks[self.i]
            while t == "[" or t == "(":
                if t == "[":
                    for d in self.dims():
                        mods.append(("[", d))
                else:
                    self.i += 1
                    t = toks[self.i]
                    if not abstract and t[:1] in _ID_START and t not in _RESERVED and t not in self.typedefs:
                        mods.append(("(", self.identifiers()))
                    else:
                        mods.append(("(", self.params()))
                t = toks[self.i]
            if stars:
                for q in reversed(stars):
                    mods.append(("*", q))
            self.depth -= 1
            if not levels:
                break
            if toks[self.i] != ")":
                raise Unsupported(f"expected ')', not {toks[self.i]!r}")
            self.i += 1
            stars = levels.pop()
        self.name_at = at  # (its parameters' declarators set it too)
        return name, mods

    def identifiers(self):
        """A K&R identifier list, after its '(': pycparser's ParamList of IDs."""
        toks = self.toks
        out = []
        while True:
            out.append(c_ast.ID(self.name()))
            t = toks[self.i]
            self.i += 1
            if t == ")":
                return new_param_list(out)
            if t != ",":
                self.i -= 1  # (at the token)
                raise Unsupported(f"{t!r} in an identifier list")


# a derivation gcc refuses wherever it stands (c-decl.cc, grokdeclarator), in its words: the first
# from the name outwards (pycparser's chain is read from the name outwards)
_REFUSED_DERIVATIONS = {
    (c_ast.FuncDecl, c_ast.FuncDecl): "'{}' declared as function returning a function",
    (c_ast.FuncDecl, c_ast.ArrayDecl): "'{}' declared as function returning an array",
    (c_ast.ArrayDecl, c_ast.FuncDecl): "declaration of '{}' as array of functions",
}


_DERIVED = frozenset((c_ast.PtrDecl, c_ast.ArrayDecl, c_ast.FuncDecl, c_ast.TypeDecl))


def refused_derivation(node):
    """(gcc's words with '{}' for the name, the TypeDecl) where the type chain ``node`` makes a
    function return a function or an array, or an array of functions; else None."""
    outer, found = None, None
    while node is not None and node.__class__ in _DERIVED:
        cls = node.__class__
        if found is None and (outer, cls) in _REFUSED_DERIVATIONS:
            found = _REFUSED_DERIVATIONS[outer, cls]
        if cls is c_ast.TypeDecl:
            break
        outer, node = cls, node.type
    return None if found is None else (found, node)


class Typeof:
    """The base type ``typeof (type name)`` or ``typeof (object)`` gives a declaration where its
    type is laid out (a file-scope object's, a typedef's, a member's): the type name's chain
    (pycparser's, to its TypeDecl), put in place of the declarator's TypeDecl by
    :meth:`TypeofTypes.spliced` (gcc's ``typeof`` names the type as a unit: ``typeof (int *) a, b``
    declares two pointers)."""

    __slots__ = ("chain",)

    def __init__(self, chain):
        self.chain = chain


class TypeofTypes:
    """``typeof`` where a type is laid out (a mixin of :class:`.fastc._Reader`): of a type name, or
    of a name the file declared an object (its declared type); any other expression gives way."""

    def laid_typeof(self) -> Typeof:
        toks = self.toks
        start = self.i
        self.i += 1
        self.expect("(")
        t = toks[self.i]
        if self.starts_type(t):
            chain = self.typename().type
        elif t in self.objects and toks[self.i + 1] == ")":
            chain = self.objects[t]
            self.i += 1
        else:
            self.i = start  # (at the typeof)
            raise Unsupported("typeof of an expression where a type is laid out")
        self.expect(")")
        return Typeof(chain)

    def spliced(self, node):
        """``node`` (a declarator's chain whose TypeDecl holds a :class:`Typeof`) with the
        typeof's chain in place of that TypeDecl: its name, and its qualifiers on the chain's top."""
        parent, inner = None, node
        while inner.__class__ is not c_ast.TypeDecl:
            parent, inner = inner, inner.type
        spine = []
        top = inner.type.chain
        while top.__class__ is not c_ast.TypeDecl:
            spine.append(top)
            top = top.type
        quals = list(inner.quals or ())
        if quals and spine and spine[0].__class__ is not c_ast.PtrDecl:
            raise Unsupported("qualifiers on typeof of an array or a function")
        built = new_type_decl(inner.declname, (list(top.quals or ()) + quals) if not spine else top.quals, None,
                              top.type, inner.coord)
        for k in range(len(spine) - 1, -1, -1):
            n = spine[k]
            cls = n.__class__
            if cls is c_ast.PtrDecl:
                built = new_ptr_decl((list(n.quals or ()) + quals) if k == 0 else n.quals, built, None)
            elif cls is c_ast.ArrayDecl:
                built = new_array_decl(built, n.dim, n.dim_quals, None)
            else:
                built = new_func_decl(n.args, built, None)
        if parent is None:
            return built
        parent.type = built
        return node
