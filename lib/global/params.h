/*
 * NAME
 *	params - the main.cf parameter table, loading, expansion and lookups
 * SYNOPSIS
 *	#include <global/params.h>
 *
 *	extern char *var_myhostname;	(one var_NAME per line of params.def)
 *	extern long var_queue_run_delay;
 *
 *	int	params_load(const char *config_dir, struct buf *why);
 *	int	params_load_flags(const char *config_dir, int flags, struct buf *why);
 *	int	params_override(const char *name_eq_value, struct buf *why);
 *	void	params_reset_defaults(void);
 *	const char *params_config_dir(void);
 *	const char *params_config_file(void);
 *
 *	const char *params_get(const char *name);
 *	const char *params_get_raw(const char *name);
 *	const char *params_lookup_default(const char *name);
 *	int	params_is_set(const char *name);
 *	const char *params_canonical_name(const char *name);
 *
 *	long	params_service_time(const char *service, const char *name, long fallback);
 *	int	params_service_int(const char *service, const char *name, int fallback);
 *	const char *params_service_str(const char *service, const char *name,
 *		const char *fallback);
 *	long	params_service_time_ovr(const struct argv *overrides,
 *		const char *service, const char *name, long fallback);
 *	int	params_service_int_ovr(const struct argv *overrides,
 *		const char *service, const char *name, int fallback);
 *	const char *params_service_str_ovr(const struct argv *overrides,
 *		const char *service, const char *name, const char *fallback);
 *
 *	int	params_parse_time(const char *text, int default_unit, long *seconds);
 *	int	params_parse_size(const char *text, long *bytes);
 *	int	params_parse_int(const char *text, long *value);
 *	int	params_parse_bool(const char *text, int *value);
 *	int	params_parse_percent(const char *text, int *percent);
 *	int	params_parse_rate(const char *text, long *count, long *per_seconds);
 *	int	params_expand_text(const char *text, struct buf *out, struct buf *why);
 *	int	params_parse_text(const char *path, const char *text,
 *		params_line_fn fn, void *ctx, struct buf *why);
 *
 *	size_t	params_table_count(void);
 *	const struct param_info *params_table_at(size_t index);
 *	const struct param_info *params_info(const char *name);
 *	size_t	params_file_count(void);
 *	const struct params_entry *params_file_at(size_t index);
 *
 *	size_t	params_check_names(const struct argv *extra_refs,
 *		params_report_fn report, void *ctx);
 *	void	params_issue_format(const struct params_issue *issue,
 *		struct buf *out);
 *	const char *params_suggest(const char *name);
 * DESCRIPTION
 *	Every main.cf parameter Postern knows is one line of params.def
 *	(name, type, default, limits). This module turns that table into the
 *	var_* globals, reads main.cf, expands $name references and converts
 *	typed values. Until the first params_load() or
 *	params_reset_defaults() the var_* are 0 or NULL. Pointers to strings
 *	(var_* of string type, params_get results) stay valid until the next
 *	params_load(), params_override() or params_reset_defaults().
 *
 *	params_load() reads CONFIG_DIR/main.cf (a missing file means all
 *	defaults): "name = value" logical lines, lines that begin with white
 *	space continue the previous line, lines whose first non-blank
 *	character is "#" are comments. It then expands every value: $name,
 *	${name}, $(name), ${name?value} (value when $name is not empty),
 *	${name:value} (value when $name is empty), ${name?{value}},
 *	${name?{value1}:{value2}}, and $$ for a literal dollar. An undefined
 *	name expands to the empty string; a reference loop is an error that
 *	names the loop. Last, typed values are converted and range checked:
 *	time values accept one number with a unit s m h d w (the default
 *	unit is the unit of the parameter's default value, e.g. d for
 *	maximal_queue_lifetime), sizes and integers are decimal numbers,
 *	booleans yes or no, percentages "N%" or "N". On error the result is
 *	-1 and why says "/path/main.cf, line N: ..."; string var_* then
 *	hold what could be expanded (else ""), others their last good
 *	value, so a caller that reports the error may still look around
 *	safely. PARAMS_LOAD_RAW (for
 *	postconf) only reads main.cf and checks its syntax: values are neither
 *	expanded nor converted and var_* are left alone.
 *
 *	params_override() applies "name=value" (master.cf -o and command
 *	line -o; white space around "=" is allowed) on top of main.cf and
 *	re-expands everything that depends on it. Any name is accepted. On
 *	error the previous value is restored and the result is -1.
 *
 *	params_reset_defaults() forgets main.cf and overrides and sets every
 *	var_* to its default (for tests and for commands without main.cf).
 *
 *	params_get() returns the expanded value of any parameter: one from
 *	the table, a user-defined name from main.cf or an override, or a
 *	SERVICE_name per-service setting; NULL when the name is neither set
 *	nor in the table. params_get_raw() is the value before expansion.
 *	params_lookup_default() returns the default value before expansion
 *	(computed defaults such as myhostname included), NULL for names not
 *	in the table. params_is_set() tells whether main.cf or an override
 *	set the name. Aliases (minimum_backoff_time, maximum_backoff_time)
 *	are accepted everywhere for the Postfix names minimal_backoff_time,
 *	maximal_backoff_time; params_canonical_name() maps them.
 *
 *	Per-service lookups follow one convention. params_service_X(service,
 *	name, fallback) returns the first of:
 *	.IP \(bu
 *	the override "service_name=value" or "name=value" in overrides (the
 *	_ovr variants: the -o items of the transport's master.cf line);
 *	.IP \(bu
 *	SERVICE_name from main.cf or a global override (e.g.
 *	relay_minimal_backoff_time, high-prio_destination_concurrency_limit);
 *	.IP \(bu
 *	name itself when it is in the table (minimal_backoff_time);
 *	.IP \(bu
 *	default_name when that is in the table (destination_concurrency_limit
 *	falls back to default_destination_concurrency_limit);
 *	.IP \(bu
 *	fallback.
 *	.PP
 *	Values of SERVICE_name settings with a known suffix (see
 *	params_check_names) are validated by params_load(), so these lookups
 *	cannot fail; a bad value in an override draws a warning and is
 *	skipped.
 *
 *	params_parse_time() converts "10", "10s", "5m", "2h", "5d", "1w" to
 *	seconds; default_unit ('s', 'm', 'h', 'd' or 'w') applies when there
 *	is no unit. params_parse_rate() converts "100/m", "5/s", "10/2m" (and
 *	"0" for no limit) to a count per time period. These return 0 or -1.
 *	params_expand_text() expands $name references in any text against the
 *	current parameters (0 or -1 with why).
 *
 *	params_parse_text() splits main.cf text into logical lines and
 *	calls fn(name, value, first_line, last_line, ctx) for each, where the
 *	value has its continuation lines joined by one space and the lines
 *	are the physical lines of the entry (comment lines in between
 *	included). It returns -1 with why "PATH, line N: reason" for a line
 *	without "=", a bad name, or a continuation line with nothing to
 *	continue, and the result of fn when that is not 0.
 *
 *	params_table_count()/params_table_at() iterate over the table in
 *	params.def order; params_info() finds one entry. params_file_count()/
 *	params_file_at() iterate over main.cf's logical lines in file order
 *	(name as written, raw value, line number).
 *
 *	params_check_names() reports every main.cf name that is neither in
 *	the table, nor an alias, nor X_suffix for a per-transport suffix
 *	(destination_concurrency_limit, minimal_backoff_time, ...), nor
 *	referenced as $name by another value or by one of extra_refs (e.g.
 *	master.cf -o values). Each gets a report with file, line and a
 *	suggestion (closest known name by edit distance, or NULL). Names set
 *	through an alias get a report with is_alias set. The result is the
 *	number of unknown names (alias notes not counted).
 *	params_issue_format() renders a report as
 *	"/etc/postern/main.cf, line 7: unknown parameter myhostnme (did you
 *	mean myhostname?)". params_suggest() returns the closest known name
 *	(valid until the next call) or NULL.
 * DIAGNOSTICS
 *	Library code: errors are returned through why. Defaults that fail to
 *	expand or convert are a bug and panic.
 * SEE ALSO
 *	params.def, the parameter list; cmd_init(3), mastercf(3)
 */
