"""The D syntax tree: one frozen attrs class per D construct.

This is the one model of D at the centre of dtracepy.  The DSL builds it, passes rewrite it, the
printer writes it and the parser reads D back into it.

Conventions
-----------
* Fields are named by role; child sequences are tuples.
* Every node has a keyword-only ``pos`` (a :class:`~dtracepy.source.Pos` or ``None``) that takes no
  part in equality or hashing, so ``parse(to_d(t)) == t`` compares structure only.
* Parentheses are not nodes: the printer adds them from one precedence table.
* Literal spellings are kept as written (``IntLit("0x28")``) so the printer reproduces them.
* Operator symbols are plain strings, exactly as D spells them (``"->"``, ``"^^"``, ``"<<="``).
"""

from __future__ import annotations

import re

import attrs

from dtracepy.errors import DSLError, DSyntaxError
from dtracepy.facts import precedence as _P
# (DIRECTIVES, DIRECTIVES_WITHOUT_CPP: the Directive node's invariants read them)
from dtracepy.facts.directives import DIRECTIVES, DIRECTIVES_WITHOUT_CPP, needs_cpp as _needs_cpp
from dtracepy.facts.probes import split as _split_desc
from dtracepy.source import Pos, position_at as _position_at


def _pos_field():
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


def _tuple(value) -> tuple:
    return tuple(value)


def _opt_tuple(value):
    return None if value is None else tuple(value)


# Every node class is ``attrs.frozen`` (slotted, immutable, ``attrs.fields``/``attrs.evolve`` work),
# but ``__eq__``, ``__ne__``, ``__hash__`` and ``__repr__`` are not attrs' generated ones: attrs
# compiles them with ``compile()`` for every class as it is defined, which made importing this
# module cost ~40 ms, on every ``dtracepy check``.  :func:`_node` installs stand-ins that compile
# the same straight-line code for their class the first time one is called (so only the classes a
# run compares or hashes pay, ~0.1 ms each), and a repr.  They behave as attrs' would: equal when
# of the same class with equal fields other than ``pos``; ``pos`` is not in the repr.

# class -> names of its fields that take part in equality (all but ``pos`` and notes such as
# ``MacroVar.doc``), in field order
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in attrs.fields(cls) if f.eq)
    return names


def _note_field(default=None):
    """A note the DSL attaches for the compiler: like ``pos``, no part of equality, hash or repr."""
    return attrs.field(default=default, eq=False, repr=False, kw_only=True)


def _compile_methods(cls) -> None:
    """Replace ``cls``'s stand-in ``__eq__``, ``__ne__`` and ``__hash__`` with compiled ones."""
    mine = "".join(f"self.{name}, " for name in _field_names(cls))
    theirs = "".join(f"other.{name}, " for name in _field_names(cls))
    source = (
        "def __eq__(self, other):\n"
        "    if other.__class__ is not self.__class__:\n"
        "        return NotImplemented\n"
        f"    return ({mine}) == ({theirs})\n"
        "def __ne__(self, other):\n"
        "    if other.__class__ is not self.__class__:\n"
        "        return NotImplemented\n"
        f"    return ({mine}) != ({theirs})\n"
        "def __hash__(self):\n"
        f"    return hash((cls, {mine}))\n"
    )
    namespace = {"cls": cls}
    exec(compile(source, f"<dtracepy.tree.{cls.__qualname__} methods>", "exec"), namespace)  # noqa: S102
    for name in ("__eq__", "__ne__", "__hash__"):
        method = namespace[name]
        method.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, method)


# The node classes the DSL refers to weakly (dsl/control.py: the last if_ chain; dsl/members.py:
# the member operators it chose): only these have a ``__weakref__`` slot.
_WEAKLY_REFERRED = frozenset(("If", "Member"))


def _node(cls):
    """``attrs.frozen``, with the stand-in methods described above; a class that defines
    ``_problem`` (see "Invariants" below) refuses, when built, what it cannot print."""
    if "_problem" in cls.__dict__ and "__attrs_post_init__" not in cls.__dict__:
        cls.__attrs_post_init__ = _check_new
    # (no ``__weakref__`` slot, 8 bytes a node, but where the DSL holds weak references)
    cls = attrs.frozen(cls, eq=False, repr=False, weakref_slot=cls.__name__ in _WEAKLY_REFERRED)
    names = _field_names(cls)
    shown = cls.__qualname__.rsplit(">.", 1)[-1]

    # (a node compared with what is not of its class, as a type's specifiers with "void", is
    # answered as the compiled method answers it, without compiling it: 0.5 M instructions of a
    # seed-sized check for one class)
    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        _compile_methods(cls)
        return cls.__eq__(self, other)

    def __ne__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        _compile_methods(cls)
        return cls.__ne__(self, other)

    def __hash__(self):
        _compile_methods(cls)
        return cls.__hash__(self)

    def __repr__(self):
        return shown + "(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in names) + ")"

    attrs_init = cls.__init__

    def __init__(self, *args, **kwargs):
        init = initializer(cls)
        init(self, *args, **kwargs)

    __init__.__wrapped__ = attrs_init  # (what inspect.signature reports)
    _ATTRS_INIT[cls] = attrs_init
    for method in (__eq__, __ne__, __hash__, __repr__, __init__):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        setattr(cls, method.__name__, method)
    return cls


# Construction.  attrs' ``__init__`` for a frozen slotted class stores each field through
# ``object.__setattr__`` bound to the new node (a method-wrapper call that also checks the class
# hierarchy); the parser makes a node per operand, so each class gets attrs' own ``__init__`` code
# with each store made by the field's slot descriptor instead (the same store, about a quarter
# cheaper per node): same signature, defaults, converters and ``__attrs_post_init__`` (the
# invariants).  It is made on the class's first construction.  Compiling it then cost a
# seed-sized ``dtracepy check`` ~6 ms (half a million machine instructions for each of the ~26
# classes it builds), so the code ships precompiled as ordinary Python in
# :mod:`dtracepy.tree_inits` (generated from attrs' own source by :func:`tree_inits_source`,
# and cached as bytecode like any module): a class uses it while attrs still generates the very
# source it was made from, and compiles its own as before otherwise (another attrs version).

# class -> the __init__ attrs generated for it
_ATTRS_INIT: dict[type, object] = {}
# class -> the __init__ it is built with (see initializer)
_INIT: dict[type, object] = {}


def initializer(cls):
    """``cls.__init__``, the fast one (made now if ``cls`` was never built).  The parser calls it
    directly on ``object.__new__(cls)``: the same as ``cls(...)`` without the keyword-argument
    dictionary a class call builds for ``pos=``."""
    init = _INIT.get(cls)
    if init is None:
        init = _INIT[cls] = cls.__init__ = _fast_init(cls, _ATTRS_INIT[cls]) or _ATTRS_INIT[cls]
    return init


def _slot(cls, name):
    if name == "pos":
        return _POS_SLOT  # (not Node.pos: see _PosField)
    for klass in cls.__mro__:
        slot = klass.__dict__.get(name)
        if slot is not None:
            return slot
    return None


def _fast_init_lines(cls, attrs_init):
    """attrs' ``__init__`` source lines for ``cls`` with each ``_setattr('name', value)`` made a
    slot store ``_set_name(self, value)``, and the names stored; None if the source is not the form
    expected."""
    import linecache
    import types

    out = []
    stored = []
    for line in linecache.getlines(attrs_init.__code__.co_filename):
        if line.strip() == "_setattr = _cached_setattr_get(self)":
            continue
        m = re.fullmatch(r"( *)_setattr\('(\w+)', (.*)\)\n?", line)
        if m is not None:
            indent, name, value = m.groups()
            if not isinstance(_slot(cls, name), types.MemberDescriptorType):
                return None
            if name not in stored:
                stored.append(name)
            out.append(f"{indent}_set_{name}(self, {value})\n")
        elif "_setattr" in line:
            return None
        else:
            out.append(line)
    if not out or not out[0].startswith("def __init__("):
        return None
    return out, tuple(stored)


def _generated_source(filename: str) -> str:
    """The source of a script attrs generated: attrs keeps it in ``linecache``; the classes a
    check makes without attrs (:mod:`dtracepy.attrs_lite`, standing in for it) keep theirs there."""
    shipped = getattr(attrs, "SOURCES", None)
    if shipped is not None:
        return shipped.get(filename, "")
    import linecache

    return "".join(linecache.getlines(filename))


