# rocketgo: NameServer and Broker speaking RocketMQ's remoting protocol.
# Every target installs what it needs through the Go toolchain (modules come from the proxy).

GO        ?= go
BIN       := bin
PKGS      := ./...
# Packages whose tests fit the time budget under the race detector.
RACE_PKGS := ./remoting/... ./namesrv/... ./broker/... ./conf/... ./message/... ./internal/...
FUZZTIME  ?= 10s

.PHONY: all build run test test-unit test-compat bench fuzz lint clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# NameServer (9876) and Broker (10911, VIP 10909, HA 10912) in one process, store under ./data.
run:
	$(GO) run ./cmd/rocketgo -storePathRootDir ./data

test: test-unit test-compat

# Recycled request frames are overwritten in tests, so that a Transient processor that keeps a
# piece of its request fails loudly (remoting/framebox.go).
test-unit test-compat: export ROCKETGO_POISON_RECYCLED := 1

test-unit:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 8m $(RACE_PKGS)
	$(GO) test -count=1 -timeout 8m ./store/... ./cmd/...

# End-to-end tests with the stock Go client (and the stock Java client / mqadmin when ../shared/java exists).
test-compat:
	cd compat && $(GO) test -count=1 -timeout 10m ./...

# Go micro-benchmarks (short -benchtime), then cmd/loadgen end to end against our broker and, when
# java and ../shared/java are present, the stock Java 4.9.8 broker; figures go to
# docs/BENCHMARKS.md. Not part of test/CI. Pass loadgen flags with LOADGEN_ARGS="-java off".
bench:
	GO=$(GO) ./bench/run.sh $(LOADGEN_ARGS)

# Each fuzz target of the module for $(FUZZTIME); `make test` already runs their seed corpora.
# FUZZMINIMIZE caps the minimising of each new interesting input: Go's default (60s) let one
# input of an expensive target (namesrv's FuzzProcess runs 14 requests per input) stop
# FUZZTIME's clock, which looked like a stall. FUZZ_SKIP names targets to leave out.
FUZZMINIMIZE ?= 2s
FUZZ_SKIP ?=
fuzz:
	@for f in $$(grep -rlE '^func Fuzz[A-Za-z0-9_]+\(' --include=*_test.go --exclude-dir=compat .); do \
		pkg=./$$(dirname $${f#./}); \
		for t in $$(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' $$f | sed 's/func //'); do \
			case " $(FUZZ_SKIP) " in *" $$t "*) echo "skip $$t (FUZZ_SKIP)"; continue;; esac; \
			echo "fuzz $$t in $$pkg"; \
			$(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) $$pkg || exit 1; \
		done; \
	done

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	cd compat && $(GO) vet ./...

clean:
	rm -rf $(BIN) bench.out
