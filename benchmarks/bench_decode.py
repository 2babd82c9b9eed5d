"""Decoding speed of ``dtracepy run`` from recorded output (run by hand:
``python3 benchmarks/bench_decode.py``).

1. Records: framed rows of nine columns (four ints, a hex, two strings, a ``%Y``, a ``%c``), fed
   in 64 KiB chunks as they come from dtrace's pipe; rows per second, and the peak memory while
   streaming 1 and 4 times as many rows (flat: the decoder keeps no rows).
2. Aggregations: one aggregation of 100,000 keys (a string and an int) in dtrace's default
   format and framed (``\\036K\\037%s\\037%d\\037%@d``, as when the key types are known), and a
   quantize keyed by 10,000 strings; seconds to decode.
3. A printa format of 100,000 ``%@d`` with a different text after each (one dtracepy cannot
   frame, read by ``FormatDecoder``): seconds to build its decoder and to decode one entry.

Times are CPU seconds of this process (``time.process_time``): on a machine shared with other
work, wall-clock time measures the neighbours too.
"""

from __future__ import annotations

import pathlib
import sys
import time
import tracemalloc

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dtracepy.run import aggregations as A  # noqa: E402
from dtracepy.run.decode import Decoder  # noqa: E402
from dtracepy.run.framing import AggInfo, Column, Plan, PrintaSpec, RecordSpec, column  # noqa: E402

COLUMNS = [("TS", "%d"), ("Pid", "%d"), ("Tid", "%d"), ("Bytes", "%u"), ("Addr", "0x%x"),
           ("Comm", "%-16s"), ("Path", "%s"), ("When", "%Y"), ("Kind", "%c")]


INT_COLUMNS = [(f"C{i}", "%d") for i in range(9)]


def _record_plan(columns=COLUMNS) -> Plan:
    spec = RecordSpec(0, "r0", tuple(column(t, f) for t, f in columns))
    return Plan((spec,), (), ())


def bench_int_records(n: int) -> float:
    rows = b"".join(b"\x1eR0" + b"".join(b"\x1f%d" % (i * 7919 + c) for c in range(9)) + b"\n"
                    for i in range(n))
    chunks = [rows[i:i + (1 << 16)] for i in range(0, len(rows), 1 << 16)]
    dec = Decoder(_record_plan(INT_COLUMNS))
    count = 0
    start = time.process_time()
    for chunk in chunks:
        count += len(dec.feed(chunk))
    count += len(dec.close())
    elapsed = time.process_time() - start
    assert count == n
    return n / elapsed


def _chunks(n: int, size: int = 1 << 16):
    """n framed rows, as dtrace writes them, cut into pipe-sized chunks."""
    rows = []
    for i in range(n):
        comm = b"sshd" if i % 3 else b"postgres"
        path = b"/var/log/auth.log" if i % 5 else b"/a,b \"c\"/d%s"
        rows.append(b"\x1eR0\x1f%d\x1f%d\x1f%d\x1f%d\x1f%x\x1f%s\0\x1f%s\0\x1f%d\x1f%d\n" % (
            1_000_000_000 + i, 4000 + i % 50, 4000 + i % 70, i * 7, 0xFFFF8000 + i, comm,
            path, 1_700_000_000_000_000_000 + i, 65 + i % 26))
    data = b"".join(rows)
    return [data[i:i + size] for i in range(0, len(data), size)]


def bench_records(n: int) -> tuple[float, int]:
    chunks = _chunks(n)
    dec = Decoder(_record_plan())
    count = 0
    start = time.process_time()
    for chunk in chunks:
        for event in dec.feed(chunk):
            count += 1
    count += len(dec.close())
    elapsed = time.process_time() - start
    assert count == n, count
    return n / elapsed, count


