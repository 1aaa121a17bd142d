# bench/agent_scale.sh's TCP connect client and server (run by bench/run.sh).
$(BUILD)/bench/connect_rate: bench/connect_rate.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@

.PHONY: connect-rate
connect-rate: $(BUILD)/bench/connect_rate

bench: $(BUILD)/bench/connect_rate
