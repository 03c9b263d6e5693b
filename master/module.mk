# master - the supervisor daemon (libexec/master).
LIBEXEC_PROGS += master
master_LIB_SRCS := master/master_argv.c
master_SRCS := master/master.c master/master_conf.c master/master_listen.c \
	master/master_spawn.c master/master_status.c master/master_wakeup.c \
	master/master_signal.c master/master_lock.c $(master_LIB_SRCS)
