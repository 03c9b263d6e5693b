/*
 * NAME
 *	tls - OpenSSL glue for SMTP client and server
 * SYNOPSIS
 *	#include <global/tls.h>
 * DESCRIPTION
 *	See tls.h. Contexts, handshakes with time limits on a non-blocking
 *	descriptor, the stream_set_io() functions that carry a stream over
 *	TLS, and the peer certificate checks behind Postfix's
 *	Anonymous/Untrusted/Trusted/Verified log words.
 * DIAGNOSTICS
 *	Errors are returned with the OpenSSL error text.
 * SEE ALSO
 *	tls(3), stream(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <global/tls.h>

#include <arpa/inet.h>
#include <strings.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define TLS_CLOSE_WAIT_MS	1000

struct tls_ctx {
	SSL_CTX *ssl_ctx;
	int	is_server;
};

struct tls_session {
	SSL    *ssl;
	int	fd;
	int	trust;			/* TLS_TRUST_* */
	long	verify_result;		/* X509_V_* */
};

static const char *const tls_level_names[] = {
	"none", "may", "encrypt", "verify", "secure",
};

static const struct {
	const char *name;
	int	version;			/* 0: never enabled */
} tls_protocol_table[] = {
	{"SSLv2", 0},
	{"SSLv3", 0},
	{"TLSv1", TLS1_VERSION},
	{"TLSv1.1", TLS1_1_VERSION},
	{"TLSv1.2", TLS1_2_VERSION},
	{"TLSv1.3", TLS1_3_VERSION},
};

#define TLS_PROTO_COUNT	ARRAY_LEN(tls_protocol_table)
#define TLS_PROTO_FIRST	2		/* TLSv1: the first real one */

/* tls_level_parse - security level name to TLS_LEV_* */
int
tls_level_parse(const char *name)
{
	size_t	i;

	if (name == NULL || *name == 0)
		return (TLS_LEV_NONE);
	for (i = 0; i < ARRAY_LEN(tls_level_names); i++)
		if (strcasecmp(name, tls_level_names[i]) == 0)
			return ((int) i);
	return (-1);
}

/* tls_level_name - TLS_LEV_* to name */
const char *
tls_level_name(int level)
{
	if (level < 0 || level >= (int) ARRAY_LEN(tls_level_names))
		return ("unknown");
	return (tls_level_names[level]);
}

/* tls_protocol_index - table index of a protocol name, -1 */
static int
tls_protocol_index(const char *name)
{
	size_t	i;

	for (i = 0; i < TLS_PROTO_COUNT; i++)
		if (strcasecmp(name, tls_protocol_table[i].name) == 0)
			return ((int) i);
	return (-1);
}

/* tls_protocols_apply - one word of the protocol syntax to the allowed set */
static int
tls_protocols_apply(const char *word, int *allowed, int *have_list,
		            struct buf *why)
{
	int	index;
	int	i;
	const char *name = word;
	int	op = 0;

	if (strncmp(word, ">=", 2) == 0 || strncmp(word, "<=", 2) == 0) {
		op = word[0];
		name = word + 2;
	} else if (*word == '!') {
		op = '!';
		name = word + 1;
	}
	if ((index = tls_protocol_index(name)) < 0) {
		buf_printf(why, "unknown TLS protocol \"%s\"", word);
		return (-1);
	}
	for (i = 0; i < (int) TLS_PROTO_COUNT; i++) {
		if (op == '>' && i < index)
			*allowed &= ~(1 << i);
		else if (op == '<' && i > index)
			*allowed &= ~(1 << i);
	}
	if (op == '!')
		*allowed &= ~(1 << index);
	if (op == 0) {
		if (!*have_list)
			*allowed = 0;
		*have_list = 1;
		*allowed |= 1 << index;
	}
	return (0);
}

/* tls_protocols_parse - Postfix protocol syntax to a version range */
int
tls_protocols_parse(const char *spec, int *min_version, int *max_version,
		            struct buf *why)
{
	struct argv *words = argv_split(spec ? spec : "", ", :\t\r\n");
	int	allowed = (1 << TLS_PROTO_COUNT) - 1;
	int	have_list = 0;
	int	i, lo = -1, hi = -1;
	size_t	w;

	for (w = 0; w < words->argc; w++) {
		if (tls_protocols_apply(words->argv[w], &allowed, &have_list, why) < 0) {
			argv_free(words);
			return (-1);
		}
	}
	argv_free(words);
	for (i = TLS_PROTO_FIRST; i < (int) TLS_PROTO_COUNT; i++) {
		if (allowed & (1 << i)) {
			if (lo < 0)
				lo = i;
			hi = i;
		}
	}
	if (lo < 0) {
		buf_printf(why, "no TLS protocol left in \"%s\"", spec);
		return (-1);
	}
	*min_version = lo == TLS_PROTO_FIRST ? 0 : tls_protocol_table[lo].version;
	*max_version = hi == (int) TLS_PROTO_COUNT - 1 ? 0 : tls_protocol_table[hi].version;
	return (0);
}

