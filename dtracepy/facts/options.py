"""D's options (``#pragma D option NAME[=VALUE]``, ``dtrace -x NAME[=VALUE]``) and pragmas.

The one home of these facts.  Gathered from the option tables of the compilers' ``dt_options.c``
(Oracle's DTrace 2.0 for Linux, illumos, FreeBSD) and their ``dt_pragma.c``, widened where the
corpus of real scripts shows an option a real compiler accepts (``D-REFERENCE.md``, Options).

Each option has a *kind*, which says what value it takes, as the option's handler in
``dt_options.c`` parses it:

``flag``      no value at all (``zdefs``; ``zdefs=1`` is an error)
``toggle``    no value, a boolean word (``yes/no enable/disable enabled/disabled true/false on/off
              set/unset``, any case) or a non-negative integer (``quiet``, ``destructive``)
``size``      a non-negative integer with an optional ``k m g t`` suffix (``bufsize=8m``)
``rate``      a non-negative integer with an optional unit ``ns us ms s m h d`` (and long forms)
              or ``hz`` (``switchrate=10hz``); no unit means nanoseconds
``count``     a non-negative integer (``iregs=8``)
``choice``    one of a few words (``bufpolicy=ring|fill|switch``)
``text``      any value (a path, a cpp argument, a version)

:func:`problem` says why ``name=value`` is not an option D accepts; :func:`suggest` finds the
option a misspelt name probably meant.
"""

from __future__ import annotations

import re

import attrs


@attrs.frozen
class Option:
    name: str
    kind: str
    #: For ``choice``: the words it takes.
    choices: tuple[str, ...] = ()
    #: The dialects that have it (``None``: every dialect).
    dialects: frozenset | None = None
    #: Must a value be given (``bufpolicy``) rather than may (``bufsize``)?
    needs_value: bool = False


ALL_DIALECTS = None
ORACLE = frozenset({"oracle"})
SUN = frozenset({"illumos", "freebsd", "macos"})  # the illumos line: illumos, FreeBSD, macOS


def _table(kind: str, names: str, dialects=None, needs_value: bool = False, choices=()):
    return {name: Option(name, kind, tuple(choices), dialects, needs_value) for name in names.split()}


OPTIONS: dict[str, Option] = {
    # Compile-time options that take no value (dt_opt_cflags and friends).
    **_table("flag", "aggpercpu argref core cpp cpphdrs defaultargs debug droptags empty errtags kdefs "
                     "knodefs lazyload nolibs pspec strip udefs unodefs verbose zdefs"),
    **_table("flag", "linknommap", ORACLE),
    # Compile-time options with a value.
    **_table("text", "amin cpppath ctypes define dtypes incdir ldpath libdir modpath syslibdir undef "
                     "version", needs_value=True),
    **_table("text", "cppargs ctfpath dofstashpath procfspath sysslice", ORACLE, needs_value=True),
    **_table("count", "iregs pgmax tree tregs", needs_value=True),
    **_table("count", "disasm useruid", ORACLE, needs_value=True),
    **_table("size", "preallocate"),
    "late": Option("late", "choice", ("dynamic", "static"), None, True),
    "evaltime": Option("evaltime", "choice", ("exec", "preinit", "postinit", "main"), None, True),
    "linkmode": Option("linkmode", "choice", ("kernel", "primary", "dynamic", "static"), None, True),
    "linktype": Option("linktype", "choice", ("elf", "dof"), None, True),
    "stdc": Option("stdc", "choice", ("a", "c", "s", "t"), None, True),
    "debugassert": Option("debugassert", "choice", ("mutexes",), ORACLE, True),
    # Run-time options.
    **_table("size", "aggsize bufsize dynvarsize jstackstrsize specsize strsize scratchsize"),
    **_table("size", "bpflogsize pcapsize printsize", ORACLE),
    **_table("toggle", "cpu destructive grabanon jstackframes maxframes nspec stackframes "
                       "ustackframes noresolve"),
    **_table("toggle", "bpflog", ORACLE),
    **_table("rate", "cleanrate statusrate"),
    "bufpolicy": Option("bufpolicy", "choice", ("ring", "fill", "switch"), None, True),
    "bufresize": Option("bufresize", "choice", ("auto", "manual"), None, True),
    "lockmem": Option("lockmem", "size", (), ORACLE, True),  # or "unlimited"
    # Dynamic run-time options (may change while tracing).
    **_table("rate", "aggrate switchrate"),
    **_table("toggle", "aggsortkey aggsortkeypos aggsortpos aggsortrev flowindent quiet quietresize "
                       "rawbytes stackindent"),
    # The illumos line's newer options, seen in the corpus (illumos, FreeBSD, macOS tests).
    **_table("toggle", "agghist aggpack aggzoom temporal noerror", SUN),
    **_table("count", "buflimit", SUN, needs_value=True),
    **_table("text", "zone oformat", SUN, needs_value=True),
    "encoding": Option("encoding", "choice", ("ascii", "utf8"), SUN, True),
}

