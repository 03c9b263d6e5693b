/*
 * NAME
 *	params_service - per-service parameters and value validators
 * SYNOPSIS
 *	#include <global/params.h>
 *	#include <global/params_private.h>
 * DESCRIPTION
 *	The per-service lookups params_service_time(), params_service_int(),
 *	params_service_str() and their _ovr variants follow the convention
 *	documented in params.h: override, SERVICE_name, name, default_name,
 *	fallback.
 *
 *	The suffix table lists the per-transport parameter suffixes that
 *	main.cf may use behind any service name (SERVICE_suffix), with their
 *	types. params_suffix_match() finds the longest suffix of a name
 *	preceded by "_" and a non-empty service name.
 *
 *	params_validate_str() checks string parameters whose values have a
 *	fixed form: delivery priorities (high, normal, bulk), rates
 *	("100/m"), qmgr_priority_weights ("class:N, ..."),
 *	smtpd_forbid_bare_newline and mynetworks_style. Others pass.
 *
 *	params_time_unit() is the default unit of a time parameter: the unit
 *	letter that ends its default value, else s.
 * DIAGNOSTICS
 *	A bad value in an override of a _ovr lookup: a warning naming the
 *	service and the setting; the next source is used.
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/params.h>
#include <global/params_private.h>

static const struct params_suffix suffix_table[] = {
	{"destination_concurrency_limit", PARAM_INT, 's'},
	{"destination_recipient_limit", PARAM_INT, 's'},
	{"initial_destination_concurrency", PARAM_INT, 's'},
	{"destination_rate_delay", PARAM_TIME, 's'},
	{"destination_concurrency_failed_cohort_limit", PARAM_INT, 's'},
	{"destination_concurrency_positive_feedback", PARAM_STR, 's'},
	{"destination_concurrency_negative_feedback", PARAM_STR, 's'},
	{"destination_message_rate_limit", PARAM_STR, 's'},
	{"destination_message_rate_burst", PARAM_INT, 's'},
	{"minimal_backoff_time", PARAM_TIME, 's'},
	{"maximal_backoff_time", PARAM_TIME, 's'},
	{"queue_run_delay", PARAM_TIME, 's'},
	{"delivery_priority", PARAM_STR, 's'},
	{"recipient_limit", PARAM_INT, 's'},
	{"extra_recipient_limit", PARAM_INT, 's'},
	{"recipient_refill_limit", PARAM_INT, 's'},
	{"recipient_refill_delay", PARAM_TIME, 's'},
	{"delivery_slot_cost", PARAM_INT, 's'},
	{"delivery_slot_loan", PARAM_INT, 's'},
	{"delivery_slot_discount", PARAM_INT, 's'},
	{"minimum_delivery_slots", PARAM_INT, 's'},
	{"time_limit", PARAM_TIME, 's'},
};

static struct htable *service_strings;	/* interned results of _str lookups */

/* params_suffix_count - size of the suffix table */
size_t
params_suffix_count(void)
{
	return (ARRAY_LEN(suffix_table));
}

/* params_suffix_at - one suffix table entry */
const struct params_suffix *
params_suffix_at(size_t index)
{
	return (index < ARRAY_LEN(suffix_table) ? suffix_table + index : NULL);
}

/* params_suffix_match - the per-transport suffix of SERVICE_suffix */
const struct params_suffix *
params_suffix_match(const char *name)
{
	const struct params_suffix *best = NULL;
	const char *canon = params_canonical_name(name);
	size_t	i, len = strlen(canon), slen;

	for (i = 0; i < ARRAY_LEN(suffix_table); i++) {
		slen = strlen(suffix_table[i].suffix);
		if (len > slen + 1 && canon[len - slen - 1] == '_'
		    && strcmp(canon + len - slen, suffix_table[i].suffix) == 0
		    && (best == NULL || slen > strlen(best->suffix)))
			best = suffix_table + i;
	}
	return (best);
}

/* params_time_unit - default unit of a time default value */
int
params_time_unit(const char *def)
{
	size_t	len = strlen(def);

	if (len > 0 && strchr("smhdw", def[len - 1]))
		return (def[len - 1]);
	return ('s');
}

