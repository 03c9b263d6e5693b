/*
 * NAME
 *	mapcmd - what postmap and postalias have in common
 * DESCRIPTION
 *	See mapcmd.h. Tables are opened through dict(3); building and
 *	deleting go through dict_build(), so every change reaches readers
 *	as one rename.
 */
#include <util/sys_defs.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <util/argv.h>
#include <global/dict.h>
#include <global/mapcmd.h>

#define MAPCMD_PROXY	"proxy:"

/* mapcmd_on_signal - drop the half-built table, then die of the signal */
static void
mapcmd_on_signal(int sig)
{
	dict_build_abort();
	(void) signal(sig, SIG_DFL);
	(void) raise(sig);
}

/* mapcmd_catch_signals - clean up a build when killed */
void
mapcmd_catch_signals(void)
{
	static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};
	size_t	i;

	for (i = 0; i < ARRAY_LEN(sigs); i++)
		(void) signal(sigs[i], mapcmd_on_signal);
}

/* mapcmd_spec - "type:name" from a command argument */
char   *
mapcmd_spec(const char *arg, const char *default_type)
{
	struct buf *spec = buf_new(64);

	if (strchr(arg, ':') == NULL)
		buf_printf(spec, "%s:%s", default_type, arg);
	else
		buf_cpy(spec, arg);
	return (buf_steal(spec));
}

/* mapcmd_name - the name part of a spec: the source file */
static const char *
mapcmd_name(const char *spec)
{
	const char *colon;

	if (strncmp(spec, MAPCMD_PROXY, strlen(MAPCMD_PROXY)) == 0)
		spec += strlen(MAPCMD_PROXY);
	colon = strchr(spec, ':');
	return (colon ? colon + 1 : spec);
}

/* mapcmd_getline - read one physical line without its newline */
static int
mapcmd_getline(FILE *fp, struct buf *line)
{
	int	ch;

	buf_reset(line);
	while ((ch = getc(fp)) != EOF && ch != '\n')
		buf_putc(line, ch);
	if (ch == EOF && ferror(fp))
		return (-1);
	return (ch == EOF && buf_len(line) == 0 ? 0 : 1);
}

/* mapcmd_parse_postmap - "key whitespace value" */
int
mapcmd_parse_postmap(const char *line, struct buf *key, struct buf *value,
		     struct buf *why)
{
	char   *copy = xstrdup(line);
	char   *k;
	char   *v;
	int	status;

	if ((status = dict_split_line(copy, &k, &v)) < 0) {
		buf_cpy(why, "expected format: key whitespace value");
	} else {
		buf_cpy(key, k);
		buf_cpy(value, v);
	}
	free(copy);
	return (status);
}

/* mapcmd_put - add one entry, warning about a duplicate */
static int
mapcmd_put(const struct mapcmd *cmd, struct dict *dict, const char *key,
	   const char *value, const char *path, int lineno, struct buf *why)
{
	struct buf *folded;

	switch (dict_put(dict, key, value)) {
	case 0:
		return (0);
	case 1:
		if (cmd->quiet_dups)
			return (0);
		folded = buf_new(64);
		msg_warn("%s, line %d: duplicate entry: \"%s\"", path, lineno,
			 (dict->flags & DICT_FLAG_FOLD) ? dict_fold(folded, key) : key);
		buf_free(folded);
		return (0);
	default:
		buf_cpy(why, buf_str(dict->why));
		return (-1);
	}
}

