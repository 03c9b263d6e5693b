/*
 * NAME
 *	smtp - private interfaces of the SMTP delivery agent
 * SYNOPSIS
 *	#include "smtp.h"
 * DESCRIPTION
 *	The modules of smtp(8):
 * .IP smtp.c
 *	main(), the server callbacks, the request loop.
 * .IP smtp_init.c
 *	configuration from main.cf: TLS level and context, resolver,
 *	throttle patterns, fallback relays.
 * .IP smtp_deliver.c
 *	one delivery request: nexthop, fallback relays, final status.
 * .IP smtp_connect.c
 *	nexthop syntax, MX lookup, connecting, greeting, EHLO, STARTTLS.
 * .IP smtp_addr.c
 *	the ordered address list (preference, randomisation, limits).
 * .IP smtp_proto.c
 *	mail transactions: MAIL, RCPT, DATA, pipelining, RSET, QUIT.
 * .IP smtp_text.c
 *	message content: dot-stuffing, CRLF, long line splitting.
 * .IP smtp_reply.c
 *	reply parser, reader and classifier (throttle patterns).
 * .IP smtp_rcpt.c
 *	per-recipient bookkeeping and reports to qmgr.
 * .IP smtp_tls.c
 *	client TLS policy (none, may, encrypt, verify, secure).
 * .IP smtp_session_cache.c
 *	idle connections kept for reuse.
 */
#ifndef POSTERN_SMTP_H
#define POSTERN_SMTP_H

#include <util/sys_defs.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/stream.h>
#include <global/deliver_request.h>
#include <global/dns.h>
#include <global/dsn.h>
#include <global/tls.h>

 /*
  * smtp_reply.c: one server reply.
  */
#define SMTP_REPLY_LINE_LIMIT	2048	/* bytes of one reply line */
#define SMTP_REPLY_LINES_LIMIT	100	/* lines of one reply */

struct smtp_reply {
	int	code;			/* 200..599 */
	char	dsn[DSN_STATUS_SIZE];	/* enhanced or derived status */
	struct buf *text;		/* all lines joined by spaces */
	struct argv *line;		/* the lines as received */
	int	lines;
	int	is_done;		/* last line seen */
};

enum smtp_read_status {
	SMTP_READ_OK = 0,
	SMTP_READ_TIMEOUT,		/* time limit expired */
	SMTP_READ_LOST,			/* end of file or I/O error */
	SMTP_READ_PROTO,		/* malformed or over-long reply */
};

 /* Classification bits of smtp_reply_classify(). */
#define SMTP_CLASS_OK		(1 << 0)	/* 2xx or 3xx */
#define SMTP_CLASS_DEFER	(1 << 1)	/* 4xx */
#define SMTP_CLASS_BOUNCE	(1 << 2)	/* 5xx */
#define SMTP_CLASS_THROTTLE	(1 << 3)	/* matched a throttle pattern */
#define SMTP_CLASS_SPLIT	(1 << 4)	/* 452 too many recipients */
#define SMTP_CLASS_CLOSE	(1 << 5)	/* 421: the server ends the session */

struct smtp_throttle;

void	smtp_reply_init(struct smtp_reply *reply);
void	smtp_reply_reset(struct smtp_reply *reply);
void	smtp_reply_free(struct smtp_reply *reply);
int	smtp_reply_add_line(struct smtp_reply *reply, const char *line,
			            size_t len, struct buf *why);
enum smtp_read_status smtp_reply_read(struct stream *stream,
				              struct smtp_reply *reply, struct buf *why);
int	smtp_reply_classify(const struct smtp_reply *reply,
			            const struct smtp_throttle *throttle);
int	smtp_reply_is_split(const struct smtp_reply *reply);
struct smtp_throttle *smtp_throttle_create(const char *patterns);
int	smtp_throttle_match(const struct smtp_throttle *throttle, const char *text);
void	smtp_throttle_free(struct smtp_throttle *throttle);

 /*
  * smtp_text.c: content output.
  */
struct smtp_text {
	long	line_limit;		/* smtp_line_length_limit, 0 = none */
	long	used;			/* bytes on the current output line */
};

