/*
 * NAME
 *	local_include - :include: files and .forward files
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_include(struct local_state *state, const char *path,
 *			int exp_type, const struct local_user *as, int *found);
 *	int	local_dot_forward(struct local_state *state,
 *			const struct local_user *user, const char *extension,
 *			int *found);
 *	int	local_path_expand(struct buf *out, const char *pattern,
 *			const struct local_user *user, const char *address,
 *			const char *extension);
 * DESCRIPTION
 *	Both kinds of file hold destinations, one list per line, as the
 *	right-hand side of an alias; empty lines and lines starting with
 *	"#" are skipped.
 *
 *	local_include() expands ":include:path" (path must be absolute).
 *	The file is opened with the privileges of the expansion that named
 *	it (as, root meaning default_privs), must be a regular file that is
 *	not world-writable, and its destinations get the privileges of the
 *	file's owner (again root meaning default_privs), as Postfix does.
 *	Each file is expanded once per request. *found is set.
 *
 *	local_dot_forward() looks for the user's forward file: the first
 *	element of forward_path (default "$home/.forward${recipient_
 *	delimiter}${extension}, $home/.forward") that expands without an
 *	undefined name and exists. It is opened as the user, must be a
 *	regular file owned by the user, and is expanded with type
 *	"forward" and the user's privileges; *found says whether one was
 *	used. A .forward naming the user again leads to the mailbox (the
 *	file is not read a second time for the same user).
 *
 *	local_path_expand() expands $name, ${name}, ${name?text},
 *	${name:text} and $$ in a forward_path element with home, user,
 *	shell, recipient, local, domain, extension and recipient_delimiter
 *	(the first character of recipient_delimiter when the address has
 *	an extension). It returns 0, or -1 when a plain $name refers to an
 *	empty or unknown name (the element is then skipped).
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/params.h>

#include "local.h"

#define LOCAL_INCLUDE_LINE_LIMIT	4096
#define LOCAL_INCLUDE_LINES_MAX		10000

/* local_include_read - expand every line of an open file */
static int
local_include_read(struct local_state *state, int fd, const char *path,
		           int exp_type, const char *exp_from,
		           const struct local_user *owner)
{
	struct stream *in = stream_fdopen(fd, STREAM_READ);
	struct buf *line = buf_new(256);
	int	status = DELIVER_STAT_OK;
	int	how;
	long	lineno = 0;
	int	s;
	const char *cp;

	while ((how = stream_get_line(in, line, LOCAL_INCLUDE_LINE_LIMIT)) != STREAM_LINE_EOF
	       && ++lineno <= LOCAL_INCLUDE_LINES_MAX) {
		if (how == STREAM_LINE_PARTIAL) {
			msg_warn("%s, line %ld: line too long; skipped", path, lineno);
			while ((how = stream_get_line(in, line, LOCAL_INCLUDE_LINE_LIMIT))
			       == STREAM_LINE_PARTIAL)
				 /* void */ ;
			continue;
		}
		cp = buf_str(line) + strspn(buf_str(line), " \t\r");
		if (*cp == 0 || *cp == '#')
			continue;
		s = local_expand_value(state, cp, exp_type, exp_from, owner);
		if (s == DELIVER_STAT_DEFER || status == DELIVER_STAT_OK)
			status = s;
	}
	if (stream_error(in))
		status = local_leaf(state, DELIVER_STAT_DEFER, "4.3.0",
				    "error reading %s: %m", path);
	(void) stream_free(in);
	buf_free(line);
	return (status);
}

/* local_include_owner - the identity a file's destinations get */
static void
local_include_owner(uid_t uid, gid_t gid, struct local_user *owner)
{
	char	name[32];

	if (local_user_by_uid(uid, owner) == 0)
		return;
	/* No passwd entry: a name that cannot be mistaken for a user. */
	snprintf(name, sizeof(name), "#%ld", (long) uid);
	owner->name = xstrdup(name);
	owner->uid = uid;
	owner->gid = gid;
	owner->home = xstrdup("/");
	owner->shell = xstrdup("");
}

/* local_include - expand :include:path */
int
local_include(struct local_state *state, const char *path, int exp_type,
	              const struct local_user *as, int *found)
{
	struct local_user reader, owner;
	struct buf *key = buf_new(64);
	struct stat st;
	int	fd = -1;
	int	status;

	*found = 1;
	buf_printf(key, "include %s", path);
	if (*path != '/') {
		status = local_leaf(state, DELIVER_STAT_BOUNCE, "5.3.5",
				    "mail system configuration error: include file %s is not an absolute path",
				    path);
		goto out_key;
	}
	if (htable_locate(state->msg->dup, buf_str(key)) != NULL) {
		status = DELIVER_STAT_OK;
		goto out_key;
	}
	(void) htable_enter(state->msg->dup, buf_str(key), NULL);
	if (as == NULL || local_user_privs_for(as, &reader) < 0) {
		status = local_leaf(state, DELIVER_STAT_DEFER, "4.3.5",
				    "mail system configuration error: no privileges to read %s", path);
		goto out_key;
	}
	if (local_priv_enter(&reader) == 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0 && fstat(fd, &st) < 0) {
			(void) close(fd);
			fd = -1;
		}
		local_priv_leave();
	}
	local_user_free(&reader);
	if (fd < 0)
		status = local_leaf(state, DELIVER_STAT_DEFER, "4.3.0",
				    "cannot open include file %s: %m", path);
	else if (!S_ISREG(st.st_mode))
		status = local_leaf(state, DELIVER_STAT_BOUNCE, "5.3.5",
			  "mail system configuration error: %s is not a regular file", path);
	else if (st.st_mode & S_IWOTH)
		status = local_leaf(state, DELIVER_STAT_BOUNCE, "5.3.5",
			     "mail system configuration error: %s is world writable", path);
	else {
		local_include_owner(st.st_uid, st.st_gid, &owner);
		status = local_include_read(state, fd, path, exp_type, path, &owner);
		local_user_free(&owner);
	}
	if (fd >= 0)
		(void) close(fd);