def _fast_init(cls, attrs_init):
    """``cls``'s fast ``__init__``: the shipped one if it was made from the source attrs generated
    for ``cls`` in this process, else one compiled now; None (keep attrs' own) if attrs' source is
    not the form expected."""
    import types

    shipped = None
    try:
        from dtracepy import tree_inits
    except ImportError:  # pragma: no cover - a damaged install; compile instead
        pass
    else:
        shipped = tree_inits.INITS.get(cls.__qualname__)
    if shipped is not None and shipped[1] == _generated_source(attrs_init.__code__.co_filename):
        function, _, stored = shipped
        namespace = dict(attrs_init.__globals__)
        for name in stored:
            namespace[f"_set_{name}"] = _slot(cls, name).__set__
        code = function.__code__
        names = {"co_name": "__init__"}
        if hasattr(code, "co_qualname"):  # (Python 3.11 and later; what tracebacks show)
            names["co_qualname"] = f"{cls.__qualname__}.__init__"
        init = types.FunctionType(code.replace(**names), namespace, "__init__", attrs_init.__defaults__)
        init.__kwdefaults__ = attrs_init.__kwdefaults__
    else:
        made = _fast_init_lines(cls, attrs_init)
        if made is None:
            return None
        out, stored = made
        namespace = dict(attrs_init.__globals__)
        for name in stored:
            namespace[f"_set_{name}"] = _slot(cls, name).__set__
        import linecache

        filename = f"<dtracepy.tree.{cls.__qualname__} init>"
        source = "".join(out)
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102
        linecache.cache[filename] = (len(source), None, out, filename)  # (for tracebacks)
        init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = attrs_init.__annotations__
    return init


TREE_INITS_REGEN = "DTRACEPY_REGEN=1 python3 -m pytest tests/test_tree_inits.py"


def tree_inits_source() -> str:
    """The text of :mod:`dtracepy.tree_inits`: every node class's fast ``__init__`` (as
    :func:`_fast_init_lines` makes it from the source attrs generates here), each as a function
    named after its class whose defaults are placeholders (the real ones are attrs' own, set when
    the class takes it), with the source it was made from and the fields it stores."""
    import linecache

    functions, entries = [], []
    for cls in sorted(_ATTRS_INIT, key=lambda c: c.__qualname__):
        attrs_init = _ATTRS_INIT[cls]
        made = _fast_init_lines(cls, attrs_init)
        if made is None:
            continue
        out, stored = made
        code = attrs_init.__code__
        positional = list(code.co_varnames[:code.co_argcount])
        keywords = list(code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount])
        with_default = len(attrs_init.__defaults__ or ())
        params = [name if i < len(positional) - with_default else f"{name}=None"
                  for i, name in enumerate(positional)]
        if keywords:
            params += ["*"] + [f"{name}=None" if name in (attrs_init.__kwdefaults__ or {}) else name
                               for name in keywords]
        if not out[0].rstrip("\n").endswith("):"):
            raise ValueError(f"attrs' __init__ for {cls.__qualname__} does not fit on its def line")
        functions.append(f"def {cls.__qualname__}({', '.join(params)}):\n" + "".join(out[1:]))
        source = "".join(linecache.getlines(code.co_filename))
        entries.append(f"    {cls.__qualname__!r}: ({cls.__qualname__}, {source!r}, {stored!r}),\n")
    return ('"""The node classes\' fast ``__init__`` code, precompiled: see ``dtracepy.tree.initializer``.\n\n'
            "Generated by dtracepy.tree.tree_inits_source() from the source attrs generates for each class;\n"
            f"do not edit.  Regenerate: {TREE_INITS_REGEN}\n"
            '"""\n\n# ruff: noqa\n# fmt: off\n\n\n'
            + "\n\n".join(functions)
            + "\n\n# class name -> (its __init__'s code, the attrs source it was made from, the fields it stores)\n"
            + "INITS = {\n" + "".join(entries) + "}\n")


# ----------------------------------------------------------------------------------------------
# Invariants: a node cannot hold what its kind cannot print
# ----------------------------------------------------------------------------------------------
#
# A node class with a ``_problem(self) -> str | None`` method is checked when it is built: an
# identifier node holds an identifier (not a keyword where D forbids one), an option pragma D's
# option grammar, a comment no comment delimiter, a directive one line, an integer literal an
# integer... so no string handed to the DSL (or to a node by hand) can print as other D.  A
# violation is a DSLError at the user's Python line (positions without a column: the DSL's, or
# the caller's line when the node has none) or a DSyntaxError at ``file:line:col`` (a tree read
# from D text).  The printer asks the same ``_problem`` before it prints a node, as a last line
# of defence against nodes built around the constructor.  The checks are a regular expression or
# a set lookup each: the parser builds many nodes.

def _lazy(name: str, pattern: str, method: str = "fullmatch"):
    """A regular expression's ``method``, compiled on first use (compiling them all on import
    would cost every ``dtracepy check`` a few milliseconds); the first call rebinds ``name``."""

    def first(*args):
        bound = getattr(re.compile(pattern), method)
        globals()[name] = bound
        return bound(*args)

    return first


_IDENT = _lazy("_IDENT", r"[A-Za-z_][A-Za-z0-9_]*")
_MODULE = _lazy("_MODULE", r"[A-Za-z0-9_`]*")  # ``main (two backquotes) is a user symbol
_MACRO = _lazy("_MACRO", r"\$\$?(?:[0-9]+|[A-Za-z_][A-Za-z0-9_]*)")
_INT = _lazy("_INT", r"(?:0[xX][0-9A-Fa-f]+|[1-9][0-9]*|0[0-7]*)(?:[uU]?(?:ll|LL|l|L)?|(?:ll|LL|l|L)[uU])")
_CHAR = _lazy("_CHAR", r"(?:[^'\\\x00-\x1f\x7f]|\\[^\x00-\x1f\x7f])+")
# A probe description as the lexer reads it back whole (see dtracepy.lexer._PSPEC_RE; possessive
# as it is, for the memory of a long one).
_PSPEC = _lazy("_PSPEC", r"(?:[-$:A-Za-z_.?*\\\[\]!]|\([^()\n{}/]*\))(?:[-$:0-9A-Za-z_.`?*\\\[\]!]|\([^()\n{}/]*\))*+")
# One word of a #pragma line, as D's lexer splits it: a quoted string or a run of other characters.
_PRAGMA_WORD = _lazy("_PRAGMA_WORD",
                     r'"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]++|\\[^\x00-\x08\x0a-\x1f\x7f])*+"|[^\x00-\x20"\x7f]++')
_LEAD_WORD = _lazy("_LEAD_WORD", r"[A-Za-z_`][A-Za-z0-9_`]*", "match")  # as the lexer reads a top-level word
_CONTROL = _lazy("_CONTROL", r"[\x00-\x08\x0a-\x1f\x7f]", "search")  # control characters other than tab
_CONTINUATION = _lazy("_CONTINUATION", r"\\\r?\n", "sub")

UNARY_OPS = frozenset(("!", "~", "-", "+", "*", "&", "++", "--"))
POSTFIX_OPS = frozenset(("++", "--"))
BINARY_OPS = frozenset(_P.BINARY)
ASSIGN_OPS = frozenset(_P.ASSIGN_OPS)
QUALIFIERS = frozenset(("const", "volatile", "restrict", "userland"))
#: The words a declaration's specifiers may hold besides type-specifier nodes.
SPECIFIER_WORDS = frozenset(
    "typedef extern static register auto const volatile restrict userland self this inline "
    "void char short int long float double signed unsigned string ...".split())
# What a null directive (name ``""``) may hold: a line marker ``# 12 "file" 1 3`` as cpp writes it
# (flags after the file name), or a ``#!`` line below the first (``!`` and the rest), which dtrace
# skips.  Anything else would print as a directive of another name: ``# pragma D option
# destructive``, ``# define trace system``, ``# include "x.h"`` are read as such by cpp and dtrace.
_NULL_DIRECTIVE = _lazy("_NULL_DIRECTIVE",
                        r'[0-9][0-9A-Za-z]*(?:[ \t]*"(?:[^"\\\x00-\x1f\x7f]|\\[^\x00-\x1f\x7f])*"(?:[ \t]*[0-9][0-9A-Za-z]*)*)?'
                        r'|![^\x00-\x08\x0a-\x1f\x7f]*')


def _check_new(self) -> None:
    # (each text field held plain: see below; inline, as the parser builds many such nodes)
    cls = type(self)
    names = _TEXT_FIELDS.get(cls)
    if names is None:
        names = _text_fields(cls)
    for name in names:
        value = getattr(self, name)
        kind = type(value)
        if kind is str or value is None:
            continue
        if kind is tuple:
            for item in value:
                if type(item) is not str and isinstance(item, str):
                    break
            else:
                continue
        elif not isinstance(value, (str, tuple)):
            continue
        object.__setattr__(self, name, _plain(value))
    problem = self._problem()
    if problem is not None:
        _refuse(self, problem)


