# postqueue - queue listing (mailq) and flush requests for every user.
# It shares showq's queue scanner and protocol code (recursive '=' because
# showq/module.mk is read after this file).
BIN_PROGS += postqueue
postqueue_LIB_SRCS = postqueue/postqueue_format.c $(showq_LIB_SRCS)
postqueue_SRCS = postqueue/postqueue.c $(postqueue_LIB_SRCS)
