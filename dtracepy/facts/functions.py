"""D's actions, subroutines and aggregating functions: arity, result kind, destructiveness.

:data:`TABLE` holds one row per name; :data:`FUNCTIONS` maps a name to a :class:`Function`.  The DSL makes one Python function of each
(:mod:`dtracepy.dsl.actions`), the ``call-arity``/``unknown-function`` checks read the arity, the
printf check the result kind, the safety checks destructiveness and whether an action records data.
A name whose ``dialects`` is not None exists in those dialects only; it is still accepted
everywhere (a script may be written for another platform), with its arity checked, unless
``check --dialect`` names a dialect that lacks it (``dialect-function``).  Oracle's D lacks
``strtoll``, ``toupper``, ``tolower``, ``json`` and ``getf`` (its dtrace says "undefined function
name") and has ``mutex_type_adaptive``/``mutex_type_spin``: tests/test_check_rules.py asks it.
"""

from __future__ import annotations

ACTION, SUBROUTINE, AGGREGATING = "action", "subroutine", "aggregating"


class Function:
    """One D function.  (A plain slotted class: ``dtracepy check`` imports this module, and a
    NamedTuple or attrs class costs start-up time.)"""

    __slots__ = ("name", "kind", "min_args", "max_args", "result", "destructive", "records_data",
                 "dialects")

    def __init__(self, name: str, kind: str, min_args: int, max_args: int | None, result: str = "",
                 destructive: bool = False, records_data: bool = False, dialects: frozenset | None = None):
        self.name = name
        self.kind = kind  # ACTION, SUBROUTINE or AGGREGATING
        self.min_args = min_args
        self.max_args = max_args  # None: any number
        #: what the call's value is, for the checks: "int", "string", "pointer", "stack",
        #: "symbol", "void" (an action with no value) or "" (unknown)
        self.result = result
        self.destructive = destructive  # needs -w or #pragma D option destructive
        self.records_data = records_data  # puts data in the trace buffer (matters to speculations)
        self.dialects = dialects  # None: every dialect

    def __repr__(self) -> str:
        return (f"Function({self.name!r}, {self.kind!r}, {self.min_args}, {self.max_args}, "
                f"result={self.result!r})")

    @property
    def is_value(self) -> bool:
        """An action that is also a value: an aggregation key (dtrace refuses it elsewhere but as a statement)."""
        return self.kind == ACTION and self.result in ("stack", "symbol")


