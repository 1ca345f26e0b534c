package planning_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the package pure: no database, HTTP, bun, gocron or
// log/slog in its (non-test) dependencies, no direct import of os or time
// (today comes in as a calendar.Date), and no project package but
// calendar.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	direct, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(direct)) {
		if dep == "os" || strings.HasPrefix(dep, "os/") || dep == "time" {
			t.Errorf("planning imports %s", dep)
		}
	}
	forbidden := []string{"database/sql", "net/http", "github.com/uptrace/bun", "github.com/go-co-op/gocron", "log/slog"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("planning depends on %s", dep)
			}
		}
		if strings.HasPrefix(dep, "github.com/classemobile/classemobile/") && dep != "github.com/classemobile/classemobile/calendar" &&
			dep != "github.com/classemobile/classemobile/internal/planning" {
			t.Errorf("planning imports project package %s", dep)
		}
	}
}
