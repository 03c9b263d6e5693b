/*
 * NAME
 *	postmap - Postern lookup table management
 * SYNOPSIS
 *	postmap [-firvw] [-c config_dir] [map_type:]file...
 *	postmap [-fv] [-c config_dir] -q key [map_type:]file...
 *	postmap [-fv] [-c config_dir] -d key [map_type:]file...
 *	postmap [-fv] [-c config_dir] -s [map_type:]file...
 * DESCRIPTION
 *	postmap builds the table map_type:file from the text file "file",
 *	one "key whitespace value" entry per logical line: lines that begin
 *	with white space continue the previous line, empty lines and lines
 *	whose first non-blank character is "#" are ignored. For the
 *	default type, hash (parameter default_database_type), the result
 *	is the Berkeley DB file file.db. It is written to a temporary file
 *	beside it and renamed into place when complete, so programs that
 *	read the table see the old version or the new one, never a mix.
 *	Running processes notice the new file by themselves.
 *
 *	A new table gets the group and other read permissions of its source
 *	file (and, when postmap runs as root, its owner); a rebuilt table
 *	keeps the permissions of the one it replaces.
 *
 *	Options:
 *	-c config_dir	read main.cf from config_dir.
 *	-d key	remove key from each table; "-" reads keys from standard
 *		input. Exit status 0 when something was removed, else 1.
 *	-f	do not lowercase keys (default: keys are lowercased when
 *		building and when querying).
 *	-i	incremental mode: add the entries read from standard input to
 *		the existing table instead of building it from file.
 *	-q key	print the value of key from the first table that has it;
 *		"-" reads keys from standard input and prints "key<TAB>value"
 *		for each one found. Exit status 0 when found, else 1.
 *	-r	when a key is already in the table, replace its value
 *		(default: keep the first value and warn).
 *	-s	print every entry as "key<TAB>value", in table order.
 *	-v	verbose logging.
 *	-w	do not warn about duplicate keys.
 *
 *	Tables of every type can be queried; only hash tables can be built,
 *	changed with -i or -d, and (with texthash and inline) listed with -s.
 * DIAGNOSTICS
 *	Problems go to standard error as "postmap: warning: ..." and
 *	"postmap: fatal: ...". A malformed input line is reported as
 *	"FILE, line N: expected format: key whitespace value" and skipped,
 *	a repeated key as "FILE, line N: duplicate entry: "key"", and the
 *	table is still built. Exit status 1 on fatal errors.
 * PARAMETERS
 *	default_database_type (hash): the type used when the argument has
 *	no "type:".
 * SEE ALSO
 *	postalias(1), maps(3), dict(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <global/cmd_init.h>
#include <global/params.h>
#include <global/dict.h>
#include <global/mapcmd.h>

/* main - the postmap command */
int
main(int argc, char **argv)
{
	struct mapcmd_args args = {.mode = MAPCMD_BUILD};
	struct mapcmd cmd = {
		.dict_flags = DICT_FLAG_FOLD,
		.parse = mapcmd_parse_postmap,
		.separator = "\t",
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
