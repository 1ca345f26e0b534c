package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"

	"github.com/classemobile/classemobile/calendar"
)

// Placeholders written over personal data. They are French: people read
// them in the pages, the exports and the audit log.
const (
	anonymousPerson  = "Personne anonymisée"
	anonymousProject = "Projet anonymisé"
	anonymousText    = "Texte anonymisé"
)

// DefaultRetentionYears is how many past school years keep their people's
// data, besides the current one.
const DefaultRetentionYears = 3

// RetentionOptions configure ApplyRetention.
type RetentionOptions struct {
	// Years is the number of past school years whose people's data is
	// kept besides the current one. Defaults to DefaultRetentionYears.
	Years int
	// Today is the day of the run. Defaults to the store's clock (Paris).
	Today calendar.Date
}

// RetentionReport counts what ApplyRetention changed.
type RetentionReport struct {
	// KeptFrom is the oldest school year whose data is kept as it is.
	KeptFrom string `json:"kept_from"`
	// Cutoff is the start of KeptFrom (1 August): audit entries and
	// disabled accounts older than it are anonymised.
	Cutoff      time.Time `json:"cutoff"`
	Requests    int       `json:"requests"`
	Loans       int       `json:"loans"`
	Users       int       `json:"users"`
	AuditEvents int       `json:"audit_events"`
	APITokens   int       `json:"api_tokens"`
	// Sign-in data past its use, deleted whatever the cutoff: login
	// tokens expired, sessions ended (revoked, expired or idle too long),
	// link requests older than the rate-limit window.
	LoginTokens   int `json:"login_tokens"`
	Sessions      int `json:"sessions"`
	LoginAttempts int `json:"login_attempts"`
}

// ApplyRetention anonymises the personal data the service no longer needs
// (the nightly job runs it): in requests of school years before the kept
// ones that have no loan in progress (rejected, withdrawn, or whose loans
// are closed or cancelled), the free texts, the people named in the
// inventory sheets, the opinions' comments and the assessments are
// replaced by placeholders, keeping every row, state, date and count (the
// statistics and the history's shape); audit entries older than the cutoff
// keep the actor's role, not the actor, and lose the personal fields of
// their before/after states; accounts disabled before the cutoff lose
// their name and e-mail; API tokens revoked before it are deleted. Each
// row is anonymised once. Sign-in data is deleted as soon as it is
// useless: expired login tokens, ended sessions (revoked, past their end
// or idle longer than SessionIdle) and link requests older than
// LoginWindow.
func (db *DB) ApplyRetention(ctx context.Context, o RetentionOptions) (_ RetentionReport, err error) {
	defer wrapf(&err, "ApplyRetention")
	if o.Years <= 0 {
		o.Years = DefaultRetentionYears
	}
	if o.Today.IsZero() {
		o.Today = calendar.ParisDate(db.Now())
	}
	cur := calendar.CurrentSchoolYear(o.Today)
	start, err := strconv.Atoi(cur[:4])
	if err != nil {
		return RetentionReport{}, fmt.Errorf("school year %q: %w", cur, err)
	}
	first := start - o.Years
	rep := RetentionReport{KeptFrom: fmt.Sprintf("%d-%d", first, first+1), Cutoff: time.Date(first, time.August, 1, 0, 0, 0, 0, time.UTC)}
	now := db.Now()
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var ids []int64
		if err := tx.NewRaw(`SELECT id FROM requests r WHERE r.school_year < ?
			AND NOT EXISTS (SELECT 1 FROM anonymised x WHERE x.entity = 'request' AND x.entity_id = r.id)
			AND NOT EXISTS (SELECT 1 FROM loans l WHERE l.request_id = r.id AND l.state NOT IN ('closed', 'cancelled'))
			ORDER BY id`, rep.KeptFrom).Scan(ctx, &ids); err != nil {
			return err
		}
		var err error
		if rep.Requests, rep.Loans, err = anonymiseRequests(ctx, tx, ids, now); err != nil {
			return err
		}
		var users []int64
		if err := tx.NewRaw(`SELECT id FROM users u WHERE disabled_at < ?
			AND NOT EXISTS (SELECT 1 FROM anonymised x WHERE x.entity = 'user' AND x.entity_id = u.id) ORDER BY id`, rep.Cutoff).Scan(ctx, &users); err != nil {
			return err
		}
		for _, id := range users {
			if err := anonymiseUser(ctx, tx, id, now); err != nil {
				return err
			}
		}
		rep.Users = len(users)
		if rep.AuditEvents, err = anonymiseAudit(ctx, tx, bun.SafeQuery("at < ?", rep.Cutoff)); err != nil {
			return err
		}
		res, err := tx.NewRaw("DELETE FROM api_tokens WHERE revoked_at < ?", rep.Cutoff).Exec(ctx)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		rep.APITokens = int(n)
		if rep.LoginTokens, rep.Sessions, rep.LoginAttempts, err = deleteSignInData(ctx, tx, now); err != nil {
			return err
		}
		if rep.Requests+rep.Users+rep.AuditEvents+rep.APITokens > 0 {
			return Audit(ctx, tx, now, Actor{}, "retention.apply", "retention", rep.KeptFrom, nil, rep)
		}
		return nil
	})
	return rep, err
}

