"""Reading preprocessed C into pycparser's ``c_ast``: the prelude of typedefs the user's headers
may use without including them, the fast reader first (:mod:`.fastc`) and pycparser behind it,
and pycparser's refusals located (an unknown type name guessed where pycparser says only "before",
every message at a line and column, through the ``#line`` markers, to the header's own line)."""

from __future__ import annotations

import re

from pycparser import c_ast, c_parser

from dtracepy.errors import LayoutError
from dtracepy.layout.abi import ABI
from dtracepy.layout.prepass import Prepassed, blank_words, prepass
from dtracepy.source import Pos

BUILTIN_FILE = "<builtin>"

PRELUDE = """\
typedef signed char int8_t; typedef unsigned char uint8_t;
typedef short int16_t; typedef unsigned short uint16_t;
typedef int int32_t; typedef unsigned int uint32_t;
typedef long long int64_t; typedef unsigned long long uint64_t;
typedef long intptr_t; typedef unsigned long uintptr_t;
typedef unsigned long size_t; typedef long ssize_t; typedef long ptrdiff_t; typedef long off_t;
typedef unsigned char uchar_t; typedef unsigned short ushort_t; typedef unsigned int uint_t;
typedef unsigned long ulong_t; typedef unsigned long long u_longlong_t; typedef long long longlong_t;
typedef unsigned char u_char; typedef unsigned short u_short; typedef unsigned int u_int;
typedef unsigned long u_long;
typedef unsigned char u_int8_t; typedef unsigned short u_int16_t; typedef unsigned int u_int32_t;
typedef unsigned long long u_int64_t;
typedef char *caddr_t; typedef int pid_t; typedef unsigned int uid_t; typedef unsigned int gid_t;
typedef long time_t;
typedef uint32_t in_addr_t; typedef uint16_t in_port_t; typedef uint32_t tcp_seq;
typedef uint16_t n_short; typedef uint32_t n_long; typedef uint32_t n_time;
typedef unsigned short sa_family_t; typedef unsigned int socklen_t;
"""

_C_KEYWORDS = {"signed", "unsigned", "char", "short", "int", "long", "float", "double", "_Bool", "void",
               "__int128"}


def _line_starts(text: str) -> dict:
    """(file, line) -> the offset where that line starts in ``text``, which has line markers."""
    out = {}
    file, line, offset = None, 0, 0
    for raw in text.split("\n"):
        m = _LINE_MARK.match(raw)
        if m:
            file, line = m.group(2) or file, int(m.group(1)[:9]) - 1
        else:
            line += 1
            out.setdefault((file, line), offset)
        offset += len(raw) + 1
    return out


_PARSE_ERROR = re.compile(r"^(.*?):(\d+):(\d+): (.*)$", re.S)


_WORD = re.compile(r'^[ \t]*#[ \t]*(?:line[ \t]+)?(\d+)(?:[ \t]+"([^"]*)")?[^\n]*$|([A-Za-z_]\w*)|(\n)|([^\sA-Za-z_])', re.M)
_C_WORDS = {"auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
            "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
            "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
            "typedef", "union", "unsigned", "void", "volatile", "while", "_Bool", "_Alignof",
            "_Alignas", "_Atomic", "_Static_assert", "__int128"}


_TYPEDEF_PARTS = re.compile(r"\btypedef\b|[{};]|[A-Za-z_]\w*")


def _typedef_names(text: str) -> set:
    """The names ``typedef`` declarations of ``text`` may declare: every word outside braces from
    a ``typedef`` to its ``;`` (a struct's nested braces skipped: glibc's ``__mbstate_t`` holds a
    union), so that no typedef name is taken for an unknown one (a few other words join them)."""
    names: set = set()
    depth, inside = 0, False
    for m in _TYPEDEF_PARTS.finditer(text):
        word = m.group()
        if word == "{":
            depth += 1
        elif word == "}":
            depth = max(depth - 1, 0)
        elif word == ";":
            if depth == 0:
                inside = False
        elif word == "typedef":
            inside = inside or depth == 0
        elif inside and depth == 0:
            names.add(word)
    return names


