"""dtrace's own messages on stderr, as structured warnings with counts.

dtrace reports trouble on stderr, one line per occurrence or per report interval:

    dtrace: 95372 dynamic variable drops
    dtrace: 12 dynamic variable drops with non-empty dirty list
    dtrace: 5 aggregation drops on CPU 1
    dtrace: 3 drops on CPU 0
    dtrace: 2 speculative drops
    dtrace: error on enabled probe ID 3 (ID 5: syscall::read:entry): invalid address (0x0) in action #1 at DIF offset 28
    dtrace: error in dt_clause_1 for probe ID 3626 (syscall:vmlinux:read:entry): invalid address (0x0) at BPF pc 1458

(the last form is Oracle's for Linux, the one before it illumos', FreeBSD's and macOS').
:class:`Messages` turns them into :class:`Warning` objects, one per kind (and per probe and
fault for errors) with the total count, so a storm of thousands of lines becomes one entry.
"""

from __future__ import annotations

import re

import attrs

_DROPS = re.compile(
    r"^dtrace: (?P<n>\d+) (?P<what>dynamic variable drops(?: with non-empty (?:dirty|rinsing) list)?"
    r"|aggregation drops|drops|speculative drops|failed speculations?[^\n]*?|errors?)"
    r"(?: on CPU (?P<cpu>\d+))?\s*(?P<rest>.*)$")
_ERROR_ILLUMOS = re.compile(
    r"^dtrace: error on enabled probe ID \d+ \(ID \d+: (?P<probe>[^)]*)\): (?P<fault>.*?)"
    r"(?: in action #\d+)?(?: at DIF offset \d+)?$")
_ERROR_ORACLE = re.compile(
    r"^dtrace: error in (?P<clause>\S+) for probe ID \d+ \((?P<probe>[^)]*)\): (?P<fault>.*?)(?: at BPF pc \d+)?$")
# Oracle's name for the Nth clause (from 0) of the script
_CLAUSE = re.compile(r"dt_clause_(\d+)")
_FAULT_ADDR = re.compile(r"\s*\(0x[0-9a-fA-F]+\)")

# Oracle's dtrace when the kernel's BPF verifier refuses a program it made (the verifier's log, every
# line "BPF: ...", comes first): no privilege problem, though the kernel's errno is often EACCES
_BPF_LOAD = re.compile(r"^dtrace: could not enable tracing: BPF program load for '(?P<probe>[^']*)' "
                       r"failed: (?P<why>.*)$")
VERIFIER_LOG_PREFIX = "BPF: "
# what Oracle's dtrace prints instead of the log when the log outgrew its buffer (bpflogsize)
_VERIFIER_LOG_INCOMPLETE = re.compile(
    r"^(?:BPF verifier log is incomplete and is not reported\."
    r"|Set DTrace option 'bpflogsize' to some greater size for more output\."
    r"|\(Current size is (?P<size>\d+)\.\))$")
# the verifier's closing statistics, after its reason
_VERIFIER_STATS = re.compile(r"(verification time |stack depth |processed \d+ insns)")
_VERIFIER_INSN = re.compile(r"\d+: |; |func#|Live regs|\s*$")


def bpf_load_failure(line: str) -> tuple[str, str] | None:
    """(the probe, the kernel's error) when ``line`` says the kernel refused dtrace's BPF
    program for a probe, else None."""
    m = _BPF_LOAD.match(line.rstrip("\n"))
    return (m["probe"], m["why"]) if m else None


def is_verifier_log(line: str) -> bool:
    """Whether a line of dtrace's stderr belongs to the verifier's log: a line of it, or dtrace's
    three lines saying it kept none (they come before the failure, and are part of its story)."""
    return line.startswith(VERIFIER_LOG_PREFIX) or _VERIFIER_LOG_INCOMPLETE.match(line) is not None


def verifier_reason(log: list[str]) -> str | None:
    """The verifier's own reason for refusing a program: the last line of its ``log`` that is
    neither an instruction nor a closing statistic (``R1 type=scalar expected=map_ptr``); when
    dtrace kept none of the log, that."""
    reason = VerifierReason()
    for line in log:
        reason.add(line)
    return reason.reason


class VerifierReason:
    """:func:`verifier_reason` of a log read a line at a time (``add``), ready after each: a run
    asks it at each refusal, and read whole each time a log of N lines and N refusals (a stand-in
    dtrace's) cost the square of N (review 28: 4,000 of each, 38 s)."""

    __slots__ = ("_size", "_last")

    def __init__(self):
        self._size: str | None = None       # the last size dtrace said the log outgrew
        self._last: str | None = None       # the last line neither an instruction nor a statistic

    def add(self, line: str) -> None:
        m = _VERIFIER_LOG_INCOMPLETE.match(line)
        if m is not None and m["size"]:
            self._size = m["size"]
        text = line[len(VERIFIER_LOG_PREFIX):] if line.startswith(VERIFIER_LOG_PREFIX) else line
        if not _VERIFIER_STATS.match(text) and not _VERIFIER_INSN.match(text):
            self._last = text.strip()

    @property
    def reason(self) -> str | None:
        if self._size is not None:
            return (f"its log was longer than dtrace keeps (bpflogsize, {self._size} bytes), and dtrace "
                    f"reported none of it")
        return self._last


KINDS = {
    "dynamic variable drops": "dynvar-drops",
    "aggregation drops": "aggregation-drops",
    "drops": "drops",
    "speculative drops": "speculative-drops",
}


