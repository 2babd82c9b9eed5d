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
    """``table``, unless ``-o`` names a ``.csv`` or ``.jsonl`` file."""
    if output and output.endswith(".csv"):
        return "csv"
    if output and output.endswith((".jsonl", ".json")):
        return "jsonl"
    return "table"


def run(args) -> int:
    from dtracepy.run import output
    from dtracepy.run.runner import RunError, run as make_run

    macro_args = list(args.macro_args or [])
    if macro_args and macro_args[0] == "--":
        macro_args = macro_args[1:]
    options = {}
    for item in args.xoptions:
        key, sep, value = item.partition("=")
        options[key] = value if sep else True
    fmt = args.format or default_format(args.output)
    tracing = make_run(args.script, duration=args.duration, args=macro_args,
                       target_cmd=args.target_cmd, pid=args.pid, dtrace=args.dtrace,
                       destructive=args.destructive, zdefs=args.zdefs, options=options,
                       tracer_name=args.tracer_name)
    out = open(args.output, "w", encoding="utf-8", newline="", errors="surrogateescape") \
        if args.output else sys.stdout
    writer = output.writer(fmt, out, sys.stderr)
    previous = signal.getsignal(signal.SIGINT)
    done = threading.Event()
    status = None
    try:
        tracing.start()
        signal.signal(signal.SIGINT, lambda *_: tracing.stop())
        if sys.stderr.isatty() and not args.no_status:
            status = threading.Thread(target=_status_line, args=(tracing, sys.stderr, done), daemon=True)
            status.start()
        for event in tracing.events():
            writer.event(event)
        code = tracing.wait()
    finally:
        done.set()
        if status is not None:
            status.join()
        signal.signal(signal.SIGINT, previous)
        if tracing.process is not None and tracing.running:
            tracing.kill()
            tracing.wait()
        writer.close()
        if args.output:
            out.close()
    script = tracing.script_path
    for line in tracing.stderr_lines:
        print(line.replace(script, args.script), file=sys.stderr)
    for warning in tracing.warnings:
        print(warning.render(), file=sys.stderr)
    if code not in (0, None):
        why = tracing.failure()
        if why and "privileged" in why:
            raise RunError(why)
    return code or 0

