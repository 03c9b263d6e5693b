/*
 * NAME
 *	params_default - defaults computed at run time
 * SYNOPSIS
 *	#include <global/params_private.h>
 *
 *	int	params_is_dynamic(const char *name);
 *	const char *params_dynamic_default(const char *name);
 *	void	params_dynamic_reset(void);
 * DESCRIPTION
 *	Some defaults depend on the machine or on other settings, as in
 *	Postfix:
 *	.IP myhostname
 *	the host name; with ".$mydomain" appended (or ".localdomain" when
 *	mydomain is not set) when it has no dot.
 *	.IP mydomain
 *	$myhostname without its first label, "localdomain" when it has none.
 *	.IP mynetworks
 *	from mynetworks_style and the interface addresses: host gives each
 *	address (a.b.c.d/32, [addr]/128), subnet each interface's network,
 *	class each IPv4 address's class A, B or C network.
 *	.IP "daemon_directory, command_directory"
 *	beside the running program, see cmd_exe_dirs() in cmd_init(3).
 *	.IP config_directory
 *	the directory main.cf was loaded from.
 *	.PP
 *	Values are cached until params_dynamic_reset(), which every load and
 *	override calls. A computation that needs its own value (a loop made
 *	by main.cf settings) gets the plain host name.
 */
#include <util/sys_defs.h>
#include <unistd.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/htable.h>
#include <global/params.h>
#include <global/params_private.h>
#include <global/cmd_init.h>

static const char *const dyn_names[] = {
	"myhostname", "mydomain", "mynetworks", "daemon_directory",
	"command_directory", "config_directory",
};

static struct htable *dyn_cache;
static int dyn_busy[ARRAY_LEN(dyn_names)];

/* params_is_dynamic - whether a name's default is computed */
int
params_is_dynamic(const char *name)
{
	size_t	i;

	for (i = 0; i < ARRAY_LEN(dyn_names); i++)
		if (strcmp(name, dyn_names[i]) == 0)
			return (1);
	return (0);
}

/* params_dynamic_reset - forget computed values */
void
params_dynamic_reset(void)
{
	if (dyn_cache)
		htable_free(dyn_cache, free);
	dyn_cache = NULL;
}

/* dyn_hostname - gethostname(), never empty */
static void
dyn_hostname(struct buf *out)
{
	char	host[256];

	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == 0)
		buf_cpy(out, "localhost");
	else {
		host[sizeof(host) - 1] = 0;
		buf_cpy(out, host);
	}
}

/* dyn_myhostname - host name, made fully qualified */
static void
dyn_myhostname(struct buf *out)
{
	const char *domain = NULL;

	dyn_hostname(out);
	if (strchr(buf_str(out), '.') != NULL)
		return;
	if (params_is_set("mydomain"))
		domain = params_get("mydomain");
	buf_appendf(out, ".%s", domain && *domain ? domain : "localdomain");
}

/* dyn_mydomain - $myhostname without its first label */
static void
dyn_mydomain(struct buf *out)
{
	const char *host = params_get("myhostname");
	const char *dot = host ? strchr(host, '.') : NULL;

	buf_cpy(out, dot && dot[1] ? dot + 1 : "localdomain");
}

/* prefix_len - number of leading one bits in a netmask */
static int
prefix_len(const unsigned char *mask, size_t len)
{
	int	bits = 0;
	size_t	i;
	int	b;

	for (i = 0; i < len; i++)
		for (b = 7; b >= 0; b--)
			bits += (mask[i] >> b) & 1;
	return (bits);
}

/* net_add - append "addr/len" (IPv6 in brackets) once */
static void
net_add(struct argv *nets, int family, const void *addr, int bits)
{
	char	text[INET6_ADDRSTRLEN], item[INET6_ADDRSTRLEN + 8];
	size_t	i;

	if (inet_ntop(family, addr, text, sizeof(text)) == NULL)
		return;
	snprintf(item, sizeof(item), family == AF_INET6 ? "[%s]/%d" : "%s/%d",
		 text, bits);
	for (i = 0; i < nets->argc; i++)
		if (strcmp(nets->argv[i], item) == 0)
			return;
	argv_add(nets, item);
}

/* net_mask - apply a prefix length to an address */
static void
net_mask(unsigned char *addr, size_t len, int bits)
{
	size_t	i;

	for (i = 0; i < len; i++, bits -= 8) {
		if (bits >= 8)
			continue;
		addr[i] &= bits > 0 ? (unsigned char) (0xff << (8 - bits)) : 0;
	}
}

