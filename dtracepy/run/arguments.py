"""The arguments of a run (duration, macro arguments, the process of ``$target``, ``-x`` options),
refused before anything runs when they cannot be right, at the caller's line."""

from __future__ import annotations

import os

from dtracepy.run.argv import NOT_BOTH, target_words
from dtracepy.run.errors import RunArgumentError, RunError
from dtracepy.run.shebang import options_problem
from dtracepy.source import Pos, shown_name


def _number(value, what: str, where: Pos | None) -> float:
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RunArgumentError(f"{what} must be a number of seconds, not {type(value).__name__} "
                               f"{value!r}", where)
    import threading

    if isinstance(value, int) and value.bit_length() > 64:
        raise RunArgumentError(f"{what} must be a finite number of seconds, 0 or more: an integer of "
                               f"{value.bit_length()} bits", where)
    if not math.isfinite(value) or value < 0:
        raise RunArgumentError(f"{what} must be a finite number of seconds, 0 or more: {value!r}", where)
    if value > threading.TIMEOUT_MAX:       # (a timer thread's wait refuses it: OverflowError)
        raise RunArgumentError(f"{what} must be at most {threading.TIMEOUT_MAX:.0f} seconds: {value!r}", where)
    return float(value)


NOT_BOTH = "give the process of $target with -c COMMAND (target_cmd=) or -p PID (pid=), not both"


def check_arguments(*, duration=None, args=(), target_cmd=None, pid=None, options=None,
                    stop_timeout=30.0, where: Pos | None = None) -> None:
    """Refuse, before anything runs, what a run cannot be given: a duration that is not a finite
    number of seconds (a string would only fail later, in a timer thread, and the run go on), a
    string as the macro arguments (iterated, ``"12"`` would be two), a pid that is not a running
    process, an option dtrace does not know.  RunArgumentError at ``where`` (the caller's line)."""
    if duration is not None:
        _number(duration, "duration", where)
    _number(stop_timeout, "stop_timeout", where)
    if isinstance(args, (str, bytes)) or not isinstance(args, (list, tuple)):
        raise RunArgumentError(f"args must be a list of the macro arguments ($1, $2 ...), not "
                               f"{type(args).__name__} {args!r}" + (
                                   f" (write [{args!r}] for one argument)" if isinstance(args, str) else ""),
                               where)
    for i, arg in enumerate(args, 1):
        if isinstance(arg, float):
            raise RunArgumentError(f"macro argument ${i} is a float ({arg!r}): D has no floating-point "
                                   f"numbers (dtrace takes it for a string); give an int, or a str", where)
        if isinstance(arg, bool) or not isinstance(arg, (str, int)):
            raise RunArgumentError(f"macro argument ${i} must be a string or an integer, not "
                                   f"{type(arg).__name__} {arg!r}", where)
        if isinstance(arg, str) and "\0" in arg:
            raise RunArgumentError(f"macro argument ${i} holds a NUL byte: {arg!r}", where)
        if isinstance(arg, int) and not -2**63 <= arg < 2**64:
            shown = f"{arg}" if arg.bit_length() <= 256 else f"an integer of {arg.bit_length()} bits"
            raise RunArgumentError(f"macro argument ${i} does not fit in 64 bits: {shown}", where)
    if target_cmd is not None and not isinstance(target_cmd, str) and (
            not isinstance(target_cmd, (list, tuple)) or not all(isinstance(w, str) for w in target_cmd)):
        raise RunArgumentError(f"target_cmd must be a command line (str) or a list of its words, not "
                               f"{target_cmd!r}", where)
    if target_cmd is not None and "\0" in "".join(target_cmd):
        raise RunArgumentError(f"target_cmd holds a NUL byte: {target_cmd!r}", where)
    if target_cmd is not None and pid is not None:
        raise RunArgumentError(NOT_BOTH, where)
    if target_cmd is not None:
        try:
            target_words(target_cmd)
        except RunError as err:
            raise RunArgumentError(err.message, where) from None
    if pid is not None:
        if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
            raise RunArgumentError(f"pid must be a process id (an int above 0), not {pid!r}", where)
        if pid.bit_length() > 31:       # (os.kill: "Python int too large to convert to C long")
            raise RunArgumentError(f"-p {pid if pid.bit_length() <= 256 else '...'}: no such process", where)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            raise RunArgumentError(f"-p {pid}: no such process", where) from None
        except OSError:
            pass        # it exists (not ours to signal: dtrace says what it can do)
    if options is not None and not isinstance(options, dict):
        raise RunArgumentError(f"options must be a dict of dtrace options, not {options!r}", where)
    for name, value in (options or {}).items():
        if value is not True and (isinstance(value, bool) or not isinstance(value, (str, int))):
            raise RunArgumentError(f"-x {shown_name(str(name))}: its value must be a string, a number or True, "
                                   f"not {value!r}", where)
        problem = options_problem(name, None if value is True else str(value))
        if problem is None and not isinstance(value, str):  # (-x's text is dtrace's own: `-x quiet=0`)
            from dtracepy.facts.options import python_value_problem

            problem = python_value_problem(name, value)
        if problem is not None:
            raise RunArgumentError(f"-x {shown_name(str(name))}{'' if value is True else f'={shown_name(str(value))}'}: "
                                   f"{problem}", where)