/* validate_weights - "class:N, ..." with known classes */
static int
validate_weights(const char *value, struct buf *why)
{
	struct argv *items = argv_split(value, ARGV_LIST_DELIMS);
	const char *colon;
	long	weight;
	size_t	i;
	int	ret = 0;

	for (i = 0; i < items->argc && ret == 0; i++) {
		colon = strchr(items->argv[i], ':');
		if (colon == NULL || params_parse_int(colon + 1, &weight) < 0
		    || weight < 1 || weight > 1000000) {
			buf_printf(why, "bad weight \"%s\" (use class:N, N >= 1)",
				   items->argv[i]);
			ret = -1;
		} else if (strncmp(items->argv[i], "high:", 5) != 0
			   && strncmp(items->argv[i], "normal:", 7) != 0
			   && strncmp(items->argv[i], "bulk:", 5) != 0) {
			buf_printf(why, "unknown priority class in \"%s\" "
				   "(use high, normal or bulk)", items->argv[i]);
			ret = -1;
		}
	}
	argv_free(items);
	return (ret);
}

/* validate_choice - value must be one of a blank-separated list */
static int
validate_choice(const char *value, const char *choices, struct buf *why)
{
	struct argv *list = argv_split(choices, " ");
	size_t	i;
	int	ret = -1;

	for (i = 0; i < list->argc; i++)
		if (strcmp(value, list->argv[i]) == 0)
			ret = 0;
	if (ret < 0)
		buf_printf(why, "bad value \"%s\" (use one of: %s)", value, choices);
	argv_free(list);
	return (ret);
}

/* params_validate_str - check strings that have a fixed form */
int
params_validate_str(const char *name, const char *value, struct buf *why)
{
	long	count, period;

	if (strcmp(name, "default_delivery_priority") == 0
	    || strcmp(name, "delivery_priority") == 0)
		return (validate_choice(value, "high normal bulk", why));
	if (strcmp(name, "smtpd_forbid_bare_newline") == 0)
		return (validate_choice(value, "normal yes no reject", why));
	if (strcmp(name, "mynetworks_style") == 0)
		return (validate_choice(value, "host subnet class", why));
	if (strcmp(name, "qmgr_priority_weights") == 0)
		return (validate_weights(value, why));
	if (strcmp(name, "default_destination_message_rate_limit") == 0
	    || strcmp(name, "destination_message_rate_limit") == 0) {
		if (params_parse_rate(value, &count, &period) < 0) {
			buf_printf(why, "bad rate \"%s\" (use 0 or N/unit, e.g. 100/m)",
				   value);
			return (-1);
		}
	}
	return (0);
}

/* service_name - "SERVICE_name" */
static char *
service_name(const char *service, const char *name)
{
	struct buf *bp = buf_new(64);

	buf_printf(bp, "%s_%s", service, params_canonical_name(name));
	return (buf_steal(bp));
}

/* override_find - value of the last matching -o item, or NULL */
static const char *
override_find(const struct argv *overrides, const char *service,
	      const char *name, const char **which)
{
	char   *prefixed = service_name(service, name);
	const char *canon = params_canonical_name(name);
	const char *found = NULL, *eq;
	char   *item_name;
	size_t	i;

	for (i = 0; overrides != NULL && i < overrides->argc; i++) {
		if ((eq = strchr(overrides->argv[i], '=')) == NULL)
			continue;
		item_name = xstrndup(overrides->argv[i], (size_t) (eq - overrides->argv[i]));
		if (strcmp(params_canonical_name(item_name), canon) == 0
		    || strcmp(params_canonical_name(item_name), prefixed) == 0) {
			found = eq + 1;
			*which = overrides->argv[i];
		}
		free(item_name);
	}
	free(prefixed);
	return (found);
}