/* tls_openssl_why - append the OpenSSL error queue to why */
static void
tls_openssl_why(struct buf *why)
{
	unsigned long err;
	char	text[256];
	int	n = 0;

	while ((err = ERR_get_error()) != 0) {
		if (n++ < 3) {
			ERR_error_string_n(err, text, sizeof(text));
			buf_appendf(why, "%s%s", n == 1 ? ": " : "; ", text);
		}
	}
}

/* tls_ctx_load - certificates, CAs and protocols */
static int
tls_ctx_load(SSL_CTX *ssl_ctx, const struct tls_ctx_params *p, struct buf *why)
{
	const char *key = p->key_file && *p->key_file ? p->key_file : p->cert_file;
	int	min_version, max_version;

	if (tls_protocols_parse(p->protocols, &min_version, &max_version, why) < 0)
		return (-1);
	if (!SSL_CTX_set_min_proto_version(ssl_ctx, min_version)
	    || !SSL_CTX_set_max_proto_version(ssl_ctx, max_version)) {
		buf_cpy(why, "cannot set the TLS protocol range");
		tls_openssl_why(why);
		return (-1);
	}
	if (p->cert_file && *p->cert_file) {
		if (SSL_CTX_use_certificate_chain_file(ssl_ctx, p->cert_file) != 1
		    || SSL_CTX_use_PrivateKey_file(ssl_ctx, key, SSL_FILETYPE_PEM) != 1
		    || SSL_CTX_check_private_key(ssl_ctx) != 1) {
			buf_printf(why, "cannot load certificate %s and key %s",
				   p->cert_file, key);
			tls_openssl_why(why);
			return (-1);
		}
	}
	if ((p->CAfile && *p->CAfile) || (p->CApath && *p->CApath)) {
		if (SSL_CTX_load_verify_locations(ssl_ctx,
				      p->CAfile && *p->CAfile ? p->CAfile : NULL,
				  p->CApath && *p->CApath ? p->CApath : NULL) != 1) {
			buf_printf(why, "cannot load CA file \"%s\" or path \"%s\"",
				   p->CAfile ? p->CAfile : "",
				   p->CApath ? p->CApath : "");
			tls_openssl_why(why);
			return (-1);
		}
	}
	return (0);
}

/* tls_ctx_create - one SSL_CTX for either side */
static struct tls_ctx *
tls_ctx_create(const struct tls_ctx_params *p, int is_server, struct buf *why)
{
	struct tls_ctx *ctx;
	SSL_CTX *ssl_ctx;

	ERR_clear_error();
	ssl_ctx = SSL_CTX_new(is_server ? TLS_server_method() : TLS_client_method());
	if (ssl_ctx == NULL) {
		buf_cpy(why, "cannot create a TLS context");
		tls_openssl_why(why);
		return (NULL);
	}
	SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
			 | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	SSL_CTX_set_options(ssl_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_COMPRESSION);
	if (is_server && (p->cert_file == NULL || *p->cert_file == 0)) {
		buf_cpy(why, "a TLS server needs a certificate file");
		SSL_CTX_free(ssl_ctx);
		return (NULL);
	}
	if (tls_ctx_load(ssl_ctx, p, why) < 0) {
		SSL_CTX_free(ssl_ctx);
		return (NULL);
	}
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->ssl_ctx = ssl_ctx;
	ctx->is_server = is_server;
	return (ctx);
}

/* tls_client_ctx_create - client context */
struct tls_ctx *
tls_client_ctx_create(const struct tls_ctx_params *p, struct buf *why)
{
	return (tls_ctx_create(p, 0, why));
}

/* tls_server_ctx_create - server context */
struct tls_ctx *
tls_server_ctx_create(const struct tls_ctx_params *p, struct buf *why)
{
	return (tls_ctx_create(p, 1, why));
}

/* tls_ctx_free - destroy a context */
void
tls_ctx_free(struct tls_ctx *ctx)
{
	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx);
}

