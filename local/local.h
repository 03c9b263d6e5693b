/*
 * NAME
 *	local - private interface of the local delivery agent
 * SYNOPSIS
 *	#include "local.h"
 * DESCRIPTION
 *	One delivery request (struct local_msg) holds the open queue file,
 *	the Delivered-To: headers of the message (loop detection) and the
 *	destinations already served (duplicate elimination). Each
 *	recipient of the request is delivered with a struct local_state
 *	that follows it down through alias, :include: and .forward
 *	expansion; every final destination (mailbox, file, maildir,
 *	command, forwarded address) leaves one result, a leaf, and the
 *	leaves decide what qmgr hears about the recipient.
 *
 *	local_request.c: local_request() delivers one request and reports
 *	to qmgr; local_leaf() records a result (and returns its status);
 *	local_leaves_report() logs the leaves and reports the recipient.
 *
 *	local_recipient.c: local_deliver_address() delivers to a local
 *	address: loop checks, aliases, .forward, mailbox.
 *
 *	local_token.c: local_token_split() parses the right-hand side of
 *	an alias, a line of an :include: file or of .forward into
 *	destinations; local_deliver_token() delivers to one.
 *
 *	local_alias.c: local_alias_init() opens alias_maps;
 *	local_alias_deliver() expands an alias.
 *
 *	local_include.c: local_include() expands an :include: file or a
 *	.forward file.
 *
 *	local_mailbox.c: local_mailbox() delivers to a user's mailbox
 *	(mail_spool_directory, home_mailbox mbox or Maildir/,
 *	mailbox_command).
 *
 *	local_file.c: local_file() delivers to /file (mbox format) or
 *	/dir/ (maildir).
 *
 *	local_mbox.c: local_mbox_open(), local_mbox_close(): locked
 *	append-only access to an mbox file.
 *
 *	local_maildir.c: local_maildir() writes one message into a
 *	maildir.
 *
 *	local_copy.c: local_copy() writes the message to a descriptor
 *	with the From_ line, Return-Path:, X-Original-To: and
 *	Delivered-To: headers and >From quoting as asked;
 *	local_content_each() walks the content records;
 *	local_header_scan() collects Delivered-To: values.
 *
 *	local_command.c: local_command() pipes the message into a shell
 *	command.
 *
 *	local_forward.c: local_forward_add() and local_forward_flush():
 *	re-submit the message to non-local addresses through cleanup.
 *
 *	local_user.c: passwd lookups and temporary privileges.
 *
 *	local_resolve.c: local_resolve_is_local(): whether an address
 *	belongs to this machine (mydestination).
 */
#ifndef POSTERN_LOCAL_H
#define POSTERN_LOCAL_H

#include <util/sys_defs.h>
#include <sys/types.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/stream.h>
#include <global/deliver_request.h>
#include <global/dsn.h>

 /*
  * Expansion types, for allow_mail_to_commands/files (bit masks).
  */
#define LOCAL_EXP_ALIAS		(1 << 0)
#define LOCAL_EXP_FORWARD	(1 << 1)
#define LOCAL_EXP_INCLUDE	(1 << 2)

#define LOCAL_MAX_LEVEL		100	/* nested expansions */
#define LOCAL_OUTPUT_LIMIT	2000	/* command output kept for the reason */

 /*
  * A passwd entry, the privileges of a delivery.
  */
struct local_user {
	char   *name;
	uid_t	uid;
	gid_t	gid;
	char   *home;
	char   *shell;
};

 /*
  * One final result.
  */
struct local_leaf {
	char   *address;
	int	status;			/* DELIVER_STAT_* */
	char	dsn[DSN_STATUS_SIZE];
	char   *reason;
	int	is_forward;		/* a copy queued: it carries NOTIFY on */
};

struct local_leaves {
	struct local_leaf *leaf;
	size_t	count;
	size_t	cap;
};

 /*
  * One delivery request.
  */
struct local_msg {
	struct deliver_request *req;
	int	qfd;			/* queue file, read only */
	struct htable *delivered;	/* lowercase Delivered-To: values */
	struct htable *dup;		/* destinations already done */
	int	is_verify;		/* probe only */
};

 /*
  * One recipient on its way through the expansions.
  */
struct local_state {
	struct local_msg *msg;
	const struct deliver_rcpt *rcpt;	/* as qmgr sent it */
	int	level;			/* expansion depth */
	int	exp_type;		/* LOCAL_EXP_* of the nearest expansion */
	const char *exp_from;		/* alias or file that produced address */
	const struct local_user *owner;	/* privileges for files and commands */
	const char *address;		/* being delivered, qualified */
	struct local_leaves *leaves;
	struct argv *forward;		/* non-local addresses to re-submit */
	int	forward_notify;		/* DSN NOTIFY of the forwarded copies */
};

 /*
  * Options for local_copy().
  */
#define LOCAL_COPY_FROM		(1 << 0)	/* "From sender date" line */
#define LOCAL_COPY_QUOTE	(1 << 1)	/* >From quoting */
#define LOCAL_COPY_RETURN_PATH	(1 << 2)	/* Return-Path: */
#define LOCAL_COPY_ORIG_RCPT	(1 << 3)	/* X-Original-To: */
#define LOCAL_COPY_DELIVERED	(1 << 4)	/* Delivered-To: */
#define LOCAL_COPY_BLANK	(1 << 5)	/* empty line after the message */
#define LOCAL_COPY_MBOX	(LOCAL_COPY_FROM | LOCAL_COPY_QUOTE | LOCAL_COPY_BLANK \
	| LOCAL_COPY_RETURN_PATH | LOCAL_COPY_ORIG_RCPT | LOCAL_COPY_DELIVERED)
