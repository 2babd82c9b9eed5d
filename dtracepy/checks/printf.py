"""printf-like formats (``printf``, ``printa``, ``system``, ``freopen``) against their arguments:
the count, and the type where it is known for certain.

Formats are read by :func:`dtracepy.facts.conversions.parse_format` (D's conversions, flags and
size prefixes are listed there).  A positional conversion (``%1$d``) is an error: no D supports it.

Beyond :func:`kind` (what other checks share), this check alone knows two more things of a value:
that it is a pointer (a cast to one, ``curthread``), which only ``%p``, ``%a`` and ``%A`` print,
in every dialect; and, in a dialect whose integer types are known for certain
(:data:`dtracepy.facts.conversions.BUILTIN_INTEGER_TYPES`), its C integer type, which the
conversions with a size prefix (``%ld`` needs a long) and ``%c``, ``%Y``, ``%T`` are judged by.
printa's ``%@`` conversions are judged so in every dialect: the value is a uint64_t for count(), an
int64_t for the others, whatever long's size (only ``%@lx``, which takes a long by name, waits for
a known one).
"""

from __future__ import annotations

from types import SimpleNamespace

from dtracepy import tree as t
from dtracepy.facts import conversions as C
from dtracepy.facts import functions as Fn
from dtracepy.facts import variables as V
from dtracepy.facts.conversions import Conv, FormatError, parse_format  # noqa: F401 - part of this module's API
from dtracepy.source import Pos

PRINTF_LIKE = Fn.PRINTF_LIKE


# The operators whose result is an integer whatever their operands.
_INT_RESULTS = frozenset(("==", "!=", "<", "<=", ">", ">=", "&&", "||", "^^"))

# The node classes whose kind is the class's, and the kind (what the tests below give them).
_KIND_OF_CLASS = {t.StringLit: "string", t.IntLit: "int", t.CharLit: "int", t.SizeofExpr: "int",
                  t.SizeofType: "int", t.Stringof: "string", t.AggVar: "agg"}


def kind(expr) -> str | None:
    """What we know for certain of an expression's type: ``string``, ``int``, ``stack``, ``agg``
    or None (unknown)."""
    cls = expr.__class__
    found = _KIND_OF_CLASS.get(cls)
    if found is not None:
        return found
    if cls is t.Ident:  # the usual arguments first (the same answers as the tests below)
        if expr.module is None:
            known = V.kind(expr.name)
            if known in ("string", "int"):
                return known
        return None
    if cls is t.Call:
        name = expr.name
        if name is not None:
            known = Fn.result(name)
            if known in ("string", "int", "stack"):
                return known
        return None
    if isinstance(expr, t.StringLit):
        return "string"
    if isinstance(expr, (t.IntLit, t.CharLit, t.SizeofExpr, t.SizeofType)):
        return "int"
    if isinstance(expr, t.Stringof):
        return "string"
    if isinstance(expr, t.AggVar):
        return "agg"
    if isinstance(expr, t.Ident) and expr.module is None:
        known = V.kind(expr.name)
        if known in ("string", "int"):
            return known
    if isinstance(expr, t.Call) and expr.name is not None:
        known = Fn.result(expr.name)
        if known in ("string", "int", "stack"):
            return known
    if isinstance(expr, t.Binary) and expr.op in _INT_RESULTS:
        return "int"
    if isinstance(expr, t.Binary) and expr.op not in (",",):
        if _binary_kind(expr) == "int":
            return "int"
    if isinstance(expr, t.Unary) and expr.op == "!":
        return "int"
    if isinstance(expr, t.Cast) and tuple(s for s in expr.type.specifiers if isinstance(s, str)) == ("string",):
        return "string"
    return None


def _binary_kind(expr) -> str | None:
    """:func:`kind` of a binary operator other than a comparison or ``,``: an integer when both
    operands are.  Down the left operands in a loop, not a call a level (a sum of 1,000 terms,
    ``x = p->a + p->a + ...``, was a RecursionError, "internal error in the checks": review 28),
    and the answers along a long chain kept (:data:`_CHAIN_KINDS`): the checks ask it of every
    operator of a chain, each of which walked the rest (19,000 terms, 26 s)."""
    chain = []
    node = expr
    while node.__class__ is t.Binary and node.op not in _INT_RESULTS and node.op != ",":
        kept = _CHAIN_KINDS.get(id(node))
        if kept is not None and kept[0] is node:
            found = kept[1]
            break
        chain.append(node)
        node = node.left
    else:
        found = kind(node)      # (the first left operand that is no such operator)
    keep = len(chain) > 32
    if keep and len(_CHAIN_KINDS) > 100_000:
        _CHAIN_KINDS.clear()
    for node in reversed(chain):
        found = "int" if found == "int" and kind(node.right) == "int" else None
        if keep:
            _CHAIN_KINDS[id(node)] = (node, found)
    return found


#: id(operator) -> (the operator, its _binary_kind), for the operators of long chains (at most some
#: 100,000 kept: cleared past that; the node is kept with its answer, so its id is not another's).
_CHAIN_KINDS: dict = {}


def _argument_kind(expr) -> str | None:
    """:func:`kind` of a printf argument, where also a cast to an integer type is an integer
    (``printf("%s", (char)1)`` is refused), and so are ``-``, ``+`` or ``~`` of an integer, an
    arithmetic operator's result whose operands are integers (``-1 + 1``) and ``c ? a : b`` of
    two integers; ``c ? a : b`` of two strings is a string (``printf("%d", c ? "a" : "b")`` is
    refused).  (Not in :func:`kind`: run/framing.py asks that of aggregation keys, and frames
    only those its recorded tests say.)"""
    found = kind(expr)
    if found is not None:
        return found
    cls = expr.__class__
    if cls is t.Cast:
        cast = _cast_type(expr.type)
        if cast is not None and cast != "pointer":
            return "int"
    elif cls is t.Unary and expr.op in _ARITHMETIC_UNARY:
        if _argument_kind(expr.operand) == "int":
            return "int"
    elif cls is t.Binary and expr.op in _ARITHMETIC:
        # (down the left operands in a loop, as in kind(): an arithmetic operator's result is an
        # integer here exactly when both operands are, whatever kind() says of it)
        rights = [expr.right]
        left = expr.left
        while left.__class__ is t.Binary and left.op in _ARITHMETIC:
            rights.append(left.right)
            left = left.left
        if _argument_kind(left) == "int" and all(_argument_kind(right) == "int" for right in rights):
            return "int"
    elif cls is t.Ternary:
        then = _argument_kind(expr.then)
        if then in ("int", "string") and _argument_kind(expr.otherwise) == then:
            return then
    return None


