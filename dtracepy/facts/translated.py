"""What D's libraries define: the types of the translated built-in variables and arrays, the
argument types of the stable providers' probes, and the libraries' named constants.

The D compiler knows ``curpsinfo`` is a ``psinfo_t *`` and ``fds[fd]`` a ``fileinfo_t`` (a struct
value, not a pointer) because the translator libraries every ``dtrace`` loads say so
(``/usr/lib/dtrace/*.d`` on illumos, ``/usr/lib64/dtrace/<kernel>/*.d`` on Oracle Linux).  The
DSL asks this module whether ``x.name`` is ``x->name`` or ``x.name`` (:mod:`dtracepy.dsl.members`).

* :data:`VARIABLES`: translated (or typed built-in) variables -> their type, per dialect where
  they differ (``curthread`` is a ``kthread_t *`` on illumos, a ``struct task_struct *`` on Linux);
* :data:`ARRAYS`: translated associative arrays -> the type of an element (``fds[]``);
* :data:`PROBE_ARGS`: ``(provider, probe name)`` -> the types of ``args[0]``, ``args[1]`` ...
  of the stable providers (io, proc, sched, ip, tcp, udp), as ``dtrace -lv`` lists them;
* :data:`TYPES`: the members of the translated types (``psinfo_t`` ...) and of the few kernel
  types scripts reach through ``curthread`` (``kthread_t``, ``proc_t``, ``struct task_struct``
  ...); only whether a member is a pointer, a struct value or a scalar matters here;
* :data:`CONSTANTS`: the ``inline`` constants of Oracle's D libraries, by library file
  (``B_READ``, ``EPERM``, ``SIGKILL``, ``IPPROTO_TCP`` ...), and :data:`PORTABLE_CONSTANTS`: the
  constants no library defines but whose value is the same on every system (``PROT_READ``): the
  compiler declares those it uses as ``inline int NAME = value;``.

Checked against the installed Oracle libraries by ``tests/test_translated.py`` where they exist.
Types are written as D writes them: ``"psinfo_t *"``, ``"lwpsinfo_t"``, ``"char [16]"``.
"""

from __future__ import annotations

import re

# --- variables and arrays ---------------------------------------------------------------------

#: name -> {dialect or None (every dialect): type}
VARIABLES: dict[str, dict] = {
    "curpsinfo": {None: "psinfo_t *"},
    "curlwpsinfo": {None: "lwpsinfo_t *"},
    "curcpu": {None: "cpuinfo_t *"},
    "curthread": {"illumos": "kthread_t *", "oracle": "struct task_struct *",
                  "freebsd": "struct thread *", "macos": "thread_t"},
    "cwd": {None: "string"},
    "root": {None: "string"},
    "execname": {None: "string"},
}

#: name -> the type of one element (``fds[fd]`` is a ``fileinfo_t``)
ARRAYS: dict[str, str] = {
    "fds": "fileinfo_t",
    "tcp_state_string": "string",
}

# --- the stable providers' arguments ------------------------------------------------------------

_LWP_PS = ("lwpsinfo_t *", "psinfo_t *")
_NET = ("pktinfo_t *", "csinfo_t *", "ipinfo_t *")

#: (provider, probe name) -> the types of args[0], args[1] ... ("void": no argument there)
PROBE_ARGS: dict[tuple[str, str], tuple[str, ...]] = {
    **{("io", n): ("bufinfo_t *", "devinfo_t *", "fileinfo_t *")
       for n in ("start", "done", "wait-start", "wait-done")},
    ("proc", "create"): ("psinfo_t *",),
    ("proc", "exec"): ("string",),
    ("proc", "exec-failure"): ("int",),
    ("proc", "exec-success"): (),
    ("proc", "exit"): ("int",),
    ("proc", "fault"): ("int", "siginfo_t *"),
    ("proc", "lwp-create"): _LWP_PS,
    ("proc", "lwp-start"): (),
    ("proc", "lwp-exit"): (),
    ("proc", "signal-clear"): ("int",),
    ("proc", "signal-discard"): (*_LWP_PS, "int"),
    ("proc", "signal-handle"): ("int", "siginfo_t *", "void (*)(void)"),
    ("proc", "signal-send"): (*_LWP_PS, "int"),
    ("proc", "start"): (),
    ("sched", "change-pri"): (*_LWP_PS, "pri_t"),
    ("sched", "dequeue"): (*_LWP_PS, "cpuinfo_t *", "int"),
    ("sched", "enqueue"): (*_LWP_PS, "cpuinfo_t *", "int"),
    **{("sched", n): _LWP_PS
       for n in ("off-cpu", "surrender", "tick", "wakeup", "cpucaps-sleep", "cpucaps-wakeup",
                 "schedctl-nopreempt", "schedctl-preempt", "schedctl-yield")},
    **{("sched", n): () for n in ("on-cpu", "preempt", "remain-cpu", "sleep")},
    **{("ip", n): (*_NET, "ifinfo_t *", "ipv4info_t *", "ipv6info_t *") for n in ("send", "receive")},
    **{("tcp", n): (*_NET, "tcpsinfo_t *", "tcpinfo_t *")
       for n in ("accept-established", "accept-refused", "connect-established", "connect-refused",
                 "connect-request", "receive", "send")},
    ("tcp", "state-change"): ("void", "csinfo_t *", "void", "tcpsinfo_t *", "void", "tcplsinfo_t *"),
    **{("udp", n): (*_NET, "udpsinfo_t *", "udpinfo_t *") for n in ("send", "receive")},
}