def _unknown_type_name(text: str):
    """After a parse error: the first ``NAME NAME`` at the start of a declaration whose first NAME
    is neither a keyword nor a typedef name, with its position."""
    typedefs = _typedef_names(text)
    file, line, line_start = "<string>", 1, 0
    prev = ";"
    last_word = None
    for m in _WORD.finditer(text):
        if m.group(1) is not None:
            file = m.group(2) or file
            line, line_start = int(m.group(1)) - 1, m.end()
            continue
        if m.group(4):
            line, line_start = line + 1, m.end()
            continue
        word = m.group(3)
        if word is not None:
            if last_word is not None:
                name, pos = last_word
                if name not in _C_WORDS and name not in typedefs:
                    return name, pos
            last_word = (word, Pos(file, line, m.start() - line_start + 1)) if prev in (";", "{", "}", "(", ",") else None
            prev = "word"
        else:
            prev = m.group(5)
            last_word = None
    return None


_LINE_MARK = re.compile(r'^[ \t]*#[ \t]*(?:line[ \t]+)?(\d+)(?:[ \t]+"([^"]*)")?')


def _deepest(text: str, filename: str) -> Pos:
    """Where ``text`` (with ``#line`` markers) is nested deepest in ( [ {."""
    file, line = filename, 0
    best, depth, where = -1, 0, Pos(filename, 1, 1)
    for raw in text.split("\n"):
        m = _LINE_MARK.match(raw)
        if m:
            file, line = m.group(2) or file, int(m.group(1)[:9]) - 1
            continue
        line += 1
        for col, ch in enumerate(raw, start=1):
            if ch in "([{":
                depth += 1
                if depth > best:
                    best, where = depth, Pos(file, line, col)
            elif ch in ")]}":
                depth -= 1
    return where


_TAGGED = (c_ast.Struct, c_ast.Union, c_ast.Enum)


