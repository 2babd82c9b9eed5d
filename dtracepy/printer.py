"""Tree -> D text.

One class, :class:`DPrinter`, with one ``visit_<Node>`` method per node type (pycparser's
CGenerator is the model).  Expressions get parentheses only where the precedence table in
:mod:`dtracepy.facts.precedence` demands them; layout follows the way people write D (the seeds):

    fbt:ip:tcp_conn_request:entry,
    fbt:ip:tcp_conn_request:return
    /self->lport == $1/
    {
    	self->tcpq = 0;
    }

The output is deterministic: the same tree always prints the same text.
"""

from __future__ import annotations

import attrs

import sys

from dtracepy import tree as T
from dtracepy.facts import precedence as P
from dtracepy.tree import bodyless_is_d

INDENT = "\t"
TAB_WIDTH = 8  # columns a leading tab counts for
LINE_WIDTH = 100  # a call statement longer than this is wrapped (see DPrinter._wrapped_call)
CONTINUATION = "    "  # continuation lines: the statement's indentation and four spaces

# Top-level items that stay on consecutive lines when they follow one another.
_LINE_ITEMS = (T.Pragma, T.Directive)


def to_d(node: T.Node, starts: list | None = None, *, record: list | None = None,
         known: list | None = None) -> str:
    """Print ``node`` as D.  A Program prints as a file (ending in a newline); any other node
    prints as that construct alone (an Expr as an expression, a Stmt as a statement...).
    ``starts`` (a list, for a Program): filled with the offset in the text of each of its items.

    ``record`` (a list, for a Program): filled with ``(text, braced)`` for each of its items that
    is no comment, in order: its D, and whether it is a clause without a body given braces (see
    visit_Program).  ``known``: such a record of another program whose items other than comments
    are *equal* to this one's (the caller has compared them): their texts are taken for those
    items, but the first, where the braces are decided alike, instead of printing them again.
    Equal nodes print the same D (the printer reads no field that equality leaves out: ``pos``
    and the DSL's notes) and pass the same invariants.  ``import --exact`` prints the original
    for its size bound and compiles its module back to equal items: their D is printed once."""
    try:
        return _printer(starts, record, known).visit(node)
    except RecursionError:
        pass
    # A very deep tree (a long operator chain): retry with room to recurse, a few frames per node.
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 4 * sum(1 for _ in node.walk()) + 10_000))
    try:
        return _printer(starts, record, known).visit(node)
    finally:
        sys.setrecursionlimit(old)


def _printer(starts: list | None, record: list | None = None, known: list | None = None) -> DPrinter:
    printer = DPrinter()
    if starts is not None:
        starts.clear()
        printer.item_starts = starts
    if record is not None:
        record.clear()
        printer.item_record = record
    printer.known_items = known
    return printer


def escape_string(value: str) -> str:
    """``value`` as the inside of a D string literal: C escapes for ``\\``, ``"``, newline and tab,
    octal escapes for other control characters and for bytes that are not UTF-8 (held as
    ``surrogateescape`` does, U+DC80 to U+DCFF: what ``"\\377"`` reads as); the octal escapes of
    their UTF-8 bytes for the characters that hide (``tree.hidden_character``: a bidirectional
    override printed raw makes the line read other than it runs); other characters (incl.
    non-ASCII) as themselves."""
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\%03o" % ord(ch))
        elif "\udc80" <= ch <= "\udcff":
            out.append("\\%03o" % (ord(ch) - 0xDC00))
        elif ch >= "\x80" and T.hidden_character(ch):
            out.extend("\\%03o" % byte for byte in ch.encode("utf-8"))
        else:
            out.append(ch)
    text = "".join(out)
    if "??" in text:  # (rare: the test costs the usual string nothing)
        # A trigraph: the C preprocessor of dtrace -C replaces ??/ with \ (so "??/\"" ends the
        # string early, and what follows is D), ??= with # ...  The second ? of each is written
        # \077, which both dtrace -s and dtrace -C read as the ? it is.
        text = _without_trigraphs(text)
    return text


def _without_trigraphs(text: str) -> str:
    """``text`` with the second ``?`` of each trigraph (``??`` and one of ``=/'()!<>-``) as ``\077``."""
    out, start, i = [], 0, text.find("??")
    while i >= 0:
        if text[i + 2 : i + 3] in _TRIGRAPH_ENDS:
            out += (text[start : i + 1], "\\077")
            start = i + 2
        i = text.find("??", i + 1)
    out.append(text[start:])
    return "".join(out)


_TRIGRAPH_ENDS = frozenset("=/'()!<>-")


def _pastes(left: str, right: str) -> bool:
    """Would writing ``left`` directly before ``right`` make the lexer read different tokens?"""
    if not left or not right:
        return False
    a, b = left[-1], right[0]
    if a == b and a in "+-&|<>=":
        return True
    if a == "/" and b in "*/":
        return True
    if a == "-" and b == ">":
        return True
    return False


