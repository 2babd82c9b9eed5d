"""``dtracepy run TRACER.py|SCRIPT.d [options] [-- ARGS...]``: run under the real dtrace and write
its records, text and aggregations as a table, CSV or JSON lines.

Ctrl-C is forwarded to dtrace once (its END clauses run and it prints its aggregations, which
are decoded and written before dtracepy exits); ``--duration`` does the same after so many
seconds.  The exit status is dtrace's.  dtrace's warnings (drops, errors) go to stderr, merged
with counts, at the end; on a terminal a one-line status shows while the tracer runs.
"""

from __future__ import annotations

import signal
import sys
import threading


def _status_line(tracing, stream, done: threading.Event) -> None:
    while not done.wait(0.5):
        counts = tracing.counts
        stream.write(f"\r\033[K[dtracepy] {tracing.elapsed:6.1f}s  {counts['records']} records  "
                     f"{tracing.messages.drops} drops  "
                     f"{sum(w.count for w in tracing.warnings if w.kind == 'error')} errors")
        stream.flush()
    stream.write("\r\033[K")
    stream.flush()


def default_format(output: str | None) -> str:
    """``table``, unless ``-o`` names a ``.csv``, ``.jsonl`` or ``.json`` file (in any case:
    ``x.CSV`` is a CSV file too)."""
    output = output.lower() if output else output
    if output and output.endswith(".csv"):
        return "csv"
    if output and output.endswith(".jsonl"):
        return "jsonl"
    if output and output.endswith(".json"):
        return "json"  # one array, which json.load reads (JSON lines in a .json file it does not)
    return "table"


def check_output_path(path: str, script: str) -> None:
    """Refuse, before dtrace starts, an ``-o`` that names the script (however spelled), a
    directory, or a file in a directory that does not exist: located errors, as ``compile -o``."""
    import os

    from dtracepy.inputs import InputError, refuse_overwriting
    from dtracepy.source import Pos, shown_name

    refuse_overwriting(path, [script])
    if os.path.isdir(path):
        raise InputError("cannot write: it is a directory", Pos(path, 1))
    directory = os.path.dirname(os.path.realpath(path)) or "."
    if not os.path.isdir(directory):
        raise InputError(f"cannot write: no such directory {shown_name(os.path.dirname(path) or '.')}", Pos(path, 1))


