# relto Makefile.  `make` builds build/relto; `make test` runs every test;
# `make SAN=1 test` does the same under AddressSanitizer and
# UndefinedBehaviorSanitizer (in build-san/).  CC=clang works as well as gcc.
# `make fuzz` builds the libFuzzer targets (tests/fuzz/) with clang
# (FUZZ_CC) under both sanitizers (in build-fuzz/) and runs each for
# FUZZ_TIME seconds.

include sources.mk

CC      ?= cc
PKGS    := libmicrohttpd gnutls jansson sqlite3 libpq libsodium yaml-0.1
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))

FUZZ_CC ?= clang
ifeq ($(FUZZ),1)
CC      := $(FUZZ_CC)
BUILD   ?= build-fuzz
OPT     := -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else ifeq ($(SAN),1)
BUILD   ?= build-san
OPT     := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD   ?= build
OPT     := -O2
endif

CFLAGS  ?=
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ALL_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) $(OPT) -g $(PKG_CFLAGS) -I$(BUILD)/gen $(CFLAGS)
LDFLAGS ?=
ALL_LDFLAGS := $(OPT) $(LDFLAGS)
LDLIBS  := $(PKG_LIBS) -lpthread -lm

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/relto
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system

LIB_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS   := $(CLI_SRCS:%.c=$(BUILD)/%.o)
EMBED_OBJS := $(EMBED_FILES:%=$(BUILD)/gen/%.o)
UNIT_SRCS  := $(wildcard tests/unit/*_test.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all test test-pg unit clean install bench fuzz fuzz-build fuzz-bins
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
all: $(BUILD)/relto

$(BUILD)/relto: $(CLI_OBJS) $(BUILD)/librelto.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/librelto.a $(LDLIBS)

$(BUILD)/librelto.a: $(LIB_OBJS) $(EMBED_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Embedded files: a tiny tool of ours turns bytes into a C array, so the
# binary needs no data directory (the demo runs from any folder).
$(BUILD)/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -Werror -O1 -o $@ $<

$(BUILD)/gen/%.c: % $(BUILD)/embed
	@mkdir -p $(dir $@)
	$(BUILD)/embed $< > $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/librelto.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(BUILD)/librelto.a $(ALL_LDFLAGS) $(LDLIBS)

unit: $(UNIT_BINS)

# Benchmark programs (never run by `make test`; see docs/BENCHMARKS.md).
bench: $(BENCH_BINS)

$(BUILD)/bench/%: bench/%.c bench/synth.h $(BUILD)/librelto.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(BUILD)/librelto.a $(ALL_LDFLAGS) $(LDLIBS)

# Fuzzing (tests/fuzz/README.md): one libFuzzer program per parser, built
# with clang in build-fuzz/ against a library built with the same
# sanitizers and coverage instrumentation.  `make fuzz` runs each for
# FUZZ_TIME seconds and fails if any of them finds a crash.
FUZZ_TIME ?= 60
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz-build:
	$(MAKE) FUZZ=1 BUILD=build-fuzz CC=$(FUZZ_CC) fuzz-bins

fuzz-bins: $(FUZZ_BINS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/librelto.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -Isrc -o $@ $< $(BUILD)/librelto.a $(ALL_LDFLAGS) $(LDLIBS)

fuzz: fuzz-build
	tests/fuzz/run --build build-fuzz --time $(FUZZ_TIME)

# Every test, unit and integration; the last line is "N passed, M failed".
test: $(BUILD)/relto $(UNIT_BINS)
	tests/run --build $(BUILD)

# The store's unit tests and the server (tests/pg/server_test.py: the same
# answers as on SQLite) against PostgreSQL: tests/pg/run starts a
# throwaway server (PostgreSQL's server programs must be installed:
# scripts/install-deps) and runs them with RELTO_TEST_PG set.
test-pg: $(UNIT_BINS) $(BUILD)/relto $(BUILD)/bench/gen
	tests/pg/run --build $(BUILD)

# The binary, its man page, the docs, a systemd unit, and an example
# configuration with the demo policy and posture as starting points
# (never over an existing configuration).
install: $(BUILD)/relto
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/relto
	install -m 0755 $(BUILD)/relto $(DESTDIR)$(BINDIR)/relto
	install -m 0644 packaging/relto.1 $(DESTDIR)$(MANDIR)/man1/relto.1
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	sed 's|/usr/local/bin/relto|$(BINDIR)/relto|; s|/etc/relto/|$(SYSCONFDIR)/relto/|g' packaging/relto.service \
		> $(DESTDIR)$(UNITDIR)/relto.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/relto.service
	install -m 0640 packaging/relto.yaml.example $(DESTDIR)$(SYSCONFDIR)/relto/relto.yaml.example
	install -m 0644 src/demo/relto.policy $(DESTDIR)$(SYSCONFDIR)/relto/relto.policy.example
	install -m 0644 src/demo/posture.json $(DESTDIR)$(SYSCONFDIR)/relto/posture.json.example

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)
