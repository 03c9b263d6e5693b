# qmgr - the queue manager (daemon)
LIBEXEC_PROGS += qmgr
qmgr_LIB_SRCS := qmgr/qmgr_active.c qmgr/qmgr_bounce.c qmgr/qmgr_defer.c \
	qmgr/qmgr_deliver.c qmgr/qmgr_entry.c qmgr/qmgr_flow.c qmgr/qmgr_ipc.c \
	qmgr/qmgr_log.c qmgr/qmgr_message.c qmgr/qmgr_metrics.c qmgr/qmgr_queue.c qmgr/qmgr_scan.c \
	qmgr/qmgr_transport.c
qmgr_SRCS := qmgr/qmgr.c $(qmgr_LIB_SRCS)
