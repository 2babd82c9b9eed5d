"""The TCP listen queue on Linux: every SYN, dropped SYN, completed handshake and accept().

    dtracepy compile examples/tcpq_linux.py -o tcpq_linux.d && ./tcpq_linux.d 22
    dtracepy run examples/tcpq_linux.py -- 22

The seeds' part-2 tracer for Linux, with the seeds' columns.  One CSV row per event on the
listener of the port given as $1: "syn" (a SYN reaches it), "syn-rtx" (the same client's SYN
again: a retransmission), "syn-dropped" (a SYN, first or retransmitted, that arrives while the
accept queue is full, so the kernel drops it and counts ListenOverflows), "ack-dropped" (the
handshake's last ACK arriving while the accept queue is full: dropped, and counted as a
ListenOverflow too), "syn-aa" (the handshake completed: the connection joins the accept queue)
and "accept" (the application takes it).

Linux has no tcp_conn_request() probe here (no fbt), so the SYN is read where it enters the
stack, at the kernel tracepoint netif_receive_skb, by decoding the IP and TCP headers by offsets
through dtracepy's shipped `struct ip` and `struct tcphdr` layouts, as the seeds decoded the
mblk_t.  The listener is the socket that entered LISTEN on port $1 (so start this tracer before
the server listens).  Completed handshakes are matched to the listener's network namespace;
packets are matched by port only (this kernel's skb->dev reads as 0 at netif_receive_skb, so a
packet's namespace cannot be told here): trace a port no other namespace uses.  Its queues,
read at each event as the kernel sees them: Q0 is the
request queue (icsk_accept_queue.qlen: half-open connections), Q the accept queue
(sk_ack_backlog: completed, not yet accepted), Qmax the backlog given to listen()
(sk_max_ack_backlog).  Linux calls the accept queue full when Q > Qmax: it holds Qmax + 1.
"""

from dtracepy import (Tracer, and_, arg0, arg1, args, arrow, at, cast, dot, cond, copyin, glob, hexint, macro, ntohs, self, this,
                      timestamp, view, walltimestamp)

t = Tracer(options={"quiet": True})
port = macro(1, "the listening port to trace")

row = t.record(
    ("TS", "%d"), ("Date", "%Y"), ("Action", "%s"),
    ("Source IP", "0x%08x"), ("Source Port", "%d"), ("Dest Port", "%d"),
    ("Q0", "%d"), ("Q", "%d"), ("Qmax", "%d"),
)

STATE = "sdt:sock::inet_sock_set_state"   # args: sk, old state, new state, sport, dport, ...
PACKET = "sdt:net::netif_receive_skb"      # args: the sk_buff, its length, the device name
TCP_SYN_RECV, TCP_LISTEN = 3, 10           # include/net/tcp_states.h
SYN, ACK = 0x02, 0x10                      # th_flags bits

listener = glob.listener
# Per client port: a SYN was seen; the handshake is under way; it completed, not yet accepted.
for table in ("seen", "pending", "established"):
    t.declare(table, "int", keys=("int",))


def netns(sk):
    """The network namespace a socket lives in (sk->__sk_common.skc_net.net)."""
    return dot(arrow(sk, "__sk_common"), "skc_net.net")


def queues():
    """Q0, Q and Qmax of the listener, now."""
    icsk = cast(listener, "struct inet_connection_sock *")
    return dot(icsk.icsk_accept_queue, "qlen.counter"), listener.sk_ack_backlog, listener.sk_max_ack_backlog


@t.probe(STATE, when=and_(args[2] == TCP_LISTEN, args[3] == port))
def listening():
    """The server's socket enters LISTEN on our port: remember it."""
    glob.listener = cast(arg0, "struct sock *")


@t.probe(PACKET, when=listener != 0)
def packet():
    """Decode the IP and TCP headers of every packet the stack receives (skb->data is the IP
    header here)."""
    this.skb = cast(arg0, "struct sk_buff *")
    this.iphdr = cast(this.skb.data, "char *")
    ip = view("ip", this.iphdr)
    this.tcphdr = this.iphdr + ip.ip_hl * 4
    tcp = view("tcphdr", this.tcphdr)
    this.ours = and_(ip.ip_v == 4, ip.ip_p == 6, ntohs(tcp.th_dport) == port)
    this.srcAddr = ip.ip_src
    this.srcPort = ntohs(tcp.th_sport)
    this.flags = tcp.th_flags
    this.q0, this.q, this.qmax = queues()
    this.full = this.q > this.qmax


@t.probe(PACKET, when=and_(listener != 0, this.ours, (this.flags & hexint(SYN | ACK)) == hexint(SYN)))
def syn():
    """A SYN for the listener: dropped if the accept queue is full, else new or a retry."""
    this.action = cond(this.full, "syn-dropped",
                       cond(glob.seen[this.srcPort] != 0, "syn-rtx", "syn"))
    glob.seen[this.srcPort] = 1
    glob.pending[this.srcPort] = 1
    row.emit(timestamp, walltimestamp, this.action, this.srcAddr, this.srcPort, port,
             this.q0, this.q, this.qmax)


@t.probe(PACKET, when=and_(listener != 0, this.ours, this.full,
                        (this.flags & hexint(SYN | ACK)) == hexint(ACK), glob.pending[this.srcPort] != 0))
def ack_dropped():
    """The last ACK of a handshake while the accept queue is full: the kernel drops it."""
    row.emit(timestamp, walltimestamp, "ack-dropped", this.srcAddr, this.srcPort, port,
             this.q0, this.q, this.qmax)


@t.probe(STATE, when=and_(listener != 0, args[1] == TCP_LISTEN, args[2] == TCP_SYN_RECV,
                        args[3] == port, netns(cast(arg0, "struct sock *")) == netns(listener)))
def syn_aa():
    """The handshake completed: the kernel made the connection's socket (a clone of the
    listener's) and puts it on the accept queue."""
    this.sk = cast(arg0, "struct sock *")
    glob.pending[args[4]] = 0
    glob.established[args[4]] = 1
    this.q0, this.q, this.qmax = queues()
    row.emit(timestamp, walltimestamp, "syn-aa", dot(arrow(this.sk, "__sk_common"), "skc_daddr"), args[4], port,
             this.q0, this.q, this.qmax)


@t.probe("syscall::accept:entry", "syscall::accept4:entry", when=listener != 0)
def accept_entry():
    self.sockaddr = arg1


@t.probe("syscall::accept:return", "syscall::accept4:return",
         when=and_(listener != 0, self.sockaddr != 0, cast(arg1, "int") >= 0))
def accepted():
    """accept() returned a connection: read the peer from the struct sockaddr_in it filled
    (copyin's copy lasts only for this clause, so both fields are read here)."""
    this.sin = cast(copyin(self.sockaddr, 8), "char *")   # sin_family, sin_port, sin_addr
    this.srcPort = ntohs(at(this.sin, 2, "uint16_t"))
    this.srcAddr = at(this.sin, 4, "uint32_t")


@t.probe("syscall::accept:return", "syscall::accept4:return",
         when=and_(listener != 0, self.sockaddr != 0, cast(arg1, "int") >= 0,
                        glob.established[this.srcPort] != 0))
def accept():
    glob.established[this.srcPort] = 0
    glob.seen[this.srcPort] = 0
    this.q0, this.q, this.qmax = queues()
    row.emit(timestamp, walltimestamp, "accept", this.srcAddr,
             this.srcPort, port, this.q0, this.q, this.qmax)
