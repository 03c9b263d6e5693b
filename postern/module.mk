# postern - the control command (bin/postern), as Postfix's postfix.
BIN_PROGS += postern
postern_LIB_SRCS := postern/postern_dirs.c
postern_SRCS := postern/postern.c postern/postern_check.c \
	postern/postern_control.c $(postern_LIB_SRCS)
