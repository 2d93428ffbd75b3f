/* cmds/network.c - guest-network-get-interfaces, guest-network-get-route.
 *
 * Interfaces and addresses come from rtnetlink dumps, the way the C
 * library's getifaddrs() builds its list (links first, then addresses,
 * IPv4 aliases under their label), without its allocations. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "handler.h"
#include "fdio.h"
#include "fmt.h"
#include "sysread.h"

#define MAX_IFACES 1024		/* interfaces reported; more are left out */
#define MAX_ADDRS 4096		/* addresses reported */

static struct iface {
	int index;
	char name[IFNAMSIZ];
} ifaces[MAX_IFACES];
static struct addr {
	unsigned short iface;	/* into ifaces[] */
	unsigned char family, prefix;
	unsigned char a[16];
} addrs[MAX_ADDRS];
static int nifaces, naddrs;

/* Text of an address as glibc's inet_ntop writes it. */
static size_t ntop4(char *o, const unsigned char *a)
{
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		if (i)
			o[n++] = '.';
		n += fmt_u64(o + n, a[i], 10);
	}
	return n;
}

static size_t ntop6(char *o, const unsigned char *a)
{
	unsigned w[8];
	int best = -1, blen = 0, i, n = 0;

	for (i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (i = 0; i < 8; i++) {	/* the first longest run of zeros */
		int j = i;
		while (j < 8 && !w[j])
			j++;
		if (j - i > blen) {
			best = i;
			blen = j - i;
		}
		i = j > i ? j - 1 : i;
	}
	if (blen < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		if (i == best) {
			o[n++] = ':';
			if (i + blen == 8)
				o[n++] = ':';
			i += blen - 1;
			continue;
		}
		if (i)
			o[n++] = ':';
		/* ::a.b.c.d and ::ffff:a.b.c.d keep the IPv4 part dotted */
		if (i == 6 && best == 0 && (blen == 6 || (blen == 5 && w[5] == 0xffff)))
			return (size_t)n + ntop4(o + n, a + 12);
		n += (int)fmt_u64(o + n, w[i], 16);
	}
	return (size_t)n;
}

static int iface_named(const char *name, int index)
{
	int i;

	for (i = 0; i < nifaces; i++)
		if (!strcmp(ifaces[i].name, name))
			return i;
	if (nifaces == MAX_IFACES)
		return -1;
	ifaces[nifaces].index = index;
	strncpy(ifaces[nifaces].name, name, IFNAMSIZ - 1);
	return nifaces++;
}

static void on_link(struct nlmsghdr *h)
{
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)IFLA_PAYLOAD(h);

	for (struct rtattr *rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == IFLA_IFNAME && RTA_PAYLOAD(rta) <= IFNAMSIZ)
			iface_named(RTA_DATA(rta), ifi->ifi_index);
}

static void on_addr(struct nlmsghdr *h)
{
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	int len = (int)IFA_PAYLOAD(h), i, k;
	const void *address = NULL, *local = NULL;
	const char *label = NULL;
	size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;

	if ((ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) || naddrs == MAX_ADDRS)
		return;
	for (struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFA_ADDRESS && RTA_PAYLOAD(rta) >= alen)
			address = RTA_DATA(rta);
		else if (rta->rta_type == IFA_LOCAL && RTA_PAYLOAD(rta) >= alen)
			local = RTA_DATA(rta);
		else if (rta->rta_type == IFA_LABEL && RTA_PAYLOAD(rta) <= IFNAMSIZ)
			label = RTA_DATA(rta);
	}
	if (local)		/* point-to-point: IFA_ADDRESS is the peer */
		address = local;
	if (!address)
		return;
	for (i = 0; i < nifaces && ifaces[i].index != (int)ifa->ifa_index; i++)
		;
	if (ifa->ifa_family == AF_INET && label)
		k = iface_named(label, (int)ifa->ifa_index);
	else
		k = i < nifaces ? i : -1;
	if (k < 0)
		return;
	addrs[naddrs].iface = (unsigned short)k;
	addrs[naddrs].family = ifa->ifa_family;
	addrs[naddrs].prefix = ifa->ifa_prefixlen;
	memcpy(addrs[naddrs].a, address, alen);
	naddrs++;
}

static int nl_dump(int fd, int type, void (*each)(struct nlmsghdr *))
{
	static char buf[32768];
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} req = { { sizeof(req), (unsigned short)type, NLM_F_REQUEST | NLM_F_DUMP,
		    (unsigned)type, 0 }, { AF_UNSPEC } };

	if (send(fd, &req, sizeof(req), 0) < 0)
		return -1;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		/* NLMSG_OK and NLMSG_NEXT, without their signed/unsigned mix */
		size_t len = (size_t)n, off = 0;
		while (len - off >= sizeof(struct nlmsghdr)) {
			struct nlmsghdr *h = (struct nlmsghdr *)((char *)buf + off);
			if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len - off)
				break;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -1;
			each(h);
			off += NLMSG_ALIGN(h->nlmsg_len);
			if (off > len)
				break;
		}
	}
}

