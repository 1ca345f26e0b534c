package store

import (
	"context"
	"regexp"
	"strings"

	"github.com/uptrace/bun"
)

// schoolFeedOnly reports whether the person manages feeds only as a
// director: then only their school's feed.
func (u User) schoolFeedOnly() bool {
	return u.HasRole(RoleDirector) && !u.HasRole(RoleCoordinator)
}

// directorSchool returns the school the person directs ("" when none).
func (u User) directorSchool() string {
	for _, ur := range u.roleSet() {
		if ur.Role == RoleDirector {
			return ur.SchoolUAI
		}
	}
	return ""
}

// FeedDefaults fills in what a director may leave out of a feed target:
// the scope is their school's feed, the school theirs. Other people get
// scope and school back unchanged.
func FeedDefaults(u User, scope, school string) (string, string) {
	if !u.schoolFeedOnly() {
		return scope, school
	}
	if scope == "" {
		scope = string(FeedSchool)
	}
	if school == "" && scope == string(FeedSchool) {
		school = u.directorSchool()
	}
	return scope, school
}

// CheckFeedTarget checks that the person may manage the feed: a director
// only their own school's (another scope is forbidden, another school is
// not found, like every other school resource); the pack and all-loans
// feeds are the coordinator's.
func CheckFeedTarget(u User, t FeedTarget) error {
	if !u.Can(ActFeedManage) {
		return errRoleForbidden()
	}
	if !u.schoolFeedOnly() {
		return nil
	}
	if t.Scope != FeedSchool {
		return Forbidden("forbidden", "Un directeur ou une directrice ne gère que le flux de son école.")
	}
	if !u.HasRoleAt(RoleDirector, t.SchoolUAI) {
		return errHidden()
	}
	return nil
}

// ListFeedsFor returns the active feeds the person manages: a director's
// school's, or all of them.
func (db *DB) ListFeedsFor(ctx context.Context, u User) ([]Feed, error) {
	school := ""
	if !u.SeesAllSchools() {
		school = u.directorSchool()
		if school == "" {
			return []Feed{}, nil
		}
	}
	return db.ListFeeds(ctx, school)
}

// uaiPattern is the form of a UAI code: seven digits and a letter.
var uaiPattern = regexp.MustCompile(`^[0-9]{7}[A-Z]$`)

// ValidUAI reports whether s has the form of a UAI code (0931234A).
func ValidUAI(s string) bool { return uaiPattern.MatchString(s) }

// FeedInput is what a person sends to create, rotate or revoke a feed:
// a scope (school, pack or all) and the school or pack it names.
type FeedInput struct {
	Scope  string
	School string
	Pack   string
}

// normalized trims the input and upper-cases the school code.
func (in FeedInput) normalized() FeedInput {
	return FeedInput{Scope: strings.TrimSpace(in.Scope), School: strings.ToUpper(strings.TrimSpace(in.School)),
		Pack: strings.TrimSpace(in.Pack)}
}

// Validate checks the scope and that the school or pack given fit it: a
// school feed names a UAI code and no pack, a pack feed a pack code and no
// school, the all-loans feed neither.
func (in FeedInput) Validate() error {
	in = in.normalized()
	f := FieldErrors{}
	CheckText(f, "school", in.School, 20)
	CheckText(f, "pack", in.Pack, 40)
	switch FeedScope(in.Scope) {
	case FeedSchool:
		if !ValidUAI(in.School) {
			f.Add("school", "code UAI de l'école attendu (7 chiffres et une lettre)")
		}
		if in.Pack != "" {
			f.Add("pack", "pas de pack pour un flux d'école")
		}
	case FeedPack:
		if in.Pack == "" {
			f.Add("pack", "code du pack attendu")
		}
		if in.School != "" {
			f.Add("school", "pas d'école pour un flux de pack")
		}
	case FeedAll:
		if in.School != "" || in.Pack != "" {
			f.Add("scope", "le flux de tous les prêts ne prend ni école ni pack")
		}
	default:
		f.Add("scope", "portée attendue : school, pack ou all")
	}
	return f.Err()
}

