"""Running dtrace: finding it, the command line, the process, and the threads that decode it.

:func:`prepare` turns a tracer (a :class:`~dtracepy.dsl.Tracer`, a tracer module ``.py`` or a
``.d`` file) into a :class:`Prepared` script: the framed D text, the decoding plan, the flags
its ``#!`` line implies and the macro arguments it expects.  :class:`Tracing` runs it: a reader
thread decodes stdout into events as they arrive, another reads stderr into warnings; the caller
iterates ``records()``/``events()`` from its own thread, or stops the run with :meth:`stop`
from any thread: it returns at once, and a stopping thread of the run's own sends dtrace its
SIGINT when dtrace handles it, ends the command of ``-c`` if dtrace does not end, and kills
dtrace (with what it started) after ``stop_timeout``, wherever the consumer is blocked.
"""

from __future__ import annotations

import collections
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import attrs

from dtracepy import tree
from dtracepy.errors import DTracePyError
from dtracepy.facts import command_line
from dtracepy.run import framing, origins
from dtracepy.run.decode import STARTED, Decoder, Printed, Text
from dtracepy.run.messages import Messages
from dtracepy.source import Pos, user_pos


class RunError(DTracePyError):
    """dtrace cannot be run as asked: not found, not privileged, wrong arguments."""


class DTraceFailed(RunError):
    """dtrace refused the tracer before it traced; the message is what it said, each line
    located at the user's file and line where dtracepy could (``tracer.py:9: error: ...``)."""

    def render(self, with_context: bool = True) -> str:
        return self.message if ": error: " in self.message.split("\n", 1)[0] else \
            f"dtracepy: error: {self.message}"


# --- finding dtrace ----------------------------------------------------------------------------
def find_dtrace(explicit: str | None = None) -> str:
    """``explicit`` (``--dtrace PATH``), else ``$DTRACEPY_DTRACE``, else ``dtrace`` on ``PATH``."""
    for origin, candidate in (("--dtrace", explicit), ("$DTRACEPY_DTRACE", os.environ.get("DTRACEPY_DTRACE"))):
        if candidate:
            path = candidate if os.sep in candidate else shutil.which(candidate)
            if not path or not os.path.isfile(path):
                raise RunError(f"{origin} names {candidate!r}, which does not exist")
            if not os.access(path, os.X_OK):
                raise RunError(f"{origin} names {candidate!r}, which is not executable")
            return path
    path = shutil.which("dtrace") or next(
        (p for p in ("/usr/sbin/dtrace", "/usr/bin/dtrace") if os.access(p, os.X_OK)), None)
    if path is None:
        raise RunError("no dtrace found: install DTrace, put dtrace on PATH, or name it with "
                       "--dtrace PATH or $DTRACEPY_DTRACE")
    return path


def check_privileges() -> None:
    """On Linux DTrace needs root; elsewhere the dtrace_* privileges may suffice, and dtrace
    itself says so."""
    if sys.platform.startswith("linux") and os.geteuid() != 0:
        raise RunError("running DTrace needs root here (run dtracepy with sudo)")


_PRIV_MESSAGES = ("requires additional privileges", "Permission denied", "Operation not permitted",
                  "DTrace requires", "must be root")


# --- what to run -------------------------------------------------------------------------------
@attrs.frozen
class Prepared:
    text: str                       # the D to run (framed when it could be)
    plan: framing.Plan
    name: str                       # for messages: the file or tracer
    cpp: bool = False
    quiet: bool = False
    zdefs: bool = False
    destructive_asked: bool = False   # the script's #! line or pragmas want -w
    destructive_pos: Pos | None = None   # where: the pragma, else the #! line (else ``pos``)
    # macro names used ($1, $$2, $target ...); None when unknown (a script dtracepy cannot parse)
    macros: tuple[str, ...] | None = ()
    # the tree printed as ``text`` (None: ``text`` is the user's file as written), so that
    # dtrace's errors about a line of ``text`` can name the user's line
    program: tree.Program | None = None
    pos: Pos | None = None            # where the tracer or script is, for errors about it as a whole
    # why dtracepy's parser could not read the script (then it runs as written, unframed)
    parse_error: DTracePyError | None = None
    options: tuple = ()               # (name, value or True) from the #! line (-x, -b, -F)
    cpp_args: tuple = ()              # -D/-I of the #! line, for dtrace -C (a script run as written)


