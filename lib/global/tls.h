/*
 * NAME
 *	tls - OpenSSL glue for SMTP client and server: contexts, sessions,
 *	policy levels, certificate checks, TLS over a stream
 * SYNOPSIS
 *	#include <global/tls.h>
 *
 *	int	tls_level_parse(const char *name);
 *	const char *tls_level_name(int level);
 *	int	tls_protocols_parse(const char *spec, int *min_version,
 *				int *max_version, struct buf *why);
 *
 *	struct tls_ctx *tls_client_ctx_create(const struct tls_ctx_params *p,
 *				struct buf *why);
 *	struct tls_ctx *tls_server_ctx_create(const struct tls_ctx_params *p,
 *				struct buf *why);
 *	void	tls_ctx_free(struct tls_ctx *ctx);
 *
 *	struct tls_session *tls_client_start(struct tls_ctx *ctx,
 *				struct stream *stream, const char *servername,
 *				long timeout_ms, struct buf *why);
 *	struct tls_session *tls_server_start(struct tls_ctx *ctx,
 *				struct stream *stream, long timeout_ms,
 *				struct buf *why);
 *	int	tls_session_match(struct tls_session *sess,
 *				const char *const *names);
 *	int	tls_session_trust(const struct tls_session *sess);
 *	const char *tls_trust_name(int trust);
 *	const char *tls_session_summary(const struct tls_session *sess,
 *				struct buf *out);
 *	const char *tls_session_verify_error(const struct tls_session *sess);
 *	const char *tls_session_peer_cn(const struct tls_session *sess,
 *				struct buf *out);
 *	size_t	tls_session_pending(const struct tls_session *sess);
 *	void	tls_session_stop(struct tls_session *sess,
 *				struct stream *stream, int send_close);
 * DESCRIPTION
 *	Levels. tls_level_parse() maps a Postfix security level name to
 *	TLS_LEV_NONE ("" and "none"), TLS_LEV_MAY, TLS_LEV_ENCRYPT,
 *	TLS_LEV_VERIFY or TLS_LEV_SECURE; it returns -1 for anything else
 *	(dane and fingerprint are not supported). tls_level_name() is the
 *	reverse.
 *
 *	tls_protocols_parse() reads Postfix's protocol syntax
 *	(smtp_tls_protocols, smtpd_tls_protocols): ">=TLSv1.2", "<=TLSv1.3",
 *	exclusions "!TLSv1, !TLSv1.1", or a list of protocol names to allow;
 *	SSLv2 and SSLv3 are accepted and never enabled. It stores OpenSSL
 *	version numbers (0 = no limit) and returns 0, or -1 with a reason.
 *
 *	Contexts. tls_client_ctx_create() and tls_server_ctx_create() build
 *	an SSL_CTX from p: cert_file and key_file (PEM; the key may be in
 *	the certificate file; required for a server, optional for a
 *	client), CAfile and CApath (trust anchors for verifying the peer;
 *	as Postfix, the system's default CAs are not added), protocols
 *	(see above). They return NULL with a reason in why. Peer
 *	certificates never abort a handshake: the caller decides after it
 *	with tls_session_trust() and tls_session_match().
 *
 *	Sessions. tls_client_start() runs the client handshake on the
 *	descriptor under stream (servername, when not NULL and not an
 *	address, goes into SNI) and tls_server_start() the server side,
 *	both within timeout_ms milliseconds. Input the peer sent before the
 *	handshake and that is still in the stream's buffer is an error
 *	(command injection, CVE-2011-0411), as are a failed handshake and
 *	a time-out; NULL is returned with a reason in why. On success the
 *	stream reads and writes through TLS (stream_set_io(3)) and the
 *	descriptor is non-blocking.
 *
 *	tls_session_trust() classifies the peer as TLS_TRUST_ANONYMOUS (no
 *	certificate), TLS_TRUST_UNTRUSTED (the chain did not verify against
 *	the CAs), TLS_TRUST_TRUSTED (it did) or TLS_TRUST_VERIFIED (it did
 *	and a name matched); tls_trust_name() gives the word Postfix logs:
 *	"Anonymous", "Untrusted", "Trusted", "Verified".
 *	tls_session_match() checks a trusted certificate against names, a
 *	NULL-terminated list of host names (wildcards in the certificate
 *	are honoured; a name that starts with "." matches any subdomain),
 *	raises the trust to VERIFIED and returns 1 on a match, else 0.
 *	tls_session_summary() formats "TLSv1.3 with cipher
 *	TLS_AES_256_GCM_SHA384 (256/256 bits)" into out.
 *	tls_session_verify_error() is the chain verification error text
 *	("ok" when there was none). tls_session_peer_cn() stores the peer
 *	certificate's subject common name in out ("" when none).
 *	tls_session_pending() counts decrypted bytes not yet read.
 *
 *	tls_session_stop() flushes the stream, sends close_notify when
 *	send_close is non-zero (bounded by one second), removes the TLS
 *	functions from the stream and frees the session.
 * DIAGNOSTICS
 *	Errors are returned in why, with the OpenSSL error queue text.
 * SEE ALSO
 *	stream(3), RFC 3207, RFC 6125
 */
#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/stream.h>

#define TLS_LEV_NONE	0
#define TLS_LEV_MAY	1
#define TLS_LEV_ENCRYPT	2
#define TLS_LEV_VERIFY	3
#define TLS_LEV_SECURE	4

#define TLS_TRUST_ANONYMOUS	0
#define TLS_TRUST_UNTRUSTED	1
#define TLS_TRUST_TRUSTED	2
#define TLS_TRUST_VERIFIED	3

struct tls_ctx;
struct tls_session;

struct tls_ctx_params {
	const char *cert_file;
	const char *key_file;
	const char *CAfile;
	const char *CApath;
	const char *protocols;
};

int	tls_level_parse(const char *name);
const char *tls_level_name(int level);
int	tls_protocols_parse(const char *spec, int *min_version, int *max_version,
			            struct buf *why);

struct tls_ctx *tls_client_ctx_create(const struct tls_ctx_params *p,
				              struct buf *why);
struct tls_ctx *tls_server_ctx_create(const struct tls_ctx_params *p,
				              struct buf *why);
void	tls_ctx_free(struct tls_ctx *ctx);

struct tls_session *tls_client_start(struct tls_ctx *ctx, struct stream *stream,
				             const char *servername, long timeout_ms,
				             struct buf *why);
struct tls_session *tls_server_start(struct tls_ctx *ctx, struct stream *stream,
				             long timeout_ms, struct buf *why);
int	tls_session_match(struct tls_session *sess, const char *const *names);
int	tls_session_trust(const struct tls_session *sess);
const char *tls_trust_name(int trust);
const char *tls_session_summary(const struct tls_session *sess, struct buf *out);
const char *tls_session_verify_error(const struct tls_session *sess);
const char *tls_session_peer_cn(const struct tls_session *sess, struct buf *out);
size_t	tls_session_pending(const struct tls_session *sess);
void	tls_session_stop(struct tls_session *sess, struct stream *stream,
			         int send_close);

#endif
