"""Operands of the wrong kind, where every D compiler refuses them (part of the rules family:
:func:`dtracepy.checks.rules.run` yields these for a D file): ``operand-type``.

Only what is certain is judged: an operand known to be a string (a string constant, ``execname``,
a string function's result, ``stringof``, a variable the program types as a string) or an
integer (a constant, a comparison, a variable the program types as an integer), as
:func:`dtracepy.checks.printf.kind` and the program's own declarations and first assignments say:

* a string where an integer or a scalar is needed: ``& | ^ << >> % * /``, ``&& || ^^``, unary
  ``! - ~ +``, the condition of ``?:``, ``++``/``--`` ("operator & requires operands of integral
  type", "... of scalar type");
* two strings added (``execname + "x"``: "operands have incompatible types: "string" +
  "string""; D joins strings with ``strjoin()``; ``"a" - "b"`` is taken);
* a string compared with an integer other than the constant 0 (``execname == 1``: "operands
  have incompatible types"; ``execname == 0`` compares with a null pointer), or subtracted from
  an integer;
* a variable given a value of the other kind than its type: D types a variable at its declaration
  (``int x;``, ``this x;`` is an int, ``string s;``) or at its first assignment in the program
  text, so ``x = 1; ... x = "a";`` or ``x += "a"`` is refused ("int" = "string"); 0 is also a
  string (a null one);
* two pointers of incompatible types (spelled integer types of another size or signedness, or
  one more ``*``, curthread's struct beside them) as ``?:``'s branches or given to one variable.

No walk of its own: it reads the checks' index of the tree.
"""

from __future__ import annotations

from dtracepy import tree as t
from dtracepy.checks.declarations import _declared_name
from dtracepy.checks.printf import kind as _kind
from dtracepy.facts import functions as Fn
from dtracepy.facts import variables as V
from dtracepy.facts.keywords import INTEGER_TYPE_WORDS

_INTEGRAL = frozenset({"&", "|", "^", "<<", ">>", "%", "*", "/"})
_SCALAR = frozenset({"&&", "||", "^^"})
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_UNARY = frozenset({"!", "-", "~", "+"})
_COMPOUND = {"+=": "+", "-=": "-", "*=": "*", "/=": "/", "%=": "%", "&=": "&", "|=": "|", "^=": "^",
             "<<=": "<<", ">>=": ">>"}


def run(ctx):
    if _strings_possible(ctx):
        yield from _operands(ctx)
    if any(V.kind(name) == "pointer" for name in set(ctx.ident_names)) or any(
            node.type.declarator.__class__ is t.PointerDecl for node in ctx.of(t.Cast)) or any(
            d.__class__ is t.PointerDecl for item in ctx.of(t.Declaration) for d in item.declarators) or any(
            node.op == "&" for node in ctx.of(t.Unary)) or any(
            Fn.result(name) == "pointer" for name in set(ctx.call_names) if name is not None):
        yield from _pointer_operands(ctx)
        yield from _pointer_assignments(ctx)
        yield from _pointer_branches(ctx)
        yield from _pointer_type_assignments(ctx)
        yield from _void_pointer_uses(ctx)
        yield from _struct_values(ctx)
        yield from _struct_value_assignments(ctx)
    if ctx.of(t.Cast) or ctx.of(t.SizeofType):
        yield from _types_of_values(ctx)
    if ctx.of(t.Xlate):
        from dtracepy.checks import xlates

        yield from xlates.run(ctx)
    yield from _variable_arguments(ctx)
    yield from _pointer_arguments(ctx)
    yield from aggregations(ctx)
    yield from arrays(ctx, ctx.options.dialect)


def _outermost(declarator):
    """The declarator that makes the type's outermost part: the one next to the name (``int
    (*)()`` is a pointer, ``int *[3]`` an array)."""
    while declarator.__class__ is not t.NameDecl and declarator.target.__class__ is not t.NameDecl:
        declarator = declarator.target
    return declarator


def _types_of_values(ctx):
    """A cast to an array or function type (``(int [3])x``: "invalid cast expression"), or to a
    struct or union of an integer or a string (``(struct foo)1``; a struct of one of that type
    is fine); ``sizeof`` of a type of no size: ``void``, an array of no or zero elements, a
    function (``sizeof (void)``: "cannot apply sizeof to an operand of unknown size")."""
    from dtracepy.checks.printf import _argument_kind

    for node in ctx.of(t.Cast):
        declarator = _outermost(node.type.declarator)
        if declarator.__class__ in (t.ArrayDecl, t.FuncDecl):
            what = "an array" if declarator.__class__ is t.ArrayDecl else "a function"
        elif declarator.__class__ is t.NameDecl and any(
                s.__class__ is t.StructSpec for s in node.type.specifiers) and _argument_kind(
                node.operand) in ("int", "string"):
            what = "a struct or union"
        else:
            continue
        yield ctx.finding("operand-type", node, f"a value cannot be cast to {what} type (dtrace: \"invalid cast "
                          "expression\"): cast a pointer to a pointer to it, and dereference that")
    for node in ctx.of(t.SizeofType):
        declarator = _outermost(node.type.declarator)
        words = [s for s in node.type.specifiers if s not in ("const", "volatile")]
        cls = declarator.__class__
        if (cls is t.NameDecl and words == ["void"]) or cls is t.FuncDecl or (
                cls is t.ArrayDecl and (not declarator.dims or _is_zero(declarator.dims[0]))):
            yield ctx.finding("operand-type", node, "sizeof of a type of no size (void, a function, an array of "
                              "no elements), which dtrace refuses (\"cannot apply sizeof to an operand of "
                              "unknown size\")")


def _is_pointer(node, pointers=()) -> bool:
    """Is ``node`` certainly a pointer: a built-in or library variable of a pointer type
    (``curthread``, ``curpsinfo``), a cast to a pointer type (``(char *)arg0``), an address
    (``&x``), a call of a function that returns one (``copyin()``, ``alloca()``), or a variable
    ``pointers`` holds (what :func:`_pointer_variables` finds)?"""
    cls = node.__class__
    if cls is t.Ident:
        if node.module is None and V.kind(node.name) == "pointer":
            return True
    elif cls is t.Cast:
        return node.type.declarator.__class__ is t.PointerDecl
    elif cls is t.Unary:
        return node.op == "&"
    elif cls is t.Call:
        return node.name is not None and Fn.result(node.name) == "pointer"
    return bool(pointers) and _variable(node) in pointers


def _pointer_variables(ctx) -> frozenset:
    """The keys (:func:`_variable`) of the variables D types as pointers: declared one (``int
    *p;``), or given a pointer by their first assignment in the text (``this->p = (int *)arg0``),
    where D gives a variable its type.  None under the C preprocessor (a macro may stand for
    anything)."""
    if ctx.uses_cpp:
        return frozenset()
    kinds: dict = {}
    for key, declarator, declared in _declared_variables(ctx):
        kinds.setdefault(key, "pointer" if declarator.__class__ is t.PointerDecl
                         and declarator.target.__class__ is t.NameDecl else "other")
    for node, key in _variable_assignments(ctx):
        if key not in kinds:
            kinds[key] = "pointer" if _is_pointer(node.value) else "other"
    return frozenset(key for key, kind in kinds.items() if kind == "pointer")


def _pointer_operands(ctx):
    """A pointer where dtrace refuses one: an operand of ``* / % << >> & | ^`` ("operator * requires
    operands of arithmetic type"), of unary ``- ~ +``, both operands of ``+``, or compared with
    an integer constant other than 0 (``curthread == 1``: "operands have incompatible types"); two
    pointers of incompatible types (:func:`_incompatible_pointers`: ``(char *)p == (int *)q``,
    ``curthread - (char *)p``) as operands of ``-`` or a comparison (the same words);
    a variable is one where D types it so (``this->p = (int *)arg0; this->p & 1``)."""
    pointers, tags = _pointer_variables(ctx), _program_tags(ctx)

    def pointer(node):
        return _is_pointer(node, pointers)

    for node in ctx.of(t.Binary):
        op = node.op
        if op in _INTEGRAL:
            side = node.left if pointer(node.left) else node.right if pointer(node.right) else None
            if side is not None:
                need = "arithmetic" if op in ("*", "/") else "integral"
                yield ctx.finding("operand-type", side, f"operator {op} needs operands of {need} type, and this is "
                                  f"a pointer (dtrace: \"operator {op} requires operands of {need} type\"): "
                                  f"cast it to an integer first ((uintptr_t)p)", fallback=node)
        elif op == "+" and pointer(node.left) and pointer(node.right):
            yield ctx.finding("operand-type", node, "two pointers cannot be operands of + (dtrace: \"operands "
                              "have incompatible types\")")
        if (op == "-" or op in _COMPARISONS) and _incompatible_operands(node.left, node.right, op, tags):
            yield ctx.finding("operand-type", node.right, f"pointers of incompatible types cannot be operands of "
                              f"{op} (dtrace: \"operands have incompatible types\"): cast one to the other's type",
                              fallback=node)
        elif op in _COMPARISONS:
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if pointer(side) and other.__class__ is t.IntLit and not _is_zero(other):
                    yield ctx.finding("operand-type", other, f"a pointer and an integer other than 0 cannot be "
                                      f"operands of {op} (dtrace: \"operands have incompatible types\"): cast "
                                      f"the pointer to an integer ((uintptr_t)p {op} ...)", fallback=node)
                    break
    for node in ctx.of(t.Unary):
        if node.op in ("-", "~", "+") and pointer(node.operand):
            need = "integral" if node.op == "~" else "arithmetic"
            yield ctx.finding("operand-type", node.operand, f"operator {node.op} needs an operand of {need} type, "
                              f"and this is a pointer (dtrace: \"operator {node.op} requires an operand of "
                              f"{need} type\")", fallback=node)


