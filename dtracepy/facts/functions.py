"""D's actions, subroutines and aggregating functions: arity, result kind, destructiveness.

:data:`FUNCTIONS` maps a name to a :class:`Function`.  The DSL makes one Python function of each
(:mod:`dtracepy.dsl.actions`), the ``call-arity``/``unknown-function`` checks read the arity, the
printf check the result kind, the safety checks destructiveness and whether an action records data.
A name whose ``dialects`` is not None exists in those dialects only; it is still accepted
everywhere (a script may be written for another platform), with its arity checked.
"""

from __future__ import annotations

from typing import NamedTuple

ACTION, SUBROUTINE, AGGREGATING = "action", "subroutine", "aggregating"


class Function(NamedTuple):
    name: str
    kind: str  # ACTION, SUBROUTINE or AGGREGATING
    min_args: int
    max_args: int | None  # None: any number
    #: what the call's value is, for the checks: "int", "string", "pointer", "stack", "symbol",
    #: "void" (an action with no value) or "" (unknown)
    result: str = ""
    destructive: bool = False  # needs -w or #pragma D option destructive
    records_data: bool = False  # puts data in the trace buffer (matters to speculations)
    dialects: frozenset | None = None  # None: every dialect

    @property
    def is_value(self) -> bool:
        """An action that is also a value (an aggregation key, a printf argument)."""
        return self.kind == ACTION and self.result in ("stack", "symbol")


def _table(kind: str, rows: str, dialects: str | None = None, **flags) -> dict[str, Function]:
    """``rows``: ``name:min-max:result`` words (``max`` ``*`` for any, ``result`` optional)."""
    frozen = None if dialects is None else frozenset(dialects.split())
    out = {}
    for word in rows.split():
        name, arity, *rest = word.split(":")
        low, _, high = arity.partition("-")
        high = high or low
        out[name] = Function(name, kind, int(low), None if high == "*" else int(high),
                             rest[0] if rest else ("void" if kind == ACTION else ""),
                             dialects=frozen, **flags)
    return out


FUNCTIONS: dict[str, Function] = {
    # actions that record data
    **_table(ACTION, """printf:1-* printa:1-* trace:1 tracemem:2-3 print:1""", records_data=True),
    **_table(ACTION, """stack:0-1:stack ustack:0-2:stack jstack:0-2:stack func:1:symbol sym:1:symbol
             mod:1:symbol uaddr:1:symbol ufunc:1:symbol umod:1:symbol usym:1:symbol""",
             records_data=True),
    **_table(ACTION, "exit:1 speculate:1 commit:1 discard:1 clear:1 trunc:1-2 normalize:2 "
                     "denormalize:1 setopt:1-2 ftruncate:0"),
    **_table(ACTION, "stop:0 raise:1 system:1-* panic:0 chill:1 breakpoint:0 copyout:3 "
                     "copyoutstr:3 freopen:1-*", destructive=True),
    **_table(ACTION, "printm:2", "freebsd", records_data=True),
    **_table(ACTION, "pcap:2", "oracle", records_data=True),
    **_table(ACTION, "kdebug_trace:1-5", "macos"),
    # subroutines
    **_table(SUBROUTINE, """alloca:1:pointer bcopy:3:void copyin:2:pointer copyinto:3:void
             mutex_owner:1:pointer getf:1:pointer"""),
    **_table(SUBROUTINE, """basename:1:string cleanpath:1:string copyinstr:1-2:string
             dirname:1:string inet_ntoa:1:string inet_ntoa6:1-2:string inet_ntop:2:string
             lltostr:1-2:string strchr:2:string strrchr:2:string strstr:2:string strjoin:2:string
             strtok:2:string substr:2-3:string tolower:1:string toupper:1:string json:2:string"""),
    **_table(SUBROUTINE, """getmajor:1:int getminor:1:int htonl:1:int htonll:1:int htons:1:int
             ntohl:1:int ntohll:1:int ntohs:1:int index:2-3:int rindex:2-3:int msgdsize:1:int
             msgsize:1:int mutex_owned:1:int progenyof:1:int rand:0:int speculation:0:int
             strlen:1:int rw_iswriter:1:int rw_read_held:1:int rw_write_held:1:int
             strtoll:1-2:int"""),
    **_table(SUBROUTINE, "ddi_pathname:2:string", "illumos"),
    **_table(SUBROUTINE, "mutex_type_adaptive:1:int mutex_type_spin:1:int", "illumos macos"),
    **_table(SUBROUTINE, "d_path:1:string link_ntop:2:string", "oracle"),
    **_table(SUBROUTINE, """memref:2 memstr:3:string typeref:4 sx_isexclusive:1:int
             sx_shared_held:1:int sx_exclusive_held:1:int""", "freebsd"),
    **_table(SUBROUTINE, """vm_kernel_addrperm:1 mutex_type:1:int mtons:1:int kvtophys:1:int
             physmem_read:2:int physmem_write:3""", "macos"),
    **_table(SUBROUTINE, "getenv:1:string strtoul:1-2:int", "illumos"),
    # aggregating functions
    **_table(AGGREGATING, "count:0 sum:1 avg:1 min:1 max:1 stddev:1 quantize:1-2 lquantize:3-5 "
                          "llquantize:5-6"),
}

ACTIONS = {n: f for n, f in FUNCTIONS.items() if f.kind == ACTION}
SUBROUTINES = {n: f for n, f in FUNCTIONS.items() if f.kind == SUBROUTINE}
AGGREGATING_FUNCTIONS = {n: f for n, f in FUNCTIONS.items() if f.kind == AGGREGATING}

#: name -> (min, max) argument counts (max None: any).
ARITY = {n: (f.min_args, f.max_args) for n, f in FUNCTIONS.items()}
DESTRUCTIVE = frozenset(n for n, f in FUNCTIONS.items() if f.destructive)
RECORDS_DATA = frozenset(n for n, f in FUNCTIONS.items() if f.records_data)

#: Functions printf-like formats are checked for: (name, index of the format argument).
PRINTF_LIKE = ("printf", "system", "freopen")


def result(name: str) -> str:
    """The kind of value a call of ``name`` gives ("" when unknown or not a D function)."""
    f = FUNCTIONS.get(name)
    return f.result if f is not None else ""


def arity_text(low: int, high: int | None) -> str:
    """``1``, ``1 to 3``, ``at least 1``: how a message says what an arity allows."""
    if high is None:
        return f"at least {low}"
    return str(low) if low == high else f"{low} to {high}"