#define LOCAL_COPY_MAILDIR (LOCAL_COPY_RETURN_PATH | LOCAL_COPY_ORIG_RCPT \
	| LOCAL_COPY_DELIVERED)
#define LOCAL_COPY_COMMAND (LOCAL_COPY_FROM | LOCAL_COPY_RETURN_PATH \
	| LOCAL_COPY_ORIG_RCPT | LOCAL_COPY_DELIVERED)

 /*
  * local_copy() results.
  */
#define LOCAL_COPY_OK		0
#define LOCAL_COPY_ERR_READ	(-1)	/* queue file damaged or unreadable */
#define LOCAL_COPY_ERR_WRITE	(-2)	/* destination failed: errno */

struct local_copy_attr {
	const char *sender;		/* "" for the null sender */
	const char *orig_rcpt;		/* X-Original-To:, or NULL */
	const char *delivered_to;	/* Delivered-To:, or NULL */
	time_t	now;			/* for the From_ line */
	long	limit;			/* file size limit, 0 = none */
	long	start;			/* bytes already in the file */
};

 /*
  * Content walk callback: one record, REC_TYPE_NORM or REC_TYPE_CONT.
  */
typedef int (*local_content_fn) (int type, const char *data, size_t len, void *ctx);

/* local_request.c */
void	local_request(struct stream *client, struct deliver_request *req);
int	local_leaf(struct local_state *state, int status, const char *dsn,
		           const char *fmt,...) PRINTFLIKE(4, 5);
void	local_leaves_free(struct local_leaves *leaves);
int	local_leaves_decide(const struct local_leaves *leaves);
int	local_leaves_report(struct stream *client, struct local_msg *msg,
			            const struct deliver_rcpt *rcpt,
			            const struct local_leaves *leaves);

/* local_recipient.c */
int	local_deliver_address(struct local_state *state, const char *address,
			              int no_alias);
void	local_split_address(const char *address, struct buf *user,
			            struct buf *extension, struct buf *domain);

/* local_token.c */
int	local_token_split(const char *value, struct argv *out, struct buf *why);
int	local_deliver_token(struct local_state *state, const char *token);
int	local_expand_value(struct local_state *parent, const char *value,
			           int exp_type, const char *exp_from,
			           const struct local_user *owner);

/* local_alias.c */
void	local_alias_init(const char *spec_list);
int	local_alias_deliver(struct local_state *state, const char *name,
			            int *found);

/* local_include.c */
int	local_include(struct local_state *state, const char *path, int exp_type,
		              const struct local_user *as, int *found);
int	local_dot_forward(struct local_state *state, const struct local_user *user,
			          const char *extension, int *found);
int	local_path_expand(struct buf *out, const char *pattern,
			          const struct local_user *user, const char *address,
			          const char *extension);

/* local_mailbox.c */
int	local_mailbox(struct local_state *state, const struct local_user *user);

/* local_file.c */
int	local_file(struct local_state *state, const char *path);

/* local_mbox.c */
struct local_mbox;
struct local_mbox *local_mbox_open(const char *path, int is_spool,
			            uid_t chown_uid, gid_t chown_gid,
			            char dsn[DSN_STATUS_SIZE], struct buf *why);
int	local_mbox_fd(const struct local_mbox *mb);
long	local_mbox_size(const struct local_mbox *mb);
uid_t	local_mbox_owner(const struct local_mbox *mb);
int	local_mbox_close(struct local_mbox *mb, int ok, struct buf *why);
const char *local_mbox_error_dsn(int err, const char *dflt);

/* local_maildir.c */
int	local_maildir(struct local_state *state, const char *dir,
		              const struct local_user *user, int is_file);
void	local_maildir_name(struct buf *out, time_t sec, long usec, int pid,
			           unsigned count, const char *host);

/* local_copy.c */
int	local_copy(int qfd, long data_offset, int out_fd, int flags,
		           const struct local_copy_attr *attr, struct buf *why);
int	local_content_each(int qfd, long data_offset, local_content_fn fn,
			           void *ctx, struct buf *why);
int	local_header_scan(int qfd, long data_offset, struct htable *delivered,
			          struct buf *why);
void	local_copy_attr_init(struct local_copy_attr *attr,
			             const struct local_state *state, int flags);
int	local_copy_flags(int flags, const char *hdr_class);

/* local_command.c */
int	local_command(struct local_state *state, const char *command,
		              const struct local_user *as);
const char *local_command_exit_status(int code, const char **text);

/* local_forward.c */
void	local_forward_add(struct local_state *state, const char *address);
int	local_forward_flush(struct local_state *state);

/* local_user.c */
int	local_user_lookup(const char *name, struct local_user *user);
int	local_user_by_uid(uid_t uid, struct local_user *user);
void	local_user_free(struct local_user *user);
void	local_user_copy(struct local_user *dst, const struct local_user *src);
int	local_user_init(void);
int	local_is_privileged(void);
int	local_priv_enter(const struct local_user *user);
void	local_priv_leave(void);
int	local_user_privs_for(const struct local_user *owner,
			             struct local_user *out);
int	local_user_running(struct local_user *user);

/* local_resolve.c */
void	local_resolve_init(void);
int	local_resolve_is_local(const char *address);
int	local_class_mask(const char *list);
struct argv *local_list_split(const char *list);

#endif
