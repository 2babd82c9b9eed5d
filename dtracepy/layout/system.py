"""Reading this machine's own system headers as gcc reads them.

``dtracepy layout /usr/include/netinet/ip.h ip`` is what a user tries first.  A header that lives
in a system include directory is read with cpp's search path (``-I`` directories first, then
gcc's own include directory, ``/usr/local/include``, the multiarch directory, ``/usr/include``),
for this machine's ABI only: another ABI's structs laid out from this machine's ``bits/`` headers
would be wrong.  The same holds when a ``-I`` names a system include directory.

glibc's headers test gcc's predefined macros: without ``__GNUC__``, ``sys/cdefs.h`` defines
``__attribute__(x)`` as nothing and ``struct epoll_event`` loses its ``packed`` (16 bytes, not
gcc's 12).  :func:`gcc_macros` gives every ABI the macros its gcc predefines that headers test
(the version, the standard, the type macros gcc's ``stddef.h`` reads); :data:`BUILTIN_TYPES` the
type names gcc knows without a declaration (``__builtin_va_list``, ``_Float128`` ...), declared
in the prelude where system headers are read.

pcpp has no ``#include_next`` (gcc's ``limits.h`` and ``stdint.h`` use it):
:func:`resolve_include_next` rewrites each into an ``#include`` of the header it finds, searching
the directories after the one the including header was found in, as cpp does.
"""

from __future__ import annotations

import functools
import glob
import os
import re

from dtracepy.layout.abi import ABI, host_abi_name

#: The gcc whose headers and macros are taken when no gcc include directory is found.
DEFAULT_GCC = (12, 2)

# per ABI: (size_t, ptrdiff_t, wchar_t, int64_t and intmax_t, uint64_t and uintmax_t) as gcc spells them
_TYPES = {
    "x86_64": ("long unsigned int", "long int", "int", "long int", "long unsigned int"),
    "i386": ("unsigned int", "int", "long int", "long long int", "long long unsigned int"),
    "aarch64": ("long unsigned int", "long int", "unsigned int", "long int", "long unsigned int"),
    "sparcv9": ("long unsigned int", "long int", "int", "long int", "long unsigned int"),
}

#: The types gcc knows by name, declared where system headers are read (only there: gcc refuses
#: a header declaring them).  The va_list of each psABI, and the _FloatN types glibc names.
BUILTIN_TYPES = {
    "x86_64": "typedef struct __va_list_tag { unsigned int gp_offset; unsigned int fp_offset; "
              "void *overflow_arg_area; void *reg_save_area; } __builtin_va_list[1];\n"
              "typedef long double _Float128; typedef long double __float128;\n",
    "i386": "typedef char *__builtin_va_list;\n",
    "aarch64": "typedef struct __va_list { void *__stack; void *__gr_top; void *__vr_top; int __gr_offs; "
               "int __vr_offs; } __builtin_va_list;\ntypedef long double _Float128;\n",
    "sparcv9": "typedef void *__builtin_va_list;\ntypedef long double _Float128;\n",
}
_FLOATS = "typedef float _Float32; typedef double _Float64; typedef double _Float32x; typedef long double _Float64x;\n"


# gcc's names of its 128-bit integers, where the ABI has them (glibc's link.h: La_x86_64_regs)
_INT128 = "typedef __int128 __int128_t; typedef unsigned __int128 __uint128_t;\n"


def builtin_types(abi: ABI) -> str:
    return BUILTIN_TYPES[abi.name] + _FLOATS + int128_types(abi)


def int128_types(abi: ABI) -> str:
    """``__int128_t`` and ``__uint128_t`` where gcc knows them by name (the 64-bit ABIs), in a
    header of the user's own too: gcc declares them before any header (a header may give either
    another type: the header's wins)."""
    return _INT128 if abi.pointer_size == 8 else ""


@functools.lru_cache(maxsize=None)
def gcc_include_dir() -> "tuple[str | None, tuple[int, int]]":
    """(gcc's own include directory for this machine, or None; gcc's version (major, minor))."""
    import sysconfig

    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    found = []
    for path in glob.glob(f"/usr/lib/gcc/{multiarch or '*'}/*/include"):
        m = re.fullmatch(r"(\d+)(?:\.(\d+))?(?:\.\d+)*", os.path.basename(os.path.dirname(path)))
        if m and os.path.isfile(os.path.join(path, "stddef.h")):
            found.append(((int(m.group(1)), int(m.group(2) or 0)), path))
    if not found:
        return None, DEFAULT_GCC
    version, path = max(found)
    return path, version


