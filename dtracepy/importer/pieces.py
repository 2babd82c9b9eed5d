"""Running a generated tracer module in pieces, with the effects of ``exec`` of the whole.

``import --exact`` proves its module by running it (:func:`dtracepy.importer.run_module`).
Python's ``compile`` of a whole module holds the tokens, the parser's memo and the syntax tree
of all of it at once: about 150 bytes a byte of text (356 MB for the 2.3 MB module of 100,000
``x;`` statements, 225 MB for the 4.7 MB module of 30,000 clauses).  A large module is compiled
here in pieces of about :data:`PIECE` characters instead, and the pieces' code is run in order in
one namespace, which is what running the module does:

* **Top-level pieces** end where a line starts with a letter, ``_`` or ``@`` (not ``else``,
  ``elif``, ``except``, ``finally``, nor ``def``, ``class`` or ``async``, which a decorator may
  stand above).  If each piece compiles on its own, the module is the pieces' statements in
  order: a cut inside a string, brackets, a continued line or a block, or under a decorator,
  leaves a piece that does not compile (it runs on to the next cut).  Each piece's code (and the
  functions in it) is moved to its lines in the module (``co_firstlineno``: line tables are
  relative to it), so the DSL places every node at its line.
* **The body of one large function** (``import --exact`` of one clause of 100,000 statements
  writes one) is cut the same way at its own indentation, each part compiled as the body of a
  ``def`` of the same name, and the ``def``'s header (its decorators and ``def NAME():``) is run
  with a body that calls the parts in order.  That is the function's effect only for a body that
  keeps nothing from one part to the next and cannot stop early: no local variable, cell or free
  variable in any part (then no name in the whole body is local either), no ``return``,
  ``yield``, ``await``, ``async``, ``break``, ``continue``, ``global`` or ``nonlocal`` anywhere in
  its text (even in a string), no docstring, and no line of it at column 0 but comments.

What is not so, or does not compile in pieces (or warns while compiling, or holds a ``\r``:
Python ends a line there), is compiled whole, as before: a module either runs as written or
exactly as ``exec`` of it would.  Everything compiles before anything runs.  Modules of at most
:data:`PIECE` characters are compiled whole.
"""

from __future__ import annotations

import re
import types
import warnings

PIECE = 1 << 16  # characters of text compiled at once (about 10 MB of the parser's memory)
# characters of top-level statements compiled at once: the DSL asks for the line of each node a
# decorator's arguments make (``user_pos``), and the line of an instruction in code whose line
# table is long is read from a table of all its lines (``source._line_of``), which CPython's
# ``co_lines`` makes at about 1,200 instructions a line: a sixth of running the module of 10,000
# clauses in pieces of PIECE.  In pieces of a kilobyte (a dozen clauses) CPython finds the line in
# the short table itself, and compiling takes no longer (the call's own work is ~45,000
# instructions: a statement at a time took a quarter longer).
TOP_PIECE = 1 << 10

# (the words first, then whether a word character stands before one (_word): a pattern starting
# with the look-behind tried it at every character, 140 M instructions for 230 KB)
_KEEP_WHOLE = re.compile(r"(?:global|nonlocal|__future__)(?!\w)")
_NOT_SPLIT = re.compile(r"(?:return|yield|await|async|break|continue|global|nonlocal)(?!\w)")
_WORD_CHARACTER = re.compile(r"\w")
_STATEMENT = re.compile(r"\n(?=[A-Za-z_@])(?!(?:else|elif|except|finally|def|class|async)(?!\w))")
_DEF = re.compile(r"^def ([A-Za-z_][A-Za-z0-9_]*)\(\):\n", re.M)
_COLUMN_0 = re.compile(r"\n[^ \n#]")
_RUNNER = "_dtracepy_body_"
# generator, coroutine, iterable coroutine, async generator (the same bits in every CPython)
_NOT_PLAIN = 0x20 | 0x80 | 0x100 | 0x200


class _Whole(Exception):
    """The module is compiled whole."""


def run(source: str, filename: str, namespace: dict) -> None:
    """``exec(compile(source, filename, "exec"), namespace)``, in pieces for a large ``source``.
    (Each compile is ``dont_inherit``: the module runs as its own file does, without this
    module's ``from __future__ import annotations``.)"""
    steps = _steps(source, filename) if len(source) > PIECE else None
    if steps is None:
        exec(compile(source, filename, "exec", dont_inherit=True), namespace)  # noqa: S102 - our own generated module
        return
    for index, (code, bodies) in enumerate(steps):
        steps[index] = None  # (a piece's code, once run, is dropped: it runs once)
        if bodies is not None:
            name, parts = bodies
            functions = [types.FunctionType(part, namespace, part.co_name) for part in parts]
            namespace[name] = _runner(functions)
        exec(code, namespace)  # noqa: S102 - our own generated module
        del code


