"""Hypothesis strategies for random, valid D syntax trees.

Every tree drawn here prints (``to_d``) to D that the parser reads back to an equal tree, so the
generator keeps to what D's grammar reads unambiguously without knowing type names:

* identifiers are never keywords and never look like type names (``*_t``);
* type names in casts are keyword types, ``struct``/``union`` types, ``*_t`` names or pointers;
* blocks appear only as ``if``/``else`` branches, aggregations only on the left of ``=``;
* an ``if`` with an ``else`` never has an unbraced ``if`` without ``else`` as its then-branch.

PARSER_WORKAROUNDS lists what the generator avoids only because of known parser bugs; set it
empty to see them fail.

Usable by other tests: ``exprs()``, ``stmts()``, ``clauses()``, ``programs()``, ``type_names()``.
"""

from __future__ import annotations

import re
import string

import attrs
from hypothesis import strategies as st

from dtracepy import tree as T
from dtracepy.facts import precedence as P
from dtracepy.facts.keywords import ALL_KEYWORDS, STANDARD_TYPES

KEYWORDS = ALL_KEYWORDS

# Known parser bugs the generator steers around; none at present.  The names the generator still
# checks for (should one come back): "decl-calls" (calls, subscripts, casts in inline initializers
# and translator members), "scoped-key-types" (``int a[genunix`u4_t *];``), "cast-after-rparen"
# (``(int)(foo_t *)a``, ``if (a) (foo_t *)b;``), "typedef-tag" (``typedef struct c {...} c_t;``
# registering the tag ``c``), "typedef-again" (a second ``typedef enum { s = 1 } k_t;``).
PARSER_WORKAROUNDS: frozenset[str] = frozenset()

# Names a parser may treat specially even though they are not keywords.
RESERVED = KEYWORDS | {"BEGIN", "END", "ERROR", "args"}


def _ok_name(name: str) -> bool:
    return name not in RESERVED and not name.endswith("_t")


def idents() -> st.SearchStrategy[str]:
    """Plain identifiers: not keywords, not type-like."""
    first = st.sampled_from(string.ascii_letters + "_")
    rest = st.text(string.ascii_letters + string.digits + "_", max_size=8)
    return st.builds(lambda a, b: a + b, first, rest).filter(_ok_name)


def _type_ident() -> st.SearchStrategy[str]:
    return st.builds(lambda n: n + "_t", st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True))


# -- literals and leaves -----------------------------------------------------------------------


def int_lits() -> st.SearchStrategy[T.IntLit]:
    suffix = st.sampled_from(["", "", "", "u", "U", "l", "L", "ul", "UL", "ull", "ULL", "LL"])
    dec = st.integers(0, 2**40).map(str)
    hexa = st.integers(0, 2**40).map(lambda n: "0x%x" % n)
    octal = st.integers(1, 2**20).map(lambda n: "0%o" % n)
    return st.builds(lambda d, s: T.IntLit(d + s), st.one_of(dec, hexa, octal), suffix)


def char_lits() -> st.SearchStrategy[T.CharLit]:
    simple = st.sampled_from(string.ascii_letters + string.digits + " !#$%&()*+,-./:;<=>?@[]^_{|}~\"")
    escape = st.sampled_from(["\\n", "\\t", "\\0", "\\\\", "\\'", "\\r", "\\033"])
    one = st.one_of(simple, escape)
    return st.lists(one, min_size=1, max_size=3).map(lambda parts: T.CharLit("".join(parts)))


def string_lits() -> st.SearchStrategy[T.StringLit]:
    chars = st.characters(blacklist_categories=("Cs",), max_codepoint=0x2FFF)
    return st.text(chars, max_size=12).map(T.StringLit)


def macro_vars() -> st.SearchStrategy[T.MacroVar]:
    numbered = st.builds(lambda d, n: d + str(n), st.sampled_from(["$", "$$"]), st.integers(0, 9))
    named = st.sampled_from(["$target", "$pid", "$ppid", "$uid", "$gid", "$euid", "$egid", "$pgid"])
    return st.one_of(numbered, named).map(T.MacroVar)


def leaves() -> st.SearchStrategy[T.Expr]:
    return st.one_of(
        int_lits(),
        char_lits(),
        string_lits(),
        idents().map(T.Ident),
        st.builds(T.Ident, idents(), st.sampled_from(["", "genunix", "unix"])),
        macro_vars(),
        idents().map(T.SelfVar),
        idents().map(T.ThisVar),
    )


# -- types -------------------------------------------------------------------------------------

_KEYWORD_TYPES = [
    ("int",),
    ("char",),
    ("unsigned", "int"),
    ("long", "long"),
    ("unsigned", "char"),
    ("short",),
    ("void",),
    ("string",),
    ("signed", "long"),
    ("const", "char"),
]


