# testsvc - diagnostic service for master's process management tests.
LIBEXEC_PROGS += testsvc
testsvc_SRCS := testsvc/testsvc.c
