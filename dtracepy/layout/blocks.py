"""A function's body, read for what gcc checks there that ``layout`` models (a mixin of
:class:`.cdecl._Converter`): each ``_Static_assert`` evaluated where it stands, and each
``_Alignas`` checked as on a file-scope object (on a ``register`` object refused), with the
types, typedefs and enumerators the blocks around it declare, each block's going out of scope at
its end.  A declaration whose type dtracepy does not evaluate (a variable length array's) ends the
reading of that body: what follows it is not checked (gcc would)."""

from __future__ import annotations

from pycparser import c_ast

from dtracepy.errors import LayoutError
from dtracepy.layout.fastc_decl import refused_derivation

# the statements that hold declarations or other statements (an expression holds neither here)
_STATEMENTS = (c_ast.If, c_ast.For, c_ast.While, c_ast.DoWhile, c_ast.Switch, c_ast.Case, c_ast.Default,
               c_ast.Label, c_ast.DeclList)


class BlockRules:
    """:meth:`function_body`; ``block_tags`` is None at file scope, else the tags the innermost
    block defined (a block may define a tag its outer scope has: it hides that one)."""

    block_tags: "set | None" = None

    def function_body(self, body: c_ast.Compound) -> None:
        stack: list = [body]
        scopes: list = []  # per open block: its snapshot of the names in scope, taken when it changes them
        try:
            while stack:
                node = stack.pop()
                cls = node.__class__
                if cls is list:  # the end of a block: its names out of scope
                    self._leave_block(scopes.pop())
                elif cls is c_ast.Compound:
                    scopes.append([None, self.block_tags])
                    self.block_tags = set()
                    stack.append([])
                    stack.extend(reversed(node.block_items or ()))
                elif cls is c_ast.StaticAssert:
                    self.static_assert(node)
                elif cls is c_ast.Decl or cls is c_ast.Typedef:
                    if not self._block_declaration(node, scopes[-1]):
                        break
                elif isinstance(node, _STATEMENTS):
                    stack.extend(reversed([child for _, child in node.children()]))
        finally:
            while scopes:
                self._leave_block(scopes.pop())

    def _block_declaration(self, node, scope: list) -> bool:
        """A block's declaration: its types kept in the block's scope, its _Alignas checked; False
        where its type is one dtracepy does not evaluate."""
        align = getattr(node, "align", None) if cls_is_decl(node) else self.pre.typedef_alignas.get(id(node))
        base = node.type
        while base.__class__ in (c_ast.TypeDecl, c_ast.PtrDecl, c_ast.ArrayDecl):
            base = base.type
        if not align and cls_is_decl(node) and base.__class__ not in (c_ast.Struct, c_ast.Union, c_ast.Enum):
            return True  # (an object of a type declared before: nothing to keep or check)
        if align:
            for spec in align:
                self.alignas_value(spec)
            if cls_is_decl(node) and "register" in node.storage:
                self.alignas(node, None, "register")
            if not cls_is_decl(node):
                self.alignas(node, None, "typedef", align)
        if scope[0] is None:
            scope[0] = (dict(self.typedefs), dict(self.tags), dict(self.enumerators), dict(self.named))
        if isinstance(node.type, c_ast.FuncDecl):
            self.function_alignas(node)
            return True
        try:
            t = self.type_of(node.type)[0]
        except LayoutError as err:
            if "not a known constant" in err.message:  # (a variably modified type)
                return False
            raise
        if cls_is_decl(node):
            if align and node.name is not None:
                self.alignas(node, t, "object")
        else:
            self.typedefs[node.name] = (t, node.name)
            self.named.pop((node.name,), None)
        return True

    def function_rules(self, node) -> None:
        """What gcc refuses in a function's definition that only pycparser's path reads (the fast
        reader refuses each, in the same words, where it reads the header: ``fastc``), in gcc's
        words at gcc's place: ``_Thread_local`` on it; a prototype's parameters followed by K&R
        declarations; a K&R declaration with a storage class or ``typedef`` (as read), or of a
        name not in the identifier list (gcc reports them last first, after the others); a
        declaration in its body of a function returning a function or an array, or of an array
        of functions."""
        decl = node.decl
        if "_Thread_local" in decl.storage:
            self.error("function definition declared '_Thread_local'", decl)
        func = decl.type  # (the function's own: pycparser's chain is read from the name outwards)
        if node.param_decls:
            params = func.args.params if func.__class__ is c_ast.FuncDecl and func.args is not None else ()
            listed = {getattr(p, "name", None) for p in params}
            stray = None
            seen = set()
            for p in node.param_decls:
                self._refuse_derivation(p)
                if p.__class__ is c_ast.Typedef or p.storage and p.storage != ["register"]:
                    self.error(f"storage class specified for parameter '{p.name}'", p)
                if getattr(p, "init", None) is not None:  # (gcc: at its input_location as the '=' is read)
                    raise LayoutError(f"parameter '{p.name}' is initialized", self.input_location(p))
                if p.name in seen:  # (int a; int a;: at the second's name, as gcc)
                    self.error(f"redefinition of parameter '{p.name}'", _named(p))
                seen.add(p.name)
                if p.name not in listed:
                    stray = p
            if params and params[0].__class__ is not c_ast.ID:  # (after those: gcc's order)
                self.error("old-style parameter declarations in prototyped function definition", decl)
            if stray is not None:  # (at its name: pycparser's Decl of (*b)(void) is at its '(')
                self.error(f"declaration for parameter '{stray.name}' but no such parameter", _named(stray))
        stack = [node.body]
        while stack:  # (pycparser read the body: its depth is within Python's)
            n = stack.pop()
            if n.__class__ is c_ast.Decl or n.__class__ is c_ast.Typedef:
                self._refuse_derivation(n)
            stack.extend(child for _, child in n.children())

    def _refuse_derivation(self, node) -> None:
        """gcc's refusal of a declaration (Decl or Typedef) of a function returning a function or
        an array, or of an array of functions, at its name."""
        if node.type.__class__ is not c_ast.TypeDecl:
            found = refused_derivation(node.type)
            if found is not None:
                self.error(found[0].format(node.name), found[1] if found[1].coord is not None else node)

    def _leave_block(self, scope: list) -> None:
        snapshot, self.block_tags = scope
        if snapshot is not None:
            for now, before in zip((self.typedefs, self.tags, self.enumerators, self.named), snapshot):
                now.clear()
                now.update(before)


def cls_is_decl(node) -> bool:
    return node.__class__ is c_ast.Decl


def _named(decl):
    """The node of ``decl``'s name (pycparser's Decl of ``(*b)(void)`` is at its '('), or ``decl``."""
    named = decl.type
    while named.__class__ is not c_ast.TypeDecl and getattr(named, "type", None) is not None:
        named = named.type
    return named if getattr(named, "coord", None) is not None else decl
