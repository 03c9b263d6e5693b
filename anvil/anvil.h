/*
 * NAME
 *	anvil - private interfaces of the anvil server
 * SYNOPSIS
 *	#include "anvil.h"
 * DESCRIPTION
 *	anvil_table.c holds the counters (no I/O); anvil.c is the server.
 * SEE ALSO
 *	anvil(8), anvil_clnt(3)
 */
#ifndef POSTERN_ANVIL_H
#define POSTERN_ANVIL_H

#include <util/sys_defs.h>
#include <time.h>
#include <util/argv.h>
#include <global/anvil_clnt.h>

struct anvil_table;

struct anvil_table *anvil_table_new(long unit);
void	anvil_table_connect(struct anvil_table *t, const char *ident,
		time_t now, int *count, int *rate);
int	anvil_table_disconnect(struct anvil_table *t, const char *ident,
		time_t now);
void	anvil_table_message(struct anvil_table *t, const char *ident,
		time_t now, int *rate);
void	anvil_table_rcpt(struct anvil_table *t, const char *ident,
		time_t now, int *rate);
void	anvil_table_lookup(struct anvil_table *t, const char *ident,
		time_t now, struct anvil_usage *usage);
size_t	anvil_table_expire(struct anvil_table *t, time_t now);
size_t	anvil_table_size(const struct anvil_table *t);
void	anvil_table_stats(struct anvil_table *t, struct argv *lines);
void	anvil_table_free(struct anvil_table *t);

#endif
