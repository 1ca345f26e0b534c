package backup_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/backup"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// newDatabase returns the URL of a new empty database: an SQLite file, or a
// PostgreSQL database of its own (a dump restores into a database, and
// pg_dump takes a database), dropped at the end of the test.
func newDatabase(t *testing.T, dialect store.Dialect) string {
	t.Helper()
	if dialect == store.SQLite {
		return filepath.Join(t.TempDir(), "db.sqlite")
	}
	base := storetest.PostgresURL(t)
	admin, err := sql.Open("pgx", base)
	require.NoError(t, err)
	defer admin.Close()
	name := "cm_backup_" + storetest.Unique() + storetest.Unique()
	_, err = admin.Exec("CREATE DATABASE " + name)
	require.NoError(t, err)
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err == nil {
			admin.Exec("DROP DATABASE " + name + " WITH (FORCE)")
			admin.Close()
		}
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

func openMigrated(t *testing.T, rawURL string) *store.DB {
	t.Helper()
	db := storetest.OpenURL(t, rawURL)
	require.NoError(t, db.Migrate(context.Background()))
	return db
}

// TestBackupDuringWrites takes a backup while a writer adds schools,
// restores it into an empty database, and checks that every row committed
// before the backup began is there, no table lost rows, and the
// constraints are all there and hold; a second restore is refused.
func TestBackupDuringWrites(t *testing.T) {
	t.Parallel()
	for _, dialect := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			srcURL := newDatabase(t, dialect)
			src := openMigrated(t, srcURL)
			school := storetest.School(t, src, nil)
			for i := range 4 {
				pack := storetest.Pack(t, src, nil)
				pickup := calendar.MustParseDate("2027-01-04").AddDays(7 * i)
				storetest.FeedLoan(t, src, storetest.FeedLoanOpts{SchoolUAI: school.UAI, PackIDs: []int64{pack.ID},
					Pickup: pickup, Return: pickup.AddDays(39), At: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)})
			}

			var (
				mu        sync.Mutex
				committed []string
				writeErr  error
			)
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					select {
					case <-stop:
						return
					default:
					}
					uai := storetest.NewUAI()
					if _, err := src.CreateSchool(ctx, store.Actor{}, store.School{UAI: uai, Name: "École " + uai, Kind: "elementaire", City: "Épinay-sur-Seine"}); err != nil {
						if !errors.Is(err, store.ErrConflict) { // a random UAI drawn twice
							mu.Lock()
							writeErr = err
							mu.Unlock()
							return
						}
						continue
					}
					mu.Lock()
					committed = append(committed, uai)
					mu.Unlock()
				}
			}()
			for {
				mu.Lock()
				n := len(committed)
				mu.Unlock()
				if n >= 30 {
					break
				}
				<-time.After(5 * time.Millisecond)
			}
			mu.Lock()
			before := append([]string(nil), committed...)
			mu.Unlock()
			out := filepath.Join(t.TempDir(), "backup.bin")
			res, err := backup.Backup(ctx, src, srcURL, out)
			require.NoError(t, err)
			close(stop)
			<-done
			require.NoError(t, writeErr)
			final, err := src.TableCounts(ctx)
			require.NoError(t, err)
			t.Logf("%s backup: %d tables, %d rows, %d bytes, %s; %d schools written meanwhile",
				dialect, len(res.Rows), res.TotalRows(), res.Bytes, res.Duration, len(committed)-len(before))
			assert.Greater(t, res.Bytes, int64(0))

			_, err = backup.Backup(ctx, src, srcURL, out)
			assert.ErrorIs(t, err, backup.ErrExists, "an existing file is never overwritten")

			dstURL := newDatabase(t, dialect)
			rres, err := backup.Restore(ctx, dstURL, out, store.Options{Logger: storetest.Logger(t)})
			require.NoError(t, err)
			t.Logf("%s restore: %d rows, %s", dialect, rres.TotalRows(), rres.Duration)
			for table, n := range res.Rows {
				assert.GreaterOrEqual(t, rres.Rows[table], n, "%s: rows counted when the backup began are there", table)
				assert.LessOrEqual(t, rres.Rows[table], final[table], "%s: no row from nowhere", table)
			}
			dst := storetest.OpenURL(t, dstURL)
			for _, uai := range before {
				_, err := dst.School(ctx, uai)
				require.NoError(t, err, "school %s committed before the backup", uai)
			}
			require.NoError(t, dst.CheckIntegrity(ctx))
			srcC, err := src.ConstraintCount(ctx)
			require.NoError(t, err)
			dstC, err := dst.ConstraintCount(ctx)
			require.NoError(t, err)
			assert.Equal(t, srcC, dstC, "constraints, indexes and triggers restored")
			_, err = dst.CreateSchool(ctx, store.Actor{}, store.School{UAI: before[0], Name: "Doublon", Kind: "elementaire", City: "Épinay-sur-Seine"})
			assert.ErrorIs(t, err, store.ErrConflict, "the unique key holds in the restored database")
			assert.Zero(t, storetest.LoanOverlaps(t, dst), "no overlapping loans")

			_, err = backup.Restore(ctx, dstURL, out, store.Options{Logger: storetest.Logger(t)})
			assert.ErrorIs(t, err, backup.ErrNotEmpty, "a database with tables is refused")
		})
	}
}