#ifndef POSTERN_PARAMS_H
#define POSTERN_PARAMS_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/argv.h>

#ifndef POSTERN_MAIL_VERSION
#define POSTERN_MAIL_VERSION	"0.9"
#endif

/* The var_* globals: char * for strings, int, long for times and sizes. */
#define P_STR(n, d)		extern char *var_##n;
#define P_RAW(n, d)		extern char *var_##n;
#define P_LIST(n, d)		extern char *var_##n;
#define P_INT(n, d, lo, hi)	extern int var_##n;
#define P_BOOL(n, d)		extern int var_##n;
#define P_PCT(n, d)		extern int var_##n;
#define P_TIME(n, d, lo, hi)	extern long var_##n;
#define P_SIZE(n, d)		extern long var_##n;
#include <global/params.def>
#undef P_STR
#undef P_RAW
#undef P_LIST
#undef P_INT
#undef P_BOOL
#undef P_PCT
#undef P_TIME
#undef P_SIZE

enum param_type {
	PARAM_STR,			/* string, $name expanded */
	PARAM_RAW,			/* string, not expanded */
	PARAM_LIST,			/* string, users split at ", \t\r\n" */
	PARAM_INT,			/* int with limits */
	PARAM_BOOL,			/* int 0 or 1 */
	PARAM_PCT,			/* int 0..100 */
	PARAM_TIME,			/* long seconds with limits */
	PARAM_SIZE,			/* long bytes >= 0 */
};

