/*
 * NAME
 *	smtpd_tls - STARTTLS for the SMTP server (OpenSSL)
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int	smtpd_tls_level(void);
 *	int	smtpd_tls_init(struct buf *why);
 *	int	smtpd_tls_available(void);
 *	int	smtpd_tls_start(struct smtpd_state *state, struct buf *why);
 *	void	smtpd_tls_stop(struct smtpd_state *state);
 *	long	smtpd_tls_pending(const struct smtpd_state *state);
 * DESCRIPTION
 *	smtpd_tls_level() maps smtpd_tls_security_level to SMTPD_TLS_NONE
 *	("" or none), SMTPD_TLS_MAY (may: offer STARTTLS) or
 *	SMTPD_TLS_ENCRYPT (encrypt: offer it and refuse mail without it);
 *	-1 for anything else.
 *
 *	smtpd_tls_init() runs before smtpd gives up its privileges: it
 *	creates the server context from smtpd_tls_cert_file and
 *	smtpd_tls_key_file (PEM; the key may be in the certificate file)
 *	and smtpd_tls_protocols (Postfix syntax: ">=TLSv1.2", "<=TLSv1.3",
 *	"!TLSv1", or a list of protocol names). It returns 0, or -1 with
 *	a reason; smtpd_tls_available() then stays false.
 *
 *	smtpd_tls_start() runs after "220 2.0.0 Ready to start TLS" was
 *	queued: it sends that reply, DISCARDS any input the client sent
 *	after STARTTLS before the handshake (plaintext command injection,
 *	CVE-2011-0411: a pipelined "STARTTLS\r\nRSET\r\n" must not be
 *	executed as if it came through TLS), performs the handshake within
 *	smtpd_starttls_timeout, installs the TLS read and write functions
 *	on the client stream and logs "Anonymous TLS connection established
 *	from CLIENT: PROTOCOL with cipher NAME (BITS/ALG_BITS bits)". The
 *	caller then forgets the session state (HELO, transaction), as RFC
 *	3207 requires. It returns 0, or -1 with a reason (the connection is
 *	then unusable).
 *
 *	smtpd_tls_stop() flushes the stream, removes the TLS functions,
 *	sends close_notify when it can and frees the TLS session.
 *	smtpd_tls_pending() is the number of decrypted bytes OpenSSL holds
 *	that the stream has not read yet.
 * SECURITY
 *	The private key is read while smtpd still has the privileges of
 *	its start; only the context survives the privilege drop.
 */
#include <util/sys_defs.h>
#include <poll.h>
#include <strings.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/params.h>
#include "smtpd.h"

struct smtpd_tls {
	SSL    *ssl;
	int	fd;
};

static SSL_CTX *smtpd_tls_ctx;

static const struct {
	const char *name;
	int	version;
} tls_versions[] = {
	{"TLSv1", TLS1_VERSION},
	{"TLSv1.1", TLS1_1_VERSION},
	{"TLSv1.2", TLS1_2_VERSION},
	{"TLSv1.3", TLS1_3_VERSION},
};

#define TLS_VERSION_COUNT	ARRAY_LEN(tls_versions)

/* smtpd_tls_level - the security level */
int
smtpd_tls_level(void)
{
	const char *level = var_smtpd_tls_security_level;

	if (*level == 0 || strcasecmp(level, "none") == 0)
		return (SMTPD_TLS_NONE);
	if (strcasecmp(level, "may") == 0)
		return (SMTPD_TLS_MAY);
	if (strcasecmp(level, "encrypt") == 0)
		return (SMTPD_TLS_ENCRYPT);
	return (-1);
}

/* tls_version_index - a protocol name's index, or -1 */
static int
tls_version_index(const char *name)
{
	size_t	i;

	for (i = 0; i < TLS_VERSION_COUNT; i++)
		if (strcasecmp(name, tls_versions[i].name) == 0)
			return ((int) i);
	return (-1);
}

