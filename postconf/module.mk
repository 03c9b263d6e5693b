# postconf - show and edit main.cf, show master.cf
BIN_PROGS += postconf
postconf_LIB_SRCS := postconf/postconf_print.c postconf/postconf_edit.c
postconf_SRCS := postconf/postconf.c $(postconf_LIB_SRCS)
