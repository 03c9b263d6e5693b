/*
 * NAME
 *	cleanup - private interfaces of the cleanup daemon
 * SYNOPSIS
 *	#include "cleanup.h"
 *
 *	void	cleanup_service(struct stream *client, const char *service,
 *			char **argv);
 *	void	cleanup_fatal_remove(void);
 *
 *	struct cleanup_state *cleanup_state_new(int flags);
 *	void	cleanup_state_free(struct cleanup_state *state);
 *	void	cleanup_state_error(struct cleanup_state *state, int status,
 *			const char *fmt, ...);
 *
 *	int	cleanup_out_open(struct cleanup_state *state);
 *	void	cleanup_out_text(struct cleanup_state *state, int type,
 *			const char *text, size_t len);
 *	void	cleanup_out_header(struct cleanup_state *state,
 *			const char *text, size_t len);
 *	void	cleanup_out_envelope(struct cleanup_state *state);
 *	int	cleanup_out_finish(struct cleanup_state *state);
 *	void	cleanup_out_remove(struct cleanup_state *state);
 *	int	cleanup_out_space_ok(struct buf *why);
 *
 *	void	cleanup_input(struct cleanup_state *state, int type,
 *			const char *data, size_t len);
 *	void	cleanup_envelope(struct cleanup_state *state, int type,
 *			const char *data, size_t len);
 *	void	cleanup_message(struct cleanup_state *state, int type,
 *			const char *data, size_t len);
 *	void	cleanup_message_end(struct cleanup_state *state);
 *	void	cleanup_received(struct cleanup_state *state);
 *	void	cleanup_date(struct buf *out, time_t when);
 *
 *	void	cleanup_extract(struct cleanup_state *state,
 *			const char *value, int is_resent);
 *	void	cleanup_rcpt_add(struct cleanup_state *state,
 *			struct qfile_envelope *env, const char *addr,
 *			const char *orig, const char *dsn_orcpt, int notify);
 *	void	cleanup_canon(struct buf *out, const char *addr);
 *
 *	void	cleanup_virtual_init(void);
 *	int	cleanup_virtual(struct cleanup_state *state,
 *			const char *addr, struct argv *result);
 *	int	cleanup_bounce(struct cleanup_state *state);
 *
 *	void	cleanup_priority_init(void);
 *	int	cleanup_priority_envelope(struct cleanup_state *state);
 *	int	cleanup_priority_finish(struct cleanup_state *state);
 *	int	cleanup_priority_parse(const char *name);
 *	const char *cleanup_priority_name(int prio);
 * DESCRIPTION
 *	One struct cleanup_state is one message on its way into the
 *	incoming queue. cleanup.c owns the conversation with the client;
 *	cleanup_input() dispatches each record the client sends to
 *	cleanup_envelope() (sender, recipients, attributes) or
 *	cleanup_message() (content). Errors accumulate as CLEANUP_STAT_*
 *	bits in state->errs with the first reason kept in state->reason;
 *	once a message has failed, records are still read (so the client
 *	gets its answer after END) but nothing more is written.
 *
 *	cleanup_out.c owns the queue file: it creates it, writes the
 *	envelope when the content begins, content lines split at
 *	line_length_limit, the extracted segment, the END record, and makes
 *	it durable; or removes it.
 *
 *	cleanup_message.c parses headers (Bcc removal, hop count, -t
 *	recipient extraction, missing header insertion), limits header and
 *	message size; cleanup_envelope.c checks the order and syntax of
 *	envelope records; cleanup_virtual.c expands virtual_alias_maps;
 *	cleanup_bounce.c returns mail that cannot be accepted to its
 *	sender when the client asked for that (pickup); cleanup_priority.c
 *	gives the message its priority class (the PRIO record).
 * SEE ALSO
 *	cleanup(8)
 */
#ifndef POSTERN_CLEANUP_H
#define POSTERN_CLEANUP_H

#include <util/sys_defs.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/htable.h>
#include <global/record.h>

#include <time.h>

 /*
  * Where the client is in the record stream.
  */
enum cleanup_phase {
	CLEANUP_PHASE_ENVELOPE,		/* before MESG */
	CLEANUP_PHASE_CONTENT,		/* MESG .. XTRA */
	CLEANUP_PHASE_EXTRACTED,	/* XTRA .. END */
	CLEANUP_PHASE_DONE,		/* END seen */
};

 /*
  * Headers we keep track of, as bits in headers_seen.
  */
#define CLEANUP_HDR_FROM	(1 << 0)
#define CLEANUP_HDR_DATE	(1 << 1)
#define CLEANUP_HDR_MESSAGE_ID	(1 << 2)
#define CLEANUP_HDR_RESENT_FROM	(1 << 3)
#define CLEANUP_HDR_RESENT_DATE	(1 << 4)
#define CLEANUP_HDR_RESENT_MESSAGE_ID (1 << 5)
#define CLEANUP_HDR_RESENT_ANY	(1 << 6)	/* any Resent- header */
#define CLEANUP_HDR_TO		(1 << 7)

