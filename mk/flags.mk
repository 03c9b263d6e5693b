# flags.mk - compiler and linker flags for every Postern build variant.
#
# Variants: the normal build lands in build/normal with programs in bin/ and
# libexec/; SANITIZE=1 (ASan+UBSan) lands wholly in build/asan; COVERAGE=1 in
# build/cov. Packagers may set WERROR= to drop -Werror.

CC ?= cc
WERROR ?= -Werror
OPT ?= -O2

WARN := -Wall -Wextra $(WERROR) -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wvla -Wno-format-nonliteral

PKGS := openssl libunbound
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lssl -lcrypto -lunbound)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

CPPFLAGS += -D_GNU_SOURCE -Ilib -I.
CFLAGS := -std=c11 -g $(OPT) $(WARN) -fstack-protector-strong $(PKG_CFLAGS)
LDLIBS := $(PKG_LIBS) -ldb

ifeq ($(SANITIZE),1)
VARIANT := asan
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else ifeq ($(COVERAGE),1)
VARIANT := cov
CFLAGS += --coverage
LDFLAGS += --coverage
else
VARIANT := normal
CPPFLAGS += -D_FORTIFY_SOURCE=2
endif