def _dangles(stmt: T.Stmt) -> bool:
    """Does ``stmt`` end in an ``if`` without ``else`` (which would capture a following else)?"""
    while isinstance(stmt, T.If):
        if stmt.otherwise is None:
            return True
        stmt = stmt.otherwise
    return False


# node class -> DPrinter.level of its nodes (all but Binary's: a node's level depends on its class)
_LEVELS: dict = {}

# (printer class, node class) -> (its visit_<Node> function or None, the node class's _problem or
# None): looked up once per pair, not once per node printed.
_DISPATCH: dict = {}


def _dispatch(printer: type, cls: type) -> tuple:
    method = getattr(printer, "visit_" + cls.__name__, None) if issubclass(cls, T.Node) else None
    problem = getattr(cls, "_problem", None)
    found = _DISPATCH[(printer, cls)] = (method, problem)
    return found


class DPrinter:
    """Prints a D syntax tree.  Subclass and override ``visit_<Node>`` to change one construct."""

    #: A list to fill with the offset of each of a Program's items in its text, or None.
    item_starts: list | None = None
    #: A list to fill with (text, braced) for each of a Program's items that is no comment, or None;
    #: such a list of an equal program's, to take their texts from, or None (see :func:`to_d`).
    item_record: list | None = None
    known_items: list | None = None

    def __init__(self) -> None:
        self.indent = 0

    # -- dispatch ----------------------------------------------------------------------------

    def visit(self, node) -> str:
        found = _DISPATCH.get((self.__class__, node.__class__))
        if found is None:
            found = _dispatch(self.__class__, node.__class__)
        method, check = found
        if method is None:
            from dtracepy.errors import DSLError
            from dtracepy.source import user_pos

            raise DSLError(f"cannot print {type(node).__name__} ({node!r}) as D: not a dtracepy.tree "
                           "node where one belongs", user_pos())
        # The last line of defence: a node that cannot print as what its kind means (built around
        # its constructor) is refused, as its constructor would have (see tree, "Invariants").
        if check is not None:
            problem = check(node)
            if problem is not None:
                T._refuse(node, problem)
        return method(self, node)

    def _tabs(self) -> str:
        return INDENT * self.indent

    # -- expressions: precedence ---------------------------------------------------------------

    def level(self, node: T.Expr) -> int:
        """The precedence level of ``node`` as printed (higher binds tighter).  Asked for every
        operand printed or measured: the answer for a node class is kept (:data:`_LEVELS`), a
        binary operator's from its operator; a subclass of a printer that overrides this
        method is asked as it says."""
        cls = node.__class__
        if cls is T.Binary:
            return P.BINARY[node.op]
        found = _LEVELS.get(cls)
        if found is None:
            found = self._level(node)
            if not isinstance(node, T.Binary):
                _LEVELS[cls] = found
        return found

    def _level(self, node: T.Expr) -> int:
        if isinstance(node, T.Binary):
            return P.BINARY[node.op]
        if isinstance(node, T.Assign):
            return P.ASSIGN
        if isinstance(node, T.Ternary):
            return P.TERNARY
        if isinstance(node, T.Cast):
            return P.CAST
        if isinstance(node, (T.Unary, T.SizeofExpr, T.SizeofType, T.Stringof, T.Xlate)):
            return P.UNARY
        if isinstance(node, (T.Postfix, T.Call, T.Index, T.Member)):
            return P.POSTFIX
        return P.PRIMARY

    def expr(self, node: T.Expr, min_level: int) -> str:
        """Print ``node``, in parentheses if it binds less tightly than ``min_level``."""
        text = self.visit(node)
        if self.level(node) < min_level:
            return "(" + text + ")"
        return text

    # -- expressions: leaves -------------------------------------------------------------------

    def visit_IntLit(self, node: T.IntLit) -> str:
        return node.text

    def visit_CharLit(self, node: T.CharLit) -> str:
        text = node.text
        if "??" in text:
            # (as in a string: under dtrace -C, '??/' would be '\', an unterminated constant;
            # '?\077/' is the same three bytes to dtrace -s and dtrace -C)
            text = _without_trigraphs(text)
        return "'" + text + "'"

    def visit_StringLit(self, node: T.StringLit) -> str:
        return '"' + escape_string(node.value) + '"'

    def visit_Ident(self, node: T.Ident) -> str:
        if node.module is None:
            return node.name
        return node.module + "`" + node.name

    def visit_MacroVar(self, node: T.MacroVar) -> str:
        return node.name

    def visit_SelfVar(self, node: T.SelfVar) -> str:
        return "self->" + node.name

    def visit_ThisVar(self, node: T.ThisVar) -> str:
        return "this->" + node.name

    def visit_AggVar(self, node: T.AggVar) -> str:
        return "@" + node.name

    # -- expressions: operators ----------------------------------------------------------------

    def _prefix(self, op: str, operand: str) -> str:
        return op + (" " if _pastes(op, operand) else "") + operand

    def visit_Unary(self, node: T.Unary) -> str:
        need = P.UNARY if node.op in P.PREFIX_UNARY_OPERAND else P.CAST
        return self._prefix(node.op, self.expr(node.operand, need))

    def visit_Postfix(self, node: T.Postfix) -> str:
        return self.expr(node.operand, P.POSTFIX) + node.op

    def visit_Binary(self, node: T.Binary) -> str:
        # Iterative along the left spine (a + b + c ...) and the right one (a + (b + (c ...))):
        # a 100,000-term chain prints in linear time, without recursing once per operator.
        out: list[str] = []
        closers = 0
        cur = node
        while True:
            spine = [cur]
            while isinstance(spine[-1].left, T.Binary) and P.BINARY[spine[-1].left.op] >= P.BINARY[spine[-1].op]:
                spine.append(spine[-1].left)
            inner = spine[-1]
            out.append(self.expr(inner.left, P.BINARY[inner.op]))
            for b in reversed(spine[1:]):
                out.append(", " if b.op == "," else " " + b.op + " ")
                out.append(self.expr(b.right, P.BINARY[b.op] + 1))
            out.append(", " if cur.op == "," else " " + cur.op + " ")
            right = cur.right
            if not isinstance(right, T.Binary):
                out.append(self.expr(right, P.BINARY[cur.op] + 1))
                break
            if P.BINARY[right.op] < P.BINARY[cur.op] + 1:
                out.append("(")
                closers += 1
            cur = right
        out.append(")" * closers)
        return "".join(out)

    def visit_Assign(self, node: T.Assign) -> str:
        target = self.expr(node.target, P.UNARY)
        value = self.expr(node.value, P.ASSIGN)
        return target + " " + node.op + " " + value

    def visit_Ternary(self, node: T.Ternary) -> str:
        cond = self.expr(node.cond, P.LOGICAL_OR)
        then = self.expr(node.then, P.TERNARY)
        otherwise = self.expr(node.otherwise, P.TERNARY)
        return cond + " ? " + then + " : " + otherwise

    def visit_Cast(self, node: T.Cast) -> str:
        return "(" + self.visit(node.type) + ")" + self.expr(node.operand, P.CAST)

    def visit_SizeofExpr(self, node: T.SizeofExpr) -> str:
        return "sizeof (" + self.visit(node.operand) + ")"

    def visit_SizeofType(self, node: T.SizeofType) -> str:
        return "sizeof (" + self.visit(node.type) + ")"

    def visit_Stringof(self, node: T.Stringof) -> str:
        return "stringof(" + self.visit(node.operand) + ")"

    def visit_Offsetof(self, node: T.Offsetof) -> str:
        return "offsetof(" + self.visit(node.type) + ", " + node.member + ")"

    def visit_Xlate(self, node: T.Xlate) -> str:
        return "xlate<" + self.visit(node.type) + ">(" + self.visit(node.operand) + ")"

    def _args(self, args) -> str:
        return ", ".join(self.expr(arg, P.ASSIGN) for arg in args)

    def visit_Call(self, node: T.Call) -> str:
        return self.expr(node.callee, P.POSTFIX) + "(" + self._args(node.args) + ")"

    def visit_Index(self, node: T.Index) -> str:
        return self.expr(node.base, P.POSTFIX) + "[" + self._args(node.keys) + "]"

    def visit_Member(self, node: T.Member) -> str:
        base = self.expr(node.base, P.POSTFIX)
        if node.op == "." and isinstance(node.base, T.IntLit):
            base = "(" + base + ")"  # 1.x would lex as a floating-point constant
        return base + node.op + node.name

    # -- types and declarators -----------------------------------------------------------------

    def specifiers(self, specs) -> str:
        return " ".join(s if isinstance(s, str) else self.visit(s) for s in specs)

    def visit_TypeRef(self, node: T.TypeRef) -> str:
        if node.module is None:
            return node.name
        return node.module + "`" + node.name

    def visit_Enumerator(self, node: T.Enumerator) -> str:
        if node.value is None:
            return node.name
        return node.name + " = " + self.expr(node.value, P.TERNARY)

    def visit_EnumSpec(self, node: T.EnumSpec) -> str:
        head = "enum" if node.name is None else "enum " + node.name
        if node.enumerators is None:
            return head
        if not node.enumerators:
            return head + " {\n" + self._tabs() + "}"
        self.indent += 1
        try:
            lines = [self._tabs() + self.visit(e) for e in node.enumerators]
        finally:
            self.indent -= 1
        return head + " {\n" + ",\n".join(lines) + "\n" + self._tabs() + "}"

    def visit_StructSpec(self, node: T.StructSpec) -> str:
        head = node.kind if node.name is None else node.kind + " " + node.name
        if node.members is None:
            return head
        self.indent += 1
        try:
            lines = [self._tabs() + self.visit(m) + "\n" for m in node.members]
        finally:
            self.indent -= 1
        return head + " {\n" + "".join(lines) + self._tabs() + "}"

    def visit_FieldDeclarator(self, node: T.FieldDeclarator) -> str:
        text = "" if node.declarator is None else self.visit(node.declarator)
        if node.width is not None:
            text = (text + " : " if text else ": ") + self.expr(node.width, P.TERNARY)
        return text

    def visit_FieldDecl(self, node: T.FieldDecl) -> str:
        decls = ", ".join(self.visit(d) for d in node.declarators)
        return self.specifiers(node.specifiers) + (" " + decls if decls else "") + ";"

    def visit_NameDecl(self, node: T.NameDecl) -> str:
        return node.name or ""

    def visit_PointerDecl(self, node: T.PointerDecl) -> str:
        inner = self.visit(node.target)
        if node.qualifiers:
            quals = " ".join(node.qualifiers)
            return "*" + quals + (" " + inner if inner else "")
        return "*" + inner

    def _direct(self, target: T.Declarator) -> str:
        """The declarator ``target`` as the left part of an array or function declarator."""
        text = self.visit(target)
        if isinstance(target, T.PointerDecl):
            return "(" + text + ")"
        return text

    def _dim(self, dim) -> str:
        if isinstance(dim, (T.TypeName, T.Param)):
            return self.visit(dim)
        return self.expr(dim, P.ASSIGN)

    def visit_ArrayDecl(self, node: T.ArrayDecl) -> str:
        return self._direct(node.target) + "[" + ", ".join(self._dim(d) for d in node.dims) + "]"

    def visit_FuncDecl(self, node: T.FuncDecl) -> str:
        return self._direct(node.target) + "(" + ", ".join(self.visit(p) for p in node.params) + ")"

    def _typed(self, specs, declarator) -> str:
        """Specifiers followed by a declarator, C-style: ``int *p``, ``char [16]``."""
        text = self.specifiers(specs)
        decl = "" if declarator is None else self.visit(declarator)
        if not decl:
            return text
        if not text:
            return decl
        return text + " " + decl

    def visit_Param(self, node: T.Param) -> str:
        return self._typed(node.specifiers, node.declarator)

    def visit_TypeName(self, node: T.TypeName) -> str:
        return self._typed(node.specifiers, node.declarator)

    # -- statements ----------------------------------------------------------------------------

    def visit_ExprStmt(self, node: T.ExprStmt) -> str:
        text = self.visit(node.expr) + ";"
        if isinstance(node.expr, T.Call) and len(node.expr.args) > 1 and \
                TAB_WIDTH * self.indent + len(text) > LINE_WIDTH:
            return self._wrapped_call(node.expr)
        return text

    def _wrapped_call(self, node: T.Call) -> str:
        """A call statement too long for one line, as the seeds write it: the first argument after
        ``(``, the others filled onto continuation lines indented four spaces past the statement,
        each line at most LINE_WIDTH columns where an argument allows (never broken inside one)::

            printf("%d %s\\n",
                timestamp, execname);
        """
        args = [self.expr(arg, P.ASSIGN) for arg in node.args]
        lead = self._tabs() + CONTINUATION
        room = LINE_WIDTH - TAB_WIDTH * self.indent - len(CONTINUATION)
        lines = [self.expr(node.callee, P.POSTFIX) + "(" + args[0] + ","]
        line = ""
        for i, arg in enumerate(args[1:], 2):
            piece = arg + ("," if i < len(args) else ");")
            if line and len(line) + 1 + len(piece) > room:
                lines.append(lead + line)
                line = piece
            else:
                line = line + " " + piece if line else piece
        lines.append(lead + line)
        return "\n".join(lines)

    def visit_EmptyStmt(self, node: T.EmptyStmt) -> str:
        return ";"

    def body(self, stmts) -> str:
        """``{``, the statements one per line one tab deeper, ``}`` (``{`` on the current line)."""
        self.indent += 1
        try:
            lines = [self._tabs() + self.visit(s) + "\n" for s in stmts]
        finally:
            self.indent -= 1
        return "{\n" + "".join(lines) + self._tabs() + "}"

    def visit_Block(self, node: T.Block) -> str:
        return self.body(node.body)

    def _branch(self, stmt: T.Stmt, protect: bool) -> tuple[str, bool]:
        """A branch of an ``if``: `` {...}`` after the head, or the statement on its own line one
        tab deeper.  Returns the text and whether it ended with a closing brace."""
        if protect and _dangles(stmt):
            stmt = T.Block((stmt,))
        if isinstance(stmt, T.Block):
            return " " + self.visit(stmt), True
        self.indent += 1
        try:
            text = "\n" + self._tabs() + self.visit(stmt)
        finally:
            self.indent -= 1
        return text, False

    def visit_If(self, node: T.If) -> str:
        text, braced = self._branch(node.then, protect=node.otherwise is not None)
        out = "if (" + self.visit(node.cond) + ")" + text
        if node.otherwise is None:
            return out
        out += " else" if braced else "\n" + self._tabs() + "else"
        if isinstance(node.otherwise, T.If):
            return out + " " + self.visit(node.otherwise)
        text, _ = self._branch(node.otherwise, protect=False)
        return out + text

    # -- top level -----------------------------------------------------------------------------

    def visit_ProbeDesc(self, node: T.ProbeDesc) -> str:
        return node.text

    def visit_Clause(self, node: T.Clause) -> str:
        lines = ",\n".join(self.visit(p) for p in node.probes)
        if node.predicate is not None:
            predicate = self.visit(node.predicate)
            # "/*p/" would open a comment; "/ *p/" is the predicate *p.
            lines += "\n/" + (" " if predicate.startswith("*") else "") + predicate + "/"
        if node.body is not None:
            lines += "\n" + self.body(node.body)
        return lines

    def visit_Declaration(self, node: T.Declaration) -> str:
        decls = ", ".join(self.visit(d) for d in node.declarators)
        return self.specifiers(node.specifiers) + (" " + decls if decls else "") + ";"

    def visit_Inline(self, node: T.Inline) -> str:
        head = self._typed(("inline",) + tuple(node.specifiers), node.declarator)
        return head + " = " + self.expr(node.value, P.ASSIGN) + ";"

    def visit_TranslatorMember(self, node: T.TranslatorMember) -> str:
        return node.name + " = " + self.expr(node.value, P.ASSIGN) + ";"

    def visit_Translator(self, node: T.Translator) -> str:
        source = self.visit(node.input)
        source += node.input_name if source.endswith("*") else " " + node.input_name
        head = "translator " + self.visit(node.output) + " < " + source + " > "
        self.indent += 1
        try:
            lines = [self._tabs() + self.visit(m) + "\n" for m in node.members]
        finally:
            self.indent -= 1
        return head + "{\n" + "".join(lines) + self._tabs() + "};"

    def visit_ProviderProbe(self, node: T.ProviderProbe) -> str:
        text = "probe " + node.name + "(" + ", ".join(self.visit(p) for p in node.params) + ")"
        if node.mapped is not None:
            text += " : (" + ", ".join(self.visit(p) for p in node.mapped) + ")"
        return text + ";"

    def visit_Provider(self, node: T.Provider) -> str:
        self.indent += 1
        try:
            lines = [self._tabs() + self.visit(p) + "\n" for p in node.probes]
        finally:
            self.indent -= 1
        return "provider " + node.name + " {\n" + "".join(lines) + self._tabs() + "};"

    def visit_Pragma(self, node: T.Pragma) -> str:
        return " ".join(("#pragma",) + tuple(node.words))

    def visit_Directive(self, node: T.Directive) -> str:
        if not node.text:
            return "#" + node.name
        if node.name == "" and node.text.startswith("!"):
            # a `#!` line below the first, as written: dtrace skips it, but refuses `# !...`
            # ("invalid control directive"); first in a program see visit_Program
            return "#" + node.text
        return "#" + node.name + " " + node.text

    def visit_Shebang(self, node: T.Shebang) -> str:
        return "#!" + node.text

    def visit_Comment(self, node: T.Comment) -> str:
        # (a character that hides written <U+202E>: a comment of dtracepy's output, a tree's made
        # in Python or read from D, shows what it holds)
        return "/*" + T.hidden_shown(node.text) + "*/"

    def visit_Program(self, node: T.Program) -> str:
        out = []
        previous = None
        items = node.items
        starts = self.item_starts
        record, known = self.item_record, self.known_items
        others = 0  # (the items so far that are no comment: an index into record and known)
        length = 0
        Comment = T.Comment
        # A directive after a '#' line, printed as the loop below would print it, in fewer steps
        # (its test and its visit_Directive, as visit() calls them): 190,000 `#define` lines are
        # printed for the destructive check's look at the expansion.
        Directive, lines = T.Directive, (T.Directive, T.Pragma)
        directive_problem, directive_text = Directive._problem, self.visit_Directive
        for index, item in enumerate(items):
            if item.__class__ is Directive and previous.__class__ in lines and known is None:
                problem = directive_problem(item)
                if problem is not None:
                    T._refuse(item, problem)
                out.append("\n")
                out.append(text := directive_text(item))
                if record is not None:
                    record.append((text, False))
                others += 1
                if starts is not None:
                    starts.append(length + 1)
                    length += 1 + len(text)
                previous = item
                continue
            if previous is not None:
                together = isinstance(previous, _LINE_ITEMS) and isinstance(item, _LINE_ITEMS)
                out.append("\n" if together else "\n\n")
                if starts is not None:
                    length += 1 if together else 2
            braced = False
            if isinstance(item, T.Clause) and item.body is None and not bodyless_is_d(items, index):
                # Without braces this would not be D (see bodyless_is_d); an empty body means
                # the same to dtrace: the clause has no actions, so the default record is traced.
                item = attrs.evolve(item, body=())
                braced = True
            if index == 0 and isinstance(item, T.Directive) and item.name == "" and item.text.startswith("!"):
                out.append("# " + item.text)    # `#!` on the first line would read back as the #! line
            elif known is not None and index and not isinstance(item, Comment) and known[others][1] is braced:
                out.append(known[others][0])
            else:
                out.append(self.visit(item))
            if not isinstance(item, Comment):
                if record is not None:
                    record.append((out[-1], braced))
                others += 1
            if starts is not None:
                starts.append(length)
                length += len(out[-1])
            previous = item
        return "".join(out) + "\n" if out else ""


