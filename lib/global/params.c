/*
 * NAME
 *	params - the main.cf parameter table, loading and lookups
 * SYNOPSIS
 *	#include <global/params.h>
 * DESCRIPTION
 *	See params.h. This file holds the var_* definitions and the table
 *	generated from params.def, the loaded state (main.cf values,
 *	overrides, expanded values) and the functions that load, override
 *	and read it. Expansion is in params_expand.c, value parsing in
 *	params_parse.c, per-service lookups in params_service.c, the
 *	unknown-name check in params_check.c, computed defaults in
 *	params_default.c.
 * DIAGNOSTICS
 *	A default value that does not expand or convert is a bug: panic.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/params.h>
#include <global/params_private.h>

/* The var_* definitions. */
#define P_STR(n, d)		char *var_##n;
#define P_RAW(n, d)		char *var_##n;
#define P_LIST(n, d)		char *var_##n;
#define P_INT(n, d, lo, hi)	int var_##n;
#define P_BOOL(n, d)		int var_##n;
#define P_PCT(n, d)		int var_##n;
#define P_TIME(n, d, lo, hi)	long var_##n;
#define P_SIZE(n, d)		long var_##n;
#include <global/params.def>
#undef P_STR
#undef P_RAW
#undef P_LIST
#undef P_INT
#undef P_BOOL
#undef P_PCT
#undef P_TIME
#undef P_SIZE

/* The table, in params.def order. */
static const struct param_info param_table[] = {
#define P_STR(n, d)		{#n, PARAM_STR, d, 0, 0, &var_##n},
#define P_RAW(n, d)		{#n, PARAM_RAW, d, 0, 0, &var_##n},
#define P_LIST(n, d)		{#n, PARAM_LIST, d, 0, 0, &var_##n},
#define P_INT(n, d, lo, hi)	{#n, PARAM_INT, d, lo, hi, &var_##n},
#define P_BOOL(n, d)		{#n, PARAM_BOOL, d, 0, 1, &var_##n},
#define P_PCT(n, d)		{#n, PARAM_PCT, d, 0, 100, &var_##n},
#define P_TIME(n, d, lo, hi)	{#n, PARAM_TIME, d, lo, hi, &var_##n},
#define P_SIZE(n, d)		{#n, PARAM_SIZE, d, 0, 0, &var_##n},
#include <global/params.def>
#undef P_STR
#undef P_RAW
#undef P_LIST
#undef P_INT
#undef P_BOOL
#undef P_PCT
#undef P_TIME
#undef P_SIZE
};

/* Accepted alternative spellings: {alias, Postfix name}. */
static const char *const param_aliases[][2] = {
	{"minimum_backoff_time", "minimal_backoff_time"},
	{"maximum_backoff_time", "maximal_backoff_time"},
};

/* A value from main.cf or an override. */
struct param_value {
	char   *spelled;		/* name as written */
	char   *raw;
	int	line;			/* 0 for overrides */
	int	is_override;
};

static struct htable *param_index;	/* name -> index + 1 */
static struct htable *param_canon;	/* alias spelling -> canonical name */
static struct htable *param_values;	/* canonical name -> param_value */
static struct htable *param_expanded;	/* canonical name -> char * */
static struct params_entry *param_entries;	/* main.cf in file order */
static size_t param_entry_count;
static size_t param_entry_cap;
static char *param_dir;
static char *param_file;
static int param_raw_mode;

/* param_value_free - destroy one stored value */
static void
param_value_free(void *ptr)
{
	struct param_value *pv = ptr;

	free(pv->spelled);
	free(pv->raw);
	free(pv);
}

/* param_build_index - name lookup for the table, once */
static void
param_build_index(void)
{
	size_t	i;

	if (param_index != NULL)
		return;
	param_index = htable_new(ARRAY_LEN(param_table) * 2);
	for (i = 0; i < ARRAY_LEN(param_table); i++)
		htable_enter(param_index, param_table[i].name, (void *) (i + 1));
	param_canon = htable_new(16);
}

/* param_index_of - table index of a name, or -1 */
static long
param_index_of(const char *name)
{
	uintptr_t idx;

	param_build_index();
	idx = (uintptr_t) htable_find(param_index, name);
	return (idx ? (long) idx - 1 : -1);
}

