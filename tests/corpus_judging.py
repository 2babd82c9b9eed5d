"""The real D compiler's verdict on every corpus file, as recorded in tests/dtrace_corpus_verdicts.tsv.

``tools/record_dtrace_verdicts.py`` writes the recording (the whole corpus, judged in isolation by
libdtrace as ``dtrace -e`` would, in about a minute); tests/test_real_corpus.py compares dtracepy
with it in every run, and, where the real DTrace is installed, re-judges the corpus live to prove
the recording still true.  How a file is given to the compiler (:func:`job_for`): always ``-Z``
(no fbt probes on Linux, and many scripts name probes of other systems), ``-x defaultargs`` (macro
arguments the tests would have supplied are 0 or ""), ``-x errtags`` (messages carry the D_* tag),
``-C`` with the ``-D`` macros of ``runtest-opts`` for files noted ``cpp``, the other ``-x`` options
of ``runtest-opts``, and ``-c /bin/true`` for scripts that use ``$target``.
"""

from __future__ import annotations

import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parent.parent
RECORDING = REPO / "tests" / "dtrace_corpus_verdicts.tsv"

ACCEPTED = "accepted"
SYNTAX = "syntax-error"
REJECTED = "rejected"

_TAG = re.compile(r"^\[(D_\w+|EDT_\w+)\]\s*")


def cpp_defines(notes: str) -> list[str] | None:
    """The -D macros of a file the manifest says runs through the C preprocessor (dtrace -C),
    or None when it does not (the rule tests/test_corpus_parse.py applies)."""
    if "cpp" in notes.split("; ") or re.search(r"runtest-opts=.*-\w*C", notes):
        return re.findall(r"(?:-D|-xdefine=)(\S+)", notes)
    return None


def manifest_rows(root: pathlib.Path) -> list[tuple[str, str, str, str]]:
    """(path, expect, errtag, notes) for every corpus file."""
    rows = []
    with open(root / "MANIFEST.tsv", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            fields += [""] * (7 - len(fields))
            rows.append((fields[0], fields[4], fields[5], fields[6]))
    return rows


def job_for(root: pathlib.Path, path: str, notes: str) -> dict:
    """The ``judge_scripts`` job that compiles one corpus file as ``dtrace -e`` would."""
    options: dict[str, str | None] = {"defaultargs": None, "errtags": None}
    opts = re.search(r"runtest-opts=([^;]*)", notes)
    for name, _eq, value in re.findall(r"-x(\w+)(=(\S+))?", opts[1] if opts else ""):
        if name not in ("define", "cpp", "errtags", "defaultargs"):
            options[name] = value or None
    job = {"path": str(root / path), "flags": "Z", "options": options}
    defines = cpp_defines(notes)
    if defines is not None:
        job["flags"] = "ZC"
        job["defines"] = defines
    text = (root / path).read_bytes()
    if b"$target" in text or b"$pid" in text or b"$$target" in text:
        job["target"] = True
    return job


def classify(message: str | None) -> tuple[str, str, str]:
    """(verdict, tag, message without its tag) for one judge answer."""
    if message is None:
        return ACCEPTED, "", ""
    match = _TAG.match(message)
    tag = match[1] if match else ""
    text = message[match.end():] if match else message
    return (SYNTAX if tag == "D_SYNTAX" else REJECTED), tag, " ".join(text.split())


def read_recording(path: pathlib.Path = RECORDING) -> tuple[dict[str, str], dict[str, tuple[str, str, str]]]:
    """(header fields, path -> (verdict, tag, message))."""
    header: dict[str, str] = {}
    rows: dict[str, tuple[str, str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# ") and ": " in line:
            key, _, value = line[2:].partition(": ")
            header[key] = value
        elif line and not line.startswith("#"):
            file, verdict, tag, message = (line.split("\t") + ["", "", ""])[:4]
            rows[file] = (verdict, tag, message)
    return header, rows