/* mapcmd_fill - copy every line of fp into the table */
static int
mapcmd_fill(const struct mapcmd *cmd, struct dict *dict, FILE *fp,
	    const char *path, struct buf *why)
{
	struct buf *line = buf_new(100);
	struct buf *key = buf_new(64);
	struct buf *value = buf_new(100);
	struct buf *reason = buf_new(64);
	int	lineno = 0;
	int	first;
	int	status;

	while ((status = dict_read_line(fp, path, line, &lineno, &first)) > 0) {
		buf_reset(reason);
		if (cmd->parse(buf_str(line), key, value, reason) < 0)
			msg_warn("%s, line %d: %s", path, first, buf_str(reason));
		else if (mapcmd_put(cmd, dict, buf_str(key), buf_str(value),
				    path, first, why) < 0)
			break;
	}
	if (status < 0)
		buf_printf(why, "read %s: %m", path);
	buf_free(line);
	buf_free(key);
	buf_free(value);
	buf_free(reason);
	return (status == 0 ? 0 : -1);
}

/* mapcmd_add_extra - the entries every table of this command gets */
static int
mapcmd_add_extra(const struct mapcmd *cmd, struct dict *dict, struct buf *why)
{
	const struct mapcmd_entry *e;

	for (e = cmd->extra; e != NULL && e->key != NULL; e++) {
		if (dict_put(dict, e->key, e->value) < 0) {
			buf_cpy(why, buf_str(dict->why));
			return (-1);
		}
	}
	return (0);
}

/* mapcmd_build - make a table from its source, or add stdin to it */
int
mapcmd_build(const struct mapcmd *cmd, const char *spec, int incremental,
	     struct buf *why)
{
	const char *path = incremental ? "stdin" : mapcmd_name(spec);
	FILE   *fp = stdin;
	struct stat st;
	struct dict *dict;
	int	status = -1;

	if (!incremental && (fp = fopen(path, "re")) == NULL) {
		buf_printf(why, "open %s: %m", path);
		return (-1);
	}
	if (!incremental && fstat(fileno(fp), &st) < 0) {
		buf_printf(why, "fstat %s: %m", path);
		(void) fclose(fp);
		return (-1);
	}
	dict = dict_build(spec, cmd->dict_flags, incremental ? DICT_BUILD_COPY : 0,
			  incremental ? NULL : &st, why);
	if (dict != NULL && mapcmd_fill(cmd, dict, fp, path, why) == 0
	    && mapcmd_add_extra(cmd, dict, why) == 0)
		status = dict_commit(dict, why);
	dict_close(dict);
	if (!incremental)
		(void) fclose(fp);
	return (status);
}

/* mapcmd_open_all - open every table for lookups */
static struct dict **
mapcmd_open_all(const struct mapcmd *cmd, char **specs, struct buf *why)
{
	struct dict **dicts;
	size_t	n;
	size_t	i;

	for (n = 0; specs[n] != NULL; n++)
		 /* void */ ;
	dicts = xcalloc(n + 1, sizeof(*dicts));
	for (i = 0; i < n; i++) {
		if ((dicts[i] = dict_open(specs[i], cmd->dict_flags, NULL, why)) == NULL) {
			while (i > 0)
				dict_close(dicts[--i]);
			free(dicts);
			return (NULL);
		}
	}
	return (dicts);
}

/* mapcmd_close_all - close what mapcmd_open_all() opened */
static void
mapcmd_close_all(struct dict **dicts)
{
	struct dict **dp;

	for (dp = dicts; *dp != NULL; dp++)
		dict_close(*dp);
	free(dicts);
}

/* mapcmd_lookup - the first value for key; 1, 0 not found, -1 error */
static int
mapcmd_lookup(struct dict **dicts, const char *key, const char **value,
	      struct buf *why)
{
	struct dict **dp;

	for (dp = dicts; *dp != NULL; dp++) {
		if ((*value = dict_get(*dp, key)) != NULL)
			return (1);
		if ((*dp)->error != DICT_ERR_NONE) {
			buf_printf(why, "table %s:%s: query error: %s", (*dp)->type,
				   (*dp)->name, buf_str((*dp)->why));
			return (-1);
		}
	}
	return (0);
}

