#!/usr/sbin/dtrace -qs

/*
 * tcpq_ex11.d: the TCP listen queue on port $1, per SYN and per completed handshake
 * (the seeds' final part-2 script, as the blog shipped it: self->secPort is a typo).
 */

BEGIN
{
        printf("TS,Date,Action,Source IP,Source Port,Dest Port,Q0,Q,Qmax\n");
}

fbt:ip:tcp_conn_request:entry,
fbt:ip:tcp_send_conn_ind:entry
{
        self->tcpq = *(tcp_t**)((char*)arg0+0x28);
        self->lport = htons(*(uint16_t*)((char*)self->tcpq->tcp_connp+0x10a));
}

fbt:ip:tcp_conn_request:entry
/self->lport == $1/
{
        self->action = "syn";
        this->mblk = (mblk_t *)arg1;
        this->iphdr = (struct ip*)this->mblk->b_rptr;

        this->ihl = 4 * ((int)*((char*)(this->iphdr)) & 0xf);
        this->tcphdr = (struct tcphdr*)((char*)(this->iphdr)+(this->ihl));

        self->srcAddr = *(uint32_t*)((char*)(this->iphdr)+0xc);
        self->srcPort = ntohs(this->tcphdr->th_sport);
}

fbt:ip:tcp_send_conn_ind:entry
/self->lport == $1/
{
        self->action = "syn-aa";
        this->mblk = (mblk_t *)arg1;
        this->tconnind = (struct T_conn_ind*)(this->mblk->b_rptr);
        this->tcpp = *(tcp_t**)(((char*)this->tconnind)+(this->tconnind->OPT_offset));

        self->srcPort = ntohs(*(uint16_t*)((char *)this->tcpp->tcp_connp+0x108));
        self->srcAddr = *(uint32_t*)((char*)this->tcpp->tcp_connp+0x104);
}

fbt:ip:tcp_conn_request:entry,
fbt:ip:tcp_send_conn_ind:entry
/self->lport == $1/
{
        printf("%d,%Y,%s,0x%08x,%d,%d,%d,%d,%d\n",
                timestamp, walltimestamp,
                self->action,
                self->srcAddr, self->srcPort,
                self->lport,
                self->tcpq->tcp_conn_req_cnt_q0,
                self->tcpq->tcp_conn_req_cnt_q,
                self->tcpq->tcp_conn_req_max
        );
}

fbt:ip:tcp_conn_request:return,
fbt:ip:tcp_send_conn_ind:return
/self->lport/
{
        self->tcpq = 0;
        self->lport = 0;
        self->action = 0;
        self->srcAddr = 0;
        self->secPort = 0;
}
