"""D text -> :class:`dtracepy.tree.Program`.

The hand-written lexer (:mod:`dtracepy.lexer`) hands over its tokens one top-level item at a time.
A clause is read first by a small recursive-descent parser (:func:`_clause_parser`: probe
descriptions, predicate, statements, expressions without type names), which is about twice as
fast as the automaton; everything else (declarations, and any clause that parser gives up on: a
cast, sizeof (type), an error...) is read by an LALR automaton whose tables lark computes from
``grammar/d.lark``.  The tables ship precomputed as plain data (``grammar/d_tables.marshal``),
so parsing does not import lark.  d.lark is the grammar: the fast parser builds exactly the nodes,
positions and errors the automaton does (tests/test_parser_fast.py compares them).  Each
reduction calls a :class:`_Build` method that returns a tree node directly: no parse tree is
built and the automaton does not recurse, so deep input is safe (the fast parser gives up at
Python's recursion limit).  Top-level comments and ``#`` lines are collected by the lexer and
spliced in by position.
"""

from __future__ import annotations

import _thread  # (threading's Lock, without importing threading: 5 M instructions of every check)
from itertools import repeat
from operator import itemgetter

from dtracepy import parser_decls as _parser_decls, tree
from dtracepy.errors import DSyntaxError
from dtracepy.facts import precedence as _precedence
from dtracepy.source import LineMarks, Pos

# Inputs larger than this are refused with a clear message rather than parsed for a minute or
# more (see dtracepy.inputs, which also never reads more than this plus one byte).
from dtracepy.inputs import MAX_INPUT_BYTES  # noqa: E402

_lock = _thread.allocate_lock()
#: How many tokens of a clause body the fast parser is handed at a time (see lexer.Lexer.items).
CLAUSE_PART = 4096
#: Read clauses with the fast clause parser first (see :func:`_clause_parser`); tests turn it off
#: to compare with the automaton alone.
FAST_CLAUSES = True
#: With FAST_CLAUSES, read the usual declarations without the automaton (see
#: :mod:`dtracepy.parser_decls`); tests turn it off to compare.
FAST_DECLARATIONS = True
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
    """Parse a D file's bytes, optionally preprocessed first by a C preprocessor, as ``dtrace -C``
    does.  D text is bytes: a byte that is not UTF-8 is held as Python's ``surrogateescape``
    holds it (U+DC80 to U+DCFF, as the lexer holds ``"\\351"``), so it may stand where dtrace
    takes any byte (a string, a character constant, a comment, a ``#!`` or ``#pragma ident``
    line) and elsewhere is a located error, as dtrace's "syntax error".  A UTF-8 byte order mark
    is an error at 1:1 (dtrace reads it as three bytes of text), except under ``-C``: the C
    preprocessor drops it."""
    if len(data) > MAX_INPUT_BYTES:
        raise DSyntaxError(
            f"input too large: {len(data)} bytes; dtracepy parses D files of at most "
            f"{MAX_INPUT_BYTES // (1024 * 1024)} MiB", Pos(filename, 1, 1))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", "surrogateescape")
    nul = text.find("\0")
    if nul >= 0:
        raise _error_at(text, filename, nul, "NUL character in input (is this a binary file?)")
    if text.startswith("\ufeff"):
        if not cpp:
            raise _error_at(text, filename, 0,
                            "the file starts with a UTF-8 byte order mark (BOM), which dtrace rejects "
                            "(syntax error); save the file without it (or preprocess it: -C)")
        text = text[1:]
    if cpp:
        from dtracepy.preprocess import preprocess, same_lines

        out, line_map = preprocess(text, filename, include_dirs=include_dirs, defines=defines, in_place=True)
        marks = getattr(line_map, "marks", None)  # (the file's own #line directives, cpp's way)
        if marks is not None and line_map.in_place:
            line_map = marks  # (each line at its own number: named as a #line names a plain text's)
        program = _parse(out, filename, line_map=None if same_lines(line_map, filename) else line_map)
        from dtracepy.facts.command_line import HASH_BANG_UNDER_CPP, hash_bang_directive

        first = text.startswith("#!")  # (dtrace strips it before cpp: wherever cpp's line markers
        for item in program.items:     # put it in the output, it is the file's first line)
            if item.__class__ is tree.Directive and hash_bang_directive(item.name, item.text):
                if first and item.pos is not None and item.pos.file == filename and item.pos.line == 1:
                    continue
                raise DSyntaxError(HASH_BANG_UNDER_CPP, item.pos)
        return program
    return _parse(text, filename)


def expanded(program: tree.Program, include_dirs=(), source_file: "str | None" = None) -> tuple:
    """``program`` as ``dtrace -C`` reads it, for the ``destructive`` check, which finds there the
    destructive actions a ``#define`` spells under another name.  The checks cannot print,
    preprocess or parse (they sit below the text layer): the commands that run them hand them this
    function (:attr:`dtracepy.checks.CheckOptions.expand`).

    The program is printed (its ``#!`` line left out: dtrace -C gives cpp the rest), preprocessed
    with ``include_dirs`` (its ``#warning`` lines are the script's run's to print, not this look's)
    and parsed again: ``(the expanded program, None)``.  When that fails (an ``#error`` reached, an
    ``#if`` or a header the preprocessor cannot read), ``(None, (item, where, message))``: ``item``
    the program's directive whose line the error is at (None: elsewhere), ``where``
    ``" (header:line)"`` for an error in an included header, else ``""``, and ``message`` the
    error's, on one line (for a quoted header missing from the ``-I`` directories but found beside
    ``source_file``, the script, why dtrace -C will not find it there either)."""
    from dtracepy.errors import DTracePyError
    from dtracepy.preprocess import beside_message, preprocess, same_lines, unnamed_defines
    from dtracepy.printer import to_d

    items = tuple(item for item in program.items if not isinstance(item, tree.Shebang))
    starts: list = []
    text = to_d(tree.Program(items), starts)
    # A #define whose macro nothing names is left out, its line kept blank (the rest keeps its
    # numbers): the expansion is the same without it (4 MiB of `#define Mi i` took pcpp a minute).
    defines = [i for i, item in enumerate(items) if isinstance(item, tree.Directive) and item.name == "define"]
    unnamed = unnamed_defines([items[i].text for i in defines], text)
    if unnamed:
        pieces, at = [], 0
        for index in sorted(unnamed):
            start = starts[defines[index]]
            pieces.append(text[at:start])
            at = text.index("\n", start)  # (one line each: unnamed_defines's own)
        pieces.append(text[at:])
        text = "".join(pieces)
    try:
        # (each line kept at its number, as check -C's: an error in the expansion is then at the
        # line of ``text`` it stands on, not at the line of pcpp's output, which named another
        # directive's line "here")
        expanded_text, line_map = preprocess(text, "<expanded>", include_dirs=list(include_dirs), warnings=[],
                                             in_place=True)
        if same_lines(line_map, "<expanded>") or len(expanded_text) > MAX_INPUT_BYTES or "\0" in expanded_text:
            return parse(expanded_text, "<expanded>"), None
        return _parse(expanded_text, "<expanded>", line_map=line_map), None
    except DTracePyError as err:
        pos = getattr(err, "pos", None)
        where, item = "", None
        if pos is not None and pos.file == "<expanded>":
            lines = text.split("\n")
            line = lines[pos.line - 1] if 0 < pos.line <= len(lines) else None
            item = next((item for item in items if isinstance(item, tree.Directive)
                         and line is not None and to_d(item).split("\n")[0] == line), None)
        elif pos is not None:
            where = f" ({pos.file}:{pos.line})"  # in an included header
        message = " ".join(err.message.removeprefix("C preprocessor: ").split())
        if (item is not None and item.name == "include" and source_file and item.text.startswith('"')
                and message.startswith(f"{item.text[1:-1]}: no such file")):
            import os

            message = beside_message(item.text[1:-1], os.path.dirname(source_file)) or message
        return None, (item, where, message)


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
    if line_map.__class__ is LineMarks:
        mapper = line_map  # (the text's own lines, named by its #line directives: source.LineMarks)
    elif line_map is not None:
        mapper = lambda line: line_map[line - 1] if 0 < line <= len(line_map) else (filename, line)  # noqa: E731
        # (the lines of the file the names stand for, for the text shown under a finding)
        mapper.source_marks = getattr(line_map, "marks", None)
    lexer = Lexer(text, filename, mapper)
    import gc

    with _lock:
        tables, _ = _get_parser()
        build = tables[4]  # the builder the tables' callbacks belong to
        build.file = filename
        build.pos_at = lexer.offset_function()
        gc_was_enabled = gc.isenabled()
        gc.disable()  # the parse makes many long-lived objects; collections would go quadratic
        try:
            items = _drive(tables, lexer, FAST_CLAUSES)
        finally:
            if gc_was_enabled:
                gc.enable()
    if lexer.toplevel:
        items = _splice(items, lexer.toplevel)
    return tree.Program(items, pos=Pos(filename, 1, 1))


