"""Part 1 of the seed: the listen queue of every listener as each SYN arrives.

    dtracepy compile examples/tcpq_part1.py -o tcpq_part1.d && ./tcpq_part1.d

For every call of tcp_conn_request() (a SYN reaching a listener): the listener's tcp_t, its
Q0/Q/Qmax and its local port.  The tcp_t pointer sits at 0x28 in arg0 and the local port at 0x10a
in its conn_t, in network byte order (offsets from mdb on Solaris 10 9/10 x86).
"""

from dtracepy import Tracer, arg0, at, htons, printf, self

t = Tracer(options={"quiet": True})


@t.probe("fbt:ip:tcp_conn_request:entry")
def syn():
    self.tcpq = at(arg0, 0x28, "tcp_t *")
    printf("tcpq: %p\n", self.tcpq)
    printf("q0/q/qmax: %d/%d/%d\n",
           self.tcpq.tcp_conn_req_cnt_q0, self.tcpq.tcp_conn_req_cnt_q, self.tcpq.tcp_conn_req_max)
    printf("conn_lport: %d\n", htons(at(self.tcpq.tcp_connp, 0x10a, "uint16_t")))
