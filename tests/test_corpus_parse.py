"""Conformance: the parser's verdict on every real D script of the corpus matches MANIFEST.tsv.

* ``parse-ok``: parses.
* ``semantic-error``: parses, unless its tag is lexical (:data:`LEXICAL_TAGS`): then it is rejected.
* ``syntax-error``: rejected.
* ``unknown``: parsed for robustness only (no traceback, no hang); no verdict.

Files noted ``cpp`` that fail as written are retried through the C preprocessor with the ``-D`` /
``-xdefine=`` macros of their ``runtest-opts``.  Every disagreement must be listed, with its reason,
in tests/corpus_exceptions.txt.  Each file is parsed once per session.
"""

from __future__ import annotations

import re

import pytest

from conftest import CORPUS_TOTALS, REPO
from dtracepy.errors import DSyntaxError
from dtracepy.parser import parse_bytes

# Tags the real compilers raise in the lexer (dt_lex.l), so a parser must reject these files.
LEXICAL_TAGS = {"D_INT_DIGIT", "D_INT_OFLOW", "D_CHR_NULL", "D_CHR_NL", "D_CHR_OFLOW", "D_STR_NL"}

CLASSES = ("parse-ok", "semantic-error", "syntax-error", "unknown")


def _exceptions() -> dict[str, str]:
    out = {}
    for line in (REPO / "tests" / "corpus_exceptions.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            path, _, reason = line.partition("|")
            out[path.strip()] = reason.strip()
    return out


def cpp_defines(notes: str) -> list[str] | None:
    """The -D macros of a file the manifest says runs through the C preprocessor (dtrace -C),
    or None when it does not."""
    if "cpp" in notes.split("; ") or re.search(r"runtest-opts=.*-\w*C", notes):
        return re.findall(r"(?:-D|-xdefine=)(\S+)", notes)
    return None


def _parse_file(root, path: str, notes: str):
    """None if the file parses, else the rendered error."""
    data = (root / path).read_bytes()
    try:
        parse_bytes(data, path)
        return None
    except DSyntaxError as err:
        first = err.render()
    defines = cpp_defines(notes)
    if defines is not None:
        try:
            parse_bytes(data, path, cpp=True, defines=defines)
            return None
        except DSyntaxError as err:
            return "with cpp: " + err.render()
    return first


@pytest.fixture(scope="session")
def verdicts(corpus):
    rows = []
    with open(corpus / "MANIFEST.tsv", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            fields += [""] * (7 - len(fields))
            path, _src, _repo, _commit, expect, tag, notes = fields[:7]
            rows.append((path, expect, tag, notes, _parse_file(corpus, path, notes)))
    return rows


def _should_parse(expect: str, tag: str) -> bool | None:
    if expect == "parse-ok":
        return True
    if expect == "semantic-error":
        return tag not in LEXICAL_TAGS
    if expect == "syntax-error":
        return False
    return None


@pytest.mark.parametrize("cls", CLASSES)
def test_corpus_class_matches_manifest(verdicts, cls):
    exceptions = _exceptions()
    counts = {"files": 0, "agree": 0, "excepted": 0, "unexpected": 0}
    unexpected, stale = [], []
    for path, expect, tag, _notes, error in verdicts:
        if expect != cls:
            continue
        counts["files"] += 1
        want = _should_parse(expect, tag)
        if want is None or (error is None) == want:
            counts["agree"] += 1
            if path in exceptions:
                stale.append(path)
        elif path in exceptions:
            counts["excepted"] += 1
        else:
            counts["unexpected"] += 1
            unexpected.append(f"{path}: " + (error if error else "accepted, but should be rejected"))
    CORPUS_TOTALS[cls] = counts
    assert not unexpected, f"{len(unexpected)} {cls} files disagree:\n" + "\n".join(unexpected)
    assert not stale, "listed in corpus_exceptions.txt but now as expected (remove them):\n" + "\n".join(stale)


def test_every_listed_exception_is_in_the_manifest(verdicts):
    paths = {row[0] for row in verdicts}
    missing = [p for p in _exceptions() if p not in paths]
    assert not missing, missing


def test_lexical_semantic_errors_are_rejected_at_their_line(verdicts):
    """Files whose tag is lexical are rejected with a located error (not just any error)."""
    for path, expect, tag, _notes, error in verdicts:
        if expect == "semantic-error" and tag in LEXICAL_TAGS:
            assert error is not None and re.search(r":\d+:\d+: error: ", error), (path, error)