# A node's text is plain ``str``.  A subclass of str may answer for other characters than those
# it holds: its own ``isidentifier``, ``__eq__``/``__hash__`` (``in`` a set of keywords or
# operators), ``__class__``, ``__radd__`` or ``__format__`` (what the printer's ``"#" + name``
# calls) can each pass the invariants on one text and print another (review 27: a name whose
# ``isidentifier()`` said True printed ``this->x = 1; system("id"); this->y``).  So a node
# built with one holds its characters instead, copied by ``str.__str__``, which asks nothing of
# the subclass (the same for a tuple of words, and a subclass of tuple, whose ``__iter__``
# could give the invariants one list and the printer another); the fast paths below test
# ``type(x) is str``, which no subclass can fake; and each ``_problem`` (the printer's last line of
# defence) asks the same of the text it reads, so a node that holds one anyway (swapped in
# around its constructor) is refused.

def _text_fields(cls) -> tuple[str, ...]:
    """The fields of ``cls`` that hold text: annotated ``str`` (or ``str | None``), a tuple of
    ``str``, or a bare ``tuple`` (specifiers, dimensions: words and nodes)."""
    names = _TEXT_FIELDS.get(cls)
    if names is None:
        # (from the annotations, as written: ``attrs.fields`` of each class the parser builds
        # cost a seed-sized check 8 % more instructions)
        hints: dict = {}
        for klass in reversed(cls.__mro__):
            hints.update(klass.__dict__.get("__annotations__", {}))
        names = _TEXT_FIELDS[cls] = tuple(
            name for name, hint in hints.items()
            if name != "pos" and isinstance(hint, str) and (hint == "tuple" or "str" in hint))
    return names


_TEXT_FIELDS: dict[type, tuple[str, ...]] = {}


def _plain(value):
    """``value`` (a text field's) with each subclass of str or tuple in it made plain."""
    if isinstance(value, str):
        return str.__str__(value)
    return tuple(str.__str__(item) if isinstance(item, str) else item for item in value)


def _refuse(node, message: str):
    """Raise the error for a node that cannot be built: a DSyntaxError where it came from D text
    (a position with a column), else a DSLError at the DSL's position or the caller's line."""
    pos = node.pos
    if pos is not None and pos.col is not None:
        raise DSyntaxError(message, pos)
    if pos is None:
        from dtracepy.source import user_pos

        pos = user_pos()
    raise DSLError(message, pos)


def is_identifier(text) -> bool:
    """Is ``text`` a D identifier (ASCII letters, digits and ``_``, not starting with a digit)?
    Keywords are identifiers here; :func:`is_name` excludes them."""
    return isinstance(text, str) and _IDENT(text) is not None


def is_name(text) -> bool:
    """Can ``text`` name a variable, function, type or member declared by name: an identifier
    that is not one of D's keywords?"""
    return isinstance(text, str) and _IDENT(text) is not None and text not in _KEYWORDS


def _ident_problem(value, what: str, keywords_ok: bool = False) -> str | None:
    if type(value) is not str:
        return f"{what} is a string, not {type(value).__name__} ({value!r})"
    if not (value.isidentifier() and value.isascii()):
        return (f"{value!r} is not a D identifier, as {what} must be (ASCII letters, digits and _, "
                "not starting with a digit)")
    if not keywords_ok and value in _KEYWORDS:
        return f"{value!r} is a D keyword, so it cannot be {what}"
    return None


def _scoped_problem(value, what: str) -> str | None:
    """As :func:`_ident_problem`, for a name that may be scoped to a module (``D`s``)."""
    if isinstance(value, str) and "`" in value:
        module, _, value = value.rpartition("`")
        if _MODULE(module) is None:
            return f"{module!r} is not a kernel module name (letters, digits and _)"
    return _ident_problem(value, what)


def comments_closed(text: str) -> bool:
    """Does every ``/*`` in ``text`` close on it, with no ``/*`` inside and no stray ``*/``?"""
    if "*/" not in text and "/*" not in text:
        return True
    pos = 0
    while True:
        start = text.find("/*", pos)
        close = text.find("*/", pos)
        if close >= 0 and (start < 0 or close < start):
            return False
        if start < 0:
            return True
        end = text.find("*/", start + 2)
        if end < 0 or text.find("/*", start + 2, end) >= 0:
            return False
        pos = end + 2


# Unicode categories of the characters that show as something else, or as nothing, in an editor
# or a terminal: controls (the C1 ones, U+0085 among them, are not ASCII), format characters (the
# bidirectional overrides of "Trojan source", U+202E, U+2066..., zero-width spaces) and the line
# and paragraph separators U+2028/U+2029.  D text that holds one reads differently from what it
# does: the printer writes them in strings as escapes, and a line (#!, #pragma, a directive)
# cannot hold one.
HIDDEN_CATEGORIES = frozenset(("Cc", "Cf", "Zl", "Zp"))

# The characters that show as nothing though of no such category: Unicode's default-ignorable
# code points (DerivedCoreProperties' Default_Ignorable_Code_Point) that are not format characters.
# The Hangul fillers U+115F, U+1160, U+3164 and U+FFA0 are letters that draw nothing (an
# identifier of them looks like a blank), the combining grapheme joiner U+034F, the Khmer inherent
# vowels U+17B4/U+17B5, the Mongolian free variation selectors and the variation selectors
# U+FE00..U+FE0F draw nothing of their own (a run of selectors can carry a hidden text), and
# U+2065 and U+FFF0..U+FFF8 are kept for more such; U+E0000..U+E0FFF (tags, the variation
# selectors U+E0100.., the rest kept) is told by its range.
INVISIBLE_CODE_POINTS = frozenset((0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F,
                                   0x2065, 0x3164, 0xFFA0, *range(0xFE00, 0xFE10), *range(0xFFF0, 0xFFF9)))
INVISIBLE_PLANE = range(0xE0000, 0xE1000)


def hidden_character(ch: str) -> bool:
    """Is ``ch`` a non-ASCII character a reader would not see for what it is (see
    HIDDEN_CATEGORIES and INVISIBLE_CODE_POINTS)?  ASCII controls are each text's own business (a
    tab is fine in a line).  The one rule of what hides: the printer's escapes in strings, the
    ``<U+3164>`` of a comment's text (:func:`hidden_shown`), a directive's line, the
    ``hidden-character`` check."""
    import unicodedata  # only for text that is not ASCII

    if ch < "\x80":
        return False
    code = ord(ch)
    return unicodedata.category(ch) in HIDDEN_CATEGORIES or code in INVISIBLE_CODE_POINTS or code in INVISIBLE_PLANE


_QUOTED = _lazy("_QUOTED", r'"(?:[^"\\\n]++|\\.)*+"', "sub")  # a whole string constant


def _line_problem(text: str, what: str, continued: bool = False, quoted: bool = False) -> str | None:
    """Why ``text`` cannot stand on one preprocessor line (``continued``: backslash-newline
    continuations allowed), or None.  ``quoted``: a comment delimiter inside a whole string
    constant is text (``#line 5 "a*/b"``: dtrace reads a control line's words without comments,
    cpp reads the file name as a string)."""
    if continued and "\n" in text:
        text = _CONTINUATION("", text)
    if _CONTROL(text) or not text.isascii() and any(map(hidden_character, text)):
        return f"{what} must be one line without control characters, not {text!r}"
    if text.rstrip(" \t").endswith(("\\", "??/")):  # cpp continues a line at a backslash before blanks too
        # (and at the trigraph ??/, which the C preprocessor of dtrace -C reads as a backslash)
        return f"{what} must not end with a backslash (it would continue onto the next line): {text!r}"
    if not comments_closed(_QUOTED("", text) if quoted and '"' in text else text):
        return f"{what} holds an unclosed or stray comment delimiter (/* or */): {text!r}"
    return None


def integer_problem(text) -> str | None:
    """Why ``text`` is not a D integer constant that fits in 64 bits, or None."""
    if type(text) is not str:
        return f"an integer literal's text is a string such as '42' or '0x2a', not {text!r}"
    if _INT(text) is None:
        return f"{text!r} is not a D integer constant (decimal, 0x hex or 0 octal, suffixes u l ll)"
    if len(text) > 18:
        digits = text.rstrip("uUlL")
        if digits[:2] in ("0x", "0X"):
            significant, base = digits[2:].lstrip("0"), 16
        else:
            significant, base = digits.lstrip("0"), 8 if digits[0] == "0" else 10
        if len(significant) > 22 or int(significant or "0", base) >= 1 << 64:
            return f"integer constant {text[:30]}{'...' if len(text) > 30 else ''} does not fit in 64 bits"
    return None


