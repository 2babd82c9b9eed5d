"""What pycparser cannot carry, recognised before it parses: GNU attributes and ``#pragma pack``.

pycparser parses ISO C only.  This pass scans the preprocessed text once, blanks out comments,
``__attribute__((...))``, ``__extension__`` and the like (with spaces, so every line and column
pycparser reports is still right), and records what the layout engine needs:

* ``packed`` and ``aligned(N)`` on a struct or union (between ``struct`` and ``{``, or right after
  the closing ``}``), keyed by the position pycparser gives the struct (its tag, or its ``{``);
* ``packed`` and ``aligned(N)`` on a member, as a list per struct in member (declarator) order:
  an attribute before a declaration's first declarator applies to all of them, one after a
  declarator to that declarator;
* the ``#pragma pack`` value (``pack(N)``, ``pack()``, ``pack(push[, N])``, ``pack(pop)``) in
  force where each struct body opens.

Attributes that change layout in ways this engine does not model (``mode``, ``vector_size``,
``ms_struct``, ``scalar_storage_order``) are refused with a located error; others are ignored.
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
_RESPELLED = {"__signed__": "signed", "__signed": "signed"}
# GNU inline assembly (Linux's UAPI headers have it in static inline functions): blanked with its
# qualifiers and parenthesised operands, which leaves an empty statement or a plain declarator
_ASM_WORDS = {"__asm__", "__asm", "asm"}
_ASM_QUALIFIERS = {"volatile", "__volatile__", "__volatile", "goto", "inline", "__inline__"}
_REFUSED = {"mode", "vector_size", "ms_struct", "scalar_storage_order", "designated_init"}


@attrs.define
class Attrs:
    packed: bool = False
    aligned: "int | None" = None

    def merge(self, other: "Attrs") -> "Attrs":
        aligned = self.aligned if other.aligned is None else max(self.aligned or 0, other.aligned)
        return Attrs(self.packed or other.packed, aligned)


@attrs.define
class Prepassed:
    """The cleaned text and what was recognised in it."""

    text: str
    record_attrs: dict = attrs.field(factory=dict)  # (file, line, col) -> Attrs
    member_attrs: dict = attrs.field(factory=dict)  # (file, line, col) -> [Attrs per declarator]
    record_pack: dict = attrs.field(factory=dict)  # (file, line, col) -> int | None


class _Record:
    def __init__(self, key, attrs_):
        self.key = key
        self.attrs = attrs_
        self.members: list[Attrs] = []
        self.decl_attrs = Attrs()  # applies to every declarator of the current declaration
        self.declarators: list[Attrs] = [Attrs()]
        self.parens = 0
        self.started = False


_INT_TOKEN = re.compile(r"\s*(?:(0[xX][0-9a-fA-F]+|\d+)[uUlL]*|(<<|>>|[-+*()~]))")


def _eval_int(text: str, pos: Pos) -> int:
    """An attribute or pragma argument: integers with ``+ - * << >> ~ ( )``, evaluated without
    ``eval`` and bounded (no value beyond 2**64, no more than 200 characters), so ``9**9**9``
    or ``1<<10**10`` are refused instead of hanging."""
    def refuse():
        return LayoutError(f"cannot evaluate attribute argument {text.strip()[:60]!r}", pos)

    if len(text) > 200:
        raise refuse()
    tokens = []
    i = 0
    while i < len(text):
        m = _INT_TOKEN.match(text, i)
        if m is None or m.end() == i:
            if text[i:].strip() == "":
                break
            raise refuse()
        if m.group(1):
            digits = m.group(1)
            tokens.append(int(digits, 16) if digits[:2] in ("0x", "0X")
                          else int(digits, 8) if len(digits) > 1 and digits[0] == "0" else int(digits))
        else:
            tokens.append(m.group(2))
        i = m.end()
    pos_ = 0

    def peek():
        return tokens[pos_] if pos_ < len(tokens) else None

    def take():
        nonlocal pos_
        pos_ += 1
        return tokens[pos_ - 1]

    def check(value):
        if not -(2**64) < value < 2**64:
            raise refuse()
        return value

    def primary(depth=0):
        if depth > 50:
            raise refuse()
        tok = take() if peek() is not None else None
        if isinstance(tok, int):
            return check(tok)
        if tok == "(":
            value = shift()
            if take() != ")" if peek() is not None else True:
                raise refuse()
            return value
        if tok in ("-", "+", "~"):
            value = primary(depth + 1)
            return check(-value if tok == "-" else ~value if tok == "~" else value)
        raise refuse()

    def product():
        value = primary()
        while peek() == "*":
            take()
            value = check(value * primary())
        return value

    def total():
        value = product()
        while peek() in ("+", "-"):
            value = check(value + product() if take() == "+" else value - product())
        return value

    def shift():
        value = total()
        while peek() in ("<<", ">>"):
            op, amount = take(), total()
            if not 0 <= amount < 64:
                raise refuse()
            value = check(value << amount if op == "<<" else value >> amount)
        return value

    try:
        value = shift()
    except IndexError:
        raise refuse() from None
    if peek() is not None:
        raise refuse()
    return value


def _pack_value(text: str, pos: Pos) -> int:
    value = _eval_int(text, pos)
    if value not in (1, 2, 4, 8, 16):
        raise LayoutError(f"#pragma pack({text.strip()[:20]}): the value must be 1, 2, 4, 8 or 16", pos)
    return value


# gcc's limit on ``aligned(N)`` (it refuses more, "requested alignment ... exceeds maximum"): a
# larger N is no layout a C compiler would give, and one of 2**40 made a struct of a terabyte.
MAX_ALIGNMENT = 1 << 28


def _parse_attribute(body: str, pos: Pos, max_align: int) -> Attrs:
    """``packed, aligned(8)`` -> Attrs."""
    out = Attrs()
    depth, start, items = 0, 0, []
    for i, ch in enumerate(body + ","):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(body[start:i].strip())
            start = i + 1
    for item in items:
        if not item:
            continue
        m = re.fullmatch(r"(\w+)\s*(?:\((.*)\))?", item, re.S)
        if not m:
            continue
        name = m.group(1).strip("_")
        if name == "packed":
            out.packed = True
        elif name == "aligned":
            value = _eval_int(m.group(2), pos) if m.group(2) else max_align
            if value <= 0 or value & (value - 1):
                raise LayoutError(f"requested alignment {value} is not a positive power of 2", pos)
            if value > MAX_ALIGNMENT:
                raise LayoutError(f"requested alignment {value} exceeds maximum {MAX_ALIGNMENT}", pos)
            out.aligned = max(out.aligned or 0, value)
        elif name in _REFUSED:
            raise LayoutError(f"__attribute__(({name})) changes layout in a way dtracepy does not model", pos)
    return out


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
                args = [a.strip() for a in pm.group(1).split(",") if a.strip()]
                if not args:
                    pack = None
                elif args[0] == "push":
                    pack_stack.append(pack)
                    if len(args) > 1:
                        pack = _pack_value(args[-1], where(start))
                elif args[0] == "pop":
                    pack = pack_stack.pop() if pack_stack else None
                else:
                    pack = _pack_value(args[0], where(start))
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
            body = text[i + 1:j].strip()
            if body.startswith("(") and body.endswith(")"):
                body = body[1:-1]
            found = _parse_attribute(body, here, max_align)
            blank(start, j + 1)
            skip_until = j + 1
            if pending is not None:
                pending[1] = pending[1].merge(found)
            elif closed is not None:
                closed.attrs = closed.attrs.merge(found)
                result.record_attrs[closed.key] = closed.attrs
            elif stack and isinstance(stack[-1], _Record) and stack[-1].parens == 0:
                classify = (stack[-1], found)
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
        top = stack[-1] if stack else None
        if value == "{":
            stack.append(None)
        elif value == "}":
            if not stack:
                raise LayoutError("unbalanced '}'", here)
            done = stack.pop()
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
    result.text = "".join(out)
    return result


def _end_declaration(rec: _Record):
    rec.started = False
    rec.members.extend(rec.decl_attrs.merge(d) for d in rec.declarators)
    rec.decl_attrs = Attrs()
    rec.declarators = [Attrs()]