#: What a function's parameter (its :data:`~dtracepy.facts.functions.ARGUMENT_KINDS` kind, or
#: "void"/"typed" of POINTER_PARAMETERS) does not take of a variable D types as "int", "string" or
#: "pointer", with the advice given (measured on Oracle's dtrace 2.0: ``x = 1; inet_ntoa(x)``,
#: ``x = 0; strlen(x)`` (a variable holding 0 is an int, no null pointer constant), ``this->p =
#: (char *)arg0; copyinstr(this->p)``, ``x = "a"; htonl(x)``: "argument #1 is incompatible with
#: prototype"; ``x = "a"; bcopy(x, ...)`` compiles).  (A ``char *`` variable for a string
#: parameter fits; which pointer type another variable has is not known here.)
_VARIABLE_REFUSED = {
    "string": {"int": ""},
    "int": {"string": "", "pointer": ": cast it to an integer first ((uintptr_t)p)"},
    "pointer": {"int": ": cast it to a pointer ((void *)x)"},
    "void": {"int": ": cast it to a pointer ((void *)x)"},
    "typed": {"int": ": cast it to a pointer ((void *)x)", "string": ""},
}
_NOUNS = {"int": "an integer", "string": "a string", "pointer": "a pointer"}


def _variable_arguments(ctx):
    """argument-type of a variable given to a function: what the rules' argument check (which
    judges the argument's expression, dtracepy/checks/rules.py) cannot know, the variable's type
    as D gives it at its declaration or first assignment (:func:`_variable_kinds`,
    :func:`_pointer_variables`).  Only a variable whose expression tells nothing by itself."""
    argument_kinds, pointer_parameters = Fn.ARGUMENT_KINDS, Fn.POINTER_PARAMETERS
    dialect = ctx.options.dialect
    judged = {*argument_kinds, *pointer_parameters, *Fn.DIALECT_ARGUMENT_KINDS}
    # (a loop, not a comprehension of any() of a generator: 110,000 calls made 110,000 generators;
    # an argument of no class a variable's key is made of is passed over without a call)
    calls = []
    for node, name in zip(ctx.of(t.Call), ctx.call_names):
        if name in judged:
            for arg in node.args:
                if arg.__class__ in _VARIABLE_CLASSES and _variable(arg) is not None:
                    calls.append((node, name))
                    break
    if not calls:
        return
    pointers = _pointer_variables(ctx)
    kinds = _variable_kinds(ctx)[0]
    # What is said of an argument that is a name alone depends on the function, the argument's
    # place and the name only: said once each (110,000 clauses that speculate(s) asked it again).
    said: dict = {}
    wanted: dict = {}  # a function's name -> what it wants of its arguments, and its pointers
    Ident = t.Ident
    for node, name in calls:
        found = wanted.get(name)
        if found is None:
            wants = argument_kinds.get(name) or ()
            if name in Fn.DIALECT_ARGUMENT_KINDS:
                wants = Fn.DIALECT_ARGUMENT_KINDS[name].get(dialect.name, wants)
            found = wanted[name] = (wants, pointer_parameters.get(name, {}))
        wants, parameters = found
        for index, arg in enumerate(node.args):
            if arg.__class__ is Ident and arg.module is None:
                key = (name, index, arg.name)
                message = said.get(key, said)
                if message is said:
                    message = said[key] = _variable_argument(name, index, arg, wants, parameters, pointers, kinds)
            else:
                message = _variable_argument(name, index, arg, wants, parameters, pointers, kinds)
            if message is not None:
                yield ctx.finding("argument-type", arg, message, fallback=node)


def _variable_argument(name, index, arg, wants, parameters, pointers, kinds):
    """What :func:`_variable_arguments` says of argument ``index`` of a call of ``name``, or None."""
    key = _variable(arg)
    if key is None or _kind(arg) is not None or _is_pointer(arg):
        return None  # (no variable, or one the argument check judges by itself)
    have = "pointer" if key in pointers else kinds.get(key)
    want = wants[index] if index < len(wants) else None
    if want == "int" and name in Fn.POINTERS_TAKEN and have == "pointer":
        want = None  # (an aggregating function takes any scalar)
    advice = _VARIABLE_REFUSED.get(want, {}).get(have)
    if advice is None:
        want = parameters.get(index)
        advice = _VARIABLE_REFUSED.get(want, {}).get(have)
    if advice is None:
        return None
    what = Fn.KIND_TEXT.get(want, "a pointer")
    return (f"{name}() argument #{index + 1} must be {what}, and this variable is {_NOUNS[have]} (D types a "
            f"variable at its declaration or first assignment){advice}")


def _pointer_or_int(node, variables=None):
    """"pointer" or "int" where ``node`` is certainly one (a variable as ``variables`` types it);
    else None."""
    if _is_pointer(node):
        return "pointer"
    found = _kind(node)
    if found is None and variables is not None:
        key = _variable(node)
        if key is not None:
            return variables.get(key)
    return found if found == "int" else None


def _pointer_assignments(ctx):
    """A variable typed as an integer (``int g;``, or ``g = 1`` first in the text) given a pointer,
    or typed as a pointer given an integer other than 0 (dtrace: "operands have incompatible
    types: "int" = "struct task_struct *""); a pointer variable takes 0, a null pointer."""
    kinds: dict = {}
    for key, declarator, declared in _declared_variables(ctx):
        cls = declarator.__class__
        kinds.setdefault(key, "pointer" if cls is t.PointerDecl and declarator.target.__class__ is t.NameDecl
                         else "int" if cls is t.NameDecl and declared == "int" else None)
    if ctx.uses_cpp:
        return  # (a macro may stand for anything)
    for node, key in _variable_assignments(ctx):
        value = _pointer_or_int(node.value)
        have = kinds.setdefault(key, value)
        if have is None or value is None or have == value or (have == "pointer" and _is_zero(node.value)):
            continue
        yield ctx.finding(
            "operand-type", node, f"a{'n' if value == 'int' else ''} {'integer' if value == 'int' else value} "
            f"assigned to a variable of {'an integer' if have == 'int' else 'a pointer'} type: D types a variable "
            f"at its declaration or first assignment (dtrace: \"operands have incompatible types\"); use another "
            f"variable, or cast ({'(uintptr_t)p' if have == 'int' else '(type *)n'})")


#: Bytes of an integer type word (LP64, as the D compilers of 64-bit systems).
_INTEGER_SIZES = {"char": 1, "short": 2, "int": 4, "long": 8}
_INTEGER_WORDS = frozenset(("char", "short", "int", "long", "signed", "unsigned"))


def _pointer_type(specifiers, declarator, tags=frozenset()):
    """What ``specifiers declarator`` points to where it is certain: (levels of ``*``, what) with
    what ("int", bytes, signedness: "s", "u" or "?" for plain char) for a pointer to a spelled
    integer type (``char *``, ``unsigned long **``; const and volatile aside), ("tag", kind, name)
    for one to a struct or union the program defines (``tags``: :func:`_program_tags`),
    ("aggregate",) for curthread's, ("void",) for a pointer to a void pointer (``void **``); None for
    anything else (``void *``, a typedef name, a struct of the kernel's: not judged)."""
    levels = 0
    while declarator.__class__ is t.PointerDecl:
        levels += 1
        declarator = declarator.target
    if not levels or declarator.__class__ is not t.NameDecl:
        return None
    words = [w for w in specifiers if w not in ("const", "volatile")]
    if words == ["void"]:
        # (a void * fits every pointer; a void ** is a pointer to a void *, and fits only another:
        # ``(void **)p == (char **)q``, ``mutex_owned((void **)p)``, ``strlen((void **)p)``: "operands
        # have incompatible types", "argument #1 is incompatible with prototype", dtrace -e)
        return (levels, ("void",)) if levels > 1 else None
    if tags and len(words) == 1 and words[0].__class__ is t.StructSpec:
        found = (words[0].kind, words[0].name)
        return (levels, ("tag", *found)) if found in tags else None
    if not words or not all(w.__class__ is str and w in _INTEGER_WORDS for w in words):
        return None
    size = next((_INTEGER_SIZES[w] for w in ("char", "short", "long") if w in words), 4)
    sign = "u" if "unsigned" in words else "s" if "signed" in words or "char" not in words else "?"
    return levels, ("int", size, sign)


def _program_tags(ctx) -> frozenset:
    """(kind, name) of each struct and union the program defines: a pointer to one is compatible
    only with a pointer to itself (or to void): ``(struct foo *)p == (char *)q``, ``== (struct bar
    *)q``, ``== curthread``, ``x = (struct foo *)p; x = (char *)q``, ``strlen((struct foo *)p)``:
    "operands have incompatible types", "argument #1 is incompatible with prototype" (Oracle's
    dtrace 2.0, ``dtrace -e``).  Empty under the C preprocessor (a macro may stand for anything)."""
    if ctx.uses_cpp or not ctx.of(t.StructSpec):
        return frozenset()
    return frozenset((s.kind, s.name) for s in ctx.of(t.StructSpec)
                     if s.name is not None and s.members is not None and s.kind in ("struct", "union"))