enum smtp_copy_status {
	SMTP_COPY_OK = 0,
	SMTP_COPY_READ_ERR,		/* queue file trouble */
	SMTP_COPY_WRITE_ERR,		/* network trouble (errno) */
};

void	smtp_text_init(struct smtp_text *text, long line_limit);
void	smtp_text_out(struct smtp_text *text, int rec_type, const char *data,
		              size_t len, struct buf *out);
enum smtp_copy_status smtp_text_copy(int fd, long data_offset,
			                   struct stream *out, long line_limit,
				             struct buf *why);

 /*
  * smtp_addr.c: the ordered list of addresses to try.
  */
#define SMTP_PREFER_ANY		0
#define SMTP_PREFER_IPV4	1
#define SMTP_PREFER_IPV6	2

struct smtp_addr {
	char   *host;
	int	pref;
	struct dns_addr addr;
};

struct smtp_addr_list {
	struct smtp_addr *addr;
	size_t	count;
};

typedef long (*smtp_random_fn)(void);

int	smtp_addr_prefer_parse(const char *text);
int	smtp_addr_list_build(struct smtp_addr_list *out,
			             const struct dns_hostlist *hosts, int limit,
			             int prefer, int randomize, smtp_random_fn rnd,
			             const char *myhostname);
void	smtp_addr_list_free(struct smtp_addr_list *list);

 /*
  * smtp_init.c: configuration derived from parameters.
  */
struct smtp_conf {
	int	tls_level;		/* TLS_LEV_* */
	struct tls_ctx *tls_ctx;	/* NULL at level none */
	int	dns_flags;		/* DNS_LOOKUP_* */
	struct dns_ctx *dns;		/* created on first use */
	struct smtp_throttle *throttle;
	struct argv *fallback;		/* smtp_fallback_relay */
	struct argv *cache_dests;	/* smtp_connection_cache_destinations */
	int	prefer;			/* SMTP_PREFER_* */
	long	connect_timeout;	/* seconds */
};

extern struct smtp_conf smtp_conf;

int	smtp_init_tls(struct buf *why);
int	smtp_init(struct buf *why);
struct dns_ctx *smtp_init_dns(struct buf *why);
void	smtp_init_free(void);

 /*
  * EHLO features.
  */
#define SMTP_FEAT_ESMTP		(1 << 0)
#define SMTP_FEAT_PIPELINING	(1 << 1)
#define SMTP_FEAT_SIZE		(1 << 2)
#define SMTP_FEAT_8BITMIME	(1 << 3)
#define SMTP_FEAT_STARTTLS	(1 << 4)
#define SMTP_FEAT_ENHSTATUS	(1 << 5)
#define SMTP_FEAT_DSN		(1 << 6)
#define SMTP_FEAT_SMTPUTF8	(1 << 7)

 /*
  * One SMTP connection.
  */
struct smtp_session {
	struct stream *stream;
	char   *dest;			/* nexthop it serves: the cache key */
	char   *host;			/* server name */
	char   *addr;			/* server address */
	int	port;
	char   *namaddr;		/* host[addr] */
	char   *relay;			/* host[addr]:port */
	int	features;		/* SMTP_FEAT_* */
	long	size_limit;		/* SIZE, 0 = none */
	struct tls_session *tls;
	int	use_count;		/* requests served */
	time_t	created;
	long long idle_deadline;	/* ms, while cached */
	int	is_broken;		/* never reuse */
	int	need_rset;		/* a transaction was left open */
};

struct smtp_session *smtp_session_new(int fd, const char *dest,
				              const char *host, const char *addr,
				              int port);
void	smtp_session_close(struct smtp_session *session);
void	smtp_session_quit(struct smtp_session *session);

 /*
  * smtp_session_cache.c
  */
#define SMTP_CACHE_LIMIT	16	/* idle connections per process */

void	smtp_session_cache_store(struct smtp_session *session);
struct smtp_session *smtp_session_cache_find(const char *dest);
long	smtp_session_cache_wait_ms(void);
void	smtp_session_cache_expire(void);
void	smtp_session_cache_close_all(void);
size_t	smtp_session_cache_count(void);
int	smtp_session_cache_wanted(const char *dest, int req_flags);

 /*
  * Recipient bookkeeping (smtp_rcpt.c).
  */
