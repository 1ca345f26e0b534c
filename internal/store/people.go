package store

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Refusals of changes to people are *RuleError with these codes:
// invalid_email, invalid_name, no_role, unknown_role, school_required,
// school_not_allowed, unknown_school (RuleInvalid, on the field at fault:
// email, name, roles, school_uai); email_taken and disabled
// (RuleConflict).

func personInvalid(field, code, format string, args ...any) *RuleError {
	return Invalid(field, code, format, args...)
}

// NormalizeEmail returns an e-mail address as the store keeps it: trimmed
// and in lower case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CheckEmail returns a *RuleError (invalid_email) unless s, normalized,
// is a bare e-mail address ("nom@domaine.fr", no display name).
func CheckEmail(s string) error {
	e := NormalizeEmail(s)
	addr, err := mail.ParseAddress(e)
	if e == "" || err != nil || addr.Address != e || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		shown := strings.TrimSpace(s)
		if shown == "" {
			return personInvalid("email", "invalid_email", "adresse e-mail manquante")
		}
		return personInvalid("email", "invalid_email", "« %s » n'est pas une adresse e-mail valide", shown)
	}
	return nil
}

func emailTaken(email string) *RuleError {
	msg := fmt.Sprintf("l'adresse e-mail %s est déjà celle d'une autre personne", email)
	return &RuleError{Kind: RuleConflict, Code: "email_taken", Message: msg, Field: "email",
		Fields: []string{"email"}, FieldMessages: map[string]string{"email": msg}}
}