def _drive(tables, lexer, fast_clauses=True):
    """The LALR automaton over the lexer's tokens, with lark's tables (see :func:`_make_parser`).

    The lexer hands over its tokens one top-level item at a time.  A clause goes first to the
    fast clause parser (:func:`_clause_parser`), whose node is pushed onto the automaton's stack as
    if the automaton had reduced the clause itself; what that parser leaves alone (declarations,
    casts, errors, anything unusual) the automaton reads token by token, as before."""
    from dtracepy.lexer import semicolons

    rows, start_state, end_state, chains, _ = tables
    state = start_state
    state_stack = [state]
    value_stack = []
    push_state = state_stack.append
    push_value = value_stack.append
    at_of = lexer.offset_function()
    fast = _clause_parser(at_of) if fast_clauses else None
    # (the usual declarations read without the automaton too: see parser_decls)
    declaration = _parser_decls.reader(at_of, fast.expression) if fast is not None and FAST_DECLARATIONS else None
    decl_starts, decl_symbols = _parser_decls.STARTS, _parser_decls.SYMBOLS
    remakes: dict = {}  # a clause text -> how often its tokens came again, then its maker (or False)
    shapes: dict = {}  # a shape's key (see lexer.Lexer.shape) -> how often it came, then its maker (or False)
    appends: dict = {}  # (see _appends)
    # (the fast parser reads a long clause body in parts, never holding all its tokens: see
    # lexer.Lexer.items; the automaton reads a clause whole, lexed again from its start)
    items = lexer.items(CLAUSE_PART if fast is not None else None)

    def next_part():
        return next(items), not lexer.more

    pending = None  # a lexing error, raised once the tokens before it are read
    tok = None
    # (a long declaration comes in parts, lexer.DECL_PART: see _refused)
    in_part = refused = False
    while pending is None:
        try:
            toks = next(items)
        except StopIteration:
            break
        except DSyntaxError as err:
            pending = _at_description(lexer, err)
            toks = lexer.partial
        if in_part:
            in_part = lexer.more  # (the rest of a declaration the automaton refused: it reads on)
        elif pending is None and lexer.more and toks[0][0] != "PDESC":
            toks, refused, pending = _declaration_parts(toks, items, lexer, rows, chains, state_stack)
            in_part = lexer.more and pending is None
        if refused:
            refused = False
        elif in_part:
            pass
        elif declaration is not None and pending is None and toks[0][0] in decl_starts:
            shape = lexer.shape
            if shape is not None and shape[1] == toks[0][2]:
                node = _shaped(shapes, shape[0], toks, declaration, at_of)
            else:
                node = declaration(toks)
            if node is not None:
                # the reductions the item's first token makes, then the node in its place (as a
                # clause's below)
                settled = _appended(appends, rows, state_stack, value_stack, state, toks[0][0])
                goto = rows[settled].get(decl_symbols[node.__class__]) if settled is not None else None
                if goto is not None:
                    state = goto
                    push_state(goto)
                    push_value(node)
                    tok = toks[-1]
                    continue
                state = state_stack[-1]  # (not at an item's start: the automaton says why)
        if fast is not None and pending is None and not in_part and toks[0][0] == "PDESC":
            parted = lexer.more
            replayed = lexer.replayed
            if replayed is not None and replayed[1] == toks[0][2] and not parted:
                # tokens of a clause text read before (see lexer.MAX_REST): its tree as the
                # text's, made by its maker once the text has come often enough (see _maker)
                key = replayed[0]
                known = remakes.get(key, 0)
                if known.__class__ is int:
                    clause = fast(toks, None)
                    remakes[key] = known + 1 if known < REMAKE_AFTER else _maker(clause)
                elif known is False:
                    clause = fast(toks, None)
                else:
                    clause = known(at_of(toks[0][2]))
            elif not parted and lexer.shape is not None and lexer.shape[1] == toks[0][2]:
                clause = _shaped(shapes, lexer.shape[0], toks, fast, at_of)
            else:
                clause = fast(toks, next_part if parted else None)
            if clause is not None:
                # the reductions the clause's first token makes, then the clause in its place
                state = _appended(appends, rows, state_stack, value_stack, state, "PDESC")
                goto = rows[state].get("clause") if state is not None else None
                if goto is not None:
                    state = goto
                    push_state(goto)
                    push_value(clause)
                    tok = toks[-1]
                    continue
                state = state_stack[-1]  # not at an item's start: the automaton says why
            if parted:  # the automaton needs the clause whole: lexed again from its start
                items = lexer.items(CLAUSE_PART, resume=lexer.resume)
                try:
                    toks = next(items)
                except DSyntaxError as err:
                    pending = _at_description(lexer, err)
                    toks = lexer.partial
        if lexer.semis:  # the automaton reads a run of ';' as the SEMI tokens it stands for
            toks = semicolons(toks)
        for tok in toks:
            ttype = tok[0]
            while True:
                try:
                    act = rows[state][ttype]
                except KeyError:
                    raise _syntax_error(lexer, tok) from None
                kind = act.__class__
                if kind is int:  # shift
                    state = act
                    push_state(act)
                    push_value(tok)
                    break
                if kind is str:
                    # a chain of ``?a: b`` reductions only changes the top state, and where it
                    # ends depends only on the state below, the top state and the token: memoised
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
    if pending is not None:
        raise pending
    if tok is None:
        return []
    end = ("$END", "", len(lexer.text))
    state = _settle(rows, state_stack, value_stack, state, "$END", end_state)
    if state != end_state:
        raise _syntax_error(lexer, end)
    return value_stack[-1]


def _declaration_parts(toks, items, lexer, rows, chains, state_stack):
    """``(tokens, refused, pending)`` of a declaration the lexer hands over in parts (see
    lexer.DECL_PART), ``toks`` its first.  The automaton, run on its states alone from
    ``state_stack``, reads that first part: where it refuses a token, the part is returned at
    once, ``refused`` true: the automaton reads it and says what it said when it read the whole
    item (it stops at or before that token), and what is left of the item is never held (a
    declaration of millions of tokens that fails at its second).  Else the parts are gathered,
    for the fast declaration reader reads an item whole (the automaton is not run on the rest:
    on a declaration of millions of tokens the fast reader reads, it cost a third more time).
    ``pending`` is a lexing error met on the way (the tokens then end with those before it, as
    :attr:`lexer.partial` gives them)."""
    from dtracepy.lexer import semicolons

    if _refused(rows, chains, state_stack[:], semicolons(toks) if lexer.semis else toks):
        return toks, True, None
    whole = list(toks)
    pending = None
    while lexer.more:
        try:
            part = next(items)
        except StopIteration:
            break
        except DSyntaxError as err:
            pending = _at_description(lexer, err)
            whole += lexer.partial
            break
        whole += part
    return whole, False, pending


def _refused(rows, chains, stack, toks) -> bool:
    """Does the automaton refuse one of ``toks`` from ``stack``, its states (moved on in place, as
    :func:`_drive` moves its own: no value made)?"""
    state = stack[-1]
    push = stack.append
    for tok in toks:
        ttype = tok[0]
        while True:
            act = rows[state].get(ttype)
            if act is None:
                return True
            kind = act.__class__
            if kind is int:
                state = act
                push(act)
                break
            if kind is str:
                key = (stack[-2], state, ttype)
                new = chains.get(key)
                if new is None:
                    new = chains[key] = _follow_chain(rows, key)
                state = stack[-1] = new
                continue
            size, _, origin = act
            if size:
                del stack[-size:]
            state = rows[stack[-1]][origin]
            push(state)
    return False


#: How often a clause's text is parsed (the lexer giving its tokens again: see lexer.MAX_REST)
#: before its tree is made by a function written for it (see :func:`_maker`): compiling one costs
#: about what parsing the clause 20 times does.
REMAKE_AFTER = 32
#: The most nodes a clause made by a maker may have (a larger clause is parsed every time).
REMAKE_NODES = 1000