/* tls_protocols - smtpd_tls_protocols to a min and max version */
static int
tls_protocols(const char *value, int *min, int *max, struct buf *why)
{
	struct argv *items = argv_split(value, ", \t:");
	bool	allowed[TLS_VERSION_COUNT];
	bool	positive = false;
	int	lo = 0, hi = (int) TLS_VERSION_COUNT - 1;
	int	i, n;
	size_t	k;

	for (k = 0; k < TLS_VERSION_COUNT; k++)
		allowed[k] = true;
	for (k = 0; k < items->argc; k++) {
		const char *item = items->argv[k];

		if (strncmp(item, ">=", 2) == 0 || strncmp(item, "<=", 2) == 0) {
			if ((n = tls_version_index(item + 2)) < 0)
				break;
			if (item[0] == '>')
				lo = n;
			else
				hi = n;
		} else if (*item == '!') {
			if ((n = tls_version_index(item + 1)) >= 0)
				allowed[n] = false;
			else if (strcasecmp(item + 1, "SSLv2") != 0 && strcasecmp(item + 1, "SSLv3") != 0)
				break;
		} else if ((n = tls_version_index(item)) >= 0) {
			if (!positive)
				for (i = 0; i < (int) TLS_VERSION_COUNT; i++)
					allowed[i] = false;
			positive = true;
			allowed[n] = true;
		} else {
			break;
		}
	}
	if (k < items->argc) {
		buf_printf(why, "invalid smtpd_tls_protocols value: \"%s\"", items->argv[k]);
		argv_free(items);
		return (-1);
	}
	argv_free(items);
	for (*min = -1, i = lo; i <= hi; i++) {
		if (allowed[i]) {
			if (*min < 0)
				*min = tls_versions[i].version;
			*max = tls_versions[i].version;
		}
	}
	if (*min < 0) {
		buf_printf(why, "smtpd_tls_protocols \"%s\" leaves no protocol", value);
		return (-1);
	}
	return (0);
}

/* tls_error - the OpenSSL error queue as text */
static void
tls_error(struct buf *why, const char *what)
{
	unsigned long err = ERR_get_error();
	char	text[256];

	if (err) {
		ERR_error_string_n(err, text, sizeof(text));
		buf_printf(why, "%s: %s", what, text);
	} else {
		buf_printf(why, "%s: %m", what);
	}
	ERR_clear_error();
}

/* smtpd_tls_init - the server context */
int
smtpd_tls_init(struct buf *why)
{
	const char *cert = var_smtpd_tls_cert_file;
	const char *key = *var_smtpd_tls_key_file ? var_smtpd_tls_key_file : cert;
	SSL_CTX *ctx;
	int	min, max;

	if (smtpd_tls_level() <= SMTPD_TLS_NONE)
		return (0);
	if (*cert == 0) {
		buf_cpy(why, "no smtpd_tls_cert_file is set");
		return (-1);
	}
	if (tls_protocols(var_smtpd_tls_protocols, &min, &max, why) < 0)
		return (-1);
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_error(why, "cannot create TLS context");
		return (-1);
	}
	SSL_CTX_set_min_proto_version(ctx, min);
	SSL_CTX_set_max_proto_version(ctx, max);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_error(why, cert);
	} else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		tls_error(why, key);
	} else if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_error(why, "private key does not match the certificate");
	} else {
		smtpd_tls_ctx = ctx;
		return (0);
	}
	SSL_CTX_free(ctx);
	return (-1);
}

/* smtpd_tls_available - whether STARTTLS can be offered */
int
smtpd_tls_available(void)
{
	return (smtpd_tls_ctx != NULL && smtpd_tls_level() > SMTPD_TLS_NONE);
}