// unknownSchool is the refusal of a school that does not exist; it also
// matches ErrInvalidReference.
func unknownSchool(uai string) *RuleError {
	e := personInvalid("school_uai", "unknown_school", "aucune école n'a le code UAI %s", uai)
	e.Err = ErrInvalidReference
	return e
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
	if f.Role != "" || f.SchoolUAI != "" {
		sub := db.bun.NewSelect().Table("user_roles").ColumnExpr("1").Where("user_roles.user_id = u.id")
		if f.Role != "" {
			sub = sub.Where("user_roles.role = ?", string(f.Role))
		}
		if f.SchoolUAI != "" {
			sub = sub.Where("user_roles.school_uai = ?", f.SchoolUAI)
		}
		q = q.Where("EXISTS (?)", sub)
	}
	if f.Email != "" {
		q = q.Where("u.email = ?", NormalizeEmail(f.Email))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	return peopleWithRoles(ctx, db.bun, rows)
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
	return peopleOf(ctx, db.bun, rows[:1])
}

// peopleOf returns the first person of rows, with their roles.
func peopleOf(ctx context.Context, idb bun.IDB, rows []personRow) (Person, error) {
	ps, err := peopleWithRoles(ctx, idb, rows)
	if err != nil {
		return Person{}, err
	}
	return ps[0], nil
}

// peopleWithRoles maps rows to people with the roles they hold.
func peopleWithRoles(ctx context.Context, idb bun.IDB, rows []personRow) ([]Person, error) {
	users := make([]User, len(rows))
	for i, r := range rows {
		users[i] = r.user()
	}
	for start := 0; start < len(users); start += 1000 {
		if err := withRoles(ctx, idb, users[start:min(start+1000, len(users))]); err != nil {
			return nil, err
		}
	}
	out := make([]Person, len(rows))
	for i, r := range rows {
		out[i] = r.person()
		out[i].User = users[i]
	}
	return out, nil
}

// IssueToken revokes every active API token of a person and returns a new
// one, in clear, once (only its hash is stored). Returns ErrNotFound for an
// unknown person and a *RuleError (disabled) for a disabled one.
func (db *DB) IssueToken(ctx context.Context, actor Actor, userID int64) (token string, err error) {
	defer wrapf(&err, "IssueToken(%d)", userID)
	now := db.Now()
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var u userRow
		if err := lockUser(ctx, tx, db.dialect, userID, &u); err != nil {
			return err
		}
		if u.DisabledAt != nil {
			return Conflicting("disabled", "%s est désactivé(e) : pas de nouveau jeton", u.Name)
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

// EnableUser enables a disabled person again: they may ask for a sign-in
// link and get e-mail again (their revoked API tokens stay revoked).
// Enabling an active person changes nothing. Returns ErrNotFound.
func (db *DB) EnableUser(ctx context.Context, actor Actor, userID int64) (_ Person, err error) {
	defer wrapf(&err, "EnableUser(%d)", userID)
	now := db.Now()
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var u userRow
		if err := lockUser(ctx, tx, db.dialect, userID, &u); err != nil {
			return err
		}
		if u.DisabledAt == nil {
			return nil
		}
		if _, err := tx.NewUpdate().Model((*userRow)(nil)).ModelTableExpr("users").Set("disabled_at = NULL").
			Where("id = ?", userID).Exec(ctx); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, "user.enable", "user", userID,
			map[string]any{"disabled_at": u.DisabledAt}, map[string]any{"disabled_at": nil})
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

// personRoles returns the set of a person's roles, in the order of Roles,
// and the school of their school roles.
func personRoles(u User) ([]Role, string) {
	var roles []Role
	school := ""
	for _, ur := range u.roleSet() {
		if !slices.Contains(roles, ur.Role) {
			roles = append(roles, ur.Role)
		}
		if ur.SchoolUAI != "" && school == "" {
			school = ur.SchoolUAI
		}
	}
	slices.SortFunc(roles, func(a, b Role) int { return slices.Index(Roles, a) - slices.Index(Roles, b) })
	return roles, school
}

// checkPersonInput normalizes in and returns its first problem.
func checkPersonInput(in PersonInput) (PersonInput, error) {
	in = in.Normalize()
	if ps := in.Check(); len(ps) > 0 {
		return in, ps[0]
	}
	return in, nil
}

// userRoles returns the roles of in as the store keeps them: the school on
// the school roles only; the first is the primary one.
func (in PersonInput) userRoles() []UserRole {
	out := make([]UserRole, len(in.Roles))
	for i, r := range in.Roles {
		out[i] = UserRole{Role: r}
		if r.ScopedToSchool() {
			out[i].SchoolUAI = in.SchoolUAI
		}
	}
	return out
}

// writeRoles replaces the roles of a person by roles.
func writeRoles(ctx context.Context, tx bun.Tx, userID int64, roles []UserRole) error {
	if _, err := tx.NewDelete().Model((*userRoleRow)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return err
	}
	for _, ur := range roles {
		if err := insertUserRole(ctx, tx, userID, ur); err != nil {
			return err
		}
	}
	return nil
}

// insertPerson creates a person without an API token (people sign in by
// e-mail link; a token is issued on demand). action names the audit event.
func insertPerson(ctx context.Context, tx bun.Tx, now time.Time, actor Actor, in PersonInput, action string) (User, error) {
	in, err := checkPersonInput(in)
	if err != nil {
		return User{}, err
	}
	roles := in.userRoles()
	row := userRow{Email: in.Email, Name: in.Name, Role: string(roles[0].Role), CreatedAt: now}
	if roles[0].SchoolUAI != "" {
		row.SchoolUAI = &roles[0].SchoolUAI
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
	if err := writeRoles(ctx, tx, row.ID, roles); err != nil {
		return User{}, err
	}
	u := row.user()
	u.Roles = roles
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
		return User{}, Conflicting("disabled", "%s est désactivé(e)", before.Name)
	}
	old, err := getUser(ctx, tx, id)
	if err != nil {
		return User{}, err
	}
	roles := in.userRoles()
	var school *string
	if roles[0].SchoolUAI != "" {
		school = &roles[0].SchoolUAI
	}
	if _, err := tx.NewUpdate().Model((*userRow)(nil)).ModelTableExpr("users").
		Set("name = ?", in.Name).Set("role = ?", string(roles[0].Role)).Set("school_uai = ?", school).
		Where("id = ?", id).Exec(ctx); err != nil {
		if errors.Is(translate(err), ErrInvalidReference) {
			return User{}, unknownSchool(in.SchoolUAI)
		}
		return User{}, err
	}
	if err := writeRoles(ctx, tx, id, roles); err != nil {
		if errors.Is(translate(err), ErrInvalidReference) {
			return User{}, unknownSchool(in.SchoolUAI)
		}
		return User{}, err
	}
	u, err := getUser(ctx, tx, id)
	if err != nil {
		return User{}, err
	}
	if err := Audit(ctx, tx, now, actor, action+".update", "user", id, old, u); err != nil {
		return User{}, err
	}
	return u, nil
}

// InvitePerson creates a person from the people administration: e-mail,
// name, roles and school. No API token is made: the person signs in by
// e-mail link. Returns a *RuleError for bad input (RuleInvalid, with the
// field), a taken e-mail (email_taken, RuleConflict) or an unknown school
// (unknown_school).
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
// *RuleError for bad input, an unknown school or a disabled person.
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
	return peopleOf(ctx, db.bun, rows[:1])
}

// Person returns one person, disabled or not, by id. Returns ErrNotFound.
func (db *DB) Person(ctx context.Context, id int64) (_ Person, err error) {
	defer wrapf(&err, "Person(%d)", id)
	return db.person(ctx, id)
}
