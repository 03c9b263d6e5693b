/*
 * NAME
 *	maps - search a list of lookup tables
 * DESCRIPTION
 *	See maps.h. Each list element keeps its spec so the table can be
 *	reopened: when its file changes, or, for a table that could not be
 *	opened, until it can. A spec that can never work (unknown type, bad
 *	syntax) is not retried.
 */
#include <util/sys_defs.h>
#include <sys/stat.h>
#include <time.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <util/argv.h>
#include <global/dict.h>
#include <global/maps.h>

struct maps_table {
	char   *spec;			/* "type:name" */
	int	is_pattern;		/* cidr: keys are matched */
	struct dict *dict;		/* NULL while unavailable */
	int	open_error;		/* DICT_ERR_* when dict is NULL */
	struct buf *open_why;		/* reason when dict is NULL */
	time_t	last_check;		/* last time the file was checked */
};

struct maps {
	char   *title;
	int	dict_flags;
	struct maps_table *tables;
	size_t	count;
	int	error;			/* MAPS_ERR_* of the last maps_find() */
	struct buf *why;
};

#define MAPS_LIST_DELIMS	", \t\r\n"

/* maps_spec_is_pattern - does the spec name a pattern table? */
static int
maps_spec_is_pattern(const char *spec)
{
	if (strncmp(spec, "proxy:", 6) == 0)
		spec += 6;
	return (strncmp(spec, "cidr:", 5) == 0);
}

/* maps_table_open - (re)try opening one table */
static int
maps_table_open(struct maps *maps, struct maps_table *t)
{
	int	error = DICT_ERR_NONE;

	buf_reset(t->open_why);
	t->dict = dict_open(t->spec, maps->dict_flags, &error, t->open_why);
	if (t->dict != NULL)
		return (0);
	t->open_error = error;
	return (-1);
}

/* maps_table_init - set up and open one list element */
static void
maps_table_init(struct maps *maps, struct maps_table *t, const char *spec)
{
	t->spec = xstrdup(spec);
	t->is_pattern = maps_spec_is_pattern(spec);
	t->open_why = buf_new(64);
	t->last_check = time(NULL);
	if (maps_table_open(maps, t) < 0)
		msg_warn("%s: %s is unavailable. %s", maps->title, t->spec,
			 buf_str(t->open_why));
}

/* maps_create - open every table of a list */
struct maps *
maps_create(const char *title, const char *spec_list, int flags)
{
	struct maps *maps = xcalloc(1, sizeof(*maps));
	struct argv *specs = argv_new(4);
	struct buf *why = buf_new(64);
	size_t	i;

	if (spec_list == NULL)
		spec_list = "";
	maps->title = xstrdup(title);
	maps->why = buf_new(64);
	maps->dict_flags = DICT_FLAG_WARN_STALE;
	if ((flags & MAPS_NO_FOLD) == 0)
		maps->dict_flags |= DICT_FLAG_FOLD;
	if (dict_split_list(spec_list, MAPS_LIST_DELIMS, specs, why) < 0) {
		/* One element that always fails: the list is unusable. */
		argv_truncate(specs, 0);
		argv_add(specs, spec_list);
	}
	maps->tables = xcalloc(specs->argc + 1, sizeof(*maps->tables));
	maps->count = specs->argc;
	for (i = 0; i < specs->argc; i++)
		maps_table_init(maps, &maps->tables[i], specs->argv[i]);
	argv_free(specs);
	buf_free(why);
	return (maps);
}

/* maps_same_file - is st the file the table was read from? */
static int
maps_same_file(const struct stat *st, const struct stat *old)
{
	return (st->st_dev == old->st_dev && st->st_ino == old->st_ino
		&& st->st_size == old->st_size
		&& st->st_mtim.tv_sec == old->st_mtim.tv_sec
		&& st->st_mtim.tv_nsec == old->st_mtim.tv_nsec);
}

/* maps_table_reopen - replace an open table whose file changed */
static void
maps_table_reopen(struct maps *maps, struct maps_table *t, const struct stat *st)
{
	struct dict *fresh;
	int	error;

	buf_reset(t->open_why);
	fresh = dict_open(t->spec, maps->dict_flags, &error, t->open_why);
	if (fresh == NULL) {
		msg_warn("%s: cannot reopen changed %s, still using the old "
			 "table: %s", maps->title, t->spec, buf_str(t->open_why));
		t->dict->watch_st = *st;	/* retry at the next change */
		return;
	}
	dict_close(t->dict);
	t->dict = fresh;
}

