"""What a script's ``#!`` line asks of dtrace (``-qs``, ``-Cs``, ``-x bufsize=8m -s``), as ``./x.d``
would run it, and the flags of that line ``dtracepy run`` cannot honour."""

from __future__ import annotations

import attrs

from dtracepy.facts import command_line
from dtracepy.run.errors import RunError
from dtracepy.source import Pos


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