def type_problem(conv: str, k: str | None) -> str | None:
    """Why a conversion cannot print a value of kind ``k``; None when it can (or we do not know)."""
    if k is None:
        return None
    if k == "agg":
        return "an aggregation can only be printed by printa"
    if k == "stack":
        return None if conv == C.STACK_CONVERSION else "a stack can only be printed with %k"
    if conv == C.STACK_CONVERSION and k in ("int", "string"):
        return (f"%k prints a stack (a stack() or ustack() aggregation key, with printa), not "
                f"{'an integer' if k == 'int' else 'a string'} (dtrace: \"prototype: stack\")")
    if k == "string" and (conv in C.INTEGER_CONVERSIONS or conv in C.OTHER_NUMERIC_CONVERSIONS):
        return f"%{conv} needs an integer or pointer, not a string"
    if k == "int" and conv in C.STRING_CONVERSIONS:
        return f"%{conv} needs a string or char array, not an integer (use stringof or copyinstr)"
    if k == "int" and conv in C.FLOAT_CONVERSIONS:
        return (f"%{conv} needs a floating-point value, and D has none: print an integer with %d "
                f"(dtrace: \"prototype: float, double, or long double\")")
    return None


# The types of values this check alone reasons about (see the module's docstring): "pointer", or a
# name of :data:`dtracepy.facts.conversions.INTEGER_TYPES`; None when unknown.
_QUALIFIERS = frozenset({"const", "volatile", "restrict"})
_INTEGER_WORDS = {  # a cast's type words, sorted, less "int" and "signed" where they change nothing
    ("char",): "char", ("char", "signed"): "signed char", ("char", "unsigned"): "unsigned char",
    ("short",): "short", ("short", "unsigned"): "unsigned short", (): "int", ("unsigned",): "unsigned int",
    ("long",): "long", ("long", "unsigned"): "unsigned long", ("long", "long"): "long long",
    ("long", "long", "unsigned"): "unsigned long long",
}
_TYPE_WORDS = frozenset(("char", "short", "int", "long", "signed", "unsigned"))
# the typedefs a cast may name whose types are sure (D's own, the same in every program)
_TYPEDEFS = frozenset("int8_t uint8_t int16_t uint16_t int32_t uint32_t int64_t uint64_t intptr_t uintptr_t "
                      "size_t ssize_t".split())
_COMPARISONS = frozenset(("==", "!=", "<", "<=", ">", ">=", "&&", "||", "^^"))
#: Operators whose integer operands take D's arithmetic conversions (:func:`_converted`), the
#: shifts, whose result has the left operand's type, and the unary operators whose result has the
#: operand's type.  D promotes no narrow operand to int (``(short)1 + (short)1`` is a short: the
#: real dtrace's ``%hx`` takes it).
_ARITHMETIC = frozenset(("+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"))
_SHIFTS = frozenset(("<<", ">>"))
_ARITHMETIC_UNARY = frozenset(("-", "+", "~"))
#: The conversions judged by an integer's type in a dialect whose integer types are not known for
#: certain (:data:`dtracepy.facts.conversions.BUILTIN_INTEGER_TYPES`), given a type of 32 bits at
#: most (char, short and int are those sizes in every data model, where long may be 32 bits or 64):
#: what they need is no long, so the answer is the same in every data model (``printf("%Y", -1)``).
_SURE_EVERYWHERE = frozenset(("c", "C", "T", "Y", "hd", "hi", "ho", "hu", "hx", "hX"))


def _cast_type(type_name) -> str | None:
    if type_name.declarator.__class__ is t.PointerDecl:
        return "pointer"
    if type_name.declarator.__class__ is not t.NameDecl:
        return None
    words = [s for s in type_name.specifiers if s not in _QUALIFIERS]
    if len(words) == 1 and words[0].__class__ is t.TypeRef and words[0].module is None:
        return words[0].name if words[0].name in _TYPEDEFS else None
    if not words or not all(w.__class__ is str and w in _TYPE_WORDS for w in words):
        return None
    if "signed" in words and "unsigned" in words:
        return None
    key = tuple(sorted(w for w in words if w not in ("int", "signed")))
    return "signed char" if key == ("char",) and "signed" in words else _INTEGER_WORDS.get(key)


def _literal_type(node) -> str | None:
    """An integer constant's type, as D gives it (the first of int, long ... its value fits)."""
    digits = node.text.rstrip("uUlL")
    suffix = node.text[len(digits):].lower()
    value = node.value
    unsigned, longs = "u" in suffix, suffix.count("l")
    decimal = not (len(digits) > 1 and digits[0] == "0")
    if longs == 0 and not unsigned and value < 2 ** 31:
        return "int"
    if longs == 0 and not unsigned and not decimal and value < 2 ** 32:
        return "unsigned int"
    if longs == 0 and unsigned and value < 2 ** 32:
        return "unsigned int"
    if longs < 2 and not unsigned and value < 2 ** 63:
        return "long"
    if longs < 2 and unsigned and value < 2 ** 64:
        return "unsigned long"
    if longs == 2 and value < 2 ** 63:
        return "unsigned long long" if unsigned else "long long"
    return None


