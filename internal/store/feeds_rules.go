package store

import "context"

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