#: Options only ``dtrace -x`` may set: a script's pragma setting them is an error (``lockmem``,
#: Oracle's: "failed to set option 'lockmem' to '1m': Option cannot be used from within a D
#: program", ``dtrace -e``; ``-x lockmem=1m`` is taken).
COMMAND_LINE_ONLY = frozenset({"setenv", "unsetenv", "lockmem"})

#: Size options whose least value a dialect's compiler enforces as it reads the option, by
#: dialect: option -> the least value it takes; given bare, it is refused too.  Oracle's D 2.0
#: refuses ``#pragma D option strsize`` (bare), ``strsize=0`` or ``=1`` and a bare
#: ``preallocate`` at compile time ("failed to set option 'strsize': Invalid value for specified
#: option", ``dtrace -e``; tests/test_check_gaps15.py has it judge them), where the illumos line's
#: dt_opt_size reads a bare size as 0 and takes any.
LEAST_SIZES = {"oracle": {"strsize": 2, "preallocate": 0}}
#: Options a dialect's dtrace compiles bare or 0 but cannot run with, by dialect: Oracle's D 2.0
#: says "could not enable tracing: Enabling exceeds size of buffer" (``bufsize``) and "failed to
#: create BPF map 'specs': Invalid argument" (``nspec``) when the script is run, ``dtrace -s``;
#: ``dtrace -e`` takes them.
UNRUNNABLE_ZERO = {"oracle": frozenset({"bufsize", "nspec"})}

#: Options a dialect's compiler refuses in a program's ``#pragma D option``, by dialect: the
#: compile-time options that only ``dtrace -x`` (or a flag) may set.  Oracle's D 2.0: "failed to set
#: option 'cpppath' to '/usr/bin/cpp': Option cannot be used from within a D program" (``dtrace -e``;
#: each measured, and judged in tests/test_new_user_review18.py); ``core`` it takes, then dumps
#: core ("libdtrace DEBUG: [ forcing coredump ]", killed by SIGABRT), a debugging option.
PROGRAM_REFUSED = {"oracle": frozenset({"cppargs", "cpphdrs", "cpppath", "ctfpath", "define", "incdir", "ldpath",
                                        "modpath", "procfspath", "stdc", "undef", "core"})}


#: The D versions a dialect's compiler knows (``#pragma D option version=...``; any other well-formed
#: version is "Requested version is not supported by compiler"), by dialect.  Oracle's D 2.0,
#: measured with ``dtrace -e`` (tests/test_leftovers18.py): 1.0 to 1.6.4 and 2.0, not 1.7 (the
#: illumos line's 1.7 to 1.13 are not Oracle's), nor 2.0.1.
VERSIONS = {"oracle": frozenset({(1, 0, 0), (1, 1, 0), (1, 2, 0), (1, 2, 1), (1, 2, 2), (1, 3, 0), (1, 4, 0),
                                 (1, 4, 1), (1, 5, 0), (1, 6, 0), (1, 6, 1), (1, 6, 2), (1, 6, 3), (1, 6, 4),
                                 (2, 0, 0)})}
#: Register counts a dialect's compiler takes (``iregs``, ``tregs``), by dialect: option -> (least,
#: most).  Oracle's D 2.0 (measured): ``iregs`` only 8 (below, "Insufficient registers to generate
#: code"; 0 or above, "Invalid value for specified option"), ``tregs`` at least 1; each in decimal
#: (``iregs=0x8``, ``tregs=0x10`` are refused as invalid).
REGISTER_COUNTS = {"oracle": {"iregs": (8, 8), "tregs": (1, None)}}
#: dtrace_str2attr's names (dt_open.c / dt_subr.c): a stability level, any case, and a class.
STABILITY_NAMES = ("internal", "private", "obsolete", "external", "unstable", "evolving", "stable", "standard")
CLASS_NAMES = ("unknown", "cpu", "platform", "group", "isa", "common")