def _value_type(expr, builtins) -> str | None:
    """The type of ``expr`` where certain: "pointer", or the name of an integer type (only given
    ``builtins``, the dialect's built-in integer types: its integer types are known; ``{}`` for a
    dialect whose built-in variables' types are not, where the type found is as in LP64 and sure
    only when of 32 bits at most); else None."""
    cls = expr.__class__
    if cls is t.Cast:
        found = _cast_type(expr.type)
        return found if found == "pointer" or builtins is not None else None
    if cls is t.Ident and expr.module is None:
        if V.kind(expr.name) == "pointer":
            return "pointer"
        return builtins.get(expr.name) if builtins is not None else None
    if builtins is None:
        return None
    if cls is t.IntLit:
        return _literal_type(expr)
    if cls is t.SizeofExpr or cls is t.SizeofType:
        return "size_t"
    if (cls is t.Binary and expr.op in _COMPARISONS) or (cls is t.Unary and expr.op == "!"):
        return "int"
    if cls is t.Unary and expr.op in _ARITHMETIC_UNARY:
        found = _value_type(expr.operand, builtins)
        return found if found in C.INTEGER_TYPES else None
    if cls is t.Binary and expr.op in _ARITHMETIC:
        left = _value_type(expr.left, builtins)
        if expr.op in _SHIFTS:
            return left if left in C.INTEGER_TYPES and _value_type(expr.right, builtins) in C.INTEGER_TYPES else None
        return _converted(left, _value_type(expr.right, builtins))
    if cls is t.Ternary:
        then, otherwise = _value_type(expr.then, builtins), _value_type(expr.otherwise, builtins)
        if then == otherwise and then in C.INTEGER_TYPES:
            return then
        if expr.cond.__class__ is t.IntLit:  # dtrace folds it to the branch taken: 1 ? 1 : 1L is an int
            return then if expr.cond.value else otherwise
        return None  # (else the two types' conversion, unless dtrace folds the condition: not judged)
    return None


def _converted(left, right):
    """The type of two integer operands after D's arithmetic conversions (dt_type_promote, with no
    promotion to int: of the same size and sign, the left one's; of one sign, the wider; else the
    unsigned one when it is as wide, or the signed one when it is wider), else None."""
    if left not in C.INTEGER_TYPES or right not in C.INTEGER_TYPES:
        return None
    lbits, lsigned = C.INTEGER_TYPES[left][:2]
    rbits, rsigned = C.INTEGER_TYPES[right][:2]
    if lsigned == rsigned:
        return left if lbits >= rbits else right
    unsigned, ubits, sbits = (right, rbits, lbits) if lsigned else (left, lbits, rbits)
    if ubits >= sbits:
        return unsigned
    return left if lsigned else right


# conversion (with its size prefix) -> (what it needs, test of (bits, signed, base, int64 typedef))
_INTEGER_NEEDS = {
    "c": ("an integer of 32 bits at most (char, short or int)", lambda b, s, n, q: b <= 32),
    "T": ("a 64-bit integer", lambda b, s, n, q: b == 64),
    "hd": ("a short", lambda b, s, n, q: b == 16 and s),
    "ho": ("an unsigned short", lambda b, s, n, q: b == 16 and not s),
    "hx": ("a short or unsigned short", lambda b, s, n, q: n in ("short", "unsigned short")),
    "ld": ("a long (64 bits, signed)", lambda b, s, n, q: b == 64 and s),
    "lo": ("an unsigned long (64 bits)", lambda b, s, n, q: b == 64 and not s),
    "lx": ("a long or unsigned long", lambda b, s, n, q: n in ("long", "unsigned long")),
    "lld": ("a long long (64 bits, signed)", lambda b, s, n, q: b == 64 and s),
    "llo": ("an unsigned long long (64 bits)", lambda b, s, n, q: b == 64 and not s),
    "llx": ("a long long, unsigned long long, int64_t or uint64_t",
            lambda b, s, n, q: q or n in ("long long", "unsigned long long")),
    "lc": ("an int", lambda b, s, n, q: b == 32 and s),
}
for _same, _as in (("C", "c"), ("Y", "T"), ("hi", "hd"), ("hu", "ho"), ("hX", "hx"), ("li", "ld"), ("lu", "lo"),
                   ("lX", "lx"), ("lli", "lld"), ("llu", "llo"), ("llX", "llx"), ("wc", "lc")):
    _INTEGER_NEEDS[_same] = _INTEGER_NEEDS[_as]


def _value_type_problem(conv, expr, ctx) -> str | None:
    """What dtrace refuses in giving ``expr`` to ``conv`` that :func:`type_problem` does not see:
    a pointer, an integer of the wrong size or sign, a string for a wide string."""
    name = conv.size + conv.conv
    if name in ("ls", "ws"):
        if kind(expr) == "string":
            return f"%{name} needs an array of wchar_t, not a string: print it with %s"
        return None
    if conv.conv in C.ADDRESS_CONVERSIONS or conv.agg:
        return None
    if expr.__class__ is t.Member and conv.conv not in C.STRING_CONVERSIONS and _char_array(ctx, expr):
        return (f"%{name} needs {'a stack' if conv.conv == C.STACK_CONVERSION else 'a number'}, and this is a "
                f"char array (dtrace: \"argument is incompatible with conversion prototype\"): print it with %s")
    builtins = C.BUILTIN_INTEGER_TYPES.get(ctx.options.dialect.name)
    if builtins is None:  # (only a pointer, or for a few conversions a narrow integer, is sure)
        builtins = {} if name in _SURE_EVERYWHERE else None
        found = _value_type(expr, builtins)
        builtins = None
    else:
        found = _value_type(expr, builtins)
    if found is None:
        return None
    if builtins is None and found != "pointer" and (C.INTEGER_TYPES[found][0] > 32
                                                     or name not in _SURE_EVERYWHERE):
        return None
    if found == "pointer":
        if conv.conv in C.STRING_CONVERSIONS:
            return f"%{name} needs a string or char array, not a pointer (use stringof or copyinstr)"
        if conv.conv == C.STACK_CONVERSION:
            return "%k prints a stack (a stack() or ustack() aggregation key, with printa), not a pointer"
        if conv.conv in C.FLOAT_CONVERSIONS:
            return (f"%{name} needs a floating-point value, and D has none: print a pointer with %p "
                    f"(dtrace: \"prototype: float, double, or long double\")")
        return f"%{name} needs an integer, not a pointer: print an address with %p"
    return _integer_problem(conv, found)