@attrs.define
class Warning:  # noqa: A001 - the name users expect
    """One kind of trouble dtrace reported: ``kind`` (``dynvar-drops``, ``dynvar-dirty-drops``,
    ``aggregation-drops``, ``drops``, ``speculative-drops``, ``failed-speculations``,
    ``error``, ``message``, ``decode``: dtracepy could not decode an aggregation exactly), ``count`` (the sum of the counts dtrace gave), ``probe`` and
    ``fault`` for errors (``invalid address``), ``message`` the last line as dtrace wrote it;
    ``where`` the user's line of the clause that faulted (``tcpq.py:14``), when dtrace names
    the clause (Oracle's does)."""

    kind: str
    count: int
    message: str
    probe: str | None = None
    fault: str | None = None
    cpu: int | None = None
    where: str | None = None

    def render(self) -> str:
        if self.kind == "error":
            head = f"{self.where}: warning:" if self.where else "dtracepy: warning:"
            return f"{head} {self.count} error(s) on {self.probe}: {self.fault}"
        if self.kind in ("message", "decode"):
            return self.message
        return f"dtracepy: warning: {self.count} {self.kind.replace('-', ' ')}"

    def as_dict(self) -> dict:
        return {k: v for k, v in attrs.asdict(self).items() if v is not None}


def classify(line: str, clause_origin=None):
    """(key, Warning) for one stderr line of dtrace, or None for a line that is not a warning.
    ``clause_origin(n)`` is where the script's clause ``n`` (from 0) came from, or None."""
    line = line.rstrip("\n")
    m = _DROPS.match(line)
    if m:
        what = m["what"]
        if what.startswith("dynamic variable drops with"):
            kind = "dynvar-dirty-drops"
        elif what.startswith("failed speculation"):
            kind = "failed-speculations"
        elif what.startswith("error"):
            kind = "errors"
        else:
            kind = KINDS[what]
        cpu = int(m["cpu"]) if m["cpu"] else None
        return (kind,), Warning(kind, int(m["n"]), line, cpu=cpu)
    m = _ERROR_ILLUMOS.match(line) or _ERROR_ORACLE.match(line)
    if m:
        fault = _FAULT_ADDR.sub("", m["fault"]).strip()
        probe = m["probe"]
        clause = _CLAUSE.fullmatch(m.groupdict().get("clause") or "")
        where = clause_origin(int(clause.group(1))) if clause and clause_origin else None
        where = None if where is None else str(where)
        return ("error", probe, fault, where), Warning("error", 1, line, probe=probe, fault=fault, where=where)
    return None


class Messages:
    """Accumulates dtrace's warnings, merged by kind.  Other lines are not kept here: the run
    keeps them once, within its bound (:meth:`dtracepy.run.runner.Tracing._keep_stderr`)."""

    def __init__(self, clause_origin=None):
        self.by_key: dict[tuple, Warning] = {}
        self.clause_origin = clause_origin

    def add(self, line: str):
        """Record one line; returns the updated Warning, or None for a plain message."""
        found = classify(line, self.clause_origin)
        if found is None:
            return None
        key, warning = found
        old = self.by_key.get(key)
        if old is None:
            self.by_key[key] = warning
            return warning
        old.count += warning.count
        old.message = warning.message
        if old.cpu != warning.cpu:
            old.cpu = None
        return old

    @property
    def warnings(self) -> list[Warning]:
        return list(self.by_key.values())

    @property
    def drops(self) -> int:
        return sum(w.count for w in self.by_key.values() if w.kind.endswith("drops"))


def no_if_else_note(written_for: str | None, runs_on: str | None) -> str | None:
    """The note after dtrace's ``syntax error near "if"`` when this dtrace's D has no if/else
    (Oracle's D 2.0) and the tracer was compiled for a dialect that has them (``--dialect illumos``:
    review 11, finding 14), or a D script uses them; None when this dtrace has them."""
    from dtracepy.facts.dialects import dialect_named

    if runs_on is None or dialect_named(runs_on).has_if_else:
        return None
    here = dialect_named(runs_on).title
    if written_for and dialect_named(written_for).has_if_else:
        return (f"this tracer is compiled for {dialect_named(written_for).title}, whose D has if/else, and this "
                f"dtrace ({here}) has none: without --dialect (or with --dialect {runs_on}) dtracepy compiles "
                "for the dtrace that runs it, and turns if_/else_ into predicated clauses")
    return (f"this dtrace ({here}) has no if/else: write each branch as a clause with a predicate, or write "
            "the tracer with dtracepy, whose if_/else_ become such clauses")


def unknown_type_note(name: str, written_for: str | None, runs_on: str | None) -> str:
    """The note after dtrace's "syntax error" on a line that casts to ``name``, a typedef name
    this dtrace does not know: dtrace's parser takes an unknown type name for a variable, so it
    never says which name it does not know.  ``written_for``: the dialect the tracer names (or
    None), ``runs_on``: this dtrace's."""
    from dtracepy.facts.dialects import dialect_named

    here = f" ({dialect_named(runs_on).title})" if runs_on else ""
    note = (f"{name}, which this line casts to, is no type this dtrace{here} knows, and dtrace reads a "
            f"cast to an unknown type name as a syntax error: kernel types are those of the kernel dtrace "
            f"runs on")
    if written_for and runs_on and written_for != runs_on:
        note += (f", and this tracer is written for {dialect_named(written_for).title} (its dialect), "
                 f"whose kernel types are not this kernel's")
    return (note + "; declare the type (typedef), or read its fields at their byte offsets as standard "
            "integer types, which need no kernel type")
