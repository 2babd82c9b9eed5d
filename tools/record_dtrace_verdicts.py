#!/usr/bin/env python3
"""Record the real D compiler's verdict on every corpus file in tests/dtrace_corpus_verdicts.tsv.

    sudo PYTHONPATH=. python3 tools/record_dtrace_verdicts.py      # about a minute (root, dtrace)

Each file is compiled in isolation as ``dtrace -e`` would (tests/corpus_judging.py: job_for says
with which flags).  Run it again after installing a different DTrace; tests/test_real_corpus.py
re-judges the corpus live in CI and fails when the recording no longer says what the compiler does.
"""

from __future__ import annotations

import datetime
import pathlib
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))

from conftest import corpus_dir  # noqa: E402
from corpus_judging import RECORDING, classify, job_for, manifest_rows  # noqa: E402
from real_dtrace import dtrace_binary, judge_scripts  # noqa: E402


def _built_from() -> str:
    """The source the installed DTrace was built from (install.sh leaves a stamp)."""
    for stamp in ("/usr/lib64/dtrace/.built-from-commit", "/usr/lib/dtrace/.built-from-commit"):
        try:
            return "built from " + open(stamp, encoding="utf-8").read().strip()
        except OSError:
            continue
    return "source unknown"


def main() -> int:
    root = corpus_dir()
    if root is None:
        print("no corpus (set DTRACEPY_CORPUS)", file=sys.stderr)
        return 1
    rows = manifest_rows(root)
    started = time.monotonic()
    verdicts = judge_scripts({path: job_for(root, path, notes) for path, _e, _t, notes in rows})
    seconds = time.monotonic() - started
    version = subprocess.run([dtrace_binary(), "-V"], capture_output=True, text=True).stdout.strip()
    lines = [
        "# The real D compiler's verdict on every corpus file (tools/record_dtrace_verdicts.py).",
        f"# compiler: {version}, {_built_from()}",
        f"# kernel: {subprocess.run(['uname', '-sr'], capture_output=True, text=True).stdout.strip()}",
        f"# recorded: {datetime.date.today().isoformat()}",
        f"# files: {len(rows)}",
        "# columns: path, verdict (accepted | syntax-error | rejected), D_* tag, message",
    ]
    for path, _expect, _tag, _notes in rows:
        verdict, tag, message = classify(verdicts[path])
        lines.append("\t".join((path, verdict, tag, message.replace("\t", " "))))
    RECORDING.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts: dict[str, int] = {}
    for line in lines[6:]:
        counts[line.split("\t")[1]] = counts.get(line.split("\t")[1], 0) + 1
    print(f"judged {len(rows)} files in {seconds:.1f} s: {counts} -> {RECORDING}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
