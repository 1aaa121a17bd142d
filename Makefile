# xcni: build, test, lint, bench. Everything builds into build/.
CC ?= gcc
BUILD := build
PKGS := libcjson libmnl
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Ilib -Iinclude \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcjson -lmnl)

LIB_SRCS := $(wildcard lib/*.c)
# The datapath library (libbpf skeletons) is for the agent and the datapath
# tests; the CNI binary stays free of libbpf.
DP_SRCS := $(wildcard lib/datapath/*.c)
DP_OBJS := $(DP_SRCS:%.c=$(BUILD)/%.o)
DP_LDLIBS := -lbpf -lelf -lz
CNI_SRCS := $(filter-out cni/main.c,$(wildcard cni/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CNI_OBJS := $(CNI_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps test lint format unit e2e bench demo clean datapath datapath-tests unit-bins
all: $(BUILD)/xcni datapath $(BUILD)/libxcni-dp.a

# The datapath: BPF objects compiled against this kernel's BTF (CO-RE),
# and a libbpf skeleton for each.
BPF_PROGS := $(patsubst datapath/%.bpf.c,%,$(wildcard datapath/*.bpf.c))
BPF_OBJS := $(BPF_PROGS:%=$(BUILD)/datapath/%.bpf.o)
BPF_SKELS := $(BPF_PROGS:%=$(BUILD)/datapath/%.skel.h)
BPF_CFLAGS := -target bpf -O2 -g -fno-strict-aliasing -Wall -Werror -D__TARGET_ARCH_x86 \
	-I$(BUILD)/datapath \
	-Iinclude -Idatapath -I/usr/include/x86_64-linux-gnu $(if $(DEBUG),-DXCNI_DEBUG)
datapath: $(BPF_SKELS)

$(BUILD)/datapath/vmlinux.h:
	@mkdir -p $(dir $@)
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/datapath/%.bpf.o: datapath/%.bpf.c $(wildcard datapath/lib/*.h include/xcni/*.h) $(BUILD)/datapath/vmlinux.h
	clang $(BPF_CFLAGS) -c $< -o $@

.SECONDARY: $(BPF_OBJS)
$(BUILD)/datapath/%.skel.h: $(BUILD)/datapath/%.bpf.o
	bpftool gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: %.c $(wildcard lib/*.h cni/*.h include/xcni/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/lib/datapath/%.o: lib/datapath/%.c $(wildcard lib/datapath/*.h include/xcni/*.h) $(BPF_SKELS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ilib/datapath -I$(BUILD)/datapath -c $< -o $@

$(BUILD)/libxcni-dp.a: $(DP_OBJS)
	ar rcs $@ $^

$(BUILD)/xcni: $(BUILD)/cni/main.o $(CNI_OBJS) $(LIB_OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(CNI_OBJS) $(LIB_OBJS) tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icni $< $(CNI_OBJS) $(LIB_OBJS) -o $@ $(LDLIBS) -lcmocka

unit-bins: $(UNIT_BINS)

# Datapath tests: cmocka programs over the packet-test harness.
DPT_SRCS := $(wildcard tests/datapath/test_*.c)
DPT_BINS := $(DPT_SRCS:tests/datapath/test_%.c=$(BUILD)/tests/dp_test_%)
DPT_LIB := tests/datapath/harness.c tests/datapath/pkt_build.c
DPT_CFLAGS := $(CFLAGS) -Ilib/datapath -I$(BUILD)/datapath -Itests/datapath -Itests/unit

$(BUILD)/tests/dp_test_%: tests/datapath/test_%.c $(DPT_LIB) $(wildcard tests/datapath/*.h) \
		$(BUILD)/libxcni-dp.a $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(DPT_CFLAGS) $< $(DPT_LIB) $(BUILD)/libxcni-dp.a $(LIB_OBJS) -o $@ \
		$(LDLIBS) $(DP_LDLIBS) -lcmocka

datapath-tests: $(DPT_BINS)

deps:
	@scripts/install-deps.sh

# The README's test command: dependencies, build, every layer, one summary.
test: deps
	@$(MAKE) --no-print-directory all unit-bins datapath-tests
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

# Extra rules owned by the benchmarks and test suites (their own BPF
# programs, tools).
include $(wildcard bench/*.mk tests/*/*.mk)