def _specifiers_problem(specs) -> str | None:
    for spec in specs:
        if type(spec) is str:
            if spec not in SPECIFIER_WORDS and (_IDENT(spec) is None or spec in _KEYWORDS):
                return (f"{spec!r} is not a declaration specifier (a type keyword, a qualifier or "
                        "a typedef name)")
        elif not isinstance(spec, (TypeRef, StructSpec, EnumSpec)):
            return f"a declaration specifier is a keyword or a type node, not {spec!r}"
    return None


@_node
class Node:
    """Base class of every node.  ``pos`` is excluded from equality."""

    pos: Pos | None = _pos_field()

    def children(self):
        """The direct child nodes, in field order (tuples are flattened, None skipped)."""
        for name in _FIELD_NAMES.get(self.__class__) or _field_names(self.__class__):
            value = getattr(self, name)
            if isinstance(value, Node):
                yield value
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, Node):
                        yield item
                    elif isinstance(item, tuple):  # e.g. Translator members
                        yield from (x for x in item if isinstance(x, Node))

    def walk(self):
        """This node and every node below it, depth first, iteratively (deep trees are fine).

        The hot loop of every pass and check, so it reads the cached field names directly."""
        stack = [self]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            yield node
            cls = node.__class__
            for name in reversed(_FIELD_NAMES.get(cls) or _field_names(cls)):
                value = getattr(node, name)
                if isinstance(value, Node):
                    push(value)
                elif isinstance(value, tuple):
                    for item in reversed(value):
                        if isinstance(item, Node):
                            push(item)
                        elif isinstance(item, tuple):  # e.g. Translator members
                            stack.extend(x for x in reversed(item) if isinstance(x, Node))


# ``pos`` is read through a descriptor that makes the position of a parsed node when asked: the
# parser stores an integer in the field's slot (the node's offset in its text, see
# ``source.register_text``), the DSL and everything else a ``Pos`` (or None).  ``node._at`` reads
# the slot as stored (the parser passes it on to the nodes it builds above; nothing else needs
# it).  Construction, ``attrs.evolve`` and pickling store through the same slot.
_POS_SLOT = Node.__dict__["pos"]


class _PosField:
    """``Node.pos``: the slot's value, a stored offset made a :class:`Pos`."""

    __slots__ = ()

    def __get__(self, node, cls=None, _get=_POS_SLOT.__get__):
        if node is None:
            return self
        at = _get(node)
        if at.__class__ is int:
            return _position_at(at)
        return at

    def __set__(self, node, value, _set=_POS_SLOT.__set__):
        _set(node, value)

    def __delete__(self, node):
        _POS_SLOT.__delete__(node)


Node.pos = _PosField()
Node._at = _POS_SLOT


# Construction in the parser's hot loops.  A frozen class refuses attribute stores (its own
# ``__setattr__``), so its ``__init__`` stores each field by calling the slot's descriptor, about
# 1,000 machine instructions a field in CPython 3.11 (a method-wrapper call and its argument
# tuple); a store ``node.name = v`` to a class with ``object``'s ``__setattr__`` is specialised by
# the interpreter to a write at the slot's offset (about 100).  So the fast clause parser builds
# its common nodes as instances of a *builder*: a subclass of the node's class that adds no slot
# (the same memory layout) and takes plain stores; once every field is stored it sets the
# instance's ``__class__`` to the node's class, which from then on is an ordinary frozen node, and
# runs the class's invariant (``__attrs_post_init__``) where the class has one.  An ``Ident`` and
# its ``ExprStmt`` cost 4,800 instructions less this way (about 10,000 before).  No builder
# instance outlives the statements that make it (tests/test_reading_work.py walks parsed trees).

_BUILDERS: dict[type, type] = {}


def builder(cls: type) -> type:
    """The builder class of node class ``cls`` (made on first use; see above).  Its instances are
    made by calling it without arguments (``object``'s ``__init__``: no field is stored), take
    plain attribute stores (``pos`` is the slot itself: the caller stores what the parser stores,
    an offset), and must become a ``cls`` (``node.__class__ = cls``) with every field stored
    that has a slot (not ``Ident``'s ``module`` and ``is_global``: see ``Ident``), each as
    ``cls``'s converter would have made it (a tuple for a tuple field), before anything
    else sees them; the caller then runs ``cls``'s ``__attrs_post_init__``, if it has one, or the
    same test inline."""
    made = _BUILDERS.get(cls)
    if made is None:
        if cls.__dict__.get("__slots__") is None or "__dict__" in dir(cls):  # (a node class: slotted)
            raise TypeError(f"{cls!r} is not a node class")
        # (a class with a __new__ of its own, Ident, has a builder beside it: the same base and
        # slots, so the same layout, which ``__class__ =`` takes, made without that __new__'s call)
        sibling = "__new__" in cls.__dict__
        made = _BUILDERS[cls] = type(f"{cls.__name__}Builder", cls.__bases__ if sibling else (cls,), {
            "__slots__": cls.__dict__["__slots__"] if sibling else (), "__module__": __name__,
            "__init__": object.__init__,
            # (both: the interpreter takes the generic store only if neither is overridden)
            "__setattr__": object.__setattr__, "__delattr__": object.__delattr__,
            "pos": _POS_SLOT})
    return made


def same_tree(a, b) -> bool:
    """Structural equality ignoring positions (the same as ``==``; spelled out for readers)."""
    return a == b


# ----------------------------------------------------------------------------------------------
# Expressions
# ----------------------------------------------------------------------------------------------


@_node
class Expr(Node):
    """Base class of expressions."""


@_node
class IntLit(Expr):
    """An integer constant as written: ``42``, ``0x28``, ``0777``, ``10UL``."""

    text: str

    def __attrs_post_init__(self):  # the common case first: the parser builds many
        text = self.text
        if not (type(text) is str and text.isdigit() and text.isascii() and len(text) < 19
                and (text[0] != "0" or len(text) == 1)):
            _check_new(self)

    def _problem(self):
        return integer_problem(self.text)

    @property
    def value(self) -> int:
        digits = self.text.rstrip("uUlL")
        if digits[:2] in ("0x", "0X"):
            return int(digits, 16)
        if len(digits) > 1 and digits[0] == "0":
            return int(digits, 8)
        return int(digits)


@_node
class CharLit(Expr):
    """A character constant; ``text`` is what stands between the quotes, escapes kept (``\\n``)."""

    text: str

    def _problem(self):
        text = self.text
        if type(text) is not str or _CHAR(text) is None:
            return (f"{text!r} is not the inside of a D character constant (characters other than "
                    "' and \\ or escape sequences such as \\n, \\047, \\\\; no line breaks)")
        if len(text) > 8 or not text.isascii():
            from dtracepy.facts.escapes import char_length

            if char_length(text) > 8:
                return f"a D character constant holds at most 8 bytes, not {text!r}"
        return None


@_node
class StringLit(Expr):
    """A string constant; ``value`` is the decoded text (the printer escapes it for D)."""

    value: str

    def __attrs_post_init__(self):
        if type(self.value) is not str:
            _check_new(self)

    def _problem(self):
        if type(self.value) is not str:
            return f"a string constant holds a str, not {type(self.value).__name__} ({self.value!r})"
        return None


_NAMES_SEEN: set = set()  # plain names an Ident took (not keywords): they need no second test


# A parsed script is mostly names: ``BEGIN{x=y;...}`` is two ``Ident`` nodes a statement.  Nearly
# every name is plain (no kernel module, not the DSL's ``glob``), so an ``Ident`` has two slots,
# ``pos`` and ``name`` (48 bytes, not 64: 24 MB of 750,000 ``x=y;``), and reads ``module`` and
# ``is_global`` from its class (None, False).  A name that has either is made an instance of
# ``_ScopedIdent``, which adds their two slots and is an ``Ident`` to everything but ``type()``
# (its ``__class__`` says ``Ident``: dtracepy and its users ask ``node.__class__``).  The fields
# are attrs' as before (``attrs.fields``, ``evolve``, equality, repr).  attrs makes no slot for a
# field a base class names in its ``__slots__`` (it reuses the base's descriptor, here the
# default itself): :func:`_node_sharing` lends ``Expr`` those names while attrs makes the class.

