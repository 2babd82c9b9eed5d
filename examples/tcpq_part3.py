"""Part 3, promised by the seed: follow connections into the application.

    dtracepy compile examples/tcpq_part3.py -o app.d && ./app.d -p PID

For the process given with -p (or -c): every accept() per listening descriptor, with the time it
waited; how long close() blocks, per thread, as a power-of-two histogram (a close() of a file on a
sick filesystem can take seconds); and the latency of one of the application's own functions
through the pid provider.  Printed as CSV as events happen (Value is the listening descriptor of
an accept, the return value of the function), histograms when tracing stops.
"""

from dtracepy import (Tracer, agg, arg0, arg1, printa, printf, probefunc, quantize, self, target,
                      tid, timestamp, walltimestamp, pid, count)

# The application function to time: a Python value, so the generated D names it literally.
FUNCTION = "handle_request"

t = Tracer(options={"quiet": True, "dynvarsize": "4m"})
row = t.record(("TS", "%d"), ("Date", "%Y"), ("Event", "%s"), ("Thread", "%d"),
               ("Value", "%d"), ("Elapsed ns", "%d"))


@t.probe("syscall::accept*:entry", when=pid == target)
def accept_entry():
    self.accept_ts = timestamp
    self.listen_fd = arg0


@t.probe("syscall::accept*:return", when=self.accept_ts)
def accept_return():
    row.emit(timestamp, walltimestamp, probefunc, tid, self.listen_fd, timestamp - self.accept_ts)
    agg.accepts[self.listen_fd] = count()
    agg.accept_wait[self.listen_fd] = quantize(timestamp - self.accept_ts)


@t.probe("syscall::close:entry", when=pid == target)
def close_entry():
    self.close_ts = timestamp


@t.probe("syscall::close:return", when=self.close_ts)
def close_return():
    agg.close_ns[tid] = quantize(timestamp - self.close_ts)


@t.probe(f"pid$target::{FUNCTION}:entry")
def function_entry():
    self.func_ts = timestamp


@t.probe(f"pid$target::{FUNCTION}:return", when=self.func_ts)
def function_return():
    row.emit(timestamp, walltimestamp, FUNCTION, tid, arg1, timestamp - self.func_ts)
    agg.function_ns = quantize(timestamp - self.func_ts)


@t.probe("END")
def report():
    printf("\naccept() calls per listening descriptor:\n")
    printa("  fd %-6d %@d\n", agg.accepts)
    printf("\naccept() wait (ns) per listening descriptor:\n")
    printa(agg.accept_wait)
    printf("\nclose() blocking time (ns) per thread:\n")
    printa(agg.close_ns)
    printf(f"\n{FUNCTION}() latency (ns):\n")
    printa(agg.function_ns)