/* service_text - the first source that has a value, expanded */
static int
service_text(const struct argv *overrides, const char *service,
	     const char *name, struct buf *out, int *from_override,
	     const char **which)
{
	const char *value, *canon = params_canonical_name(name);
	struct buf *why;
	char   *prefixed;
	int	ret;

	if ((value = override_find(overrides, service, name, which)) != NULL) {
		why = buf_new(100);
		ret = params_expand_text(value, out, why);
		if (ret < 0)
			msg_warn("service %s: -o %s: %s", service, *which, buf_str(why));
		buf_free(why);
		*from_override = 1;
		if (ret == 0)
			return (0);
	}
	*from_override = 0;
	prefixed = service_name(service, name);
	value = (params_is_set(prefixed) || params_info(prefixed)) ?
		params_get(prefixed) : NULL;
	free(prefixed);
	if (value == NULL && params_info(canon) != NULL)
		value = params_get(canon);
	if (value == NULL) {
		prefixed = service_name("default", canon);
		if (params_info(prefixed) != NULL)
			value = params_get(prefixed);
		free(prefixed);
	}
	if (value == NULL)
		return (-1);
	buf_cpy(out, value);
	return (0);
}

/* service_unit - default time unit for a per-service name */
static int
service_unit(const char *name)
{
	const struct param_info *ip = params_info(name);
	char   *def_name;
	int	unit = 's';

	if (ip == NULL) {
		def_name = service_name("default", name);
		ip = params_info(def_name);
		free(def_name);
	}
	if (ip != NULL && ip->type == PARAM_TIME)
		unit = params_time_unit(ip->def);
	return (unit);
}

/* service_number - shared body of the time and int lookups */
static long
service_number(const struct argv *overrides, const char *service,
	       const char *name, enum param_type type, long fallback)
{
	struct buf *text = buf_new(64), *why = buf_new(64);
	const char *which = NULL;
	long	result = fallback;
	long	min = (type == PARAM_INT ? -2147483647L : 0);
	int	from_override, unit = service_unit(name);

	for (;;) {
		if (service_text(overrides, service, name, text, &from_override,
				 &which) < 0) {
			result = fallback;
			break;
		}
		if (params_convert(type, unit, buf_str(text), min, 0, &result, why) == 0)
			break;
		result = fallback;
		if (!from_override)
			break;
		msg_warn("service %s: -o %s: %s", service, which, buf_str(why));
		overrides = NULL;
	}
	buf_free(text);
	buf_free(why);
	return (result);
}

/* params_service_time_ovr - per-service time, overrides first */
long
params_service_time_ovr(const struct argv *overrides, const char *service,
			const char *name, long fallback)
{
	return (service_number(overrides, service, name, PARAM_TIME, fallback));
}

/* params_service_int_ovr - per-service integer, overrides first */
int
params_service_int_ovr(const struct argv *overrides, const char *service,
		       const char *name, int fallback)
{
	return ((int) service_number(overrides, service, name, PARAM_INT, fallback));
}

/* params_service_str_ovr - per-service string, overrides first */
const char *
params_service_str_ovr(const struct argv *overrides, const char *service,
		       const char *name, const char *fallback)
{
	struct buf *text = buf_new(64), *why = buf_new(64);
	const struct params_suffix *sp = params_suffix_match(name);
	const char *which = NULL;
	const char *check = sp ? sp->suffix : params_canonical_name(name);
	char   *value = NULL;
	int	from_override;

	for (;;) {
		if (service_text(overrides, service, name, text, &from_override,
				 &which) < 0)
			break;
		if (!from_override || params_validate_str(check, buf_str(text), why) == 0) {
			if (service_strings == NULL)
				service_strings = htable_new(16);
			if ((value = htable_find(service_strings, buf_str(text))) == NULL) {
				value = xstrdup(buf_str(text));
				htable_enter(service_strings, value, value);
			}
			break;
		}
		msg_warn("service %s: -o %s: %s", service, which, buf_str(why));
		overrides = NULL;
	}
	buf_free(text);
	buf_free(why);
	return (value ? value : fallback);
}

/* params_service_time - per-service time from main.cf */
long
params_service_time(const char *service, const char *name, long fallback)
{
	return (params_service_time_ovr(NULL, service, name, fallback));
}

/* params_service_int - per-service integer from main.cf */
int
params_service_int(const char *service, const char *name, int fallback)
{
	return (params_service_int_ovr(NULL, service, name, fallback));
}

/* params_service_str - per-service string from main.cf */
const char *
params_service_str(const char *service, const char *name, const char *fallback)
{
	return (params_service_str_ovr(NULL, service, name, fallback));
}
