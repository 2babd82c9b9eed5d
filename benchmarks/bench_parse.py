"""Parse throughput over the whole D corpus (run by hand: ``python3 benchmarks/bench_parse.py``).

Reports MB/s over all files (each parsed once, as written; files that do not parse count too,
up to their error) and the median time per file.  Also reports dense synthetic D, which has no
comment headers and so shows the parser's worst-case rate.
"""

from __future__ import annotations

import os
import pathlib
import statistics
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dtracepy.errors import DSyntaxError  # noqa: E402
from dtracepy.parser import parse_bytes  # noqa: E402


def main() -> int:
    root = pathlib.Path(os.environ.get("DTRACEPY_CORPUS", REPO.parent / "shared" / "corpus"))
    manifest = root / "MANIFEST.tsv"
    if not manifest.is_file():
        print(f"no corpus at {root}", file=sys.stderr)
        return 1
    paths = [line.split("\t", 1)[0] for line in manifest.read_text().splitlines()[1:]]
    blobs = [(p, (root / p).read_bytes()) for p in paths]
    parse_bytes(b"BEGIN { }", "warmup.d")  # grammar load is not parse time
    times = []
    total = 0
    errors = 0
    start = time.perf_counter()
    for path, data in blobs:
        t0 = time.perf_counter()
        try:
            parse_bytes(data, path)
        except DSyntaxError:
            errors += 1
        times.append(time.perf_counter() - t0)
        total += len(data)
    elapsed = time.perf_counter() - start
    print(f"corpus: {len(blobs)} files, {total / 1e6:.2f} MB in {elapsed:.2f} s = "
          f"{total / 1e6 / elapsed:.2f} MB/s; median {statistics.median(times) * 1e3:.2f} ms/file, "
          f"max {max(times) * 1e3:.1f} ms ({errors} files rejected)")

    clause = (b'syscall::read:entry\n/pid == $target && self->ts == 0/\n{\n\tself->ts = timestamp;\n'
              b'\t@a[execname, probefunc] = count();\n\tprintf("%d %s\\n", pid, copyinstr(arg0));\n}\n\n')
    dense = clause * (1024 * 1024 // len(clause))
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        parse_bytes(dense, "dense.d")
        runs.append(time.perf_counter() - t0)
    mb = len(dense) / 1e6
    print(f"dense synthetic D: {mb:.2f} MB; best of 3 {min(runs):.2f} s = {mb / min(runs):.2f} MB/s "
          f"(first {mb / runs[0]:.2f} MB/s, median {mb / statistics.median(runs):.2f} MB/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
