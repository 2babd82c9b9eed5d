"""A fast reader for the C that ``layout`` reads, with pycparser behind it.

pycparser reads 60-100k tokens a second and keeps about 300 bytes a token: a struct of 300,000
members took 20 s and 580 MB.  This reader takes the common subset of C headers -- typedefs,
struct, union and enum definitions (nested, anonymous), bit-fields, arrays, pointers, pointers to
functions, declarators of any shape (:mod:`.fastc_decl`), the integer and floating types,
``const``/``volatile``, and the integer constant expressions the layout engine evaluates -- and
builds the same pycparser ``c_ast`` nodes that pycparser would, so the rest of ``layout`` does not
know which reader read the text.  Functions' definitions (K&R's too) are read and left out, their
bodies checked against pycparser's grammar (:mod:`.fastc_body`: GNU statement expressions,
compound literals, ``register``, typedefs scoped to their block).

The lexer is one compiled regular expression (``findall``: a list of token strings); the parser is
recursive descent, with loops instead of recursion for binary operator chains (operator
precedence with explicit stacks), pointer stars and array dimensions, and a depth limit where it
does recurse (parentheses, nested records, ternaries) or pycparser does (prefix operators, casts
and type names count too): deeper, pycparser's path decides, and refuses as it always did.  Positions are kept only where ``layout`` needs them
on the way to a result: each ``struct``/``union`` (its tag or ``{``, the key of the attributes the
prepass found) and whether a typedef is the prelude's.

Whatever it does not know -- any other token, keyword, directive or form, a name it would have to
treat as pycparser's scopes do (a typedef name declared again) -- raises :class:`Unsupported`,
and the caller parses the whole text with pycparser (a small one: a large one is refused there,
at the token where the reader gave way), so every message, location and refusal is pycparser's
path's.  The reader reports one kind of error itself (:class:`Refused`): what gcc refuses in a
``for``'s declaration (a typedef, a tag, a static object), which pycparser takes.
"""

from __future__ import annotations

from pycparser import c_ast
from pycparser.c_parser import Coord

from dtracepy.layout.fastc_body import Bodies
from dtracepy.layout.fastc_const import Constants
from dtracepy.layout.fastc_decl import Declarators, Typeof, TypeofTypes, refused_derivation
from dtracepy.layout.fastc_nodes import (new_array_decl, new_constant, new_decl, new_func_decl, new_param_list,
                                         new_ptr_decl, new_record, new_type_decl, new_typename)
from dtracepy.layout.fastc_lex import (Refused, TokenCoord, Unsupported, _ASSERTS, _BASE, _ID_START, _INTEGER, _LINE_MARKER,
                                       _MAX_DEPTH,
                                       _NO, _QUALS, _record_positions, _RESERVED, _STORAGE, _STRING, _tokens,
                                       _TYPEOF, token_place)  # (token_place: cparse's, through here)