def dialect_value_problem(name: str, value: str | None, dialect: str) -> str | None:
    """Why ``dialect``'s compiler refuses ``version=`` a version it does not know, or a register count
    it cannot use (:data:`VERSIONS`, :data:`REGISTER_COUNTS`), a value :func:`value_problem` takes;
    None when it takes it, or when it is not known here."""
    if value is None:
        return None
    if name == "version" and dialect in VERSIONS and version_ok(value):
        parts = tuple(int(part or "0") for part in value.split(".")) + (0, 0)
        if parts[:3] not in VERSIONS[dialect]:
            known = sorted(VERSIONS[dialect])
            shown = ", ".join(".".join(map(str, v[:2] if not v[2] else v)) for v in (known[0], known[-2], known[-1]))
            return (f"option version={value}: {dialect} D knows no such version (dtrace: \"Requested version is not "
                    f"supported by compiler\"); it knows {shown.replace(', ', ' to ', 1)}")
    counts = REGISTER_COUNTS.get(dialect, {}).get(name)
    if counts is not None:
        least, most = counts
        number = int(value) if value.isdigit() and value.isascii() else None
        if number is None or (value[:1] == "0" and len(value) > 1):
            return (f"option {name}={value}: {dialect} D reads a decimal number here (dtrace: \"Invalid value for "
                    "specified option\")")
        if number < least or (most is not None and number > most):
            said = "Insufficient registers to generate code" if 0 < number < least else \
                "Invalid value for specified option"
            want = f"exactly {least}" if least == most else f"at least {least}"
            return f"option {name}={value}: {dialect} D takes {want} (dtrace: \"{said}\")"
    return None


def _attributes_problem(value: str) -> str | None:
    """Why ``amin=value`` is no attribute dtrace_str2attr reads (stability[/stability[/class]],
    names in any case), or None.  (An empty part is read otherwise by Oracle's and illumos' code:
    not judged.)"""
    parts = value.split("/")
    for number, part in enumerate(parts):
        if part == "":
            return None
        names = CLASS_NAMES if number == 2 else STABILITY_NAMES if number < 2 else ()
        if part.lower() not in names:
            if number > 2:
                return (f"option amin={value}: an attribute has three parts at most, stability/stability/class "
                        "(dtrace: \"Invalid value for specified option\")")
            return (f"option amin={value}: {part!r} is no {'class' if number == 2 else 'stability level'} "
                    f"({', '.join(n.capitalize() for n in names)}) (dtrace: \"Invalid value for specified "
                    "option\"): amin=Evolving/Evolving/Common, say")
    return None


def program_refused_problem(name: str, dialect: str) -> str | None:
    """Why ``dialect``'s dtrace stops at ``#pragma D option name`` (:data:`PROGRAM_REFUSED`), or None."""
    if name not in PROGRAM_REFUSED.get(dialect, ()):
        return None
    if name == "core":
        return (f"option core makes {dialect} D's dtrace dump core (\"libdtrace DEBUG: [ forcing coredump ]\", "
                "SIGABRT): a debugging option of libdtrace's, not for a script")
    return (f"option {name} cannot be set from a program in {dialect} D (dtrace: \"Option cannot be used from "
            f"within a D program\"): give it on dtrace's command line (-x {name}=...)")


#: The pragmas D knows after ``#pragma D`` (dt_pragma.c); ``#pragma D`` with any other word is an
#: error.  ``error``, ``ident`` and ``line`` are also control lines of their own (``#ident``).
D_PRAGMAS = ("attributes", "binding", "depends_on", "error", "ident", "line", "option")
#: What ``#pragma D depends_on`` depends on.
DEPENDS_ON = ("library", "module", "provider")

_BOOL_WORDS = frozenset("yes no enable disable enabled disabled true false on off set unset".split())
#: The values that turn a toggle off (any case), as Oracle's dtrace reads them: the empty value
#: too.  Every other value it takes turns it on: no value, ``yes``/``on``/``true``/``enable``/
#: ``enabled``/``set``, and a number, ``0`` too (``destructive=0`` runs ``system()``; judged by
#: the real dtrace, for a pragma and for ``-x``, in tests/test_safety_review8.py).
TOGGLE_OFF = frozenset("no disable disabled false off unset".split()) | {""}
_NUMBER = r"(?:0[xX][0-9A-Fa-f]+|[0-9]+)"


