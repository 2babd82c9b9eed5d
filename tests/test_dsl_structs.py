"""Layouts in the DSL: a layout bound to a pointer reads members by explicit offsets."""

import pytest

from dtracepy.dsl import arg0, cast, expr, ntohs, this, view, self
from dtracepy.errors import DSLError
from dtracepy.layout import Field, define, pointer_to
from dtracepy.printer import to_d


def d(value):
    return to_d(expr(value))


def test_shipped_ip_header_reads_by_offset_and_bit_field():
    ip = view("ip", this.iphdr)
    assert d(ip.ip_src) == "*(uint32_t *)((char *)this->iphdr + 0xc)"
    assert d(ip.ip_hl * 4) == "(*(uint8_t *)this->iphdr & 0xf) * 4"
    assert d(ip.ip_v) == "*(uint8_t *)this->iphdr >> 4"


def test_ip_version_and_header_length_are_the_same_wire_bits_on_every_abi():
    for abi in ("x86_64", "i386", "aarch64", "sparcv9"):
        ip = view("ip", this.iphdr, abi=abi)
        assert d(ip.ip_hl) == "*(uint8_t *)this->iphdr & 0xf"
        assert d(ip.ip_v) == "*(uint8_t *)this->iphdr >> 4"


def test_shipped_tcp_header_at_a_computed_address():
    ip = view("ip", this.iphdr)
    tcp = view("tcphdr", cast(this.iphdr, "char *") + ip.ip_hl * 4)
    assert d(ntohs(tcp.th_sport)) == \
        "ntohs(*(uint16_t *)((char *)this->iphdr + (*(uint8_t *)this->iphdr & 0xf) * 4))"


def test_hand_written_layout_and_pointer_following():
    conn = define("conn_t", [Field("conn_lport", "uint16_t", offset=0x10a)])
    arg = define("arg0_t", [Field("tcpq", pointer_to(conn), offset=0x28)])
    a = view(arg, arg0)
    expected = "*(uint16_t *)((char *)*(uint64_t *)((char *)arg0 + 0x28) + 0x10a)"
    assert d(a.tcpq.conn_lport) == expected
    assert d(a["tcpq->conn_lport"]) == expected
    assert d(a.tcpq) == "*(uint64_t *)((char *)arg0 + 0x28)"


def test_unknown_member_is_a_located_error_with_a_hint():
    conn = define("conn_t", [Field("conn_lport", "uint16_t", offset=0x10a)])
    with pytest.raises(DSLError, match=r"test_dsl_structs.py:\d+: error: .*conn_lpot.*did you mean 'conn_lport'"):
        view(conn, arg0).conn_lpot


def test_unknown_shipped_layout_is_a_located_error():
    with pytest.raises(DSLError, match=r"test_dsl_structs.py:\d+: error: no shipped layout"):
        view("nope", arg0)


def test_views_are_read_only():
    with pytest.raises(DSLError, match="reads memory"):
        view("ip", arg0).ip_src = 1


def test_view_reads_can_be_assigned_to_variables():
    from dtracepy.dsl import Tracer

    t = Tracer()

    @t.probe("fbt::f:entry")
    def _():
        self.src = view("ip", arg0).ip_src

    assert "self->src = *(uint32_t *)((char *)arg0 + 0xc);" in t.compile(checks=False).text
