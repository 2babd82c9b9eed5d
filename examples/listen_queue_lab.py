"""The seeds' experiment, live: a full listen queue, dropped SYNs and a 7-second handshake.

    sudo .venv/bin/python examples/listen_queue_lab.py                 # the seeds' CSV, then a report
    sudo .venv/bin/python examples/listen_queue_lab.py --json          # the same as JSON
    sudo .venv/bin/python examples/listen_queue_lab.py --plot lab.png  # and a timeline (pip install '.[plot]')

(the Python dtracepy is installed in: `sudo python3` is the system's, which has no dtracepy.)

In a private network namespace (only its loopback; the host's settings are left alone) a server
listens with backlog 1 and does not accept() for a few seconds while five clients connect, a
quarter of a second apart (--stagger).  examples/tcpq_linux.py traces the listener through Tracer.run() and the lab prints what
it saw: the seeds' CSV (TS, Date, Action, Source IP, Source Port, Dest Port, Q0, Q, Qmax), then,
per connection, its first SYN, its retransmissions, how long the handshake took and when the
server accepted it; and the kernel's own count of overflows (ListenOverflows) beside the
tracer's count of drops.  Needs root, a real DTrace and `ip` (iproute2).

What Linux does differently from the seeds' Solaris: its accept queue is full only when it holds
more than the backlog (Q > Qmax, so backlog 1 holds 2 connections), and since Linux 6.5 the
first SYN retransmissions may be spaced linearly (net.ipv4.tcp_syn_linear_timeouts): the lab sets
it to 0 inside its namespace, so the SYNs are retried at +1, +3 and +7 s as in the seeds
(`--syn-linear-timeouts 4` shows the kernel's default).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

SYN_ACTIONS = ("syn", "syn-rtx", "syn-dropped")
DROP_ACTIONS = ("syn-dropped", "ack-dropped")


class LabError(Exception):
    """Something the lab needs is missing; the message says what."""


# --- the workload, run inside the namespace ---------------------------------------------------

def workload(port: int, backlog: int, clients: int, hold: float, timeout: float,
             stagger: float = 0.25) -> dict:
    """A listener that accepts nothing for ``hold`` seconds, and ``clients`` concurrent
    connects, started ``stagger`` seconds apart: clients started at the same instant retry in
    lockstep, and then two handshakes can complete in the microseconds before the server accepts
    the first, so the second's last ACK overflows the queue (the tracer reports it as
    "ack-dropped"; the kernel then completes it only much later).  Returns what each side saw, in
    seconds since the listener started."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(backlog)
    start = time.monotonic()
    connected: dict[int, dict] = {}
    sockets = []

    def connect(index: int) -> None:
        client = socket.socket()
        client.settimeout(timeout)
        begin = time.monotonic() - start
        try:
            client.connect(("127.0.0.1", port))
        except OSError as error:
            connected[index] = {"client": index, "error": str(error), "started": begin}
            client.close()
            return
        sockets.append(client)
        connected[index] = {"client": index, "port": client.getsockname()[1], "started": begin,
                            "connected": time.monotonic() - start}

    threads = [threading.Thread(target=connect, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
        time.sleep(stagger)
    time.sleep(max(0.0, hold - stagger * clients))
    accepted = []
    server.settimeout(timeout)
    while len(accepted) < clients:
        try:
            conn, (_, peer_port) = server.accept()
        except OSError:
            break
        accepted.append({"port": peer_port, "accepted": time.monotonic() - start})
        sockets.append(conn)
    for thread in threads:
        thread.join(timeout)
    for sock in sockets:
        sock.close()
    server.close()
    return {"clients": [connected[i] for i in sorted(connected)], "accepted": accepted}


# --- the namespace ------------------------------------------------------------------------

class Namespace:
    """A network namespace with only loopback up, removed on exit."""

    def __init__(self, syn_linear_timeouts: int | None):
        self.name = f"dtracepy-lab-{os.getpid()}"
        self.syn_linear_timeouts = syn_linear_timeouts

    def __enter__(self) -> "Namespace":
        _run("ip", "netns", "add", self.name)
        try:
            _run("ip", "-n", self.name, "link", "set", "lo", "up")
            if self.syn_linear_timeouts is not None:
                self.sysctl("net.ipv4.tcp_syn_linear_timeouts", str(self.syn_linear_timeouts))
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)

    def sysctl(self, key: str, value: str | None = None) -> str | None:
        path = "/proc/sys/" + key.replace(".", "/")
        if value is None:
            result = self.exec("cat", path, check=False)
            return result.stdout.strip() if result.returncode == 0 else None
        self.exec("sh", "-c", f"echo {value} > {path}")
        return value

    def exec(self, *argv: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        return _run("ip", "netns", "exec", self.name, *argv, check=check, timeout=timeout)

    def netstat(self) -> dict[str, int]:
        """The namespace's TcpExt counters (/proc/net/netstat, as nstat reads them)."""
        lines = self.exec("cat", "/proc/net/netstat").stdout.splitlines()
        counters: dict[str, int] = {}
        for names, values in zip(lines[::2], lines[1::2]):
            prefix, *keys = names.split()
            _, *numbers = values.split()
            for key, number in zip(keys, numbers):
                counters[prefix.rstrip(":") + key] = int(number)
        return counters


def _run(*argv: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise LabError(f"{' '.join(argv)} failed: {result.stderr.strip() or result.returncode}")
    return result


# --- the experiment -----------------------------------------------------------------------

def check_requirements(dtrace: str | None) -> str:
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces and DTrace)")
    if shutil.which("ip") is None:
        raise LabError("the lab needs `ip` (iproute2) for its network namespace")
    found = dtrace or os.environ.get("DTRACEPY_DTRACE") or shutil.which("dtrace")
    if not found:
        raise LabError("no dtrace found: install one (../shared/tools/dtrace/install.sh) or "
                       "give --dtrace PATH")
    return found


def run_lab(port: int = 7777, backlog: int = 1, clients: int = 5, hold: float = 6.0,
            syn_linear_timeouts: int | None = 0, dtrace: str | None = None,
            timeout: float = 30.0, stagger: float = 0.25) -> dict:
    """Run the experiment; returns the rows, the per-connection report and the kernel's view."""
    dtrace = check_requirements(dtrace)
    from tcpq_linux import t as tracer

    with Namespace(syn_linear_timeouts) as ns:
        before = ns.netstat()
        rows: list[dict] = []
        with tracer.run(args=[port], dtrace=dtrace) as tracing:
            if not tracing.wait_started(timeout=60):
                raise LabError(f"dtrace did not start: {tracing.failure() or 'no reason given'}")
            collector = threading.Thread(target=lambda: rows.extend(
                dict(zip(COLUMNS, row)) for row in tracing.records()))
            collector.start()
            result = ns.exec(sys.executable, str(pathlib.Path(__file__).resolve()), "--workload",
                             "--port", str(port), "--backlog", str(backlog), "--clients",
                             str(clients), "--hold", str(hold), "--timeout", str(timeout),
                             "--stagger", str(stagger),
                             timeout=hold + 3 * timeout)
            time.sleep(0.5)  # the last events are still in dtrace's buffers
            tracing.stop()
            collector.join(30)
            warnings = [w.as_dict() for w in tracing.warnings]
        after = ns.netstat()
        linear = ns.sysctl("net.ipv4.tcp_syn_linear_timeouts")
    seen = json.loads(result.stdout)
    overflows = after.get("TcpExtListenOverflows", 0) - before.get("TcpExtListenOverflows", 0)
    result = analyse(rows, seen, port=port, backlog=backlog, listen_overflows=overflows,
                     syn_linear_timeouts=linear)
    result["dtrace_warnings"] = warnings  # drops or errors would explain missing rows
    return result


def analyse(rows: list[dict], seen: dict, *, port: int, backlog: int, listen_overflows: int,
            syn_linear_timeouts: str | None) -> dict:
    """Per-connection report from the tracer's rows (and what the clients saw)."""
    rows = sorted(rows, key=lambda r: r["TS"])
    t0 = rows[0]["TS"] if rows else 0
    connections: dict[int, dict] = {}
    for row in rows:
        if row["Action"] not in (*SYN_ACTIONS, "ack-dropped", "syn-aa", "accept"):
            continue
        conn = connections.setdefault(row["Source Port"], {
            "source_port": row["Source Port"], "syns": [], "dropped": 0, "established": None,
            "accepted": None})
        at = (row["TS"] - t0) / 1e9
        if row["Action"] in SYN_ACTIONS:
            conn["syns"].append(at)
        if row["Action"] in DROP_ACTIONS:
            conn["dropped"] += 1
        if row["Action"] == "syn-aa" and conn["established"] is None:
            conn["established"] = at
        if row["Action"] == "accept":
            conn["accepted"] = at
    report = []
    for conn in connections.values():
        first = conn["syns"][0] if conn["syns"] else None
        report.append({
            "source_port": conn["source_port"],
            "first_syn": first,
            "retransmissions": [round(s - first, 3) for s in conn["syns"][1:]],
            "dropped": conn["dropped"],
            "established_after": None if conn["established"] is None or first is None
            else round(conn["established"] - first, 3),
            "accepted_after": None if conn["accepted"] is None or first is None
            else round(conn["accepted"] - first, 3),
        })
    full = [r for r in rows if r["Q"] > r["Qmax"]]
    dropped = sum(r["Action"] in DROP_ACTIONS for r in rows)
    return {
        "port": port,
        "backlog": backlog,
        "rows": rows,
        "connections": report,
        "clients": seen["clients"],
        "accepted": seen["accepted"],
        "queue_full_rows": len(full),
        "max_q": max((r["Q"] for r in rows), default=0),
        "dropped": dropped,
        "listen_overflows": listen_overflows,
        "syn_linear_timeouts": syn_linear_timeouts,
    }


# --- output -------------------------------------------------------------------------------

COLUMNS = ("TS", "Date", "Action", "Source IP", "Source Port", "Dest Port", "Q0", "Q", "Qmax")


def csv_lines(result: dict) -> list[str]:
    out = [",".join(COLUMNS)]
    for row in result["rows"]:
        values = dict(row)
        values["Source IP"] = f"0x{row['Source IP']:08x}"
        date = row["Date"]
        if hasattr(date, "strftime"):   # as dtrace prints %Y: local time, the day padded with a blank
            date = date.astimezone()
            date = f"{date:%Y %b} {date.day:2d} {date:%H:%M:%S}"
        values["Date"] = date
        out.append(",".join(str(values[c]) for c in COLUMNS))
    return out


def report_lines(result: dict) -> list[str]:
    out = [f"listener on port {result['port']}, backlog {result['backlog']}: the accept queue "
           f"held up to {result['max_q']} connections (Linux: full when Q > Qmax)"]
    linear = result["syn_linear_timeouts"]
    if linear is not None:
        spacing = ("exponential (1, 2, 4 s ...)" if linear == "0" else
                   f"linear for the first {linear} retransmissions, then exponential")
        out.append(f"SYN retransmission timeouts: {spacing} (net.ipv4.tcp_syn_linear_timeouts={linear})")
    out.append(f"{'port':>6}  {'first SYN':>9}  {'retransmitted at':<24} {'dropped':>7}  "
               f"{'established':>11}  {'accepted':>8}")
    for conn in sorted(result["connections"], key=lambda c: (c["first_syn"] or 0, c["source_port"])):
        rtx = " ".join(f"+{r:.2f}" for r in conn["retransmissions"]) or "-"
        est = "-" if conn["established_after"] is None else f"{conn['established_after']:.2f} s"
        acc = "-" if conn["accepted_after"] is None else f"{conn['accepted_after']:.2f} s"
        first = "-" if conn["first_syn"] is None else f"{conn['first_syn']:.2f} s"
        out.append(f"{conn['source_port']:>6}  {first:>9}  {rtx:<24} {conn['dropped']:>7}  "
                   f"{est:>11}  {acc:>8}")
    out.append(f"rows with the accept queue full: {result['queue_full_rows']}; drops seen by the "
               f"tracer: {result['dropped']}; the kernel's ListenOverflows: "
               f"{result['listen_overflows']}")
    return out


def _dtracepy():
    try:
        import dtracepy
    except ImportError:
        raise LabError(f"this Python ({sys.executable}) has no dtracepy: run the lab with the one it is "
                       "installed in, sudo .venv/bin/python examples/listen_queue_lab.py "
                       "(sudo python3 is the system's)") from None
    return dtracepy


def _matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise LabError("--plot needs matplotlib, dtracepy's extra plot: pip install '.[plot]' in its clone") from None
    return matplotlib


def plot(result: dict, path: str) -> None:
    """Q and Qmax over time, and each connection's SYN, drop, retransmission and establish
    marks on its own line."""
    matplotlib = _matplotlib()
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    t0 = rows[0]["TS"] if rows else 0
    times = [(r["TS"] - t0) / 1e9 for r in rows]
    fig, (queues, conns) = plt.subplots(2, 1, sharex=True, figsize=(10, 6),
                                        gridspec_kw={"height_ratios": [1, 2]})
    queues.step(times, [r["Q"] for r in rows], where="post", label="Q (accept queue)")
    queues.step(times, [r["Q0"] for r in rows], where="post", label="Q0 (half-open)")
    queues.step(times, [r["Qmax"] for r in rows], where="post", linestyle="--", label="Qmax")
    # Q as read at each event holds until the next event: shade where it exceeded Qmax
    label = "accept queue full"
    for i, row in enumerate(rows[:-1]):
        if row["Q"] > row["Qmax"]:
            queues.axvspan(times[i], times[i + 1], alpha=0.15, color="tab:red", lw=0, label=label)
            label = None
    queues.set_ylabel("connections")
    queues.legend(loc="upper right", fontsize="small")
    ports = sorted({r["Source Port"] for r in rows})
    marks = {"syn": ("o", "tab:blue"), "syn-rtx": ("o", "tab:orange"),
             "syn-dropped": ("x", "tab:red"), "ack-dropped": ("x", "tab:purple"),
             "syn-aa": ("s", "tab:green"), "accept": ("^", "black")}
    for action, (marker, colour) in marks.items():
        picked = [(t, ports.index(r["Source Port"])) for t, r in zip(times, rows) if r["Action"] == action]
        if picked:
            conns.scatter(*zip(*picked), marker=marker, color=colour, label=action,
                          s=70 if action in ("syn-aa", "accept") else 40,
                          facecolors="none" if action in ("syn-aa", "accept") else colour)
    conns.set_yticks(range(len(ports)), [str(p) for p in ports])
    conns.set_ylabel("client port")
    conns.set_xlabel("seconds since the first event")
    conns.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize="small", ncol=6)
    fig.suptitle(f"listen queue of port {result['port']} (backlog {result['backlog']})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=7777)
    parser.add_argument("--backlog", type=int, default=1)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--hold", type=float, default=6.0, help="seconds before the server accepts")
    parser.add_argument("--syn-linear-timeouts", type=int, default=0,
                        help="net.ipv4.tcp_syn_linear_timeouts in the namespace (kernel default: 4)")
    parser.add_argument("--stagger", type=float, default=0.25,
                        help="seconds between the clients' connects (0: all at once)")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--dtrace", help="the dtrace binary (default: $DTRACEPY_DTRACE, PATH)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--plot", metavar="FILE.png", help="draw a timeline (needs matplotlib)")
    parser.add_argument("--workload", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.workload:
        json.dump(workload(opts.port, opts.backlog, opts.clients, opts.hold, opts.timeout,
                           opts.stagger), sys.stdout)
        return 0
    try:
        _dtracepy()             # a Python without it would end in a traceback at the tracer's import
        if opts.plot:
            _matplotlib()       # before the experiment, not after it
        result = run_lab(opts.port, opts.backlog, opts.clients, opts.hold, opts.syn_linear_timeouts,
                         opts.dtrace, opts.timeout, opts.stagger)
        if opts.plot:
            plot(result, opts.plot)
    except LabError as error:
        print(f"listen_queue_lab: error: {error}", file=sys.stderr)
        return 1
    if opts.json:
        json.dump(result, sys.stdout, indent=2, default=str)
        print()
    else:
        print("\n".join(csv_lines(result)))
        print()
        print("\n".join(report_lines(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