def _char_array(ctx, member) -> bool:
    """Is ``member`` certainly a char array: a member declared ``char name[N]`` of a translated
    variable's type (``curpsinfo->pr_fname``, ``curthread->comm``, :mod:`dtracepy.facts.translated`)
    or of a struct the program defines, reached through a global the program declares of that
    struct (``struct s v; ... v.c``) or a pointer to it?"""
    base = member.base
    if base.__class__ is not t.Ident or base.module is not None:
        return False
    from dtracepy.facts import translated as Tr

    dialect = ctx.options.dialect.name
    if member.op == "->" and base.name in Tr.VARIABLES:
        shown = Tr.variable_type(base.name, dialect)
        if shown is None:
            return False
        struct, depth, array = Tr.split_type(shown)
        found = Tr.member_type(struct, member.name, dialect) if depth == 1 and not array else None
        return found is not None and Tr.split_type(found)[1:] == (0, True) and Tr.split_type(found)[0] in (
            "char", "signed char", "unsigned char")
    structs = ctx.__dict__.get("_char_arrays")
    if structs is None:
        structs = ctx.__dict__["_char_arrays"] = _program_char_arrays(ctx)
    return (base.name, member.op, member.name) in structs


def _program_char_arrays(ctx) -> set:
    """(global, "." or "->", member) for each char array member of a struct the program defines,
    reached through a global the program declares of that struct (or a pointer to it)."""
    members: dict = {}
    for node in ctx.of(t.StructSpec):
        if node.name is None or node.members is None:
            continue
        names = members.setdefault((node.kind, node.name), set())
        for field in node.members:
            if [w for w in field.specifiers if w not in _QUALIFIERS] not in (["char"], ["signed", "char"],
                                                                             ["unsigned", "char"]):
                continue
            for fd in field.declarators:
                decl = fd.declarator
                if decl.__class__ is t.ArrayDecl and decl.target.__class__ is t.NameDecl and len(decl.dims) == 1:
                    names.add(decl.target.name)
    found = set()
    if not members:
        return found
    for item in ctx.of(t.Declaration):
        words = [w for w in item.specifiers if w not in _QUALIFIERS]
        if len(words) != 1 or words[0].__class__ is not t.StructSpec or "typedef" in item.specifiers:
            continue
        names = members.get((words[0].kind, words[0].name))
        if not names:
            continue
        for decl in item.declarators:
            op = "." if decl.__class__ is t.NameDecl else "->" if (
                decl.__class__ is t.PointerDecl and decl.target.__class__ is t.NameDecl) else None
            if op is not None:
                name = decl.name if op == "." else decl.target.name
                found.update((name, op, m) for m in names)
    return found


def _integer_problem(conv, found: str) -> str | None:
    name = conv.size + conv.conv
    needs = _INTEGER_NEEDS.get(name)
    if needs is None or needs[1](*C.INTEGER_TYPES[found]):
        return None
    hint = f" (%{conv.conv} takes any integer)" if conv.size and conv.conv in "diouxX" else ""
    return f"%{name} needs {needs[0]}, not the {found} given{hint}"


def run(ctx):
    key_counts, key_exprs, functions = None, None, None
    dead = None
    for node, name in zip(ctx.of(t.Call), ctx.call_names):
        if name is None or name not in PRINTF_LIKE and name != "printa":
            continue
        if dead is None:
            dead = _not_taken(ctx)
        if id(node) in dead:
            continue
        if name in PRINTF_LIKE and node.args:
            yield from _check_printf(ctx, node)
        elif name == "printa":
            if key_counts is None:
                key_counts, key_exprs, functions = _aggregation_keys(ctx)
            yield from _check_printa(ctx, node, key_counts, key_exprs, functions)
    if (not _VOID.isdisjoint(ctx.call_names) or any(map(_void_cast, ctx.of(t.Cast)))
            or not _VALUE_ACTIONS.isdisjoint(ctx.call_names)):
        yield from _void_values(ctx)
    yield from _cut_strings(ctx)


def _not_taken(ctx):
    """The ids of the nodes under the branch a ``?:`` with a constant condition never takes: dtrace's
    parser drops it unjudged (``x = 1 ? 2 : printf("")`` compiles), so its printf is not judged."""
    if not ctx.of(t.Ternary):
        return frozenset()
    from dtracepy.checks.rules import _dead_branches

    return _dead_branches(ctx.of)


def _cut_strings(ctx):
    """string-nul: a string constant with text after a NUL (``"a\0b"``, a tracer's ``"a\x00b"``):
    dtrace keeps a string constant only up to its first NUL (``sizeof("a\0b")`` is 2, and it
    prints ``a``), so the rest is silently dropped.  (A format's NUL is the printf checks': a
    format is judged up to it.)  In D text, ``\x00b`` is one escape, the byte 0x0b: no NUL."""
    formats = None
    for node in ctx.of(t.StringLit):
        value = node.value
        if "\0" not in value or not value.rstrip("\0") or value.find("\0") >= len(value.rstrip("\0")):
            continue
        if formats is None:
            formats = {id(call.args[0]) for call, name in zip(ctx.of(t.Call), ctx.call_names)
                       if name in PRINTF_LIKE and call.args}
        if id(node) in formats:
            continue
        kept = value[:value.find("\0")]
        shown = lambda text: '"' + text.encode("unicode_escape").decode("ascii").replace("\\x00", "\\0").replace('"', '\\"') + '"'  # noqa: E731
        yield ctx.finding("string-nul", node,
                          f"this string constant ends at its first NUL (\\0) for dtrace, which keeps "
                          f"{shown(kept)} of {shown(value)} (sizeof is {len(kept.encode('utf-8', 'surrogateescape')) + 1}) "
                          f"and silently drops the rest; split it, or leave the NUL out")


def _void_cast(node) -> bool:
    """Is ``node`` (a t.Cast) a cast to void, ``(void)x``, which has no value?"""
    return node.type.specifiers == ("void",) and node.type.declarator.__class__ is t.NameDecl