def _fullmatch(pattern: str, flags: int = 0):
    """``re.compile(pattern, flags).fullmatch``, compiled on first use: a ``check`` compiles only
    the patterns its pragmas need (re caches them)."""
    return lambda text: re.fullmatch(pattern, text, flags)


_SIZE = _fullmatch(_NUMBER + r"[kKmMgGtT]?")
_RATE = _fullmatch(_NUMBER + r"(?:ns|nsec|us|usec|ms|msec|s|sec|m|min|h|hour|d|day|hz)?", re.IGNORECASE)
_COUNT = _fullmatch(_NUMBER)
_NAME = _fullmatch(r"[A-Za-z_][A-Za-z0-9_]*")
# A value is one word of a #pragma line: no blanks, quotes or control characters, no comment.
_VALUE = _fullmatch(r'[^\x00-\x20"\x7f]*')


def option(name: str) -> Option | None:
    return OPTIONS.get(name)


def suggest(name: str) -> str | None:
    """The known option a misspelt ``name`` most likely meant, or None."""
    import difflib  # only when there is something to suggest: it costs start-up time

    close = difflib.get_close_matches(name, OPTIONS, n=1, cutoff=0.75)
    return close[0] if close else None


def _quoted(text) -> str:
    """``repr(text)`` for a message, except that a byte that is not UTF-8 (read as a lone surrogate,
    ``os.fsdecode``'s and D files' surrogateescape) stays itself: whoever prints the message shows
    it as the file or command line holds it (``\\xff``, ``dtracepy.source.shown_text``), as every
    other message does, rather than as Python's ``'\\udcff'``."""
    shown = repr(text)
    if "\\udc" not in shown:
        return shown
    # repr's escape of a lone surrogate (not an escaped backslash followed by "udc..")
    return re.sub(r"(?<!\\)((?:\\\\)*)\\udc([89a-f][0-9a-f])",
                  lambda m: m.group(1) + chr(0xDC00 + int(m.group(2), 16)), shown)


def name_problem(name, dialect: str | None = None) -> str | None:
    """Why ``name`` is not an option D knows (for ``dialect``, if given), or None."""
    if not isinstance(name, str) or _NAME(name) is None:
        return f"{_quoted(name)} is not an option name"
    if name in COMMAND_LINE_ONLY:
        return f"option {name} can only be given on dtrace's command line (-x {name}=...)"
    known = OPTIONS.get(name)
    if known is None:
        guess = suggest(name)
        return f"unknown D option {_quoted(name)}" + (f"; did you mean {guess!r}?" if guess else "")
    if dialect is not None and known.dialects is not None and dialect not in known.dialects:
        return f"option {name} is not known to {dialect} D (only to {', '.join(sorted(known.dialects))})"
    return None


def value_problem(name: str, value: str | None) -> str | None:
    """Why ``value`` (None: no value given) is not what option ``name`` takes, or None.
    ``name`` must be a known option."""
    known = OPTIONS[name]
    if value is None:
        return f"option {name} needs a value ({name}=...)" if known.needs_value else None
    if not isinstance(value, str) or _VALUE(value) is None:
        return (f"option {name}: {_quoted(value)} is not an option value (one word: no blanks, quotes or "
                "control characters)")
    if "/*" in value or "*/" in value:
        return f"option {name}: {_quoted(value)} holds a comment delimiter"
    kind = known.kind
    if kind == "flag":
        return f"option {name} takes no value (write it alone: #pragma D option {name})"
    if name == "version" and value and not version_ok(value):
        return (f"option version={value}: a version is major[.minor[.micro]] in decimal, at most 255.4095.4095 "
                "(dtrace: \"Version is not properly formatted or is too large\")")
    if name == "amin" and value:
        return _attributes_problem(value)
    if kind in _NUMBERS_READ and _too_big(value):
        return (f"option {name}: {_quoted(value if len(value) <= 40 else value[:37] + '...')} does not fit in "
                "64 bits (dtrace refuses it: \"Invalid value for specified option\")")
    if kind == "toggle":
        if value == "" or value.lower() in _BOOL_WORDS or _COUNT(value):
            return None
        return (f"option {name} takes no value, a number or one of yes/no, on/off, true/false, "
                f"enable/disable, set/unset; not {_quoted(value)}")
    if kind == "size":
        if _SIZE(value) or (name == "lockmem" and value == "unlimited"):
            return None
        return f"option {name} takes a size such as 4m, 512k or 65536; not {_quoted(value)}"
    if kind == "rate":
        if _RATE(value):
            return None
        return f"option {name} takes a rate such as 10hz, 100ms or 1s; not {_quoted(value)}"
    if kind == "count":
        return None if _COUNT(value) else f"option {name} takes a number; not {_quoted(value)}"
    if kind == "choice":
        if value in known.choices or (name == "linktype" and value.lower() in known.choices):
            return None
        return f"option {name} takes {' or '.join(known.choices)}; not {_quoted(value)}"
    if value == "":
        return f"option {name} needs a value ({name}=...)"
    return None