/* rx and tx counters of /proc/net/dev; an alias (eth0:1) counts as its
 * device (qemu-ga matches by prefix, so eth10 can get eth1's numbers). */
static bool net_stats(const char *name, uint64_t v[8])
{
	static const unsigned char col[8] = { 0, 1, 2, 3, 8, 9, 10, 11 };
	size_t len = strcspn(name, ":");
	struct lines l;
	char *line, *f[16];
	bool found = false;

	if (!lines_open(&l, "/proc/net/dev"))
		return false;
	while (!found && (line = lines_next(&l))) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = 0;
		while (*line == ' ')
			line++;
		if (strlen(line) != len || strncmp(line, name, len) || split_ws(colon + 1, f, 16) < 12)
			continue;
		for (int i = 0; i < 8; i++)
			if (!parse_u64(f[col[i]], 10, &v[i]))
				v[i] = 0;
		found = true;
	}
	lines_close(&l);
	return found;
}

static int guest_network_get_interfaces(struct call *c)
{
	/* qemu-ga's statistics keys in its order, and their column above */
	static const struct { unsigned char i; const char *key; } stat_keys[] = {
		{ 5, "tx-packets" }, { 6, "tx-errs" }, { 0, "rx-bytes" }, { 3, "rx-dropped" },
		{ 1, "rx-packets" }, { 2, "rx-errs" }, { 4, "tx-bytes" }, { 7, "tx-dropped" },
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), i, k, count = 0;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char text[64];

	nifaces = naddrs = 0;
	if (fd < 0 || nl_dump(fd, RTM_GETLINK, on_link) < 0 || nl_dump(fd, RTM_GETADDR, on_addr) < 0) {
		fd_drop(&fd);
		fd_drop(&sock);
		return call_error(c, "getifaddrs failed: %s", strerror(errno));
	}
	close(fd);
	reply_begin(c);
	out_lit(c->out, "[");
	for (i = 0; i < nifaces; i++) {
		struct ifreq ifr = { 0 };
		int members = 0, first = 1;

		out_lit(c->out, count++ ? ", {" : "{");
		out_key(c->out, &members, "name");
		out_str(c->out, ifaces[i].name, strlen(ifaces[i].name));
		for (k = 0; k < naddrs; k++) {
			if (addrs[k].iface != i)
				continue;
			if (first)
				out_key(c->out, &members, "ip-addresses");
			out_lit(c->out, first ? "[{\"ip-address-type\": \"" : ", {\"ip-address-type\": \"");
			out_lit(c->out, addrs[k].family == AF_INET ? "ipv4\", \"ip-address\": \"" :
								     "ipv6\", \"ip-address\": \"");
			out_bytes(c->out, text, addrs[k].family == AF_INET ? ntop4(text, addrs[k].a) :
									      ntop6(text, addrs[k].a));
			out_lit(c->out, "\", \"prefix\": ");
			out_u64(c->out, addrs[k].prefix);
			out_lit(c->out, "}");
			first = 0;
		}
		uint64_t st[8];
		if (!first) {
			out_lit(c->out, "]");
			/* statistics only where there is an address, as qemu-ga */
			if (net_stats(ifaces[i].name, st)) {
				int sm = 0;
				out_key(c->out, &members, "statistics");
				out_lit(c->out, "{");
				for (k = 0; k < 8; k++) {
					out_key(c->out, &sm, stat_keys[k].key);
					out_u64(c->out, st[stat_keys[k].i]);
				}
				out_lit(c->out, "}");
			}
		}
		strncpy(ifr.ifr_name, ifaces[i].name, IFNAMSIZ - 1);
		if (sock >= 0 && ioctl(sock, SIOCGIFHWADDR, &ifr) == 0) {
			const unsigned char *m = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
			for (k = 0; k < 6; k++) {
				text[3 * k] = "0123456789abcdef"[m[k] >> 4];
				text[3 * k + 1] = "0123456789abcdef"[m[k] & 15];
				text[3 * k + 2] = ':';
			}
			out_key(c->out, &members, "hardware-address");
			out_str(c->out, text, 17);
		}
		out_lit(c->out, "}");
	}
	out_lit(c->out, "]");
	if (sock >= 0)
		close(sock);
	return 0;
}
QGA_COMMAND0(22, guest_network_get_interfaces, "guest-network-get-interfaces", CMD_FUZZ_SAFE);