def _maker(clause, toks=None):
    """A function ``at -> tree`` that makes, for the clause text whose tree ``clause`` is, the
    tree the fast clause parser makes of it where its first token is at offset ``at`` (as
    ``Lexer.offset_function`` gives it): ``clause`` again, every node new, every position shifted.
    It is straight-line code, one plain store a field (as the parser's builders: see
    tree.builder), with none of the parser's calls and tests: the parser made this tree from the
    same tokens, whose offsets only differ, and every node's position is an offset.  The nodes'
    invariants are not tested again (they hold of the same values: they only test, but for
    ``Ident``'s note of a name seen, which stays).  A node made twice in the tree (an empty
    statement after another) is made once.  False for a clause it cannot make (the parser gave
    up, a position that is not an offset, a field that is not a node, tuple or constant, more
    than REMAKE_NODES nodes).

    With ``toks``, the tokens ``clause`` was read from (a declaration's or a clause's: see
    :func:`_shaped`), a function ``(at, toks) -> tree`` for the texts of that shape: texts that
    differ from the first only in their digits 1-9, their tokens of the same types at the same
    offsets (see lexer.DECL_TEXT_MAX).  A field that holds a token's value (the same string
    object) holds that token's value of the text made; a string with no digit 1-9 is the same in
    every text of the shape (the readers copy token values, and the few they derive, such as a
    module-scoped name's parts, are cut at the same offsets); any other string or an integer
    (which might have been computed from digits) makes it give up.  The invariant of each node
    that holds a token's value is tested as the fast clause parser tests it (its class's own
    ``__attrs_post_init__``; a class with none but the general test of its ``_problem``, as the
    declarations' nodes, is not: the fast declaration reader does not test them either, its tokens'
    types are what the invariants ask), after its class is set: what it refuses (DSyntaxError),
    the caller reads again.  (Nor is an integer constant's: the lexer replays a shape only where
    each of its numbers is a plain decimal, and what IntLit's test reads of one, its digits, its
    length and a leading 0, is the same in every text of the shape.)"""
    if clause is None:
        return False
    base = clause._at
    lines: list = []
    names: dict = {}  # id(node) -> its variable
    spaces: dict = {}  # the code's globals: classes and builders
    node_class = tree.Node
    tokens: dict = {}  # id(a token's value) -> its index, or -1 where two tokens hold that object
    for k, tok in enumerate(toks or ()):
        tokens[id(tok[1])] = -1 if id(tok[1]) in tokens else k
    tested: list = []  # the nodes whose invariants are tested (their variables)

    def value(x):
        if isinstance(x, node_class):
            return made(x)
        if x.__class__ is tuple:
            return "(" + "".join(value(y) + ", " for y in x) + ")"
        if toks is not None:
            if x.__class__ is str and not _DIGITS_1_9.intersection(x):
                return repr(x)
            if x is None or x.__class__ is bool:
                return repr(x)
            k = tokens.get(id(x), -1) if x.__class__ is str else -1
            if k < 0:
                raise _GiveUp
            return f"toks[{k}][1]"
        if x is None or x.__class__ is str or x.__class__ is int or x.__class__ is bool:
            return repr(x)
        raise _GiveUp

    def made(node):
        name = names.get(id(node))
        if name is not None:
            return name
        cls = node.__class__
        at = node._at
        made_as = type(node)
        if made_as is not cls:
            # a name whose slot holds an offset before its own (tree.shifted_ident: made again
            # so, from the slot); any other hidden class (a scoped name) gives up
            if made_as not in tree.SHIFTED:
                raise _GiveUp
            at = _POS_SLOT_GET(node)
        if at.__class__ is not int or len(names) >= REMAKE_NODES:
            raise _GiveUp
        fields = _FIELDS.get(cls)
        if fields is None:  # (the attrs classes' own list, but a field with no slot: Ident's module)
            fields = _FIELDS[cls] = tuple(a.name for a in cls.__attrs_attrs__ if a.name != "pos"
                                          and getattr(cls, a.name).__class__ is _SLOT)
        values = [value(getattr(node, field)) for field in fields]
        name = names[id(node)] = f"n{len(names)}"
        kind = f"c{id(cls)}"
        spaces[kind] = cls
        spaces["b" + kind] = tree.builder(cls)
        lines.append(f"{name} = b{kind}()")
        lines.append(f"{name}.pos = at + {at - base}")
        lines.extend(f"{name}.{field} = {v}" for field, v in zip(fields, values))
        if made_as is not cls:
            kind = f"c{id(made_as)}"
            spaces[kind] = made_as
        lines.append(f"{name}.__class__ = {kind}")
        if "toks[" in "".join(values) and cls.__dict__.get("__attrs_post_init__", _UNTESTED) is not _UNTESTED \
                and cls is not _INT_LIT:
            tested.append(name)
        return name

    try:
        root = made(clause)
    except (_GiveUp, RecursionError, AttributeError):
        return False
    lines.extend(f"{name}.__attrs_post_init__()" for name in tested)
    source = ("def make(at, toks):\n    " if toks is not None else "def make(at):\n    ") + \
        "\n    ".join(lines) + f"\n    return {root}\n"
    exec(compile(source, "<clause maker>", "exec"), spaces)
    return spaces["make"]


_FIELDS: dict = {}  # node class -> its fields but pos (see _maker)
_SLOT = type(tree._POS_SLOT)  # (a member descriptor)
_POS_SLOT_GET = tree._POS_SLOT.__get__  # (the offset a node holds, whatever its class adds to it)
_DIGITS_1_9 = frozenset("123456789")
_UNTESTED = tree._check_new  # (the invariant a class gets from its _problem alone: see _maker)
_INT_LIT = tree.IntLit


def _shaped(shapes: dict, key, toks, read, at_of):
    """The tree of an item whose tokens are a shape's read before (``key``: see
    lexer.Lexer.shape), read by ``read`` (the fast declaration reader or clause parser), or None
    where it gives up: once the shape has come REMAKE_AFTER times, made by a function written for
    the shape (:func:`_maker` with the tokens), which the reader's tree of the same tokens would
    equal (tests/test_perf25a.py), with none of its calls and tests.  A text of 4 MiB of
    ``struct sN { int a; char b; };`` is 123,000 declarations of one shape."""
    known = shapes.get(key, 0)
    if known.__class__ is int:
        node = read(toks)
        shapes[key] = known + 1 if known < REMAKE_AFTER else _maker(node, toks)
        return node
    if known is False:
        return read(toks)
    try:
        return known(at_of(toks[0][2]), toks)
    except DSyntaxError:  # (an invariant refused a value: the reader gives up where it would)
        return read(toks)


def _appended(appends: dict, rows, state_stack, value_stack, state, ttype):
    """:func:`_settle` of the token that begins an item, where the item read before it is on top
    of the stack: most often the same two steps, the item made an ``item`` (a chain) and appended
    to the items' list (``items: items item``), which are done here at once where they were
    found the steps to take from the same three states for the same token (``appends``)."""
    if len(state_stack) >= 3:
        key = (state_stack[-3], state_stack[-2], state, ttype)
        new = appends.get(key)
        if new is not None:
            item = value_stack.pop()
            value_stack[-1].append(item)
            del state_stack[-2:]
            state_stack.append(new)
            return new
        if key not in appends:
            appends[key] = _append_state(rows, key)
            if appends[key] is not None:
                return _appended(appends, rows, state_stack, value_stack, state, ttype)
    return _settle(rows, state_stack, value_stack, state, ttype)


def _append_state(rows, key):
    """The state :func:`_settle` ends in from ``key``'s three states (the top last) for its token,
    where its steps are a chain to ``item`` and the reduction of ``items: items item`` by
    ``_Build.items`` (which appends the item to the list below it, its first child), and nothing
    more; else None."""
    below, under, top, ttype = key
    act = rows[top].get(ttype)
    if act.__class__ is not str:
        return None
    state = rows[under].get(act)
    if state is None:
        return None
    act = rows[state].get(ttype)
    if act is None or act.__class__ is not tuple or act[0] != 2 or act[2] != "items" \
            or getattr(act[1], "__func__", None) is not _Build.items:
        return None
    new = rows[below].get(act[2])
    if new is None or rows[new].get(ttype).__class__ is not int:
        return None
    return new


def _settle(rows, state_stack, value_stack, state, ttype, end_state=None):
    """Make the reductions the lookahead ``ttype`` calls for, up to its shift (or, for ``$END``,
    up to ``end_state``).  Returns the state then, or None if ``ttype`` cannot come next."""
    while True:
        act = rows[state].get(ttype)
        if act is None:
            return None
        kind = act.__class__
        if kind is int:
            return state
        if kind is str:  # a ``?a: b`` reduction: only the top state changes
            state = state_stack[-1] = rows[state_stack[-2]][act]
        else:
            size, callback, origin = act
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            value_stack.append(callback(children))
            state = rows[state_stack[-1]][origin]
            state_stack.append(state)
        if state == end_state:
            return state


