// Package migrations holds the SQL migrations of both dialects, embedded in
// the binary. Each dialect has its own directory with the same version
// numbers; files named *.tx.up.sql run inside a transaction.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun/migrate"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Dialect names accepted by For.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// For returns the migrations of one dialect. Each dialect is discovered from
// its own sub-tree, because Discover walks everything it is given.
func For(dialect string) (*migrate.Migrations, error) {
	sub, err := FS(dialect)
	if err != nil {
		return nil, err
	}
	m := migrate.NewMigrations()
	if err := m.Discover(sub); err != nil {
		return nil, fmt.Errorf("discover %s migrations: %w", dialect, err)
	}
	return m, nil
}

// FS returns the migration files of one dialect.
func FS(dialect string) (fs.FS, error) {
	switch dialect {
	case Postgres, SQLite:
		return fs.Sub(files, dialect)
	default:
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
}
