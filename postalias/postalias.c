/*
 * NAME
 *	postalias - Postern alias database maintenance
 * SYNOPSIS
 *	postalias [-firvw] [-c config_dir] [map_type:]file...
 *	postalias [-fv] [-c config_dir] -q key [map_type:]file...
 *	postalias [-fv] [-c config_dir] -d key [map_type:]file...
 *	postalias [-fv] [-c config_dir] -s [map_type:]file...
 * DESCRIPTION
 *	postalias builds the alias table map_type:file (default type from
 *	default_database_type, hash: the Berkeley DB file file.db) from the
 *	aliases(5) file "file", for local(8). Each logical line is
 *
 *	    name: value, value, ...
 *
 *	where lines that begin with white space continue the previous line
 *	and empty lines and "#" comment lines are ignored. The name is
 *	lowercased (unless -f) and may be quoted ("first last": ...); it must
 *	not contain "@". The value is stored as written, with runs of white
 *	space reduced to one space: addresses, /file, "|command" and
 *	:include:/file entries are all kept for local(8) to expand. As
 *	Postfix and Sendmail do, every table also gets the entry "@: @".
 *	The table is written to a temporary file and renamed into place, so
 *	readers never see a half-built table. Several files may be named;
 *	"sendmail -bi" and "newaliases" run postalias on every table in
 *	alias_database.
 *
 *	The options are those of postmap(1): -c config_dir, -d key (remove;
 *	"-" reads keys from standard input), -f (do not lowercase), -i
 *	(add entries from standard input), -q key (print the value; "-"
 *	reads keys and prints "key:<TAB>value"), -r (replace duplicates),
 *	-s (print every entry as "key:<TAB>value"), -v, -w (no duplicate
 *	warnings). The exit status of -q and -d is 0 when the key was found,
 *	1 when not.
 * DIAGNOSTICS
 *	"FILE, line N: need name:value pair", "FILE, line N: name must be
 *	local" and "FILE, line N: duplicate entry" are warnings; the line is
 *	skipped and the table still built. Exit status 1 on fatal errors.
 * PARAMETERS
 *	default_database_type (hash).
 * SEE ALSO
 *	postmap(1), local(8), sendmail(1)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <global/cmd_init.h>
#include <global/params.h>
#include <global/dict.h>
#include <global/mapcmd.h>
#include "postalias.h"

/* The Sendmail "database complete" marker that Postfix also writes. */
static const struct mapcmd_entry postalias_extra[] = {
	{"@", "@"},
	{NULL, NULL},
};

/* main - the postalias command */
int
main(int argc, char **argv)
{
	struct mapcmd_args args = {.mode = MAPCMD_BUILD};
	struct mapcmd cmd = {
		.dict_flags = DICT_FLAG_FOLD,
		.parse = postalias_parse,
		.separator = ":\t",
		.extra = postalias_extra,
	};
	struct buf *why = buf_new(100);
	char  **specs;
	int	first;
	int	status;
	int	i;

	msg_init(argv[0]);
	if ((first = mapcmd_options(argc, argv, &cmd, &args, why)) < 0)
		msg_fatal("%s", buf_str(why));
	cmd_init(argv[0], args.config_dir);
	msg_verbose += args.verbose;
	mapcmd_catch_signals();
	specs = xcalloc((size_t) (argc - first + 1), sizeof(*specs));
	for (i = first; i < argc; i++)
		specs[i - first] = mapcmd_spec(argv[i], var_default_database_type);
	if ((status = mapcmd_run(&cmd, &args, specs, why)) < 0)
		msg_fatal("%s", buf_str(why));
	if (fflush(stdout) != 0 || ferror(stdout))
		msg_fatal("write error on standard output: %m");
	for (i = 0; specs[i] != NULL; i++)
		free(specs[i]);
	free(specs);
	buf_free(why);
	return (status);
}
