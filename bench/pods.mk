# The pod-to-pod benchmark (bench/pods.sh, run by bench/run.sh): its UDP
# packet-rate sender and receiver.
$(BUILD)/bench/udp_pps: bench/udp_pps.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@

.PHONY: udp-pps
udp-pps: $(BUILD)/bench/udp_pps

bench: $(BUILD)/bench/udp_pps
