# The lab's own BPF object: the XDP program on the wire's switch ports.
LAB_BPF := $(BUILD)/lab/wire_pass.bpf.o
all: $(LAB_BPF)

$(LAB_BPF): tests/lab/wire_pass.bpf.c
	@mkdir -p $(dir $@)
	clang -target bpf -O2 -g -Wall -Werror -I/usr/include/x86_64-linux-gnu -c $< -o $@
