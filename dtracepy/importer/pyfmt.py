"""Python source as people format it: lines wrapped at 88 columns the way black wraps calls,
imports sorted as isort sorts them (constants, classes, functions), none unused."""

from __future__ import annotations

import ast
import bisect
import functools
import re

WIDTH = 88
INDENT = "    "


def import_line(module: str, names) -> list[str]:
    """``from module import a, b`` (isort's order), wrapped one name a line when too long."""
    def key(name):
        kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
        return (kind, name.lower(), name)

    ordered = sorted(set(names), key=key)
    line = f"from {module} import {', '.join(ordered)}"
    if len(line) <= WIDTH:
        return [line]
    return [f"from {module} import ("] + [f"{INDENT}{n}," for n in ordered] + [")"]


def wrap(line: str, indent: str = "") -> list[str]:
    """One logical line (without its indentation) -> physical lines, each within WIDTH where
    breaking a call's arguments, a subscript or an operator chain can make it so."""
    if len(indent) + len(line) <= WIDTH or "\n" in line:
        return (indent + line).split("\n")
    decorator = "@" if line.startswith("@") else ""
    line = line[len(decorator):]      # the "@" still counts in each width below
    try:
        module = ast.parse(line)
    except SyntaxError:
        return [indent + decorator + line]
    if len(module.body) != 1:
        return [indent + decorator + line]
    stmt = module.body[0]
    node = None
    prefix = decorator
    if isinstance(stmt, ast.Expr):
        node = stmt.value
    elif decorator:
        return [indent + decorator + line]
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
            isinstance(stmt.targets[0], ast.Subscript) and \
            len(indent) + _offset(line, stmt.value) + _first_width(line, stmt.value) > WIDTH:
        # agg[k1, k2, ...] = value: the keys too are broken, as black breaks them (] = value)
        target = stmt.targets[0]
        head = _subscript(line, target, indent, "", "")[:-1]
        operator = line[_end_offset(line, target): _offset(line, stmt.value)].strip()
        return head + _wrap_expr(line, stmt.value, indent, f"] {operator} ",
                                 line[_end_offset(line, stmt.value):])
    elif isinstance(stmt, (ast.Assign, ast.AugAssign)) and stmt.value is not None:
        node = stmt.value
        prefix = line[: _offset(line, node)]
    elif isinstance(stmt, ast.With) and len(stmt.items) == 1:
        node = stmt.items[0].context_expr
        prefix = line[: _offset(line, node)]
    if node is None:
        return [indent + line]
    suffix = line[_end_offset(line, node):]
    return _wrap_expr(line, node, indent, prefix, suffix)


#: The most operands :func:`wrap_chain` breaks a chain into; a longer one goes to :func:`wrap`, whose
#: ``ast.parse`` may refuse it as nested too deeply (the chain is that deep in Python's tree).
CHAIN_OPERANDS = 64


def wrap_chain(prefix: str, chain, indent: str = "") -> "list[str] | None":
    """What :func:`wrap` gives for the statement ``prefix + chain.code`` too long for a line, where
    ``prefix`` is an assignment's target and operator (``glob.x = ``, no subscript) and ``chain``
    the importer's :class:`~dtracepy.importer.exprs.Chain` (a binary operation as written: its
    operator, its left operand and the texts of both, in parentheses where Python needs them):
    the chain of that operator down its left side, one operand a line inside parentheses, as
    :func:`_wrap_expr` breaks an ``ast.BinOp`` read from the line.  None where an operand does
    not fit on its line (:func:`wrap` breaks it inside too) or the chain is longer than
    :data:`CHAIN_OPERANDS`: the caller asks :func:`wrap`.  (Python's tree of the line groups
    as the writer wrote it: an operand it left bare binds tighter than the operator, or is the
    same operator on the left; so each operand's text and parentheses are the ones ``wrap``
    finds, without ``ast.parse``, half the writing of ``x = a+b+...+h;``.)"""
    op = chain.op
    inner = indent + INDENT
    most = WIDTH - len(inner)
    pieces = []
    cur = chain
    while True:
        piece = f"{op} {cur.rtext}"
        if len(piece) > most or len(pieces) >= CHAIN_OPERANDS:
            return None
        pieces.append(inner + piece)
        left = cur.left
        if left.__class__ is cur.__class__ and left.op == op and cur.ltext is left.code:
            cur = left
            continue
        if len(cur.ltext) > most:
            return None
        pieces.append(inner + cur.ltext)
        break
    pieces.append(indent + prefix + "(")
    pieces.reverse()
    pieces.append(indent + ")")
    return pieces


