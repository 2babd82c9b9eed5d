"""The probe-description model: ``provider:module:function:name``.

One home for splitting a description into fields, pairing ``:entry`` with ``:return``, matching
two descriptions, and telling why one is malformed (:func:`syntax_problem`, what the DSL refuses
when a tracer names a probe) or can match no probe (:func:`problem`, the ``probe-desc`` check).
Well-known providers and their probe names are in :mod:`dtracepy.facts.providers`.
"""

from __future__ import annotations

import re

#: Probes of the ``dtrace`` provider, which take no module or function.
SPECIAL_PROBES = frozenset({"BEGIN", "END", "ERROR"})
ENTRY, RETURN = "entry", "return"
_PARTNER = {ENTRY: RETURN, RETURN: ENTRY}

_GLOB = re.compile(r"[*?\[\\]")
_SPACE = re.compile(r"\s").search


_SPLIT: dict = {}  # text -> split(text): the checks split each description several times


def split(text: str) -> tuple[str, ...]:
    """provider, module, function, name; fewer than four fields fill from the left with "".
    A description with more than four fields (malformed) gives all of them."""
    found = _SPLIT.get(text)
    if found is not None:
        return found
    parts = text.split(":")
    if len(parts) < 4:
        parts = [""] * (4 - len(parts)) + parts
    found = tuple(parts)
    if len(_SPLIT) >= 200_000:  # (bounded: a long-lived process checks many programs)
        _SPLIT.clear()
    _SPLIT[text] = found
    return found


def is_glob(field: str) -> bool:
    return bool(_GLOB.search(field))


def matches_empty(field: str) -> bool:
    """Does the description field ``field`` match an empty field (``""``, ``*``, ``[!a]*``), as
    the module and function of the dtrace and profile providers' probes are?"""
    if not field:
        return True
    from fnmatch import fnmatchcase

    return is_glob(field) and fnmatchcase("", field)


def _matches(pattern: str, text: str) -> bool:
    """Does the glob ``pattern`` (a description field) match ``text``?"""
    from fnmatch import fnmatchcase

    return is_glob(pattern) and fnmatchcase(text, pattern)


def partner(text: str) -> str | None:
    """The ``:return`` description of an ``:entry`` one and vice versa (spelled as ``text`` is,
    only the name changed); None if neither."""
    fields = split(text)
    if len(fields) != 4 or fields[3] not in _PARTNER:
        return None
    return text[: len(text) - len(fields[3])] + _PARTNER[fields[3]]


def is_entry(text: str) -> bool:
    fields = split(text)
    return len(fields) == 4 and fields[3] == ENTRY


def return_of(text: str) -> str | None:
    """The return probe matching an entry probe (``fbt:ip:f:entry`` -> ``fbt:ip:f:return``), or
    None when the description is not a function-entry probe."""
    # (partner(text) if is_entry(text), told from the text: split gives four fields when it has
    # at most three colons, and its last field is what follows the last colon)
    if (text.endswith(":entry") or text == ENTRY) and text.count(":") <= 3:
        return text[:-5] + RETURN
    return None


#: Probes that begin a span a later probe on the same thread ends, beyond ``entry``/``return``, by
#: (provider, name) -> the names that end it: what a thread-local set at the first is zeroed at
#: (``sched:::on-cpu { self->ts = timestamp; } sched:::off-cpu /self->ts/ { ...; self->ts = 0; }``).
#: ``proc:::exec`` ends at ``exec-success`` or ``exec-failure`` (both on the thread that called
#: exec).  USDT probes named ``X-entry`` end at ``X-return`` (``function-entry``/``function-return``,
#: ``method-entry``/``method-return``): :func:`releases_of` pairs those by name, whatever the provider.
#: Only spans certain to end on the thread that began them: not ``sched:::enqueue``/``dequeue``
#: (another thread may dequeue), nor ``io:::start``/``done`` (an interrupt completes the I/O).
#: The one home of this pairing: ``self-leak`` (checks/lifecycle.py) and the compiler's automatic
#: zeroing of thread-locals (passes/cleanup.py) both ask :func:`releases_of`.
SPANS = {
    ("sched", "on-cpu"): ("off-cpu",), ("sched", "off-cpu"): ("on-cpu",),
    ("io", "wait-start"): ("wait-done",),
    ("sdt", "interrupt-start"): ("interrupt-complete",),
    ("proc", "exec"): ("exec-success", "exec-failure"),
}
_SPAN_NAMES = {name: (provider, ends) for (provider, name), ends in SPANS.items()}
_USDT_ENTRY = "-entry"


