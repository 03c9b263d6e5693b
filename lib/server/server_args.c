/*
 * NAME
 *	server_args - the command line master gives a child
 * DESCRIPTION
 *	See server_private.h. Options may be clustered ("-uv") and take
 *	their argument attached or as the next word ("-nsmtp", "-n smtp"),
 *	as with getopt(3); the first word that is not an option, or "--",
 *	ends the options. The parser has no global state, so tests can run
 *	it many times.
 */
#include <util/sys_defs.h>
#include <util/argv.h>
#include <util/buf.h>
#include <server/server_private.h>

/* server_type_is_stream - do clients of this service type connect? */
int
server_type_is_stream(const char *type)
{
	return (strcmp(type, "unix") == 0 || strcmp(type, "inet") == 0
		|| strcmp(type, "pass") == 0);
}

/* server_type_known - one of master.cf's types? */
static int
server_type_known(const char *type)
{
	return (server_type_is_stream(type) || strcmp(type, "fifo") == 0
		|| strcmp(type, "unix-dgram") == 0);
}

/* server_args_value - store an option argument, checking it */
static int
server_args_value(struct server_args *args, int opt, const char *value,
		  struct buf *why)
{
	char   *end;
	long	count;

	switch (opt) {
	case 'n':
		args->service = value;
		return (*value ? 0 : (buf_printf(why, "empty service name"), -1));
	case 't':
		args->type = value;
		if (!server_type_known(value))
			return (buf_printf(why, "unknown service type: %s", value), -1);
		return (0);
	case 'c':
		args->config_dir = value;
		return (0);
	case 'o':
		if (strchr(value, '=') == NULL || *value == '=')
			return (buf_printf(why, "bad override \"%s\": expected name=value", value), -1);
		argv_add(args->overrides, value);
		return (0);
	case 's':
		errno = 0;
		count = strtol(value, &end, 10);
		if (errno || *end || end == value || count < 1 || count > MASTER_LISTEN_MAX)
			return (buf_printf(why, "bad socket count: %s", value), -1);
		args->listen_count = (int) count;
		return (0);
	}
	buf_printf(why, "internal error: option -%c", opt);
	return (-1);
}

/* server_args_flag - a flag without argument; -1 if opt is not one */
static int
server_args_flag(struct server_args *args, int opt)
{
	switch (opt) {
	case 'u':
		args->keep_root = 1;
		return (0);
	case 'r':
		args->chroot = 1;
		return (0);
	case 'S':
		args->standalone = 1;
		return (0);
	case 'v':
		args->verbose++;
		return (0);
	}
	return (-1);
}

/* server_args_word - one option word; *used tells if it ate the next */
static int
server_args_word(struct server_args *args, const char *word, const char *next,
		 int *used, struct buf *why)
{
	const char *cp;

	for (cp = word + 1; *cp; cp++) {
		if (server_args_flag(args, *cp) == 0)
			continue;
		if (strchr("ntcos", *cp) == NULL) {
			buf_printf(why, "unknown option: -%c", *cp);
			return (-1);
		}
		if (cp[1])
			return (server_args_value(args, *cp, cp + 1, why));
		if (next == NULL) {
			buf_printf(why, "option -%c needs an argument", *cp);
			return (-1);
		}
		*used = 1;
		return (server_args_value(args, *cp, next, why));
	}
	return (0);
}

/* server_args_parse - parse the child command line */
int
server_args_parse(int argc, char **argv, struct server_args *args,
		  struct buf *why)
{
	int	i;
	int	used;

	memset(args, 0, sizeof(*args));
	args->listen_count = 1;
	args->overrides = argv_new(4);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] != '-' || argv[i][1] == 0)
			break;
		used = 0;
		if (server_args_word(args, argv[i], i + 1 < argc ? argv[i + 1] : NULL,
				     &used, why) < 0)
			return (-1);
		i += used;
	}
	args->args = argv + (i < argc ? i : argc);
	if (args->standalone)
		return (0);
	if (args->service == NULL || args->type == NULL) {
		buf_printf(why, "missing -n service or -t type (not started by master? "
			   "use -S for stand-alone mode)");
		return (-1);
	}
	return (0);
}

/* server_args_free - release what server_args_parse() allocated */
void
server_args_free(struct server_args *args)
{
	if (args->overrides)
		argv_free(args->overrides);
	args->overrides = NULL;
}
