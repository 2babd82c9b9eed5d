"""The fast declaration reader: a top-level declaration's tokens -> its tree node, or None.

The LALR automaton (:mod:`dtracepy.parser`) spends about a microsecond an action: a shift a
token, a reduction a node and one a list element, and its callbacks build each node through
lists, splices and attrs' ``__init__``.  A file of 4 MiB of ``struct sN { int a; char b; };``
(123,000 declarations) took it some 4 of its 7.3 CPU s.  The usual declarations (a struct or
union with members of plain types, a typedef, a variable, a translator whose members are
expressions) are read here instead, by straight-line code over the item's token list, as the
fast clause parser reads clauses: it builds exactly the nodes, positions and values the
automaton's callbacks (``parser._Build``) build, and gives up (None: the automaton reads the
item, and says what is wrong) at anything else: an enum, a function declarator, a bit-field,
parentheses, an array dimension other than a decimal constant or none, a module-scoped name,
a translator whose output type has a declarator, a member expression the fast clause parser
does not read, a syntax error.  tests/test_perf23d.py compares the two on generated and
malformed declarations.

What it reads, in grammar/d.lark's terms::

    declaration: decl_specs declarator_list? SEMI
    decl_specs / spec_qual_list: keywords, TYPE_NAME, struct_spec (any order, as the grammar's)
    struct_spec: (K_STRUCT | K_UNION) tag? (LBRACE field_decl* RBRACE)?
    field_decl: spec_qual_list field_declarator (COMMA field_declarator)* SEMI
    declarator: (STAR type_qual*)* IDENT (LBRACK INTLIT? RBRACK)*
    translator: K_TRANSLATOR spec_qual_list LT decl_specs declarator GT
                LBRACE (member_name ASSIGN expr SEMI)* RBRACE SEMI

The nodes' invariants (``tree`` "Invariants") hold of what it reads without a test: a name is an
``IDENT`` or ``TYPE_NAME`` token, which the lexer makes only of an identifier that is no keyword
(the tokens of module-scoped names are left to the automaton), a specifier word is a keyword
token's, of the grammar's type specifiers, qualifiers and storage classes (all in
``tree.SPECIFIER_WORDS``), a struct's kind is ``struct`` or ``union``; an integer constant and a
translator member's expression are built by their classes' own code, which tests them.
"""

from __future__ import annotations

from operator import itemgetter

from dtracepy import tree
from dtracepy.errors import DSyntaxError

# grammar/d.lark's type_spec keywords, type_qual and storage: the words a specifier list holds
_TYPE_WORDS = frozenset(("K_VOID", "K_CHAR", "K_SHORT", "K_INT", "K_LONG", "K_FLOAT", "K_DOUBLE",
                         "K_SIGNED", "K_UNSIGNED", "K_STRING"))
_QUALIFIERS = frozenset(("K_CONST", "K_VOLATILE", "K_RESTRICT", "K_USERLAND"))
_STORAGE = frozenset(("K_TYPEDEF", "K_EXTERN", "K_STATIC", "K_REGISTER", "K_AUTO", "K_SELF", "K_THIS"))
_FIELD_WORDS = _TYPE_WORDS | _QUALIFIERS  # (spec_qual_list)
_DECL_WORDS = _FIELD_WORDS | _STORAGE  # (decl_specs)
#: The first tokens of the items this reader may read (any other item is not a declaration of it).
STARTS = _DECL_WORDS | {"TYPE_NAME", "K_STRUCT", "K_UNION", "K_TRANSLATOR"}
#: The automaton's symbol of each kind of node read (the goto pushed in its place: see parser._drive).
SYMBOLS = {tree.Declaration: "declaration", tree.Translator: "translator"}


class _GiveUp(Exception):
    """The automaton reads this item."""