// deleteSignInData deletes the sign-in rows that can no longer serve:
// they hold who signed in when, from which browser.
func deleteSignInData(ctx context.Context, tx bun.Tx, now time.Time) (tokens, sessions, attempts int, err error) {
	counts := make([]int, 3)
	for i, q := range []*bun.RawQuery{
		tx.NewRaw("DELETE FROM login_tokens WHERE expires_at <= ?", now),
		tx.NewRaw("DELETE FROM sessions WHERE revoked_at IS NOT NULL OR expires_at <= ? OR last_seen_at <= ?", now, now.Add(-SessionIdle)),
		tx.NewRaw("DELETE FROM login_attempts WHERE at <= ?", now.Add(-LoginWindow)),
	} {
		res, err := q.Exec(ctx)
		if err != nil {
			return 0, 0, 0, err
		}
		n, _ := res.RowsAffected()
		counts[i] = int(n)
	}
	return counts[0], counts[1], counts[2], nil
}

// anonymiseRequests replaces the personal data of requests ids and of
// their loans; it returns the numbers of requests and loans changed.
func anonymiseRequests(ctx context.Context, tx bun.Tx, ids []int64, now time.Time) (requests, loans int, err error) {
	if len(ids) == 0 {
		return 0, 0, nil
	}
	list := bun.List(ids)
	for _, q := range []string{
		`UPDATE requests SET title = '` + anonymousProject + `', motivation = '', curriculum_links = '',
			school_project_links = '', coherence = '', digital_skills = '',
			packs_reason = CASE WHEN packs_reason <> '' THEN '` + anonymousText + `' ELSE '' END,
			refusal_reason = CASE WHEN refusal_reason <> '' THEN '` + anonymousText + `' ELSE '' END,
			decision_reason = CASE WHEN decision_reason <> '' THEN '` + anonymousText + `' ELSE '' END,
			withdrawn_reason = CASE WHEN withdrawn_reason <> '' THEN '` + anonymousText + `' ELSE '' END
			WHERE id IN (?0)`,
		`INSERT INTO anonymised (entity, entity_id, at) SELECT 'request', id, ?1 FROM requests WHERE id IN (?0) ON CONFLICT DO NOTHING`,
		`UPDATE request_opinions SET comment = '' WHERE request_id IN (?0)`,
	} {
		if _, err := tx.NewRaw(q, list, now).Exec(ctx); err != nil {
			return 0, 0, err
		}
	}
	var loanIDs []int64
	if err := tx.NewRaw("SELECT id FROM loans WHERE request_id IN (?) ORDER BY id", list).Scan(ctx, &loanIDs); err != nil {
		return 0, 0, err
	}
	if len(loanIDs) > 0 {
		ll := bun.List(loanIDs)
		for _, q := range []string{
			`UPDATE loans SET cancel_reason = CASE WHEN cancel_reason <> '' THEN '` + anonymousText + `' ELSE '' END WHERE id IN (?0)`,
			`UPDATE loan_sheets SET school_person = '` + anonymousPerson + `', comment = '', technical_report = '' WHERE loan_id IN (?0)`,
			`UPDATE loan_sheet_lines SET note = '', condition = '' WHERE sheet_id IN (SELECT id FROM loan_sheets WHERE loan_id IN (?0))`,
			`UPDATE loan_incidents SET note = '', resolution = '' WHERE loan_id IN (?0)`,
			`UPDATE loan_extensions SET plan_note = '', decision_comment = '' WHERE loan_id IN (?0)`,
			`UPDATE loan_assessments SET human = '` + anonymousText + `', pedagogical = '` + anonymousText + `', productions = '[]' WHERE loan_id IN (?0)`,
		} {
			if _, err := tx.NewRaw(q, ll).Exec(ctx); err != nil {
				return 0, 0, err
			}
		}
	}
	return len(ids), len(loanIDs), nil
}

