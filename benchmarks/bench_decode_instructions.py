"""Instructions a framed row costs in ``run``'s decoder, for cachegrind (run by hand): makes
``bench_decode.py``'s input of N rows and, with ``decode`` as the last argument, decodes it::

    PYTHONHASHSEED=0 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \\
        python benchmarks/bench_decode_instructions.py str 50000 decode
    (the same without ``decode``: the making alone)

A row's instructions are the difference over N (docs/PERFORMANCE.md, "Session 27, decoder28").
``str``: the rows of nine columns of which two strings; ``int``: nine integer columns.  Run each
twice: the first writes the ``.pyc`` files."""

from __future__ import annotations

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench_decode as B  # noqa: E402

from dtracepy.run.decode import Decoder  # noqa: E402


def main(argv) -> int:
    shape, n = argv[0], int(argv[1])
    if shape == "str":
        chunks, plan = B._chunks(n), B._record_plan()
    else:
        rows = b"".join(b"\x1eR0" + b"".join(b"\x1f%d" % (i * 7919 + c) for c in range(9)) + b"\n"
                        for i in range(n))
        chunks = [rows[i:i + (1 << 16)] for i in range(0, len(rows), 1 << 16)]
        plan = B._record_plan(B.INT_COLUMNS)
    if argv[2:] == ["decode"]:
        dec = Decoder(plan)
        count = 0
        for chunk in chunks:
            for _event in dec.feed(chunk):
                count += 1
        count += len(dec.close())
        assert count == n, count
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
