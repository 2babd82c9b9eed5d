"""define() reads plain type names ("uint16_t", "char [16]") without the C parser, with the same results.

The fast path (dtracepy.layout.define._plain_type) must answer exactly what the C parser answers,
on every ABI; anything else falls through to the parser.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import pytest

from dtracepy.layout.abi import ABIS

D = importlib.import_module("dtracepy.layout.define")  # the package's "define" is the function
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PLAIN = sorted(D._BASE_TYPES) + sorted(D._PRELUDE_SCALARS)
ARRAYS = ["char[16]", "char [16]", "uint8_t[2][3]", "uint16_t [ 4 ]", "unsigned char[0]", "long long[1]"]
NOT_PLAIN = ["caddr_t", "char[]", "char[0x10]", "char[010]", "char[N]", "const char", "unsigned short int",
             "struct ip", "void"]


def parsed(text, abi, monkeypatch):
    """_parse_type's answer with the fast path switched off (uncached)."""
    monkeypatch.setattr(D, "_plain_type", lambda *a: None)
    return D._parse_type.__wrapped__(text, abi)


@pytest.mark.parametrize("abi", sorted(ABIS))
def test_fast_path_equals_the_c_parser(abi, monkeypatch):
    abi = ABIS[abi]
    fast = {}
    for text in PLAIN + ARRAYS:
        fast[text] = D._parse_type.__wrapped__(text, abi)
    assert all(v is not None for v in fast.values())
    for text in PLAIN + ARRAYS:
        assert fast[text] == parsed(text, abi, monkeypatch), text


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_other_types_go_to_the_c_parser(text):
    import re

    m = re.fullmatch(r"(.*?)\s*((?:\[\s*\w*\s*\])+)", text)
    base, dims = (m.group(1), m.group(2)) if m else (text, "")
    assert D._plain_type(base, dims, ABIS["x86_64"]) is None


def test_define_results_unchanged(monkeypatch):
    fields = [D.Field("a", "uint8_t"), D.Field("b", "uint32_t"), D.Field("c", "char [6]"),
              D.Field("d", "u_long"), D.Field("e", "uint16_t", offset=0x20), D.Field("f", "unsigned int", width=3)]
    fast = [D.define("s", fields, abi=abi) for abi in sorted(ABIS)]
    D._parse_type.cache_clear()
    monkeypatch.setattr(D, "_plain_type", lambda *a: None)
    try:
        slow = [D.define("s", fields, abi=abi) for abi in sorted(ABIS)]
    finally:
        D._parse_type.cache_clear()
    for a, b in zip(fast, slow):
        assert (a.size, a.align) == (b.size, b.align)
        assert [(m.name, m.type, m.type_name, m.offset, m.bit_pos, m.width) for m in a.members] == \
            [(m.name, m.type, m.type_name, m.offset, m.bit_pos, m.width) for m in b.members]


def test_compiling_tcpq_does_not_import_the_c_parser(tmp_path):
    code = ("import sys, json\nfrom dtracepy.cli import main\n"
            f"assert main(['compile', {os.path.join(ROOT, 'examples', 'tcpq.py')!r}, '-o', "
            f"{str(tmp_path / 'out.d')!r}]) == 0\n"
            "print(json.dumps(sorted(sys.modules)))")
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout.splitlines()[-1])
    for heavy in ("pycparser", "pcpp", "dtracepy.layout.cdecl"):
        assert not [m for m in modules if m == heavy or m.startswith(heavy + ".")], heavy