@attrs.frozen
class Shebang:
    """What a script's ``#!`` line asks of dtrace, as ``./x.d`` would run it."""

    cpp: bool = False
    quiet: bool = False
    zdefs: bool = False
    destructive: bool = False
    options: tuple = ()            # (name, value or True) for -x, -b, -F
    defines: tuple = ()            # -D NAME[=VAL], for the C preprocessor (-C)
    include_dirs: tuple = ()       # -I DIR


# Why the flags that dtracepy run cannot take from a #! line are refused.
_PROBE_ON_COMMAND_LINE = "probes named on the command line are not part of the script"
_REFUSED = {
    "c": "give the command with -c (target_cmd=)", "p": "give the process with -p (pid=)",
    "o": "dtracepy run writes the output itself (-o FILE)",
    "U": "dtracepy's C preprocessor takes no -U",
    "X": "dtracepy run does not choose the C preprocessor's conformance (-X)",
    "L": "dtracepy run does not choose where D libraries are found (-L)",
    "e": "it makes dtrace compile without tracing", "l": "it makes dtrace list probes, not trace",
    "G": "it makes dtrace link an object file, not trace", "h": "it makes dtrace write a header",
    "H": "it makes dtrace print included files, not trace", "V": "it makes dtrace print its version",
    "v": "it makes dtrace print stability, not trace", "S": "it makes dtrace print its compiler's code",
    "A": "it makes dtrace write anonymous tracing's configuration", "a": "it claims anonymous tracing state",
    "B": "it makes dtrace discard what it would print",
    **{letter: _PROBE_ON_COMMAND_LINE for letter in "nPmfi"},
}
_SET = {"C": "cpp", "q": "quiet", "Z": "zdefs", "w": "destructive"}


def shebang(text: str, where: Pos | None) -> Shebang:
    """The flags of ``text``'s ``#!`` line, as dtrace's getopt reads them (``-qs``, ``-Cs``,
    ``-x bufsize=8m -s``: :func:`dtracepy.facts.command_line.shebang_flags`); a flag dtracepy
    run cannot honour, or a line dtrace would not read, is a RunError at ``where``."""
    first = text.split("\n", 1)[0]
    if not first.startswith("#!"):
        return Shebang()
    flags, problems = command_line.shebang_flags(first[2:])
    if problems:
        raise RunError(problems[0], where)
    found: dict = {"options": [], "defines": [], "include_dirs": []}
    for flag, value in flags:
        if flag in _REFUSED:
            raise RunError(f"the #! line's -{flag} is not taken by dtracepy run: {_REFUSED[flag]}", where)
        if flag in _SET:
            found[_SET[flag]] = True
        elif flag == "F":
            found["options"].append(("flowindent", True))
        elif flag == "b":
            found["options"].append(("bufsize", value))
        elif flag == "x":
            name, sep, val = value.partition("=")
            problem = options_problem(name, val if sep else None)
            if problem is not None:
                raise RunError(f"the #! line's -x {value}: {problem}", where)
            found["options"].append((name, val if sep else True))
        elif flag == "D":
            found["defines"].append(value)
        elif flag == "I":
            found["include_dirs"].append(value)
        # -s ends the flags; -32/-64 (read as -3 and -6 with a value) are dtrace's choice of data model
    return _shebang_of(found)


def _shebang_of(found: dict) -> Shebang:
    return Shebang(**{k: tuple(v) if isinstance(v, list) else v for k, v in found.items()})


def options_problem(name: str, value: str | None) -> str | None:
    """Why ``-x name[=value]`` is not an option dtrace takes, or None."""
    from dtracepy.facts import options

    if name in options.COMMAND_LINE_ONLY:
        return None if value is not None else f"option {name} needs a value ({name}=...)"
    return options.problem(name, value)


def _macro_numbers(macros) -> list[int]:
    out = []
    for m in macros:
        digits = m.lstrip("$")
        if digits.isdigit() and int(digits) > 0:
            out.append(int(digits))
    return out


