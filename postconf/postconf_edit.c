/*
 * NAME
 *	postconf_edit - change main.cf in place (-e, -X, -#)
 * SYNOPSIS
 *	#include "postconf.h"
 * DESCRIPTION
 *	See postconf.h. Parameters are matched by name, an alias spelling
 *	matching its Postfix name. A parameter set more than once keeps its
 *	first place; the other settings are removed. Comment and blank lines
 *	inside a multi-line setting stay.
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <global/params.h>
#include "postconf.h"

enum pc_action {
	PC_KEEP, PC_DELETE, PC_REPLACE, PC_COMMENT,
};

/* One main.cf setting and its physical lines. */
struct pc_setting {
	char   *name;
	int	first;
	int	last;
};

/* Edit state: physical lines and what to do with each. */
struct pc_edit {
	struct argv *lines;		/* physical lines, without newline */
	enum pc_action *action;		/* per line, index = line number - 1 */
	char  **replacement;
	struct pc_setting *settings;
	size_t	count;
	struct argv *append;		/* new "name = value" lines */
};

/* pc_collect - params_parse_text() callback */
static int
pc_collect(const char *name, const char *value, int first, int last, void *ctx)
{
	struct pc_edit *ed = ctx;

	(void) value;
	ed->settings = xreallocarray(ed->settings, ed->count + 1,
				     sizeof(*ed->settings));
	ed->settings[ed->count].name = xstrdup(name);
	ed->settings[ed->count].first = first;
	ed->settings[ed->count].last = last;
	ed->count++;
	return (0);
}

/* pc_is_setting_line - not blank and not a comment */
static int
pc_is_setting_line(const char *line)
{
	while (isspace((unsigned char) *line))
		line++;
	return (*line != 0 && *line != '#');
}

/* pc_mark - set the action of a setting's lines */
static void
pc_mark(struct pc_edit *ed, const struct pc_setting *sp, enum pc_action action)
{
	int	l;

	for (l = sp->first; l <= sp->last; l++)
		if (pc_is_setting_line(ed->lines->argv[l - 1]))
			ed->action[l - 1] = action;
}

/* pc_split_arg - "name=value" or "name" into its trimmed parts */
static int
pc_split_arg(const char *arg, int want_value, struct buf *name,
	     struct buf *value, struct buf *why)
{
	const char *eq = strchr(arg, '=');
	const char *end = eq ? eq : arg + strlen(arg);
	const char *vp;

	if (want_value && eq == NULL) {
		buf_printf(why, "-e accepts only name=value arguments, got \"%s\"", arg);
		return (-1);
	}
	if (!want_value && eq != NULL) {
		buf_printf(why, "expected a parameter name, got \"%s\"", arg);
		return (-1);
	}
	while (arg < end && isspace((unsigned char) *arg))
		arg++;
	while (end > arg && isspace((unsigned char) end[-1]))
		end--;
	buf_reset(name);
	buf_catn(name, arg, (size_t) (end - arg));
	if (buf_len(name) == 0 || strcspn(buf_str(name), " \t$={}#") != buf_len(name)) {
		buf_printf(why, "bad parameter name \"%s\"", buf_str(name));
		return (-1);
	}
	if (want_value) {
		for (vp = eq + 1; isspace((unsigned char) *vp); vp++)
			 /* void */ ;
		buf_cpy(value, vp);
		while (buf_len(value) && isspace((unsigned char) buf_str(value)[buf_len(value) - 1]))
			buf_truncate(value, buf_len(value) - 1);
		if (strchr(buf_str(value), '\n')) {
			buf_printf(why, "%s: value must not contain a newline", buf_str(name));
			return (-1);
		}
	}
	return (0);
}

/* pc_apply - one -e, -X or -# argument */
static int
pc_apply(struct pc_edit *ed, int mode, const char *arg, struct buf *why)
{
	struct buf *name = buf_new(64), *value = buf_new(64), *line = buf_new(128);
	const char *canon;
	size_t	i;
	int	matched = 0;

	if (pc_split_arg(arg, mode == PC_EDIT_SET, name, value, why) < 0) {
		buf_free(name);
		buf_free(value);
		buf_free(line);
		return (-1);
	}
	canon = params_canonical_name(buf_str(name));
	buf_printf(line, "%s = %s", buf_str(name), buf_str(value));
	for (i = 0; i < ed->count; i++) {
		if (strcmp(params_canonical_name(ed->settings[i].name), canon) != 0)
			continue;
		if (mode == PC_EDIT_COMMENT) {
			pc_mark(ed, ed->settings + i, PC_COMMENT);
			continue;
		}
		pc_mark(ed, ed->settings + i, PC_DELETE);
		if (mode == PC_EDIT_SET && !matched) {
			ed->action[ed->settings[i].first - 1] = PC_REPLACE;
			free(ed->replacement[ed->settings[i].first - 1]);
			ed->replacement[ed->settings[i].first - 1] = xstrdup(buf_str(line));
		}
		matched = 1;
	}
	for (i = 0; i < ed->append->argc; i++) {
		if (strncmp(ed->append->argv[i], buf_str(name), buf_len(name)) == 0
		    && strncmp(ed->append->argv[i] + buf_len(name), " = ", 3) == 0) {
			free(ed->append->argv[i]);
			ed->append->argv[i] = xstrdup(mode == PC_EDIT_SET ?
						buf_str(line) : "");
			matched = 1;
		}
	}
	if (mode == PC_EDIT_SET && !matched)
		argv_add(ed->append, buf_str(line));
	buf_free(name);
	buf_free(value);
	buf_free(line);
	return (0);
}

