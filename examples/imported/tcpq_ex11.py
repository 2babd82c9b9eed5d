"""Imported from tcpq_ex11.d by `dtracepy import`.

tcpq_ex11.d: the TCP listen queue on port $1, per SYN and per completed handshake
(the seeds' final part-2 script, as the blog shipped it: self->secPort is a typo).
"""

from dtracepy import (
    Tracer,
    arg0,
    arg1,
    at,
    cast,
    deref,
    hexint,
    htons,
    macro,
    ntohs,
    self,
    this,
    timestamp,
    walltimestamp,
)

# Leak in the original: self->srcPort is set and never zeroed (it zeroes self->secPort,
# which is never set: a typo); dtracepy's cleanup now zeroes it at
# fbt:ip:tcp_conn_request:return, fbt:ip:tcp_send_conn_ind:return.
t = Tracer(options={"quiet": True})

row = t.record(
    ("TS", "%d"),
    ("Date", "%Y"),
    ("Action", "%s"),
    ("Source IP", "0x%08x"),
    ("Source Port", "%d"),
    ("Dest Port", "%d"),
    ("Q0", "%d"),
    ("Q", "%d"),
    ("Qmax", "%d"),
)


@t.probe("fbt:ip:tcp_conn_request:entry", "fbt:ip:tcp_send_conn_ind:entry")
def remember_tcp_conn_request_entry_etc():
    self.tcpq = at(arg0, 0x28, "tcp_t *")
    self.lport = htons(at(self.tcpq.tcp_connp, 0x10a, "uint16_t"))


@t.probe("fbt:ip:tcp_conn_request:entry", when=self.lport == macro(1))
def remember_tcp_conn_request_entry():
    self.action = "syn"
    this.mblk = cast(arg1, "mblk_t *")
    this.iphdr = cast(this.mblk.b_rptr, "struct ip *")
    this.ihl = 4 * (cast(deref(cast(this.iphdr, "char *")), "int") & hexint(0xf))
    this.tcphdr = cast(cast(this.iphdr, "char *") + this.ihl, "struct tcphdr *")
    self.srcAddr = at(this.iphdr, 0xc, "uint32_t")
    self.srcPort = ntohs(this.tcphdr.th_sport)


@t.probe("fbt:ip:tcp_send_conn_ind:entry", when=self.lport == macro(1))
def remember_tcp_send_conn_ind_entry():
    self.action = "syn-aa"
    this.mblk = cast(arg1, "mblk_t *")
    this.tconnind = cast(this.mblk.b_rptr, "struct T_conn_ind *")
    this.tcpp = at(this.tconnind, this.tconnind.OPT_offset, "tcp_t *")
    self.srcPort = ntohs(at(this.tcpp.tcp_connp, 0x108, "uint16_t"))
    self.srcAddr = at(this.tcpp.tcp_connp, 0x104, "uint32_t")


@t.probe(
    "fbt:ip:tcp_conn_request:entry",
    "fbt:ip:tcp_send_conn_ind:entry",
    when=self.lport == macro(1),
)
def print_tcp_conn_request_entry_etc():
    row.emit(
        timestamp,
        walltimestamp,
        self.action,
        self.srcAddr,
        self.srcPort,
        self.lport,
        self.tcpq.tcp_conn_req_cnt_q0,
        self.tcpq.tcp_conn_req_cnt_q,
        self.tcpq.tcp_conn_req_max,
    )
