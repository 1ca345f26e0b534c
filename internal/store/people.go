package store

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// PersonError is a refused change to people (create, import, change,
// disable, new token). Message is French and safe to show to people.
type PersonError struct {
	// Code is a stable machine code: email_taken, invalid_email,
	// unknown_school, unknown_role, school_required, school_not_allowed,
	// no_role, invalid_name, disabled.
	Code string
	// Field names the input at fault ("email", "roles", "school_uai",
	// "name"), when there is one.
	Field   string
	Message string
	// Invalid is true when the input itself is wrong (HTTP 422), false
	// when it conflicts with what exists (HTTP 409).
	Invalid bool
}

func (e *PersonError) Error() string { return "person: " + e.Code + ": " + e.Message }

// Is makes a conflict match ErrConflict and an unknown school match
// ErrInvalidReference.
func (e *PersonError) Is(target error) bool {
	switch e.Code {
	case "email_taken", "disabled":
		return target == ErrConflict
	case "unknown_school":
		return target == ErrInvalidReference
	}
	return false
}

// NormalizeEmail returns an e-mail address as the store keeps it: trimmed
// and in lower case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CheckEmail returns a *PersonError (invalid_email) unless s, normalized,
// is a bare e-mail address ("nom@domaine.fr", no display name).
func CheckEmail(s string) error {
	e := NormalizeEmail(s)
	addr, err := mail.ParseAddress(e)
	if e == "" || err != nil || addr.Address != e || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		shown := strings.TrimSpace(s)
		if shown == "" {
			return &PersonError{Code: "invalid_email", Field: "email", Invalid: true, Message: "adresse e-mail manquante"}
		}
		return &PersonError{Code: "invalid_email", Field: "email", Invalid: true,
			Message: fmt.Sprintf("« %s » n'est pas une adresse e-mail valide", shown)}
	}
	return nil
}

func emailTaken(email string) *PersonError {
	return &PersonError{Code: "email_taken", Field: "email",
		Message: fmt.Sprintf("l'adresse e-mail %s est déjà celle d'une autre personne", email)}
}

func unknownSchool(uai string) *PersonError {
	return &PersonError{Code: "unknown_school", Field: "school_uai", Invalid: true,
		Message: fmt.Sprintf("aucune école n'a le code UAI %s", uai)}
}

// isUniqueEmail reports whether err is the unique violation of users.email.
func isUniqueEmail(err error) bool {
	err = translate(err)
	if !errors.Is(err, ErrConflict) {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "users_email") || strings.Contains(msg, "users.email")
}

// Person is a user as the people administration shows it: with the name of
// the school, whether they are disabled and how many API tokens are active.
type Person struct {
	User
	SchoolName   string     `json:"school_name,omitempty"`
	DisabledAt   *time.Time `json:"disabled_at,omitempty"`
	ActiveTokens int        `json:"active_tokens"`
}

// Disabled reports whether the person was disabled.
func (p Person) Disabled() bool { return p.DisabledAt != nil }

type personRow struct {
	userRow    `bun:",extend"`
	SchoolName *string `bun:"school_name,scanonly"`
	Tokens     int     `bun:"active_tokens,scanonly"`
}

func (r personRow) person() Person {
	p := Person{User: r.user(), DisabledAt: utcp(r.DisabledAt), ActiveTokens: r.Tokens}
	if r.SchoolName != nil {
		p.SchoolName = *r.SchoolName
	}
	return p
}

// PeopleFilter selects people in People. Zero fields match everyone.
type PeopleFilter struct {
	Role      Role
	SchoolUAI string
	// Email selects one address (normalized).
	Email string
	// IncludeDisabled lists disabled people too.
	IncludeDisabled bool
	// Limit bounds the result. Defaults to 1000.
	Limit int
	// Offset skips the first rows (paging).
	Offset int
}

func selectPeople(idb bun.IDB, rows *[]personRow) *bun.SelectQuery {
	return idb.NewSelect().Model(rows).ColumnExpr("u.*").
		ColumnExpr("s.name AS school_name").
		ColumnExpr("(SELECT count(*) FROM api_tokens AS t WHERE t.user_id = u.id AND t.revoked_at IS NULL) AS active_tokens").
		Join("LEFT JOIN schools AS s ON s.uai = u.school_uai")
}

