"""Facts about D that checks (and the DSL) need: keywords, built-in variables, actions, subroutines,
aggregating functions, their argument counts and result kinds.

Gathered from ``D-REFERENCE.md`` (the illumos/FreeBSD/Apple compilers and Oracle's dtrace-utils)
and widened where the corpus of real scripts shows a name a real compiler accepts.  Every list is a
``frozenset`` of names; :data:`ARITY` maps a callable name to ``(min, max)`` (``max`` None: any).
"""

from __future__ import annotations

# --- lexical ------------------------------------------------------------------------------------

KEYWORDS = frozenset(
    """auto break case char const continue counter default do double else enum extern float
    for goto if import inline int long offsetof probe provider register restrict return self short
    signed sizeof static string stringof struct switch this translator typedef union unsigned void
    volatile while xlate""".split()
)
#: illumos reserves one more keyword.
KEYWORDS_ILLUMOS = KEYWORDS | {"userland"}

DIALECTS = ("illumos", "oracle", "freebsd", "macos")
#: Dialects whose grammar has ``if``/``else``.
DIALECTS_WITH_IF = frozenset({"illumos", "freebsd", "macos"})

# --- variables ----------------------------------------------------------------------------------

BUILTIN_VARIABLES = frozenset(
    """arg0 arg1 arg2 arg3 arg4 arg5 arg6 arg7 arg8 arg9 args caller curcpu curthread epid errno
    execname gid id ipl pid ppid probefunc probemod probename probeprov stackdepth tid timestamp
    ucaller uid uregs ustackdepth vtimestamp walltimestamp""".split()
)
BUILTIN_VARIABLES_BY_DIALECT = {
    "illumos": frozenset({"zonename"}),
    "freebsd": frozenset({"zonename", "cpu", "jid", "jailname", "execargs"}),
    "macos": frozenset({"zonename", "cpucycles", "machtimestamp", "machctimestamp", "vinstrs",
                        "vmregs"}),
    "oracle": frozenset(),
}
#: Every built-in variable of any dialect.
ALL_BUILTIN_VARIABLES = BUILTIN_VARIABLES.union(*BUILTIN_VARIABLES_BY_DIALECT.values())

#: Names that come from the translator and inline libraries every dtrace loads
#: (``/usr/lib/dtrace/*.d``): not built in, but defined in every real session.
LIBRARY_NAMES = frozenset(
    """curpsinfo curlwpsinfo cpuinfo curcpuinfo fds psinfo lwpsinfo execname cwd root
    B_BUSY B_DONE B_ERROR B_PAGEIO B_PHYS B_READ B_WRITE B_ASYNC
    SIGHUP SIGINT SIGQUIT SIGILL SIGTRAP SIGABRT SIGEMT SIGFPE SIGKILL SIGBUS SIGSEGV SIGSYS
    SIGPIPE SIGALRM SIGTERM SIGUSR1 SIGUSR2 SIGCHLD SIGPWR SIGWINCH SIGURG SIGPOLL SIGSTOP SIGTSTP
    SIGCONT SIGTTIN SIGTTOU SIGVTALRM SIGPROF SIGXCPU SIGXFSZ
    SSLEEP SRUN SZOMB SSTOP SIDL SONPROC SWAIT
    TCP_STATE_CLOSED TCP_STATE_IDLE TCP_STATE_BOUND TCP_STATE_LISTEN TCP_STATE_SYN_SENT
    TCP_STATE_SYN_RECEIVED TCP_STATE_ESTABLISHED TCP_STATE_CLOSE_WAIT TCP_STATE_FIN_WAIT_1
    TCP_STATE_CLOSING TCP_STATE_LAST_ACK TCP_STATE_FIN_WAIT_2 TCP_STATE_TIME_WAIT
    tcp_state_string cpu chip lgrp pset curproc AF_INET AF_INET6 IPPROTO_TCP IPPROTO_UDP NULL
    DTRACEFLT_UNKNOWN DTRACEFLT_BADADDR DTRACEFLT_BADALIGN DTRACEFLT_ILLOP DTRACEFLT_DIVZERO
    DTRACEFLT_NOSCRATCH DTRACEFLT_KPRIV DTRACEFLT_UPRIV DTRACEFLT_TUPOFLOW DTRACEFLT_BADSTACK
    EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN ENOMEM EACCES EFAULT
    EBUSY EEXIST EINVAL ENOSPC EPIPE ERANGE ETIMEDOUT EWOULDBLOCK EINPROGRESS""".split()
)

# --- callables ----------------------------------------------------------------------------------

#: Actions, with (min, max) argument counts.
ACTIONS = {
    "printf": (1, None), "printa": (1, None), "trace": (1, 1), "tracemem": (2, 3),
    "stack": (0, 1), "ustack": (0, 2), "jstack": (0, 2), "exit": (1, 1), "stop": (0, 0),
    "raise": (1, 1), "system": (1, None), "panic": (0, 0), "chill": (1, 1), "breakpoint": (0, 0),
    "copyout": (3, 3), "copyoutstr": (3, 3), "speculate": (1, 1), "commit": (1, 1),
    "discard": (1, 1), "clear": (1, 1), "trunc": (1, 2), "normalize": (2, 2),
    "denormalize": (1, 1), "setopt": (1, 2), "freopen": (1, None), "ftruncate": (0, 0),
    "print": (1, 1), "func": (1, 1), "sym": (1, 1), "mod": (1, 1), "uaddr": (1, 1),
    "ufunc": (1, 1), "umod": (1, 1), "usym": (1, 1),
}
#: Actions only some dialects have.
ACTIONS_EXTRA = {"printm": (2, 2), "pcap": (2, 2), "kdebug_trace": (1, 5)}