def _destructive_pragma(program: tree.Program) -> tree.Pragma | None:
    """The first ``#pragma D option destructive``, if any."""
    return next((i for i in program.items if isinstance(i, tree.Pragma) and len(i.words) >= 3
                 and i.words[:2] == ("D", "option") and i.words[2].split("=")[0] == "destructive"), None)


def prepare_tracer(tracer, frame: bool = True, name: str | None = None, dialect=None,
                   detected: str | None = None) -> Prepared:
    """``dialect``: compile for it (``--dialect``); else for the tracer's own, if it names one;
    else for ``detected``, the dialect of the dtrace that will run it."""
    from dtracepy.compiler import macros_used

    if dialect is None and not getattr(tracer, "dialect_given", True):
        dialect = detected
    compiled = tracer.compile(dialect=dialect)
    flags = shebang(compiled.text, tracer.pos)
    program = _without_shebang(compiled.program)
    records = [(f"r{i}", rec) for i, rec in enumerate(tracer.records)]
    calls = {id(call): i for i, (_, rec) in enumerate(records) for call in rec.calls}
    if frame:
        program, plan = framing.frame_program(program, records, calls, framing.new_token())
        from dtracepy.printer import to_d

        text = to_d(program)
    else:
        text = compiled.text.split("\n", 1)[1] if compiled.text.startswith("#!") else compiled.text
        plan = framing.Plan(framed=False, token=framing.new_token())
    pragma = _destructive_pragma(program)
    return Prepared(text, plan, name or tracer.name or "tracer", cpp=flags.cpp, quiet=flags.quiet,
                    zdefs=flags.zdefs, destructive_asked=pragma is not None or flags.destructive,
                    destructive_pos=pragma.pos if pragma is not None else None,
                    macros=tuple(macros_used(program.items)), program=program, pos=tracer.pos,
                    options=flags.options, cpp_args=_cpp_args(flags))


def _without_shebang(program: tree.Program) -> tree.Program:
    """``program`` without its ``#!`` line: dtrace is given its flags on the command line (and
    under ``-C`` the line, kept by the C preprocessor as ``# !...``, is an invalid directive)."""
    items = tuple(i for i in program.items if not isinstance(i, tree.Shebang) and not (
        isinstance(i, tree.Directive) and i.name == "" and i.text.startswith("!")))
    return program if len(items) == len(program.items) else attrs.evolve(program, items=items)


def _cpp_args(flags: Shebang) -> tuple:
    return tuple(a for d in flags.defines for a in ("-D", d)) + tuple(
        a for d in flags.include_dirs for a in ("-I", d))


def prepare_d(path: str, frame: bool = True) -> Prepared:
    from dtracepy.compiler import macros_used

    from dtracepy.inputs import read_input

    _, data = read_input(path)
    text = data.decode("utf-8", "surrogateescape")
    flags = shebang(text, Pos(path, 1))
    cpp = flags.cpp
    program = parse_error = None
    try:
        from dtracepy.parser import parse_bytes

        program = _without_shebang(parse_bytes(data, path, cpp=cpp, include_dirs=flags.include_dirs,
                                               defines=flags.defines))
    except DTracePyError as err:
        parse_error = err
    macros: tuple[str, ...] | None = None
    plan = framing.Plan(framed=False, token=framing.new_token())
    destructive = flags.destructive
    destructive_pos = Pos(path, 1) if destructive else None     # the #! line
    printed = None
    if program is not None:
        macros = tuple(macros_used(program.items))
        pragma = _destructive_pragma(program)
        if pragma is not None:
            destructive = True
            destructive_pos = pragma.pos or destructive_pos
        if frame:
            from dtracepy.printer import to_d

            printed, plan = framing.frame_program(program, token=plan.token)
            text = to_d(printed)
            cpp = False    # already preprocessed
    return Prepared(text, plan, path, cpp=cpp, quiet=flags.quiet, zdefs=flags.zdefs,
                    destructive_asked=destructive, destructive_pos=destructive_pos, macros=macros,
                    program=printed, pos=Pos(path, 1), parse_error=parse_error,
                    options=flags.options, cpp_args=_cpp_args(flags) if cpp else ())


