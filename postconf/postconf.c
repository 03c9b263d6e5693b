/*
 * NAME
 *	postconf - Postern configuration utility
 * SYNOPSIS
 *	postconf [-dfhnx] [-c config_dir] [-o name=value] [parameter ...]
 *	postconf [-c config_dir] -e name=value ...
 *	postconf [-c config_dir] -X parameter ...
 *	postconf [-c config_dir] -# parameter ...
 *	postconf [-f] [-c config_dir] -M [service[/type] ...]
 *	postconf -m
 * DESCRIPTION
 *	As Postfix's postconf. Without options, every parameter is shown as
 *	"name = value" with its value from main.cf or its default, before
 *	$name expansion, sorted by name; names as arguments show just
 *	those.
 *	.IP -c config_dir
 *	The main.cf and master.cf directory (default: $MAIL_CONFIG, else
 *	/etc/postern).
 *	.IP -d
 *	Show default values.
 *	.IP -n
 *	Show only parameters set in main.cf, and warn about names in main.cf
 *	that no part of Postern uses, with a "did you mean" suggestion.
 *	.IP -h
 *	Show values only, without "name = ".
 *	.IP -x
 *	Expand $name references in the values shown.
 *	.IP -f
 *	Fold long lines.
 *	.IP "-o name=value"
 *	Override a main.cf setting for this command.
 *	.IP "-e name=value ..."
 *	Change main.cf: a parameter already set keeps its place, a new one
 *	is appended; comments and other lines stay. The file is replaced
 *	atomically.
 *	.IP "-X parameter ..."
 *	Remove settings from main.cf.
 *	.IP "-# parameter ..."
 *	Comment out settings in main.cf.
 *	.IP -M
 *	Show master.cf entries, all or those selected as service or
 *	service/type, in Postfix's column layout.
 *	.IP -m
 *	List the supported lookup table types.
 * DIAGNOSTICS
 *	"postconf: warning: NAME: unknown parameter" for an unknown name
 *	argument. Problems with main.cf or master.cf, such as a bad line, are
 *	fatal with the file and line. Exit status 0 on success, 1 on error.
 * SECURITY
 *	Runs with the privileges of its user; -e, -X and -# need write
 *	access to the configuration directory.
 * SEE ALSO
 *	params(3), mastercf(3), docs/parameters.md
 */
#include <util/sys_defs.h>
#include <getopt.h>
#include <unistd.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/params.h>
#include <global/cmd_init.h>
#include "postconf.h"

#define PC_USAGE "usage: postconf [-dfhmnx] [-c config_dir] [-o name=value] " \
	"[-e name=value | -X name | -# name | -M [service[/type]]] [name ...]"

/* Command-line options. */
struct pc_opts {
	const char *config_dir;
	int	flags;			/* PC_SHOW_* */
	int	edit_mode;		/* PC_EDIT_*, 0 = none */
	int	is_master;		/* -M */
	int	is_types;		/* -m */
	struct argv *overrides;		/* -o */
};

/* pc_set_edit - one edit mode at a time */
static void
pc_set_edit(struct pc_opts *opts, int mode)
{
	if (opts->edit_mode && opts->edit_mode != mode)
		msg_fatal("%s", PC_USAGE);
	opts->edit_mode = mode;
}

