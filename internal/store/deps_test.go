package store_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDepsNoEngine keeps the store a store: it stores, publishes and
// discards rounds, while package round (the use case) builds the
// engine's instance and solves it, so the store must not depend on the
// allocation engine.
func TestDepsNoEngine(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/classemobile/classemobile/scheduler" || dep == "github.com/classemobile/classemobile/internal/round" {
			t.Errorf("store depends on %s", dep)
		}
	}
}