# --- members ----------------------------------------------------------------------------------


def _members(text: str) -> dict[str, str]:
    """``"int b_flags; char pr_fname[16];"`` -> {"b_flags": "int", "pr_fname": "char [16]"}."""
    out = {}
    for decl in text.split(";"):
        decl = " ".join(decl.split())
        if not decl:
            continue
        base, stars, name, dims = _member(decl) or re.fullmatch(_MEMBER, decl).groups()
        out[name] = " ".join(p for p in (base, stars, dims) if p)
    return out


# A member's declaration, ``type [*...] name [[dim]]``.
_MEMBER = r"(.*?)\s*(\**)\s*(\w+)\s*(\[\w*\])?"


def _words(text: str) -> bool:
    """Whether ``text`` is one or more word characters (what ``\\w+`` matches)."""
    return text.replace("_", "a").isalnum()


def _member(decl: str) -> tuple[str, str, str, str | None] | None:
    """:data:`_MEMBER`'s groups for ``decl`` (words separated by single spaces), read from its end
    without the pattern, whose lazy ``(.*?)`` tried every start: matching the ~260 members above
    cost every compile 15 M machine instructions at import.  None where the pattern is left to
    decide (the name not a word of its own: ``a*b``; a declaration the pattern refuses)."""
    rest, dims = decl, None
    if rest.endswith("]"):
        at = rest.rfind("[")
        if at < 0 or not (at == len(rest) - 2 or _words(rest[at + 1:-1])):
            return None
        rest, dims = rest[:at].rstrip(" "), rest[at:]
    head, _, last = rest.rpartition(" ")
    name = last.lstrip("*")
    if not _words(name):
        return None
    stars = last[:len(last) - len(name)]
    if not stars:   # (``char **p``: the stars end the words before the name)
        base = head.rstrip("*")
        stars, head = head[len(base):], base
    return head.rstrip(" "), stars, name, dims