def type_specifiers() -> st.SearchStrategy[tuple]:
    return st.one_of(
        st.sampled_from(_KEYWORD_TYPES),
        _type_ident().map(lambda n: (T.TypeRef(n),)),
        st.builds(lambda n, m: (T.TypeRef(n, m),), _type_ident(), st.sampled_from(["genunix", "unix"])),
        st.builds(lambda k, n: (T.StructSpec(k, n),), st.sampled_from(["struct", "union"]), idents()),
        idents().map(lambda n: (T.EnumSpec(n),)),
    )


def _pointers(target: T.Declarator, n: int) -> T.Declarator:
    for _ in range(n):
        target = T.PointerDecl(target)
    return target


def type_names() -> st.SearchStrategy[T.TypeName]:
    """Type names as in casts: specifiers and zero to two ``*``."""
    return st.builds(
        lambda specs, n: T.TypeName(specs, _pointers(T.NameDecl(None), n)),
        type_specifiers(),
        st.integers(0, 2),
    )


# -- expressions -------------------------------------------------------------------------------

_UNARY = ["!", "~", "-", "+", "*", "&", "++", "--"]
_BINARY = sorted(P.BINARY)


def _castable(operand: T.Expr) -> bool:
    return "cast-after-rparen" not in PARSER_WORKAROUNDS or not isinstance(operand, T.Cast)


def _extend(children: st.SearchStrategy[T.Expr]) -> st.SearchStrategy[T.Expr]:
    lists = st.lists(children, min_size=1, max_size=3)
    return st.one_of(
        st.builds(T.Unary, st.sampled_from(_UNARY), children),
        st.builds(T.Postfix, st.sampled_from(["++", "--"]), children),
        st.builds(T.Binary, st.sampled_from(_BINARY), children, children),
        st.builds(T.Assign, st.sampled_from(P.ASSIGN_OPS), children, children),
        st.builds(T.Ternary, children, children, children),
        st.builds(T.Cast, type_names(), children.filter(_castable)),
        st.builds(T.SizeofExpr, children),
        st.builds(T.SizeofType, type_names()),
        st.builds(T.Stringof, children),
        st.builds(T.Offsetof, type_names(), idents()),
        st.builds(T.Xlate, type_names(), children),
        st.builds(T.Call, idents().map(T.Ident), st.lists(children, max_size=3)),
        st.builds(T.Index, children, lists),
        st.builds(T.Member, children, st.sampled_from([".", "->"]), idents()),
    )


def exprs(max_leaves: int = 12) -> st.SearchStrategy[T.Expr]:
    return st.recursive(leaves(), _extend, max_leaves=max_leaves)


def _no_calls(expr: T.Expr) -> bool:
    return not any(isinstance(n, (T.Call, T.Index, T.Cast, T.Xlate)) for n in expr.walk())


def decl_exprs(max_leaves: int = 6) -> st.SearchStrategy[T.Expr]:
    """Expressions for inline initializers and translator members."""
    if "decl-calls" in PARSER_WORKAROUNDS:
        return exprs(max_leaves).filter(_no_calls)
    return exprs(max_leaves)


def aggregations() -> st.SearchStrategy[T.Expr]:
    """``@name[keys] = func(args)`` and ``@ = count()``."""
    agg = st.one_of(st.just(""), idents()).map(T.AggVar)
    keyed = st.one_of(agg, st.builds(T.Index, agg, st.lists(exprs(4), min_size=1, max_size=3)))
    func = st.builds(
        T.Call,
        st.sampled_from(["count", "sum", "avg", "min", "max", "quantize", "lquantize"]).map(T.Ident),
        st.lists(exprs(4), max_size=3),
    )
    return st.builds(lambda k, f: T.Assign("=", k, f), keyed, func)


# -- statements --------------------------------------------------------------------------------


def simple_stmts() -> st.SearchStrategy[T.Stmt]:
    return st.one_of(
        exprs().map(T.ExprStmt),
        aggregations().map(T.ExprStmt),
        st.just(T.EmptyStmt()),
    )


# The printer's own test for an `if` that would capture a following `else`.
from dtracepy.printer import _dangles  # noqa: E402


def _starts_with_paren(stmt: T.Stmt) -> bool:
    if "cast-after-rparen" not in PARSER_WORKAROUNDS or not isinstance(stmt, T.ExprStmt):
        return False
    from dtracepy.printer import to_d

    return to_d(stmt).startswith("(")


