package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestKillSendChild is not a test: TestKillDuringSend runs the test
// binary as "classemobile" through it, so that it can kill the process.
func TestKillSendChild(t *testing.T) {
	if os.Getenv("KILLSEND_CHILD") != "1" {
		t.Skip("helper process of TestKillDuringSend")
	}
	args := strings.Split(os.Getenv("KILLSEND_ARGS"), "\x1f")
	err := run(context.Background(), args, os.Getenv, os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

var duplicateFile = regexp.MustCompile(`\.[0-9]+\.eml$`)

// TestKillDuringSend measures what a crash of "jobs run-once" while it
// sends costs: it seeds 800 reminders for 251 recipients, runs run-once
// and kills it (SIGKILL) after it wrote 1 to 4 messages, KILLSEND_KILLS
// times (after each kill the next run takes the dead run's leases over),
// then lets a run finish. The outbox keeps every message written (a
// resend is "<id>.2.eml"), so duplicates are counted there. Run it with
// scripts/killsend.sh; skipped otherwise (it takes a minute or two).
func TestKillDuringSend(t *testing.T) {
	kills, _ := strconv.Atoi(os.Getenv("KILLSEND_KILLS"))
	if kills <= 0 {
		t.Skip("KILLSEND_KILLS not set: see scripts/killsend.sh")
	}
	ctx := context.Background()
	dir := t.TempDir()
	dbURL := os.Getenv("KILLSEND_DB")
	if dbURL == "" {
		dbURL = filepath.Join(dir, "killsend.db")
	}
	outbox := filepath.Join(dir, "outbox")
	db, err := store.Open(ctx, dbURL, store.Options{})
	require.NoError(t, err)
	require.NoError(t, db.Migrate(ctx))
	night := calendar.NewDate(2026, 3, 13)
	coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
	storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
	var fs []storetest.LoanFixture
	for range 50 {
		s := storetest.School(t, db, nil)
		storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: s.UAI})
		for range 4 {
			teacher, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: s.UAI})
			fs = append(fs, storetest.LoanFixture{SchoolUAI: s.UAI, TeacherID: teacher.ID, Pickup: night.AddDays(10)})
		}
	}
	storetest.ReminderLoans(t, db, storetest.LoanEnv{CoordinatorID: coord.ID}, fs)

	files := func() (all, dups int) {
		entries, _ := os.ReadDir(outbox)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".eml") && !strings.HasPrefix(e.Name(), ".") {
				all++
				if duplicateFile.MatchString(e.Name()) {
					dups++
				}
			}
		}
		return all, dups
	}
	child := func() (*exec.Cmd, *strings.Builder) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillSendChild$")
		args := []string{"jobs", "run-once", "--db", dbURL, "--date", night.String(), "--outbox", outbox,
			"--mail-from", "classemobile <noreply@epinay.example.fr>", "--lease", "3s"}
		cmd.Env = append(os.Environ(), "KILLSEND_CHILD=1", "KILLSEND_ARGS="+strings.Join(args, "\x1f"))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		return cmd, &stderr
	}

	done, takeovers := 0, 0
	var maxFirstWrite time.Duration
	for done < kills {
		before, _ := files()
		if before >= 240 {
			break // nearly everything sent: keep some for the last run
		}
		target := before + 1 + rand.IntN(4)
		start := time.Now()
		cmd, stderr := child()
		first := time.Duration(0)
		for {
			n, _ := files()
			if n > before && first == 0 {
				first = time.Since(start)
			}
			if n >= target {
				break
			}
			if time.Since(start) > 60*time.Second {
				t.Fatalf("run %d wrote nothing in 60 s: %s", done+1, stderr)
			}
			time.Sleep(2 * time.Millisecond)
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		done++
		maxFirstWrite = max(maxFirstWrite, first)
		if strings.Contains(stderr.String(), "Taking over the reminders of a run that stopped") {
			takeovers++
		}
	}
	cmd, stderr := child()
	require.NoError(t, cmd.Wait(), "the last run finishes: %s", stderr)
	all, dups := files()
	counts, err := db.TableCounts(ctx)
	require.NoError(t, err)
	var sent int
	require.NoError(t, db.Bun().NewRaw("SELECT count(*) FROM reminders WHERE status = 'sent'").Scan(ctx, &sent))
	report := fmt.Sprintf("%d kills, %d messages written for 251 recipients, %d duplicates (%.2f per kill); %d runs took over a dead run's leases; slowest first write after a kill %s; %d reminders sent of %d",
		done, all, dups, float64(dups)/float64(done), takeovers, maxFirstWrite.Round(time.Millisecond), sent, counts["reminders"])
	t.Log(report)
	fmt.Println("killsend:", report)
	assert.Equal(t, 251, all-dups, "every recipient got a message")
	assert.LessOrEqual(t, dups, done, "at most the message in flight per kill")
	assert.Equal(t, counts["reminders"], int64(sent), "every reminder recorded sent")
}
