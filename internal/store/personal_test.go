package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

type personalFixture struct {
	school              store.School
	teacher             store.User
	oldRejected, recent store.Request
	oldLoan, liveLoan   int64
	oldUser             store.User
}

// seedPersonal makes: a request of 2021-2022 rejected, a closed loan of
// 2021-2022 with its inventory sheet and assessment, a recent request, a
// live loan of another teacher, an account disabled in 2022 and audit
// entries of 2021 naming people.
func seedPersonal(t *testing.T, db *store.DB) personalFixture {
	t.Helper()
	ctx := context.Background()
	var f personalFixture
	f.school = storetest.School(t, db, nil)
	f.teacher, _ = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: f.school.UAI, Name: "Élodie Fontaine"})
	f.oldRejected = storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: f.school.UAI, TeacherID: f.teacher.ID, Year: "2021-2022", State: store.RequestRejected})
	f.recent = storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: f.school.UAI, TeacherID: f.teacher.ID, Year: "2026-2027"})
	pack := storetest.Pack(t, db, nil)
	f.oldLoan = storetest.FeedLoan(t, db, storetest.FeedLoanOpts{SchoolUAI: f.school.UAI, PackIDs: []int64{pack.ID}, State: store.LoanClosed,
		Pickup: calendar.MustParseDate("2021-11-08"), Return: calendar.MustParseDate("2021-12-17"), Assessed: true,
		At: time.Date(2021, 11, 1, 9, 0, 0, 0, time.UTC)})
	f.liveLoan = storetest.FeedLoan(t, db, storetest.FeedLoanOpts{SchoolUAI: f.school.UAI, PackIDs: []int64{pack.ID}, State: store.LoanPickedUp,
		Pickup: calendar.MustParseDate("2026-11-09"), Return: calendar.MustParseDate("2026-12-18"), At: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)})
	storetest.ExecLoan(t, db, `INSERT INTO loan_sheets (loan_id, kind, school_person, accepted_difference, comment, technical_report, created_at)
		VALUES (?, 'return', 'Nadia Haddad', false, 'Rendu par Nadia', 'RAS', ?)`, f.oldLoan, time.Date(2021, 12, 17, 10, 0, 0, 0, time.UTC))
	f.oldUser, _ = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleInspection, Name: "Jean Ancien"})
	storetest.ExecLoan(t, db, "UPDATE users SET disabled_at = ? WHERE id = ?", time.Date(2022, 7, 1, 0, 0, 0, 0, time.UTC), f.oldUser.ID)
	storetest.ExecLoan(t, db, `INSERT INTO audit_events (at, actor_id, action, entity, entity_id, before, after)
		VALUES (?, ?, 'request.decide', 'request', '1', NULL, '{"title":"Radio","state":"rejected","teacher_name":"Élodie Fontaine","pupils":24}')`,
		time.Date(2021, 12, 1, 0, 0, 0, 0, time.UTC), f.oldUser.ID)
	_ = ctx
	return f
}