/* mapcmd_query - look one key up and print its value */
int
mapcmd_query(const struct mapcmd *cmd, char **specs, const char *key,
	     FILE *out, struct buf *why)
{
	struct dict **dicts;
	const char *value;
	int	status;

	if ((dicts = mapcmd_open_all(cmd, specs, why)) == NULL)
		return (-1);
	if ((status = mapcmd_lookup(dicts, key, &value, why)) > 0)
		fprintf(out, "%s\n", value);
	mapcmd_close_all(dicts);
	return (status);
}

/* mapcmd_query_stream - look up every key read from in */
int
mapcmd_query_stream(const struct mapcmd *cmd, char **specs, FILE *in,
		    FILE *out, struct buf *why)
{
	struct dict **dicts;
	struct buf *key = buf_new(100);
	const char *value;
	int	found = 0;
	int	status;

	if ((dicts = mapcmd_open_all(cmd, specs, why)) == NULL) {
		buf_free(key);
		return (-1);
	}
	while ((status = mapcmd_getline(in, key)) > 0) {
		if (buf_len(key) == 0)
			continue;
		if ((status = mapcmd_lookup(dicts, buf_str(key), &value, why)) < 0)
			break;
		if (status > 0) {
			fprintf(out, "%s%s%s\n", buf_str(key), cmd->separator, value);
			found = 1;
		}
	}
	if (status < 0 && buf_len(why) == 0)
		buf_printf(why, "read stdin: %m");
	mapcmd_close_all(dicts);
	buf_free(key);
	return (status < 0 ? -1 : found);
}

/* mapcmd_delete_keys - remove keys from one table; 1 if any removed */
static int
mapcmd_delete_keys(const struct mapcmd *cmd, const char *spec,
		   const struct argv *keys, struct buf *why)
{
	struct dict *dict;
	int	found = 0;
	size_t	i;
	int	status = 0;

	dict = dict_build(spec, cmd->dict_flags, DICT_BUILD_COPY | DICT_BUILD_MUST_EXIST,
			  NULL, why);
	if (dict == NULL)
		return (-1);
	for (i = 0; status >= 0 && i < keys->argc; i++) {
		if ((status = dict_del(dict, keys->argv[i])) == 0)
			found = 1;
		else if (status < 0)
			buf_cpy(why, buf_str(dict->why));
	}
	if (status >= 0 && found)
		status = dict_commit(dict, why);
	dict_close(dict);
	return (status < 0 ? -1 : found);
}

/* mapcmd_delete_all - remove keys from every table */
static int
mapcmd_delete_all(const struct mapcmd *cmd, char **specs,
		  const struct argv *keys, struct buf *why)
{
	int	found = 0;
	int	status;

	for (; *specs != NULL; specs++) {
		if ((status = mapcmd_delete_keys(cmd, *specs, keys, why)) < 0)
			return (-1);
		found |= status;
	}
	return (found);
}

/* mapcmd_delete - remove one key from every table */
int
mapcmd_delete(const struct mapcmd *cmd, char **specs, const char *key,
	      struct buf *why)
{
	struct argv *keys = argv_new(1);
	int	status;

	argv_add(keys, key);
	status = mapcmd_delete_all(cmd, specs, keys, why);
	argv_free(keys);
	return (status);
}

/* mapcmd_delete_stream - remove every key read from in */
int
mapcmd_delete_stream(const struct mapcmd *cmd, char **specs, FILE *in,
		     struct buf *why)
{
	struct argv *keys = argv_new(16);
	struct buf *line = buf_new(100);
	int	status;

	while ((status = mapcmd_getline(in, line)) > 0)
		if (buf_len(line) > 0)
			argv_add(keys, buf_str(line));
	if (status < 0)
		buf_printf(why, "read stdin: %m");
	else
		status = mapcmd_delete_all(cmd, specs, keys, why);
	argv_free(keys);
	buf_free(line);
	return (status);
}

/* mapcmd_dump - print every entry of one table */
int
mapcmd_dump(const struct mapcmd *cmd, const char *spec, FILE *out,
	    struct buf *why)
{
	struct dict *dict;
	const char *key;
	const char *value;
	int	status;
	int	first;

