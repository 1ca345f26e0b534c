package scheduler_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPurity keeps the allocation engine pure: no database, HTTP, bun,
// gocron, os or log/slog (Tailscale-style deps test on go list -deps).
func TestPurity(t *testing.T) {
	t.Parallel()
	direct, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(direct)) {
		if dep == "os" || strings.HasPrefix(dep, "os/") {
			t.Errorf("scheduler imports %s", dep)
		}
	}
	all, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	forbidden := []string{"database/sql", "net/http", "github.com/uptrace/bun", "github.com/go-co-op/gocron", "log/slog"}
	for _, dep := range strings.Fields(string(all)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("scheduler depends on %s", dep)
			}
		}
		if strings.HasPrefix(dep, "github.com/classemobile/classemobile/") &&
			dep != "github.com/classemobile/classemobile/scheduler" && dep != "github.com/classemobile/classemobile/calendar" {
			t.Errorf("scheduler imports project package %s (only calendar is allowed)", dep)
		}
	}
}
