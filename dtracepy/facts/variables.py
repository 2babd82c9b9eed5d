"""D's built-in variables with their types, and the names the D libraries define in every session.

:data:`BUILTINS` maps a name to a :class:`Variable`: its D type, what the checks may assume of its
value (:attr:`Variable.kind`) and the dialects that have it (None: every dialect).  The DSL exports
every built-in of every dialect plus the library variables marked ``dsl=True`` (generated from
here, see :mod:`dtracepy.dsl.builtins`); the ``undefined-name`` check knows every name below.
The types of translated variables (``curpsinfo->pr_pid``) live in :mod:`dtracepy.facts.translated`.
"""

from __future__ import annotations


class Variable:
    """One variable D knows.  (A plain slotted class: cheaper to import than a NamedTuple.)"""

    __slots__ = ("name", "type", "kind", "dialects", "dsl")

    def __init__(self, name: str, type_: str, kind: str, dialects: frozenset | None = None,
                 dsl: bool = True):
        self.name = name
        self.type = type_  # as D declares it; "" when it depends on the probe (args[])
        #: what checks may rely on: "int", "string", "pointer", "array" or "" (unknown)
        self.kind = kind
        self.dialects = dialects  # None: every dialect
        self.dsl = dsl  # exported by the DSL under this name

    def __repr__(self) -> str:
        return f"Variable({self.name!r}, {self.type!r}, {self.kind!r})"


# name: (D type, kind, dialects that have it (space-separated; None: every one), exported by the
# DSL).  Plain constants, cheap to import (``dtracepy check`` does); :data:`BUILTINS` and
# :data:`LIBRARY` are made from them on first use.
BUILTIN_TABLE = {
    "arg0": ("int64_t", "int", None, True),
    "arg1": ("int64_t", "int", None, True),
    "arg2": ("int64_t", "int", None, True),
    "arg3": ("int64_t", "int", None, True),
    "arg4": ("int64_t", "int", None, True),
    "arg5": ("int64_t", "int", None, True),
    "arg6": ("int64_t", "int", None, True),
    "arg7": ("int64_t", "int", None, True),
    "arg8": ("int64_t", "int", None, True),
    "arg9": ("int64_t", "int", None, True),
    "args": ("", "array", None, True),
    "caller": ("uintptr_t", "int", None, True),
    "curcpu": ("cpuinfo_t *", "pointer", None, True),
    "curthread": ("kthread_t *", "pointer", None, True),
    "epid": ("uint_t", "int", None, True),
    "id": ("uint_t", "int", None, True),
    "ipl": ("uint_t", "int", None, True),
    "stackdepth": ("uint_t", "int", None, True),
    "ustackdepth": ("uint_t", "int", None, True),
    "errno": ("int", "int", None, True),
    "execname": ("string", "string", None, True),
    "probefunc": ("string", "string", None, True),
    "probemod": ("string", "string", None, True),
    "probename": ("string", "string", None, True),
    "probeprov": ("string", "string", None, True),
    "gid": ("gid_t", "int", None, True),
    "uid": ("uid_t", "int", None, True),
    "pid": ("pid_t", "int", None, True),
    "ppid": ("pid_t", "int", None, True),
    "tid": ("id_t", "int", None, True),
    "timestamp": ("uint64_t", "int", None, True),
    "vtimestamp": ("uint64_t", "int", None, True),
    "ucaller": ("uint64_t", "int", None, True),
    "walltimestamp": ("int64_t", "int", None, True),
    "uregs": ("uint64_t[]", "array", None, True),
    "zonename": ("string", "string", "freebsd illumos macos", True),
    "cpu": ("int", "int", "freebsd", True),
    "jid": ("int", "int", "freebsd", True),
    "jailname": ("string", "string", "freebsd", True),
    "execargs": ("string", "string", "freebsd", True),
    "cpucycles": ("uint64_t", "int", "macos", True),
    "machtimestamp": ("uint64_t", "int", "macos", True),
    "machctimestamp": ("uint64_t", "int", "macos", True),
    "vinstrs": ("uint64_t", "int", "macos", True),
    "vmregs": ("uint64_t[]", "array", "macos", True),
}

#: Variables of the translator and inline libraries every dtrace loads (``/usr/lib/dtrace/*.d``)
#: and kernel symbols scripts use by name: not built in, but defined in every real session
#: (``rootdir`` is the illumos kernel's vnode of the root directory, which io.d uses).
LIBRARY_TABLE = {
    "curpsinfo": ("psinfo_t *", "pointer", None, True),
    "curlwpsinfo": ("lwpsinfo_t *", "pointer", None, True),
    "cwd": ("string", "string", None, True),
    "root": ("string", "string", None, False),
    "rootdir": ("vnode_t *", "pointer", "illumos", True),
    "cpuinfo": ("", "", None, False),
    "curcpuinfo": ("", "", None, False),
    "fds": ("fileinfo_t[]", "array", None, True),      # io.d: inline fileinfo_t fds[int]
    "psinfo": ("", "", None, False),
    "lwpsinfo": ("", "", None, False),
    "cpu": ("", "", None, False),
    "chip": ("", "", None, False),
    "lgrp": ("", "", None, False),
    "pset": ("", "", None, False),
    "curproc": ("", "", None, False),
    "tcp_state_string": ("", "", None, False),
}

