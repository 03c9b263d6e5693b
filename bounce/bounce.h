/*
 * NAME
 *	bounce - private interface of the bounce daemon
 * SYNOPSIS
 *	#include "bounce.h"
 *
 *	DSN composition (bounce_dsn.c), pure: no I/O, no parameters
 *	void	bounce_dsn_compose(const struct bounce_info *info,
 *			const struct bounce_rcpt *rcpts, size_t count,
 *			const struct bounce_original *orig,
 *			bounce_line_fn fn, void *ctx);
 *	void	bounce_dsn_date(struct buf *out, time_t when);
 *	void	bounce_dsn_diag(struct bounce_rcpt *rcpt, const char *relay);
 *	void	bounce_dsn_wrap(const char *text, bounce_line_fn fn, void *ctx);
 *	void	bounce_rcpt_free(struct bounce_rcpt *rcpt);
 *
 *	The original message (bounce_original.c)
 *	int	bounce_original_load(const char *queue_name, const char *id,
 *			int want, long size_limit, long header_limit,
 *			struct qfile_envelope *env,
 *			struct bounce_original *orig, struct buf *why);
 *	void	bounce_original_free(struct bounce_original *orig);
 *
 *	Notifications (bounce_notify.c)
 *	int	bounce_notify(const struct bounce_req *req);
 *
 *	The service (bounce_service.c)
 *	void	bounce_service(struct stream *client);
 * DESCRIPTION
 *	bounce_dsn_compose() writes one delivery status notification, RFC
 *	3464 multipart/report, line by line to fn (lines without their
 *	line ending): the message headers, a human-readable part in
 *	Postfix's words, the message/delivery-status part with one block
 *	per recipient, and the returned message (message/rfc822) or its
 *	headers (text/rfc822-headers) as info->ret and orig say.
 *	bounce_dsn_date() formats a date as RFC 5322 with the zone name in
 *	a comment, as Postfix's mail_date(). bounce_dsn_diag() fills the
 *	Remote-MTA and Diagnostic-Code fields of a recipient that has none
 *	from its reason and relay ("host mx[1.2.3.4] said: 550 ... (in
 *	reply to RCPT TO command)" gives "dns; mx" and "smtp; 550 ...";
 *	a relayed recipient with reason "250 2.0.0 Ok" and relay
 *	"mx[1.2.3.4]:25" gives "dns; mx" and "smtp; 250 2.0.0 Ok").
 *	bounce_dsn_wrap() folds "<rcpt>: reason" text at 79 columns with
 *	a 4-space indent, as Postfix does.
 *
 *	bounce_original_load() opens QUEUE/ID, reads its envelope into env
 *	and the content into orig: every line when want is
 *	BOUNCE_RETURN_FULL and the content is at most size_limit bytes,
 *	else the header lines only (at most header_limit bytes). It returns
 *	0, or -1 with errno (ENOENT: the message is gone) and why.
 *
 *	bounce_notify() carries out one request: it gathers the recipients
 *	from the logfiles, composes and queues the notification to the
 *	sender (or to the postmaster for mail from the null sender when
 *	notify_classes asks for it) and the postmaster copies that
 *	notify_classes asks for, logs, and removes bounce/ID after a flush
 *	or expire; a trace request sends the success notice for trace/ID
 *	(RFC 3461 NOTIFY=SUCCESS) and removes trace/ID. It returns 0 when done (also when nothing was to be
 *	sent), -1 when the request should be tried again.
 *
 *	bounce_service() serves one client connection.
 */
#ifndef POSTERN_BOUNCE_H
#define POSTERN_BOUNCE_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/argv.h>
#include <util/stream.h>
#include <global/dsn.h>
#include <global/record.h>
#include <time.h>

 /*
  * What a notification reports.
  */
enum bounce_kind {
	BOUNCE_KIND_FAILURE,		/* non-delivery: Action failed */
	BOUNCE_KIND_DELAY,		/* delay warning: Action delayed */
	BOUNCE_KIND_SUCCESS,		/* NOTIFY=SUCCESS: delivered, relayed */
};

 /*
  * What is returned of the original message.
  */
#define BOUNCE_RETURN_FULL	1	/* message/rfc822 */
#define BOUNCE_RETURN_HEADERS	2	/* text/rfc822-headers */

struct bounce_info {
	enum bounce_kind kind;
	int	is_postmaster;		/* postmaster copy: other subject */
	const char *queue_id;		/* of the original */
	const char *sender;		/* original sender, "" = null */
	const char *to;			/* To: of the notification */
	const char *hostname;		/* myhostname */
	const char *mail_name;		/* "Postern": X-Postern-Queue-ID */
	const char *postmaster;		/* who to ask for help */
	const char *envid;		/* DSN ENVID or NULL */
	const char *encoding;		/* "8bit" or "7bit" */
	time_t	arrival;		/* 0 when unknown */
	time_t	now;			/* for the MIME boundary */
	time_t	retry_until;		/* Will-Retry-Until (delay only) */
	long	warn_hours;		/* delay_warning_time in hours */
	long	lifetime_days;		/* maximal_queue_lifetime in days */
};

struct bounce_rcpt {
	char   *address;
	char   *orig;			/* original recipient, or NULL */
	char   *dsn_orcpt;		/* DSN ORCPT "type;address", or NULL */
	char	status[DSN_STATUS_SIZE];
	const char *action;		/* DSN_ACTION_* constant */
	char   *reason;
	char   *diag_type;		/* "smtp", or NULL */
	char   *diag_text;
	char   *mta_type;		/* "dns", or NULL */
	char   *mta_name;
};

struct bounce_original {
	struct argv *lines;		/* content lines, headers first */
	size_t	header_count;		/* header lines (before the empty line) */
	int	ret;			/* BOUNCE_RETURN_*, what lines holds */
	int	is_available;		/* 0: the message is gone */
};

 /*
  * One request from the client.
  */
struct bounce_req {
	const char *service;		/* bounce, defer, trace */
	const char *request;		/* BOUNCE_REQ_* */
	const char *queue_name;
	const char *queue_id;
	const char *sender;
	const char *dsn_envid;
	int	dsn_ret;
	const char *encoding;
	int	smtputf8;
};

typedef void (*bounce_line_fn) (const char *line, size_t len, void *ctx);

void	bounce_dsn_compose(const struct bounce_info *info,
			           const struct bounce_rcpt *rcpts, size_t count,
			           const struct bounce_original *orig,
			           bounce_line_fn fn, void *ctx);
void	bounce_dsn_date(struct buf *out, time_t when);
void	bounce_dsn_diag(struct bounce_rcpt *rcpt, const char *relay);
void	bounce_dsn_wrap(const char *text, bounce_line_fn fn, void *ctx);
void	bounce_rcpt_free(struct bounce_rcpt *rcpt);

int	bounce_original_load(const char *queue_name, const char *id, int want,
			             long size_limit, long header_limit,
			             struct qfile_envelope *env,
			             struct bounce_original *orig, struct buf *why);
void	bounce_original_free(struct bounce_original *orig);

int	bounce_notify(const struct bounce_req *req);

void	bounce_service(struct stream *client);

#endif