def _make_if(cond, then, otherwise):
    if otherwise is not None and _dangles(then) or _starts_with_paren(then):
        then = T.Block((then,))
    if otherwise is not None and _starts_with_paren(otherwise):
        otherwise = T.Block((otherwise,))
    return T.If(cond, then, otherwise)


def _extend_stmts(children: st.SearchStrategy[T.Stmt]) -> st.SearchStrategy[T.Stmt]:
    block = st.lists(children, max_size=3).map(T.Block)
    branch = st.one_of(block, children)
    return st.builds(_make_if, exprs(6), branch, st.one_of(st.none(), branch))


def stmts() -> st.SearchStrategy[T.Stmt]:
    return st.recursive(simple_stmts(), _extend_stmts, max_leaves=6)


# -- top level ---------------------------------------------------------------------------------

_FIELD = r"[a-z_][a-z0-9_]{0,7}"


def probe_descs() -> st.SearchStrategy[T.ProbeDesc]:
    field = st.one_of(
        st.from_regex(_FIELD, fullmatch=True),
        st.from_regex(r"[a-z_][a-z0-9_]{0,5}\*", fullmatch=True),
        st.just("*"),
        st.just(""),
    )
    provider = st.one_of(
        field,
        st.sampled_from(["syscall", "fbt", "proc", "sched", "io", "profile", "pid$target", "pid$1"]),
    )
    module = st.one_of(field, st.sampled_from(["libc.so.1", "ip", "genunix"]))
    name = st.one_of(field, st.sampled_from(["entry", "return", "start", "exec-success"]))
    # (a first field that starts with a keyword, or a type then `*`, is refused when the node is
    # built, so filtered before: `do*:*::` was generated once and failed the test that drew it)
    def not_keyword(f):
        lead = re.match(r"[A-Za-z_`][A-Za-z0-9_`]*", f)
        word = lead.group(0) if lead else None
        return word not in KEYWORDS and not (word in STANDARD_TYPES and f[lead.end():lead.end() + 1] == "*")

    four = st.builds(lambda p, m, f, n: T.ProbeDesc(f"{p}:{m}:{f}:{n}"), provider.filter(not_keyword),
                     module, field, name)
    two = st.builds(lambda f, n: T.ProbeDesc(f"{f}:{n}"),
                    st.from_regex(_FIELD, fullmatch=True).filter(not_keyword), name)
    single = st.sampled_from(["BEGIN", "END", "ERROR", "tick-1s", "profile-997", "profile-1001hz"])
    return st.one_of(four, two, single.map(T.ProbeDesc)).filter(
        lambda d: not (d.text.split(":")[0] in KEYWORDS or d.text in KEYWORDS)
    )


def clauses(allow_no_body: bool = False) -> st.SearchStrategy[T.Clause]:
    """Probe clauses.  A clause without a body (``BEGIN /x/``) is D only at the end of a file: its
    closing ``/`` ends the predicate only before ``{``, ``;``, ``/`` or the end of input."""
    probes = st.lists(probe_descs(), min_size=1, max_size=3)
    body = st.lists(stmts(), max_size=4)

    def make(p, pred, b, braces):
        if pred is None or braces or not allow_no_body:
            return T.Clause(p, pred, b)
        return T.Clause(p, pred, None)

    return st.builds(make, probes, st.one_of(st.none(), exprs(8)), body, st.booleans())


def _scalar_decls() -> st.SearchStrategy[T.Declaration]:
    declarator = st.builds(lambda n, k: _pointers(T.NameDecl(n), k), idents(), st.integers(0, 2))
    array = st.builds(lambda n, d: T.ArrayDecl(T.NameDecl(n), (d,)), idents(), int_lits())
    key = type_names()
    if "scoped-key-types" in PARSER_WORKAROUNDS:
        key = key.filter(lambda t: not any(isinstance(s, T.TypeRef) and s.module is not None for s in t.specifiers))
    assoc = st.builds(lambda n, keys: T.ArrayDecl(T.NameDecl(n), keys), idents(), st.lists(key, min_size=1, max_size=3))
    storage = st.sampled_from([(), ("self",), ("this",), ("static",), ("extern",)])
    return st.builds(
        lambda s, t, ds: T.Declaration(s + t, ds),
        storage,
        type_specifiers(),
        st.lists(st.one_of(declarator, array, assoc), min_size=1, max_size=3),
    )