def _first_width(line: str, node) -> int:
    """The width of the first line ``node`` is wrapped to: up to its opening bracket, or whole."""
    if isinstance(node, ast.Call) and (node.args or node.keywords):
        return _end_offset(line, node.func) - _offset(line, node) + 1
    return _end_offset(line, node) - _offset(line, node)


@functools.lru_cache(maxsize=8)
def _wide_characters(line: str) -> "tuple[list[int], list[int]] | None":
    """For turning ast's column offsets (UTF-8 bytes) into indexes of ``line``: the byte offsets
    where its non-ASCII characters start, and the bytes beyond one that those before each one
    take (cumulative); None for an ASCII line.  Made once for the few lines being wrapped:
    encoding a line again for each of its nodes was quadratic (a clause of 40,000 probes took 12 s
    in ``encode``)."""
    if line.isascii():
        return None
    starts, extra = [], [0]
    for m in re.finditer(r"[^\x00-\x7f]", line):
        starts.append(m.start() + extra[-1])
        extra.append(extra[-1] + len(m.group().encode("utf-8", "surrogatepass")) - 1)
    return starts, extra


def _characters(line: str, offset: int) -> int:
    """The index in ``line`` of the UTF-8 byte ``offset``."""
    wide = _wide_characters(line)
    if wide is None:
        return offset
    starts, extra = wide
    return offset - extra[bisect.bisect_left(starts, offset)]


def _segment(line: str, node) -> str:
    """The source text of ``node`` in the one-line ``line`` (ast.get_source_segment, without its
    per-call line splitting)."""
    return line[_characters(line, node.col_offset):_characters(line, node.end_col_offset)]


def wrap_value(prefix: str, code: str, suffix: str, indent: str) -> list[str]:
    """``prefix + code + suffix`` where ``code`` is one Python expression (a dict entry, a
    keyword argument), wrapped as :func:`wrap` wraps statements."""
    if len(indent) + len(prefix) + len(code) + len(suffix) <= WIDTH or "\n" in code:
        return (indent + prefix + code + suffix).split("\n")
    try:
        node = ast.parse(code, mode="eval").body
    except SyntaxError:
        return [indent + prefix + code + suffix]
    return _wrap_expr(code, node, indent, prefix, suffix)


#: What Python reads as the end of a line: a comment's text after one would be code.
LINE_END = re.compile(r"\r\n?|\n")


def text_of(lines: list[str]) -> str:
    """``"\n".join(lines).rstrip() + "\n"`` (a module's text: its blanks at the end dropped, one
    line end), made without the copy of the whole text that adding the ``"\n"`` is (18 MB more
    at the peak of importing 85,000 one-line clauses): the blank lines at the end are dropped, the
    last line's blanks, and an empty line put after it.  ``lines`` is changed so."""
    while lines and not lines[-1].strip():  # (a line of blanks, line ends inside it too)
        lines.pop()
    if not lines:
        return "\n"
    lines[-1] = lines[-1].rstrip()
    lines.append("")
    return "\n".join(lines)


def comment(text: str, indent: str = "") -> list[str]:
    """``# text`` lines within WIDTH (prose is re-flowed; a line that cannot break stays long).
    A line end in ``text`` (a lone ``\r`` too, which Python reads as one) starts a new ``#``
    line: what follows it is never code."""
    if LINE_END.search(text):
        return [line for part in LINE_END.split(text) for line in comment(part, indent)]
    if len(indent) + 2 + len(text) <= WIDTH or not text.strip():
        return [f"{indent}# {text}".rstrip()]
    return prose(text, indent + "# ", indent + "# ")