/* tls_now_ms - monotonic milliseconds */
static long long
tls_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* tls_wait - wait as OpenSSL asks; 0, or -1 with errno */
static int
tls_wait(struct tls_session *sess, int ret, long long deadline)
{
	long	left = -1;

	if (deadline >= 0) {
		long long d = deadline - tls_now_ms();

		if (d <= 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
		left = (long) d;
	}
	switch (SSL_get_error(sess->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return (read_wait(sess->fd, left));
	case SSL_ERROR_WANT_WRITE:
		return (write_wait(sess->fd, left));
	default:
		errno = EPROTO;
		return (-1);
	}
}

/* tls_deadline - absolute deadline for a relative time, -1 = none */
static long long
tls_deadline(long timeout_ms)
{
	return (timeout_ms < 0 ? -1 : tls_now_ms() + timeout_ms);
}

/* tls_stream_read - stream_set_io() read function */
static ssize_t
tls_stream_read(int fd, void *buf, size_t len, long timeout_ms, void *ctx)
{
	struct tls_session *sess = ctx;
	long long deadline = tls_deadline(timeout_ms);
	int	n, err;

	(void) fd;
	for (;;) {
		ERR_clear_error();
		n = SSL_read(sess->ssl, buf, len > INT32_MAX ? INT32_MAX : (int) len);
		if (n > 0)
			return (n);
		err = SSL_get_error(sess->ssl, n);
		if (err == SSL_ERROR_ZERO_RETURN)
			return (0);
		if (err == SSL_ERROR_SYSCALL && errno == 0)
			return (0);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			if (err != SSL_ERROR_SYSCALL)
				errno = EPROTO;
			return (-1);
		}
		if (tls_wait(sess, n, deadline) < 0)
			return (-1);
	}
}

/* tls_stream_write - stream_set_io() write function */
static ssize_t
tls_stream_write(int fd, const void *buf, size_t len, long timeout_ms, void *ctx)
{
	struct tls_session *sess = ctx;
	long long deadline = tls_deadline(timeout_ms);
	int	n, err;

	(void) fd;
	for (;;) {
		ERR_clear_error();
		n = SSL_write(sess->ssl, buf, len > INT32_MAX ? INT32_MAX : (int) len);
		if (n > 0)
			return (n);
		err = SSL_get_error(sess->ssl, n);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			if (err != SSL_ERROR_SYSCALL || errno == 0)
				errno = EPIPE;
			return (-1);
		}
		if (tls_wait(sess, n, deadline) < 0)
			return (-1);
	}
}

/* tls_handshake - run SSL_connect or SSL_accept to the end */
static int
tls_handshake(struct tls_session *sess, int is_server, long timeout_ms,
	              struct buf *why)
{
	long long deadline = tls_deadline(timeout_ms);
	int	ret;

	for (;;) {
		ERR_clear_error();
		ret = is_server ? SSL_accept(sess->ssl) : SSL_connect(sess->ssl);
		if (ret == 1)
			return (0);
		if (tls_wait(sess, ret, deadline) < 0) {
			if (errno == ETIMEDOUT)
				buf_cpy(why, "TLS handshake timed out");
			else {
				buf_cpy(why, "TLS handshake failed");
				tls_openssl_why(why);
			}
			return (-1);
		}
	}
}

/* tls_session_trust_init - classify the peer certificate */
static void
tls_session_trust_init(struct tls_session *sess)
{
	X509   *peer = SSL_get1_peer_certificate(sess->ssl);

	sess->verify_result = SSL_get_verify_result(sess->ssl);
	if (peer == NULL)
		sess->trust = TLS_TRUST_ANONYMOUS;
	else if (sess->verify_result != X509_V_OK)
		sess->trust = TLS_TRUST_UNTRUSTED;
	else
		sess->trust = TLS_TRUST_TRUSTED;
	X509_free(peer);
}

/* tls_session_start - common part of the client and server start */
static struct tls_session *
tls_session_start(struct tls_ctx *ctx, struct stream *stream,
		          const char *servername, long timeout_ms, struct buf *why)
{
	struct tls_session *sess;
	struct in6_addr dummy;

	if (stream_pending(stream) > 0) {
		buf_printf(why, "%zu bytes of unexpected plaintext before the TLS handshake",
			   stream_pending(stream));
		return (NULL);
	}
	if (stream_flush(stream) < 0) {
		buf_printf(why, "write error before the TLS handshake: %m");
		return (NULL);
	}
	sess = xcalloc(1, sizeof(*sess));
	sess->fd = stream_fd(stream);
	if ((sess->ssl = SSL_new(ctx->ssl_ctx)) == NULL
	    || SSL_set_fd(sess->ssl, sess->fd) != 1) {
		buf_cpy(why, "cannot create a TLS session");
		tls_openssl_why(why);
		SSL_free(sess->ssl);
		free(sess);
		return (NULL);
	}
	if (servername && *servername && inet_pton(AF_INET, servername, &dummy) != 1
	    && inet_pton(AF_INET6, servername, &dummy) != 1)
		SSL_set_tlsext_host_name(sess->ssl, servername);
	(void) non_blocking(sess->fd, 1);
	if (tls_handshake(sess, ctx->is_server, timeout_ms, why) < 0) {
		SSL_free(sess->ssl);
		free(sess);
		return (NULL);
	}
	tls_session_trust_init(sess);
	stream_set_io(stream, tls_stream_read, tls_stream_write, sess);
	return (sess);
}

