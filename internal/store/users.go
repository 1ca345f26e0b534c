package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
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

// User is a person who uses classemobile. A person holds a set of roles
// (Roles); Role and SchoolUAI are the primary one, the role the person was
// created with.
type User struct {
	ID        int64      `json:"id"`
	Email     string     `json:"email"`
	Name      string     `json:"name"`
	Role      Role       `json:"role"`
	SchoolUAI string     `json:"school_uai,omitempty"`
	Roles     []UserRole `json:"roles,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
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
// clear once; only its hash is stored. Returns a *RuleError: email_taken
// (matching ErrConflict) if the e-mail is taken, unknown_school (matching
// ErrInvalidReference) if the school does not exist.
func (db *DB) CreateUser(ctx context.Context, actor Actor, u User) (_ User, token string, err error) {
	defer wrapf(&err, "CreateUser(%s)", u.Email)
	if err := u.checkText(); err != nil {
		return User{}, "", err
	}
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		u, token, err = createUser(ctx, tx, db.Now(), actor, u)
		return err
	})
	return u, token, err
}

type userRoleRow struct {
	bun.BaseModel `bun:"table:user_roles,alias:ur"`

	UserID    int64   `bun:"user_id,notnull"`
	Role      string  `bun:"role,notnull"`
	SchoolUAI *string `bun:"school_uai"`
}

// normalizeRoles returns the roles of a new user, the primary one first:
// Role (or the first of Roles) and every other role of Roles, once each;
// a school-scoped role without a school takes u.SchoolUAI (the schema
// refuses a school on another role).
func normalizeRoles(u User) []UserRole {
	var out []UserRole
	add := func(ur UserRole) {
		if ur.Role.ScopedToSchool() && ur.SchoolUAI == "" {
			ur.SchoolUAI = u.SchoolUAI
		}
		if !slices.Contains(out, ur) {
			out = append(out, ur)
		}
	}
	if u.Role != "" {
		add(UserRole{Role: u.Role, SchoolUAI: u.SchoolUAI})
	}
	for _, ur := range u.Roles {
		add(ur)
	}
	return out
}

func createUser(ctx context.Context, tx bun.Tx, now time.Time, actor Actor, u User) (User, string, error) {
	roles := normalizeRoles(u)
	if len(roles) == 0 {
		return User{}, "", Invalid("role", "invalid_role", "au moins un rôle est obligatoire")
	}
	row := userRow{Email: u.Email, Name: u.Name, Role: string(roles[0].Role), CreatedAt: now}
	if roles[0].SchoolUAI != "" {
		row.SchoolUAI = &roles[0].SchoolUAI
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
	for _, ur := range roles {
		if err := insertUserRole(ctx, tx, row.ID, ur); err != nil {
			return User{}, "", err
		}
	}
	u = row.user()
	u.Roles = roles
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

func insertUserRole(ctx context.Context, tx bun.IDB, userID int64, ur UserRole) error {
	rr := userRoleRow{UserID: userID, Role: string(ur.Role)}
	if ur.SchoolUAI != "" {
		rr.SchoolUAI = &ur.SchoolUAI
	}
	_, err := tx.NewInsert().Model(&rr).Exec(ctx)
	return err
}

// AddUserRole gives a person one more role (a director who also teaches).
// Returns ErrNotFound for an unknown user, ErrConflict if the person
// already holds it and ErrInvalidReference for an unknown school.
func (db *DB) AddUserRole(ctx context.Context, actor Actor, userID int64, ur UserRole) (_ User, err error) {
	defer wrapf(&err, "AddUserRole(%d, %s)", userID, ur.Role)
	if !ur.Role.Valid() {
		return User{}, Invalid("role", "invalid_role", "rôle inconnu « %s »", ur.Role)
	}
	if ur.Role.ScopedToSchool() != (ur.SchoolUAI != "") {
		return User{}, Invalid("school_uai", "invalid_role", "l'école est obligatoire pour les rôles director et teacher, et seulement pour eux")
	}
	var out User
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := getUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := insertUserRole(ctx, tx, userID, ur); err != nil {
			return err
		}
		if out, err = getUser(ctx, tx, userID); err != nil {
			return err
		}
		return Audit(ctx, tx, db.Now(), actor, "user.role_add", "user", userID, before, out)
	})
	return out, err
}

// withRoles attaches to each user the roles they hold.
func withRoles(ctx context.Context, idb bun.IDB, users []User) error {
	if len(users) == 0 {
		return nil
	}
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	var rows []userRoleRow
	if err := idb.NewSelect().Model(&rows).Where("user_id IN (?)", bun.List(ids)).
		OrderExpr("user_id, role, school_uai").Scan(ctx); err != nil {
		return err
	}
	of := map[int64][]UserRole{}
	for _, r := range rows {
		ur := UserRole{Role: Role(r.Role)}
		if r.SchoolUAI != nil {
			ur.SchoolUAI = *r.SchoolUAI
		}
		of[r.UserID] = append(of[r.UserID], ur)
	}
	for i := range users {
		u := &users[i]
		roles := of[u.ID]
		// The primary role first.
		primary := UserRole{Role: u.Role, SchoolUAI: u.SchoolUAI}
		if j := slices.Index(roles, primary); j > 0 {
			roles[0], roles[j] = roles[j], roles[0]
		}
		u.Roles = roles
	}
	return nil
}

func getUser(ctx context.Context, idb bun.IDB, id int64) (User, error) {
	var row userRow
	if err := idb.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return User{}, err
	}
	us := []User{row.user()}
	if err := withRoles(ctx, idb, us); err != nil {
		return User{}, err
	}
	return us[0], nil
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
	us := []User{row.user()}
	if err := withRoles(ctx, db.bun, us); err != nil {
		return User{}, err
	}
	return us[0], nil
}

// User returns one user. Returns ErrNotFound.
func (db *DB) User(ctx context.Context, id int64) (_ User, err error) {
	defer wrapf(&err, "User(%d)", id)
	return getUser(ctx, db.bun, id)
}

// ListUsers returns the users holding a role, optionally in one school
// (empty strings mean any), by id.
func (db *DB) ListUsers(ctx context.Context, role Role, schoolUAI string) (_ []User, err error) {
	defer wrapf(&err, "ListUsers")
	var rows []userRow
	q := db.bun.NewSelect().Model(&rows).Where("disabled_at IS NULL").OrderExpr("id")
	if role != "" || schoolUAI != "" {
		sub := db.bun.NewSelect().Table("user_roles").ColumnExpr("1").Where("user_roles.user_id = u.id")
		if role != "" {
			sub = sub.Where("user_roles.role = ?", string(role))
		}
		if schoolUAI != "" {
			sub = sub.Where("user_roles.school_uai = ?", schoolUAI)
		}
		q = q.Where("EXISTS (?)", sub)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]User, len(rows))
	for i, r := range rows {
		out[i] = r.user()
	}
	if err := withRoles(ctx, db.bun, out); err != nil {
		return nil, err
	}
	return out, nil
}
