/*
 * NAME
 *	test_tls - unit tests for the TLS glue
 * DESCRIPTION
 *	Security level names; the Postfix protocol syntax (ranges,
 *	exclusions, lists, errors); contexts from good and bad files; real
 *	handshakes between a client and a forked server over a socket
 *	pair, with a certificate made here: data both ways through the
 *	stream, the summary text, trust without and with the CA file, name
 *	matching (exact, wildcard-free mismatch, ".domain" subdomains), and
 *	the refusal of plaintext that arrived before the handshake.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <ctype.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/tls.h>

static char workdir[] = "/tmp/test_tlsXXXXXX";
static char cert_path[256], key_path[256];

/* make_cert - a self-signed certificate for mx.example.test */
static void
make_cert(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509   *x = X509_new();
	X509_NAME *name;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	FILE   *fp;

	assert_non_null(key);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *) "mx.example.test", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:mx.example.test");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", workdir);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", workdir);
	assert_non_null(fp = fopen(cert_path, "w"));
	PEM_write_X509(fp, x);
	fclose(fp);
	assert_non_null(fp = fopen(key_path, "w"));
	PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* group_setup - work directory and certificate */
static int
group_setup(void **state)
{
	(void) state;
	msg_to_stderr(MSG_STDERR_OFF);
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(workdir) == NULL)
		return (-1);
	make_cert();
	return (0);
}

/* group_teardown - remove the files */
static int
group_teardown(void **state)
{
	(void) state;
	unlink(cert_path);
	unlink(key_path);
	rmdir(workdir);
	return (0);
}

/* test_levels - security level names */
static void
test_levels(void **state)
{
	(void) state;
	assert_int_equal(tls_level_parse(""), TLS_LEV_NONE);
	assert_int_equal(tls_level_parse(NULL), TLS_LEV_NONE);
	assert_int_equal(tls_level_parse("none"), TLS_LEV_NONE);
	assert_int_equal(tls_level_parse("may"), TLS_LEV_MAY);
	assert_int_equal(tls_level_parse("Encrypt"), TLS_LEV_ENCRYPT);
	assert_int_equal(tls_level_parse("verify"), TLS_LEV_VERIFY);
	assert_int_equal(tls_level_parse("secure"), TLS_LEV_SECURE);
	assert_int_equal(tls_level_parse("dane"), -1);
	assert_int_equal(tls_level_parse("fingerprint"), -1);
	assert_string_equal(tls_level_name(TLS_LEV_ENCRYPT), "encrypt");
	assert_string_equal(tls_level_name(17), "unknown");
	assert_string_equal(tls_trust_name(TLS_TRUST_VERIFIED), "Verified");
	assert_string_equal(tls_trust_name(TLS_TRUST_ANONYMOUS), "Anonymous");
}

/* test_protocols - Postfix protocol syntax */
static void
test_protocols(void **state)
{
	static const struct {
		const char *spec;
		int	min, max, ret;
	} cases[] = {
		{"", 0, 0, 0},
		{">=TLSv1", 0, 0, 0},
		{">=TLSv1.2", TLS1_2_VERSION, 0, 0},
		{"<=TLSv1.2", 0, TLS1_2_VERSION, 0},
		{"!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", TLS1_2_VERSION, 0, 0},
		{"TLSv1.2 TLSv1.3", TLS1_2_VERSION, 0, 0},
		{"TLSv1.2", TLS1_2_VERSION, TLS1_2_VERSION, 0},
		{">=TLSv1.1:<=TLSv1.2", TLS1_1_VERSION, TLS1_2_VERSION, 0},
		{"!TLSv1.3", 0, TLS1_2_VERSION, 0},
		{"TLSv9", 0, 0, -1},
		{"SSLv3", 0, 0, -1},
		{">=TLSv1.3, <=TLSv1.2", 0, 0, -1},
	};
	struct buf *why = buf_new(10);
	int	min, max;
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		min = max = -5;
		buf_reset(why);
		assert_int_equal(tls_protocols_parse(cases[i].spec, &min, &max, why), cases[i].ret);
		if (cases[i].ret == 0) {
			if (min != cases[i].min || max != cases[i].max)
				fail_msg("%s: got %#x..%#x", cases[i].spec, min, max);
		} else {
			assert_true(why->len > 0);
		}
	}
	buf_free(why);
}

/* test_contexts - good and bad files */
static void
test_contexts(void **state)
{
	struct tls_ctx_params p = {0};
	struct buf *why = buf_new(10);
	struct tls_ctx *ctx;

	(void) state;
	assert_non_null(ctx = tls_client_ctx_create(&p, why));
	tls_ctx_free(ctx);
	assert_null(tls_server_ctx_create(&p, why));
	p.cert_file = cert_path;
	p.key_file = key_path;
	assert_non_null(ctx = tls_server_ctx_create(&p, why));
	tls_ctx_free(ctx);
	p.key_file = "/nonexistent/key.pem";
	buf_reset(why);
	assert_null(tls_server_ctx_create(&p, why));
	assert_non_null(strstr(why->data, "cannot load certificate"));
	p.cert_file = NULL;
	p.CAfile = "/nonexistent/ca.pem";
	buf_reset(why);
	assert_null(tls_client_ctx_create(&p, why));
	assert_non_null(strstr(why->data, "cannot load CA file"));
	p.CAfile = NULL;
	p.protocols = "TLSv7";
	assert_null(tls_client_ctx_create(&p, why));
	tls_ctx_free(NULL);
	buf_free(why);
}

