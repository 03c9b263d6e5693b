# postsuper - queue maintenance for the superuser (delete, hold, release,
# requeue, structure check).
BIN_PROGS += postsuper
postsuper_LIB_SRCS := postsuper/postsuper_ops.c postsuper/postsuper_requeue.c \
	postsuper/postsuper_struct.c
postsuper_SRCS := postsuper/postsuper.c $(postsuper_LIB_SRCS)