// People returns people by school (people without a school first), then
// name and id.
func (db *DB) People(ctx context.Context, f PeopleFilter) (_ []Person, err error) {
	defer wrapf(&err, "People")
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	var rows []personRow
	q := selectPeople(db.bun, &rows).
		OrderExpr("CASE WHEN u.school_uai IS NULL THEN 0 ELSE 1 END, s.name, u.school_uai, u.name, u.id").
		Limit(int64(f.Limit)).Offset(int64(f.Offset))
	if !f.IncludeDisabled {
		q = q.Where("u.disabled_at IS NULL")
	}
	if f.Role != "" {
		q = q.Where("u.role = ?", string(f.Role))
	}
	if f.SchoolUAI != "" {
		q = q.Where("u.school_uai = ?", f.SchoolUAI)
	}
	if f.Email != "" {
		q = q.Where("u.email = ?", NormalizeEmail(f.Email))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Person, len(rows))
	for i, r := range rows {
		out[i] = r.person()
	}
	return out, nil
}

// PersonByEmail returns one person, disabled or not, by e-mail address.
// Returns ErrNotFound.
func (db *DB) PersonByEmail(ctx context.Context, email string) (_ Person, err error) {
	defer wrapf(&err, "PersonByEmail(%s)", email)
	var rows []personRow
	if err := selectPeople(db.bun, &rows).Where("u.email = ?", NormalizeEmail(email)).Scan(ctx); err != nil {
		return Person{}, err
	}
	if len(rows) == 0 {
		return Person{}, ErrNotFound
	}
	return rows[0].person(), nil
}

// IssueToken revokes every active API token of a person and returns a new
// one, in clear, once (only its hash is stored). Returns ErrNotFound for an
// unknown person and a *PersonError (disabled) for a disabled one.
func (db *DB) IssueToken(ctx context.Context, actor Actor, userID int64) (token string, err error) {
	defer wrapf(&err, "IssueToken(%d)", userID)
	now := db.Now()
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var u userRow
		if err := lockUser(ctx, tx, db.dialect, userID, &u); err != nil {
			return err
		}
		if u.DisabledAt != nil {
			return &PersonError{Code: "disabled", Message: fmt.Sprintf("%s est désactivé(e) : pas de nouveau jeton", u.Name)}
		}
		revoked, err := revokeTokens(ctx, tx, userID, now)
		if err != nil {
			return err
		}
		token = NewSecret("cm_")
		tok := tokenRow{UserID: userID, TokenHash: HashSecret(token), Label: "reissued", CreatedAt: now}
		if _, err := tx.NewInsert().Model(&tok).Exec(ctx); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, "user.token", "user", userID, map[string]int{"revoked_tokens": revoked}, map[string]int64{"token_id": tok.ID})
	})
	return token, err
}

func revokeTokens(ctx context.Context, tx bun.Tx, userID int64, now time.Time) (int, error) {
	res, err := tx.NewUpdate().Model((*tokenRow)(nil)).Set("revoked_at = ?", now).
		Where("user_id = ?", userID).Where("revoked_at IS NULL").Exec(ctx)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DisableUser disables a person: they can no longer sign in or use the
// API (every API token is revoked) and get no more e-mail. Their history
// stays. Disabling a disabled person changes nothing. Returns ErrNotFound.
func (db *DB) DisableUser(ctx context.Context, actor Actor, userID int64) (_ Person, err error) {
	defer wrapf(&err, "DisableUser(%d)", userID)
	now := db.Now()
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var u userRow
		if err := lockUser(ctx, tx, db.dialect, userID, &u); err != nil {
			return err
		}
		if u.DisabledAt != nil {
			return nil
		}
		if _, err := tx.NewUpdate().Model((*userRow)(nil)).ModelTableExpr("users").Set("disabled_at = ?", now).
			Where("id = ?", userID).Exec(ctx); err != nil {
			return err
		}
		revoked, err := revokeTokens(ctx, tx, userID, now)
		if err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, "user.disable", "user", userID, u.user(),
			map[string]any{"disabled_at": now, "revoked_tokens": revoked})
	})
	if err != nil {
		return Person{}, err
	}
	return db.person(ctx, userID)
}

// lockUser reads a user row, locked until the end of the transaction on
// PostgreSQL (SQLite's BEGIN IMMEDIATE already holds the write lock).
func lockUser(ctx context.Context, tx bun.Tx, d Dialect, id int64, u *userRow) error {
	q := tx.NewSelect().Model(u).Where("id = ?", id)
	if d == Postgres {
		q = q.For("UPDATE")
	}
	return q.Scan(ctx)
}

// personRoles returns the set of a user's roles.
func personRoles(u User) []Role {
	if u.Role == "" {
		return nil
	}
	return []Role{u.Role}
}