# -- measuring before printing -----------------------------------------------------------------
#
# A DSL tree is a graph: a value used twice is one node printed twice (``x = x + x`` twenty times
# prints 2**20 copies of arg0), so printing it, or walking it as a tree, can take exponential
# time.  :func:`measure` answers for each distinct node, once: at least how long its D is, and how
# deeply its D nests ( [ { (the lexer's nesting limit).  The bracket rules are the printer's above.

_LEAF_TEXT = {T.IntLit: "text", T.CharLit: "text", T.StringLit: "value", T.Ident: "name",
              T.MacroVar: "name", T.SelfVar: "name", T.ThisVar: "name", T.AggVar: "name",
              T.ProbeDesc: "text", T.Comment: "text", T.TypeRef: "name", T.Pragma: None,
              T.Directive: "text", T.Shebang: "text", T.NameDecl: "name"}


_LEAVES = frozenset((T.IntLit, T.CharLit, T.StringLit, T.Ident, T.MacroVar, T.SelfVar, T.ThisVar,
                     T.AggVar, T.ProbeDesc, T.Comment, T.TypeRef, T.Directive, T.Shebang, T.NameDecl))


def _wrapped(printer, node, min_level) -> int:
    """1 if the printer puts ``node`` in parentheses where it needs ``min_level``."""
    return 1 if isinstance(node, T.Expr) and printer.level(node) < min_level else 0


