"""The checks measured on the corpus of real D scripts (issue 5, part 5).

* no crash on any file that parses;
* no error finding on a ``parse-ok`` file, except those listed in
  ``tests/checks_corpus_exceptions.txt`` (``path | check | reason``; a listed pair that no longer
  occurs fails too, so the list stays true);
* for each ``semantic-error`` tag a check covers, the share of those files the check flags, printed
  at the end of the run and held above a floor so a regression fails.

The corpus is ``$DTRACEPY_CORPUS`` or ``../shared/corpus``; without it these tests skip (they fail
when ``DTRACEPY_REQUIRE_CORPUS=1``), through the ``corpus`` fixture of ``conftest.py``.

The options each file is checked with are the ones its test harness gives it: ``@@runtest-opts:``
lines set ``-w`` (destructive) and the number of macro arguments for the compiler test suites,
which run every file without arguments otherwise (Oracle's unittest harness only; elsewhere the
number of arguments is unknown and not checked).
"""

from __future__ import annotations

import collections
import pathlib
import re
import shlex

import pytest

from dtracepy.checks import CheckOptions, check_program
from dtracepy.errors import DTracePyError
from dtracepy.parser import expanded, parse_bytes

EXCEPTIONS_FILE = pathlib.Path(__file__).parent / "checks_corpus_exceptions.txt"

