"""D expressions -> the Python (DSL) source that builds the same tree.

Every D expression node has one spelling in the DSL that rebuilds it exactly: Python operators
where Python's meaning is the DSL's (``+ - * / % & | ^ << >> == != < <= > >=``, unary ``- + ~``),
named functions elsewhere (``and_``, ``or_``, ``xor``, ``not_``, ``cond``, ``cast``, ``deref``,
``assign_expr`` ...).  Parentheses follow Python's precedence table, not D's: the tree says what
groups with what, and Python must group the same way.

Python computes with plain ints and strs itself (``1 + 2`` is 3, ``0 < x`` becomes ``x > 0``), so
a literal that an operator would reach before any DSL value does is written ``lit(1)``; integers
keep their D spelling (``hexint(0x28)``, ``num("0777")``).
"""

from __future__ import annotations

import functools
import keyword

from dtracepy import tree
from dtracepy.errors import DTracePyError
from dtracepy.facts import escapes as _escapes

# Python precedence, higher binds tighter.
ATOM, PRIMARY, UNARY, MUL, ADD, SHIFT, BAND, BXOR, BOR, CMP = 16, 15, 12, 11, 10, 9, 8, 7, 6, 5
_PY_BINARY = {
    "*": MUL, "/": MUL, "%": MUL, "+": ADD, "-": ADD, "<<": SHIFT, ">>": SHIFT, "&": BAND,
    "^": BXOR, "|": BOR, "==": CMP, "!=": CMP, "<": CMP, "<=": CMP, ">": CMP, ">=": CMP,
}
_LOGIC = {"&&": "and_", "||": "or_", ",": "comma"}
_INCDEC = {(tree.Unary, "++"): "preinc", (tree.Unary, "--"): "predec",
           (tree.Postfix, "++"): "postinc", (tree.Postfix, "--"): "postdec"}
_MACRO_NAMES = ("target", "pid", "ppid", "uid", "gid", "euid", "egid", "pgid", "sid", "projid", "taskid")
# D names whose DSL function has another Python name.
_RENAMED = {"min": "min_", "max": "max_", "sum": "sum_", "print": "print_", "exit": "exit_",
            "raise": "raise_"}


class CannotImport(DTracePyError):
    """A construct of D the DSL has no way to write: ``x.d:12:5: error: cannot import ...``."""

    def __init__(self, what: str, missing: str, pos=None):
        super().__init__(f"cannot import {what}: the DSL has no {missing}", pos)

    @classmethod
    def saying(cls, message: str, pos=None) -> "CannotImport":
        """One whose message is not of the DSL lacking something (``message`` whole)."""
        error = cls("", "", pos)
        error.message = message
        error.args = (message,)
        return error


class Py:
    """Python source for one value: its text, precedence, and what Python holds at run time
    (``"D"`` a DSL value; ``"int"``/``"str"`` a plain literal; ``"neg"`` a negated plain int), and
    ``depth``, the pointer depth of the DSL value as the DSL tracks it.  Made for every node of
    every expression (a plain class: an attrs frozen one's ``__init__`` cost twice as much)."""

    __slots__ = ("code", "prec", "kind", "depth", "plain")

    def __init__(self, code: str, prec: int = ATOM, kind: str = "D", depth: "int | None" = None):
        self.code = code
        self.prec = prec
        self.kind = kind
        self.depth = depth
        self.plain = kind != "D"  # a plain Python value, not a DSL one

    def __repr__(self):
        return f"Py({self.code!r}, {self.prec}, {self.kind!r}, {self.depth!r})"


