/*
 * NAME
 *	params_check - unknown main.cf names and "did you mean" suggestions
 * SYNOPSIS
 *	#include <global/params.h>
 * DESCRIPTION
 *	params_check_names(), params_issue_format() and params_suggest() are
 *	described in params.h. Suggestions use the optimal string alignment
 *	distance (insertions, deletions, substitutions and transpositions of
 *	neighbours each cost 1) against the table names, the aliases, and
 *	for SERVICE_suffix names the service name joined to each known
 *	per-transport suffix. A suggestion is made only when the distance is
 *	at most 1 for names up to 4 characters, 2 up to 8, else 3.
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/htable.h>
#include <global/params.h>
#include <global/params_private.h>

#define CHECK_MAX_NAME	128

/* osa_distance - edit distance with adjacent transpositions */
static size_t
osa_distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, best, cost;
	size_t *d;

	if (la > CHECK_MAX_NAME || lb > CHECK_MAX_NAME)
		return ((size_t) -1);
	d = xcalloc((la + 1) * (lb + 1), sizeof(*d));
#define D(x, y)	d[(x) * (lb + 1) + (y)]
	for (i = 0; i <= la; i++)
		D(i, 0) = i;
	for (j = 0; j <= lb; j++)
		D(0, j) = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			cost = (a[i - 1] != b[j - 1]);
			best = D(i - 1, j) + 1;
			if (D(i, j - 1) + 1 < best)
				best = D(i, j - 1) + 1;
			if (D(i - 1, j - 1) + cost < best)
				best = D(i - 1, j - 1) + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2]
			    && a[i - 2] == b[j - 1] && D(i - 2, j - 2) + 1 < best)
				best = D(i - 2, j - 2) + 1;
			D(i, j) = best;
		}
	}
	best = D(la, lb);
#undef D
	free(d);
	return (best);
}

/* suggest_limit - largest distance worth a suggestion */
static size_t
suggest_limit(const char *name)
{
	size_t	len = strlen(name);

	return (len <= 4 ? 1 : len <= 8 ? 2 : 3);
}

/* Best candidate so far. */
struct suggest_state {
	const char *name;
	size_t	best;
	struct buf *choice;
};

/* suggest_try - consider one candidate */
static void
suggest_try(struct suggest_state *ss, const char *candidate)
{
	size_t	dist = osa_distance(ss->name, candidate);

	if (dist > 0 && dist < ss->best) {
		ss->best = dist;
		buf_cpy(ss->choice, candidate);
	}
}

/* suggest_prefixed - SERVICE_ plus each known suffix */
static void
suggest_prefixed(struct suggest_state *ss)
{
	const char *cp;
	struct buf *cand = buf_new(64);
	size_t	i;

	for (cp = strchr(ss->name, '_'); cp != NULL; cp = strchr(cp + 1, '_')) {
		for (i = 0; i < params_suffix_count(); i++) {
			buf_reset(cand);
			buf_catn(cand, ss->name, (size_t) (cp - ss->name) + 1);
			buf_cat(cand, params_suffix_at(i)->suffix);
			suggest_try(ss, buf_str(cand));
		}
	}
	buf_free(cand);
}

/* params_suggest - closest known name, or NULL */
const char *
params_suggest(const char *name)
{
	static struct buf *result;
	struct suggest_state ss;
	size_t	i;

	if (result == NULL)
		result = buf_new(64);
	ss.name = name;
	ss.best = suggest_limit(name) + 1;
	ss.choice = result;
	buf_reset(result);
	for (i = 0; i < params_table_count(); i++)
		suggest_try(&ss, params_table_at(i)->name);
	for (i = 0; i < params_alias_count(); i++)
		suggest_try(&ss, params_alias_at(i));
	suggest_prefixed(&ss);
	return (buf_len(result) ? buf_str(result) : NULL);
}

/* ref_add - params_scan_refs() callback */
static void
ref_add(const char *name, size_t len, void *ctx)
{
	struct htable *refs = ctx;
	char   *copy = xstrndup(name, len);

	htable_enter(refs, params_canonical_name(copy), NULL);
	free(copy);
}

/* check_collect_refs - every name referenced anywhere */
static struct htable *
check_collect_refs(const struct argv *extra_refs)
{
	struct htable *refs = htable_new(64);
	const struct param_info *ip;
	size_t	i;

	for (i = 0; i < params_table_count(); i++) {
		ip = params_table_at(i);
		params_scan_refs(params_get_raw(ip->name), ref_add, refs);
	}
	for (i = 0; i < params_file_count(); i++)
		params_scan_refs(params_file_at(i)->value, ref_add, refs);
	for (i = 0; extra_refs != NULL && i < extra_refs->argc; i++)
		params_scan_refs(extra_refs->argv[i], ref_add, refs);
	return (refs);
}

/* params_check_names - report unknown main.cf names */
size_t
params_check_names(const struct argv *extra_refs, params_report_fn report,
		   void *ctx)
{
	struct htable *refs = check_collect_refs(extra_refs);
	const struct params_entry *ep;
	struct params_issue issue;
	const char *canon;
	size_t	i, unknown = 0;

	issue.file = params_config_file();
	for (i = 0; i < params_file_count(); i++) {
		ep = params_file_at(i);
		canon = params_canonical_name(ep->name);
		issue.line = ep->line;
		issue.name = ep->name;
		issue.is_alias = (canon != ep->name);
		if (issue.is_alias) {
			issue.suggestion = canon;
			report(&issue, ctx);
			continue;
		}
		if (params_info(canon) || params_suffix_match(canon)
		    || htable_locate(refs, canon))
			continue;
		issue.suggestion = params_suggest(ep->name);
		report(&issue, ctx);
		unknown++;
	}
	htable_free(refs, NULL);
	return (unknown);
}

/* params_issue_format - one report as text */
void
params_issue_format(const struct params_issue *issue, struct buf *out)
{
	buf_printf(out, "%s, line %d: ", issue->file, issue->line);
	if (issue->is_alias)
		buf_appendf(out, "%s is accepted as an alias for %s",
			    issue->name, issue->suggestion);
	else if (issue->suggestion)
		buf_appendf(out, "unknown parameter %s (did you mean %s?)",
			    issue->name, issue->suggestion);
	else
		buf_appendf(out, "unknown parameter %s", issue->name);
}
