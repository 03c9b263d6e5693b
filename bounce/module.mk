# bounce - delivery status notifications (daemon; also defer, trace)
LIBEXEC_PROGS += bounce
bounce_LIB_SRCS := bounce/bounce_dsn.c bounce/bounce_original.c \
	bounce/bounce_notify.c bounce/bounce_service.c
bounce_SRCS := bounce/bounce.c $(bounce_LIB_SRCS)