class Chain(Py):
    """A Python binary operation (``+ - * / % & | ^ << >>``, not a comparison) as the writer wrote
    it: ``op``, the left operand's :class:`Py` and text (in parentheses where it needs them) and
    the right operand's text.  :func:`~dtracepy.importer.pyfmt.wrap_chain` breaks a statement
    holding one into the lines :func:`~dtracepy.importer.pyfmt.wrap` gives, from these parts,
    without parsing the line back (``ast.parse`` was half the writing of ``x = a+b+...+h;``)."""

    __slots__ = ("op", "left", "ltext", "rtext")

    def __init__(self, code: str, prec: int, op: str, left: Py, ltext: str, rtext: str):
        self.code = code
        self.prec = prec
        self.kind = "D"
        self.depth = None
        self.plain = False
        self.op, self.left, self.ltext, self.rtext = op, left, ltext, rtext


def py_string(value: str) -> str:
    """A Python string literal, double-quoted as people write them."""
    if value.__class__ is str and value.isprintable() and '"' not in value and "'" not in value \
            and "\\" not in value:
        return f'"{value}"'  # (what repr quotes as it is: a probe description, a name)
    return _quoted(value)


@functools.lru_cache(maxsize=4096)  # (the same formats and strings, clause after clause)
def _quoted(value: str) -> str:
    text = repr(value)
    if text.startswith("'") and '"' not in value:
        text = '"' + text[1:-1].replace("\\'", "'") + '"'
    return text