class _CParser(c_parser.CParser):
    """pycparser, with each array dimension or function suffix added to a declarator in constant
    time (pycparser walks the declarator's whole chain for each, quadratic in the dimensions)."""

    _last = (None, None)  # (a declarator, its modifier just above its TypeDecl)

    def _parse_error(self, msg, coord):
        """pycparser's error, always at a line and column: some of its messages ("Invalid
        declaration", "Invalid expression", "At end of input") name only the file, or no place:
        those are put at the token the parser stopped before (at the end, its last token), whose
        place follows the #line markers to the header's own line."""
        if not isinstance(coord, c_parser.Coord) or not coord.line:
            try:  # (pycparser 3's token stream; another version's: at the header's start, never a traceback)
                stream = self._tokens
                ahead = stream.peek(1)
                if ahead is None:  # at the end: the last token read
                    ahead = next((t for t in reversed(stream._buffer[:stream._index]) if t is not None), None)
            except (AttributeError, TypeError):  # pragma: no cover - another pycparser
                ahead = None
            coord = (c_parser.Coord(ahead.filename, ahead.lineno, ahead.column) if ahead is not None
                     else c_parser.Coord(self.clex.filename, 1, 1))
            msg = "syntax error at end of input" if msg == "At end of input" else f"syntax error: {msg}"
        elif coord.column is None:
            coord = c_parser.Coord(coord.file, coord.line, 1)
        super()._parse_error(msg, coord)

    def _parse_decl_body_with_spec(self, spec, saw_type):
        """An empty declaration of words alone (``static;``, ``const;``, ``int;``): gcc warns
        ("useless storage class specifier in empty declaration") and goes on, where pycparser
        refused it ("Invalid declaration"); at file scope gcc refuses ``register;`` and ``auto;``
        ("'register' in file-scope empty declaration").  (pycparser 3's; another's has no such
        method, and refuses it as before.)"""
        types = spec["type"]
        if self._peek_type() == "SEMI" and not (len(types) == 1 and isinstance(types[0], _TAGGED)) and not (
                len(types) > 1 and isinstance(types[-1], c_ast.IdentifierType) and len(types[-1].names) == 1
                and self._is_type_in_scope(types[-1].names[0])):  # (``int T;`` of a typedef name T declares T)
            refused = [w for w in ("register", "auto") if w in spec["storage"]]
            if refused and len(self._scope_stack) == 1:
                semi = self._peek()  # (at its ;: the words keep no place)
                self._parse_error(f"'{refused[0]}' in file-scope empty declaration",
                                  c_parser.Coord(semi.filename, semi.lineno, semi.column))
            return []
        return super()._parse_decl_body_with_spec(spec, saw_type)

    # GNU's forms gcc's default takes (the fast reader's too, :mod:`.fastc_body`): a range
    # designator, a label as a value in a function, a computed goto; none is laid out
    def _parse_designator(self):
        if self._peek_type() != "LBRACKET":
            return super()._parse_designator()
        tok = self._advance()
        first = self._parse_constant_expression()
        if self._accept("ELLIPSIS"):
            first = c_ast.BinaryOp("...", first, self._parse_constant_expression(), first.coord)
        self._expect("RBRACKET")
        return c_ast.ArrayDesignator(first, self._tok_coord(tok))

    def _parse_unary_expression(self):
        if self._peek_type() == "LAND" and self._peek_type(2) == "ID" and len(self._scope_stack) > 1:
            tok = self._advance()
            name = self._advance()
            return c_ast.UnaryOp("&&", c_ast.ID(name.value, self._tok_coord(name)), self._tok_coord(tok))
        return super()._parse_unary_expression()

    def _parse_jump_statement(self):
        if self._peek_type() == "GOTO" and self._peek_type(2) == "TIMES":
            tok = self._advance()
            self._advance()
            target = self._parse_expression()
            self._expect("SEMI")
            return c_ast.Goto(target, self._tok_coord(tok))
        return super()._parse_jump_statement()

    # a for's declaration: what gcc refuses there (pycparser takes it), as the fast reader does
    _for_tok = None

    def _parse_iteration_statement(self):
        self._for_tok = self._peek() if self._peek_type() == "FOR" else None
        return super()._parse_iteration_statement()

    def _parse_expression_opt(self):
        self._for_tok = None
        return super()._parse_expression_opt()

    def _parse_declaration(self):
        tok, self._for_tok = self._for_tok, None
        decls = super()._parse_declaration()
        if tok is not None:
            _refuse_in_for(decls, Pos(tok.filename, tok.lineno, tok.column))
        return decls

    # _Alignas where pycparser drops it: on a typedef (kept here, by the Typedef's id, for the
    # converter to refuse as gcc does) and on an unnamed parameter (put in its Typename's align)
    typedef_alignas: "dict | None" = None

    def _build_declarations(self, spec, decls, typedef_namespace=False):
        out = super()._build_declarations(spec, decls, typedef_namespace)
        if spec["alignment"] and "typedef" in spec["storage"]:
            if self.typedef_alignas is None:
                self.typedef_alignas = {}
            for node in out:
                self.typedef_alignas[id(node)] = spec["alignment"]
        return out

    def _build_parameter_declaration(self, spec, decl, spec_coord):
        out = super()._build_parameter_declaration(spec, decl, spec_coord)
        if spec["alignment"] and out.__class__ is c_ast.Typename:
            out.align = spec["alignment"]
        return out

    def _type_modify_decl(self, decl, modifier):
        if isinstance(decl, c_ast.TypeDecl):
            return super()._type_modify_decl(decl, modifier)
        modifier_tail = modifier
        while modifier_tail.type:
            modifier_tail = modifier_tail.type
        head, tail = self._last
        decl_tail = tail if head is decl and isinstance(tail.type, c_ast.TypeDecl) else decl
        while not isinstance(decl_tail.type, c_ast.TypeDecl):
            decl_tail = decl_tail.type
        modifier_tail.type = decl_tail.type
        decl_tail.type = modifier
        self._last = (decl, modifier_tail)
        return decl