#: semantic-error tag -> (checks that cover it, minimum share of its files flagged)
COVERAGE = {
    "D_PROTO_LEN": (("call-arity", "unknown-function"), 0.90),
    "D_PRINTF_ARG_TYPE": (("printf-type",), 0.70),
    "D_PRINTF_ARG_PROTO": (("printf-args",), 1.0),
    "D_PRINTF_ARG_EXTRA": (("printf-args",), 1.0),
    "D_PRINTF_DYN_PROTO": (("printf-args",), 1.0),
    "D_PRINTF_DYN_TYPE": (("printf-type",), 1.0),
    "D_PRINTF_AGG_CONV": (("printf-agg-conv",), 1.0),
    "D_PRINTF_ARG_FMT": (("printf-format",), 1.0),
    "D_PRINTA_AGGARG": (("printa-args",), 1.0),
    "D_PRINTA_PROTO": (("printa-args",), 1.0),
    "D_TRACE_VOID": (("void-value",), 1.0),
    "D_PRINTF_FMT_EMPTY": (("printf-format",), 1.0),
    "D_AGG_REDEF": (("agg-mismatch",), 1.0),
    **{tag: (("agg-mismatch",), 1.0) for tag in (
        "D_LQUANT_MATCHBASE", "D_LQUANT_MATCHLIM", "D_LQUANT_MATCHSTEP", "D_LLQUANT_MATCHFACTOR",
        "D_LLQUANT_MATCHLMAG", "D_LLQUANT_MATCHHMAG", "D_LLQUANT_MATCHSTEPS")},
    "D_FUNC_UNDEF": (("unknown-function",), 1.0),
    "D_IDENT_UNDEF": (("undefined-name", "self-undefined", "used-before-assigned", "aggregation-value"), 0.65),
    "D_PDESC_ZERO": (("probe-desc", "probe-name"), 0.70),
    "D_PDESC_INVAL": (("probe-desc",), 1.0),
    "D_MACRO_UNDEF": (("macro-arg",), 0.75),
    "D_TRUNC_PROTO": (("call-arity",), 1.0),
    "D_CLEAR_PROTO": (("call-arity",), 1.0),
    "D_NORMALIZE_PROTO": (("call-arity",), 1.0),
    "D_STACK_PROTO": (("call-arity",), 1.0),
    "D_USTACK_PROTO": (("call-arity",), 1.0),
    "D_TRACEMEM_ARGS": (("call-arity",), 1.0),
    "D_ACT_SPEC": (("speculation",), 1.0),
    "D_AGG_SPEC": (("speculation",), 1.0),
    "D_EXIT_SPEC": (("speculation",), 1.0),
    "D_SPEC_DREC": (("speculation",), 1.0),
    "D_SPEC_SPEC": (("speculation",), 1.0),
    "D_SPEC_COMM": (("speculation",), 1.0),
    "D_COMM_DREC": (("speculation",), 1.0),
    "D_DREC_COMM": (("speculation",), 0.5),
    # what every D compiler refuses (dtracepy/checks/rules.py)
    "D_PROTO_ARG": (("argument-type", "constant-argument", "aggregation-value"), 0.55),
    "D_OP_WRITE": (("assigned-read-only",), 1.0),
    "D_EMPTY": (("empty-program",), 1.0),
    "D_VAR_UNDEF": (("used-before-assigned",), 1.0),
    "D_AGG_NULL": (("aggregation-value",), 1.0),
    "D_AGG_MDIM": (("aggregation-value",), 1.0),
    "D_CLEAR_AGGARG": (("aggregation-value",), 1.0),
    "D_NORMALIZE_AGGARG": (("aggregation-value",), 1.0),
    "D_STACK_SIZE": (("constant-argument",), 1.0),
    "D_TRACEMEM_SIZE": (("constant-argument",), 1.0),
    "D_USTACK_FRAMES": (("constant-argument",), 1.0),
    "D_USTACK_STRSIZE": (("constant-argument",), 1.0),
    "D_LLQUANT_FACTOREVEN": (("constant-argument",), 0.5),
    "D_LLQUANT_FACTORNSTEPS": (("constant-argument",), 1.0),
    "D_LLQUANT_FACTORSMALL": (("constant-argument",), 1.0),
    "D_LLQUANT_FACTORTYPE": (("constant-argument",), 0.65),
    "D_LLQUANT_FACTORVAL": (("constant-argument",), 1.0),
    "D_LLQUANT_HIGHTYPE": (("constant-argument",), 1.0),
    "D_LLQUANT_HIGHVAL": (("constant-argument",), 1.0),
    "D_LLQUANT_HMAGVAL": (("constant-argument",), 1.0),
    "D_LLQUANT_LMAGVAL": (("constant-argument",), 1.0),
    "D_LLQUANT_LOWTYPE": (("constant-argument",), 1.0),
    "D_LLQUANT_LOWVAL": (("constant-argument",), 1.0),
    "D_LLQUANT_MAGRANGE": (("constant-argument",), 1.0),
    "D_LLQUANT_MAGTOOBIG": (("constant-argument",), 1.0),
    "D_LLQUANT_NSTEPTYPE": (("constant-argument",), 1.0),
    "D_LLQUANT_NSTEPVAL": (("constant-argument",), 1.0),
    "D_LLQUANT_STEPTYPE": (("constant-argument",), 0.65),
    "D_LLQUANT_STEPVAL": (("constant-argument",), 0.7),
    "D_LQUANT_BASEVAL": (("constant-argument",), 1.0),
    "D_LQUANT_LIMTYPE": (("constant-argument",), 0.5),
    "D_LQUANT_LIMVAL": (("constant-argument",), 1.0),
    "D_LQUANT_MISMATCH": (("constant-argument",), 1.0),
    "D_LQUANT_STEPLARGE": (("constant-argument",), 1.0),
    "D_LQUANT_STEPSMALL": (("constant-argument",), 1.0),
    "D_LQUANT_STEPTYPE": (("constant-argument",), 0.75),
    "D_LQUANT_STEPVAL": (("constant-argument",), 1.0),
    # declarations and constant expressions (dtracepy/checks/declarations.py)
    "D_DECL_COMBO": (("type-combination",), 0.65),
    "D_DECL_LONGINT": (("type-combination",), 1.0),
    "D_DECL_SIGNINT": (("type-combination",), 1.0),
    "D_DECL_VOIDATTR": (("type-combination",), 1.0),
    "D_DECL_CHARATTR": (("type-combination",), 1.0),
    "D_DECL_IDRED": (("redeclared",), 0.75),
    "D_DECL_INCOMPLETE": (("incomplete-type",), 0.75),
    "D_DIV_ZERO": (("division-by-zero",), 1.0),
    **{tag: (("declaration",), 1.0) for tag in (
        "D_DECL_CLASS", "D_DECL_BADCLASS", "D_DECL_BFCONST", "D_DECL_BFSIZE", "D_DECL_BFTYPE", "D_DECL_ARRNULL",
        "D_DECL_ARRSUB", "D_DECL_ARRBIG", "D_DECL_ENOFLOW")},
    "D_ADDROF_VAR": (("address-of-variable", "aggregation-value"), 0.65),
    "D_TRUNC_AGGARG": (("aggregation-argument",), 1.0),
    "D_PRINTA_AGGKEY": (("printa-keys",), 1.0),
    "D_PRINTA_AGGPROTO": (("printa-keys",), 1.0),
    "D_ARR_BADREF": (("array-use",), 1.0),
    "D_ARR_LOCAL": (("array-use",), 1.0),
    "D_ARR_BOUNDS": (("array-use",), 0.5),
    "D_IDENT_BADREF": (("array-use",), 1.0),
    "D_DECL_LOCASSC": (("declaration",), 1.0),
    "D_XLATE_SOU": (("declaration",), 0.5),
    "D_XLATE_REDECL": (("declaration",), 0.5),
    "D_OFFSETOF_TYPE": (("offsetof-member",), 0.3),
    "D_XLATE_MEMB": (("member-name",), 1.0),
    "D_TYPE_MEMBER": (("member-name",), 1.0),
    "D_XLATE_NONE": (("xlate",), 1.0),
    "D_OP_INT": (("operand-type",), 1.0),
    "D_OP_SCALAR": (("operand-type",), 1.0),
    "D_OP_INCOMPAT": (("operand-type", "aggregation-value", "inline-type"), 0.4),
}

