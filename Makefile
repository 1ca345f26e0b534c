# What a maintainer runs before pushing. `make check` is exactly what CI runs
# (.ci/run calls it after starting PostgreSQL and exporting
# TEST_DATABASE_URL and REQUIRE_POSTGRES=1); without TEST_DATABASE_URL the
# PostgreSQL half of the store tests is skipped.

# staticcheck is pinned here and run through the Go module proxy, so a fresh
# machine needs nothing installed beyond Go.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

.PHONY: check test fmt tidy vet staticcheck race

# check: every check CI runs, fastest first.
check: fmt tidy vet staticcheck race

# test: the whole suite, without the race detector.
test:
	go test ./...

# fmt: fails listing the Go files (tracked or new) gofmt would change.
fmt:
	@out=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt -l lists files that are not formatted:"; echo "$$out"; exit 1; fi

# tidy: fails when go.mod or go.sum is not what go mod tidy would write.
tidy:
	go mod tidy -diff

vet:
	go vet ./...

staticcheck:
	$(STATICCHECK) ./...

race:
	go test -race -count=1 -timeout 30m ./...