def releases_of(text: str) -> tuple[str, ...]:
    """The descriptions of the probes that end, on the same thread, what the probe of ``text``
    begins, spelled as ``text`` is with the name changed: the return of an entry
    (``syscall::read:entry`` -> ``syscall::read:return``), the ends of a span of :data:`SPANS`
    (``sched:::on-cpu`` -> ``sched:::off-cpu``; a bare ``on-cpu`` -> ``off-cpu``; ``proc:::exec``
    -> ``proc:::exec-success``, ``proc:::exec-failure``), a USDT ``X-entry``'s ``X-return``
    (``python*:::function-entry`` -> ``python*:::function-return``); () for others."""
    found = return_of(text)
    if found is not None:
        return (found,)
    if text.count(":") > 3:
        return ()
    name = text.rpartition(":")[2]
    span = _SPAN_NAMES.get(name)
    if span is None:
        if name.endswith(_USDT_ENTRY) and len(name) > len(_USDT_ENTRY) and not is_glob(name):
            return (text[: len(text) - len(_USDT_ENTRY)] + "-return",)
        return ()
    provider = split(text)[0]
    if provider not in ("", span[0]):
        return ()
    stem = text[: len(text) - len(name)]
    return tuple(stem + end for end in span[1])


_END_NAMES = frozenset(end for ends in SPANS.values() for end in ends) | {RETURN}


def is_release(text: str) -> bool:
    """Does ``text`` name a probe that ends what another begins (a return, a span's end of
    :data:`SPANS`, a USDT ``X-return``)?"""
    name = text.rpartition(":")[2]
    return name in _END_NAMES or name.endswith("-return")


def release_of(text: str) -> str | None:
    """The first of :func:`releases_of` (None when there is none)."""
    found = releases_of(text)
    return found[0] if found else None


def matches(pattern: str, concrete: str) -> bool:
    """Can a probe matched by ``concrete`` also be matched by ``pattern``?  Empty fields and globs
    in ``pattern`` match anything; a globbed ``concrete`` field only matches an equal or empty
    field (we cannot intersect globs)."""
    if pattern == concrete:  # (every field equal: the loop below says so too, slower)
        return True
    pf, cf = split(pattern), split(concrete)
    if len(pf) != 4 or len(cf) != 4:
        return False
    for p, c in zip(pf, cf):
        if p == "" or p == "*" or p == c:
            continue
        if "*" in c or "?" in c or "[" in c:
            return False
        if "*" not in p and "?" not in p and "[" not in p:
            return False  # (no glob: fnmatch's answer is p == c, which it is not)
        import fnmatch

        if not fnmatch.fnmatchcase(c, p):
            return False
    return True


# --- well-formedness (what the DSL accepts as a description) ----------------------------------

# One field: letters, digits and the characters probe names use (`-` `_` `.`), globs (`* ? [ ] !
# \`), macro variables (`$target`, `$1`) and a backquote never; at most four fields.  (Compiled
# on first use by re's cache: only the DSL asks, and `dtracepy check` should not pay for it.)
_FIELD = r"(?:[A-Za-z0-9_.\-*?!\\\[\]]|\$(?:\$?[0-9]+|[A-Za-z_][A-Za-z0-9_]*))*"
_FIELD_CHAR = r"[A-Za-z0-9_.\-*?!\\\[\]$]"
_field_ok = None  # re.compile(_FIELD).fullmatch, on first use