out_key:
	buf_free(key);
	return (status);
}

/* local_path_value - the value of a forward_path name, or NULL */
static const char *
local_path_value(const char *name, size_t len, const struct local_user *user,
		         const char *address, const char *extension,
		         struct buf *scratch)
{
	struct buf *u = buf_new(32), *e = buf_new(32), *d = buf_new(32);
	const char *value = NULL;

#define LOCAL_NAME_IS(s) (len == sizeof(s) - 1 && strncmp(name, s, len) == 0)

	local_split_address(address, u, e, d);
	if (LOCAL_NAME_IS("home"))
		value = user->home;
	else if (LOCAL_NAME_IS("user"))
		value = user->name;
	else if (LOCAL_NAME_IS("shell"))
		value = user->shell;
	else if (LOCAL_NAME_IS("recipient"))
		value = address;
	else if (LOCAL_NAME_IS("local"))
		value = buf_str(buf_cpy(scratch, buf_str(u)));
	else if (LOCAL_NAME_IS("domain"))
		value = buf_str(buf_cpy(scratch, buf_str(d)));
	else if (LOCAL_NAME_IS("extension"))
		value = extension;
	else if (LOCAL_NAME_IS("recipient_delimiter") && extension && *extension
		 && *var_recipient_delimiter) {
		buf_cpy(scratch, "");
		buf_putc(scratch, *var_recipient_delimiter);
		value = buf_str(scratch);
	}
	buf_free(u);
	buf_free(e);
	buf_free(d);
	return (value && *value ? value : NULL);
}

/* local_path_expand - expand a forward_path element */
int
local_path_expand(struct buf *out, const char *pattern, const struct local_user *user,
		          const char *address, const char *extension)
{
	struct buf *scratch = buf_new(32);
	const char *cp = pattern;
	const char *name, *end, *value;
	size_t	len;
	int	ret = 0;

	buf_reset(out);
	while (*cp && ret == 0) {
		if (*cp != '$') {
			buf_putc(out, *cp++);
			continue;
		}
		if (*++cp == '$') {
			buf_putc(out, *cp++);
			continue;
		}
		if (*cp == '{') {
			name = ++cp;
			if ((end = strchr(cp, '}')) == NULL) {
				ret = -1;
				break;
			}
			len = strcspn(name, "?:}");
			value = local_path_value(name, len, user, address, extension, scratch);
			if (name[len] == '?') {
				if (value)
					buf_catn(out, name + len + 1, (size_t) (end - name - len - 1));
			} else if (name[len] == ':') {
				if (value)
					buf_cat(out, value);
				else
					buf_catn(out, name + len + 1, (size_t) (end - name - len - 1));
			} else if (value)
				buf_cat(out, value);
			else
				ret = -1;
			cp = end + 1;
		} else {
			name = cp;
			len = strspn(cp, "abcdefghijklmnopqrstuvwxyz_");
			if ((value = local_path_value(name, len, user, address, extension,
						      scratch)) == NULL)
				ret = -1;
			else
				buf_cat(out, value);
			cp += len;
		}
	}
	buf_free(scratch);
	return (ret);
}

/* local_dot_forward_open - open a forward file as the user */
static int
local_dot_forward_open(const char *path, const struct local_user *user,
		               struct stat *st)
{
	int	fd = -1;
	int	saved;

	if (local_priv_enter(user) < 0)
		return (-1);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) >= 0
	    && fstat(fd, st) < 0) {
		(void) close(fd);
		fd = -1;
	}
	saved = errno;
	local_priv_leave();
	errno = saved;
	return (fd);
}

/* local_dot_forward - expand the user's .forward, if any */
int
local_dot_forward(struct local_state *state, const struct local_user *user,
		          const char *extension, int *found)
{
	struct argv *patterns;
	struct buf *path = buf_new(128);
	struct buf *key = buf_new(128);
	struct stat st;
	int	status = DELIVER_STAT_OK;
	size_t	i;
	int	fd;

	*found = 0;
	if (state->exp_type == LOCAL_EXP_FORWARD && state->exp_from
	    && strcmp(state->exp_from, user->name) == 0)
		goto out;
	patterns = local_list_split(var_forward_path);
	for (i = 0; i < patterns->argc && !*found; i++) {
		if (local_path_expand(path, patterns->argv[i], user, state->address, extension) < 0
		    || *buf_str(path) != '/')
			continue;
		buf_printf(key, "forward-file %s", buf_str(path));
		if (htable_locate(state->msg->dup, buf_str(key)) != NULL) {
			*found = 1;		/* expanded earlier in this request */
			break;
		}
		if ((fd = local_dot_forward_open(buf_str(path), user, &st)) < 0)
			continue;
		if (!S_ISREG(st.st_mode) || (local_is_privileged() && st.st_uid != user->uid)) {
			msg_warn("file %s has bad type or owner; ignored", buf_str(path));
			(void) close(fd);
			continue;
		}
		(void) htable_enter(state->msg->dup, buf_str(key), NULL);
		*found = 1;
		status = local_include_read(state, fd, buf_str(path), LOCAL_EXP_FORWARD,
					    user->name, user);
		(void) close(fd);
	}
	argv_free(patterns);
out:
	buf_free(path);
	buf_free(key);
	return (status);
}