def prepare(source, tracer_name: str | None = None, frame: bool = True, dialect=None,
            detected: str | None = None) -> Prepared:
    """A Tracer, a tracer module path (``.py``) or a D script path (``dialect`` and ``detected``:
    see :func:`prepare_tracer`)."""
    from dtracepy.dsl.tracer import Tracer

    if isinstance(source, Tracer):
        return prepare_tracer(source, frame, dialect=dialect, detected=detected)
    path = os.fspath(source)
    if path.endswith(".py"):
        from dtracepy.commands.compile_cmd import load_module, choose

        tracer = choose(load_module(path), path, tracer_name)
        return prepare_tracer(tracer, frame, name=path, dialect=dialect, detected=detected)
    return prepare_d(path, frame)


def detect_dialect(dtrace: str | None) -> str | None:
    """The D dialect of the dtrace that will run (``dtrace -V``); None when unknown or when
    there is no dtrace (then running fails with its own message, after the tracer compiled)."""
    from dtracepy.facts.dialects import dialect_of_version

    try:
        path = find_dtrace(dtrace)
        version = subprocess.run([path, "-V"], stdin=subprocess.DEVNULL, capture_output=True,
                                 text=True, errors="replace", timeout=30)
    except (RunError, OSError, subprocess.SubprocessError):
        return None
    return dialect_of_version(version.stdout + version.stderr)


# --- the arguments of a run -------------------------------------------------------------------
class RunArgumentError(RunError, TypeError, ValueError):
    """An argument of a run that cannot be right (``duration="abc"``, ``args="12"``, ``pid=-1``,
    ``-x nosuchopt``): refused before anything runs, at the caller's line."""


def _number(value, what: str, where: Pos | None) -> float:
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RunArgumentError(f"{what} must be a number of seconds, not {type(value).__name__} "
                               f"{value!r}", where)
    if not math.isfinite(value) or value < 0:
        raise RunArgumentError(f"{what} must be a finite number of seconds, 0 or more: {value!r}", where)
    return float(value)


_NOT_BOTH = "give the process of $target with -c COMMAND (target_cmd=) or -p PID (pid=), not both"


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
        if isinstance(arg, bool) or not isinstance(arg, (str, int, float)):
            raise RunArgumentError(f"macro argument ${i} must be a string or a number, not "
                                   f"{type(arg).__name__} {arg!r}", where)
        if isinstance(arg, str) and "\0" in arg:
            raise RunArgumentError(f"macro argument ${i} holds a NUL byte: {arg!r}", where)
    if target_cmd is not None and not isinstance(target_cmd, str) and (
            not isinstance(target_cmd, (list, tuple)) or not all(isinstance(w, str) for w in target_cmd)):
        raise RunArgumentError(f"target_cmd must be a command line (str) or a list of its words, not "
                               f"{target_cmd!r}", where)
    if target_cmd is not None and pid is not None:
        raise RunArgumentError(_NOT_BOTH, where)
    if target_cmd is not None:
        try:
            target_words(target_cmd)
        except RunError as err:
            raise RunArgumentError(err.message, where) from None
    if pid is not None:
        if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
            raise RunArgumentError(f"pid must be a process id (an int above 0), not {pid!r}", where)
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
            raise RunArgumentError(f"-x {name}: its value must be a string, a number or True, "
                                   f"not {value!r}", where)
        problem = options_problem(name, None if value is True else str(value))
        if problem is not None:
            raise RunArgumentError(f"-x {name}{'' if value is True else f'={value}'}: {problem}", where)


