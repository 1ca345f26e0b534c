package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/feed"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestFeedAPI(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := newFeedBundle(t, db, feed.Options{})
		school := feedSchool(t, db)
		otherSchool := storetest.School(t, db, nil)
		pack := storetest.Pack(t, db, nil)
		_, coord := storetest.User(t, db, nil)
		_, director := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: school.UAI})
		_, teacher := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: school.UAI})
		ts := b.ts
		path := func(r apiResponse) string {
			u, _ := r.JSON["url"].(string)
			return strings.TrimPrefix(u, feedBaseURL)
		}

		r := call(t, ts, "POST", "/api/v1/feeds", coord, map[string]any{"scope": "school", "school": school.UAI})
		require.Equal(t, http.StatusCreated, r.Status, "create: %s", r.Body)
		first := path(r)
		assert.Regexp(t, `^/ics/[A-Za-z0-9_-]{43}\.ics$`, first, "https URL built on the base URL")
		assert.Equal(t, "webcal://classemobile.epinay-sur-seine.fr"+first, r.JSON["webcal_url"])
		res, _ := b.get(t, http.MethodGet, first)
		assert.Equal(t, http.StatusOK, res.StatusCode, "the new URL works")

		r = call(t, ts, "POST", "/api/v1/feeds", coord, map[string]any{"scope": "school", "school": school.UAI})
		assert.Equal(t, http.StatusConflict, r.Status, "second create")
		assert.Equal(t, "feed_exists", r.ErrorCode())

		r = call(t, ts, "POST", "/api/v1/feeds", director, map[string]any{"rotate": true})
		require.Equal(t, http.StatusOK, r.Status, "director rotates their school's feed: %s", r.Body)
		second := path(r)
		assert.NotEqual(t, first, second)
		res, body := b.get(t, http.MethodGet, first)
		assert.Equal(t, http.StatusNotFound, res.StatusCode, "the rotated URL dies at once")
		assert.Empty(t, body)
		res, _ = b.get(t, http.MethodGet, second)
		assert.Equal(t, http.StatusOK, res.StatusCode, "the new URL works")

		r = call(t, ts, "GET", "/api/v1/feeds", director, nil)
		require.Equal(t, http.StatusOK, r.Status)
		assert.Len(t, r.JSON["feeds"], 1, "director sees their school's feed")
		assert.NotContains(t, string(r.Body), strings.TrimSuffix(strings.TrimPrefix(second, "/ics/"), ".ics"), "listing never shows a token")

		for _, c := range []struct {
			name       string
			token      string
			method     string
			path       string
			body       any
			wantStatus int
		}{
			{name: "director, other school", token: director, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "school", "school": otherSchool.UAI}, wantStatus: http.StatusNotFound},
			{name: "director, pack feed", token: director, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "pack", "pack": pack.Code}, wantStatus: http.StatusForbidden},
			{name: "director, coordinator feed", token: director, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "all"}, wantStatus: http.StatusForbidden},
			{name: "teacher", token: teacher, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "school", "school": school.UAI}, wantStatus: http.StatusForbidden},
			{name: "no token", method: "POST", path: "/api/v1/feeds", body: map[string]any{"scope": "all"}, wantStatus: http.StatusUnauthorized},
			{name: "unknown scope", token: coord, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "city"}, wantStatus: http.StatusUnprocessableEntity},
			{name: "unknown school", token: coord, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "school", "school": "0999999Z"}, wantStatus: http.StatusUnprocessableEntity},
			{name: "unknown pack", token: coord, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "pack", "pack": "NOPE"}, wantStatus: http.StatusUnprocessableEntity},
			{name: "rotate without feed", token: coord, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "all", "rotate": true}, wantStatus: http.StatusNotFound},
			{name: "director revokes other school", token: director, method: "DELETE",
				path: "/api/v1/feeds?scope=school&school=" + otherSchool.UAI, wantStatus: http.StatusNotFound},
			{name: "revoke missing feed", token: coord, method: "DELETE", path: "/api/v1/feeds?scope=all", wantStatus: http.StatusNotFound},
		} {
			r := call(t, ts, c.method, c.path, c.token, c.body)
			assert.Equal(t, c.wantStatus, r.Status, "%s: %s", c.name, r.Body)
		}

		r = call(t, ts, "POST", "/api/v1/feeds", coord, map[string]any{"scope": "pack", "pack": pack.Code})
		require.Equal(t, http.StatusCreated, r.Status, "pack feed: %s", r.Body)
		packPath := path(r)
		r = call(t, ts, "DELETE", "/api/v1/feeds?scope=pack&pack="+pack.Code, coord, nil)
		require.Equal(t, http.StatusOK, r.Status, "revoke: %s", r.Body)
		res, body = b.get(t, http.MethodGet, packPath)
		assert.Equal(t, http.StatusNotFound, res.StatusCode, "a revoked URL is a 404")
		assert.Empty(t, body, "with no detail")

		r = call(t, ts, "DELETE", "/api/v1/feeds", director, nil)
		require.Equal(t, http.StatusOK, r.Status, "director revokes their school's feed: %s", r.Body)
		res, _ = b.get(t, http.MethodGet, second)
		assert.Equal(t, http.StatusNotFound, res.StatusCode, "revoked by the director")
	})
}
