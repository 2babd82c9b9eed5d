"""D text -> :class:`dtracepy.tree.Program`.

The hand-written lexer (:mod:`dtracepy.lexer`) feeds an LALR automaton whose tables lark computes
from ``grammar/d.lark``; they ship precomputed as plain data (``grammar/d_tables.json``), so parsing
does not import lark.  Each reduction calls a :class:`_Build` method that returns a tree node
directly: no parse tree is built and nothing recurses, so deep input is safe.  Top-level comments and ``#`` lines are collected by
the lexer and spliced in by position.
"""

from __future__ import annotations

import threading

from dtracepy import tree
from dtracepy.errors import DSyntaxError
from dtracepy.facts import precedence as _precedence
from dtracepy.lexer import Token
from dtracepy.source import Pos

# Inputs larger than this are refused with a clear message rather than parsed for a minute or
# more (see dtracepy.inputs, which also never reads more than this plus one byte).
from dtracepy.inputs import MAX_INPUT_BYTES  # noqa: E402

_lock = threading.Lock()
_parser = None
_build = None


def parse(text: str, filename: str = "<string>") -> tree.Program:
    """Parse D source text into a :class:`~dtracepy.tree.Program` (positions are ``filename``'s)."""
    if len(text) > MAX_INPUT_BYTES:
        raise DSyntaxError(
            f"input too large: {len(text)} characters; dtracepy parses D files of at most "
            f"{MAX_INPUT_BYTES // (1024 * 1024)} MiB", Pos(filename, 1, 1))
    nul = text.find("\0")
    if nul >= 0:
        raise _error_at(text, filename, nul, "NUL character in input (is this a binary file?)")
    return _parse(text, filename)


def parse_bytes(data: bytes, filename: str = "<string>", cpp: bool = False, include_dirs=(),
                defines=()) -> tree.Program:
    """Parse a D file's bytes: UTF-8 (a bad byte is a located error), optionally preprocessed
    first by a C preprocessor, as ``dtrace -C`` does."""
    if len(data) > MAX_INPUT_BYTES:
        raise DSyntaxError(
            f"input too large: {len(data)} bytes; dtracepy parses D files of at most "
            f"{MAX_INPUT_BYTES // (1024 * 1024)} MiB", Pos(filename, 1, 1))
    nul = data.find(b"\0")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        if 0 <= nul < err.start:
            text = data[:nul].decode("utf-8")
            raise _error_at(text, filename, nul, "NUL character in input (is this a binary file?)")
        good = data[: err.start].decode("utf-8")
        raise _error_at(good, filename, len(good),
                        f"invalid UTF-8 byte 0x{data[err.start]:02x} (is this a binary file?)")
    if text.startswith("\ufeff"):
        text = text[1:]
    if nul >= 0:
        raise _error_at(text, filename, text.find("\0"), "NUL character in input (is this a binary file?)")
    if cpp:
        from dtracepy.preprocess import preprocess

        out, line_map = preprocess(text, filename, include_dirs=include_dirs, defines=defines)
        return _parse(out, filename, line_map=line_map)
    return _parse(text, filename)


def _error_at(text: str, filename: str, offset: int, message: str) -> DSyntaxError:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    source_line = text[start : end if end >= 0 else len(text)]
    return DSyntaxError(message, Pos(filename, line, offset - start + 1), source_line)


def _get_parser():
    global _parser, _build
    if _parser is None:
        _parser, _build = _make_parser()
    return _parser, _build


def _parse(text: str, filename: str, line_map=None) -> tree.Program:
    from dtracepy.lexer import Lexer

    mapper = None
    if line_map is not None:
        mapper = lambda line: line_map[line - 1] if 0 < line <= len(line_map) else (filename, line)  # noqa: E731
    lexer = Lexer(text, filename, mapper)
    import gc

    with _lock:
        tables, build = _get_parser()
        build.file = filename
        gc_was_enabled = gc.isenabled()
        gc.disable()  # the parse makes many long-lived objects; collections would go quadratic
        try:
            items = _drive(tables, lexer)
        finally:
            if gc_was_enabled:
                gc.enable()
    if lexer.toplevel:
        items = _splice(items, lexer.toplevel)
    return tree.Program(items, pos=Pos(filename, 1, 1))


