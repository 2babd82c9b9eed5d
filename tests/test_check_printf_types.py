"""printf's argument types that ``check`` passed and dtrace refuses (session 8, gaps item 1): a
pointer given to a conversion that is no ``%p``/``%a``/``%A`` (``printf("%s", (char *)arg1)``,
``printf("%d", curthread)``: every dialect, dt_printf.c's pfcheck_str and dt_node_is_integer);
a size prefix with a conversion it does not go with (``%Lx``, ``%lf``: "format conversion #1 is
undefined"); and, for Oracle's D, whose integer types are known for certain, an integer of the
wrong size or sign for ``%ld``, ``%llx``, ``%hd``, ``%c``, ``%Y`` (``printf("%ld", 1)``: 1 is an
int).  Each case is refused by the real dtrace and flagged at its argument, and a close variant is
accepted by it and not flagged; the facts the rule reads (which prefix goes with which conversion,
the built-in variables' types, the type of each cast and constant) are judged whole by the real
dtrace too.
"""

from __future__ import annotations

import pytest

from dtracepy import tree as t
from dtracepy.checks import CheckOptions, check_program
from dtracepy.checks.printf import _INTEGER_NEEDS, _TYPEDEFS, _literal_type
from dtracepy.facts import conversions as C
from dtracepy.parser import parse
from real_dtrace import judge_scripts

# name -> (refused D, check, the argument flagged, accepted D, flagged without a dialect too)
CASES = {
    "%s given a char pointer": (
        'BEGIN { printf("%s", (char *)arg1); }', "printf-type", "(char *)arg1",
        'BEGIN { printf("%s", stringof((char *)arg1)); }', True),
    "%d given curthread": (
        'BEGIN { printf("%d", curthread); }', "printf-type", "curthread",
        'BEGIN { printf("%p", curthread); }', True),
    "%x given a void pointer": (
        'BEGIN { printf("%x", (void *)arg1); }', "printf-type", "(void *)arg1",
        'BEGIN { printf("%x", (uintptr_t)arg1); }', True),
    "%S given curcpu": (
        'BEGIN { printf("%S", curcpu); }', "printf-type", "curcpu",
        'BEGIN { printf("%a", curcpu); }', True),
    "a * width given a pointer": (
        'BEGIN { printf("%*d", curthread, 1); }', "printf-type", "curthread",
        'BEGIN { printf("%*d", 5, 1); }', True),
    "%Lx": (
        'BEGIN { printf("%Lx", 1LL); }', "printf-format", '"%Lx"',
        'BEGIN { printf("%llx", 1LL); }', True),
    "%lf": (
        'BEGIN { printf("%lf", 1L); }', "printf-format", '"%lf"',
        'BEGIN { printf("%ld", 1L); }', True),
    "%hs": (
        'BEGIN { printf("%hs", "a"); }', "printf-format", '"%hs"',
        'BEGIN { printf("%s", "a"); }', True),
    "%ls given a string": (
        'BEGIN { printf("%ls", execname); }', "printf-type", "execname",
        'BEGIN { printf("%s", execname); }', True),
    "%ld given an int constant": (
        'BEGIN { printf("%ld", 1); }', "printf-type", "1",
        'BEGIN { printf("%ld", 1L); }', False),
    "%ld given pid": (
        'BEGIN { printf("%ld", pid); }', "printf-type", "pid",
        'BEGIN { printf("%d", pid); }', False),
    "%ld given an int cast": (
        'BEGIN { printf("%ld", (int)arg0); }', "printf-type", "(int)arg0",
        'BEGIN { printf("%ld", (long)arg0); }', False),
    "%lu given arg0": (
        'BEGIN { printf("%lu", arg0); }', "printf-type", "arg0",
        'BEGIN { printf("%lu", (uint64_t)arg0); }', False),
    "%lld given timestamp": (
        'BEGIN { printf("%lld", timestamp); }', "printf-type", "timestamp",
        'BEGIN { printf("%llu", timestamp); }', False),
    "%llx given a long": (
        'BEGIN { printf("%llx", (long)arg0); }', "printf-type", "(long)arg0",
        'BEGIN { printf("%llx", arg0); }', False),
    "%lx given a long long constant": (
        'BEGIN { printf("%lx", 1LL); }', "printf-type", "1LL",
        'BEGIN { printf("%lx", 1L); }', False),
    "%hd given an int": (
        'BEGIN { printf("%hd", 1); }', "printf-type", "1",
        'BEGIN { printf("%hd", (short)1); }', True),  # (int and short are the same sizes everywhere)
    "%c given arg0": (
        'BEGIN { printf("%c", arg0); }', "printf-type", "arg0",
        'BEGIN { printf("%c", (char)arg0); }', False),
    "%Y given pid": (
        'BEGIN { printf("%Y", pid); }', "printf-type", "pid",
        'BEGIN { printf("%Y", walltimestamp); }', False),
    "%ld given sizeof": (
        'BEGIN { printf("%ld", sizeof(int)); }', "printf-type", "sizeof(int)",
        'BEGIN { printf("%lu", sizeof(int)); }', False),
    "%ld given a comparison": (
        'BEGIN { printf("%ld", arg0 > 1); }', "printf-type", "arg0 > 1",
        'BEGIN { printf("%d", arg0 > 1); }', False),
    "printa's %@ld of a count": (
        'BEGIN { @a = count(); printa("%@ld", @a); }', "printf-type", '"%@ld"',
        'BEGIN { @a = count(); printa("%@lu", @a); }', True),
    "printa's %@lu of a sum": (
        'BEGIN { @a[1] = sum(arg0); printa("%d %@lu", @a); }', "printf-type", '"%d %@lu"',
        'BEGIN { @a[1] = sum(arg0); printa("%d %@ld", @a); }', True),
    "printa's %@c of a max": (
        'BEGIN { @a = max(1); printa("%@c", @a); }', "printf-type", '"%@c"',
        'BEGIN { @a = max(1); printa("%@d", @a); }', True),
    "%ld given a hex constant beyond int": (
        'BEGIN { printf("%ld", 0x80000000); }', "printf-type", "0x80000000",
        'BEGIN { printf("%ld", 4294967296); }', False),
}