/* params_alias_target - the Postfix name for an alias spelling, or NULL */
const char *
params_alias_target(const char *name)
{
	size_t	i, len = strlen(name), alen;
	char   *canon;
	struct buf *bp;

	param_build_index();
	if ((canon = htable_find(param_canon, name)) != NULL)
		return (canon);
	for (i = 0; i < ARRAY_LEN(param_aliases); i++) {
		alen = strlen(param_aliases[i][0]);
		if (strcmp(name, param_aliases[i][0]) == 0
		    || (len > alen + 1 && name[len - alen - 1] == '_'
			&& strcmp(name + len - alen, param_aliases[i][0]) == 0)) {
			bp = buf_new(len + 8);
			buf_catn(bp, name, len - alen);
			buf_cat(bp, param_aliases[i][1]);
			canon = buf_steal(bp);
			htable_enter(param_canon, name, canon);
			return (canon);
		}
	}
	return (NULL);
}

/* params_alias_count - number of aliases */
size_t
params_alias_count(void)
{
	return (ARRAY_LEN(param_aliases));
}

/* params_alias_at - one alias spelling */
const char *
params_alias_at(size_t index)
{
	return (index < ARRAY_LEN(param_aliases) ? param_aliases[index][0] : NULL);
}

/* params_canonical_name - map an alias to the Postfix name */
const char *
params_canonical_name(const char *name)
{
	const char *canon = params_alias_target(name);

	return (canon ? canon : name);
}

/* param_state_clear - forget everything loaded */
static void
param_state_clear(void)
{
	size_t	i;

	if (param_values)
		htable_free(param_values, param_value_free);
	if (param_expanded)
		htable_free(param_expanded, free);
	for (i = 0; i < param_entry_count; i++) {
		free(param_entries[i].name);
		free(param_entries[i].value);
	}
	free(param_entries);
	param_entries = NULL;
	param_entry_count = param_entry_cap = 0;
	param_values = htable_new(64);
	param_expanded = NULL;
	params_dynamic_reset();
}

/* param_set_dir - remember the configuration directory */
static void
param_set_dir(const char *config_dir)
{
	struct buf *bp = buf_new(256);

	free(param_dir);
	free(param_file);
	param_dir = xstrdup(config_dir);
	buf_printf(bp, "%s/main.cf", config_dir);
	param_file = buf_steal(bp);
}

/* param_store - enter a main.cf or override value */
static struct param_value *
param_store(const char *name, const char *raw, int line, int is_override)
{
	struct param_value *pv = xmalloc(sizeof(*pv));

	pv->spelled = xstrdup(name);
	pv->raw = xstrdup(raw);
	pv->line = line;
	pv->is_override = is_override;
	return (htable_enter(param_values, params_canonical_name(name), pv));
}

/* param_load_line - params_parse_text() callback for main.cf */
static int
param_load_line(const char *name, const char *value, int first, int last,
		void *ctx)
{
	struct param_value *old;
	struct params_entry *ep;

	(void) last;
	(void) ctx;
	if (param_entry_count == param_entry_cap) {
		param_entry_cap = param_entry_cap ? 2 * param_entry_cap : 32;
		param_entries = xreallocarray(param_entries, param_entry_cap,
					      sizeof(*param_entries));
	}
	ep = param_entries + param_entry_count++;
	ep->name = xstrdup(name);
	ep->value = xstrdup(value);
	ep->line = first;
	if ((old = param_store(name, value, first, 0)) != NULL)
		param_value_free(old);
	return (0);
}

