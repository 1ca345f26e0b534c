package calendar_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the package pure: no database, HTTP, bun, gocron or
// log/slog in its (non-test) dependencies, no project package, and no direct
// import of os (fmt depends on it).
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
		if dep == "os" || strings.HasPrefix(dep, "os/") {
			t.Errorf("calendar imports %s", dep)
		}
	}
	forbidden := []string{"database/sql", "net/http", "github.com/uptrace/bun", "github.com/go-co-op/gocron", "log/slog"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("calendar depends on %s", dep)
			}
		}
		if strings.HasPrefix(dep, "github.com/classemobile/classemobile/") && dep != "github.com/classemobile/classemobile/calendar" {
			t.Errorf("calendar imports project package %s", dep)
		}
	}
}
