"""Check layouts against a real C compiler (gcc, or a gcc cross compiler for other ABIs).

Nothing is run: the probe C is only *compiled*.  Sizes, alignments and offsets go into a data
section as constants, and for each bit-field two objects are initialised (the field all ones, then
a bit pattern) into sections of their own; a small ELF reader takes the bytes out of the object
file.  This works the same for a native and a cross compiler, big-endian included.
"""

from __future__ import annotations

import functools
import os
import shutil
import struct
import subprocess
import tempfile

from dtracepy.layout.abi import get_abi
from dtracepy.layout.cparse import PRELUDE

COMPILERS = {
    "x86_64": ["gcc", "-m64"],
    "i386": ["gcc", "-m32"],
    "aarch64": ["aarch64-linux-gnu-gcc"],
    "sparcv9": ["sparc64-linux-gnu-gcc", "-m64"],
}


def elf_sections(data: bytes) -> dict[str, bytes]:
    """The contents of every section of an ELF object, by name."""
    if data[:4] != b"\x7fELF":
        raise ValueError("not an ELF file")
    wide, end = data[4] == 2, "<" if data[5] == 1 else ">"
    if wide:
        shoff, = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x3A)
        fmt = end + "IIQQQQ"
    else:
        shoff, = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x2E)
        fmt = end + "IIIIII"
    headers = [struct.unpack_from(fmt, data, shoff + i * shentsize) for i in range(shnum)]
    _, _, _, _, str_off, str_size = headers[shstrndx]
    names = data[str_off:str_off + str_size]
    out = {}
    for name_off, sh_type, _, _, off, size in headers:
        name = names[name_off:names.index(b"\0", name_off)].decode()
        out[name] = b"\0" * size if sh_type == 8 else data[off:off + size]  # 8: NOBITS
    return out


@functools.lru_cache(maxsize=None)
def unavailable(abi: str) -> "str | None":
    """Why layouts for ``abi`` cannot be checked here, or None if they can."""
    cmd = COMPILERS[get_abi(abi).name]
    if shutil.which(cmd[0]) is None:
        return f"{cmd[0]} is not installed"
    try:
        compile_object("int x = 1;\n", abi)
    except RuntimeError as err:
        return f"{' '.join(cmd)} cannot compile here: {str(err).strip().splitlines()[0] if str(err).strip() else err}"
    return None


def compile_object(source: str, abi: str) -> dict[str, bytes]:
    """Compile ``source`` for ``abi`` and return its sections."""
    cmd = COMPILERS[get_abi(abi).name]
    with tempfile.TemporaryDirectory(prefix="dtplayout") as tmp:
        src, obj = os.path.join(tmp, "probe.c"), os.path.join(tmp, "probe.o")
        with open(src, "w") as handle:
            handle.write(source)
        proc = subprocess.run([*cmd, "-std=gnu11", "-O0", "-w", "-fno-zero-initialized-in-bss", "-c", src,
                               "-o", obj], capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError(proc.stderr or f"{cmd[0]} failed")
        with open(obj, "rb") as handle:
            return elf_sections(handle.read())


def _pattern(width: int, signed: bool) -> int:
    raw = (0x5555555555555555 & ((1 << width) - 1)) | (1 << (width - 1))
    if signed and raw >> (width - 1):
        raw -= 1 << width
    return raw


def probe(c_text: str, type_name: str, layout, abi: str) -> dict:
    """What gcc says about ``type_name``: size, align, offsets of ordinary fields, and for each
    bit-field the object bytes with the field all ones and with a pattern (value, bytes)."""
    fields = layout.fields
    plain = [f for f in fields if f.bit_width is None]
    bits = [f for f in fields if f.bit_width is not None]
    lines = [PRELUDE, "#line 1 \"probe.h\"", c_text, ""]
    meta = [f"sizeof({type_name})", f"_Alignof({type_name})"]
    meta += [f"__builtin_offsetof({type_name}, {f.name})" for f in plain]
    lines.append("const unsigned long long dtp_meta[] __attribute__((section(\".dtpmeta\"))) = {"
                 + ", ".join(meta) + "};")
    values = {}
    for i, f in enumerate(bits):
        ones = -1 if f.signed else (1 << f.bit_width) - 1
        pat = _pattern(f.bit_width, f.signed)
        values[f.name] = (ones, pat)
        for tag, value in (("a", ones), ("b", pat)):
            lines.append(f"const {type_name} dtp_{tag}{i} __attribute__((section(\".dtp.{tag}{i}\"))) = "
                         f"{{ .{f.name} = {value}LL }};")
    sections = compile_object("\n".join(lines) + "\n", abi)
    order = "big" if get_abi(abi).big_endian else "little"
    raw = sections[".dtpmeta"]
    nums = [int.from_bytes(raw[i:i + 8], order) for i in range(0, len(raw), 8)]
    result = {"size": nums[0], "align": nums[1], "offsets": dict(zip((f.name for f in plain), nums[2:])),
              "bitfields": {}}
    for i, f in enumerate(bits):
        ones, pat = values[f.name]
        result["bitfields"][f.name] = {"ones": (ones, sections[f".dtp.a{i}"]),
                                       "pattern": (pat, sections[f".dtp.b{i}"])}
    return result


def expected_bytes(info, size: int, byteorder: str) -> bytes:
    """The object bytes with bit-field ``info`` all ones and everything else zero, per our layout."""
    unit = ((1 << info.bit_width) - 1) << info.bit_offset
    buf = bytearray(size)
    for i, byte in enumerate(unit.to_bytes(info.size, byteorder)):
        buf[info.offset + i] |= byte
    return bytes(buf)


def compare(c_text: str, abi: str = "x86_64", types=None, include_dirs=()) -> list[str]:
    """Lay out ``c_text`` with dtracepy and with the C compiler; the disagreements, if any.

    Checks size, alignment, each ordinary field's offset, and each bit-field's bits (all ones in a
    zeroed object) and its read expression evaluated over the compiler's bytes.
    """
    from dtracepy import tree
    from dtracepy.layout.cdecl import parse_layouts
    from dtracepy.layout.evaluate import evaluate
    from dtracepy.layout.reads import read_expr

    layouts = parse_layouts(c_text, abi=abi, filename="probe.h", include_dirs=include_dirs)
    order = "big" if get_abi(abi).big_endian else "little"
    problems = []
    for name in types or list(layouts):
        layout = layouts[name]
        got = probe(c_text, name, layout, abi)
        if (layout.size, layout.align) != (got["size"], got["align"]):
            problems.append(f"{name}: size/align {layout.size}/{layout.align}, gcc {got['size']}/{got['align']}")
        for f in layout.fields:
            if f.bit_width is None:
                if got["offsets"][f.name] != f.offset:
                    problems.append(f"{name}.{f.name}: offset {f.offset}, gcc {got['offsets'][f.name]}")
                continue
            ones, ones_bytes = got["bitfields"][f.name]["ones"]
            if expected_bytes(f, layout.size, order) != ones_bytes:
                problems.append(f"{name}.{f.name}: bits {f}, gcc bytes {ones_bytes.hex()}")
            expr = read_expr(layout, tree.Ident("p"), f.name)
            for value, data in got["bitfields"][f.name].values():
                seen = evaluate(expr, data, order)
                if seen != value:
                    problems.append(f"{name}.{f.name}: read gives {seen}, gcc stored {value}")
    return problems