/* pc_options - parse the command line */
static int
pc_options(int argc, char **argv, struct pc_opts *opts)
{
	int	ch;

	memset(opts, 0, sizeof(*opts));
	opts->overrides = argv_new(4);
	while ((ch = getopt(argc, argv, "c:defhmMno:xX#v")) != -1) {
		switch (ch) {
		case 'c': opts->config_dir = optarg; break;
		case 'd': opts->flags |= PC_SHOW_DEFAULTS; break;
		case 'e': pc_set_edit(opts, PC_EDIT_SET); break;
		case 'f': opts->flags |= PC_SHOW_FOLD; break;
		case 'h': opts->flags |= PC_SHOW_VALUE_ONLY; break;
		case 'm': opts->is_types = 1; break;
		case 'M': opts->is_master = 1; break;
		case 'n': opts->flags |= PC_SHOW_NONDEFAULT; break;
		case 'o': argv_add(opts->overrides, optarg); break;
		case 'x': opts->flags |= PC_SHOW_EXPAND; break;
		case 'X': pc_set_edit(opts, PC_EDIT_REMOVE); break;
		case '#': pc_set_edit(opts, PC_EDIT_COMMENT); break;
		case 'v': msg_verbose++; break;
		default: msg_fatal("%s", PC_USAGE);
		}
	}
	if ((opts->flags & PC_SHOW_DEFAULTS) && (opts->flags & PC_SHOW_NONDEFAULT))
		msg_fatal("specify one of -d and -n");
	if (opts->edit_mode && optind == argc)
		msg_fatal("%s", PC_USAGE);
	return (optind);
}

/* pc_flush - write output, fatal on error */
static void
pc_flush(const struct buf *out)
{
	if (fwrite(buf_str(out), 1, buf_len(out), stdout) != buf_len(out)
	    || fflush(stdout) != 0)
		msg_fatal("write to standard output: %m");
}

/* pc_edit - -e, -X, -# */
static int
pc_edit(const char *config_dir, int mode, char **args)
{
	struct buf *path = buf_new(256), *why = buf_new(100);

	buf_printf(path, "%s/main.cf", config_dir);
	if (postconf_edit_file(buf_str(path), mode, args, why) < 0)
		msg_fatal("%s", buf_str(why));
	buf_free(path);
	buf_free(why);
	return (0);
}

/* pc_master - -M */
static int
pc_master(const char *config_dir, int flags, char **selectors)
{
	struct buf *path = buf_new(256), *why = buf_new(100), *out = buf_new(4096);

	buf_printf(path, "%s/master.cf", config_dir);
	if (postconf_show_master(buf_str(path), flags, selectors, out, why) < 0)
		msg_fatal("%s", buf_str(why));
	pc_flush(out);
	buf_free(path);
	buf_free(why);
	buf_free(out);
	return (0);
}

/* pc_params - show parameters */
static int
pc_params(const char *config_dir, const struct pc_opts *opts, char **names)
{
	struct buf *why = buf_new(100), *out = buf_new(16384);
	int	load_flags = (opts->flags & PC_SHOW_EXPAND) ? 0 : PARAMS_LOAD_RAW;
	size_t	i;

	if (opts->flags & PC_SHOW_DEFAULTS)
		params_reset_defaults();
	else if (params_load_flags(config_dir, load_flags, why) < 0)
		msg_fatal("%s", buf_str(why));
	for (i = 0; i < opts->overrides->argc; i++)
		if (params_override(opts->overrides->argv[i], why) < 0)
			msg_fatal("-o %s: %s", opts->overrides->argv[i], buf_str(why));
	if ((opts->flags & PC_SHOW_NONDEFAULT) && *names == NULL)
		postconf_check_names(config_dir);
	(void) postconf_show_params(opts->flags, names, out);
	pc_flush(out);
	buf_free(why);
	buf_free(out);
	return (0);
}

/* main - dispatch by mode */
int
main(int argc, char **argv)
{
	struct pc_opts opts;
	const char *config_dir;
	int	first, status;

	cmd_fix_fds();
	msg_init(argv[0]);
	msg_to_stderr(MSG_STDERR_SHORT);
	first = pc_options(argc, argv, &opts);
	config_dir = config_dir_resolve(opts.config_dir);
	if (opts.is_types) {
		fputs("cidr\nhash\ninline\nstatic\ntexthash\n", stdout);
		status = fflush(stdout) ? 1 : 0;
	} else if (opts.edit_mode) {
		status = pc_edit(config_dir, opts.edit_mode, argv + first);
	} else if (opts.is_master) {
		status = pc_master(config_dir, opts.flags, argv + first);
	} else {
		status = pc_params(config_dir, &opts, argv + first);
	}
	argv_free(opts.overrides);
	return (status);
}
