/*
 * NAME
 *	dsn_split - split "X.Y.Z text" into a status code and its text
 * DESCRIPTION
 *	See dsn_split.h.
 */
#include <util/sys_defs.h>
#include <util/msg.h>
#include <global/dsn.h>
#include <global/dsn_split.h>

/* dsn_split - status code and text */
const char *
dsn_split(char status[DSN_STATUS_SIZE], const char *def_status, const char *text)
{
	size_t	len;

	if (!dsn_valid_status(def_status))
		msg_panic("dsn_split: bad default status \"%s\"", def_status);
	text += strspn(text, " \t");
	if ((len = dsn_status_len(text)) > 0 && len < DSN_STATUS_SIZE) {
		memcpy(status, text, len);
		status[len] = 0;
		text += len;
		text += strspn(text, " \t");
	} else
		snprintf(status, DSN_STATUS_SIZE, "%s", def_status);
	return (text);
}