def _node_sharing(**defaults):
    """:func:`_node`, making no slot for the fields in ``defaults``: their values, read from the
    class (a class whose instances hold other values must make them some other way)."""
    def decorate(cls):
        (base,) = cls.__bases__
        own = base.__dict__["__slots__"]
        base.__slots__ = (*own, *defaults)
        for name, value in defaults.items():
            setattr(base, name, value)
        try:
            return _node(cls)
        finally:
            base.__slots__ = own
            for name in defaults:
                delattr(base, name)
    return decorate


@_node_sharing(module=None, is_global=False)
class Ident(Expr):
    """A name: a global variable, built-in variable, subroutine, enumerator or inline.

    ``module`` is set for a backquoted kernel symbol: ``` `kmem_flags ``` has module ``""``,
    ``genunix`kmem_flags`` has module ``"genunix"``.
    """

    name: str
    module: str | None = None
    #: Made by the DSL's ``glob`` scope: the tracer means a global variable of its own program.
    is_global: bool = _note_field(False)

    def __new__(cls, name: str, module: str | None = None, *, pos: Pos | None = None,
                is_global: bool = False):
        if module is None and is_global is False:
            return object.__new__(cls)
        global _scoped_made
        _scoped_made = True
        return object.__new__(_ScopedIdent if cls is Ident else cls)

    def __reduce__(self):  # (attrs' __setstate__ would store a plain Ident's module: no slot)
        return _ident, (self.name, self.module, self.pos, self.is_global)

    def __attrs_post_init__(self):
        name = self.name
        if type(name) is str and self.module is None:
            if name in _NAMES_SEEN:  # (a name the test below passed: one lookup, not three tests)
                return
            if name.isidentifier() and name.isascii() and name not in _KEYWORDS:
                if len(_NAMES_SEEN) < 100_000:  # (bounded: what a long-lived process keeps)
                    _NAMES_SEEN.add(name)
                return
        _check_new(self)

    def _problem(self):
        module = self.module
        if module is None:
            return _ident_problem(self.name, "a name")
        if type(module) is not str or _MODULE(module) is None:
            return f"{module!r} is not a kernel module name (letters, digits and _)"
        if self.name == "":
            return None  # a lone ` is an identifier to D's lexer (an undefined one)
        return _ident_problem(self.name, "a kernel symbol")


class _ScopedIdent(Ident):
    """An ``Ident`` with a ``module`` or ``is_global`` (see above)."""

    __slots__ = ("module", "is_global")

    @property
    def __class__(self):
        return Ident


# An assignment's value a few characters after its target (``x=y;``: 2) shares its target's
# stored offset: a name there is made an instance of ``shifted_ident(distance)``, whose ``pos``
# slot holds the target's offset and whose class adds the distance when the position is read
# (``pos``, ``_at``).  Each stored offset is an ``int`` of its own (32 bytes): the value's was a
# tenth of the parsed tree of 750,000 ``x=y;`` (24 MB).  Like ``_ScopedIdent`` the class adds no
# slot and says ``Ident`` to everything but ``type()``; only the fast clause parser makes them
# (from ``IdentBuilder``: the layout is Ident's), for plain names (no module, not global).

#: The largest distance a shifted name's class is made for (a farther value keeps its own offset).
SHIFTS = 32


class _ShiftedPos:
    """``pos`` of a ``shifted_ident`` class: the stored offset plus the distance, made a
    :class:`Pos` when asked."""

    __slots__ = ("distance",)

    def __init__(self, distance: int):
        self.distance = distance

    def __get__(self, node, cls=None, _get=_POS_SLOT.__get__):
        if node is None:
            return self
        return _position_at(_get(node) + self.distance)

    def __set__(self, node, value):
        raise attrs.exceptions.FrozenInstanceError()


def _shifted_at(distance: int):
    get = _POS_SLOT.__get__
    return property(lambda node: get(node) + distance, doc="the stored offset, the distance added")


def _shifted_class(distance: int) -> type:
    return type(f"_IdentShifted{distance}", (Ident,), {
        "__slots__": (), "__module__": __name__, "__doc__": f"An Ident {distance} after its stored offset.",
        # (``__class__`` a plain class attribute, not a property as _ScopedIdent's: read like
        # object's own, without a Python call; a property was 7 % more instructions of a check
        # of 750,000 ``x=y;``, whose every value is one of these)
        "__class__": Ident, "pos": _ShiftedPos(distance), "_at": _shifted_at(distance)})


#: distance -> the class of a plain name that distance after its stored offset, once made (see
#: :func:`shifted_ident`; None until then: a run that parses no such assignment makes no class)
SHIFTED: list = [None] * (SHIFTS + 1)


def shifted_ident(distance: int):
    """The class of a plain ``Ident`` whose ``pos`` slot holds an offset ``distance`` (1 to
    :data:`SHIFTS`) before its own (see above), made on first use (then ``SHIFTED[distance]``);
    made into from ``builder(Ident)``."""
    made = SHIFTED[distance]
    if made is None:
        if not 0 < distance <= SHIFTS:
            raise ValueError(f"no shifted name {distance} after its offset (1 to {SHIFTS})")
        made = SHIFTED[distance] = _shifted_class(distance)
    return made


def scoped_names(names) -> list:
    """Those of the ``Ident`` nodes ``names`` that have a ``module`` or ``is_global`` (their class
    says so: see ``Ident``), told in a C loop: reading ``module`` of a plain name reads its class,
    which CPython 3.11 does not specialise (three reads a statement cost ``check`` of 750,000
    ``x=y;`` 2.5 % more instructions)."""
    if not any_scoped(names):
        return []
    return [node for node in names if type(node) is _ScopedIdent]


def any_scoped(names) -> bool:
    """Does some ``Ident`` of the iterable ``names`` have a ``module`` or ``is_global``?  (See
    :func:`scoped_names`; not one, without a look, while the process has made none.)"""
    return _scoped_made and _ScopedIdent in set(map(type, names))


# (whether this process has made an Ident with a module or is_global: see any_scoped)
_scoped_made = False


def _ident(name, module, pos, is_global):
    """An ``Ident`` again (pickle, copy)."""
    return Ident(name, module, pos=pos, is_global=is_global)


_set_pos = _POS_SLOT.__set__
_set_ident_name = Ident.__dict__["name"].__set__
_set_ident_module = _ScopedIdent.__dict__["module"].__set__
_set_ident_is_global = _ScopedIdent.__dict__["is_global"].__set__


def _ident_init(self, name, module=None, *, pos=None, is_global=False):
    # (attrs' __init__ stores every field: a plain Ident has slots for two)
    _set_pos(self, pos)
    _set_ident_name(self, name)
    if module is not None or is_global is not False:
        _set_ident_module(self, module)
        _set_ident_is_global(self, is_global)
    self.__attrs_post_init__()


_ident_init.__name__ = "__init__"
_ident_init.__qualname__ = "Ident.__init__"
Ident.__init__ = _INIT[Ident] = _INIT[_ScopedIdent] = _ident_init
del _ATTRS_INIT[Ident]  # (tree_inits ships no code for it: its __init__ is the one above)


@_node
class MacroVar(Expr):
    """A macro variable, spelled as in D: ``$1``, ``$$1``, ``$target``, ``$pid``."""

    name: str  # including the leading $ or $$
    #: What the argument is, as the DSL's ``macro(1, "listening port")`` said (for the header).
    doc: str | None = _note_field()

    def _problem(self):
        if type(self.name) is not str or _MACRO(self.name) is None:
            return f"{self.name!r} is not a D macro variable ($1, $$1, $target ...)"
        return None


@_node
class SelfVar(Expr):
    """A thread-local variable ``self->name``."""

    name: str

    def __attrs_post_init__(self):
        name = self.name
        if not (type(name) is str and name.isidentifier() and name.isascii()):
            _check_new(self)

    def _problem(self):
        return _ident_problem(self.name, "a thread-local's name", keywords_ok=True)


@_node
class ThisVar(Expr):
    """A clause-local variable ``this->name``."""

    name: str

    def __attrs_post_init__(self):
        name = self.name
        if not (type(name) is str and name.isidentifier() and name.isascii()):
            _check_new(self)

    def _problem(self):
        return _ident_problem(self.name, "a clause-local's name", keywords_ok=True)


@_node
class AggVar(Expr):
    """An aggregation ``@name``; the anonymous aggregation ``@`` has name ``""``."""

    name: str

    def __attrs_post_init__(self):
        name = self.name
        if not (type(name) is str and (name == "" or name.isidentifier() and name.isascii())):
            _check_new(self)

    def _problem(self):
        if self.name == "":
            return None
        return _ident_problem(self.name, "an aggregation's name", keywords_ok=True)