# name: (kind, min args, max args (None: any), result, flags, dialects).  ``result`` is what the
# call's value is for the checks ("int", "string", "pointer", "stack", "symbol", "void" for an
# action with no value, "" unknown); flags: ``d`` destructive (needs -w or #pragma D option
# destructive), ``r`` records data in the trace buffer (matters to speculations); dialects: the
# dialects that have it, space-separated (None: every one).  Plain constants, so that importing
# this module (which ``dtracepy check`` does) costs next to nothing; :data:`FUNCTIONS` is made
# from it on first use.
TABLE = {
    # actions that record data
    "printf": ("action", 1, None, "void", "r", None),
    "printa": ("action", 1, None, "void", "r", None),
    "trace": ("action", 1, 1, "void", "r", None),
    "tracemem": ("action", 2, 3, "void", "r", None),
    "print": ("action", 1, 1, "void", "r", None),
    "stack": ("action", 0, 1, "stack", "r", None),
    "ustack": ("action", 0, 2, "stack", "r", None),
    "jstack": ("action", 0, 2, "stack", "r", None),
    "func": ("action", 1, 1, "symbol", "r", None),
    "sym": ("action", 1, 1, "symbol", "r", None),
    "mod": ("action", 1, 1, "symbol", "r", None),
    "uaddr": ("action", 1, 1, "symbol", "r", None),
    "ufunc": ("action", 1, 1, "symbol", "r", None),
    "umod": ("action", 1, 1, "symbol", "r", None),
    "usym": ("action", 1, 1, "symbol", "r", None),
    # other actions
    "exit": ("action", 1, 1, "void", "", None),
    "speculate": ("action", 1, 1, "void", "", None),
    "commit": ("action", 1, 1, "void", "", None),
    "discard": ("action", 1, 1, "void", "", None),
    "clear": ("action", 1, 1, "void", "", None),
    "trunc": ("action", 1, 2, "void", "", None),
    "normalize": ("action", 2, 2, "void", "", None),
    "denormalize": ("action", 1, 1, "void", "", None),
    "setopt": ("action", 1, 2, "void", "", None),
    "ftruncate": ("action", 0, 0, "void", "", None),
    # destructive actions: need -w or #pragma D option destructive
    "stop": ("action", 0, 0, "void", "d", None),
    "raise": ("action", 1, 1, "void", "d", None),
    "system": ("action", 1, None, "void", "d", None),
    "panic": ("action", 0, 0, "void", "d", None),
    "chill": ("action", 1, 1, "void", "d", None),
    "breakpoint": ("action", 0, 0, "void", "d", None),
    "copyout": ("action", 3, 3, "void", "d", None),
    "copyoutstr": ("action", 3, 3, "void", "d", None),
    "freopen": ("action", 1, None, "void", "d", None),
    # actions of some dialects only
    "printm": ("action", 2, 2, "void", "r", "freebsd"),
    "pcap": ("action", 2, 2, "void", "r", "oracle"),
    "kdebug_trace": ("action", 1, 5, "void", "", "macos"),
    # subroutines
    "alloca": ("subroutine", 1, 1, "pointer", "", None),
    "bcopy": ("subroutine", 3, 3, "void", "", None),
    "copyin": ("subroutine", 2, 2, "pointer", "", None),
    "copyinto": ("subroutine", 3, 3, "void", "", None),
    "mutex_owner": ("subroutine", 1, 1, "pointer", "", None),
    "getf": ("subroutine", 1, 1, "pointer", "", "illumos freebsd macos"),
    "basename": ("subroutine", 1, 1, "string", "", None),
    "cleanpath": ("subroutine", 1, 1, "string", "", None),
    "copyinstr": ("subroutine", 1, 2, "string", "", None),
    "dirname": ("subroutine", 1, 1, "string", "", None),
    "inet_ntoa": ("subroutine", 1, 1, "string", "", None),
    "inet_ntoa6": ("subroutine", 1, 2, "string", "", None),
    "inet_ntop": ("subroutine", 2, 2, "string", "", None),
    "lltostr": ("subroutine", 1, 2, "string", "", None),
    "strchr": ("subroutine", 2, 2, "string", "", None),
    "strrchr": ("subroutine", 2, 2, "string", "", None),
    "strstr": ("subroutine", 2, 2, "string", "", None),
    "strjoin": ("subroutine", 2, 2, "string", "", None),
    "strtok": ("subroutine", 2, 2, "string", "", None),
    "substr": ("subroutine", 2, 3, "string", "", None),
    "tolower": ("subroutine", 1, 1, "string", "", "illumos freebsd macos"),
    "toupper": ("subroutine", 1, 1, "string", "", "illumos freebsd macos"),
    "json": ("subroutine", 2, 2, "string", "", "illumos freebsd macos"),
    "getmajor": ("subroutine", 1, 1, "int", "", None),
    "getminor": ("subroutine", 1, 1, "int", "", None),
    "htonl": ("subroutine", 1, 1, "int", "", None),
    "htonll": ("subroutine", 1, 1, "int", "", None),
    "htons": ("subroutine", 1, 1, "int", "", None),
    "ntohl": ("subroutine", 1, 1, "int", "", None),
    "ntohll": ("subroutine", 1, 1, "int", "", None),
    "ntohs": ("subroutine", 1, 1, "int", "", None),
    "index": ("subroutine", 2, 3, "int", "", None),
    "rindex": ("subroutine", 2, 3, "int", "", None),
    "msgdsize": ("subroutine", 1, 1, "int", "", None),
    "msgsize": ("subroutine", 1, 1, "int", "", None),
    "mutex_owned": ("subroutine", 1, 1, "int", "", None),
    "progenyof": ("subroutine", 1, 1, "int", "", None),
    "rand": ("subroutine", 0, 0, "int", "", None),
    "speculation": ("subroutine", 0, 0, "int", "", None),
    "strlen": ("subroutine", 1, 1, "int", "", None),
    "rw_iswriter": ("subroutine", 1, 1, "int", "", None),
    "rw_read_held": ("subroutine", 1, 1, "int", "", None),
    "rw_write_held": ("subroutine", 1, 1, "int", "", None),
    "strtoll": ("subroutine", 1, 2, "int", "", "illumos freebsd macos"),
    # subroutines of some dialects only
    "ddi_pathname": ("subroutine", 2, 2, "string", "", "illumos"),
    "mutex_type_adaptive": ("subroutine", 1, 1, "int", "", "illumos macos oracle"),
    "mutex_type_spin": ("subroutine", 1, 1, "int", "", "illumos macos oracle"),
    "d_path": ("subroutine", 1, 1, "string", "", "oracle"),
    "link_ntop": ("subroutine", 2, 2, "string", "", "oracle"),
    "memref": ("subroutine", 2, 2, "", "", "freebsd"),
    "memstr": ("subroutine", 3, 3, "string", "", "freebsd"),
    "typeref": ("subroutine", 4, 4, "", "", "freebsd"),
    "sx_isexclusive": ("subroutine", 1, 1, "int", "", "freebsd"),
    "sx_shared_held": ("subroutine", 1, 1, "int", "", "freebsd"),
    "sx_exclusive_held": ("subroutine", 1, 1, "int", "", "freebsd"),
    "vm_kernel_addrperm": ("subroutine", 1, 1, "", "", "macos"),
    "mutex_type": ("subroutine", 1, 1, "int", "", "macos"),
    "mtons": ("subroutine", 1, 1, "int", "", "macos"),
    "kvtophys": ("subroutine", 1, 1, "int", "", "macos"),
    "physmem_read": ("subroutine", 2, 2, "int", "", "macos"),
    "physmem_write": ("subroutine", 3, 3, "", "", "macos"),
    "getenv": ("subroutine", 1, 1, "string", "", "illumos"),
    "strtoul": ("subroutine", 1, 2, "int", "", "illumos"),
    # aggregating functions
    "count": ("aggregating", 0, 0, "", "", None),
    "sum": ("aggregating", 1, 1, "", "", None),
    "avg": ("aggregating", 1, 1, "", "", None),
    "min": ("aggregating", 1, 1, "", "", None),
    "max": ("aggregating", 1, 1, "", "", None),
    "stddev": ("aggregating", 1, 1, "", "", None),
    "quantize": ("aggregating", 1, 2, "", "", None),
    "lquantize": ("aggregating", 3, 5, "", "", None),
    "llquantize": ("aggregating", 5, 6, "", "", None),
}

