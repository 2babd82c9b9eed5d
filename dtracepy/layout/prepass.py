"""What pycparser cannot carry, recognised before it parses: GNU attributes and ``#pragma pack``.

pycparser parses ISO C only.  This pass scans the preprocessed text once, blanks out comments,
``__attribute__((...))``, ``__extension__`` and the like (with spaces, so every line and column
pycparser reports is still right), and records what the layout engine needs:

* ``packed`` and ``aligned(N)`` on a struct or union (between ``struct`` and ``{``, or right after
  the closing ``}``), keyed by the position pycparser gives the struct (its tag, or its ``{``).
  ``N`` is kept as written (an :class:`Argument`): the converter evaluates it as it evaluates an
  array size, typed as gcc types it, with the enumerators and types declared before it;
* ``packed`` and ``aligned(N)`` on a member, as a list per struct in member (declarator) order:
  an attribute before a declaration's first declarator applies to all of them, one after a
  declarator to that declarator;
* the ``#pragma pack`` value in force where each struct body opens, as gcc keeps it: ``pack(N)``,
  ``pack()``, ``pack(push[, id][, N])``, ``pack(pop[, id])``, N a single integer constant (gcc
  expands no macro there) of 0 (the default), 1, 2, 4, 8 or 16.  What gcc ignores with a warning
  (``pack(1+1)``, ``pack(3)``, an unknown action) is refused in gcc's words: the layout gcc would
  give is not the one the header asks for.  A ``pop`` without its ``push`` changes nothing, as in gcc.

Attributes that change layout in ways this engine does not model (``ms_struct``,
``scalar_storage_order``) are refused with a located error; ``mode(M)`` and ``vector_size(N)``
are kept (the converter models them on a typedef, and ``vector_size`` on a member, of a scalar
type, and refuses them elsewhere); others are ignored.
"""

from __future__ import annotations

import re

import attrs

from dtracepy.errors import LayoutError, shown_name
from dtracepy.source import Pos

_TOKEN = re.compile(
    r"""
    (?P<nl>\n)
  | (?P<ws>[ \t\r\f\v]+)
  | (?P<cmt>/\*.*?\*/|//[^\n]*)
  | (?P<dir>\#[^\n]*(?:\\\n[^\n]*)*)
  | (?P<id>[A-Za-z_]\w*)
  | (?P<num>\.?\d[\w.]*(?:[eEpP][+-][\w.]*)*)
  | (?P<str>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
  | (?P<punct>.)
    """,
    re.S | re.X,
)
_LINE = re.compile(r'\#\s*(?:line\s+)?(\d+)(?:\s+"((?:\\.|[^"\\])*)")?')
_PACK = re.compile(r"\#\s*pragma\s+pack\s*\((.*)\)\s*$")
_BLANK_WORDS = {"__extension__", "__restrict", "__restrict__", "__inline", "__inline__", "inline",
                "__volatile__", "__const"}
# GNU spellings of ISO words, written over in place (padded with blanks, so columns stay right)
_RESPELLED = {"__signed__": "signed", "__signed": "signed", "__alignof__": "_Alignof", "__alignof": "_Alignof"}
# GNU inline assembly (Linux's UAPI headers have it in static inline functions): blanked with its
# qualifiers and parenthesised operands, which leaves an empty statement or a plain declarator
_ASM_WORDS = {"__asm__", "__asm", "asm"}
_ASM_QUALIFIERS = {"volatile", "__volatile__", "__volatile", "goto", "inline", "__inline__"}
_REFUSED = {"ms_struct", "scalar_storage_order", "designated_init"}


@attrs.frozen(eq=False)
class Argument:
    """The argument of an ``aligned(...)`` as written, for the converter to evaluate."""

    text: str
    pos: Pos  # where the text starts (a parse of it is located in the header)
    at: Pos  # the attribute, where gcc reports an alignment it refuses


