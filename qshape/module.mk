# qshape - queue domain and age distribution (command). It reads queue
# files with showq's envelope readers (recursive '=': showq/module.mk is
# read after this file).
BIN_PROGS += qshape
qshape_LIB_SRCS = qshape/qshape_table.c showq/showq_text.c
qshape_SRCS = qshape/qshape.c qshape/qshape_scan.c $(qshape_LIB_SRCS) \
	showq/showq_qfile.c showq/showq_fast.c