#: type name -> {member: type}
TYPES: dict[str, dict[str, str]] = {
    # the translated types (io.d, procfs.d, sched.d, net.d, ip.d, tcp.d, udp.d)
    "bufinfo_t": _members("int b_flags; size_t b_bcount; caddr_t b_addr; uint64_t b_lblkno; "
                          "uint64_t b_blkno; size_t b_resid; size_t b_bufsize; caddr_t b_iodone; "
                          "int b_error; dev_t b_edev"),
    "devinfo_t": _members("int dev_major; int dev_minor; int dev_instance; string dev_name; "
                          "string dev_statname; string dev_pathname"),
    "fileinfo_t": _members("string fi_name; string fi_dirname; string fi_pathname; loff_t fi_offset; "
                           "string fi_fs; string fi_mount; int fi_oflags"),
    "timestruc_t": _members("time_t tv_sec; long tv_nsec"),
    "lwpsinfo_t": _members(
        "int pr_flag; int pr_lwpid; uintptr_t pr_addr; uintptr_t pr_wchan; char pr_stype; "
        "char pr_state; char pr_sname; char pr_nice; short pr_syscall; char pr_oldpri; char pr_cpu; "
        "int pr_pri; ushort_t pr_pctcpu; ushort_t pr_pad; timestruc_t pr_start; timestruc_t pr_time; "
        "char pr_clname[8]; char pr_name[16]; processorid_t pr_onpro; processorid_t pr_bindpro; "
        "psetid_t pr_bindpset; int pr_lgrp; int pr_filler[4]"),
    "psinfo_t": _members(
        "int pr_flag; int pr_nlwp; pid_t pr_pid; pid_t pr_ppid; pid_t pr_pgid; pid_t pr_sid; "
        "uid_t pr_uid; uid_t pr_euid; uid_t pr_gid; uid_t pr_egid; uintptr_t pr_addr; size_t pr_size; "
        "size_t pr_rssize; size_t pr_pad1; dev_t pr_ttydev; ushort_t pr_pctcpu; ushort_t pr_pctmem; "
        "timestruc_t pr_start; timestruc_t pr_time; timestruc_t pr_ctime; char pr_fname[16]; "
        "char pr_psargs[80]; int pr_wstat; int pr_argc; uintptr_t pr_argv; uintptr_t pr_envp; "
        "char pr_dmodel; char pr_pad2[3]; taskid_t pr_taskid; projid_t pr_projid; int pr_nzomb; "
        "poolid_t pr_poolid; zoneid_t pr_zoneid; id_t pr_contract; int pr_filler[1]; "
        "lwpsinfo_t pr_lwp"),
    "cpuinfo_t": _members("processorid_t cpu_id; psetid_t cpu_pset; chipid_t cpu_chip; "
                          "lgrp_id_t cpu_lgrp"),
    "pktinfo_t": _members("uintptr_t pkt_addr"),
    "csinfo_t": _members("uintptr_t cs_addr; uint64_t cs_cid; pid_t cs_pid; zoneid_t cs_zoneid"),
    "ipinfo_t": _members("uint8_t ip_ver; uint32_t ip_plength; string ip_saddr; string ip_daddr"),
    "ifinfo_t": _members("string if_name; int8_t if_local; netstackid_t if_ipstack; uintptr_t if_addr"),
    "ipv4info_t": _members(
        "uint8_t ipv4_ver; uint8_t ipv4_ihl; uint8_t ipv4_tos; uint16_t ipv4_length; "
        "uint16_t ipv4_ident; uint8_t ipv4_flags; uint16_t ipv4_offset; uint8_t ipv4_ttl; "
        "uint8_t ipv4_protocol; string ipv4_protostr; uint16_t ipv4_checksum; ipaddr_t ipv4_src; "
        "ipaddr_t ipv4_dst; string ipv4_saddr; string ipv4_daddr; ipha_t *ipv4_hdr"),
    "ipv6info_t": _members(
        "uint8_t ipv6_ver; uint8_t ipv6_tclass; uint32_t ipv6_flow; uint16_t ipv6_plen; "
        "uint8_t ipv6_nexthdr; string ipv6_nextstr; uint8_t ipv6_hlim; in6_addr_t *ipv6_src; "
        "in6_addr_t *ipv6_dst; string ipv6_saddr; string ipv6_daddr; ip6_t *ipv6_hdr"),
    "conninfo_t": _members("string ci_local; string ci_remote; string ci_protocol"),
    "tcpinfo_t": _members(
        "uint16_t tcp_sport; uint16_t tcp_dport; uint32_t tcp_seq; uint32_t tcp_ack; "
        "uint8_t tcp_offset; uint8_t tcp_flags; uint16_t tcp_window; uint16_t tcp_checksum; "
        "uint16_t tcp_urgent; tcph_t *tcp_hdr"),
    "tcpsinfo_t": _members(
        "uintptr_t tcps_addr; int tcps_local; int tcps_active; uint16_t tcps_lport; "
        "uint16_t tcps_rport; string tcps_laddr; string tcps_raddr; int32_t tcps_state; "
        "uint32_t tcps_iss; uint32_t tcps_suna; uint32_t tcps_snxt; uint32_t tcps_rack; "
        "uint32_t tcps_rnxt; uint32_t tcps_swnd; int32_t tcps_snd_ws; uint32_t tcps_rwnd; "
        "int32_t tcps_rcv_ws; uint32_t tcps_cwnd; uint32_t tcps_cwnd_ssthresh; "
        "uint32_t tcps_sack_fack; uint32_t tcps_sack_snxt; uint32_t tcps_rto; uint32_t tcps_mss; "
        "int tcps_retransmit; uint32_t tcps_rtt; uint32_t tcps_rtt_sd; uint32_t tcps_irs"),
    "tcplsinfo_t": _members("int32_t tcps_state"),
    "udpinfo_t": _members("uint16_t udp_sport; uint16_t udp_dport; uint16_t udp_length; "
                          "uint16_t udp_checksum; udpha_t *udp_hdr"),
    "udpsinfo_t": _members("uintptr_t udps_addr; uint16_t udps_lport; uint16_t udps_rport; "
                           "string udps_laddr; string udps_raddr"),
    # illumos kernel types reached through curthread (kthread_t -> proc_t -> user_t ...)
    "kthread_t": _members("proc_t *t_procp; klwp_t *t_lwp; cpu_t *t_cpu; kt_did_t t_did; "
                          "uint_t t_tid; pri_t t_pri; char t_state; struct _kthread *t_next"),
    "proc_t": _members("user_t p_user; struct pid *p_pidp; struct pid *p_pgidp; proc_t *p_parent; "
                       "cred_t *p_cred; zone_t *p_zone; struct as *p_as; vnode_t *p_exec; "
                       "int p_stat; uint_t p_flag; kthread_t *p_tlist"),
    "user_t": _members("char u_comm[17]; char u_psargs[80]; timestruc_t u_start; int u_argc; "
                       "uintptr_t u_argv; uintptr_t u_envp; vnode_t *u_cdir; vnode_t *u_rdir"),
    "struct pid": _members("pid_t pid_id"),
    "cred_t": _members("uid_t cr_uid; uid_t cr_ruid; gid_t cr_gid; gid_t cr_rgid"),
    # Linux kernel types reached through curthread (struct task_struct ...)
    "struct task_struct": _members(
        "pid_t pid; pid_t tgid; char comm[16]; struct task_struct *real_parent; "
        "struct task_struct *parent; struct task_struct *group_leader; struct mm_struct *mm; "
        "struct fs_struct *fs; struct files_struct *files; const struct cred *cred; "
        "const struct cred *real_cred; struct signal_struct *signal; struct nsproxy *nsproxy; "
        "int prio; unsigned int flags; unsigned int __state"),
    "struct cred": _members("kuid_t uid; kgid_t gid; kuid_t euid; kgid_t egid; kuid_t suid; "
                            "kgid_t sgid; kuid_t fsuid; kgid_t fsgid"),
    "kuid_t": _members("uid_t val"),
    "kgid_t": _members("gid_t val"),
    "struct fs_struct": _members("struct path root; struct path pwd"),
    "struct path": _members("struct vfsmount *mnt; struct dentry *dentry"),
    "struct dentry": _members("struct dentry *d_parent; struct qstr d_name; struct inode *d_inode"),
    "struct qstr": _members("const unsigned char *name"),
    "struct mm_struct": _members("unsigned long start_code; unsigned long end_code; "
                                 "unsigned long arg_start; unsigned long arg_end; "
                                 "unsigned long env_start; unsigned long env_end"),
    # FreeBSD kernel types reached through curthread (struct thread -> struct proc)
    "struct thread": _members("struct proc *td_proc; lwpid_t td_tid; char td_name[20]; "
                              "struct ucred *td_ucred"),
    "struct proc": _members("pid_t p_pid; char p_comm[20]; struct proc *p_pptr; "
                            "struct ucred *p_ucred; struct pgrp *p_pgrp"),
    "struct ucred": _members("uid_t cr_uid; uid_t cr_ruid; gid_t cr_rgid"),
}

