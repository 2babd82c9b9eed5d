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
from dtracepy.errors import DSLError
from dtracepy.facts.probes import split as fields
from dtracepy.importer import pyfmt
from dtracepy.importer.body_comments import CommentFinder, comment_lines
from dtracepy.importer.exprs import CannotImport, Chain, ExprEmitter, Names, is_attr_name, py_string, type_text
from dtracepy.importer.scan import scan
from dtracepy.passes.walk import is_zero
from dtracepy.printer import to_d

_OPTION_WORD = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)(?:=(.*))?\Z")
_ASSIGN_OPS = ("=", "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "<<=", ">>=")


def py_text(text: str) -> str:
    """A string literal for D text: several lines in triple quotes, as people write them."""
    text = text.replace("\t", "    ")
    if "\n" in text and "\\" not in text and '"""' not in text and not text.endswith('"') and all(
            ch.isprintable() or ch == "\n" for ch in text):
        return '"""' + text + '"""'
    return py_string(text)


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
    def __init__(self, program: tree.Program, filename: str, *, exact: bool, plan=None, text: "str | None" = None):
        from dtracepy.importer.idioms import Plan

        # the D text, to find the comments inside clauses (the tree keeps only top-level ones)
        self.comments = CommentFinder(text) if text is not None else None
        if self.comments is not None and not len(self.comments):
            self.comments = None  # (no comment in the text: none to place, no position made)
        self.leading: dict[tuple, list[str]] = {}  # a statement's position -> comment lines above it
        self.trailing: dict[tuple, str] = {}  # a statement's position -> the comment on its line

        self.plan = plan or Plan()
        # the one walk of the clauses (the idioms' when they left them as they were)
        self.scan = self.plan.scan if self.plan.scan is not None else scan(program)
        self.program = program
        self.filename = filename
        self.exact = exact
        self.names = Names()
        self.ex = ExprEmitter(self.names, exact=exact)
        self.tracer_args: list[str] = []
        self.blocks: list[list[str]] = []  # top-level blocks, in order
        self.pending_comments: list[str] = []
        self.notes: list[str] = list(self.plan.notes)  # comments for the module's head (leaks ...)
        self.after_tracer: list[str] = []  # t.keep(...) lines and the like
        self.record_names: dict[str, str] = {}  # the plan's record -> its Python variable
        self.leading_comments: list[str] = []  # the D file's first comment: the module docstring
        from dtracepy.dsl.probes import check_desc

        self._check_desc = check_desc  # (imported once, not for each clause)
        self._checked_descs: set[str] = set()  # (recent) probe descriptions found well-formed
        self._defining: set[int] = set()  # id() of the blocks that define a clause's function
        # (predicate, body) of a clause -> what was written for it: its ``when=`` text, its body's
        # lines and its function's verb; None where a statement's lines depend on more than its
        # tree (comments placed by position, records' rows by the statement's id)
        self._written: "dict | None" = {} if self.comments is None and not self.plan.rows else None
        self._same = self.scan.same
        # id() of the clauses an equal later clause is written from: only what was written for
        # those is ever looked up again (kept for each of 85,000 distinct clauses, it was not)
        self._firsts = {id(first) for first in self._same.values()}
        self._collect_globals()

    # --- analysis ------------------------------------------------------------------------------
    def _collect_globals(self):
        Clause = tree.Clause
        # the items that are no clause (most are clauses): what this and _needs_oracle look at
        self._not_clauses = [item for item in self.program.items if item.__class__ is not Clause]
        for item in self._not_clauses:
            if isinstance(item, tree.Directive) and item.name == "define":
                name = re.match(r"\s*(\w*)", item.text).group(1)
                self.names.macros.add(name)
            if isinstance(item, tree.Declaration) and "typedef" not in item.specifiers:
                if not any(s in ("self", "this") for s in item.specifiers):
                    for decl in item.declarators:
                        name = _declared_names(decl)
                        if name and not isinstance(decl, tree.FuncDecl):
                            self.names.globals.add(name)
        self.names.globals |= self.scan.globals  # (assigned in clauses)

    # --- the module ----------------------------------------------------------------------------
    def write(self) -> str:
        items = list(self.program.items)
        items = self._prologue(items)
        if items and isinstance(items[0], tree.Comment):
            self.i_Comment(items.pop(0))
            self.leading_comments, self.pending_comments = self.pending_comments, []
        if self.plan.keeps:
            keeps = ", ".join(self.ex.scoped("self", n) for n in self.plan.keeps)
            self.after_tracer = pyfmt.wrap(f"t.keep({keeps})")
        self._items = items
        Clause, i_Clause = tree.Clause, self.i_Clause
        try:
            for i, item in enumerate(items):
                self._index = i
                if item.__class__ is Clause:  # (what _item does with the usual item)
                    self._last = item
                    i_Clause(item)
                else:
                    self._item(item)
        except RecursionError:
            # (an expression nested past what the writer recurses, outside a statement, an if's
            # condition or a predicate, which name the expression: the item being written)
            raise too_deep(self._items[self._index]) from None
        return self._assemble()

    # Positions are made when asked (a node holds an offset; position_at makes a Pos of it): the
    # item being written and its neighbours' only where a comment may go with them
    _items: list = []
    longest = 0  # the length of the module's longest line, once written
    _index = -1
    _last = None  # the last item written that is no comment

    def _next_pos(self):
        """The position of the item after the one being written, or None."""
        i = self._index + 1
        return self._items[i].pos if i < len(self._items) else None

    def _prologue(self, items):
        """Shebang, options, defines and includes that the Tracer's arguments rebuild in place."""
        rest = []
        options: dict[str, object] = {}
        defines: dict[str, str] = {}
        includes: list[str] = []
        shebang = None
        stage = 0  # 0 options, 1 defines, 2 includes, 3 everything else
        Clause = tree.Clause
        for item in items:
            if item.__class__ is Clause:  # (no option, define, include or #!: what the end does)
                stage = 3
                rest.append(item)
                continue
            if isinstance(item, tree.Comment):
                rest.append(item)
                continue
            if isinstance(item, tree.Shebang) and shebang is None and stage == 0 and not options:
                shebang = item.text
                from dtracepy.facts.command_line import dtrace_shebang_problem

                problem = dtrace_shebang_problem(shebang)  # what Tracer(shebang=) refuses
                if problem:
                    raise CannotImport(f"the #! line {shebang!r}", f"#! line but dtrace's with one word of "
                                       f"flags ({problem})", item.pos)
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
        self.cpp = False
        if not self.exact and shebang is not None:
            from dtracepy.compiler import DTRACE

            m = re.fullmatch(re.escape(DTRACE) + r" -([Cqs]*s)", shebang.strip())
            if m:
                if "q" in m.group(1) and "quiet" not in options:
                    options["quiet"] = True
                self.cpp = "C" in m.group(1)
                self.shebang_text = None if self._derived_shebang() == shebang.strip() else shebang
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
        if self.cpp and not (self.includes or self.defines or tree.needs_cpp(self.program.items)):
            args.append("cpp=True")
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
        if self._needs_oracle():
            args.append('dialect="oracle"')
        self.names.use("Tracer")
        return f"t = Tracer({', '.join(args)})"

    def _needs_oracle(self) -> bool:
        """Whether the script sets an option only Oracle's D knows (``printsize``), or names a
        thread-local or clause-local with a keyword (``this->self``: only Oracle's lexer reads a
        keyword after ``->`` as a name): the tracer is then an Oracle one, or its own checks would
        refuse it."""
        from dtracepy.facts.dialects import dialect_named
        from dtracepy.facts.options import name_problem

        default, oracle = dialect_named("illumos"), dialect_named("oracle")
        # (the scan's names are its program's, or the idioms' program's, which has more: a
        # keyword among them, rare, is looked for again in this one)
        if oracle.keywords_after_arrow and not default.keywords_after_arrow:
            items = self.program.items
            if default.keywords.isdisjoint(self.scan.arrow_names):
                items = self._not_clauses
            if any(isinstance(node, (tree.SelfVar, tree.ThisVar)) and node.name in default.keywords
                   for item in items for node in item.walk()):
                return True

        names = set(self.options)
        Pragma = tree.Pragma
        for item in self._not_clauses:
            words = getattr(item, "words", None) if item.__class__ is Pragma else None
            if words and len(words) >= 3 and tuple(words[:2]) == ("D", "option"):
                names.add(words[2].split("=", 1)[0])
        return any(name_problem(n, "illumos") and not name_problem(n, "oracle") for n in names)

    def _derived_shebang(self) -> str:
        from dtracepy.compiler import DTRACE

        # (as Tracer.uses_cpp reads the tracer this module makes)
        cpp = self.cpp or bool(self.includes or self.defines) or tree.needs_cpp(self.program.items)
        quiet = bool(self.options.get("quiet"))
        return f"{DTRACE} -{'C' if cpp else ''}{'q' if quiet else ''}s"

    def _assemble(self) -> str:
        tracer_line = self._tracer_call()
        title = (f"Imported from {_docstring_text(self.filename)} by "
                 f"`dtracepy import{' --exact' if self.exact else ''}`.")
        head = ['"""' + title]
        if len(head[0]) > pyfmt.WIDTH:      # a long path: the tool's name goes on a line of its own
            head = [head[0][:head[0].index(" by `")], title[title.index(" by `") + 1:]]
        if self.exact:
            head.append("")
            head.append("Faithful: compiles back to the same D program, comments and layout aside;")
            head.append("the D zeroes its thread-locals by hand, so the automatic cleanup is off.")
        doc = [line[2:] if line.startswith("# ") else line[1:] for line in self.leading_comments]
        if doc and "\\" not in "".join(doc) and '"""' not in "".join(doc):
            head += [""] + doc
        else:
            self.blocks.insert(0, self.leading_comments) if self.leading_comments else None
        head[-1] += '"""' if len(head) == 1 else ""
        if len(head) > 1:
            head.append('"""')
        lines = head + [""]
        lines += pyfmt.import_line("dtracepy", self.names.imports)
        lines.append("")
        for note in self.notes:
            lines += pyfmt.prose(note, "", "# ")
        lines += pyfmt.wrap(tracer_line)
        lines += self.after_tracer
        prev_def = False  # the block before defines a function
        defining = self._defining
        for block in self.blocks:
            # two blank lines around a function (and a decorated line), else one
            lines.append("")
            if block and (prev_def or block[0].startswith(("@", "def ")) or any(
                    b.startswith("@") for b in block[1:3])):
                lines.append("")
            prev_def = id(block) in defining or any(b.startswith("def ") for b in block)
            lines += block
        if self.pending_comments:
            lines += [""] + self.pending_comments
        # (for import_program's _maybe_too_deep: read off the lines here, not split from the
        # text again, 18 MB for 85,000 one-line clauses; a line holding a line end counts whole)
        self.longest = max(map(len, lines), default=0)
        return pyfmt.text_of(lines)

    # --- top-level items -----------------------------------------------------------------------
    def _block(self, lines: list[str]) -> list[str]:
        """A top-level block of ``lines``, after the comments pending; the block."""
        if self.pending_comments:
            lines = self.pending_comments + lines
            self.pending_comments = []
        self.blocks.append(lines)
        return lines

    def _item(self, item) -> None:
        if (isinstance(item, tree.Comment) and self.blocks and item.pos and self._last is not None
                and self._last.pos and item.pos.line == self._last.pos.line and "\n" not in item.text.strip()):
            # a comment after an item, on its line: it belongs to that item
            last = self.blocks[-1]
            comment = "  # " + item.text.strip().strip("*").strip()
            if (len(last[-1]) + len(comment) <= pyfmt.WIDTH and '"""' not in last[-1]
                    and not pyfmt.LINE_END.search(comment)):
                last[-1] += comment
            else:
                last += pyfmt.comment(item.text.strip().strip("*").strip())
            return
        if not isinstance(item, tree.Comment):
            self._last = item
        method = getattr(self, "i_" + type(item).__name__)
        method(item)

    def i_Comment(self, item):
        for line in comment_lines(item.text):
            self.pending_comments += pyfmt.comment(line)

    def i_Shebang(self, item):
        raise CannotImport("a second #! line", "place for a #! line after the first item", item.pos)

    def i_Pragma(self, item):
        self._block(pyfmt.wrap(f"t.pragma({', '.join(py_string(w) for w in item.words)})"))

    def i_Directive(self, item):
        if not self.exact and item.name == "" and item.text.startswith("!"):
            return  # a `#!` line below the first: the parser's Directive(""), no meaning to D
        args = py_string(item.name) + (f", {py_string(item.text)}" if item.text else "")
        self._block(pyfmt.wrap(f"t.directive({args})"))

    def i_Declaration(self, item):
        line = self._simple_declaration(item)
        if line is None:
            line = f"t.declare_c({py_text(to_d(item))})"
        self._block(pyfmt.wrap(line))

    def _simple_declaration(self, item) -> str | None:
        from dtracepy.dsl.types import declaration

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

    def _names_changed(self) -> None:
        """The names an expression is written with changed (an inline, a translator's input, a
        record's variable): what was written before is written again."""
        if self._written is not None:
            self._written.clear()

    def i_Inline(self, item):
        self._names_changed()
        decl = item.declarator
        stars = 0
        while isinstance(decl, tree.PointerDecl) and not decl.qualifiers:
            stars += 1
            decl = decl.target
        base = type_text(tree.TypeName(tuple(item.specifiers))) if item.specifiers else None
        params = None
        if isinstance(decl, tree.ArrayDecl) and decl.dims and all(isinstance(p, tree.Param) for p in decl.dims):
            params = [self._param_text(p) for p in decl.dims]
            if None in params:
                raise CannotImport("this inline", "spelling of its parameters", item.pos)
            decl = decl.target
        if not isinstance(decl, tree.NameDecl) or base is None:
            raise CannotImport("this inline", "inline of an array type", item.pos)
        text = base + (" " + "*" * stars if stars else "")
        name = decl.name
        if params is None:
            value = self.ex.code(item.value)
            tail = ""
        else:
            saved = dict(self.names.locals)
            pnames = []
            for p in item.declarator.walk():
                if isinstance(p, tree.Param):
                    d_name = _declared_names(p.declarator)
                    py_name = self.names.fresh(d_name) if is_attr_name(d_name) else self.names.fresh("arg")
                    self.names.taken.discard(py_name)
                    self.names.locals[d_name] = py_name
                    pnames.append(py_name)
            try:
                value = f"lambda {', '.join(pnames)}: {self.ex.code(item.value)}"
            finally:
                self.names.locals = saved
            tail = f", params=[{', '.join(py_string(p) for p in params)}]"
        var = self.names.fresh(name) if is_attr_name(name) else self.names.fresh("inline_" + name)
        self.names.inlines[name] = var
        self._block(pyfmt.wrap(f"{var} = t.inline({py_string(name)}, {py_string(text)}, {value}{tail})"))

    @staticmethod
    def _param_text(param) -> str | None:
        name = _declared_names(param.declarator) if param.declarator is not None else None
        if not name:
            return None
        decl, stars = param.declarator, 0
        while isinstance(decl, tree.PointerDecl) and not decl.qualifiers:
            stars, decl = stars + 1, decl.target
        if not isinstance(decl, tree.NameDecl):
            return None
        base = type_text(tree.TypeName(tuple(param.specifiers)))
        return None if base is None else f"{base} {'*' * stars}{name}"

    def i_Translator(self, item):
        self._names_changed()
        out = type_text(item.output)
        inp = type_text(item.input)
        if out is None or inp is None:
            raise CannotImport("this translator", "way to write its types as strings", item.pos)
        pairs = len({m.name for m in item.members}) != len(item.members)  # a member given twice
        param = self.names.fresh(item.input_name) if is_attr_name(item.input_name) else None
        if param is None:
            raise CannotImport("this translator", f"Python name for its input {item.input_name}", item.pos)
        self.names.taken.discard(param)
        saved = dict(self.names.locals)
        self.names.locals[item.input_name] = param
        try:
            raw = [(py_string(m.name), self.ex.code(m.value)) for m in item.members]
        finally:
            self.names.locals = saved
        open_, close = ("[", "]") if pairs else ("{", "}")
        members = raw
        head = (f"t.translator({py_string(out)}, {py_string(inp)}, {py_string(item.input_name)}, "
                f"lambda {param}: {open_}")
        if not members:
            self._block([head + close + ")"])
            return
        indent, closing = "    ", [close + ")"]
        out_lines = [head]
        if len(head) > pyfmt.WIDTH:
            # one argument a line, the members one level deeper, as black lays out a long call
            out_lines = ["t.translator("] + [f"    {arg}," for arg in (
                py_string(out), py_string(inp), py_string(item.input_name))] + \
                [f"    lambda {param}: {open_}"]
            indent, closing = "        ", [f"    {close},", ")"]
        for key, value in raw:
            if pairs:
                out_lines += pyfmt.wrap_value(f"({key}, ", value, "),", indent)
            else:
                out_lines += pyfmt.wrap_value(f"{key}: ", value, ",", indent)
        self._block(out_lines + closing)

    def i_Provider(self, item):
        probes = []
        for probe in item.probes:
            text = to_d(probe)
            probes.append(py_string(text[len("probe "):-1]))
        self._block(pyfmt.wrap(f"t.provider({', '.join([py_string(item.name)] + probes)})"))

    def i_Clause(self, item):
        check_desc, checked = self._check_desc, self._checked_descs
        probes = item.probes
        for desc in probes:
            # what t.probe() would refuse (five fields, a stray character, a provider misspelled):
            # located at the description, as `check` reports it, instead of a module that fails
            text = desc.text
            if text not in checked:  # (a text once: 26,000 clauses of one probe in dense D)
                try:
                    check_desc(text, None)  # (its position is made only for the error)
                except DSLError:
                    check_desc(text, desc.pos)
                    raise
                if len(checked) > 4096:
                    checked.clear()
                checked.add(text)
        if self.plan.headers:
            record = self.plan.headers.get(id(item))
            if record is not None:
                var, columns, sep = record
                self._names_changed()
                self.record_names[var] = name = self.names.fresh(var)
                cols = ", ".join(f"({py_string(title)}, {py_string(fmt)})" for title, fmt in columns)
                extra = f", sep={py_string(sep)}" if sep != "," else ""
                self._block(pyfmt.wrap(f"{name} = t.record({cols}{extra})"))
                return
        ex = self.ex
        descs = ", ".join([py_string(d.text) for d in probes]) if len(probes) != 1 else py_string(text)
        predicate, body = item.predicate, item.body
        if body is None:
            ex.in_body = False
            if predicate is not None:
                descs += f", when={self._predicate(predicate)}"
            self._block(pyfmt.wrap(f"t.clause({descs})"))
            return
        # A clause whose predicate and body are an earlier one's (equal trees: the scan's ``same``)
        # is written as that one was: what is written for a tree depends on the tree and on names
        # that change only where _names_changed says so (4 MiB of dense D: one clause 26,000
        # times; entry/return pairs: two)
        written = self._written
        known = None
        if written is not None:
            key = id(self._same.get(id(item), item))  # (alive: the scan's and this program's)
            known = written.get(key)
        if known is not None:
            when, out, verb = known
        else:
            ex.in_body = False
            when = "" if predicate is None else f", when={self._predicate(predicate)}"
            verb = _verb(body, self.scan.calls.get(id(item), _NO_CALLS))
        name = self.names.fresh(_clause_name(verb, probes))
        line = f"@t.probe({descs}{when})"
        lines = [line] if len(line) <= pyfmt.WIDTH and "\n" not in line else pyfmt.wrap(line)
        lines.append(f"def {name}():")
        if known is None:
            ex.in_body = True
            tail = self._place_body_comments(item) if self.comments is not None else ()
            out = self.statements(body, "    ") if body else []
            ex.in_body = False
            for text in tail:
                out += pyfmt.comment(text, "    ")
            if written is not None and key in self._firsts:
                if len(written) >= 4096:  # (bounded: a script of many distinct clauses)
                    written.clear()
                written[key] = (when, tuple(out), verb)
        lines += out or ["    pass"]
        self._defining.add(id(self._block(lines)))

    def _predicate(self, predicate) -> str:
        try:
            return self.ex.emit(predicate).code
        except RecursionError:
            raise too_deep(predicate) from None

    def _place_body_comments(self, clause) -> list[str]:
        """Share out the comments inside ``clause`` (see body_comments): one on a statement's
        line trails it, the others lead the next statement; those after the last statement are
        returned (they end the body).  A comment on a statement the idioms dropped (hand zeroing)
        goes with it, or leads what follows."""
        if self.comments is None:  # (no comment in the text: no position)
            return []
        pos = clause.pos
        nxt = self._next_pos()
        if pos is None or pos.file != getattr(nxt, "file", pos.file):
            return []
        found = self.comments.between((pos.line, pos.col or 1), (nxt.line, nxt.col or 1) if nxt else None)
        if not found:
            return []
        starts = sorted(key for key in map(_stmt_key, _all_statements(clause.body)) if key is not None)
        lines_of = {line for line, _ in starts}
        tail: list[str] = []
        for c in found:
            if c.trailing and c.line in lines_of:
                key = max(k for k in starts if k[0] == c.line and k < (c.line, c.col)) \
                    if any(k[0] == c.line and k < (c.line, c.col) for k in starts) else None
                if key is not None and "\n" not in c.text:
                    self.trailing[key] = (self.trailing[key] + "; " if key in self.trailing else "") + c.text
                    continue
            after = [k for k in starts if k > (c.line, c.col)]
            if after:
                self.leading.setdefault(after[0], []).extend(c.text.split("\n"))
            else:
                tail.extend(c.text.split("\n"))
        return tail

    # --- statements ----------------------------------------------------------------------------
    def statements(self, stmts, indent) -> list[str]:
        if not (self.leading or self.trailing):  # (no comment to place: what follows, less the keys)
            if len(stmts) == 1:
                return self.statement(stmts[0], indent)
            out = []
            for stmt in stmts:
                out += self.statement(stmt, indent)
            return out
        out = []
        for stmt in stmts:
            key = _stmt_key(stmt) if self.leading or self.trailing else None  # (comments to place)
            for text in self.leading.pop(key, ()):
                out += pyfmt.comment(text, indent)
            lines = self.statement(stmt, indent)
            note = self.trailing.pop(key, None)
            if note is not None:
                # on the line that opens the statement (an if's `with`), else on its last
                at = 0 if isinstance(stmt, tree.If) else len(lines) - 1
                if len(lines[at]) + 4 + len(note) <= pyfmt.WIDTH:
                    lines[at] += "  # " + note
                else:
                    lines[:0] = pyfmt.comment(note, indent)
            out += lines
        return out

    def statement(self, stmt, indent) -> list[str]:
        if self.plan.rows:
            var = self.record_names.get(self.plan.rows.get(id(stmt)))
            if var is not None:
                try:
                    args = ", ".join(self.ex.code(a) for a in stmt.expr.args[1:])
                except RecursionError:
                    raise too_deep(stmt.expr) from None
                return pyfmt.wrap(f"{var}.emit({args})", indent)
        if stmt.__class__ is tree.ExprStmt:
            self.assigned = None
            try:
                line = self.expr_statement(stmt.expr)
            except RecursionError:
                raise too_deep(stmt.expr) from None
            if len(indent) + len(line) <= pyfmt.WIDTH and "\n" not in line:  # (pyfmt.wrap's first case)
                return [indent + line]
            value = self.assigned
            if value is not None and value.__class__ is Chain and "\n" not in line:
                # (``target = a + b + ...``: broken from the chain's parts, not parsed back)
                lines = pyfmt.wrap_chain(line[:len(line) - len(value.code)], value, indent)
                if lines is not None:
                    return lines
            return pyfmt.wrap(line, indent)
        if isinstance(stmt, tree.If):
            return self.if_statement(stmt, indent, "if_")
        if isinstance(stmt, tree.EmptyStmt):
            raise CannotImport("the empty statement `;`", "empty statement", stmt.pos)
        if isinstance(stmt, tree.Block):
            raise CannotImport("a block `{ ... }` inside a clause", "block statement outside an if", stmt.pos)
        raise CannotImport(f"the statement {type(stmt).__name__}", "such statement", stmt.pos)

    def if_statement(self, stmt, indent, fn) -> list[str]:
        if len(indent) > 4 * _MOST_NESTED_BLOCKS:  # (the body of a def is at 4: one block a level)
            raise CannotImport(f"an if nested more than {_MOST_NESTED_BLOCKS} deep", "way to nest it so deeply "
                               f"(Python refuses more than {_MOST_NESTED_BLOCKS} nested with blocks: \"too many "
                               "statically nested blocks\")", stmt.pos)
        self.names.use(fn)
        try:
            cond = self.ex.code(stmt.cond)
        except RecursionError:
            raise too_deep(stmt.cond) from None
        lines = pyfmt.wrap(f"with {fn}({cond}):", indent)
        lines += self.statements(self._branch(stmt.then, "an if", stmt), indent + "    ") or [indent + "    pass"]
        other = stmt.otherwise
        if isinstance(other, tree.If):
            lines += self.if_statement(other, indent, "elif_")
        elif other is not None:
            self.names.use("else_")
            lines.append(f"{indent}with else_():")
            lines += self.statements(self._branch(other, "an else", stmt), indent + "    ") or [indent + "    pass"]
        return lines

    def _branch(self, part, what, stmt):
        """The statements of an if's or else's branch.  The DSL writes every branch in braces, so
        one without (`if (x) y = 1;`) is the same program only where layout does not count: the
        idiomatic module takes it, the faithful one (whose D must be the original's) cannot."""
        if isinstance(part, tree.Block):
            return part.body
        if self.exact:
            raise CannotImport(f"{what} without braces exactly",
                               f"{what[3:]} whose body is not a {{ block }} (the DSL writes braces; "
                               "import without --exact takes it)", part.pos or stmt.pos)
        return (part,)

    def expr_statement(self, node) -> str:
        ex = self.ex
        if node.__class__ is tree.Assign:
            if node.target.__class__ is tree.SelfVar:
                # (``self->x = v``, the usual statement: assign_target's and scoped's text for
                # it, without their calls, when the name is an attribute's)
                name = node.target.name
                self.names.imports.add("self")
                if is_attr_name(name) and not name.startswith("_"):
                    value = self.assigned = ex.emit(node.value)
                    return f"self.{name} {node.op} {value.code}"
            target = self.assign_target(node.target)
            value = ex.emit(node.value)
            if target is not None and not (node.target.__class__ is tree.AggVar and node.target.name == ""):
                if "[" not in target:  # (a subscript target is broken with its keys: pyfmt.wrap's)
                    self.assigned = value
                return f"{target} {node.op} {value.code}"
            args = [ex.emit(node.target).code, value.code]
            if node.op != "=":
                args.append(py_string(node.op))
            return f"{self.names.use('assign')}({', '.join(args)})"
        if isinstance(node, tree.Call):
            fn = ex.function_name(node, statement=True)
            if fn is not None and node.name in ex.actions.ACTIONS:
                return ex.call(fn, node.args).code  # (e_Call's, its function_name already asked)
        return f"{self.names.use('stmt')}({ex.emit(node).code})"

    def assign_target(self, node) -> str | None:
        """Python assignment-target text that rebuilds ``node`` as an assignment target, or None."""
        cls = node.__class__
        if cls is tree.SelfVar:  # (e_SelfVar's code, without its Py: every self->x = v)
            text = self.ex.scoped("self", node.name)
            return text if "(" not in text else None
        if cls is tree.ThisVar or cls is tree.AggVar:
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


def too_deep(node) -> CannotImport:
    """The refusal of an expression nested deeper than the writer recurses (a chain of 15,000
    operators), located at ``node``, the expression (or the item) being written, as `check` locates
    its errors, not at the script's first line."""
    return CannotImport("this expression", "way to nest expressions this deeply", node.pos)


def _docstring_text(name: str) -> str:
    """A file name as it may stand in a docstring: printable UTF-8 (a byte that is not UTF-8 as
    ``\\xff``), backslashes and quotes escaped so that the docstring reads the name."""
    from dtracepy.inputs import printable_name

    return printable_name(name).replace("\\", "\\\\").replace('"', '\\"')


# --- clause names -------------------------------------------------------------------------------
#: How many blocks Python nests in one function (CPython's CO_MAXBLOCKS): each `with if_(...)` is one.
_MOST_NESTED_BLOCKS = 20

_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")
_UNDERSCORES = re.compile(r"_+")


def _ident(text: str) -> str:
    if not (text.isascii() and text.isidentifier()):  # (an ASCII identifier has nothing to replace)
        text = _NOT_NAME.sub("_", text.replace("*", ""))
    text = text.strip("_").lower()
    if "__" in text:  # (a run of underscores made one: a single one stays as it is)
        text = _UNDERSCORES.sub("_", text)
    if not text or text[0].isdigit():
        text = "probe_" + text if text else "probe"
    return text


def _probe_part(desc: str) -> str:
    """The part of a clause's function name that a probe description gives."""
    part = _PARTS.get(desc)
    if part is not None:
        return part
    if desc in ("BEGIN", "END", "ERROR"):
        part = desc.lower()
    else:
        parts = desc.split(":")  # (four fields, as fields() gives them, without keeping them)
        provider, module, function, name = parts if len(parts) == 4 else fields(desc)
        if provider.startswith(("profile", "tick")) or (not function and not module and name.startswith(("profile-", "tick-"))):
            part = _ident(name or provider)
        elif function and name:
            part = _ident(f"{function}_{name}")
        else:
            part = _ident("_".join(p for p in (provider if not function else "", function, name) if p)) or "probe"
    if len(_PARTS) >= 4096:  # (bounded: a long-lived process imports many scripts)
        _PARTS.clear()
    _PARTS[desc] = part
    return part


_PARTS: dict[str, str] = {}  # description -> its part (26,000 clauses of one probe in dense D)


_PRINTING = frozenset({"printf", "printa", "print", "trace", "tracemem"})
_NO_CALLS: frozenset = frozenset()  # (a body's calls when it has none)


def _verb(body, calls=None) -> str:
    """``calls``: the names of the functions ``body`` calls, when known (a clause's scan)."""
    if not body:
        return "trace"
    if calls is None:
        calls = {node.name for stmt in body for node in stmt.walk() if isinstance(node, tree.Call) and node.name}
    if calls:  # (what the calls decide first: the statements need not be counted for it)
        if "exit" in calls and len(body) == 1:
            return "stop"
        if not calls.isdisjoint(_PRINTING):
            return "report" if "printa" in calls else "print"
    if len(body) == 1 and (expr := getattr(body[0], "expr", None)).__class__ is tree.Assign and \
            expr.target.__class__ is tree.SelfVar and expr.value.__class__ is not tree.IntLit:
        return "remember"  # (one thread-local set to what is no literal: what the count says)
    aggs = zeroes = sets = 0
    ExprStmt, Assign, Index, IntLit = tree.ExprStmt, tree.Assign, tree.Index, tree.IntLit
    for stmt in body:
        if stmt.__class__ is ExprStmt and stmt.expr.__class__ is Assign:
            target = stmt.expr.target
            while target.__class__ is Index:
                target = target.base
            if target.__class__ is tree.AggVar:
                aggs += 1
            elif stmt.expr.op == "=" and (value := stmt.expr.value).__class__ is IntLit and (
                    value.text == "0" or value.value == 0):  # (is_zero: the usual spelling first)
                zeroes += 1
            else:
                sets += 1
    if aggs:
        return "count" if "count" in calls and len(calls) == 1 else "aggregate"
    if zeroes and not sets:
        return "clear"
    if sets:
        return "remember"
    return "on"


def clause_name(clause: tree.Clause, calls=None) -> str:
    """The name of the clause's function (``calls``: its body's, when known: see _verb)."""
    return _clause_name(_verb(clause.body, calls), clause.probes)


def _clause_name(verb: str, probes) -> str:
    """The name of the function of a clause of ``probes`` whose body's verb is ``verb``."""
    if len(probes) == 1:
        noun = _probe_part(probes[0].text)
    else:
        parts = []  # the first three distinct: all the name uses (a list search of all was quadratic)
        for desc in probes:
            part = _probe_part(desc.text)
            if part not in parts:
                parts.append(part)
                if len(parts) == 3:
                    break
        noun = parts[0] if len(parts) == 1 else f"{parts[0]}_etc"
        if len(parts) == 2 and len(parts[0]) + len(parts[1]) < 28:
            noun = f"{parts[0]}_{parts[1]}"
    name = f"{verb}_{noun}"[:48].rstrip("_")
    return name if not keyword.iskeyword(name) else name + "_"


def _stmt_key(stmt) -> "tuple[int, int] | None":
    pos = stmt.pos
    return None if pos is None else (pos.line, pos.col or 1)


def _all_statements(stmts):
    """The statements of a body, those inside ifs too."""
    for stmt in stmts or ():
        yield stmt
        if isinstance(stmt, tree.If):
            for part in (stmt.then, stmt.otherwise):
                if isinstance(part, tree.Block):
                    yield from _all_statements(part.body)
                elif part is not None:
                    yield from _all_statements((part,))
        elif isinstance(stmt, tree.Block):
            yield from _all_statements(stmt.body)
