package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// wantActionRoles is the expected table of actions × roles, written out
// here (not read from the store) so that a change to the table fails.
var wantActionRoles = map[store.Action][]store.Role{
	store.ActRead:             store.Roles,
	store.ActSchoolWrite:      {store.RoleCoordinator},
	store.ActPackWrite:        {store.RoleCoordinator, store.RoleIT},
	store.ActMaintenanceWrite: {store.RoleCoordinator, store.RoleIT},
	store.ActRequestCreate:    {store.RoleTeacher},
	store.ActRequestRead:      store.Roles,
	store.ActRequestUpdate:    {store.RoleTeacher},
	store.ActRequestSubmit:    {store.RoleTeacher},
	store.ActRequestAuthorize: {store.RoleDirector, store.RoleCoordinator},
	store.ActRequestRefuse:    {store.RoleDirector, store.RoleCoordinator},
	store.ActRequestOpinion:   {store.RoleInspection, store.RoleIT, store.RoleEducation},
	store.ActRequestDecide:    {store.RoleCoordinator, store.RoleInspection},
	store.ActRequestWithdraw:  {store.RoleTeacher, store.RoleCoordinator},
	store.ActRequestPacks:     {store.RoleCoordinator},
	store.ActTrainingRecord:   {store.RoleIT, store.RoleCoordinator, store.RoleTeacher},
	store.ActSynthesisRead:    {store.RoleCoordinator, store.RoleIT, store.RoleInspection, store.RoleEducation},
	store.ActRoundRead:        {store.RoleCoordinator, store.RoleIT, store.RoleInspection, store.RoleEducation},
	store.ActRoundWrite:       {store.RoleCoordinator},
	store.ActLoanRead:         store.Roles,
	store.ActLoanCreate:       {store.RoleCoordinator},
	store.ActLoanSign:         {store.RoleDirector, store.RoleIT},
	store.ActLoanPickup:       {store.RoleCoordinator, store.RoleIT},
	store.ActLoanReturn:       {store.RoleCoordinator, store.RoleIT},
	store.ActExtensionRequest: {store.RoleTeacher, store.RoleCoordinator},
	store.ActExtensionDecide:  {store.RoleCoordinator},
	store.ActLoanClose:        {store.RoleInspection},
	store.ActLoanCancel:       {store.RoleCoordinator},
	store.ActAssessmentWrite:  {store.RoleTeacher},
	store.ActAssessmentRead:   {store.RoleCoordinator, store.RoleInspection},
	store.ActIncidentRead:     {store.RoleCoordinator, store.RoleIT, store.RoleInspection, store.RoleEducation},
	store.ActIncidentResolve:  {store.RoleCoordinator, store.RoleIT},
	store.ActFeedManage:       {store.RoleCoordinator, store.RoleDirector},
	store.ActReminderManage:   {store.RoleCoordinator},
	store.ActPeopleManage:     {store.RoleCoordinator},

	store.ActPackRead: {store.RoleCoordinator, store.RoleIT, store.RoleInspection, store.RoleEducation},
	store.ActFeedAdmin: {store.RoleCoordinator},
}

func TestActionTable(t *testing.T) {
	t.Parallel()
	got := slices.Clone(store.Actions)
	want := make([]store.Action, 0, len(wantActionRoles))
	for a := range wantActionRoles {
		want = append(want, a)
	}
	slices.Sort(want)
	require.Equal(t, want, got, "every action has a row in the table")

	person := func(roles ...store.Role) store.User {
		u := store.User{ID: 1, Role: roles[0]}
		for _, r := range roles {
			ur := store.UserRole{Role: r}
			if r.ScopedToSchool() {
				ur.SchoolUAI = "0930001A"
			}
			u.Roles = append(u.Roles, ur)
		}
		u.SchoolUAI = u.Roles[0].SchoolUAI
		return u
	}
	type holder struct {
		name  string
		roles []store.Role
	}
	holders := []holder{}
	for _, r := range store.Roles {
		holders = append(holders, holder{string(r), []store.Role{r}})
	}
	holders = append(holders,
		holder{"director+teacher", []store.Role{store.RoleDirector, store.RoleTeacher}},
		holder{"it+education", []store.Role{store.RoleIT, store.RoleEducation}})
	for _, a := range store.Actions {
		for _, h := range holders {
			t.Run(fmt.Sprintf("%s/%s", a, h.name), func(t *testing.T) {
				want := slices.ContainsFunc(h.roles, func(r store.Role) bool { return slices.Contains(wantActionRoles[a], r) })
				u := person(h.roles...)
				assert.Equal(t, want, store.Allowed(u, a), "Allowed")
				assert.Equal(t, want, u.Can(a), "Can")
			})
		}
	}
	assert.False(t, store.Allowed(person(store.RoleCoordinator), store.Action("nope")), "an unknown action is denied")
	assert.False(t, store.Allowed(store.User{}, store.ActRead), "a person without a role may do nothing")
}