#: dialect -> type -> {member: type} where a dialect's libraries declare a member otherwise.
TYPES_BY_DIALECT: dict[str, dict[str, dict[str, str]]] = {
    "oracle": {"psinfo_t": {"pr_ttydev": "struct tty_struct *"},
               "ipv4info_t": {"ipv4_hdr": "struct iphdr *"},
               "ipv6info_t": {"ipv6_hdr": "struct ipv6hdr *"},
               "tcpinfo_t": {"tcp_hdr": "uintptr_t"},
               "udpinfo_t": {"udp_hdr": "struct udphdr *"}},
}

#: dialect -> type -> the members its libraries declare but its translators leave undefined: dtrace
#: refuses a read of one ("translator does not define conversion for member: pr_psargs"). Oracle's
#: D 2.0 (``procfs.d`` of Linux 6.18: ``pr_psargs``, ``pr_argc``, ``pr_argv``, ``pr_envp`` are
#: commented out there), each judged by ``dtrace -e`` through ``curpsinfo``/``curlwpsinfo`` and
#: ``args[1]`` of ``proc:::signal-send`` (tests/test_new_user_review20.py).
UNTRANSLATED_BY_DIALECT: dict[str, dict[str, frozenset[str]]] = {
    "oracle": {
        "psinfo_t": frozenset({"pr_flag", "pr_size", "pr_rssize", "pr_pad1", "pr_pctcpu", "pr_pctmem",
                               "pr_start", "pr_time", "pr_ctime", "pr_psargs", "pr_argc", "pr_argv",
                               "pr_envp", "pr_pad2", "pr_filler", "pr_lwp"}),
        "lwpsinfo_t": frozenset({"pr_nice", "pr_syscall", "pr_oldpri", "pr_cpu", "pr_pctcpu", "pr_pad",
                                 "pr_start", "pr_time", "pr_clname", "pr_bindpro", "pr_bindpset",
                                 "pr_lgrp", "pr_filler"}),
    },
}

#: Names the D types above also go by (typedefs of a struct, struct tags of a typedef).
ALIASES: dict[str, str] = {
    "struct psinfo": "psinfo_t", "struct lwpsinfo": "lwpsinfo_t", "struct fileinfo": "fileinfo_t",
    "struct bufinfo": "bufinfo_t", "struct devinfo": "devinfo_t", "struct cpuinfo": "cpuinfo_t",
    "struct timestruc": "timestruc_t", "timespec_t": "timestruc_t",
    "struct _kthread": "kthread_t", "struct proc_t": "proc_t", "struct user": "user_t",
    "struct cred_t": "cred_t", "const struct cred": "struct cred",
}

