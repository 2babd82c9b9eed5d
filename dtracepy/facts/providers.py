"""Well-known DTrace providers and the names of their probes, with did-you-mean for misspellings.

A probe description names a provider and a probe (``syscall::read:entry``, ``tcp:::receive``).
Misspell either and D compiles nothing useful: ``dtrace`` fails with "does not match any probes"
(or, with ``-Z``, silently never fires).  The kernel providers are a known set, and the stable ones
(proc, sched, io, ip, tcp, udp ...) have a fixed list of probe names, documented for every
DTrace; :func:`problem` says, with a suggestion, when a description strays from them.  The DSL
refuses such a description at the tracer's line (:func:`dtracepy.dsl.probes.check_desc`) and
``dtracepy check`` reports it (``probe-name``).

User-space providers (USDT: ``myapp$target``, ``python*``, ``pid123``) are open-ended: a provider
field with a glob, a macro variable or a process-ID suffix is never judged; a bare provider name
is judged only when it is one edit away from a well-known provider (``sycall``), since bare names
are kernel providers.
"""

from __future__ import annotations

import re

from dtracepy.facts import probes as _probes

#: provider -> its probe names (a closed set), or None (names are open-ended: function names,
#: offsets, module-defined statically defined probes ...).  Union over illumos, FreeBSD, macOS and
#: Oracle Linux; a probe only one of them has is still "known".
PROVIDERS: dict[str, frozenset | None] = {
    "dtrace": frozenset({"BEGIN", "END", "ERROR"}),
    "syscall": frozenset({"entry", "return"}),
    "fbt": frozenset({"entry", "return"}),
    "profile": None,  # profile-N[unit], tick-N[unit]: see dtracepy.facts.probes
    "proc": frozenset({
        "create", "exec", "exec-failure", "exec-success", "exit", "fault", "lwp-create",
        "lwp-exit", "lwp-start", "signal-clear", "signal-discard", "signal-handle", "signal-send",
        "start"}),
    "sched": frozenset({
        "change-pri", "cpucaps-sleep", "cpucaps-wakeup", "dequeue", "enqueue", "lend-pri",
        "load-change", "off-cpu", "on-cpu", "preempt", "remain-cpu", "schedctl-nopreempt",
        "schedctl-preempt", "schedctl-yield", "sleep", "surrender", "tick", "wakeup"}),
    "io": frozenset({"start", "done", "wait-start", "wait-done"}),
    "ip": frozenset({"send", "receive"}),
    "tcp": frozenset({
        "accept-established", "accept-refused", "connect-established", "connect-refused",
        "connect-request", "receive", "send", "state-change",
        # FreeBSD's extra probes
        "siftr", "debug-input", "debug-output", "debug-drop", "debug-user"}),
    "udp": frozenset({"send", "receive"}),
    "udplite": frozenset({"send", "receive"}),
    # providers whose probe names are open (or too platform-specific to list)
    **{name: None for name in (
        "pid", "usdt", "sdt", "rawtp", "cpc", "lockstat", "plockstat", "vminfo", "sysinfo", "mib",
        "fsinfo", "fpuinfo", "nfsv3", "nfsv4", "nfscl", "iscsi", "fc", "srp", "smb", "sctp",
        "dtmalloc", "vfs", "kinst", "mac", "mac_framework", "priv", "callout_execute", "linuxulator",
        "lx-syscall", "fasttrap", "javascript", "hotspot", "hotspot_jni", "perl", "python", "ruby",
        "php", "mysql", "postgresql", "node", "tcl", "sh", "objc", "mach_trap", "xpv", "xdt",
        "dtrace_test", "perf", "stmf", "sysevent", "ipfw", "pf", "cam", "kmem", "zfs", "lockmgr",
        "vmm", "proc_ops", "iommu", "geom", "intr", "vmem", "dlpi", "ib", "cs", "test",
        "dt_test", "rawfbt",  # Oracle's test provider (the dt_test kernel module); fbt without its checks
    )},
}

