"""Benchmark: lay out a generated 2,000-line C header.

    python3 benchmarks/bench_layout.py [--lines 2000] [--abi x86_64] [--repeat 5]

The header mixes what real headers hold: #define constants and #ifdef blocks (so the
preprocessor runs), comments, typedefs, enums, structs with bit-fields, unions, nested and
anonymous members, arrays, pointers, and packed/aligned attributes.  Prints the best wall time of
parse_layouts() over the repeats (preprocess + attribute pass + the fast C reader + layout), and of laying
out plus flattening every record's fields.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from dtracepy.layout import parse_layouts  # noqa: E402


def generate(lines: int) -> str:
    out = ["/* generated for benchmarks/bench_layout.py */", "#ifndef BENCH_H", "#define BENCH_H", ""]
    i = 0
    while len(out) + 24 < lines:
        out += [
            f"#define N_{i} {i % 7 + 1}",
            f"/* record {i}: bit-fields, a union, an anonymous struct */",
            f"typedef enum e_{i} {{ E{i}_A, E{i}_B = {i}, E{i}_C }} e_{i}_t;",
            f"struct s_{i} {{",
            "\tuint8_t\t\tv:4, hl:4;",
            "\tuint16_t\tlen;",
            "\tunsigned int\tflags:3, :0, kind:5;",
            f"\tchar\t\tname[N_{i}];",
            "\tunion {",
            "\t\tuint64_t\tq;",
            "\t\tstruct { uint32_t lo, hi; } w;",
            "\t} u;",
            "\tstruct { short a; signed char b:3; };",
            f"\tstruct s_{i} *next;",
            f"\te_{i}_t\t\te;",
            "#ifdef BENCH_EXTRA",
            "\tlong extra;",
            "#endif",
            "\tlong long\tbig:40;",
            "};",
            f"struct p_{i} {{ char c; uint32_t x; uint16_t y:9; }} __attribute__((packed));",
            f"typedef struct s_{i} s_{i}_t;",
            "",
        ]
        i += 1
    out += ["/* padding */"] * (lines - 1 - len(out)) + ["#endif"]
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--abi", default="x86_64")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    text = generate(args.lines)
    nlines = text.count("\n")
    best = best_all = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        layouts = parse_layouts(text, abi=args.abi, filename="bench.h")
        t1 = time.perf_counter()
        nfields = sum(len(layout.fields) for layout in set(layouts.values()))
        t2 = time.perf_counter()
        best, best_all = min(best, t1 - t0), min(best_all, t2 - t0)
    records = len(set(layouts.values()))
    print(f"layout of a {nlines}-line header ({records} records, {nfields} fields, {args.abi}): "
          f"parse_layouts {best * 1000:.0f} ms; with every field flattened {best_all * 1000:.0f} ms "
          f"(best of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
