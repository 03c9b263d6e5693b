# Postern - top-level, non-recursive GNU Makefile.
#
# Every program directory adds a module.mk that appends to BIN_PROGS (user
# commands, built into bin/) or LIBEXEC_PROGS (daemons, built into libexec/)
# and sets <prog>_SRCS. Sources a unit test may link without main() go into
# <dir>_LIB_SRCS. Everything under lib/ becomes build/<variant>/libpostern.a.
# Unit tests are tests/unit/<dir>/test_<module>.c, one cmocka binary each.
#
# Targets: all deps test test-unit test-integration fuzz bench valgrind run
#          install format-check clean

include mk/flags.mk

B := build/$(VARIANT)
ifeq ($(VARIANT),normal)
BINDIR := bin
LIBEXECDIR := libexec
else
BINDIR := $(B)/bin
LIBEXECDIR := $(B)/libexec
endif

PREFIX ?= /usr/local
DESTDIR ?=

LIB_SRCS := $(sort $(wildcard lib/util/*.c lib/global/*.c lib/server/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
LIBA := $(B)/libpostern.a

BIN_PROGS :=
LIBEXEC_PROGS :=
BIN_LINKS :=
include $(sort $(wildcard */module.mk))

all: $(BIN_PROGS:%=$(BINDIR)/%) $(LIBEXEC_PROGS:%=$(LIBEXECDIR)/%) bin-links

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# PROG_template - link rule for one program: $(1) name, $(2) output directory.
define PROG_template
$(1)_OBJS := $$($(1)_SRCS:%.c=$(B)/%.o)
$(2)/$(1): $$($(1)_OBJS) $(LIBA)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$($(1)_OBJS) $(LIBA) $$(LDLIBS)
endef
$(foreach p,$(BIN_PROGS),$(eval $(call PROG_template,$(p),$(BINDIR))))
$(foreach p,$(LIBEXEC_PROGS),$(eval $(call PROG_template,$(p),$(LIBEXECDIR))))

# BIN_LINKS holds link:target pairs such as mailq:sendmail.
bin-links: $(BIN_PROGS:%=$(BINDIR)/%)
	@for pair in $(BIN_LINKS); do \
		ln -sf "$${pair#*:}" "$(BINDIR)/$${pair%%:*}"; done

# Unit tests: tests/unit/<dir>/test_<module>.c links <dir>_LIB_SRCS.
UNIT_SRCS := $(sort $(wildcard tests/unit/*/test_*.c))
UNIT_BINS := $(UNIT_SRCS:%.c=$(B)/%)
MOCK_SRCS := $(wildcard tests/mocks/*.c)

define UNIT_template
$(B)/$(1:.c=): $(B)/$(1:.c=.o) $$(patsubst %.c,$(B)/%.o,$$($(2)_LIB_SRCS)) $(LIBA)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(CMOCKA_LIBS) $$(LDLIBS)
endef
$(foreach t,$(UNIT_SRCS),$(eval $(call UNIT_template,$(t),$(word 3,$(subst /, ,$(t))))))

unit-bins: $(UNIT_BINS)

deps:
	@sh tools/deps.sh

# test - the whole suite, plain and under ASan+UBSan; one closing tally.
test: deps
	$(MAKE) -j2 SANITIZE= COVERAGE= all unit-bins
	$(MAKE) -j2 SANITIZE=1 all unit-bins
	sh tests/run-tests.sh normal asan

test-normal: deps all unit-bins
	sh tests/run-tests.sh $(VARIANT)

test-unit: all unit-bins
	POSTERN_ONLY=unit sh tests/run-tests.sh $(VARIANT)

test-integration: all unit-bins
	POSTERN_ONLY=integration sh tests/run-tests.sh $(VARIANT)

run: deps all
	sh tools/run-instance.sh

bench: deps all
	sh bench/run.sh

fuzz: deps
	sh tests/fuzz/run.sh

# valgrind - every daemon and the main commands under memcheck (plain build).
valgrind: deps
	$(MAKE) -j2 SANITIZE= COVERAGE= all
	python3 tests/valgrind/run.py

install: all
	sh tools/install.sh "$(DESTDIR)" "$(PREFIX)" "$(BIN_PROGS) $(BIN_LINKS)" "$(LIBEXEC_PROGS)"

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build bin libexec

.PHONY: all deps test test-normal test-unit test-integration run bench fuzz valgrind \
	install format-check clean bin-links unit-bins

include mk/rules.mk