#: The kinds whose number dtrace reads with strtoull() and refuses past 2**64 - 1 ("failed to set
#: option 'bufsize' to '18446744073709551616': Invalid value for specified option").  Not a rate:
#: Oracle's ``dtrace -e`` takes ``switchrate=18446744073709551616``; nor the product of a size
#: and its suffix (``bufsize=18446744073709551615k`` is taken too).
_NUMBERS_READ = frozenset(("size", "count", "toggle"))


def _too_big(value: str) -> bool:
    """Is the number ``value`` starts with (as strtoull reads it: hex, octal or decimal) past
    2**64 - 1?"""
    match = re.match(r"0[xX]([0-9A-Fa-f]+)|0([0-7]+)|([0-9]+)", value)
    if match is None:
        return False
    hexadecimal, octal, decimal = match.groups()
    number = int(hexadecimal, 16) if hexadecimal else int(octal, 8) if octal else int(decimal)
    return number >= 2**64


def least_size_problem(name: str, value: str | None, dialect: str) -> str | None:
    """Why ``dialect``'s compiler refuses option ``name`` set to ``value`` (None: bare), a value
    :func:`value_problem` takes, for being below its least value (:data:`LEAST_SIZES`), or None."""
    least = LEAST_SIZES.get(dialect, {}).get(name)
    if least is None:
        return None
    if value is None:
        return (f"option {name} needs a value in {dialect} D ({name}={max(least, 1) * 256 if least else 0}, "
                f"say): dtrace refuses it bare (\"failed to set option '{name}': Invalid value for "
                "specified option\")")
    size = _size_value(value)
    if size is None or size >= least:
        return None
    return (f"option {name}={value} is below {least}, the least {dialect} D takes (dtrace: \"failed to set "
            f"option '{name}' to '{value}': Invalid value for specified option\")")


def unrunnable_problem(name: str, value: str | None, dialect: str) -> str | None:
    """Why option ``name`` set to ``value`` (None: bare) compiles but cannot run in ``dialect``
    (:data:`UNRUNNABLE_ZERO`: bare or 0), or None."""
    if name not in UNRUNNABLE_ZERO.get(dialect, ()) or (value is not None and _size_value(value) != 0):
        return None
    said = ("Enabling exceeds size of buffer" if name == "bufsize"
            else "failed to create BPF map 'specs': Invalid argument")
    return (f"option {name}{'' if value is None else '=' + value} sets it to 0: {dialect} D compiles "
            f"it, but the script cannot run (dtrace: \"could not enable tracing: {said}\"); give it a "
            f"size ({name}={'4m' if name == 'bufsize' else '1'})")


def _size_value(value: str) -> int | None:
    """The number a size (or count) option's value stands for (``4k``: 4096), or None when it is
    none."""
    if _SIZE(value) is None:
        return None
    suffix = value[-1].lower() if value[-1] in "kKmMgGtT" else ""
    number = value[:-1] if suffix else value
    base = int(number, 16) if number[:2] in ("0x", "0X") else int(number, 8) if len(number) > 1 and \
        number[0] == "0" else int(number)
    return base * 1024 ** (" kmgt".index(suffix) if suffix else 0)


def toggle_on(value: str | None) -> bool:
    """Does a toggle option set to ``value`` (None: given bare) turn on?  A value dtrace refuses
    (``destructive=x``) is not on: the option's own check reports it."""
    if value is None:
        return True
    return value.lower() not in TOGGLE_OFF and (value.lower() in _BOOL_WORDS or _COUNT(value) is not None)


#: The toggles whose number means a number (a CPU, frames, speculations: ``nspec=4``); every other
#: toggle is a switch, which dtrace turns on for any number, ``quiet=0`` too (judged live).
NUMERIC_TOGGLES = frozenset("cpu jstackframes maxframes nspec stackframes ustackframes".split())