def _trace(args, macro_args, options, fmt, atomic):
    """Run dtrace and write its events (to ``atomic``'s file, or standard output); (dtrace's exit
    status, whether anything was written, the signals that ended it, whether a second signal
    killed dtrace at once (it is then the last of those signals), the Tracing)."""
    import io

    from dtracepy.run import output
    from dtracepy.run.runner import run as make_run

    tracing = make_run(args.script, duration=args.duration, args=macro_args,
                       target_cmd=args.target_cmd, pid=args.pid, dtrace=args.dtrace,
                       destructive=args.destructive, zdefs=args.zdefs, options=options,
                       tracer_name=args.tracer_name, dialect=getattr(args, "dialect", None))
    for finding in tracing.prepared.findings:     # (a D script's warnings from check: its errors stopped it)
        print(finding.render(), file=sys.stderr)
    if args.output:
        # nor over a module the tracer loaded (`-o helpers.py`), as compile -o: now they are known
        from dtracepy.inputs import refuse_overwriting_modules

        refuse_overwriting_modules(args.output)
    tracing.raise_on_failure = False      # dtrace's messages are printed below, with its status
    if atomic is not None:
        out = io.TextIOWrapper(atomic.handle, encoding="utf-8", errors="surrogateescape", newline="")
    else:
        out = sys.stdout
        if hasattr(out, "reconfigure"):
            out.reconfigure(errors="surrogateescape")
    if fmt == "csv" and hasattr(sys.stderr, "reconfigure"):
        # csv sends text to stderr: its bytes that are not UTF-8 come back exactly there too, not
        # as Python's "\\udcff" (review 18b)
        sys.stderr.reconfigure(errors="surrogateescape")
    wrote = False
    writer = output.writer(fmt, out, sys.stderr)
    # and every other signal whose default action would end dtracepy alone, leaving dtrace
    # tracing on, orphaned, and the temporary directory behind (kill -USR1, SIGALRM, Ctrl-\\,
    # which dtrace, in a session of its own, does not get): stopped as SIGTERM stops it, unless
    # dtracepy was started with it ignored
    ending = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP) + tuple(
        sig for sig in _ALSO_ENDING if signal.getsignal(sig) is signal.SIG_DFL)
    previous = {sig: signal.getsignal(sig) for sig in ending}
    received: list[int] = []
    seen: list[int] = []
    hurried: list[int] = []     # the signal that came second

    def on_signal(signum, _frame):
        # Ctrl-C, kill or a closed terminal: stop dtrace as Ctrl-C does (it is killed if it
        # has not ended within the stop bound), decode what it printed, remove the temp dir.
        seen.append(signum)
        if len(seen) > 1:
            # the user will not wait for END clauses (dtrace's own second Ctrl-C is "impatient"
            # too): kill dtrace, with what it started, now rather than at the stop bound
            if tracing.running:
                hurried.append(signum)
                tracing.kill()
            return
        if signum != signal.SIGINT:
            received.append(signum)
            if not tracing.wait_started(0):
                tracing.kill()      # still compiling: it has no END clauses to run yet
                return
            tracing.stop(within=5.0)    # killed 5 s from now, wherever this thread waits
            return
        tracing.stop()

    done = threading.Event()
    status = None
    try:
        tracing.start()
        for sig in ending:
            signal.signal(sig, on_signal)
        if sys.stderr.isatty() and not args.no_status:
            status = threading.Thread(target=_status_line, args=(tracing, sys.stderr, done), daemon=True)
            status.start()
        for event in tracing.events():
            writer.event(event)
            wrote = True
        code = tracing.wait()
        writer.close()
    except OSError as err:
        if atomic is None:
            raise
        raise atomic.error(err) from None     # a full disk under -o: located at the output
    finally:
        done.set()
        if status is not None:
            status.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if tracing.process is not None and tracing.running:
            tracing.kill()
            tracing.wait()
        if atomic is not None:
            try:
                out.detach()    # the file is the AtomicOutput's to commit or discard
            except OSError:     # its last flush failed (a full disk): told above, or by commit
                pass
    if atomic is not None and getattr(writer, "texts_elsewhere", 0) and not writer.rows:
        # (review 10: an empty h.csv, the tracer's printf lines on the terminal, and no word why)
        print(f"dtracepy: note: {args.output} holds no rows: the tracer printed text only, which "
              f"--format {fmt} sends to stderr (above); a record() or an aggregation makes rows, "
              "and --format table, jsonl or json keeps text in the file", file=sys.stderr)
    return code, wrote, received + hurried, bool(hurried), tracing


_ALSO_ENDING = tuple(getattr(signal, name) for name in (
    "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGVTALRM", "SIGPROF", "SIGXCPU", "SIGXFSZ",
    "SIGIO", "SIGPWR", "SIGSTKFLT") if hasattr(signal, name))


def _signal_name(number: int) -> str:
    try:
        return f"{signal.Signals(number).name} (signal {number})"
    except ValueError:
        return f"signal {number}"


def _never_traced(tracing, code: int) -> None:
    """Say why dtrace ended before tracing began, having printed nothing, when it did not say
    why itself (review 11: ``--dtrace /bin/false`` exited 1 and ``/bin/true`` 0, without a
    word), or when the dynamic loader could not start it (a dtrace whose libdtrace is not on
    the library path: exit 127 and the loader's line only)."""
    text = "\n".join(tracing.stderr_lines)
    if "error while loading shared libraries" in text:
        print(f"dtracepy: error: {tracing.dtrace} could not start: the dynamic loader did not find a "
              "library it needs (above); that dtrace is not installed for this machine's library path, "
              "or another one is meant (--dtrace PATH names it)", file=sys.stderr)
        return
    if not text.strip():
        # (a warning when it ended well: the status stays dtrace's, as always)
        print(f"dtracepy: {'warning' if code == 0 else 'error'}: {tracing.dtrace} exited with status {code} "
              "before tracing began, and said nothing: is it DTrace? (--dtrace PATH names the dtrace to run)",
              file=sys.stderr)


def _verifier_log(tracing, path: str | None) -> None:
    """The kernel's BPF verifier log, when it refused dtrace's program: written to ``path``
    (``--verifier-log``), else only counted, in a note saying how to have it."""
    log = tracing.verifier_log
    if not log:
        return
    if path is None:
        print(f"dtracepy: note: the kernel's BPF verifier log ({len(log)} lines) is not shown: "
              "--verifier-log FILE writes it", file=sys.stderr)
        return
    from dtracepy.inputs import write_output

    write_output(path, "".join(line + "\n" for line in log), inputs=[tracing.prepared.name])