@attrs.define
class Attrs:
    packed: bool = False
    # each ``aligned`` asked for: an int (a bare ``aligned``: the ABI's largest) or an Argument
    aligned: tuple = ()
    # ``mode(M)`` as (M without its underscores, the attribute's Pos): glibc gives ``register_t``
    # and the like one; modelled on a typedef of an integer type, refused elsewhere (the converter)
    mode: "tuple[str, Pos] | None" = None
    # ``vector_size(N)``, N as written (link.h's La_x86_64_xmm, the x86 intrinsics' __m128):
    # modelled on a typedef or a member of a scalar type, refused elsewhere (the converter)
    vector: "Argument | None" = None

    def merge(self, other: "Attrs") -> "Attrs":
        return Attrs(self.packed or other.packed, self.aligned + other.aligned, other.mode or self.mode,
                     other.vector or self.vector)


@attrs.define
class Prepassed:
    """The cleaned text and what was recognised in it."""

    text: str
    record_attrs: dict = attrs.field(factory=dict)  # (file, line, col) -> Attrs
    member_attrs: dict = attrs.field(factory=dict)  # (file, line, col) -> [Attrs per declarator]
    record_pack: dict = attrs.field(factory=dict)  # (file, line, col) -> int | None
    arguments: list = attrs.field(factory=list)  # every Argument, the ones no record takes too
    typedef_attrs: list = attrs.field(factory=list)  # Attrs of each file-scope typedef's declarator, in order
    typedef_alignas: dict = attrs.field(factory=dict)  # id(c_ast.Typedef) -> its _Alignas (pycparser drops them)


class _Record:
    def __init__(self, key, attrs_):
        self.key = key
        self.attrs = attrs_
        self.members: list[Attrs] = []
        self.decl_attrs = Attrs()  # applies to every declarator of the current declaration
        self.declarators: list[Attrs] = [Attrs()]
        self.parens = 0
        self.started = False
        self.typedef = False  # (file scope) the declaration is a typedef


# gcc's limit on ``aligned(N)`` (it refuses more, "requested alignment ... exceeds maximum"): a
# larger N is no layout a C compiler would give, and one of 2**40 made a struct of a terabyte.
MAX_ALIGNMENT = 1 << 28

_ATTRIBUTE_ITEM = re.compile(r"\s*(\w+)\s*(?:\((.*)\))?\s*", re.S)
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def _top_level_commas(text: str) -> list[int]:
    depth, out = 0, []
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(i)
    return out


def _parse_attribute(text: str, start: int, end: int, here: Pos, locate, max_align: int,
                     arguments: list) -> Attrs:
    """The attributes of ``text[start:end]`` (``packed, aligned(8)``) -> Attrs; ``locate(offset)``
    is the Pos of an offset of ``text``.  Each ``aligned`` argument is appended to ``arguments``."""
    out = Attrs()
    cuts = [start - 1] + [start + c for c in _top_level_commas(text[start:end])] + [end]
    for a, b in zip(cuts, cuts[1:]):
        m = _ATTRIBUTE_ITEM.fullmatch(text, a + 1, b)
        if not m:
            continue
        name = m.group(1).strip("_")
        arg = m.group(2)
        if name in ("packed", "aligned") and arg is not None and (
                name == "packed" and arg.strip() or _top_level_commas(arg)):
            raise LayoutError(f"wrong number of arguments specified for '{name}' attribute", here)
        if name == "packed":
            out.packed = True
        elif name == "aligned" and (arg is None or not arg.strip()):
            out.aligned += (max_align,)
        elif name == "aligned":
            # (a comment in it, if the header was not preprocessed: blanks, so columns stay right)
            arg = _COMMENT.sub(lambda c: re.sub(r"[^\n]", " ", c.group()), arg)
            argument = Argument(arg, locate(m.start(2)), here)
            arguments.append(argument)
            out.aligned += (argument,)
        elif name == "mode":
            out.mode = ((arg or "").strip().strip("_"), here)
        elif name == "vector_size":
            if arg is None or not arg.strip() or _top_level_commas(arg):
                raise LayoutError("wrong number of arguments specified for 'vector_size' attribute", here)
            arg = _COMMENT.sub(lambda c: re.sub(r"[^\n]", " ", c.group()), arg)
            out.vector = Argument(arg, locate(m.start(2)), here)
        elif name in _REFUSED:
            raise LayoutError(f"__attribute__(({name})) changes layout in a way dtracepy does not model", here)
    return out


