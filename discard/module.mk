# discard - the discard delivery agent (daemon)
LIBEXEC_PROGS += discard
discard_LIB_SRCS := discard/discard_agent.c
discard_SRCS := discard/discard.c $(discard_LIB_SRCS)
