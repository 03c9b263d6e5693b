/*
 * NAME
 *	htable - string-keyed hash table
 * DESCRIPTION
 *	See htable.h. Separate chaining with a power-of-two bucket array that
 *	doubles when the load factor passes one; FNV-1a hashing.
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/htable.h>

struct htable {
	size_t	size;			/* buckets, a power of two */
	size_t	used;			/* entries */
	struct htable_entry **slots;
};

/* htable_hash - FNV-1a over the key */
static size_t
htable_hash(const char *key, size_t size)
{
	uint64_t h = 14695981039346656037ULL;

	while (*key) {
		h ^= (unsigned char) *key++;
		h *= 1099511628211ULL;
	}
	return ((size_t) h & (size - 1));
}

/* htable_new - create an empty table */
struct htable *
htable_new(size_t size_hint)
{
	struct htable *table = xmalloc(sizeof(*table));

	table->size = 16;
	while (table->size < size_hint && table->size < ((size_t) 1 << 30))
		table->size <<= 1;
	table->used = 0;
	table->slots = xcalloc(table->size, sizeof(*table->slots));
	return (table);
}

/* htable_grow - double the bucket array and rehash */
static void
htable_grow(struct htable *table)
{
	size_t	new_size = table->size * 2;
	struct htable_entry **slots = xcalloc(new_size, sizeof(*slots));
	struct htable_entry *ep, *next;
	size_t	i, h;

	for (i = 0; i < table->size; i++) {
		for (ep = table->slots[i]; ep; ep = next) {
			next = ep->next;
			h = htable_hash(ep->key, new_size);
			ep->next = slots[h];
			slots[h] = ep;
		}
	}
	free(table->slots);
	table->slots = slots;
	table->size = new_size;
}

/* htable_locate - find the entry for a key */
struct htable_entry *
htable_locate(const struct htable *table, const char *key)
{
	struct htable_entry *ep;

	for (ep = table->slots[htable_hash(key, table->size)]; ep; ep = ep->next)
		if (strcmp(ep->key, key) == 0)
			return (ep);
	return (NULL);
}

/* htable_find - find the value for a key */
void   *
htable_find(const struct htable *table, const char *key)
{
	struct htable_entry *ep = htable_locate(table, key);

	return (ep ? ep->value : NULL);
}

/* htable_enter - add or replace; return the old value */
void   *
htable_enter(struct htable *table, const char *key, void *value)
{
	struct htable_entry *ep = htable_locate(table, key);
	void   *old;
	size_t	h;

	if (ep) {
		old = ep->value;
		ep->value = value;
		return (old);
	}
	if (table->used >= table->size)
		htable_grow(table);
	ep = xmalloc(sizeof(*ep));
	ep->key = xstrdup(key);
	ep->value = value;
	h = htable_hash(key, table->size);
	ep->next = table->slots[h];
	table->slots[h] = ep;
	table->used++;
	return (NULL);
}

/* htable_delete - remove one entry */
void
htable_delete(struct htable *table, const char *key, void (*free_fn)(void *))
{
	struct htable_entry **epp, *ep;

	for (epp = &table->slots[htable_hash(key, table->size)]; (ep = *epp); epp = &ep->next) {
		if (strcmp(ep->key, key) == 0) {
			*epp = ep->next;
			if (free_fn)
				free_fn(ep->value);
			free(ep->key);
			free(ep);
			table->used--;
			return;
		}
	}
}

/* htable_free - destroy the table */
void
htable_free(struct htable *table, void (*free_fn)(void *))
{
	struct htable_entry *ep, *next;
	size_t	i;

	if (table == NULL)
		return;
	for (i = 0; i < table->size; i++) {
		for (ep = table->slots[i]; ep; ep = next) {
			next = ep->next;
			if (free_fn)
				free_fn(ep->value);
			free(ep->key);
			free(ep);
		}
	}
	free(table->slots);
	free(table);
}

/* htable_count - number of entries */
size_t
htable_count(const struct htable *table)
{
	return (table->used);
}

/* htable_list - snapshot of all entries */
struct htable_entry **
htable_list(const struct htable *table)
{
	struct htable_entry **list = xcalloc(table->used + 1, sizeof(*list));
	struct htable_entry *ep;
	size_t	i, n = 0;

	for (i = 0; i < table->size; i++)
		for (ep = table->slots[i]; ep; ep = ep->next)
			list[n++] = ep;
	list[n] = NULL;
	return (list);
}