def syntax_problem(text: str) -> str | None:
    """Why ``text`` is not one well-formed probe description (the whole message); None if it is."""
    if "," in text:
        return (f"probe description {text!r} holds a comma: give each description as its "
                "own argument, t.probe(\"a:b:c:entry\", \"a:b:d:entry\")")
    if not text:
        return "empty probe description"
    fields = text.split(":")
    if len(fields) > 4:
        return (f"probe description {text!r} has {len(fields)} fields; at most four "
                "(provider:module:function:name)")
    global _field_ok
    if _field_ok is None:
        _field_ok = re.compile(_FIELD).fullmatch
    for field in fields:
        if not _field_ok(field):
            bad = next((c for c in field if not re.match(_FIELD_CHAR, c)), None)
            what = f"the character {bad!r}" if bad else "a malformed macro variable"
            return f"malformed probe description {text!r}: {what} in field {field!r}"
        if field.count("[") != field.count("]"):
            return f"malformed probe description {text!r}: unbalanced [ ] in {field!r}"
    if all(not f for f in fields):
        return f"probe description {text!r} names nothing"
    return None


# --- can it match a probe (the probe-desc check) -----------------------------------------------

#: Units of profile-N probe names, in nanoseconds (None: a rate in hertz).  The profile provider
#: reads a unit in any case (strcasecmp: ``tick-1S``, ``profile-1SEC``, ``tick-1Hz`` are taken by
#: Oracle's dtrace 2.0, as by illumos' profile.c).
PROFILE_UNITS = {"ns": 1, "nsec": 1, "us": 1_000, "usec": 1_000, "ms": 1_000_000, "msec": 1_000_000,
                 "s": 10**9, "sec": 10**9, "m": 60 * 10**9, "min": 60 * 10**9, "h": 3600 * 10**9,
                 "hour": 3600 * 10**9, "d": 86400 * 10**9, "day": 86400 * 10**9, "hz": None, "": None}
_PROFILE = re.compile(r"(profile|tick)-(\d+)([a-zA-Z]*)$")
#: The profile provider refuses anything faster than 5000 Hz.
PROFILE_MIN_INTERVAL_NS = 200_000
#: Providers whose probes are only ever named entry or return.
ENTRY_RETURN_PROVIDERS = ("fbt", "syscall")
_PID_NAME = re.compile(r"(entry|return|[0-9a-fA-F]+)$")
#: cpc probe names: event-mode[-attributes]-count (illumos' dcpc, Oracle's dt_prov_cpc.c).  A
#: count spelled as a name is left alone: under ``dtrace -C`` it may be a macro
#: (``cpu_clock-all-PERIOD`` with ``-DPERIOD=...``).
_CPC_NAME = r"[^-]+(-[^-]+)+-([0-9]+|0[xX][0-9a-fA-F]+|[A-Za-z_][A-Za-z0-9_]*)$"  # (compiled when used)