_PROFILE_NAME = re.compile(r"(profile|tick)-[0-9]+[a-z]*$")
# A provider field that names processes: pid, pid123, myapp$target, myapp$1, python*.
_PROCESS_SUFFIX = re.compile(r"(\$\$?[A-Za-z0-9_]+|[0-9]+)$")


def is_known(provider: str) -> bool:
    return provider in PROVIDERS


def probe_names(provider: str) -> frozenset | None:
    """The closed set of probe names of ``provider`` (None: open-ended or unknown)."""
    return PROVIDERS.get(provider)


def _distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count 1), capped above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def nearest(word: str, candidates, limit: int | None = None) -> list[str]:
    """The candidates nearest ``word`` (sorted), within ``limit`` edits (1 for words up to 4
    letters, 2 above); [] when none is, or ``word`` is one of them."""
    if limit is None:
        limit = 1 if len(word) <= 4 else 2
    best: list[str] = []
    best_d = limit + 1
    for cand in sorted(candidates):
        d = _distance(word, cand, limit)
        if d > limit:
            continue
        if d < best_d:
            best, best_d = [cand], d
        elif d == best_d:
            best.append(cand)
    return [] if best_d == 0 else best


def _swapped(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with two neighbouring characters swapped (the commonest typo)."""
    if len(a) != len(b) or a == b:
        return False
    differ = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    return len(differ) == 2 and differ[1] == differ[0] + 1 and a[differ[0]] == b[differ[1]] and a[differ[1]] == b[differ[0]]


def closest(word: str, candidates, limit: int | None = None) -> str | None:
    """The one candidate nearest ``word`` within ``limit`` edits (1 for words up to 4 letters, 2
    above); None when there is none, or a tie, but where one of the tied is ``word`` with two
    neighbours swapped (``tpc``: ``tcp``, not ``cpc``), as :func:`dtracepy.errors.close_matches`
    puts a swap first."""
    best = nearest(word, candidates, limit)
    if len(best) > 1:
        best = [cand for cand in best if _swapped(word, cand)]
    return best[0] if len(best) == 1 else None


def _either(names) -> str:
    """'a', 'a' or 'b', 'a', 'b' or 'c'."""
    quoted = [repr(name) for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


#: Kernel providers whose name is never a module, function or probe name elsewhere: in a
#: description of fewer than four fields, where D reads it as one of those (``syscall::read`` is
#: ``:syscall::read``), it was meant as the provider.  (ip, tcp and udp are illumos kernel
#: modules too, and fbt, dtrace and profile are modules on illumos whose functions have entry and
#: return probes: a short form ending in entry or return is never judged.)
_SHORT_FORM_PROVIDERS = ("syscall", "fbt", "proc", "sched", "io", "profile", "dtrace")


def short_form_problem(text: str) -> str | None:
    """Why a description of fewer than four fields that starts with a kernel provider's name
    matches no probe: D fills the fields from the right (``syscall::read`` is module ``syscall``,
    probe ``read``, as ``:syscall::read``), so the provider is empty and the name stands where no
    probe has it; with the description meant.  None for any other description."""
    parts = text.split(":")
    if len(parts) >= 4 or parts[0] not in _SHORT_FORM_PROVIDERS or parts[-1] in (_probes.ENTRY, _probes.RETURN):
        return None
    provider, rest = parts[0], parts[1:]
    as_read = ":".join(_probes.split(text))
    if not any(rest):
        meant = f"{provider}:::"
    elif provider in _probes.ENTRY_RETURN_PROVIDERS:
        meant = ":".join([provider, *[""] * (2 - len(rest)), *rest, _probes.ENTRY])
    else:
        meant = ":".join([provider, *[""] * (3 - len(rest)), *rest])
    kinds = ("name", "function", "module")[len(parts) - 1]
    return (f"D fills a description of {len(parts)} field{'s' if len(parts) > 1 else ''} from the "
            f"right, so {provider!r} is the {kinds} here ({as_read!r}, no provider) and it matches "
            f"no probe; did you mean {meant!r}?")


def problem(text: str) -> str | None:
    """Why ``text`` names a provider or probe that does not exist, with the likely intended one;
    None when it names a known one, or one this module cannot judge."""
    if text.count(":") < 3:
        return short_form_problem(text)
    fields = _probes.split(text)
    if len(fields) != 4:
        return None
    provider, _module, _function, name = fields
    if not provider:
        return None
    if provider not in PROVIDERS:
        if _probes.is_glob(provider) or "$" in provider or _PROCESS_SUFFIX.search(provider):
            return None  # processes' providers (USDT, pid) are open-ended
        guess = closest(provider, PROVIDERS)
        if guess is None:
            return None
        return f"there is no {provider!r} provider; did you mean {guess!r} ({_fixed(text, 0, guess)})?"
    names = PROVIDERS[provider]
    if names is None or not name or _probes.is_glob(name) or "$" in name or name in names:
        return None
    if provider == "dtrace" and _PROFILE_NAME.match(name):
        return None  # the probe-desc check says profile probes belong to profile
    guess = closest(name, names)
    listing = ", ".join(sorted(names))
    if guess is not None:
        return (f"the {provider} provider has no probe {name!r}; did you mean {guess!r} "
                f"({_fixed(text, 3, guess)})? Its probes: {listing}")
    return f"the {provider} provider has no probe {name!r}; its probes: {listing}"


def unknown_provider(text: str) -> str | None:
    """Why the provider of ``text`` is known nowhere: a bare name (no glob, macro variable or
    process ID) that is no kernel provider of any DTrace listed here and none's misspelling
    (:func:`problem` says those).  A user-space provider is named with its process
    (``myapp$target``, ``myapp123``, ``myapp*``), so a bare name can only be a kernel provider: one
    that exists where the script runs but not in this list, or a mistake (``pidgin:::entry``).  The
    ``probe-name`` check reports it as a warning."""
    if text.count(":") != 3:
        return None
    provider = text.split(":", 1)[0]
    if (not provider or provider in PROVIDERS or _probes.is_glob(provider) or "$" in provider
            or _PROCESS_SUFFIX.search(provider) or closest(provider, PROVIDERS) is not None):
        return None
    # (a short name is near several: `up` is one edit from ip and udp; none is said as the one
    # meant, as problem() says a single near one, but they are named)
    near = nearest(provider, PROVIDERS)
    meant = f"; did you mean {_either(near[:3])}?" if near else ""
    return (f"no DTrace dtracepy knows has a {provider!r} provider, so this matches no probe unless "
            f"one exists where the script runs (a user-space provider needs its process: "
            f"{provider}$target, {provider}1234 or {provider}*){meant}")


def special_probe_warning(text: str) -> str | None:
    """A bare probe name (no provider, module or function) that starts with a capital and is
    BEGIN, END or ERROR misspelt or in other capitals (``BEGN``, ``ED``, ``Begin``): dtrace's own
    probes have only those names (dtrace: "does not match any probes"), though a provider check
    does not know (a process's USDT provider) might have it; so a warning, where
    ``dtrace:::BEGN`` is an error (:func:`problem`)."""
    if text.count(":") > 3 or not text.rpartition(":")[2][:1].isupper():
        return None
    provider, module, function, name = _probes.split(text)
    if provider or module or function or name in _probes.SPECIAL_PROBES or _probes.is_glob(name) or "$" in name:
        return None
    meant = name.upper() if name.upper() in _probes.SPECIAL_PROBES else closest(name, _probes.SPECIAL_PROBES)
    if meant is None:
        return None
    return (f"{name!r} is none of dtrace's own probes (BEGIN, END, ERROR; probe names are "
            f"case-sensitive) and, bare, matches a probe only where some provider has one so named "
            f"(dtrace: \"does not match any probes\"); did you mean {meant!r}?")


def _fixed(text: str, index: int, value: str) -> str:
    parts = list(_probes.split(text))
    parts[index] = value
    return ":".join(parts)