// Target returns the feed target the person means: a director's defaults
// filled in (FeedDefaults), the input validated, and the person's right to
// manage that feed checked (CheckFeedTarget).
func (in FeedInput) Target(u User) (FeedTarget, error) {
	in = in.normalized()
	in.Scope, in.School = FeedDefaults(u, in.Scope, in.School)
	if err := in.Validate(); err != nil {
		return FeedTarget{}, err
	}
	t := FeedTarget{Scope: FeedScope(in.Scope)}
	switch t.Scope {
	case FeedSchool:
		t.SchoolUAI = in.School
	case FeedPack:
		t.PackCode = in.Pack
	}
	return t, CheckFeedTarget(u, t)
}

// MaxFeedNameLen bounds the name of a calendar link.
const MaxFeedNameLen = 80

// Validate checks a feed target before any data is read: a known scope, a
// UAI code for a school feed, a pack for a pack feed, and a name only for
// a school's link, of at most MaxFeedNameLen characters of printable text.
// It returns a *RuleError (validation_failed) naming every field at fault.
func (t FeedTarget) Validate() error {
	f := FieldErrors{}
	CheckText(f, "name", t.Name, MaxFeedNameLen)
	for _, r := range t.Name {
		if r < 0x20 || r == 0x7f {
			f.Add("name", "caractère de contrôle interdit dans le nom")
			break
		}
	}
	switch t.Scope {
	case FeedSchool:
		if !ValidUAI(t.SchoolUAI) {
			f.Add("school", "code UAI de l'école attendu (7 chiffres et une lettre)")
		}
	case FeedPack:
		if t.PackID <= 0 && strings.TrimSpace(t.PackCode) == "" {
			f.Add("pack", "code du pack attendu")
		}
		if t.Name != "" {
			f.Add("name", "seuls les liens d'une école portent un nom")
		}
	case FeedAll:
		if t.Name != "" {
			f.Add("name", "seuls les liens d'une école portent un nom")
		}
	default:
		f.Add("scope", "portée attendue : school, pack ou all")
	}
	return f.Err()
}

// SchoolFeedsFor returns the active calendar links of a school the person
// manages (its director, or the coordinator), by creation.
func (db *DB) SchoolFeedsFor(ctx context.Context, u User, schoolUAI string) ([]Feed, error) {
	if err := CheckFeedTarget(u, FeedTarget{Scope: FeedSchool, SchoolUAI: schoolUAI}); err != nil {
		return nil, err
	}
	fs, err := db.ListFeeds(ctx, schoolUAI)
	if err != nil {
		return nil, err
	}
	out := make([]Feed, 0, len(fs))
	for _, f := range fs {
		if f.Scope == FeedSchool {
			out = append(out, f)
		}
	}
	return out, nil
}

// RevokeFeedByID ends one calendar link, leaving the target's other links
// alone. The person must manage it (CheckFeedTarget): another school's
// link is not found. Returns a *RuleError no_active_feed (matching
// ErrNotFound) when the link is already ended or does not exist.
func (db *DB) RevokeFeedByID(ctx context.Context, u User, id int64) (_ Feed, err error) {
	defer wrapf(&err, "RevokeFeedByID(%d)", id)
	f, err := db.Feed(ctx, id)
	if err != nil {
		return Feed{}, err
	}
	if err := CheckFeedTarget(u, f.FeedTarget); err != nil {
		return Feed{}, err
	}
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := db.Now()
		res, err := tx.NewUpdate().Model((*feedTokenRow)(nil)).
			Set("revoked_at = ?", now).Set("revoked_reason = ?", FeedRevoked).
			Where("id = ?", id).Where("revoked_at IS NULL").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return noActiveFeed(f.FeedTarget, "")
		}
		before := f
		f.RevokedAt, f.RevokedReason = &now, FeedRevoked
		return Audit(ctx, tx, now, Actor{UserID: u.ID}, "feed.revoke", "feed", id, before, f)
	})
	return f, err
}
