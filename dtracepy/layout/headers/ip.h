/*
 * The IPv4 header (RFC 791, section 3.1), as dtracepy ships it.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |Version|  IHL  |Type of Service|          Total Length         |
 * |         Identification        |Flags|      Fragment Offset    |
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * |                       Source Address                          |
 * |                    Destination Address                        |
 *
 * Version is the high nibble of the first byte and IHL (the header length in 32-bit words) the
 * low nibble, whatever the byte order.  Compilers allocate bit-fields from the least significant
 * bit on little-endian targets and from the most significant bit on big-endian ones, so the
 * declaration order of the two nibbles depends on the byte order, as in the BSD and Solaris
 * headers.  Multi-byte fields are in network byte order: read them through ntohs()/ntohl().
 */
#ifndef DTRACEPY_IP_H
#define DTRACEPY_IP_H

#if defined(_BIT_FIELDS_HTOL) || (defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
#define DTRACEPY_BIT_FIELDS_HTOL 1
#endif

struct ip {
#ifdef DTRACEPY_BIT_FIELDS_HTOL
	uint8_t		ip_v:4,		/* version: 4 */
			ip_hl:4;	/* header length in 32-bit words */
#else
	uint8_t		ip_hl:4,	/* header length in 32-bit words */
			ip_v:4;		/* version: 4 */
#endif
	uint8_t		ip_tos;		/* type of service */
	uint16_t	ip_len;		/* total length in bytes */
	uint16_t	ip_id;		/* identification */
	uint16_t	ip_off;		/* flags (3 bits) and fragment offset */
	uint8_t		ip_ttl;		/* time to live */
	uint8_t		ip_p;		/* protocol (6 is TCP) */
	uint16_t	ip_sum;		/* header checksum */
	in_addr_t	ip_src;		/* source address */
	in_addr_t	ip_dst;		/* destination address */
};

#define IP_RF		0x8000		/* ip_off: reserved */
#define IP_DF		0x4000		/* ip_off: don't fragment */
#define IP_MF		0x2000		/* ip_off: more fragments */
#define IP_OFFMASK	0x1fff		/* ip_off: fragment offset */

#endif /* DTRACEPY_IP_H */
