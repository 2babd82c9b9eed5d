"""The D dialects: what differs between the DTrace implementations, as data.

A :class:`Dialect` is resolved once from its name (:func:`dialect_named`), at ``Tracer(...)`` or on
the command line, and passed down to the checks and the compiler.  Code asks the object
(``dialect.has_if_else``, ``name in dialect.keywords``), never compares dialect names.

    >>> dialect_named("oracle").has_if_else
    False
"""

from __future__ import annotations

import attrs

from dtracepy.facts import functions as _functions
from dtracepy.facts import keywords as _keywords
from dtracepy.facts import variables as _variables

NAMES = ("illumos", "freebsd", "macos", "oracle")
DEFAULT = "illumos"


# Frozen; compared by identity (there is one object per dialect: :func:`dialect_named`), and
# without slots or a generated repr: ``dtracepy check`` builds this class on every run, and those
# options make it three times cheaper to define.
@attrs.frozen(eq=False, repr=False, slots=False)
class Dialect:
    name: str
    #: One line saying which DTrace this is.
    title: str
    #: The grammar has ``if (e) s [else s]``; without it the compiler lowers if/else.
    has_if_else: bool
    #: A struct or union may hold an unnamed struct or union member (``union { int a; long b; };``).
    has_anonymous_members: bool
    #: Reserved words (refused as identifiers).
    keywords: frozenset
    #: Built-in variable names.
    variables: frozenset
    #: Variables other dialects have and this one lacks (built in or from the D libraries:
    #: :data:`dtracepy.facts.variables.DIALECT_VARIABLES`; ``zonename`` in oracle).
    foreign_variables: frozenset
    #: Action, subroutine and aggregating-function names.
    functions: frozenset
    #: llquantize(v, factor, low, high, steps) with steps > factor also needs steps to divide
    #: factor ** (low + 1) (factor squared when low is 0): Oracle's dt_cg.c has the rule, illumos'
    #: and Apple's compilers do not (Apple's tst.llquantsteps.d uses steps 1000 with factor 10).
    llquantize_steps_divide_power: bool = False
    #: A clause may end with its predicate, without a body (``desc /pred/`` last in the file: the
    #: default action).  Oracle's D 2.0 refuses it ("syntax error near end of input", or "expected
    #: actions { } following probe description and predicate" before a ``;``).
    has_bodyless_clauses: bool = True
    #: Functions the compiler knows but refuses ("jstack() is not implemented (yet)").
    not_implemented: frozenset = frozenset()
    #: A keyword after ``->`` or ``.`` is a name (``this->self``, ``self->string``):
    #: :data:`dtracepy.facts.keywords.KEYWORDS_AFTER_ARROW`.
    keywords_after_arrow: bool = False
    #: ``#pragma D attributes <attrs> provider <name>`` (or ``provider`` with no name) crashes the
    #: compiler: Oracle's dtrace 2.0 dies of a segmentation fault (exit 139) on it, for a provider
    #: that exists (syscall) or not; :func:`dtracepy.facts.options.crashing_pragma` says which lines.
    crashes_on_provider_attributes: bool = False
    #: A provider definition (``provider foo { probe bar(); };``) crashes the compiler but in
    #: ``dtrace -h`` (or ``-G``) of a file of provider definitions alone: Oracle's dtrace 2.0 dies of
    #: a segmentation fault (exit 139) compiling one with ``-s``, ``-e`` or ``-n``, alone or with
    #: clauses, with or without probes, and with ``-h`` or ``-G`` too when the file has a clause;
    #: ``dtrace -h -s`` of the definition alone writes its header (session 18;
    #: tests/test_debts18.py asks it again).
    crashes_on_provider_definition: bool = False
    #: ``strlen()`` of a string of 18 bytes or more corrupts the aggregations updated after it: in
    #: Oracle's dtrace 2.0 ``BEGIN { n = strlen("abcdefghijklmnopqrstuvwxyz"); @c = count(); }``
    #: printed 8752877226454971251 for @c (``dtrace -s``, session 13), as did a count() in a later
    #: clause or firing; 17 bytes, an aggregation updated before it, or ``sum(strlen(s))`` alone
    #: were right.  (dtracepy's runner takes a length with rindex(s, ""): run/framing.py.)
    strlen_corrupts_aggregations: bool = False

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Dialect {self.name}>"


def _in(dialects: str | None, name: str) -> bool:
    return dialects is None or name in dialects.split()


def _make(name: str, title: str, *, has_if_else: bool, has_anonymous_members: bool,
          llquantize_steps_divide_power: bool) -> Dialect:
    return Dialect(
        name=name,
        title=title,
        has_if_else=has_if_else,
        has_anonymous_members=has_anonymous_members,
        keywords=_keywords.KEYWORDS | _keywords.KEYWORDS_BY_DIALECT[name],
        variables=frozenset(n for n, row in _variables.BUILTIN_TABLE.items() if _in(row[2], name)),
        foreign_variables=frozenset(n for n, owners in _variables.DIALECT_VARIABLES.items() if name not in owners),
        functions=frozenset(n for n, row in _functions.TABLE.items() if _in(row[5], name)),
        llquantize_steps_divide_power=llquantize_steps_divide_power,
        has_bodyless_clauses=has_if_else,  # (the same lineages: illumos' grammar, or Oracle's D 2.0)
        not_implemented=_functions.NOT_IMPLEMENTED.get(name, frozenset()),
        keywords_after_arrow=name in _keywords.KEYWORDS_AFTER_ARROW,
        crashes_on_provider_attributes=name == "oracle",
        crashes_on_provider_definition=name == "oracle",
        strlen_corrupts_aggregations=name == "oracle",
    )