_PACK_TOKEN = re.compile(r"\s*([A-Za-z_]\w*|\.?[0-9](?:[eEpP][+-]|[\w.])*|'(?:\\.|[^'\\])*'|\S)")
_PACK_INTEGER = re.compile(r"(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)(?:[uU](?:ll|LL|[lL])?|(?:ll|LL|[lL])[uU]?)?")


def _pragma_pack(args: str, pos: Pos, pack, stack: list):
    """The pack value after ``#pragma pack(args)`` (None: the default), ``stack`` updated (its
    entries: (value, id)); read as gcc reads it (c-pragma.cc, handle_pragma_pack)."""
    def refuse(words):
        return LayoutError(f"{words}: gcc ignores the pragma, with a warning (dtracepy refuses it)", pos)

    def name(token):
        return token[:1].isalpha() or token[:1] == "_"

    def number(token):  # a preprocessing number: an integer constant, else gcc's "invalid constant"
        m = _PACK_INTEGER.fullmatch(token)
        if m is None:
            raise refuse("invalid constant in '#pragma pack'")
        digits = m.group(1)
        return int(digits, 0) if digits[:2].lower() in ("0x", "0b") else int(digits, 8 if digits[0] == "0" else 10)

    tokens = [m.group(1) for m in _PACK_TOKEN.finditer(args)]
    action, ident, value = "set", None, None
    if not tokens:
        value = 0
    elif name(tokens[0]):
        action = tokens[0]
        if action not in ("push", "pop"):
            raise refuse(f"unknown action '{action}' for '#pragma pack'")
        rest = tokens[1:]
        while rest:
            if rest[0] != "," or len(rest) < 2:
                rest = None
                break
            token, rest = rest[1], rest[2:]
            if name(token) and ident is None:
                ident = token
            elif action == "push" and value is None and token[:1].isdigit():
                value = number(token)
            else:
                rest = None
                break
        if rest is None:
            raise refuse("malformed '#pragma pack(push[, id][, <n>])'" if action == "push" else
                         "malformed '#pragma pack(pop[, id])'")
    elif tokens[0][:1].isdigit() or tokens[0][:1] == ".":
        value = number(tokens[0])
        if len(tokens) != 1:
            raise refuse("malformed '#pragma pack'")
    else:
        raise refuse("malformed '#pragma pack'")
    if value is not None and value not in (0, 1, 2, 4, 8, 16):
        raise refuse(f"alignment must be a small power of two, not {value}")
    new = pack if value is None else value or None  # (0: the default, as pack())
    if action == "set":
        return new
    if action == "push":
        stack.append((pack, ident))
        return new
    if not stack:  # gcc: "pop encountered without matching push", and nothing changes
        return pack
    if ident is not None:  # back to the push of that id (gcc pops one when none matches)
        for i in range(len(stack) - 1, -1, -1):
            if stack[i][1] == ident:
                del stack[i + 1:]
                break
    return stack.pop()[0]


# (each word an alternative of its own, with no group or \b before it: the engine then skips to the
# next character that may begin a match, instead of trying every position (0.17 s over 4 MB); a
# word in the middle of another is left as it is, which \b before it did)
_WORDS_ONLY = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|'
                         + "|".join(w + r"\b" for w in sorted(_BLANK_WORDS | set(_RESPELLED), key=len, reverse=True)))
_WORD_CHAR = re.compile(r"\w")


