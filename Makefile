# Build and test targets. `make test` is the project's test command: it
# installs the pinned btcd (the real node the RPC and simulator tests talk to)
# into ./.bin and runs the whole suite.
BTCD_VERSION := v0.24.2
# Keep the toolchain's configured module proxy (GOPROXY from the environment,
# else `go env GOPROXY`) and only drop a ",direct" fallback, so that a module
# the proxy refuses shows the proxy's real error instead of a VCS fetch.
GOPROXY := $(shell p="$${GOPROXY:-$$(go env GOPROXY)}"; echo "$${p%%,direct}")
export GOPROXY

# Version stamp for `chaintrace version` (empty parts come from the build info).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(BUILD_DATE)

# Seconds each fuzz target runs under `make fuzz`.
FUZZTIME ?= 10s

.PHONY: build test btcd bench demo vet fuzz goproxy
build:
	go build -ldflags "$(LDFLAGS)" -o chaintrace ./cmd/chaintrace

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

# Print the module proxy the targets use (checked by a test).
goproxy:
	@echo "$(GOPROXY)"

# Run every fuzz target (func FuzzXxx in any package) for FUZZTIME each;
# seed corpora are in each package's testdata/fuzz/.
fuzz:
	@set -e; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for t in $$(grep -h -o '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | sed 's/^func //' | sort); do \
	    echo "fuzz $$dir $$t for $(FUZZTIME)"; \
	    go test -tags chaintrace_fuzz $$dir -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME); \
	  done; \
	done

# Rebuild the web UI's vendored library from web/package-lock.json (needs
# Node.js and npm; the committed copy under internal/web/assets/vendor is what
# the binary embeds, so users never need this).
.PHONY: ui
ui:
	cd web && npm ci --no-audit --no-fund
	cp web/node_modules/cytoscape/dist/cytoscape.esm.min.mjs internal/web/assets/vendor/cytoscape.esm.min.mjs
	cp web/node_modules/cytoscape/LICENSE internal/web/assets/vendor/cytoscape.LICENSE