def _same_place(line: str, err) -> bool:
    """Is ``line`` dtrace's error (as dtracepy relays it) at the file and line of ``err``?"""
    pos = err.pos
    return (pos is not None and isinstance(line, str) and line.endswith("[dtrace]")
            and line.startswith(f"{pos.file}:{pos.line}: error: "))


def run(args) -> int:
    from dtracepy.inputs import AtomicOutput, InputError, same_file
    from dtracepy.source import Pos, shown_name
    from dtracepy.run.errors import RunError

    macro_args = list(args.macro_args or [])
    if macro_args and macro_args[0] == "--":
        macro_args = macro_args[1:]
    options = {}
    for item in args.xoptions:
        key, sep, value = item.partition("=")
        options[key] = value if sep else True
    fmt = args.format or default_format(args.output)
    # -o streams to a temporary file renamed over the target when the run ends (never over the
    # script, never empty after a failure); dtrace's bytes that are not UTF-8 come back exactly
    # (the decoder holds them as surrogateescape does), in -o as on standard output
    atomic = None
    log_path = getattr(args, "verifier_log", None)
    if log_path:  # (refused now, not after dtrace ran, as -o: the log is written when it ends)
        check_output_path(log_path, args.script)
        if args.output and args.output != "/dev/stdout" and same_file(log_path, args.output):
            raise InputError(f"--verifier-log names the -o file {args.output}: the log would be written "
                             "over the tracer's output; give it a file of its own", Pos(log_path, 1))
    if args.output:
        check_output_path(args.output, args.script)
        atomic = AtomicOutput(args.output, inputs=[args.script])
    try:
        code, wrote, received, hurried, tracing = _trace(args, macro_args, options, fmt, atomic)
    except BaseException:
        if atomic is not None:
            atomic.discard()
        raise
    if atomic is not None:
        if wrote or code == 0:
            atomic.commit()
        else:
            atomic.discard()
    unread = tracing.prepared.parse_error
    if unread is not None and code not in (0, None) and not tracing.wait_started(0):
        # dtrace refused a script dtracepy could not read either: dtracepy's reading, located in
        # the user's file, says why (dtrace's own may name /dev/stdin: it reads what it is given)
        print(unread.render(), file=sys.stderr)
    else:
        unread = None
    for line in tracing.stderr_lines:
        if unread is not None and _same_place(line, unread):
            continue  # (review 19 N3: dtrace's error at the line dtracepy's says it at: said once)
        print(line, file=sys.stderr)
    _verifier_log(tracing, getattr(args, "verifier_log", None))
    for warning in tracing.warnings:
        print(warning.render(), file=sys.stderr)
    if tracing.killed_after is not None and tracing.output_complete and not hurried:
        # (review 18b: `syscall:::entry` on Linux, dtrace still closing its 360 probes, each an RCU
        # grace period, 27 s, after its END clauses had run: an error and 137, nothing lost)
        print(f"dtracepy: note: dtrace had printed all it prints (its END clauses ran) but was still "
              f"releasing its probes {tracing.killed_after:g} s after it was asked to stop: killed, "
              "with what it started; nothing was lost", file=sys.stderr)
        return 128 + received[0] if received else 0
    if tracing.killed_after is not None:
        print(f"dtracepy: error: dtrace had not ended {tracing.killed_after:g} s after it was asked to "
              "stop: killed, with what it started", file=sys.stderr)
    if hurried:
        print(f"dtracepy: note: a second signal, {_signal_name(received[-1])}: dtrace was killed at once, "
              "with what it started (its END clauses did not run)", file=sys.stderr)
        return 128 + received[-1]
    if received:
        return 128 + received[0]
    if code is not None and code >= 0 and tracing.killed_after is None and not wrote \
            and not tracing.wait_started(0):
        _never_traced(tracing, code)
    if code is not None and code < 0:       # dtrace ended by a signal: the shell's 128 + N
        if tracing.killed_after is None:    # not dtracepy's doing: dtrace crashed (or was killed)
            print(f"dtracepy: error: dtrace ended on {_signal_name(-code)} "
                  f"{'while tracing' if tracing.wait_started(0) else 'before tracing began'}, "
                  "a signal dtracepy did not send: dtrace itself crashed or was killed (an assertion "
                  "above is a bug of dtrace's, not of the script)", file=sys.stderr)
        return 128 - code
    if code not in (0, None):
        why = tracing.failure()
        if why and "privileged" in why:
            raise RunError(why)
    return code or 0

