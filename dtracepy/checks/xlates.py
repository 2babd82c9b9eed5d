"""``xlate``: ``xlate <psinfo_t *> (x)`` of a type the D library's translators to it do not take
(part of the operand checks, :func:`dtracepy.checks.operands.run`: ``check`` and ``compile``).

dtrace translates with a translator whose input type is ``x``'s (const and volatile aside) or
from a ``void *``, and refuses any other: "cannot translate from "string" to "psinfo_t *""
(:data:`dtracepy.facts.translated.LIBRARY_TRANSLATORS`).  A string or an integer is refused in
every dialect (their translators to these types take pointers); a cast to another pointer, and
``curthread``, are judged for Oracle's D only (its kernel's structs).  Not judged: a program
declaring its own translator to that type, or using the C preprocessor (a macro may be anything).
"""

from __future__ import annotations

from dtracepy import tree as t
from dtracepy.checks.printf import kind as _kind
from dtracepy.facts import translated as T

_QUALIFIERS = frozenset({"const", "volatile"})


def run(ctx):
    xlates = ctx.of(t.Xlate)
    if not xlates or ctx.uses_cpp:
        return
    own = {_name(node.output) for node in ctx.of(t.Translator)}
    dialect = ctx.options.dialect.name if ctx.options.dialect_given else None
    inputs = T.LIBRARY_TRANSLATORS.get(dialect, {}) if dialect else {}
    for node in xlates:
        output = _name(node.type)
        if output is None or output in own or output not in T.POINTER_INPUT_TRANSLATED:
            continue
        target = output + (" *" if node.type.declarator.__class__ is t.PointerDecl else "")
        have = _kind(node.operand)
        if have not in ("string", "int"):
            have = _pointer_spelled(node.operand)
            if have is None or output not in inputs or have == "void *" or have in inputs[output]:
                continue
        taken = f"{' or '.join(inputs[output])} (or a void *)" if output in inputs else "pointers"
        yield ctx.finding("xlate", node, f"xlate<{target}>(...) of {_a(have)}: the D library's translators to "
                          f"{output} take {taken} (dtrace: \"cannot translate from \"{have}\" to \"{target}\"\")")


def _name(type_name) -> str | None:
    """The typedef name a translator's or xlate's type names (``psinfo_t`` of ``psinfo_t *``)."""
    words = [w for w in type_name.specifiers if w not in _QUALIFIERS]
    if len(words) != 1 or words[0].__class__ is not t.TypeRef or words[0].module is not None:
        return None
    declarator = type_name.declarator
    if declarator.__class__ is t.PointerDecl:
        declarator = declarator.target
    return words[0].name if declarator.__class__ is t.NameDecl else None


def _pointer_spelled(node) -> str | None:
    """``x``'s type as dtrace spells it when it is a pointer known here: a cast to one level of
    pointer to a struct, a typedef or void (``struct file *``), or curthread."""
    if node.__class__ is t.Ident and node.module is None and node.name == "curthread":
        return "struct task_struct *"
    if node.__class__ is not t.Cast:
        return None
    declarator = node.type.declarator
    if declarator.__class__ is not t.PointerDecl or declarator.target.__class__ is not t.NameDecl:
        return None
    words = [w for w in node.type.specifiers if w not in _QUALIFIERS]
    if words == ["void"]:
        return "void *"
    if all(w.__class__ is str for w in words):          # (char *, unsigned long *: no input type)
        return " ".join(words) + " *"
    word = words[0]
    if len(words) == 1 and word.__class__ is t.StructSpec and word.name is not None and word.members is None:
        return f"{word.kind} {word.name} *"
    return None             # (a typedef name may be another name of an input type: not judged)


def _a(have: str) -> str:
    return {"string": "a string", "int": "an integer"}.get(have, f"the type {have}")
