/*
 * NAME
 *	buf - the one growable string buffer
 * DESCRIPTION
 *	See buf.h. The invariant is data[len] == 0 and len < cap.
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>

/* buf_new - create an empty buffer */
struct buf *
buf_new(size_t hint)
{
	struct buf *bp = xmalloc(sizeof(*bp));

	bp->cap = hint > 16 ? hint : 16;
	bp->data = xmalloc(bp->cap);
	bp->len = 0;
	bp->data[0] = 0;
	return (bp);
}

/* buf_free - destroy a buffer */
void
buf_free(struct buf *bp)
{
	if (bp == NULL)
		return;
	free(bp->data);
	free(bp);
}

/* buf_reserve - make room for extra more bytes plus the terminator */
void
buf_reserve(struct buf *bp, size_t extra)
{
	size_t	need;

	if (extra > SIZE_MAX - bp->len - 1)
		msg_panic("buf_reserve: length overflow");
	need = bp->len + extra + 1;
	if (need <= bp->cap)
		return;
	while (bp->cap < need)
		bp->cap = bp->cap > SIZE_MAX / 2 ? need : bp->cap * 2;
	bp->data = xrealloc(bp->data, bp->cap);
}

/* buf_reset - make empty, keeping storage */
void
buf_reset(struct buf *bp)
{
	bp->len = 0;
	bp->data[0] = 0;
}

/* buf_catn - append len bytes */
struct buf *
buf_catn(struct buf *bp, const void *data, size_t len)
{
	buf_reserve(bp, len);
	if (len)
		memcpy(bp->data + bp->len, data, len);
	bp->len += len;
	bp->data[bp->len] = 0;
	return (bp);
}

/* buf_cat - append a string */
struct buf *
buf_cat(struct buf *bp, const char *str)
{
	return (buf_catn(bp, str, strlen(str)));
}

/* buf_cpy - replace content with a string */
struct buf *
buf_cpy(struct buf *bp, const char *str)
{
	buf_reset(bp);
	return (buf_cat(bp, str));
}

/* buf_putc - append one byte */
struct buf *
buf_putc(struct buf *bp, int ch)
{
	char	c = (char) ch;

	return (buf_catn(bp, &c, 1));
}

/* buf_vappendf - append formatted text */
struct buf *
buf_vappendf(struct buf *bp, const char *fmt, va_list ap)
{
	va_list	ap2;
	int	n;

	va_copy(ap2, ap);
	n = vsnprintf(bp->data + bp->len, bp->cap - bp->len, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		msg_panic("buf_vappendf: bad format \"%s\"", fmt);
	if ((size_t) n >= bp->cap - bp->len) {
		buf_reserve(bp, (size_t) n);
		va_copy(ap2, ap);
		n = vsnprintf(bp->data + bp->len, bp->cap - bp->len, fmt, ap2);
		va_end(ap2);
	}
	bp->len += (size_t) n;
	return (bp);
}

/* buf_appendf - append formatted text */
struct buf *
buf_appendf(struct buf *bp, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	buf_vappendf(bp, fmt, ap);
	va_end(ap);
	return (bp);
}

/* buf_printf - replace content with formatted text */
struct buf *
buf_printf(struct buf *bp, const char *fmt, ...)
{
	va_list	ap;

	buf_reset(bp);
	va_start(ap, fmt);
	buf_vappendf(bp, fmt, ap);
	va_end(ap);
	return (bp);
}

/* buf_truncate - shorten to at most len bytes */
void
buf_truncate(struct buf *bp, size_t len)
{
	if (len < bp->len) {
		bp->len = len;
		bp->data[len] = 0;
	}
}

/* buf_steal - hand the storage to the caller */
char   *
buf_steal(struct buf *bp)
{
	char   *data = bp->data;

	free(bp);
	return (data);
}