// anonymiseUser replaces a person's name and e-mail, disables the
// account and revokes its API tokens.
func anonymiseUser(ctx context.Context, tx bun.Tx, id int64, now time.Time) error {
	if _, err := tx.NewRaw(`UPDATE users SET name = ?, email = ?, disabled_at = COALESCE(disabled_at, ?) WHERE id = ?`,
		anonymousPerson, fmt.Sprintf("anonyme-%d@anonyme.invalid", id), now, id).Exec(ctx); err != nil {
		return err
	}
	if _, err := tx.NewRaw(`INSERT INTO anonymised (entity, entity_id, at) VALUES ('user', ?, ?) ON CONFLICT DO NOTHING`, id, now).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewRaw("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", now, id).Exec(ctx)
	return err
}

// personalKeys are the fields of audit states that hold personal data:
// names, e-mails and free text.
var personalKeys = map[string]bool{
	"name": true, "email": true, "teacher_name": true, "school_person": true, "comment": true,
	"technical_report": true, "note": true, "resolution": true, "human": true, "pedagogical": true,
	"productions": true, "motivation": true, "curriculum_links": true, "school_project_links": true,
	"coherence": true, "digital_skills": true, "refusal_reason": true, "decision_reason": true,
	"withdrawn_reason": true, "packs_reason": true, "plan_note": true, "decision_comment": true,
	"title": true, "cancel_reason": true, "reason": true,
}

// impersonalEntities hold no personal data: their audit states stay whole.
var impersonalEntities = map[string]bool{"school": true, "sector": true, "pack": true, "round": true, "calendar": true, "retention": true}

// anonymiseAudit anonymises the audit entries matching where that are
// not yet: the actor becomes its role, personal fields are dropped from
// the states. Returns the number of entries changed.
func anonymiseAudit(ctx context.Context, tx bun.Tx, where schema.QueryAppender) (int, error) {
	var rows []struct {
		ID      int64   `bun:"id"`
		ActorID *int64  `bun:"actor_id"`
		Role    *string `bun:"role"`
		Entity  string  `bun:"entity"`
		Before  *string `bun:"before"`
		After   *string `bun:"after"`
	}
	if err := tx.NewRaw(`SELECT a.id, a.actor_id, u.role, a.entity, a.before, a.after FROM audit_events a
		LEFT JOIN users u ON u.id = a.actor_id WHERE NOT a.anonymised AND ? ORDER BY a.id`, where).Scan(ctx, &rows); err != nil {
		return 0, err
	}
	for _, r := range rows {
		role := ""
		if r.Role != nil {
			role = *r.Role
		}
		before, after := r.Before, r.After
		if !impersonalEntities[r.Entity] {
			var err error
			if before, err = scrubJSON(before); err != nil {
				return 0, fmt.Errorf("audit event %d: %w", r.ID, err)
			}
			if after, err = scrubJSON(after); err != nil {
				return 0, fmt.Errorf("audit event %d: %w", r.ID, err)
			}
		}
		if _, err := tx.NewRaw(`UPDATE audit_events SET actor_role = ?, actor_id = NULL, before = ?, after = ?, anonymised = TRUE WHERE id = ?`,
			role, before, after, r.ID).Exec(ctx); err != nil {
			return 0, err
		}
	}
	return len(rows), nil
}

// scrubJSON drops the personal fields of a JSON state, at any depth.
func scrubJSON(s *string) (*string, error) {
	if s == nil {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal([]byte(*s), &v); err != nil {
		return nil, err
	}
	b, err := json.Marshal(scrub(v))
	if err != nil {
		return nil, err
	}
	out := string(b)
	return &out, nil
}

func scrub(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if personalKeys[k] {
				delete(x, k)
				continue
			}
			x[k] = scrub(val)
		}
	case []any:
		for i := range x {
			x[i] = scrub(x[i])
		}
	}
	return v
}

// ErrLoanInProgress is returned by ErasePerson while the person has a
// loan in progress (reserved, signed, picked up or returned): its
// agreement and inventory still need the names.
var ErrLoanInProgress = errors.New("store: loan in progress")

