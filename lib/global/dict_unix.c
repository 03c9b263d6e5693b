/*
 * NAME
 *	dict_unix - the system user and group databases as tables
 * SYNOPSIS
 *	#include <global/dict.h>
 *
 *	struct dict *dict_unix_open(const char *name, int flags,
 *		struct buf *why);
 * DESCRIPTION
 *	unix:passwd.byname looks a key up with getpwnam(3) and answers the
 *	passwd(5) line "name:passwd:uid:gid:gecos:directory:shell"; this is
 *	what the default local_recipient_maps uses to accept mail for local
 *	users. unix:group.byname uses getgrnam(3) and answers
 *	"name:passwd:gid:member,member".
 * DIAGNOSTICS
 *	Any other name fails the open. A system error during a lookup (not
 *	a missing name) is a temporary lookup error; so is a name not found
 *	while /etc/passwd (/etc/group) is not visible, as in a chroot jail,
 *	where no lookup can be answered.
 * SEE ALSO
 *	dict(3)
 */
#include <util/sys_defs.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <global/dict.h>

 /*
  * The files behind the databases; when one is missing (a chroot jail)
  * every lookup is a temporary error.
  */
#define DICT_UNIX_PASSWD	"/etc/passwd"
#define DICT_UNIX_GROUP		"/etc/group"

struct dict_unix {
	struct dict dict;
	struct buf *result;
};

/* dict_unix_failed - a NULL result: not found, or a system error? */
static void
dict_unix_failed(struct dict *dict, int saved_errno, const char *file)
{

	/*
	 * Inside a chroot jail the database file is not there, and the C
	 * library then reports "no such name" (errno 0 or ENOENT, depending
	 * on the nsswitch modules loaded). A lookup that cannot be answered
	 * must not say "no such user".
	 */
	if (access(file, F_OK) < 0) {
		dict->error = DICT_ERR_RETRY;
		buf_printf(dict->why, "unix:%s lookup: %s not visible (chroot jail?)",
			   dict->name, file);
		return;
	}
	switch (saved_errno) {
	case 0:
	case ENOENT:
	case ESRCH:
	case EBADF:
	case EPERM:
		return;				/* the name does not exist */
	default:
		break;
	}
	dict->error = DICT_ERR_RETRY;
	errno = saved_errno;
	buf_printf(dict->why, "unix:%s lookup: %m", dict->name);
}

/* dict_unix_passwd - look up a user */
static const char *
dict_unix_passwd(struct dict *dict, const char *key)
{
	struct dict_unix *du = (struct dict_unix *) dict;
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(key)) == NULL) {
		dict_unix_failed(dict, errno, DICT_UNIX_PASSWD);
		return (NULL);
	}
	buf_printf(du->result, "%s:%s:%ld:%ld:%s:%s:%s", pw->pw_name,
		   pw->pw_passwd, (long) pw->pw_uid, (long) pw->pw_gid,
		   pw->pw_gecos, pw->pw_dir, pw->pw_shell);
	return (buf_str(du->result));
}

/* dict_unix_group - look up a group */
static const char *
dict_unix_group(struct dict *dict, const char *key)
{
	struct dict_unix *du = (struct dict_unix *) dict;
	struct group *gr;
	char  **member;

	errno = 0;
	if ((gr = getgrnam(key)) == NULL) {
		dict_unix_failed(dict, errno, DICT_UNIX_GROUP);
		return (NULL);
	}
	buf_printf(du->result, "%s:%s:%ld:", gr->gr_name, gr->gr_passwd,
		   (long) gr->gr_gid);
	for (member = gr->gr_mem; *member; member++)
		buf_appendf(du->result, "%s%s", member == gr->gr_mem ? "" : ",",
			    *member);
	return (buf_str(du->result));
}

/* dict_unix_close - free the table */
static void
dict_unix_close(struct dict *dict)
{
	buf_free(((struct dict_unix *) dict)->result);
	dict_free(dict);
}

/* dict_unix_open - pick the database by name */
struct dict *
dict_unix_open(const char *name, int flags, struct buf *why)
{
	struct dict_unix *du;
	const char *(*lookup) (struct dict *, const char *);

	if (strcmp(name, "passwd.byname") == 0)
		lookup = dict_unix_passwd;
	else if (strcmp(name, "group.byname") == 0)
		lookup = dict_unix_group;
	else {
		buf_printf(why, "unknown table: unix:%s", name);
		return (NULL);
	}
	du = (struct dict_unix *) dict_alloc(sizeof(*du), "unix", name, flags);
	du->dict.lookup = lookup;
	du->dict.close = dict_unix_close;
	du->result = buf_new(100);
	return (&du->dict);
}