def peak_streaming(n: int) -> int:
    """Peak traced memory while decoding n rows that are generated and dropped as they go."""
    dec = Decoder(_record_plan())
    tracemalloc.start()
    per = 5000
    for _ in range(n // per):
        for chunk in _chunks(per):
            for _event in dec.feed(chunk):
                pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def bench_aggregation(nkeys: int) -> float:
    lines = [""] + [f"  {'proc' + str(i):<50} {i % 1000:>16} {i * 3:>16}" for i in range(nkeys)]
    start = time.process_time()
    agg = A.parse_default(lines, "big", "count", 2, ())
    elapsed = time.process_time() - start
    assert len(agg) == nkeys and agg[("proc7", 7)] == 21
    return elapsed


def bench_histograms(nkeys: int) -> float:
    lines = [""]
    for i in range(nkeys):
        lines.append(f"  {'proc' + str(i):<50}")
        lines.append("           value  ------------- Distribution ------------- count    ")
        for b in range(12):
            lines.append(f"{1 << b:>16} |{'@' * 3:<40} {b + i % 7:<9}")
        lines.append("")
    start = time.process_time()
    agg = A.parse_default(lines, "h", "quantize", 1, ())
    elapsed = time.process_time() - start
    assert len(agg) == nkeys
    return elapsed


def bench_printa_block(nkeys: int) -> float:
    """The same 100,000-key aggregation through the whole decoder (block markers and all)."""
    plan = Plan((), (PrintaSpec(0, ("big",), None),), (AggInfo("big", "count", 2, ()),))
    body = "\n".join(f"  {'proc' + str(i):<50} {i % 1000:>16} {i * 3:>16}" for i in range(nkeys))
    dec, elapsed = _stream_block(plan, ("\x1eA\x1f0\n\n" + body + "\n\x1eZ\n").encode())
    assert len(dec.aggregations["big"]) == nkeys
    return elapsed


def bench_framed_block(nkeys: int) -> float:
    """The same aggregation printed framed (its key types known: ``\\036K\\037%s\\037%d\\037%@d``)."""
    plan = Plan((), (PrintaSpec(0, ("big",), None, ("str", "int", "agg")),),
                (AggInfo("big", "count", 2, (), ("string", "int")),))
    body = "".join(f"\x1eK\x1fproc{i}\x1f{i % 1000}\x1f{i * 3}\n" for i in range(nkeys))
    dec, elapsed = _stream_block(plan, ("\x1eA\x1f0\n" + body + "\x1eZ\n").encode())
    assert len(dec.aggregations["big"]) == nkeys and dec.aggregations["big"][("proc7", 7)] == 21
    return elapsed


def bench_printa_format(units: int) -> tuple[float, float]:
    """A printa format dtracepy cannot frame, of ``units`` ``%@d a<i> `` (each text different):
    CPU seconds to build its decoder (FormatDecoder) and to decode one entry."""
    fmt = "".join(f"%@d a{i} " for i in range(units)) + "\n"
    text = "".join(f"{i} a{i} " for i in range(units)) + "\n"
    start = time.process_time()
    decoder = A.FormatDecoder(fmt)
    built = time.process_time()
    [(_keys, values)] = list(decoder.entries(text))
    elapsed = time.process_time() - built
    assert values[-1] == units - 1
    return built - start, elapsed


def _stream_block(plan: Plan, data: bytes) -> tuple[Decoder, float]:
    """The decoder after ``data`` was fed to it in 64 KiB chunks, and the CPU seconds it took.
    (The framing BEGIN's mark first, as every run prints it: without it the decoder is still
    before tracing, where each line is looked at for dtrace's header.)"""
    dec = Decoder(plan)
    dec.feed(b"\x1eB\n")
    start = time.process_time()
    for i in range(0, len(data), 1 << 16):
        dec.feed(data[i:i + (1 << 16)])
    dec.close()
    return dec, time.process_time() - start


def calibrate() -> float:
    """CPU seconds of an empty Python loop of 10**7: how fast this machine is right now."""
    start = time.process_time()
    for _ in range(10_000_000):
        pass
    return time.process_time() - start


def main() -> int:
    _ = Column
    print(f"calibration: an empty loop of 10**7 takes {calibrate():.2f} CPU s")
    rate, _n = bench_records(300_000)
    best = max(rate, bench_records(300_000)[0])
    print(f"records (9 columns, 2 strings): {best:,.0f} rows/s over 300,000 rows")
    print(f"records (9 integer columns): {bench_int_records(300_000):,.0f} rows/s over 300,000 rows")
    small, large = peak_streaming(50_000), peak_streaming(200_000)
    print(f"peak memory streaming 50,000 rows: {small / 1e6:.2f} MB; 200,000 rows: {large / 1e6:.2f} MB")
    print(f"aggregation of 100,000 keys (default format): {bench_aggregation(100_000):.2f} s")
    print(f"same, through the stream decoder: {bench_printa_block(100_000):.2f} s")
    print(f"same, framed (key types known), through the stream decoder: {bench_framed_block(100_000):.2f} s")
    print(f"quantize keyed by 10,000 strings: {bench_histograms(10_000):.2f} s")
    build, decode = bench_printa_format(100_000)
    print(f"printa format of 100,000 %@d, each text different: {build:.2f} s to build, "
          f"{decode:.2f} s to decode an entry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