def _refuse_in_for(decls: list, at_for: Pos):
    """gcc's refusal of a for's declaration that declares other than automatic or register
    objects (C11 6.8.5p3), the last such name first, as :meth:`.fastc_body.Bodies.for_declaration`."""
    declared = []

    def tags(node):  # (a record's or an enum's tag defined in the type, and what it holds)
        while not isinstance(node, (c_ast.IdentifierType, c_ast.Struct, c_ast.Union, c_ast.Enum)) and node is not None:
            node = getattr(node, "type", None)
        if isinstance(node, (c_ast.Struct, c_ast.Union)) and node.decls is not None:
            if node.name:
                declared.append(("tag", f"{'struct' if isinstance(node, c_ast.Struct) else 'union'} {node.name}", None))
            for member in node.decls:
                tags(member.type)
        elif isinstance(node, c_ast.Enum) and node.values is not None:
            if node.name:
                declared.append(("tag", f"enum {node.name}", None))
            declared.extend(("enumerator", e.name, None) for e in node.values.enumerators)

    for k, decl in enumerate(decls):
        if k == 0:
            tags(decl.type)
        where = Pos(decl.coord.file, decl.coord.line, decl.coord.column or 1) if decl.coord else at_for
        if isinstance(decl, c_ast.Typedef):
            declared.append(("typedef", decl.name, None))
        elif isinstance(decl.type, c_ast.FuncDecl):
            declared.append(("function", decl.name, None))
        elif "static" in decl.storage or "extern" in decl.storage:
            declared.append(("static" if "static" in decl.storage else "extern", decl.name, where))
    for kind, name, where in reversed(declared):
        if kind == "tag":
            raise LayoutError(f"'{name}' declared in 'for' loop initial declaration", at_for)
        if kind in ("static", "extern"):
            what = "static variable" if kind == "static" else "'extern' variable"
            raise LayoutError(f"declaration of {what} '{name}' in 'for' loop initial declaration", where)
        raise LayoutError(f"declaration of non-variable '{name}' in 'for' loop initial declaration", at_for)


# What the prepass would change or refuse: comments, #pragma, GNU words (__attribute__ ...), any
# directive but a line marker; without these ("/*", "//", "__", "inline" or "asm" anywhere, or this)
# its text is the text and it finds no attribute and no pack
_NEEDS_PREPASS = re.compile(r"#(?![ \t]*(?:line[ \t]+)?\d)")


#: The most tokens (of the preprocessed header) pycparser is given: it reads 66,000 to 90,000 a
#: second here and holds about 420 bytes a token (docs/PERFORMANCE.md, "Session 20, layout21"), so
#: 200,000 take 2.2 to 3 CPU s and 110 MB.  A larger header is read by the fast reader only: what
#: it does not take is refused, at its place, within issue 8's 5 s and 300 MB.
PYCPARSER_TOKENS = 200_000


def read_fast(text: str, filename: str, abi: ABI, prelude: str = PRELUDE):
    """(FileAST, Prepassed, large) of preprocessed ``text`` as :func:`parse_c` gives them, from
    the fast reader (``large``: more tokens than pycparser is given, so a refusal of the tree is
    final); None when the text is outside its subset (pycparser reads it then), or a located
    :class:`LayoutError` when it is and pycparser would take too long over it."""
    from dtracepy.layout import fastc

    # (substrings first: a regular expression trying words at every position took 0.2 s a 3 MB)
    needs = any(w in text for w in ("/*", "//", "__", "inline", "asm")) or _NEEDS_PREPASS.search(text)
    if not needs:
        pre = Prepassed(text)
    elif any(w in text for w in ("/*", "//", "__attribute", "asm")) or _NEEDS_PREPASS.search(text):
        pre = prepass(text, filename, abi.max_align)
    else:  # GNU words only (inline, __extension__ ...): blanked, without the scan of every token
        pre = blank_words(text)
    counted: list = []
    try:
        ast = fastc.read(prelude, pre.text, BUILTIN_FILE, counted, pre.typedef_alignas)
        return ast, pre, counted[0] > PYCPARSER_TOKENS
    except fastc.Unsupported as err:
        if err.tokens > PYCPARSER_TOKENS:
            raise _too_large(err, pre.text, filename) from None
        if err.toks is not None and err.at < len(err.toks) and err.toks[err.at] in _UNREAD_BY_PYCPARSER and \
                str(err).endswith(" where a type is laid out"):  # (in an expression pycparser reads it as a call)
            raise _unread_typeof(err, pre.text, filename) from None
        return None
    except fastc.Refused as err:  # (what gcc refuses and pycparser would not)
        line, col, file = fastc.token_place(pre.text, err.at)
        if err.input_location:  # (gcc's input_location there: the line's first token, mostly)
            from dtracepy.layout.alignas import input_column

            start = _line_starts(pre.text).get((file, line))
            if start is not None:
                end = pre.text.find("\n", start)
                col = input_column(pre.text[start:end if end >= 0 else None], col)
        raise LayoutError(err.message, Pos(file or filename, line, col)) from None