@_node
class Unary(Expr):
    """A prefix operator: ``! ~ - + * & ++ --``."""

    op: str
    operand: Expr

    def __attrs_post_init__(self):
        if type(self.op) is not str or self.op not in UNARY_OPS:
            _check_new(self)

    def _problem(self):
        return None if type(self.op) is str and self.op in UNARY_OPS else f"{self.op!r} is not a D prefix operator"


@_node
class Postfix(Expr):
    """A postfix ``++`` or ``--``."""

    op: str
    operand: Expr

    def __attrs_post_init__(self):
        if type(self.op) is not str or self.op not in POSTFIX_OPS:
            _check_new(self)

    def _problem(self):
        return None if type(self.op) is str and self.op in POSTFIX_OPS else f"{self.op!r} is not a D postfix operator"


@_node
class Binary(Expr):
    """A binary operator, including ``&& || ^^`` and the comma operator ``,``."""

    op: str
    left: Expr
    right: Expr

    def __attrs_post_init__(self):
        if type(self.op) is not str or self.op not in BINARY_OPS:
            _check_new(self)

    def _problem(self):
        return None if type(self.op) is str and self.op in BINARY_OPS else f"{self.op!r} is not a D binary operator"


@_node
class Assign(Expr):
    """An assignment ``target op value`` with op one of ``= += -= *= /= %= &= ^= |= <<= >>=``."""

    op: str
    target: Expr
    value: Expr

    def __attrs_post_init__(self):
        if type(self.op) is not str or self.op not in ASSIGN_OPS:
            _check_new(self)

    def _problem(self):
        return None if type(self.op) is str and self.op in ASSIGN_OPS else f"{self.op!r} is not a D assignment operator"


@_node
class Ternary(Expr):
    """``cond ? then : otherwise``."""

    cond: Expr
    then: Expr
    otherwise: Expr


@_node
class Cast(Expr):
    """``(type) operand``."""

    type: "TypeName"
    operand: Expr


@_node
class SizeofExpr(Expr):
    """``sizeof expr`` (printed ``sizeof (expr)``)."""

    operand: Expr


@_node
class SizeofType(Expr):
    """``sizeof (type)``."""

    type: "TypeName"


@_node
class Stringof(Expr):
    """``stringof expr`` (printed ``stringof(expr)``)."""

    operand: Expr


@_node
class Offsetof(Expr):
    """``offsetof(type, member)``."""

    type: "TypeName"
    member: str

    def _problem(self):
        return _ident_problem(self.member, "the member of offsetof()")


@_node
class Xlate(Expr):
    """``xlate <type> (operand)``."""

    type: "TypeName"
    operand: Expr


@_node
class Call(Expr):
    """A call of a subroutine, action or aggregating function: ``callee(args...)``.

    ``callee`` is almost always an :class:`Ident`; :attr:`name` gives its name or ``None``.
    """

    callee: Expr
    args: tuple[Expr, ...] = attrs.field(converter=_tuple, default=())

    @property
    def name(self) -> str | None:
        callee = self.callee
        if type(callee) is Ident:  # (the usual case, fast: a plain name, no module; see Ident)
            return callee.name
        if isinstance(callee, Ident):
            return callee.name if callee.module is None else None
        return None


@_node
class Index(Expr):
    """Subscripting: ``base[k1, k2, ...]`` (arrays, associative arrays, aggregations, args[])."""

    base: Expr
    keys: tuple[Expr, ...] = attrs.field(converter=_tuple)


@_node
class Member(Expr):
    """Member access ``base.name`` or ``base->name`` (``op`` is ``"."`` or ``"->"``)."""

    base: Expr
    op: str
    name: str

    def __attrs_post_init__(self):
        name = self.name
        if not ((self.op == "->" or self.op == ".") and type(self.op) is str and type(name) is str and name.isidentifier()
                and name.isascii()):
            _check_new(self)

    def _problem(self):
        if type(self.op) is not str or self.op != "->" and self.op != ".":
            return f"member access is . or ->, not {self.op!r}"
        return _ident_problem(self.name, "a member name", keywords_ok=True)


# ----------------------------------------------------------------------------------------------
# Types and declarations (C declarations as D reads them)
# ----------------------------------------------------------------------------------------------

# A declaration's specifiers are a tuple, in source order, of keyword strings (``"static"``,
# ``"const"``, ``"unsigned"``, ``"int"``, ``"self"``, ``"this"``, ``"string"``, ``"typedef"`` ...)
# and at most one of the type-specifier nodes below.


@_node
class TypeRef(Node):
    """A type referred to by name: a typedef name such as ``uint16_t`` or ``tcp_t``, optionally
    scoped to a module with a backquote (``genunix`kthread_t`` has module ``"genunix"``)."""

    name: str
    module: str | None = None

    def _problem(self):
        module = self.module
        if module is not None and (type(module) is not str or _MODULE(module) is None):
            return f"{module!r} is not a kernel module name (letters, digits and _)"
        return _ident_problem(self.name, "a type name")


@_node
class Enumerator(Node):
    """One enumerator, ``NAME`` or ``NAME = value``."""

    name: str
    value: Expr | None = None

    def _problem(self):
        return _ident_problem(self.name, "an enumerator")


@_node
class EnumSpec(Node):
    """``enum name { ... }`` or ``enum name``; ``enumerators`` is None when there is no body."""

    name: str | None
    enumerators: tuple[Enumerator, ...] | None = attrs.field(converter=_opt_tuple, default=None)

    def _problem(self):
        return None if self.name is None else _scoped_problem(self.name, "an enum tag")


@_node
class FieldDeclarator(Node):
    """One declarator of a struct member, with a bit-field ``width`` (``uchar_t ip_hl:4``).

    ``declarator`` is None for an unnamed bit-field (``int :0``).
    """

    declarator: "Declarator | None"
    width: Expr | None = None


@_node
class FieldDecl(Node):
    """One member line of a struct or union: ``specifiers declarator, declarator;``."""

    specifiers: tuple = attrs.field(converter=_tuple)
    declarators: tuple[FieldDeclarator, ...] = attrs.field(converter=_tuple)

    def _problem(self):
        return _specifiers_problem(self.specifiers)


@_node
class StructSpec(Node):
    """``struct name { members }`` or ``union name``; ``members`` is None when there is no body."""

    kind: str  # "struct" or "union"
    name: str | None
    members: tuple[FieldDecl, ...] | None = attrs.field(converter=_opt_tuple, default=None)

    def _problem(self):
        if type(self.kind) is not str or self.kind != "struct" and self.kind != "union":
            return f"a struct specifier is a struct or a union, not {self.kind!r}"
        return None if self.name is None else _scoped_problem(self.name, f"a {self.kind} tag")


TypeSpecifier = str | TypeRef | StructSpec | EnumSpec


@_node
class Declarator(Node):
    """Base class of C declarators (what surrounds the declared name: ``*``, ``[]``, ``()``)."""


@_node
class NameDecl(Declarator):
    """The innermost declarator: the declared name, or None in an abstract declarator."""

    name: str | None

    def _problem(self):
        name = self.name
        return None if name is None else _scoped_problem(name, "a declared name")  # `kmem_flags


@_node
class PointerDecl(Declarator):
    """``* qualifiers target``: a pointer to what ``target`` declares."""

    target: Declarator
    qualifiers: tuple[str, ...] = attrs.field(converter=_tuple, default=())

    def _problem(self):
        for qualifier in self.qualifiers:
            if type(qualifier) is not str or qualifier not in QUALIFIERS:
                return f"{qualifier!r} is not a pointer qualifier (const, volatile, restrict)"
        return None


@_node
class ArrayDecl(Declarator):
    """``target [dims]``.  ``dims`` is empty for ``[]``; one expression for ``[16]``; for a D
    associative array declaration (``int a[string, int];``) it holds :class:`TypeName` keys."""

    target: Declarator
    dims: tuple = attrs.field(converter=_tuple, default=())


@_node
class Param(Node):
    """A function or probe parameter: specifiers and an optional (possibly abstract) declarator.
    The ellipsis ``...`` is ``Param(("...",), None)``."""

    specifiers: tuple = attrs.field(converter=_tuple)
    declarator: Declarator | None = None

    def _problem(self):
        return _specifiers_problem(self.specifiers)


@_node
class FuncDecl(Declarator):
    """``target (params)``: a function type (function pointers in kernel headers)."""

    target: Declarator
    params: tuple[Param, ...] = attrs.field(converter=_tuple, default=())