static void out_route_v6(struct out *o, const char *hex)
{
	unsigned char a[16] = { 0 };
	char text[64];

	for (int i = 0; i < 16 && hex[2 * i] && hex[2 * i + 1]; i++)
		a[i] = (unsigned char)((num_digit(hex[2 * i]) & 15) << 4 | (num_digit(hex[2 * i + 1]) & 15));
	out_lit(o, "\"");
	out_bytes(o, text, ntop6(text, a));
	out_lit(o, "\"");
}

static void out_route_v4(struct out *o, const char *hex)
{
	uint64_t v = 0;
	unsigned char a[4];
	char text[16];

	parse_u64(hex, 16, &v);
	for (int i = 0; i < 4; i++)	/* the kernel prints the word in host order */
		a[i] = (unsigned char)(v >> (8 * i));
	out_lit(o, "\"");
	out_bytes(o, text, ntop4(text, a));
	out_lit(o, "\"");
}

static int64_t num(const char *s, unsigned base)
{
	uint64_t v = 0;

	parse_u64(s, base, &v);
	return (int64_t)(int32_t)v;
}

/* IPv4 then IPv6 routes, keys in qemu-ga's order. */
static int guest_network_get_route(struct call *c)
{
	static const char *const files[2] = { "/proc/net/route", "/proc/net/ipv6_route" };
	struct lines l[2];
	char *line, *f[12];
	int count = 0, v;

	for (v = 0; v < 2; v++)
		if (!lines_open(&l[v], files[v])) {
			int e = errno;
			if (v)
				lines_close(&l[0]);
			return call_error(c, "open(\"%s\"): %s", files[v], strerror(e));
		}
	reply_begin(c);
	out_lit(c->out, "[");
	lines_next(&l[0]);	/* header */
	while ((line = lines_next(&l[0]))) {
		if (split_ws(line, f, 12) < 11)
			continue;
		out_lit(c->out, count++ ? ", {\"flags\": " : "{\"flags\": ");
		uint64_t flags = 0;
		parse_u64(f[3], 16, &flags);
		out_u64(c->out, flags);
		out_lit(c->out, ", \"metric\": ");
		out_i64(c->out, num(f[6], 10));
		out_lit(c->out, ", \"refcnt\": ");
		out_i64(c->out, num(f[4], 10));
		out_lit(c->out, ", \"window\": ");
		out_i64(c->out, num(f[9], 10));
		out_lit(c->out, ", \"version\": 4, \"iface\": ");
		out_str(c->out, f[0], strlen(f[0]));
		out_lit(c->out, ", \"destination\": ");
		out_route_v4(c->out, f[1]);
		out_lit(c->out, ", \"irtt\": ");
		out_i64(c->out, num(f[10], 10));
		out_lit(c->out, ", \"gateway\": ");
		out_route_v4(c->out, f[2]);
		out_lit(c->out, ", \"use\": ");
		out_i64(c->out, num(f[5], 10));
		out_lit(c->out, ", \"mtu\": ");
		out_i64(c->out, num(f[8], 10));
		out_lit(c->out, ", \"mask\": ");
		out_route_v4(c->out, f[7]);
		out_lit(c->out, "}");
	}
	while ((line = lines_next(&l[1]))) {
		if (split_ws(line, f, 12) < 10)
			continue;
		out_lit(c->out, count++ ? ", {\"flags\": " : "{\"flags\": ");
		uint64_t flags = 0;
		parse_u64(f[8], 16, &flags);
		out_u64(c->out, (uint32_t)flags);
		out_lit(c->out, ", \"source\": ");
		out_route_v6(c->out, f[2]);
		out_lit(c->out, ", \"metric\": ");
		out_i64(c->out, num(f[5], 16));
		out_lit(c->out, ", \"refcnt\": ");
		out_i64(c->out, num(f[6], 16));
		out_lit(c->out, ", \"version\": 6, \"nexthop\": ");
		out_route_v6(c->out, f[4]);
		out_lit(c->out, ", \"iface\": ");
		out_str(c->out, f[9], strlen(f[9]));
		out_lit(c->out, ", \"destination\": ");
		out_route_v6(c->out, f[0]);
		/* prefix lengths are strings here, as qemu-ga has them */
		out_lit(c->out, ", \"desprefixlen\": \"");
		out_i64(c->out, num(f[1], 16));
		out_lit(c->out, "\", \"srcprefixlen\": \"");
		out_i64(c->out, num(f[3], 16));
		out_lit(c->out, "\", \"use\": ");
		out_i64(c->out, num(f[7], 16));
		out_lit(c->out, "}");
	}
	lines_close(&l[0]);
	lines_close(&l[1]);
	out_lit(c->out, "]");
	return 0;
}
QGA_COMMAND0(44, guest_network_get_route, "guest-network-get-route", CMD_FUZZ_SAFE);
