package migrations

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSameVersions checks that both dialects have the same migration files,
// so a database migrated on one dialect has the same schema version as on
// the other.
func TestSameVersions(t *testing.T) {
	t.Parallel()
	names := func(dialect string) []string {
		sub, err := FS(dialect)
		require.NoError(t, err)
		entries, err := fs.ReadDir(sub, ".")
		require.NoError(t, err)
		var out []string
		for _, e := range entries {
			assert.True(t, strings.HasSuffix(e.Name(), ".tx.up.sql") || strings.HasSuffix(e.Name(), ".tx.down.sql"),
				"%s/%s must run in a transaction (.tx.up.sql / .tx.down.sql)", dialect, e.Name())
			out = append(out, e.Name())
		}
		return out
	}
	pg, lite := names(Postgres), names(SQLite)
	require.NotEmpty(t, pg)
	assert.Equal(t, pg, lite, "migration files of postgres and sqlite")
	for _, d := range []string{Postgres, SQLite} {
		m, err := For(d)
		require.NoError(t, err, "discover %s", d)
		assert.NotEmpty(t, m.Sorted(), "%s migrations", d)
	}
}