/* maps_table_refresh - reopen a table when needed, once a second */
static void
maps_table_refresh(struct maps *maps, struct maps_table *t, time_t now)
{
	struct stat st;

	if (t->last_check == now)
		return;
	t->last_check = now;
	if (t->dict == NULL) {
		if (t->open_error != DICT_ERR_CONFIG)
			(void) maps_table_open(maps, t);
		return;
	}
	if (t->dict->watch_path == NULL || stat(t->dict->watch_path, &st) < 0)
		return;
	if (!maps_same_file(&st, &t->dict->watch_st))
		maps_table_reopen(maps, t, &st);
}

/* maps_fail - record and log a failed lookup */
static void
maps_fail(struct maps *maps, const struct maps_table *t, const char *key,
	  int error, const char *reason)
{
	maps->error = error == DICT_ERR_CONFIG ? MAPS_ERR_CONFIG : MAPS_ERR_RETRY;
	buf_printf(maps->why, "%s: %s", t->spec, reason);
	msg_warn("%s: %s lookup error for \"%s\": %s", maps->title, t->spec,
		 key, reason);
}

/* maps_wanted - does the search include this table? */
static int
maps_wanted(const struct maps_table *t, int flags)
{
	if ((flags & (MAPS_FIND_FIXED | MAPS_FIND_PATTERN)) == 0)
		return (1);
	return ((flags & (t->is_pattern ? MAPS_FIND_PATTERN : MAPS_FIND_FIXED)) != 0);
}

/* maps_find - search the tables in order */
const char *
maps_find(struct maps *maps, const char *key, int flags)
{
	struct maps_table *t;
	const char *value;
	time_t	now = time(NULL);
	size_t	i;

	maps->error = MAPS_ERR_NONE;
	buf_reset(maps->why);
	if (*key == 0)
		return (NULL);
	for (i = 0; i < maps->count; i++) {
		t = &maps->tables[i];
		if (!maps_wanted(t, flags))
			continue;
		maps_table_refresh(maps, t, now);
		if (t->dict == NULL) {
			maps_fail(maps, t, key, t->open_error, buf_str(t->open_why));
			return (NULL);
		}
		if ((value = dict_get(t->dict, key)) != NULL)
			return (value);
		if (t->dict->error != DICT_ERR_NONE) {
			maps_fail(maps, t, key, t->dict->error, buf_str(t->dict->why));
			return (NULL);
		}
	}
	return (NULL);
}

/* maps_error - the error state of the last maps_find() */
int
maps_error(const struct maps *maps)
{
	return (maps->error);
}

/* maps_why - the reason for the last failed lookup */
const char *
maps_why(const struct maps *maps)
{
	return (buf_str(maps->why));
}

/* maps_title - the name given at creation */
const char *
maps_title(const struct maps *maps)
{
	return (maps->title);
}

/* maps_count - the number of tables */
size_t
maps_count(const struct maps *maps)
{
	return (maps->count);
}

/* maps_check - are all tables available now? */
int
maps_check(struct maps *maps, struct buf *why)
{
	struct maps_table *t;
	size_t	i;

	for (i = 0; i < maps->count; i++) {
		t = &maps->tables[i];
		if (t->dict == NULL && t->open_error != DICT_ERR_CONFIG)
			(void) maps_table_open(maps, t);
		if (t->dict == NULL) {
			buf_printf(why, "%s: %s is unavailable. %s", maps->title,
				   t->spec, buf_str(t->open_why));
			return (-1);
		}
	}
	return (0);
}

/* maps_free - close every table */
void
maps_free(struct maps *maps)
{
	size_t	i;

	if (maps == NULL)
		return;
	for (i = 0; i < maps->count; i++) {
		dict_close(maps->tables[i].dict);
		buf_free(maps->tables[i].open_why);
		free(maps->tables[i].spec);
	}
	free(maps->tables);
	free(maps->title);
	buf_free(maps->why);
	free(maps);
}