def _struct_decls() -> st.SearchStrategy[T.Declaration]:
    member_decl = st.builds(
        lambda n, k, w: T.FieldDeclarator(_pointers(T.NameDecl(n), k), w),
        idents(),
        st.integers(0, 1),
        st.one_of(st.none(), st.integers(1, 31).map(lambda n: T.IntLit(str(n)))),
    )
    member = st.builds(T.FieldDecl, type_specifiers(), st.lists(member_decl, min_size=1, max_size=3))
    spec = st.builds(T.StructSpec, st.sampled_from(["struct", "union"]), idents(), st.lists(member, max_size=4))
    enum = st.builds(
        T.EnumSpec,
        idents(),
        st.lists(st.builds(T.Enumerator, idents(), st.one_of(st.none(), int_lits())), min_size=1, max_size=4),
    )
    plain = st.one_of(spec, enum).map(lambda s: T.Declaration((s,)))
    def make_typedef(s, n):
        if "typedef-tag" in PARSER_WORKAROUNDS:
            s = attrs.evolve(s, name=None)
        return T.Declaration(("typedef", s), (T.NameDecl(n),))

    typedef = st.builds(make_typedef, st.one_of(spec, enum), _type_ident())
    return st.one_of(plain, typedef)


def inlines() -> st.SearchStrategy[T.Inline]:
    simple = st.builds(T.Inline, st.sampled_from(_KEYWORD_TYPES[:4]), idents().map(T.NameDecl), decl_exprs())
    param = st.builds(lambda n: T.Param(("int",), T.NameDecl(n)), idents())
    parameterised = st.builds(
        lambda n, p, v: T.Inline(("string",), T.ArrayDecl(T.NameDecl(n), (p,)), v), idents(), param, decl_exprs()
    )
    return st.one_of(simple, parameterised)


def translators() -> st.SearchStrategy[T.Translator]:
    member = st.builds(T.TranslatorMember, idents(), decl_exprs())
    return st.builds(
        T.Translator,
        type_specifiers().map(T.TypeName),
        st.builds(lambda s: T.TypeName(s, T.PointerDecl(T.NameDecl(None))), type_specifiers()),
        idents(),
        st.lists(member, max_size=3),
    )


def providers() -> st.SearchStrategy[T.Provider]:
    param = st.builds(
        T.Param,
        st.sampled_from(_KEYWORD_TYPES[:5]),
        st.one_of(st.none(), idents().map(T.NameDecl), st.just(T.PointerDecl(T.NameDecl(None)))),
    )
    params = st.lists(param, max_size=3)
    probe = st.builds(T.ProviderProbe, idents(), params, st.one_of(st.none(), params))
    return st.builds(T.Provider, idents(), st.lists(probe, min_size=1, max_size=3))


def pragmas() -> st.SearchStrategy[T.Pragma]:
    return st.sampled_from(
        [
            ("D", "option", "quiet"),
            ("D", "option", "bufsize=16m"),
            ("D", "option", "destructive"),
            ("D", "depends_on", "provider", "ip"),
            ("D", "binding", '"1.0"', "f"),
            ("ident", '"@(#)x.d"'),
        ]
    ).map(T.Pragma)


def directives() -> st.SearchStrategy[T.Directive]:
    return st.sampled_from(
        [
            T.Directive("include", "<sys/types.h>"),
            T.Directive("include", '"myip.h"'),
            T.Directive("define", "X 1"),
            T.Directive("ifdef", "X"),
            T.Directive("endif"),
        ]
    )


def comments() -> st.SearchStrategy[T.Comment]:
    text = st.text(string.ascii_letters + string.digits + " \n\t.,*-", max_size=30)
    return text.filter(lambda s: "*/" not in s and "/*" not in s and not s.endswith("/")).map(T.Comment)


def top_levels(with_comments: bool = True) -> st.SearchStrategy[T.TopLevel]:
    choices = [
        clauses(),
        _scalar_decls(),
        _struct_decls(),
        inlines(),
        translators(),
        providers(),
        pragmas(),
        directives(),
    ]
    if with_comments:
        choices.append(comments())
    return st.one_of(*choices)


def _unique_typedefs(program: T.Program) -> bool:
    if "typedef-again" not in PARSER_WORKAROUNDS:
        return True
    names = [
        d.name
        for item in program.items
        if isinstance(item, T.Declaration) and "typedef" in item.specifiers
        for d in item.declarators
        if isinstance(d, T.NameDecl)
    ]
    return len(names) == len(set(names))


def programs(with_comments: bool = True) -> st.SearchStrategy[T.Program]:
    shebang = st.one_of(st.none(), st.sampled_from(["/usr/sbin/dtrace -s", "/usr/sbin/dtrace -qCs"]))
    last = st.one_of(st.none(), clauses(allow_no_body=True))
    return st.builds(
        lambda sb, items, end: T.Program(
            ((T.Shebang(sb),) if sb else ()) + tuple(items) + ((end,) if end is not None else ())
        ),
        shebang,
        st.lists(top_levels(with_comments), max_size=5),
        last,
    ).filter(_unique_typedefs)
