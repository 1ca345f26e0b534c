package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestJobsRunOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "jobs.db")
	env := map[string]string{"DATABASE_URL": dbPath, "MAIL_FROM": "classemobile <noreply@epinay.example.fr>"}
	code, _, stderr := runCLI(t, env, "migrate")
	require.Equal(t, 0, code, stderr)
	db, err := store.Open(context.Background(), dbPath, store.Options{})
	require.NoError(t, err, "open")
	defer db.Close()
	s := storetest.School(t, db, nil)
	teacher, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: s.UAI, Name: "Élodie Fontaine"})
	coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
	night := calendar.NewDate(2026, 3, 12)
	storetest.ReminderLoan(t, db, storetest.LoanEnv{CoordinatorID: coord.ID}, storetest.LoanFixture{SchoolUAI: s.UAI, TeacherID: teacher.ID,
		State: "picked_up", Pickup: night.AddDays(-35), Return: night.AddDays(7), TrainingDone: true})

	for _, tt := range []struct {
		name     string
		giveArgs []string
		wantErr  string
	}{
		{name: "no subcommand", giveArgs: []string{"jobs"}, wantErr: "Usage"},
		{name: "unknown subcommand", giveArgs: []string{"jobs", "run"}, wantErr: "unknown subcommand"},
		{name: "bad date", giveArgs: []string{"jobs", "run-once", "--date", "12/03/2026"}, wantErr: "--date"},
		{name: "bad schedule", giveArgs: []string{"jobs", "run-once", "--schedule", "lunch=1"}, wantErr: "unknown kind"},
	} {
		code, stdout, stderr := runCLI(t, env, tt.giveArgs...)
		assert.Equal(t, 2, code, "%s: exit code; stderr: %s", tt.name, stderr)
		assert.Contains(t, stderr, tt.wantErr, tt.name)
		assert.Empty(t, stdout, "%s: nothing on stdout", tt.name)
	}

	code, stdout, stderr := runCLI(t, env, "jobs", "run-once", "--date", "2026-03-12", "--dry-run")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Subject: classemobile : Retour de la classe mobile dans 7 jours", "dry run shows the message")
	assert.Contains(t, stdout, "Bonjour Élodie Fontaine,", "and its text")
	assert.Contains(t, stderr, "1 reminders in 1 messages and 0 task digests would be sent", "summary")
	rows, err := db.ListReminders(context.Background(), store.ReminderFilter{})
	require.NoError(t, err, "ledger")
	assert.Empty(t, rows, "dry run writes nothing")

	code, stdout, stderr = runCLI(t, env, "jobs", "run-once", "--date", "2026-03-12")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "2026-03-12: 1 due, 1 recorded, 1 sent in 1 messages, 0 skipped, 0 failed attempts, 0 failed\n"+
		"2026-03-12: 0 task digests sent (0 tasks), 0 failed attempts, 0 failed\n", stdout, "report")
	entries, err := os.ReadDir(filepath.Join(dir, "outbox"))
	require.NoError(t, err, "outbox beside the database")
	require.Len(t, entries, 1, "one .eml")
	assert.Equal(t, "rappels-2026-03-12-u"+strconv.FormatInt(teacher.ID, 10)+"@epinay.example.fr.eml", entries[0].Name(), "named after the Message-ID")

	code, stdout, stderr = runCLI(t, env, "jobs", "run-once", "--date", "2026-03-12")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "0 recorded, 0 sent in 0 messages", "second run sends nothing")
}
