"""C struct layouts computed right, and reads of their members as D expressions.

The D compiler lays out C bit-field structs differently from the C compiler, so dtracepy reads
members through explicit byte offsets, shifts and masks that are right by construction::

    from dtracepy import tree
    from dtracepy.layout import parse_layouts, read_expr, shipped, define, Field, pointer_to

    layouts = parse_layouts("myip.h", abi="x86_64", include_dirs=["inc"], defines=["N=4"])
    ip = layouts["struct ip"]                   # or a typedef name; "ip" finds "struct ip"
    ip.size, ip.align, ip.member("ip_src").offset          # 20, 4, 12
    p = tree.Ident("arg0")
    read_expr(ip, p, "ip_src")    # *(uint32_t *)((char *)arg0 + 12)
    read_expr(ip, p, "ip_hl")     # *(uint8_t *)arg0 & 0xf

    ip = shipped("ip", abi="sparcv9")            # the shipped IPv4 and TCP headers, any ABI
    conn = define("conn_t", [Field("conn_lport", "uint16_t", offset=0x10a)])   # by hand
    arg = define("arg0_t", [Field("tcpq", pointer_to(conn), offset=0x28)])
    read_expr(arg, p, "tcpq->conn_lport")
    # *(uint16_t *)((char *)*(uint64_t *)((char *)arg0 + 40) + 266)

ABIs: x86_64, i386, aarch64 (little-endian) and sparcv9 (big-endian).  A bit-field's
``bit_offset`` counts from the least significant bit of its storage unit as the target loads it,
so its value is ``(unit >> bit_offset) & ((1 << bit_width) - 1)`` on every ABI.
"""

from dtracepy.layout.abi import ABI, ABIS, get_abi
from dtracepy.layout.define import Field, define, pointer_to
from dtracepy.layout.evaluate import evaluate
from dtracepy.layout.model import Array, FieldInfo, Layout, Member, Pointer, Scalar
from dtracepy.layout.reads import address_expr, read_expr
from dtracepy.layout.shipped import header_path, shipped

__all__ = [
    "ABI", "ABIS", "Array", "Field", "FieldInfo", "Layout", "Layouts", "Member", "Pointer", "Scalar",
    "address_expr", "define", "evaluate", "get_abi", "header_path", "parse_layouts", "pointer_to",
    "read_expr", "shipped",
]


def __getattr__(name: str):
    # The C parser (pycparser, pcpp) loads only when asked for: define() with plain type names,
    # read_expr and the shipped layouts do not need it.
    if name in ("Layouts", "parse_layouts"):
        from dtracepy.layout import cdecl

        value = getattr(cdecl, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
