"""dtrace's command-line flags, and the flags a script's ``#!`` line gives it.

The one home of these facts: ``check`` reads a ``#!`` line for its ``-w``, its ``-C`` with ``-D``
and ``-I`` (:func:`preprocessing`) and the ``-x`` options it names, ``run`` for every flag it honours or refuses.  The flags are those of
``DTRACE_OPTSTR`` in ``cmd/dtrace.c`` (Oracle's DTrace 2.0 for Linux; illumos and FreeBSD have the
same letters): a letter followed by ``:`` takes a value, attached (``-xbufsize=8m``) or as the
next word (``-x bufsize=8m``), so in ``-xswitchrate=10hz`` or ``-o w.out`` no ``w`` is a flag.
"""

from __future__ import annotations

OPTSTR = "3:6:aAb:Bc:CD:ef:FGhHi:I:lL:m:n:o:p:P:qs:SU:vVwx:X:Z"

#: Every flag letter dtrace knows.
FLAGS = frozenset(OPTSTR.replace(":", ""))
#: The flags that take a value.
TAKES_VALUE = frozenset(letter for letter, after in zip(OPTSTR, OPTSTR[1:] + " ")
                        if letter != ":" and after == ":")


def shebang_flags(text: str) -> tuple[list[tuple[str, str | None]], list[str]]:
    """The flags the ``#!`` line whose text (after ``#!``) is ``text`` gives dtrace, in order, as
    ``(letter, value or None)``, and what is wrong with the line, if anything.

    What follows the interpreter is one argument, as the kernel passes it, read as dtrace's getopt
    reads it (``-qs``, ``-Cs``, ``-xbufsize=8m``); a blank in it gives no flag and a problem
    (``-q -w -s`` stops dtrace at "invalid option"), but for ``#!/usr/bin/env -S dtrace -q -s``,
    whose words env splits.  A line that runs another program (``#!/bin/sh``) gives none.  Reading ends at ``-s``: its value is the script's path, which the
    kernel appends.  A word that is not a flag, a letter dtrace does not know, a value missing and
    words after ``-s`` are each described in the second list; the first holds every flag read.
    A letter dtrace does not know (``--w``, ``-Kw``, ``-w-``) ends the reading with no flag read:
    dtrace says "invalid option" and runs nothing, so not even a ``-w`` before it is given."""
    flags: list[tuple[str, str | None]] = []
    problems: list[str] = []
    # The kernel (Linux, and FreeBSD since 6.0) splits a #! line once: the interpreter, then all
    # the rest, blanks included, as ONE argument.  `-q -w -s` reaches dtrace's getopt as one word,
    # which stops at the blank ("invalid option -- ' '"), and `dtrace -s x.d` reads the line as a
    # comment: a blank among the flags gives dtrace no flag at all.  Only `env -S` splits words.
    interpreter, _, rest = text.strip(" \t").replace("\t", " ").partition(" ")
    rest = rest.strip(" ")
    if interpreter.rsplit("/", 1)[-1] == "env":     # #!/usr/bin/env -S dtrace -qs
        if rest.startswith("-S"):
            words = rest[2:].split()
        else:                                       # env runs a program named all of `rest`
            if " " in rest and "dtrace" in rest.split(" ", 1)[0].rsplit("/", 1)[-1]:
                problems.append(f"the #! line gives env '{rest}' as one argument, the name of the "
                                "program to run (write #!/usr/bin/env -S ... to split it into words)")
            return flags, problems
    else:
        words = [interpreter, rest] if rest else [interpreter]
    if not words or "dtrace" not in words[0].rsplit("/", 1)[-1]:
        return flags, problems
    words = words[1:]
    if len(words) == 1 and " " in words[0]:
        problems.append(f"the #! line gives dtrace '{words[0]}' as one argument (the kernel passes "
                        "all that follows the interpreter as one word), so ./x.d stops at \"invalid "
                        "option\": write the flags as one word that ends in s (-qws), and options "
                        "as #pragma D option lines")
        return flags, problems
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if not word.startswith("-") or word in ("-", "--"):
            problems.append(f"the #! line's {word!r} is not a flag (dtrace would take it as a macro "
                            "argument)")
            continue
        j = 1
        while j < len(word):
            letter = word[j]
            j += 1
            if letter not in FLAGS:  # dtrace stops there ("invalid option") and runs nothing
                problems.append(f"the #! line's -{letter} is not a dtrace flag")
                return [], problems
            value = None
            if letter in TAKES_VALUE and letter != "s":
                value, j = word[j:], len(word)
                if not value:
                    if i >= len(words):
                        problems.append(f"the #! line's -{letter} has no value")
                        continue
                    value, i = words[i], i + 1
            flags.append((letter, value))
            if letter == "s":
                if j < len(word) or i < len(words):
                    problems.append("the #! line has words after -s: dtrace would read the first as "
                                    "the script's name (-s must come last)")
                return flags, problems
    return flags, problems


