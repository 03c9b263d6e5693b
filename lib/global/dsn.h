/*
 * NAME
 *	dsn - delivery status codes, texts and DSN parameters
 * SYNOPSIS
 *	#include <global/dsn.h>
 *
 *	void	dsn_init(struct dsn *dsn);
 *	void	dsn_set(struct dsn *dsn, const char *status, const char *action,
 *				const char *fmt, ...);
 *	void	dsn_set_diag(struct dsn *dsn, const char *dtype, const char *dtext);
 *	void	dsn_set_mta(struct dsn *dsn, const char *mtype, const char *mname);
 *	void	dsn_copy(struct dsn *dst, const struct dsn *src);
 *	void	dsn_free(struct dsn *dsn);
 *
 *	bool	dsn_valid_status(const char *status);
 *	size_t	dsn_status_len(const char *text);
 *	int	dsn_class(const char *status);
 *	int	dsn_from_reply(struct dsn *dsn, const char *reply);
 *	const char *dsn_text(const char *status);
 *	const char *dsn_class_text(int class);
 *	const char *dsn_action_for(const char *status);
 *	const char *dsn_success_action(const char *action);
 *
 *	int	dsn_notify_parse(const char *value);
 *	const char *dsn_notify_str(struct buf *out, int mask);
 *	int	dsn_ret_parse(const char *value);
 *	const char *dsn_ret_str(int ret);
 *	bool	dsn_envid_valid(const char *value);
 *	int	dsn_xtext_decode(struct buf *out, const char *xtext);
 *	const char *dsn_xtext_encode(struct buf *out, const char *text);
 *	int	dsn_orcpt_parse(const char *value, struct buf *type,
 *				struct buf *addr);
 * DESCRIPTION
 *	A struct dsn describes the outcome for one recipient (RFC 3464):
 *	status is an enhanced status code (RFC 3463) "class.subject.detail"
 *	with class 2, 4 or 5; action is one of the DSN_ACTION_* words;
 *	reason is the text Postern logs in parentheses and puts in bounces;
 *	dtype/dtext the diagnostic (e.g. "smtp", "550 5.1.1 User unknown")
 *	and mtype/mname the remote MTA ("dns", "mx.example.com"), or NULL.
 *	dsn_init() empties a struct, dsn_free() releases its strings and
 *	empties it again. dsn_set() fills status, action and a formatted
 *	reason; it panics on an invalid status (a bug in the caller).
 *
 *	dsn_valid_status() accepts exactly one status code: a class digit
 *	2, 4 or 5, then two dot-separated numbers of 1 to 3 digits.
 *	dsn_status_len() is the length of a status code at the start of
 *	text when it is followed by the end or white space, else 0.
 *	dsn_class() returns 2, 4 or 5, or -1 for an invalid status.
 *
 *	dsn_from_reply() interprets one SMTP reply line ("550 5.1.1 text"
 *	or "550-5.1.1 text"; only the first line of a multi-line reply
 *	counts): the status is the enhanced code when present and of the
 *	same class as the reply code, otherwise derived from the reply code
 *	as Postfix does (2.0.0, 4.0.0, 5.0.0); the action follows from the
 *	class (delivered, delayed, failed); reason is the reply text after
 *	the codes; dtype is "smtp" and dtext the whole reply. It returns 0,
 *	or -1 (EINVAL, dsn untouched) when the line does not start with a
 *	2xx, 4xx or 5xx code followed by the end, a space or a hyphen.
 *
 *	dsn_text() describes a status code the way RFC 3463 names it
 *	("5.1.1" -> "Bad destination mailbox address"); an unknown detail
 *	falls back to its subject ("5.1.99" -> "Other address status"),
 *	an unknown subject to "Other undefined Status". It returns NULL for
 *	an invalid status. dsn_class_text() names a class ("Permanent
 *	Failure"...). dsn_action_for() maps a class to its usual action.
 *	dsn_success_action() returns the DSN_ACTION_* constant for a
 *	success action (delivered, relayed, expanded) and "delivered" for
 *	anything else, NULL included.
 *
 *	DSN parameters (RFC 3461). dsn_notify_parse() reads a NOTIFY value
 *	(comma-separated, case-insensitive: NEVER alone, or any of SUCCESS,
 *	FAILURE, DELAY, each at most once) into a DSN_NOTIFY_* mask, or -1.
 *	dsn_notify_str() formats a mask back ("SUCCESS,DELAY"; NULL and
 *	empty out for 0 or undefined bits). dsn_ret_parse() reads RET
 *	(FULL or HDRS) into DSN_RET_FULL/DSN_RET_HDRS, or -1;
 *	dsn_ret_str() is the reverse (NULL for others). dsn_envid_valid()
 *	checks an ENVID: xtext, 1..DSN_ENVID_MAX bytes, decodes to
 *	printable ASCII. dsn_xtext_decode() decodes xtext into out ("+2B"
 *	-> "+") and returns 0, or -1 (EINVAL) for a '+' not followed by two
 *	uppercase hexadecimal digits, a decoded null byte, or a character
 *	outside ASCII 33..126, or '='. dsn_xtext_encode() encodes and
 *	returns the text of out. dsn_orcpt_parse() splits an ORCPT value
 *	"rfc822;user+2B1@x" into its address type and decoded address,
 *	returning 0, or -1 when the type is not an atom, the separator is
 *	missing, the address is empty, or the value exceeds DSN_ORCPT_MAX.
 * SEE ALSO
 *	RFC 3461, RFC 3463, RFC 3464
 */