# ----------------------------------------------------------------------------------------------
# The fast clause parser
# ----------------------------------------------------------------------------------------------
#
# Most of a D script is clauses: probe descriptions, a predicate and statements over expressions.
# The LALR automaton spends about a microsecond per action on them (a shift per token, a
# reduction per node and one per list element), so clauses are read first by this hand-written
# recursive-descent parser over the item's token list, which builds the same nodes the
# automaton's callbacks build, with the same positions.  It handles the expression language
# without types; at anything else (a cast, sizeof, offsetof, xlate, a TYPE_NAME, nesting deep
# enough to reach Python's recursion limit, or any syntax error) it gives up and the automaton
# reads the clause token by token, so what is accepted, the tree and the error messages stay
# the automaton's (tests/test_parser_fast.py compares the two on the corpus and generated D).


class _GiveUp(Exception):
    """The fast clause parser leaves this clause to the LALR automaton."""


_ASSIGN_TOKENS = frozenset(("ASSIGN", "ADD_ASSIGN", "SUB_ASSIGN", "MUL_ASSIGN", "DIV_ASSIGN",
                            "MOD_ASSIGN", "AND_ASSIGN", "XOR_ASSIGN", "OR_ASSIGN", "SHL_ASSIGN",
                            "SHR_ASSIGN"))
_BINOP_TOKENS = frozenset(("OROR", "XORXOR", "ANDAND", "BOR", "XOR", "AMP", "EQ", "NE", "LT", "GT",
                           "LE", "GE", "LSHIFT", "RSHIFT", "PLUS", "MINUS", "STAR", "SLASH",
                           "PERCENT"))
_PREFIX_TOKENS = frozenset(("INC", "DEC", "AMP", "STAR", "PLUS", "MINUS", "TILDE", "BANG"))
# The tokens that may follow a primary expression as a postfix operator (a call, a subscript, a
# member access, ++ or --).
_POSTFIX_TOKENS = frozenset(("LPAREN", "LBRACK", "ARROW", "DOT", "INC", "DEC"))
# The tokens that may follow a unary expression inside an assign_expr (anything else ends it).
_AFTER_OPERAND_TOKENS = _ASSIGN_TOKENS | _BINOP_TOKENS | {"QUESTION"}
# The tokens that end an assignment's value in a statement when they follow it (no other
# operator: ``x = y;``, ``x = y, z``, ``{x = y}``).
_VALUE_ENDS_TOKENS = frozenset(("SEMI", "RBRACE", "COMMA"))
# The tokens at a statement's start that the fast parser's statement loop reads other than as an
# expression statement's first token (and the end of a part of a long body, "$MORE").
_STATEMENT_STARTS = frozenset(("RBRACE", "$MORE", "SEMI", "SEMIS", "LBRACE", "K_IF"))


