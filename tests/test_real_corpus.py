"""dtracepy's verdicts on the corpus against the real D compiler's (Oracle DTrace 2.0 for Linux).

* Every ``parse-ok`` file the real compiler accepts: ``dtracepy check --dialect oracle`` (with the
  options the file's test harness gives it) reports no error.
* Every file the real compiler rejects with a syntax error (``D_SYNTAX``): dtracepy rejects it too,
  with a syntax error or an error finding.

The real compiler's verdicts are recorded in tests/dtrace_corpus_verdicts.tsv
(``tools/record_dtrace_verdicts.py``), so this comparison runs everywhere; where the real DTrace is
installed (CI), ``test_the_recording_is_what_the_real_compiler_says`` re-judges the corpus live
through libdtrace, and ``test_dtrace_e_agrees_with_the_recording_on_a_sample`` runs ``dtrace -e``
itself on a random sample, to prove both the recording and the judge true.  Disagreements are
listed, each with its reason, in tests/real_corpus_exceptions.txt.  The agreement table is printed
at the end of the run.
"""

from __future__ import annotations

import collections
import os
import random
import subprocess

import attrs
import pytest

from conftest import REAL_TOTALS, REPO
from corpus_judging import ACCEPTED, RECORDING, REJECTED, SYNTAX, classify, cpp_defines, job_for, manifest_rows, read_recording
from dtracepy.checks import check_program
from dtracepy.errors import DTracePyError
from dtracepy.parser import parse_bytes
from real_dtrace import judge_scripts, need_dtrace, need_root
from test_checks_corpus import harness_options

EXCEPTIONS = REPO / "tests" / "real_corpus_exceptions.txt"

ROWS = {
    "accepted": "parse-ok files dtrace accepts: dtracepy check --dialect oracle finds no error",
    "syntax": "files dtrace rejects as D_SYNTAX: dtracepy rejects them too",
}


def _exceptions() -> dict[str, str]:
    out = {}
    for line in EXCEPTIONS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            path, _, reason = line.partition("|")
            assert reason.strip(), f"exception without a reason: {line}"
            out[path.strip()] = reason.strip()
    return out


def dtracepy_error(root, path: str, notes: str) -> str | None:
    """dtracepy's first error on a corpus file (syntax or error finding), None when it has none."""
    data = (root / path).read_bytes()
    defines = cpp_defines(notes)
    try:
        program = parse_bytes(data, path, cpp=defines is not None, defines=defines or [])
    except DTracePyError as err:
        return err.render().splitlines()[0]
    text = data.decode("utf-8", errors="replace")
    options = attrs.evolve(harness_options(path, "", text), dialect="oracle", dialect_given=True)
    for finding in check_program(program, options, source=text):
        if finding.severity == "error":
            return finding.render()
    return None


@pytest.fixture(scope="module")
def recording():
    return read_recording()[1]


@pytest.fixture(scope="module")
def comparisons(corpus, recording):
    """row name -> [(path, dtrace's message, dtracepy's error)] for the files that row covers."""
    out = collections.defaultdict(list)
    for path, expect, _tag, notes in manifest_rows(corpus):
        verdict, _dtag, message = recording[path]
        error = dtracepy_error(corpus, path, notes)
        if verdict == ACCEPTED and expect == "parse-ok":
            out["accepted"].append((path, message, error))
        elif verdict == SYNTAX:
            out["syntax"].append((path, message, error))
        # every file, for the shares below
        out["any accepted" if verdict == ACCEPTED else "any rejected" if verdict == REJECTED else "any syntax"].append(
            (path, message, error))
    return out


#: The share of the files dtrace rejects for a reason other than syntax on which ``check --dialect
#: oracle`` reports an error (much of the rest depends on this machine's probes, kernel types and
#: translators, which check cannot see), and the most files dtrace accepts that it flags (each of
#: them is run by its test harness with options check is not given): a rule that flags one more
#: accepted file is wrong, or must be narrowed.
REJECTED_FLAGGED_FLOOR = 650
#: (47: 40, and the 7 provider definitions the recording has dtrace accept, on which `dtrace -e -s`
#: crashes: tests/real_corpus_exceptions.txt, [dialect-provider].)
ACCEPTED_FLAGGED_CEILING = 47


def test_share_of_the_files_dtrace_rejects_that_check_flags(comparisons, capsys):
    rejected, accepted = comparisons["any rejected"], comparisons["any accepted"]
    flagged = sum(1 for _p, _m, error in rejected if error is not None)
    wrongly = [f"{path}: {error}" for path, _m, error in accepted if error is not None]
    with capsys.disabled():
        print(f"\n[real] files dtrace rejects (not as syntax errors) that check --dialect oracle flags: "
              f"{flagged}/{len(rejected)}; files dtrace accepts that it flags: {len(wrongly)}/{len(accepted)}")
    assert flagged >= REJECTED_FLAGGED_FLOOR
    assert len(wrongly) <= ACCEPTED_FLAGGED_CEILING, "\n".join(wrongly)


def test_the_recording_covers_the_corpus(corpus, recording):
    paths = [row[0] for row in manifest_rows(corpus)]
    assert sorted(recording) == sorted(paths), f"rerun tools/record_dtrace_verdicts.py ({RECORDING.name} is stale)"