#: Constants the D libraries define (``B_READ``, ``SIGKILL``, ``EPERM`` ...); any other ALL_CAPS
#: name is assumed to be one too (the libraries and headers define many more).
LIBRARY_CONSTANTS = frozenset(
    """B_BUSY B_DONE B_ERROR B_PAGEIO B_PHYS B_READ B_WRITE B_ASYNC
    SIGHUP SIGINT SIGQUIT SIGILL SIGTRAP SIGABRT SIGEMT SIGFPE SIGKILL SIGBUS SIGSEGV SIGSYS
    SIGPIPE SIGALRM SIGTERM SIGUSR1 SIGUSR2 SIGCHLD SIGPWR SIGWINCH SIGURG SIGPOLL SIGSTOP SIGTSTP
    SIGCONT SIGTTIN SIGTTOU SIGVTALRM SIGPROF SIGXCPU SIGXFSZ
    SSLEEP SRUN SZOMB SSTOP SIDL SONPROC SWAIT
    TCP_STATE_CLOSED TCP_STATE_IDLE TCP_STATE_BOUND TCP_STATE_LISTEN TCP_STATE_SYN_SENT
    TCP_STATE_SYN_RECEIVED TCP_STATE_ESTABLISHED TCP_STATE_CLOSE_WAIT TCP_STATE_FIN_WAIT_1
    TCP_STATE_CLOSING TCP_STATE_LAST_ACK TCP_STATE_FIN_WAIT_2 TCP_STATE_TIME_WAIT
    AF_INET AF_INET6 IPPROTO_TCP IPPROTO_UDP NULL
    DTRACEFLT_UNKNOWN DTRACEFLT_BADADDR DTRACEFLT_BADALIGN DTRACEFLT_ILLOP DTRACEFLT_DIVZERO
    DTRACEFLT_NOSCRATCH DTRACEFLT_KPRIV DTRACEFLT_UPRIV DTRACEFLT_TUPOFLOW DTRACEFLT_BADSTACK
    EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN ENOMEM EACCES EFAULT
    EBUSY EEXIST EINVAL ENOSPC EPIPE ERANGE ETIMEDOUT EWOULDBLOCK EINPROGRESS""".split()
)


def _owners() -> dict:
    owners: dict = {}
    for table in (BUILTIN_TABLE, LIBRARY_TABLE):
        for name, row in table.items():
            if row[2] is None:
                owners[name] = None
            elif owners.get(name, ()) is not None:
                owners[name] = tuple(sorted(set(owners.get(name, ())) | set(row[2].split())))
    return {name: found for name, found in owners.items() if found is not None}


#: The variables only some dialects have (built in, or defined by their D libraries), name -> those
#: dialects: another dialect's dtrace says "failed to resolve NAME: Unknown variable name".  (``cpu``
#: is FreeBSD's built-in, and every dialect's sched.d inline.)
DIALECT_VARIABLES = _owners()

#: Every name a D program may read without defining it (any dialect).
KNOWN_NAMES = frozenset(BUILTIN_TABLE) | frozenset(LIBRARY_TABLE) | LIBRARY_CONSTANTS

#: The DSL's variable names, in this order.
DSL_NAMES = tuple(n for table in (BUILTIN_TABLE, LIBRARY_TABLE) for n, row in table.items() if row[3])


def read_only(name: str, dialect_variables: frozenset, dialect_name: str) -> bool:
    """Whether D refuses to assign ``name`` (``name = v``, ``name += v``, ``name++``, an element or
    a member of it), whoever spells it (the DSL's ``glob.pid`` is D's ``pid``): a built-in variable
    of the dialect (``dialect_variables``) or a variable of its D libraries (``curpsinfo``, ``cwd``,
    ``fds``): "operator = can only be applied to a writable variable"; a constant of the libraries
    (``B_READ``, ``NULL``): "operator = requires modifiable lvalue as an operand"."""
    if name in dialect_variables or name in LIBRARY_CONSTANTS:
        return True
    row = LIBRARY_TABLE.get(name)
    return row is not None and row[3] and (row[2] is None or dialect_name in row[2].split())


def kind(name: str) -> str:
    """What the checks may assume of built-in or library variable ``name`` ("" when unknown)."""
    row = BUILTIN_TABLE.get(name) or LIBRARY_TABLE.get(name)
    return row[1] if row is not None else ""


def type_text(name: str) -> str:
    """The type of built-in or library variable ``name`` as D writes it ("kthread_t *"; "" when
    unknown)."""
    row = BUILTIN_TABLE.get(name) or LIBRARY_TABLE.get(name)
    return row[0] if row is not None else ""


def _variables(table) -> dict[str, Variable]:
    return {n: Variable(n, type_, kind_, None if dialects is None else frozenset(dialects.split()), dsl)
            for n, (type_, kind_, dialects, dsl) in table.items()}


def __getattr__(name: str):
    # BUILTINS and LIBRARY (name -> Variable) are made on first use.
    if name in ("BUILTINS", "LIBRARY"):
        value = globals()[name] = _variables(BUILTIN_TABLE if name == "BUILTINS" else LIBRARY_TABLE)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: The dialects whose dtrace crashes (SIGSEGV, exit 139, ``dtrace -e``) on a program that names a
#: clause-local or thread-local as it names an inline: ``inline int x = 3; BEGIN { this->x = 4; }``
#: or ``self->x``, or only reading one (Oracle's DTrace 2.0, measured; a global of that name is
#: refused, "redeclared", and a struct member of that name is fine).
INLINE_NAMED_LOCAL_CRASHES = frozenset({"oracle"})
