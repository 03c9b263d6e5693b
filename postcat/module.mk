# postcat - show queue file records (command).
BIN_PROGS += postcat
postcat_LIB_SRCS := postcat/postcat_dump.c
postcat_SRCS := postcat/postcat.c $(postcat_LIB_SRCS)
