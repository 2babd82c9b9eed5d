"""printf conversions of D (``printf``, ``printa``, ``system``, ``freopen``) and how to read a format.

D's conversions: ``%a %A %c %C %d %i %o %u %x %X %e %E %f %g %G %k %p %s %S %T %Y %%``, size
prefixes ``h l ll L w`` (not C's ``hh z j t``: "format conversion is undefined"), each with some
conversions only (:data:`PREFIXED`: ``%Lx``, ``%lf`` are undefined), flags ``# + - space ? ' 0 @``,
widths and precisions as digits or ``*`` (each ``*`` takes an integer argument), ``N$`` argument
references.  :func:`parse_format` is the one
reader of formats: the printf check, the DSL's records, and ``dtracepy run``'s framing, decoding
and tables all use it (each :class:`Conv` also says the flags, width and precision dtrace reads).
"""

from __future__ import annotations

CONVERSIONS = frozenset("aAcCdiouxXeEfgGkpsSTY")
FLAGS = frozenset("#+- ?'0")
SIZE_PREFIXES = ("ll", "h", "l", "L", "w")
#: Conversions that print an integer or pointer (never a string).
INTEGER_CONVERSIONS = frozenset("diouxXcCpaAYT")
#: Conversions that print a floating-point value or a stack.
OTHER_NUMERIC_CONVERSIONS = frozenset("eEfgGk")
#: Conversions that print a floating-point value.  No D value is one (floating-point constants are
#: refused, no cast makes one), so an integer given to one is refused by every lineage
#: (dt_printf.c's pfcheck_fp: "prototype: float, double, or long double").
FLOAT_CONVERSIONS = frozenset("eEfgG")
#: Conversions that print a string or char array.
STRING_CONVERSIONS = frozenset("sS")
#: The conversion that prints a stack.
STACK_CONVERSION = "k"
#: The conversion that prints a user-space symbol (dt_printf.c's pfcheck_uaddr): it takes a
#: ufunc()/usym()/umod()/uaddr() aggregation key, or any integer or pointer only where dtrace runs
#: with -p or -c (``$target`` is set).
USER_SYMBOL_CONVERSION = "A"
#: The conversion each symbol action's value takes as a printa key, in Oracle's D (whose
#: ``_symaddr``/``_usymaddr`` are no integers there: ``printa("%d", @)`` of a ``func()`` key is
#: refused, "argument #2 is incompatible with conversion #1 prototype").
SYMBOL_KEY_CONVERSIONS = {"func": "a", "sym": "a", "mod": "a",
                          "ufunc": "A", "usym": "A", "umod": "A", "uaddr": "A"}
#: The dialects where :data:`SYMBOL_KEY_CONVERSIONS` holds (illumos types them as integers).
SYMBOL_KEYS_TYPED = frozenset({"oracle"})
#: The conversions each size prefix goes with: dtrace looks the prefix and the conversion up
#: together in its table of conversions (dt_printf.c, every lineage) and refuses any other pair,
#: "format conversion #1 is undefined: %Lx" (tests/test_check_printf_types.py has the real dtrace
#: judge every pair).
PREFIXED = {"h": frozenset("diouxX"), "l": frozenset("cdiouxXs"), "ll": frozenset("diouxX"),
            "L": frozenset("eEfgG"), "w": frozenset("cs")}
#: Conversions that take the value as a pointer or an integer (dt_printf.c's pfcheck_addr,
#: pfcheck_kaddr, pfcheck_uaddr): a pointer given to any other is refused.
ADDRESS_CONVERSIONS = frozenset("paA")