// checkPersonInput normalizes in and returns its first problem.
func checkPersonInput(in PersonInput) (PersonInput, error) {
	in = in.Normalize()
	if ps := in.Check(); len(ps) > 0 {
		return in, ps[0]
	}
	if len(in.Roles) > 1 {
		return in, &PersonError{Code: "unknown_role", Field: "roles", Invalid: true,
			Message: "une seule fonction par personne pour l'instant"}
	}
	return in, nil
}

// insertPerson creates a person without an API token (people sign in by
// e-mail link; a token is issued on demand). action names the audit event.
func insertPerson(ctx context.Context, tx bun.Tx, now time.Time, actor Actor, in PersonInput, action string) (User, error) {
	in, err := checkPersonInput(in)
	if err != nil {
		return User{}, err
	}
	row := userRow{Email: in.Email, Name: in.Name, Role: string(in.Roles[0]), CreatedAt: now}
	if in.SchoolUAI != "" {
		row.SchoolUAI = &in.SchoolUAI
	}
	if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		switch {
		case isUniqueEmail(err):
			return User{}, emailTaken(in.Email)
		case errors.Is(translate(err), ErrInvalidReference):
			return User{}, unknownSchool(in.SchoolUAI)
		}
		return User{}, err
	}
	u := row.user()
	if err := Audit(ctx, tx, now, actor, action+".create", "user", u.ID, nil, u); err != nil {
		return User{}, err
	}
	return u, nil
}

// updatePerson changes a person's name, roles and school to in (the
// e-mail address is the person's key and does not change).
func updatePerson(ctx context.Context, tx bun.Tx, d Dialect, now time.Time, actor Actor, id int64, in PersonInput, action string) (User, error) {
	in, err := checkPersonInput(in)
	if err != nil {
		return User{}, err
	}
	var before userRow
	if err := lockUser(ctx, tx, d, id, &before); err != nil {
		return User{}, err
	}
	if before.DisabledAt != nil {
		return User{}, &PersonError{Code: "disabled", Message: fmt.Sprintf("%s est désactivé(e)", before.Name)}
	}
	var school *string
	if in.SchoolUAI != "" {
		school = &in.SchoolUAI
	}
	var after userRow
	if err := tx.NewUpdate().Model((*userRow)(nil)).ModelTableExpr("users").
		Set("name = ?", in.Name).Set("role = ?", string(in.Roles[0])).Set("school_uai = ?", school).
		Where("id = ?", id).Returning("*").Scan(ctx, &after); err != nil {
		if errors.Is(translate(err), ErrInvalidReference) {
			return User{}, unknownSchool(in.SchoolUAI)
		}
		return User{}, err
	}
	u := after.user()
	if err := Audit(ctx, tx, now, actor, action+".update", "user", id, before.user(), u); err != nil {
		return User{}, err
	}
	return u, nil
}

// InvitePerson creates a person from the people administration: e-mail,
// name, roles and school. No API token is made: the person signs in by
// e-mail link. Returns a *PersonError for bad input (Invalid), a taken
// e-mail (email_taken, matching ErrConflict) or an unknown school
// (unknown_school, matching ErrInvalidReference).
func (db *DB) InvitePerson(ctx context.Context, actor Actor, in PersonInput) (_ Person, err error) {
	defer wrapf(&err, "InvitePerson(%s)", in.Email)
	now := db.Now()
	var id int64
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		u, err := insertPerson(ctx, tx, now, actor, in, "user")
		id = u.ID
		return err
	})
	if err != nil {
		return Person{}, err
	}
	return db.person(ctx, id)
}

// ChangePerson sets a person's name, roles and school (in.Email is
// ignored: the address is the person's key). Returns ErrNotFound, or a
// *PersonError for bad input, an unknown school or a disabled person.
func (db *DB) ChangePerson(ctx context.Context, actor Actor, id int64, in PersonInput) (_ Person, err error) {
	defer wrapf(&err, "ChangePerson(%d)", id)
	now := db.Now()
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var cur userRow
		if err := tx.NewSelect().Model(&cur).Column("email").Where("id = ?", id).Scan(ctx); err != nil {
			return err
		}
		in.Email = cur.Email
		_, err := updatePerson(ctx, tx, db.dialect, now, actor, id, in, "user")
		return err
	})
	if err != nil {
		return Person{}, err
	}
	return db.person(ctx, id)
}

// person returns one person, disabled or not. Returns ErrNotFound.
func (db *DB) person(ctx context.Context, id int64) (Person, error) {
	var rows []personRow
	if err := selectPeople(db.bun, &rows).Where("u.id = ?", id).Scan(ctx); err != nil {
		return Person{}, err
	}
	if len(rows) == 0 {
		return Person{}, ErrNotFound
	}
	return rows[0].person(), nil
}
