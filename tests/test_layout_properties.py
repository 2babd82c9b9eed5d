"""Random structs (hypothesis) laid out by dtracepy and by gcc must agree: bit-fields (named,
unnamed, zero-width, signed, ``aligned(N)``), unions, nested and anonymous members, arrays (of
zero length too), ``packed``, ``aligned(N)`` and ``#pragma pack``.  Each bit-field's read
expression is also evaluated over gcc's bytes (see tests/test_layout_gcc.py for which compilers
each ABI needs)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dtracepy.layout import cc

SCALARS = ["char", "signed char", "unsigned char", "short", "unsigned short", "int", "unsigned int",
           "long", "unsigned long", "long long", "unsigned long long", "uint8_t", "int16_t",
           "uint32_t", "int64_t", "double", "float", "char *", "_Bool"]
BIT_TYPES = {"char": 8, "signed char": 8, "unsigned char": 8, "short": 16, "unsigned short": 16,
             "int": 32, "unsigned int": 32, "long long": 64, "unsigned long long": 64,
             "uint8_t": 8, "uint16_t": 16, "int32_t": 32, "_Bool": 1}


@st.composite
def members(draw, names, depth):
    kind = draw(st.sampled_from(["scalar", "scalar", "bits", "bits", "bits", "array", "record"]
                                if depth < 2 else ["scalar", "bits", "bits", "array"]))
    name = f"m{next(names)}"
    if kind == "scalar":
        attr = draw(st.sampled_from(["", "", "", " __attribute__((packed))", " __attribute__((aligned(2)))",
                                     " __attribute__((aligned(8)))", " __attribute__((aligned(16)))"]))
        return f"{draw(st.sampled_from(SCALARS))} {name}{attr};"
    if kind == "array":  # (0: GNU's zero-length array, which may be anywhere)
        return f"{draw(st.sampled_from(SCALARS))} {name}[{draw(st.integers(0, 4))}];"
    if kind == "bits":
        t = draw(st.sampled_from(sorted(BIT_TYPES)))
        width = draw(st.integers(0, BIT_TYPES[t]))
        if width == 0 or draw(st.integers(0, 5)) == 0:
            return f"{t} :{width};"
        attr = draw(st.sampled_from(["", "", "", " __attribute__((packed))", " __attribute__((aligned(8)))",
                                     " __attribute__((aligned(2)))"]))
        return f"{t} {name}:{width}{attr};"
    body = draw(record_body(names, depth + 1))
    keyword = draw(st.sampled_from(["struct", "union"]))
    packed = draw(st.sampled_from(["", "", " __attribute__((packed))"]))
    if draw(st.booleans()):  # anonymous member (C11)
        return f"{keyword} {{ {body} }}{packed};"
    return f"{keyword} {{ {body} }}{packed} {name};"


@st.composite
def record_body(draw, names, depth=0):
    parts = draw(st.lists(members(names, depth), min_size=1, max_size=7))
    if all(p.rstrip(";").split(":")[-1].strip().isdigit() and " m" not in p.split(":")[0] for p in parts):
        parts.append(f"char m{next(names)};")  # at least one named member
    return " ".join(parts)


@st.composite
def programs(draw):
    names = itertools.count()
    body = draw(record_body(names))
    keyword = draw(st.sampled_from(["struct", "struct", "union"]))
    attr = draw(st.sampled_from(["", "", "", " __attribute__((packed))", " __attribute__((aligned(16)))"]))
    text = f"{keyword} T {{ {body} }}{attr};"
    pack = draw(st.sampled_from([None, None, None, 1, 2, 4, 8]))
    if pack is not None:
        text = f"#pragma pack(push, {pack})\n{text}\n#pragma pack(pop)"
    return text


def _check(abi, text):
    reason = cc.unavailable(abi)
    if reason is not None:
        if abi == "x86_64":
            pytest.fail(f"gcc is required for the layout tests: {reason}")
        pytest.skip(f"cannot check {abi} layouts here: {reason}")
    problems = cc.compare(text, abi)
    assert problems == [], f"{text}\n" + "\n".join(problems)


_settings = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(max_examples=150, **_settings)
@given(programs())
def test_random_structs_agree_with_gcc_x86_64(text):
    _check("x86_64", text)


@pytest.mark.parametrize("abi", ["i386", "aarch64", "sparcv9"])
@settings(max_examples=60, **_settings)
@given(text=programs())
def test_random_structs_agree_with_gcc_other_abis(abi, text):
    _check(abi, text)