def dtrace_shebang_problem(text: str) -> str | None:
    """Why ``text`` (what follows ``#!``) cannot be the ``#!`` line of a D script dtracepy writes,
    or None: it must run dtrace (``<path>/dtrace``), and give it at most one word of flags ending
    in ``-s`` (``/usr/sbin/dtrace -qs``), since Linux passes everything after the interpreter as
    one argument; the flags are read by :func:`shebang_flags`."""
    if text.startswith("#!"):
        return "give the text after #! (the #! is written for you), not the #! too"
    words = text.split()
    if not words:
        return "an empty #! line runs nothing"
    if words[0].rsplit("/", 1)[-1] != "dtrace":
        return (f"the #! line runs {words[0]!r}, not dtrace: ./x.d would run that program on the D "
                "(write <path>/dtrace -qs)")
    flags, problems = shebang_flags(text)   # (blanks among the flags: one argument, said there)
    if problems:
        return problems[0]
    if not flags or flags[-1][0] != "s":
        return "the #! line's flags must end in -s, which names the script to dtrace (write -qs)"
    return None


def relative_interpreter_problem(text: str) -> str | None:
    """Why the ``#!`` line whose text (after ``#!``) is ``text`` starts dtrace only from some
    directories, or None: its interpreter (``dtrace``, or ``env`` running it) is no absolute
    path, and the kernel looks a relative one up from the directory ``./x.d`` is run in, never on
    PATH (``#!dtrace -qs`` runs a ``./dtrace``; elsewhere "required file not found").  A warning,
    not a refusal: ``dtrace -s x.d`` and ``dtracepy run`` never run the interpreter, and Oracle's
    own tests hold such a line (``tst.quiet.d``)."""
    interpreter = text.strip(" \t").replace("\t", " ").partition(" ")[0]
    if not interpreter or interpreter.startswith("/"):
        return None
    base = interpreter.rsplit("/", 1)[-1]
    if base != "env" and "dtrace" not in base:
        return None                               # another program: the line runs no dtrace
    meant = "/usr/bin/env" if base == "env" else "/usr/sbin/dtrace"
    return (f"the #! line's interpreter {interpreter!r} is no absolute path: the kernel looks it up "
            f"from the directory ./x.d is run in, not on PATH, so ./x.d starts only from a directory "
            f"that holds {interpreter!r} (write its full path, {meant}, or the one "
            f"`command -v {base}` prints)")


#: What cpp says of a ``#!`` line below a script's first: dtrace -C strips only the first line
#: when it is ``#!``, and cpp refuses any other (``# !x`` too).  ``check -C`` says it of such a
#: line in a file, ``compile`` of a tracer's ``t.directive("", "!...")`` that goes through cpp.
HASH_BANG_UNDER_CPP = ("invalid preprocessing directive #! (under -C, dtrace reads a #! line only as "
                       "the script's first line)")


def hash_bang_directive(name: str, text: str) -> bool:
    """Whether the directive ``#name text`` is a ``#!`` line (a null directive holding ``!...``),
    which cpp refuses (:data:`HASH_BANG_UNDER_CPP`)."""
    return name == "" and text.startswith("!")


def preprocessing(first_line: str) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    """What a script's first line, when it is a ``#!`` line (``first_line`` with its ``#!``), asks
    of the C preprocessor, as :func:`shebang_flags` reads it: (``-C`` given, the ``-D`` values,
    the ``-I`` values).  ``check`` reads a script with them as ``./x.d`` would run it."""
    if not first_line.startswith("#!"):
        return False, (), ()
    flags = shebang_flags(first_line[2:])[0]
    return (any(letter == "C" for letter, _ in flags),
            tuple(value for letter, value in flags if letter == "D"),
            tuple(value for letter, value in flags if letter == "I"))
