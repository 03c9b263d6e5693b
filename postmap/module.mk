# postmap - build, query and edit lookup tables
BIN_PROGS += postmap
postmap_LIB_SRCS :=
postmap_SRCS := postmap/postmap.c $(postmap_LIB_SRCS)
