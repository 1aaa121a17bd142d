# The libFuzzer target for the Kubernetes decoders (run by tests/fuzz/run.sh):
# the decoder sources and what they use, built by clang with the fuzzer,
# ASan and UBSan, every sanitizer report fatal.
FUZZ_CC := clang
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Ilib -Iinclude -Inode-agent/kube \
	$(shell pkg-config --cflags libcjson 2>/dev/null)
K8S_DECODE_SRCS := $(addprefix node-agent/kube/,k8s.c k8s_read.c k8s_labels.c k8s_service.c \
	k8s_endpoint_slice.c k8s_node.c k8s_pod.c k8s_namespace.c k8s_network_policy.c) lib/ip4.c
FUZZ_BINS := $(BUILD)/tests/fuzz_k8s_decode

.PHONY: fuzz-bins
fuzz-bins: $(FUZZ_BINS)

$(BUILD)/tests/fuzz_k8s_decode: tests/fuzz/fuzz_k8s_decode.c $(K8S_DECODE_SRCS) \
		$(wildcard node-agent/kube/k8s*.h) lib/ip4.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(K8S_DECODE_SRCS) -o $@ -lcjson
