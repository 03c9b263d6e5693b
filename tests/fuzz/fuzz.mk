# fuzz.mk - build the libFuzzer targets of tests/fuzz (used by run.sh).
#
# Usage: make -f tests/fuzz/fuzz.mk [-j2] [FUZZ_TARGETS="fuzz_attr ..."]
#
# Every tests/fuzz/fuzz_*.c except fuzz_util.c is one target, linked into
# build/fuzz/bin/<target>. The library sources lib/*/*.c are compiled
# once with coverage instrumentation and the sanitizers into
# build/fuzz/libpostern.a; a target that also needs sources of a program
# directory lists them as <target>_SRCS below. A target whose extra
# sources do not exist (yet) is left out.

FUZZ_CC ?= clang
B := build/fuzz
SAN := address,undefined
FUZZ_CPPFLAGS := -D_GNU_SOURCE -Ilib -I.
FUZZ_CFLAGS := -std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra \
	-fno-sanitize-recover=undefined
FUZZ_LIBS := $(shell pkg-config --libs openssl libunbound 2>/dev/null || \
	echo -lssl -lcrypto -lunbound) -ldb

# Program sources a target links besides the library.
fuzz_postmap_SRCS := postalias/postalias_parse.c
fuzz_smtpd_SRCS := smtpd/smtpd_parse.c smtpd/smtpd_dot.c
fuzz_smtp_reply_SRCS := smtp/smtp_reply.c
fuzz_cleanup_SRCS := $(filter-out cleanup/cleanup.c,$(wildcard cleanup/*.c))

LIB_SRCS := $(sort $(wildcard lib/util/*.c lib/global/*.c lib/server/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o)
UTIL_OBJ := $(B)/obj/tests/fuzz/fuzz_util.o

# fuzz_present - targets whose extra sources all exist
fuzz_present = $(foreach t,$(1),$(if $(strip $(foreach s,$($(t)_SRCS),\
	$(if $(wildcard $(s)),,missing))),,$(t)))

ALL_TARGETS := $(filter-out fuzz_util,$(basename $(notdir \
	$(wildcard tests/fuzz/fuzz_*.c))))
FUZZ_TARGETS ?= $(ALL_TARGETS)
TARGETS := $(call fuzz_present,$(FUZZ_TARGETS))

all: $(TARGETS:%=$(B)/bin/%)

list:
	@echo $(TARGETS)

$(B)/libpostern.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	ar rcs $@ $^

# FUZZ_template - link rule for target $(1)
define FUZZ_template
$(B)/bin/$(1): $(B)/obj/tests/fuzz/$(1).o $$($(1)_SRCS:%.c=$(B)/obj/%.o) \
		$(UTIL_OBJ) $(B)/libpostern.a
	@mkdir -p $$(@D)
	$(FUZZ_CC) -fsanitize=fuzzer,$(SAN) -o $$@ $$^ $(FUZZ_LIBS)
endef
$(foreach t,$(TARGETS),$(eval $(call FUZZ_template,$(t))))

# The fuzz sources themselves are held to -Werror; library code is built
# by the main Makefile with the project's full warning set.
$(B)/obj/tests/fuzz/%.o: FUZZ_CFLAGS += -Werror

# Objects get coverage instrumentation and the sanitizers; only the link
# adds libFuzzer's main(), which calls LLVMFuzzerTestOneInput().
$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(SAN) \
		-MMD -MP -c -o $@ $<

.PHONY: all list

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
