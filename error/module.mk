# error - the error and retry delivery agents (daemon)
LIBEXEC_PROGS += error
error_LIB_SRCS := error/error_agent.c
error_SRCS := error/error.c $(error_LIB_SRCS)