def bracketed(printer, node) -> tuple[int, list]:
    """(the nesting of ``node``'s own brackets, [(child, the brackets around it)])."""
    p = printer
    cls = node.__class__
    if cls is T.Binary:
        return 0, [(node.left, _wrapped(p, node.left, P.BINARY[node.op])),
                   (node.right, _wrapped(p, node.right, P.BINARY[node.op] + 1))]
    if cls is T.Unary:
        need = P.UNARY if node.op in P.PREFIX_UNARY_OPERAND else P.CAST
        return 0, [(node.operand, _wrapped(p, node.operand, need))]
    if cls is T.Postfix:
        return 0, [(node.operand, _wrapped(p, node.operand, P.POSTFIX))]
    if cls is T.Assign:
        return 0, [(node.target, _wrapped(p, node.target, P.UNARY)),
                   (node.value, _wrapped(p, node.value, P.ASSIGN))]
    if cls is T.Ternary:
        return 0, [(node.cond, _wrapped(p, node.cond, P.LOGICAL_OR)),
                   (node.then, _wrapped(p, node.then, P.TERNARY)),
                   (node.otherwise, _wrapped(p, node.otherwise, P.TERNARY))]
    if cls is T.Cast:
        return 1, [(node.type, 1), (node.operand, _wrapped(p, node.operand, P.CAST))]
    if cls in (T.SizeofExpr, T.Stringof):
        return 1, [(node.operand, 1)]
    if cls in (T.SizeofType, T.Offsetof):
        return 1, [(node.type, 1)]
    if cls is T.Xlate:
        return 1, [(node.type, 0), (node.operand, 1)]
    if cls is T.Call:
        return 1, [(node.callee, _wrapped(p, node.callee, P.POSTFIX))] + [
            (a, 1 + _wrapped(p, a, P.ASSIGN)) for a in node.args]
    if cls is T.Index:
        return 1, [(node.base, _wrapped(p, node.base, P.POSTFIX))] + [
            (k, 1 + _wrapped(p, k, P.ASSIGN)) for k in node.keys]
    if cls is T.Member:
        intlit = node.op == "." and node.base.__class__ is T.IntLit
        return 0, [(node.base, _wrapped(p, node.base, P.POSTFIX) + intlit)]
    if cls in (T.ArrayDecl, T.FuncDecl):
        inner = node.dims if cls is T.ArrayDecl else node.params
        return 1, [(node.target, 1 if isinstance(node.target, T.PointerDecl) else 0)] + [
            (d, 1 + (0 if isinstance(d, (T.TypeName, T.Param)) else _wrapped(p, d, P.ASSIGN))) for d in inner]
    if cls in (T.EnumSpec, T.StructSpec):
        inner = node.enumerators if cls is T.EnumSpec else node.members
        return (0, []) if inner is None else (1, [(m, 1) for m in inner])
    if cls is T.Enumerator or cls is T.Inline or cls is T.TranslatorMember:
        value = node.value
        parts = [] if value is None else [(value, _wrapped(p, value, P.TERNARY if cls is T.Enumerator
                                                               else P.ASSIGN))]
        return 0, [(c, 0) for c in node.children() if c is not value] + parts
    if cls is T.FieldDeclarator:
        parts = [] if node.declarator is None else [(node.declarator, 0)]
        return 0, parts + ([] if node.width is None else [(node.width, _wrapped(p, node.width, P.TERNARY))])
    if cls is T.Block:
        return 1, [(s, 1) for s in node.body]
    if cls is T.If:
        protect = node.otherwise is not None and not isinstance(node.then, T.Block) and _dangles(node.then)
        parts = [(node.cond, 1), (node.then, 1 if protect else 0)]
        return 1, parts + ([] if node.otherwise is None else [(node.otherwise, 0)])
    if cls is T.Clause:
        parts = [(d, 0) for d in node.probes] + ([] if node.predicate is None else [(node.predicate, 0)])
        return (0, parts) if node.body is None else (1, parts + [(s, 1) for s in node.body])
    if cls in (T.Translator, T.Provider):
        inner = node.members if cls is T.Translator else node.probes
        inside = {id(m) for m in inner}
        return 1, [(c, 0) for c in node.children() if id(c) not in inside] + [(m, 1) for m in inner]
    if cls is T.ProviderProbe:
        parts = [(q, 1) for q in node.params]
        return 1, parts + ([] if node.mapped is None else [(q, 1) for q in node.mapped])
    return 0, [(c, 0) for c in node.children()]


