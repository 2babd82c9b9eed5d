"""D's actions, subroutines and aggregating functions: arity, result kind, destructiveness.

:data:`TABLE` holds one row per name; :data:`FUNCTIONS` maps a name to a :class:`Function`.  The DSL makes one Python function of each
(:mod:`dtracepy.dsl.actions`), the ``call-arity``/``unknown-function`` checks read the arity, the
printf check the result kind, the safety checks destructiveness and whether an action records data.
A name whose ``dialects`` is not None exists in those dialects only; it is still accepted
everywhere (a script may be written for another platform), with its arity checked.
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
        """An action that is also a value (an aggregation key, a printf argument)."""
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
    "getf": ("subroutine", 1, 1, "pointer", "", None),
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
    "tolower": ("subroutine", 1, 1, "string", "", None),
    "toupper": ("subroutine", 1, 1, "string", "", None),
    "json": ("subroutine", 2, 2, "string", "", None),
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
    "strtoll": ("subroutine", 1, 2, "int", "", None),
    # subroutines of some dialects only
    "ddi_pathname": ("subroutine", 2, 2, "string", "", "illumos"),
    "mutex_type_adaptive": ("subroutine", 1, 1, "int", "", "illumos macos"),
    "mutex_type_spin": ("subroutine", 1, 1, "int", "", "illumos macos"),
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
DESTRUCTIVE = frozenset(n for n, row in TABLE.items() if "d" in row[4])
RECORDS_DATA = frozenset(n for n, row in TABLE.items() if "r" in row[4])
AGGREGATING_FUNCTIONS = frozenset(n for n, row in TABLE.items() if row[0] == AGGREGATING)

#: Functions whose first argument is a printf-like format.
PRINTF_LIKE = ("printf", "system", "freopen")


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


def arity_text(low: int, high: int | None) -> str:
    """``1``, ``1 to 3``, ``at least 1``: how a message says what an arity allows."""
    if high is None:
        return f"at least {low}"
    return str(low) if low == high else f"{low} to {high}"