def _void_values(ctx):
    """A call of a function that returns nothing, or a cast to void, used as a value (``x =
    printf("")``, ``trace(exit(0))``, ``/trace(1)/``, ``trace((void)x)``): dtrace refuses it
    ("operands have incompatible types: "void" = "void"", "trace( ) may not be applied to a void
    expression" ...).  It may be a statement, or an operand of the comma operator if it is no
    action.  A void argument of printf() or printa() is theirs (printf-type, printa-args).

    ``?:`` is judged as dtrace's parser and compiler judge it: a condition that is an integer
    constant (``1``, ``!0``, ``(char)256``) is folded before anything is typed, so the branch not
    taken is never judged and the one taken stands where the ``?:`` stood; otherwise a void branch
    needs a void other branch ("operator ?: operands must have compatible types"), neither may be
    an action ("action cannot be used in a conditional context"), and the ``?:`` is then void
    itself.  An action, void or not (``stack()``), may not be an operand of the comma operator
    ("operator , operands cannot be actions"), whose value is its right operand's.  An action that
    has a value (``stack()``, ``func(pc)``) is one only as an aggregation key: anywhere else but a
    statement (printf's or trace's argument, assigned) dtrace refuses it ("tracing function
    stack( ) may not be called from a D expression")."""
    names = ctx.call_names
    # (what is left once the statements are set apart first: in most programs nothing, and the
    # set of printf()'s and printa()'s arguments, an argument at a time, is not made)
    statements = {id(stmt.expr) for stmt in ctx.of(t.ExprStmt)}
    voids = [node for node, name in zip(ctx.of(t.Call), names) if name in _VOID and id(node) not in statements]
    casts = [node for node in ctx.of(t.Cast) if _void_cast(node) and id(node) not in statements]
    # the actions that are values (stack(), func()): only statements or aggregation keys
    values = [node for node, name in zip(ctx.of(t.Call), names)
              if name in _VALUE_ACTIONS and id(node) not in statements]
    if not voids and not casts and not values:
        return
    allowed = set(statements)
    for node, name in zip(ctx.of(t.Call), names):
        if name in PRINTF_LIKE or name == "printa":
            allowed.update(map(id, node.args))
    found = [node for node in voids if id(node) not in allowed]
    found += [node for node in casts if id(node) not in allowed]
    found += values
    if not found:
        return
    keys = {id(key) for node in ctx.of(t.Index) if node.base.__class__ is t.AggVar for key in node.keys}
    action_allowed = statements | keys
    parents = {id(child): parent for parent in ctx.nodes for child in parent.children()}
    predicates = {id(clause.predicate) for clause in ctx.of(t.Clause) if clause.predicate is not None}
    from dtracepy.checks.rules import condition_constant, program_names

    dialect, names = ctx.options.dialect, program_names(ctx.of, ctx.options.dialect)

    def value(cond):  # (what a condition folds to: its value, None unknown, or NOT_CONSTANT)
        return condition_constant(cond, dialect, names)

    reported = set()
    for node in found:
        problem = _void_use_problem(node, parents, action_allowed if node.__class__ is t.Call and node.name
                                    in _VALUE_ACTIONS else allowed, predicates, value)
        if problem is not None and id(problem[0]) not in reported and not _folded_away(node, parents, value):
            reported.add(id(problem[0]))
            yield ctx.finding("void-value", problem[0], problem[1])


# The functions that return nothing: actions (printf, trace, exit ...) and a few subroutines (bcopy).
_VOID = frozenset(name for name, row in Fn.TABLE.items() if row[3] == "void")
# The actions: void or a value (stack(), func()), none may be a ?: branch or a comma operand.
_ACTIONS = frozenset(name for name, row in Fn.TABLE.items() if row[0] == Fn.ACTION)
_VALUE_ACTIONS = _ACTIONS - _VOID
_COMPATIBLE = "operator ?: operands must have compatible types"
_CONDITIONAL = "action cannot be used in a conditional context"


def _void_use_problem(node, parents, allowed, predicates, value):
    """(the node to flag, the message) for ``node``, a void call or cast or an action, where it
    stands; None where dtrace takes it.  Walks up through what passes a void value on: the ``?:``
    whose branch it is, the comma whose right operand it is."""
    start = shown = node  # (shown: what is void where the walk ends; a folded ?: is its branch)
    while id(node) not in allowed:
        parent = parents.get(id(node))
        cls = parent.__class__
        if cls is t.Ternary and node is not parent.cond:
            cond = value(parent.cond)
            if cond is None:
                return None  # a constant whose value is not known here: which branch stays is not known
            if cond is not Fn.NOT_CONSTANT:
                if node is (parent.otherwise if cond else parent.then):
                    return None  # folded away: never judged
                node = parent  # the branch taken stands where the ?: stood
                continue
            mine = _void_kind(node, value)
            other = _void_kind(parent.otherwise if node is parent.then else parent.then, value)
            if mine is None or other is None:
                return None
            if mine != other:  # (flagged from the void branch's side)
                return None if mine != "void" else (node, (
                    f"{_shown(node)}, and the other branch of this ?: has one, which "
                    f"dtrace refuses (\"{_COMPATIBLE}\"): make it a statement of its own, in a clause "
                    f"whose predicate is the condition"))
            action = _folded(node, value)
            if action.__class__ is t.Call and action.name in _ACTIONS:
                return action, (f"{action.name}() is an action, which cannot be a branch of ?: whose condition "
                                f"is not a constant (dtrace: \"{_CONDITIONAL}\"): call it in a clause whose "
                                f"predicate is the condition")
            if mine != "void":
                return None
            node = shown = parent  # both branches void: so is the ?:
            continue
        if cls is t.Binary and parent.op == ",":
            action = _folded(node, value)
            if action.__class__ is t.Call and action.name in _ACTIONS:
                return action, (f"{action.name}() is an action, which cannot be an operand of the comma operator "
                                f"(dtrace: \"operator , operands cannot be actions\"): make it a statement "
                                f"of its own ({action.name}(...);)")
            if node is parent.left or _void_kind(node, value) != "void":
                return None
            node = shown = parent  # the comma's value is its right operand's
            continue
        if start.__class__ is t.Call and start.name in _VALUE_ACTIONS:
            # (not a statement nor an aggregation key: printf's argument, trace's, a value)
            return start, (f"{start.name}() is an action, which D takes only as a statement of its own or as an "
                           f"aggregation key (@[{start.name}(...)] = count()), not as a value here (dtrace: "
                           f"\"tracing function {start.name}( ) may not be called from a D expression\")")
        place = "a predicate" if id(node) in predicates else _where(parent, node) if parent is not None else "a value"
        if shown.__class__ is t.Cast:
            return shown, f"a cast to void has no value, so it cannot be {place}"
        if shown.__class__ is t.Call:
            return shown, (f"{shown.name}() returns no value (void), so it cannot be {place}: "
                           f"call it as a statement of its own ({shown.name}(...);)")
        what = "this ?: expression has no value (both its branches are void)" if shown.__class__ is t.Ternary \
            else "this comma expression has no value (its right operand is void)"
        return shown, f"{what}, so it cannot be {place}"
    return None


