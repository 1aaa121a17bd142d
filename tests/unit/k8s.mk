# The Kubernetes decoder tests share tests/unit/k8s_test.h (the generic
# unit-test rule only knows unit.h).
$(filter $(BUILD)/tests/test_k8s_%,$(UNIT_BINS)): tests/unit/k8s_test.h