# --- the command line --------------------------------------------------------------------------
def command(prepared: Prepared, script_path: str, dtrace: str, *, args=(), target_cmd=None,
            pid: int | None = None, destructive: bool = False, zdefs: bool = False,
            quiet: bool | None = None, options=None) -> list[str]:
    """dtrace's argv; checks the macro arguments against what the script uses."""
    args = [str(a) for a in args]
    if prepared.macros is not None:     # else dtrace itself counts them
        numbers = _macro_numbers(prepared.macros)
        want = max(numbers) if numbers else 0
        if len(args) != want:
            docs = _macro_docs(prepared)
            used = ", ".join(f"${n}" + (f" ({docs[n]})" if n in docs else "")
                             for n in sorted(set(numbers))) or "none"
            raise RunError(f"{prepared.name} takes {want} macro argument(s) (it uses {used}), "
                           f"but {len(args)} were given",
                           _macro_place(prepared, want, len(args)))
    if target_cmd is not None and pid is not None:
        raise RunError(_NOT_BOTH)
    if "$target" in (prepared.macros or ()) and target_cmd is None and pid is None:
        raise RunError(f"{prepared.name} uses $target: give the process with -c COMMAND or -p PID",
                       _first_use(prepared.program, "$target") or prepared.pos)
    if prepared.destructive_asked and not destructive:
        raise RunError(f"{prepared.name} asks for destructive actions; allow them with -w "
                       "(destructive=True)", prepared.destructive_pos or prepared.pos)
    argv = [dtrace]
    if prepared.cpp:
        argv += ["-C", *prepared.cpp_args]
    if prepared.quiet if quiet is None else quiet:
        argv.append("-q")
    if zdefs or prepared.zdefs:
        argv.append("-Z")
    if destructive:
        argv.append("-w")
    merged = dict(prepared.options)         # the #! line's, then the caller's (-x) over them
    merged.update(options or {})
    for key, value in merged.items():
        argv += ["-x", key if value is True else f"{key}={value}"]
    if target_cmd is not None:
        argv += ["-c", target_command(target_cmd, os.path.dirname(script_path))]
    if pid is not None:
        argv += ["-p", str(int(pid))]
    argv += ["-s", script_path]
    if not prepared.plan.framed:
        # nothing in the script says "tracing now": a second script does (see Tracing.start)
        argv += ["-s", os.path.join(os.path.dirname(script_path), STARTED_SCRIPT)]
    if args:    # after `--`: a macro argument that starts with `-` (`-5`) is no dtrace option
        argv += ["--", *args]
    return argv


STARTED_SCRIPT = "dtracepy-started.d"


def _first_use(program: tree.Program | None, name: str) -> Pos | None:
    """Where ``program`` first uses the macro variable ``name`` (``$1``, ``$target``)."""
    from dtracepy.compiler import macros_in_desc

    if program is None:
        return None
    bare = name.lstrip("$")
    for item in program.items:
        if isinstance(item, tree.Clause):
            for desc in item.probes:
                if any(m.lstrip("$") == bare for m in macros_in_desc(desc.text)):
                    return desc.pos or item.pos
        for node in item.walk():
            if isinstance(node, tree.MacroVar) and node.name.lstrip("$") == bare:
                return node.pos or item.pos
    return None


def _macro_place(prepared: Prepared, want: int, given: int) -> Pos | None:
    """Too few: the first use of the first missing argument; too many: the tracer itself."""
    place = _first_use(prepared.program, f"${given + 1}") if given < want else None
    return place or prepared.pos


def _macro_docs(prepared: Prepared) -> dict[int, str]:
    """Argument number -> what the tracer said it is (``macro(1, "listening port")``)."""
    docs: dict[int, str] = {}
    for item in prepared.program.items if prepared.program is not None else ():
        for node in item.walk():
            if isinstance(node, tree.MacroVar) and node.doc and node.name.lstrip("$").isdigit():
                docs.setdefault(int(node.name.lstrip("$")), node.doc)
    return docs


def target_words(target_cmd) -> list[str]:
    """The words of a ``-c`` command (a string is split as a shell would: :func:`shlex.split`,
    ``'sh -c "ls /; echo hi"'`` is ``sh``, ``-c``, ``ls /; echo hi``); a RunError if it cannot
    be split or its program is not found."""
    if isinstance(target_cmd, str):
        try:
            words = shlex.split(target_cmd)
        except ValueError as err:
            raise RunError(f"-c {target_cmd!r}: cannot split into words: {err}") from None
    else:
        words = [str(w) for w in target_cmd]
    if not words:
        raise RunError("-c needs a command")
    program = words[0]
    found = (os.path.isfile(program) and os.access(program, os.X_OK)) if os.sep in program \
        else shutil.which(program) is not None
    if not found:
        raise RunError(f"-c {shlex.join(words)}: no such command: {program}"
                       + (" (not on PATH)" if os.sep not in program else ""))
    return words