#: Files run by a harness that passes exactly the @@runtest-opts arguments (Apple's and illumos's
#: tests that take arguments are driven by .ksh companions instead, so their count is unknown).
_HARNESS_DIRS = ("dtrace-utils-tests/test/unittest/",)
_OPTS_WITH_VALUE = {"-c", "-p", "-x", "-D", "-I", "-U", "-o", "-b", "-s", "-P", "-m", "-f", "-n", "-i", "-X"}


def harness_options(path: str, source: str, text: str) -> CheckOptions:
    """The options a file's test harness runs it with."""
    match = re.search(r"@@runtest-opts:(.*?)(\*/|$)", text, re.M)
    opts = match.group(1).strip() if match else ""
    try:
        words = shlex.split(opts)
    except ValueError:
        words = opts.split()
    destructive = any(w.startswith("-") and not w.startswith("-x") and "w" in w[1:] for w in words) or \
        any("destructive" in w for w in words)
    macro_args = None
    if path.startswith(_HARNESS_DIRS) and not any("defaultargs" in w for w in words):
        positional, skip = 0, False
        for word in words:
            if skip:
                skip = False
            elif word in _OPTS_WITH_VALUE:
                skip = True
            elif not word.startswith("-"):
                positional += 1
        macro_args = positional
    # (expand: the look past #define that `dtracepy check` hands the checks)
    return CheckOptions(destructive=destructive, macro_args=macro_args, expand=expanded)


def load_exceptions():
    listed = {}
    for line in EXCEPTIONS_FILE.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        path, check, reason = (part.strip() for part in line.split("|", 2))
        assert reason, f"exception without a reason: {line}"
        listed[(path, check)] = reason
    return listed


@pytest.fixture(scope="module")
def corpus_results(corpus):
    rows = [line.rstrip("\n").split("\t") for line in (corpus / "MANIFEST.tsv").read_text().splitlines()[1:]]
    results, crashes = {}, []
    for row in rows:
        row += [""] * (7 - len(row))
        path, source, _repo, _commit, expect, tag, notes = row[:7]
        data = (corpus / path).read_bytes()
        try:
            program = parse_bytes(data, filename=path, cpp="cpp" in notes.split(";"))
        except DTracePyError:
            continue
        except Exception:  # the parser's business, not this test's  # noqa: BLE001
            continue
        text = data.decode("utf-8", errors="replace")
        try:
            findings = check_program(program, harness_options(path, source, text), source=text)
        except Exception as err:  # noqa: BLE001
            crashes.append(f"{path}: {type(err).__name__}: {err}")
            continue
        results[path] = (expect, tag, findings)
    return results, crashes


def test_checks_never_crash_on_the_corpus(corpus_results):
    results, crashes = corpus_results
    assert results, "no corpus file parsed"
    assert crashes == []


def test_no_errors_on_parse_ok_files_except_listed(corpus_results, capsys):
    results, _ = corpus_results
    listed = load_exceptions()
    seen, unexpected = set(), []
    warnings = collections.Counter()
    for path, (expect, _tag, findings) in results.items():
        if expect != "parse-ok":
            continue
        for finding in findings:
            if finding.severity != "error":
                warnings[finding.check] += 1
                continue
            if (path, finding.check) in listed:
                seen.add((path, finding.check))
            else:
                unexpected.append(finding.render())
    stale = sorted(set(listed) - seen)
    with capsys.disabled():
        total = sum(1 for e, _t, _f in results.values() if e == "parse-ok")
        print(f"\n[checks] parse-ok files checked: {total}; error exceptions listed: {len(listed)}; "
              f"warnings: {sum(warnings.values())} ({', '.join(f'{k} {v}' for k, v in warnings.most_common())})")
    assert unexpected == [], "errors on parse-ok files:\n" + "\n".join(unexpected[:50])
    assert stale == [], f"listed exceptions that no longer occur (remove them): {stale}"


def test_share_of_semantic_error_files_flagged_per_tag(corpus_results, capsys):
    results, _ = corpus_results
    totals = collections.Counter()
    flagged = collections.Counter()
    for _path, (expect, tag, findings) in results.items():
        if expect != "semantic-error" or tag not in COVERAGE:
            continue
        totals[tag] += 1
        checks, _floor = COVERAGE[tag]
        if any(f.check in checks for f in findings):
            flagged[tag] += 1
    lines, low = [], []
    for tag, (checks, floor) in sorted(COVERAGE.items()):
        if not totals[tag]:
            continue
        share = flagged[tag] / totals[tag]
        lines.append(f"  {tag:<20} {flagged[tag]:4d}/{totals[tag]:<4d} {share:6.1%}  (floor {floor:.0%}; {', '.join(checks)})")
        if share < floor:
            low.append(f"{tag}: {share:.1%} < {floor:.0%}")
    all_flagged, all_total = sum(flagged.values()), sum(totals.values())
    with capsys.disabled():
        print("\n[checks] semantic-error files flagged by the check that covers their tag:")
        print("\n".join(lines))
        print(f"  {'all covered tags':<20} {all_flagged:4d}/{all_total:<4d} {all_flagged / max(all_total, 1):6.1%}")
    assert low == []