#define SMTP_RCPT_PENDING	0
#define SMTP_RCPT_DONE		1

struct smtp_rcpt {
	struct deliver_rcpt *drcpt;
	int	state;			/* SMTP_RCPT_* */
	int	session_seq;		/* session in which it was tried */
	int	is_accepted;		/* RCPT accepted in this transaction */
	int	is_split;		/* 452 too many recipients */
	int	has_soft;		/* a temporary failure is on record */
	char	soft_dsn[DSN_STATUS_SIZE];
	char   *soft_reason;
	char   *soft_relay;
	int	soft_code;
};

 /*
  * One delivery request.
  */
struct smtp_state {
	struct stream *qmgr;
	struct deliver_request *req;
	struct smtp_rcpt *rcpt;
	size_t	rcpt_count;
	size_t	rcpt_left;		/* still PENDING */
	int	content_fd;		/* active/ID */
	int	final_flags;		/* DEL_STAT_* */
	struct buf *throttle_reply;
	int	session_seq;		/* bumped per session */
	int	any_session;		/* some server greeted us */
	int	dead_candidate;		/* a connect, greeting or DNS failure */
	int	site_sessions;		/* sessions at the current nexthop */
	int	is_final_site;		/* no fallback relay after this one */
	int	is_relayed;		/* the server did not offer DSN */
	int	qmgr_failed;		/* a report to qmgr failed */
};

void	smtp_rcpt_init(struct smtp_state *state);
void	smtp_rcpt_free(struct smtp_state *state);
void	smtp_rcpt_report(struct smtp_state *state, struct smtp_rcpt *rcpt,
			         int status, const char *dsn, const char *relay,
			         int code, const char *fmt,...) PRINTFLIKE(7, 8);
void	smtp_rcpt_soft(struct smtp_rcpt *rcpt, const char *dsn,
		               const char *relay, int code, const char *fmt,...)
		               PRINTFLIKE(5, 6);
void	smtp_rcpt_fail_pending(struct smtp_state *state, const char *dsn,
			               const char *relay, int code,
			               const char *fmt,...) PRINTFLIKE(5, 6);
void	smtp_rcpt_flush(struct smtp_state *state);
void	smtp_rcpt_throttle(struct smtp_state *state, const struct smtp_reply *reply,
			           int class_bits);

 /*
  * smtp_connect.c
  */
int	smtp_nexthop_parse(const char *nexthop, struct buf *host, int *port,
			           int *use_mx, struct buf *why);
void	smtp_connect_site(struct smtp_state *state, const char *site);

 /*
  * smtp_proto.c
  */
int	smtp_helo(struct smtp_state *state, struct smtp_session *session);
void	smtp_xfer(struct smtp_state *state, struct smtp_session *session);
int	smtp_rset(struct smtp_session *session);
void	smtp_session_trouble(struct smtp_state *state,
			             struct smtp_session *session,
			             enum smtp_read_status status, const char *stage,
			             const char *detail);
int	smtp_chat(struct smtp_state *state, struct smtp_session *session,
		          long timeout, struct smtp_reply *reply,
		          const char *stage, const char *fmt,...) PRINTFLIKE(6, 7);
void	smtp_parse_ehlo(struct smtp_session *session, const char *text);

 /*
  * smtp_tls.c
  */
#define SMTP_TLS_OK		0	/* TLS up, or not wanted */
#define SMTP_TLS_RETRY_PLAIN	1	/* "may": try again without TLS */
#define SMTP_TLS_FAIL		(-1)	/* session unusable; recipients failed */

int	smtp_tls_start(struct smtp_state *state, struct smtp_session *session,
		               const char *nexthop_domain, int allow_tls);

 /*
  * smtp_deliver.c
  */
void	smtp_deliver(struct stream *qmgr, struct deliver_request *req);
long	smtp_elapsed_us(const struct deliver_request *req);

#endif