def _drive(tables, lexer):
    """The LALR automaton over the lexer's tokens, with lark's tables (see :func:`_make_parser`)."""
    rows, start_state, end_state, chains = tables
    state = start_state
    state_stack = [state]
    value_stack = []
    push_state = state_stack.append
    push_value = value_stack.append
    tok = None
    for tok in lexer.tokens():
        ttype = tok.type
        while True:
            try:
                act = rows[state][ttype]
            except KeyError:
                raise _syntax_error(lexer, tok) from None
            kind = type(act)
            if kind is int:  # shift
                state = act
                push_state(act)
                push_value(tok)
                break
            if kind is str:
                # a chain of ``?a: b`` reductions only changes the top state, and where it ends
                # depends only on the state below, the top state and the token: memoised
                key = (state_stack[-2], state, ttype)
                new = chains.get(key)
                if new is None:
                    new = chains[key] = _follow_chain(rows, key)
                state = state_stack[-1] = new
                continue
            size, callback, origin = act
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            push_value(callback(children))
            state = rows[state_stack[-1]][origin]
            push_state(state)
    if tok is None:
        return []
    tok = Token("$END", "", len(lexer.text), lexer)
    while True:
        act = rows[state].get("$END")
        if act is None or type(act) is int:
            raise _syntax_error(lexer, tok)
        if type(act) is str:
            state = state_stack[-1] = rows[state_stack[-2]][act]
        else:
            size, callback, origin = act
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            push_value(callback(children))
            state = rows[state_stack[-1]][origin]
            push_state(state)
        if state == end_state:
            return value_stack[-1]


def _follow_chain(rows, key):
    below, state, ttype = key
    while True:
        act = rows[state].get(ttype)
        if type(act) is not str:
            return state
        state = rows[below][act]


def _syntax_error(lexer, token) -> DSyntaxError:
    if token is None or token.type == "$END":
        return lexer.error("syntax error near end of input", len(lexer.text))
    value = str(token.value) if token.type != "STRLIT" else '"..."'
    if token.type == "AGG":
        value = "@" + value
    if token.type == "PDESC" and lexer.text[token.start_pos: token.start_pos + len(value)] != value:
        pass
    return lexer.error(f'syntax error near "{value}"', token.start_pos)


def _splice(items, extra):
    """Merge two position-ordered lists of top-level nodes."""
    out = []
    i = 0
    key = lambda n: (n.pos.line, n.pos.col or 0)  # noqa: E731
    for node in extra:
        k = key(node)
        while i < len(items) and key(items[i]) < k:
            out.append(items[i])
            i += 1
        out.append(node)
    out.extend(items[i:])
    return out


# ----------------------------------------------------------------------------------------------
# Building the tree: one method per grammar rule or alias
# ----------------------------------------------------------------------------------------------


TABLES_NAME = "d_tables.json"  # next to d.lark: grammar/ in a checkout, dtracepy/grammar/ installed
REGEN_COMMAND = "DTRACEPY_REGEN=1 python3 -m pytest tests/test_parser_tables.py"


def _grammar_file(name: str) -> "str | None":
    """The path of a file shipped beside d.lark, or None (then see :func:`_grammar_resource`)."""
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (os.path.join(here, "grammar"),  # installed: the package dtracepy.grammar
                   os.path.join(here, os.pardir, "grammar")):  # a source checkout
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None