def prose(text: str, first: str = "", later: str = "") -> list[str]:
    """``textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=later,
    break_long_words=False, break_on_hyphens=False)``: words filled into lines of WIDTH.  Text of
    printable ASCII words between single spaces (every note the importer writes: one for each
    thread-local the original leaks, 85,000 of them in 4 MiB) is filled here as textwrap fills
    it, a line at a time from the last space that fits; textwrap's chunking and regular
    expressions cost ten times as much.
    Anything else (tabs, runs of spaces, other characters textwrap reads as space) goes to
    textwrap."""
    width = WIDTH - len(first)
    if (not text or not text.isascii() or not text.isprintable() or "  " in text or text[0] == " "
            or text[-1] == " " or width < 1 or WIDTH - len(later) < 1):
        import textwrap

        return textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=later,
                             break_long_words=False, break_on_hyphens=False)
    lines = []
    prefix = first
    while len(text) > width:
        # the longest run of words that fits: up to the last space at most ``width`` in (a
        # first word longer than that stands alone on its line, as textwrap leaves it)
        cut = text.rfind(" ", 0, width + 1)
        if cut < 0:
            cut = text.find(" ")
            if cut < 0:
                break
        lines.append(prefix + text[:cut])
        text = text[cut + 1:]
        prefix, width = later, WIDTH - len(later)
    lines.append(prefix + text)
    return lines


def _offset(line: str, node) -> int:
    """ast's column offsets count UTF-8 bytes; this counts characters."""
    return _characters(line, node.col_offset)


def _end_offset(line: str, node) -> int:
    return _characters(line, node.end_col_offset)


def _wrap_expr(line, node, indent, prefix, suffix, parens=False) -> list[str]:
    """``prefix + node + suffix`` with node broken inside its outer brackets; ``parens``: node
    stood in parentheses (which its source segment leaves out)."""
    text = _segment(line, node)
    if parens:
        if not isinstance(node, ast.BinOp):
            return _wrap_expr(line, node, indent, prefix + "(", ")" + suffix)
        text = f"({text})"
    if len(indent) + len(prefix) + len(text) + len(suffix) <= WIDTH:
        return [indent + prefix + text + suffix]
    inner = indent + INDENT
    if isinstance(node, ast.Call) and (node.args or node.keywords):
        head = _segment(line, node.func)
        parts = [_segment(line, a) for a in node.args]
        for kw in node.keywords:
            value = _segment(line, kw.value)
            parts.append(f"{kw.arg}={value}" if kw.arg else f"**{value}")
        return _bracketed(indent, prefix + head + "(", parts, ")" + suffix, node.args + [k.value for k in node.keywords], line)
    if isinstance(node, ast.Dict) and None not in node.keys:
        parts = [f"{_segment(line, k)}: {_segment(line, v)}" for k, v in zip(node.keys, node.values)]
        return _bracketed(indent, prefix + "{", parts, "}" + suffix, node.values, line,
                          [f"{_segment(line, k)}: " for k in node.keys])
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op = _CMP[type(node.ops[0])]
        left, right = node.left, node.comparators[0]
        out = [indent + prefix + "("]
        for head, operand in (("", left), (op + " ", right)):
            parens = _prec(operand) <= 5
            text = _segment(line, operand)
            piece = head + (f"({text})" if parens else text)
            if len(inner) + len(piece) <= WIDTH:
                out.append(inner + piece)
            else:
                out += _wrap_expr(line, operand, inner, head, "", parens)
        return out + [indent + ")" + suffix]
    if isinstance(node, ast.Subscript):
        return _subscript(line, node, indent, prefix, suffix)
    if isinstance(node, ast.Attribute) and _prec(node.value) == 16:
        # f(...).member: the call breaks, the member follows its closing bracket
        return _wrap_expr(line, node.value, indent, prefix, "." + node.attr + suffix)
    if isinstance(node, ast.Lambda):
        head = line[_offset(line, node):_offset(line, node.body)]
        return _wrap_expr(line, node.body, indent, prefix + head, suffix, _prec(node.body) == 0)
    if isinstance(node, ast.BinOp):
        # a + b + c -> ( a \n + b \n + c ) inside parentheses
        chain = []
        cur = node
        while isinstance(cur, ast.BinOp) and type(cur.op) is type(node.op):
            chain.append((cur.op, cur.right))
            cur = cur.left
        level = _PREC[type(node.op)]
        out = [indent + prefix + "("]
        operands = [("", cur, _prec(cur) < level)]
        operands += [(_OPS[type(op)] + " ", right, _prec(right) <= level) for op, right in reversed(chain)]
        for head, operand, parens in operands:
            text = _segment(line, operand)
            piece = head + (f"({text})" if parens else text)
            if len(inner) + len(piece) <= WIDTH:
                out.append(inner + piece)
            else:
                out += _wrap_expr(line, operand, inner, head, "", parens)
        return out + [indent + ")" + suffix]
    return [indent + prefix + text + suffix]


