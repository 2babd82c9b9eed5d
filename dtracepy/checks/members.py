"""Members of the structs and unions a program defines itself (part of the rules family:
:func:`dtracepy.checks.rules.run` yields these for a D file): ``member-name``, ``xlate`` and a
translator's ``operand-type``.

``p->b`` or ``s.b`` where the type of ``p`` or ``s`` is known here to be a struct or union the
program defines, and that type has no member ``b``, is refused by every D compiler ("b is not a
member of struct foo"); so is a translator's member its output struct lacks ("translator member
b is not a member of struct foo").  The type is known of a cast (``((struct foo *)arg0)->b``), of a
variable declared with it (``this struct foo *x;``, ``self``, a global), of a member of such a
type (``this->x->inner.b``), through a typedef of the program, and of a variable every assignment
of which is a cast to one such type or 0 (``this->x = (struct foo *)arg0;``).  A struct the
program does not define (the kernel's), one with an unnamed member, a type reached otherwise, and
a script using the C preprocessor (a macro may rename a member) are not judged.

A translator member given a string where the member is an integer, or the reverse, is refused
("translator member a definition uses incompatible types: "int" = "string"": ``operand-type``);
so is ``xlate<struct foo>(x)`` of a struct the program defines when none of the program's
translators to it takes x, or it has none ("cannot translate from "int" to "struct foo"":
``xlate``; a library cannot declare a translator to the program's own type).
"""

from __future__ import annotations

from dtracepy import tree as t
from dtracepy.checks.declarations import _declared_name
from dtracepy.checks.keys import _KINDS, type_kind
from dtracepy.checks.printf import kind as _kind
from dtracepy.source import Pos

_QUALIFIERS = ("const", "volatile", "restrict")


def run(ctx):
    if ctx.uses_cpp or not ctx.of(t.StructSpec):
        return
    members, translators, xlates = ctx.of(t.Member), ctx.of(t.Translator), ctx.of(t.Xlate)
    if not members and not translators and not xlates:
        return
    types = _Types(ctx)
    if not types.defined:
        return
    forward = severity = None
    for node in members:
        found = types.of(node.base)
        if found is None:
            continue
        definition, depth = found
        if depth != (1 if node.op == "->" else 0):
            continue  # (another error: not judged here)
        if forward is None:
            from dtracepy.checks import nested

            forward, severity = nested.forward_tags(ctx), nested.severity(ctx)
        tag = (definition.kind, definition.name)
        if tag in forward and severity is not None and types.by_tag(node.base):
            from dtracepy.checks.nested import forward_note

            yield ctx.finding("incomplete-type", node, f"{node.op} applied to {'a pointer to ' if depth else ''}"
                              f"{tag[0]} {tag[1]}, which Oracle's dtrace 2.0 refuses (\"operator {node.op} cannot be "
                              f"applied to a forward declaration: no {tag[0]} {tag[1]} definition is available\"): "
                              f"{forward_note(*tag)}", severity=severity)
            continue
        names = types.names(definition)
        if names is not None and node.name not in names:
            yield ctx.finding("member-name", _at_name(ctx, node), f"{definition.kind} {definition.name} has no member "
                              f"{node.name} (dtrace: \"{node.name} is not a member of {definition.kind} "
                              f"{definition.name}\"){_members_hint(names)}")
    for node in translators:
        found = types.spelled(node.output)
        if found is None or found[1] != 0:
            continue
        names = types.names(found[0])
        if names is None:
            continue
        definition = found[0]
        for member in node.members:
            if member.name not in names:
                yield ctx.finding("member-name", member, f"this translator's output, {definition.kind} "
                                  f"{definition.name}, has no member {member.name} (dtrace: \"translator member "
                                  f"{member.name} is not a member of {definition.kind} {definition.name}\")"
                                  f"{_members_hint(names)}", fallback=node)
            else:
                yield from _member_value(ctx, node, member, definition)
    if xlates:
        yield from _xlates(ctx, types, xlates, translators)


