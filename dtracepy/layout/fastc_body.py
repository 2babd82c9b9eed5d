"""Function bodies and initializers, recognised against pycparser 3's grammar and built into no
node (a mixin of :class:`.fastc._Reader`): the layout reads no body and no initializer, but a
header pycparser refuses must be refused alike, so what is not recognised is :class:`Unsupported`."""

from __future__ import annotations

from dtracepy.layout.fastc_lex import (Refused, Unsupported, _ASSIGN, _CHAR, _FLOAT, _ID_START, _INTEGER, _MAX_DEPTH,
                                       _PAREN_DEPTH, _PREC, _RESERVED, _STATEMENT_DEPTH, _STRING,
                                       _UNARY)


class Bodies:
    """Statements, declarations in blocks, every expression operator, casts, ``sizeof``,
    designators: read, checked, dropped."""

    # -- function bodies and initializers: recognised, not built ------------------------------
    #
    # pycparser's grammar (its statements, expressions and initializers), read to check that
    # pycparser would read them too: the layout reads no function body and no initializer, but a
    # header pycparser refuses must be refused alike.  What is not recognised here (a name
    # shadowing a typedef, a typedef in a for's declaration, a GNU range designator ...) is
    # Unsupported.  A block's typedefs are names only until its '}' (:meth:`compound`).

    def enter(self, cost: int = 1):
        self.depth += cost
        if self.depth > _MAX_DEPTH:
            raise Unsupported("nested deeply")

    def compound(self):
        toks = self.toks
        self.expect("{")
        self.enter(_STATEMENT_DEPTH)
        self.scopes.append([])
        declared, self.declared = self.declared, None  # (a for's declaration's: not its blocks')
        while toks[self.i] != "}":
            t = toks[self.i]
            if t == "":
                raise Unsupported("an unclosed body")
            if self.starts_declaration(t):
                self.declaration(False)
            elif t == "_Static_assert":
                self.body_assert()
            else:
                self.statement()
        self.i += 1
        self.declared = declared
        self.end_scope()
        self.depth -= _STATEMENT_DEPTH

    def end_scope(self):
        """The innermost block's (or for's) typedefs end, the typedef names it hid are seen again."""
        for name in reversed(self.scopes.pop()):
            if name.__class__ is tuple:
                self.typedefs.add(name[0])
            else:
                self.typedefs.discard(name)

    def for_declaration(self):
        """A for's declaration, in the for's own scope (pycparser's and gcc's); what gcc refuses
        there (C11 6.8.5p3: objects of automatic or register storage only) in its words, the
        last such name declared first (gcc reads the scope's names from the last)."""
        at_for = self.i - 2
        self.declared = []
        self.declaration(False)
        for kind, name, at in reversed(self.declared):
            if kind == "tag":
                raise Refused(f"'{name}' declared in 'for' loop initial declaration", at_for)
            if kind == "static" or kind == "extern":
                what = "static variable" if kind == "static" else "'extern' variable"
                raise Refused(f"declaration of {what} '{name}' in 'for' loop initial declaration", at)
            raise Refused(f"declaration of non-variable '{name}' in 'for' loop initial declaration", at_for)
        self.declared = None

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
            self.scopes.append([])
            if self.starts_declaration(toks[self.i]):
                self.for_declaration()
            else:
                self.optional_expression(";")
            self.optional_expression(";")
            self.optional_expression(")")
            self.statement()
            self.end_scope()
        elif t == "goto":
            self.i += 1
            if toks[self.i] == "*":  # GNU's computed goto, goto *expression;
                self.i += 1
                self.expression()
            else:
                self.name()  # (a typedef name too for gcc, not for pycparser: it gives way)
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
        if t != "}" and not self.starts_declaration(t):
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
                            if toks[self.i] == "...":  # GNU's range, [first ... last]
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
                    self.i -= 1  # (at the token)
                    raise Unsupported(f"{t!r} in an initializer")
                break
        self.depth -= _STATEMENT_DEPTH

    def typeof(self):
        """GNU's ``typeof (expression or type name)`` (``__typeof__``, ``__typeof``), in a
        function's body: read, and a stand-in type given (nothing there is laid out)."""
        toks = self.toks
        self.i += 1
        self.expect("(")
        if self.starts_type(toks[self.i]):
            self.typename()
        else:
            self.expression()
        self.expect(")")
        return self.identifier_type(("int",))

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
            if toks[self.i] == "{":  # a compound literal, (type){ ... }, and its postfix operators
                self.initializer()
                self.suffixes()
                self.depth -= casts
                return
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
                if toks[self.i] == "{":  # sizeof of a compound literal
                    self.initializer()
                    self.suffixes()
            elif t in _UNARY:
                self.cast()
            else:
                self.unary_expression()
            self.depth -= 1
            return
        if t == "&&" and self.block:  # GNU's label as a value, in a function's body
            self.i += 1
            self.name()
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
        if t == "(":  # (each refusal below is at its token: i is put back)
            self.enter(_PAREN_DEPTH)
            if toks[self.i] == "{":  # a GNU statement expression, ({ ... }): a block of its own
                self.compound()
            else:
                self.expression()
            self.expect(")")
            self.depth -= _PAREN_DEPTH
        elif t[:1] in _ID_START:
            if t in _RESERVED or t in self.typedefs:
                self.i -= 1
                raise Unsupported(f"operand {t!r}")
        elif t[:1].isdigit():
            if not (_INTEGER.fullmatch(t) or _FLOAT.fullmatch(t)):
                self.i -= 1
                raise Unsupported(f"number {t!r}")
        elif t[:1] == "'":
            if not _CHAR.fullmatch(t):
                self.i -= 1
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
            self.i -= 1
            raise Unsupported(f"operand {t!r}")
        self.suffixes()

    def suffixes(self):
        """A postfix expression's ``[i]``, ``(args)``, ``.m``, ``->m``, ``++``, ``--``."""
        toks = self.toks
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
