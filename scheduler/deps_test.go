package scheduler_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPureDependencies enforces STYLE.md: the engine does no I/O, no
// logging, no database or HTTP.
func TestPureDependencies(t *testing.T) {
	t.Parallel()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	require.NoError(t, err, "go list -deps")
	deps := strings.Fields(string(out))
	for _, bad := range []string{"database/sql", "net/http", "log/slog",
		"github.com/uptrace/bun", "github.com/go-co-op/gocron/v2"} {
		assert.NotContains(t, deps, bad, "scheduler must not depend on %s", bad)
	}
	// os comes in through fmt; the package itself must not import it.
	out, err = exec.Command(gobin, "list", "-f", `{{join .Imports " "}}`, ".").Output()
	require.NoError(t, err, "go list -f .Imports")
	imports := strings.Fields(string(out))
	for _, bad := range []string{"os", "log", "log/slog", "io/ioutil", "os/exec"} {
		assert.NotContains(t, imports, bad, "scheduler must not import %s", bad)
	}
}