@pytest.mark.parametrize("row", list(ROWS))
def test_dtracepy_agrees_with_the_real_compiler(comparisons, row):
    exceptions = _exceptions()
    counts = {"files": 0, "agree": 0, "excepted": 0, "unexpected": 0}
    unexpected, stale = [], []
    for path, message, error in comparisons[row]:
        counts["files"] += 1
        agrees = error is None if row == "accepted" else error is not None
        if agrees:
            counts["agree"] += 1
            if path in exceptions:
                stale.append(path)
        elif path in exceptions:
            counts["excepted"] += 1
        else:
            counts["unexpected"] += 1
            unexpected.append(f"{path}: dtrace: {message or 'accepted'}; dtracepy: {error or 'accepted'}")
    REAL_TOTALS[ROWS[row]] = counts
    assert not unexpected, f"{len(unexpected)} files where dtracepy and dtrace disagree:\n" + "\n".join(unexpected)
    assert not stale, f"listed in {EXCEPTIONS.name} but now in agreement (remove them):\n" + "\n".join(stale)


def test_every_exception_is_a_corpus_file(recording):
    missing = [p for p in _exceptions() if p not in recording]
    assert not missing, missing


def test_the_recording_is_what_the_real_compiler_says(corpus, recording):
    """A random sample of the corpus re-judged live (``DTRACEPY_JUDGE_SAMPLE`` files, default 400,
    about 10 s; 0: all of it, about a minute): the recording is still true."""
    need_dtrace()
    need_root()
    rows = manifest_rows(corpus)
    size = int(os.environ.get("DTRACEPY_JUDGE_SAMPLE", "400"))
    if size:
        rows = random.Random().sample(rows, min(size, len(rows)))
    live = judge_scripts({path: job_for(corpus, path, notes) for path, _e, _t, notes in rows})
    changed = []
    for path, *_ in rows:
        now = classify(live[path])
        if now[:2] != recording[path][:2]:
            changed.append(f"{path}: recorded {recording[path][0]} {recording[path][1]}, now {now[0]} {now[1]}: {now[2]}")
    assert not changed, f"{len(changed)} verdicts changed (rerun tools/record_dtrace_verdicts.py):\n" + "\n".join(changed)


#: How dtrace dies of a segmentation fault: killed by SIGSEGV, or a shell's 128 + 11.
_SEGFAULT = (-11, 139)


def dtrace_e_disagrees(dtrace, corpus, recording, row) -> str | None:
    """What ``dtrace -e`` says of one corpus file where the recording says otherwise, or None.
    A file the exceptions list as a provider definition dtrace crashes on (the recording's
    libdtrace judge does not) is expected to crash: it has no message to compare."""
    path, _expect, _tag, notes = row
    job = job_for(corpus, path, notes)
    argv = [dtrace, "-e", "-Z"]
    if "C" in job["flags"]:
        argv += ["-C"] + [f"-D{d}" for d in job.get("defines", ())]
    for name, value in job["options"].items():
        argv += ["-x", name if value is None else f"{name}={value}"]
    if job.get("target"):
        argv += ["-c", "/bin/true"]
    argv += ["-s", job["path"]]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if result.returncode in _SEGFAULT and _exceptions().get(path, "").endswith("[dialect-provider]"):
        return None
    lines = result.stderr.strip().splitlines()
    said = None if result.returncode == 0 else (lines[-1] if lines else f"nothing, exit {result.returncode}")
    verdict = recording[path][0]
    if (said is None) != (verdict == ACCEPTED) or (said and verdict == SYNTAX and "[D_SYNTAX]" not in said):
        return f"{path}: recorded {verdict}, dtrace -e says {said or 'accepted'}"
    return None


def test_dtrace_e_agrees_with_the_recording_on_a_sample(corpus, recording):
    """``dtrace -e`` itself, one process per file (1.3 s each), on two random files of each verdict:
    what the judge recorded is what the command says."""
    dtrace = need_dtrace()
    need_root()
    rows = manifest_rows(corpus)
    rng = random.Random()
    by_verdict = collections.defaultdict(list)
    for row in rows:
        by_verdict[recording[row[0]][0]].append(row)
    sample = [row for rows_ in by_verdict.values() for row in rng.sample(rows_, min(2, len(rows_)))]
    wrong = [said for said in (dtrace_e_disagrees(dtrace, corpus, recording, row) for row in sample) if said]
    assert not wrong, "\n".join(wrong)


def test_the_sample_takes_a_provider_definition_dtrace_crashes_on(corpus, recording):
    """The sample above may draw one of the provider definitions the recording has dtrace accept
    and ``dtrace -e -s`` crashes on (1 run in ~100 did): a known crash, not a failure of the test."""
    dtrace = need_dtrace()
    need_root()
    providers = [path for path, why in _exceptions().items() if why.endswith("[dialect-provider]")]
    rows = {row[0]: row for row in manifest_rows(corpus)}
    assert providers and all(path in rows for path in providers)
    assert dtrace_e_disagrees(dtrace, corpus, recording, rows[providers[0]]) is None
