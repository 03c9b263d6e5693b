/*
 * NAME
 *	dict_hash - Berkeley DB hash tables built by postmap
 * SYNOPSIS
 *	#include <global/dict.h>
 *
 *	struct dict *dict_hash_open(const char *name, int flags,
 *		struct buf *why);
 *	struct dict *dict_hash_build(const char *name, int flags, int how,
 *		const struct stat *like, struct buf *why);
 *	void	dict_build_abort(void);
 * DESCRIPTION
 *	A hash:NAME table is the Berkeley DB 5 DB_HASH file NAME.db. As
 *	Postfix does on Linux, keys and values are stored with their
 *	terminating null byte; lookups also try keys without it, so tables
 *	made by other programs work too.
 *
 *	dict_hash_open() opens NAME.db read-only. With DICT_FLAG_WARN_STALE
 *	it warns when the source file NAME is newer than the table.
 *
 *	dict_hash_build() writes a new table into a temporary file
 *	NAME.db.XXXXXX in the same directory, holding an exclusive lock on
 *	the directory so builders take turns; commit closes the database,
 *	sets its permissions, flushes it to disk and renames it over NAME.db,
 *	then flushes the directory. Until then readers keep seeing the old
 *	table. With DICT_BUILD_COPY the existing entries are copied first.
 *	Temporary files of this table left by a builder that died are
 *	removed (with the lock held no other builder can be using them).
 *
 *	dict_build_abort() removes the temporary file of the build in
 *	progress; it is async-signal-safe, for a signal handler.
 * DIAGNOSTICS
 *	Errors name the database file and give the Berkeley DB reason.
 * SEE ALSO
 *	dict(3), postmap(1)
 */
#include <util/sys_defs.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <db.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <global/dict.h>

#define DICT_HASH_TRY1NULL	(1 << 0)	/* key stored with null byte */
#define DICT_HASH_TRY0NULL	(1 << 1)	/* key stored without */
#define DICT_HASH_BUILD_CACHE	(16 * 1024 * 1024)

struct dict_hash {
	struct dict dict;
	DB     *db;
	DBC    *cursor;
	char   *db_path;		/* NAME.db */
	int	try_null;		/* DICT_HASH_TRY*NULL */
	struct buf *key_buf;		/* sequence result */
	struct buf *value_buf;		/* lookup result */
	/* Build state. */
	char   *tmp_path;		/* NULL once renamed or for readers */
	int	tmp_fd;			/* the temporary file, or -1 */
	int	dir_fd;			/* locked directory, or -1 */
	struct stat model;		/* permissions for the new file */
	int	model_kind;		/* DICT_HASH_MODEL_* */
};

#define DICT_HASH_MODEL_NONE	0	/* 0644 minus umask */
#define DICT_HASH_MODEL_DB	1	/* the table being replaced */
#define DICT_HASH_MODEL_SOURCE	2	/* the source text file */

static char dict_hash_errtext[256];

/* The temporary file of the build in progress, for dict_build_abort(). */
static char dict_hash_active_tmp[4096];
static volatile sig_atomic_t dict_hash_has_active;

#define DICT_HASH_TMP_SUFFIX	".XXXXXX"

/* dict_hash_set_active - remember or forget the temporary file */
static void
dict_hash_set_active(const char *path)
{
	dict_hash_has_active = 0;
	if (path != NULL && strlen(path) < sizeof(dict_hash_active_tmp)) {
		snprintf(dict_hash_active_tmp, sizeof(dict_hash_active_tmp), "%s", path);
		dict_hash_has_active = 1;
	}
}

/* dict_build_abort - remove the temporary file of a build in progress */
void
dict_build_abort(void)
{
	if (dict_hash_has_active) {
		dict_hash_has_active = 0;
		(void) unlink(dict_hash_active_tmp);
	}
}

/* dict_hash_errcall - keep Berkeley DB's own error text */
static void
dict_hash_errcall(const DB_ENV *env, const char *prefix, const char *text)
{
	(void) env;
	(void) prefix;
	snprintf(dict_hash_errtext, sizeof(dict_hash_errtext), "%s", text);
}

/* dict_hash_reason - "what path: reason" for a Berkeley DB error */
static void
dict_hash_reason(struct buf *why, const char *what, const char *path, int ret)
{
	const char *detail = strrchr(dict_hash_errtext, ':');

	/* Berkeley DB says "BDB0004 fop_read_meta: PATH: text"; keep text. */
	detail = detail ? detail + 1 : dict_hash_errtext;
	while (*detail == ' ')
		detail++;
	buf_printf(why, "%s %s: %s", what, path, db_strerror(ret));
	if (*detail)
		buf_appendf(why, " (%s)", detail);
	dict_hash_errtext[0] = 0;
}