def _errors(text: str, **options) -> list:
    return [f for f in check_program(parse(text, "x.d"), CheckOptions(**options), source=text)
            if f.severity == "error"]


ORACLE = {"dialect": "oracle", "dialect_given": True}


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_flags_the_refused_case_at_its_argument(name):
    bad, check, argument, good, everywhere = CASES[name]
    place = f"1:{bad.index(argument, bad.rindex('print') + 7) + 1}"
    for options in (ORACLE, {}, {"dialect": "illumos", "dialect_given": True}):
        found = [(f.check, f"{f.pos.line}:{f.pos.col}") for f in _errors(bad, **options)]
        if options is ORACLE or everywhere:
            assert (check, place) in found, (name, options, found)
        else:
            # long's size and the built-ins' types differ between platforms: Oracle's D only
            assert found == [], (name, options, found)
        assert _errors(good, **options) == [], (name, options)


def test_the_real_dtrace_refuses_each_case_and_accepts_its_variant():
    jobs = {}
    for name, (bad, _check, _argument, good, _everywhere) in CASES.items():
        jobs[f"refused: {name}"] = {"text": bad + "\n"}
        jobs[f"accepted: {name}"] = {"text": good + "\n"}
    verdicts = judge_scripts(jobs)
    assert [n for n in CASES if verdicts[f"refused: {n}"] is None] == [], verdicts
    assert {n: verdicts[f"accepted: {n}"] for n in CASES if verdicts[f"accepted: {n}"] is not None} == {}