/* pc_output - the edited text */
static void
pc_output(const struct pc_edit *ed, struct buf *out)
{
	size_t	i;

	for (i = 0; i < ed->lines->argc; i++) {
		switch (ed->action[i]) {
		case PC_KEEP:
			buf_appendf(out, "%s\n", ed->lines->argv[i]);
			break;
		case PC_REPLACE:
			buf_appendf(out, "%s\n", ed->replacement[i]);
			break;
		case PC_COMMENT:
			buf_appendf(out, "#%s\n", ed->lines->argv[i]);
			break;
		case PC_DELETE:
			break;
		}
	}
	for (i = 0; i < ed->append->argc; i++)
		if (*ed->append->argv[i])
			buf_appendf(out, "%s\n", ed->append->argv[i]);
}

/* pc_split_lines - physical lines of a text */
static struct argv *
pc_split_lines(const char *text)
{
	struct argv *lines = argv_new(64);
	const char *nl;

	while (*text) {
		nl = strchr(text, '\n');
		argv_addn(lines, text, nl ? (size_t) (nl - text) : strlen(text));
		text = nl ? nl + 1 : text + strlen(text);
	}
	return (lines);
}

/* postconf_edit_text - apply edits to main.cf text */
int
postconf_edit_text(const char *path, const char *text, int mode, char **args,
		   struct buf *out, struct buf *why)
{
	struct pc_edit ed;
	size_t	i;
	int	ret;

	memset(&ed, 0, sizeof(ed));
	ed.lines = pc_split_lines(text);
	ed.action = xcalloc(ed.lines->argc + 1, sizeof(*ed.action));
	ed.replacement = xcalloc(ed.lines->argc + 1, sizeof(char *));
	ed.append = argv_new(4);
	ret = params_parse_text(path, text, pc_collect, &ed, why);
	for (; ret == 0 && args && *args; args++)
		ret = pc_apply(&ed, mode, *args, why);
	if (ret == 0)
		pc_output(&ed, out);
	for (i = 0; i < ed.lines->argc; i++)
		free(ed.replacement[i]);
	for (i = 0; i < ed.count; i++)
		free(ed.settings[i].name);
	free(ed.settings);
	free(ed.replacement);
	free(ed.action);
	argv_free(ed.lines);
	argv_free(ed.append);
	return (ret);
}

/* pc_read - a whole file; a missing file reads as empty */
static int
pc_read(const char *path, struct buf *text, mode_t *mode, struct buf *why)
{
	char	chunk[8192];
	struct stat st;
	ssize_t	n;
	int	fd;

	*mode = 0644;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return (0);
		buf_printf(why, "open %s: %m", path);
		return (-1);
	}
	if (fstat(fd, &st) == 0)
		*mode = st.st_mode & 07777;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_printf(why, "read %s: %m", path);
			close(fd);
			return (-1);
		}
		buf_catn(text, chunk, (size_t) n);
	}
	close(fd);
	return (0);
}

/* pc_write_all - write a buffer completely */
static int
pc_write_all(int fd, const char *data, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, data, len)) < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		data += n;
		len -= (size_t) n;
	}
	return (0);
}

/* pc_sync_dir - make a rename durable */
static void
pc_sync_dir(const char *path)
{
	char   *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int	fd;

	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	else {
		free(dir);
		dir = xstrdup(".");
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void) fsync(fd);
		close(fd);
	}
	free(dir);
}

/* pc_replace - write a temporary file and rename it over path */
static int
pc_replace(const char *path, const struct buf *text, mode_t mode, struct buf *why)
{
	struct buf *tmp = buf_new(256);
	int	fd, ret = -1;

	buf_printf(tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(buf_str(tmp))) < 0) {
		buf_printf(why, "create temporary file for %s: %m", path);
		buf_free(tmp);
		return (-1);
	}
	if (fchmod(fd, mode) < 0 || pc_write_all(fd, buf_str(text), buf_len(text)) < 0
	    || fsync(fd) < 0) {
		buf_printf(why, "write %s: %m", buf_str(tmp));
		close(fd);
		goto out;
	}
	if (close(fd) < 0) {
		buf_printf(why, "close %s: %m", buf_str(tmp));
		goto out;
	}
	if (rename(buf_str(tmp), path) < 0) {
		buf_printf(why, "rename %s to %s: %m", buf_str(tmp), path);
		goto out;
	}
	pc_sync_dir(path);
	ret = 0;
out:
	if (ret < 0)
		(void) unlink(buf_str(tmp));
	buf_free(tmp);
	return (ret);
}

/* postconf_edit_file - edit main.cf in place, atomically */
int
postconf_edit_file(const char *path, int mode, char **args, struct buf *why)
{
	struct buf *text = buf_new(8192), *out = buf_new(8192);
	mode_t	file_mode;
	int	ret;

	ret = pc_read(path, text, &file_mode, why);
	if (ret == 0)
		ret = postconf_edit_text(path, buf_str(text), mode, args, out, why);
	if (ret == 0)
		ret = pc_replace(path, out, file_mode, why);
	buf_free(text);
	buf_free(out);
	return (ret);
}
