"""Running dtrace: the process, and the threads that decode it.

:class:`Tracing` runs a :class:`~dtracepy.run.script.Prepared` script (:func:`run` prepares it:
:mod:`dtracepy.run.script`): a reader thread decodes stdout into events as they arrive, another
reads stderr into warnings; the caller iterates ``records()``/``events()`` from its own thread, or
stops the run with :meth:`~Tracing.stop` from any thread: it returns at once, and a stopping thread
of the run's own (:mod:`dtracepy.run.stopping`) sends dtrace its SIGINT when dtrace handles it,
ends the command of ``-c`` if dtrace does not end, and kills dtrace (with what it started) after
``stop_timeout``, wherever the consumer is blocked.  Which dtrace runs:
:mod:`dtracepy.run.dtrace_binary`; its command line: :mod:`dtracepy.run.argv`; the arguments of a
run, checked first: :mod:`dtracepy.run.arguments`; the process: :mod:`dtracepy.run.process`.
"""

from __future__ import annotations

import collections
import os
import re
import select
import subprocess
import tempfile
import threading
import time

from dtracepy.run import framing, origins
from dtracepy.run.argv import STARTED_SCRIPT, command
from dtracepy.run.arguments import check_arguments
from dtracepy.run.decode import STARTED, Decoder, Printed, Text
from dtracepy.run.dtrace_binary import PRIV_MESSAGES, check_privileges, detect_dialect, find_dtrace, unknown_types
from dtracepy.run.errors import DTraceFailed, RunArgumentError, RunError
from dtracepy.run.messages import (Messages, VerifierReason, bpf_load_failure, is_verifier_log, no_if_else_note,
                                   unknown_type_note)
from dtracepy.run.leftovers import remove_stale_events
from dtracepy.run.process import launch
from dtracepy.run.script import Prepared, prepare
from dtracepy.run.stopping import Stopper
from dtracepy.source import Pos, shown_name, user_pos


_MATCHED = re.compile(r"(dtrace: script '.*' matched )(\d+)( probes?)$")


def _unframed_matched(line: str, added: int) -> str:
    """dtrace's "matched N probes", without the probes of the clauses the framing added."""
    if not added:
        return line
    m = _MATCHED.match(line.rstrip("\n"))
    if m is None:
        return line
    n = max(0, int(m.group(2)) - added)
    return f"{m.group(1)}{n} probe{'' if n == 1 else 's'}" + line[m.end():]


# --- the run -----------------------------------------------------------------------------------
_END = object()
_PAUSE = 0.05   # seconds without output after which an unfinished line is shown as it stands
_GRACE = 1.0    # seconds without output, once dtrace ended, before its pipes are let go
# seconds of output at most, once dtrace ended, before its pipes are let go: what dtrace wrote is
# in the pipe by then (it could not exit with more than a pipe's buffer unread), and a process it
# left behind that never stops writing (`-c 'yes &'`) must not keep the run going for ever
_MOST_AFTER_EXIT = 5.0
# dtrace's standard error (its command's too, under -c) is read a line of at most this many bytes
# at a time, and what is kept for the end of the run is at most _STDERR_KEPT characters, then the
# last _STDERR_TAIL lines: a command that writes there without end must not grow dtracepy's memory
_STDERR_LINE = 1 << 16
_STDERR_KEPT = 1 << 20
_STDERR_TAIL = 200
# the most probes whose BPF refusals are located at their clauses (dtrace reports the first and
# stops; each costs a walk of the program's clauses)
_LOCATED_REFUSALS = 64


