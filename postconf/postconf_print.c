/*
 * NAME
 *	postconf_print - show main.cf parameters and master.cf entries
 * SYNOPSIS
 *	#include "postconf.h"
 * DESCRIPTION
 *	See postconf.h. Parameter values come from params(3): raw values
 *	by default, expanded with PC_SHOW_EXPAND, defaults with
 *	PC_SHOW_DEFAULTS (the caller resets the parameters to their defaults
 *	before expanding defaults).
 */
#include <util/sys_defs.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/params.h>
#include <global/mastercf.h>
#include "postconf.h"

#define PC_FOLD_WIDTH	80

/* pc_sort_cmp - qsort() callback for names */
static int
pc_sort_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *) a, *(char *const *) b));
}

/* pc_add_unique - add a name unless present */
static void
pc_add_unique(struct argv *list, const char *name)
{
	size_t	i;

	for (i = 0; i < list->argc; i++)
		if (strcmp(list->argv[i], name) == 0)
			return;
	argv_add(list, name);
}

/* pc_all_names - the names to show when none are given */
static struct argv *
pc_all_names(int flags)
{
	struct argv *list = argv_new(params_table_count() + params_file_count());
	const char *name;
	size_t	i;

	if (!(flags & PC_SHOW_NONDEFAULT))
		for (i = 0; i < params_table_count(); i++)
			argv_add(list, params_table_at(i)->name);
	if (!(flags & PC_SHOW_DEFAULTS)) {
		for (i = 0; i < params_file_count(); i++) {
			name = params_file_at(i)->name;
			if ((flags & PC_SHOW_NONDEFAULT)
			    || (params_info(name) == NULL
				&& strcmp(params_canonical_name(name), name) == 0))
				pc_add_unique(list, name);
		}
	}
	qsort(list->argv, list->argc, sizeof(char *), pc_sort_cmp);
	return (list);
}

/* pc_value - the value to show, or NULL for an unknown name */
static const char *
pc_value(int flags, const char *name, int *skip)
{
	*skip = 0;
	if (flags & PC_SHOW_DEFAULTS) {
		if (params_info(name) == NULL)
			return (NULL);
		return ((flags & PC_SHOW_EXPAND) ? params_get(name)
			: params_lookup_default(name));
	}
	if ((flags & PC_SHOW_NONDEFAULT) && !params_is_set(name)) {
		*skip = (params_info(name) != NULL);
		return (NULL);
	}
	return ((flags & PC_SHOW_EXPAND) ? params_get(name) : params_get_raw(name));
}

/* pc_fold - append a line, folded at blanks past the fold width */
static void
pc_fold(struct buf *out, const char *line)
{
	size_t	col = 0, word;
	const char *cp = line;

	while (*cp) {
		word = strcspn(cp + 1, " ") + 1;
		if (*cp == ' ' && col > 0 && col + word > PC_FOLD_WIDTH) {
			buf_cat(out, "\n   ");
			col = 3;
		}
		buf_catn(out, cp, word);
		col += word;
		cp += word;
	}
	buf_putc(out, '\n');
}

/* postconf_show_params - "name = value" lines */
int
postconf_show_params(int flags, char **names, struct buf *out)
{
	struct argv *list;
	struct buf *line = buf_new(256);
	const char *value;
	size_t	i;
	int	skip, unknown = 0;

	if (names == NULL || *names == NULL) {
		list = pc_all_names(flags);
	} else {
		list = argv_new(8);
		for (; *names; names++)
			argv_add(list, *names);
	}
	for (i = 0; i < list->argc; i++) {
		if ((value = pc_value(flags, list->argv[i], &skip)) == NULL) {
			if (!skip) {
				msg_warn("%s: unknown parameter", list->argv[i]);
				unknown++;
			}
			continue;
		}
		if (flags & PC_SHOW_VALUE_ONLY)
			buf_cpy(line, value);
		else
			buf_printf(line, "%s = %s", list->argv[i], value);
		if (flags & PC_SHOW_FOLD)
			pc_fold(out, buf_str(line));
		else
			buf_appendf(out, "%s\n", buf_str(line));
	}
	argv_free(list);
	buf_free(line);
	return (unknown);
}

/* pc_report - params_check_names() callback */
static void
pc_report(const struct params_issue *issue, void *ctx)
{
	struct buf *text = buf_new(200);

	(void) ctx;
	params_issue_format(issue, text);
	if (issue->is_alias)
		msg_info("%s", buf_str(text));
	else
		msg_warn("%s", buf_str(text));
	buf_free(text);
}

/* postconf_check_names - warn about unknown main.cf names */
void
postconf_check_names(const char *config_dir)
{
	struct buf *path = buf_new(256), *why = buf_new(100);
	struct argv *refs = argv_new(16);
	struct mastercf *mcf;
	size_t	i, j;

	buf_printf(path, "%s/master.cf", config_dir);
	if ((mcf = mastercf_load(buf_str(path), why)) != NULL) {
		for (i = 0; i < mcf->count; i++)
			for (j = 0; j < mcf->entries[i].overrides->argc; j++)
				argv_add(refs, mcf->entries[i].overrides->argv[j]);
		mastercf_free(mcf);
	}
	(void) params_check_names(refs, pc_report, NULL);
	argv_free(refs);
	buf_free(path);
	buf_free(why);
}

/* pc_selected - whether an entry matches "service", "service/type" */
static int
pc_selected(const struct mastercf_entry *ep, char **selectors)
{
	const char *slash;
	size_t	len;

	if (selectors == NULL || *selectors == NULL)
		return (1);
	for (; *selectors; selectors++) {
		slash = strrchr(*selectors, '/');
		len = slash ? (size_t) (slash - *selectors) : strlen(*selectors);
		if (len > 0 && (strlen(ep->service) != len
				|| strncmp(ep->service, *selectors, len) != 0))
			continue;
		if (slash && slash[1]
		    && strcmp(slash + 1, mastercf_type_name(ep->type)) != 0)
			continue;
		return (1);
	}
	return (0);
}

/* postconf_show_master - master.cf entries in -M layout */
int
postconf_show_master(const char *path, int flags, char **selectors,
		     struct buf *out, struct buf *why)
{
	struct mastercf *mcf = mastercf_load(path, why);
	size_t	i;

	if (mcf == NULL)
		return (-1);
	for (i = 0; i < mcf->count; i++) {
		if (!pc_selected(mcf->entries + i, selectors))
			continue;
		mastercf_format(mcf->entries + i, (flags & PC_SHOW_FOLD) != 0, out);
		buf_putc(out, '\n');
	}
	mastercf_free(mcf);
	return (0);
}
