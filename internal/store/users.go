package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// Role is what a user may do. Directors and teachers belong to a school.
type Role string

// The roles.
const (
	RoleCoordinator Role = "coordinator"
	RoleIT          Role = "it"
	RoleInspection  Role = "inspection"
	RoleEducation   Role = "education"
	RoleDirector    Role = "director"
	RoleTeacher     Role = "teacher"
)

// Roles lists every role, in a stable order.
var Roles = []Role{RoleCoordinator, RoleIT, RoleInspection, RoleEducation, RoleDirector, RoleTeacher}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// ScopedToSchool reports whether users of this role belong to one school.
func (r Role) ScopedToSchool() bool { return r == RoleDirector || r == RoleTeacher }

// User is a person who uses classemobile.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	SchoolUAI string    `json:"school_uai,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

type userRow struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID         int64      `bun:"id,pk,autoincrement"`
	Email      string     `bun:"email,notnull"`
	Name       string     `bun:"name,notnull"`
	Role       string     `bun:"role,notnull"`
	SchoolUAI  *string    `bun:"school_uai"`
	CreatedAt  time.Time  `bun:"created_at,notnull"`
	DisabledAt *time.Time `bun:"disabled_at"`
}

func (r userRow) user() User {
	u := User{ID: r.ID, Email: r.Email, Name: r.Name, Role: Role(r.Role), CreatedAt: r.CreatedAt.UTC()}
	if r.SchoolUAI != nil {
		u.SchoolUAI = *r.SchoolUAI
	}
	return u
}

type tokenRow struct {
	bun.BaseModel `bun:"table:api_tokens"`

	ID        int64      `bun:"id,pk,autoincrement"`
	UserID    int64      `bun:"user_id,notnull"`
	TokenHash string     `bun:"token_hash,notnull"`
	Label     string     `bun:"label,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	RevokedAt *time.Time `bun:"revoked_at"`
}

// NewSecret returns a random token of 256 bits, URL-safe, with a prefix
// that says what it is.
func NewSecret(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b) // never returns an error (crypto/rand, Go 1.24+)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret returns the hex SHA-256 of a token: what the database keeps.
// Tokens are 256 random bits, so a fast hash is enough (no dictionary to
// attack) and lets the lookup be an index seek.
func HashSecret(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateUser inserts a user and a first API token for it, returned in
// clear once; only its hash is stored. Returns a *PersonError: email_taken
// (matching ErrConflict) if the e-mail is taken, unknown_school (matching
// ErrInvalidReference) if the school does not exist.
func (db *DB) CreateUser(ctx context.Context, actor Actor, u User) (_ User, token string, err error) {
	defer wrapf(&err, "CreateUser(%s)", u.Email)
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		u, token, err = createUser(ctx, tx, db.Now(), actor, u)
		return err
	})
	return u, token, err
}

func createUser(ctx context.Context, tx bun.Tx, now time.Time, actor Actor, u User) (User, string, error) {
	row := userRow{Email: u.Email, Name: u.Name, Role: string(u.Role), CreatedAt: now}
	if u.SchoolUAI != "" {
		row.SchoolUAI = &u.SchoolUAI
	}
	if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		switch {
		case isUniqueEmail(err):
			return User{}, "", emailTaken(u.Email)
		case errors.Is(translate(err), ErrInvalidReference):
			return User{}, "", unknownSchool(u.SchoolUAI)
		}
		return User{}, "", err
	}
	u = row.user()
	token := NewSecret("cm_")
	tok := tokenRow{UserID: u.ID, TokenHash: HashSecret(token), Label: "initial", CreatedAt: now}
	if _, err := tx.NewInsert().Model(&tok).Exec(ctx); err != nil {
		return User{}, "", err
	}
	if err := Audit(ctx, tx, now, actor, "user.create", "user", u.ID, nil, u); err != nil {
		return User{}, "", err
	}
	return u, token, nil
}

// UserByToken returns the active user owning an active API token. Returns
// ErrNotFound for an unknown, revoked or disabled token.
func (db *DB) UserByToken(ctx context.Context, token string) (_ User, err error) {
	defer wrapf(&err, "UserByToken")
	var row userRow
	if err := db.bun.NewSelect().Model(&row).
		Join("JOIN api_tokens AS t ON t.user_id = u.id").
		Where("t.token_hash = ?", HashSecret(token)).
		Where("t.revoked_at IS NULL").Where("u.disabled_at IS NULL").
		Scan(ctx); err != nil {
		return User{}, err
	}
	return row.user(), nil
}

// User returns one user. Returns ErrNotFound.
func (db *DB) User(ctx context.Context, id int64) (_ User, err error) {
	defer wrapf(&err, "User(%d)", id)
	var row userRow
	if err := db.bun.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return User{}, err
	}
	return row.user(), nil
}

// ListUsers returns the users, optionally of one role and one school
// (empty strings mean any), by id.
func (db *DB) ListUsers(ctx context.Context, role Role, schoolUAI string) (_ []User, err error) {
	defer wrapf(&err, "ListUsers")
	var rows []userRow
	q := db.bun.NewSelect().Model(&rows).Where("disabled_at IS NULL").OrderExpr("id")
	if role != "" {
		q = q.Where("role = ?", string(role))
	}
	if schoolUAI != "" {
		q = q.Where("school_uai = ?", schoolUAI)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]User, len(rows))
	for i, r := range rows {
		out[i] = r.user()
	}
	return out, nil
}