#: name -> (min, max) argument counts (max None: any).
ARITY = {n: (row[1], row[2]) for n, row in TABLE.items()}
#: Where a dialect's arity differs from :data:`ARITY`'s: name -> {dialect: (min, max)}.  Oracle's
#: ``lltostr`` takes no base ("lltostr( ) prototype mismatch: 2 args passed, 1 expected"; its
#: prototype is ``string(int64_t)``), illumos' and FreeBSD's ``string(int64_t, [int])``.
DIALECT_ARITY = {"lltostr": {"oracle": (1, 1)}}


def arity_in(name: str, dialect: str | None) -> tuple[int, int | None]:
    """``name``'s (min, max) argument counts in ``dialect`` (None: any dialect's widest)."""
    found = DIALECT_ARITY.get(name)
    if found is not None and dialect in found:
        return found[dialect]
    return ARITY[name]
DESTRUCTIVE = frozenset(n for n, row in TABLE.items() if "d" in row[4])
RECORDS_DATA = frozenset(n for n, row in TABLE.items() if "r" in row[4])
AGGREGATING_FUNCTIONS = frozenset(n for n, row in TABLE.items() if row[0] == AGGREGATING)
#: What speculate() may not follow in its clause, besides an aggregation (dtrace: "speculate( )
#: may not follow data-recording action(s)", D_SPEC_DREC): every action that records data, exit(),
#: system(), freopen() and the actions libdtrace runs (clear(), trunc(), setopt() ...), each asked
#: of Oracle's dtrace 2.0 (dtrace -e, tests/test_newuser27.py).  Not the actions that record
#: nothing, chill(), raise(), stop(), breakpoint(), panic(), which illumos takes there (the corpus'
#: speculation/tst.zerosize.d), nor copyout()/copyoutstr(), subroutines in illumos' D, nor macOS'
#: kdebug_trace(), not asked; and not discard(), nor commit(), whose own error is "speculate( )
#: may not follow commit( )".
SPECULATE_NOT_AFTER = frozenset(n for n, row in TABLE.items() if row[0] == ACTION) - {
    "speculate", "discard", "commit", "chill", "raise", "stop", "breakpoint", "panic", "copyout",
    "copyoutstr", "kdebug_trace"}

