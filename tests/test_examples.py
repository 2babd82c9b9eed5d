"""Each example tracer compiles to exactly its golden .d file (regenerate: DTRACEPY_REGEN=1)."""

import os
import pathlib

import pytest

from conftest import example_tracers
from dtracepy.commands.compile_cmd import compile_path

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
TRACERS = [p.name for p in example_tracers()]


def test_the_examples_exist():
    assert {"tcpq.py", "tcpq_part1.py", "tcpq_part3.py", "tcpq_linux.py"} <= set(TRACERS)


@pytest.mark.parametrize("name", TRACERS)
def test_example_matches_its_golden_d(name):
    source = EXAMPLES / name
    golden = source.with_suffix(".d")
    text = compile_path(str(source)).text
    if os.environ.get("DTRACEPY_REGEN"):
        golden.write_text(text)
    assert golden.exists(), f"no golden file {golden.name}: run DTRACEPY_REGEN=1 pytest {__file__}"
    assert text == golden.read_text()


@pytest.mark.parametrize("name", TRACERS)
def test_example_reads_back_to_the_tree_it_printed(name):
    from dtracepy.parser import parse

    compiled = compile_path(str(EXAMPLES / name))
    assert parse(compiled.text, name) == compiled.program


def test_tcpq_keeps_the_seeds_probes_predicates_and_columns():
    text = compile_path(str(EXAMPLES / "tcpq.py")).text
    assert text.startswith("#!/usr/sbin/dtrace -")
    for needle in (
        'printf("TS,Date,Action,Source IP,Source Port,Dest Port,Q0,Q,Qmax\\n");',
        "fbt:ip:tcp_conn_request:entry,\nfbt:ip:tcp_send_conn_ind:entry\n{",
        "/self->lport == $1/",
        "self->tcpq = *(tcp_t **)((char *)arg0 + 0x28);",
        '"%d,%Y,%s,0x%08x,%d,%d,%d,%d,%d\\n"',
        "self->tcpq->tcp_conn_req_cnt_q0", "self->tcpq->tcp_conn_req_max",
    ):
        assert needle in text


def test_tcpq_zeroes_every_thread_local_it_sets_including_srcport():
    text = compile_path(str(EXAMPLES / "tcpq.py")).text
    cleanup = text[text.index("fbt:ip:tcp_conn_request:return"):]
    for name in ("tcpq", "lport", "action", "srcAddr", "srcPort"):
        assert f"self->{name} = 0;" in cleanup
    assert "secPort" not in text