	if ((dict = dict_open(spec, cmd->dict_flags, NULL, why)) == NULL)
		return (-1);
	for (first = 1; (status = dict_seq(dict, first, &key, &value)) == 0; first = 0)
		fprintf(out, "%s%s%s\n", key, cmd->separator, value);
	if (status < 0)
		buf_cpy(why, buf_str(dict->why));
	dict_close(dict);
	return (status < 0 ? -1 : 0);
}

/* mapcmd_set_mode - allow only one of -s -q -d */
static int
mapcmd_set_mode(struct mapcmd_args *args, enum mapcmd_mode mode,
		struct buf *why)
{
	if (args->mode != MAPCMD_BUILD) {
		buf_cpy(why, "specify only one of -s -q or -d");
		return (-1);
	}
	args->mode = mode;
	return (0);
}

/* mapcmd_option - apply one option letter; -1 with why on error */
static int
mapcmd_option(int ch, struct mapcmd *cmd, struct mapcmd_args *args,
	      struct buf *why)
{
	switch (ch) {
	case 'c':
		args->config_dir = optarg;
		return (0);
	case 'd':
	case 'q':
		args->key = optarg;
		return (mapcmd_set_mode(args, ch == 'd' ? MAPCMD_DELETE : MAPCMD_QUERY, why));
	case 'f':
		cmd->dict_flags &= ~DICT_FLAG_FOLD;
		return (0);
	case 'i':
		args->incremental = 1;
		return (0);
	case 'r':
		cmd->dict_flags |= DICT_FLAG_DUP_REPLACE;
		return (0);
	case 's':
		return (mapcmd_set_mode(args, MAPCMD_DUMP, why));
	case 'v':
		args->verbose++;
		return (0);
	case 'w':
		cmd->quiet_dups = 1;
		return (0);
	default:
		buf_printf(why, "usage: %s [-firsvw] [-c config_dir] [-d key] "
			   "[-q key] [map_type:]file...", msg_progname());
		return (-1);
	}
}

/* mapcmd_options - parse the shared command line */
int
mapcmd_options(int argc, char **argv, struct mapcmd *cmd,
	       struct mapcmd_args *args, struct buf *why)
{
	char   *argv0 = argv[0];
	int	status = 0;
	int	ch;

	argv[0] = (char *) msg_progname();	/* for getopt() messages */
	while (status == 0 && (ch = getopt(argc, argv, "c:d:fiq:rsvw")) != -1)
		status = mapcmd_option(ch, cmd, args, why);
	argv[0] = argv0;
	if (status == 0 && optind >= argc)
		status = mapcmd_option('?', cmd, args, why);
	return (status < 0 ? -1 : optind);
}

/* mapcmd_found - exit status of a query or delete */
static int
mapcmd_found(int status)
{
	return (status < 0 ? -1 : status > 0 ? 0 : 1);
}

/* mapcmd_run - do what the options say */
int
mapcmd_run(const struct mapcmd *cmd, const struct mapcmd_args *args,
	   char **specs, struct buf *why)
{
	int	from_stdin = args->key != NULL && strcmp(args->key, "-") == 0;
	int	status = 0;

	switch (args->mode) {
	case MAPCMD_QUERY:
		return (mapcmd_found(from_stdin ?
			       mapcmd_query_stream(cmd, specs, stdin, stdout, why) :
			      mapcmd_query(cmd, specs, args->key, stdout, why)));
	case MAPCMD_DELETE:
		return (mapcmd_found(from_stdin ?
				mapcmd_delete_stream(cmd, specs, stdin, why) :
				     mapcmd_delete(cmd, specs, args->key, why)));
	case MAPCMD_DUMP:
		for (; status == 0 && *specs; specs++)
			status = mapcmd_dump(cmd, *specs, stdout, why);
		return (status);
	default:
		for (; status == 0 && *specs; specs++)
			status = mapcmd_build(cmd, *specs, args->incremental, why);
		return (status);
	}
}
