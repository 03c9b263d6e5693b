# sendmail, mailq, newaliases, postdrop - local mail submission
BIN_PROGS += sendmail postdrop
BIN_LINKS += mailq:sendmail newaliases:sendmail
sendmail_LIB_SRCS := sendmail/sendmail_args.c sendmail/sendmail_copy.c \
	sendmail/postdrop_copy.c
sendmail_SRCS := sendmail/sendmail.c sendmail/sendmail_args.c \
	sendmail/sendmail_copy.c
postdrop_SRCS := sendmail/postdrop.c sendmail/postdrop_copy.c