@functools.lru_cache(maxsize=4096)  # (asked for every self->, this->, @, global name)
def is_attr_name(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("__")


def _dsl_names() -> frozenset:
    from dtracepy import dsl

    return frozenset(dsl.__all__) | {"min", "max", "sum", "print", "exit", "id"}


class Names:
    """What the module imports and which Python names it has taken."""

    def __init__(self):
        self.dsl = _dsl_names()
        self.imports: set[str] = set()
        self.taken: set[str] = {"t"}
        self.numbered: dict[str, int] = {}  # base of fresh() -> the number its next name tries
        self.globals: set[str] = set()  # D globals assigned or declared: glob.x
        self.inlines: dict[str, str] = {}  # D inline name -> Python variable
        self.locals: dict[str, str] = {}  # translator input name -> Python parameter
        self.macros: set[str] = set()  # names #define'd by the program: builtin("NAME")
        self.consts = None

    def use(self, name: str) -> str:
        self.imports.add(name)
        return name

    def fresh(self, wanted: str) -> str:
        base = wanted if wanted.isidentifier() and not keyword.iskeyword(wanted) else f"{wanted}_"
        # numbering goes on from the last name made of ``base``: counting from 2 again each time
        # was quadratic (26,000 clauses of one name in 4 MiB of D)
        name, taken = base, self.taken
        if name in taken or name in self.dsl or name in self.imports:
            n = self.numbered.get(base, 2)
            while name in taken or name in self.dsl or name in self.imports:
                name, n = f"{base}_{n}", n + 1
            self.numbered[base] = n
        taken.add(name)
        return name

    def constant(self, name: str) -> str:
        """A D constant (``NULL``, ``PROT_READ``): by name where dtracepy exports it."""
        if self.consts is None:
            from dtracepy import dsl

            self.consts = frozenset(n for n in dir(dsl) if n.isupper() and n not in self.taken)
        if name in self.consts and name not in self.taken:
            return self.use(name)
        return f"{self.use('const')}({py_string(name)})"


class ExprEmitter:
    """One D expression tree -> :class:`Py`.  ``in_body``: inside a probe body (actions that
    are also values may record and withdraw a statement there; elsewhere they are ``call``s)."""

    def __init__(self, names: Names, exact: bool = True):
        from dtracepy.dsl import actions
        from dtracepy.dsl.builtins import BUILTIN_NAMES
        from dtracepy.facts.functions import ARITY
        from dtracepy.facts.keywords import macro_argument_number

        self.names = names
        self.exact = exact
        self.in_body = False
        # (imported once: an import statement in the methods cost each node of the tree)
        self.actions, self.builtin_names, self.arity = actions, BUILTIN_NAMES, ARITY
        self.macro_number = macro_argument_number
        self._emitters: dict = {}  # node class -> its e_ method (looked up once, not for each node)

    # --- entry points --------------------------------------------------------------------------
    def code(self, node: tree.Expr) -> str:
        return self.emit(node).code

    def dvalue(self, node: tree.Expr, py: "Py | None" = None) -> Py:
        """``node`` as a DSL value (plain literals wrapped in ``lit``); ``py``: its :meth:`emit`,
        when the caller has it (it is not emitted again)."""
        if py is None:
            py = self.emit(node)
        if not py.plain:
            return py
        if py.kind == "neg":  # (``-`` and a plain int: its literal, as a DSL value, negated)
            return Py(f"-{self.names.use('lit')}({py.code[1:]})", UNARY)
        if node.__class__ is tree.IntLit:
            return Py(f"{self.names.use('lit')}({py.code})")
        return Py(f"{self.names.use('lit')}({py.code})", PRIMARY)

    def lit(self, node: tree.IntLit) -> str:
        py = self.emit(node)
        return f"{self.names.use('lit')}({py.code})" if py.plain else py.code

    def emit(self, node: tree.Expr) -> Py:
        method = self._emitters.get(node.__class__)
        if method is None:
            method = getattr(self, "e_" + node.__class__.__name__, None)
            if method is None:
                raise CannotImport(f"the expression {node.__class__.__name__}", "spelling for it", node.pos)
            self._emitters[node.__class__] = method
        return method(node)

    def operand(self, node, level: int, strict: bool = False) -> str:
        py = self.emit(node)
        if py.prec < level or (strict and py.prec == level):
            return f"({py.code})"
        return py.code

    # --- literals and names --------------------------------------------------------------------
    def e_IntLit(self, node):
        text = node.text
        if text.isdigit() and text.isascii() and len(text) < 19 and (text[0] != "0" or len(text) == 1):
            return Py(text, kind="int")  # (the usual decimal: its text is str(value), not computed)
        value = node.value
        if text == str(value):
            return Py(text, kind="int")
        if text == hex(value):
            return Py(f"{self.names.use('hexint')}({text})", PRIMARY, depth=None)
        if not self.exact and text.rstrip("uUlL") == text:
            if text[:2] in ("0x", "0X"):
                return Py(f"{self.names.use('hexint')}({hex(value)})", PRIMARY)
            return Py(str(value), kind="int")  # octal: the same number, in decimal
        return Py(f"{self.names.use('num')}({py_string(text)})", PRIMARY)

    def e_CharLit(self, node):
        from dtracepy.dsl.exprs import char_text
        from dtracepy.errors import DSLError

        meant = _char_meant(node.text)
        try:
            same = meant is not None and char_text(meant) == node.text
        except DSLError:
            same = False
        if same:
            return Py(f"{self.names.use('char')}({py_string(meant)})", PRIMARY)
        return Py(f"{self.names.use('charlit')}({py_string(node.text)})", PRIMARY)

    def e_StringLit(self, node):
        return Py(py_string(node.value), kind="str")

    def e_Ident(self, node):
        names = self.names
        name = node.name
        if node.module is not None:
            args = py_string(name) + (f", {py_string(node.module)}" if node.module else "")
            return Py(f"{names.use('ksym')}({args})", PRIMARY)
        if name in names.locals:
            return Py(names.locals[name])
        if name in names.inlines:
            return Py(names.inlines[name])
        if name in names.globals:
            return Py(self.scoped("glob", name), PRIMARY)
        if name in self.builtin_names and name in names.dsl and name != "id" and name not in names.taken:
            return Py(names.use(name))
        if (name.isupper() and len(name) > 1 or name == "NULL") and name not in names.macros:
            return Py(names.constant(name), PRIMARY)
        return Py(f"{names.use('builtin')}({py_string(name)})", PRIMARY)

    def scoped(self, scope: str, name: str) -> str:
        self.names.use(scope)
        if is_attr_name(name) and not name.startswith("_"):
            return f"{scope}.{name}"
        return f"{scope}({py_string(name)})"

    def e_MacroVar(self, node):
        name = node.name
        n = self.macro_number(name)
        if n is not None:
            fn = "macro_str" if name.startswith("$$") else "macro"
            return Py(f"{self.names.use(fn)}({n})", PRIMARY)
        if name == "$target":
            return Py(self.names.use("target"))
        if name[1:] in _MACRO_NAMES:
            return Py(f"{self.names.use('macro')}({py_string(name[1:])})", PRIMARY)
        raise CannotImport(f"the macro variable {name}", f"macro variable {name}", node.pos)

    def e_SelfVar(self, node):
        return Py(self.scoped("self", node.name), PRIMARY)

    def e_ThisVar(self, node):
        return Py(self.scoped("this", node.name), PRIMARY)

    def e_AggVar(self, node):
        if node.name == "":
            return Py(self.names.use("anon_agg"))
        return Py(self.scoped("agg", node.name), PRIMARY)

    # --- operators -----------------------------------------------------------------------------
    def e_Unary(self, node):
        op = node.op
        if op in ("-", "+", "~"):
            inner = self.emit(node.operand)
            if inner.plain:
                if (op == "-" and inner.kind == "int" and isinstance(node.operand, tree.IntLit)
                        and node.operand.value != 0):
                    return Py(f"-{inner.code}", UNARY, kind="neg")
                inner = self.dvalue(node.operand, inner)
            text = inner.code if inner.prec >= UNARY else f"({inner.code})"
            if op == "-" and text.startswith("-"):
                text = f"({text})"
            return Py(f"{op}{text}", UNARY)
        if op == "!":
            return self.call("not_", [node.operand])
        if op == "*":
            if not self.exact:
                read = self.offset_read(node.operand)
                if read is not None:
                    return read
            # (the operand emitted once: emitting it again for the call made ``**...*p`` take
            # time exponential in the stars, 2**n emissions)
            inner = self.emit(node.operand)
            depth = None if inner.depth is None or inner.depth < 1 else inner.depth - 1
            return Py(f"{self.names.use('deref')}({inner.code})", PRIMARY, depth=depth)
        if op == "&":
            inner = self.emit(node.operand)
            return Py(f"{self.names.use('addr')}({inner.code})", PRIMARY,
                      depth=None if inner.depth is None else inner.depth + 1)
        return self.call(_INCDEC[(tree.Unary, op)], [node.operand])

    def offset_read(self, pointer) -> Py | None:
        """``*(T *)((char *)p + off)`` as ``at(p, off, "T")`` (idiomatic mode)."""
        if not (isinstance(pointer, tree.Cast) and isinstance(pointer.type.declarator, tree.PointerDecl)
                and not pointer.type.declarator.qualifiers):
            return None
        target = tree.TypeName(pointer.type.specifiers, pointer.type.declarator.target)
        text = type_text(target)
        sum_ = pointer.operand
        if text is None or not (isinstance(sum_, tree.Binary) and sum_.op == "+"):
            return None
        base = sum_.left
        if not (isinstance(base, tree.Cast) and base.type.specifiers == ("char",)
                and base.type.declarator == tree.PointerDecl(tree.NameDecl(None))):
            return None
        off = sum_.right
        if isinstance(off, tree.IntLit) and off.text.rstrip("uUlL") == off.text:
            offset = hex(off.value) if off.value else None
        else:
            offset = self.arg(off)
        if offset is None:
            return None
        from dtracepy.dsl.types import pointer_depth

        return Py(f"{self.names.use('at')}({self.arg(base.operand)}, {offset}, {py_string(text)})",
                  PRIMARY, depth=pointer_depth(text))

    def e_Postfix(self, node):
        return self.call(_INCDEC[(tree.Postfix, node.op)], [node.operand])

    def e_Binary(self, node):
        op = node.op
        if op in _LOGIC:
            operands = [node.right]
            left = node.left
            while isinstance(left, tree.Binary) and left.op == op:
                operands.append(left.right)
                left = left.left
            operands.append(left)
            return self.call(_LOGIC[op], operands[::-1])
        if op == "^^":
            return self.call("xor", [node.left, node.right])
        level = _PY_BINARY[op]
        left = self.emit(node.left)
        right = self.emit(node.right)
        if left.plain and (right.plain or level == CMP or left.kind == "str"):
            left = self.dvalue(node.left, left)
        if right.kind == "str" and op == "%":
            right = self.dvalue(node.right, right)
        if level == CMP:
            ltext = left.code if left.prec > level else f"({left.code})"
            rtext = right.code if right.prec > level else f"({right.code})"
            return Py(f"{ltext} {op} {rtext}", level)
        ltext = left.code if left.prec >= level else f"({left.code})"
        rtext = right.code if right.prec > level else f"({right.code})"
        return Chain(f"{ltext} {op} {rtext}", level, op, left, ltext, rtext)

    def e_Assign(self, node):
        args = [self.emit(node.target).code, self.arg(node.value)]
        if node.op != "=":
            args.append(py_string(node.op))
        return Py(f"{self.names.use('assign_expr')}({', '.join(args)})", PRIMARY)

    def e_Ternary(self, node):
        return self.call("cond", [node.cond, node.then, node.otherwise])

    # --- types ---------------------------------------------------------------------------------
    def type_text(self, type_name: tree.TypeName, what: str) -> str:
        text = type_text(type_name)
        if text is None:
            raise CannotImport(f"the type in {what}", "way to write this type as a string", type_name.pos)
        return text

    def e_Cast(self, node):
        text = self.type_text(node.type, "a cast")
        from dtracepy.dsl.types import pointer_depth

        return Py(f"{self.names.use('cast')}({self.arg(node.operand)}, {py_string(text)})", PRIMARY,
                  depth=pointer_depth(text))

    def e_SizeofExpr(self, node):
        return Py(f"{self.names.use('sizeof')}({self.dvalue(node.operand).code})", PRIMARY)

    def e_SizeofType(self, node):
        return Py(f"{self.names.use('sizeof')}({py_string(self.type_text(node.type, 'sizeof'))})", PRIMARY)

    def e_Stringof(self, node):
        return self.call("stringof", [node.operand])

    def e_Offsetof(self, node):
        text = self.type_text(node.type, "offsetof")
        return Py(f"{self.names.use('offsetof')}({py_string(text)}, {py_string(node.member)})", PRIMARY)

    def e_Xlate(self, node):
        text = self.type_text(node.type, "xlate")
        from dtracepy.dsl.types import pointer_depth

        return Py(f"{self.names.use('xlate')}({py_string(text)}, {self.arg(node.operand)})", PRIMARY,
                  depth=pointer_depth(text))

    # --- calls, indexing, members --------------------------------------------------------------
    def arg(self, node) -> str:
        return self.emit(node).code

    def call(self, fn: str, args, *, depth=None) -> Py:
        return Py(f"{self.names.use(fn)}({', '.join(self.arg(a) for a in args)})", PRIMARY, depth=depth)

    def function_name(self, node: tree.Call, statement: bool) -> str | None:
        """The DSL function that rebuilds this call (as a statement when ``statement``), or None
        when it must be ``call("name", ...)``."""
        actions = self.actions
        name = node.name
        if name is None:
            return None
        if name in actions.AGGREGATING:
            lo, hi = self.arity[name]
            fits = lo <= len(node.args) and (hi is None or len(node.args) <= hi)
            return _RENAMED.get(name, name) if fits else None
        if name in actions.SUBROUTINES:
            return name
        if name in actions.ACTIONS:
            if name in actions.VALUE_ACTIONS:
                return name if (statement or self.in_body) else None
            if not statement:
                return None
            if name == "printf" and not (node.args and isinstance(node.args[0], tree.StringLit)):
                return None
            return _RENAMED.get(name, name)
        return None

    def e_Call(self, node, statement: bool = False):
        fn = self.function_name(node, statement)
        if fn is not None:
            return self.call(fn, node.args)
        if node.name is not None:
            args = [py_string(node.name)] + [self.arg(a) for a in node.args]
            return Py(f"{self.names.use('call')}({', '.join(args)})", PRIMARY)
        callee = self.dvalue(node.callee)
        base = callee.code if callee.prec >= PRIMARY else f"({callee.code})"
        return Py(f"{base}({', '.join(self.arg(a) for a in node.args)})", PRIMARY)

    def e_Index(self, node):
        if isinstance(node.base, tree.AggVar) and node.base.name == "":
            base = self.names.use("agg")
        else:
            py = self.dvalue(node.base)
            base = py.code if py.prec >= PRIMARY else f"({py.code})"
        keys = ", ".join(self.arg(k) for k in node.keys)
        if len(node.keys) == 1 and isinstance(node.keys[0], tree.Binary) and node.keys[0].op == ",":
            keys = f"({keys})"
        return Py(f"{base}[{keys}]", PRIMARY)

    def member_target(self, node) -> tuple[str, bool]:
        """(Python text of ``base.name``, whether attribute syntax rebuilds this member)."""
        py = self.dvalue(node.base)
        base = py.code if py.prec >= PRIMARY else f"({py.code})"
        auto = "." if py.depth == 0 else "->"
        ok = auto == node.op and is_attr_name(node.name) and not node.name.startswith("_")
        return (f"{base}.{node.name}" if ok else base), ok

    def e_Member(self, node):
        text, ok = self.member_target(node)
        if ok:
            return Py(text, PRIMARY)
        fn = "dot" if node.op == "." else "arrow"
        return Py(f"{self.names.use(fn)}({text}, {py_string(node.name)})", PRIMARY)


# D's one-character escapes (not \' nor \?, which D reads as two bytes: facts/escapes.py)
_SIMPLE_ESCAPES = _escapes.SIMPLE


def _char_meant(text: str) -> str | None:
    """The characters a D character constant's text means, for its simple escapes; else None."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1:i + 2]
        if nxt not in _SIMPLE_ESCAPES:
            return None
        out.append(_SIMPLE_ESCAPES[nxt])
        i += 2
    return "".join(out)


def type_text(type_name: tree.TypeName) -> str | None:
    """A string the DSL reads back as exactly ``type_name`` (see :mod:`dtracepy.dsl.types`), or None.
    Found once for each distinct type (equal trees, wherever they stand): the DSL's reading of the
    text back was a third of writing a declaration (``int xN;``), the same type again and again."""
    try:
        return _type_text(type_name)
    except TypeError:  # (a tree that does not hash: found each time)
        return _type_text.__wrapped__(type_name)


@functools.lru_cache(maxsize=1024)
def _type_text(type_name: tree.TypeName) -> str | None:
    from dtracepy.dsl.types import type_name as read_type
    from dtracepy.errors import DSLError

    words = []
    for spec in type_name.specifiers:
        if isinstance(spec, str):
            words.append(spec)
        elif isinstance(spec, tree.TypeRef):
            words.append(f"{spec.module}`{spec.name}" if spec.module else spec.name)
        elif isinstance(spec, tree.StructSpec) and spec.members is None and spec.name:
            words.append(f"{spec.kind} {spec.name}")
        elif isinstance(spec, tree.EnumSpec) and spec.enumerators is None and spec.name:
            words.append(f"enum {spec.name}")
        else:
            return None
    decl = type_name.declarator
    stars = 0
    while isinstance(decl, tree.PointerDecl):
        stars += 1
        decl = decl.target
    dims = []
    while isinstance(decl, tree.ArrayDecl):
        if len(decl.dims) > 1 or (decl.dims and not isinstance(decl.dims[0], tree.IntLit)):
            return None
        dims.append(f"[{decl.dims[0].text}]" if decl.dims else "[]")
        decl = decl.target
    text = " ".join(words)
    if stars:
        text += " " + "*" * stars
    text += "".join(reversed(dims))
    try:
        if read_type(text) != type_name:
            return None
    except (DSLError, TypeError):
        return None
    return text