/* param_read_file - read main.cf; a missing file is no error */
static int
param_read_file(struct buf *text, struct buf *why)
{
	char	chunk[8192];
	ssize_t	n;
	int	fd;

	if ((fd = open(param_file, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return (0);
		buf_printf(why, "open %s: %m", param_file);
		return (-1);
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			buf_printf(why, "read %s: %m", param_file);
			close(fd);
			return (-1);
		}
		buf_catn(text, chunk, (size_t) n);
	}
	close(fd);
	return (0);
}

/* params_value_location - "FILE, line N: " for a name set in main.cf */
void
params_value_location(const char *name, struct buf *out)
{
	struct param_value *pv;

	if (param_values == NULL
	    || (pv = htable_find(param_values, params_canonical_name(name))) == NULL
	    || pv->is_override)
		return;
	buf_appendf(out, "%s, line %d: ", param_file, pv->line);
}

/* param_error - "LOCATION parameter NAME: reason" into why */
static void
param_error(struct buf *why, const char *name, const char *reason)
{
	struct buf *loc = buf_new(100);

	params_value_location(name, loc);
	buf_printf(why, "%sparameter %s: %s", buf_str(loc), name, reason);
	buf_free(loc);
}

/* param_convert_one - parse a table parameter into its var */
static int
param_convert_one(const struct param_info *ip, const char *value,
		  struct buf *why)
{
	struct buf *reason = buf_new(100);
	long	result = 0;
	int	ret = 0;

	switch (ip->type) {
	case PARAM_STR:
	case PARAM_RAW:
	case PARAM_LIST:
		if (params_validate_str(ip->name, value, reason) < 0)
			ret = -1;
		else
			*(char **) ip->var = (char *) value;
		break;
	case PARAM_INT:
	case PARAM_BOOL:
	case PARAM_PCT:
		if ((ret = params_convert(ip->type, 's', value, ip->min, ip->max,
					  &result, reason)) == 0)
			*(int *) ip->var = (int) result;
		break;
	case PARAM_TIME:
	case PARAM_SIZE:
		if ((ret = params_convert(ip->type, params_time_unit(ip->def),
				value, ip->min, ip->max, &result, reason)) == 0)
			*(long *) ip->var = result;
		break;
	}
	if (ret < 0)
		param_error(why, ip->name, buf_str(reason));
	buf_free(reason);
	return (ret);
}

/* param_check_service - validate a SERVICE_suffix value */
static int
param_check_service(const char *name, const char *value, struct buf *why)
{
	const struct params_suffix *sp;
	struct buf *reason;
	long	result;
	int	ret;

	if ((sp = params_suffix_match(name)) == NULL)
		return (0);
	reason = buf_new(100);
	if (sp->type == PARAM_STR)
		ret = params_validate_str(sp->suffix, value, reason);
	else
		ret = params_convert(sp->type, sp->unit, value, 0, 0, &result,
				     reason);
	if (ret < 0)
		param_error(why, name, buf_str(reason));
	buf_free(reason);
	return (ret);
}

/* param_strings_settle - no string var may point into a freed table */
static void
param_strings_settle(void)
{
	static char empty[1];
	const struct param_info *ip;
	char   *value;

	for (ip = param_table; ip < param_table + ARRAY_LEN(param_table); ip++) {
		if (ip->type != PARAM_STR && ip->type != PARAM_RAW && ip->type != PARAM_LIST)
			continue;
		value = htable_find(param_expanded, ip->name);
		*(char **) ip->var = value ? value : empty;
	}
}

/* param_expand_all - expand every value, then convert typed values */
static int
param_expand_all(struct buf *why)
{
	struct params_expand_state st;
	struct htable_entry **list, **ep;
	size_t	i;
	int	ret = 0;

	if (param_expanded)
		htable_free(param_expanded, free);
	param_expanded = htable_new(ARRAY_LEN(param_table) * 2);
	params_dynamic_reset();
	st.stack = argv_new(8);
	st.why = why;
	st.failed = 0;
	for (i = 0; i < ARRAY_LEN(param_table) && !st.failed; i++)
		(void) params_resolve(param_table[i].name, &st);
	list = htable_list(param_values);
	for (ep = list; *ep && !st.failed; ep++)
		(void) params_resolve((*ep)->key, &st);
	argv_free(st.stack);
	if (st.failed)
		ret = -1;
	for (i = 0; ret == 0 && i < ARRAY_LEN(param_table); i++)
		ret = param_convert_one(param_table + i, htable_find(param_expanded,
					 param_table[i].name), why);
	for (ep = list; ret == 0 && *ep; ep++)
		if (param_index_of((*ep)->key) < 0)
			ret = param_check_service((*ep)->key,
				     htable_find(param_expanded, (*ep)->key), why);
	free(list);
	if (ret < 0)
		param_strings_settle();
	return (ret);
}

/* param_ensure_init - defaults before the first load */
static void
param_ensure_init(void)
{
	if (param_values == NULL)
		params_reset_defaults();
}

/* params_load_flags - read main.cf from a directory */
int
params_load_flags(const char *config_dir, int flags, struct buf *why)
{
	struct buf *text = buf_new(8192);
	int	ret;

	param_build_index();
	param_state_clear();
	param_set_dir(config_dir);
	param_raw_mode = (flags & PARAMS_LOAD_RAW) != 0;
	if ((ret = param_read_file(text, why)) == 0)
		ret = params_parse_text(param_file, buf_str(text), param_load_line,
					NULL, why);
	buf_free(text);
	if (ret == 0 && !param_raw_mode)
		ret = param_expand_all(why);
	return (ret);
}

/* params_load - read and expand main.cf */
int
params_load(const char *config_dir, struct buf *why)
{
	return (params_load_flags(config_dir, 0, why));
}

/* param_override_split - "name = value" into its parts */
static int
param_override_split(const char *text, struct buf *name, struct buf *value,
		     struct buf *why)
{
	const char *eq = strchr(text, '=');
	const char *start = text, *end;

	if (eq == NULL) {
		buf_printf(why, "bad override \"%s\": expected name=value", text);
		return (-1);
	}
	while (start < eq && strchr(" \t", *start))
		start++;
	for (end = eq; end > start && strchr(" \t", end[-1]); end--)
		 /* void */ ;
	buf_reset(name);
	buf_catn(name, start, (size_t) (end - start));
	if (buf_len(name) == 0 || strcspn(buf_str(name), " \t\r\n$={}") != buf_len(name)) {
		buf_printf(why, "bad override \"%s\": bad parameter name", text);
		return (-1);
	}
	for (start = eq + 1; *start == ' ' || *start == '\t'; start++)
		 /* void */ ;
	for (end = start + strlen(start); end > start && strchr(" \t\r\n", end[-1]); end--)
		 /* void */ ;
	buf_reset(value);
	buf_catn(value, start, (size_t) (end - start));
	return (0);
}

/* params_override - apply name=value on top of main.cf */
int
params_override(const char *name_eq_value, struct buf *why)
{
	struct buf *name = buf_new(64), *value = buf_new(64), *ignore;
	struct param_value *old;
	const char *canon;
	int	ret;

	param_ensure_init();
	if ((ret = param_override_split(name_eq_value, name, value, why)) < 0)
		goto out;
	canon = params_canonical_name(buf_str(name));
	old = param_store(buf_str(name), buf_str(value), 0, 1);
	if (param_raw_mode || (ret = param_expand_all(why)) == 0) {
		if (old)
			param_value_free(old);
		goto out;
	}
	if (old)
		param_value_free(htable_enter(param_values, canon, old));
	else
		htable_delete(param_values, canon, param_value_free);
	ignore = buf_new(100);
	(void) param_expand_all(ignore);
	buf_free(ignore);
out:
	buf_free(name);
	buf_free(value);
	return (ret);
}

/* params_reset_defaults - every parameter back to its default */
void
params_reset_defaults(void)
{
	struct buf *why = buf_new(100);

	param_build_index();
	param_state_clear();
	param_set_dir(DEF_CONFIG_DIR);
	param_raw_mode = 0;
	if (param_expand_all(why) < 0)
		msg_panic("params_reset_defaults: %s", buf_str(why));
	buf_free(why);
}

/* params_config_dir - the directory of the loaded main.cf */
const char *
params_config_dir(void)
{
	param_ensure_init();
	return (param_dir);
}

/* params_config_file - the path of the loaded main.cf */
const char *
params_config_file(void)
{
	param_ensure_init();
	return (param_file);
}

/* params_is_raw_mode - loaded with PARAMS_LOAD_RAW */
int
params_is_raw_mode(void)
{
	return (param_raw_mode);
}

/* params_source_value - raw value from main.cf or an override */
const char *
params_source_value(const char *name)
{
	struct param_value *pv;

	if (param_values == NULL)
		return (NULL);
	pv = htable_find(param_values, params_canonical_name(name));
	return (pv ? pv->raw : NULL);
}

/* params_is_set - whether main.cf or an override set a name */
int
params_is_set(const char *name)
{
	param_ensure_init();
	return (params_source_value(name) != NULL);
}

/* params_lookup_default - default value before expansion */
const char *
params_lookup_default(const char *name)
{
	long	idx = param_index_of(params_canonical_name(name));

	if (idx < 0)
		return (NULL);
	if (params_is_dynamic(param_table[idx].name))
		return (params_dynamic_default(param_table[idx].name));
	return (param_table[idx].def);
}

/* params_get_raw - value before expansion, set or default */
const char *
params_get_raw(const char *name)
{
	const char *value;

	param_ensure_init();
	if ((value = params_source_value(name)) != NULL)
		return (value);
	return (params_lookup_default(name));
}

/* param_loop_error - report a reference loop */
static void
param_loop_error(const char *name, struct params_expand_state *st)
{
	struct buf *chain = buf_new(100);
	size_t	i;

	for (i = 0; i < st->stack->argc; i++)
		if (strcmp(st->stack->argv[i], name) == 0)
			break;
	for (; i < st->stack->argc; i++)
		buf_appendf(chain, "$%s -> ", st->stack->argv[i]);
	buf_appendf(chain, "$%s", name);
	if (!st->failed) {
		struct buf *reason = buf_new(100);

		buf_printf(reason, "expansion loop: %s", buf_str(chain));
		param_error(st->why, name, buf_str(reason));
		buf_free(reason);
	}
	st->failed = 1;
	buf_free(chain);
}

/* params_resolve - expanded value of a name, memoised */
const char *
params_resolve(const char *name, struct params_expand_state *st)
{
	const char *canon = params_canonical_name(name);
	const char *raw;
	struct buf *out;
	char   *value;
	long	idx;
	size_t	i;

	if (param_expanded == NULL)
		return (params_get_raw(canon));
	if ((raw = htable_find(param_expanded, canon)) != NULL)
		return (raw);
	if ((raw = params_get_raw(canon)) == NULL)
		return (NULL);
	for (i = 0; i < st->stack->argc; i++) {
		if (strcmp(st->stack->argv[i], canon) == 0) {
			param_loop_error(canon, st);
			return (NULL);
		}
	}
	idx = param_index_of(canon);
	out = buf_new(strlen(raw) + 16);
	if (idx >= 0 && param_table[idx].type == PARAM_RAW) {
		buf_cpy(out, raw);
	} else {
		argv_add(st->stack, canon);
		(void) params_expand_into(raw, out, st);
		argv_truncate(st->stack, st->stack->argc - 1);
	}
	if (st->failed) {
		buf_free(out);
		return (NULL);
	}
	/* A computed default may have resolved this very name meanwhile. */
	if ((raw = htable_find(param_expanded, canon)) != NULL) {
		buf_free(out);
		return (raw);
	}
	value = buf_steal(out);
	htable_enter(param_expanded, canon, value);
	return (value);
}

/* params_get - expanded value of any parameter */
const char *
params_get(const char *name)
{
	struct params_expand_state st;
	struct buf *why;
	const char *value;

	param_ensure_init();
	if (param_raw_mode || param_expanded == NULL)
		return (params_get_raw(name));
	if ((value = htable_find(param_expanded, params_canonical_name(name))) != NULL)
		return (value);
	why = buf_new(100);
	st.stack = argv_new(4);
	st.why = why;
	st.failed = 0;
	value = params_resolve(name, &st);
	argv_free(st.stack);
	buf_free(why);
	return (value);
}

/* params_expand_text - expand $name references in any text */
int
params_expand_text(const char *text, struct buf *out, struct buf *why)
{
	struct params_expand_state st;
	int	ret;

	param_ensure_init();
	buf_reset(out);
	st.stack = argv_new(4);
	st.why = why;
	st.failed = 0;
	ret = params_expand_into(text, out, &st);
	argv_free(st.stack);
	return (ret);
}

/* params_table_count - number of table entries */
size_t
params_table_count(void)
{
	return (ARRAY_LEN(param_table));
}

/* params_table_at - table entry by position */
const struct param_info *
params_table_at(size_t index)
{
	return (index < ARRAY_LEN(param_table) ? param_table + index : NULL);
}

/* params_info - table entry by name (aliases accepted) */
const struct param_info *
params_info(const char *name)
{
	long	idx = param_index_of(params_canonical_name(name));

	return (idx < 0 ? NULL : param_table + idx);
}

/* params_file_count - number of main.cf logical lines */
size_t
params_file_count(void)
{
	return (param_entry_count);
}

/* params_file_at - main.cf logical line by position */
const struct params_entry *
params_file_at(size_t index)
{
	return (index < param_entry_count ? param_entries + index : NULL);
}