#: Subroutines called for what they do, not only for their value: bcopy, copyinto and
#: physmem_write write memory, strtok keeps its place between calls, speculation() takes a
#: speculation buffer.  (The DSL refuses one whose value a probe body computes and drops.)
EFFECTS = frozenset({"bcopy", "copyinto", "physmem_write", "strtok", "speculation"})

#: Functions whose first argument is a printf-like format.
PRINTF_LIKE = ("printf", "system", "freopen")

# The most arguments a call dtrace runs may have: Oracle D 2.0 for Linux refuses a printf of 8,000
# ("could not enable tracing: failed to create BPF map 'mem': Too big"; 4,000 run).  The lexer
# reads no list longer than one more (lexer.MAX_ITEMS), and the printf check refuses a format
# that needs an argument past it.
MOST_CALL_ARGUMENTS = 7_999


def result(name: str) -> str:
    """The kind of value a call of ``name`` gives ("" when unknown or not a D function)."""
    row = TABLE.get(name)
    return row[3] if row is not None else ""


def _functions() -> dict[str, Function]:
    return {n: Function(n, kind, low, high, res, "d" in flags, "r" in flags,
                        None if dialects is None else frozenset(dialects.split()))
            for n, (kind, low, high, res, flags, dialects) in TABLE.items()}


def __getattr__(name: str):
    # FUNCTIONS (name -> Function, in table order) is made on first use: the DSL and the
    # dialects want it, `dtracepy check` does not.
    if name == "FUNCTIONS":
        value = globals()["FUNCTIONS"] = _functions()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: The functions every dialect has.
EVERYWHERE = frozenset(name for name, row in TABLE.items() if row[5] is None)


def arity_text(low: int, high: int | None) -> str:
    """``1 argument``, ``0 arguments``, ``1 to 3 arguments``, ``at least 1 argument``: how a
    message says what an arity allows (the one place that says it, so the noun agrees)."""
    if high is None:
        return f"at least {low} argument{'' if low == 1 else 's'}"
    if low == high:
        return f"{low} argument{'' if low == 1 else 's'}"
    return f"{low} to {high} arguments"


#: The functions that take an aggregation as an argument, and which arguments (None: every one
#: after the first, as ``printa("fmt", @a, @b)``; ``printa(@a)`` too).  Anywhere else an
#: aggregation is no value: dtrace says "may not be applied to a dynamic expression" or
#: "operands have incompatible types".
AGGREGATION_ARGUMENTS = {"printa": None, "clear": (0,), "trunc": (0,), "normalize": (0,),
                         "denormalize": (0,)}

#: The kind of value each argument of a function must be, where its prototype says so (Oracle's
#: libdtrace/dt_open.c, the same as illumos' and FreeBSD's): "string" (a string, or a ``char *``
#: or ``char[]``; an integer constant 0 is a null pointer and also fits) or "int" (an integer or a
#: pointer, not a string); None: any, or a pointer the checks cannot judge.  The ``argument-type``
#: rule (dtracepy/checks/rules.py) refuses only what it knows for certain is of the other kind
#: (``strlen(12)``, ``strlen(arg0)``, ``htons("a")``); tests/test_check_rules.py has the real
#: dtrace judge every entry both ways (toupper and tolower, which Oracle's D lacks, by Apple's
#: tests in the corpus: err.D_PROTO_ARG.toupperbadarg.d).
ARGUMENT_KINDS = {
    "strlen": ("string",),
    "strjoin": ("string", "string"),
    "strstr": ("string", "string"),
    "strtok": ("string", "string"),
    "strchr": ("string", "int"),
    "strrchr": ("string", "int"),
    "index": ("string", "string", "int"),
    "rindex": ("string", "string", "int"),
    "substr": ("string", "int", "int"),
    "basename": ("string",),
    "dirname": ("string",),
    "cleanpath": ("string",),
    "toupper": ("string",),
    "tolower": ("string",),
    "copyin": ("int", "int"),
    "copyinstr": ("int", "int"),
    "copyinto": ("int", "int", None),
    "getmajor": ("int",),
    "getminor": ("int",),
    "htonl": ("int",),
    "htonll": ("int",),
    "htons": ("int",),
    "ntohl": ("int",),
    "ntohll": ("int",),
    "ntohs": ("int",),
    "lltostr": ("int",),
    "progenyof": ("int",),
    "alloca": ("int",),
    "inet_ntop": ("int", None),
    "link_ntop": ("int", None),
    "speculate": ("int",),
    "commit": ("int",),
    "discard": ("int",),
    "exit": ("int",),
    "raise": ("int",),
    "chill": ("int",),
    "trunc": (None, "int"),
    "normalize": (None, "int"),
    "inet_ntoa6": (None, "int"),
    "pcap": (None, "int"),
    "sum": ("int",),
    "avg": ("int",),
    "min": ("int",),
    "max": ("int",),
    "stddev": ("int",),
    "quantize": ("int", "int"),
    "lquantize": ("int", None, None, None, "int"),
    "llquantize": ("int", None, None, None, None, "int"),
    "setopt": ("string", "string"),
}