def _folded_away(node, parents, value) -> bool:
    """Is ``node`` under the branch that a ``?:`` with a constant condition does not take (which
    dtrace's parser drops unjudged: ``0 ? trace(printf("a")) : 1``)?"""
    parent = parents.get(id(node))
    while parent is not None:
        if parent.__class__ is t.Ternary and node is not parent.cond:
            cond = value(parent.cond)
            if cond is not None and cond is not Fn.NOT_CONSTANT and node is (parent.otherwise if cond else parent.then):
                return True
        node, parent = parent, parents.get(id(parent))
    return False


def _folded(node, value):
    """``node`` with each ``?:`` whose condition is a known constant replaced by its branch taken
    (None when such a condition's value is not known here)."""
    while node.__class__ is t.Ternary:
        cond = value(node.cond)
        if cond is None:
            return None
        if cond is Fn.NOT_CONSTANT:
            return node
        node = node.then if cond else node.otherwise
    return node


def _void_kind(node, value) -> str | None:
    """"void" when ``node`` has no value as dtrace types it, "value" when it has one, None when
    that is not known here (a ?: whose constant condition is not known, or which is refused)."""
    node = _folded(node, value)
    if node is None:
        return None
    cls = node.__class__
    if cls is t.Call:
        return "void" if node.name in _VOID else "value"
    if cls is t.Cast:
        return "void" if _void_cast(node) else "value"
    if cls is t.Binary and node.op == ",":
        return _void_kind(node.right, value)
    if cls is t.Ternary:
        kinds = {_void_kind(node.then, value), _void_kind(node.otherwise, value)}
        return kinds.pop() if len(kinds) == 1 else None
    return "value"


def _shown(node) -> str:
    """The words saying that ``node``, a void branch of ?:, has no value."""
    if node.__class__ is t.Call:
        return f"{node.name}() returns no value (void)"
    if node.__class__ is t.Cast:
        return "a cast to void has no value"
    return "this branch has no value (void)"


def _where(parent, child) -> str:
    """What ``child``, a void call, is to ``parent``: the words of :func:`_void_values`' message."""
    cls = parent.__class__
    if cls is t.Assign:
        return "assigned" if child is parent.value else "assigned to"
    if cls is t.Call:
        return f"an argument of {parent.name}()" if parent.name else "an argument"
    if cls is t.Index:
        return "a key" if child is not parent.base else "indexed"
    if cls is t.Binary:
        return "an operand of the comma operator" if parent.op == "," else f"an operand of {parent.op}"
    if cls is t.Unary or cls is t.Postfix:
        return f"an operand of {parent.op}"
    if cls is t.Cast:
        return "cast"
    if cls is t.Ternary:
        return "the condition of a ?: expression"
    if cls is t.Inline:
        return "an inline's value"
    if cls is t.If:
        return "a condition"
    return "a value"


def _format(ctx, call, arg, most):
    """The format's conversions, or None after reporting; None silently for non-literals.  ``most``:
    the most arguments its conversions may take (None for printa's, whose ``%@`` take none)."""
    if isinstance(arg, t.StringLit) and not C.format_text(arg.value) and call.name != "freopen":
        # dt_printf.c: "printf( ) format string is empty" (freopen("") is its own: back to stdout)
        nul = " (it ends at its first \\0)" if arg.value else ""
        raise _Reported(ctx.finding("printf-format", arg, f"{call.name}(): the format string is empty{nul}, "
                                    f"which dtrace refuses (\"format string is empty\")", fallback=call))
    if isinstance(arg, t.StringLit):
        parsed = ctx.__dict__.setdefault("_formats", {})  # a script repeats its formats
        # (printf's conversions each take an argument and a call has at most _MOST_ARGUMENTS: a
        # format taking more is refused at its conversion past them, read no further; printa's
        # %@ conversions take none, and it takes a format of two million of them)
        try:
            convs = parsed.get((arg.value, most))
            if convs is None:
                convs = parsed[arg.value, most] = parse_format(arg.value, located=False, most=most)
        except C.TooManyArguments as err:
            raise _Reported(ctx.finding(
                "printf-args", _at_conversion(ctx, arg, err.start, err.text),
                f"{call.name}(): {err}: dtrace runs no {call.name}() of {_MOST_ARGUMENTS + 1:,} arguments "
                f"(\"failed to create BPF map 'mem': Too big\"), and dtracepy reads no call of more",
                fallback=call)) from None
        except FormatError as err:
            ctx_finding = ctx.finding("printf-format", arg, f"{call.name}(): {err}", fallback=call)
            raise _Reported(ctx_finding) from None
        for number, conv in enumerate(convs, 1):
            if conv.positional:
                # dt_printf.c, every lineage: "format conversion #N uses unsupported positional
                # format (%n$)", a D_SYNTAX error.
                raise _Reported(ctx.finding(
                    "printf-format", arg, f"{call.name}(): conversion #{number} {conv.text!r} is positional "
                    f"(%n$), which D does not support", fallback=call))
        return convs
    if isinstance(arg, (t.IntLit, t.CharLit)) or _variable_format(ctx, arg):
        raise _Reported(ctx.finding("printf-format", arg,
                                    f"{call.name}() needs a string constant as its format"
                                    + ("" if isinstance(arg, (t.IntLit, t.CharLit)) else
                                       f", not a value (dtrace: \"argument #1 is incompatible with prototype: "
                                       f"string constant\"); to print it: {call.name}(\"%s\", ...)"),
                                    fallback=call))
    return None