/* dict_hash_db_open - open a DB_HASH file */
static DB *
dict_hash_db_open(const char *path, u_int32_t db_flags, u_int32_t cache,
		  struct buf *why)
{
	DB     *db;
	int	ret;

	dict_hash_errtext[0] = 0;
	if ((ret = db_create(&db, NULL, 0)) != 0) {
		dict_hash_reason(why, "create database handle for", path, ret);
		return (NULL);
	}
	db->set_errcall(db, dict_hash_errcall);
	if (cache != 0 && (ret = db->set_cachesize(db, 0, cache, 0)) != 0) {
		dict_hash_reason(why, "set cache size of", path, ret);
		(void) db->close(db, 0);
		return (NULL);
	}
	if ((ret = db->open(db, NULL, path, NULL, DB_HASH, db_flags, 0600)) != 0) {
		dict_hash_reason(why, "open database", path, ret);
		(void) db->close(db, 0);
		return (NULL);
	}
	return (db);
}

/* dict_hash_fail - record a lookup/update error */
static void
dict_hash_fail(struct dict_hash *dh, const char *what, int ret)
{
	dh->dict.error = DICT_ERR_RETRY;
	dict_hash_reason(dh->dict.why, what, dh->db_path, ret);
}

/* dict_hash_copy_out - copy a DBT into a buffer, dropping one end null */
static const char *
dict_hash_copy_out(struct buf *out, const DBT *dbt)
{
	size_t	len = dbt->size;

	if (len > 0 && ((const char *) dbt->data)[len - 1] == 0)
		len--;
	buf_reset(out);
	buf_catn(out, dbt->data, len);
	return (buf_str(out));
}

/* dict_hash_get - look up a key with or without its null byte */
static int
dict_hash_get(struct dict_hash *dh, const char *key, int with_null, DBT *value)
{
	DBT	k;

	memset(&k, 0, sizeof(k));
	memset(value, 0, sizeof(*value));
	k.data = (void *) key;
	k.size = (u_int32_t) strlen(key) + (with_null ? 1 : 0);
	dict_hash_errtext[0] = 0;
	return (dh->db->get(dh->db, NULL, &k, value, 0));
}

/* dict_hash_lookup - find one key */
static const char *
dict_hash_lookup(struct dict *dict, const char *key)
{
	struct dict_hash *dh = (struct dict_hash *) dict;
	static const int tries[] = {DICT_HASH_TRY1NULL, DICT_HASH_TRY0NULL};
	DBT	value;
	size_t	i;
	int	ret;

	for (i = 0; i < ARRAY_LEN(tries); i++) {
		if ((dh->try_null & tries[i]) == 0)
			continue;
		ret = dict_hash_get(dh, key, tries[i] == DICT_HASH_TRY1NULL, &value);
		if (ret == 0) {
			dh->try_null = tries[i];
			return (dict_hash_copy_out(dh->value_buf, &value));
		}
		if (ret != DB_NOTFOUND) {
			dict_hash_fail(dh, "read database", ret);
			return (NULL);
		}
	}
	return (NULL);
}

/* dict_hash_update - store one entry */
static int
dict_hash_update(struct dict *dict, const char *key, const char *value)
{
	struct dict_hash *dh = (struct dict_hash *) dict;
	DBT	k;
	DBT	v;
	int	ret;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *) key;
	k.size = (u_int32_t) strlen(key) + 1;
	v.data = (void *) value;
	v.size = (u_int32_t) strlen(value) + 1;
	dict_hash_errtext[0] = 0;
	ret = dh->db->put(dh->db, NULL, &k, &v,
		       (dict->flags & DICT_FLAG_DUP_REPLACE) ? 0 : DB_NOOVERWRITE);
	if (ret == DB_KEYEXIST)
		return (1);
	if (ret != 0) {
		dict_hash_fail(dh, "write database", ret);
		return (-1);
	}
	return (0);
}

/* dict_hash_remove - delete one key, with or without null byte */
static int
dict_hash_remove(struct dict *dict, const char *key)
{
	struct dict_hash *dh = (struct dict_hash *) dict;
	int	with_null;
	int	ret;
	DBT	k;

	for (with_null = 1; with_null >= 0; with_null--) {
		memset(&k, 0, sizeof(k));
		k.data = (void *) key;
		k.size = (u_int32_t) strlen(key) + (u_int32_t) with_null;
		dict_hash_errtext[0] = 0;
		ret = dh->db->del(dh->db, NULL, &k, 0);
		if (ret == 0)
			return (0);
		if (ret != DB_NOTFOUND) {
			dict_hash_fail(dh, "delete from database", ret);
			return (-1);
		}
	}
	return (1);
}

