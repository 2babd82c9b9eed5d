"""D's reserved words and the type names D knows without any header (D-REFERENCE.md, Lexical).

The lexer makes a ``K_<WORD>`` token of every word in :data:`ALL_KEYWORDS`; the ``keyword-name``
check refuses the ones of the program's dialect (:attr:`dtracepy.facts.dialects.Dialect.keywords`)
as identifiers.
"""

from __future__ import annotations

#: Reserved in every dialect.
KEYWORDS = frozenset(
    """auto break case char const continue counter default do double else enum extern float
    for goto if import inline int long offsetof probe provider register restrict return self short
    signed sizeof static string stringof struct switch this translator typedef union unsigned void
    volatile while xlate""".split()
)
#: Reserved by one dialect only, by dialect name.
KEYWORDS_BY_DIALECT = {
    "illumos": frozenset({"userland"}),
    "freebsd": frozenset(),
    "macos": frozenset(),
    "oracle": frozenset(),
}
#: Dialects whose lexer reads any identifier after ``->`` or ``.`` as a name, a keyword too
#: (``this->self``, ``self->string``, ``this->int``): Oracle's dt_lex.l enters its identifier-only
#: state SIDENT there.  illumos', FreeBSD's and Apple's lexers return the keyword's token after
#: ``->`` as anywhere else, a syntax error (their dt_lex.l: ``<S0>"->" return (DT_TOK_PTR);``).
KEYWORDS_AFTER_ARROW = frozenset({"oracle"})
#: Every word any dialect reserves (the lexer's keyword tokens).
ALL_KEYWORDS = KEYWORDS.union(*KEYWORDS_BY_DIALECT.values())

#: Reserved words with no grammar rule in any dialect (D has no loops, no switch, no return).
RESERVED_WITHOUT_RULE = frozenset(
    "break case continue default do for goto import return switch while counter auto register".split()
)

#: Keywords that name a basic type.
TYPE_KEYWORDS = frozenset({"void", "char", "short", "int", "long", "float", "double", "signed",
                           "unsigned", "string"})
#: Type qualifiers (``userland`` is illumos').
TYPE_QUALIFIERS = frozenset({"const", "volatile", "restrict", "userland"})
#: Keywords that may stand among declaration specifiers before a type is named.
STORAGE_QUALIFIERS = frozenset({"typedef", "extern", "static", "register", "auto", "const", "volatile",
                                "restrict", "self", "this", "inline", "userland"})

#: Typedefs every D session knows (from the kernel's CTF data and the D libraries), so a cast to
#: one of them needs no declaration.
STANDARD_TYPES = frozenset(
    """int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t intptr_t uintptr_t
    intmax_t uintmax_t size_t ssize_t off_t off64_t offset_t loff_t caddr_t daddr_t uchar_t ushort_t
    uint_t ulong_t longlong_t u_longlong_t u_char u_short u_int u_long u_int8_t u_int16_t u_int32_t
    u_int64_t pid_t uid_t gid_t id_t time_t clock_t hrtime_t dev_t major_t minor_t mode_t nlink_t
    ino_t ino64_t boolean_t bool processorid_t psetid_t zoneid_t projid_t taskid_t ctid_t key_t
    pri_t ptrdiff_t wchar_t socklen_t in_port_t in_addr_t sa_family_t timespec_t timestruc_t
    kthread_t proc_t psinfo_t lwpsinfo_t fileinfo_t devinfo_t bufinfo_t cpuinfo_t conninfo_t
    ipinfo_t tcpinfo_t tcpsinfo_t tcplsinfo_t udpinfo_t udpsinfo_t ifinfo_t ipv4info_t ipv6info_t
    pktinfo_t csinfo_t siginfo_t vnode_t""".split()
)

