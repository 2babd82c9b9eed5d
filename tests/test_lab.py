"""The seeds' experiment on Linux: examples/tcpq_linux.py and examples/listen_queue_lab.py.

The live test runs the whole lab (root, a real DTrace, network namespaces) and holds its JSON to
what the seeds showed: SYNs dropped while Q == Qmax (Q > Qmax on Linux), a client whose SYN was
retransmitted at least twice and whose handshake took at least 3 s, every client connected, and
the tracer's drops equal to the kernel's own ListenOverflows counter.  The other tests run
everywhere: the tracer's D, and the report computed from a recorded run.
"""

from __future__ import annotations

import csv
import datetime
import importlib.util
import json
import os
import pathlib
import random
import shutil
import subprocess
import sys

import pytest

from real_dtrace import compile_scripts, need_dtrace, need_root

REPO = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
RECORDED = pathlib.Path(__file__).resolve().parent / "fixtures" / "lab" / "tcpq_linux_run.csv"


def _lab():
    spec = importlib.util.spec_from_file_location("listen_queue_lab", EXAMPLES / "listen_queue_lab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _compiled() -> str:
    from dtracepy.commands.compile_cmd import compile_path

    return compile_path(str(EXAMPLES / "tcpq_linux.py")).text


def test_tcpq_linux_prints_the_seeds_columns_filtered_to_the_port_argument():
    text = _compiled()
    assert 'printf("TS,Date,Action,Source IP,Source Port,Dest Port,Q0,Q,Qmax\\n");' in text
    for action in ("syn-dropped", "syn-rtx", '"syn"', "syn-aa", "accept", "ack-dropped"):
        assert action in text
    # the IP and TCP headers are decoded through the shipped layouts (offsets, shift and mask)
    assert "(*(uint8_t *)this->iphdr & 0xf) * 4" in text
    assert "*(uint32_t *)((char *)this->iphdr + 0xc)" in text
    assert "icsk_accept_queue.qlen.counter" in text and "sk_max_ack_backlog" in text
    assert "== $1" in text


def test_the_real_dtrace_accepts_tcpq_linux():
    verdicts = compile_scripts({"tcpq_linux.d": _compiled()}, args=("7777",))
    assert verdicts == {"tcpq_linux.d": None}


def _recorded_rows() -> list[dict]:
    rows = []
    with RECORDED.open() as f:
        for rec in csv.DictReader(line for line in f if line[:1].isdigit() or line.startswith("TS,")):
            rows.append({
                "TS": int(rec["TS"]),
                "Date": datetime.datetime.strptime(rec["Date"], "%Y %b %d %H:%M:%S"),
                "Action": rec["Action"], "Source IP": int(rec["Source IP"], 16),
                **{k: int(rec[k]) for k in ("Source Port", "Dest Port", "Q0", "Q", "Qmax")},
            })
    return rows


def test_the_report_of_a_recorded_run_shows_the_seeds_seven_second_handshake():
    lab = _lab()
    rows = _recorded_rows()
    result = lab.analyse(rows, {"clients": [], "accepted": []}, port=7779, backlog=1,
                         listen_overflows=9, syn_linear_timeouts="0")
    by_port = {c["source_port"]: c for c in result["connections"]}
    assert len(by_port) == 5
    slow = by_port[46678]
    assert slow["retransmissions"] == pytest.approx([1.03, 3.05, 7.11], abs=0.01)
    assert slow["dropped"] == 3
    assert slow["established_after"] == pytest.approx(7.11, abs=0.01)
    assert by_port[46652]["retransmissions"] == [] and by_port[46652]["established_after"] < 0.01
    assert result["dropped"] == 9 == result["listen_overflows"]
    assert result["queue_full_rows"] == 9 and result["max_q"] == 2
    report = "\n".join(lab.report_lines(result))
    assert "exponential" in report and "ListenOverflows: 9" in report
    csv_text = lab.csv_lines(result)
    assert csv_text[0] == "TS,Date,Action,Source IP,Source Port,Dest Port,Q0,Q,Qmax"
    assert csv_text[1].endswith(",syn,0x0100007f,46652,7779,0,0,1")


def test_the_lab_plots_a_timeline(tmp_path):
    pytest.importorskip("matplotlib", reason="the plot is an optional extra: dtracepy[plot]")
    lab = _lab()
    result = lab.analyse(_recorded_rows(), {"clients": [], "accepted": []}, port=7779, backlog=1,
                         listen_overflows=9, syn_linear_timeouts="0")
    lab.plot(result, str(tmp_path / "lab.png"))
    assert (tmp_path / "lab.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _need_netns() -> None:
    if shutil.which("ip") is None:
        pytest.skip("the lab needs `ip` (iproute2) for its network namespace")
    probe = subprocess.run(["ip", "netns", "add", f"dtracepy-probe-{os.getpid()}"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"network namespaces are not available here: {probe.stderr.decode().strip()}")
    subprocess.run(["ip", "netns", "del", f"dtracepy-probe-{os.getpid()}"], capture_output=True)


def test_the_lab_live_reproduces_the_seeds_experiment(tmp_path):
    need_dtrace()
    need_root()
    _need_netns()
    png = tmp_path / "lab.png"
    # a port of its own: other runs of this test may trace their own namespaces meanwhile
    port = random.randrange(20000, 60000)
    argv = [sys.executable, str(EXAMPLES / "listen_queue_lab.py"), "--json", "--port", str(port)]
    if importlib.util.find_spec("matplotlib"):
        argv += ["--plot", str(png)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    lab = json.loads(result.stdout)
    rows = lab["rows"]
    print(result.stdout)  # shown by pytest when an assertion below fails
    assert rows and all(r["Dest Port"] == port for r in rows)
    # rows where the accept queue was full (Linux: Q > Qmax), and SYNs dropped there
    assert lab["queue_full_rows"] > 0
    assert any(r["Action"] == "syn-dropped" and r["Q"] > r["Qmax"] for r in rows)
    # a connection that needed >= 2 SYN retransmissions and >= 3 s to establish
    assert any(len(c["retransmissions"]) >= 2 and (c["established_after"] or 0) >= 3
               for c in lab["connections"]), lab["connections"]
    # every client connected, and the tracer saw each connection established and accepted
    assert len(lab["clients"]) == 5 and all("connected" in c for c in lab["clients"]), lab["clients"]
    ports = {c["port"] for c in lab["clients"]}
    traced = {c["source_port"]: c for c in lab["connections"]}
    assert ports <= set(traced)
    assert all(traced[p]["established_after"] is not None and traced[p]["accepted_after"] is not None
               for p in ports), lab["connections"]
    # the tracer's drops are the kernel's own count
    assert lab["dropped"] == lab["listen_overflows"] > 0
    if importlib.util.find_spec("matplotlib"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_fails_before_the_experiment(monkeypatch, capsys):
    lab = _lab()
    monkeypatch.setitem(sys.modules, "matplotlib", None)          # import matplotlib fails

    def run_lab(*args):
        raise AssertionError("the experiment ran although its plot could not be drawn")

    monkeypatch.setattr(lab, "run_lab", run_lab)
    assert lab.main(["--plot", "lab.png"]) == 1
    assert "--plot needs matplotlib" in capsys.readouterr().err