def _grammar_resource(name: str) -> "str | None":
    """A file of the package dtracepy.grammar as text, or None if it is absent."""
    path = _grammar_file(name)
    try:
        if path is not None:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        from importlib.resources import files  # e.g. a zipped install: no plain path

        return (files("dtracepy.grammar") / name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        return None


def _grammar_text() -> str:
    text = _grammar_resource("d.lark")
    if text is None:
        raise FileNotFoundError("dtracepy cannot find its grammar, grammar/d.lark")
    return text


def grammar_digest(grammar: str) -> str:
    import hashlib

    return hashlib.sha256(grammar.encode("utf-8")).hexdigest()


def _load_tables() -> dict:
    """The LALR tables as plain data (the form of grammar/d_tables.json, see :func:`build_table_data`).

    They ship precomputed, so neither lark nor the ~0.2 s table construction is needed.  If the
    shipped file is missing, unreadable or was made from another grammar (its ``grammar_sha256``
    differs), lark rebuilds the tables from d.lark: slower, never wrong.
    """
    import json

    grammar = _grammar_text()
    text = _grammar_resource(TABLES_NAME)
    if text is not None:
        try:
            data = json.loads(text)
            if data.get("grammar_sha256") == grammar_digest(grammar):
                return data
        except ValueError:  # a damaged file: rebuild
            pass
    return build_table_data(grammar)


def _make_parser():
    """The LALR tables in the driver's form and the callbacks that build nodes."""
    data = _load_tables()
    build = _Build()
    # The driver's form: rows[state] maps a symbol to an action: an int is a state to shift to
    # (for a nonterminal, to go to); a str is a rule ``?origin: one_symbol``, whose reduction
    # keeps the value and only changes the state; else (size, callback, origin).
    reductions = [rule[1] if rule[0] == 1 and rule[3] and not rule[4]
                  else (rule[0], _make_callback(build, *rule), rule[1]) for rule in data["rules"]]
    rows = [{t: act if act >= 0 else reductions[~act] for t, act in row.items()} for row in data["states"]]
    # chains: (state below, top state, token type) -> the top state after ?a: b reductions
    return (rows, data["start"], data["end"], {}), build


def build_table_data(grammar: "str | None" = None) -> dict:
    """Run lark's LALR analysis on the grammar; return the tables as plain, JSON-ready data.

    ``states[n]`` maps a symbol (terminal or nonterminal name) to an action: ``k >= 0`` shifts to
    (or, for a nonterminal, goes to) state ``k``; ``k < 0`` reduces by rule ``~k``.  A rule is
    ``[size, origin, alias or null, expand1, [indexes of inlined _children]]``.  lark numbers its
    states differently from run to run (set order follows string hashing), so they are renumbered
    canonically: breadth first from the start state, symbols in sorted order; rules are
    deduplicated (only these facts matter to the parser) and sorted.
    """
    from lark import Lark
    from lark.lexer import Lexer as _LarkLexer
    from lark.parsers.lalr_analysis import Shift

    class _NoLexer(_LarkLexer):  # tokens are fed by dtracepy.lexer, never by lark
        def __init__(self, lexer_conf):
            pass

        def lex(self, data):  # pragma: no cover
            raise NotImplementedError

    if grammar is None:
        grammar = _grammar_text()
    parser = Lark(grammar, parser="lalr", lexer=_NoLexer, start="start", maybe_placeholders=False)
    table = parser.parser.parser.parser.parse_table

    def rule_facts(rule):
        inline = [i for i, sym in enumerate(rule.expansion) if not sym.is_term and sym.name.startswith("_")]
        return (len(rule.expansion), str(rule.origin.name), str(rule.alias) if rule.alias else None,
                bool(rule.options.expand1) and not rule.alias, inline)

    start = table.start_states["start"]
    number = {start: 0}
    order = [start]
    for state in order:  # grows as states are found
        for sym, (action, arg) in sorted(table.states[state].items()):
            if action is Shift and arg not in number:
                number[arg] = len(order)
                order.append(arg)
    if len(order) != len(table.states):  # pragma: no cover - lark makes only reachable states
        raise RuntimeError("LALR states unreachable from the start state")
    rules = sorted({repr(f): f for f in (rule_facts(arg) for row in table.states.values()
                                         for action, arg in row.values() if action is not Shift)}.values(),
                   key=repr)
    rule_number = {repr(f): i for i, f in enumerate(rules)}
    states = []
    for state in order:
        row = {}
        for sym, (action, arg) in sorted(table.states[state].items()):
            row[str(sym)] = number[arg] if action is Shift else ~rule_number[repr(rule_facts(arg))]
        states.append(row)
    return {
        "about": f"LALR tables generated from grammar/d.lark by lark; do not edit. Regenerate: {REGEN_COMMAND}",
        "grammar_sha256": grammar_digest(grammar),
        "start": 0,
        "end": number[table.end_states["start"]],
        "rules": [list(f) for f in rules],
        "states": states,
    }


def dump_table_data(data: dict) -> str:
    """The tables file's text: JSON, one rule or state per line (so a grammar change diffs well)."""
    import json

    def dump(value):
        return json.dumps(value, separators=(",", ":"))

    head = ",\n".join(f" {dump(k)}: {dump(data[k])}" for k in ("about", "grammar_sha256", "start", "end"))
    rules = ",\n".join("  " + dump(r) for r in data["rules"])
    states = ",\n".join("  " + dump(s) for s in data["states"])
    return f'{{\n{head},\n "rules": [\n{rules}\n ],\n "states": [\n{states}\n ]\n}}\n'


def write_table_data(path: "str | None" = None) -> str:
    """Rebuild the tables with lark and write them beside d.lark (or to ``path``)."""
    import os

    if path is None:
        here = os.path.dirname(os.path.abspath(__file__))
        folder = os.path.join(here, "grammar")
        if not os.path.isfile(os.path.join(folder, "d.lark")):
            folder = os.path.join(here, os.pardir, "grammar")
        path = os.path.normpath(os.path.join(folder, TABLES_NAME))
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(dump_table_data(build_table_data()))
    return path


class _Inlined(list):
    """The children of an inlined (``_name``) rule, spliced into its parent's children."""

    __slots__ = ()


def _make_callback(build, size, origin, alias, expand1, inline):
    """What lark's parse-tree builder does for one rule, ending in _Build's method."""
    method = getattr(build, alias or origin, None)
    if method is None:
        if origin.startswith("_"):
            method = _Inlined
            expand1 = False
        elif not expand1:
            raise RuntimeError(f"grammar rule {alias or origin} has no builder")
    splice = None
    if inline:
        inline_set = frozenset(inline)

        def splice(children):
            out = []
            for i, child in enumerate(children):
                if i in inline_set and isinstance(child, _Inlined):
                    out.extend(child)
                else:
                    out.append(child)
            return out

    if expand1:
        def callback(children):
            if splice is not None:
                children = splice(children)
            if len(children) == 1:
                return children[0]
            return method(children)

        return callback
    if splice is None:
        return method
    return lambda children: method(splice(children))


# Binary operators of an expression chain and how tightly each binds (the one table).
_PREC = {op: level for op, level in _precedence.BINARY.items() if op != ","}


class _L(list):
    """A list carrying the position of its first element."""

    __slots__ = ("pos",)


class _Pred:
    __slots__ = ("expr",)

    def __init__(self, expr):
        self.expr = expr


def _name_of(tok) -> tuple[str, str | None]:
    """Split a possibly backquoted name: ``genunix`kthread_t`` -> ("kthread_t", "genunix")."""
    value = str(tok)
    if "`" in value:
        module, _, name = value.rpartition("`")
        return name, module
    return value, None


def _strip_name(decl):
    """The declarator with its name removed (NameDecl(None)) and the name."""
    chain = []
    while not isinstance(decl, tree.NameDecl):
        chain.append(decl)
        decl = decl.target
    name = decl.name
    result = tree.NameDecl(None, pos=decl.pos)
    for outer in reversed(chain):
        import attrs

        result = attrs.evolve(outer, target=result)
    return result, name


class _Build:
    """lark callbacks: children in, tree node out."""

    def __init__(self):
        self.file = "<string>"

    def _p(self, x):
        if type(x) is Token:
            return x.where()
        return x.pos  # a node, or a list carrying a position (_L)

    # -- top level -----------------------------------------------------------------------------
    def start(self, c):
        return c[0] if c else []

    def items(self, c):
        if len(c) == 1:
            return [c[0]]
        c[0].append(c[1])
        return c[0]

    stmt_list = items

    def arg_list(self, c):
        if len(c) == 1:
            return [c[0]]
        c[0].append(c[2])
        return c[0]

    def pdescs(self, c):
        if len(c) == 1:
            out = _L([tree.ProbeDesc(str(c[0]), pos=self._p(c[0]))])
            out.pos = out[0].pos
            return out
        c[0].append(tree.ProbeDesc(str(c[2]), pos=self._p(c[2])))
        return c[0]

    def clause(self, c):
        probes = c[0]
        predicate = None
        body = None
        for x in c[1:]:
            if isinstance(x, _Pred):
                predicate = x.expr
            else:
                body = x
        return tree.Clause(probes, predicate, body, pos=probes.pos)

    def pdesc_list(self, c):
        return c[0]

    def predicate(self, c):
        return _Pred(c[1])

    def body(self, c):
        return c[1]

    def stmts(self, c):
        out = c[0] if c and isinstance(c[0], list) else []
        if c and isinstance(c[-1], tree.Expr):
            out.append(tree.ExprStmt(c[-1], pos=c[-1].pos))
        return tuple(out)

    def expr_stmt(self, c):
        return tree.ExprStmt(c[0], pos=c[0].pos)

    def empty_stmt(self, c):
        return tree.EmptyStmt(pos=self._p(c[0]))

    def block(self, c):
        return tree.Block(c[1], pos=self._p(c[0]))

    def if_stmt(self, c):
        otherwise = c[6] if len(c) > 6 else None
        return tree.If(c[2], c[4], otherwise, pos=self._p(c[0]))

    # -- expressions ---------------------------------------------------------------------------
    def binary(self, c):
        return tree.Binary(str(c[1]), c[0], c[2], pos=c[0].pos)

    def bin_chain(self, c):
        if isinstance(c[0], list):
            c[0].append(c[1])
            c[0].append(c[2])
            return c[0]
        return c

    def binchain(self, c):
        """Build the Binary nodes of a flat chain ``e op e op e`` by D's precedence table."""
        items = c[0]
        prec = _PREC
        operands = [items[0]]
        ops = []
        for i in range(1, len(items), 2):
            op = items[i].value
            p = prec[op]
            while ops and prec[ops[-1]] >= p:
                right = operands.pop()
                left = operands.pop()
                operands.append(tree.Binary(ops.pop(), left, right, pos=left.pos))
            ops.append(op)
            operands.append(items[i + 1])
        while ops:
            right = operands.pop()
            left = operands.pop()
            operands.append(tree.Binary(ops.pop(), left, right, pos=left.pos))
        return operands[0]

    def assign(self, c):
        return tree.Assign(c[1].value, c[0], c[2], pos=c[0].pos)

    def assign_op(self, c):
        return c[0]

    def ternary(self, c):
        return tree.Ternary(c[0], c[2], c[4], pos=c[0].pos)

    def cast(self, c):
        return tree.Cast(c[1], c[3], pos=self._p(c[0]))

    def prefix(self, c):
        return tree.Unary(str(c[0]), c[1], pos=self._p(c[0]))

    def sizeof_expr(self, c):
        return tree.SizeofExpr(c[1], pos=self._p(c[0]))

    def sizeof_type(self, c):
        return tree.SizeofType(c[2], pos=self._p(c[0]))

    def stringof(self, c):
        return tree.Stringof(c[1], pos=self._p(c[0]))

    def index(self, c):
        return tree.Index(c[0], c[2], pos=c[0].pos)

    def call(self, c):
        args = c[2] if len(c) == 4 else ()
        return tree.Call(c[0], args, pos=c[0].pos)

    def member(self, c):
        return tree.Member(c[0], c[1].value, c[2].value, pos=c[0].pos)

    def postfix(self, c):
        return tree.Postfix(c[1].value, c[0], pos=c[0].pos)

    # Leaves: c[0] is a Token (these run once per operand, so they skip _p and str()).
    def ident(self, c):
        tok = c[0]
        value = tok.value
        if "`" in value:
            module, _, name = value.rpartition("`")
            return tree.Ident(name, module, pos=tok.where())
        return tree.Ident(value, None, pos=tok.where())

    def intlit(self, c):
        return tree.IntLit(c[0].value, pos=c[0].where())

    def charlit(self, c):
        return tree.CharLit(c[0].value, pos=c[0].where())

    def strlit(self, c):
        return tree.StringLit(c[0].value, pos=c[0].where())

    def macro(self, c):
        return tree.MacroVar(c[0].value, pos=c[0].where())

    def agg(self, c):
        return tree.AggVar(c[0].value, pos=c[0].where())

    def selfvar(self, c):
        return tree.SelfVar(c[2].value, pos=c[0].where())

    def thisvar(self, c):
        return tree.ThisVar(c[2].value, pos=c[0].where())

    def paren(self, c):
        return c[1]

    def offsetof(self, c):
        return tree.Offsetof(c[2], str(c[4]), pos=self._p(c[0]))

    def xlate(self, c):
        return tree.Xlate(c[2], c[5], pos=self._p(c[0]))

    def member_name(self, c):
        return c[0]

    # -- types and declarations ----------------------------------------------------------------
    def _specs(self, c):
        out = _L(str(x) if not isinstance(x, tree.Node) else x for x in c)
        out.pos = self._p(c[0])
        return out

    spec_qual_list = _specs
    decl_specs = _specs

    def type_name(self, c):
        decl = c[1] if len(c) > 1 else tree.NameDecl(None, pos=c[0].pos)
        return tree.TypeName(tuple(c[0]), decl, pos=c[0].pos)

    def typeref(self, c):
        name, module = _name_of(c[0])
        return tree.TypeRef(name, module, pos=self._p(c[0]))

    def struct_spec(self, c):
        kind = str(c[0])
        name = None
        members = None
        rest = c[1:]
        if rest and not isinstance(rest[0], tree.Node) and rest[0].type != "LBRACE":
            name = str(rest[0])
            rest = rest[1:]
        if rest:
            members = tuple(x for x in rest if isinstance(x, tree.FieldDecl))
        return tree.StructSpec(kind, name, members, pos=self._p(c[0]))

    def field_decl(self, c):
        decls = c[1] if len(c) == 3 else ()
        return tree.FieldDecl(tuple(c[0]), decls, pos=c[0].pos)

    def field_declarators(self, c):
        return c[0::2]

    def field_declarator(self, c):
        if len(c) == 1:
            return tree.FieldDeclarator(c[0], None, pos=c[0].pos)
        if len(c) == 2:
            return tree.FieldDeclarator(None, c[1], pos=self._p(c[0]))
        return tree.FieldDeclarator(c[0], c[2], pos=c[0].pos)

    def enum_spec(self, c):
        name = None
        rest = c[1:]
        if rest and not isinstance(rest[0], tree.Node) and rest[0].type != "LBRACE":
            name = str(rest[0])
            rest = rest[1:]
        enumerators = tuple(x for x in rest if isinstance(x, tree.Enumerator)) if rest else None
        return tree.EnumSpec(name, enumerators, pos=self._p(c[0]))

    def enumerator(self, c):
        value = c[2] if len(c) == 3 else None
        return tree.Enumerator(str(c[0]), value, pos=self._p(c[0]))

    def declaration(self, c):
        decls = c[1] if len(c) == 3 else ()
        return tree.Declaration(tuple(c[0]), decls, pos=c[0].pos)

    def declarator_list(self, c):
        return c[0::2]

    def pointer(self, c):
        # [STAR quals... inner_pointer?] -> list of qualifier tuples, outermost (leftmost) first
        quals = []
        rest = []
        for x in c[1:]:
            if isinstance(x, list):
                rest = x
            else:
                quals.append(str(x))
        out = _L([tuple(quals)])
        out.extend(rest)
        out.pos = self._p(c[0])
        return out

    def _wrap_pointers(self, stars, decl):
        for quals in reversed(stars):
            decl = tree.PointerDecl(decl, quals, pos=stars.pos)
        return decl

    def pointer_declarator(self, c):
        return self._wrap_pointers(c[0], c[1])

    def name_decl(self, c):
        return tree.NameDecl(str(c[0]), pos=self._p(c[0]))

    def array_decl(self, c):
        dims = c[2] if len(c) == 4 else ()
        return tree.ArrayDecl(c[0], dims, pos=c[0].pos)

    def func_decl(self, c):
        params = c[2] if len(c) == 4 else ()
        return tree.FuncDecl(c[0], params, pos=c[0].pos)

    def array_dims(self, c):
        out = []
        for x in c[0::2]:
            if getattr(x, "type", None) == "ELLIPSIS":
                x = tree.Param(("...",), None, pos=self._p(x))
            elif isinstance(x, tree.Param):
                decl = x.declarator
                if decl is None:
                    x = tree.TypeName(x.specifiers, pos=x.pos)
                else:
                    _, name = _strip_name(decl)
                    if name is None:
                        x = tree.TypeName(x.specifiers, decl, pos=x.pos)
            out.append(x)
        return out

    def param_list(self, c):
        out = []
        for x in c:
            if isinstance(x, tree.Param):
                out.append(x)
            elif getattr(x, "type", None) == "ELLIPSIS":
                out.append(tree.Param(("...",), None, pos=self._p(x)))
        return out

    def param(self, c):
        decl = c[1] if len(c) > 1 else None
        return tree.Param(tuple(c[0]), decl, pos=c[0].pos)

    def abstract_declarator(self, c):
        if len(c) == 1:
            if isinstance(c[0], tree.Declarator):
                return c[0]
            return self._wrap_pointers(c[0], tree.NameDecl(None, pos=c[0].pos))
        return self._wrap_pointers(c[0], c[1])

    def abstract_array(self, c):
        if isinstance(c[0], tree.Declarator):
            target, c = c[0], c[1:]
        else:
            target = tree.NameDecl(None, pos=self._p(c[0]))
        dims = c[1] if len(c) == 3 else ()
        return tree.ArrayDecl(target, dims, pos=target.pos)

    def abstract_func(self, c):
        if isinstance(c[0], tree.Declarator):
            target, c = c[0], c[1:]
        else:
            target = tree.NameDecl(None, pos=self._p(c[0]))
        params = c[1] if len(c) == 3 else ()
        return tree.FuncDecl(target, params, pos=target.pos)

    def inline_def(self, c):
        return tree.Inline(tuple(c[1]), c[2], c[4], pos=self._p(c[0]))

    def translator(self, c):
        output = c[1]
        param = c[3]
        decl = param.declarator if param.declarator is not None else tree.NameDecl(None)
        decl, name = _strip_name(decl)
        if name is None:
            raise DSyntaxError("translator input needs a name", param.pos)
        members = tuple(x for x in c[6:] if isinstance(x, tree.TranslatorMember))
        return tree.Translator(output, tree.TypeName(param.specifiers, decl, pos=param.pos), name,
                               members, pos=self._p(c[0]))

    def xlator_member(self, c):
        return tree.TranslatorMember(str(c[0]), c[2], pos=self._p(c[0]))

    def provider(self, c):
        probes = tuple(x for x in c[3:] if isinstance(x, tree.ProviderProbe))
        return tree.Provider(str(c[1]), probes, pos=self._p(c[0]))

    def provider_probe(self, c):
        name = c[1]
        rest = c[3:]
        params = ()
        if rest and isinstance(rest[0], list):
            params, rest = rest[0], rest[1:]
        rest = rest[1:]  # RPAREN
        mapped = None
        if rest and getattr(rest[0], "type", None) == "COLON":
            mapped = rest[2] if isinstance(rest[2], list) else ()
        return tree.ProviderProbe(str(name), params, mapped, pos=self._p(c[0]))
