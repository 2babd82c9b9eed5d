"""read(2) latency: a histogram of every read's time in the kernel, and a row per slow read.

    sudo dtracepy run examples/readlat.py --duration 5 -- 1000000
    sudo dtracepy run examples/readlat.py --format jsonl -o reads.jsonl -- 1000000

$1 is the threshold in nanoseconds above which a read gets its own row.
"""

from dtracepy import Tracer, agg, and_, arg0, execname, macro, pid, quantize, self, timestamp, walltimestamp

t = Tracer(options={"quiet": True})
slow = t.record(("When", "%Y"), ("Pid", "%d"), ("Comm", "%s"), ("FD", "%d"), ("Nanoseconds", "%d"))


@t.probe("syscall::read:entry")
def read_entry():
    self.ts = timestamp
    self.fd = arg0


@t.probe("syscall::read:return", when=self.ts != 0)
def read_return():
    agg.ns[execname] = quantize(timestamp - self.ts)


@t.probe("syscall::read:return", when=and_(self.ts != 0, timestamp - self.ts > macro(1)))
def read_slow():
    slow.emit(walltimestamp, pid, execname, self.fd, timestamp - self.ts)