def measure(roots) -> dict:
    """id(node) -> (at least how many characters its D has, how deeply its D nests ( [ {, how many
    operators its D has at its own level of brackets, the most at any level under it, the longest
    list of arguments or keys under it) for every node under ``roots``, each distinct node
    measured once (iteratively: any depth).  The operators are those the lexer counts against
    ``lexer.MAX_OPERATORS``, or more (a comma expression's operands are counted as one; member
    accesses, which the lexer counts a chain at a time, each).

    Every tracer's compile measures its tree first, and ``import --exact`` compiles the module
    of up to 90,000 clauses: a leaf (half the nodes) is measured where its parent is summed up,
    never put on the stack, a statement's expression is its child without ``bracketed``, and a
    statement assigning a leaf to a leaf is summed up whole where it is met."""
    printer = DPrinter()
    found: dict = {}
    leaf_text, leaves, own_operators, ExprStmt = _LEAF_TEXT, _LEAVES, _OWN_OPERATORS, T.ExprStmt
    Binary, Call, Index, Assign, Clause, Member = T.Binary, T.Call, T.Index, T.Assign, T.Clause, T.Member
    scoped = (T.SelfVar, T.ThisVar)
    # an entry is a node to take apart, or (node, its own brackets, [(child, brackets around it)])
    # once it is, to sum up when its children are measured
    stack = list(reversed(tuple(roots)))
    pop, push = stack.pop, stack.append
    while stack:
        entry = pop()
        if entry.__class__ is not tuple:
            key = id(entry)
            if key in found:
                continue
            cls = entry.__class__
            if cls in leaves:  # (a root that is a leaf)
                field = leaf_text[cls]
                found[key] = (len(getattr(entry, field) or ""), 0, 0, 0, 0)
                continue
            if cls is Clause:
                summed = _plain_clause(entry, found)
                if summed is not None:
                    found[key] = summed
                    continue
                parts = bracketed(printer, entry)
            elif cls is ExprStmt:
                expr = entry.expr
                if expr.__class__ is Assign and expr.target.__class__ in leaves \
                        and expr.value.__class__ in leaves and id(expr) not in found:
                    # The usual statement, `self->x = timestamp;`: summed up here, as below (an
                    # assignment's operands are never bracketed: a leaf binds tightest), not
                    # taken apart and pushed twice (a tenth of compiling 90,000 such clauses)
                    target, value = expr.target, expr.value
                    target_size = len(getattr(target, leaf_text[target.__class__]) or "")
                    value_size = len(getattr(value, leaf_text[value.__class__]) or "")
                    found[id(target)] = (target_size, 0, 0, 0, 0)
                    found[id(value)] = (value_size, 0, 0, 0, 0)
                    found[id(expr)] = found[key] = (target_size + value_size + len(expr.op or ""), 0, 1, 1, 0)
                    continue
                parts = (0, [(expr, 0)])
            else:
                parts = bracketed(printer, entry)
            push((entry, parts[0], parts[1]))
            for child, _ in reversed(parts[1]):
                if child.__class__ not in leaves and id(child) not in found:
                    push(child)
            continue
        node, own, children = entry
        key = id(node)
        if key in found:
            continue
        cls = node.__class__
        field = leaf_text.get(cls)
        size = len(getattr(node, field) or "") if field else len(getattr(node, "op", "") or "")
        nesting = own
        ops = own_operators.get(cls, 0)
        if cls is Binary and node.op == ",":
            ops = 0
        elif cls is Member and node.base.__class__ in scoped:
            ops = 2     # (self->x->y: the lexer counts the -> of self->x in the chain)
        elif cls is Call or cls is Index:
            base = node.callee if cls is Call else node.base
            if base.__class__ is Call or base.__class__ is Index or children[0][1]:
                ops = 1  # f(x)(y), a[x][y]: a ( or [ after a ) or ], as the lexer counts
        most = 0
        items = len(node.args) if cls is Call else len(node.keys) if cls is Index else 0
        for child, around in children:
            measured = found.get(id(child))
            if measured is None:  # (a leaf: measured here)
                length = len(getattr(child, leaf_text[child.__class__]) or "")
                found[id(child)] = (length, 0, 0, 0, 0)
                size += length
                if around > nesting:
                    nesting = around
                continue
            child_size, child_nesting, child_ops, child_most, child_items = measured
            size += child_size
            if child_nesting + around > nesting:
                nesting = child_nesting + around
            if not around:
                ops += child_ops
            if child_most > most:
                most = child_most
            if child_items > items:
                items = child_items
        found[key] = (size, nesting, ops, most if most > ops else ops, items)
    return found


