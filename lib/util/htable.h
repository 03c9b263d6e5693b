/*
 * NAME
 *	htable - string-keyed hash table
 * SYNOPSIS
 *	#include <util/htable.h>
 *
 *	struct htable *htable_new(size_t size_hint);
 *	void	*htable_find(const struct htable *table, const char *key);
 *	struct htable_entry *htable_locate(const struct htable *table, const char *key);
 *	void	*htable_enter(struct htable *table, const char *key, void *value);
 *	void	htable_delete(struct htable *table, const char *key, void (*free_fn)(void *));
 *	void	htable_free(struct htable *table, void (*free_fn)(void *));
 *	size_t	htable_count(const struct htable *table);
 *	struct htable_entry **htable_list(const struct htable *table);
 * DESCRIPTION
 *	Keys are copied; values are opaque pointers owned by the caller.
 *	htable_enter() adds or replaces an entry and returns the previous
 *	value (NULL when the key is new). htable_find() returns NULL for a
 *	missing key; use htable_locate() when NULL is a valid value.
 *	htable_delete() and htable_free() call free_fn (when not NULL) on
 *	values. htable_list() returns a NULL-terminated snapshot array of the
 *	entries, in no particular order, for the caller to free(); it stays
 *	valid until the table is changed. The table grows as it fills.
 */
#ifndef POSTERN_HTABLE_H
#define POSTERN_HTABLE_H

#include <util/sys_defs.h>

struct htable_entry {
	char   *key;
	void   *value;
	struct htable_entry *next;
};

struct htable;

struct htable *htable_new(size_t size_hint);
void   *htable_find(const struct htable *table, const char *key);
struct htable_entry *htable_locate(const struct htable *table, const char *key);
void   *htable_enter(struct htable *table, const char *key, void *value);
void	htable_delete(struct htable *table, const char *key, void (*free_fn)(void *));
void	htable_free(struct htable *table, void (*free_fn)(void *));
size_t	htable_count(const struct htable *table);
struct htable_entry **htable_list(const struct htable *table);

#endif