def _pointer_type_of(node, tags=frozenset()):
    """:func:`_pointer_type` of an expression: a cast to a pointer type, or curthread."""
    if node.__class__ is t.Cast:
        return _pointer_type(node.type.specifiers, node.type.declarator, tags)
    if node.__class__ is t.Ident and node.module is None and node.name == "curthread":
        return 1, ("aggregate",)
    return None


#: The tags of the structs curthread points to in the dialects (Oracle's task_struct, illumos'
#: _kthread, FreeBSD's and macOS' thread): a program's own struct so named is not judged beside it.
_THREAD_TAGS = frozenset({"task_struct", "_kthread", "kthread", "thread"})


def _incompatible_pointers(a, b) -> bool:
    """Are these :func:`_pointer_type` results pointers dtrace holds incompatible (``char *`` and
    ``struct task_struct *``, ``int *`` and ``long *``, ``char *`` and ``char **``, ``struct foo
    *`` and ``struct bar *`` of the program's; a pointer to void is compatible with every pointer,
    ``long`` and ``long long``, ``int`` and ``signed int`` are one type to it)?"""
    if a is None or b is None or a == b:
        return False
    if a[0] != b[0]:
        return True
    if a[1][0] != b[1][0]:
        other = a[1] if a[1][0] == "tag" else b[1] if b[1][0] == "tag" else None
        return other is None or other[2] not in _THREAD_TAGS or "int" in (a[1][0], b[1][0])
    if a[1][0] == "tag":
        return True  # (two tags of the program's, not the same: a == b said that)
    if a[1][0] != "int":
        return False
    return a[1][1] != b[1][1] or "?" not in (a[1][2], b[1][2]) and a[1][2] != b[1][2]


def _is_void_pointer(node) -> bool:
    """A cast to ``void *`` (const and volatile aside)."""
    return (node.__class__ is t.Cast and node.type.declarator.__class__ is t.PointerDecl
            and node.type.declarator.target.__class__ is t.NameDecl
            and [w for w in node.type.specifiers if w not in ("const", "volatile")] == ["void"])


def _incompatible_operands(left, right, op, tags=frozenset()) -> bool:
    """Are ``left`` and ``right`` pointers dtrace refuses as operands of ``op`` (``-`` or a
    comparison)?  Stricter than an assignment's :func:`_incompatible_pointers` (measured with
    ``dtrace -e``): plain ``char`` is ``signed char`` here, not ``unsigned char`` (``(char *)p -
    (unsigned char *)q``, ``==``, ``<``: "operands have incompatible types"; ``signed char *``
    fits), and a ``void *`` is no operand of ``-`` beside another pointer (``(char *)p - (void
    *)q``, even ``(void *)p - (void *)q``; compared, it fits)."""
    a, b = _pointer_type_of(left, tags), _pointer_type_of(right, tags)
    if op == "-" and (_is_void_pointer(left) and (b is not None or _is_void_pointer(right))
                      or _is_void_pointer(right) and a is not None):
        return True
    return _incompatible_pointers(_signed_char(a), _signed_char(b))


def _void_pointer_variables(ctx) -> frozenset:
    """The keys (:func:`_variable`) of the variables D types as ``void *``: declared one (``void
    *p;``), or given one by their first assignment in the text (``this->p = alloca(8)``).  None
    under the C preprocessor."""
    if ctx.uses_cpp:
        return frozenset()
    kinds: dict = {}
    for item in ctx.of(t.Declaration):
        specifiers = item.specifiers
        if "typedef" in specifiers or "extern" in specifiers:
            continue
        void = [w for w in specifiers if w not in ("self", "this", "const", "volatile")] == ["void"]
        scope = "self" if "self" in specifiers else "this" if "this" in specifiers else "global"
        for declarator in item.declarators:
            name = _declared_name(declarator)
            if name:
                kinds.setdefault((scope, name), void and declarator.__class__ is t.PointerDecl
                                 and declarator.target.__class__ is t.NameDecl)
    for node, key in _variable_assignments(ctx):
        if key not in kinds:
            kinds[key] = _is_void_value(node.value)
    return frozenset(key for key, void in kinds.items() if void)


def _is_void_value(node) -> bool:
    """A cast to ``void *`` or a call of a function whose value is one (``alloca()``)."""
    return _is_void_pointer(node) or node.__class__ is t.Call and node.name in Fn.VOID_POINTER_RESULTS


def _void_pointer_uses(ctx):
    """Arithmetic on a ``void *`` and what needs the size of what it points to, which dtrace
    refuses (Oracle's dtrace 2.0, ``dtrace -e``): ``(void *)p + 1``, ``- 1``, ``1 + p`` ("operands
    have incompatible types: "void *" + "int""; even ``+ 0``), ``p[1]`` (the same, of its ``+``),
    ``*p`` ("cannot dereference pointer to void"), ``p->m`` ("operator -> cannot be applied to
    pointer to type "void""), ``p++``, ``--p`` ("operator ++ requires an operand of known size"),
    ``p += 1`` ("operator += requires left-hand scalar operand of known size").  A ``void *`` is a
    cast to one, the result of ``alloca()`` or ``copyin()``
    (:data:`~dtracepy.facts.functions.VOID_POINTER_RESULTS`), or a variable D types as one
    (:func:`_void_pointer_variables`).  Compared, tested or given to a function, it is fine."""
    variables = None

    def void(node):
        nonlocal variables
        if _is_void_value(node):
            return True
        cls = node.__class__
        if cls is t.Ident or cls is t.SelfVar or cls is t.ThisVar:
            if variables is None:
                variables = _void_pointer_variables(ctx)
            return bool(variables) and _variable(node) in variables
        return False

    cast = "cast it to a pointer to a type of known size first ((char *)p + 1, *(int *)p)"
    for node in ctx.of(t.Binary):
        if node.op in ("+", "-"):
            side = node.left if void(node.left) else node.right if void(node.right) else None
            if side is None or _is_pointer(node.left if side is node.right else node.right):
                continue  # (two pointers: _pointer_operands says it)
            yield ctx.finding("operand-type", side, f"a void * cannot be an operand of {node.op} (dtrace: \"operands "
                              f"have incompatible types: \"void *\" {node.op} ...\"): D does no arithmetic on a "
                              f"pointer to void; {cast}", fallback=node)
    for node in ctx.of(t.Index):
        if void(node.base):
            yield ctx.finding("operand-type", node.base, "a void * cannot be indexed (dtrace: \"operands have "
                              f"incompatible types: \"void *\" + ...\"); {cast}", fallback=node)
    for node in ctx.of(t.Member):
        if node.op == "->" and void(node.base):
            yield ctx.finding("operand-type", node.base, "-> cannot be applied to a void * (dtrace: \"operator -> "
                              "cannot be applied to pointer to type \"void\"\"); cast it to the struct's pointer "
                              f"first (((struct foo *)p)->{node.name})", fallback=node)
    for cls in (t.Unary, t.Postfix):
        for node in ctx.of(cls):
            op = node.op
            if op not in ("*", "++", "--") or not void(node.operand):
                continue
            if op == "*":
                message = f"a void * cannot be dereferenced (dtrace: \"cannot dereference pointer to void\"); {cast}"
            else:
                message = (f"{op} of a void * (dtrace: \"operator {op} requires an operand of known size\"): D "
                           "does no arithmetic on a pointer to void; give the variable a pointer type of known "
                           "size ((char *)p)")
            yield ctx.finding("operand-type", node.operand, message, fallback=node)
    for node in ctx.of(t.Assign):
        if node.op in ("+=", "-=") and void(node.target):
            yield ctx.finding("operand-type", node.target, f"{node.op} of a void * (dtrace: \"operator {node.op} "
                              "requires left-hand scalar operand of known size\"): D does no arithmetic on a pointer "
                              "to void; give the variable a pointer type of known size ((char *)p)", fallback=node)


def _is_struct_value(node) -> bool:
    """Is ``node`` certainly a struct or union value: ``*`` of a cast to a pointer to one named by
    its tag (``*(struct foo *)p``, the program's or the kernel's), or ``*curthread``?"""
    if node.__class__ is not t.Unary or node.op != "*":
        return False
    operand = node.operand
    if operand.__class__ is t.Ident:
        return operand.module is None and operand.name == "curthread"
    if operand.__class__ is not t.Cast:
        return False
    declarator = operand.type.declarator
    words = [w for w in operand.type.specifiers if w not in ("const", "volatile")]
    return (declarator.__class__ is t.PointerDecl and declarator.target.__class__ is t.NameDecl
            and len(words) == 1 and words[0].__class__ is t.StructSpec and words[0].kind in ("struct", "union"))


