/*
 * NAME
 *	alloc - memory allocation that cannot fail
 * DESCRIPTION
 *	See alloc.h. Exhaustion is fatal: a daemon that cannot allocate
 *	cannot do its job safely, and master restarts it.
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/msg.h>

/* xmalloc - allocate or die */
void   *
xmalloc(size_t len)
{
	void   *ptr = malloc(len ? len : 1);

	if (ptr == NULL)
		msg_fatal("out of memory allocating %zu bytes", len);
	return (ptr);
}

/* xcalloc - allocate zeroed memory or die */
void   *
xcalloc(size_t nmemb, size_t size)
{
	void   *ptr = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (ptr == NULL)
		msg_fatal("out of memory allocating %zu x %zu bytes", nmemb, size);
	return (ptr);
}

/* xrealloc - resize or die */
void   *
xrealloc(void *ptr, size_t len)
{
	void   *nptr = realloc(ptr, len ? len : 1);

	if (nptr == NULL)
		msg_fatal("out of memory reallocating %zu bytes", len);
	return (nptr);
}

/* xreallocarray - resize an array with overflow check */
void   *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		msg_fatal("array size overflow: %zu x %zu", nmemb, size);
	return (xrealloc(ptr, nmemb * size));
}

/* xstrdup - copy a string */
char   *
xstrdup(const char *str)
{
	return (xmemdup(str, strlen(str) + 1));
}

/* xstrndup - copy at most len bytes of a string, null-terminated */
char   *
xstrndup(const char *str, size_t len)
{
	size_t	n = strnlen(str, len);
	char   *copy = xmalloc(n + 1);

	memcpy(copy, str, n);
	copy[n] = 0;
	return (copy);
}

/* xmemdup - copy a memory block */
void   *
xmemdup(const void *ptr, size_t len)
{
	void   *copy = xmalloc(len);

	memcpy(copy, ptr, len);
	return (copy);
}