def test_each_size_prefix_goes_with_the_conversions_dtrace_defines():
    """Every size prefix with every conversion character: dtrace says "undefined" exactly where
    :data:`PREFIXED` has not the pair, and ``parse_format`` refuses exactly those."""
    pairs = [(size, conv) for size in C.SIZE_PREFIXES for conv in sorted(C.CONVERSIONS)]
    verdicts = judge_scripts({f"%{s}{c}": {"text": f'BEGIN {{ printf("%{s}{c}", 1); exit(0); }}\n'}
                              for s, c in pairs})
    undefined = {f"%{s}{c}" for s, c in pairs if verdicts[f"%{s}{c}"] and "undefined" in verdicts[f"%{s}{c}"]}
    assert undefined == {f"%{s}{c}" for s, c in pairs if c not in C.PREFIXED[s]}
    for text in sorted(undefined):
        with pytest.raises(C.FormatError, match="undefined conversion"):
            C.parse_format(text)
    assert [c.size for c in C.parse_format("%hd %ld %lld %Lf %wc %d")] == ["h", "l", "ll", "L", "w", ""]


# the values whose types the rule knows, under Oracle's D: built-ins, casts, constants
_VALUES = ([*C.BUILTIN_INTEGER_TYPES["oracle"], "curthread", "curcpu", "(char *)arg0", "(void *)arg0"]
           + [f"({name})arg0" for name in sorted(_TYPEDEFS)]
           + [f"({words})arg0" for words in ("char", "signed char", "unsigned char", "short", "unsigned short",
                                             "int", "unsigned", "signed", "long", "unsigned long", "long int",
                                             "long long", "unsigned long long", "const long")]
           + ["1", "1L", "1LL", "1U", "1UL", "1ULL", "0x80000000", "4294967296", "0777", "sizeof(int)",
              "arg0 == 1", "!arg0"])
_CONVERSIONS = sorted(_INTEGER_NEEDS) + list("diouxXpa")


def test_the_rules_types_agree_with_the_real_dtrace():
    """Each value above given to each conversion the rule judges by type: check --dialect oracle
    flags it exactly where the real dtrace refuses it (so the built-in variables' types, the casts'
    and constants' types and what each conversion takes are dtrace's)."""
    jobs = {f"{conv}|{value}": {"text": f'BEGIN {{ printf("%{conv}", {value}); exit(0); }}\n'}
            for value in _VALUES for conv in _CONVERSIONS}
    verdicts = judge_scripts(jobs)
    disagree = {}
    for name, job in jobs.items():
        flagged = [f.message for f in _errors(job["text"], **ORACLE)]
        if bool(flagged) != (verdicts[name] is not None):
            disagree[name] = (flagged, verdicts[name])
    assert disagree == {}
    assert [_literal_type(t.IntLit(v)) for v in ("1", "1L", "1ULL", "0777", "0x80000000")] == [
        "int", "long", "unsigned long long", "int", "unsigned int"]


def test_printas_value_types_agree_with_the_real_dtrace():
    """printa's %@ conversions are given a uint64_t for count(), an int64_t for every other
    aggregating function (dt_printf.c fakes the value's node so): each function with each
    conversion, check flags exactly where the real dtrace refuses (--dialect oracle), and never
    where it takes it (in every dialect: %lx, which takes a long by name, only in Oracle's)."""
    functions = ["count()", "sum(arg0)", "min(arg0)", "max(arg0)", "avg(arg0)", "stddev(arg0)", "quantize(arg0)",
                 "lquantize(arg0, 0, 10)", "llquantize(arg0, 10, 0, 6, 20)"]
    jobs = {f"{conv}|{function}": {"text": f'BEGIN {{ @a[1] = {function}; printa("%d %@{conv}", @a); exit(0); }}\n'}
            for function in functions for conv in _CONVERSIONS if conv not in "pa"}
    verdicts = judge_scripts(jobs)
    disagree = {}
    for name, job in jobs.items():
        for options in (ORACLE, {}, {"dialect": "illumos", "dialect_given": True}):
            flagged = [f.message for f in _errors(job["text"], **options)]
            if (bool(flagged) != (verdicts[name] is not None)) if options is ORACLE else (
                    flagged and verdicts[name] is None):
                disagree[name, options.get("dialect")] = (flagged, verdicts[name])
    assert disagree == {}
    refused = [name for name in jobs if verdicts[name] is not None]
    assert "ld|count()" in refused and "lu|sum(arg0)" in refused and "lu|count()" not in refused