/* serve - the forked server: handshake, echo one line in upper case */
static NORETURN void
serve(int fd, int inject)
{
	struct tls_ctx_params p = {.cert_file = cert_path, .key_file = key_path};
	struct buf *why = buf_new(10), *line = buf_new(10);
	struct stream *s = stream_fdopen(fd, STREAM_READ | STREAM_WRITE);
	struct tls_ctx *ctx = tls_server_ctx_create(&p, why);
	struct tls_session *sess;
	size_t	i;

	if (ctx == NULL)
		_exit(2);
	stream_set_timeout(s, 5);
	if (inject) {
		/* Wait for the injected plaintext to be buffered first. */
		if (stream_getc(s) == STREAM_EOF)
			_exit(3);
		stream_ungetc(s, 'x');
	}
	if ((sess = tls_server_start(ctx, s, 5000, why)) == NULL)
		_exit(inject && strstr(why->data, "plaintext") ? 10 : 4);
	if (stream_get_line(s, line, 100) != STREAM_LINE_CRLF)
		_exit(5);
	for (i = 0; i < line->len; i++)
		line->data[i] = (char) toupper((unsigned char) line->data[i]);
	stream_printf(s, "%s\r\n", line->data);
	tls_session_stop(sess, s, 1);
	stream_close(s);
	tls_ctx_free(ctx);
	_exit(0);
}

/* client_run - connect to a forked server; returns the session's trust */
static int
client_run(const char *ca, const char *const *names, int expect_match,
	           int inject)
{
	struct tls_ctx_params p = {.CAfile = ca, .protocols = ">=TLSv1.2"};
	struct buf *why = buf_new(10), *line = buf_new(10);
	struct tls_ctx *ctx = tls_client_ctx_create(&p, why);
	struct tls_session *sess;
	struct stream *s;
	int	fds[2], status, trust = -1;
	pid_t	pid;

	assert_non_null(ctx);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		serve(fds[1], inject);
	}
	close(fds[1]);
	s = stream_fdopen(fds[0], STREAM_READ | STREAM_WRITE);
	stream_set_timeout(s, 5);
	if (inject) {
		assert_int_equal(write(fds[0], "RSET\r\n", 6), 6);
		assert_null(tls_client_start(ctx, s, "mx.example.test", 5000, why));
	} else {
		sess = tls_client_start(ctx, s, "mx.example.test", 5000, why);
		if (sess == NULL)
			fail_msg("client handshake: %s", why->data);
		assert_int_equal(tls_session_match(sess, names), expect_match);
		trust = tls_session_trust(sess);
		tls_session_summary(sess, line);
		assert_non_null(strstr(line->data, " with cipher "));
		assert_non_null(strstr(line->data, " bits)"));
		tls_session_peer_cn(sess, line);
		assert_string_equal(line->data, "mx.example.test");
		assert_int_equal(stream_printf(s, "hello tls\r\n"), 0);
		assert_int_equal(stream_flush(s), 0);
		assert_int_equal(stream_get_line(s, line, 100), STREAM_LINE_CRLF);
		assert_string_equal(line->data, "HELLO TLS");
		tls_session_stop(sess, s, 1);
	}
	stream_close(s);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), inject ? 10 : 0);
	tls_ctx_free(ctx);
	buf_free(why);
	buf_free(line);
	return (trust);
}

/* test_handshake - trust levels and names */
static void
test_handshake(void **state)
{
	static const char *const right[] = {"other.test", "mx.example.test", NULL};
	static const char *const wrong[] = {"example.test", "x.mx.example.test", NULL};
	static const char *const domain[] = {".example.test", NULL};

	(void) state;
	assert_int_equal(client_run(NULL, right, 0, 0), TLS_TRUST_UNTRUSTED);
	assert_int_equal(client_run(cert_path, wrong, 0, 0), TLS_TRUST_TRUSTED);
	assert_int_equal(client_run(cert_path, right, 1, 0), TLS_TRUST_VERIFIED);
	assert_int_equal(client_run(cert_path, domain, 1, 0), TLS_TRUST_VERIFIED);
}

/* test_injection - plaintext before the handshake is refused */
static void
test_injection(void **state)
{
	(void) state;
	client_run(NULL, NULL, 0, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_contexts),
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_injection),
	};

	return (cmocka_run_group_tests_name("tls", tests, group_setup, group_teardown));
}