def _word(pattern, text: str) -> bool:
    """Whether one of ``pattern``'s words stands in ``text`` with no word character around it."""
    return any(m.start() == 0 or not _WORD_CHARACTER.match(text, m.start() - 1)
               for m in pattern.finditer(text))


def _runner(functions):
    def body():
        for function in functions:
            function()

    return body


def _steps(source: str, filename: str):
    """[(code, None or (runner's name, the body's parts' codes))], or None: compile it whole."""
    if _word(_KEEP_WHOLE, source) or _RUNNER in source or "\r" in source:
        return None  # (Python reads a lone \r as a line's end: the lines counted here are \n's)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # (a warning: compiled whole, at its line)
            return list(_compiled(source, filename))
    except (_Whole, SyntaxError, ValueError, Warning):
        return None


def _cuts(text: str, pattern, start: int, size: int = 0):
    """Where pieces of ``text`` (from ``start``) begin, each about ``size`` (PIECE) characters
    after the last, and each statement that is longer than PIECE alone: (begin, end, alone)."""
    size = size or PIECE
    begin = last = start
    for match in pattern.finditer(text, start):
        at = match.end()
        if at - last > PIECE:  # the statement last..at is large: a piece of its own
            if last > begin:
                yield begin, last, False
            yield last, at, True
            begin = at
        elif at - begin > size:
            yield begin, at, False
            begin = at
        last = at
    if len(text) - last > PIECE:
        if last > begin:
            yield begin, last, False
        yield last, len(text), True
    elif len(text) > begin:
        yield begin, len(text), False


def _compiled(source: str, filename: str):
    line = 1
    first = True
    start = 0  # (a piece that does not compile, cut inside a string, runs on to a later cut)
    # (that cut at least twice as far: a string of many lines, cut at each line that starts with
    # a letter, the docstring holding a D script's long first comment, is compiled a few times,
    # not once for each TOP_PIECE of it)
    need = 0
    for begin, end, alone in _cuts(source, _STATEMENT, 0, min(PIECE, TOP_PIECE)):
        if end - start < need and end != len(source):
            continue
        text = source[start:end]
        split = _split_function(text, filename, line, first) if alone and start == begin else None
        if split is not None:
            yield split
        else:
            try:
                code = compile(text, filename, "exec", dont_inherit=True)
            except SyntaxError:
                if end == len(source):
                    raise
                need = 2 * len(text)
                continue
            need = 0
            if not first and "__doc__" in code.co_names:  # (a piece starting with a string)
                raise _Whole
            yield _moved(code, line - 1), None
        first = False
        start = end
        line += text.count("\n")


def _split_function(text: str, filename: str, line: int, first: bool):
    """``(header's code, (runner, parts))`` for one decorated ``def`` whose body is cut in parts,
    or None (the statement does not qualify: it is compiled whole)."""
    match = _DEF.search(text)
    if match is None:
        return None
    header, body = text[:match.end()], text[match.end():]
    indent = re.match(r"( +)[A-Za-z_]", body)
    if indent is None or _word(_NOT_SPLIT, body) or _COLUMN_0.search(body):
        return None
    indent = indent.group(1)
    name = match.group(1)
    parts = []
    body_line = line + header.count("\n")
    pattern = re.compile(r"\n(?=" + indent + r"[A-Za-z_@])(?!" + indent
                         + r"(?:else|elif|except|finally)(?!\w))")
    for begin, end, _ in _cuts(body, pattern, 0):
        part = body[begin:end]
        module = compile(f"def {name}():\n" + part, filename, "exec", dont_inherit=True)
        codes = [c for c in module.co_consts if isinstance(c, types.CodeType)]
        if module.co_names != (name,) or len(codes) != 1:
            raise _Whole
        code = codes[0]
        if code.co_varnames or code.co_cellvars or code.co_freevars or code.co_flags & _NOT_PLAIN:
            raise _Whole
        if not parts and types.FunctionType(code, {}).__doc__ is not None:
            return None  # (a docstring: the function's own, not a part's)
        parts.append(_moved(code, body_line - 2))
        body_line += part.count("\n")
    runner = f"{_RUNNER}{line}"
    code = compile(header + f"{indent}return {runner}()\n", filename, "exec", dont_inherit=True)
    if not first and "__doc__" in code.co_names:
        raise _Whole
    return _moved(code, line - 1), (runner, parts)


def _moved(code: types.CodeType, lines: int) -> types.CodeType:
    """``code`` and the code objects in it, ``lines`` lines further down."""
    if not lines:
        return code
    consts = code.co_consts
    # (a loop, not a generator: asked of every function's code, 27,000 of them at --exact's bound)
    Code = types.CodeType
    for const in consts:
        if const.__class__ is Code:
            consts = tuple([_moved(c, lines) if c.__class__ is Code else c for c in consts])
            break
    return code.replace(co_firstlineno=code.co_firstlineno + lines, co_consts=consts)