/* class_bits - classful prefix length of an IPv4 address */
static int
class_bits(const unsigned char *addr)
{
	if (addr[0] < 128)
		return (8);
	if (addr[0] < 192)
		return (16);
	return (24);
}

/* net_from_ifa - one interface address in the given style */
static void
net_from_ifa(struct argv *nets, const struct ifaddrs *ifa, const char *style)
{
	unsigned char addr[16];
	size_t	len;
	int	bits, family = ifa->ifa_addr->sa_family;

	if (family == AF_INET) {
		len = 4;
		memcpy(addr, &((struct sockaddr_in *) ifa->ifa_addr)->sin_addr, len);
	} else {
		len = 16;
		memcpy(addr, &((struct sockaddr_in6 *) ifa->ifa_addr)->sin6_addr, len);
		if (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80)
			return;			/* link-local: needs a scope */
	}
	bits = (int) len * 8;
	if (strcmp(style, "host") != 0 && ifa->ifa_netmask != NULL) {
		if (family == AF_INET)
			bits = prefix_len((const unsigned char *)
			  &((struct sockaddr_in *) ifa->ifa_netmask)->sin_addr, 4);
		else
			bits = prefix_len((const unsigned char *)
			&((struct sockaddr_in6 *) ifa->ifa_netmask)->sin6_addr, 16);
		if (strcmp(style, "class") == 0 && family == AF_INET)
			bits = class_bits(addr);
		net_mask(addr, len, bits);
	}
	net_add(nets, family, addr, bits);
}

/* dyn_mynetworks - networks from the interfaces and mynetworks_style */
static void
dyn_mynetworks(struct buf *out)
{
	const char *style = params_get("mynetworks_style");
	struct ifaddrs *list, *ifa;
	struct argv *nets = argv_new(8);
	size_t	i;

	if (style == NULL)
		style = "host";
	if (getifaddrs(&list) == 0) {
		for (ifa = list; ifa; ifa = ifa->ifa_next)
			if (ifa->ifa_addr && (ifa->ifa_addr->sa_family == AF_INET
				       || ifa->ifa_addr->sa_family == AF_INET6))
				net_from_ifa(nets, ifa, style);
		freeifaddrs(list);
	}
	if (nets->argc == 0)
		argv_add(nets, "127.0.0.0/8");
	buf_reset(out);
	for (i = 0; i < nets->argc; i++)
		buf_appendf(out, "%s%s", i ? " " : "", nets->argv[i]);
	argv_free(nets);
}

/* dyn_dirs - daemon_directory and command_directory */
static void
dyn_dirs(const char *name, struct buf *out)
{
	struct buf *daemon_dir = buf_new(256), *command_dir = buf_new(256);

	if (cmd_exe_dirs(daemon_dir, command_dir) < 0) {
		buf_cpy(daemon_dir, "/usr/local/libexec/postern");
		buf_cpy(command_dir, "/usr/local/bin");
	}
	buf_cpy(out, strcmp(name, "daemon_directory") == 0 ?
		buf_str(daemon_dir) : buf_str(command_dir));
	buf_free(daemon_dir);
	buf_free(command_dir);
}

/* dyn_compute - compute one value */
static void
dyn_compute(const char *name, struct buf *out)
{
	size_t	i;

	for (i = 0; i < ARRAY_LEN(dyn_names); i++)
		if (strcmp(name, dyn_names[i]) == 0)
			break;
	if (i == ARRAY_LEN(dyn_names)) {
		buf_reset(out);
		return;
	}
	if (dyn_busy[i]) {
		dyn_hostname(out);		/* a loop through main.cf */
		return;
	}
	dyn_busy[i] = 1;
	if (strcmp(name, "config_directory") == 0)
		buf_cpy(out, params_config_dir());
	else if (strcmp(name, "myhostname") == 0)
		dyn_myhostname(out);
	else if (strcmp(name, "mydomain") == 0)
		dyn_mydomain(out);
	else if (strcmp(name, "mynetworks") == 0)
		dyn_mynetworks(out);
	else
		dyn_dirs(name, out);
	dyn_busy[i] = 0;
}

/* params_dynamic_default - computed default of a name */
const char *
params_dynamic_default(const char *name)
{
	struct buf *out;
	char   *value;

	if (dyn_cache == NULL)
		dyn_cache = htable_new(16);
	if ((value = htable_find(dyn_cache, name)) != NULL)
		return (value);
	out = buf_new(64);
	dyn_compute(name, out);
	value = buf_steal(out);
	/* A nested lookup of the same name (mydomain <-> myhostname) may have
	 * cached a value meanwhile: keep ours, free that one. */
	free(htable_enter(dyn_cache, name, value));
	return (value);
}
