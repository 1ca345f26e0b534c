package web_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// A director who also teaches files a request for their class: they may
// not authorise it themselves, the coordinator does.
func TestDirectorOwnRequestAPI(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		c := newRequestCast(t, db)
		_, token, err := db.CreateUser(context.Background(), store.Actor{}, store.User{Email: "dir-" + storetest.Unique() + "@example.fr",
			Name: "Directeur enseignant", SchoolUAI: c.school.UAI,
			Roles: []store.UserRole{{Role: store.RoleDirector}, {Role: store.RoleTeacher}}})
		require.NoError(t, err)

		me := call(t, ts, "GET", "/api/v1/me", token, nil)
		require.Equal(t, http.StatusOK, me.Status)
		assert.Equal(t, "director", me.JSON["role"], "the primary role stays")
		assert.Len(t, me.JSON["roles"], 2, "and the roles are listed")

		res := call(t, ts, "POST", "/api/v1/requests", token, validBody())
		require.Equal(t, http.StatusCreated, res.Status, "a director who teaches files a request: %s", res.Body)
		id := int64(res.JSON["id"].(float64))
		base := fmt.Sprintf("/api/v1/requests/%d", id)
		require.Equal(t, http.StatusOK, call(t, ts, "POST", base+"/submit", token, nil).Status)

		res = call(t, ts, "POST", base+"/authorize", token, nil)
		assert.Equal(t, http.StatusForbidden, res.Status)
		assert.Equal(t, "own_request", res.ErrorCode())
		res = call(t, ts, "POST", base+"/authorize", c.tokens[store.RoleDirector], nil)
		assert.Equal(t, http.StatusOK, res.Status, "another director of the school may: %s", res.Body)
		assert.Equal(t, "authorised", res.JSON["state"])
	})
}

func TestCoordinatorAuthorisesDirectorRequestAPI(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		c := newRequestCast(t, db)
		dir, token, err := db.CreateUser(context.Background(), store.Actor{}, store.User{Email: "dir-" + storetest.Unique() + "@example.fr",
			Name: "Directrice enseignante", SchoolUAI: c.school.UAI,
			Roles: []store.UserRole{{Role: store.RoleDirector}, {Role: store.RoleTeacher}}})
		require.NoError(t, err)
		q := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: c.school.UAI, TeacherID: dir.ID, State: store.RequestSubmitted})
		base := fmt.Sprintf("/api/v1/requests/%d", q.ID)

		res := call(t, ts, "POST", base+"/authorize", token, nil)
		assert.Equal(t, http.StatusForbidden, res.Status)
		res = call(t, ts, "POST", base+"/authorize", c.tokens[store.RoleCoordinator], nil)
		require.Equal(t, http.StatusOK, res.Status, "the coordinator authorises it: %s", res.Body)
		assert.Equal(t, "authorised", res.JSON["state"])

		plain := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: c.school.UAI, TeacherID: c.teacher.ID, State: store.RequestSubmitted})
		res = call(t, ts, "POST", fmt.Sprintf("/api/v1/requests/%d/authorize", plain.ID), c.tokens[store.RoleCoordinator], nil)
		assert.Equal(t, http.StatusForbidden, res.Status, "a teacher's request stays the director's")
		assert.Equal(t, "forbidden", res.ErrorCode())
	})
}
