package app

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/metrics"
	"github.com/classemobile/classemobile/internal/observe"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestSignInsCounted(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		m := metrics.New(prometheus.NewRegistry())
		b := newBundle(t, db, &bundleOpts{metrics: m})
		u, _ := storetest.User(t, db, nil)
		count := func(method, result string) float64 { return testutil.ToFloat64(m.SignInCounter(method, result)) }

		c := b.client(t)
		link := c.requestLink(u.Email, "")
		require.NotEmpty(t, link)
		assert.Equal(t, 1.0, count("link", "sent"))
		assert.Empty(t, c.requestLink("personne@example.org", ""))
		assert.Equal(t, 1.0, count("link", "unknown"), "an unknown address is counted apart")
		assert.Equal(t, 1.0, count("link", "sent"))

		r := c.consume(link)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		assert.Equal(t, 1.0, count("token", "ok"))
		assert.Equal(t, 0.0, count("token", "refused"))

		r = b.client(t).consume(link)
		require.Equal(t, http.StatusGone, r.Status, "the link served once")
		assert.Equal(t, 1.0, count("token", "refused"))
		assert.Equal(t, 1.0, count("token", "ok"))

		r = c.post("/deconnexion", nil)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		assert.Equal(t, 1.0, count("session", "signed_out"))
	})
}

func TestServerErrorShowsRequestID(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newBundle(t, db, nil)

	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req = req.WithContext(observe.WithRequestID(req.Context(), "req-4242abcd"))
	w := httptest.NewRecorder()
	b.app.renderError(w, req, errors.New("disk on fire"))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Contains(t, w.Body.String(), `<strong class="ref">req-4242abcd</strong>`, "the reference is the request id")

	// Outside the observer, a reference of its own.
	w = httptest.NewRecorder()
	b.app.renderError(w, httptest.NewRequest(http.MethodGet, "/", nil), errors.New("disk on fire"))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Regexp(t, `<strong class="ref">[0-9a-f]{12}</strong>`, w.Body.String())
}
