# showq - the queue listing service behind mailq and postqueue (daemon).
# The scanner and protocol files are shared with postqueue and qshape.
LIBEXEC_PROGS += showq
showq_LIB_SRCS := showq/showq_qfile.c showq/showq_fast.c showq/showq_defer.c showq/showq_msg.c \
	showq/showq_scan.c showq/showq_proto.c showq/showq_text.c
showq_SRCS := showq/showq.c $(showq_LIB_SRCS)