_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%", ast.BitAnd: "&",
        ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.FloorDiv: "//"}


_PREC = {ast.BitOr: 6, ast.BitXor: 7, ast.BitAnd: 8, ast.LShift: 9, ast.RShift: 9, ast.Add: 10,
         ast.Sub: 10, ast.Mult: 11, ast.Div: 11, ast.Mod: 11, ast.FloorDiv: 11}


def _prec(node) -> int:
    """Python's binding strength of ``node`` (its source segment has no outer parentheses)."""
    if isinstance(node, ast.BinOp):
        return _PREC.get(type(node.op), 11)
    if isinstance(node, ast.Compare):
        return 5
    if isinstance(node, ast.BoolOp):
        return 3 if isinstance(node.op, ast.And) else 2
    if isinstance(node, ast.UnaryOp):
        return 4 if isinstance(node.op, ast.Not) else 12
    if isinstance(node, (ast.IfExp, ast.Lambda, ast.NamedExpr)):
        return 0
    return 16


_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def _subscript(line, node, indent, prefix, suffix) -> list[str]:
    """``a[k1, k2]`` broken inside its brackets, whatever its width."""
    head = _segment(line, node.value)
    slice_ = node.slice
    elts = slice_.elts if isinstance(slice_, ast.Tuple) else [slice_]
    parts = [_segment(line, e) for e in elts]
    index = f"[{', '.join(parts)}]"
    if len(indent) + len(prefix) + len(head) + 1 > WIDTH and len(indent) + len(INDENT) + len(index) <= WIDTH \
            and _prec(node.value) == 16:
        # f(...)[k]: the call breaks, its index follows the closing bracket
        return _wrap_expr(line, node.value, indent, prefix, index + suffix)
    # a[k,] would be a[(k,)]: one key never takes black's trailing comma
    return _bracketed(indent, prefix + head + "[", parts, "]" + suffix, elts, line,
                      trailing="," if len(elts) > 1 else "")


def _bracketed(indent, opener, parts, closer, nodes, line, heads=None, trailing=",") -> list[str]:
    inner = indent + INDENT
    joined = ", ".join(parts)
    if len(inner) + len(joined) <= WIDTH:
        return [indent + opener, inner + joined, indent + closer]
    out = [indent + opener]
    for i, (part, node) in enumerate(zip(parts, nodes)):
        comma = "," if i < len(parts) - 1 else trailing
        if len(inner) + len(part) + len(comma) <= WIDTH:
            out.append(inner + part + comma)
            continue
        keyword_prefix = heads[i] if heads else part[: len(part) - len(_segment(line, node))]
        out.extend(_wrap_expr(line, node, inner, keyword_prefix, comma))
    out.append(indent + closer)
    return out