# --- the integer types the printf check reasons about (D for Oracle Linux: LP64) ---------------
#: A C integer type: (bits, signed, the base type's name, a typedef of [u]int64_t).  A printf
#: conversion with a size prefix takes only some of them (dt_printf.c: %ld and %li need a signed
#: 64-bit integer, %lx a long or unsigned long by name, %llx also an [u]int64_t typedef; %c needs
#: at most 32 bits, %Y and %T 64 bits), where %d takes any.
INTEGER_TYPES = {
    "char": (8, True, "char", False), "signed char": (8, True, "signed char", False),
    "unsigned char": (8, False, "unsigned char", False),
    "short": (16, True, "short", False), "unsigned short": (16, False, "unsigned short", False),
    "int": (32, True, "int", False), "unsigned int": (32, False, "unsigned int", False),
    "long": (64, True, "long", False), "unsigned long": (64, False, "unsigned long", False),
    "long long": (64, True, "long long", False),
    "unsigned long long": (64, False, "unsigned long long", False),
    "int8_t": (8, True, "char", False), "uint8_t": (8, False, "unsigned char", False),
    "int16_t": (16, True, "short", False), "uint16_t": (16, False, "unsigned short", False),
    "int32_t": (32, True, "int", False), "uint32_t": (32, False, "unsigned int", False),
    "int64_t": (64, True, "long", True), "uint64_t": (64, False, "unsigned long", True),
    "intptr_t": (64, True, "long", False), "uintptr_t": (64, False, "unsigned long", False),
    "size_t": (64, False, "unsigned long", False), "ssize_t": (64, True, "long", False),
    # the types of built-in variables below
    "pid_t": (32, True, "int", False), "id_t": (32, True, "int", False),
    "uid_t": (32, False, "unsigned int", False), "gid_t": (32, False, "unsigned int", False),
    "uint_t": (32, False, "unsigned int", False),
}
#: The types of the built-in integer variables, by dialect, where they are known for certain (seen
#: on the real dtrace: tests/test_check_printf_types.py): only there does the printf check judge
#: the conversions with a size prefix (an int given to %ld), since long's size and the variables'
#: types differ between platforms (``epid`` is a uint_t on illumos, a uint64_t here).
BUILTIN_INTEGER_TYPES = {
    "oracle": {
        **{f"arg{i}": "int64_t" for i in range(10)},
        "pid": "pid_t", "ppid": "pid_t", "tid": "id_t", "errno": "int", "uid": "uid_t", "gid": "gid_t",
        "id": "uint_t", "ipl": "uint_t", "stackdepth": "uint32_t", "ustackdepth": "uint32_t",
        "epid": "uint64_t", "caller": "uintptr_t", "ucaller": "uint64_t", "timestamp": "uint64_t",
        "vtimestamp": "uint64_t", "walltimestamp": "int64_t",
    },
}

# what may stand between % and the conversion character
_FLAG_CHARS = frozenset("#+- ?'0@$.*0123456789")
#: The width D's ``?`` flag sets: a pointer's in hex digits (dt_printf.c: 16 for an LP64 target,
#: as D for Oracle Linux is; a width written after the ``?`` replaces it, one before it does not).
POINTER_WIDTH = 16
#: The order dtrace writes the flags it keeps back into the format it hands to C's printf
#: (dt_printf.c's dt_printf_format: ``#``, ``0``, ``-``, ``+``, ``'``, space).
_FLAG_ORDER = "#0-+' "


class Conv:
    """One conversion of a format.  (A plain slotted class: cheap to import.)"""

    __slots__ = ("text", "conv", "stars", "agg", "positional", "size", "start", "flags", "width",
                 "precision")

    def __init__(self, text: str, conv: str, stars: int = 0, agg: bool = False, positional: bool = False,
                 size: str = "", start: int = -1, flags: str = "", width: int = 0, precision: int = 0):
        self.text = text  # the whole conversion, "%-*.3ld"
        self.conv = conv  # the conversion character ("d"; "%@" needs one too: "%@d")
        self.stars = stars  # how many * (width, precision) take arguments
        self.agg = agg  # has the @ flag
        self.positional = positional  # an N$ argument reference
        self.size = size  # the size prefix ("l"), "" without one
        self.start = start  # where the conversion starts in the format (-1: not said; not compared)
        # as dtrace reads them (dt_printf.c's dt_printf_create; derived from text, not compared):
        self.flags = flags  # the flags it keeps, in _FLAG_ORDER ("0" and "-" undo each other)
        self.width = width  # 0: none; ? sets POINTER_WIDTH
        self.precision = precision  # 0: none (dtrace drops ".0" and "." as it drops no precision)

    def __eq__(self, other):
        if not isinstance(other, Conv):
            return NotImplemented
        return (self.text, self.conv, self.stars, self.agg, self.positional, self.size) == (
            other.text, other.conv, other.stars, other.agg, other.positional, other.size)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Conv({self.text!r}, {self.conv!r}, stars={self.stars}, agg={self.agg}, "
                f"positional={self.positional}, size={self.size!r})")


class FormatError(ValueError):
    pass


def format_text(fmt: str) -> str:
    """What of a format string D reads: up to its first NUL (``"%d\\0%d"`` is ``"%d"``: dtrace
    takes the format as a C string, so what follows a ``\\0`` is neither printed nor judged, and
    ``printf("%d\\0%d", 1, 2)`` has one argument too many)."""
    return fmt.split("\0", 1)[0] if "\0" in fmt else fmt


class TooManyArguments(FormatError):
    """A format whose conversions take more arguments than the caller's ``most`` (see
    :func:`parse_format`): ``number`` is the conversion's (from 1), ``start`` where it starts in
    the format, ``text`` its text."""

    def __init__(self, message: str, number: int, start: int, text: str):
        super().__init__(message)
        self.number = number
        self.start = start
        self.text = text