def _struct_values(ctx):
    """A struct or union value (:func:`_is_struct_value`) where D wants a scalar, which dtrace
    refuses (Oracle's dtrace 2.0, ``dtrace -e``): an operand of a binary operator but the comma
    (``*(struct foo *)p + 1``: "operands have incompatible types: "struct foo" + "int"", ``&&``:
    "requires operands of scalar type"), of unary ``! - ~ +``, the condition of ``?:`` ("operator ?:
    expression must be of scalar type"), an aggregating function's value (``sum(*curthread)``:
    "sum( ) argument #1 must be of scalar type"), ``stringof`` ("cannot apply stringof to a value of
    type struct foo").  ``trace()`` and ``print()`` of one are fine."""
    if not any(node.op == "*" for node in ctx.of(t.Unary)):
        return
    advice = "name a member of it (s.m, p->m), or give its address"
    for node in ctx.of(t.Binary):
        if node.op != ",":
            for side in (node.left, node.right):
                if _is_struct_value(side):
                    yield ctx.finding("operand-type", side, f"a struct value cannot be an operand of {node.op} "
                                      f"(dtrace: \"operands have incompatible types\", \"requires operands of "
                                      f"scalar type\"): {advice}", fallback=node)
                    break
    for node in ctx.of(t.Unary):
        if node.op in _UNARY and _is_struct_value(node.operand):
            yield ctx.finding("operand-type", node.operand, f"a struct value cannot be an operand of {node.op} "
                              f"(dtrace: \"operator {node.op} requires an operand of ... type\"): {advice}",
                              fallback=node)
    for node in ctx.of(t.Ternary):
        if _is_struct_value(node.cond):
            yield ctx.finding("operand-type", node.cond, "a struct value cannot be the condition of ?: (dtrace: "
                              f"\"operator ?: expression must be of scalar type\"): {advice}", fallback=node)
    for node in ctx.of(t.Stringof):
        if _is_struct_value(node.operand):
            yield ctx.finding("operand-type", node.operand, "stringof cannot be applied to a struct value (dtrace: "
                              f"\"cannot apply stringof to a value of type struct ...\"): {advice}", fallback=node)
    aggregating = Fn.AGGREGATING_FUNCTIONS
    for node, name in zip(ctx.of(t.Call), ctx.call_names):
        if name in aggregating and node.args and _is_struct_value(node.args[0]):
            yield ctx.finding("argument-type", node.args[0], f"{name}() argument #1 must be of scalar type, and this "
                              f"is a struct value (dtrace: \"{name}( ) argument #1 must be of scalar type\"): "
                              f"{advice}", fallback=node)


def _struct_tag(node):
    """(kind, tag) of a :func:`_is_struct_value` that is a cast's, None for ``*curthread``."""
    if node.operand.__class__ is not t.Cast:
        return None
    word = [w for w in node.operand.type.specifiers if w not in ("const", "volatile")][0]
    return word.kind, word.name


def struct_variables(ctx) -> frozenset:
    """The keys (:func:`_variable`) of the variables D types as a struct by their first assignment
    in the text (``this->s = *(struct foo *)p``), declared ones aside; empty under the C
    preprocessor.  (Kept on the context: printf's check asks it of each argument.)"""
    found = ctx.__dict__.get("_struct_variables")
    if found is not None:
        return found
    firsts: dict = {}
    if not ctx.uses_cpp and any(node.op == "*" for node in ctx.of(t.Unary)):
        declared = {key for key, _, _ in _declared_variables(ctx)}
        for node in ctx.of(t.Assign):
            key = _variable(node.target)
            if key is not None and key not in declared and key[0] != "array":
                firsts.setdefault(key, node.op == "=" and _is_struct_value(node.value))
    found = ctx.__dict__["_struct_variables"] = frozenset(key for key, struct in firsts.items() if struct)
    return found


def _struct_value_assignments(ctx):
    """A variable D types as a struct by its first assignment (``this->s = *(struct foo *)p``)
    given another kind of value or another struct, or typed an integer, a string or a pointer and
    given a struct value (dtrace: "operands have incompatible types: "struct foo" = "int"", even
    for 0, but for a thread-local, which 0 frees); a struct variable updated with ``+=`` and the like ("operator += requires left-hand
    scalar operand of known size").  Declared variables are not judged here."""
    if ctx.uses_cpp or not any(node.op == "*" for node in ctx.of(t.Unary)):
        return
    declared = {key for key, _, _ in _declared_variables(ctx)}
    kinds: dict = {}
    for node in ctx.of(t.Assign):
        key = _variable(node.target)
        if key is None or key in declared or key[0] == "array":
            continue
        value = node.value
        if _is_struct_value(value):
            have = ("struct", _struct_tag(value))
        else:
            have = "pointer" if _is_pointer(value) else _kind(value)
            have = have if have in ("int", "string", "pointer") else None
        if node.op != "=":
            first = kinds.get(key)
            if first is not None and first[0] == "struct":
                yield ctx.finding("operand-type", node, f"{node.op} of a struct variable (dtrace: \"operator {node.op} "
                                  "requires left-hand scalar operand of known size\"): update a member of it")
            kinds.setdefault(key, None)
            continue
        first = kinds.setdefault(key, have)
        if first is None or have is None or first == have:
            continue
        if first[0] != "struct" and have[0] != "struct":
            continue  # (other kinds: the other assignment rules judge them)
        if first[0] == "struct" and have[0] == "struct" and None in (first[1], have[1]):
            continue  # (*curthread beside a cast: its struct's tag is the dialect's)
        if key[0] == "self" and _is_zero(value):
            continue  # (a thread-local given 0 is freed, whatever its type: self->s = 0 compiles)
        yield ctx.finding("operand-type", node, "a value of another type assigned to a variable D types as a "
                          "struct, or a struct assigned to one it types otherwise, at its first assignment (dtrace: "
                          "\"operands have incompatible types\"); use another variable, or assign a member")


def _signed_char(found):
    """:func:`_pointer_type` with plain char as signed char (D on Linux: char is signed)."""
    if found is not None and found[1][0] == "int" and found[1][2] == "?":
        return found[0], ("int", found[1][1], "s")
    return found


def _pointer_type_assignments(ctx):
    """A variable typed as one pointer (``char *g;``, or ``x = (char *)arg0`` first in the text)
    given another it is incompatible with (``x = curthread``: "operands have incompatible types:
    "char *" = "struct task_struct *"")."""
    if ctx.uses_cpp:
        return  # (a macro may stand for anything)
    tags = _program_tags(ctx)
    types = _declared_pointer_types(ctx, tags)
    for node, key in _variable_assignments(ctx):
        value = _pointer_type_of(node.value, tags)
        have = types.setdefault(key, value)
        if _incompatible_pointers(have, value):
            yield ctx.finding("operand-type", node, "a pointer assigned to a variable of an incompatible pointer "
                              "type: D types a variable at its declaration or first assignment (dtrace: "
                              "\"operands have incompatible types\"); use another variable, or cast to the "
                              "variable's type")


def _declared_pointer_types(ctx, tags=frozenset()) -> dict:
    """(scope, name) -> :func:`_pointer_type` of each variable the program declares."""
    types: dict = {}
    for item in ctx.of(t.Declaration):
        if "typedef" in item.specifiers or "extern" in item.specifiers:
            continue
        scope = "self" if "self" in item.specifiers else "this" if "this" in item.specifiers else "global"
        specifiers = [s for s in item.specifiers if s not in ("self", "this")]
        for declarator in item.declarators:
            name = _declared_name(declarator)
            if name:
                types.setdefault((scope, name), _pointer_type(specifiers, declarator, tags))
    return types


def _spelled_pointer(text):
    """:func:`_pointer_type` of a pointer type spelled in the facts (``"unsigned int *"``)."""
    declarator = t.NameDecl(None)
    for _ in range(text.count("*")):
        declarator = t.PointerDecl(declarator)
    return _pointer_type(tuple(text.replace("*", " ").split()), declarator)


def _pointer_arguments(ctx):
    """argument-type of a pointer given to a parameter that takes a pointer of another type: a
    string parameter given an ``int *``, ``char **``, curthread or a program struct's pointer,
    ``inet_ntoa`` a ``char *`` (:data:`dtracepy.facts.functions.TYPED_POINTER_PARAMETERS`), a
    kernel struct's parameter (``mutex_owned``, ``d_path``:
    :data:`~dtracepy.facts.functions.KERNEL_POINTER_PARAMETERS`) an integer type's pointer, a
    program struct's or curthread.  The argument's type is a cast's, curthread's, or a variable's
    as its declaration or first assignment gives it; void and typedef names are not judged."""
    typed, kernel, kinds = Fn.TYPED_POINTER_PARAMETERS, Fn.KERNEL_POINTER_PARAMETERS, Fn.ARGUMENT_KINDS
    calls = [(node, name) for node, name in zip(ctx.of(t.Call), ctx.call_names)
             if name in typed or name in kernel or "string" in kinds.get(name, ())]
    if not calls or ctx.uses_cpp:
        return
    types = None
    tags = _program_tags(ctx)
    for node, name in calls:
        wants = kinds.get(name, ())
        for index, arg in enumerate(node.args):
            want = typed.get(name, {}).get(index) or (
                Fn.STRING_POINTER if index < len(wants) and wants[index] == "string" else None)
            struct = kernel.get(name, {}).get(index)
            if want is None and struct is None:
                continue
            have = _pointer_type_of(arg, tags) or _library_pointer(arg)
            key = _variable(arg) if have is None else None
            if key is not None:
                if types is None:
                    types = _declared_pointer_types(ctx, tags)
                    for assign, assigned in _variable_assignments(ctx):
                        types.setdefault(assigned, _pointer_type_of(assign.value, tags))
                have = types.get(key)
            if struct is not None:
                want, refused = struct[0], have is not None and (
                    have[0] != 1 or have[1][0] != "tag" or have[1][2] not in struct[1]) or _pointer_levels(arg) > 1
            else:
                refused = _incompatible_pointers(_spelled_pointer(want), have)
            if refused:
                yield ctx.finding("argument-type", arg, f"{name}() argument #{index + 1} takes {want}, and this is "
                                  f"a pointer of another type (dtrace: \"{name}( ) argument #{index + 1} is "
                                  f"incompatible with prototype\"); cast it ({want.replace(' *', '')} *)",
                                  fallback=node)


