"""Target ABIs: sizes and alignments of C's base types, byte order and bit-field quirks.

Alignments here are those a type has *as a struct member* (what struct layout needs): on i386
SysV, ``long long`` and ``double`` are 8 bytes but aligned to 4 inside a struct.
"""

from __future__ import annotations

import re

import attrs

from dtracepy.errors import LayoutError


@attrs.frozen
class ABI:
    """A target: data model, byte order and the few layout rules that differ between targets."""

    name: str
    pointer_size: int
    long_size: int
    big_endian: bool
    char_signed: bool
    long_long_align: int  # as a struct member
    double_align: int
    long_double: tuple[int, int]  # (size, align)
    max_align: int  # what a bare ``__attribute__((aligned))`` means
    # An unnamed bit-field (zero-width too) raises the struct alignment (AAPCS64 does, SysV does not).
    unnamed_bitfield_aligns_record: bool = False
    # bits of a long double's significand: x87's 80-bit format on x86, IEEE quad elsewhere (what
    # (long)1e19L and the like convert, in an integer constant expression)
    long_double_digits: int = 113

    @property
    def byteorder(self) -> str:
        return "big" if self.big_endian else "little"

    def base(self, name: str) -> tuple[int, int, bool]:
        """(size, alignment, signed) of a canonical C base type name (see :data:`BASE_NAMES`)."""
        p, lng = self.pointer_size, self.long_size
        table = {
            "char": (1, 1, self.char_signed),
            "signed char": (1, 1, True),
            "unsigned char": (1, 1, False),
            "short": (2, 2, True),
            "unsigned short": (2, 2, False),
            "int": (4, 4, True),
            "unsigned int": (4, 4, False),
            "long": (lng, lng, True),
            "unsigned long": (lng, lng, False),
            "long long": (8, self.long_long_align, True),
            "unsigned long long": (8, self.long_long_align, False),
            "_Bool": (1, 1, False),
            "float": (4, 4, True),
            "double": (8, self.double_align, True),
            "long double": (self.long_double[0], self.long_double[1], True),
            "void *": (p, p, False),
            # (gcc's, on the LP64 ABIs only: the converter refuses it on i386, as gcc does)
            "__int128": (16, 16, True),
            "unsigned __int128": (16, 16, False),
        }
        return table[name]


ABIS: dict[str, ABI] = {
    "x86_64": ABI("x86_64", 8, 8, False, True, 8, 8, (16, 16), 16, long_double_digits=64),
    "i386": ABI("i386", 4, 4, False, True, 4, 4, (12, 4), 16, long_double_digits=64),
    "aarch64": ABI("aarch64", 8, 8, False, False, 8, 8, (16, 16), 16, unnamed_bitfield_aligns_record=True),
    "sparcv9": ABI("sparcv9", 8, 8, True, True, 8, 8, (16, 16), 16),
}
ALIASES = {"amd64": "x86_64", "x86-64": "x86_64", "x86": "i386", "ia32": "i386", "arm64": "aarch64",
           "sparc64": "sparcv9", "sparc": "sparcv9"}


def host_abi_name() -> "str | None":
    """The name of the ABI this machine's own headers are written for (its system headers are
    that ABI's: x86_64's bits/ headers lay another ABI's structs out wrongly), or None."""
    import platform

    machine = platform.machine().lower()
    key = ALIASES.get(machine, "i386" if re.fullmatch(r"i[3-6]86", machine) else machine)
    return key if key in ABIS else None


def get_abi(abi: "str | ABI") -> ABI:
    """The ABI named ``abi`` (or ``abi`` itself); a LayoutError names the known ones otherwise."""
    if isinstance(abi, ABI):
        return abi
    key = ALIASES.get(str(abi).lower(), str(abi).lower())
    try:
        return ABIS[key]
    except KeyError:
        known = ", ".join(ABIS)
        raise LayoutError(f"unknown ABI {abi!r}; known ABIs: {known}") from None
