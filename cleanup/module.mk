# cleanup - canonicalize and enqueue mail (daemon)
LIBEXEC_PROGS += cleanup
cleanup_LIB_SRCS := cleanup/cleanup_service.c cleanup/cleanup_state.c cleanup/cleanup_out.c \
	cleanup/cleanup_envelope.c cleanup/cleanup_message.c \
	cleanup/cleanup_headers.c cleanup/cleanup_virtual.c \
	cleanup/cleanup_bounce.c cleanup/cleanup_priority.c
cleanup_SRCS := cleanup/cleanup.c $(cleanup_LIB_SRCS)
