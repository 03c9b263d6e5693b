/*
 * NAME
 *	buf - the one growable string buffer
 * SYNOPSIS
 *	#include <util/buf.h>
 *
 *	struct buf *buf_new(size_t hint);
 *	void	buf_free(struct buf *bp);
 *	void	buf_reset(struct buf *bp);
 *	struct buf *buf_cpy(struct buf *bp, const char *str);
 *	struct buf *buf_cat(struct buf *bp, const char *str);
 *	struct buf *buf_catn(struct buf *bp, const void *data, size_t len);
 *	struct buf *buf_putc(struct buf *bp, int ch);
 *	struct buf *buf_printf(struct buf *bp, const char *fmt, ...);
 *	struct buf *buf_appendf(struct buf *bp, const char *fmt, ...);
 *	struct buf *buf_vappendf(struct buf *bp, const char *fmt, va_list ap);
 *	void	buf_truncate(struct buf *bp, size_t len);
 *	char	*buf_steal(struct buf *bp);
 *	char	*buf_str(const struct buf *bp);
 *	size_t	buf_len(const struct buf *bp);
 * DESCRIPTION
 *	A struct buf holds len bytes of data followed by a null byte, so
 *	buf_str() is always a C string (the data may also contain nulls;
 *	buf_len() counts them). All string building in Postern goes through
 *	this type; the growth arithmetic is checked for overflow.
 *
 *	buf_cpy() replaces the content, buf_cat()/buf_catn()/buf_putc()
 *	append. buf_printf() replaces and buf_appendf() appends formatted
 *	text. buf_truncate() shortens to len bytes (no-op when longer).
 *	buf_steal() returns the storage to the caller (to free()) and frees
 *	the rest of the buffer.
 * DIAGNOSTICS
 *	Memory exhaustion is fatal (see alloc.h).
 */
#ifndef POSTERN_BUF_H
#define POSTERN_BUF_H

#include <util/sys_defs.h>

struct buf {
	char   *data;
	size_t	len;
	size_t	cap;
};

struct buf *buf_new(size_t hint);
void	buf_free(struct buf *bp);
void	buf_reset(struct buf *bp);
struct buf *buf_cpy(struct buf *bp, const char *str);
struct buf *buf_cat(struct buf *bp, const char *str);
struct buf *buf_catn(struct buf *bp, const void *data, size_t len);
struct buf *buf_putc(struct buf *bp, int ch);
struct buf *buf_printf(struct buf *bp, const char *fmt, ...) PRINTFLIKE(2, 3);
struct buf *buf_appendf(struct buf *bp, const char *fmt, ...) PRINTFLIKE(2, 3);
struct buf *buf_vappendf(struct buf *bp, const char *fmt, va_list ap) PRINTFLIKE(2, 0);
void	buf_truncate(struct buf *bp, size_t len);
void	buf_reserve(struct buf *bp, size_t extra);
char   *buf_steal(struct buf *bp);

#define buf_str(bp)	((bp)->data)
#define buf_len(bp)	((bp)->len)

#endif
