"""``dtracepy import`` over the corpus: every ``parse-ok`` file imports; the faithful module
compiles back to an equal tree for >= 99% of them (and compiles, checks on, wherever the original
has no error finding but leaks) and the idiomatic one compiles for >= 97%.

Every failure is either a located ``cannot import`` error listed with its reason in
tests/import_exceptions.txt, or waits for a DSL name another helper is adding (``assign_expr``,
``anon_agg``, ``const``): those count once the name is on main, by themselves.  The figures are
printed at the end of the run (tests/conftest.py).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from conftest import IMPORT_TOTALS
from test_corpus_parse import _exceptions, cpp_defines
from dtracepy.checks import CheckOptions, check_program
from dtracepy.errors import DTracePyError
from dtracepy.importer import CannotImport, compile_module, import_program
from dtracepy.importer.pyfmt import WIDTH
from dtracepy.parser import expanded, parse_bytes

HERE = Path(__file__).resolve().parent
EXCEPTIONS = HERE / "import_exceptions.txt"
FAITHFUL_TARGET = 0.99
IDIOMATIC_TARGET = 0.97


def listed_exceptions() -> dict[str, str]:
    """``path | mode | reason`` lines: mode is ``exact``, ``idiomatic`` or ``real`` (the real D
    compiler rejects the idiomatic module's D)."""
    out: dict[str, str] = {}
    for line in EXCEPTIONS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            path, mode, reason = (part.strip() for part in line.split("|", 2))
            out[f"{mode}:{path}"] = reason
    return out


def _parse(root: Path, path: str, notes: str):
    """(program, the text it was parsed from: None when preprocessed), or None."""
    data = (root / path).read_bytes()
    try:
        return parse_bytes(data, path), data.decode("utf-8", "surrogateescape")
    except DTracePyError:
        defines = cpp_defines(notes)
        if defines is None:
            return None  # the parser's own conformance test holds it to its verdict
        try:
            return parse_bytes(data, path, cpp=True, defines=defines), None
        except DTracePyError:
            return None


def _outcome(run) -> tuple[str, str]:
    try:
        run()
    except CannotImport as err:
        return ("waiting" if err.message.endswith(" yet") else "error"), err.render(with_context=False)
    except DTracePyError as err:
        return "error", err.render(with_context=False)
    return "ok", ""


@pytest.fixture(scope="module")
def outcomes(corpus):
    parser_exceptions = _exceptions()
    with open(corpus / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t")
                if r["expect"] == "parse-ok" and r["path"] not in parser_exceptions]
    results = {}
    for row in rows:
        parsed = _parse(corpus, row["path"], row["notes"] or "")
        if parsed is None:
            continue
        program, text = parsed
        path = row["path"]

        refused = {}

        def exact(program=program, path=path, refused=refused, text=text):
            source = import_program(program, path, exact=True, text=text)  # executes the module, compares the trees
            try:
                compile_module(source, path + ".py")  # `dtracepy compile`, checks and all
            except DTracePyError as err:
                # a leak is no reason: dtrace runs a leaking script, and t.keep keeps the leak
                if not any(f.severity == "error" and f.check != "self-leak" for f in check_program(program, CheckOptions(expand=expanded))):
                    refused["message"] = err.render(with_context=False)

        compiled = {}

        def idiomatic(program=program, path=path, compiled=compiled, text=text):
            compiled["py"] = import_program(program, path, text=text)
            compiled["d"] = compile_module(compiled["py"], path + ".py").text  # checks too

        results[path] = {"exact": _outcome(exact), "idiomatic": _outcome(idiomatic),
                         "d": compiled.get("d"), "py": compiled.get("py"), "notes": row["notes"] or "",
                         "exact_refused": refused.get("message")}
    return results


def test_faithful_modules_compile_wherever_the_original_passes_the_checks(outcomes):
    """`dtracepy compile` of an --exact module (checks on) succeeds for every original that
    `dtracepy check` finds no error in but leaks (``self-leak``, which dtrace runs): a leak the
    original has is kept with t.keep, not refused."""
    refused = [f"{path}: {result['exact_refused']}" for path, result in outcomes.items()
               if result["exact_refused"] is not None]
    assert not refused, f"{len(refused)} faithful modules refused by compile:\n" + "\n".join(refused[:20])


_LONG_STRING = re.compile(r'"(?:[^"\\]|\\.){38,}"' + r"|'(?:[^'\\]|\\.){38,}'")


def test_idiomatic_modules_fit_the_line_width(outcomes):
    """Lines stay within WIDTH unless nothing can break them: a string literal or a path that is
    long by itself, or code nested so deep (column 40 and more) that black would not fit it either."""
    too_long = []
    for path, result in outcomes.items():
        for number, line in enumerate((result["py"] or "").splitlines(), 1):
            indent = len(line) - len(line.lstrip())
            if len(line) > WIDTH and indent < 40 and not _LONG_STRING.search(line) \
                    and not re.search(r"\S{50,}", line):
                too_long.append(f"{path}.py:{number}: {line}")
    assert not too_long, f"{len(too_long)} lines over {WIDTH} columns:\n" + "\n".join(too_long[:40])


@pytest.mark.parametrize("mode,target", [("exact", FAITHFUL_TARGET), ("idiomatic", IDIOMATIC_TARGET)])
def test_corpus_imports(outcomes, mode, target):
    listed = listed_exceptions()
    total = len(outcomes)
    by_status: dict[str, list] = {"ok": [], "waiting": [], "error": []}
    for path, result in outcomes.items():
        by_status[result[mode][0]].append(path)

    unlisted = [f"{outcomes[p][mode][1]}" for p in by_status["error"] if f"{mode}:{p}" not in listed]
    stale = [key for key in listed if key.startswith(mode + ":")
             and outcomes.get(key.split(":", 1)[1], {}).get(mode, ("ok",))[0] == "ok"]
    counted = total - len(by_status["waiting"])
    ok = len(by_status["ok"])
    IMPORT_TOTALS[mode] = {"files": total, "ok": ok, "waiting": len(by_status["waiting"]),
                           "excepted": len(by_status["error"]) - len(unlisted), "unexpected": len(unlisted)}
    assert not unlisted, "failures not in tests/import_exceptions.txt:\n" + "\n".join(unlisted)
    assert not stale, "listed in tests/import_exceptions.txt but now import: " + ", ".join(stale)
    assert counted and ok / counted >= target, f"{mode}: {ok}/{counted} below {target:.0%}"
    # the README's figures are this run's (they went stale once when an exception was added)
    readme = re.search(r"of the\s+(\d+) `parse-ok` files (\d+) \((\S+)%\) round-trip exactly and (\d+) "
                       r"\((\S+)%\) idiomatic modules compile,\s+checks included \(the (\d+) and (\d+) others",
                       (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8"))
    assert readme, "README.md no longer gives the import corpus figures in the sentence this test reads"
    files, exact, exact_pct, idiomatic, idiomatic_pct, exact_others, idiomatic_others = readme.groups()
    said = {"exact": (exact, exact_pct, exact_others), "idiomatic": (idiomatic, idiomatic_pct, idiomatic_others)}
    assert (files, *said[mode]) == (str(counted), str(ok), f"{100 * ok / counted:.1f}", str(counted - ok)), \
        f"README.md's import figures for {mode} are stale: {ok} of {counted} import"


def test_the_real_compiler_accepts_the_idiomatic_module_wherever_it_accepts_the_original(corpus, outcomes):
    """Every corpus file the real D compiler accepts (tests/dtrace_corpus_verdicts.tsv): the D its
    idiomatic module compiles to is accepted too, judged as the original was (same harness
    options, -Z, -C and defines)."""
    from corpus_judging import ACCEPTED, job_for, read_recording
    from real_dtrace import judge_scripts, need_dtrace, need_root

    need_dtrace()
    need_root()
    recording = read_recording()[1]
    jobs = {}
    for path, result in outcomes.items():
        if result["d"] is None or recording.get(path, ("",))[0] != ACCEPTED:
            continue
        job = job_for(corpus, path, result["notes"])
        del job["path"]
        job["text"] = result["d"]
        jobs[path] = job
    verdicts = judge_scripts(jobs)
    listed = listed_exceptions()
    rejected = [f"{path}: {message}" for path, message in verdicts.items()
                if message is not None and f"real:{path}" not in listed]
    stale = [key for key in listed if key.startswith("real:") and verdicts.get(key[5:], "") is None]
    assert not stale, "listed in tests/import_exceptions.txt but now accepted: " + ", ".join(stale)
    IMPORT_TOTALS["real dtrace"] = {"files": len(jobs), "ok": sum(m is None for m in verdicts.values())}
    assert not rejected, f"{len(rejected)} idiomatic modules the real compiler rejects:\n" + "\n".join(rejected)