# --- types as values ----------------------------------------------------------------------------


def split_type(text: str) -> tuple[str, int, bool]:
    """``"psinfo_t *"`` -> ("psinfo_t", 1, False); ``"char [16]"`` -> ("char", 0, True); the base
    name through :data:`ALIASES`, without ``const``/``volatile``."""
    text = " ".join(text.replace("*", " * ").split())
    array = "[" in text
    text = text.split("[")[0].strip()
    depth = text.count("*")
    words = [w for w in text.replace("*", " ").split() if w not in ("const", "volatile")]
    base = " ".join(words)
    return ALIASES.get(base, base), depth, array


def variable_type(name: str, dialect: str | None) -> str | None:
    """The type of translated variable ``name`` in ``dialect`` (None: not known there)."""
    types = VARIABLES.get(name)
    if not types:
        return None
    if dialect in types:
        return types[dialect]
    return types.get(None)


#: The dialects whose dtrace aborts compiling a program with an aggregation key that is an array or
#: struct value of a size other than 1, 2, 4 or 8 bytes (Oracle's DTrace 2.0, measured with ``dtrace
#: -e``: ``@a[curthread->comm] = count()``, ``@a[curpsinfo->pr_fname]``, ``@a[*curthread]``, a program's
#: ``struct { char a[3]; }``: SIGABRT, "dt_aggid_rec_add: Assertion `alignment > 0 && alignment <= 8
#: ...' failed"; ``stringof(curthread->comm)`` and ``char a[8]`` are fine).  An associative array's
#: key of that kind is fine.
AGGREGATION_KEY_ALIGNMENT_CRASHES = frozenset({"oracle"})


def array_bytes(text: str) -> int | None:
    """The size of a char array type as :func:`member_type` writes it (``"char [16]"`` -> 16),
    None for another type."""
    base, depth, array = split_type(text)
    if not array or depth or base not in ("char", "signed char", "unsigned char"):
        return None
    dims = text[text.index("["):].replace(" ", "")
    if dims.count("[") != 1 or not dims[1:-1].isdigit():
        return None
    return int(dims[1:-1])


def member_type(struct: str, member: str, dialect: str | None = None) -> str | None:
    """The type of ``member`` of the (translated or kernel) type ``struct`` in ``dialect``, when
    known."""
    struct = ALIASES.get(struct, struct)
    special = TYPES_BY_DIALECT.get(dialect, {}).get(struct, {}).get(member)
    if special is not None:
        return special
    members = TYPES.get(struct)
    return None if members is None else members.get(member)


#: Where a dialect's stable probes have other arguments than :data:`PROBE_ARGS` says (Oracle's D
#: 2.0 on Linux 6.18, ``dtrace -lv``: ``sched:::enqueue`` has no fourth argument there, and
#: ``dtrace -e`` refuses ``args[3]`` with "index 3 is out of range for sched:::enqueue args[ ]").
PROBE_ARGS_BY_DIALECT: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    "oracle": {
        ("sched", "enqueue"): (*_LWP_PS, "cpuinfo_t *"),
        ("proc", "signal-handle"): ("int", "siginfo_t *", "int (*)()"),
    },
}

#: dialect -> the providers whose probes' translated arguments were measured, and the types of
#: :data:`PROBE_ARGS` that are translated there: ``args[i]`` of such a type is refused whole as
#: :data:`dtracepy.facts.dialects.WHOLE_REFUSED` says (Oracle's D 2.0, ``trace(args[i])`` at every probe of proc, sched, io
#: and ip: refused for each ``*info_t *`` but ``cpuinfo_t *``, taken for ``siginfo_t *``, ints and
#: strings; tcp and udp were not loaded, so not measured).
ARGS_WHOLE_REFUSED = {"oracle": (frozenset({"proc", "sched", "io", "ip"}), frozenset({
    "bufinfo_t *", "devinfo_t *", "fileinfo_t *", "pktinfo_t *", "csinfo_t *", "ipinfo_t *", "ifinfo_t *",
    "ipv4info_t *", "ipv6info_t *", "psinfo_t *", "lwpsinfo_t *"}))}