def reader(pos_at, expression):
    """A function: a top-level item's token list (its first token's type in :data:`STARTS`) ->
    its :class:`tree.Declaration` or :class:`tree.Translator`, or None to leave it to the
    automaton.  ``pos_at`` maps a token's offset to what a node stores as its position (the
    lexer's ``offset_function``); ``expression(tokens, kinds, i)``: the fast clause parser's
    expression at ``tokens[i]`` and the index after it, or None (see parser._clause_parser)."""
    builder = tree.builder
    Declaration, StructSpec, FieldDecl, FieldDeclarator = \
        tree.Declaration, tree.StructSpec, tree.FieldDecl, tree.FieldDeclarator
    NameDecl, PointerDecl, ArrayDecl, TypeRef = tree.NameDecl, tree.PointerDecl, tree.ArrayDecl, tree.TypeRef
    TypeName, Translator, TranslatorMember, IntLit = tree.TypeName, tree.Translator, tree.TranslatorMember, tree.IntLit
    # (made as builders, as the fast clause parser makes its common nodes: see tree.builder; the
    # classes' invariants hold of what is read here: see the module's docstring)
    DeclarationB, StructSpecB, FieldDeclB, FieldDeclaratorB, NameDeclB = (
        builder(Declaration), builder(StructSpec), builder(FieldDecl), builder(FieldDeclarator), builder(NameDecl))
    field_words, decl_words, qualifiers = _FIELD_WORDS, _DECL_WORDS, _QUALIFIERS
    kind_of = itemgetter(0)

    def specifiers(toks, i, words):
        """A specifier list from ``toks[i]``: its values (words and nodes) and the index after it."""
        specs = []
        while True:
            tok = toks[i]
            kind = tok[0]
            if kind in words:
                specs.append(tok[1])
                i += 1
            elif kind == "TYPE_NAME":
                if "`" in tok[1]:
                    raise _GiveUp
                specs.append(TypeRef(tok[1], None, pos=pos_at(tok[2])))
                i += 1
            elif kind == "K_STRUCT" or kind == "K_UNION":
                node, i = struct(toks, i)
                specs.append(node)
            else:
                if not specs:
                    raise _GiveUp
                return specs, i

    def struct(toks, i):
        tok = toks[i]
        at = pos_at(tok[2])
        i += 1
        name = None
        tag = toks[i]
        if tag[0] == "IDENT" or tag[0] == "TYPE_NAME":
            name = tag[1]
            if "`" in name:
                raise _GiveUp
            i += 1
        elif tag[0] != "LBRACE":
            raise _GiveUp
        members = None
        if toks[i][0] == "LBRACE":
            i += 1
            members = []
            while toks[i][0] != "RBRACE":
                member, i = field(toks, i)
                members.append(member)
            i += 1
            members = tuple(members)
        node = StructSpecB()
        node.pos = at
        node.kind = tok[1]
        node.name = name
        node.members = members
        node.__class__ = StructSpec
        return node, i

    def field(toks, i):
        start = toks[i]
        specs, i = specifiers(toks, i, field_words)
        decls = []
        while True:
            decl, i, _ = declarator(toks, i, False)
            node = FieldDeclaratorB()
            node.pos = decl._at
            node.declarator = decl
            node.width = None
            node.__class__ = FieldDeclarator
            decls.append(node)
            if toks[i][0] != "COMMA":
                break
            i += 1
        if toks[i][0] != "SEMI":
            raise _GiveUp
        node = FieldDeclB()
        node.pos = pos_at(start[2])
        node.specifiers = tuple(specs)
        node.declarators = tuple(decls)
        node.__class__ = FieldDecl
        return node, i + 1

    def declarator(toks, i, strip):
        """A declarator from ``toks[i]``, the index after it and its name; with ``strip``, its
        name left out (``NameDecl(None)`` where it stands: a translator's input)."""
        groups = []
        star_at = None
        while toks[i][0] == "STAR":
            if star_at is None:
                star_at = pos_at(toks[i][2])
            i += 1
            quals = []
            while toks[i][0] in qualifiers:
                quals.append(toks[i][1])
                i += 1
            groups.append(tuple(quals))
        tok = toks[i]
        if tok[0] != "IDENT":
            raise _GiveUp
        name = tok[1]
        decl = NameDeclB()
        decl.pos = name_at = pos_at(tok[2])
        decl.name = None if strip else name
        decl.__class__ = NameDecl
        i += 1
        while toks[i][0] == "LBRACK":
            dim = toks[i + 1]
            if dim[0] == "RBRACK":
                dims = ()
                i += 2
            elif dim[0] == "INTLIT" and toks[i + 2][0] == "RBRACK":
                dims = (IntLit(dim[1], pos=pos_at(dim[2])),)
                i += 3
            else:
                raise _GiveUp
            decl = ArrayDecl(decl, dims, pos=name_at)
        for quals in reversed(groups):  # (the innermost, the last '*', first: as parser._Build.pointer)
            decl = PointerDecl(decl, quals, pos=star_at)
        return decl, i, name

    def declarators(toks, i):
        decls = []
        while True:
            decl, i, _ = declarator(toks, i, False)
            decls.append(decl)
            if toks[i][0] != "COMMA":
                return decls, i
            i += 1

    def translator(toks):
        at = pos_at(toks[0][2])
        out_specs, i = specifiers(toks, 1, field_words)
        if toks[i][0] != "LT":  # (an abstract declarator, or not a translator: the automaton's)
            raise _GiveUp
        out_at = pos_at(toks[1][2])
        output = TypeName(tuple(out_specs), NameDecl(None, pos=out_at), pos=out_at)
        in_at = pos_at(toks[i + 1][2])
        in_specs, i = specifiers(toks, i + 1, decl_words)
        decl, i, name = declarator(toks, i, True)
        if toks[i][0] != "GT" or toks[i + 1][0] != "LBRACE":
            raise _GiveUp
        i += 2
        kinds = list(map(kind_of, toks))
        kinds.append("$END")
        members = []
        while toks[i][0] != "RBRACE":
            tok = toks[i]
            if (tok[0] != "IDENT" and tok[0] != "TYPE_NAME") or "`" in tok[1] or kinds[i + 1] != "ASSIGN":
                raise _GiveUp
            got = expression(toks, kinds, i + 2)
            if got is None:
                raise _GiveUp
            value, i = got
            if kinds[i] != "SEMI":
                raise _GiveUp
            members.append(TranslatorMember(tok[1], value, pos=pos_at(tok[2])))
            i += 1
        if kinds[i + 1] != "SEMI" or i + 2 != len(toks):
            raise _GiveUp
        return Translator(output, TypeName(tuple(in_specs), decl, pos=in_at), name, tuple(members), pos=at)

    def declaration(toks):
        try:
            if toks[0][0] == "K_TRANSLATOR":
                return translator(toks)
            specs, i = specifiers(toks, 0, decl_words)
            decls = ()
            if toks[i][0] != "SEMI":
                decls, i = declarators(toks, i)
            if toks[i][0] != "SEMI" or i + 1 != len(toks):
                return None
            node = DeclarationB()
            node.pos = pos_at(toks[0][2])
            node.specifiers = tuple(specs)
            node.declarators = tuple(decls)
            node.__class__ = Declaration
            return node
        except (_GiveUp, IndexError, RecursionError, DSyntaxError):
            return None

    return declaration