#: Destructive actions: need ``-w`` or ``#pragma D option destructive``.
DESTRUCTIVE_ACTIONS = frozenset(
    {"stop", "raise", "panic", "chill", "breakpoint", "system", "copyout", "copyoutstr", "freopen"}
)

#: Subroutines, with (min, max) argument counts.
SUBROUTINES = {
    "alloca": (1, 1), "basename": (1, 1), "bcopy": (3, 3), "cleanpath": (1, 1),
    "copyin": (2, 2), "copyinstr": (1, 2), "copyinto": (3, 3), "dirname": (1, 1),
    "getmajor": (1, 1), "getminor": (1, 1), "htonl": (1, 1), "htonll": (1, 1), "htons": (1, 1),
    "ntohl": (1, 1), "ntohll": (1, 1), "ntohs": (1, 1), "index": (2, 3), "rindex": (2, 3),
    "inet_ntoa": (1, 1), "inet_ntoa6": (1, 2), "inet_ntop": (2, 2), "lltostr": (1, 2),
    "msgdsize": (1, 1), "msgsize": (1, 1), "mutex_owned": (1, 1), "mutex_owner": (1, 1),
    "mutex_type_adaptive": (1, 1), "mutex_type_spin": (1, 1), "progenyof": (1, 1),
    "rand": (0, 0), "speculation": (0, 0), "strchr": (2, 2), "strrchr": (2, 2),
    "strstr": (2, 2), "strjoin": (2, 2), "strlen": (1, 1), "strtok": (2, 2), "substr": (2, 3),
    "rw_iswriter": (1, 1), "rw_read_held": (1, 1), "rw_write_held": (1, 1),
    "tolower": (1, 1), "toupper": (1, 1), "strtoll": (1, 2), "json": (2, 2), "getf": (1, 1),
    "ddi_pathname": (2, 2), "d_path": (1, 1), "link_ntop": (2, 2),
}
#: Subroutines of one platform only (accepted, arity checked, never called unknown).
SUBROUTINES_EXTRA = {
    "vm_kernel_addrperm": (1, 1), "memref": (2, 2), "memstr": (3, 3), "typeref": (4, 4),
    "mutex_type": (1, 1), "mtons": (1, 1), "kvtophys": (1, 1), "physmem_read": (2, 2),
    "physmem_write": (3, 3), "sx_isexclusive": (1, 1), "sx_shared_held": (1, 1),
    "sx_exclusive_held": (1, 1), "getenv": (1, 1), "strtoul": (1, 2),
}

#: Aggregating functions, with (min, max) argument counts.
AGGREGATING_FUNCTIONS = {
    "count": (0, 0), "sum": (1, 1), "avg": (1, 1), "min": (1, 1), "max": (1, 1),
    "stddev": (1, 1), "quantize": (1, 2), "lquantize": (3, 5), "llquantize": (5, 6),
}

ARITY = {**ACTIONS, **ACTIONS_EXTRA, **SUBROUTINES, **SUBROUTINES_EXTRA, **AGGREGATING_FUNCTIONS}
#: Every name a D program may call.
ALL_CALLABLES = frozenset(ARITY)

# --- result kinds (for printf type checks) --------------------------------------------------------

STRING_VARIABLES = frozenset(
    {"execname", "probefunc", "probemod", "probename", "probeprov", "zonename", "jailname",
     "execargs", "cwd", "root"}
)
INTEGER_VARIABLES = frozenset(
    """arg0 arg1 arg2 arg3 arg4 arg5 arg6 arg7 arg8 arg9 epid errno gid id ipl pid ppid stackdepth
    tid timestamp uid ustackdepth vtimestamp walltimestamp caller ucaller cpu jid""".split()
)
STRING_SUBROUTINES = frozenset(
    """basename cleanpath copyinstr dirname inet_ntoa inet_ntoa6 inet_ntop lltostr strchr strrchr
    strstr strjoin strtok substr tolower toupper json ddi_pathname d_path link_ntop""".split()
)
INTEGER_SUBROUTINES = frozenset(
    """htonl htonll htons ntohl ntohll ntohs index rindex strlen msgdsize msgsize mutex_owned
    progenyof rand speculation getmajor getminor rw_iswriter rw_read_held rw_write_held strtoll
    mutex_type_adaptive mutex_type_spin""".split()
)
#: Calls whose value is a stack (only ``%k`` prints one).
STACK_FUNCTIONS = frozenset({"stack", "ustack", "jstack"})
#: Calls whose value is a symbol or address record (``%a``/``%A``/``%k`` family print them).
SYMBOL_FUNCTIONS = frozenset({"func", "sym", "mod", "uaddr", "ufunc", "umod", "usym"})

# --- printf -------------------------------------------------------------------------------------

PRINTF_CONVERSIONS = frozenset("aAcCdiouxXeEfgGkpsSTY")
PRINTF_FLAGS = frozenset("#+- ?'0")
PRINTF_SIZE_PREFIXES = ("ll", "hh", "h", "l", "L", "w", "z", "j", "t")

# --- probes -------------------------------------------------------------------------------------

#: Probes of the ``dtrace`` provider, which take no module or function.
SPECIAL_PROBES = frozenset({"BEGIN", "END", "ERROR"})
#: Providers whose probes come as ``:entry`` / ``:return`` pairs on one function.
FUNCTION_PROVIDERS_PREFIXES = ("fbt", "pid", "syscall", "fsinfo", "javascript", "python")