def _plain_clause(clause, found: dict):
    """:func:`measure`'s answer for ``clause`` when it is the usual one (``import --exact``'s
    clauses: descriptions, a leaf or no predicate, a body of ``leaf = leaf;`` statements), its
    nodes' answers put in ``found``, without ``bracketed``, a stack entry and a second visit of
    the clause and of each statement (two fifths of the measure of 28,400 such clauses); else None
    (nothing put in ``found``).  The same numbers as the general code gives (a node's answer
    depends on its own subtree only, so one found before is the same):
    tests/test_exact22.py compares them."""
    leaf_text, leaves = _LEAF_TEXT, _LEAVES
    body = clause.body
    if body is None:
        return None
    Assign, ExprStmt = T.Assign, T.ExprStmt
    for stmt in body:
        if stmt.__class__ is not ExprStmt:
            return None
        expr = stmt.expr
        if expr.__class__ is not Assign or expr.target.__class__ not in leaves \
                or expr.value.__class__ not in leaves:
            return None
    predicate = clause.predicate
    if predicate is not None and predicate.__class__ not in leaves:
        return None
    size = 0
    for desc in clause.probes:
        if desc.__class__ is not T.ProbeDesc:
            return None
    for desc in clause.probes:
        length = len(desc.text or "")
        found[id(desc)] = (length, 0, 0, 0, 0)
        size += length
    if predicate is not None:
        length = len(getattr(predicate, leaf_text[predicate.__class__]) or "")
        found[id(predicate)] = (length, 0, 0, 0, 0)
        size += length
    for stmt in body:
        expr = stmt.expr
        target, value = expr.target, expr.value
        target_size = len(getattr(target, leaf_text[target.__class__]) or "")
        value_size = len(getattr(value, leaf_text[value.__class__]) or "")
        found[id(target)] = (target_size, 0, 0, 0, 0)
        found[id(value)] = (value_size, 0, 0, 0, 0)
        found[id(expr)] = found[id(stmt)] = measured = (target_size + value_size + len(expr.op or ""), 0, 1, 1, 0)
        size += measured[0]
    return (size, 1, 0, 1, 0) if body else (size, 1, 0, 0, 0)


