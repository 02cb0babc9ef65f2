# cutover: the two commands a newcomer needs are `make demo` and `make test`.
GO            ?= go
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
DEMO_OUT      ?= cutover-demo
BENCH_FLAGS   ?= -run '^$$' -bench . -benchmem -benchtime 1x
TEST_FLAGS    ?= -count=1 -timeout 30m
RACE_FLAGS    ?= -race -count=1 -timeout 25m
# sipgo with cutover's patch (third_party/sipgo/PATCH.md): its own module, so
# ./... does not reach it; its tests are the patch's.
SIPGO         := third_party/sipgo

.PHONY: demo test race bench lint fmt build

## demo: the main job on the embedded default (emulated Webex, SBCs and DNS; real files out)
demo:
	$(GO) run ./cmd/cutover demo --out $(DEMO_OUT)

## test: every test, the Kamailio and browser ones included when the lab packages are installed
test:
	$(GO) test $(TEST_FLAGS) ./...
	$(GO) -C $(SIPGO) test $(TEST_FLAGS) ./sip/

## race: every test under the race detector. The tests whose point is scale
## (the 5,000-device demo, 200,000-row inventories) skip or shrink under -race
## (internal/racecheck) and run at full size in `make test`; CI runs both.
race:
	$(GO) test $(RACE_FLAGS) ./...
	$(GO) -C $(SIPGO) test $(RACE_FLAGS) ./sip/

## bench: the benchmarks behind BENCHMARKS.md
bench:
	$(GO) test $(BENCH_FLAGS) ./...

## lint: gofmt, go vet and staticcheck (pinned)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

build:
	$(GO) build -o bin/cutover ./cmd/cutover