class _Reader(Bodies, Constants, Declarators, TypeofTypes):
    def __init__(self, toks: list[str], records: list, prelude_end: int, builtin: Coord, user: Coord,
                 asserts: list = _NO):
        self.toks = toks + ["", "", ""]
        self.i = 0
        self.records = records
        self.record_index = 0
        self.asserts = asserts  # ('_Static_assert', its Coord, its expression's) of each, in order
        self.assert_index = 0
        self.prelude_end = prelude_end
        self.builtin, self.user = builtin, user
        self.typedefs: set[str] = set()
        self.ordinary: set[str] = set()  # enumerators and objects: pycparser's non-type names
        self.storage = None  # the storage class the last specifiers gave ([extern] or [static])
        self.thread = self.noreturn = False  # whether they gave _Thread_local, _Noreturn
        self.align = _NO  # the _Alignas specifiers they gave (a member's or a file-scope object's)
        self.depth = 0
        self.block = 0  # inside a function's body (its declarations are the block's)
        self.scopes: list[list] = []  # the typedef names each open block declared, and (name,)
        # for each typedef name it declared an object or a parameter of (visible again at its end)
        self.locals: set = set()  # the parameters of the function whose body is read
        self.declared = None  # in a for's declaration: (kind, name, token) of each name it declares
        self.tags: set = set()  # the tags of records and enums declared at file scope
        self.types: dict[tuple, c_ast.IdentifierType] = {}  # shared: the converter only reads them
        self.void = self.identifier_type(("void",))
        # the typedef names of a void or a function type (an array of one, a member of one: gcc
        # refuses them), both sets
        self.voids: set = set()
        self.functions: set = set()
        self.odd: set = set()
        self.in_params = 0  # inside a parameter's declarator
        self.odd_decl = False  # the last declarator is one the converter refuses (placed: keep it)
        self.param_align = False  # the last declarator's parameters have _Alignas (gcc refuses it)
        self.kr = False  # reading a K&R definition's declarations of its parameters
        self.stray = None  # (name, its token) of the last of them that declares no parameter of the list
        self.kr_names: set = set()  # the names they declared so far (gcc refuses one declared twice)
        self.body_names: set = set()  # the names the function's body (or parameters) declares
        self.body_asserts: list = []  # its _Static_asserts the converter evaluates (after it)
        self.objects: dict = {}  # each file-scope object's name -> its declared type (typeof (name))
        self.typedef_alignas: dict = {}  # id(Typedef) -> its _Alignas (Prepassed.typedef_alignas)
        self.text, self.head = "", 0  # the text and the prelude's tokens (a token's place: TokenCoord)

    # -- helpers ------------------------------------------------------------------------------

    def expect(self, tok: str):
        if self.toks[self.i] != tok:
            raise Unsupported(f"expected {tok!r}, not {self.toks[self.i]!r}")
        self.i += 1

    def name(self, typedef: bool = False) -> str:
        """A declared name: an identifier, not a keyword, not a typedef name (but where a
        ``typedef`` declares one again: C11 allows it, as the same type, which the converter checks)."""
        t = self.toks[self.i]
        if t[:1] not in _ID_START or t in _RESERVED or (t in self.typedefs and not typedef):
            raise Unsupported(f"name {t!r}")
        self.i += 1
        return t

    def starts_type(self, t: str) -> bool:
        return t in _BASE or t in _QUALS or t in ("struct", "union", "enum") or t in self.typedefs or \
            t in _TYPEOF or t == "__auto_type"

    # -- declarations -------------------------------------------------------------------------

    def read(self) -> c_ast.FileAST:
        ext = []
        toks = self.toks
        while toks[self.i] != "":
            ext.extend(self.declaration(False))
        if self.record_index != len(self.records) or self.assert_index != len(self.asserts):
            raise Unsupported("records or assertions not met")
        return c_ast.FileAST(ext)

    def specifiers(self, storage: bool, register: bool = False):
        """(typedef?, qualifiers, base type node) of a declaration's specifiers; ``register`` is
        taken in a block's declaration and a parameter's (``register``: a parameter's)."""
        toks = self.toks
        t = toks[self.i]
        if t in _BASE:
            after = toks[self.i + 1]
            if after not in _SPECIFIER_WORDS and after not in self.typedefs:
                # the common specifiers, one word (int, long): what the loop below gives them
                self.i += 1
                self.storage = None
                self.thread = self.noreturn = False
                self.align = _NO
                return False, [], (self.types.get((t,)) or self.identifier_type((t,)))
        quals, names, node, typedef = [], [], None, False
        kept = None  # a storage class (read after the specifiers: a record's members reset it)
        thread = noreturn = False  # _Thread_local (a file-scope object's), _Noreturn (a function's)
        align = []  # _Alignas (alignas21: the converter applies and checks it; refused: pycparser's path)
        typedefs = self.typedefs
        while True:
            t = toks[self.i]
            if t not in _SPECIFIER_WORDS and t not in typedefs:
                break  # (what every test below would give: the declarator's first token, mostly)
            if t == "_Alignas" and not self.block:  # (a parameter's: the converter refuses it, placed)
                coord = TokenCoord(self.text, self.i - self.head)
                self.i += 1
                self.expect("(")
                align.append(c_ast.Alignas(self.typename() if self.starts_type(toks[self.i]) else self.expr(), coord))
                self.expect(")")
                continue
            if t in _BASE:
                if node is not None:
                    raise Unsupported("two types")
                names.append(t)
            elif t in _QUALS:
                quals.append(t)
            elif t == "struct" or t == "union" or t == "enum":
                if names or node is not None:
                    raise Unsupported("two types")
                node = self.record() if t != "enum" else self.enum()
                continue
            elif t == "typedef" and storage and not typedef and kept is None and not (thread or noreturn):
                typedef = True
            elif t == "_Thread_local" and storage and typedef or t == "typedef" and storage and thread:
                raise Refused("'_Thread_local' used with 'typedef'", self.i, input_location=True)
            elif t == "_Thread_local" and kept == ["auto"] or t == "auto" and thread and (storage or register):
                raise Refused("'_Thread_local' used with 'auto'", self.i, input_location=True)
            elif (t == "extern" or t == "static") and storage and not typedef and (kept is None or kept == [
                    "_Thread_local"]):
                kept = (kept or []) + [t]  # (a file-scope object's or function's: the layout reads neither)
            elif (t == "register" and (register or storage and self.block) or t == "auto" and (register or storage)) \
                    and not typedef and kept is None:
                kept = [t]  # (auto: a block's object's; at file scope or on a parameter gcc refuses it, at
                # the name: storage_refusal(), params())
            elif t == "_Thread_local" and (storage or register) and not typedef and not thread and (
                    kept is None or kept == ["static"] or kept == ["extern"]):
                thread = True  # (its object is laid out as any other; gcc refuses it on a function, on
                kept = (kept or []) + [t]  # a parameter, on a block's object neither static nor extern)
            elif t == "_Noreturn" and storage and not typedef:
                noreturn = True  # (a function specifier: no layout; gcc takes it on an object, warning)
            elif t in self.typedefs:
                if names or node is not None:  # pycparser: the declarator (T T)
                    break
                node = self.identifier_type((t,))
            elif t in _TYPEOF and not self.block:  # (a type laid out: of a type name or an object)
                if names or node is not None:
                    raise Unsupported("two types")
                node = self.laid_typeof()
                continue
            elif t in _TYPEOF or t == "__auto_type":
                if names or node is not None or not self.block:  # (only a function's body: none laid out)
                    raise Unsupported(f"{t} where a type is laid out")
                if t == "__auto_type":  # (its declaration's one name is initialised: declaration())
                    node = self.identifier_type((t,))
                    self.i += 1
                else:
                    node = self.typeof()
                continue
            else:
                break
            self.i += 1
        if names:
            node = self.identifier_type(tuple(names))
        elif node is None:
            raise Unsupported("no type")
        self.storage = kept
        self.thread, self.noreturn = thread, noreturn
        self.align = align or _NO
        return typedef, quals, node

    def identifier_type(self, names: tuple) -> c_ast.IdentifierType:
        """The IdentifierType of ``names``, one a header (the hot paths look it up in ``types``
        first: a call each was 700 machine instructions)."""
        node = self.types.get(names)
        if node is None:
            node = self.types[names] = c_ast.IdentifierType(list(names))
        return node

    def declaration(self, member: bool) -> list:
        toks = self.toks
        start = self.i
        if toks[start] == "_Static_assert" and not self.block:  # (a function's: pycparser's path)
            return [self.static_assert()]
        typedef, quals, base = self.specifiers(not member)
        thread, align = self.thread, self.align  # (a parameter's specifiers reset them)
        if typedef and self.block and not self.scopes and not self.kr:  # (a for's: not kept here)
            raise Unsupported("a typedef outside a block")
        storage = self.storage
        if toks[self.i] == ";":
            self.i += 1
            if typedef or storage or self.noreturn or not isinstance(base, (c_ast.Struct, c_ast.Union, c_ast.Enum)) \
                    or align and not member:
                raise Unsupported("a declaration that declares nothing")
            return [new_decl(None, quals, align or [], [], [], base, None, None, base.coord)]
        out = []
        names = []
        hidden = []  # (name, the token after its declarator) of each typedef name declared an object
        first = True
        auto = base is self.types.get(_AUTO_TYPE)  # (the node specifiers() gave an __auto_type)
        shadow = self.block and not typedef and not member
        while True:
            at = self.i
            self.odd_decl = self.param_align = False
            name, decl, bits = self.declarator(base, quals, member, typedef=typedef and not self.block,
                                               shadow=shadow)
            if base.__class__ is Typeof:
                decl = self.spliced(decl)
            if self.declared is not None:  # (a for's: what gcc refuses there is found by the kind)
                at = toks.index(name, at, self.i) if name in toks[at:self.i] else at
                kind = "typedef" if typedef else "function" if decl.__class__ is c_ast.FuncDecl else \
                    "static" if "static" in (storage or ()) else "extern" if "extern" in (storage or ()) else None
                if kind is not None:
                    self.declared.append((kind, name, at))
            if self.block:
                self.body_names.add(name)
            if shadow and name in self.typedefs:  # (hidden from here on: gcc's scope begins at the
                hidden.append((name, self.i))  # declarator's end, so its initializer sees the object)
                self.hide(name)
            if auto and (
                    decl.__class__ is not c_ast.TypeDecl or toks[self.i] != "=" or hidden):
                raise Unsupported("__auto_type without one initialised name")
            placed = None
            if align and name is not None:  # (placed at its name, where the converter refuses it: gcc's
                placed = TokenCoord(self.text, self.name_at - self.head)  # place)
                if decl.__class__ is c_ast.FuncDecl:
                    self.odd_decl = True  # (kept: gcc refuses it on a function)
            if self.param_align:  # (on a parameter of a function declared here: kept, the converter refuses it)
                if member or typedef or self.block or decl.__class__ is not c_ast.FuncDecl:
                    raise Unsupported("_Alignas on a parameter of other than a function declared")
                self.odd_decl = True
            defining = first and not member and not typedef and not self.block and decl.__class__ is c_ast.FuncDecl \
                and (toks[self.i] == "{" or self.starts_declaration(toks[self.i]))
            if (storage or typedef and self.kr) and not member:
                refusal = self.storage_refusal(name, decl, typedef, storage, thread, defining)
                if refusal is not None:
                    raise Refused(refusal, self.name_at)
            if self.kr:
                if toks[self.i] == "=":  # (gcc: as the '=' is read, at its input_location then)
                    raise Refused(f"parameter '{name}' is initialized", self.i, input_location=True)
                if name in self.kr_names:  # (int a; int a;: at the second, as gcc)
                    raise Refused(f"redefinition of parameter '{name}'", self.name_at)
                self.kr_names.add(name)
                if name not in self.locals:  # (f(a) int b; or f() int b;: refused at the list's end)
                    self.stray = (name, self.name_at)
            if defining:
                refused = self.odd_decl and refused_derivation(decl)
                if refused:  # (gcc refuses it)
                    raise Refused(refused[0].format(name), self.name_at)
                # a function's definition (a header's static inline one, a K&R one): read, and the
                # function left out (pycparser's FuncDef: the layout reads none), but where it or a
                # parameter has _Alignas (a declaration of it kept: the converter refuses it)
                if self.odd_decl:
                    out.append(new_decl(name, quals, align, storage or _NO, _NO, decl, None, None, placed))
                self.definition(decl)
                self.ordinary.add(name)
                out.extend(self.body_asserts)  # (evaluated where the function stands)
                self.body_asserts = []
                return out
            first = False
            if typedef:
                if name in self.ordinary or name in self.locals:  # (a block's typedef: a new name only)
                    raise Unsupported("a typedef of a name in use")
                if decl.__class__ is c_ast.FuncDecl or decl.__class__ is c_ast.TypeDecl and (
                        base is self.void or base.__class__ is c_ast.IdentifierType and base.names[0] in self.odd):
                    kind = self.functions if decl.__class__ is c_ast.FuncDecl or base.names[0] in self.functions \
                        else self.voids
                    kind.add(name)
                    self.odd.add(name)
                out.append(c_ast.Typedef(name, quals, ["typedef"], decl, placed or (
                    self.builtin if start < self.prelude_end else self.user)))
                if align:  # (gcc refuses it: the converter, as on pycparser's path, Prepassed.typedef_alignas)
                    self.typedef_alignas[id(out[-1])] = align
                names.append(name)
            else:
                init = None
                if toks[self.i] == "=" and not member and not isinstance(decl, c_ast.FuncDecl):
                    self.i += 1
                    self.initializer()  # (read, and left out: the layout reads no initializer)
                if not isinstance(decl, c_ast.FuncDecl) or self.odd_decl:  # (a function's is read, and
                    # left out: the layout reads none, and 50,000 of them held 150 MB; but one the
                    # converter refuses)
                    out.append(new_decl(name, quals, align, storage or _NO, _NO, decl, init, bits, placed))
                if not member:
                    self.ordinary.add(name)
                    if not self.block and decl.__class__ is not c_ast.FuncDecl:
                        self.objects[name] = decl
            t = toks[self.i]
            self.i += 1
            if t == ";":
                break
            if t != "," or auto:  # (gcc: __auto_type declares one)
                self.i -= 1  # (at the token)
                raise Unsupported(f"{t!r} after a declarator")
        self.typedefs.update(names)
        if self.block and names:
            self.scopes[-1].extend(names)  # (out of scope at the block's end)
        return out

    def storage_refusal(self, name: str, decl, typedef: bool, storage, thread: bool, defining: bool):
        """gcc's refusal of the declaration of ``name`` (``decl``) for its storage class (or
        ``typedef``), in its words; None where gcc takes it (the reader's subset: Unsupported where
        it does not know)."""
        if self.kr:  # (a K&R parameter's declaration)
            if typedef or storage != ["register"]:
                return f"storage class specified for parameter '{name}'"
            return None
        if not self.block:
            if "auto" in storage:
                if defining:  # (gcc takes it)
                    raise Unsupported("an auto function's definition")
                return f"file-scope declaration of '{name}' specifies 'auto'"
            if thread and decl.__class__ is c_ast.FuncDecl:
                return (f"function definition declared '_Thread_local'" if defining else
                        f"invalid storage class for function '{name}'")
            return None
        if thread:
            if "static" not in storage and "extern" not in storage:
                return f"function-scope '{name}' implicitly auto and declared '_Thread_local'"
            if decl.__class__ is c_ast.FuncDecl:
                return f"invalid storage class for function '{name}'"
        return None

    def odd_type(self, typedecl, name: str, at: int, array: bool):
        """A declarator of ``name`` (its token ``at``) whose base is ``void`` or a typedef name of a
        void or function type: placed, for the converter's refusal of a member or an array of it (in
        gcc's words, at the name); an array of it in a parameter or a block (which the converter
        does not read) refused here."""
        base = typedecl.type
        if array and (self.block or self.in_params) and (base is self.void or base.names[0] in self.voids
                                                         or base.names[0] in self.functions):
            what = "functions" if base is not self.void and base.names[0] in self.functions else "voids"
            raise Refused(f"declaration of '{name}' as array of {what}", at)
        typedecl.coord = TokenCoord(self.text, at - self.head)

    def hide(self, name: str):
        """A typedef name declared an object of the innermost block: an ordinary name from the end
        of its declarator (gcc's scope: pycparser's begins at the ';', where the two differ
        pycparser's path reads it wrongly) to the block's end; but where the block declared the
        typedef itself (both refuse)."""
        if not self.scopes or name in self.scopes[-1]:
            raise Unsupported(f"{name!r} declared again in its own block")
        self.typedefs.discard(name)
        self.scopes[-1].append((name,))

    def body_assert(self):
        """A ``_Static_assert`` in a function's body: evaluated by the converter after the function
        (its place kept) where its expression names only what the file declares (a name the body
        or the parameters declare: pycparser's path, which reads the blocks' scopes)."""
        start = self.i
        node = self.static_assert()
        for k in range(start + 2, self.i):
            t = self.toks[k]
            if t[:1] in _ID_START and t not in _RESERVED and t in self.body_names and \
                    self.toks[k - 1] != "." and self.toks[k - 1] != "->":
                self.i = k
                raise Unsupported(f"a _Static_assert naming {t!r}, which the function declares")
        self.body_asserts.append(node)

    def static_assert(self) -> c_ast.StaticAssert:
        """``_Static_assert(expr[, "message" ...]);`` (the converter evaluates it), at the place
        the scan found for it: pycparser's (the keyword), and its expression's where the scan saw
        it start on the keyword's line (pycparser's, but for a parenthesis first)."""
        toks = self.toks
        if self.assert_index >= len(self.asserts) or self.asserts[self.assert_index][1] is None:
            raise Unsupported("an assertion the scan did not see")
        _, coord, at = self.asserts[self.assert_index]
        self.assert_index += 1
        self.i += 1
        self.expect("(")
        cond = self.expr()
        if at is not None and cond.coord is None:
            cond.coord = at
        message = None
        if toks[self.i] == ",":
            self.i += 1
            parts = []
            while toks[self.i][:1] == '"':
                if not _STRING.fullmatch(toks[self.i]):
                    raise Unsupported("an escape in a string")
                parts.append(toks[self.i][1:-1])
                self.i += 1
            if not parts:
                raise Unsupported("an assertion's message that is no string")
            message = new_constant("string", f'"{"".join(parts)}"')
        self.expect(")")
        self.expect(";")
        return c_ast.StaticAssert(cond, message, coord)

    def starts_declaration(self, t: str) -> bool:
        return t in _STORAGE or t == "register" or t == "auto" or t == "_Thread_local" or self.starts_type(t)

    def definition(self, decl: c_ast.FuncDecl):
        """A function's definition after its declarator: a K&R definition's declarations of its
        parameters, then its body; the parameters are the outermost block's names (pycparser's
        scope), none of which a typedef there may declare again; a parameter named as a typedef
        hides it there."""
        toks = self.toks
        params = decl.args.params if decl.args is not None else ()
        self.locals = {getattr(p, "name", None) for p in params}
        self.body_names = set(self.locals)
        hidden = [name for name in self.locals if name in self.typedefs]
        self.typedefs.difference_update(hidden)
        self.block += 1
        if toks[self.i] != "{":
            at = self.name_at  # (the function's name)
            self.kr = True  # (what gcc refuses there: storage_refusal(), a name not in the list: declaration())
            self.stray = None
            self.kr_names = set()
            while toks[self.i] != "{":
                if not self.starts_declaration(toks[self.i]):
                    raise Unsupported("a K&R parameter's declaration")
                self.declaration(False)
            self.kr = False
            # gcc's words, after what it refuses in the declarations: at the function's name, or at
            # the last name the list does not hold (gcc reports them last first); (a prototype's
            # typedef name declared again there gives way: pycparser's path refuses it so)
            if params and params[0].__class__ is not c_ast.ID:
                raise Refused("old-style parameter declarations in prototyped function definition", at)
            if self.stray is not None:
                raise Refused(f"declaration for parameter '{self.stray[0]}' but no such parameter", self.stray[1])
        self.compound()
        self.block -= 1
        self.locals = set()
        self.typedefs.update(hidden)

    def stars(self) -> list:
        toks = self.toks
        i = self.i  # (kept here: the sentinels end the text with "", neither a star nor a qualifier)
        out = []
        while toks[i] == "*":
            i += 1
            q = None
            while toks[i] in _QUALS:
                q = (q or []) + [toks[i]]
                i += 1
            out.append(q)
        self.i = i
        return out

    def dims(self) -> list:
        toks = self.toks
        out = []
        while toks[self.i] == "[":
            i = self.i + 1
            t = toks[i]
            if t == "]":
                out.append(None)
                self.i = i + 1
            elif toks[i + 1] == "]" and t[:1].isdigit() and _INTEGER.fullmatch(t):
                out.append(new_constant("int", t))  # (a literal: what expr() gives it)
                self.i = i + 2
            else:
                self.i = i
                out.append(self.expr())
                self.expect("]")
        return out

    def declarator(self, base, quals, member: bool, abstract: bool = False, typedef: bool = False,
                   param: bool = False, shadow: bool = False):
        """(name, type chain, bit-field width) of one declarator, pycparser's shape: the array
        dimensions outermost, then the pointers, then the TypeDecl holding the base type.  A
        parameter's (``param``) may be abstract; its name, and a block's object's (``shadow``),
        may be a typedef name where it is not in parentheses (the caller hides the typedef)."""
        toks = self.toks
        start, records = self.i, self.record_index
        stars = self.stars() if toks[self.i] == "*" else _NO
        params = inner_stars = inner_dims = name_at = None
        function = to_array = False
        name = None
        t = toks[self.i]
        if t == "(" and (abstract or toks[self.i + 1] != "*" or not self.pointer_declarator_ahead(param)):
            # (below, a "(" without a star gives way; so does one the general path reads anyway)
            return self.other_declarator(start, records, base, quals, member, abstract, typedef, param)
        if t == "(":
            # a pointer to a function: (*name[dims])(params); any other shape: other_declarator
            self.i += 1
            inner_stars = self.stars()
            if not inner_stars or (toks[self.i][:1] not in _ID_START and not (param and toks[self.i] == ")")):
                return self.other_declarator(start, records, base, quals, member, abstract, typedef, param)
            if not param or toks[self.i] != ")":
                name_at = self.name_at = self.i
                name = self.name(typedef)
            inner_dims = self.dims()
            if toks[self.i] != ")" or toks[self.i + 1] not in ("[", "("):
                return self.other_declarator(start, records, base, quals, member, abstract, typedef, param)
            self.i += 1
            if toks[self.i] == "[":  # a pointer to an array: (*name[dims])[dims]
                to_array = True
            else:
                self.i += 1
                params = self.params()
                function = True
                if toks[self.i] == "(" or toks[self.i] == "[":  # (returning a function or an array: gcc refuses it)
                    return self.other_declarator(start, records, base, quals, member, abstract, typedef, param)
        elif t[:1] in _ID_START and not abstract:
            name_at = self.name_at = self.i
            name = self.name(typedef or shadow or param)
            if toks[self.i] == "(":  # a function: headers declare them beside their types
                if member:  # (gcc refuses it: the converter, in its words)
                    return self.other_declarator(start, records, base, quals, member, abstract, typedef, param)
                self.i += 1
                t = toks[self.i]
                params = self.identifiers() if t[:1] in _ID_START and t not in _RESERVED and \
                    t not in self.typedefs else self.params()  # (K&R's f(a, b), or a prototype)
                function = True
                inner_stars = inner_dims = _NO
                if toks[self.i] == "(" or toks[self.i] == "[":  # (returning a function or an array)
                    return self.other_declarator(start, records, base, quals, member, abstract, typedef, param)
        elif not (abstract or param or (member and t == ":" and not stars)):
            raise Unsupported(f"declarator {t!r}")
        dims = self.dims() if toks[self.i] == "[" else _NO
        if dims and toks[self.i] == "(":  # (an array of functions: gcc refuses it)
            return self.other_declarator(start, records, base, quals, member, abstract, typedef, param)
        bits = None
        if member and toks[self.i] == ":":
            self.i += 1
            bits = self.expr()
        if function:
            self.name_at = name_at  # (its parameters' declarators set it too)
        node = new_type_decl(name, quals, None, base, None)
        if (base is self.void or base.__class__ is c_ast.IdentifierType and base.names[0] in self.odd) \
                and (member or dims or to_array) and name is not None:
            self.odd_type(node, name, name_at, not stars and (dims or to_array))
        for q in stars:
            node = new_ptr_decl(q or _NO, node, None)
        if function:
            node = new_func_decl(params, node, None)
            for q in inner_stars:
                node = new_ptr_decl(q or _NO, node, None)
            dims = inner_dims
        elif to_array:
            for d in reversed(dims):
                node = new_array_decl(node, d, _NO, None)
            for q in inner_stars:
                node = new_ptr_decl(q or _NO, node, None)
            dims = inner_dims
        for d in reversed(dims):
            node = new_array_decl(node, d, _NO, None)
        return name, node, bits

    def pointer_declarator_ahead(self, param: bool) -> bool:
        """Whether the declarator at ``(`` ``*`` may be one :meth:`declarator`'s own path takes:
        its stars (and their qualifiers) followed by a name and then ``)`` or ``[`` (or, a
        parameter's, by ``)``).  Where not (``(*(y))``, ``(*h(int))(int)``: signal()'s), its path
        would give way after reading them, and the general path read them again."""
        toks = self.toks
        j = self.i + 1
        while toks[j] == "*" or toks[j] in _QUALS:
            j += 1
        t = toks[j]
        if t[:1] in _ID_START:
            t = toks[j + 1]
        elif not param:
            return False
        return t == ")" or t == "["

    def other_declarator(self, start: int, records: int, base, quals, member: bool, abstract: bool,
                         typedef: bool, param: bool):
        """:meth:`declarator`'s result for a shape its own path does not take, read again from
        ``start`` (and the records met since given back) by :meth:`general_declarator`."""
        self.i, self.record_index = start, records
        name, node = self.general_declarator(base, quals, abstract, typedef, param, member)
        bits = None
        if member and self.toks[self.i] == ":":
            self.i += 1
            bits = self.expr()
        return name, node, bits

    def params(self):
        toks = self.toks
        if toks[self.i] == ")":
            self.i += 1
            return None
        out = []
        hidden = []  # each parameter's name that is a typedef name: hidden from the next parameter
        # on, to the list's end (gcc's prototype scope; pycparser's path reads it wrongly)
        while True:
            if hidden and toks[self.i] in hidden:  # (gcc's words)
                raise Refused(f"expected declaration specifiers or '...' before '{toks[self.i]}'", self.i)
            if toks[self.i] == "..." and out:  # variadic: pycparser's EllipsisParam, last
                self.i += 1
                out.append(c_ast.EllipsisParam(None))
                self.expect(")")
                return new_param_list(out)
            t = toks[self.i]
            if t in _BASE and (toks[self.i + 1] == "," or toks[self.i + 1] == ")") and self.depth < _MAX_DEPTH \
                    and not _GENERAL_PARAMS:
                # the common parameter, a type of one word alone (f(int, char)): what the general
                # path below gives it (specifiers' short path, no name, no storage class)
                self.i += 1
                self.storage = None
                self.thread = self.noreturn = False
                self.align = _NO
                out.append(new_typename(None, [], None, new_type_decl(
                    None, [], None, (self.types.get((t,)) or self.identifier_type((t,))), None), None))
                t = toks[self.i]
                self.i += 1
                if t == ")":
                    self.typedefs.update(hidden)
                    return new_param_list(out)
                continue
            _, quals, base = self.specifiers(False, register=True)
            storage = self.storage or []
            align = self.align
            if align:
                if self.in_params:
                    raise Unsupported("_Alignas on a parameter of a parameter")
                self.param_align = True
            self.depth += 1  # (a parameter may be a pointer to a function with parameters)
            if self.depth > _MAX_DEPTH:
                raise Unsupported("nested deeply")
            t = toks[self.i]
            if t == "," or t == ")":  # a type alone (f(int, char)): what declarator() gives it
                name, node = None, new_type_decl(None, quals[:], None, base, None)
            else:
                self.in_params += 1
                name, node, _ = self.declarator(base, quals[:], False, param=True)
                self.in_params -= 1
            self.depth -= 1
            if name in self.typedefs:
                self.typedefs.discard(name)
                hidden.append(name)
            elif name in hidden:
                raise Unsupported(f"a parameter {name!r} declared twice")
            if name is not None and storage and storage != ["register"]:  # (auto, _Thread_local: gcc's words)
                raise Refused(f"storage class specified for parameter '{name}'", self.name_at)
            if name is None:
                if storage and storage != ["register"]:  # (auto, _Thread_local: gcc's words)
                    raise Refused("storage class specified for unnamed parameter", self.i, input_location=True)
                if storage:
                    raise Unsupported("a storage class on an unnamed parameter")
                out.append(new_typename(None, quals, None, node, None))
                if align:  # (as cparse._CParser keeps it)
                    out[-1].align = align
            else:
                out.append(new_decl(name, quals, list(align), storage, [], node, None, None,
                                      TokenCoord(self.text, self.name_at - self.head) if align else None))
            t = toks[self.i]
            self.i += 1
            if t == ")":
                self.typedefs.update(hidden)
                return new_param_list(out)
            if t != ",":
                self.i -= 1  # (at the token)
                raise Unsupported(f"{t!r} in parameters")

    def record(self):
        toks = self.toks
        klass = c_ast.Struct if toks[self.i] == "struct" else c_ast.Union
        self.i += 1
        if self.record_index >= len(self.records):
            raise Unsupported("a record the scan did not see")
        seen, coord = self.records[self.record_index]
        self.record_index += 1
        t = toks[self.i]
        name = None
        if t != "{":
            if t[:1] not in _ID_START or t in _RESERVED:
                raise Unsupported(f"tag {t!r}")
            name = t
            self.i += 1
        if seen != t or coord is None:
            raise Unsupported("a record the scan saw elsewhere")
        if name is not None:
            self.tag(f"{'struct' if klass is c_ast.Struct else 'union'} {name}", toks[self.i] == "{")
        if toks[self.i] != "{":
            if name is None:
                raise Unsupported("struct without a tag")
            return new_record(klass, name, None, coord)
        self.i += 1
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise Unsupported("nested deeply")
        decls = []
        typedefs, reserved, odd = self.typedefs, _RESERVED, self.odd
        while True:
            i = self.i
            t = toks[i]
            if t == "}":
                break
            if t == ";":
                self.i += 1
                continue
            n = toks[i + 1]
            if toks[i + 2] == ";" and (t in _BASE or t in typedefs) and n[:1] in _ID_START and \
                    n not in reserved and n not in typedefs and t != "void" and t not in odd:  # the common member, "type name;"
                decls.append(new_decl(n, _NO, _NO, _NO, _NO, new_type_decl(
                    n, _NO, None, (self.types.get((t,)) or self.identifier_type((t,))), None), None, None, None))
                self.i = i + 3
                continue
            if toks[i + 2] == "[" and toks[i + 4] == "]" and toks[i + 5] == ";" and (t in _BASE or t in typedefs) \
                    and n[:1] in _ID_START and n not in reserved and n not in typedefs and t != "void" and t not in odd:
                d = toks[i + 3]  # the common array, "type name[N];", as declaration() reads it
                if d[:1].isdigit() and _INTEGER.fullmatch(d):
                    decls.append(new_decl(n, _NO, _NO, _NO, _NO, new_array_decl(new_type_decl(
                        n, _NO, None, (self.types.get((t,)) or self.identifier_type((t,))), None), new_constant("int", d),
                        _NO, None), None, None, None))
                    self.i = i + 6
                    continue
            if t in _NO_MEMBER_WORDS:  # (gcc's words, at the word)
                raise Refused(f"expected specifier-qualifier-list before '{t}'", i)
            decls.extend(self.declaration(True))
        if not decls:
            raise Unsupported("an empty record")
        self.i += 1
        self.depth -= 1
        return new_record(klass, name, decls, coord)

    def tag(self, tag: str, defined: bool):
        """A record's or an enum's tag: kept at file scope; in a for's declaration, declared there
        where it is defined (gcc refuses it), and given way where first named (gcc's scope)."""
        if not self.block:
            self.tags.add(tag)
        elif defined or tag not in self.tags:  # (the body's own: a _Static_assert naming it is not the
            self.body_names.add(tag.split()[1])  # converter's to evaluate after the function)
        if self.block and self.declared is not None:
            if defined:
                self.declared.append(("tag", tag, None))
            elif tag not in self.tags:
                raise Unsupported(f"{tag} first named in a for's declaration")

    def enum(self):
        toks = self.toks
        self.i += 1
        name = None
        if toks[self.i] != "{":
            t = toks[self.i]
            if t[:1] not in _ID_START or t in _RESERVED:
                raise Unsupported(f"tag {t!r}")
            name = t
            self.i += 1
            self.tag(f"enum {name}", toks[self.i] == "{")
            if toks[self.i] != "{":
                return c_ast.Enum(name, None, None, None, attributes=_NO)
        self.i += 1
        values = []
        while True:
            at = self.i
            n = self.name()
            value = None
            if toks[self.i] == "=":
                self.i += 1
                value = self.expr()
            # (its place: gcc's "overflow in enumeration values" is at an enumerator given none)
            values.append(c_ast.Enumerator(n, value, None if value is not None else TokenCoord(self.text, at - self.head),
                                           attributes=_NO))
            self.ordinary.add(n)
            if self.block:
                self.body_names.add(n)
            if self.declared is not None:
                self.declared.append(("enumerator", n, None))
            t = toks[self.i]
            self.i += 1
            if t == ",":
                if toks[self.i] == "}":
                    self.i += 1
                    break
                continue
            if t == "}":
                break
            self.i -= 1  # (at the token)
            raise Unsupported(f"{t!r} in an enum")
        return c_ast.Enum(name, c_ast.EnumeratorList(values), None, None, attributes=_NO)