/* tls_client_start - client handshake over a stream */
struct tls_session *
tls_client_start(struct tls_ctx *ctx, struct stream *stream,
		         const char *servername, long timeout_ms, struct buf *why)
{
	if (ctx->is_server)
		msg_panic("tls_client_start: server context");
	return (tls_session_start(ctx, stream, servername, timeout_ms, why));
}

/* tls_server_start - server handshake over a stream */
struct tls_session *
tls_server_start(struct tls_ctx *ctx, struct stream *stream, long timeout_ms,
		         struct buf *why)
{
	if (!ctx->is_server)
		msg_panic("tls_server_start: client context");
	return (tls_session_start(ctx, stream, NULL, timeout_ms, why));
}

/* tls_session_match - check the certificate against host names */
int
tls_session_match(struct tls_session *sess, const char *const *names)
{
	X509   *peer;
	int	matched = 0;

	if (sess->trust < TLS_TRUST_TRUSTED || names == NULL)
		return (0);
	if ((peer = SSL_get1_peer_certificate(sess->ssl)) == NULL)
		return (0);
	for (; *names && !matched; names++)
		if (**names && X509_check_host(peer, *names, strlen(*names), 0, NULL) == 1)
			matched = 1;
	X509_free(peer);
	if (matched)
		sess->trust = TLS_TRUST_VERIFIED;
	return (matched);
}

/* tls_session_trust - TLS_TRUST_* */
int
tls_session_trust(const struct tls_session *sess)
{
	return (sess->trust);
}

/* tls_trust_name - the word Postfix logs for a trust level */
const char *
tls_trust_name(int trust)
{
	static const char *const names[] = {
		"Anonymous", "Untrusted", "Trusted", "Verified",
	};

	if (trust < 0 || trust >= (int) ARRAY_LEN(names))
		return ("Unknown");
	return (names[trust]);
}

/* tls_session_summary - "TLSv1.3 with cipher X (256/256 bits)" */
const char *
tls_session_summary(const struct tls_session *sess, struct buf *out)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(sess->ssl);
	int	bits = 0, alg_bits = 0;

	if (cipher)
		bits = SSL_CIPHER_get_bits(cipher, &alg_bits);
	buf_printf(out, "%s with cipher %s (%d/%d bits)", SSL_get_version(sess->ssl),
		   cipher ? SSL_CIPHER_get_name(cipher) : "unknown", bits, alg_bits);
	return (out->data);
}

/* tls_session_verify_error - chain verification result text */
const char *
tls_session_verify_error(const struct tls_session *sess)
{
	return (X509_verify_cert_error_string(sess->verify_result));
}

/* tls_session_peer_cn - subject common name of the peer certificate */
const char *
tls_session_peer_cn(const struct tls_session *sess, struct buf *out)
{
	X509   *peer = SSL_get1_peer_certificate(sess->ssl);
	char	cn[256];

	buf_reset(out);
	if (peer && X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
					       NID_commonName, cn, sizeof(cn)) > 0)
		buf_cpy(out, cn);
	X509_free(peer);
	return (out->data);
}

/* tls_session_pending - decrypted bytes not yet read */
size_t
tls_session_pending(const struct tls_session *sess)
{
	int	n = SSL_pending(sess->ssl);

	return (n > 0 ? (size_t) n : 0);
}

/* tls_session_stop - close_notify, unhook, free */
void
tls_session_stop(struct tls_session *sess, struct stream *stream, int send_close)
{
	long long deadline = tls_deadline(TLS_CLOSE_WAIT_MS);
	int	ret, tries;

	if (sess == NULL)
		return;
	if (stream) {
		(void) stream_flush(stream);
		stream_set_io(stream, NULL, NULL, NULL);
	}
	if (send_close) {
		for (tries = 0; tries < 10; tries++) {
			ERR_clear_error();
			if ((ret = SSL_shutdown(sess->ssl)) != -1)
				break;
			if (SSL_get_error(sess->ssl, ret) != SSL_ERROR_WANT_WRITE
			    || tls_wait(sess, ret, deadline) < 0)
				break;
		}
	}
	ERR_clear_error();
	SSL_free(sess->ssl);
	free(sess);
}