#: Type names that are integers everywhere (basic types and standard integer typedefs): a value
#: of one of these types is no string (``inline int f = "a";`` is refused).
INTEGER_TYPE_WORDS = frozenset(
    """char short int long signed unsigned int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t
    uint64_t intptr_t uintptr_t intmax_t uintmax_t size_t ssize_t uchar_t ushort_t uint_t ulong_t
    longlong_t u_longlong_t u_char u_short u_int u_long u_int8_t u_int16_t u_int32_t u_int64_t
    pid_t uid_t gid_t id_t hrtime_t""".split()
)

#: Macro variables by name (``$target`` ...); ``$1``.. ``$N`` and ``$$N`` are the arguments.
MACRO_VARIABLES = ("target", "pid", "ppid", "uid", "gid", "euid", "egid", "pgid", "sid", "projid", "taskid")


def macro_argument_number(name: str) -> int | None:
    """``$1`` and ``$$1`` -> 1; None for ``$target`` and other names."""
    digits = name.lstrip("$")
    if name.startswith("$") and len(name) - len(digits) <= 2 and digits.isdigit() and digits.isascii():
        return int(digits)
    return None


#: Typedefs every session defines (D's own integer types, its libraries' translated types, the
#: POSIX types every kernel has), which a program may not typedef again ("typedef redeclared":
#: the real dtrace judges each, tests/test_check_declarations.py).  Others of
#: :data:`STANDARD_TYPES` come from one kernel's types only (``kthread_t``), where another
#: system takes a program's typedef of the name.
DEFINED_TYPEDEFS = frozenset(
    """int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t intptr_t uintptr_t
    size_t ssize_t ptrdiff_t caddr_t uchar_t ushort_t uint_t ulong_t u_longlong_t pid_t uid_t gid_t
    id_t dev_t time_t processorid_t psetid_t projid_t taskid_t zoneid_t timestruc_t psinfo_t
    lwpsinfo_t cpuinfo_t bufinfo_t devinfo_t fileinfo_t conninfo_t ipinfo_t ifinfo_t ipv4info_t
    ipv6info_t pktinfo_t csinfo_t""".split()
)

#: The words of a type specifier that name a base type; a typedef name, a struct, union or enum
#: stand among them as "name", "struct", "union", "enum".
_BASES = frozenset({"void", "char", "int", "float", "double", "string", "name", "struct", "union",
                    "enum"})
_SHOWN = {"name": "a typedef name", "struct": "a struct", "union": "a union", "enum": "an enum"}


def type_specifier_problem(words) -> str | None:
    """What D refuses in a list of type specifier words (``char int``, ``short long``, ``unsigned
    float``; see :data:`_BASES` for how a named type is given), as a message; None when D takes
    it.  As libdtrace's dt_decl.c decides: one base type at most ("invalid type combination"),
    ``signed``/``unsigned`` only with an integer, ``short`` only with ``int``, ``long`` (twice at
    most) only with ``int`` or once with ``double`` (otherwise the type name it spells is unknown,
    or refused outright).  illumos' D also refuses a word repeated (``short short``, four
    ``long``), which Oracle's takes: that is not said."""
    bases = [w for w in words if w in _BASES]
    if len(bases) > 1:
        return (f"{_SHOWN.get(bases[0], bases[0])} and {_SHOWN.get(bases[1], bases[1])} are two types "
                "in one: invalid type combination")
    base = bases[0] if bases else None
    what = _SHOWN.get(base, base)
    signs = {w for w in words if w in ("signed", "unsigned")}
    longs = sum(1 for w in words if w == "long")
    short = "short" in words
    if len(signs) > 1:
        return "signed and unsigned together name no type"
    if short and longs:
        return "short and long together name no type"
    if longs == 3:  # (four are taken by Oracle's D, refused by illumos': neither is said here)
        return "long long long names no type"
    if signs and base not in (None, "char", "int"):
        return f"signed and unsigned may only be used with an integer type, not {what}"
    if short and base in ("char", "void", "float", "double"):
        return f"short may not be used with {what}"
    if longs and base not in (None, "int", "double"):
        return f"long may not be used with {what}"
    if longs > 1 and base == "double":
        return "long long double names no type"
    return None