def _pointer_levels(node) -> int:
    """How many ``*`` a cast's type spells (``(struct path **)p``: 2, whatever the struct: a pointer
    to a pointer is no kernel struct's pointer, "prototype: struct path * argument: struct path **");
    0 for anything else."""
    levels = 0
    if node.__class__ is t.Cast:
        declarator = node.type.declarator
        while declarator.__class__ is t.PointerDecl:
            levels, declarator = levels + 1, declarator.target
    return levels


#: The variables of D's libraries that point to a type no prototype of a subroutine takes
#: (``curpsinfo``: "prototype: struct mutex * argument: pointer to translated data", ``curcpu``:
#: "argument: cpuinfo_t *", Oracle's dtrace 2.0, ``dtrace -e``).
_LIBRARY_POINTERS = frozenset(("curpsinfo", "curlwpsinfo", "curcpu"))


def _library_pointer(node):
    """:func:`_pointer_type` of ``curpsinfo``, ``curlwpsinfo`` or ``curcpu`` given to a subroutine's
    pointer parameter; None for anything else.  (Not as an operand: there dtrace holds a
    translated pointer incompatible with a ``void *`` too, which :func:`_incompatible_pointers`
    does not say.)"""
    if node.__class__ is t.Ident and node.module is None and node.name in _LIBRARY_POINTERS:
        return 1, ("library", node.name)
    return None


def _pointer_branches(ctx):
    """A pointer beside an integer other than 0 as the branches of ?: (``arg0 ? curthread : 1``:
    "operator ?: operands must have compatible types"; 0 is a null pointer, which a pointer branch
    takes).  Not where dtrace's parser folds the ?: first (a constant condition: ``1 ? p : 1``)."""
    from dtracepy.checks.rules import _dead_branches, condition_constant, program_names

    dead = names = None
    tags = _program_tags(ctx)
    for node in ctx.of(t.Ternary):
        kinds = (_pointer_or_int(node.then), _pointer_or_int(node.otherwise))
        if set(kinds) == {"pointer", "int"}:
            number = node.then if kinds[0] == "int" else node.otherwise
            if _is_zero(number):
                continue
            where, message = number, ("the branches of this ?: are a pointer and an integer other than 0, which "
                                      "dtrace refuses (\"operator ?: operands must have compatible types\"): cast "
                                      "the pointer to an integer ((uintptr_t)p) or the integer to a pointer")
        elif kinds == ("pointer", "pointer") and _incompatible_pointers(
                _pointer_type_of(node.then, tags), _pointer_type_of(node.otherwise, tags)):
            where, message = node.otherwise, (
                "the branches of this ?: are pointers of incompatible types, which dtrace refuses (\"operator ?: "
                "operands must have compatible types\"): cast one to the other's type, or both to void *")
        else:
            continue
        if names is None:
            names, dead = program_names(ctx.of, ctx.options.dialect), _dead_branches(ctx.of)
        if id(node) in dead or condition_constant(node.cond, ctx.options.dialect, names) is not Fn.NOT_CONSTANT:
            continue
        yield ctx.finding("operand-type", where, message, fallback=node)


def _strings_possible(ctx) -> bool:
    """Could any operand of the program be a string?  (Every operand-type finding has one; most
    programs have none, and then nothing more is looked at.)"""
    if ctx.of(t.StringLit) or ctx.of(t.Stringof):
        return True
    if any(name is not None and Fn.result(name) == "string" for name in ctx.call_names):
        return True
    if any(V.kind(name) == "string" for name in set(ctx.ident_names)):  # (each name once)
        return True
    return any("string" in node.specifiers for cls in (t.Declaration, t.TypeName) for node in ctx.of(cls))


# The node classes that may be a string here (the tests of _is_string below); anything else, an
# operator or a number (most operands), is told by this set alone.
_MAY_BE_STRING = frozenset((t.StringLit, t.Stringof, t.Call, t.Cast, t.Ident, t.Index, t.SelfVar, t.ThisVar))


#: What D says of ``a + b`` where both are strings (the DSL says it too, dsl/values.py).
STRING_SUM = ("two strings cannot be operands of + (dtrace: operands have incompatible types: \"string\" + "
              "\"string\"); join strings with strjoin(a, b)")


STRING_PREDICATE = ("a predicate cannot be a string (dtrace: \"predicate result must be of scalar type\"): "
                    "compare it with a string (x != \"\") or test its length (strlen(x) > 0)")


def _is_string(node, variables) -> bool:
    """Is ``node`` certainly a string?  (What printf.kind says, without walking into operators,
    which never make one, plus the variables the program types as strings.)"""
    cls = node.__class__
    if cls not in _MAY_BE_STRING:
        return False
    if cls is t.StringLit or cls is t.Stringof:
        return True
    if cls is t.Call:
        return node.name is not None and Fn.result(node.name) == "string"
    if cls is t.Cast:
        return _kind(node) == "string"
    if cls is t.Ident and node.module is None and V.kind(node.name) == "string":
        return True
    key = _variable(node)
    return key is not None and variables.get(key) == "string"


def _kind_of(node, variables):
    if _is_string(node, variables):
        return "string"
    found = _kind(node)
    if found is None:
        key = _variable(node)
        if key is not None:
            return variables.get(key)
    return found


def binary_problem(node, variables):
    """``(the operand to blame, the message)`` when dtrace refuses the operands of the binary
    operator ``node`` (``variables``: the program's variables typed as strings or integers; the DSL
    gives none), else None.  The DSL asks it of each operator it builds (dsl/values.py)."""
    op = node.op
    if op in _INTEGRAL or op in _SCALAR:
        for side in (node.left, node.right):
            if _is_string(side, variables):
                need = "integral" if op in _INTEGRAL else "scalar"
                return side, f"operator {op} needs operands of {need} type, and this is a string (dtrace refuses it)"
    elif op == "+" and _is_string(node.left, variables) and _is_string(node.right, variables):
        return node, STRING_SUM
    elif (op in _COMPARISONS or op == "-") and (
            _is_string(node.left, variables) or _is_string(node.right, variables)):
        left, right = _kind_of(node.left, variables), _kind_of(node.right, variables)
        if {left, right} == {"string", "int"} and (op != "-" or left == "int"):
            number = node.left if left == "int" else node.right
            if op != "-" and _is_zero(number):
                return None  # (a null pointer: a string may be compared with it)
            return (node.right if op == "-" else number,
                    f"a string and an integer cannot be operands of {op} (dtrace: operands "
                    f"have incompatible types: \"{left}\" {op} \"{right}\")")
    return None


def unary_problem(node, variables):
    """``(the operand, the message)`` when dtrace refuses the operand of the unary operator
    ``node`` (a string where a scalar is needed), else None; the DSL asks it too."""
    if (node.op in _UNARY or node.op in ("++", "--")) and _is_string(node.operand, variables):
        return node.operand, f"operator {node.op} needs a scalar operand, and this is a string (dtrace refuses it)"
    return None


def _operands(ctx):
    variables, refused = _variable_kinds(ctx)

    def kind(node):
        return _kind_of(node, variables)

    for node in ctx.of(t.Binary):
        found = binary_problem(node, variables)
        if found is not None:
            yield ctx.finding("operand-type", found[0], found[1], fallback=node)
    for node in ctx.of(t.Unary):
        found = unary_problem(node, variables)
        if found is not None:
            yield ctx.finding("operand-type", found[0], found[1], fallback=node)
    for node in ctx.of(t.Postfix):
        if node.op in ("++", "--") and _is_string(node.operand, variables):
            yield ctx.finding("operand-type", node.operand, f"operator {node.op} needs a scalar operand, and "
                              "this is a string (dtrace refuses it)", fallback=node)
    for clause in ctx.of(t.Clause):
        if clause.predicate is not None and _is_string(clause.predicate, variables):
            yield ctx.finding("operand-type", clause.predicate, STRING_PREDICATE)
    ternaries = ctx.of(t.Ternary)
    if ternaries:
        yield from _ternary_branches(ctx, ternaries, variables)
    for node in ctx.of(t.Cast):
        if _is_string(node.operand, variables) and _cast_takes_no_string(node.type):
            spelled = _spelled_type(node.type)
            yield ctx.finding("operand-type", node, f"a string cannot be cast to {spelled}, which dtrace refuses "
                              f"(\"invalid cast expression: \"string\" to \"{spelled}\"\"): a D string is no "
                              f"pointer or integer; only (string) and (void) take one")
    for node in ctx.of(t.Assign):
        op = node.op
        if op == "=":
            continue  # (the assignments are judged by _variable_kinds)
        target = kind(node.target)
        value = kind(node.value)
        if target is None or value is None:
            continue
        if target == "string" or (value == "string" and target == "int"):
            yield ctx.finding("operand-type", node, f"{op} of a{'n' if value == 'int' else ''} {value} to a "
                              f"variable of type {target} (dtrace: operands have incompatible types: "
                              f"\"{target}\" {op} \"{value}\")")
    yield from refused


def _cast_takes_no_string(type_name) -> bool:
    """Is the cast ``(type_name)`` one dtrace refuses of a string?  Every cast but to ``string``
    or ``void`` (to a pointer, ``(char *)execname``, or an integer, ``(uint64_t)execname``); a
    typedef name is judged only if it is a standard integer type (another may name string)."""
    specifiers = [s for s in type_name.specifiers if s not in ("const", "volatile")]
    if type_name.declarator.__class__ is t.NameDecl and specifiers in (["string"], ["void"]):
        return False
    decl = type_name.declarator
    while decl.__class__ is t.PointerDecl:
        decl = decl.target
    return decl.__class__ is t.NameDecl and all(  # (a pointer or a plain type: no array, no function)
        s.__class__ is str or (s.__class__ is t.TypeRef and s.name in INTEGER_TYPE_WORDS) for s in specifiers)