@_node
class TypeName(Node):
    """A type as written in a cast, ``sizeof``, ``offsetof``, ``xlate`` or a translator:
    specifiers plus an abstract declarator (``(tcp_t **)`` is specifiers ``(TypeRef("tcp_t"),)``
    and declarator ``PointerDecl(PointerDecl(NameDecl(None)))``)."""

    specifiers: tuple = attrs.field(converter=_tuple)
    declarator: Declarator = attrs.field(factory=lambda: NameDecl(None))

    def _problem(self):
        return _specifiers_problem(self.specifiers)


# ----------------------------------------------------------------------------------------------
# Statements
# ----------------------------------------------------------------------------------------------


@_node
class Stmt(Node):
    """Base class of statements (what a clause body holds)."""


@_node
class ExprStmt(Stmt):
    """An expression followed by ``;``: assignments, action calls, aggregations."""

    expr: Expr


@_node
class EmptyStmt(Stmt):
    """A lone ``;``.  The parser makes one node for a run of them in a statement list (``;;;``,
    with blanks or comments between): the list holds that node once per ``;``, at the first one's
    position (dtrace keeps none of them; a body of millions of ``;`` stays one node)."""


@_node
class Block(Stmt):
    """``{ statements }`` inside a clause (the body of an ``if`` or ``else``)."""

    body: tuple[Stmt, ...] = attrs.field(converter=_tuple, default=())


@_node
class If(Stmt):
    """``if (cond) then [else otherwise]`` (illumos, FreeBSD and macOS D; not Oracle's)."""

    cond: Expr
    then: Stmt
    otherwise: Stmt | None = None


# ----------------------------------------------------------------------------------------------
# Top level
# ----------------------------------------------------------------------------------------------


@_node
class TopLevel(Node):
    """Base class of what a D program is a sequence of."""


_DESCS_SEEN: set = set()  # probe descriptions a ProbeDesc took: they need no second test


@_node
class ProbeDesc(Node):
    """A probe description as written: ``fbt:ip:tcp_conn_request:entry``, ``BEGIN``,
    ``syscall::read*:entry``, ``pid$target::malloc:entry``, ``profile-997``."""

    text: str

    def __attrs_post_init__(self):
        text = self.text
        # A description the test below passed is remembered: its two regular expressions cost
        # more than the rest of the node, and scripts repeat their descriptions (a dense script
        # names a few over and over).  A refused text never enters.
        if type(text) is str and text in _DESCS_SEEN:
            return
        _check_new(self)
        text = self.text  # (plain now: see _check_new)
        if len(_DESCS_SEEN) < 100_000:  # (bounded, as _NAMES_SEEN)
            _DESCS_SEEN.add(text)

    def _problem(self):
        text = self.text
        if type(text) is not str or _PSPEC(text) is None:
            return f"{text!r} is not a probe description (provider:module:function:name)"
        lead = _LEAD_WORD(text)
        if lead is not None:
            word = lead.group(0)
            if word in _ALL_KEYWORDS or (word in _STANDARD_TYPES and text[lead.end():lead.end() + 1] == "*"):
                return (f"probe description {text!r} would read as a declaration (it starts with "
                        f"the {'keyword' if word in _ALL_KEYWORDS else 'type'} {word!r})")
        return None

    @property
    def fields(self) -> tuple[str, str, str, str]:
        """provider, module, function, name; fewer than four fields fill from the right."""
        return _split_desc(self.text)[:4]  # type: ignore[return-value]

    @property
    def provider(self) -> str:
        return self.fields[0]

    @property
    def module(self) -> str:
        return self.fields[1]

    @property
    def function(self) -> str:
        return self.fields[2]

    @property
    def name(self) -> str:
        return self.fields[3]


@_node
class Clause(TopLevel):
    """A probe clause: ``descs [/predicate/] [{ body }]``.

    ``body`` is None when the clause has no braces at all (``syscall:::entry /pid == 1/``, which
    traces the default record); an empty tuple prints ``{}``.
    """

    probes: tuple[ProbeDesc, ...] = attrs.field(converter=_tuple)
    predicate: Expr | None = None
    body: tuple[Stmt, ...] | None = attrs.field(converter=_opt_tuple, default=())

    def _problem(self):
        return None if self.probes else "a clause needs at least one probe description"


@_node
class Declaration(TopLevel):
    """A declaration: ``int x;``, ``self int x;``, ``this string s;``, ``typedef ... t;``,
    ``struct s { ... };``, ``extern int `kmem_flags;``, ``int a[string, int];``.

    Specifiers follow the convention described above :class:`TypeRef`.
    """

    specifiers: tuple = attrs.field(converter=_tuple)
    declarators: tuple[Declarator, ...] = attrs.field(converter=_tuple, default=())

    def _problem(self):
        if "..." in self.specifiers:    # (a parameter's only: `... x;` is no D)
            return "'...' is not a declaration specifier (a type keyword, a qualifier or a typedef name)"
        return _specifiers_problem(self.specifiers)


@_node
class Inline(TopLevel):
    """``inline type name = value;`` and the parameterised ``inline string name[int x] = value;``
    (the declarator is then an :class:`ArrayDecl` whose dims are :class:`Param`)."""

    specifiers: tuple = attrs.field(converter=_tuple)
    declarator: Declarator
    value: Expr

    def _problem(self):
        return _specifiers_problem(self.specifiers)


@_node
class TranslatorMember(Node):
    """``name = expr;`` inside a translator."""

    name: str
    value: Expr

    def _problem(self):
        return _ident_problem(self.name, "a translator member")


@_node
class Translator(TopLevel):
    """``translator output < input name > { members };``"""

    output: TypeName
    input: TypeName
    input_name: str
    members: tuple[TranslatorMember, ...] = attrs.field(converter=_tuple, default=())

    def _problem(self):
        return _ident_problem(self.input_name, "a translator's input name")


@_node
class ProviderProbe(Node):
    """``probe name(params) [: (mapped params)];`` inside a provider definition."""

    name: str
    params: tuple[Param, ...] = attrs.field(converter=_tuple, default=())
    mapped: tuple[Param, ...] | None = attrs.field(converter=_opt_tuple, default=None)

    def _problem(self):
        return _ident_problem(self.name, "a provider's probe name")


@_node
class Provider(TopLevel):
    """``provider name { probe ...; ... };``"""

    name: str
    probes: tuple[ProviderProbe, ...] = attrs.field(converter=_tuple, default=())

    def _problem(self):
        return _ident_problem(self.name, "a provider name")


@_node
class Pragma(TopLevel):
    """``#pragma words...``, e.g. ``#pragma D option quiet`` has words ``("D", "option", "quiet")``.

    Quoted words keep their quotes: ``#pragma D binding "1.0" f`` has ``('D', 'binding', '"1.0"', 'f')``.
    """

    words: tuple[str, ...] = attrs.field(converter=_tuple)

    def _problem(self):
        words = self.words
        for word in words:
            if type(word) is not str or _PRAGMA_WORD(word) is None:
                return (f"{word!r} is not a #pragma word (a run of non-blank characters without "
                        "quotes, or one quoted string)")
        problem = _line_problem(" ".join(words), "a #pragma line", quoted=True)
        if problem is not None:
            return problem
        return None


_DIRECTIVES_SEEN: set = set()  # (name, text) of the directives a Directive took: no second test
# A directive's text of printable ASCII and tabs without a backslash or a slash (one line, no
# control character, no continuation, no ??/ trigraph, no comment delimiter): what Directive's
# test below finds nothing in, under any name but the null directive's.  Tested first, in one
# match: 190,000 distinct `#define Mi i` lines each took the whole test (and the printer's again).
_PLAIN_DIRECTIVE_TEXT = _lazy("_PLAIN_DIRECTIVE_TEXT", r"[\t -.0-\[\]-~]*")
_NAMED_DIRECTIVES = DIRECTIVES - {""}