def _clause_parser(pos_at):
    """A function: one clause's token list -> its :class:`tree.Clause`, or None to leave it to
    the automaton.  ``pos_at`` maps a token's offset to its position."""
    Ident, IntLit, StringLit, CharLit = tree.Ident, tree.IntLit, tree.StringLit, tree.CharLit
    MacroVar, AggVar, SelfVar, ThisVar = tree.MacroVar, tree.AggVar, tree.SelfVar, tree.ThisVar
    Binary, Assign, Ternary, Unary = tree.Binary, tree.Assign, tree.Ternary, tree.Unary
    Call, Index, Member, Postfix = tree.Call, tree.Index, tree.Member, tree.Postfix
    ExprStmt, EmptyStmt, Block, If = tree.ExprStmt, tree.EmptyStmt, tree.Block, tree.If
    ASSIGN, BINOP, PREFIX, POSTFIX = _ASSIGN_TOKENS, _BINOP_TOKENS, _PREFIX_TOKENS, _POSTFIX_TOKENS
    AFTER_OPERAND, STATEMENT_STARTS = _AFTER_OPERAND_TOKENS, _STATEMENT_STARTS
    binchain = _binchain
    ProbeDesc, Clause = tree.ProbeDesc, tree.Clause
    # The common nodes are made as builders (see tree.builder): an instance that takes plain
    # stores of every field, then becomes the node's class and has its invariant tested, by the
    # class's __attrs_post_init__ or (Ident, Assign) the same test inline.  The fields are those
    # of the class's __init__ with its defaults, each as its converter makes it
    # (tests/test_reading_work.py checks that every field of a parsed node is stored).
    builder = tree.builder
    IdentBuilder, ExprStmtBuilder, AssignBuilder = builder(Ident), builder(ExprStmt), builder(Assign)
    IntLitBuilder, StringLitBuilder = builder(IntLit), builder(StringLit)
    SelfVarBuilder, ThisVarBuilder, MacroVarBuilder, AggVarBuilder = \
        builder(SelfVar), builder(ThisVar), builder(MacroVar), builder(AggVar)
    CallBuilder, IndexBuilder, MemberBuilder = builder(Call), builder(Index), builder(Member)
    ProbeDescBuilder, ClauseBuilder = builder(ProbeDesc), builder(Clause)
    names_seen = tree._NAMES_SEEN  # (Ident's invariant: a name it passed before needs no other test)
    SHIFTS, SHIFTED, shifted_ident = tree.SHIFTS, tree.SHIFTED, tree.shifted_ident
    VALUE_ENDS = _VALUE_ENDS_TOKENS
    assign_ops = tree.ASSIGN_OPS  # (Assign's)
    kind_of = itemgetter(0)
    toks: list = []
    kinds: list = []  # the tokens' types
    more = None  # the next part of a long clause (see clause())

    def expr(i):
        node, i = assign(i)
        if kinds[i] == "COMMA":
            return comma_rest(node, i)
        return node, i

    def comma_rest(node, i):
        """The rest of a comma expression whose first operand, ``node``, ends at ``i``."""
        while kinds[i] == "COMMA":
            right, i = assign(i + 1)
            node = Binary(",", node, right, pos=node._at)
        return node, i

    def assign(i):
        """assign_expr: a unary expression assigned to, or a cond_expr (as cond() reads it)."""
        tok = toks[i]
        if tok[0] == "IDENT" and kinds[i + 1] not in POSTFIX:
            # a name alone (an assignment's value, an argument, a key): its node made here, as
            # unary() makes it, without unary()'s call (a copy of unary()'s lines kept for the
            # call it saves, as the statement loop's below)
            node = IdentBuilder()
            node.pos = pos_at(tok[2])
            node.name = name = tok[1]
            node.__class__ = Ident
            if name not in names_seen:
                node.__attrs_post_init__()
            i += 1
        else:
            node, i = unary(i)
        if kinds[i] not in AFTER_OPERAND:  # (the usual case: a ',', ')', ';' ... ends the operand)
            return node, i
        return assign_rest(node, i)

    def assign_rest(node, i):
        """The rest of an assign_expr whose first unary expression, ``node``, ends at ``i``, where
        a token of AFTER_OPERAND follows it."""
        kind = kinds[i]
        if kind in ASSIGN:
            op = toks[i][1]
            value, i = assign(i + 1)
            target = node
            node = AssignBuilder()
            node.pos = target._at
            node.op = op
            node.target = target
            node.value = value
            node.__class__ = Assign
            if op not in assign_ops:
                node.__attrs_post_init__()
            return node, i
        if kind in BINOP:
            node, i = chain(node, i)
            kind = kinds[i]
        if kind == "QUESTION":
            return ternary(node, i)
        return node, i

    def cond(i):
        node, i = unary(i)
        kind = kinds[i]
        if kind in BINOP:
            node, i = chain(node, i)
            kind = kinds[i]
        if kind == "QUESTION":
            return ternary(node, i)
        return node, i

    def chain(node, i):
        # bin_expr: operands and operators in one flat list, then D's precedence table
        items = [node]
        while kinds[i] in BINOP:
            items.append(toks[i])
            node, i = unary(i + 1)
            items.append(node)
        return binchain(items), i

    def ternary(node, i):
        then, i = expr(i + 1)
        if kinds[i] != "COLON":
            raise _GiveUp
        otherwise, i = cond(i + 1)
        return Ternary(node, then, otherwise, pos=node._at), i

    def unary(i):
        """unary_expr: prefix operators, then a primary and its postfix operators."""
        tok = toks[i]
        kind = tok[0]
        if kind == "IDENT":  # the common case first
            node = IdentBuilder()
            node.pos = pos_at(tok[2])
            node.name = name = tok[1]
            node.__class__ = Ident
            if name not in names_seen:
                node.__attrs_post_init__()
        elif kind in PREFIX:
            operand, i = unary(i + 1)
            return Unary(tok[1], operand, pos=pos_at(tok[2])), i
        elif kind == "K_STRINGOF":
            operand, i = unary(i + 1)
            return tree.Stringof(operand, pos=pos_at(tok[2])), i
        elif kind == "K_SIZEOF":
            operand, i = unary(i + 1)
            return tree.SizeofExpr(operand, pos=pos_at(tok[2])), i
        elif kind == "SCOPED":
            module, _, name = tok[1].rpartition("`")
            node = Ident(name, module, pos=pos_at(tok[2]))
        elif kind == "INTLIT":
            node = IntLitBuilder()
            node.pos = pos_at(tok[2])
            node.text = tok[1]
            node.__class__ = IntLit
            node.__attrs_post_init__()
        elif kind == "STRLIT":
            node = StringLitBuilder()
            node.pos = pos_at(tok[2])
            node.value = tok[1]
            node.__class__ = StringLit
            node.__attrs_post_init__()
        elif kind == "K_SELF" or kind == "K_THIS":
            name = toks[i + 2]
            if kinds[i + 1] != "ARROW" or (name[0] != "IDENT" and name[0] != "TYPE_NAME"):
                raise _GiveUp
            if kind == "K_SELF":
                node = SelfVarBuilder()
                node.pos = pos_at(tok[2])
                node.name = name[1]
                node.__class__ = SelfVar
            else:
                node = ThisVarBuilder()
                node.pos = pos_at(tok[2])
                node.name = name[1]
                node.__class__ = ThisVar
            node.__attrs_post_init__()
            i += 2
        elif kind == "MACRO":
            node = MacroVarBuilder()
            node.pos = pos_at(tok[2])
            node.name = tok[1]
            node.doc = None
            node.__class__ = MacroVar
            node.__attrs_post_init__()
        elif kind == "AGG":
            node = AggVarBuilder()
            node.pos = pos_at(tok[2])
            node.name = tok[1]
            node.__class__ = AggVar
            node.__attrs_post_init__()
        elif kind == "CHARLIT":
            node = CharLit(tok[1], pos=pos_at(tok[2]))
        elif kind == "LPAREN":  # (expr); a cast's type name makes expr() give up
            node, i = expr(i + 1)
            if kinds[i] != "RPAREN":
                raise _GiveUp
        else:
            raise _GiveUp
        i += 1
        if kinds[i] not in POSTFIX:  # (the usual case: one set lookup, not six comparisons)
            return node, i
        while True:
            kind = kinds[i]
            if kind == "LPAREN":
                if kinds[i + 1] == "RPAREN":
                    args = ()
                    i += 1
                else:
                    args, i = arguments(i + 1)
                    if kinds[i] != "RPAREN":
                        raise _GiveUp
                    args = tuple(args)
                base = node
                node = CallBuilder()
                node.pos = base._at
                node.callee = base
                node.args = args
                node.__class__ = Call
            elif kind == "LBRACK":
                args, i = arguments(i + 1)
                if kinds[i] != "RBRACK":
                    raise _GiveUp
                base = node
                node = IndexBuilder()
                node.pos = base._at
                node.base = base
                node.keys = tuple(args)
                node.__class__ = Index
            elif kind == "ARROW" or kind == "DOT":
                name = toks[i + 1]
                if name[0] != "IDENT" and name[0] != "TYPE_NAME":
                    raise _GiveUp
                base = node
                node = MemberBuilder()
                node.pos = base._at
                node.base = base
                node.op = toks[i][1]
                node.name = name[1]
                node.__class__ = Member
                node.__attrs_post_init__()
                i += 1
            elif kind == "INC" or kind == "DEC":
                node = Postfix(toks[i][1], node, pos=node._at)
            else:
                return node, i
            i += 1

    def arguments(i):
        node, i = assign(i)
        out = [node]
        while kinds[i] == "COMMA":
            node, i = assign(i + 1)
            out.append(node)
        return out, i

    def statements(i):
        """Statements up to the ``}`` that ends them (not read)."""
        out = []
        while True:
            kind = kinds[i]
            if kind not in STATEMENT_STARTS:
                # An expression statement (the usual statement: one set lookup for it, not six
                # comparisons).  As expr() reads it, without its calls: most statements are
                # an operand alone or an assignment.
                if kind == "IDENT" and kinds[i + 1] not in POSTFIX:
                    # a name not followed by a postfix operator (``x;``, ``x = ...``): its node
                    # made here, without unary()'s call (the Ident as unary() makes it: a copy
                    # kept for the call it saves, 7 % of BEGIN{x;x;...}'s check)
                    tok = toks[i]
                    node = IdentBuilder()
                    node.pos = at = pos_at(tok[2])
                    node.name = name = tok[1]
                    node.__class__ = Ident
                    if name not in names_seen:
                        node.__attrs_post_init__()
                    i += 1
                    kind = kinds[i]
                    if kind == "SEMI":  # a lone name
                        stmt = ExprStmtBuilder()
                        stmt.pos = at
                        stmt.expr = node
                        stmt.__class__ = ExprStmt
                        out.append(stmt)
                        i += 1
                        continue
                else:
                    node, i = unary(i)
                    kind = kinds[i]
                if kind in ASSIGN:
                    # an assignment, as assign_rest() reads it, without its call (a copy of its
                    # lines kept for the call it saves: 5 % of BEGIN{x=y;...}'s parse)
                    op = toks[i][1]
                    target = node
                    tok = toks[i + 1]
                    if tok[0] == "IDENT" and kinds[i + 2] in VALUE_ENDS:
                        # a name alone as the value (``x = y;``), as assign() makes it, but
                        # holding the target's offset when near it (see tree.shifted_ident:
                        # no int of its own, 32 bytes)
                        at, offset = target._at, pos_at(tok[2])
                        # (an offset, unless the parse's positions are Pos: see offset_function)
                        shift = offset - at if offset.__class__ is int and at.__class__ is int else 0
                        value = IdentBuilder()
                        value.name = name = tok[1]
                        if 0 < shift <= SHIFTS:
                            value.pos = at
                            value.__class__ = SHIFTED[shift] or shifted_ident(shift)
                        else:
                            value.pos = offset
                            value.__class__ = Ident
                        if name not in names_seen:
                            value.__attrs_post_init__()
                        i += 2
                    else:
                        value, i = assign(i + 1)
                    node = AssignBuilder()
                    node.pos = target._at
                    node.op = op
                    node.target = target
                    node.value = value
                    node.__class__ = Assign
                    if op not in assign_ops:
                        node.__attrs_post_init__()
                    kind = kinds[i]
                elif kind in AFTER_OPERAND:
                    node, i = assign_rest(node, i)
                    kind = kinds[i]
                if kind == "COMMA":
                    node, i = comma_rest(node, i)
                    kind = kinds[i]
                stmt = ExprStmtBuilder()
                stmt.pos = node._at
                stmt.expr = node
                stmt.__class__ = ExprStmt
                out.append(stmt)
                if kind == "SEMI":
                    i += 1
                elif kind == "RBRACE":  # the last statement may go without its ';'
                    return out, i
                else:
                    raise _GiveUp
                continue
            if kind == "RBRACE":
                return out, i
            if kind == "$MORE":  # the end of a part of a long body (see lexer.Lexer.items)
                i = refill()
                continue
            tok = toks[i]
            if kind == "SEMI":
                # (an empty statement right after another is the same node: see tree.EmptyStmt)
                if out and out[-1].__class__ is EmptyStmt:
                    out.append(out[-1])
                else:
                    out.append(EmptyStmt(pos=pos_at(tok[2])))
                i += 1
            elif kind == "SEMIS":  # a run of empty statements (see lexer.SEMIS): one node, shared
                empty = out[-1] if out and out[-1].__class__ is EmptyStmt else EmptyStmt(pos=pos_at(tok[2]))
                out += repeat(empty, tok[1].count(";"))
                i += 1
            elif kind == "LBRACE":
                body, i = statements(i + 1)
                out.append(Block(body, pos=pos_at(tok[2])))
                i += 1
            else:  # K_IF
                node, i = if_stmt(i)
                out.append(node)

    def embedded(i):
        """The statement of an if or else."""
        tok = toks[i]
        kind = tok[0]
        if kind == "LBRACE":
            body, i = statements(i + 1)
            return Block(body, pos=pos_at(tok[2])), i + 1
        if kind == "K_IF":
            return if_stmt(i)
        if kind == "SEMI":
            return EmptyStmt(pos=pos_at(tok[2])), i + 1
        node, i = expr(i)
        if kinds[i] != "SEMI":
            raise _GiveUp
        return ExprStmt(node, pos=node._at), i + 1

    def if_stmt(i):
        tok = toks[i]
        if kinds[i + 1] != "LPAREN":
            raise _GiveUp
        test, i = expr(i + 2)
        if kinds[i] != "RPAREN":
            raise _GiveUp
        then, i = embedded(i + 1)
        otherwise = None
        if kinds[i] == "$MORE":  # (an else may begin the next part)
            i = refill()
        if kinds[i] == "K_ELSE":
            otherwise, i = embedded(i + 1)
        return If(test, then, otherwise, pos=pos_at(tok[2])), i

    def refill():
        """The next part of a long clause body in place of the one read (see lexer.Lexer.items:
        parts end after a ';' of the body's own statement list); the index to go on from."""
        nonlocal toks, kinds
        toks, last = more()
        kinds = list(map(kind_of, toks))
        kinds.append("$END" if last else "$MORE")
        return 0

    def clause(items, parts=None):
        """``items``: the clause's tokens; or, with ``parts``, the first part of them, and
        ``parts()`` gives the next part and whether it is the last."""
        nonlocal toks, kinds, more
        toks = items
        kinds = list(map(kind_of, items))  # (a loop in C)
        # a look past the end reads this, not an IndexError
        kinds.append("$END" if parts is None else "$MORE")
        more = parts
        n = len(items)
        try:
            probes = []
            i = 0
            while True:  # (items[i] is a PDESC)
                tok = items[i]
                desc = ProbeDescBuilder()
                desc.pos = pos_at(tok[2])
                desc.text = tok[1]
                desc.__class__ = ProbeDesc
                desc.__attrs_post_init__()
                probes.append(desc)
                i += 1
                if i >= n or items[i][0] != "COMMA":
                    break
                if items[i + 1][0] != "PDESC":
                    return None
                i += 1
            predicate = body = None
            if i < n and items[i][0] == "PRED_OPEN":
                predicate, i = expr(i + 1)
                if kinds[i] != "PRED_CLOSE":
                    return None
                i += 1
            if i < n and items[i][0] == "LBRACE":
                body, i = statements(i + 1)
                i += 1  # statements() stops only at a '}'
                n = len(toks)  # (the last part's)
            if i != n or (predicate is None and body is None) or kinds[-1] != "$END":
                return None
            node = ClauseBuilder()
            node.pos = probes[0]._at
            node.probes = tuple(probes)
            node.predicate = predicate
            node.body = None if body is None else tuple(body)
            node.__class__ = Clause
            node.__attrs_post_init__()
            return node
        except (_GiveUp, IndexError, RecursionError, DSyntaxError, StopIteration):
            return None
        finally:
            toks = kinds = []
            more = None

    def expression(items, item_kinds, i):
        """The expression at ``items[i]`` (a declaration's item: ``item_kinds`` its tokens'
        types and "$END") and the index after it, or None where this parser gives up (see
        parser_decls: a translator's members)."""
        nonlocal toks, kinds
        toks, kinds = items, item_kinds
        try:
            return expr(i)
        except (_GiveUp, IndexError, RecursionError, DSyntaxError):
            return None
        finally:
            toks = kinds = []

    clause.expression = expression
    return clause