def _spelled_type(type_name) -> str:
    """``(const char **)`` -> ``const char **``, as dtrace spells a type in its messages (a cast
    :func:`_cast_takes_no_string` judges: words, typedef names and pointers only)."""
    stars, decl = 0, type_name.declarator
    while decl.__class__ is t.PointerDecl:
        stars, decl = stars + 1, decl.target
    words = " ".join(s if s.__class__ is str else s.name for s in type_name.specifiers)
    return words + (" " + "*" * stars if stars else "")


def _ternary_branches(ctx, ternaries, variables):
    """A string condition of ?:, or a string branch beside an integer one (``pid ? 1 : "b"``:
    "operator ?: operands must have compatible types"; 0 is also a null pointer, which a string
    branch takes).  Not where dtrace's parser folds the ?: first: a constant condition keeps one
    branch, unjudged (``1 ? 1 : "b"``), and what is under the branch it drops is never judged."""
    from dtracepy.checks.rules import _dead_branches, condition_constant, program_names

    dead = names = None
    for node in ternaries:
        if _is_string(node.cond, variables):
            yield ctx.finding("operand-type", node.cond, "the condition of ?: must be a scalar, and this is a "
                              "string (dtrace refuses it)", fallback=node)
            continue
        kinds = (_kind_of(node.then, variables), _kind_of(node.otherwise, variables))
        if set(kinds) != {"string", "int"} or _is_zero(node.then if kinds[0] == "int" else node.otherwise):
            continue
        if names is None:
            names, dead = program_names(ctx.of, ctx.options.dialect), _dead_branches(ctx.of)
        if id(node) in dead or condition_constant(node.cond, ctx.options.dialect, names) is not Fn.NOT_CONSTANT:
            continue
        number = node.then if kinds[0] == "int" else node.otherwise
        yield ctx.finding("operand-type", number, "the branches of this ?: are an integer and a string, which "
                          "dtrace refuses (\"operator ?: operands must have compatible types\"): give both "
                          "branches one type", fallback=node)


def _is_zero(node) -> bool:
    return node.__class__ is t.IntLit and node.text in ("0", "0x0", "00")


#: The classes of the nodes :func:`_variable` gives a key of (for others it gives None).
_VARIABLE_CLASSES = frozenset((t.Index, t.Ident, t.SelfVar, t.ThisVar))


def _variable(node):
    """The key of the variable ``node`` is (or of whose elements it is one): ("global", name),
    ("self", name), ("this", name); None for anything else."""
    if node.__class__ is t.Index:
        node = node.base
        if node.__class__ is not t.Ident:
            return None  # (self->a[k]: an element of a thread-local array, typed apart)
        return ("array", node.name) if node.module is None else None
    if node.__class__ is t.Ident:
        return ("global", node.name) if node.module is None else None
    if node.__class__ is t.SelfVar:
        return ("self", node.name)
    if node.__class__ is t.ThisVar:
        return ("this", node.name)
    return None


def _declared_variables(ctx):
    """(key, declarator, kind) for each variable the program declares: its key as :func:`_variable`
    gives it, and "string" or "int" where its specifiers say so (``string s;``, ``long n;``,
    ``this x;``), else None."""
    for item in ctx.of(t.Declaration):
        specifiers = item.specifiers
        if "typedef" in specifiers or "extern" in specifiers:
            continue
        words = [s for s in specifiers if s.__class__ is str]
        scope = "self" if "self" in words else "this" if "this" in words else "global"
        types = [w for w in words if w not in ("self", "this", "const", "volatile")]
        declared = None
        if len(words) == len(specifiers):
            declared = "string" if types == ["string"] else "int" if (not types and scope != "global") or (
                types and all(w in ("int", "long", "short", "char", "signed", "unsigned") for w in types)) else None
        for declarator in item.declarators:
            name = _declared_name(declarator)
            if name:
                yield (scope, name), declarator, declared


def _variable_assignments(ctx):
    """(node, key) for each plain assignment (``=``) to a variable, in the text's order."""
    for node in ctx.of(t.Assign):
        if node.op == "=":
            key = _variable(node.target)
            if key is not None:
                yield node, key


def _variable_kinds(ctx):
    """variable key -> "int" or "string" as the program types it (its declaration, or its first
    assignment in the text), with the assignments that give it the other kind as findings."""
    kinds: dict = {}
    refused: list = []
    for key, declarator, declared in _declared_variables(ctx):
        # (a pointer, an array, a type not known here: typed, but not judged)
        kinds.setdefault(key, declared if declarator.__class__ is t.NameDecl else None)
    if ctx.uses_cpp:
        return kinds, refused  # (a macro may stand for anything)
    for node, key in _variable_assignments(ctx):
        value = _kind(node.value)
        if value not in ("int", "string"):
            if key not in kinds:
                kinds[key] = None  # typed by a value of a kind not known here: not judged
            continue
        have = kinds.setdefault(key, value)
        if have is None or have == value or (have == "string" and _is_zero(node.value)):
            continue
        refused.append(ctx.finding(
            "operand-type", node, f"a{'n' if value == 'int' else ''} {value} assigned to a variable of type "
            f"{have}: D types a variable at its declaration or first assignment (dtrace: operands have "
            f"incompatible types: \"{have}\" = \"{value}\"); use another variable"))
    return kinds, refused


# --- aggregations given where they are needed -------------------------------------------------

def _aggregation_of(node):
    """The aggregation ``node`` is (``@a``) or an element of (``@a[k]``), or None."""
    if node.__class__ is t.Index:
        node = node.base
    return node if node.__class__ is t.AggVar else None


def aggregations(ctx):
    """aggregation-argument: clear(), trunc(), normalize(), denormalize() given something that is
    not an aggregation; printa-keys: printa() of aggregations whose keys differ in number or kind."""
    calls = [node for node, name in zip(ctx.of(t.Call), ctx.call_names) if name in Fn.AGGREGATION_ARGUMENTS]
    if not calls:
        return
    keys: dict = {}  # aggregation name -> its first assignment's keys
    for node in ctx.of(t.Assign):
        target = node.target
        if target.__class__ is t.Index and target.base.__class__ is t.AggVar:
            keys.setdefault(target.base.name, target.keys)
        elif target.__class__ is t.AggVar:
            keys.setdefault(target.name, ())
    for node in calls:
        where = Fn.AGGREGATION_ARGUMENTS[node.name]
        if where is not None:
            for index in where:
                if index < len(node.args) and _aggregation_of(node.args[index]) is None:
                    yield ctx.finding("aggregation-argument", node.args[index],
                                      f"{node.name}() argument #{index + 1} must be an aggregation (@name), and "
                                      "this is not one (dtrace: \"incompatible with prototype\")", fallback=node)
            continue
        given = [a for a in node.args if a.__class__ is t.AggVar and a.name in keys]
        for other in given[1:]:
            first = given[0]
            a, b = keys[first.name], keys[other.name]
            if len(a) != len(b):
                yield ctx.finding("printa-keys", other, f"printa() of @{first.name} ({len(a)} key(s)) and "
                                  f"@{other.name} ({len(b)}): aggregations printed together must have the same keys "
                                  "(dtrace: \"do not have matching key signatures\")", fallback=node)
                continue
            for number, (x, y) in enumerate(zip(a, b), start=1):
                if {_kind(x), _kind(y)} == {"int", "string"}:
                    yield ctx.finding("printa-keys", other, f"printa() of @{first.name} and @{other.name}: key "
                                      f"#{number} is {_kind(x)} in one and {_kind(y)} in the other (dtrace: \"key "
                                      f"#{number} is incompatible\")", fallback=node)
                    break


# --- arrays used as what they are not -----------------------------------------------------------