func TestApplyRetention(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := seedPersonal(t, db)
		before, err := db.TableCounts(ctx)
		require.NoError(t, err)

		rep, err := db.ApplyRetention(ctx, store.RetentionOptions{Today: calendar.MustParseDate("2026-12-06")})
		require.NoError(t, err)
		assert.Equal(t, "2023-2024", rep.KeptFrom, "three past school years kept besides 2026-2027")
		assert.Equal(t, 2, rep.Requests, "the old rejected request and the old loan's request")
		assert.Equal(t, 1, rep.Loans)
		assert.Equal(t, 1, rep.Users, "the account disabled in 2022")
		assert.GreaterOrEqual(t, rep.AuditEvents, 1)

		old, err := db.Request(ctx, f.oldRejected.ID)
		require.NoError(t, err)
		assert.Equal(t, "Projet anonymisé", old.Title)
		assert.Empty(t, old.Motivation)
		assert.Equal(t, store.RequestRejected, old.State, "the state is kept")
		assert.Equal(t, f.oldRejected.Pupils, old.Pupils, "the statistics are kept")
		recent, err := db.Request(ctx, f.recent.ID)
		require.NoError(t, err)
		assert.Equal(t, f.recent.Title, recent.Title, "a recent request is untouched")

		var person, human string
		require.NoError(t, db.Bun().NewRaw("SELECT school_person FROM loan_sheets WHERE loan_id = ?", f.oldLoan).Scan(ctx, &person))
		assert.Equal(t, "Personne anonymisée", person)
		require.NoError(t, db.Bun().NewRaw("SELECT human FROM loan_assessments WHERE loan_id = ?", f.oldLoan).Scan(ctx, &human))
		assert.Equal(t, "Texte anonymisé", human)

		var role, after string
		var actor *int64
		require.NoError(t, db.Bun().NewRaw("SELECT actor_role, actor_id, after FROM audit_events WHERE action = 'request.decide' AND at < ?",
			time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)).Scan(ctx, &role, &actor, &after))
		assert.Equal(t, "inspection", role, "the audit entry keeps the role")
		assert.Nil(t, actor, "not the actor")
		assert.NotContains(t, after, "Élodie")
		assert.Contains(t, after, `"pupils":24`, "impersonal fields stay")

		var name, email string
		require.NoError(t, db.Bun().NewRaw("SELECT name, email FROM users WHERE id = ?", f.oldUser.ID).Scan(ctx, &name, &email))
		assert.Equal(t, "Personne anonymisée", name)
		assert.NotContains(t, email, "@example")
		require.NoError(t, db.Bun().NewRaw("SELECT name FROM users WHERE id = ?", f.teacher.ID).Scan(ctx, &name))
		assert.Equal(t, "Élodie Fontaine", name, "an active account keeps its name")

		after2, err := db.TableCounts(ctx)
		require.NoError(t, err)
		for table, n := range before {
			if table == "audit_events" || table == "anonymised" {
				continue // the retention run is itself audited, and lists what it did
			}
			assert.Equal(t, n, after2[table], "%s keeps its rows", table)
		}
		again, err := db.ApplyRetention(ctx, store.RetentionOptions{Today: calendar.MustParseDate("2026-12-06")})
		require.NoError(t, err)
		assert.Zero(t, again.Requests+again.Loans+again.Users+again.AuditEvents+again.APITokens, "each row once: %+v", again)
	})
}

func TestErasePerson(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := seedPersonal(t, db)
		// The live loan belongs to a teacher of its own (FeedLoan makes one).
		var liveTeacher string
		require.NoError(t, db.Bun().NewRaw(`SELECT u.email FROM users u JOIN requests r ON r.teacher_id = u.id JOIN loans l ON l.request_id = r.id WHERE l.id = ?`, f.liveLoan).Scan(ctx, &liveTeacher))
		_, err := db.ErasePerson(ctx, liveTeacher)
		assert.True(t, errors.Is(err, store.ErrLoanInProgress), "a person with a loan in progress: %v", err)

		data, err := db.PersonalData(ctx, f.teacher.Email)
		require.NoError(t, err)
		b, err := json.Marshal(data)
		require.NoError(t, err)
		assert.Contains(t, string(b), "Élodie Fontaine", "the export has the person")
		assert.Len(t, data["requests"], 2, "both requests")
		assert.NotContains(t, string(b), "token_hash", "no token hash")

		u, err := db.ErasePerson(ctx, f.teacher.Email)
		require.NoError(t, err)
		assert.Equal(t, store.RoleTeacher, u.Role)
		_, err = db.PersonalData(ctx, f.teacher.Email)
		assert.ErrorIs(t, err, store.ErrNotFound, "the e-mail is gone")
		var name string
		require.NoError(t, db.Bun().NewRaw("SELECT name FROM users WHERE id = ?", f.teacher.ID).Scan(ctx, &name))
		assert.Equal(t, "Personne anonymisée", name)
		recent, err := db.Request(ctx, f.recent.ID)
		require.NoError(t, err)
		assert.Equal(t, "Projet anonymisé", recent.Title)
		assert.False(t, strings.Contains(recent.Motivation, " "), "free text emptied")
		_, err = db.ErasePerson(ctx, "nobody@example.fr")
		assert.ErrorIs(t, err, store.ErrNotFound)
	})
}
