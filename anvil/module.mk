# anvil - per-client connection and rate counters (anvil(8)).
LIBEXEC_PROGS += anvil
anvil_LIB_SRCS := anvil/anvil_table.c
anvil_SRCS := anvil/anvil.c $(anvil_LIB_SRCS)
