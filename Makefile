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
# tests; the CNI binary links only its pin and tc filter helpers (enrollment).
DP_SRCS := $(wildcard lib/datapath/*.c)
DP_OBJS := $(DP_SRCS:%.c=$(BUILD)/%.o)
DP_LDLIBS := -lbpf -lelf -lz
CNI_SRCS := $(filter-out cni/main.c,$(wildcard cni/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CNI_OBJS := $(CNI_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps test lint format unit e2e bench demo clean datapath datapath-tests unit-bins agent
all: $(BUILD)/xcni datapath $(BUILD)/libxcni-dp.a agent

# The datapath: BPF objects compiled against this kernel's BTF (CO-RE),
# and a libbpf skeleton for each. -mcpu=v3 (32-bit ALU and jumps, in every
# kernel since 5.1): fewer zero-extensions, and a NodePort hit ~2% faster.
BPF_PROGS := $(patsubst datapath/%.bpf.c,%,$(wildcard datapath/*.bpf.c))
BPF_OBJS := $(BPF_PROGS:%=$(BUILD)/datapath/%.bpf.o)
BPF_SKELS := $(BPF_PROGS:%=$(BUILD)/datapath/%.skel.h)
BPF_CFLAGS := -target bpf -mcpu=v3 -O2 -g -fno-strict-aliasing -Wall -Werror -D__TARGET_ARCH_x86 \
	-I$(BUILD)/datapath \
	-Iinclude -Idatapath -I/usr/include/x86_64-linux-gnu $(if $(DEBUG),-DXCNI_DEBUG)
datapath: $(BPF_SKELS)

$(BUILD)/datapath/vmlinux.h:
	@mkdir -p $(dir $@)
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/datapath/%.bpf.o: datapath/%.bpf.c $(wildcard datapath/lib/*.h include/xcni/*.h) $(BUILD)/datapath/vmlinux.h
	clang $(BPF_CFLAGS) -c $< -o $@

# The skeleton embeds the object without its DWARF (-g keeps .BTF and
# .BTF.ext, which carry what libbpf and the verifier's line info need):
# the binaries map that image, and the agent's resident set would hold
# ~700 KB of debug sections it never reads.
.SECONDARY: $(BPF_OBJS)
$(BUILD)/datapath/%.skel.h: $(BUILD)/datapath/%.bpf.o
	llvm-strip -g $< -o $(BUILD)/datapath/$*.skel.o
	bpftool gen skeleton $(BUILD)/datapath/$*.skel.o name $* > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: %.c $(wildcard lib/*.h cni/*.h include/xcni/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/lib/datapath/%.o: lib/datapath/%.c $(wildcard lib/datapath/*.h include/xcni/*.h) $(BPF_SKELS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ilib/datapath -I$(BUILD)/datapath -c $< -o $@

$(BUILD)/libxcni-dp.a: $(DP_OBJS)
	ar rcs $@ $^

$(BUILD)/xcni: $(BUILD)/cni/main.o $(CNI_OBJS) $(LIB_OBJS) $(BUILD)/libxcni-dp.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS) $(DP_LDLIBS)

# The node agent and xcnictl: everything in node-agent/ (and its kube/
# client) but the two mains is shared by both and by the unit tests.
AGENT_PKGS := libcurl libmicrohttpd yaml-0.1
AGENT_CFLAGS := $(CFLAGS) -Inode-agent -Inode-agent/kube -Ilib/datapath \
	$(shell pkg-config --cflags $(AGENT_PKGS) 2>/dev/null)
AGENT_LDLIBS := $(shell pkg-config --libs $(AGENT_PKGS) 2>/dev/null || echo -lcurl -lmicrohttpd -lyaml) -lm
AGENT_MAINS := node-agent/main.c node-agent/xcnictl.c
AGENT_SRCS := $(filter-out $(AGENT_MAINS),$(wildcard node-agent/*.c node-agent/kube/*.c))
AGENT_OBJS := $(AGENT_SRCS:%.c=$(BUILD)/%.o)
AGENT_HDRS := $(wildcard node-agent/*.h node-agent/kube/*.h lib/datapath/*.h lib/*.h include/xcni/*.h)
AGENT_BINS := $(if $(wildcard node-agent/main.c),$(BUILD)/xcni-agent) \
	$(if $(wildcard node-agent/xcnictl.c),$(BUILD)/xcnictl)
agent: $(AGENT_BINS)

$(BUILD)/node-agent/%.o: node-agent/%.c $(AGENT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(AGENT_CFLAGS) -c $< -o $@

$(BUILD)/xcni-agent: $(BUILD)/node-agent/main.o $(AGENT_OBJS) $(BUILD)/libxcni-dp.a $(LIB_OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS) $(AGENT_LDLIBS) $(DP_LDLIBS)

$(BUILD)/xcnictl: $(BUILD)/node-agent/xcnictl.o $(AGENT_OBJS) $(BUILD)/libxcni-dp.a $(LIB_OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS) $(AGENT_LDLIBS) $(DP_LDLIBS)

# Unit tests link every user-space object (CNI, lib, agent, datapath
# library), so one rule builds them all.
UNIT_DEPS := $(CNI_OBJS) $(LIB_OBJS) $(AGENT_OBJS) $(BUILD)/libxcni-dp.a
$(BUILD)/tests/%: tests/unit/%.c $(UNIT_DEPS) tests/unit/unit.h $(AGENT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(AGENT_CFLAGS) -Icni $< $(UNIT_DEPS) -o $@ $(LDLIBS) $(AGENT_LDLIBS) $(DP_LDLIBS) -lcmocka

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
	@$(MAKE) --no-print-directory all unit-bins datapath-tests fuzz-bins
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
