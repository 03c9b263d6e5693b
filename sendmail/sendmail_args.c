/*
 * NAME
 *	sendmail_args - the sendmail command line
 * SYNOPSIS
 *	#include "sendmail.h"
 *
 *	void	sendmail_opts_init(struct sendmail_opts *opts, const char *argv0);
 *	void	sendmail_opts_free(struct sendmail_opts *opts);
 *	int	sendmail_parse_args(struct sendmail_opts *opts, int argc,
 *			char **argv, struct buf *why);
 *	int	sendmail_config_dir(const char *arg, struct buf *dir);
 * DESCRIPTION
 *	Options are those of Postfix's sendmail: letters may be grouped
 *	("-ti"), an option's argument may be attached ("-fuser") or be the
 *	next word, "--" ends the options, and so does the first word that
 *	does not begin with "-" (the recipients follow). -q takes only an
 *	attached argument ("-q", "-qRsite", "-q30m"). See sendmail.h.
 * SEE ALSO
 *	sendmail(1)
 */
#include <util/sys_defs.h>
#include <global/dsn.h>

#include <strings.h>
#include <sys/stat.h>

#include "sendmail.h"

/* sendmail_opts_init - defaults, mode from the program name */

void
sendmail_opts_init(struct sendmail_opts *opts, const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base ? base + 1 : argv0;
	memset(opts, 0, sizeof(*opts));
	opts->alias_files = argv_new(1);
	if (strcmp(base, "mailq") == 0)
		opts->mode = SENDMAIL_MODE_MAILQ;
	else if (strcmp(base, "newaliases") == 0)
		opts->mode = SENDMAIL_MODE_NEWALIASES;
	else
		opts->mode = SENDMAIL_MODE_ENQUEUE;
}

/* sendmail_opts_free - release what parsing allocated */

void
sendmail_opts_free(struct sendmail_opts *opts)
{
	argv_free(opts->alias_files);
	opts->alias_files = 0;
}

/* sendmail_mode_arg - -bX */

static int
sendmail_mode_arg(struct sendmail_opts *opts, const char *value,
		  struct buf *why)
{
	switch (value[0] != 0 && value[1] == 0 ? value[0] : 0) {
	case 'd':
	case 'l':
		opts->mode = SENDMAIL_MODE_DAEMON;
		return (0);
	case 'i':
		opts->mode = SENDMAIL_MODE_NEWALIASES;
		return (0);
	case 'm':
		opts->mode = SENDMAIL_MODE_ENQUEUE;
		return (0);
	case 'p':
		opts->mode = SENDMAIL_MODE_MAILQ;
		return (0);
	case 's':
		opts->mode = SENDMAIL_MODE_SMTP;
		return (0);
	default:
		buf_printf(why, "unsupported: -b%s", value);
		return (-1);
	}
}

/* sendmail_printable - ASCII 32..126, 1..max bytes */

static int
sendmail_printable(const char *value, size_t max)
{
	const char *cp;

	if (*value == 0 || strlen(value) > max)
		return (0);
	for (cp = value; *cp; cp++)
		if (*cp < ' ' || *cp > '~')
			return (0);
	return (1);
}

/* sendmail_option - one option with its argument (or NULL) */

static int
sendmail_option(struct sendmail_opts *opts, int opt, const char *value,
		struct buf *why)
{
	switch (opt) {
	case 'B':
		if (strcasecmp(value, "8BITMIME") == 0)
			opts->encoding = "8BITMIME";
		else if (strcasecmp(value, "7BIT") == 0)
			opts->encoding = "7BIT";
		else
			return (buf_printf(why, "-B option needs 8BITMIME or 7BIT"), -1);
		return (0);
	case 'C':
	case 'c':
		opts->config_dir = value;
		return (0);
	case 'F':
		opts->full_name = value;
		return (0);
	case 'f':
	case 'r':
		opts->sender = value;
		return (0);
	case 'N':
		if ((opts->dsn_notify = dsn_notify_parse(value)) <= 0)
			return (buf_printf(why, "bad -N option value: %s", value), -1);
		return (0);
	case 'R':
		if ((opts->dsn_ret = dsn_ret_parse(value)) <= 0)
			return (buf_printf(why, "bad -R option value: %s", value), -1);
		return (0);
	case 'V':
		if (!sendmail_printable(value, DSN_ENVID_MAX))
			return (buf_printf(why, "-V option requires printable text"
					   " of at most %d bytes", DSN_ENVID_MAX), -1);
		opts->dsn_envid = value;
		return (0);
	case 'b':
		return (sendmail_mode_arg(opts, value, why));
	case 'o':
		if (value[0] == 'i' && value[1] == 0)
			opts->dot_ok = 1;
		else if (value[0] == 'A' && value[1] != 0)
			argv_add(opts->alias_files, value + 1);
		return (0);			/* -o7 -o8 -oem -odb ...: ignored */
	case 'q':
		if (value[0] == 0) {
			opts->mode = SENDMAIL_MODE_FLUSH;
		} else if (value[0] == 'R') {
			if (value[1] == 0)
				return (buf_printf(why, "-qR option needs a site"), -1);
			opts->mode = SENDMAIL_MODE_FLUSH;
			opts->site = value + 1;
		}				/* -qInterval, -qI, -qS: ignored */
		return (0);
	case 'i':
		opts->dot_ok = 1;
		return (0);
	case 'I':
		opts->mode = SENDMAIL_MODE_NEWALIASES;
		return (0);
	case 't':
		opts->extract = 1;
		return (0);
	case 'v':
		opts->verbose++;
		return (0);
	default:				/* G L O U X e h m n p x */
		return (0);
	}
}

 /*
  * Option letters: with an argument, without one.
  */
#define SENDMAIL_OPT_ARG	"BCFLNORVXbcefhopr"
#define SENDMAIL_OPT_FLAG	"GIUimntvx"

/* sendmail_parse_args - the whole command line */

int
sendmail_parse_args(struct sendmail_opts *opts, int argc, char **argv,
		    struct buf *why)
{
	int	i, j, opt;
	const char *value;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] != '-' || argv[i][1] == 0)
			break;
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		for (j = 1; (opt = argv[i][j]) != 0; j++) {
			if (opt == 'q') {
				value = argv[i] + j + 1;
			} else if (strchr(SENDMAIL_OPT_FLAG, opt)) {
				value = 0;
			} else if (strchr(SENDMAIL_OPT_ARG, opt)) {
				if (argv[i][j + 1])
					value = argv[i] + j + 1;
				else if (i + 1 < argc)
					value = argv[++i];
				else
					return (buf_printf(why, "option requires an argument -- '%c'", opt), -1);
			} else {
				return (buf_printf(why, "invalid option -- '%c'", opt), -1);
			}
			if (sendmail_option(opts, opt, value, why) < 0)
				return (-1);
			if (value)
				break;
		}
	}
	opts->recipients = argv + i;
	opts->nrcpt = argc - i;
	return (0);
}

/* sendmail_config_dir - -C takes a directory or a main.cf file */

int
sendmail_config_dir(const char *arg, struct buf *dir)
{
	struct stat st;
	const char *slash;

	if (stat(arg, &st) < 0)
		return (-1);
	if (S_ISDIR(st.st_mode)) {
		buf_cpy(dir, arg);
	} else if ((slash = strrchr(arg, '/')) == 0) {
		buf_cpy(dir, ".");
	} else {
		buf_reset(dir);
		buf_catn(dir, arg, slash > arg ? (size_t) (slash - arg) : 1);
	}
	return (0);
}