_AUTO_TYPE = ("__auto_type",)
#: params()' short path for a parameter of one type word alone (tests turn it off to compare).
_GENERAL_PARAMS = False
# what begins no member's declaration (gcc: "expected specifier-qualifier-list before ...")
_NO_MEMBER_WORDS = frozenset({"auto", "_Thread_local", "register", "static", "extern", "typedef", "_Noreturn"})
# every word :meth:`_Reader.specifiers` reads (a typedef name besides)
_SPECIFIER_WORDS = _BASE | _QUALS | _TYPEOF | {"_Alignas", "struct", "union", "enum", "typedef", "extern", "static",
                                                "register", "auto", "_Thread_local", "_Noreturn", "__auto_type"}
_PRELUDE_TOKENS: dict[str, tuple[list[str], list]] = {}  # prelude -> (tokens, records)


def read(prelude: str, text: str, builtin: str, counted: "list | None" = None,
         typedef_alignas: "dict | None" = None) -> c_ast.FileAST:
    """The FileAST pycparser gives for ``#line 1 "builtin"``, ``prelude``, then ``text`` (which
    starts with a line marker naming its file), or :class:`Unsupported` (its ``at`` the token of
    ``text`` where the reader gave way, ``tokens`` how many ``text`` has), or :class:`Refused`
    (what gcc refuses and pycparser would not, located as ``at``).  ``counted``, a list:
    the number of tokens of ``text`` is appended to it."""
    known = _PRELUDE_TOKENS.get(prelude)
    if known is None:  # (the records of the prelude where system headers are read: __va_list_tag)
        known = _PRELUDE_TOKENS[prelude] = _tokens(prelude), _record_positions(prelude, "", builtin)
    head, head_records = known
    toks = _tokens(text)
    if counted is not None:
        counted.append(len(toks))
    reader = _Reader(head + toks, _NO, len(head), Coord(builtin, 1), Coord(builtin, 1))
    reader.text, reader.head = text, len(head)
    if typedef_alignas is not None:  # (id(Typedef) -> its _Alignas: the converter refuses them)
        reader.typedef_alignas = typedef_alignas
    try:
        m = _LINE_MARKER.match(text)
        if not m or m.group(2) is None:
            raise Unsupported("no line marker first")
        reader.user = Coord(m.group(2), 1)
        reader.records = head_records + _record_positions(text, builtin)
        if "_Static_assert" in text:
            reader.asserts = _record_positions(text, builtin, pattern=_ASSERTS)
        if "" in toks:  # pragma: no cover - only the end matches nothing
            raise Unsupported("tokens")
        return reader.read()
    except Refused as err:
        err.at = max(err.at - len(head), 0)
        raise
    except (Unsupported, IndexError, RecursionError) as err:  # (past the sentinels, or too deep)
        gave_way = err if isinstance(err, Unsupported) else Unsupported("ran off the text")
        gave_way.at, gave_way.tokens = min(max(reader.i - len(head), 0), len(toks)), len(toks)
        gave_way.toks = toks
        raise gave_way from None