def arrays(ctx, dialect):
    """array-use: a declared array given two keys or a constant index beyond it, a clause-local
    used as an associative array, an associative array (or ``args``) named without a key."""
    indexes = ctx.of(t.Index)
    declared = _declared_arrays(ctx, dialect)
    if declared and indexes:
        yield from _declared_array_uses(ctx, dialect, indexes, declared)
    yield from _inline_array_uses(ctx, indexes)
    if ctx.uses_cpp:
        return
    assigns = ctx.of(t.Assign)
    locals_indexed = [node for node in indexes if node.base.__class__ is t.ThisVar]
    whole = {node.target.name for node in assigns if node.target.__class__ in (t.Ident, t.ThisVar)} \
        if locals_indexed or indexes else set()
    if locals_indexed:
        declared_locals = {_declared_name(d) for item in ctx.of(t.Declaration) if "this" in item.specifiers
                           for d in item.declarators}
        seen = set()
        for node in locals_indexed:
            name = node.base.name
            if name not in whole and name not in declared_locals and name not in seen:
                seen.add(name)
                yield ctx.finding("array-use", node, f"this->{name}[...]: a clause-local cannot be an associative "
                                  "array (dtrace: \"local variables may not be used as associative arrays\"); use a "
                                  "global or thread-local one")
    # names the program uses only as associative arrays (assigned by key, never whole or declared)
    by_key = {node.target.base.name for node in assigns if node.target.__class__ is t.Index
              and node.target.base.__class__ is t.Ident and node.target.base.module is None} \
        if ctx.assignments.targets_any(t.Index) else set()  # (no element assigned: no loop over them)
    arrays_only = by_key - whole - set(declared) - _declared_globals(ctx) if by_key else set()
    if dialect is not None and "args" in dialect.variables:
        arrays_only.add("args")
    if arrays_only.isdisjoint(ctx.ident_names):
        return  # (no identifier so named: told without a loop over them all)
    candidates = [node for node in ctx.of(t.Ident) if node.name in arrays_only and node.module is None]
    if not candidates:
        return
    if all(node.pos is not None for node in candidates):  # (a D file's: each name its own node)
        bases = {id(node.base) for node in indexes}
        targets = {id(node.target) for node in assigns} if by_key else ()
        used = [(node, None) for node in candidates if id(node) not in bases and id(node) not in targets]
    else:
        # A tracer's `args` is one node for all its uses, with no position: each use is one
        # entry of ctx.of(t.Ident), so when every one is an index's base (`args[0]`) or an
        # assignment's target, none is whole; else the walk tells them apart by the parent
        # (`trace(args)`) and shows each at its line.
        shared = {id(node) for node in candidates}
        keyed = sum(1 for node in indexes if id(node.base) in shared)
        if by_key:
            keyed += sum(1 for node in assigns if id(node.target) in shared)
        if keyed >= len(candidates):
            return
        used = [(node, at) for node, parent, at in ctx.placed(t.Ident)
                if node.name in arrays_only and node.module is None
                and not (parent.__class__ is t.Index and parent.base is node)
                and not (parent.__class__ is t.Assign and parent.target is node and by_key)]
    for node, at in used:
        yield ctx.finding("array-use", node, f"{node.name} is an associative array: name an element of it "
                          f"({node.name}[key]), not the array (dtrace: \"may not be referenced as scalar\")",
                          fallback=at)


def index_problem(base) -> str | None:
    """Why dtrace refuses ``base[...]`` when ``base`` is certainly an integer (a constant, an
    integer built-in variable such as ``arg0``, arithmetic on those: "cannot dereference
    non-pointer type"), else None.  The DSL asks it of each index it builds (dsl/values.py)."""
    from dtracepy.checks.printf import _argument_kind

    if _argument_kind(base) != "int":
        return None
    what = f"{base.name} is an integer" if base.__class__ is t.Ident else "this is an integer"
    return (f"{what}, not a pointer or an array: it cannot be indexed (dtrace: \"cannot dereference "
            f"non-pointer type\"); cast it to a pointer first ((uint8_t *)x)[i], or use an "
            f"associative array of another name")


def scalar_indexes(of, shown=None, variables=True):
    """(node, message) for each index dtrace refuses because its base is an integer: one
    :func:`index_problem` names, or a variable (``x``, ``self->x``, ``this->x``) the program types
    as an integer by its first assignment above the index (``x = 1; ... x[0]``), never declared,
    never given an element above it.  ``of(cls)``: the program's nodes of a class (a D file's or a tracer's;
    :func:`dtracepy.checks.rules.refusals` asks it of both); ``shown(node)``: how a message names
    a variable (its plain D name otherwise); ``variables=False``: only what :func:`index_problem`
    names (a script read with the C preprocessor)."""
    indexes = of(t.Index)
    if not indexes:
        return
    candidates: dict = {}  # variable key -> the indexes of it (a program indexes few names, often)
    for node in indexes:
        base = node.base
        if base.__class__ is t.AggVar:
            continue
        if _maybe_typed_variable(base):
            if variables:
                candidates.setdefault(_variable(base), []).append(node)
            continue
        problem = index_problem(base)
        if problem is not None:
            yield node, problem
    for key, above, node in _integer_variable_uses(of, candidates):
        name = _variable_shown(node.base, key, shown)
        said = (f"cannot access scalar {name} as an associative array" if len(node.keys) > 1
                else "cannot dereference non-pointer type")
        yield node, (f"{name} is an integer (typed by its first assignment, line {above.line}), not a "
                     f"pointer or an array: it cannot be indexed (dtrace: \"{said}\"); an associative "
                     f"array needs another name")


def _maybe_typed_variable(base) -> bool:
    """Is ``base`` a variable of the program's own, which its first assignment may type (not a
    built-in variable D types as an integer: :func:`index_problem` judges those)?"""
    cls = base.__class__
    return (cls is t.Ident and base.module is None and not V.kind(base.name)) or (
        cls is t.SelfVar or cls is t.ThisVar)


def _variable_shown(base, key, shown) -> str:
    return shown(base) if shown is not None else {"global": "", "self": "self->", "this": "this->"}[key[0]] + key[1]


def _integer_variable_uses(of, candidates):
    """(key, its first assignment, use) for each use in ``candidates`` (variable key -> the nodes
    that use it as a pointer, an array or a struct) of a variable the program types as an integer
    by its first plain assignment (``x = 1``), placed above the use, never declared, never given
    an element (``x[k] = ...``) before that assignment."""
    if not candidates:
        return
    from dtracepy.checks.printf import _argument_kind

    names = {t.Ident: set(), t.SelfVar: set(), t.ThisVar: set()}  # (a cheap test before a key is made)
    for key, nodes in candidates.items():
        names[{"global": t.Ident, "self": t.SelfVar, "this": t.ThisVar}[key[0]]].add(key[1])
    first: dict = {}  # variable key -> its first plain assignment
    elements = set()  # variables given an element (x[k] = ..., self->x[k] = ...) before that
    for node in of(t.Assign):
        target = node.target
        cls = target.__class__
        if cls is t.Index:
            target = target.base
            known = names.get(target.__class__)
            if known is not None and target.name in known:
                key = _variable(target)
                if key in candidates and key not in first:
                    elements.add(key)
        elif node.op == "=":
            known = names.get(cls)
            if known is not None and target.name in known:
                key = _variable(target)
                if key in candidates and key not in first:
                    first[key] = node
    if not first:
        return
    declared = {_declared_name(d) for item in of(t.Declaration) for d in item.declarators} \
        if of(t.Declaration) else ()
    for key, assign in first.items():
        if key in elements or key[1] in declared or _argument_kind(assign.value) != "int":
            continue
        above = assign.pos
        for node in candidates[key]:
            here = node.pos
            if above is None or here is None or above.file != here.file:
                continue
            if above.col is None and here.col is None:
                # A tracer's positions are lines: ``this.x = 1; trace(this.x.y)`` on one line is
                # taken in that order (the other, a read above the assignment, is refused anyway:
                # used-before-assigned).
                if above.line > here.line:
                    continue
            elif (above.line, above.col or 0) >= (here.line, here.col or 0):
                continue
            yield key, above, node


def scalar_dereferences(of, shown=None, variables=True):
    """(node, message) for each ``*x``, ``x->m`` and ``x.m`` dtrace refuses because ``x`` is no
    pointer (or, for ``.``, no struct): certainly an integer (a constant, ``arg0``, ``pid``, a cast
    to an integer type, arithmetic on those: "cannot dereference non-pointer type", "operator ->
    must be applied to a pointer", "operator . cannot be applied to type "long""), for a member
    also a string (``execname->m``; ``*"abc"`` is a char, which dtrace takes), or a variable the
    program types as an integer as :func:`scalar_indexes` finds it (``this->x = 1;
    this->x->y``).  The arguments as :func:`scalar_indexes`'."""
    from dtracepy.checks.printf import _argument_kind

    candidates: dict = {}
    for cls in (t.Unary, t.Member):
        for node in of(cls):
            if cls is t.Unary:
                if node.op != "*":
                    continue
                base = node.operand
            else:
                base = node.base
            if _maybe_typed_variable(base):
                if variables:
                    candidates.setdefault(_variable(base), []).append(node)
                continue
            have = _argument_kind(base)
            if have == "int" or (have == "string" and cls is t.Member):
                what = (f"{base.name} is {'an integer' if have == 'int' else 'a string'}"
                        if base.__class__ is t.Ident else f"this is {'an integer' if have == 'int' else 'a string'}")
                yield node, _dereference_message(node, what, have)
    for key, above, node in _integer_variable_uses(of, candidates):
        base = node.operand if node.__class__ is t.Unary else node.base
        what = f"{_variable_shown(base, key, shown)} is an integer (typed by its first assignment, line {above.line})"
        yield node, _dereference_message(node, what, "int")


def _dereference_message(node, what, have) -> str:
    if node.__class__ is t.Unary:
        return (f"{what}, not a pointer: it cannot be dereferenced (dtrace: \"cannot dereference non-pointer "
                f"type\"); cast it to a pointer first (*(int *)x)")
    if node.op == "->":
        return (f"{what}, not a pointer: -> cannot be applied to it (dtrace: \"operator -> must be applied to "
                f"a pointer\"); cast it to a pointer first (((struct foo *)x)->{node.name})")
    return (f"{what}, not a struct or union: . cannot be applied to it (dtrace: \"operator . cannot be "
            f"applied to type ...; must be applied to a struct or union\")")


