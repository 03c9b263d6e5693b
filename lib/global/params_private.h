/*
 * NAME
 *	params_private - internals shared by the params_*.c modules
 * SYNOPSIS
 *	#include <global/params_private.h>
 * DESCRIPTION
 *	Not for use outside lib/global/params*.c. The state lives in
 *	params.c; params_expand.c expands text against it, params_parse.c
 *	holds the value parsers and the main.cf line reader, params_service.c
 *	the per-service conventions, params_check.c the unknown-name check,
 *	params_default.c the defaults computed at run time.
 *
 *	params_resolve() returns the expanded value of a name (NULL when
 *	undefined) or sets the error flag of the current expansion.
 *	params_source_value() is the raw value from main.cf or an override,
 *	params_value_location() formats "FILE, line N: " for a name (empty
 *	for overrides and defaults).
 */
#ifndef POSTERN_PARAMS_PRIVATE_H
#define POSTERN_PARAMS_PRIVATE_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <global/params.h>

/* Expansion context: the name stack detects loops. */
struct params_expand_state {
	struct argv *stack;		/* names being expanded, outermost first */
	struct buf *why;		/* first error */
	int	failed;
};

/* Per-transport parameter suffixes (params_service.c). */
struct params_suffix {
	const char *suffix;
	enum param_type type;
	int	unit;			/* default time unit */
};

/* params.c */
const char *params_resolve(const char *name, struct params_expand_state *st);
const char *params_source_value(const char *name);
void	params_value_location(const char *name, struct buf *out);
int	params_is_raw_mode(void);
const char *params_alias_target(const char *name);
size_t	params_alias_count(void);
const char *params_alias_at(size_t index);

/* params_expand.c */
int	params_expand_into(const char *text, struct buf *out,
		struct params_expand_state *st);
void	params_scan_refs(const char *text, void (*fn)(const char *name,
		size_t len, void *ctx), void *ctx);

/* params_default.c */
const char *params_dynamic_default(const char *name);
void	params_dynamic_reset(void);
int	params_is_dynamic(const char *name);

/* params_service.c */
const struct params_suffix *params_suffix_match(const char *name);
size_t	params_suffix_count(void);
const struct params_suffix *params_suffix_at(size_t index);
int	params_validate_str(const char *name, const char *value, struct buf *why);
int	params_time_unit(const char *def);

/* params_parse.c */
int	params_convert(enum param_type type, int unit, const char *value,
		long min, long max, long *result, struct buf *why);

#endif