#ifndef POSTERN_DSN_H
#define POSTERN_DSN_H

#include <util/sys_defs.h>
#include <util/buf.h>

#define DSN_STATUS_SIZE	16		/* "5.123.456" and the null */
#define DSN_ENVID_MAX	100		/* RFC 3461 section 4.4 */
#define DSN_ORCPT_MAX	500		/* RFC 3461 section 4.2 */

 /*
  * NOTIFY mask bits. 0 means "not specified" (RFC 3461: as if
  * FAILURE,DELAY).
  */
#define DSN_NOTIFY_NEVER	(1 << 0)
#define DSN_NOTIFY_SUCCESS	(1 << 1)
#define DSN_NOTIFY_FAILURE	(1 << 2)
#define DSN_NOTIFY_DELAY	(1 << 3)
#define DSN_NOTIFY_ANY	(DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY)

 /*
  * RET values.
  */
#define DSN_RET_FULL	1
#define DSN_RET_HDRS	2

 /*
  * Action words (RFC 3464 section 2.3.3).
  */
#define DSN_ACTION_FAILED	"failed"
#define DSN_ACTION_DELAYED	"delayed"
#define DSN_ACTION_DELIVERED	"delivered"
#define DSN_ACTION_RELAYED	"relayed"
#define DSN_ACTION_EXPANDED	"expanded"

struct dsn {
	char	status[DSN_STATUS_SIZE];	/* "4.7.1", or "" */
	char   *action;
	char   *reason;
	char   *dtype;
	char   *dtext;
	char   *mtype;
	char   *mname;
};

void	dsn_init(struct dsn *dsn);
void	dsn_set(struct dsn *dsn, const char *status, const char *action,
		const char *fmt, ...) PRINTFLIKE(4, 5);
void	dsn_set_diag(struct dsn *dsn, const char *dtype, const char *dtext);
void	dsn_set_mta(struct dsn *dsn, const char *mtype, const char *mname);
void	dsn_copy(struct dsn *dst, const struct dsn *src);
void	dsn_free(struct dsn *dsn);

bool	dsn_valid_status(const char *status);
size_t	dsn_status_len(const char *text);
int	dsn_class(const char *status);
int	dsn_from_reply(struct dsn *dsn, const char *reply);
const char *dsn_text(const char *status);
const char *dsn_class_text(int dsn_class);
const char *dsn_action_for(const char *status);
const char *dsn_success_action(const char *action);

int	dsn_notify_parse(const char *value);
const char *dsn_notify_str(struct buf *out, int mask);
int	dsn_ret_parse(const char *value);
const char *dsn_ret_str(int ret);
bool	dsn_envid_valid(const char *value);
int	dsn_xtext_decode(struct buf *out, const char *xtext);
const char *dsn_xtext_encode(struct buf *out, const char *text);
int	dsn_orcpt_parse(const char *value, struct buf *type, struct buf *addr);

#endif
