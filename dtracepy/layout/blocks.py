"""A function's body, read for what gcc checks there that ``layout`` models (a mixin of
:class:`.cdecl._Converter`): each ``_Static_assert`` evaluated where it stands, and each
``_Alignas`` checked as on a file-scope object (on a ``register`` object refused), with the
types, typedefs and enumerators the blocks around it declare, each block's going out of scope at
its end.  A declaration whose type dtracepy does not evaluate (a variable length array's) ends the
reading of that body: what follows it is not checked (gcc would)."""

from __future__ import annotations

from pycparser import c_ast

from dtracepy.errors import LayoutError

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

    def _leave_block(self, scope: list) -> None:
        snapshot, self.block_tags = scope
        if snapshot is not None:
            for now, before in zip((self.typedefs, self.tags, self.enumerators, self.named), snapshot):
                now.clear()
                now.update(before)


def cls_is_decl(node) -> bool:
    return node.__class__ is c_ast.Decl