#: The most arguments a printf-like call is given besides its format: the lexer reads no list of
#: more than ``lexer.MAX_ITEMS`` items (dtrace cannot run a printf of 8,000 arguments: see
#: facts/functions.py).
_MOST_ARGUMENTS = Fn.MOST_CALL_ARGUMENTS


def _at_conversion(ctx, arg, start: int, text: str):
    """Where the conversion at ``start`` of the string constant ``arg``'s value stands, when the
    constant's line shows it there (no escape before it); else the constant."""
    pos = arg.pos
    line = ctx.line_text(pos, arg) if pos is not None and pos.col else None
    if line is None:
        return arg
    col = pos.col + 1 + start  # (pos.col: the opening quote's, from 1)
    if line[col - 1:col - 1 + len(text)] != text or "\\" in line[pos.col:col - 1]:
        return arg
    return SimpleNamespace(pos=Pos(pos.file, pos.line, col))


# Formats that are values, never constants: a variable (an inline too), a call's result, a member,
# an element.  (A macro, ``$$1``, ``c ? "a" : "b"`` can be constants: not judged.)
_VALUES = (t.SelfVar, t.ThisVar, t.Call, t.Stringof, t.Index, t.Member)


def _variable_format(ctx, arg) -> bool:
    if arg.__class__ is t.Ident:
        return arg.module is None and not ctx.uses_cpp and arg.name not in ctx.defined_macros
    return isinstance(arg, _VALUES)


class _Reported(Exception):
    def __init__(self, finding):
        self.finding = finding


def _check_printf(ctx, call):
    try:
        convs = _format(ctx, call, call.args[0], _MOST_ARGUMENTS)
    except _Reported as rep:
        yield rep.finding
        return
    if convs is None:
        return
    args = call.args[1:]
    summaries = ctx.__dict__.setdefault("_format_summaries", {})  # format text -> _summary
    summary = summaries.get(call.args[0].value)  # (a string constant: convs were parsed from it)
    if summary is None:
        summary = summaries[call.args[0].value] = _summary(convs)
    agg, positional, needed = summary
    if agg is not None:
        yield ctx.finding("printf-agg-conv", call.args[0],
                          f"{call.name}(): {agg.text!r} uses %@, which only printa understands",
                          fallback=call)
        return
    if positional:
        return
    if needed != len(args):
        what = "too few" if len(args) < needed else "too many"
        yield ctx.finding(
            "printf-args", call.args[min(needed, len(args))] if len(args) > needed else call,
            f"{call.name}(): {what} arguments: the format {_show(call.args[0])} takes {needed}, "
            f"{len(args)} given" + (" (dtrace reads a format up to its first \\0)" if "\0" in call.args[0].value
                                    else ""), fallback=call)
    i = 0
    for conv in convs:
        if i >= len(args):
            break  # (the conversions past the arguments: printf-args says so once)
        for _ in range(conv.stars):
            if i < len(args) and not _value_action(args[i]) and (
                    kind(args[i]) not in (None, "int") or _value_type(args[i], None) == "pointer"
                    or _void_problem(args[i]) or _struct_problem(ctx, args[i])):
                yield ctx.finding("printf-type", args[i],
                                  f"{call.name}(): the * in {conv.text!r} takes an integer", fallback=call)
            i += 1
        if i < len(args) and not _value_action(args[i]):  # (an action given as a value: void-value's)
            problem = (_void_problem(args[i]) or _struct_problem(ctx, args[i])
                       or type_problem(conv.conv, _argument_kind(args[i]))
                       or _value_type_problem(conv, args[i], ctx))
            problem = problem or _user_symbol_problem(ctx, conv)
            if problem:
                yield ctx.finding("printf-type", args[i],
                                  f"{call.name}(): argument {i + 1} for {conv.text!r}: {problem}", fallback=call)
        i += 1


def _value_action(arg) -> bool:
    """Is ``arg`` a call of an action that has a value (``stack()``, ``func(pc)``)?  Only a
    statement or an aggregation key may be one: void-value reports it elsewhere."""
    return arg.__class__ is t.Call and arg.name in _VALUE_ACTIONS


def _user_symbol_problem(ctx, conv) -> str | None:
    """%A given a value that is no user symbol (an integer, a pointer): dtrace takes it only when
    run with -p or -c, which a script naming ``$target`` is."""
    if conv.conv != C.USER_SYMBOL_CONVERSION or _names_target(ctx):
        return None
    return (f"%{conv.conv} prints a user-space address only when dtrace runs with -p PID or -c CMD, and this "
            f"script names no $target (dtrace -s without them: \"prototype: pointer or integer (with -p/-c) "
            f"or _usymaddr (without -p/-c)\"); print the address with %p, or use $target (pid$target) and "
            f"run it with -p or -c")


def _names_target(ctx) -> bool:
    """Does the program name ``$target`` (in an expression or a probe description): then it is run
    with -p or -c, and %A takes any integer or pointer."""
    found = ctx.__dict__.get("_names_target")
    if found is None:
        found = ctx.__dict__["_names_target"] = (
            any(node.name == "$target" for node in ctx.of(t.MacroVar))
            or any("$target" in desc.text for clause in ctx.clauses for desc in clause.probes))
    return found


def _void_problem(arg) -> str | None:
    """An action or subroutine that returns nothing given as a value to print (``printf("%d",
    printf(""))``; dtrace: "argument: void")."""
    if arg.__class__ is t.Call and arg.name is not None and Fn.result(arg.name) == "void":
        return f"{arg.name}() returns no value (void), which no conversion prints"
    if arg.__class__ is t.Cast and _void_cast(arg):
        return "a cast to void has no value, which no conversion prints"
    return None


def _struct_problem(ctx, arg) -> str | None:
    """A struct or union value given to a conversion, which none prints (Oracle's dtrace 2.0,
    ``dtrace -e``: ``printf("%d", *(struct foo *)p)``, ``%s``, ``%p``, ``%x``, ``%*d``'s width, a
    variable its first assignment makes a struct: "printf( ) argument #2 is incompatible with
    conversion #1 prototype"): ``*`` of a cast to a struct's pointer, ``*curthread``, or such a
    variable (:func:`dtracepy.checks.operands.struct_variables`)."""
    if arg.__class__ not in _STRUCT_LIKE:
        return None
    from dtracepy.checks import operands

    if not operands._is_struct_value(arg) and operands._variable(arg) not in operands.struct_variables(ctx):
        return None
    return ("a struct value, which no conversion prints (dtrace: \"argument is incompatible with conversion "
            "prototype\"): print a member of it (s.m, p->m), or trace() it")


