/*
 * The TCP header (RFC 793, section 3.1), as dtracepy ships it.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |          Source Port          |       Destination Port        |
 * |                        Sequence Number                        |
 * |                    Acknowledgment Number                      |
 * |  Data |           |U|A|P|R|S|F|                               |
 * | Offset| Reserved  |R|C|S|S|Y|I|            Window             |
 * |           Checksum            |         Urgent Pointer        |
 *
 * The data offset (header length in 32-bit words) is the high nibble of byte 12; the low nibble
 * is reserved.  As in struct ip, the nibbles are declared in the order the target's compiler
 * allocates bit-fields.  Multi-byte fields are in network byte order.
 */
#ifndef DTRACEPY_TCP_H
#define DTRACEPY_TCP_H

#if defined(_BIT_FIELDS_HTOL) || (defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
#define DTRACEPY_BIT_FIELDS_HTOL 1
#endif

struct tcphdr {
	uint16_t	th_sport;	/* source port */
	uint16_t	th_dport;	/* destination port */
	tcp_seq		th_seq;		/* sequence number */
	tcp_seq		th_ack;		/* acknowledgment number */
#ifdef DTRACEPY_BIT_FIELDS_HTOL
	uint8_t		th_off:4,	/* data offset in 32-bit words */
			th_x2:4;	/* reserved */
#else
	uint8_t		th_x2:4,	/* reserved */
			th_off:4;	/* data offset in 32-bit words */
#endif
	uint8_t		th_flags;	/* TH_* below */
	uint16_t	th_win;		/* window */
	uint16_t	th_sum;		/* checksum */
	uint16_t	th_urp;		/* urgent pointer */
};

#define TH_FIN		0x01
#define TH_SYN		0x02
#define TH_RST		0x04
#define TH_PUSH		0x08
#define TH_ACK		0x10
#define TH_URG		0x20

#endif /* DTRACEPY_TCP_H */
