# The datapath benchmark (bench/datapath.sh, run by bench/run.sh): its own
# BPF programs (bench/bpf/*.bpf.c, built like datapath/) and dp_bench.
BENCH_BPF := $(patsubst bench/bpf/%.bpf.c,%,$(wildcard bench/bpf/*.bpf.c))
BENCH_SKELS := $(BENCH_BPF:%=$(BUILD)/bench/%.skel.h)

$(BUILD)/bench/%.bpf.o: bench/bpf/%.bpf.c $(BUILD)/datapath/vmlinux.h
	@mkdir -p $(dir $@)
	clang $(BPF_CFLAGS) -c $< -o $@

.SECONDARY: $(BENCH_BPF:%=$(BUILD)/bench/%.bpf.o)
$(BUILD)/bench/%.skel.h: $(BUILD)/bench/%.bpf.o
	bpftool gen skeleton $< name bench_$* > $@.tmp && mv $@.tmp $@

$(BUILD)/bench/dp_bench: bench/dp_bench.c $(DPT_LIB) $(wildcard tests/datapath/*.h) \
		$(BENCH_SKELS) $(BUILD)/libxcni-dp.a $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(DPT_CFLAGS) -I$(BUILD)/bench $< $(DPT_LIB) $(BUILD)/libxcni-dp.a $(LIB_OBJS) \
		-o $@ $(LDLIBS) $(DP_LDLIBS)

.PHONY: dp-bench
dp-bench: $(BUILD)/bench/dp_bench

# make bench builds it before bench/run.sh, which runs bench/datapath.sh last.
bench: $(BUILD)/bench/dp_bench
