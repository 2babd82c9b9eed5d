"""Layouts dtracepy ships: ``struct ip`` (headers/ip.h) and ``struct tcphdr`` (headers/tcp.h)."""

from __future__ import annotations

import functools
import os

from dtracepy.errors import LayoutError
from dtracepy.layout.abi import get_abi
from dtracepy.layout.model import Layout, close_names

HEADERS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "headers")

# name -> (header file, type in it)
SHIPPED = {"ip": ("ip.h", "struct ip"), "tcphdr": ("tcp.h", "struct tcphdr")}


def header_path(name: str) -> str:
    """The path of a shipped header: ``header_path("ip.h")``."""
    path = os.path.join(HEADERS_DIR, os.path.basename(name))
    if not os.path.isfile(path):
        raise LayoutError(f"no shipped header {name!r}; shipped: {', '.join(sorted(h for h, _ in SHIPPED.values()))}")
    return path


@functools.lru_cache(maxsize=None)
def _load(header: str, abi_name: str):
    from dtracepy.layout.cdecl import parse_layouts

    return parse_layouts(header_path(header), abi=abi_name)


def shipped(name: str, abi="x86_64") -> Layout:
    """A shipped layout by name: ``shipped("ip")`` or ``shipped("struct tcphdr", abi="sparcv9")``."""
    key = name.split()[-1] if name.startswith(("struct ", "union ")) else name
    if key not in SHIPPED:
        raise LayoutError(f"no shipped layout {name!r}{close_names(key, SHIPPED)}; shipped: "
                          f"{', '.join('struct ' + k for k in SHIPPED)}")
    header, type_name = SHIPPED[key]
    return _load(header, get_abi(abi).name)[type_name]
