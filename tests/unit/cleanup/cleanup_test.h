/*
 * NAME
 *	cleanup_test - helpers shared by the cleanup unit tests
 * SYNOPSIS
 *	#include "cleanup_test.h"
 * DESCRIPTION
 *	Each test runs in a fresh temporary queue directory (the current
 *	directory) with default parameters plus myhostname = test.example.
 *	ct_feed() sends one record to a state, ct_load() reads a queue file
 *	back as records, ct_find() looks for a record, ct_logged() searches
 *	the captured log lines.
 */
#ifndef CLEANUP_TEST_H
#define CLEANUP_TEST_H

#include <util/sys_defs.h>
#include <util/buf.h>

#define CT_MAX_RECORDS	4096

struct ct_file {
	int	count;
	int	type[CT_MAX_RECORDS];
	char   *data[CT_MAX_RECORDS];
	size_t	len[CT_MAX_RECORDS];
	int	mode;			/* st_mode & 07777 */
	int	check;			/* rec_check_file() result */
	struct buf *why;		/* its reason */
};

struct cleanup_state;

int	ct_setup(void **state);
int	ct_teardown(void **state);
void	ct_override(const char *name_eq_value);
void	ct_feed(struct cleanup_state *st, int type, const char *text);
void	ct_envelope(struct cleanup_state *st, const char *sender,
		const char *rcpt);
struct cleanup_state *ct_message(int flags, const char *sender,
		const char *rcpt, const char **lines);
int	ct_finish(struct cleanup_state *st);
struct ct_file *ct_load(const char *queue, const char *id);
void	ct_free(struct ct_file *qf);
int	ct_find(const struct ct_file *qf, int type, const char *data);
int	ct_count(const struct ct_file *qf, int type);
int	ct_logged(const char *text);
const char *ct_log(void);

#endif
