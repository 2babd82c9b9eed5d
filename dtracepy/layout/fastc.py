"""A fast reader for the C that ``layout`` reads, with pycparser behind it.

pycparser reads 60-100k tokens a second and keeps about 300 bytes a token: a struct of 300,000
members took 20 s and 580 MB.  This reader takes the common subset of C headers -- typedefs,
struct, union and enum definitions (nested, anonymous), bit-fields, arrays, pointers, pointers to
functions, the integer and floating types, ``const``/``volatile``, and the integer constant
expressions the layout engine evaluates -- and builds the same pycparser ``c_ast`` nodes that
pycparser would, so the rest of ``layout`` does not know which reader read the text.

The lexer is one compiled regular expression (``findall``: a list of token strings); the parser is
recursive descent, with loops instead of recursion for binary operator chains (operator
precedence with explicit stacks), pointer stars and array dimensions, and a depth limit where it
does recurse (parentheses, nested records, ternaries) or pycparser does (prefix operators, casts
and type names count too): deeper, pycparser's path decides, and refuses as it always did.  Positions are kept only where ``layout`` needs them
on the way to a result: each ``struct``/``union`` (its tag or ``{``, the key of the attributes the
prepass found) and whether a typedef is the prelude's.

Whatever it does not know -- any other token, keyword, directive or form, a name it would have to
treat as pycparser's scopes do (a typedef name declared again) -- raises :class:`Unsupported`,
and the caller parses the whole text with pycparser, so every message, location and refusal is
pycparser's path's.  The reader never reports an error itself.
"""

from __future__ import annotations

import re

from pycparser import c_ast
from pycparser.c_parser import Coord


class Unsupported(Exception):
    """Outside the reader's subset (or not C at all): pycparser reads the text instead."""


_TOKEN = re.compile(
    r"[ \t\n]*([A-Za-z_][A-Za-z0-9_]*|[0-9][A-Za-z0-9_.]*|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"|#[^\n]*"
    r"|<<=|>>=|[-+*/%&^|]=|<<|>>|<=|>=|==|!=|&&|\|\||->|\+\+|--|\.\.\.|.|\Z)")