def whole_arrays(items, of, dialect, shown=None, never_whole_globals=True, assignments=None):
    """(node, message) for each use of a variable as a whole (``x = 3``, ``x++``, ``x += 1``, a
    read, ``self->x`` likewise) where D has typed it an associative array: given an element
    (``x[k] = v``, ``x[k]++``) before it is given a value whole, in the order dtrace reads the
    program (clause by clause, a clause's body before its predicate): "associative array 'x' may
    not be referenced as scalar"; for a thread-local, "operands have incompatible types:
    "associative array" = "int"" or "x[ ] prototype mismatch: 0 keys passed, 1 expected".  The
    converse of :func:`scalar_indexes`.  ``items``: the program's, in order; ``of(cls)`` as there;
    ``dialect``: the one compiled for (which names are built-in variables, no constants);
    ``never_whole_globals=False``: a global never given a value whole is left to :func:`arrays`
    (a D file's check, which reports it wherever it is named).  (``self->x = 0`` of such a
    thread-local, 0 being what any pointer may be given, crashes Oracle's dtrace 2.0 compiling
    it.)  The clauses are walked only when a variable is both given an element and named whole,
    and never declared.  ``assignments``: an :class:`~dtracepy.checks.assignments.Assignments` of
    ``of(t.Assign)``, whose target classes tell when no assignment gives an element."""
    Assign, Index, Ident, SelfVar, Unary, Postfix = t.Assign, t.Index, t.Ident, t.SelfVar, t.Unary, t.Postfix
    keyed: set = set()  # the variables given an element somewhere
    # (no target an element: no loop over the assignments)
    for node in of(Assign) if assignments is None or assignments.targets_any(Index) else ():
        target = node.target
        if target.__class__ is Index:
            base = target.base
            if (base.__class__ is Ident and base.module is None) or base.__class__ is SelfVar:
                keyed.add(_variable(base))
    for cls in (Unary, Postfix):
        for node in of(cls):
            target = node.operand
            if target.__class__ is Index and node.op in ("++", "--"):
                base = target.base
                if (base.__class__ is Ident and base.module is None) or base.__class__ is SelfVar:
                    keyed.add(_variable(base))
    if not keyed:
        return
    keyed_names = {key[1] for key in keyed}
    bases = {id(node.base) for node in of(Index)}
    named = set()  # of those, the ones named whole somewhere
    for cls in (Ident, SelfVar):
        for node in of(cls):
            if node.name in keyed_names and id(node) not in bases:
                key = _variable(node)
                if key in keyed:
                    named.add(key)
    if not never_whole_globals and any(key[0] == "global" for key in named):
        whole_written = {node.target.name for node in of(Assign) if node.target.__class__ is Ident}
        named = {key for key in named if key[0] != "global" or key[1] in whole_written}
    if named and of(t.Declaration):
        declared = {_declared_name(d) for item in of(t.Declaration) for d in item.declarators}
        named = {key for key in named if key[1] not in declared}
    if not named:
        return
    names = {key[1] for key in named}
    typed: dict = {}  # variable key -> "element" or "whole", as dtrace first types it
    for item in items:
        if item.__class__ is not t.Clause:
            continue
        skip: set = set()  # the variable nodes judged with the assignment or update above them
        for root in (*(item.body or ()), item.predicate):
            for node in root.walk() if root is not None else ():
                cls = node.__class__
                if cls is Assign or ((cls is Unary or cls is Postfix) and node.op in ("++", "--")):
                    target = node.target if cls is Assign else node.operand
                    if target.__class__ is Index:
                        key = _variable(target.base) if target.base.__class__ in (Ident, SelfVar) else None
                        if key in named:
                            typed.setdefault(key, "element")
                        continue
                    key = _variable(target) if target.__class__ in (Ident, SelfVar) else None
                    if key not in named:
                        continue
                    skip.add(id(target))
                    if typed.get(key) == "element":
                        yield target, _whole_message(target, key, node, shown, dialect)
                    elif cls is not Assign or node.op == "=":  # (x += 1 first: used-before-assigned's)
                        typed.setdefault(key, "whole")
                elif (cls is Ident or cls is SelfVar) and node.name in names and id(node) not in bases \
                        and id(node) not in skip:
                    key = _variable(node)
                    if key in named and typed.get(key) == "element":
                        yield node, _whole_message(node, key, None, shown, dialect)


def _whole_message(node, key, use, shown, dialect) -> str:
    """:func:`whole_arrays`' message for ``node``, the variable ``key`` named whole in ``use`` (an
    assignment or an update of it; None: a read)."""
    from dtracepy.checks.rules import _constant

    name = shown(node) if shown is not None else ("self->" if key[0] == "self" else "") + key[1]
    if key[0] == "global":
        said = f"associative array '{key[1]}' may not be referenced as scalar"
    elif use is not None and use.__class__ is t.Assign and use.op == "=":
        if _constant(use.value, dialect) in (0, None):  # (0, NULL, 1 - 1: what a pointer may be given)
            return (f"{name} is an associative array (given an element above, {name}[...] = ...): "
                    f"giving it a value whole, even 0, crashes Oracle's dtrace 2.0 (a segmentation fault "
                    f"compiling it); zero an element of it ({name}[key] = 0), or give the value another name")
        said = "operands have incompatible types: \"associative array\" = ..."
    elif use is not None and use.__class__ is not t.Assign:
        said = f"operator {use.op} requires operand of scalar type"
    else:
        said = f"{key[1]}[ ] prototype mismatch: 0 keys passed, 1 expected"
    return (f"{name} is an associative array (given an element above, {name}[...] = ...), so it cannot be "
            f"used whole (dtrace: \"{said}\"): name an element of it, or give the other value another name")


def _declared_arrays(ctx, dialect) -> dict:
    """A global array the program declares with a dimension -> its size (None: not constant)."""
    from dtracepy.checks.rules import _constant

    declared: dict = {}
    if not ctx.of(t.ArrayDecl):  # (none declared: no declaration to look at)
        return declared
    for item in ctx.of(t.Declaration):
        if not any(s in ("typedef", "self", "this") for s in item.specifiers):
            for declarator in item.declarators:
                if declarator.__class__ is t.ArrayDecl and declarator.target.__class__ is t.NameDecl and \
                        len(declarator.dims) == 1 and declarator.dims[0].__class__ is not t.TypeName:
                    size = _constant(declarator.dims[0], dialect)
                    declared[declarator.target.name] = size if size.__class__ is int else None
    return declared


def _declared_array_uses(ctx, dialect, indexes, declared):
    from dtracepy.checks.rules import _constant

    # &a[n], one past a declared array's end: illumos' D takes it (as C does), Oracle's refuses it
    ends = {id(node.operand) for node in ctx.of(t.Unary) if node.op == "&"}
    for node in indexes:
        base = node.base
        if base.__class__ is t.Ident and base.module is None and base.name in declared:
            if len(node.keys) != 1:
                yield ctx.finding("array-use", node, f"{base.name} is an array of {declared[base.name]} declared "
                                  f"above: it takes one index, not {len(node.keys)} keys (dtrace: \"cannot access "
                                  f"scalar {base.name} as an associative array\")")
                continue
            size, index = declared[base.name], _constant(node.keys[0], dialect)
            if size is not None and index.__class__ is int and not 0 <= index < size and not (
                    index == size and id(node) in ends):
                yield ctx.finding("array-use", node.keys[0], f"index {index} is outside {base.name}[{size}] "
                                  "(dtrace: \"index outside array bounds\")", fallback=node)


def _inline_array_uses(ctx, indexes):
    """A parameterised inline (``inline int f[int a] = ...``) given another number of keys than
    its parameters (dtrace: "f[ ] prototype mismatch: 2 keys passed, 1 expected") or named without
    its keys ("associative array 'f' may not be referenced as scalar")."""
    params = {item.declarator.target.name: len(item.declarator.dims) for item in ctx.items_of(t.Inline)
              if item.declarator.__class__ is t.ArrayDecl and item.declarator.target.__class__ is t.NameDecl
              and all(dim.__class__ is t.Param for dim in item.declarator.dims)}
    if not params or params.keys().isdisjoint(ctx.ident_names):
        return
    bases = set()
    for node in indexes:
        base = node.base
        if base.__class__ is t.Ident and base.module is None and base.name in params:
            bases.add(id(base))
            want = params[base.name]
            if len(node.keys) != want:
                yield ctx.finding("array-use", node, f"inline {base.name}[...] takes {want} key{'s' * (want != 1)}, "
                                  f"not {len(node.keys)} (dtrace: \"{base.name}[ ] prototype mismatch: "
                                  f"{len(node.keys)} keys passed, {want} expected\")")
    # (a tracer's inline is one node, at the t.inline line, wherever it is used: a use is shown at
    # the call, operation or assignment that holds it)
    holders = {}
    inline_pos = {item.declarator.target.name: item.pos for item in ctx.items_of(t.Inline)
                  if item.declarator.__class__ is t.ArrayDecl}
    for cls, parts in ((t.Call, lambda n: n.args), (t.Binary, lambda n: (n.left, n.right)),
                       (t.Assign, lambda n: (n.value,)), (t.Unary, lambda n: (n.operand,))):
        for holder in ctx.of(cls):
            for part in parts(holder):
                if part.__class__ is t.Ident and part.name in params:
                    holders.setdefault(id(part), []).append(holder)
    seen = set()  # (a tracer's one node is met once per use)
    for node in ctx.of(t.Ident):
        if node.name in params and node.module is None and (id(node) not in bases or id(node) in holders) \
                and id(node) not in seen:
            seen.add(id(node))
            for at in (holders.get(id(node)) if node.pos == inline_pos[node.name] else None) or (node,):
                yield ctx.finding("array-use", at, f"inline {node.name} takes keys: name it with them "
                                  f"({node.name}[...]), not alone (dtrace: \"may not be referenced as scalar\")")


def _declared_globals(ctx) -> set:
    return {_declared_name(d) for item in ctx.of(t.Declaration)
            if not any(s in ("self", "this") for s in item.specifiers) for d in item.declarators}