def target_command(target_cmd, directory: str) -> str:
    """The ``-c`` argument.  dtrace splits it at blanks and knows no quoting, so a command whose
    words hold blanks or quotes runs through a small script that ``exec``s it (same pid, so
    ``$target`` is still the command)."""
    words = target_words(target_cmd)
    if all(w and re.fullmatch(r"[^\s'\"\\]+", w) for w in words):
        return " ".join(words)
    path = os.path.join(directory, "target.sh")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("#!/bin/sh\nexec " + shlex.join(words) + "\n")
    os.chmod(path, 0o755)
    return path


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


def _child_setup() -> None:
    # A parent started in the background may ignore SIGINT, or a thread block it; dtrace then
    # keeps ignoring it (it sets its handler only if SIGINT is not ignored) and Ctrl-C (or
    # stop()) would not end it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


def _ignores_sigint(pid: int) -> bool:
    """Whether process ``pid`` ignores SIGINT now (Linux: /proc/PID/status; elsewhere False).
    dtrace does while it runs a ``system()`` command (the C library's system() ignores SIGINT
    in the caller until the command ends): a SIGINT sent then is lost, and dtrace runs on."""
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"SigIgn:"):
                    return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    except (OSError, ValueError, IndexError):
        pass
    return False


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux: /proc/PID/task/*/children; elsewhere none)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as handle:
                found += [int(w) for w in handle.read().split()]
        except (OSError, ValueError):
            continue
    return found


# --- the run -----------------------------------------------------------------------------------
_END = object()
_GRACE = 1.0    # seconds without output, once dtrace ended, before its pipes are let go
# seconds after the SIGINT before the command of -c is asked to end (SIGTERM) if dtrace has not:
# dtrace ends when its command does, running its END clauses as for Ctrl-C
_NUDGE = 2.0
_POLL = 0.05    # how often the stopping thread looks at dtrace


class Tracing:
    """A running dtrace.  Use it as a context manager (``with t.run(...) as tracing:``).

    * ``records()`` yields each record row as it arrives, until dtrace ends;
    * ``events()`` yields rows, :class:`~dtracepy.run.decode.Text` and
      :class:`~dtracepy.run.decode.Printed` events in the order dtrace printed them;
    * ``aggregations``: each aggregation by name, as last printed (complete once dtrace ended);
    * ``warnings``: dtrace's drops and errors, merged, with counts;
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
        self._stop_sent = False         # dtrace was sent its SIGINT
        self._stop_wanted = False       # stop() was called (the stopping thread runs)
        self._stop_asked = 0.0          # when (time.monotonic())
        self._sigint_newline = False    # dtrace's newline for the SIGINT may come (see _push)
        #: Seconds after the stop at which dtrace, not ended, was killed (None: it was not).
        self.killed_after: float | None = None
        self._kill_at: float | None = None      # when the stopping thread kills dtrace
        self._exited = threading.Event()        # dtrace has exited (the reaper saw it)
        # stop() runs in the caller's thread, a timer's, a signal handler (which may interrupt
        # another stop() in the same thread) and the stopping thread: one re-entrant lock
        self._stop_lock = threading.RLock()
        self._target_cmd = target_cmd is not None
        self._timer: threading.Timer | None = None
        self._started = threading.Event()      # dtrace is tracing (its first BEGIN ran)
        self.stderr_lines: list[str] = []
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
        self.started = time.monotonic()
        try:
            self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, start_new_session=True,
                                            preexec_fn=_child_setup)
        except OSError as err:
            self._dir.cleanup()
            raise RunError(f"cannot run {self.dtrace}: {err.strerror}") from None
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
        has not ended ``_NUDGE`` seconds after it traced and was asked to stop, its command is
        sent SIGTERM (dtrace ends when its command does, END clauses and all); and dtrace, with whatever it started, is killed if it has not ended within
        ``stop_timeout`` seconds of the first stop, or ``within`` seconds of this one, wherever
        the caller is waiting.  Only one SIGINT is ever sent: a second makes dtrace skip
        printing its aggregations."""
        if self._timer is not None:
            self._timer.cancel()
        if self.process is None or self._exited.is_set():
            return
        with self._stop_lock:
            now = time.monotonic()
            bound = self.stop_timeout if within is None else within
            self._kill_at = now + bound if self._kill_at is None else min(self._kill_at, now + bound)
            if self._stop_wanted:
                return
            self._stop_wanted = True
            self._stop_asked = now
        self._send_stop()
        threading.Thread(target=self._stopping, name="dtracepy-stop", daemon=True).start()

    def _send_stop(self) -> bool:
        """Send the SIGINT if dtrace handles it now; whether it has been sent."""
        with self._stop_lock:
            if self._stop_sent:
                return True
            if not self._started.is_set() or _ignores_sigint(self.process.pid):
                return False
            self._stop_sent = True
            self._sigint_newline = True     # the next text may be dtrace's newline for it
            try:
                self.process.send_signal(signal.SIGINT)
            except ProcessLookupError:
                pass
            return True

    def _stopping(self) -> None:
        nudged = not self._target_cmd
        since = None        # when dtrace was first seen tracing with the stop asked for
        while not self._exited.wait(_POLL):
            now = time.monotonic()
            if now >= self._kill_at:
                self.killed_after = round(self._kill_at - self._stop_asked, 1)
                self.kill()
                return
            self._send_stop()
            if since is None and self._started.is_set():
                since = now
            if not nudged and since is not None and now - since >= _NUDGE:
                # with -c: dtrace has not ended (it ignores SIGINT, or has not been sent it yet):
                # end its command, and dtrace ends as it does when the command exits
                nudged = True
                for child in _children(self.process.pid):
                    try:
                        os.kill(child, signal.SIGTERM)
                    except OSError:
                        pass

    def kill(self) -> None:
        """Kill dtrace and what it started (its process group: the command of ``-c``, those of
        ``system()``), so that nothing holds its output."""
        if self.process is None or self._exited.is_set() or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except OSError:
            try:
                self.process.kill()
            except OSError:
                pass

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
        self._dir.cleanup()
        return self.returncode

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def elapsed(self) -> float:
        return 0.0 if self.started is None else time.monotonic() - self.started

    # --- reading --------------------------------------------------------------------------
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
        """After dtrace exits, give its output _GRACE seconds without a read to end; a process
        still holding the pipe then does not keep the run (or Ctrl-C) waiting."""
        self.process.wait()
        self._exited.set()
        seen = self._read_count
        while not self._stdout_ended.wait(_GRACE):
            with self._feed_lock:
                if self._stdout_ended.is_set():
                    return
                if self._read_count == seen:
                    self._abandoned = True
                    self._end_output()
                    return
                seen = self._read_count

    def _read_stderr(self) -> None:
        prepared = self.prepared
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace")
            if STARTED_SCRIPT in line and _MATCHED.match(line.rstrip("\n")):
                continue        # the notice of dtracepy's own started script
            line = _unframed_matched(line, prepared.plan.added_clauses)
            located = origins.locate_compile_error(line.rstrip("\n"), prepared.program, prepared.text,
                                                   self.script_path, prepared.name)
            if located is not None:
                line = located + "\n"
            warning = self.messages.add(line)
            if warning is None:
                self.stderr_lines.append(line.rstrip("\n").replace(self.script_path, prepared.name))
            if self.on_warning is not None:
                self.on_warning(warning, line.rstrip("\n"))

    def events(self):
        """Every event in order, as it arrives; ends when dtrace's output ends."""
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
        if not self.raise_on_failure or self._started.is_set() or self._stop_wanted:
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
        if any(m in text for m in _PRIV_MESSAGES):
            return f"dtrace is not privileged enough to trace here: {text}"
        return text or f"dtrace exited with status {self.returncode}"


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
    prepared = prepare(source, tracer_name, frame, dialect=dialect, detected=detected)
    return Tracing(prepared, dtrace=dtrace, args=args, target_cmd=target_cmd, pid=pid,
                   duration=duration, destructive=destructive, zdefs=zdefs, quiet=quiet,
                   options=options, on_warning=on_warning, stop_timeout=stop_timeout, where=where)


__all__ = ["RunError", "RunArgumentError", "DTraceFailed", "Tracing", "run", "prepare", "find_dtrace", "Printed", "Text"]
