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

from dtracepy.layout.fastc_lex import Unsupported, _ID_START, _MAX_DEPTH, _NO, _QUALS, _RESERVED

_SUFFIX_START = ("*", "(", "[")


class Declarators:
    """:meth:`general_declarator`: any declarator, named or abstract, as pycparser builds it."""

    def general_declarator(self, base, quals, abstract: bool, typedef: bool = False, param: bool = False):
        """(name, type chain) of the declarator at the reader's position.  ``abstract``: a type
        name's (no name); ``param``: a parameter's (named or abstract, as pycparser's scan of it
        decides)."""
        if param:
            found = self.declarator_name()
            if found is not None and (found in self.typedefs or found in _RESERVED):
                raise Unsupported("a parenthesised typedef name in a parameter")
            abstract = found is None
        name, mods = self.derivations(abstract, typedef)
        node = c_ast.TypeDecl(name, quals, None, base, None, attributes=_NO)
        inner = None
        PtrDecl, ArrayDecl = c_ast.PtrDecl, c_ast.ArrayDecl
        for kind, value in reversed(mods):
            if kind == "*":
                node = PtrDecl(value or _NO, node, None, attributes=_NO)
            elif kind == "[":
                if inner == "(":
                    raise Unsupported("an array of functions")
                node = ArrayDecl(node, value, _NO, None, attributes=_NO)
            else:
                if inner == "(" or inner == "[":
                    raise Unsupported("a function returning a function or an array")
                node = c_ast.FuncDecl(value, node, None, attributes=_NO)
            inner = kind
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
        (the dimension) or '(' (the ParamList)."""
        toks = self.toks
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise Unsupported("nested deeply")
        stars = self.stars() if toks[self.i] == "*" else _NO
        t = toks[self.i]
        name, mods = None, []
        if t == "(" and (not abstract or toks[self.i + 1] in _SUFFIX_START):
            self.i += 1
            name, mods = self.derivations(abstract, typedef)
            if toks[self.i] != ")":
                raise Unsupported(f"expected ')', not {toks[self.i]!r}")
            self.i += 1
        elif not abstract:
            name = self.name(typedef)
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
                return c_ast.ParamList(out)
            if t != ",":
                self.i -= 1  # (at the token)
                raise Unsupported(f"{t!r} in an identifier list")
