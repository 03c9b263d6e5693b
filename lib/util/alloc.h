/*
 * NAME
 *	alloc - memory allocation that cannot fail
 * SYNOPSIS
 *	#include <util/alloc.h>
 *
 *	void	*xmalloc(size_t len);
 *	void	*xcalloc(size_t nmemb, size_t size);
 *	void	*xrealloc(void *ptr, size_t len);
 *	void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
 *	char	*xstrdup(const char *str);
 *	char	*xstrndup(const char *str, size_t len);
 *	void	*xmemdup(const void *ptr, size_t len);
 * DESCRIPTION
 *	These wrappers abort the process through msg_fatal() when memory is
 *	exhausted or a size computation overflows, so callers never check for
 *	NULL. free() releases the memory as usual.
 */
#ifndef POSTERN_ALLOC_H
#define POSTERN_ALLOC_H

#include <util/sys_defs.h>

void	*xmalloc(size_t len);
void	*xcalloc(size_t nmemb, size_t size);
void	*xrealloc(void *ptr, size_t len);
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *str);
char	*xstrndup(const char *str, size_t len);
void	*xmemdup(const void *ptr, size_t len);

#endif