def gcc_macros(abi: ABI) -> dict[str, str]:
    """What gcc for ``abi`` predefines that headers test, beside :func:`~.cdecl.abi_macros`'."""
    size, ptrdiff, wchar, int64, uint64 = _TYPES[abi.name]
    major, minor = gcc_include_dir()[1]
    unsigned_char = not abi.char_signed
    wide = abi.pointer_size == 8
    macros = {
        "__GNUC__": str(major), "__GNUC_MINOR__": str(minor), "__GNUC_PATCHLEVEL__": "0",
        "__STDC__": "1", "__STDC_VERSION__": "201710L", "__STDC_HOSTED__": "1", "__GNUC_STDC_INLINE__": "1",
        "__NO_INLINE__": "1", "__ELF__": "1", "__linux__": "1", "__linux": "1", "__gnu_linux__": "1",
        "__unix__": "1", "__unix": "1", "__USER_LABEL_PREFIX__": "", "__REGISTER_PREFIX__": "",
        "__SIZE_TYPE__": size, "__PTRDIFF_TYPE__": ptrdiff, "__WCHAR_TYPE__": wchar,
        "__WINT_TYPE__": "unsigned int", "__INTMAX_TYPE__": int64, "__UINTMAX_TYPE__": uint64,
        "__CHAR16_TYPE__": "short unsigned int", "__CHAR32_TYPE__": "unsigned int", "__SIG_ATOMIC_TYPE__": "int",
        "__INT8_TYPE__": "signed char", "__INT16_TYPE__": "short int", "__INT32_TYPE__": "int",
        "__INT64_TYPE__": int64, "__UINT8_TYPE__": "unsigned char", "__UINT16_TYPE__": "short unsigned int",
        "__UINT32_TYPE__": "unsigned int", "__UINT64_TYPE__": uint64,
        "__INTPTR_TYPE__": ptrdiff, "__UINTPTR_TYPE__": size,
        "__SIZEOF_INT__": "4", "__SIZEOF_SHORT__": "2", "__SIZEOF_LONG_LONG__": "8", "__SIZEOF_FLOAT__": "4",
        "__SIZEOF_DOUBLE__": "8", "__SIZEOF_LONG_DOUBLE__": str(abi.long_double[0]),
        "__SIZEOF_SIZE_T__": str(abi.pointer_size), "__SIZEOF_PTRDIFF_T__": str(abi.pointer_size),
        "__SIZEOF_WCHAR_T__": "4", "__SIZEOF_WINT_T__": "4",
        "__SCHAR_MAX__": "0x7f", "__SHRT_MAX__": "0x7fff", "__INT_MAX__": "0x7fffffff",
        "__LONG_MAX__": "0x7fffffffffffffffL" if abi.long_size == 8 else "0x7fffffffL",
        "__LONG_LONG_MAX__": "0x7fffffffffffffffLL",
        "__WCHAR_MAX__": "0xffffffffU" if wchar == "unsigned int" else "0x7fffffff" if wchar == "int" else "0x7fffffffL",
        "__WCHAR_MIN__": "0U" if wchar == "unsigned int" else "(-__WCHAR_MAX__ - 1)",
        "__BIGGEST_ALIGNMENT__": str(abi.max_align),
    }
    if wide:
        macros["__SIZEOF_INT128__"] = "16"
    if unsigned_char:
        macros["__CHAR_UNSIGNED__"] = "1"
    return macros


def _under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def system_dirs() -> list[str]:
    """cpp's search path for ``<...>`` on this machine, after ``-I``: gcc's, then the system's."""
    from dtracepy.preprocess import system_include_dirs

    gcc = gcc_include_dir()[0]
    return ([gcc] if gcc else []) + system_include_dirs()


def reads_system_headers(filename: "str | None", abi: ABI, include_dirs) -> bool:
    """Are this machine's system headers read (the header is one of them, or a ``-I`` names a
    system directory) for ``abi``, this machine's?"""
    places = [os.path.realpath(d) for d in include_dirs]
    if filename and os.path.isfile(filename):
        places.append(os.path.realpath(filename))
    if not places:
        return False
    dirs = [os.path.realpath(d) for d in system_dirs()]
    return any(_under(p, d) for p in places for d in dirs) and host_abi_name() == abi.name


_INCLUDE_NEXT = re.compile(r'^([ \t]*#[ \t]*)include_next([ \t]*)(<([^>\n]*)>|"([^"\n]*)")', re.M)


def resolve_include_next(text: str, path: str, search: list[str]) -> str:
    """``text`` (the header at ``path``) with each ``#include_next <h>`` made an ``#include`` of
    the file cpp would take: the first ``h`` in the ``search`` directories after the one ``path``
    was found in (a header found nowhere after it is left to the ``#include`` of its name)."""
    if "include_next" not in text:
        return text
    here = os.path.realpath(path)
    dirs = [os.path.realpath(d) for d in search]
    # the directory the header was found in: the deepest that holds it (/usr/include holds
    # /usr/include/x86_64-linux-gnu, which is searched first)
    at = max((i for i, d in enumerate(dirs) if _under(here, d)), key=lambda i: len(dirs[i]), default=-1)

    def replace(m):
        name = m.group(4) if m.group(4) is not None else m.group(5)
        for d in dirs[at + 1:]:
            candidate = os.path.join(d, name)
            if os.path.isfile(candidate):
                return f'{m.group(1)}include{m.group(2)}"{candidate}"'
        return f"{m.group(1)}include{m.group(2)}{m.group(3)}"

    return _INCLUDE_NEXT.sub(replace, text)