#: An "int" argument of :data:`ARGUMENT_KINDS` is an integer parameter of the prototype (``int``,
#: ``size_t``, ``uintptr_t`` ...), and dtrace refuses a pointer there as it refuses a string
#: (measured on Oracle's dtrace 2.0: ``copyinstr((char *)arg0)``, ``htonl(curthread)``,
#: ``copyin(curthread->mm, 4)``: "copyinstr( ) argument #1 is incompatible with prototype:
#: prototype: uintptr_t argument: char *"), but for the aggregating functions, which take any
#: value of scalar type (``sum(curthread)``, ``quantize(1, curthread)`` compile).
POINTERS_TAKEN = AGGREGATING_FUNCTIONS

#: The pointer parameters of the prototypes (libdtrace/dt_open.c; the same in illumos', FreeBSD's
#: and Apple's): name -> {argument index: "void" (``void *``: a string fits, ``bcopy("abc", ...)``)
#: or "typed" (``ipaddr_t *``, ``struct in6_addr *``: a string does not)}.  dtrace refuses an
#: integer there but the constant 0, a null pointer (``inet_ntoa(arg0)``: "argument #1 is
#: incompatible with prototype: prototype: unsigned int * argument: int64_t"; ``inet_ntoa(0)`` and
#: ``inet_ntoa((void *)arg0)`` compile).  Measured on Oracle's dtrace 2.0 for every entry that
#: is in its D; tests/test_new_user_review18.py has it judge them.
POINTER_PARAMETERS = {
    "bcopy": {0: "void", 1: "void"},
    "copyinto": {2: "void"},
    "inet_ntoa": {0: "typed"},
    "inet_ntoa6": {0: "typed"},
    "inet_ntop": {1: "typed"},  # (a string: "invalid cast expression: \"string\" to \"unsigned int *\"")
    "link_ntop": {1: "void"},
    "pcap": {0: "void"},
    "ddi_pathname": {0: "void"},
    "d_path": {0: "typed"},
    "mutex_owned": {0: "typed"},
    "mutex_owner": {0: "typed"},
    "mutex_type_adaptive": {0: "typed"},
    "mutex_type_spin": {0: "typed"},
    "rw_read_held": {0: "typed"},
    "rw_write_held": {0: "typed"},
    "rw_iswriter": {0: "typed"},
}

#: The functions whose value is a ``void *`` (their prototypes in libdtrace/dt_open.c: ``void
#: *(size_t)`` and ``void *(uintptr_t, size_t)``), on which D does no arithmetic: ``alloca(4) + 1``,
#: ``*copyin(p, 4)`` are refused (Oracle's dtrace 2.0: "operands have incompatible types: "void *"
#: + "int"", "cannot dereference pointer to void"); ``(char *)copyin(p, 4)`` is the usual cast.
VOID_POINTER_RESULTS = frozenset({"alloca", "copyin"})