def translated_arguments(description: str, dialect: str | None) -> frozenset:
    """The indexes ``i`` of the ``args[i]`` that are translated data at ``description`` (a stable
    provider's probe named plainly) in ``dialect``, where measured (:data:`ARGS_WHOLE_REFUSED`)."""
    from dtracepy.facts import probes as P

    measured = ARGS_WHOLE_REFUSED.get(dialect)
    if measured is None or "$" in description or ":" not in description:
        return frozenset()
    fields = P.split(description)
    if len(fields) != 4 or fields[0] not in measured[0] or P.is_glob(fields[3]):
        return frozenset()
    types = PROBE_ARGS_BY_DIALECT.get(dialect, {}).get((fields[0], fields[3])) or PROBE_ARGS.get((fields[0], fields[3]), ())
    return frozenset(i for i, type_ in enumerate(types) if type_ in measured[1])

#: What :func:`argument_count` gives for a description that matches several probes of the dtrace
#: provider (``dtrace:::*``): D refuses any ``args[i]`` there ("args[ ] may not be referenced
#: because probe description dtrace:::* matches an unstable set of probes").
UNSTABLE = -1


def argument_count(description: str, dialect: str | None = None) -> int | None:
    """How many typed arguments (``args[0]`` ...) the probes ``description`` names have, where that
    is known: 0 for the dtrace provider's ``BEGIN``, ``END`` and ``ERROR`` and the profile
    provider's ``profile-N`` and ``tick-N`` (every DTrace: neither provider describes arguments;
    profile's ``arg0``/``arg1``, the PC, are untyped), also when a glob names them (``*:::BEGIN``,
    ``dtrace:::BEG*``, ``d*:*:*:END``); :data:`UNSTABLE` for several of the dtrace provider's
    (``dtrace:::*``, ``dtrace:::E*``); the length of :data:`PROBE_ARGS` (or, for ``dialect``, of
    :data:`PROBE_ARGS_BY_DIALECT`) for a stable provider's probe named plainly (``proc:::exec-success``
    has none, in any module or function).  None otherwise: a macro variable, or other providers'
    probes, which have typed arguments, or not, per system (Oracle's syscall probes do, illumos' do
    not).  D refuses ``args[i]`` for an ``i`` at or above the count (judged by the real dtrace in
    tests/test_new_user_review17.py)."""
    from fnmatch import fnmatchcase

    from dtracepy.facts import probes as P

    if "$" in description:
        return None
    if ":" not in description:
        provider, module, function, name = "", "", "", description
    else:
        fields = P.split(description)
        if len(fields) != 4:
            return None
        provider, module, function, name = fields
    if not P.is_glob(provider) and not P.is_glob(name) and (provider, name) in PROBE_ARGS:
        return len(PROBE_ARGS_BY_DIALECT.get(dialect, {}).get((provider, name)) or PROBE_ARGS[(provider, name)])
    if not (P.matches_empty(module) and P.matches_empty(function)):
        return None
    if name in P.SPECIAL_PROBES:
        return 0 if provider == "" or fnmatchcase("dtrace", provider) else None
    if provider == "dtrace":  # (a glob, or nothing: the provider's own probes alone)
        matched = sum(1 for special in P.SPECIAL_PROBES if name == "" or fnmatchcase(special, name))
        return None if not matched else 0 if matched == 1 else UNSTABLE
    if (provider == "" or fnmatchcase("profile", provider)) and name.startswith(("profile-", "tick-")) and \
            name.replace("-", "").isalnum() and P.problem(f"profile:::{name}") is None:
        return 0
    return None


def probe_arg_type(provider: str, name: str, index: int) -> str | None:
    """The type of ``args[index]`` at ``provider:::name`` (None: not a stable provider's probe)."""
    types = PROBE_ARGS.get((provider, name))
    if types is None or not 0 <= index < len(types):
        return None
    return types[index]


# --- constants ---------------------------------------------------------------------------------