struct param_info {
	const char *name;
	enum param_type type;
	const char *def;		/* default before expansion */
	long	min;			/* INT/TIME lower limit */
	long	max;			/* INT/TIME upper limit, 0 = none */
	void   *var;			/* char **, int * or long * */
};

/* One logical line of main.cf, in file order. */
struct params_entry {
	char   *name;			/* as written */
	char   *value;			/* raw value */
	int	line;			/* first physical line */
};

/* One report of params_check_names(). */
struct params_issue {
	const char *file;
	int	line;
	const char *name;		/* as written in main.cf */
	const char *suggestion;		/* closest known name, or NULL */
	int	is_alias;		/* accepted alias: suggestion is the real name */
};

typedef int (*params_line_fn)(const char *name, const char *value,
		int first_line, int last_line, void *ctx);
typedef void (*params_report_fn)(const struct params_issue *issue, void *ctx);

#define PARAMS_LOAD_RAW		(1 << 0)	/* syntax only */

int	params_load(const char *config_dir, struct buf *why);
int	params_load_flags(const char *config_dir, int flags, struct buf *why);
int	params_override(const char *name_eq_value, struct buf *why);
void	params_reset_defaults(void);
const char *params_config_dir(void);
const char *params_config_file(void);

const char *params_get(const char *name);
const char *params_get_raw(const char *name);
const char *params_lookup_default(const char *name);
int	params_is_set(const char *name);
const char *params_canonical_name(const char *name);

long	params_service_time(const char *service, const char *name, long fallback);
int	params_service_int(const char *service, const char *name, int fallback);
const char *params_service_str(const char *service, const char *name,
		const char *fallback);
long	params_service_time_ovr(const struct argv *overrides,
		const char *service, const char *name, long fallback);
int	params_service_int_ovr(const struct argv *overrides,
		const char *service, const char *name, int fallback);
const char *params_service_str_ovr(const struct argv *overrides,
		const char *service, const char *name, const char *fallback);

int	params_parse_time(const char *text, int default_unit, long *seconds);
int	params_parse_size(const char *text, long *bytes);
int	params_parse_int(const char *text, long *value);
int	params_parse_bool(const char *text, int *value);
int	params_parse_percent(const char *text, int *percent);
int	params_parse_rate(const char *text, long *count, long *per_seconds);
int	params_expand_text(const char *text, struct buf *out, struct buf *why);
int	params_parse_text(const char *path, const char *text,
		params_line_fn fn, void *ctx, struct buf *why);

size_t	params_table_count(void);
const struct param_info *params_table_at(size_t index);
const struct param_info *params_info(const char *name);
size_t	params_file_count(void);
const struct params_entry *params_file_at(size_t index);

size_t	params_check_names(const struct argv *extra_refs,
		params_report_fn report, void *ctx);
void	params_issue_format(const struct params_issue *issue, struct buf *out);
const char *params_suggest(const char *name);

#endif
