# local - the local delivery agent (daemon)
LIBEXEC_PROGS += local
local_LIB_SRCS := local/local_request.c local/local_recipient.c \
	local/local_token.c local/local_alias.c local/local_include.c \
	local/local_mailbox.c local/local_file.c local/local_mbox.c \
	local/local_maildir.c local/local_copy.c local/local_command.c \
	local/local_forward.c local/local_user.c local/local_resolve.c
local_SRCS := local/local.c $(local_LIB_SRCS)
