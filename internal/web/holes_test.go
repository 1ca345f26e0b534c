package web_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestPathValuesValidated sends NUL bytes, control characters, invalid
// UTF-8 and overlong values in every path value of the API: each is a 404,
// never a 500, on both dialects.
func TestPathValuesValidated(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		_, coord := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		school := storetest.School(t, db, nil)
		_, director := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: school.UAI})
		routes := []struct{ method, path string }{
			{"GET", "/api/v1/schools/%s"}, {"PUT", "/api/v1/schools/%s"},
			{"GET", "/api/v1/packs/%s"}, {"PUT", "/api/v1/packs/%s"},
			{"GET", "/api/v1/packs/%s/maintenance"}, {"POST", "/api/v1/packs/%s/maintenance"},
			{"DELETE", "/api/v1/packs/1/maintenance/%s"},
			{"GET", "/api/v1/calendar/%s"},
			{"GET", "/api/v1/requests/%s"}, {"PATCH", "/api/v1/requests/%s"}, {"POST", "/api/v1/requests/%s/submit"},
			{"POST", "/api/v1/requests/%s/decision"},
			{"GET", "/api/v1/rounds/%s"}, {"POST", "/api/v1/rounds/%s/publish"},
			{"GET", "/api/v1/loans/%s"}, {"POST", "/api/v1/loans/%s/cancel"},
			{"GET", "/loans/%s/convention"}, {"GET", "/api/v1/loans/%s/inventaire"},
			{"POST", "/api/v1/incidents/%s/resolve"}, {"POST", "/api/v1/reminders/%s/retry"},
		}
		values := []string{"%00", "0930001A%00", "%0A", "%1B", "%C3%28", "%FF", strings.Repeat("9", 300)}
		for _, tok := range []string{coord, director} {
			for _, rt := range routes {
				for _, v := range values {
					path := fmt.Sprintf(rt.path, v)
					res := call(t, ts, rt.method, path, tok, nil)
					assert.True(t, res.Status >= 400 && res.Status < 500, "%s %s: status %d", rt.method, path, res.Status)
					if res.Status == http.StatusNotFound && strings.Contains(v, "%") {
						assert.Equal(t, "not_found", res.ErrorCode(), "%s %s", rt.method, path)
					}
				}
			}
		}
		// The feeds' path is checked by the feed handler itself.
		for _, v := range values {
			assert.Equal(t, http.StatusNotFound, call(t, ts, "GET", "/ics/"+v+".ics", "", nil).Status, "feed %s", v)
		}
	})
}

// TestTrailingBytesAfterJSON sends bodies with bytes after the JSON value:
// only whitespace may follow it, on every route that reads a body.
func TestTrailingBytesAfterJSON(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		_, coord := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		body := `{"uai": "0930001A", "name": "École Anatole France", "kind": "elementaire", "city": "Épinay-sur-Seine"}`
		for _, tail := range []string{"]garbage", "}", "]", "{}", " x", `"x"`, "\x00"} {
			res := call(t, ts, "POST", "/api/v1/schools", coord, body+tail)
			assert.Contains(t, []int{400, 422}, res.Status, "tail %q: %s", tail, res.Body)
		}
		assert.Equal(t, http.StatusNotFound, call(t, ts, "GET", "/api/v1/schools/0930001A", coord, nil).Status, "nothing written")
		res := call(t, ts, "POST", "/api/v1/schools", coord, body+" \r\n\t ")
		assert.Equal(t, http.StatusCreated, res.Status, "trailing whitespace is fine: %s", res.Body)

		// An action whose body is optional: same rule.
		res = call(t, ts, "POST", "/api/v1/loans/1/cancel", coord, `{"reason": "x"}]`)
		assert.Contains(t, []int{400, 404}, res.Status)
		res = call(t, ts, "POST", "/api/v1/requests/1/withdraw", coord, `{}]`)
		assert.Contains(t, []int{400, 404}, res.Status)
	})
}

// TestBearerSchemeCaseInsensitive: RFC 7235 makes the scheme name
// case-insensitive.
func TestBearerSchemeCaseInsensitive(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	ts := newTestServer(t, db)
	_, token := storetest.User(t, db, nil)
	for _, tt := range []struct {
		give string
		want int
	}{
		{"Bearer " + token, 200}, {"bearer " + token, 200}, {"BEARER " + token, 200}, {"bEaReR  " + token, 200},
		{"Basic " + token, 401}, {"Bearer", 401}, {"Bearertoken" + token, 401}, {token, 401},
	} {
		req, _ := http.NewRequest("GET", ts.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", tt.give)
		res, err := ts.Client().Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, tt.want, res.StatusCode, "Authorization: %q", strings.Replace(tt.give, token, "<token>", 1))
	}
}

// TestControlCharactersRefusedByAPI: a school name with a line break is a
// 422 naming the field, not stored.
func TestControlCharactersRefusedByAPI(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		_, coord := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		res := call(t, ts, "POST", "/api/v1/schools", coord, map[string]any{"uai": "0930001A", "name": "École\r\nBcc: x@evil.example",
			"kind": "elementaire", "city": "Épinay-sur-Seine"})
		assert.Equal(t, http.StatusUnprocessableEntity, res.Status, "%s", res.Body)
		assert.Equal(t, "validation_failed", res.ErrorCode())
		assert.Contains(t, res.ErrorFields(), "name")
		assert.Equal(t, http.StatusNotFound, call(t, ts, "GET", "/api/v1/schools/0930001A", coord, nil).Status)
	})
}

// TestConcurrentPublishOfOneDraft publishes the same draft (a re-run
// after a publication) from several clients at once: one wins, the others
// get the same error code on both dialects.
func TestConcurrentPublishOfOneDraft(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 3})
		body := map[string]any{"year": d.Year, "date": "2026-08-20", "time_limit": "2s"}
		first := call(t, ts, "POST", "/api/v1/rounds", d.Token, body)
		require.Equal(t, http.StatusCreated, first.Status, "%s", first.Body)
		require.Equal(t, http.StatusOK, call(t, ts, "POST", roundPath(first, "/publish"), d.Token, nil).Status)
		re := call(t, ts, "POST", roundPath(first, "/rerun"), d.Token, map[string]any{"date": "2026-08-20"})
		require.Equal(t, http.StatusCreated, re.Status, "%s", re.Body)

		const clients = 4
		type answer struct {
			status int
			code   string
		}
		answers := make([]answer, clients)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range clients {
			wg.Go(func() {
				<-start
				req, err := http.NewRequest("POST", ts.URL+roundPath(re, "/publish"), nil)
				if err != nil {
					return
				}
				req.Header.Set("Authorization", "Bearer "+d.Token)
				res, err := ts.Client().Do(req)
				if err != nil {
					return
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				answers[i] = answer{res.StatusCode, errorCodeOf(b)}
			})
		}
		close(start)
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Fatal("publishes did not finish")
		}
		var codes []string
		wins := 0
		for _, a := range answers {
			if a.status == http.StatusOK {
				wins++
				continue
			}
			assert.Equal(t, http.StatusConflict, a.status)
			codes = append(codes, a.code)
		}
		assert.Equal(t, 1, wins, "one publish wins: %v", answers)
		assert.Equal(t, slices.Repeat([]string{"round_not_draft"}, clients-1), codes, "the same code for every loser")
	})
}

func errorCodeOf(b []byte) string {
	s := string(b)
	i := strings.Index(s, `"code":"`)
	if i < 0 {
		return ""
	}
	s = s[i+len(`"code":"`):]
	code, _, _ := strings.Cut(s, `"`)
	return code
}
