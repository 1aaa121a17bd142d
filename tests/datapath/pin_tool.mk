# dp_pin_tool: the agent's datapath duties (load and pin, attach, cleanup)
# for the end-to-end enrollment tests, until xcni-agent exists.
$(BUILD)/tests/dp_pin_tool: tests/datapath/dp_pin_tool.c $(BUILD)/libxcni-dp.a $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(DPT_CFLAGS) $< $(BUILD)/libxcni-dp.a $(LIB_OBJS) -o $@ $(LDLIBS) $(DP_LDLIBS)

datapath-tests: $(BUILD)/tests/dp_pin_tool