func TestDirectorOwnRequest(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		school := storetest.School(t, db, nil)
		other := storetest.School(t, db, nil)
		dirTeacher, _, err := db.CreateUser(ctx, store.Actor{}, store.User{Email: "dir-" + storetest.Unique() + "@example.fr",
			Name: "Directrice qui enseigne", SchoolUAI: school.UAI,
			Roles: []store.UserRole{{Role: store.RoleDirector}, {Role: store.RoleTeacher}}})
		require.NoError(t, err)
		assert.Equal(t, store.RoleDirector, dirTeacher.Role, "the first role is the primary one")
		got, err := db.User(ctx, dirTeacher.ID)
		require.NoError(t, err)
		assert.Equal(t, []store.UserRole{{Role: store.RoleDirector, SchoolUAI: school.UAI}, {Role: store.RoleTeacher, SchoolUAI: school.UAI}}, got.Roles)
		teachers, err := db.ListUsers(ctx, store.RoleTeacher, school.UAI)
		require.NoError(t, err)
		assert.True(t, slices.ContainsFunc(teachers, func(u store.User) bool { return u.ID == dirTeacher.ID }), "listed as a teacher too")

		coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		otherDirector, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: other.UAI})
		q := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: school.UAI, TeacherID: dirTeacher.ID, State: store.RequestSubmitted})

		_, err = db.AuthorizeRequest(ctx, store.Actor{UserID: dirTeacher.ID}, q.ID, q.Version)
		re, ok := store.AsRule(err)
		require.True(t, ok, "a director may not authorise their own request: %v", err)
		assert.Equal(t, store.RuleForbidden, re.Kind)
		assert.Equal(t, "own_request", re.Code)
		_, err = db.RefuseRequest(ctx, store.Actor{UserID: dirTeacher.ID}, q.ID, q.Version, "non")
		require.ErrorAs(t, err, &re, "nor refuse it")
		assert.Equal(t, "own_request", re.Code)
		_, err = db.AuthorizeRequest(ctx, store.Actor{UserID: otherDirector.ID}, q.ID, q.Version)
		assert.ErrorIs(t, err, store.ErrNotFound, "another school's director does not see it")
		unchanged, err := db.Request(ctx, q.ID)
		require.NoError(t, err)
		assert.Equal(t, store.RequestSubmitted, unchanged.State, "refusals change nothing")

		q, err = db.AuthorizeRequest(ctx, store.Actor{UserID: coord.ID}, q.ID, q.Version)
		require.NoError(t, err, "the coordinator authorises the director's own request")
		assert.Equal(t, store.RequestAuthorised, q.State)

		// A teacher's request stays the director's: the coordinator may not
		// authorise it, the director-teacher may.
		plain := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: school.UAI, State: store.RequestSubmitted})
		_, err = db.AuthorizeRequest(ctx, store.Actor{UserID: coord.ID}, plain.ID, plain.Version)
		require.ErrorAs(t, err, &re)
		assert.Equal(t, store.RuleForbidden, re.Kind)
		plain, err = db.AuthorizeRequest(ctx, store.Actor{UserID: dirTeacher.ID}, plain.ID, plain.Version)
		require.NoError(t, err)
		assert.Equal(t, store.RequestAuthorised, plain.State)
	})
}