def _member_value(ctx, node, member, definition):
    """A translator member given a string where its member is an integer, or the reverse."""
    value = member.value
    if value.__class__ is t.IntLit and value.text in ("0", "0x0", "00"):
        return  # (0 is also the null string)
    if value.__class__ is t.Ident and value.name == node.input_name:
        have = type_kind(node.input.specifiers, node.input.declarator)
    else:
        have = _kind(value)
    for field in definition.members:
        for fd in field.declarators:
            if fd.declarator is not None and _declared_name(fd.declarator) == member.name:
                want = type_kind(field.specifiers, fd.declarator)
                if want in _KINDS and have in _KINDS and want != have:
                    yield ctx.finding("operand-type", value, f"translator member {member.name} is {_a(want)}, "
                                      f"given {_a(have)} (dtrace: \"translator member {member.name} definition "
                                      f"uses incompatible types: \"{_d(want)}\" = \"{_d(have)}\"\")",
                                      fallback=member)
                return


def _xlates(ctx, types, xlates, translators):
    """xlate<struct foo>(x) of a struct the program defines: some translator of the program must
    take x (a library cannot translate to the program's own type)."""
    inputs: dict = {}  # the output's StructSpec (by id) -> what its translators take (see _taken)
    for node in translators:
        found = types.spelled(node.output)
        if found is not None and found[1] == 0:
            taken = types.spelled(node.input)
            taken = (id(taken[0]), taken[1]) if taken is not None else type_kind(
                node.input.specifiers, node.input.declarator)
            inputs.setdefault(id(found[0]), []).append(taken)
    for node in xlates:
        found = types.spelled(node.type)
        if found is None or found[1] > 1:
            continue
        definition = found[0]
        known = inputs.get(id(definition), [])
        have = types.of(node.operand)
        have = (id(have[0]), have[1]) if have is not None else _kind(node.operand)
        if known and (have is None or have == "agg" or None in known or have in known
                      or any(k.__class__ is not have.__class__ for k in known)):
            continue  # (a pointer for an integer, or the reverse: not judged here)
        target = f"{definition.kind} {definition.name}"
        if not known:
            why = f"the program declares no translator to {target}"
        else:
            why = f"none of its translators to {target} takes this operand's type"
        shown = "string" if have == "string" else "int" if node.operand.__class__ is t.IntLit else "..."
        quoted = f"\"cannot translate from \"{shown}\" to \"{target}\"\""
        yield ctx.finding("xlate", node, f"xlate<{target}{' *' if found[1] else ''}>(...): {why} "
                          f"(dtrace: {quoted}): declare one above (translator {target} < ... > {{ ... }};)")


def _a(kind) -> str:
    return "an integer" if kind == "int" else "a string"


def _d(kind) -> str:
    return "int" if kind == "int" else "string"


class _At:
    __slots__ = ("pos",)

    def __init__(self, pos):
        self.pos = pos


def _at_name(ctx, node):
    """Where the member's name stands (``b`` of ``this->x->b``), when it is on the line the
    expression starts on; else the expression."""
    pos = node.pos
    line = ctx.line_text(pos, node) if pos is not None and pos.col else None
    if line is None:
        return node
    import re

    found = re.compile(rf"{re.escape(node.op)}\s*({node.name})\b").search(line, pos.col - 1)
    return _At(Pos(pos.file, pos.line, found.start(1) + 1)) if found else node


def _members_hint(names) -> str:
    shown = sorted(names)
    return f"; its members: {', '.join(shown[:8])}{' ...' if len(shown) > 8 else ''}" if shown else ""


