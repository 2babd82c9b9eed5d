"""D's built-in variables with their types, and the names the D libraries define in every session.

:data:`BUILTINS` maps a name to a :class:`Variable`: its D type, what the checks may assume of its
value (:attr:`Variable.kind`) and the dialects that have it (None: every dialect).  The DSL exports
every built-in of every dialect plus the library variables marked ``dsl=True`` (generated from
here, see :mod:`dtracepy.dsl.builtins`); the ``undefined-name`` check knows every name below.
The types of translated variables (``curpsinfo->pr_pid``) live in :mod:`dtracepy.facts.translated`.
"""

from __future__ import annotations

from typing import NamedTuple


class Variable(NamedTuple):
    name: str
    type: str  # as D declares it; "" when it depends on the probe (args[])
    #: what checks may rely on: "int", "string", "pointer", "array" or "" (unknown)
    kind: str
    dialects: frozenset | None = None  # None: every dialect
    dsl: bool = True  # exported by the DSL under this name


def _vars(kind: str, type_: str, names: str, dialects=None):
    frozen = None if dialects is None else frozenset(dialects.split())
    return {n: Variable(n, type_, kind, frozen) for n in names.split()}


BUILTINS: dict[str, Variable] = {
    **_vars("int", "int64_t", "arg0 arg1 arg2 arg3 arg4 arg5 arg6 arg7 arg8 arg9"),
    **_vars("array", "", "args"),
    **_vars("int", "uintptr_t", "caller"),
    **_vars("pointer", "cpuinfo_t *", "curcpu"),
    **_vars("pointer", "kthread_t *", "curthread"),
    **_vars("int", "uint_t", "epid id ipl stackdepth ustackdepth"),
    **_vars("int", "int", "errno"),
    **_vars("string", "string", "execname probefunc probemod probename probeprov"),
    **_vars("int", "gid_t", "gid"),
    **_vars("int", "uid_t", "uid"),
    **_vars("int", "pid_t", "pid ppid"),
    **_vars("int", "id_t", "tid"),
    **_vars("int", "uint64_t", "timestamp vtimestamp ucaller"),
    **_vars("int", "int64_t", "walltimestamp"),
    **_vars("array", "uint64_t[]", "uregs"),
    **_vars("string", "string", "zonename", "illumos freebsd macos"),
    **_vars("int", "int", "cpu jid", "freebsd"),
    **_vars("string", "string", "jailname execargs", "freebsd"),
    **_vars("int", "uint64_t", "cpucycles machtimestamp machctimestamp vinstrs", "macos"),
    **_vars("array", "uint64_t[]", "vmregs", "macos"),
}

#: Variables of the translator and inline libraries every dtrace loads (``/usr/lib/dtrace/*.d``)
#: and kernel symbols scripts use by name: not built in, but defined in every real session.
#: Those with ``dsl=True`` are DSL names too.
LIBRARY: dict[str, Variable] = {
    **_vars("pointer", "psinfo_t *", "curpsinfo"),
    **_vars("pointer", "lwpsinfo_t *", "curlwpsinfo"),
    **_vars("string", "string", "cwd root"),
    # the illumos kernel's vnode of the root directory (a kernel symbol, used by io.d)
    **_vars("pointer", "vnode_t *", "rootdir", "illumos"),
}
LIBRARY["root"] = LIBRARY["root"]._replace(dsl=False)
for _name in ("cpuinfo", "curcpuinfo", "fds", "psinfo", "lwpsinfo", "cpu", "chip", "lgrp", "pset",
              "curproc", "tcp_state_string"):
    LIBRARY.setdefault(_name, Variable(_name, "", "", None, False))
del _name

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

#: Every name a D program may read without defining it (any dialect).
KNOWN_NAMES = frozenset(BUILTINS) | frozenset(LIBRARY) | LIBRARY_CONSTANTS

#: The DSL's variable names, in this order.
DSL_NAMES = tuple(v.name for v in (*BUILTINS.values(), *LIBRARY.values()) if v.dsl)


def kind(name: str) -> str:
    """What the checks may assume of built-in or library variable ``name`` ("" when unknown)."""
    var = BUILTINS.get(name) or LIBRARY.get(name)
    return var.kind if var is not None else ""
