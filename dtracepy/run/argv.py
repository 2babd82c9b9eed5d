"""dtrace's command line for a prepared script: its flags, ``-x`` options, the command of ``-c``
and the macro arguments, checked against what the script uses."""

from __future__ import annotations

import os
import re
import shlex
import shutil

from dtracepy import tree
from dtracepy.run.errors import RunError
from dtracepy.run.script import Prepared
from dtracepy.source import Pos

#: -c and -p both name the process of $target: one only (a run's arguments and argv refuse it)
NOT_BOTH = "give the process of $target with -c COMMAND (target_cmd=) or -p PID (pid=), not both"


def _macro_numbers(macros) -> list[int]:
    out = []
    for m in macros:
        digits = m.lstrip("$")
        if digits.isdigit() and int(digits) > 0:
            out.append(int(digits))
    return out


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
        raise RunError(NOT_BOTH)
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
        # A use is located at the nearest node around it that has a place: the DSL's `target` is
        # one MacroVar shared by every tracer, made where dtracepy defines it, not at the user's line
        stack = [(item, item.pos)]
        while stack:
            node, around = stack.pop()
            here = node.pos or around
            if isinstance(node, tree.MacroVar) and node.name.lstrip("$") == bare:
                return here
            stack.extend((child, here) for child in reversed(list(node.children())))
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
    ``$target`` is still the command).  The script is named as the command's program (``sh`` for
    ``sh -c "ls /"``): a process's ``execname`` is the name of the file it runs, so the target's is
    the command's from its start, not the script's (it was ``target.sh`` until the ``exec``).
    A program whose name is not plain (blanks, quotes: dtrace would split the path) or is the
    name of a file already there (the D script) keeps ``target.sh``."""
    words = target_words(target_cmd)
    if all(w and re.fullmatch(r"[^\s'\"\\]+", w) for w in words):
        return " ".join(words)
    name = os.path.basename(words[0])
    if not re.fullmatch(r"[A-Za-z0-9_+][A-Za-z0-9._+-]*", name) or os.path.lexists(os.path.join(directory, name)):
        name = "target.sh"
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("#!/bin/sh\nexec " + shlex.join(words) + "\n")
    os.chmod(path, 0o755)
    return path
