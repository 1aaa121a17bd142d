# The test API server's own tests (tests/apiserver/README.md).
.PHONY: apiserver-test
apiserver-test:
	@tests/run-all.sh apiserver