def parse_format(fmt: str, located: bool = True, most: int | None = None) -> list[Conv]:
    """The conversions of a printf format (up to its first NUL, :func:`format_text`), in order;
    raises :class:`FormatError` when malformed.

    ``located=False``: the same conversion written again is the same :class:`Conv` (its ``start``
    not said), read once: a 4 MiB format of two million ``%d`` took 490 MB and 9 s as one object
    per conversion, read character by character.  ``most``: raises :class:`TooManyArguments` at
    the first conversion that takes an argument past ``most`` (a format no call can be given its
    arguments for is read no further)."""
    fmt = format_text(fmt)
    convs = []
    seen: dict[str, Conv] = {}  # located=False: text -> its Conv
    n = len(fmt)
    needed = 0
    i = fmt.find("%")
    while i >= 0:
        if i + 1 < n and fmt[i + 1] == "%":
            i = fmt.find("%", i + 2)
            continue
        conv = None
        if not located:
            # the conversion's text ends at the character after the flags, width and precision,
            # or one or two later (a size prefix): a text read before is read the same again
            j = i + 1
            while j < n and fmt[j] in _FLAG_CHARS:
                j += 1
            conv = seen.get(fmt[i:j + 1]) or seen.get(fmt[i:j + 2]) or seen.get(fmt[i:j + 3])
        if conv is None:
            conv = _read(fmt, i, n)
            if not located:
                conv.start = -1
                seen[conv.text] = conv
        needed += conv.stars + 1
        if most is not None and needed > most:
            raise TooManyArguments(
                f"conversion #{len(convs) + 1:,} {conv.text!r} (character {i + 1:,} of the format) takes "
                f"argument #{needed:,}, and a call takes at most {most:,}", len(convs) + 1, i, conv.text)
        convs.append(conv)
        i = fmt.find("%", i + len(conv.text))
    return convs


def _read(fmt: str, start: int, n: int) -> Conv:
    """The conversion at ``fmt[start]`` (a ``%`` not followed by another)."""
    i = start + 1
    stars = width = precision = digits = 0
    agg = positional = dot = width_stars = dot_stars = False
    flags = set()
    while i < n and fmt[i] in _FLAG_CHARS:
        ch = fmt[i]
        if ch.isdigit():
            # dtrace: a 0 before any digit of the width is the zero-pad flag, other digits
            # set the width (or, after the dot, the precision) anew each time
            if ch == "0" and not dot and not digits:
                flags.add("0")
                flags.discard("-")
                i += 1
                continue
            j = i
            while j < n and fmt[j].isdigit():
                j += 1
            if dot:
                precision = int(fmt[i:j])
            else:
                width = int(fmt[i:j])
            digits += 1
            i = j
            continue
        if ch == "*":
            # dtrace: one width and one precision, each given once ("%**d", "%.*.*d" refused)
            if dot_stars if dot else width_stars:
                raise FormatError(f"{fmt[start:i + 1]!r} has more than one '*' for the output "
                                  f"{'precision' if dot else 'width'} (dtrace: \"format conversion "
                                  f"has more than one '*' specified for the output "
                                  f"{'precision' if dot else 'width'}\")")
            if dot:
                dot_stars = True
            else:
                width_stars = True
            stars += 1
        elif ch == "@":
            agg = True
        elif ch == "$":
            positional = True
        elif ch == ".":
            if dot:
                raise FormatError(f"{fmt[start:i + 1]!r} has more than one '.' (dtrace: \"format "
                                  "conversion has more than one '.' specified\")")
            dot = True
            digits = 0
        elif ch == "?":
            width = POINTER_WIDTH
        elif ch == "-":
            flags.add("-")
            flags.discard("0")
        else:
            flags.add(ch)
        i += 1
    size = ""
    for prefix in SIZE_PREFIXES:
        if fmt.startswith(prefix, i):
            # "L" etc. only count as a prefix when a conversion follows
            if i + len(prefix) < n and fmt[i + len(prefix)] in CONVERSIONS:
                i += len(prefix)
                size = prefix
            break
    if i < n and fmt[i] in CONVERSIONS:
        conv = fmt[i]
        i += 1
        if size and conv not in PREFIXED[size]:
            raise FormatError(f"undefined conversion {fmt[start:i]!r}: D's {size} goes with "
                              f"{', '.join('%' + size + c for c in sorted(PREFIXED[size]))} only")
    elif i >= n:
        raise FormatError(f"format ends inside the conversion {fmt[start:]!r}")
    else:
        raise FormatError(f"unknown conversion {fmt[start:i + 1]!r}")
    return Conv(fmt[start:i], conv, stars, agg, positional, size, start,
                "".join(f for f in _FLAG_ORDER if f in flags), width, precision)
