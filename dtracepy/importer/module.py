"""A D program -> the source of a tracer module that builds it with the DSL.

:class:`ModuleWriter` walks the program's items in order: the prologue (``#!``, option pragmas,
``#include``/``#define`` lines) becomes ``Tracer(...)`` arguments, every clause a ``@t.probe``
function (``t.clause`` when it has no body), and declarations, inlines, translators, providers,
pragmas and directives the matching ``t.`` calls, where they stood.  Top-level comments become
Python comments.  :mod:`dtracepy.importer.idioms` rewrites the program first in the default
(idiomatic) mode.
"""

from __future__ import annotations

import keyword
import re

from dtracepy import tree
from dtracepy.dsl.probes import fields
from dtracepy.importer import pyfmt
from dtracepy.importer.exprs import CannotImport, ExprEmitter, Names, is_attr_name, py_string, type_text
from dtracepy.printer import to_d

_OPTION_WORD = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)(?:=(.*))?\Z")
_ASSIGN_OPS = ("=", "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "<<=", ">>=")


def option_of(item) -> tuple[str, object] | None:
    """``#pragma D option name[=value]`` -> (name, True or value)."""
    if not isinstance(item, tree.Pragma) or len(item.words) != 3 or item.words[:2] != ("D", "option"):
        return None
    m = _OPTION_WORD.match(item.words[2])
    if not m:
        return None
    return m.group(1), True if m.group(2) is None else m.group(2)


def _declared_names(decl):
    while not isinstance(decl, tree.NameDecl):
        decl = getattr(decl, "target", None)
        if decl is None:
            return None
    return decl.name


class ModuleWriter:
    def __init__(self, program: tree.Program, filename: str, *, exact: bool):
        self.program = program
        self.filename = filename
        self.exact = exact
        self.names = Names()
        self.ex = ExprEmitter(self.names, exact=exact)
        self.tracer_args: list[str] = []
        self.blocks: list[list[str]] = []  # top-level blocks, in order
        self.pending_comments: list[str] = []
        self.notes: list[str] = []  # comments for the module's head (leaks ...)
        self.after_tracer: list[str] = []  # t.keep(...) lines and the like
        self._collect_globals()

    # --- analysis ------------------------------------------------------------------------------
    def _collect_globals(self):
        for item in self.program.items:
            if isinstance(item, tree.Declaration) and "typedef" not in item.specifiers:
                if not any(s in ("self", "this") for s in item.specifiers):
                    for decl in item.declarators:
                        name = _declared_names(decl)
                        if name and not isinstance(decl, tree.FuncDecl):
                            self.names.globals.add(name)
            elif isinstance(item, tree.Clause):
                for node in item.walk():
                    if isinstance(node, tree.Assign) or (isinstance(node, (tree.Unary, tree.Postfix))
                                                         and node.op in ("++", "--")):
                        target = node.target if isinstance(node, tree.Assign) else node.operand
                        while isinstance(target, tree.Index):
                            target = target.base
                        if isinstance(target, tree.Ident) and target.module is None:
                            self.names.globals.add(target.name)

    # --- the module ----------------------------------------------------------------------------
    def write(self) -> str:
        items = list(self.program.items)
        items = self._prologue(items)
        for item in items:
            self._item(item)
        return self._assemble()

    def _prologue(self, items):
        """Shebang, options, defines and includes that the Tracer's arguments rebuild in place."""
        rest = []
        options: dict[str, object] = {}
        defines: dict[str, str] = {}
        includes: list[str] = []
        shebang = None
        stage = 0  # 0 options, 1 defines, 2 includes, 3 everything else
        for item in items:
            if isinstance(item, tree.Comment):
                rest.append(item)
                continue
            if isinstance(item, tree.Shebang) and shebang is None and stage == 0 and not options:
                shebang = item.text
                continue
            opt = option_of(item)
            if opt is not None and (stage == 0 or not self.exact) and opt[0] not in options:
                options[opt[0]] = opt[1]
                continue
            if isinstance(item, tree.Directive) and stage <= 1 and item.name == "define":
                parts = item.text.split(None, 1)
                if parts and f"{parts[0]} {parts[1] if len(parts) > 1 else ''}".rstrip() == item.text:
                    key = parts[0]
                    if key not in defines:
                        defines[key] = parts[1] if len(parts) > 1 else ""
                        stage = 1
                        continue
            if isinstance(item, tree.Directive) and stage <= 2 and item.name == "include":
                text = item.text.strip()
                if text == item.text and text[:1] in "<\"" and text:
                    includes.append(text)
                    stage = 2
                    continue
            stage = 3
            rest.append(item)
        self.options, self.defines, self.includes = options, defines, includes
        self.shebang_text = shebang
        return rest

    def _tracer_call(self) -> str:
        args = []
        if self.options:
            parts = ", ".join(f"{py_string(k)}: {'True' if v is True else py_string(v)}"
                              for k, v in self.options.items())
            args.append(f"options={{{parts}}}")
        if self.includes:
            args.append(f"includes=[{', '.join(py_string(i) for i in self.includes)}]")
        if self.defines:
            parts = ", ".join(f"{py_string(k)}: {py_string(v)}" for k, v in self.defines.items())
            args.append(f"defines={{{parts}}}")
        if self.exact:
            if self.shebang_text is None:
                args.append("shebang=False")
            else:
                args.append(f"shebang={py_string(self.shebang_text)}")
            args.append("cleanup=False")
        elif self.shebang_text is not None:
            derived = self._derived_shebang()
            if derived != self.shebang_text:
                args.append(f"shebang={py_string(self.shebang_text)}")
        self.names.use("Tracer")
        return f"t = Tracer({', '.join(args)})"

    def _derived_shebang(self) -> str:
        from dtracepy.compiler import DTRACE

        cpp = bool(self.includes or self.defines) or any(
            isinstance(i, tree.Directive) for i in self.program.items)
        quiet = bool(self.options.get("quiet"))
        return f"{DTRACE} -{'C' if cpp else ''}{'q' if quiet else ''}s"

    def _assemble(self) -> str:
        tracer_line = self._tracer_call()
        title = f"Imported from {self.filename} by `dtracepy import{' --exact' if self.exact else ''}`."
        head = ['"""' + title]
        if self.exact:
            head.append("")
            head.append("Faithful: compiles back to the same D program, comments and layout aside;")
            head.append("the D zeroes its thread-locals by hand, so the automatic cleanup is off.")
        head[-1] += '"""' if len(head) == 1 else ""
        if len(head) > 1:
            head.append('"""')
        lines = head + [""]
        lines += pyfmt.import_line("dtracepy", self.names.imports)
        lines.append("")
        for note in self.notes:
            lines.append(note)
        lines += pyfmt.wrap(tracer_line)
        lines += self.after_tracer
        for block in self.blocks:
            gap = 2 if block and (block[0].startswith("@") or block[0].startswith("def ") or any(
                b.startswith("@") for b in block[:3]) or self._prev_def) else 0
            lines += [""] * max(1, gap)
            self._prev_def = any(b.startswith("def ") for b in block)
            lines += block
        if self.pending_comments:
            lines += [""] + self.pending_comments
        return "\n".join(lines).rstrip() + "\n"

    _prev_def = False

    # --- top-level items -----------------------------------------------------------------------
    def _block(self, lines: list[str]) -> None:
        self.blocks.append(self.pending_comments + lines)
        self.pending_comments = []

    def _item(self, item) -> None:
        method = getattr(self, "i_" + type(item).__name__)
        method(item)

    def i_Comment(self, item):
        text = item.text.strip("\n")
        lines = [re.sub(r"^\s*\*? ?", "", line).rstrip() for line in text.split("\n")]
        while lines and not lines[0].strip("*- "):
            lines.pop(0)
        while lines and not lines[-1].strip("*- "):
            lines.pop()
        self.pending_comments += [f"# {line}".rstrip() for line in lines]

    def i_Shebang(self, item):
        raise CannotImport("a second #! line", "place for a #! line after the first item", item.pos)

    def i_Pragma(self, item):
        self._block(pyfmt.wrap(f"t.pragma({', '.join(py_string(w) for w in item.words)})"))

    def i_Directive(self, item):
        args = py_string(item.name) + (f", {py_string(item.text)}" if item.text else "")
        self._block(pyfmt.wrap(f"t.directive({args})"))

    def i_Declaration(self, item):
        line = self._simple_declaration(item)
        if line is None:
            line = f"t.declare_c({py_string(to_d(item))})"
        self._block(pyfmt.wrap(line))

    def _simple_declaration(self, item) -> str | None:
        from dtracepy.dsl.types import declaration
        from dtracepy.errors import DSLError

        if len(item.declarators) != 1:
            return None
        specs = list(item.specifiers)
        scope = specs.pop(0) if specs and specs[0] in ("self", "this") else None
        decl = item.declarators[0]
        stars = 0
        while isinstance(decl, tree.PointerDecl) and not decl.qualifiers:
            stars += 1
            decl = decl.target
        dims = []
        while isinstance(decl, tree.ArrayDecl) and isinstance(decl.target, tree.ArrayDecl):
            dims.append(decl)
            decl = decl.target
        keys = ()
        if isinstance(decl, tree.ArrayDecl):
            if decl.dims and all(isinstance(k, tree.TypeName) for k in decl.dims):
                keys = tuple(type_text(k) for k in decl.dims)
                if None in keys:
                    return None
                decl = decl.target
            else:
                dims.append(decl)
                decl = decl.target
        if not isinstance(decl, tree.NameDecl) or not decl.name:
            return None
        base = type_text(tree.TypeName(tuple(specs))) if specs else None
        if base is None:
            return None
        text = base + (" " + "*" * stars if stars else "")
        for d in reversed(dims):
            if len(d.dims) > 1 or (d.dims and not isinstance(d.dims[0], tree.IntLit)):
                return None
            text += f"[{d.dims[0].text}]" if d.dims else "[]"
        args = [py_string(decl.name), py_string(text)]
        if scope:
            args.append(f"scope={py_string(scope)}")
        if keys:
            args.append(f"keys=({', '.join(py_string(k) for k in keys)}{',' if len(keys) == 1 else ''})")
        try:
            made = declaration(decl.name, text, scope=scope, keys=keys)
        except (DSLError, TypeError):
            return None
        if made != item:
            return None
        return f"t.declare({', '.join(args)})"

    def i_Inline(self, item):
        decl = item.declarator
        stars = 0
        while isinstance(decl, tree.PointerDecl) and not decl.qualifiers:
            stars += 1
            decl = decl.target
        base = type_text(tree.TypeName(tuple(item.specifiers))) if item.specifiers else None
        if not isinstance(decl, tree.NameDecl) or base is None:
            raise CannotImport("this inline", "inline with parameters or array type", item.pos)
        from dtracepy.dsl.types import _declarator, parse_type

        text = base + (" " + "*" * stars if stars else "")
        specs, depth, dims = parse_type(text)
        if specs != item.specifiers or _declarator(decl.name, depth, dims) != item.declarator:
            raise CannotImport("this inline", "spelling of its type", item.pos)
        value = self.ex.code(item.value)
        name = decl.name
        var = self.names.fresh(name) if is_attr_name(name) else self.names.fresh("inline_" + name)
        self.names.inlines[name] = var
        self._block(pyfmt.wrap(f"{var} = t.inline({py_string(name)}, {py_string(text)}, {value})"))

    def i_Translator(self, item):
        out = type_text(item.output)
        inp = type_text(item.input)
        if out is None or inp is None:
            raise CannotImport("this translator", "way to write its types as strings", item.pos)
        seen = set()
        for m in item.members:
            if m.name in seen:
                raise CannotImport("this translator", "translator with a member given twice", m.pos)
            seen.add(m.name)
        param = self.names.fresh(item.input_name) if is_attr_name(item.input_name) else None
        if param is None:
            raise CannotImport("this translator", f"Python name for its input {item.input_name}", item.pos)
        self.names.taken.discard(param)
        saved = dict(self.names.locals)
        self.names.locals[item.input_name] = param
        try:
            members = [f"{py_string(m.name)}: {self.ex.code(m.value)}" for m in item.members]
        finally:
            self.names.locals = saved
        head = f"t.translator({py_string(out)}, {py_string(inp)}, {py_string(item.input_name)}, lambda {param}: {{"
        lines = [head] + [f"    {m}," for m in members] + ["})"]
        if not members:
            lines = [head + "})"]
        out_lines = []
        for line in lines:
            out_lines += pyfmt.wrap(line.strip(), "    " if line.startswith("    ") else "")
        self._block(out_lines)

    def i_Provider(self, item):
        probes = []
        for probe in item.probes:
            text = to_d(probe)
            probes.append(py_string(text[len("probe "):-1]))
        self._block(pyfmt.wrap(f"t.provider({', '.join([py_string(item.name)] + probes)})"))

    def i_Clause(self, item):
        descs = [py_string(d.text) for d in item.probes]
        self.ex.in_body = False
        if item.predicate is not None:
            descs.append(f"when={self.ex.code(item.predicate)}")
        if item.body is None:
            self._block(pyfmt.wrap(f"t.clause({', '.join(descs)})"))
            return
        name = self.names.fresh(clause_name(item))
        lines = pyfmt.wrap(f"@t.probe({', '.join(descs)})")
        lines.append(f"def {name}():")
        self.ex.in_body = True
        body = self.statements(item.body, "    ")
        self.ex.in_body = False
        lines += body or ["    pass"]
        self._block(lines)

    # --- statements ----------------------------------------------------------------------------
    def statements(self, stmts, indent) -> list[str]:
        out = []
        for stmt in stmts:
            out += self.statement(stmt, indent)
        return out

    def statement(self, stmt, indent) -> list[str]:
        if isinstance(stmt, tree.ExprStmt):
            return pyfmt.wrap(self.expr_statement(stmt.expr), indent)
        if isinstance(stmt, tree.If):
            return self.if_statement(stmt, indent, "if_")
        if isinstance(stmt, tree.EmptyStmt):
            raise CannotImport("the empty statement `;`", "empty statement", stmt.pos)
        if isinstance(stmt, tree.Block):
            raise CannotImport("a block `{ ... }` inside a clause", "block statement outside an if", stmt.pos)
        raise CannotImport(f"the statement {type(stmt).__name__}", "such statement", stmt.pos)

    def if_statement(self, stmt, indent, fn) -> list[str]:
        if not isinstance(stmt.then, tree.Block):
            raise CannotImport("an if without braces", "if whose body is not a { block }", stmt.then.pos or stmt.pos)
        self.names.use(fn)
        lines = pyfmt.wrap(f"with {fn}({self.ex.code(stmt.cond)}):", indent)
        lines += self.statements(stmt.then.body, indent + "    ") or [indent + "    pass"]
        other = stmt.otherwise
        if isinstance(other, tree.If):
            lines += self.if_statement(other, indent, "elif_")
        elif isinstance(other, tree.Block):
            self.names.use("else_")
            lines.append(f"{indent}with else_():")
            lines += self.statements(other.body, indent + "    ") or [indent + "    pass"]
        elif other is not None:
            raise CannotImport("an else without braces", "else whose body is not a { block }", other.pos or stmt.pos)
        return lines

    def expr_statement(self, node) -> str:
        ex = self.ex
        if isinstance(node, tree.Assign):
            target = self.assign_target(node.target)
            value = ex.emit(node.value)
            if target is not None and not (isinstance(node.target, tree.AggVar) and node.target.name == ""):
                return f"{target} {node.op} {value.code}"
            args = [ex.emit(node.target).code, value.code]
            if node.op != "=":
                args.append(py_string(node.op))
            return f"{self.names.use('assign')}({', '.join(args)})"
        if isinstance(node, tree.Call):
            fn = ex.function_name(node, statement=True)
            from dtracepy.dsl.actions import ACTIONS

            if fn is not None and node.name in ACTIONS:
                return ex.e_Call(node, statement=True).code
        return f"{self.names.use('stmt')}({ex.emit(node).code})"

    def assign_target(self, node) -> str | None:
        """Python assignment-target text that rebuilds ``node`` as an assignment target, or None."""
        if isinstance(node, (tree.SelfVar, tree.ThisVar, tree.AggVar)):
            text = self.ex.emit(node).code
            return text if "(" not in text else None
        if isinstance(node, tree.Ident) and node.module is None and node.name in self.names.globals:
            text = self.ex.emit(node).code
            return text if "(" not in text else None
        if isinstance(node, tree.Index):
            py = self.ex.emit(node)
            return py.code
        if isinstance(node, tree.Member):
            text, ok = self.ex.member_target(node)
            return text if ok else None
        return None


# --- clause names -------------------------------------------------------------------------------
def _ident(text: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_]+", "_", text.replace("*", "")).strip("_").lower()
    text = re.sub(r"_+", "_", text)
    if not text or text[0].isdigit():
        text = "probe_" + text if text else "probe"
    return text


def _probe_part(desc: str) -> str:
    if desc in ("BEGIN", "END", "ERROR"):
        return desc.lower()
    provider, module, function, name = fields(desc)
    if provider.startswith(("profile", "tick")) or (not function and not module and name.startswith(("profile-", "tick-"))):
        return _ident(name or provider)
    if function and name:
        return _ident(f"{function}_{name}")
    return _ident("_".join(p for p in (provider if not function else "", function, name) if p)) or "probe"


def _verb(body) -> str:
    from dtracepy.passes.walk import is_zero

    if not body:
        return "trace"
    calls = set()
    aggs = zeroes = sets = 0
    for stmt in body:
        for node in stmt.walk():
            if isinstance(node, tree.Call) and node.name:
                calls.add(node.name)
        if isinstance(stmt, tree.ExprStmt) and isinstance(stmt.expr, tree.Assign):
            target = stmt.expr.target
            while isinstance(target, tree.Index):
                target = target.base
            if isinstance(target, tree.AggVar):
                aggs += 1
            elif stmt.expr.op == "=" and is_zero(stmt.expr.value):
                zeroes += 1
            else:
                sets += 1
    if calls & {"exit"} and len(body) == 1:
        return "stop"
    if calls & {"printf", "printa", "print", "trace", "tracemem"}:
        return "report" if "printa" in calls else "print"
    if aggs:
        return "count" if calls & {"count"} and len(calls) == 1 else "aggregate"
    if zeroes and not sets:
        return "clear"
    if sets:
        return "remember"
    return "on"


def clause_name(clause: tree.Clause) -> str:
    parts = []
    for desc in clause.probes:
        part = _probe_part(desc.text)
        if part not in parts:
            parts.append(part)
    noun = parts[0] if len(parts) == 1 else f"{parts[0]}_etc"
    if len(parts) == 2 and len(parts[0]) + len(parts[1]) < 28:
        noun = f"{parts[0]}_{parts[1]}"
    name = f"{_verb(clause.body)}_{noun}"[:48].rstrip("_")
    return name if not keyword.iskeyword(name) else name + "_"
