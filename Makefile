# xcni: build, test, lint, bench. Everything builds into build/.
CC ?= gcc
BUILD := build
PKGS := libcjson libmnl
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Ilib -Iinclude \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcjson -lmnl)

LIB_SRCS := $(wildcard lib/*.c)
CNI_SRCS := $(filter-out cni/main.c,$(wildcard cni/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CNI_OBJS := $(CNI_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps test lint format unit e2e bench demo clean
all: $(BUILD)/xcni

$(BUILD)/%.o: %.c $(wildcard lib/*.h cni/*.h include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/xcni: $(BUILD)/cni/main.o $(CNI_OBJS) $(LIB_OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(CNI_OBJS) $(LIB_OBJS) tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icni $< $(CNI_OBJS) $(LIB_OBJS) -o $@ $(LDLIBS) -lcmocka

unit-bins: $(UNIT_BINS)

deps:
	@scripts/install-deps.sh

# The README's test command: dependencies, build, every layer, one summary.
test: deps
	@$(MAKE) --no-print-directory all unit-bins
	@tests/run-all.sh

lint:
	@tests/lint.sh

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

unit: all unit-bins
	@tests/run-all.sh unit

e2e: all
	@tests/run-all.sh e2e

bench: deps all
	@bench/run.sh

demo: deps all
	@scripts/demo.sh

clean:
	rm -rf $(BUILD)
