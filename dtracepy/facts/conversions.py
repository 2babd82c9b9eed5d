"""printf conversions of D (``printf``, ``printa``, ``system``, ``freopen``) and how to read a format.

D's conversions: ``%a %A %c %C %d %i %o %u %x %X %e %E %f %g %G %k %p %s %S %T %Y %%``, size
prefixes ``h l ll L w`` (not C's ``hh z j t``: "format conversion is undefined"), flags ``# + - space ? ' 0 @``, widths and precisions as digits or ``*``
(each ``*`` takes an integer argument), ``N$`` argument references.  :func:`parse_format` is the one
reader of formats: the printf check and the DSL's records both use it.
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

# what may stand between % and the conversion character
_FLAG_CHARS = frozenset("#+- ?'0@$.*0123456789")


class Conv:
    """One conversion of a format.  (A plain slotted class: cheap to import.)"""

    __slots__ = ("text", "conv", "stars", "agg", "positional")

    def __init__(self, text: str, conv: str, stars: int = 0, agg: bool = False, positional: bool = False):
        self.text = text  # the whole conversion, "%-*.3ld"
        self.conv = conv  # the conversion character ("d"), "" for a bare "%@"
        self.stars = stars  # how many * (width, precision) take arguments
        self.agg = agg  # has the @ flag
        self.positional = positional  # an N$ argument reference

    def __eq__(self, other):
        if not isinstance(other, Conv):
            return NotImplemented
        return (self.text, self.conv, self.stars, self.agg, self.positional) == (
            other.text, other.conv, other.stars, other.agg, other.positional)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Conv({self.text!r}, {self.conv!r}, stars={self.stars}, agg={self.agg}, "
                f"positional={self.positional})")


class FormatError(ValueError):
    pass


def parse_format(fmt: str) -> list[Conv]:
    """The conversions of a printf format, in order; raises :class:`FormatError` when malformed."""
    convs = []
    i, n = 0, len(fmt)
    while i < n:
        if fmt[i] != "%":
            i += 1
            continue
        start = i
        i += 1
        if i < n and fmt[i] == "%":
            i += 1
            continue
        stars = 0
        agg = positional = False
        while i < n and fmt[i] in _FLAG_CHARS:
            ch = fmt[i]
            if ch == "*":
                stars += 1
            elif ch == "@":
                agg = True
            elif ch == "$":
                positional = True
            i += 1
        for prefix in SIZE_PREFIXES:
            if fmt.startswith(prefix, i):
                # "L" etc. only count as a prefix when a conversion follows
                if i + len(prefix) < n and fmt[i + len(prefix)] in CONVERSIONS:
                    i += len(prefix)
                break
        if i < n and fmt[i] in CONVERSIONS:
            conv = fmt[i]
            i += 1
        elif agg:
            conv = ""  # "%@" alone prints the aggregation value
        elif i >= n:
            raise FormatError(f"format ends inside the conversion {fmt[start:]!r}")
        else:
            raise FormatError(f"unknown conversion {fmt[start:i + 1]!r}")
        convs.append(Conv(fmt[start:i], conv, stars, agg, positional))
    return convs