/* tls_wait - wait for what OpenSSL asked for; 0 or -1 (ETIMEDOUT) */
static int
tls_wait(SSL *ssl, int ret, int fd, long timeout_ms)
{
	switch (SSL_get_error(ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return (read_wait(fd, timeout_ms));
	case SSL_ERROR_WANT_WRITE:
		return (write_wait(fd, timeout_ms));
	case SSL_ERROR_ZERO_RETURN:
		return (1);
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			errno = ECONNRESET;
		return (-1);
	default:
		ERR_clear_error();
		errno = EPROTO;
		return (-1);
	}
}

/* tls_read - stream read hook */
static ssize_t
tls_read(int fd, void *buf, size_t len, long timeout_ms, void *ctx)
{
	struct smtpd_tls *tls = ctx;
	int	ret;
	int	wait;

	for (;;) {
		ret = SSL_read(tls->ssl, buf, len > INT32_MAX ? INT32_MAX : (int) len);
		if (ret > 0)
			return (ret);
		if ((wait = tls_wait(tls->ssl, ret, fd, timeout_ms)) > 0)
			return (0);
		if (wait < 0)
			return (-1);
	}
}

/* tls_write - stream write hook */
static ssize_t
tls_write(int fd, const void *buf, size_t len, long timeout_ms, void *ctx)
{
	struct smtpd_tls *tls = ctx;
	int	ret;

	for (;;) {
		ret = SSL_write(tls->ssl, buf, len > INT32_MAX ? INT32_MAX : (int) len);
		if (ret > 0)
			return (ret);
		if (tls_wait(tls->ssl, ret, fd, timeout_ms) != 0) {
			if (errno == 0)
				errno = EPIPE;
			return (-1);
		}
	}
}

/* tls_discard_pending - drop plaintext that arrived after STARTTLS */
static void
tls_discard_pending(struct smtpd_state *state)
{
	char	junk[512];
	size_t	total = 0;
	size_t	n;

	while ((n = stream_pending(state->client)) > 0) {
		if (stream_read(state->client, junk, n < sizeof(junk) ? n : sizeof(junk)) <= 0)
			break;
		total += n < sizeof(junk) ? n : sizeof(junk);
	}
	if (total > 0)
		msg_warn("%s: discarding %zu bytes of plaintext sent after STARTTLS",
			 state->namaddr, total);
}

/* tls_handshake - SSL_accept within the STARTTLS timeout */
static int
tls_handshake(struct smtpd_tls *tls, struct buf *why, const char *namaddr)
{
	int	ret;

	non_blocking(tls->fd, 1);
	while ((ret = SSL_accept(tls->ssl)) != 1) {
		if (tls_wait(tls->ssl, ret, tls->fd, var_smtpd_starttls_timeout * 1000L) != 0) {
			if (errno == ETIMEDOUT)
				buf_printf(why, "SSL_accept timeout from %s", namaddr);
			else
				tls_error(why, "SSL_accept error");
			if (errno != ETIMEDOUT)
				buf_appendf(why, " from %s", namaddr);
			return (-1);
		}
	}
	return (0);
}

/* smtpd_tls_start - the TLS handshake after STARTTLS */
int
smtpd_tls_start(struct smtpd_state *state, struct buf *why)
{
	struct smtpd_tls *tls;
	const SSL_CIPHER *cipher;
	int	bits;
	int	alg_bits;

	if (smtpd_flush(state) < 0) {
		buf_printf(why, "cannot send STARTTLS reply to %s", state->namaddr);
		return (-1);
	}
	tls_discard_pending(state);
	tls = xcalloc(1, sizeof(*tls));
	tls->fd = stream_fd(state->client);
	state->tls = tls;
	if ((tls->ssl = SSL_new(smtpd_tls_ctx)) == NULL || SSL_set_fd(tls->ssl, tls->fd) != 1) {
		tls_error(why, "cannot start TLS session");
		return (-1);
	}
	if (tls_handshake(tls, why, state->namaddr) < 0)
		return (-1);
	stream_set_io(state->client, tls_read, tls_write, tls);
	state->is_tls = true;
	cipher = SSL_get_current_cipher(tls->ssl);
	/* Not in the argument list: the order it is evaluated in is unspecified. */
	bits = SSL_CIPHER_get_bits(cipher, &alg_bits);
	msg_info("Anonymous TLS connection established from %s: %s with cipher %s "
		 "(%d/%d bits)", state->namaddr, SSL_get_version(tls->ssl),
		 SSL_CIPHER_get_name(cipher), bits, alg_bits);
	return (0);
}

/* smtpd_tls_stop - end TLS */
void
smtpd_tls_stop(struct smtpd_state *state)
{
	struct smtpd_tls *tls = state->tls;

	if (tls == NULL)
		return;
	if (state->is_tls) {
		(void) stream_flush(state->client);
		stream_set_io(state->client, NULL, NULL, NULL);
		(void) SSL_shutdown(tls->ssl);
	}
	SSL_free(tls->ssl);
	free(tls);
	state->tls = NULL;
	state->is_tls = false;
}

/* smtpd_tls_pending - decrypted bytes not yet read */
long
smtpd_tls_pending(const struct smtpd_state *state)
{
	if (state->tls == NULL || !state->is_tls)
		return (0);
	return (SSL_pending(state->tls->ssl));
}