class _Types:
    """The program's struct and union definitions, typedefs and typed variables."""

    def __init__(self, ctx):
        self.defined: dict = {}  # (kind, tag) -> the first StructSpec that defines it
        for spec in ctx.of(t.StructSpec):
            if spec.members is not None and spec.name is not None:
                self.defined.setdefault((spec.kind, spec.name), spec)
        self.typedefs: dict = {}  # name -> (specifiers, declarator)
        self.variables: dict = {}  # (scope, name) -> (specifiers, declarator)
        for item in ctx.items_of(t.Declaration):
            specifiers = item.specifiers
            for declarator in item.declarators:
                name = _declared_name(declarator)
                if name is None:
                    continue
                if "typedef" in specifiers:
                    self.typedefs.setdefault(name, (specifiers, declarator))
                else:
                    scope = "self" if "self" in specifiers else "this" if "this" in specifiers else "global"
                    self.variables.setdefault((scope, name), (specifiers, declarator))
        self._assigned = None  # (scope, name) -> the one type every assignment gives it, or None
        self._ctx = ctx

    def names(self, definition):
        """The member names of a definition, or None when one is unnamed (not judged)."""
        names = set()
        for field in definition.members:
            for fd in field.declarators:
                name = _declared_name(fd.declarator) if fd.declarator is not None else None
                if name is None:
                    if fd.declarator is None and fd.width is not None:
                        continue  # (an unnamed bit-field: padding)
                    return None
                names.add(name)
            if not field.declarators:
                return None  # (an anonymous struct or union member)
        return names

    def of(self, expr, depth=0):
        """(the StructSpec defining the type, pointer depth) of an expression, or None."""
        cls = expr.__class__
        if cls is t.Cast:
            return self.spelled(expr.type)
        if cls is t.ThisVar or cls is t.SelfVar or (cls is t.Ident and expr.module is None):
            scope = "this" if cls is t.ThisVar else "self" if cls is t.SelfVar else "global"
            declared = self.variables.get((scope, expr.name))
            if declared is not None:
                return self._resolved(*declared)
            return self.assigned().get((scope, expr.name)) if cls is not t.Ident or expr.module is None else None
        if cls is t.Member and depth < 32:
            found = self.of(expr.base, depth + 1)
            if found is None or found[1] != (1 if expr.op == "->" else 0):
                return None
            for field in found[0].members:
                for fd in field.declarators:
                    if fd.declarator is not None and _declared_name(fd.declarator) == expr.name:
                        return self._resolved(field.specifiers, fd.declarator)
        return None

    def by_tag(self, expr) -> bool:
        """Is the type :meth:`of` finds for ``expr`` named by its tag (a cast, a variable), not
        reached through a member whose declaration holds the definition itself (``y`` of
        ``struct foo { struct bar { ... } y; }``)?"""
        if expr.__class__ is not t.Member:
            return True
        found = self.of(expr.base)
        if found is None:
            return True
        for field in found[0].members:
            for fd in field.declarators:
                if fd.declarator is not None and _declared_name(fd.declarator) == expr.name:
                    return not any(w.__class__ is t.StructSpec and w.members is not None for w in field.specifiers)
        return True

    def assigned(self) -> dict:
        """The type of each undeclared variable that D types by its first assignment, where every
        assignment of it in the program is ``=`` of a cast to one struct type of the program
        (``this->x = (struct foo *)arg0``): a variable assigned anything else is left out."""
        if self._assigned is None:
            found: dict = {}
            for node in self._ctx.of(t.Assign):
                target = node.target
                cls = target.__class__
                if cls is t.ThisVar or cls is t.SelfVar or (cls is t.Ident and target.module is None):
                    key = ("this" if cls is t.ThisVar else "self" if cls is t.SelfVar else "global", target.name)
                    value = node.value
                    if value.__class__ is t.IntLit and value.text == "0":
                        continue  # (zeroing keeps its type: self->x = 0)
                    typed = self.spelled(value.type) if node.op == "=" and value.__class__ is t.Cast else None
                    if key in found and found[key] != typed:
                        typed = None
                    found[key] = typed
            self._assigned = {key: typed for key, typed in found.items() if typed is not None}
        return self._assigned

    def spelled(self, type_name):
        return self._resolved(type_name.specifiers, type_name.declarator)

    def _resolved(self, specifiers, declarator, hops=0):
        depth = 0
        while declarator.__class__ is t.PointerDecl:
            depth += 1
            declarator = declarator.target
        if declarator.__class__ is not t.NameDecl:
            return None  # (an array, a function: not judged)
        words = [s for s in specifiers if s not in _QUALIFIERS and s not in ("self", "this", "typedef", "extern")]
        if len(words) != 1:
            return None
        word = words[0]
        if word.__class__ is t.StructSpec:
            definition = word if word.members is not None else self.defined.get((word.kind, word.name))
            return (definition, depth) if definition is not None and word.name is not None else None
        if word.__class__ is t.TypeRef and word.module is None and hops < 16:
            typedef = self.typedefs.get(word.name)
            if typedef is not None:
                found = self._resolved(*typedef, hops=hops + 1)
                return (found[0], found[1] + depth) if found is not None else None
        return None