# The node classes a struct value may be (``*p``, a variable).
_STRUCT_LIKE = frozenset((t.Unary, t.Ident, t.SelfVar, t.ThisVar))


def _summary(convs):
    """(the first %@ conversion or None, whether one is positional, how many arguments the
    conversions take) of a format's conversions: what every printf of that format asks first."""
    agg = next((conv for conv in convs if conv.agg), None)
    return agg, any(c.positional for c in convs), sum(c.stars + 1 for c in convs)


def _show(arg):
    text = arg.value if isinstance(arg, t.StringLit) else "?"
    text = text.encode("unicode_escape").decode("ascii")
    return '"' + (text if len(text) <= 40 else text[:37] + "...") + '"'


def _check_printa(ctx, call, key_counts, key_exprs, functions):
    args = list(call.args)
    if not args:
        return  # call-arity reports it
    first = args[0]
    if isinstance(first, t.AggVar):
        aggs, convs = args, None
    elif isinstance(first, t.StringLit):
        try:
            convs = _format(ctx, call, first, None)
        except _Reported as rep:
            yield rep.finding
            return
        aggs = args[1:]
        if not aggs:
            yield ctx.finding("printa-args", call, "printa() with a format needs an aggregation to print")
            return
    else:
        # (a variable, an inline, a call: dtrace takes only a string constant or an aggregation, "printa( )
        # argument #1 is incompatible with prototype"; @a[k] it takes; a macro argument it reads first; a
        # ?: it may fold to a constant, 1 ? "%@d" : "x")
        if not isinstance(first, (t.MacroVar, t.Ternary)) and not (
                isinstance(first, t.Index) and isinstance(first.base, t.AggVar)):
            yield ctx.finding("printa-args", first, "printa() takes a format string or an aggregation first",
                              fallback=call)
        return
    for agg in aggs:
        if not isinstance(agg, t.AggVar):
            yield ctx.finding("printa-args", agg,
                              "printa() prints aggregations only (@name), not other values", fallback=call)
            return
    if convs is None or any(c.positional for c in convs):
        return
    values = [c for c in convs if c.agg]
    keys = [c for c in convs if not c.agg]
    name = aggs[0].name
    nkeys = key_counts.get(name)
    if nkeys is not None and len(keys) + sum(c.stars for c in convs) > nkeys:
        yield ctx.finding(
            "printf-args", first,
            f"printa(): the format has {len(keys)} key conversions but @{name} has {nkeys} key(s)",
            fallback=call)
        return
    found = _aggregation_value_type(functions, aggs)
    # (%lx takes a long by name: an int64_t is one where long has 64 bits, known in Oracle's D only)
    model_known = ctx.options.dialect.name in C.BUILTIN_INTEGER_TYPES
    # (a conversion written again is the same Conv, judged once: its findings are the same)
    for conv in {id(conv): conv for conv in values}.values():
        if not conv.conv:
            continue
        # (an aggregation's value is an integer, whatever the function: a string, float or stack
        # conversion is "aggregating action is incompatible with conversion")
        problem = type_problem(conv.conv, "int") or _user_symbol_problem(ctx, conv)
        if problem:
            yield ctx.finding("printf-type", first, f"printa(): {conv.text!r} prints the value of @{name}, an "
                              f"integer: {problem}", fallback=call)
            continue
        if found and (model_known or conv.size + conv.conv not in ("lx", "lX")):
            problem = _integer_problem(conv, found)
            if problem:
                yield ctx.finding("printf-type", first, f"printa(): {conv.text!r} prints the value of @{name} "
                                  f"({next(iter(functions[name]))}(): {found}): {problem}", fallback=call)
    exprs = key_exprs.get(name)
    if exprs:
        typed = ctx.options.dialect.name in C.SYMBOL_KEYS_TYPED
        for conv, key in zip(keys, exprs):
            problem = type_problem(conv.conv, kind(key)) or _struct_problem(ctx, key)
            symbol = C.SYMBOL_KEY_CONVERSIONS.get(key.name) if key.__class__ is t.Call else None
            if problem is None and symbol is not None and typed and conv.conv != symbol:
                problem = (f"a {key.name}() key prints with %{symbol} only (dtrace: \"argument #2 is "
                           f"incompatible with conversion\")")
            if problem is None and symbol is None:
                problem = _user_symbol_problem(ctx, conv)
            if problem:
                yield ctx.finding("printf-type", first,
                                  f"printa(): key conversion {conv.text!r} of @{name}: {problem}", fallback=call)


def _aggregation_keys(ctx):
    """@name -> number of keys (when every use agrees), the key expressions of one use, and the
    aggregating functions assigned to it."""
    counts: dict[str, set] = {}
    exprs: dict[str, tuple] = {}
    functions: dict[str, set] = {}
    for node in ctx.of(t.Assign):
        if node.op == "=":
            target = node.target
            if isinstance(target, t.AggVar):
                counts.setdefault(target.name, set()).add(0)
            elif isinstance(target, t.Index) and isinstance(target.base, t.AggVar):
                counts.setdefault(target.base.name, set()).add(len(target.keys))
                exprs.setdefault(target.base.name, target.keys)
                target = target.base
            else:
                continue
            functions.setdefault(target.name, set()).add(node.value.name if node.value.__class__ is t.Call else None)
    return {k: next(iter(v)) for k, v in counts.items() if len(v) == 1}, exprs, functions


def _aggregation_value_type(functions, aggs) -> str | None:
    """The type printa's %@ conversions are given: dt_printf.c fakes a uint64_t value for count(),
    an int64_t for every other aggregating function, from the first aggregation's function."""
    found = functions.get(aggs[0].name, ())
    if len(found) != 1 or next(iter(found)) not in Fn.AGGREGATING_FUNCTIONS:
        return None
    return "uint64_t" if next(iter(found)) == "count" else "int64_t"
