# smtp - the SMTP delivery agent (also run as relay and cloned transports)
LIBEXEC_PROGS += smtp
smtp_LIB_SRCS := smtp/smtp_reply.c smtp/smtp_text.c smtp/smtp_addr.c \
	smtp/smtp_init.c smtp/smtp_rcpt.c smtp/smtp_connect.c \
	smtp/smtp_proto.c smtp/smtp_tls.c smtp/smtp_session_cache.c \
	smtp/smtp_deliver.c
smtp_SRCS := smtp/smtp.c $(smtp_LIB_SRCS)