def blank_words(text: str) -> "Prepassed | None":
    """What :func:`prepass` gives for ``text`` with no comment, directive, attribute or ``asm`` in
    it (the caller checks): its GNU words blanked or respelled, nothing recognised; its scan of
    every token took 5 s over a 4 MB header of inline functions.  None where there is none."""
    def replace(m):
        word = m.group()
        if word[0] in "\"'":  # a string or a character constant, kept whole
            return word
        if m.start() and _WORD_CHAR.match(text, m.start() - 1):  # (the end of a longer word)
            return word
        return _RESPELLED[word].ljust(len(word)) if word in _RESPELLED else " " * len(word)

    return Prepassed(_WORDS_ONLY.sub(replace, text))


def _skip_blanks(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _closing_paren(text: str, i: int, what: str, here: Pos) -> int:
    """The offset of the ')' that closes the '(' at ``text[i]``."""
    depth, j = 0, i
    while j < len(text):
        if text[j] == "(":
            depth += 1
        elif text[j] == ")":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    raise LayoutError(f"unbalanced parentheses in {what}", here)


def prepass(text: str, filename: str, max_align: int = 16) -> Prepassed:
    """Scan ``text`` (preprocessed C); see the module docstring."""
    out = list(text)
    result = Prepassed("")
    file, line, line_start = filename, 1, 0
    stack: list = []  # _Record or None (another kind of brace)
    pending = None  # [name_key or None, Attrs] after 'struct'/'union'
    closed = None  # the _Record whose '}' we just passed
    scope = _Record(None, Attrs())  # the declaration at file scope: a typedef's attributes are kept
    last = None  # the last ordinary token at file scope (a ')' before '{' opens a function's body)
    classify = None  # (record, Attrs) of an attribute whose target the next token decides
    pack, pack_stack = None, []
    tokens = _TOKEN.finditer(text)
    skip_until = 0

    def blank(start, end):
        for i in range(start, end):
            if out[i] != "\n":
                out[i] = " "

    def where(offset) -> Pos:
        return Pos(file, line, offset - line_start + 1)

    for m in tokens:
        kind, value, start = m.lastgroup, m.group(), m.start()
        if kind == "nl":
            line, line_start = line + 1, m.end()
            continue
        if start < skip_until or kind == "ws":
            continue
        if kind == "cmt":
            blank(start, m.end())
            line += value.count("\n")
            if "\n" in value:
                line_start = start + value.rindex("\n") + 1
            continue
        if kind == "dir":
            lm = _LINE.match(value)
            pm = _PACK.match(value)
            nlines = value.count("\n")
            if lm and (value.lstrip("#").lstrip().startswith("line") or value[1:].lstrip()[:1].isdigit()):
                line = int(lm.group(1)) - 1 - nlines
                if lm.group(2) is not None:
                    file = lm.group(2)
            elif pm:
                pack = _pragma_pack(pm.group(1), where(start), pack, pack_stack)
                blank(start, m.end())
            elif value[1:].lstrip().startswith("pragma"):
                blank(start, m.end())
            else:
                word = value.split()[0]
                shown = shown_name(word[:40]) + ("..." if len(word) > 40 else "")
                raise LayoutError(f"unexpected preprocessor directive '{shown}' "
                                  "(was the text preprocessed?)", where(start))
            line += nlines
            continue
        here = where(start)
        if kind == "id" and value in _BLANK_WORDS:
            blank(start, m.end())
            continue
        if kind == "id" and value in _RESPELLED:
            out[start:m.end()] = _RESPELLED[value].ljust(m.end() - start)
            continue
        if kind == "id" and value in _ASM_WORDS:
            i = _skip_blanks(text, m.end())
            while (word := re.match(r"[A-Za-z_]\w*", text[i:])) and word.group() in _ASM_QUALIFIERS:
                i = _skip_blanks(text, i + word.end())
            if i >= len(text) or text[i] != "(":
                raise LayoutError(f"expected '(' after {value}", here)
            j = _closing_paren(text, i, value, here)
            blank(start, j + 1)
            skip_until = j + 1
            continue
        if kind == "id" and value in ("__attribute__", "__attribute"):
            # find the balanced (( ... ))
            i = _skip_blanks(text, m.end())
            if i >= len(text) or text[i] != "(":
                raise LayoutError("expected '((' after __attribute__", here)
            j = _closing_paren(text, i, "__attribute__", here)
            body_start, body_end = _skip_blanks(text, i + 1), j
            while body_end > body_start and text[body_end - 1] in " \t\r\n":
                body_end -= 1
            if text[body_start:body_start + 1] == "(" and text[body_end - 1:body_end] == ")":
                body_start, body_end = body_start + 1, body_end - 1

            def locate(offset, line=line, line_start=line_start):
                newline = text.rfind("\n", start, offset)
                return Pos(file, line + text.count("\n", start, offset),
                           offset - (line_start if newline < 0 else newline + 1) + 1)

            found = _parse_attribute(text, body_start, body_end, here, locate, max_align, result.arguments)
            blank(start, j + 1)
            skip_until = j + 1
            if pending is not None:
                pending[1] = pending[1].merge(found)
            elif closed is not None:
                closed.attrs = closed.attrs.merge(found)
                result.record_attrs[closed.key] = closed.attrs
            elif stack and isinstance(stack[-1], _Record) and stack[-1].parens == 0:
                classify = (stack[-1], found)
            elif not stack and scope.parens == 0:
                classify = (scope, found)
            continue
        # an ordinary token
        if classify is not None:
            rec, found = classify
            classify = None
            if value in (",", ";", ":", "="):
                rec.declarators[-1] = rec.declarators[-1].merge(found)
            elif len(rec.declarators) == 1:
                rec.decl_attrs = rec.decl_attrs.merge(found)
            else:
                rec.declarators[-1] = rec.declarators[-1].merge(found)
        closed = None
        if stack and isinstance(stack[-1], _Record) and value not in (";", "}"):
            stack[-1].started = True
        if not stack:
            if value != ";" and value != "}" and not scope.started:
                scope.typedef, scope.started = value == "typedef", True
            before, last = last, value
        if kind == "id" and value in ("struct", "union"):
            pending = [None, Attrs()]
            continue
        if pending is not None:
            if kind == "id" and pending[0] is None:
                pending[0] = (file, here.line, here.col)
                continue
            if value == "{":
                key = pending[0] or (file, here.line, here.col)
                rec = _Record(key, pending[1])
                result.record_pack[key] = pack
                stack.append(rec)
                pending = None
                continue
            pending = None
        top = stack[-1] if stack else scope
        if value == "{":
            stack.append("function" if not stack and before == ")" else None)
        elif value == "}":
            if not stack:
                raise LayoutError("unbalanced '}'", here)
            done = stack.pop()
            if done == "function":  # a function's body ends its definition: no ';' follows
                scope = _Record(None, Attrs())
            if isinstance(done, _Record):
                if done.started:
                    _end_declaration(done)
                result.record_attrs[done.key] = done.attrs
                result.member_attrs[done.key] = done.members
                closed = done
        elif isinstance(top, _Record):
            if value in "([":
                top.parens += 1
            elif value in ")]":
                top.parens -= 1
            elif top.parens == 0 and value == ",":
                top.declarators.append(Attrs())
            elif top.parens == 0 and value == ";":
                _end_declaration(top)
                if top is scope:
                    if scope.typedef:
                        result.typedef_attrs.extend(scope.members)
                    scope = _Record(None, Attrs())
    result.text = "".join(out)
    return result


def _end_declaration(rec: _Record):
    rec.started = False
    rec.members.extend(rec.decl_attrs.merge(d) for d in rec.declarators)
    rec.decl_attrs = Attrs()
    rec.declarators = [Attrs()]