/* dict_hash_sequence - walk the table in database order */
static int
dict_hash_sequence(struct dict *dict, int first, const char **key,
		   const char **value)
{
	struct dict_hash *dh = (struct dict_hash *) dict;
	DBT	k;
	DBT	v;
	int	ret;

	if (first && dh->cursor != NULL) {
		(void) dh->cursor->close(dh->cursor);
		dh->cursor = NULL;
	}
	if (dh->cursor == NULL
	    && (ret = dh->db->cursor(dh->db, NULL, &dh->cursor, 0)) != 0) {
		dict_hash_fail(dh, "read database", ret);
		return (-1);
	}
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	ret = dh->cursor->get(dh->cursor, &k, &v, first ? DB_FIRST : DB_NEXT);
	if (ret == DB_NOTFOUND)
		return (1);
	if (ret != 0) {
		dict_hash_fail(dh, "read database", ret);
		return (-1);
	}
	*key = dict_hash_copy_out(dh->key_buf, &k);
	*value = dict_hash_copy_out(dh->value_buf, &v);
	return (0);
}

/* dict_hash_close_db - close the cursor and the database */
static int
dict_hash_close_db(struct dict_hash *dh)
{
	int	ret = 0;

	if (dh->cursor != NULL)
		(void) dh->cursor->close(dh->cursor);
	dh->cursor = NULL;
	if (dh->db != NULL)
		ret = dh->db->close(dh->db, 0);
	dh->db = NULL;
	return (ret);
}

/* dict_hash_close - close a table, discarding an uncommitted build */
static void
dict_hash_close(struct dict *dict)
{
	struct dict_hash *dh = (struct dict_hash *) dict;

	(void) dict_hash_close_db(dh);
	if (dh->tmp_path != NULL) {
		dict_hash_set_active(NULL);
		if (unlink(dh->tmp_path) < 0 && errno != ENOENT)
			msg_warn("remove %s: %m", dh->tmp_path);
	}
	if (dh->dir_fd >= 0)
		(void) close(dh->dir_fd);
	if (dh->tmp_fd >= 0)
		(void) close(dh->tmp_fd);
	free(dh->tmp_path);
	free(dh->db_path);
	buf_free(dh->key_buf);
	buf_free(dh->value_buf);
	dict_free(dict);
}

/* dict_hash_alloc - the table object around an open database */
static struct dict_hash *
dict_hash_alloc(const char *name, int flags)
{
	struct dict_hash *dh;

	dh = (struct dict_hash *) dict_alloc(sizeof(*dh), "hash", name, flags);
	dh->db_path = xmalloc(strlen(name) + 4);
	snprintf(dh->db_path, strlen(name) + 4, "%s.db", name);
	dh->dict.watch_path = xstrdup(dh->db_path);
	dh->dict.lookup = dict_hash_lookup;
	dh->dict.sequence = dict_hash_sequence;
	dh->dict.close = dict_hash_close;
	dh->try_null = DICT_HASH_TRY1NULL | DICT_HASH_TRY0NULL;
	dh->key_buf = buf_new(64);
	dh->value_buf = buf_new(64);
	dh->dir_fd = -1;
	dh->tmp_fd = -1;
	return (dh);
}

/* dict_hash_warn_stale - warn when the source is newer than the table */
static void
dict_hash_warn_stale(const char *name, const char *db_path)
{
	struct stat src;
	struct stat db;

	if (stat(name, &src) == 0 && stat(db_path, &db) == 0
	    && src.st_mtime > db.st_mtime)
		msg_warn("database %s is older than source file %s", db_path, name);
}

/* dict_hash_open - open NAME.db for lookups */
struct dict *
dict_hash_open(const char *name, int flags, struct buf *why)
{
	struct dict_hash *dh = dict_hash_alloc(name, flags);
	int	fd;

	if ((dh->db = dict_hash_db_open(dh->db_path, DB_RDONLY, 0, why)) == NULL) {
		dict_hash_close(&dh->dict);
		return (NULL);
	}
	if (dh->db->fd(dh->db, &fd) != 0 || fstat(fd, &dh->dict.watch_st) < 0)
		msg_warn("fstat %s: %m", dh->db_path);
	if (flags & DICT_FLAG_WARN_STALE)
		dict_hash_warn_stale(name, dh->db_path);
	return (&dh->dict);
}