# The operators a node's own D has (see measure; a call's or subscript's are decided there).
# (a member access counts as one too: the lexer counts a chain of them against MAX_OPERATORS on its
# own, and all those at a level of brackets are at least the longest chain there)
_OWN_OPERATORS = {T.Binary: 1, T.Assign: 1, T.Unary: 1, T.Postfix: 1, T.Ternary: 2, T.Member: 1}


def crowded(root, found: dict, most_operators: int, most_items: int):
    """The node under ``root`` whose own level holds more than ``most_operators`` operators or whose
    list more than ``most_items`` items (``found``: :func:`measure`'s), or the nearest node above
    it that has a position."""
    node = placed = root
    while True:
        if node.pos is not None:
            placed = node
        _, _, ops, _, _ = found[id(node)]
        if ops > most_operators:
            return placed
        if node.__class__ is T.Call and len(node.args) > most_items:
            return placed
        if node.__class__ is T.Index and len(node.keys) > most_items:
            return placed
        inner = [c for c in node.children()
                 if found[id(c)][3] > most_operators or found[id(c)][4] > most_items]
        if not inner:
            return placed
        node = inner[0]


def deepest(root, found: dict, limit: int):
    """The node under ``root`` whose brackets are the first to nest deeper than ``limit`` (``found``:
    :func:`measure`'s), or the nearest node above it that has a position."""
    printer = DPrinter()
    node, depth, placed = root, 0, root
    while True:
        if node.pos is not None:
            placed = node
        own, children = bracketed(printer, node)
        if not children or depth + own > limit:
            return placed
        child, around = max(children, key=lambda part: found[id(part[0])][1] + part[1])
        if depth + around > limit:
            return placed
        node, depth = child, depth + around


def largest(root, found: dict):
    """The statement under ``root`` (a clause) that prints the most D, or ``root``."""
    node = root
    while True:
        inner = [c for c in node.children() if isinstance(c, T.Stmt) and c.pos is not None]
        if not inner:
            return node
        node = max(inner, key=lambda c: found[id(c)][0])