def _binchain(items):
    """Build the Binary nodes of a flat chain ``e op e op e`` (op tokens) by D's precedence table
    (as builders: see _clause_parser)."""
    Binary = tree.Binary
    BinaryBuilder = _BINARY_BUILDER or _binary_builder()
    binary_ops = tree.BINARY_OPS
    if len(items) == 3:  # one operator (the usual chain): its node, without the stacks below
        left = items[0]
        node = BinaryBuilder()
        node.pos = left._at
        node.op = op = items[1][1]
        node.left = left
        node.right = items[2]
        node.__class__ = Binary
        if op not in binary_ops:
            node.__attrs_post_init__()
        return node
    prec = _PREC
    operands = [items[0]]
    ops = []
    n = len(items)
    for i in range(1, n + 1, 2):
        p = prec[items[i][1]] if i < n else -1  # (after the last operand: what is left reduces)
        while ops and prec[ops[-1]] >= p:
            right = operands.pop()
            left = operands.pop()
            node = BinaryBuilder()
            node.pos = left._at
            node.op = op = ops.pop()
            node.left = left
            node.right = right
            node.__class__ = Binary
            if op not in binary_ops:
                node.__attrs_post_init__()
            operands.append(node)
        if i < n:
            ops.append(items[i][1])
            operands.append(items[i + 1])
    return operands[0]


_BINARY_BUILDER = None


def _binary_builder():
    global _BINARY_BUILDER
    _BINARY_BUILDER = tree.builder(tree.Binary)
    return _BINARY_BUILDER


def _follow_chain(rows, key):
    below, state, ttype = key
    while True:
        act = rows[state].get(ttype)
        if type(act) is not str:
            return state
        state = rows[below][act]


def _at_description(lexer, err: DSyntaxError) -> DSyntaxError:
    """A clause of probe descriptions with neither a predicate nor a body (``syscall::open:entry``
    at the end of the file, or before the next clause) is reported at its first description, where
    dtrace reports it, not where the lexer found what was missing (the end of the file)."""
    toks = lexer.partial
    if (toks and toks[-1][0] == "PDESC" and all(tok[0] in ("PDESC", "COMMA") for tok in toks)
            and err.message.startswith("expected a predicate or a clause body")):
        return lexer.error(err.message, toks[0][2])
    return err


def _syntax_error(lexer, token) -> DSyntaxError:
    if token is None or token[0] == "$END":
        return lexer.error("syntax error near end of input", len(lexer.text))
    ttype, value, start = token
    if ttype == "STRLIT":
        value = '"..."'
    elif ttype == "AGG":
        value = "@" + value
    return lexer.error(f'syntax error near "{value}"', start)


def _splice(items, extra):
    """Merge two position-ordered lists of top-level nodes."""
    out = []
    i = 0
    if all(n._at.__class__ is int for n in extra):
        # (positions in one text, not preprocessed: the offsets are in the same order)
        key = tree.Node._at.__get__
    else:
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


TABLES_NAME = "d_tables.marshal"  # next to d.lark: grammar/ in a checkout, dtracepy/grammar/ installed
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


def _grammar_resource(name: str, binary: bool = False) -> "str | bytes | None":
    """A file of the package dtracepy.grammar as text (bytes if ``binary``), or None if it is
    absent."""
    path = _grammar_file(name)
    try:
        if path is not None:
            with open(path, "rb") if binary else open(path, encoding="utf-8") as handle:
                return handle.read()
        from importlib.resources import files  # e.g. a zipped install: no plain path

        resource = files("dtracepy.grammar") / name
        return resource.read_bytes() if binary else resource.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        return None


def _grammar_text() -> str:
    text = _grammar_resource("d.lark")
    if text is None:
        raise FileNotFoundError("dtracepy cannot find its grammar, grammar/d.lark")
    return text


def _load_tables() -> dict:
    """The LALR tables as plain data (in :func:`pack_table_data`'s form), read from
    grammar/d_tables.marshal (see :func:`load_table_data`).

    They ship precomputed, so neither lark nor the ~0.2 s table construction is needed.  If the
    shipped file is missing, unreadable or was made from another grammar (the text of d.lark it
    records differs), lark rebuilds the tables from d.lark: slower, never wrong.  (The file holds
    the whole grammar, 7 KB, compared as a string: a digest of it needed zlib, whose loading was
    0.8 M of a seed-sized check's machine instructions.)
    """
    grammar = _grammar_text()
    blob = _grammar_resource(TABLES_NAME, binary=True)
    if blob is not None:
        try:
            data = load_table_data(blob)
        except ValueError:  # a damaged file, or one this Python cannot read: rebuild
            pass
        else:
            if data["grammar"] == grammar:
                return data
    return pack_table_data(build_table_data(grammar))


