"""Layouts dtracepy ships: ``struct ip`` (headers/ip.h) and ``struct tcphdr`` (headers/tcp.h).

Parsing the headers (pcpp + pycparser) costs tens of milliseconds, on every ``dtracepy compile``
of a tracer that views an IP or TCP header.  So the layouts are precomputed, for every ABI, into
``shipped_layouts.json`` next to this file, and :func:`shipped` rebuilds them from it (once per
process).  ``tests/test_startup.py::test_shipped_layouts_match_a_fresh_parse`` asserts the file equals a fresh parse of the headers for every ABI (regenerate it with
``DTRACEPY_REGEN=1 python3 -m pytest tests/test_startup.py``, or :func:`write_data`).  If a header
no longer matches the checksum stored in the file (edited without regenerating), the header is
parsed instead, so a stale file can never give a wrong layout.
"""

from __future__ import annotations

import functools
import json
import os
import zlib

from dtracepy.errors import LayoutError
from dtracepy.layout.abi import ABIS, get_abi
from dtracepy.layout.model import Array, FlexibleArray, Layout, Member, Pointer, Scalar, close_names

HEADERS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "headers")
DATA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shipped_layouts.json")

# name -> (header file, type in it)
SHIPPED = {"ip": ("ip.h", "struct ip"), "tcphdr": ("tcp.h", "struct tcphdr")}


def header_path(name: str) -> str:
    """The path of a shipped header: ``header_path("ip.h")``."""
    path = os.path.join(HEADERS_DIR, os.path.basename(name))
    if not os.path.isfile(path):
        raise LayoutError(f"no shipped header {name!r}; shipped: {', '.join(sorted(h for h, _ in SHIPPED.values()))}")
    return path


def shipped(name: str, abi="x86_64") -> Layout:
    """A shipped layout by name: ``shipped("ip")`` or ``shipped("struct tcphdr", abi="sparcv9")``."""
    if not isinstance(name, str):
        raise LayoutError(f"shipped() takes a layout's name (a str such as \"ip\"), not {name!r:.60}")
    key = name.split()[-1] if name.startswith(("struct ", "union ")) else name
    if key not in SHIPPED:
        raise LayoutError(f"no shipped layout {name!r}{close_names(key, SHIPPED)}; shipped: "
                          f"{', '.join('struct ' + k for k in SHIPPED)}")
    header, type_name = SHIPPED[key]
    return _load(header, type_name, get_abi(abi).name)


@functools.lru_cache(maxsize=None)
def _load(header: str, type_name: str, abi_name: str) -> Layout:
    entry = _data().get(header)
    if entry is not None and entry["crc32"] == _checksum(header) and abi_name in entry["abis"]:
        return load_layout(entry["abis"][abi_name], abi_name)
    return _parse(header, abi_name)[type_name]


@functools.lru_cache(maxsize=None)
def _parse(header: str, abi_name: str):
    from dtracepy.layout.cdecl import parse_layouts

    return parse_layouts(header_path(header), abi=abi_name)


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    try:
        with open(DATA_PATH, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def _checksum(header: str) -> int:
    with open(header_path(header), "rb") as handle:
        return zlib.crc32(handle.read())


# -- the data file ------------------------------------------------------------------------------


def dump_layout(layout: Layout) -> dict:
    """``layout`` and every record it reaches as plain JSON data (records by index, so shared and
    self-referring records survive): ``{"records": [...], "root": 0}``."""
    records: list = []
    index: dict[int, int] = {}

    def record(lay: Layout) -> int:
        if id(lay) not in index:
            index[id(lay)] = len(records)
            entry: dict = {"tag": lay.tag, "kind": lay.kind, "size": lay.size, "align": lay.align,
                           "complete": lay.complete}
            records.append(entry)
            entry["members"] = [
                {"name": m.name, "type": ctype(m.type), "type_name": m.type_name, "offset": m.offset,
                 "bit_pos": m.bit_pos, "width": m.width}
                for m in lay.members
            ]
        return index[id(lay)]

    def ctype(value):
        if value is None:
            return None
        if isinstance(value, Layout):
            return {"record": record(value)}
        if isinstance(value, Scalar):
            return {"scalar": [value.name, value.size, value.align, value.signed, value.kind]}
        if isinstance(value, Pointer):
            return {"pointer": [ctype(value.target), value.size, value.target_spelling()]}
        if isinstance(value, Array):
            return {"array": [ctype(value.elem), None if value.__class__ is FlexibleArray else value.count]}
        raise TypeError(f"cannot store a {type(value).__name__} in the shipped layouts")

    return {"root": record(layout), "records": records}


def load_layout(data: dict, abi_name: str) -> Layout:
    """The inverse of :func:`dump_layout`."""
    abi = get_abi(abi_name)
    layouts = []
    for entry in data["records"]:
        lay = Layout(entry["tag"], entry["kind"], abi)
        lay.size, lay.align, lay.complete = entry["size"], entry["align"], entry["complete"]
        layouts.append(lay)

    def ctype(value):
        if value is None:
            return None
        if "record" in value:
            return layouts[value["record"]]
        if "scalar" in value:
            return Scalar(*value["scalar"])
        if "pointer" in value:
            target, size, target_name = value["pointer"]
            return Pointer(ctype(target), size, target_name)
        elem, count = value["array"]
        return FlexibleArray(ctype(elem), 0) if count is None else Array(ctype(elem), count)

    for lay, entry in zip(layouts, data["records"]):
        lay.members = [Member(m["name"], ctype(m["type"]), m["type_name"], m["offset"], m["bit_pos"], m["width"])
                       for m in entry["members"]]
    return layouts[data["root"]]


def build_data() -> dict:
    """The data file's contents, from a fresh parse of the shipped headers for every ABI."""
    data = {}
    for header, type_name in sorted(SHIPPED.values()):
        data[header] = {
            "type": type_name,
            "crc32": _checksum(header),
            "abis": {abi: dump_layout(_parse.__wrapped__(header, abi)[type_name]) for abi in sorted(ABIS)},
        }
    return data


def write_data(path: str = DATA_PATH) -> None:
    """Regenerate ``shipped_layouts.json`` from the headers."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(build_data(), handle, indent=1, sort_keys=True)
        handle.write("\n")
    _data.cache_clear()
    _load.cache_clear()