def python_value_problem(name: str, value) -> str | None:
    """Why a tracer's ``options={name: value}`` (or ``t.option``, or ``run``'s ``options``) would
    say to a Python reader what dtrace does not hear, or None: ``destructive`` set to anything but
    True (False or None leave it out), since only the bare option cannot be misread
    (``destructive=0`` is on, ``destructive=no`` off); a switch (``quiet``, ``flowindent``) set to
    a Python number, ``0`` too, which dtrace reads as on (a str, ``"1"``, is dtrace's text as
    written: ``dtracepy import`` writes ``#pragma D option aggsortkeypos=1`` so)."""
    if value is True:
        return None
    if name == "destructive":
        return (f"option destructive: write True (#pragma D option destructive) to allow destructive "
                f"actions, or leave it out, not {_quoted(value)}: dtrace reads destructive=0 and "
                "destructive=1 as on but destructive=no, =off and =false as off")
    known = OPTIONS.get(name)
    number = isinstance(value, int) and not isinstance(value, bool)  # (a str is dtrace's text as written)
    if known is not None and known.kind == "toggle" and name not in NUMERIC_TOGGLES and number:
        return (f"option {name} is on or off: write True to turn it on (#pragma D option {name}), "
                f"or leave it out, not {_quoted(value)}: dtrace reads any number, "
                f"{name}=0 too, as on")
    return None


def problem(name, value: str | None = None, dialect: str | None = None) -> str | None:
    """Why ``#pragma D option name[=value]`` is not an option D accepts, or None."""
    return name_problem(name, dialect) or value_problem(name, value)


def crashing_pragma(words) -> bool:
    """Is this ``#pragma`` the ``D attributes <attrs> provider [name]`` line Oracle's dtrace 2.0
    crashes on (a segmentation fault, exit 139, with ``dtrace -e`` too; with more words after the
    name it says "unused #pragma attributes" instead)?  A dialect says whether its compiler
    crashes so: :attr:`dtracepy.facts.dialects.Dialect.crashes_on_provider_attributes`."""
    words = tuple(words)
    return len(words) in (4, 5) and words[:2] == ("D", "attributes") and words[3] == "provider"


#: What is said of a :func:`crashing_pragma` line.
CRASHING_PRAGMA = ("#pragma D attributes ... provider crashes Oracle's dtrace (D 2.0: a segmentation fault, "
                   "exit 139, before any error message): leave the line out for it")


def attributes_words(words) -> tuple:
    """The words of a ``#pragma D attributes`` line up to a comment (dtrace reads a comment there
    as no word: ``... execname /* x */`` is refused for naming execname, not for the comment)."""
    words = tuple(words)
    end = next((i for i, word in enumerate(words) if word.startswith(("/*", "//"))), len(words))
    return words[:end]


#: ``#pragma D attributes`` without an identifier (Oracle's dtrace 2.0: "malformed #pragma
#: attributes <attributes> <ident>").
MALFORMED_ATTRIBUTES = ("#pragma D attributes takes attributes and an identifier: "
                        "#pragma D attributes Evolving/Evolving/Common name (dtrace: malformed)")


def attributes_target_problem(words, declared, builtin) -> str | None:
    """Why a ``#pragma D attributes <attrs> <name>`` line is refused for its name, or None.
    dtrace looks the name up among the program's global identifiers (a declared variable, an
    inline, an enumerator, wherever in the program Oracle's D 2.0 declares it): a name declared
    nowhere, or only assigned, a ``self``/``this`` variable, a type, is "unused #pragma
    attributes"; a built-in one (execname, arg0, strlen, ESRCH) "cannot modify entity defined
    outside program scope".  Lines with more words are not judged here.
    ``declared``: the program's global identifiers; ``builtin``: is a name D's own."""
    words = tuple(words)
    if words[:2] == ("D", "binding"):
        # (dt_pragma_binding: the same lookup; words past the name are ignored)
        if len(words) < 4 or not words[2].startswith('"'):
            return None  # (malformed: pragma_problem)
    else:
        words = attributes_words(words)
        if len(words) != 4 or words[:2] != ("D", "attributes") or words[3] == "provider":
            return None  # (more words: judged otherwise; provider: crashing_pragma)
    kind, name = words[1], words[3]
    if name in declared:
        return None
    if builtin(name):
        return (f"#pragma D {kind} cannot change {name}: it is D's own, defined outside the "
                f"program (dtrace: #pragma {kind} cannot modify entity defined outside program scope)")
    return (f"#pragma D {kind} names {name}, which the program declares nowhere as a global "
            f"variable, inline or enumerator (dtrace: unused #pragma {kind})")


