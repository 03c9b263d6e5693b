# smtpd - the SMTP server (smtpd(8)).
LIBEXEC_PROGS += smtpd
smtpd_LIB_SRCS := smtpd/smtpd_parse.c smtpd/smtpd_dot.c smtpd/smtpd_net.c \
	smtpd/smtpd_domain.c smtpd/smtpd_check.c smtpd/smtpd_access.c \
	smtpd/smtpd_resolve.c smtpd/smtpd_state.c \
	smtpd/smtpd_cmd.c smtpd/smtpd_data.c smtpd/smtpd_tls.c smtpd/smtpd_anvil.c
smtpd_SRCS := smtpd/smtpd.c $(smtpd_LIB_SRCS)
