/*
 * NAME
 *	showq_text - make queue data safe for terminals and JSON
 * SYNOPSIS
 *	#include "showq.h"
 * DESCRIPTION
 *	See showq.h. Valid UTF-8 is kept (SMTPUTF8 addresses); every byte
 *	that is not part of a valid sequence (overlong forms, surrogates and
 *	code points above U+10FFFF included) is treated as invalid.
 */
#include <util/sys_defs.h>

#include "showq.h"

/* showq_utf8_len - length of a valid UTF-8 sequence at p, or 0 */

static size_t
showq_utf8_len(const unsigned char *p)
{
	unsigned int cp;
	size_t	len, i;

	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return (0);
	}
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)
	    || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	return (len);
}

/* showq_printable - control and invalid bytes become '?' */

void
showq_printable(struct buf *out, const char *text)
{
	const unsigned char *cp = (const unsigned char *) text;
	size_t	len;

	while (*cp) {
		if (*cp < 0x20 || *cp == 0x7f || (len = showq_utf8_len(cp)) == 0) {
			buf_putc(out, '?');
			cp++;
		} else {
			buf_catn(out, cp, len);
			cp += len;
		}
	}
}

/* showq_json_quote - JSON string content, valid for any bytes */

void
showq_json_quote(struct buf *out, const char *text)
{
	const unsigned char *cp = (const unsigned char *) text;
	size_t	len;

	while (*cp) {
		switch (*cp) {
		case '"': buf_cat(out, "\\\""); break;
		case '\\': buf_cat(out, "\\\\"); break;
		case '\b': buf_cat(out, "\\b"); break;
		case '\f': buf_cat(out, "\\f"); break;
		case '\n': buf_cat(out, "\\n"); break;
		case '\r': buf_cat(out, "\\r"); break;
		case '\t': buf_cat(out, "\\t"); break;
		default:
			if (*cp < 0x20 || *cp == 0x7f
			    || (len = showq_utf8_len(cp)) == 0) {
				buf_appendf(out, "\\u%04X", *cp);
			} else {
				buf_catn(out, cp, len);
				cp += len;
				continue;
			}
		}
		cp++;
	}
}