struct cleanup_state {
	/* Identity and output. */
	struct buf *queue_id;		/* incoming/ID */
	int	fd;			/* queue file, or -1 */
	struct rec_io *out;		/* writer on fd */
	int	flags;			/* CLEANUP_FLAG_* */
	int	errs;			/* CLEANUP_STAT_* */
	struct buf *reason;		/* why errs is not 0 */
	enum cleanup_phase phase;
	time_t	now;			/* when the message began */

	/* Envelope as received; written at the start of the content. */
	struct qfile_envelope env;
	int	have_time;
	char   *pend_orig;		/* ORCP for the next RCPT */
	char   *pend_dorc;		/* DORC for the next RCPT */
	int	pend_notify;		/* NTFY for the next RCPT */
	long	rcpt_given;		/* RCPT records from the client */
	char   *first_rcpt;		/* for Received: ... for <rcpt> */
	struct htable *dups;		/* duplicate recipient filter */
	struct htable *client_attrs;	/* client_name, helo_name, ... */

	/* Extracted recipients (-t) and other late information. */
	struct qfile_envelope xtra;	/* recipients for the XTRA segment */
	struct argv *hdr_rcpt;		/* To/Cc/Bcc addresses */
	struct argv *hdr_resent_rcpt;	/* Resent-To/Cc/Bcc addresses */
	char   *precedence;		/* bulk, list, junk */
	int	xtra_notify;		/* DSN NOTIFY for extracted recipients */

	/* Content. */
	int	in_headers;		/* still reading the header block */
	int	in_line;		/* last piece was CONT */
	int	line_is_header;		/* the physical line being read */
	struct buf *header;		/* the logical header being read */
	int	header_truncated;	/* header_size_limit exceeded */
	int	headers_seen;		/* CLEANUP_HDR_* */
	int	hop_count;		/* Received: headers */
	off_t	content_size;		/* bytes of content, LF line ends */
	struct buf *scratch;		/* work space */

	/* Priority class (cleanup_priority.c). */
	int	prio_rcpt;		/* best recipient class, CLEANUP_PRIO_* */
	int	prio_is_final;		/* the sender decided the class */
};

 /*
  * Priority classes as cleanup_priority.c ranks them: a higher value is a
  * higher class; NONE means that no table said anything.
  */
#define CLEANUP_PRIO_NONE	0
#define CLEANUP_PRIO_BULK	1
#define CLEANUP_PRIO_NORMAL	2
#define CLEANUP_PRIO_HIGH	3

 /*
  * cleanup_service.c
  */
struct stream;
void	cleanup_service(struct stream *client, const char *service, char **argv);
void	cleanup_fatal_remove(void);

 /*
  * cleanup_state.c
  */
struct cleanup_state *cleanup_state_new(int flags);
void	cleanup_state_free(struct cleanup_state *state);
void	cleanup_state_error(struct cleanup_state *state, int status,
		const char *fmt,...) PRINTFLIKE(3, 4);

 /*
  * cleanup_out.c
  */
int	cleanup_out_open(struct cleanup_state *state);
void	cleanup_out_text(struct cleanup_state *state, int type,
		const char *text, size_t len);
void	cleanup_out_header(struct cleanup_state *state, const char *text,
		size_t len);
void	cleanup_out_envelope(struct cleanup_state *state);
int	cleanup_out_finish(struct cleanup_state *state);
void	cleanup_out_remove(struct cleanup_state *state);
int	cleanup_out_space_ok(struct buf *why);

 /*
  * cleanup_envelope.c
  */
void	cleanup_input(struct cleanup_state *state, int type, const char *data,
		size_t len);
void	cleanup_envelope(struct cleanup_state *state, int type,
		const char *data, size_t len);
void	cleanup_rcpt_add(struct cleanup_state *state,
		struct qfile_envelope *env, const char *addr, const char *orig,
		const char *dsn_orcpt, int notify);
void	cleanup_canon(struct buf *out, const char *addr);

 /*
  * cleanup_message.c, cleanup_headers.c
  */
void	cleanup_message(struct cleanup_state *state, int type,
		const char *data, size_t len);
void	cleanup_message_end(struct cleanup_state *state);
void	cleanup_received(struct cleanup_state *state);
void	cleanup_date(struct buf *out, time_t when);
void	cleanup_header(struct cleanup_state *state);
void	cleanup_headers_done(struct cleanup_state *state);
size_t	cleanup_header_name_len(const char *text, size_t len);
void	cleanup_extract(struct cleanup_state *state, const char *value,
		int is_resent);

 /*
  * cleanup_virtual.c
  */
void	cleanup_virtual_init(void);
int	cleanup_virtual(struct cleanup_state *state, const char *addr,
		struct argv *result);

 /*
  * cleanup_bounce.c
  */
int	cleanup_bounce(struct cleanup_state *state);

 /*
  * cleanup_priority.c
  */
void	cleanup_priority_init(void);
int	cleanup_priority_envelope(struct cleanup_state *state);
int	cleanup_priority_finish(struct cleanup_state *state);
int	cleanup_priority_parse(const char *name);
const char *cleanup_priority_name(int prio);

#endif