# the words pycparser reads as no type (the fast reader reads them where it can): where the fast
# reader gives way at one where a type is laid out, pycparser's path would refuse the header too,
# at that word or wherever it misreads first (review 26, L8: a line gcc takes, above the word)
_UNREAD_BY_PYCPARSER = frozenset({"typeof", "__typeof__", "__typeof", "__auto_type"})


def _unread_typeof(err, text: str, filename: str) -> LayoutError:
    """The refusal of a ``typeof`` (or ``__auto_type``) the fast reader does not read, at it."""
    from dtracepy.layout.fastc_lex import token_place

    line, col, file = token_place(text, err.at)
    word = err.toks[err.at]
    return LayoutError(f"'{word}' here is not read by dtracepy ({err}): its fast C reader reads typeof of a "
                       "type name or of a file-scope object's name, and __auto_type in a function's body; its "
                       "full C parser reads neither", Pos(file or filename, line, col))


def _too_large(err, text: str, filename: str) -> LayoutError:
    """The refusal of a header too large for pycparser, at the token where the fast reader gave
    way: an unknown type name there as pycparser's path names it, else what it did not take."""
    from dtracepy.layout.fastc_lex import _RESERVED, _TOKEN, token_place

    toks = err.toks if err.toks is not None else [t for t in _TOKEN.findall(text) if t[:1] != "#"]
    toks = toks + ["", ""]
    for k in (err.at - 1, err.at):  # (``T x``: a body reads T as an operand and stops at x)
        if k < 0:
            continue
        name, after = toks[k], toks[k + 1]
        before = toks[k - 1] if k > 0 else ";"
        if before in (";", "{", "}", "(", ",") and all(w[:1].isalpha() or w[:1] == "_" for w in (name, after)) \
                and name not in _RESERVED and name not in _typedef_names(text):
            line, col, file = token_place(text, k)
            return LayoutError(f"unknown type name {name!r} (declare it with a typedef, or -I the header "
                               "that does)", Pos(file or filename, line, col))
    line, col, file = token_place(text, err.at)
    where = Pos(file or filename, line, col)
    token = toks[err.at] if err.at < len(toks) else ""
    what = f"{token[:40]!r}" if token else "the end of the header"
    return LayoutError(
        f"{what} is outside the fast C reader's subset ({err}); a header of more than "
        f"{PYCPARSER_TOKENS:,} tokens (this one has {err.tokens:,}) is read only within it, as the "
        "full C parser would take more than 5 s over it", where)


def parse_c(text: str, filename: str, abi: ABI, prelude: str = PRELUDE):
    """Parse preprocessed ``text``: prepass, prelude, pycparser.  Returns (FileAST, Prepassed)."""
    pre = prepass(text, filename, abi.max_align)
    full = f'#line 1 "{BUILTIN_FILE}"\n{prelude}{pre.text}'
    parser = _CParser()
    try:
        ast = parser.parse(full, filename)
    except RecursionError:
        raise LayoutError("nested too deeply for dtracepy's C parser", _deepest(full, filename)) from None
    except c_parser.ParseError as err:
        guess = _unknown_type_name(full)
        if guess is not None:
            name, pos = guess
            raise LayoutError(f"unknown type name {name!r} (declare it with a typedef, or -I the header "
                              "that does)", pos) from None
        raise _located_parse_error(err, Pos(filename, 1, 1)) from None
    pre.typedef_alignas = parser.typedef_alignas or {}
    return ast, pre


def _located_parse_error(err: c_parser.ParseError, where: Pos) -> LayoutError:
    """pycparser's error at its place ("syntax error before: }"); at ``where`` if it has none."""
    m = _PARSE_ERROR.match(str(err))
    if m:
        msg = m.group(4)
        msg = f"syntax error {msg}" if msg.startswith("before") else msg
        return LayoutError(msg, Pos(m.group(1), int(m.group(2)), int(m.group(3))))
    words = str(err)
    if where.file and words.startswith(f"{where.file}: "):  # (pycparser names the file without a line)
        words = words[len(where.file) + 2:]
    return LayoutError(f"syntax error: {words}", where)