// ErasePerson anonymises everything about the person with this e-mail
// now, whatever its age: the account (name, e-mail; disabled, tokens
// revoked), the requests they filed and the loans of those, their
// opinions' comments and assessments, and the audit entries they made or
// that are about them (which keep their role). Returns ErrNotFound for an
// unknown e-mail and an error wrapping ErrLoanInProgress, naming the
// loans, while one of their requests has a loan in progress.
func (db *DB) ErasePerson(ctx context.Context, email string) (_ User, err error) {
	defer wrapf(&err, "ErasePerson(%s)", email)
	var u User
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var row userRow
		if err := tx.NewSelect().Model(&row).Where("email = ?", email).Scan(ctx); err != nil {
			return err
		}
		u = row.user()
		var live []int64
		if err := tx.NewRaw(`SELECT l.id FROM loans l JOIN requests r ON r.id = l.request_id
			WHERE r.teacher_id = ? AND l.state NOT IN ('closed', 'cancelled') ORDER BY l.id`, u.ID).Scan(ctx, &live); err != nil {
			return err
		}
		if len(live) > 0 {
			return fmt.Errorf("%w: loans %v", ErrLoanInProgress, live)
		}
		now := db.Now()
		var ids []int64
		if err := tx.NewRaw("SELECT id FROM requests WHERE teacher_id = ? ORDER BY id", u.ID).Scan(ctx, &ids); err != nil {
			return err
		}
		if _, _, err := anonymiseRequests(ctx, tx, ids, now); err != nil {
			return err
		}
		for _, q := range []string{
			`UPDATE request_opinions SET comment = '' WHERE author_id = ?0`,
			`UPDATE loan_assessments SET human = '` + anonymousText + `', pedagogical = '` + anonymousText + `', productions = '[]' WHERE author_id = ?0`,
		} {
			if _, err := tx.NewRaw(q, u.ID).Exec(ctx); err != nil {
				return err
			}
		}
		if _, err := anonymiseAudit(ctx, tx, bun.SafeQuery("(a.actor_id = ? OR (a.entity = 'user' AND a.entity_id = ?))", u.ID, strconv.FormatInt(u.ID, 10))); err != nil {
			return err
		}
		if err := anonymiseUser(ctx, tx, u.ID, now); err != nil {
			return err
		}
		return Audit(ctx, tx, now, Actor{}, "user.erase", "user", u.ID, nil, map[string]any{"role": u.Role, "requests": len(ids)})
	})
	return u, err
}

// PersonalData returns everything the database holds about the person
// with this e-mail, by source table, for a subject access request. Token
// hashes are left out. Returns ErrNotFound for an unknown e-mail.
func (db *DB) PersonalData(ctx context.Context, email string) (_ map[string]any, err error) {
	defer wrapf(&err, "PersonalData(%s)", email)
	var row userRow
	if err := db.bun.NewSelect().Model(&row).Where("email = ?", email).Scan(ctx); err != nil {
		return nil, err
	}
	id := row.ID
	out := map[string]any{"user": row.user()}
	for _, src := range []struct{ key, query string }{
		{"user_roles", "SELECT role, school_uai FROM user_roles WHERE user_id = ?0 ORDER BY role, school_uai"},
		{"api_tokens", "SELECT id, label, created_at, revoked_at FROM api_tokens WHERE user_id = ?0 ORDER BY id"},
		{"requests", "SELECT * FROM requests WHERE teacher_id = ?0 OR decided_by = ?0 ORDER BY id"},
		{"request_opinions", "SELECT * FROM request_opinions WHERE author_id = ?0 ORDER BY request_id, role"},
		{"loans_signed", "SELECT id, request_id, state, pickup_day, return_day, director_signed_by, it_signed_by FROM loans WHERE director_signed_by = ?0 OR it_signed_by = ?0 ORDER BY id"},
		{"loan_sheets", "SELECT * FROM loan_sheets WHERE it_user_id = ?0 ORDER BY id"},
		{"loan_assessments", "SELECT * FROM loan_assessments WHERE author_id = ?0 ORDER BY loan_id"},
		{"loan_extensions", "SELECT * FROM loan_extensions WHERE requested_by = ?0 ORDER BY id"},
		{"reminders", "SELECT * FROM reminders WHERE recipient_id = ?0 ORDER BY id"},
		{"audit_events", "SELECT * FROM audit_events WHERE actor_id = ?0 OR (entity = 'user' AND entity_id = ?1) ORDER BY id"},
	} {
		var rows []map[string]any
		if err := db.bun.NewRaw(src.query, id, strconv.FormatInt(id, 10)).Scan(ctx, &rows); err != nil {
			return nil, fmt.Errorf("%s: %w", src.key, err)
		}
		for _, r := range rows {
			for k, v := range r {
				if b, ok := v.([]byte); ok {
					r[k] = string(b)
				}
			}
		}
		if rows == nil {
			rows = []map[string]any{}
		}
		out[src.key] = rows
	}
	return out, nil
}
