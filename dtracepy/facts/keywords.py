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