@_node
class Directive(TopLevel):
    """Any other preprocessor line at top level, kept as written: ``#include <sys/socket.h>`` is
    ``Directive("include", "<sys/socket.h>")``; ``#define X 1``, ``#if``, ``#endif``, ``#line``,
    ``# 12 "file"`` (name ``""``).  ``text`` keeps backslash-continued lines, but for the lines
    dtrace reads without cpp (:data:`DIRECTIVES_WITHOUT_CPP`).  A null directive (name ``""``)
    holds only a line marker, a ``#!`` line below the first (``"!/usr/sbin/dtrace -s"``) or
    nothing: ``Directive("", "pragma D option destructive")`` would print a ``#pragma``."""

    name: str
    text: str = ""

    def __attrs_post_init__(self):
        # A directive the test below passed is remembered, as ProbeDesc's descriptions are: a
        # script of 500,000 `#line 5` lines tested each line's text (three regular expressions)
        # again.  A refused one never enters.
        name, text = self.name, self.text
        if type(name) is str and type(text) is str:
            key = (name, text)
            if key in _DIRECTIVES_SEEN:
                return
            if name not in _NAMED_DIRECTIVES or _PLAIN_DIRECTIVE_TEXT(text) is None:
                _check_new(self)  # (else nothing to refuse: see _PLAIN_DIRECTIVE_TEXT)
            if len(_DIRECTIVES_SEEN) < 10_000:  # (bounded, as _NAMES_SEEN)
                _DIRECTIVES_SEEN.add(key)
            return
        _check_new(self)

    def _problem(self):
        text = self.text
        if type(text) is str and self.name in _NAMED_DIRECTIVES and _PLAIN_DIRECTIVE_TEXT(text) is not None:
            return None  # (see _PLAIN_DIRECTIVE_TEXT)
        if type(self.name) is not str or self.name not in DIRECTIVES:
            return f"#{self.name} is not a preprocessor directive"
        if type(text) is not str:
            return f"a directive's text is a str, not {type(text).__name__}"
        plain = self.name in DIRECTIVES_WITHOUT_CPP
        if plain and "\n" in text:
            # dtrace reads these itself, without cpp, and does not continue them at a backslash
            return (f"{'#' + self.name if self.name else 'a line marker or #! line'} cannot be continued "
                    "onto a second line: dtrace reads it without the C preprocessor, so the next line "
                    f"would be a line of its own ({text[:60]!r})")
        if self.name == "" and text and _NULL_DIRECTIVE(text) is None:
            return (f"a null directive (#) holds a line marker (# 12 \"file\") or nothing, not "
                    f"{text[:60]!r}, which cpp or dtrace would read as a directive of its own")
        return _line_problem(text, f"#{self.name}", continued=not plain, quoted=self.name in ("line", ""))


def needs_cpp(items) -> bool:
    """Whether ``items`` (top-level nodes) hold a control line dtrace reads only under ``-C``
    (:func:`dtracepy.facts.directives.needs_cpp`): a ``#line``, ``#ident``, line marker or
    ``#!`` line does not make a program need the C preprocessor, a ``#define`` does."""
    return any(item.__class__ is Directive and _needs_cpp(item.name) for item in items)


@_node
class Shebang(TopLevel):
    """The ``#!`` line; ``text`` follows ``#!`` (``/usr/sbin/dtrace -qs``)."""

    text: str

    def _problem(self):
        if type(self.text) is not str:
            return f"a #! line's text is a str, not {type(self.text).__name__}"
        return _line_problem(self.text, "the #! line")


def comment_safe(text: str) -> str:
    """``text`` with every ``*/`` and ``/*`` broken by a space and each NUL written ``\\0``, so
    that it can stand inside a D comment (which cannot nest, and D text holds no NUL): a
    description, docstring, macro argument's doc or tracer name is the user's text.  A
    ``dtracepy:`` is broken too (``dtracepy :``): in a comment of the emitted file it would be a
    directive to ``check`` (``dtracepy: disable[destructive]`` turns that rule off).  A
    character that hides (:func:`hidden_character`: a bidirectional override would make the
    comment and the code after it display otherwise than D reads them) is written ``<U+202E>``."""
    text = text.replace("\0", "\\0")
    while "*/" in text or "/*" in text:
        text = text.replace("*/", "* /").replace("/*", "/ *")
    return hidden_shown(text).replace("dtracepy:", "dtracepy :")


def hidden_shown(text: str) -> str:
    """``text`` with each character that hides (:func:`hidden_character`) written ``<U+202E>``:
    how the text of a comment dtracepy writes (D's, or a Python module's) shows one, so that no
    comment of its output displays otherwise than it reads ("Trojan source").  An ASCII control
    character but a tab and the line ends (an escape sequence's ``\\x1b``, a backspace, DEL) is
    written so too: raw, a terminal showing the output would clear, recolour or hide what follows;
    and so is a carriage return but one that ends a line before its newline (CRLF): alone, it
    sends the terminal back to the line's start, over what was shown (and Python ends a line at
    one: in a ``#`` comment of an imported module, what followed it would be code)."""
    if "\r" in text:
        text = "\r\n".join(part.replace("\r", "<U+000D>") for part in text.split("\r\n"))
    if text.isascii():
        if _ASCII_CONTROL(text) is None:
            return text
        return "".join(f"<U+{ord(ch):04X}>" if _ASCII_CONTROL(ch) else ch for ch in text)
    return "".join(f"<U+{ord(ch):04X}>" if hidden_character(ch) or ch < "\x80" and _ASCII_CONTROL(ch) else ch
                   for ch in text)


_ASCII_CONTROL = _lazy("_ASCII_CONTROL", r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "search")


@_node
class Comment(TopLevel):
    """A top-level comment; ``text`` is what stands between ``/*`` and ``*/``, verbatim."""

    text: str

    def _problem(self):
        text = self.text
        if type(text) is not str:
            return f"a comment's text is a str, not {type(text).__name__}"
        if "\0" in text:
            return "a comment cannot hold a NUL character (D text holds none)"
        if "*/" in text or "/*" in text or text.endswith("/"):
            # (a text ending in / would print as /*.../*/, whose /* D reads as a nested comment)
            return f"a comment cannot hold /* or */, nor end with / (D comments do not nest): {text!r}"
        return None


@_node
class Program(Node):
    """A whole D program: a sequence of top-level items in order."""

    items: tuple[TopLevel, ...] = attrs.field(converter=_tuple, default=())

    @property
    def clauses(self) -> tuple[Clause, ...]:
        return tuple(item for item in self.items if isinstance(item, Clause))


# ----------------------------------------------------------------------------------------------
# Whole-tree check, for trees built by hand (``t.add``, a raw node used as a value)
# ----------------------------------------------------------------------------------------------

_HINTS: dict[type, dict] = {}


def _hints(cls) -> dict:
    hints = _HINTS.get(cls)
    if hints is None:
        import typing

        hints = typing.get_type_hints(cls)
        hints.pop("pos", None)
        _HINTS[cls] = hints = {name: hints[name] for name in _field_names(cls) if name in hints}
    return hints


def _conforms(value, hint) -> bool:
    import types
    import typing

    if hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_conforms(value, arg) for arg in typing.get_args(hint))
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_conforms(item, args[0]) for item in value)
        return len(args) == len(value) and all(_conforms(v, a) for v, a in zip(value, args))
    if hint is tuple:  # specifiers, array dims: their items are checked by _problem or as nodes
        return isinstance(value, tuple) and all(
            item is None or isinstance(item, (str, Node, tuple)) for item in value)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def check_tree(node, what: str = "a tree") -> None:
    """Refuse (a DSLError at the caller's line) a tree built by hand that could not print as the
    D it claims to be: a node of the wrong kind where another belongs (a str where a statement
    goes, an expression as a probe description), or a node that breaks its kind's invariants."""
    stack = [node]
    while stack:
        current = stack.pop()
        if not isinstance(current, Node):
            _refuse_foreign(f"{what} holds {type(current).__name__} ({current!r}) where a "
                            "dtracepy.tree node belongs")
        check = getattr(current, "_problem", None)
        if check is not None:
            problem = check()
            if problem is not None:
                _refuse(current, problem)
        cls = current.__class__
        for name, hint in _hints(cls).items():
            value = getattr(current, name)
            if not _conforms(value, hint):
                _refuse(current, f"{cls.__name__}.{name} cannot hold {value!r}")
        stack.extend(current.children())


def _refuse_foreign(message: str):
    from dtracepy.source import user_pos

    raise DSLError(message, user_pos())


# The words every dialect of D reserves (one dialect's own, such as illumos' userland, are left
# to the keyword-name check, which knows the program's dialect).
from dtracepy.facts.keywords import KEYWORDS as _KEYWORDS  # noqa: E402
# ... and what the lexer reads as the start of a declaration where a clause could begin.
from dtracepy.facts.keywords import ALL_KEYWORDS as _ALL_KEYWORDS, STANDARD_TYPES as _STANDARD_TYPES  # noqa: E402
def bodyless_is_d(items, index: int) -> bool:
    """Can the clause ``items[index]`` stand without braces?  Only with a predicate, and only
    when nothing but comments follows: the lexer closes a predicate with ``/`` only before ``{``,
    ``;``, ``/`` or the end of input, so ``BEGIN /x/`` followed by ``tick-1s`` reads as a division.
    (The printer and the pass that adds braces both ask this.)"""
    clause = items[index]
    return clause.predicate is not None and all(isinstance(i, Comment) for i in items[index + 1:])