def _make_parser():
    """The LALR tables in the driver's form and the callbacks that build nodes."""
    data = _load_tables()
    build = _Build()
    # The driver's form: rows[state] maps a symbol to an action: an int is a state to shift to
    # (for a nonterminal, to go to); a str is a rule ``?origin: one_symbol``, whose reduction
    # keeps the value and only changes the state; else (size, callback, origin).
    reductions = [rule[1] if rule[0] == 1 and rule[3] and not rule[4]
                  else (rule[0], _make_callback(build, *rule), rule[1]) for rule in data["rules"]]
    rows = []
    for shifts, reduces in data["states"]:  # (see pack_table_data)
        row = dict(shifts)
        for rule, symbols in reduces:
            row.update(dict.fromkeys(symbols, reductions[rule]))
        rows.append(row)
    # chains: (state below, top state, token type) -> the top state after ?a: b reductions
    return (rows, data["start"], data["end"], {}, build), build


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
        "grammar": grammar,
        "start": 0,
        "end": number[table.end_states["start"]],
        "rules": [list(f) for f in rules],
        "states": states,
    }


# The tables file holds the tables in Python's marshal format (version 4, which every Python since
# 3.4 reads): marshal is built in and reads them in C, without importing json (json cost every
# ``check`` some 7 ms, on a 170 ms check).  They are held packed (see pack_table_data): of a
# state's 8,500 actions, 5,900 are reductions by only 260 rules, so the parser makes its rows in
# 670 dictionary operations rather than 8,500 steps of Python.  The file is made from d.lark
# alone, by lark; a test rebuilds it and compares.  A file this Python cannot read is rebuilt
# with lark (see _load_tables).
_MARSHAL_VERSION = 4


def pack_table_data(data: dict) -> dict:
    """:func:`build_table_data`'s tables with each state as ``(shifts, reductions)``: its actions
    ``k >= 0`` (symbol -> state), and ``[rule, symbols]`` for each rule it reduces by."""
    states = []
    for row in data["states"]:
        by_rule: dict[int, list] = {}
        for symbol, action in row.items():
            if action < 0:
                by_rule.setdefault(~action, []).append(symbol)
        states.append(({symbol: action for symbol, action in row.items() if action >= 0},
                       [(rule, tuple(symbols)) for rule, symbols in sorted(by_rule.items())]))
    return {**data, "states": states}


def unpack_table_data(data: dict) -> dict:
    """The inverse of :func:`pack_table_data`."""
    states = []
    for shifts, reductions in data["states"]:
        row = dict(shifts)
        for rule, symbols in reductions:
            row.update(dict.fromkeys(symbols, ~rule))
        states.append(dict(sorted(row.items())))
    return {**data, "states": states}


def dump_table_data(data: dict) -> bytes:
    """The tables file's bytes for :func:`build_table_data`'s data."""
    import marshal

    return marshal.dumps(pack_table_data(data), _MARSHAL_VERSION)


def load_table_data(blob: bytes) -> dict:
    """The tables file's data, packed (see :func:`pack_table_data`); ValueError if ``blob`` is not
    a whole tables file (its shape is checked; its entries are what lark made, see
    tests/test_parser_tables.py)."""
    import marshal

    try:
        data = marshal.loads(blob)
        well_formed = (
            type(data) is dict and data.keys() == {"about", "grammar", "start", "end", "rules", "states"}
            and type(data["states"]) is list and type(data["rules"]) is list
            and type(data["grammar"]) is str and all(type(data[key]) is int for key in ("start", "end")))
    except (EOFError, ValueError, TypeError):  # what marshal raises for a cut or foreign file
        well_formed = False
    if not well_formed:
        raise ValueError("the LALR tables file is damaged")
    return data


def write_table_data(path: "str | None" = None) -> str:
    """Rebuild the tables with lark and write them beside d.lark (or to ``path``)."""
    import os

    if path is None:
        here = os.path.dirname(os.path.abspath(__file__))
        folder = os.path.join(here, "grammar")
        if not os.path.isfile(os.path.join(folder, "d.lark")):
            folder = os.path.join(here, os.pardir, "grammar")
        path = os.path.normpath(os.path.join(folder, TABLES_NAME))
    with open(path, "wb") as handle:
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
    if method is _Inlined and 0 in inline_set:
        # A left-recursive list (`_xs: _xs "," x`): the list so far is the first child, made for
        # this reduction alone; it grows in place.  Spliced into a new list at each step, n
        # enumerators cost n**2/2 copies (100,000 of them, a 1 MB enum, took minutes).
        def grow(children):
            first = children[0]
            if first.__class__ is not _Inlined:
                return _Inlined(splice(children))
            for i in range(1, len(children)):
                child = children[i]
                if i in inline_set and isinstance(child, _Inlined):
                    first.extend(child)
                else:
                    first.append(child)
            return first

        return grow
    return lambda children: method(splice(children))


# Binary operators of an expression chain and how tightly each binds (the one table).
_PREC = {op: level for op, level in _precedence.BINARY.items() if op != ","}


class _L(list):
    """A list carrying the position of its first element (as a node stores it: ``_at``)."""

    __slots__ = ("_at",)


class _Pred:
    __slots__ = ("expr",)

    def __init__(self, expr):
        self.expr = expr


def _name_of(tok) -> tuple[str, str | None]:
    """Split a possibly backquoted name: ``genunix`kthread_t`` -> ("kthread_t", "genunix")."""
    value = tok[1]
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
    result = tree.NameDecl(None, pos=decl._at)
    for outer in reversed(chain):
        import attrs

        result = attrs.evolve(outer, target=result)
    return result, name