#: The largest major, minor and micro parts of a D version (dt_impl.h: DT_VERSION_MAJMAX ...).
VERSION_MAX = (0xFF, 0xFFF, 0xFFF)


def version_ok(text: str) -> bool:
    """Is ``text`` a version as dtrace reads one (dt_version_str2num): up to three parts of decimal
    digits separated by dots, each within :data:`VERSION_MAX` (an empty part is 0: ``"1."``)."""
    parts = text.split(".")
    if len(parts) > 3 or not all(part.isdigit() and part.isascii() or part == "" for part in parts):
        return False
    return all(int(part or "0") <= most for part, most in zip(parts, VERSION_MAX))


#: A word dtrace's control-line lexer reads as an integer (dt_lex.l, RGX_INT in state S3).
_LINE_INT = _fullmatch(r"(?:[0-9]+|0[xX][0-9A-Fa-f]+)[uU]?[lL]?[lL]?")
_LINE_FORM = "<line> [ [\"file\"] state ]"
_CLOSED_STRING = _fullmatch(r'"(?:[^"\\]++|\\.)*+"')  # (a quoted word whose last quote closes it)


def pragma_words(text: str) -> list[str]:
    """Split a ``#pragma`` (or other control) line's text into words; quoted words keep their
    quotes.  Only ASCII white space separates them, as in dtrace (Python's ``\\s`` takes U+2028
    and U+0085 too, which dtrace reads as part of a word: ``quiet`` + U+2028 is an invalid option
    name)."""
    # (possessive: a word of 4 MB held a backtracking frame per character, 500 MB)
    return re.findall(r'"(?:[^"\\]++|\\.)*+"?|\S+', text, re.ASCII)


def line_words(text: str) -> list[str]:
    """Split a ``#line`` control line's (or a line marker's) text after its name into words as
    dtrace reads them (and cpp, for the first two): as :func:`pragma_words`, but a quote ends a word
    too (``#line 5"x"`` is line 5 of file ``x`` to both; ``5"x"junk`` three words, malformed)."""
    return re.findall(r'"(?:[^"\\]++|\\.)*+"?|[^\s"]++', text, re.ASCII)


def line_problem(words, what: str = "#line", cpp: bool = False) -> str | None:
    """Why a ``#line`` control line (``#line``, a line marker ``# 12 "file" 1``, ``#pragma line``,
    ``#pragma D line``) with these words after its name is one dtrace refuses, or None.  dtrace
    reads it itself (dt_pragma_line): a line number, then optionally a quoted file name and
    integer flags; each number an integer constant as D reads one in a program ("constant 08
    contains invalid digit 8", "results in integer overflow", a decimal above
    9223372036854775807 "cannot be represented in any built-in integral type"), any other word
    (``1a``, ``-1``, a comment) "malformed #line <line> [ ["file"] state ]".  ``cpp``: the line
    is the C preprocessor's to read (``dtrace -C``), which takes only decimal digits for the number
    (``0x10`` and ``1a`` stop it).  Judged by the real dtrace in tests/test_new_user_review17.py."""
    from dtracepy.facts.escapes import decimal_unrepresentable

    words = tuple(words)
    if cpp:  # (the C preprocessor reads it first, and takes a digit sequence only; dtrace then
        # reads the line marker cpp writes)
        if not words or not (words[0].isdigit() and words[0].isascii()):
            shown = words[0][:40] if words else ""
            return (f"{what} takes a line number of decimal digits, not {shown or 'nothing'} (the C "
                    f"preprocessor, as dtrace -C runs it: \"{shown}\" after #line is not a positive integer)")
        return None
    malformed = (f"{what} is malformed: dtrace reads it as {_LINE_FORM}, a line number, then optionally "
                 "a quoted file name and integer flags")
    if not words or not _LINE_INT(words[0]):
        return f"{malformed} (dtrace: malformed #line {_LINE_FORM})"
    if len(words) > 1 and not (len(words[1]) > 1 and words[1][0] == words[1][-1] == '"'):
        return f"{malformed}, not {words[1]!r} (dtrace: malformed #line {_LINE_FORM})"
    if len(words) > 1 and not _CLOSED_STRING(words[1]):
        # ("a\": its last quote escaped, the name runs on to the end of the line)
        return (f"{what}'s file name {words[1]!r} is not closed: its last quote is escaped "
                "(dtrace: newline encountered in string literal)")
    for word in words[2:]:
        if not _LINE_INT(word):
            return f"{malformed}, not {word!r} (dtrace: malformed #line {_LINE_FORM})"
    for word in words[:1] + words[2:]:
        digits = word.rstrip("uUlL")
        if digits[0] == "0" and digits[1:2] not in ("x", "X"):
            bad = next((c for c in digits if c in "89"), None)
            if bad:
                return f"{what}'s constant {word} is octal, and contains the digit {bad} (dtrace: invalid digit {bad})"
        shown = word if len(word) <= 40 else f"{word[:20]}...({len(word)} characters)"
        hexadecimal = digits[1:2] in ("x", "X")
        significant = (digits[2:] if hexadecimal else digits).lstrip("0") or "0"
        if len(significant) > 22 or int(significant, 16 if hexadecimal else 8 if digits[0] == "0" else 10) >> 64:
            return f"{what}'s constant {shown} does not fit in 64 bits (dtrace: results in integer overflow)"
        if decimal_unrepresentable(word):
            return (f"{what}'s constant {shown} is a decimal above 9223372036854775807 without a U suffix "
                    "(dtrace: cannot be represented in any built-in integral type)")
    return None


