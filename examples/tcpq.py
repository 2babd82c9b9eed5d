"""The TCP listen queue, per SYN and per completed handshake (the seed's part 2, as a tracer).

    dtracepy compile examples/tcpq.py -o tcpq.d && ./tcpq.d 22

One CSV row per SYN that reaches the listener on the port given as $1 ("syn") and per completed
three-way handshake ("syn-aa"): when, who from, and the listen queue's Q0/Q/Qmax as the kernel
saw them at that instant.

The IP and TCP headers are read through dtracepy's shipped layouts of `struct ip` and
`struct tcphdr` (explicit offsets, shifts and masks: right where the D compiler lays bit-fields
out wrongly).  The conn_t offsets 0x104, 0x108 and 0x10a, and the tcp_t pointer at 0x28 of arg0,
are the ones the blog found with mdb on Solaris 10 9/10 x86.  The thread-locals are zeroed by
dtracepy, so no typo can leak one.
"""

from dtracepy import (Tracer, arg0, arg1, at, cast, htons, macro, ntohs, self, this, timestamp,
                      view, walltimestamp)
from dtracepy.layout import Field, define

# The parts of conn_t the blog decoded by hand (Solaris 10 9/10 x86).
CONN = define("conn_t", [
    Field("conn_faddr", "uint32_t", offset=0x104),   # the peer's address (network order)
    Field("conn_fport", "uint16_t", offset=0x108),   # the peer's port (network order)
    Field("conn_lport", "uint16_t", offset=0x10a),   # the local port (network order)
])

t = Tracer(options={"quiet": True})
port = macro(1, "the listening port to trace")

row = t.record(
    ("TS", "%d"), ("Date", "%Y"), ("Action", "%s"),
    ("Source IP", "0x%08x"), ("Source Port", "%d"), ("Dest Port", "%d"),
    ("Q0", "%d"), ("Q", "%d"), ("Qmax", "%d"),
)

SYN = "fbt:ip:tcp_conn_request:entry"          # a SYN reaches a listener
SYN_AA = "fbt:ip:tcp_send_conn_ind:entry"      # the handshake completed


@t.probe(SYN, SYN_AA)
def listener():
    """Both functions get the listener in arg0: find its tcp_t and local port."""
    self.tcpq = at(arg0, 0x28, "tcp_t *")
    self.lport = htons(view(CONN, self.tcpq.tcp_connp).conn_lport)


@t.probe(SYN, when=self.lport == port)
def syn():
    """Decode the peer's address and port from the IP and TCP headers of the SYN in arg1."""
    self.action = "syn"
    this.mblk = cast(arg1, "mblk_t *")
    this.iphdr = this.mblk.b_rptr
    ip = view("ip", this.iphdr)
    this.tcphdr = cast(this.iphdr, "char *") + ip.ip_hl * 4
    self.srcAddr = ip.ip_src
    self.srcPort = ntohs(view("tcphdr", this.tcphdr).th_sport)


@t.probe(SYN_AA, when=self.lport == port)
def syn_aa():
    """The eager connection is in the T_conn_ind message: read the peer from its conn_t."""
    self.action = "syn-aa"
    this.mblk = cast(arg1, "mblk_t *")
    this.tconnind = cast(this.mblk.b_rptr, "struct T_conn_ind *")
    this.tcpp = at(this.tconnind, this.tconnind.OPT_offset, "tcp_t *")
    eager = view(CONN, this.tcpp.tcp_connp)
    self.srcPort = ntohs(eager.conn_fport)
    self.srcAddr = eager.conn_faddr


@t.probe(SYN, SYN_AA, when=self.lport == port)
def report():
    row.emit(timestamp, walltimestamp, self.action, self.srcAddr, self.srcPort, self.lport,
             self.tcpq.tcp_conn_req_cnt_q0, self.tcpq.tcp_conn_req_cnt_q, self.tcpq.tcp_conn_req_max)