def _unclosed_bracket(field: str) -> bool:
    """Does a glob open a ``[`` (not escaped) with no ``]`` after it?  (dtrace's gmatch then
    matches nothing: ``syscall::rea[d:entry``.)"""
    i = 0
    while i < len(field):
        c = field[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            return "]" not in field[i + 1:]
        i += 1
    return False


def _case_hint(name: str) -> str:
    lowered = name[:name.index("-") + 1].lower() + name[name.index("-") + 1:] if "-" in name else name
    if lowered != name and _PROFILE.match(lowered):
        return f" (probe names are case-sensitive: {lowered})"
    return ""


def case_warning(text: str) -> str | None:
    """A bare probe name that is a profile probe's in other capitals (``TICK-1s``): no profile
    probe has it (dtrace: "does not match any probes"), though a provider check does not know
    (a process's USDT provider) might; so a warning, where ``profile:::TICK-1s`` is an error."""
    if not text[:1].isupper() or ":" in text.rstrip(":") and text.count(":") != 3:
        return None
    provider, module, function, name = split(text)
    if provider or module or function or "-" not in name:
        return None
    hint = _case_hint(name)
    if not hint:
        return None
    return (f"no profile probe is named {name}, as probe names are case-sensitive (dtrace: \"does not "
            f"match any probes\"), and no other provider dtracepy knows has it: write {hint[hint.index(': ') + 2:-1]}")


def problem(text: str) -> str | None:
    """Why a probe description is malformed or can match no probe; None when it looks fine."""
    if not text.strip():
        return "empty"
    if _SPACE(text):  # (re's \s is str.isspace's set of characters)
        return "contains white space"
    parts = text.split(":")
    if len(parts) > 4:
        return f"has {len(parts)} fields; a probe description has at most 4 (provider:module:function:name)"
    provider, module, function, name = split(text)
    for field in (provider, module, function):
        if field in SPECIAL_PROBES:
            return f"{field} is a probe name (dtrace:::{field}), so it must stand alone or in the last field"
    if name in SPECIAL_PROBES and provider not in ("", "dtrace") and not is_glob(provider):
        return f"{name} is a probe of the dtrace provider, not of {provider}"
    if name in SPECIAL_PROBES and not (matches_empty(module) and matches_empty(function)):
        # (a glob that matches the empty field is fine: dtrace:*:*:BEGIN matches BEGIN)
        return f"{name} takes no module or function"
    for field in (provider, module, function, name):
        if "[" in field and _unclosed_bracket(field):
            return (f"{field!r} opens a [ it never closes: a glob with an unclosed bracket matches "
                    "nothing (dtrace: \"does not match any probes\")")
    if "$" in name:
        # a macro argument (tick-$1s, syscall::read:$1): dtrace puts the argument in first, so
        # the name is not known here
        return None
    match = _PROFILE.match(name)
    if match or name.startswith(("profile-", "tick-")):
        if provider not in ("", "profile") and not _matches(provider, "profile") or module or function:
            # (a provider glob that matches profile is fine, *:::tick-1s; a module or function is
            # not, not even *: dtrace makes a profile probe only for a description of none)
            return f"{name} is a probe of the profile provider: write profile:::{name}"
        if provider == "profile" or not is_glob(name):
            if not match:
                return "profile probes are named profile-N or tick-N with N a number and an optional unit"
            if len(match.group(2)) > 20:  # (and int() of a very long decimal raises)
                return "the profile interval is too large for 64 bits"
            number, unit = int(match.group(2)), match.group(3).lower()
            if unit not in PROFILE_UNITS:
                return f"unknown time unit {unit!r} (ns us ms s m h d hz)"
            scale = PROFILE_UNITS[unit]
            interval = (10**9 // number if number else 0) if scale is None else number * scale
            if number == 0 or interval < PROFILE_MIN_INTERVAL_NS:
                return "faster than the profile provider allows (at most 5000 Hz, at least 200us)"
    if provider == "profile" and name and not is_glob(name) and not match:
        return "profile probes are named profile-N or tick-N" + _case_hint(name)
    if provider in ENTRY_RETURN_PROVIDERS and name and not is_glob(name) and name not in (ENTRY, RETURN):
        return f"{provider} probes are named entry or return, not {name!r}"
    if provider == "cpc" and name and not is_glob(name) and "$" not in name and not re.match(_CPC_NAME, name):
        return ("cpc probes are named EVENT-MODE-COUNT (cpc:::cpu_clock-all-10000: an event, the mode "
                f"all, user or kernel, and the overflow count, a number), not {name!r}")
    if provider.startswith("pid") and name and not is_glob(name) and not _PID_NAME.match(name):
        return f"pid probes are named entry, return or an instruction offset, not {name!r}"
    return None