class Tracing:
    """A running dtrace.  Use it as a context manager (``with t.run(...) as tracing:``).

    * ``records()`` yields each record row as it arrives, until dtrace ends;
    * ``events()`` yields rows, :class:`~dtracepy.run.decode.Text` and
      :class:`~dtracepy.run.decode.Printed` events in the order dtrace printed them;
    * ``aggregations``: each aggregation by name, as last printed (complete once dtrace ended);
    * ``warnings``: dtrace's drops and errors, merged, with counts;
    * ``verifier_log``: the kernel's BPF verifier log when it refused dtrace's program (its
      reason is in the error message);
    * ``stop()`` asks dtrace to end (SIGINT: its END clauses run and aggregations print) and
      returns at once; ``wait()`` waits for the end and returns dtrace's exit status;
    * ``events()``/``records()`` raise :class:`DTraceFailed` when dtrace refused the tracer
      before it traced (``raise_on_failure``).

    Only one of ``records()``/``events()`` should be iterated; events not consumed wait in
    memory (``records()`` drops text events as it goes).
    """

    def __init__(self, prepared: Prepared, *, dtrace: str | None = None, args=(), target_cmd=None,
                 pid: int | None = None, duration: float | None = None, destructive: bool = False,
                 zdefs: bool = False, quiet: bool | None = None, options=None, on_warning=None,
                 stop_timeout: float = 30.0, check_privileges_first: bool = True, where: Pos | None = None):
        check_arguments(duration=duration, args=args, target_cmd=target_cmd, pid=pid, options=options,
                        stop_timeout=stop_timeout, where=where or user_pos())
        self.prepared = prepared
        self.dtrace = find_dtrace(dtrace)
        self.duration = duration
        self.stop_timeout = stop_timeout
        self.on_warning = on_warning
        self._dir = tempfile.TemporaryDirectory(prefix="dtracepy-run-")
        base = re.sub(r"[^\w.-]", "_", os.path.basename(prepared.name)) or "tracer"
        if not base.endswith(".d"):
            base += ".d"
        self.script_path = os.path.join(self._dir.name, base)
        try:
            self.argv = command(prepared, self.script_path, self.dtrace, args=args,
                                target_cmd=target_cmd, pid=pid, destructive=destructive, zdefs=zdefs,
                                quiet=quiet, options=options)
        except BaseException:
            self._dir.cleanup()
            raise
        self._check_privileges = check_privileges_first
        self.decoder = Decoder(prepared.plan)
        self.messages = Messages(origins.clause_origins(prepared.program))
        self.started: float | None = None
        self.process: subprocess.Popen | None = None
        self.returncode: int | None = None
        self._events: collections.deque = collections.deque()
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        # dtrace's output ends when every process holding its pipes has ended: a command of
        # -c that leaves a process in the background ("sleep 60 &") holds them after dtrace
        # exits.  Then the readers are abandoned once they read nothing for _GRACE seconds.
        self._feed_lock = threading.Lock()
        self._read_count = 0
        self._stdout_ended = threading.Event()
        self._abandoned = False
        self._sigint_newline = False    # dtrace's newline for the SIGINT may come (see _push)
        self._exited = threading.Event()        # dtrace has exited (the reaper saw it)
        self._timer: threading.Timer | None = None
        self._started = threading.Event()      # dtrace is tracing (its first BEGIN ran)
        self._stopper = Stopper(target_cmd=target_cmd is not None, started=self._started,
                                exited=self._exited, on_sigint=self._expect_sigint_newline)
        self.stderr_lines: list[str] = []
        self._stderr_kept = 0           # characters in stderr_lines (at most _STDERR_KEPT)
        self._stderr_tail: collections.deque = collections.deque(maxlen=_STDERR_TAIL)
        self._stderr_dropped = 0        # lines past _STDERR_KEPT that the tail no longer holds
        self._stderr_lock = threading.Lock()   # (the reader may still add while wait() ends it)
        # the kernel's BPF verifier's log ("BPF: ..." lines), when it refused a program: kept
        # here, not among stderr_lines (thousands of lines); the refusal itself is one message
        self.verifier_log: list[str] = []
        self._verifier_reason = VerifierReason()    # (of verifier_log, kept as it grows)
        self._refused_at: dict[str, str] = {}      # probe -> where its clause is (at most _LOCATED_REFUSALS)
        self._bpf_refused = False
        # dtrace's first "syntax error" about the script: (its line in the script, its index in
        # stderr_lines), for a note on the unknown types that line names (_explain_syntax_error)
        self._syntax_error: tuple[int, int] | None = None
        self.error: BaseException | None = None
        self.raise_on_failure = True

    # --- life cycle -----------------------------------------------------------------------
    def start(self) -> "Tracing":
        if self._check_privileges:
            check_privileges()
        with open(self.script_path, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(self.prepared.text)
        if not self.prepared.plan.framed:
            # The duration counts from when dtrace traces, framed or not: a SIGINT while dtrace
            # still compiles would kill it without a word (and without its END clauses).
            from dtracepy.printer import to_d

            with open(os.path.join(self._dir.name, STARTED_SCRIPT), "w", encoding="utf-8") as handle:
                handle.write(to_d(framing.started_script(self.prepared.plan.token)))
        # a killed dtrace's probe events would make this one fail if it got the same pid
        remove_stale_events()
        self.started = time.monotonic()
        try:
            self.process = launch(self.argv)
        except OSError as err:
            self._dir.cleanup()
            raise RunError(f"cannot run {self.dtrace}: {err.strerror}") from None
        self._stopper.process = self.process
        out = threading.Thread(target=self._read_stdout, name="dtracepy-stdout", daemon=True)
        err = threading.Thread(target=self._read_stderr, name="dtracepy-stderr", daemon=True)
        reaper = threading.Thread(target=self._reap, name="dtracepy-reaper", daemon=True)
        self._threads = [out, err]
        out.start()
        err.start()
        reaper.start()
        return self

    def _on_started(self) -> None:
        if self._started.is_set():
            return
        self._started.set()
        if self.duration is not None:
            self._timer = threading.Timer(self.duration, self.stop)
            self._timer.daemon = True
            self._timer.start()

    def wait_started(self, timeout: float | None = None) -> bool:
        """Wait until dtrace traces (its probes are enabled); False if it ended or timed out
        first.  Work to be observed should start after this."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._started.wait(0.1):
            if self.process is None or self.process.poll() is not None:
                return self._started.is_set()
            if deadline is not None and time.monotonic() > deadline:
                return False
        return True

    def __enter__(self) -> "Tracing":
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.process is not None and self.process.poll() is None:
            self.stop()
        self.wait()

    def stop(self, within: float | None = None) -> None:
        """Ask dtrace to end, as Ctrl-C does (its END clauses run and it prints its aggregations);
        returns at once.  A thread of its own sends dtrace one SIGINT as soon as dtrace handles it
        (once it traces, and not while a ``system()`` command of its runs); with ``-c``, if dtrace
        has not ended ``stopping._NUDGE`` seconds after it traced and was asked to stop, its command is
        sent SIGTERM (dtrace ends when its command does, END clauses and all); and dtrace, with whatever it started, is killed if it has not ended within
        ``stop_timeout`` seconds of the first stop, or ``within`` seconds of this one, wherever
        the caller is waiting.  Only one SIGINT is ever sent: a second makes dtrace skip
        printing its aggregations."""
        if self._timer is not None:
            self._timer.cancel()
        self._stopper.stop(self.stop_timeout if within is None else within)

    def kill(self) -> None:
        """Kill dtrace and what it started (its process group: the command of ``-c``, those of
        ``system()``), so that nothing holds its output."""
        self._stopper.kill()

    @property
    def killed_after(self) -> float | None:
        """Seconds after the stop at which dtrace, not ended, was killed (None: it was not)."""
        return self._stopper.killed_after

    @property
    def output_complete(self) -> bool:
        """dtrace printed all it prints: dtracepy's last END clause ran (after the user's END
        clauses and every aggregation's printing), so nothing was lost, even if dtrace was then
        killed while it released its probes (on Linux each takes an RCU grace period:
        ``syscall:::entry``'s 360 took 27 s on the test VM).  Always False for a script run
        unframed."""
        return self.decoder.ended

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for dtrace and the decoding of all its output; its exit status (None on timeout).
        After ``stop()``, dtrace is killed if it has not ended within ``stop_timeout``."""
        if self.process is None:
            return None
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            self.returncode = self.process.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return None
        self._stdout_ended.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        # the stderr reader ends with the stdout one, unless the pipes were let go (then what
        # dtrace wrote has been read by now: it ended a _GRACE ago)
        bound = 0.1 if self._abandoned else _GRACE
        for thread in self._threads:
            if not (self._abandoned and thread.name == "dtracepy-stdout"):
                thread.join(bound if deadline is None else max(0.0, min(bound, deadline - time.monotonic())))
        if self._timer is not None:
            self._timer.cancel()
        self._end_stderr()
        if self.returncode and self._syntax_error is not None:
            self._explain_syntax_error()
        self._dir.cleanup()
        return self.returncode

    def _explain_syntax_error(self) -> None:
        """After dtrace's "syntax error" on a line that casts to a typedef name this dtrace does not
        know (``(tcp_t *)arg0`` of a tracer written for Solaris, run on Linux), a note saying so,
        where the user wrote the cast: dtrace's parser reads an unknown type name as an identifier,
        and says only ``syntax error near ")"``."""
        number, index = self._syntax_error
        self._syntax_error = None  # (once)
        prepared = self.prepared
        said = self.stderr_lines[index] if index < len(self.stderr_lines) else ""
        if re.search(r'syntax error near "(if|else)"', said):
            note = no_if_else_note(prepared.dialect, detect_dialect(self.dtrace))
            if note:
                where = said.split(": error:", 1)[0] if ": error:" in said else shown_name(prepared.name)
                self.stderr_lines.insert(index + 1, f"{where}: note: {note}")
            return
        named = origins.types_on_line(prepared.program, prepared.text, number, prepared.name)
        unknown = set(unknown_types(self.dtrace, [n for n, _ in named])) if named else set()
        if not unknown:
            return
        runs_on = detect_dialect(self.dtrace)
        notes = [f"{where or shown_name(prepared.name)}: note: {unknown_type_note(name, prepared.dialect, runs_on)}"
                 for name, where in named if name in unknown]
        self.stderr_lines[index + 1:index + 1] = notes

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def elapsed(self) -> float:
        return 0.0 if self.started is None else time.monotonic() - self.started

    # --- reading --------------------------------------------------------------------------
    def _expect_sigint_newline(self) -> None:
        self._sigint_newline = True     # the next text may be dtrace's newline for the SIGINT

    def _push(self, events) -> None:
        if events and self._sigint_newline:
            events = self._without_sigint_newline(events)
        if events:
            with self._cond:
                self._events.extend(events)
                self._cond.notify_all()

    def _without_sigint_newline(self, events) -> list:
        """``events`` without the newline dtrace prints on its first SIGINT (cmd/dtrace.c: "just
        to make the output look slightly cleaner", even under -q): the first text after the stop's
        SIGINT, if it is a lone newline.  At worst (a blank line of the script's own printed, or
        read, just then) a blank line is dropped in place of dtrace's, which then shows: the same
        text, a line apart."""
        for i, event in enumerate(events):
            if event.__class__ is Text:
                self._sigint_newline = False
                if event == "\n":
                    return events[:i] + events[i + 1:]
                break
        return events

    def _read_stdout(self) -> None:
        fd = self.process.stdout.fileno()
        try:
            while True:
                data = os.read(fd, 1 << 16)
                with self._feed_lock:
                    if self._abandoned:
                        return
                    self._read_count += 1
                    if not data:
                        self._end_output()
                        return
                    events = self.decoder.feed(data)
                    if events and STARTED in events:
                        events = [e for e in events if e is not STARTED]
                        self._on_started()
                    self._push(events)
                if not select.select([fd], [], [], _PAUSE)[0]:
                    # dtrace paused mid-line: show what it printed so far, as dtrace does
                    with self._feed_lock:
                        if not self._abandoned:
                            self._push(self.decoder.unfinished_text())
        except BaseException as err:  # noqa: BLE001 - reported to the consumer
            with self._feed_lock:
                if not self._stdout_ended.is_set():
                    self.error = err
                    self._end_output(decode_rest=False)

    def _end_output(self, decode_rest: bool = True) -> None:
        """The end of dtrace's output (with ``_feed_lock`` held): decode what is pending, then
        the end marker."""
        try:
            if decode_rest:
                self._push([e for e in self.decoder.close() if e is not STARTED])
        except BaseException as err:  # noqa: BLE001 - reported to the consumer
            self.error = err
        finally:
            with self._cond:
                self._events.append(_END)
                self._cond.notify_all()
            self._stdout_ended.set()

    def _reap(self) -> None:
        """After dtrace exits, give its output _GRACE seconds without a read to end, and
        _MOST_AFTER_EXIT seconds in all; a process still holding the pipe then does not keep the
        run (or Ctrl-C) waiting, even one that writes without a pause."""
        self.process.wait()
        self._exited.set()
        seen = self._read_count
        last = time.monotonic() + _MOST_AFTER_EXIT
        while not self._stdout_ended.wait(_GRACE):
            with self._feed_lock:
                if self._stdout_ended.is_set():
                    return
                if self._read_count == seen or time.monotonic() >= last:
                    self._abandoned = True
                    self._end_output()
                    return
                seen = self._read_count

    def _read_stderr(self) -> None:
        prepared = self.prepared
        after_compile_error = False
        stderr = self.process.stderr
        for raw in iter(lambda: stderr.readline(_STDERR_LINE), b""):
            line = raw.decode("utf-8", "replace")
            if STARTED_SCRIPT in line and _MATCHED.match(line.rstrip("\n")):
                continue        # the notice of dtracepy's own started script
            if is_verifier_log(line.rstrip("\n")):
                self.verifier_log.append(line.rstrip("\n"))
                self._verifier_reason.add(line.rstrip("\n"))
                continue
            line = _unframed_matched(line, prepared.plan.added_clauses)
            located = origins.locate_compile_error(line.rstrip("\n"), prepared.program, prepared.text,
                                                   self.script_path, prepared.name)
            if located is None and after_compile_error:   # (its "previous: ... : line N")
                located = origins.locate_continuation(line.rstrip("\n"), prepared.program, prepared.text)
            after_compile_error = located is not None or (after_compile_error and line.startswith("\t"))
            located = located or self._bpf_refusal(line)
            if located is not None:
                error = origins.compile_error_line(line.rstrip("\n"), self.script_path)
                if error is not None and error[1].startswith("syntax error") and self._syntax_error is None:
                    self._syntax_error = (error[0], len(self.stderr_lines))  # (explained by wait())
                line = located + "\n"
            warning = self.messages.add(line)
            if warning is None:
                self._keep_stderr(line.rstrip("\n").replace(self.script_path, prepared.name))
            if self.on_warning is not None:
                self.on_warning(warning, line.rstrip("\n"))

    def _keep_stderr(self, line: str) -> None:
        """Keep a line of standard error for the end of the run: the first _STDERR_KEPT
        characters of them, then the last _STDERR_TAIL lines (see :meth:`_end_stderr`)."""
        with self._stderr_lock:
            if self._stderr_kept + len(line) <= _STDERR_KEPT and not self._stderr_tail:
                self._stderr_kept += len(line)
                self.stderr_lines.append(line)
                return
            if len(self._stderr_tail) == _STDERR_TAIL:
                self._stderr_dropped += 1
            self._stderr_tail.append(line)

    def _end_stderr(self) -> None:
        """The kept lines, a note of those left out, then the last ones."""
        with self._stderr_lock:
            if self._stderr_dropped:
                self.stderr_lines.append(f"dtracepy: note: {self._stderr_dropped} more lines of standard error "
                                         f"(dtrace's and its command's) were not kept, past the first "
                                         f"{_STDERR_KEPT >> 20} MiB; the last {len(self._stderr_tail)} follow")
            self.stderr_lines.extend(self._stderr_tail)
            self._stderr_tail.clear()
            self._stderr_dropped = 0
            self._stderr_kept = _STDERR_KEPT    # (a line read after this is not kept)

    def _bpf_refusal(self, line: str) -> str | None:
        """dtrace's "BPF program load for 'P' failed" as one located error with the verifier's
        reason, or None for another line."""
        found = bpf_load_failure(line)
        if found is None:
            return None
        self._bpf_refused = True
        probe, why = found
        head = self._refused_at.get(probe)
        if head is None:
            # (each a walk of every clause: a stand-in dtrace's refusals of ever other probes
            # are located up to a bound, then named by the tracer)
            where = origins.clause_of_probe(self.prepared.program, probe) \
                if len(self._refused_at) < _LOCATED_REFUSALS else None
            head = str(where) if where is not None else shown_name(self.prepared.name)
            if len(self._refused_at) < _LOCATED_REFUSALS:
                self._refused_at[probe] = head
        reason = self._verifier_reason.reason
        return (f"{head}: error: the kernel's BPF verifier refused the program dtrace made for "
                f"{probe}" + (f": {reason}" if reason else "")
                + f" [dtrace: BPF program load failed: {why}]")

    def events(self):
        """Every event in order, as it arrives; ends when dtrace's output ends."""
        if self.process is None:
            # (review 18b: `tracing = t.run(...)` without `with`: records() waited for ever)
            raise RunError("this run was never started: use it as `with t.run(...) as tracing:`, "
                           "or call tracing.start() first", user_pos())
        while True:
            with self._cond:
                while not self._events:
                    self._cond.wait(0.5)
                event = self._events.popleft()
            if event is _END:
                with self._cond:
                    self._events.appendleft(_END)   # later iterations end at once
                if self.error is not None:
                    raise self.error
                self._raise_failure()
                return
            yield event

    def _raise_failure(self) -> None:
        """dtrace refused the tracer (it ended with an error before it traced: a compile error,
        an option it does not take, no such process): a DTraceFailed with its located messages,
        unless ``raise_on_failure`` is off (the command line prints them itself)."""
        if not self.raise_on_failure or self._started.is_set() or self._stopper.wanted:
            return
        if self.wait(_GRACE * 5) in (0, None):
            return
        raise DTraceFailed(self.failure() or f"dtrace exited with status {self.returncode}")

    def records(self):
        """The record rows, as they arrive (text events and aggregation blocks are skipped)."""
        for event in self.events():
            if isinstance(event, tuple):
                yield event

    @property
    def aggregations(self) -> dict:
        return self.decoder.aggregations

    @property
    def warnings(self) -> list:
        return self.messages.warnings + self.decoder.warnings

    @property
    def counts(self) -> dict:
        return self.decoder.counts

    def failure(self) -> str | None:
        """Why dtrace failed, from its stderr, when it exited non-zero."""
        if self.returncode in (0, None):
            return None
        text = "\n".join(self.stderr_lines).strip()
        if not self._bpf_refused and any(m in text for m in PRIV_MESSAGES):
            return f"dtrace is not privileged enough to trace here: {text}"
        return text or f"dtrace exited with status {self.returncode}"


def _refuse_options_of_other_dialects(options, detected: str | None, dtrace: str | None,
                                      where) -> None:
    """A RunArgumentError for an ``-x`` option only another DTrace has (``-x aggzoom`` for
    Oracle's: dtrace said "failed to set -x aggzoom: Invalid option name"), once the dialect of
    the dtrace that runs is known (``dtrace -V``, asked only when such an option is given)."""
    from dtracepy.facts import options as _options

    restricted = [name for name in (options or {}) if name not in _options.COMMAND_LINE_ONLY
                  and getattr(_options.option(name), "dialects", None) is not None]
    if not restricted:
        return
    runs_on = detected if detected is not None else detect_dialect(dtrace)
    for name in restricted if runs_on is not None else ():
        problem = _options.name_problem(name, runs_on)
        if problem is not None:
            raise RunArgumentError(f"-x {name}: {problem}, and the dtrace that runs is {runs_on}'s", where)


def run(source, *, duration: float | None = None, args=(), target_cmd=None, pid: int | None = None,
        dtrace: str | None = None, destructive: bool = False, zdefs: bool = False,
        quiet: bool | None = None, options=None, tracer_name: str | None = None, frame: bool = True,
        on_warning=None, dialect=None, stop_timeout: float = 30.0) -> Tracing:
    """A :class:`Tracing` (not started: use it in a ``with`` block, or call ``start()``).

    ``source`` is a Tracer, a tracer module (``.py``) or a D script; ``args`` the macro arguments
    ($1 ...); ``target_cmd``/``pid`` the process of ``$target`` (dtrace ``-c``/``-p``);
    ``duration`` seconds before the run is stopped as Ctrl-C would; ``destructive`` allows
    destructive actions (``-w``); ``zdefs`` lets probe descriptions match nothing (``-Z``);
    ``options`` become ``-x name=value``; a tracer is compiled for ``dialect`` if given, else
    for its own if it names one, else for the dialect of the dtrace that runs it (``dtrace -V``:
    Oracle's D has no ``if``, so ``if_`` is lowered for it); ``stop_timeout`` seconds after a
    stop, dtrace and what it started are killed if they have not ended."""
    where = user_pos()
    check_arguments(duration=duration, args=args, target_cmd=target_cmd, pid=pid, options=options,
                    stop_timeout=stop_timeout, where=where)
    detected = None if str(source).endswith(".d") else detect_dialect(dtrace)
    _refuse_options_of_other_dialects(options, detected, dtrace, where)
    prepared = prepare(source, tracer_name, frame, dialect=dialect, detected=detected, destructive=destructive,
                       detect=lambda: detect_dialect(dtrace))
    return Tracing(prepared, dtrace=dtrace, args=args, target_cmd=target_cmd, pid=pid,
                   duration=duration, destructive=destructive, zdefs=zdefs, quiet=quiet,
                   options=options, on_warning=on_warning, stop_timeout=stop_timeout, where=where)


__all__ = ["RunError", "RunArgumentError", "DTraceFailed", "Tracing", "run", "prepare", "find_dtrace", "Printed", "Text"]