#: The most pointer dereferences (``p->m``) one clause may hold, by dialect, where a dialect's
#: compiler has such a limit.  Oracle's D 2.0 compiles each to BPF with a jump to the clause's
#: error exit, and a BPF jump reaches at most 32,767 instructions: past 16,382 dereferences in a
#: clause (its predicate and body, counted together), ``dtrace -e`` aborts ("dt_as: Assertion
#: `instr.off < dlp->dl_label' failed", exit 134); bisected with a chain ``x->a->a...`` alone
#: and after other ``->`` in the clause (tests/test_check_gaps15.py).  (A plain module table,
#: not a :class:`Dialect` field: that class's methods ship precompiled, ``attrs_codes``.)
MAX_CLAUSE_DEREFERENCES = {"oracle": 16382}

#: dialect -> the translated variables whose value (a pointer to translated data, ``curpsinfo``;
#: what it points to, ``*curpsinfo``) or whose element (``fds[0]``) that dialect's compiler cannot
#: handle whole: given to ``trace()``, assigned to a variable, or made an aggregation's or an
#: associative array's key.  Oracle's D 2.0: "trace( ) may not be applied to a dynamic
#: expression", "operands have incompatible types: "psinfo_t *" = "pointer to translated data"",
#: "internal error -- no support for translated types yet", "translated data expression may not be
#: used as aggregation index" (judged in tests/test_new_user_review17.py).  A member of one
#: (``curpsinfo->pr_pid``), a cast or an address of a member is fine.  (Here, not in
#: :mod:`dtracepy.facts.translated`: every check reads it, and loading that module's tables cost a
#: seed-sized ``check`` 5 M instructions, 3.7x to 3.9x ``python -c pass``.)
WHOLE_REFUSED = {"oracle": (frozenset({"curpsinfo", "curlwpsinfo"}), frozenset({"fds"}))}


# name -> (title, has_if_else, has_anonymous_members, llquantize_steps_divide_power); the
# Dialect objects are made on first
# use, one per name.  Anonymous members: illumos' and Apple's test suites have them
# (tst.StructAnon.d, tst.UnionAnon.d); Oracle's D 2.0 rejects them ('syntax error near ";"').
_TABLE = {
    "illumos": ("illumos (and Solaris) DTrace", True, True, False),
    "freebsd": ("FreeBSD DTrace", True, True, False),
    "macos": ("macOS DTrace", True, True, False),
    "oracle": ("Oracle DTrace for Linux (D 2.0)", False, False, True),
}
_DIALECTS: dict[str, Dialect] = {}


#: Names a user may give for a system whose D is one of :data:`NAMES`: the systems, not their
#: DTraces (``--dialect solaris``: Solaris's D is illumos's, both ``Sun D 1.x``).  Not accepted
#: as names; an unknown name that is one of these is answered with the dialect it means.
OTHER_NAMES = {
    "solaris": "illumos", "opensolaris": "illumos", "smartos": "illumos", "omnios": "illumos",
    "openindiana": "illumos", "darwin": "macos", "osx": "macos", "linux": "oracle",
}


def meant(name) -> str | None:
    """The dialect the system an unknown ``name`` names uses (``solaris``: illumos), or None."""
    return OTHER_NAMES.get(name.strip().lower()) if isinstance(name, str) else None


class UnknownDialect(ValueError):
    pass


def dialect_named(name) -> Dialect:
    """The dialect called ``name`` (a :class:`Dialect` is returned as it is); an unknown name
    raises :class:`UnknownDialect`, whose message lists the known ones."""
    if isinstance(name, Dialect):
        return name
    dialect = _DIALECTS.get(name) if isinstance(name, str) else None
    if dialect is None:
        if not isinstance(name, str) or name not in _TABLE:
            guess = meant(name)
            hint = f" (did you mean {guess!r}?)" if guess else ""
            raise UnknownDialect(f"unknown D dialect {name!r}{hint}: {', '.join(NAMES)}")
        title, has_if_else, has_anonymous_members, llq = _TABLE[name]
        # setdefault: two threads asking at once still share one object
        dialect = _DIALECTS.setdefault(name, _make(name, title, has_if_else=has_if_else,
                                                   has_anonymous_members=has_anonymous_members,
                                                   llquantize_steps_divide_power=llq))
    return dialect


def dialect_of_version(text: str) -> str | None:
    """The dialect a ``dtrace -V`` line names: ``dtrace: Oracle D 2.0`` is Oracle's; the others
    all say ``Sun D 1.x`` (illumos, FreeBSD, macOS: one D as far as dtracepy compiles), None."""
    return "oracle" if "Oracle D" in text else None


#: The dialects whose D compiler knows a struct or union defined inside another's body (``struct foo
#: { struct bar { int a; } y; };``) only as a forward declaration when it is named by its tag
#: afterwards (Oracle's DTrace 2.0, measured with ``dtrace -e``): ``((struct bar *)p)->a`` "operator ->
#: cannot be applied to a forward declaration: no struct bar definition is available", ``struct bar
#: b;`` "incomplete struct/union/enum", ``sizeof (struct bar)`` is 18446744073709551615, and
#: ``@[*(struct bar *)p]`` aborts it (SIGABRT in dt_aggid_rec_add) whatever its size; defining
#: ``struct bar`` again apart is taken, not "type redeclared".  The outer struct is whole
#: (``((struct foo *)p)->y.a`` compiles).
NESTED_TAGS_FORWARD = frozenset({"oracle"})
