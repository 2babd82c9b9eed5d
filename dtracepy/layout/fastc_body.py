"""Function bodies and initializers, recognised against pycparser 3's grammar and built into no
node (a mixin of :class:`.fastc._Reader`): the layout reads no body and no initializer, but a
header pycparser refuses must be refused alike, so what is not recognised is :class:`Unsupported`."""

from __future__ import annotations

from dtracepy.layout.fastc_lex import (Unsupported, _ASSIGN, _CHAR, _FLOAT, _ID_START, _INTEGER, _MAX_DEPTH,
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
        while toks[self.i] != "}":
            t = toks[self.i]
            if t == "":
                raise Unsupported("an unclosed body")
            if self.starts_declaration(t):
                self.declaration(False)
            else:
                self.statement()
        self.i += 1
        self.typedefs.difference_update(self.scopes.pop())  # (the block's typedefs end with it)
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
            if self.starts_declaration(toks[self.i]):
                scopes, self.scopes = self.scopes, []  # (pycparser's scope of the loop: a typedef gives way)
                self.declaration(False)
                self.scopes = scopes
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
            self.enter(_PAREN_DEPTH)
            if toks[self.i] == "{":  # a GNU statement expression, ({ ... }): a block of its own
                self.compound()
            else:
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