#: The pointer type a "typed" entry of :data:`POINTER_PARAMETERS` takes where it is an integer's
#: (``inet_ntoa(ipaddr_t *)``); a pointer to another integer type, or of other levels, is refused
#: (Oracle's dtrace 2.0, ``dtrace -e``: ``inet_ntoa((char *)arg0)``, ``(int *)``, ``(long *)``,
#: ``(unsigned int **)``: "inet_ntoa( ) argument #1 is incompatible with prototype: prototype:
#: unsigned int * argument: char *"; ``(void *)`` and ``(uint32_t *)`` compile).  A "string"
#: parameter of :data:`ARGUMENT_KINDS` takes ``char *`` (of any signedness) the same way
#: (``strlen((int *)arg0)``, ``(char **)``, ``strlen(curthread)``: "prototype: char * argument: int *").
TYPED_POINTER_PARAMETERS = {"inet_ntoa": {0: "unsigned int *"}}

#: The "typed" entries of :data:`POINTER_PARAMETERS` that take a pointer to a struct of the
#: kernel's: name -> {argument index: (the type as Oracle's D prototype spells it, the struct tags
#: it has in any dialect: illumos' ``kmutex_t`` is a ``struct mutex``, ``krwlock_t`` a ``struct
#: _krwlock``; macOS' ``lck_mtx_t``, FreeBSD's ``struct mtx``)}.  dtrace refuses there a pointer to
#: an integer type (``char *``, ``int *``, ``long **``), to a struct or union the program defines
#: (``(struct foo *)p``, ``(struct foo **)p``, through a typedef or a variable too), curthread
#: (Oracle's dtrace 2.0, ``dtrace -e``: "mutex_owned( ) argument #1 is incompatible with
#: prototype: prototype: struct mutex * argument: char *"); ``(void *)p``, ``alloca()``'s and 0
#: compile.  (A program cannot define ``struct mutex`` there: "type redeclared".)
KERNEL_POINTER_PARAMETERS = {
    "d_path": {0: ("struct path *", ("path",))},
    "inet_ntoa6": {0: ("struct in6_addr *", ("in6_addr",))},
    **{name: {0: ("struct mutex *", ("mutex", "_lck_mtx_", "lck_mtx", "mtx"))}
       for name in ("mutex_owned", "mutex_owner", "mutex_type_adaptive", "mutex_type_spin")},
    **{name: {0: ("rwlock_t *", ("_krwlock", "krwlock", "rwlock", "_lck_rw_t_internal_", "lck_rw"))}
       for name in ("rw_read_held", "rw_write_held", "rw_iswriter")},
}
STRING_POINTER = "char *"

#: Where a dialect's prototype differs from :data:`ARGUMENT_KINDS`': name -> {dialect: kinds}.
#: "pointer": a pointer (or a string), not an integer.  Oracle's ``print`` takes ``void *`` and
#: prints what it points to ("print( ) argument #1 is incompatible with prototype: void *" for
#: ``print(1)``, ``print(pid)``); illumos' takes a value of any type.
DIALECT_ARGUMENT_KINDS = {"print": {"oracle": ("pointer",)}}

#: How a message names an argument kind.
KIND_TEXT = {"string": "a string", "int": "an integer", "pointer": "a pointer (it prints what the pointer points to)"}

#: Arguments that must be integer constants, and what values dtrace takes there (from Oracle's
#: libdtrace/dt_cg.c, the same rules as illumos' dt_cc.c): name -> {argument index: rule}.
#: "positive": a non-zero positive constant; "nonnegative": a constant >= 0; "int32": a constant
#: that fits in 32 bits; "uint16": a constant from 0 to 65535; "positive16": from 1 to 65535;
#: "factor": from 2 to 65535.  :func:`constant_argument_problems` also applies the rules that tie
#: lquantize's and llquantize's arguments together.
CONSTANT_ARGUMENTS = {
    "stack": {0: "positive"},
    "ustack": {0: "positive", 1: "nonnegative"},
    "jstack": {0: "positive", 1: "nonnegative"},
    "tracemem": {1: "positive"},
    "lquantize": {1: "int32", 2: "int32", 3: "positive16"},
    "llquantize": {1: "factor", 2: "uint16", 3: "uint16", 4: "positive16"},
}

#: An argument that is no integer constant (a variable, a call ...), for
#: :func:`constant_argument_problems`.
NOT_CONSTANT = object()

_INT32 = (-2**31, 2**31 - 1)
_RULE_RANGES = {"positive": (1, None), "nonnegative": (0, None), "int32": _INT32,
                "uint16": (0, 0xFFFF), "positive16": (1, 0xFFFF), "factor": (2, 0xFFFF)}
