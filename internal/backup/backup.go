// Package backup makes consistent copies of a classemobile database while
// the service runs, and restores them into an empty database.
//
// SQLite: VACUUM INTO writes a compact copy in one read transaction, while
// the server goes on writing; the copy is itself an SQLite file, and a
// restore copies it into place. PostgreSQL: pg_dump in its custom format
// (one snapshot, compressed), restored with pg_restore in one transaction.
// Both tools must be installed, of the server's major version or newer.
package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/classemobile/classemobile/internal/store"
)

// Errors returned by Backup and Restore.
var (
	// ErrNotEmpty is returned by Restore when the target database already
	// has tables: a restore never mixes two databases.
	ErrNotEmpty = errors.New("backup: target database is not empty")
	// ErrExists is returned when the output file already exists.
	ErrExists = errors.New("backup: output file exists")
	// ErrNoTool is returned when pg_dump or pg_restore is not installed;
	// its message shows the command to run by hand.
	ErrNoTool = errors.New("backup: PostgreSQL client tool not found")
)

// Result describes a backup or a restore.
type Result struct {
	Dialect store.Dialect
	File    string
	Bytes   int64
	// Rows counts the rows per table: of the source when the backup
	// started (others may have been added during it), or of the restored
	// database.
	Rows     map[string]int64
	Duration time.Duration
}

// TotalRows sums Rows.
func (r Result) TotalRows() int64 {
	var n int64
	for _, v := range r.Rows {
		n += v
	}
	return n
}

// Backup writes a consistent copy of db (opened on rawURL) to out, which
// must not exist.
func Backup(ctx context.Context, db *store.DB, rawURL, out string) (Result, error) {
	start := time.Now()
	res := Result{Dialect: db.Dialect(), File: out}
	if _, err := os.Stat(out); err == nil {
		return res, fmt.Errorf("%w: %s", ErrExists, out)
	}
	rows, err := db.TableCounts(ctx)
	if err != nil {
		return res, err
	}
	res.Rows = rows
	switch db.Dialect() {
	case store.SQLite:
		abs, err := filepath.Abs(out)
		if err != nil {
			return res, err
		}
		if err := db.VacuumInto(ctx, abs); err != nil {
			return res, err
		}
	case store.Postgres:
		tool, err := pgTool("pg_dump")
		if err != nil {
			return res, fmt.Errorf("%w: install the PostgreSQL client (Debian: apt-get install postgresql-client), or run: pg_dump --format=custom --no-owner --no-acl --file=%s \"$DATABASE_URL\"", ErrNoTool, out)
		}
		conn, schema := libpqURL(rawURL)
		args := []string{"--format=custom", "--no-owner", "--no-acl", "--file=" + out}
		if schema != "" {
			args = append(args, "--schema="+schema)
		}
		if err := runTool(ctx, tool, append(args, conn)...); err != nil {
			os.Remove(out)
			return res, err
		}
	}
	fi, err := os.Stat(out)
	if err != nil {
		return res, err
	}
	res.Bytes = fi.Size()
	res.Duration = time.Since(start)
	return res, nil
}

// Restore loads the backup file from into the database at rawURL, which
// must be empty (ErrNotEmpty otherwise), then migrates it to this
// version's schema and checks its integrity. The backup's dialect must be
// the target's.
func Restore(ctx context.Context, rawURL, from string, opts store.Options) (Result, error) {
	start := time.Now()
	res := Result{File: from}
	fi, err := os.Stat(from)
	if err != nil {
		return res, err
	}
	res.Bytes = fi.Size()
	if store.IsPostgresURL(rawURL) {
		res.Dialect = store.Postgres
		if err := restorePostgres(ctx, rawURL, from, opts); err != nil {
			return res, err
		}
	} else {
		res.Dialect = store.SQLite
		if err := restoreSQLite(ctx, rawURL, from, opts); err != nil {
			return res, err
		}
	}
	db, err := store.Open(ctx, rawURL, opts)
	if err != nil {
		return res, err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return res, fmt.Errorf("migrate the restored database: %w", err)
	}
	if err := db.CheckIntegrity(ctx); err != nil {
		return res, err
	}
	if res.Rows, err = db.TableCounts(ctx); err != nil {
		return res, err
	}
	res.Duration = time.Since(start)
	return res, nil
}

// sqliteMagic starts every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

func restoreSQLite(ctx context.Context, rawURL, from string, opts store.Options) error {
	head := make([]byte, len(sqliteMagic))
	f, err := os.Open(from)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.ReadFull(f, head); err != nil || string(head) != sqliteMagic {
		return fmt.Errorf("backup: %s is not an SQLite backup (a PostgreSQL one restores into a postgres:// database)", from)
	}
	path := sqlitePath(rawURL)
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		db, err := store.Open(ctx, rawURL, opts)
		if err != nil {
			return err
		}
		empty, err := db.IsEmpty(ctx)
		db.Close()
		if err != nil {
			return err
		}
		if !empty {
			return fmt.Errorf("%w: %s has tables", ErrNotEmpty, path)
		}
	}
	// Copy beside the target, then rename: a reader never sees half a file.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".restore-*.db")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(tmp, f); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	for _, suffix := range []string{"-wal", "-shm"} { // an empty database's journal
		os.Remove(path + suffix)
	}
	return os.Rename(tmp.Name(), path)
}

func restorePostgres(ctx context.Context, rawURL, from string, opts store.Options) error {
	db, err := store.Open(ctx, rawURL, opts)
	if err != nil {
		return err
	}
	empty, err := db.IsEmpty(ctx)
	db.Close()
	if err != nil {
		return err
	}
	if !empty {
		return fmt.Errorf("%w: its schema has tables", ErrNotEmpty)
	}
	tool, err := pgTool("pg_restore")
	if err != nil {
		return fmt.Errorf("%w: install the PostgreSQL client (Debian: apt-get install postgresql-client), or run: pg_restore --no-owner --no-acl --single-transaction --exit-on-error --dbname=\"$DATABASE_URL\" %s", ErrNoTool, from)
	}
	conn, _ := libpqURL(rawURL)
	return runTool(ctx, tool, "--no-owner", "--no-acl", "--single-transaction", "--exit-on-error", "--dbname="+conn, from)
}

// pgTool finds a PostgreSQL client program on PATH or in Debian's
// versioned directories.
func pgTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) > 0 {
		return matches[len(matches)-1], nil
	}
	return "", exec.ErrNotFound
}

func runTool(ctx context.Context, tool string, args ...string) error {
	cmd := exec.CommandContext(ctx, tool, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(tool), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// libpqURL turns a pgx URL into one libpq accepts: pgx takes run-time
// parameters such as search_path in the query, libpq refuses them. The
// first schema of search_path is returned too, to dump that schema only.
func libpqURL(rawURL string) (conn, schema string) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL, ""
	}
	q := u.Query()
	if sp := q.Get("search_path"); sp != "" {
		q.Del("search_path")
		q.Set("options", "-csearch_path="+sp)
		schema, _, _ = strings.Cut(sp, ",")
	}
	u.RawQuery = q.Encode()
	return u.String(), schema
}

// sqlitePath is the file of an SQLite database URL.
func sqlitePath(rawURL string) string {
	path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite://"), "sqlite:")
	path = strings.TrimPrefix(path, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	return path
}
