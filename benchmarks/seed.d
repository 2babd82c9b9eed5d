#!/usr/sbin/dtrace -qs
#pragma D option quiet
#pragma D option dynvarsize=16m

/* How long does each read take, per process? */

syscall::read:entry
/pid == $target/
{
	self->ts = timestamp;
	self->fd = arg0;
}

syscall::read:return
/self->ts/
{
	this->delta = timestamp - self->ts;
	@lat[execname] = quantize(this->delta);
	@bytes[execname, self->fd] = sum(arg1 > 0 ? arg1 : 0);
	self->ts = 0;
	self->fd = 0;
}

fbt:ip:tcp_conn_request:entry
{
	this->tcp = (tcp_t *)arg0;
	this->port = *(uint16_t *)((char *)this->tcp + 0x28);
	printf("%d\n", ntohs(this->port));
}

tick-10sec
{
	printa("%-20s %@d\n", @bytes);
	exit(0);
}
