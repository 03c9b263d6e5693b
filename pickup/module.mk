# pickup - local submissions from maildrop to cleanup (daemon)
LIBEXEC_PROGS += pickup
pickup_LIB_SRCS := pickup/pickup_file.c
pickup_SRCS := pickup/pickup.c $(pickup_LIB_SRCS)