class _Build:
    """lark callbacks: children in, tree node out."""

    def __init__(self):
        self.file = "<string>"
        self.pos_at = None  # the lexer's offset -> Pos, set for each parse

    def _p(self, x):
        if x.__class__ is tuple:  # a token
            return self.pos_at(x[2])
        return x._at  # a node, or a list carrying a position (_L)

    # -- top level -----------------------------------------------------------------------------
    def start(self, c):
        return c[0] if c else []

    def items(self, c):
        if len(c) == 1:
            return [c[0]]
        c[0].append(c[1])
        return c[0]

    def stmt_list(self, c):
        if len(c) == 1:
            return [c[0]]
        out, stmt = c
        if stmt.__class__ is tree.EmptyStmt and out[-1].__class__ is tree.EmptyStmt:
            stmt = out[-1]  # an empty statement right after another is the same node (tree.EmptyStmt)
        out.append(stmt)
        return out

    def arg_list(self, c):
        if len(c) == 1:
            return [c[0]]
        c[0].append(c[2])
        return c[0]

    def pdescs(self, c):
        if len(c) == 1:
            out = _L([tree.ProbeDesc(c[0][1], pos=self._p(c[0]))])
            out._at = out[0]._at
            return out
        c[0].append(tree.ProbeDesc(c[2][1], pos=self._p(c[2])))
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
        return tree.Clause(probes, predicate, body, pos=probes._at)

    def pdesc_list(self, c):
        return c[0]

    def predicate(self, c):
        return _Pred(c[1])

    def body(self, c):
        return c[1]

    def stmts(self, c):
        out = c[0] if c and isinstance(c[0], list) else []
        if c and isinstance(c[-1], tree.Expr):
            out.append(tree.ExprStmt(c[-1], pos=c[-1]._at))
        return tuple(out)

    def expr_stmt(self, c):
        return tree.ExprStmt(c[0], pos=c[0]._at)

    def empty_stmt(self, c):
        return tree.EmptyStmt(pos=self._p(c[0]))

    def block(self, c):
        return tree.Block(c[1], pos=self._p(c[0]))

    def if_stmt(self, c):
        otherwise = c[6] if len(c) > 6 else None
        return tree.If(c[2], c[4], otherwise, pos=self._p(c[0]))

    # -- expressions ---------------------------------------------------------------------------
    def binary(self, c):
        return tree.Binary(c[1][1], c[0], c[2], pos=c[0]._at)

    def bin_chain(self, c):
        if isinstance(c[0], list):
            c[0].append(c[1])
            c[0].append(c[2])
            return c[0]
        return c

    def binchain(self, c):
        return _binchain(c[0])

    def assign(self, c):
        return tree.Assign(c[1][1], c[0], c[2], pos=c[0]._at)

    def assign_op(self, c):
        return c[0]

    def ternary(self, c):
        return tree.Ternary(c[0], c[2], c[4], pos=c[0]._at)

    def cast(self, c):
        return tree.Cast(c[1], c[3], pos=self._p(c[0]))

    def prefix(self, c):
        return tree.Unary(c[0][1], c[1], pos=self._p(c[0]))

    def sizeof_expr(self, c):
        return tree.SizeofExpr(c[1], pos=self._p(c[0]))

    def sizeof_type(self, c):
        return tree.SizeofType(c[2], pos=self._p(c[0]))

    def stringof(self, c):
        return tree.Stringof(c[1], pos=self._p(c[0]))

    def index(self, c):
        return tree.Index(c[0], c[2], pos=c[0]._at)

    def call(self, c):
        args = c[2] if len(c) == 4 else ()
        return tree.Call(c[0], args, pos=c[0]._at)

    def member(self, c):
        return tree.Member(c[0], c[1][1], c[2][1], pos=c[0]._at)

    def postfix(self, c):
        return tree.Postfix(c[1][1], c[0], pos=c[0]._at)

    # Leaves: c[0] is a token (these run once per operand, so they skip _p).
    def ident(self, c):
        _, value, start = c[0]
        if "`" in value:
            module, _, name = value.rpartition("`")
            return tree.Ident(name, module, pos=self.pos_at(start))
        return tree.Ident(value, None, pos=self.pos_at(start))

    def intlit(self, c):
        return tree.IntLit(c[0][1], pos=self.pos_at(c[0][2]))

    def charlit(self, c):
        return tree.CharLit(c[0][1], pos=self.pos_at(c[0][2]))

    def strlit(self, c):
        return tree.StringLit(c[0][1], pos=self.pos_at(c[0][2]))

    def macro(self, c):
        return tree.MacroVar(c[0][1], pos=self.pos_at(c[0][2]))

    def agg(self, c):
        return tree.AggVar(c[0][1], pos=self.pos_at(c[0][2]))

    def selfvar(self, c):
        return tree.SelfVar(c[2][1], pos=self.pos_at(c[0][2]))

    def thisvar(self, c):
        return tree.ThisVar(c[2][1], pos=self.pos_at(c[0][2]))

    def paren(self, c):
        return c[1]

    def offsetof(self, c):
        return tree.Offsetof(c[2], c[4][1], pos=self._p(c[0]))

    def xlate(self, c):
        return tree.Xlate(c[2], c[5], pos=self._p(c[0]))

    def member_name(self, c):
        return c[0]

    # -- types and declarations ----------------------------------------------------------------
    def _specs(self, c):
        out = _L(x[1] if x.__class__ is tuple else x for x in c)
        out._at = self._p(c[0])
        return out

    spec_qual_list = _specs
    decl_specs = _specs

    def type_name(self, c):
        decl = c[1] if len(c) > 1 else tree.NameDecl(None, pos=c[0]._at)
        return tree.TypeName(tuple(c[0]), decl, pos=c[0]._at)

    def typeref(self, c):
        name, module = _name_of(c[0])
        return tree.TypeRef(name, module, pos=self._p(c[0]))

    def struct_spec(self, c):
        kind = c[0][1]
        name = None
        members = None
        rest = c[1:]
        if rest and not isinstance(rest[0], tree.Node) and rest[0][0] != "LBRACE":
            name = rest[0][1]
            rest = rest[1:]
        if rest:
            members = tuple(x for x in rest if isinstance(x, tree.FieldDecl))
        return tree.StructSpec(kind, name, members, pos=self._p(c[0]))

    def field_decl(self, c):
        decls = c[1] if len(c) == 3 else ()
        return tree.FieldDecl(tuple(c[0]), decls, pos=c[0]._at)

    def field_declarators(self, c):
        return c[0::2]

    def field_declarator(self, c):
        if len(c) == 1:
            return tree.FieldDeclarator(c[0], None, pos=c[0]._at)
        if len(c) == 2:
            return tree.FieldDeclarator(None, c[1], pos=self._p(c[0]))
        return tree.FieldDeclarator(c[0], c[2], pos=c[0]._at)

    def enum_spec(self, c):
        name = None
        rest = c[1:]
        if rest and not isinstance(rest[0], tree.Node) and rest[0][0] != "LBRACE":
            name = rest[0][1]
            rest = rest[1:]
        enumerators = tuple(x for x in rest if isinstance(x, tree.Enumerator)) if rest else None
        return tree.EnumSpec(name, enumerators, pos=self._p(c[0]))

    def enumerator(self, c):
        value = c[2] if len(c) == 3 else None
        return tree.Enumerator(c[0][1], value, pos=self._p(c[0]))

    def declaration(self, c):
        decls = c[1] if len(c) == 3 else ()
        return tree.Declaration(tuple(c[0]), decls, pos=c[0]._at)

    def declarator_list(self, c):
        return c[0::2]

    def pointer(self, c):
        # [STAR quals... inner_pointer?] -> list of qualifier tuples, innermost (rightmost) first:
        # each level appends to the list of the levels inside it (copying it made 32,000 stars
        # take 6.5 s), and the outermost level, reduced last, sets the position
        quals = []
        out = None
        for x in c[1:]:
            if isinstance(x, list):
                out = x
            else:
                quals.append(x[1])
        if out is None:
            out = _L()
        out.append(tuple(quals))
        out._at = self._p(c[0])
        return out

    def _wrap_pointers(self, stars, decl):
        for quals in stars:  # (innermost first)
            decl = tree.PointerDecl(decl, quals, pos=stars._at)
        return decl

    def pointer_declarator(self, c):
        return self._wrap_pointers(c[0], c[1])

    def name_decl(self, c):
        return tree.NameDecl(c[0][1], pos=self._p(c[0]))

    def array_decl(self, c):
        dims = c[2] if len(c) == 4 else ()
        return tree.ArrayDecl(c[0], dims, pos=c[0]._at)

    def func_decl(self, c):
        params = c[2] if len(c) == 4 else ()
        return tree.FuncDecl(c[0], params, pos=c[0]._at)

    def array_dims(self, c):
        out = []
        for x in c[0::2]:
            if x.__class__ is tuple:  # the token ELLIPSIS
                x = tree.Param(("...",), None, pos=self._p(x))
            elif isinstance(x, tree.Param):
                decl = x.declarator
                if decl is None:
                    x = tree.TypeName(x.specifiers, pos=x._at)
                else:
                    _, name = _strip_name(decl)
                    if name is None:
                        x = tree.TypeName(x.specifiers, decl, pos=x._at)
            out.append(x)
        return out

    def param_list(self, c):
        out = []
        for x in c:
            if isinstance(x, tree.Param):
                out.append(x)
            elif x.__class__ is tuple and x[0] == "ELLIPSIS":
                out.append(tree.Param(("...",), None, pos=self._p(x)))
        return out

    def param(self, c):
        decl = c[1] if len(c) > 1 else None
        return tree.Param(tuple(c[0]), decl, pos=c[0]._at)

    def abstract_declarator(self, c):
        if len(c) == 1:
            if isinstance(c[0], tree.Declarator):
                return c[0]
            return self._wrap_pointers(c[0], tree.NameDecl(None, pos=c[0]._at))
        return self._wrap_pointers(c[0], c[1])

    def abstract_array(self, c):
        if isinstance(c[0], tree.Declarator):
            target, c = c[0], c[1:]
        else:
            target = tree.NameDecl(None, pos=self._p(c[0]))
        dims = c[1] if len(c) == 3 else ()
        return tree.ArrayDecl(target, dims, pos=target._at)

    def abstract_func(self, c):
        if isinstance(c[0], tree.Declarator):
            target, c = c[0], c[1:]
        else:
            target = tree.NameDecl(None, pos=self._p(c[0]))
        params = c[1] if len(c) == 3 else ()
        return tree.FuncDecl(target, params, pos=target._at)

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
        return tree.Translator(output, tree.TypeName(param.specifiers, decl, pos=param._at), name,
                               members, pos=self._p(c[0]))

    def xlator_member(self, c):
        return tree.TranslatorMember(c[0][1], c[2], pos=self._p(c[0]))

    def provider(self, c):
        probes = tuple(x for x in c[3:] if isinstance(x, tree.ProviderProbe))
        return tree.Provider(c[1][1], probes, pos=self._p(c[0]))

    def provider_probe(self, c):
        name = c[1]
        rest = c[3:]
        params = ()
        if rest and isinstance(rest[0], list):
            params, rest = rest[0], rest[1:]
        rest = rest[1:]  # RPAREN
        mapped = None
        if rest and rest[0].__class__ is tuple and rest[0][0] == "COLON":
            mapped = rest[2] if isinstance(rest[2], list) else ()
        return tree.ProviderProbe(name[1], params, mapped, pos=self._p(c[0]))