_DIRECTIVE_LINE = re.compile(r"^[ \t]*#", re.M)
_LINE_MARKER = re.compile(r'#[ \t]*(?:line[ \t]+)?([0-9]+)(?:[ \t]+"([^"\\\n]*)")?[ \t]*')
# each struct/union keyword with the tag or '{' after it (pycparser's position of the record),
# and the line markers that set the file and line
_RECORDS = re.compile(r'^[ \t]*#[ \t]*(?:line[ \t]+)?([0-9]+)(?:[ \t]+"([^"\\\n]*)")?[^\n]*'
                      r"|\b(?:struct|union)\b[ \t\n]*([A-Za-z_][A-Za-z0-9_]*|\{)?"
                      r"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"", re.M | re.A)
_INTEGER = re.compile(r"(?:0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)"
                      r"(?:[uU](?:ll|LL|[lL])?|(?:ll|LL|[lL])[uU]?)?")
# a plain decimal literal below 10**18 (ASCII digits only: str.isdigit() takes '²' and '٣' too)
_PLAIN_DECIMAL = re.compile(r"(?:[1-9][0-9]{0,17}|0)\Z")
_CHAR = re.compile(r"'(?:[ -&(-\[\]-~]|\\[ntvbrfa\\'\"]|\\[0-7]{1,3}|\\x[0-9a-fA-F]{1,2})'")

_BASE = frozenset({"signed", "unsigned", "char", "short", "int", "long", "float", "double", "_Bool", "void"})
_QUALS = frozenset({"const", "volatile"})
_PREC = {"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, ">": 7, "<=": 7, ">=": 7,
         "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10}
_PREFIX = frozenset({"-", "+", "~", "!"})
_UNARY = frozenset({"&", "*", "+", "-", "~", "!"})
_ASSIGN = frozenset({"=", "*=", "/=", "%=", "+=", "-=", "<<=", ">>=", "&=", "^=", "|="})
_STORAGE = frozenset({"typedef", "extern", "static"})
# pycparser's lexer's floating constants (decimal, no sign in the exponent: 1e+3 is three tokens
# here) and strings (its escapes)
_FLOAT = re.compile(r"(?:[0-9]*\.[0-9]+|[0-9]+\.|[0-9]+(?=[eE]))(?:[eE][0-9]+)?[fFlL]?")
_STRING = re.compile(r'"(?:[^"\\\n]|\\[ntvbrfa\\\'"?]|\\[0-7]{1,3}|\\x[0-9a-fA-F]+)*"')
# what one level of nesting costs pycparser, in this reader's depth (see _MAX_DEPTH): a statement
# or a parenthesis of a full expression recurses through more of its functions than a constant's
_STATEMENT_DEPTH = 3
_PAREN_DEPTH = 2
_ID_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_MAX_DEPTH = 100  # nested parentheses, records, prefix operators, type names; deeper goes to pycparser
_TYPENAME_DEPTH = 3


def _reserved() -> frozenset:
    """Every word pycparser's lexer may make a keyword (C23's too): never a name here."""
    from pycparser import c_lexer

    words = set(getattr(c_lexer, "_keyword_map", {})) | set(getattr(c_lexer, "_c23_keywords", {}))
    words |= {"auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
              "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
              "offsetof", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
              "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "__int128",
              "_Bool", "_Complex", "_Noreturn", "_Thread_local", "_Static_assert", "_Atomic",
              "_Alignof", "_Alignas", "_Pragma", "__builtin_va_arg", "_Generic", "bool", "true",
              "false", "alignas", "alignof", "static_assert", "thread_local", "nullptr", "constexpr",
              "typeof", "typeof_unqual", "_BitInt"}
    return frozenset(words)


_RESERVED = _reserved()
_NO = ()  # shared, empty: attributes, storage ... (pycparser makes a list for each; layout reads none)


def _tokens(text: str) -> list[str]:
    """The tokens of ``text``, without its line markers and without the empty one at the end."""
    toks = _TOKEN.findall(text)
    while toks and toks[-1] == "":
        toks.pop()
    if "#" in text:
        directives = [t for t in toks if t[:1] == "#"]
        if directives:
            # a '#' not first on its line is pycparser's to judge
            if len(directives) != len(_DIRECTIVE_LINE.findall(text)):
                raise Unsupported("a '#' inside a line")
            for d in directives:
                if not _LINE_MARKER.fullmatch(d):
                    raise Unsupported(f"directive {d[:20]!r}")
            toks = [t for t in toks if t[:1] != "#"]
    return toks


def _record_positions(text: str, builtin: str, file: "str | None" = None) -> list:
    """(tag or '{', Coord) of each struct/union keyword of ``text``, in order; the coordinates are
    pycparser's (the line set by the last line marker, the column counted from 1; ``file`` before
    the first)."""
    out = []
    line, line_start, ref = 1, 0, 0
    for m in _RECORDS.finditer(text):
        if m.group(1) is not None:  # a line marker: the next line is number N
            end = text.find("\n", m.end())
            if m.group(2) is not None:
                file = m.group(2)
                if file == builtin:
                    raise Unsupported("a line marker naming the prelude's file")
            line, line_start, ref = int(m.group(1)), end + 1, end + 1
            if end < 0:
                line_start = ref = len(text)
            continue
        if m.group()[:1] in "'\"":  # a character constant or a string: no keyword in it
            continue
        q = m.start(3)
        if q < 0 or file is None:
            out.append((None, None))
            continue
        nl = text.rfind("\n", ref, q)
        if nl >= 0:
            line += text.count("\n", ref, q)
            line_start = nl + 1
        ref = q
        out.append((m.group(3), Coord(file, line, q - line_start + 1)))
    return out


class _Reader:
    def __init__(self, toks: list[str], records: list, prelude_end: int, builtin: Coord, user: Coord):
        self.toks = toks + ["", "", ""]
        self.i = 0
        self.records = records
        self.record_index = 0
        self.prelude_end = prelude_end
        self.builtin, self.user = builtin, user
        self.typedefs: set[str] = set()
        self.ordinary: set[str] = set()  # enumerators and objects: pycparser's non-type names
        self.storage = None  # the storage class the last specifiers gave ([extern] or [static])
        self.depth = 0
        self.block = 0  # inside a function's body (its declarations are the block's)
        self.types: dict[tuple, c_ast.IdentifierType] = {}  # shared: the converter only reads them

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
        return t in _BASE or t in _QUALS or t in ("struct", "union", "enum") or t in self.typedefs

    # -- declarations -------------------------------------------------------------------------

    def read(self) -> c_ast.FileAST:
        ext = []
        toks = self.toks
        while toks[self.i] != "":
            ext.extend(self.declaration(False))
        if self.record_index != len(self.records):
            raise Unsupported("records not met")
        return c_ast.FileAST(ext)

    def specifiers(self, storage: bool):
        """(typedef?, qualifiers, base type node) of a declaration's specifiers."""
        toks = self.toks
        quals, names, node, typedef = [], [], None, False
        kept = None  # a storage class (read after the specifiers: a record's members reset it)
        while True:
            t = toks[self.i]
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
            elif t == "typedef" and storage and not typedef and kept is None:
                typedef = True
            elif (t == "extern" or t == "static") and storage and not typedef and kept is None:
                kept = [t]  # (a file-scope object's or function's: the layout reads neither)
            elif t in self.typedefs:
                if names or node is not None:  # pycparser: the declarator (T T)
                    break
                node = self.identifier_type((t,))
            else:
                break
            self.i += 1
        if names:
            node = self.identifier_type(tuple(names))
        elif node is None:
            raise Unsupported("no type")
        self.storage = kept
        return typedef, quals, node

    def identifier_type(self, names: tuple) -> c_ast.IdentifierType:
        node = self.types.get(names)
        if node is None:
            node = self.types[names] = c_ast.IdentifierType(list(names))
        return node

    def declaration(self, member: bool) -> list:
        toks = self.toks
        start = self.i
        typedef, quals, base = self.specifiers(not member)
        if typedef and self.block:
            raise Unsupported("a typedef in a block")  # (pycparser's scopes: not kept here)
        storage = self.storage
        if toks[self.i] == ";":
            self.i += 1
            if typedef or storage or not isinstance(base, (c_ast.Struct, c_ast.Union, c_ast.Enum)):
                raise Unsupported("a declaration that declares nothing")
            return [c_ast.Decl(None, quals, [], [], [], base, None, None, base.coord)]
        out = []
        names = []
        first = True
        while True:
            name, decl, bits = self.declarator(base, quals, member, typedef=typedef and not self.block)
            if first and not member and not typedef and not self.block and toks[self.i] == "{" and \
                    decl.__class__ is c_ast.FuncDecl:
                # a function's definition (a header's static inline one): its body is read, and the
                # function left out (pycparser's FuncDef: the layout reads none)
                self.block += 1
                self.compound()
                self.block -= 1
                self.ordinary.add(name)
                return out
            first = False
            if typedef:
                if name in self.ordinary:
                    raise Unsupported("a typedef of a name in use")
                out.append(c_ast.Typedef(name, quals, ["typedef"], decl,
                                         self.builtin if start < self.prelude_end else self.user))
                names.append(name)
            else:
                init = None
                if toks[self.i] == "=" and not member and not isinstance(decl, c_ast.FuncDecl):
                    self.i += 1
                    self.initializer()  # (read, and left out: the layout reads no initializer)
                if not isinstance(decl, c_ast.FuncDecl):  # (a function's is read, and left out:
                    # the layout reads none, and 50,000 of them held 150 MB)
                    out.append(c_ast.Decl(name, quals, _NO, storage or _NO, _NO, decl, init, bits, None))
                if not member:
                    self.ordinary.add(name)
            t = toks[self.i]
            self.i += 1
            if t == ";":
                break
            if t != ",":
                raise Unsupported(f"{t!r} after a declarator")
        self.typedefs.update(names)
        return out

    def stars(self) -> list:
        toks = self.toks
        out = []
        while toks[self.i] == "*":
            self.i += 1
            q = None
            while toks[self.i] in _QUALS:
                q = (q or []) + [toks[self.i]]
                self.i += 1
            out.append(q)
        return out

    def dims(self) -> list:
        toks = self.toks
        out = []
        while toks[self.i] == "[":
            self.i += 1
            if toks[self.i] == "]":
                out.append(None)
            else:
                out.append(self.expr())
            self.expect("]")
        return out

    def declarator(self, base, quals, member: bool, abstract: bool = False, typedef: bool = False,
                   param: bool = False):
        """(name, type chain, bit-field width) of one declarator, pycparser's shape: the array
        dimensions outermost, then the pointers, then the TypeDecl holding the base type.  A
        parameter's (``param``) may be abstract."""
        toks = self.toks
        stars = self.stars() if toks[self.i] == "*" else _NO
        params = inner_stars = inner_dims = None
        function = to_array = False
        name = None
        t = toks[self.i]
        if t == "(" and not abstract and (not param or toks[self.i + 1] == "*"):
            # a pointer to a function: (*name[dims])(params)
            self.i += 1
            inner_stars = self.stars()
            if not inner_stars:
                raise Unsupported("a parenthesised declarator")
            if not param or toks[self.i] != ")":
                name = self.name(typedef)
            inner_dims = self.dims()
            self.expect(")")
            if toks[self.i] == "[":  # a pointer to an array: (*name[dims])[dims]
                to_array = True
            else:
                self.expect("(")
                params = self.params()
                function = True
        elif t[:1] in _ID_START and not abstract:
            name = self.name(typedef)
            if toks[self.i] == "(" and not member:  # a function: headers declare them beside their types
                self.i += 1
                params = self.params()
                function = True
                inner_stars = inner_dims = _NO
        elif not (abstract or param or (member and t == ":" and not stars)):
            raise Unsupported(f"declarator {t!r}")
        dims = self.dims() if toks[self.i] == "[" else _NO
        bits = None
        if member and toks[self.i] == ":":
            self.i += 1
            bits = self.expr()
        node = c_ast.TypeDecl(name, quals, None, base, None, attributes=_NO)
        for q in stars:
            node = c_ast.PtrDecl(q or _NO, node, None, attributes=_NO)
        if function:
            if dims:
                raise Unsupported("a function returning an array")
            node = c_ast.FuncDecl(params, node, None, attributes=_NO)
            for q in inner_stars:
                node = c_ast.PtrDecl(q or _NO, node, None, attributes=_NO)
            dims = inner_dims
        elif to_array:
            for d in reversed(dims):
                node = c_ast.ArrayDecl(node, d, _NO, None, attributes=_NO)
            for q in inner_stars:
                node = c_ast.PtrDecl(q or _NO, node, None, attributes=_NO)
            dims = inner_dims
        for d in reversed(dims):
            node = c_ast.ArrayDecl(node, d, _NO, None, attributes=_NO)
        return name, node, bits

    def params(self):
        toks = self.toks
        if toks[self.i] == ")":
            self.i += 1
            return None
        out = []
        while True:
            if toks[self.i] == "..." and out:  # variadic: pycparser's EllipsisParam, last
                self.i += 1
                out.append(c_ast.EllipsisParam(None))
                self.expect(")")
                return c_ast.ParamList(out)
            _, quals, base = self.specifiers(False)
            self.depth += 1  # (a parameter may be a pointer to a function with parameters)
            if self.depth > _MAX_DEPTH:
                raise Unsupported("nested deeply")
            name, node, _ = self.declarator(base, quals[:], False, param=True)
            self.depth -= 1
            if name is None:
                out.append(c_ast.Typename(None, quals, None, node, None, attributes=_NO))
            else:
                out.append(c_ast.Decl(name, quals, [], [], [], node, None, None, None))
            t = toks[self.i]
            self.i += 1
            if t == ")":
                return c_ast.ParamList(out)
            if t != ",":
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
        if toks[self.i] != "{":
            if name is None:
                raise Unsupported("struct without a tag")
            return klass(name, None, coord, attributes=_NO)
        self.i += 1
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise Unsupported("nested deeply")
        decls = []
        typedefs, reserved = self.typedefs, _RESERVED
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
                    n not in reserved and n not in typedefs:  # the common member, "type name;"
                decls.append(c_ast.Decl(n, _NO, _NO, _NO, _NO, c_ast.TypeDecl(
                    n, _NO, None, self.identifier_type((t,)), None, attributes=_NO), None, None, None))
                self.i = i + 3
                continue
            decls.extend(self.declaration(True))
        if not decls:
            raise Unsupported("an empty record")
        self.i += 1
        self.depth -= 1
        return klass(name, decls, coord, attributes=_NO)

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
            if toks[self.i] != "{":
                return c_ast.Enum(name, None, None, None, attributes=_NO)
        self.i += 1
        values = []
        while True:
            n = self.name()
            value = None
            if toks[self.i] == "=":
                self.i += 1
                value = self.expr()
            values.append(c_ast.Enumerator(n, value, None, attributes=_NO))
            self.ordinary.add(n)
            t = toks[self.i]
            self.i += 1
            if t == ",":
                if toks[self.i] == "}":
                    self.i += 1
                    break
                continue
            if t == "}":
                break
            raise Unsupported(f"{t!r} in an enum")
        return c_ast.Enum(name, c_ast.EnumeratorList(values), None, None, attributes=_NO)

    # -- function bodies and initializers: recognised, not built ------------------------------
    #
    # pycparser's grammar (its statements, expressions and initializers), read to check that
    # pycparser would read them too: the layout reads no function body and no initializer, but a
    # header pycparser refuses must be refused alike.  What is not recognised here (a GNU
    # statement expression, a compound literal, a typedef in a block ...) is Unsupported.

    def enter(self, cost: int = 1):
        self.depth += cost
        if self.depth > _MAX_DEPTH:
            raise Unsupported("nested deeply")

    def compound(self):
        toks = self.toks
        self.expect("{")
        self.enter(_STATEMENT_DEPTH)
        while toks[self.i] != "}":
            t = toks[self.i]
            if t == "":
                raise Unsupported("an unclosed body")
            if t in _STORAGE or self.starts_type(t):
                self.declaration(False)
            else:
                self.statement()
        self.i += 1
        self.depth -= _STATEMENT_DEPTH

    def statement(self):
        toks = self.toks
        self.enter(_STATEMENT_DEPTH)
        t = toks[self.i]
        if t == "{":
            self.compound()
        elif t == ";":
            self.i += 1
        elif t == "if":
            self.i += 1
            self.parenthesised()
            self.statement()
            if toks[self.i] == "else":
                self.i += 1
                self.statement()
        elif t == "switch" or t == "while":
            self.i += 1
            self.parenthesised()
            self.statement()
        elif t == "do":
            self.i += 1
            self.statement()
            self.expect("while")
            self.parenthesised()
            self.expect(";")
        elif t == "for":
            self.i += 1
            self.expect("(")
            if toks[self.i] in _STORAGE or self.starts_type(toks[self.i]):
                self.declaration(False)
            else:
                self.optional_expression(";")
            self.optional_expression(";")
            self.optional_expression(")")
            self.statement()
        elif t == "goto":
            self.i += 1
            self.name()
            self.expect(";")
        elif t == "break" or t == "continue":
            self.i += 1
            self.expect(";")
        elif t == "return":
            self.i += 1
            self.optional_expression(";")
        elif t == "case" or t == "default":
            self.i += 1
            if t == "case":
                self.conditional()
            self.expect(":")
            self.labelled()
        elif toks[self.i + 1] == ":" and t[:1] in _ID_START and t not in _RESERVED and t not in self.typedefs:
            self.i += 2
            self.labelled()
        else:
            self.expression()
            self.expect(";")
        self.depth -= _STATEMENT_DEPTH

    def labelled(self):
        """The statement after a label: none before a '}' or a declaration (pycparser's)."""
        t = self.toks[self.i]
        if t != "}" and t not in _STORAGE and not self.starts_type(t):
            self.statement()

    def parenthesised(self):
        self.expect("(")
        self.expression()
        self.expect(")")

    def optional_expression(self, end: str):
        if self.toks[self.i] != end:
            self.expression()
        self.expect(end)

    def initializer(self):
        """``= x``'s x: an assignment expression, or braces (designators, a trailing comma)."""
        toks = self.toks
        if toks[self.i] != "{":
            self.assignment()
            return
        self.i += 1
        self.enter(_STATEMENT_DEPTH)
        if toks[self.i] == "}":
            self.i += 1
        else:
            while True:
                if toks[self.i] in ("[", "."):
                    while toks[self.i] in ("[", "."):
                        if toks[self.i] == "[":
                            self.i += 1
                            self.conditional()
                            self.expect("]")
                        else:
                            self.i += 1
                            self.member_name()
                    self.expect("=")
                self.initializer()
                t = toks[self.i]
                self.i += 1
                if t == ",":
                    if toks[self.i] == "}":
                        self.i += 1
                        break
                    continue
                if t != "}":
                    raise Unsupported(f"{t!r} in an initializer")
                break
        self.depth -= _STATEMENT_DEPTH

    def member_name(self):
        t = self.toks[self.i]
        if t[:1] not in _ID_START or t in _RESERVED:
            raise Unsupported(f"member {t!r}")
        self.i += 1

    def expression(self):
        self.assignment()
        while self.toks[self.i] == ",":
            self.i += 1
            self.assignment()

    def assignment(self):
        self.enter()
        self.conditional()
        if self.toks[self.i] in _ASSIGN:
            self.i += 1
            self.assignment()
        self.depth -= 1

    def conditional(self):
        """A binary chain (its precedence does not matter to what is accepted) and ``? :``."""
        toks = self.toks
        self.cast()
        while toks[self.i] in _PREC:
            self.i += 1
            self.cast()
        if toks[self.i] == "?":
            self.i += 1
            self.enter()
            self.expression()
            self.expect(":")
            self.conditional()
            self.depth -= 1

    def cast(self):
        toks = self.toks
        casts = 0
        while toks[self.i] == "(" and self.starts_type(toks[self.i + 1]):
            self.i += 1
            self.typename()
            self.expect(")")
            if toks[self.i] == "{":
                raise Unsupported("a compound literal")
            self.enter()
            casts += 1
        self.unary_expression()
        self.depth -= casts

    def unary_expression(self):
        toks = self.toks
        t = toks[self.i]
        if t == "++" or t == "--" or t in _UNARY or t == "sizeof":
            self.i += 1
            self.enter()
            if t == "sizeof" and toks[self.i] == "(" and self.starts_type(toks[self.i + 1]):
                self.i += 1
                self.typename()
                self.expect(")")
                if toks[self.i] == "{":
                    raise Unsupported("a compound literal")
            elif t in _UNARY:
                self.cast()
            else:
                self.unary_expression()
            self.depth -= 1
            return
        if t == "_Alignof":
            self.i += 1
            self.expect("(")
            self.typename()
            self.expect(")")
            return
        self.postfix()

    def postfix(self):
        toks = self.toks
        t = toks[self.i]
        self.i += 1
        if t == "(":
            if toks[self.i] == "{":
                raise Unsupported("a statement expression")
            self.enter(_PAREN_DEPTH)
            self.expression()
            self.expect(")")
            self.depth -= _PAREN_DEPTH
        elif t[:1] in _ID_START:
            if t in _RESERVED or t in self.typedefs:
                raise Unsupported(f"operand {t!r}")
        elif t[:1].isdigit():
            if not (_INTEGER.fullmatch(t) or _FLOAT.fullmatch(t)):
                raise Unsupported(f"number {t!r}")
        elif t[:1] == "'":
            if not _CHAR.fullmatch(t):
                raise Unsupported(f"character {t!r}")
        elif t[:1] == '"':
            while True:
                if not _STRING.fullmatch(t):
                    raise Unsupported("a string")
                t = toks[self.i]
                if t[:1] != '"':
                    break
                self.i += 1
        else:
            raise Unsupported(f"operand {t!r}")
        while True:
            t = toks[self.i]
            if t == "[":
                self.i += 1
                self.enter(_PAREN_DEPTH)
                self.expression()
                self.expect("]")
                self.depth -= _PAREN_DEPTH
            elif t == "(":
                self.i += 1
                self.enter(_PAREN_DEPTH)
                if toks[self.i] != ")":
                    self.assignment()
                    while toks[self.i] == ",":
                        self.i += 1
                        self.assignment()
                self.expect(")")
                self.depth -= _PAREN_DEPTH
            elif t == "." or t == "->":
                self.i += 1
                self.member_name()
            elif t == "++" or t == "--":
                self.i += 1
            else:
                return

    # -- constant expressions -----------------------------------------------------------------

    def typename(self) -> c_ast.Typename:
        self.depth += _TYPENAME_DEPTH  # pycparser recurses deeper for a type name than a '('
        if self.depth > _MAX_DEPTH:
            raise Unsupported("nested deeply")
        _, quals, base = self.specifiers(False)
        _, node, _ = self.declarator(base, quals, False, abstract=True)
        self.depth -= _TYPENAME_DEPTH
        return c_ast.Typename(None, quals, None, node, None, attributes=_NO)

    def expr(self):
        """A conditional expression (``a ? b : c`` nests by recursion, depth-limited)."""
        cond = self.binary()
        if self.toks[self.i] != "?":
            return cond
        self.i += 1
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise Unsupported("nested deeply")
        yes = self.expr()
        self.expect(":")
        no = self.expr()
        self.depth -= 1
        return c_ast.TernaryOp(cond, yes, no)

    def binary(self):
        """Binary operators by precedence, with stacks: a chain of any length, no recursion."""
        toks = self.toks
        prec = _PREC
        folded = self.sum_of_literals()
        if folded is not None:
            return folded
        operands = [self.unary()]
        ops: list[str] = []
        while True:
            op = toks[self.i]
            p = prec.get(op)
            if p is None:
                break
            self.i += 1
            while ops and prec[ops[-1]] >= p:
                right = operands.pop()
                operands.append(c_ast.BinaryOp(ops.pop(), operands.pop(), right))
            ops.append(op)
            operands.append(self.unary())
        while ops:
            right = operands.pop()
            operands.append(c_ast.BinaryOp(ops.pop(), operands.pop(), right))
        return operands[0]

    def sum_of_literals(self):
        """``1+2-1+...``, plain decimal literals added and subtracted, as the one constant the
        layout engine would compute from it, when every operand and partial sum is in [0, 2**31)
        (then every operand, partial sum and the constant are ``int``s, and the engine refuses
        nothing; a sum beyond it overflows ``int`` or has operands of wider types, which the
        engine types); else None, and the chain is read as nodes."""
        toks = self.toks
        i = self.i
        plain = _PLAIN_DECIMAL.match
        t = toks[i]
        if toks[i + 1] not in ("+", "-") or not plain(t):
            return None
        total = int(t)
        if total >= 1 << 31:  # a long: ``3000000000 - 2999999999`` is not the int 1
            return None
        while True:
            op = toks[i + 1]
            if op != "+" and op != "-":
                break
            t = toks[i + 2]
            if not plain(t):
                return None
            total = total + int(t) if op == "+" else total - int(t)
            if not 0 <= total < 1 << 31:
                return None
            i += 2
        if toks[i + 1] in _PREC:  # a higher (or lower) precedence operator follows: not a plain sum
            return None
        self.i = i + 1
        return c_ast.Constant("int", str(total))

    def unary(self):
        toks = self.toks
        prefix = []
        while True:
            t = toks[self.i]
            if t in _PREFIX:
                prefix.append(t)
                self.i += 1
            elif t == "(" and self.starts_type(toks[self.i + 1]):
                self.i += 1
                prefix.append(self.typename())
                self.expect(")")
            else:
                break
            self.depth += 1  # pycparser recurses for each prefix operator and cast
            if self.depth > _MAX_DEPTH:
                raise Unsupported("nested deeply")
        t = toks[self.i]
        self.i += 1
        if t == "sizeof" or t == "_Alignof":
            self.expect("(")
            if not self.starts_type(toks[self.i]):
                raise Unsupported(f"{t} of an expression")
            node = c_ast.UnaryOp(t, self.typename())
            self.expect(")")
        elif t == "(":
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise Unsupported("nested deeply")
            node = self.expr()
            self.expect(")")
            self.depth -= 1
        elif t[:1].isdigit():
            if not _INTEGER.fullmatch(t):
                raise Unsupported(f"number {t!r}")
            node = c_ast.Constant("int", t)
        elif t[:1] == "'":
            if not _CHAR.fullmatch(t):
                raise Unsupported(f"character {t!r}")
            node = c_ast.Constant("char", t)
        elif t[:1] in _ID_START and t not in _RESERVED and t not in self.typedefs:
            node = c_ast.ID(t)
        else:
            raise Unsupported(f"operand {t!r}")
        self.depth -= len(prefix)
        for p in reversed(prefix):
            node = c_ast.UnaryOp(p, node) if isinstance(p, str) else c_ast.Cast(p, node)
        return node


_PRELUDE_TOKENS: dict[str, tuple[list[str], list]] = {}  # prelude -> (tokens, records)


def read(prelude: str, text: str, builtin: str) -> c_ast.FileAST:
    """The FileAST pycparser gives for ``#line 1 "builtin"``, ``prelude``, then ``text`` (which
    starts with a line marker naming its file), or :class:`Unsupported`."""
    known = _PRELUDE_TOKENS.get(prelude)
    if known is None:  # (the records of the prelude where system headers are read: __va_list_tag)
        known = _PRELUDE_TOKENS[prelude] = _tokens(prelude), _record_positions(prelude, "", builtin)
    head, head_records = known
    m = _LINE_MARKER.match(text)
    if not m or m.group(2) is None:
        raise Unsupported("no line marker first")
    records = head_records + _record_positions(text, builtin)
    toks = _tokens(text)
    if "" in toks:  # pragma: no cover - only the end matches nothing
        raise Unsupported("tokens")
    reader = _Reader(head + toks, records, len(head), Coord(builtin, 1), Coord(m.group(2), 1))
    try:
        return reader.read()
    except (IndexError, RecursionError):  # pragma: no cover - past the sentinels, or too deep
        raise Unsupported("ran off the text") from None