_RULE_TEXT = {
    "positive": "a non-zero positive integer constant",
    "nonnegative": "a positive integer constant (or 0)",
    "int32": "an integer constant that fits in 32 bits",
    "uint16": "an integer constant from 0 to 65535",
    "positive16": "an integer constant from 1 to 65535",
    "factor": "an integer constant from 2 to 65535",
}


def constant_argument_problems(name: str, values, steps_divide_power: bool = True) -> list[tuple[int, str]]:
    """What dtrace refuses in the constant arguments of a call of ``name``: (argument index,
    message) pairs.  ``values`` holds each argument's value: an int when it is a constant whose
    value is known, None when it is a constant of unknown value (a macro argument, a sizeof), or
    :data:`NOT_CONSTANT`.  Nothing is reported that depends on an unknown value.
    ``steps_divide_power``: the dialect's llquantize rule of that name
    (:attr:`dtracepy.facts.dialects.Dialect.llquantize_steps_divide_power`)."""
    rules = CONSTANT_ARGUMENTS.get(name)
    if not rules:
        return []
    problems = []
    for index, rule in rules.items():
        if index >= len(values):
            continue
        value = values[index]
        if value is None:
            continue
        low, high = _RULE_RANGES[rule]
        if value is NOT_CONSTANT or value < low or (high is not None and value > high):
            shown = "" if value is NOT_CONSTANT else f", not {value}"
            problems.append((index, f"{name}() argument #{index + 1} must be {_RULE_TEXT[rule]}{shown}"))
    if problems:
        return problems
    known = [v if isinstance(v, int) else None for v in values]
    if name == "lquantize" and len(known) >= 3 and None not in known[1:3]:
        base, limit = known[1], known[2]
        step = known[3] if len(known) > 3 else 1
        if limit <= base:
            problems.append((2, f"lquantize() base (argument #2, {base}) must be less than its limit "
                                f"(argument #3, {limit})"))
        elif step is not None:
            levels = (limit - base) // step
            if levels == 0:
                problems.append((3, f"lquantize() step {step} is too large for the range {base} to "
                                    f"{limit}: it must make at least one level"))
            elif levels > 0xFFFF:
                problems.append((3, f"lquantize() step {step} is too small for the range {base} to "
                                    f"{limit}: it makes {levels} levels, over 65535"))
    if name == "llquantize" and len(known) >= 5 and None not in known[1:5]:
        factor, low, high, steps = known[1:5]
        if high < low:
            problems.append((3, f"llquantize() high magnitude (argument #4, {high}) must be at least "
                                f"the low magnitude (argument #3, {low})"))
        elif factor ** (high + 1) > 2**64 - 1:
            problems.append((3, f"llquantize() high magnitude {high} overflows 64 bits "
                                f"({factor}**{high + 1})"))
        elif steps < factor and factor % steps:
            problems.append((4, f"llquantize() steps ({steps}) must divide the factor ({factor}) "
                                "evenly when smaller than it"))
        elif steps > factor and steps % factor:
            problems.append((4, f"llquantize() steps ({steps}) must be a multiple of the factor "
                                f"({factor}) when larger than it"))
        elif steps > factor and steps_divide_power and (factor ** (low + 1) if low else factor * factor) % steps:
            square = "the factor squared" if not low else "factor ** (low magnitude + 1)"
            problems.append((4, f"llquantize() steps ({steps}) must divide {square} evenly when "
                                "larger than the factor"))
    return problems


#: Functions a dialect's compiler knows but refuses, by dialect: Oracle's D 2.0 says "jstack() is
#: not implemented (yet)" (the real dtrace judges each, tests/test_check_rules.py).
NOT_IMPLEMENTED: dict[str, frozenset] = {
    "oracle": frozenset({"breakpoint", "chill", "jstack", "panic", "stop"}),
}

#: The parameters of lquantize() and llquantize() after the value, as dtrace names them, and their
#: defaults (None: none): every use of one aggregation must give the same constants
#: ("lquantize() base (argument #1) doesn't match previous declaration").
QUANTIZE_PARAMETERS: dict[str, tuple[str, ...]] = {
    "lquantize": ("base", "limit", "step"),
    "llquantize": ("factor", "lmag", "hmag", "steps"),
}
QUANTIZE_DEFAULTS: dict[str, tuple] = {"lquantize": (None, None, 1), "llquantize": (None, None, None, None)}