#: library file -> the names of its ``inline`` constants (Oracle D 2.0, kernel 6.18)
_LIBRARY_CONSTANTS = {
    "errno.d": """
        EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN ENOMEM EACCES EFAULT
        ENOTBLK EBUSY EEXIST EXDEV ENODEV ENOTDIR EISDIR EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG
        ENOSPC ESPIPE EROFS EMLINK EPIPE EDOM ERANGE EDEADLK ENAMETOOLONG ENOLCK ENOSYS ENOTEMPTY
        ELOOP EWOULDBLOCK ENOMSG EIDRM ECHRNG EL2NSYNC EL3HLT EL3RST ELNRNG EUNATCH ENOCSI EL2HLT
        EBADE EBADR EXFULL ENOANO EBADRQC EBADSLT EDEADLOCK EBFONT ENOSTR ENODATA ETIME ENOSR
        ENONET ENOPKG EREMOTE ENOLINK EADV ESRMNT ECOMM EPROTO EMULTIHOP EDOTDOT EBADMSG EOVERFLOW
        ENOTUNIQ EBADFD EREMCHG ELIBACC ELIBBAD ELIBSCN ELIBMAX ELIBEXEC EILSEQ ERESTART ESTRPIPE
        EUSERS ENOTSOCK EDESTADDRREQ EMSGSIZE EPROTOTYPE ENOPROTOOPT EPROTONOSUPPORT
        ESOCKTNOSUPPORT EOPNOTSUPP EPFNOSUPPORT EAFNOSUPPORT EADDRINUSE EADDRNOTAVAIL ENETDOWN
        ENETUNREACH ENETRESET ECONNABORTED ECONNRESET ENOBUFS EISCONN ENOTCONN ESHUTDOWN
        ETOOMANYREFS ETIMEDOUT ECONNREFUSED EHOSTDOWN EHOSTUNREACH EALREADY EINPROGRESS ESTALE
        EUCLEAN ENOTNAM ENAVAIL EISNAM EREMOTEIO EDQUOT ENOMEDIUM EMEDIUMTYPE ECANCELED ENOKEY
        EKEYEXPIRED EKEYREVOKED EKEYREJECTED EOWNERDEAD ENOTRECOVERABLE ERFKILL EHWPOISON ENOTSUP""",
    "io.d": """
        B_BUSY B_DONE B_ERROR B_PAGEIO B_PHYS B_READ B_WRITE B_ASYNC BIO_USER_MAPPED REQ_WRITE
        REQ_SYNC O_ACCMODE O_RDONLY O_WRONLY O_RDWR O_CREAT O_EXCL O_NOCTTY O_TRUNC O_APPEND
        O_NONBLOCK O_NDELAY O_SYNC O_FSYNC O_ASYNC O_DIRECTORY O_NOFOLLOW O_CLOEXEC O_DSYNC O_RSYNC""",
    "ip.d": """
        IPPROTO_IP IPPROTO_ICMP IPPROTO_IGMP IPPROTO_IPIP IPPROTO_TCP IPPROTO_EGP IPPROTO_PUP
        IPPROTO_UDP IPPROTO_IDP IPPROTO_TP IPPROTO_DCCP IPPROTO_IPV6 IPPROTO_RSVP IPPROTO_GRE
        IPPROTO_ESP IPPROTO_AH IPPROTO_OSPF IPPROTO_MTP IPPROTO_BEETPH IPPROTO_ENCAP IPPROTO_PIM
        IPPROTO_COMP IPPROTO_SCTP IPPROTO_UDPLITE IPPROTO_RAW IPPROTO_MAX IPPROTO_HOPOPTS
        IPPROTO_ROUTING IPPROTO_FRAGMENT IPPROTO_ICMPV6 IPPROTO_NONE IPPROTO_DSTOPTS IPPROTO_MH
        TCP_MIN_HEADER_LENGTH""",
    "lockstat.d": """
        RW_WRITER RW_READER""",
    "net.d": """
        AF_INET AF_INET6 ARPHRD_ETHER ARPHRD_INFINIBAND NET_PROBE_OUTBOUND NET_PROBE_INBOUND""",
    "pcap.d": """
        PCAP_NULL PCAP_ETHER PCAP_WIFI PCAP_PPP PCAP_IP PCAP_IPOIB""",
    "procfs.d": """
        PR_MODEL_ILP32 PR_MODEL_LP64 PIDTYPE_PID PIDTYPE_TGID PIDTYPE_PGID PIDTYPE_SID PR_STOPPED
        PR_ISTOP PR_DSTOP PR_IDLE SSLEEP SRUN SZOMB SSTOP SIDL SONPROC SWAIT CLD_EXITED CLD_KILLED
        CLD_DUMPED CLD_TRAPPED CLD_STOPPED CLD_CONTINUED""",
    "regs.d": """
        R_TRAPNO R_GS R_FS R_ES R_DS R_SS R_RSP R_RFL R_CS R_RIP R_ERR R_RDI R_RSI R_RDX R_RCX
        R_RAX R_R8 R_R9 R_R10 R_R11 R_RBX R_RBP R_R12 R_R13 R_R14 R_R15 R_EBX R_ECX R_EDX R_ESI
        R_EDI R_EBP R_EAX R_EIP R_EFL R_ESP R_PC R_FP R_SP R_PS R_R0 R_R1""",
    "signal.d": """
        SIGSYS SIGTERM SIGTSTP SIGVTALRM SIGBUS SIGPIPE SIGSTKFLT SIGTRAP SIGHUP SIGFPE SIGURG
        SIGIO SIGKILL SIGWINCH SIGXFSZ SIGINT SIGTTOU SIGTTIN SIGCHLD SIGIOT SIGCONT SIGQUIT
        SIGABRT SIGPROF SIGXCPU SIGSTOP SIGPWR SIGILL SIGUSR1 SIGPOLL SIGCLD SIGSEGV SIGUSR2
        SIGALRM""",
    "tcp.d": """
        TH_FIN TH_SYN TH_RST TH_PSH TH_ACK TH_URG TH_ECE TH_CWR TCP_STATE_IDLE
        TCP_STATE_ESTABLISHED TCP_STATE_SYN_SENT TCP_STATE_SYN_RECEIVED TCP_STATE_FIN_WAIT_1
        TCP_STATE_FIN_WAIT_2 TCP_STATE_TIME_WAIT TCP_STATE_CLOSED TCP_STATE_CLOSE_WAIT
        TCP_STATE_LAST_ACK TCP_STATE_LISTEN TCP_STATE_CLOSING""",
    "unistd.d": """
        DTRACEFLT_UNKNOWN DTRACEFLT_BADADDR DTRACEFLT_BADALIGN DTRACEFLT_ILLOP DTRACEFLT_DIVZERO
        DTRACEFLT_NOSCRATCH DTRACEFLT_KPRIV DTRACEFLT_UPRIV DTRACEFLT_TUPOFLOW DTRACEFLT_BADSTACK""",
}
#: constant name -> the library file that defines it (Oracle's D)
CONSTANTS: dict[str, str] = {
    name: library for library, names in _LIBRARY_CONSTANTS.items() for name in names.split()
}
#: Libraries D loads only where their provider exists (tcp.d needs the tcp provider).
LIBRARY_NEEDS: dict[str, str] = {"tcp.d": "tcp", "udp.d": "udp", "ip.d": "ip", "pcap.d": "ip",
                                  "lockstat.d": "lockstat"}