/* dict_hash_lock_dir - open and lock the directory of the table */
static int
dict_hash_lock_dir(struct dict_hash *dh, struct buf *why)
{
	const char *slash = strrchr(dh->db_path, '/');
	struct buf *dir = buf_new(64);
	int	status = 0;

	if (slash == NULL)
		buf_cpy(dir, ".");
	else if (slash == dh->db_path)
		buf_cpy(dir, "/");
	else
		buf_catn(dir, dh->db_path, (size_t) (slash - dh->db_path));
	dh->dir_fd = open(buf_str(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dh->dir_fd < 0) {
		buf_printf(why, "open directory %s: %m", buf_str(dir));
		status = -1;
	} else if (flock(dh->dir_fd, LOCK_EX) < 0) {
		buf_printf(why, "lock directory %s: %m", buf_str(dir));
		status = -1;
	}
	buf_free(dir);
	return (status);
}

/* dict_hash_make_tmp - create the temporary file the new table goes in */
static int
dict_hash_make_tmp(struct dict_hash *dh, struct buf *why)
{
	size_t	len = strlen(dh->db_path) + sizeof(DICT_HASH_TMP_SUFFIX);
	int	fd;

	dh->tmp_path = xmalloc(len);
	snprintf(dh->tmp_path, len, "%s" DICT_HASH_TMP_SUFFIX, dh->db_path);
	if ((fd = mkostemp(dh->tmp_path, O_CLOEXEC)) < 0) {
		buf_printf(why, "create temporary file %s: %m", dh->tmp_path);
		free(dh->tmp_path);
		dh->tmp_path = NULL;
		return (-1);
	}
	dh->tmp_fd = fd;
	dict_hash_set_active(dh->tmp_path);
	return (0);
}

/* dict_hash_check_tmp - did Berkeley DB open the file we created? */
static int
dict_hash_check_tmp(struct dict_hash *dh, struct buf *why)
{
	struct stat ours;
	struct stat theirs;
	int	fd;

	if (dh->db->fd(dh->db, &fd) != 0 || fstat(fd, &theirs) < 0
	    || fstat(dh->tmp_fd, &ours) < 0) {
		buf_printf(why, "fstat %s: %m", dh->tmp_path);
		return (-1);
	}
	if (ours.st_dev != theirs.st_dev || ours.st_ino != theirs.st_ino) {
		buf_printf(why, "temporary file %s was replaced while in use",
			   dh->tmp_path);
		return (-1);
	}
	return (0);
}

/* dict_hash_is_stale_tmp - is name NAME.db.XXXXXX of this table? */
static int
dict_hash_is_stale_tmp(const char *name, const char *base)
{
	size_t	len = strlen(base);
	const char *cp;

	if (strncmp(name, base, len) != 0 || name[len] != '.'
	    || strlen(name + len) != strlen(DICT_HASH_TMP_SUFFIX))
		return (0);
	for (cp = name + len + 1; *cp; cp++)
		if (!isalnum((unsigned char) *cp))
			return (0);
	return (1);
}

/* dict_hash_remove_stale - remove temporary files of dead builders */
static void
dict_hash_remove_stale(struct dict_hash *dh)
{
	const char *slash = strrchr(dh->db_path, '/');
	const char *base = slash ? slash + 1 : dh->db_path;
	struct dirent *de;
	DIR    *dir;
	int	fd;

	if ((fd = dup(dh->dir_fd)) < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			(void) close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (!dict_hash_is_stale_tmp(de->d_name, base))
			continue;
		if (unlinkat(dh->dir_fd, de->d_name, 0) == 0)
			msg_info("removed stale temporary file %.*s%s",
				 (int) (base - dh->db_path), dh->db_path, de->d_name);
	}
	(void) closedir(dir);
}

/* dict_hash_copy_old - copy every entry of the existing table */
static int
dict_hash_copy_old(struct dict_hash *dh, struct buf *why)
{
	DB     *old;
	DBC    *cursor;
	DBT	k;
	DBT	v;
	int	ret;

	if ((old = dict_hash_db_open(dh->db_path, DB_RDONLY, 0, why)) == NULL)
		return (-1);
	if ((ret = old->cursor(old, NULL, &cursor, 0)) != 0) {
		dict_hash_reason(why, "read database", dh->db_path, ret);
		(void) old->close(old, 0);
		return (-1);
	}
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	while ((ret = cursor->get(cursor, &k, &v, DB_NEXT)) == 0) {
		if ((ret = dh->db->put(dh->db, NULL, &k, &v, 0)) != 0) {
			dict_hash_reason(why, "write database", dh->tmp_path, ret);
			break;
		}
	}
	if (ret != DB_NOTFOUND && ret != 0)
		dict_hash_reason(why, "read database", dh->db_path, ret);
	(void) cursor->close(cursor);
	(void) old->close(old, 0);
	return (ret == DB_NOTFOUND ? 0 : -1);
}

/* dict_hash_set_model - decide whose permissions the new file takes */
static int
dict_hash_set_model(struct dict_hash *dh, int how, const struct stat *like,
		    int *exists, struct buf *why)
{
	*exists = 0;
	if (stat(dh->db_path, &dh->model) == 0) {
		*exists = 1;
		dh->model_kind = DICT_HASH_MODEL_DB;
	} else if (errno != ENOENT || (how & DICT_BUILD_MUST_EXIST)) {
		buf_printf(why, "open database %s: %m", dh->db_path);
		return (-1);
	} else if (like != NULL) {
		dh->model = *like;
		dh->model_kind = DICT_HASH_MODEL_SOURCE;
	} else {
		dh->model_kind = DICT_HASH_MODEL_NONE;
	}
	return (0);
}

/* dict_hash_new_mode - the permissions of the new table file */
static mode_t
dict_hash_new_mode(const struct dict_hash *dh)
{
	mode_t	mask;

	switch (dh->model_kind) {
	case DICT_HASH_MODEL_DB:
		return (dh->model.st_mode & 07777);
	case DICT_HASH_MODEL_SOURCE:
		return (0600 | (dh->model.st_mode & 0044));
	default:
		mask = umask(022);
		(void) umask(mask);
		return (0644 & ~mask);
	}
}

/* dict_hash_finish_file - set permissions and flush the new file */
static int
dict_hash_finish_file(struct dict_hash *dh, struct buf *why)
{
	int	fd = dh->tmp_fd;
	int	status = -1;

	if (fchmod(fd, dict_hash_new_mode(dh)) < 0)
		buf_printf(why, "set permissions of %s: %m", dh->tmp_path);
	else if (geteuid() == 0 && dh->model_kind != DICT_HASH_MODEL_NONE
		 && fchown(fd, dh->model.st_uid, dh->model.st_gid) < 0)
		buf_printf(why, "set owner of %s: %m", dh->tmp_path);
	else if (fsync(fd) < 0)
		buf_printf(why, "sync %s: %m", dh->tmp_path);
	else
		status = 0;
	return (status);
}

/* dict_hash_commit - rename the finished table over NAME.db */
static int
dict_hash_commit(struct dict *dict, struct buf *why)
{
	struct dict_hash *dh = (struct dict_hash *) dict;
	int	ret;

	if (dh->tmp_path == NULL || dh->db == NULL)
		msg_panic("dict_hash_commit: %s: no table being built", dh->db_path);
	if ((ret = dict_hash_close_db(dh)) != 0) {
		dict_hash_reason(why, "close database", dh->tmp_path, ret);
		return (-1);
	}
	if (dict_hash_finish_file(dh, why) < 0)
		return (-1);
	if (rename(dh->tmp_path, dh->db_path) < 0) {
		buf_printf(why, "rename %s to %s: %m", dh->tmp_path, dh->db_path);
		return (-1);
	}
	dict_hash_set_active(NULL);
	free(dh->tmp_path);
	dh->tmp_path = NULL;
	if (fsync(dh->dir_fd) < 0)
		msg_warn("sync directory of %s: %m", dh->db_path);
	(void) close(dh->dir_fd);
	dh->dir_fd = -1;
	return (0);
}

/* dict_hash_build - start a new table in a temporary file */
struct dict *
dict_hash_build(const char *name, int flags, int how, const struct stat *like,
		struct buf *why)
{
	struct dict_hash *dh = dict_hash_alloc(name, flags);
	int	exists;

	dh->dict.update = dict_hash_update;
	dh->dict.remove = dict_hash_remove;
	dh->dict.commit = dict_hash_commit;
	if (dict_hash_lock_dir(dh, why) < 0
	    || dict_hash_set_model(dh, how, like, &exists, why) < 0)
		goto fail;
	dict_hash_remove_stale(dh);
	if (dict_hash_make_tmp(dh, why) < 0)
		goto fail;
	dh->db = dict_hash_db_open(dh->tmp_path, DB_CREATE,
				   DICT_HASH_BUILD_CACHE, why);
	if (dh->db == NULL || dict_hash_check_tmp(dh, why) < 0)
		goto fail;
	if ((how & DICT_BUILD_COPY) && exists && dict_hash_copy_old(dh, why) < 0)
		goto fail;
	return (&dh->dict);

fail:
	dict_hash_close(&dh->dict);
	return (NULL);
}
