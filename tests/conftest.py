"""Shared fixtures: where the D corpus is, and the per-class totals the corpus test prints."""

from __future__ import annotations

import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent

# Filled by tests/test_corpus_parse.py; printed at the end of the run.
CORPUS_TOTALS: dict[str, dict[str, int]] = {}
# Filled by tests/test_import_corpus.py (dtracepy import over the corpus): mode -> counts.
IMPORT_TOTALS: dict[str, dict[str, int]] = {}
# Filled by tests/test_real_corpus.py: dtracepy against the real D compiler, per row.
REAL_TOTALS: dict[str, dict[str, int]] = {}
# Filled by the tests that let the real compiler judge emitted D: what -> (scripts, accepted).
REAL_EMITTED: dict[str, tuple[int, int]] = {}


def example_tracers() -> list[pathlib.Path]:
    """The tracer modules in examples/ (the others, such as listen_queue_lab.py, are programs
    that use one)."""
    return sorted(p for p in (REPO / "examples").glob("*.py") if "Tracer(" in p.read_text())


def corpus_dir() -> pathlib.Path | None:
    """The corpus of real D scripts: $DTRACEPY_CORPUS, else ../shared/corpus next to the repo."""
    env = os.environ.get("DTRACEPY_CORPUS")
    path = pathlib.Path(env) if env else REPO.parent / "shared" / "corpus"
    return path if (path / "MANIFEST.tsv").is_file() else None


@pytest.fixture(scope="session")
def corpus() -> pathlib.Path:
    path = corpus_dir()
    if path is None:
        where = os.environ.get("DTRACEPY_CORPUS") or str(REPO.parent / "shared" / "corpus")
        message = f"the D corpus is missing (no MANIFEST.tsv in {where}; set DTRACEPY_CORPUS)"
        if os.environ.get("DTRACEPY_REQUIRE_CORPUS") == "1":
            pytest.fail(message + " and DTRACEPY_REQUIRE_CORPUS=1")
        pytest.skip(message)
    return path


@pytest.fixture
def pcpp_given(monkeypatch) -> list:
    """The texts given to pcpp (``pcpp.Preprocessor.parse``), in order."""
    import pcpp

    given: list = []
    parse = pcpp.Preprocessor.parse

    def seen(self, text, *args, **kwargs):
        given.append(text)
        return parse(self, text, *args, **kwargs)

    monkeypatch.setattr(pcpp.Preprocessor, "parse", seen)
    return given


@pytest.fixture
def matches_calls(monkeypatch) -> dict:
    """Counts the calls of ``dtracepy.facts.probes.matches`` (the probe-pattern matching the
    lifecycle checks must not do per pair): ``matches_calls["n"]``."""
    from dtracepy.facts import probes

    calls = {"n": 0}
    real = probes.matches

    def counting(pattern, concrete):
        calls["n"] += 1
        return real(pattern, concrete)

    monkeypatch.setattr(probes, "matches", counting)
    return calls


def pytest_terminal_summary(terminalreporter):
    if IMPORT_TOTALS:
        terminalreporter.section("dtracepy import over the D corpus")
        for mode, c in IMPORT_TOTALS.items():
            if mode == "real dtrace":
                terminalreporter.write_line(
                    f"real dtrace: {c['files']:5d} idiomatic modules of files dtrace accepts, "
                    f"{c['ok']:5d} accepted")
                continue
            counted = c["files"] - c["waiting"]
            share = 100.0 * c["ok"] / counted if counted else 0.0
            what = "round trip equal" if mode == "exact" else "compiles"
            terminalreporter.write_line(
                f"{mode:>10}: {c['files']:5d} parse-ok files, {c['ok']:5d} {what} ({share:.1f}%), "
                f"{c['excepted']:3d} listed exceptions, {c['unexpected']:3d} unexpected, "
                f"{c['waiting']:3d} waiting for DSL names not yet on main")
    if REAL_TOTALS or REAL_EMITTED:
        terminalreporter.section("dtracepy against the real D compiler")
        for row, counts in REAL_TOTALS.items():
            terminalreporter.write_line(
                f"{counts['files']:5d} files, {counts['agree']:5d} agree, {counts['excepted']:3d} listed "
                f"exceptions, {counts['unexpected']:3d} unexpected: {row}")
        for what, (scripts, accepted) in REAL_EMITTED.items():
            terminalreporter.write_line(f"{scripts:5d} scripts, {accepted:5d} accepted: {what}")
    if not CORPUS_TOTALS:
        return
    terminalreporter.section("D corpus conformance")
    for cls, counts in CORPUS_TOTALS.items():
        terminalreporter.write_line(
            f"{cls:>16}: {counts['files']:5d} files, {counts['agree']:5d} as expected, "
            f"{counts['excepted']:3d} listed exceptions, {counts['unexpected']:3d} unexpected")
