package feed

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/metrics"
	"github.com/classemobile/classemobile/internal/observe"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestObservedFeeds serves the feeds through the request observer, as
// serve does: the fast path is counted under the feed route with its cache
// result, and its 200 still leaves in one write.
func TestObservedFeeds(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	m := metrics.New(prometheus.NewRegistry())
	s, err := New(Deps{DB: db, Logger: storetest.Logger(t), NowFunc: func() time.Time { return now },
		Options: Options{RatePerMinute: -1}, Metrics: m})
	require.NoError(t, err)
	path := fastPathFeed(t, db)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cl := &countingListener{Listener: ln}
	hs := HTTPServer(observe.Handler(s, observe.Options{Metrics: m}), storetest.Logger(t))
	go hs.Serve(Listener(cl))
	t.Cleanup(func() { hs.Close() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	br := bufio.NewReader(conn)

	full := rawGet(t, conn, br, path)
	require.True(t, bytes.HasPrefix(full, []byte("HTTP/1.1 200 OK\r\n")), "%s", full[:min(len(full), 200)])
	assert.Equal(t, 0, cl.writes(), "the observed 200 left in one vectored write")
	assert.Contains(t, string(full), "X-Request-Id: ", "the feed answer carries its request id")
	rawGet(t, conn, br, path)
	etag := ""
	for _, line := range strings.Split(string(full), "\r\n") {
		if v, ok := strings.CutPrefix(line, "Etag: "); ok {
			etag = v
		}
	}
	notMod := rawGet(t, conn, br, path, "If-None-Match", etag)
	require.True(t, bytes.HasPrefix(notMod, []byte("HTTP/1.1 304 ")), "%s", notMod)
	rawGet(t, conn, br, "/ics/"+strings.Repeat("A", feedTokenLen)+".ics")

	assert.Equal(t, 1.0, testutil.ToFloat64(m.FeedCounter(metrics.FeedRender)), "first request rendered")
	assert.Equal(t, 1.0, testutil.ToFloat64(m.FeedCounter(metrics.FeedHit)), "second from the cache")
	assert.Equal(t, 1.0, testutil.ToFloat64(m.FeedCounter(metrics.FeedNotModified)), "304")
	assert.Equal(t, 1.0, testutil.ToFloat64(m.FeedCounter(metrics.FeedNotFound)), "unknown token")
	assert.Equal(t, 2.0, testutil.ToFloat64(m.RequestCounter("feed", Pattern, "GET", "200")), "fast path under the feed route")
	assert.Equal(t, 1.0, testutil.ToFloat64(m.RequestCounter("feed", Pattern, "GET", "304")))
}