def line_number(word: str) -> int:
    """The number a ``#line`` that :func:`line_problem` passes (dtrace reading it) gives: an
    integer constant as D reads one (``0x10`` is 16, ``010`` 8, ``10u`` 10)."""
    digits = word.rstrip("uUlL")
    if digits[1:2] in ("x", "X"):
        return int(digits[2:], 16)
    return int(digits, 8 if digits[:1] == "0" and len(digits) > 1 else 10)


def pragma_problem(words, dialect: str | None = None) -> str | None:
    """Why the ``#pragma`` with these words is one D rejects, or None.  Only ``#pragma D ...``
    lines are D's: other pragmas are ignored (K&R).  A comment on the line is words to D
    (``#pragma D option quiet /* x */``: "superfluous arguments specified for #pragma option",
    judged by the real dtrace in tests/test_injection.py), which ``depends_on`` and ``binding``
    ignore as they ignore any word past theirs; under ``-C`` the C preprocessor has made it a
    blank before (dtracepy.preprocess does the same)."""
    words = tuple(words)
    if words[:1] == ("line",):  # (a pragma of C's that dtrace reads: #pragma line 12 "file")
        return line_problem(words[1:], "#pragma line")
    if words[:1] == ("error",) or words[:2] == ("D", "error"):
        # (dt_pragma_error: as #error, dtrace stops there; with D or without, as #pragma line)
        said = " ".join(words[2 if words[0] == "D" else 1:])
        return (f"#pragma {' '.join(words[:2 if words[0] == 'D' else 1])} stops dtrace here, as #error "
                f"does (dtrace: \"#error: {said[:60]}\")")
    if not words or words[0] != "D":
        return None
    if len(words) < 2:
        return "#pragma D names no pragma (" + ", ".join(D_PRAGMAS) + ")"
    kind = words[1]
    if kind not in D_PRAGMAS:
        return f"invalid D pragma {_quoted(kind)}: D knows " + ", ".join(D_PRAGMAS)
    if kind == "line":
        return line_problem(words[2:], "#pragma D line")
    if kind == "option":
        if len(words) != 3:
            return ("#pragma D option takes one word, name or name=value" if len(words) < 3 else
                    f"superfluous arguments for #pragma D option: {' '.join(words[3:])}")
        name, eq, value = words[2].partition("=")
        return problem(name, value if eq else None, dialect)
    if kind == "attributes" and len(attributes_words(words)) < 4:
        return MALFORMED_ATTRIBUTES
    # (only option refuses words past its own: depends_on and binding ignore them, a comment too)
    if kind == "depends_on":
        if len(words) < 4 or words[2] not in DEPENDS_ON:
            return "#pragma D depends_on takes provider, module or library and one name"
    if kind == "binding":
        if len(words) < 4 or not words[2].startswith('"'):
            return '#pragma D binding takes a quoted version and a name: #pragma D binding "1.0" name'
        if not version_ok(words[2][1:-1]):
            return (f"#pragma D binding's version {words[2]} is no version D knows the form of: "
                    "major[.minor[.micro]], at most 255.4095.4095 (dtrace: invalid version string)")
    return None
