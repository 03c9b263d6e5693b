# postalias - build, query and edit alias databases
BIN_PROGS += postalias
postalias_LIB_SRCS := postalias/postalias_parse.c
postalias_SRCS := postalias/postalias.c $(postalias_LIB_SRCS)
