# Build and test targets. `make test` is the project's test command: it
# installs the pinned btcd (the real node the RPC and simulator tests talk to)
# into ./.bin and runs the whole suite.
BTCD_VERSION := v0.24.2
GOPROXY ?= https://proxy.golang.org
export GOPROXY

.PHONY: build test btcd bench demo vet
build:
	go build -o chaintrace ./cmd/chaintrace

btcd: .bin/btcd
.bin/btcd:
	GOBIN=$(CURDIR)/.bin go install github.com/btcsuite/btcd@$(BTCD_VERSION)

test: .bin/btcd
	go vet ./...
	go test -count=1 -timeout 20m ./...

bench:
	bash bench/run

demo:
	go run ./cmd/chaintrace demo