#: D's own constant, defined by the compiler itself.
BUILTIN_CONSTANTS = frozenset({"NULL"})

#: Constants no D library defines, with the value they have on every system dtracepy targets;
#: the compiler declares those a tracer uses (``inline int PROT_READ = 0x1;``).
PORTABLE_CONSTANTS: dict[str, int] = {
    "PROT_NONE": 0x0, "PROT_READ": 0x1, "PROT_WRITE": 0x2, "PROT_EXEC": 0x4,
    "SEEK_SET": 0, "SEEK_CUR": 1, "SEEK_END": 2,
    "STDIN_FILENO": 0, "STDOUT_FILENO": 1, "STDERR_FILENO": 2,
}

#: Every constant the DSL exports by name.
ALL_CONSTANTS = frozenset(CONSTANTS) | BUILTIN_CONSTANTS | frozenset(PORTABLE_CONSTANTS)


# --- the D library's translators ----------------------------------------------------------------
#: dialect -> the D library's translators: output type -> the types its translators take (Oracle's
#: D 2.0 on Linux 6.18: ``translator psinfo_t < struct task_struct *T >`` ... in
#: /usr/lib64/dtrace/6.18/*.d).  ``xlate <psinfo_t *> (x)`` takes an ``x`` of one of these types
#: (const or volatile aside) or a ``void *``, and refuses any other ("cannot translate from
#: "string" to "psinfo_t *"": a string, an integer, ``char *``, ``struct file *``, a struct by
#: value, ``curpsinfo``; measured with ``dtrace -e``, tests/test_leftovers23.py).
LIBRARY_TRANSLATORS: dict[str, dict[str, tuple[str, ...]]] = {
    "oracle": {
        "bufinfo_t": ("struct bio *", "struct buffer_head *"),
        "devinfo_t": ("struct bio *", "struct buffer_head *"),
        "fileinfo_t": ("struct buffer_head *", "struct file *"),
        "csinfo_t": ("struct sock *",),
        "ifinfo_t": ("struct net_device *",),
        "ipinfo_t": ("__dtrace_tcp_void_ip_t *", "struct iphdr *", "struct ipv6hdr *", "void_ip_t *"),
        "ipv4info_t": ("struct iphdr *",),
        "ipv6info_t": ("struct ipv6hdr *",),
        "lwpsinfo_t": ("struct task_struct *",),
        "psinfo_t": ("struct task_struct *",),
        "pktinfo_t": ("struct sk_buff *",),
        "tcpinfo_t": ("struct tcphdr *",),
        "tcplsinfo_t": ("int",),
        "tcpsinfo_t": ("struct tcp_sock *",),
        "udpinfo_t": ("struct udphdr *",),
        "udpsinfo_t": ("struct udp_sock *",),
    },
}
#: The library translators' outputs that take no string and no integer in any dialect: every
#: dialect's translators to these take pointers (illumos' ``psinfo_t < proc_t * >`` ...); only
#: ``tcplsinfo_t`` takes an int.
POINTER_INPUT_TRANSLATED = frozenset(
    output for output, inputs in LIBRARY_TRANSLATORS["oracle"].items() if all(i.endswith("*") for i in inputs))
