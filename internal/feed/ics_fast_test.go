package feed

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// fastPathFeed seeds a school with loans (a feed of about 15 KB, more
// than net/http's 4 KiB buffer) and returns the path of its feed.
func fastPathFeed(t *testing.T, db *store.DB) string {
	t.Helper()
	school := storetest.School(t, db, nil)
	for i := range 6 {
		pack := storetest.Pack(t, db, &storetest.PackOpts{Tablets: 1})
		pickup := calendar.MustParseDate("2027-01-04").AddDays(7 * i)
		storetest.FeedLoan(t, db, storetest.FeedLoanOpts{SchoolUAI: school.UAI, PackIDs: []int64{pack.ID},
			Pickup: pickup, Return: pickup.AddDays(39), At: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)})
	}
	_, token, err := db.CreateFeed(context.Background(), store.Actor{}, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI})
	require.NoError(t, err)
	return "/ics/" + token + ".ics"
}

// TestFeedFastPath checks that the requests ServeHTTP sends straight to
// serveFeed get the answer the mux route gives, byte for byte and header
// for header: 200, gzip, HEAD, 304 (both validators), 404 and 429 (two
// servers with the same clock and limits replay the same requests).
func TestFeedFastPath(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	newServer := func() *Server {
		s, err := New(Deps{DB: db, Logger: storetest.Logger(t), NowFunc: func() time.Time { return now },
			Options: Options{RatePerMinute: 60, Burst: 12}})
		require.NoError(t, err)
		return s
	}
	fast, slow := newServer(), newServer()
	viaMux := func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Content-Type-Options"] = hNosniff
		slow.mux.ServeHTTP(w, r)
	}
	path := fastPathFeed(t, db)
	first := httptest.NewRecorder()
	fast.ServeHTTP(first, httptest.NewRequest(http.MethodGet, path, nil))
	viaMux(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil)) // same count for the limiter
	require.Equal(t, http.StatusOK, first.Code)
	require.Greater(t, first.Body.Len(), 8<<10, "a feed larger than net/http's buffers")
	etag, lastMod := first.Header().Get("ETag"), first.Header().Get("Last-Modified")
	gzTag := etag[:len(etag)-1] + `-gz"`
	unknown := "/ics/" + store.NewSecret("") + ".ics"
	token := strings.TrimSuffix(strings.TrimPrefix(path, "/ics/"), ".ics")
	escaped := "/ics/%" + strings.ToUpper(strconv.FormatInt(int64(token[0]), 16)) + token[1:] + ".ics"

	cases := []struct {
		name     string
		method   string
		path     string
		headers  []string
		wantCode int
		wantFast bool // whether ServeHTTP skips the mux
	}{
		{name: "GET", method: http.MethodGet, path: path, wantCode: http.StatusOK, wantFast: true},
		{name: "gzip", method: http.MethodGet, path: path, headers: []string{"Accept-Encoding", "br, gzip;q=0.8"}, wantCode: http.StatusOK, wantFast: true},
		{name: "gzip refused", method: http.MethodGet, path: path, headers: []string{"Accept-Encoding", "gzip;q=0, deflate"}, wantCode: http.StatusOK, wantFast: true},
		{name: "HEAD", method: http.MethodHead, path: path, wantCode: http.StatusOK, wantFast: true},
		{name: "If-None-Match", method: http.MethodGet, path: path, headers: []string{"If-None-Match", etag}, wantCode: http.StatusNotModified, wantFast: true},
		{name: "If-None-Match list", method: http.MethodGet, path: path, headers: []string{"If-None-Match", `"x", W/` + gzTag}, wantCode: http.StatusNotModified, wantFast: true},
		{name: "gzip If-None-Match", method: http.MethodGet, path: path, headers: []string{"If-None-Match", gzTag, "Accept-Encoding", "gzip"}, wantCode: http.StatusNotModified, wantFast: true},
		{name: "If-Modified-Since", method: http.MethodGet, path: path, headers: []string{"If-Modified-Since", lastMod}, wantCode: http.StatusNotModified, wantFast: true},
		{name: "HEAD If-None-Match", method: http.MethodHead, path: path, headers: []string{"If-None-Match", etag}, wantCode: http.StatusNotModified, wantFast: true},
		{name: "unknown token", method: http.MethodGet, path: unknown, wantCode: http.StatusNotFound, wantFast: true},
		{name: "malformed token", method: http.MethodGet, path: "/ics/" + strings.Repeat("!", 43) + ".ics", wantCode: http.StatusNotFound},
		{name: "no .ics", method: http.MethodGet, path: strings.TrimSuffix(path, ".ics") + ".icx", wantCode: http.StatusNotFound},
		{name: "escaped", method: http.MethodGet, path: escaped, wantCode: http.StatusOK}, // the mux unescapes
		{name: "POST", method: http.MethodPost, path: path, wantCode: http.StatusMethodNotAllowed},
	}
	for _, c := range cases {
		req := func() *http.Request {
			r := httptest.NewRequest(c.method, c.path, nil)
			for i := 0; i+1 < len(c.headers); i += 2 {
				r.Header.Set(c.headers[i], c.headers[i+1])
			}
			return r
		}
		_, isFast := feedPath(req())
		assert.Equal(t, c.wantFast, isFast, "%s: fast path", c.name)
		a, b := httptest.NewRecorder(), httptest.NewRecorder()
		fast.ServeHTTP(a, req())
		viaMux(b, req())
		assert.Equal(t, c.wantCode, a.Code, c.name)
		assert.Equal(t, b.Code, a.Code, "%s: status", c.name)
		assert.Equal(t, b.Header(), a.Header(), "%s: headers", c.name)
		assert.Equal(t, b.Body.Bytes(), a.Body.Bytes(), "%s: body", c.name)
	}

	// Rate limit: both servers have had the same number of requests for
	// the token; spend the rest of the burst, then one more.
	for range 12 {
		a, b := httptest.NewRecorder(), httptest.NewRecorder()
		fast.ServeHTTP(a, httptest.NewRequest(http.MethodGet, path, nil))
		viaMux(b, httptest.NewRequest(http.MethodGet, path, nil))
		assert.Equal(t, b.Code, a.Code, "status within and past the burst")
		assert.Equal(t, b.Header(), a.Header(), "headers within and past the burst")
		assert.Equal(t, b.Body.Bytes(), a.Body.Bytes(), "body within and past the burst")
	}
	a, b := httptest.NewRecorder(), httptest.NewRecorder()
	fast.ServeHTTP(a, httptest.NewRequest(http.MethodGet, path, nil))
	viaMux(b, httptest.NewRequest(http.MethodGet, path, nil))
	assert.Equal(t, http.StatusTooManyRequests, a.Code, "past the burst")
	assert.Equal(t, "1", a.Header().Get("Retry-After"))
	assert.Equal(t, b.Header(), a.Header(), "429 headers")
	assert.Equal(t, b.Body.Bytes(), a.Body.Bytes(), "429 body")
}

// countingConn counts the Write calls that reach a TCP connection; a
// vectored write (net.Buffers on the embedded *net.TCPConn) is not a
// Write call.
type countingConn struct {
	*net.TCPConn
	mu     sync.Mutex
	writes int
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.TCPConn.Write(p)
}

func (c *countingConn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

type countingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []*countingConn
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := &countingConn{TCPConn: c.(*net.TCPConn)}
	l.mu.Lock()
	l.conns = append(l.conns, cc)
	l.mu.Unlock()
	return cc, nil
}

func (l *countingListener) writes() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.conns {
		n += c.count()
	}
	return n
}

// rawGet sends one HTTP/1.1 request on conn and returns the raw response
// without its Date line.
func rawGet(t *testing.T, conn net.Conn, br *bufio.Reader, path string, headers ...string) []byte {
	t.Helper()
	req := "GET " + path + " HTTP/1.1\r\nHost: test\r\n"
	for i := 0; i+1 < len(headers); i += 2 {
		req += headers[i] + ": " + headers[i+1] + "\r\n"
	}
	_, err := io.WriteString(conn, req+"\r\n")
	require.NoError(t, err)
	var head bytes.Buffer
	length := 0
	for {
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			length, err = strconv.Atoi(strings.TrimSpace(v))
			require.NoError(t, err)
		}
		if !strings.HasPrefix(line, "Date: ") {
			head.WriteString(line)
		}
		if line == "\r\n" {
			break
		}
	}
	if strings.HasPrefix(head.String(), "HTTP/1.1 304") {
		length = 0
	}
	body := make([]byte, length)
	_, err = io.ReadFull(br, body)
	require.NoError(t, err)
	return append(head.Bytes(), body...)
}

// TestFeedOneWrite serves a feed through HTTPServer and Listener, as
// classemobile serve does: a 200 leaves in one vectored write (no plain
// write reaches the connection), with the same bytes as a server without
// Listener; a 304 is one write, as before.
func TestFeedOneWrite(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	s, err := New(Deps{DB: db, Logger: storetest.Logger(t), NowFunc: func() time.Time { return now },
		Options: Options{RatePerMinute: -1}})
	require.NoError(t, err)
	path := fastPathFeed(t, db)

	start := func(coalesce bool) (string, *countingListener) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		cl := &countingListener{Listener: ln}
		hs := HTTPServer(s, storetest.Logger(t))
		var serveLn net.Listener = cl
		if coalesce {
			serveLn = Listener(cl)
		} else {
			hs.ConnContext = nil
		}
		go hs.Serve(serveLn)
		t.Cleanup(func() { hs.Close() })
		return ln.Addr().String(), cl
	}
	addr, cl := start(true)
	plainAddr, _ := start(false)
	dial := func(addr string) (net.Conn, *bufio.Reader) {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		return conn, bufio.NewReader(conn)
	}
	conn, br := dial(addr)
	plain, pbr := dial(plainAddr)

	full := rawGet(t, conn, br, path)
	require.True(t, bytes.HasPrefix(full, []byte("HTTP/1.1 200 OK\r\n")), "%s", full[:min(len(full), 200)])
	assert.Greater(t, len(full), 8<<10, "a response beyond net/http's buffers")
	assert.Equal(t, 0, cl.writes(), "the 200 left in one vectored write")
	assert.Equal(t, rawGet(t, plain, pbr, path), full, "same bytes as without Listener")

	etag := ""
	for _, line := range strings.Split(string(full), "\r\n") {
		if v, ok := strings.CutPrefix(line, "Etag: "); ok {
			etag = v
		}
	}
	require.NotEmpty(t, etag)
	notMod := rawGet(t, conn, br, path, "If-None-Match", etag)
	assert.True(t, bytes.HasPrefix(notMod, []byte("HTTP/1.1 304 Not Modified\r\n")), "%s", notMod)
	assert.Equal(t, 1, cl.writes(), "a 304 is one write")
	assert.Equal(t, rawGet(t, plain, pbr, path, "If-None-Match", etag), notMod, "same 304 as without Listener")

	gz := rawGet(t, conn, br, path, "Accept-Encoding", "gzip")
	assert.Contains(t, string(gz), "Content-Encoding: gzip\r\n")
	assert.Equal(t, rawGet(t, plain, pbr, path, "Accept-Encoding", "gzip"), gz, "same gzip answer as without Listener")
	assert.Equal(t, rawGet(t, conn, br, path), full, "the connection goes on after held writes")
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (server *net.TCPConn, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	c, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { client.Close(); c.Close() })
	return c.(*net.TCPConn), client
}

func TestCoalescingConn(t *testing.T) {
	t.Parallel()
	chunk := func(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }
	cases := []struct {
		name       string
		hold       bool
		writes     [][]byte
		wantWrites int // plain Write calls that reach the TCP connection
	}{
		{name: "not holding", writes: [][]byte{chunk(4096, 'a'), chunk(17000, 'b')}, wantWrites: 2},
		{name: "held, then a body", hold: true, writes: [][]byte{chunk(4096, 'a'), chunk(17000, 'b')}, wantWrites: 0},
		{name: "held, then a tail", hold: true, writes: [][]byte{chunk(4096, 'a'), chunk(900, 'b')}, wantWrites: 1},
		{name: "one small write", hold: true, writes: [][]byte{chunk(300, 'a')}, wantWrites: 1},
		{name: "one large write", hold: true, writes: [][]byte{chunk(maxHeldWrite+1, 'a')}, wantWrites: 1},
		{name: "three writes", hold: true, writes: [][]byte{chunk(4096, 'a'), chunk(4096, 'b'), chunk(30000, 'c')}, wantWrites: 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			server, client := tcpPair(t)
			counted := &countingConn{TCPConn: server}
			cc := &coalescingConn{Conn: counted}
			var want []byte
			if c.hold {
				cc.holdWrites()
			}
			for _, w := range c.writes {
				n, err := cc.Write(w)
				require.NoError(t, err)
				assert.Equal(t, len(w), n, "written")
				want = append(want, w...)
			}
			require.NoError(t, cc.releaseWrites())
			assert.Equal(t, c.wantWrites, counted.count(), "Write calls")
			got := make([]byte, len(want))
			_, err := io.ReadFull(client, got)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want, got), "bytes in order")
			// After a release, writes go through.
			_, err = cc.Write([]byte("x"))
			require.NoError(t, err)
			one := make([]byte, 1)
			_, err = io.ReadFull(client, one)
			require.NoError(t, err)
			assert.Equal(t, "x", string(one))
		})
	}

	t.Run("error", func(t *testing.T) {
		t.Parallel()
		server, _ := tcpPair(t)
		cc := &coalescingConn{Conn: server}
		cc.holdWrites()
		_, err := cc.Write([]byte("held"))
		require.NoError(t, err, "a held write succeeds")
		require.NoError(t, server.Close())
		err = cc.releaseWrites()
		assert.True(t, errors.Is(err, net.ErrClosed), "the held write's error comes out at release: %v", err)
		_, err = cc.Write([]byte("more"))
		assert.Error(t, err, "and stays")
	})
}

// TestCoalescingConnWriteDeadline checks the per-write deadline that
// replaces http.Server.WriteTimeout: a write to a client that does not
// read fails; net/http's clearing after a request does not remove it; an
// explicit deadline replaces it; an expired deadline is re-armed before
// the next write.
func TestCoalescingConnWriteDeadline(t *testing.T) {
	t.Parallel()
	fill := func(t *testing.T, cc *coalescingConn) error {
		t.Helper()
		chunk := make([]byte, 1<<20)
		for range 256 { // 256 MB: far beyond the socket buffers
			if _, err := cc.Write(chunk); err != nil {
				return err
			}
		}
		return nil
	}
	t.Run("client not reading", func(t *testing.T) {
		t.Parallel()
		server, _ := tcpPair(t)
		cc := &coalescingConn{Conn: server, writeTimeout: 200 * time.Millisecond}
		_, err := cc.Write([]byte("a")) // arms the deadline
		require.NoError(t, err)
		require.NoError(t, cc.SetWriteDeadline(time.Time{}), "net/http's clearing after a request")
		done := make(chan error, 1)
		go func() { done <- fill(t, cc) }()
		select {
		case err := <-done:
			assert.True(t, errors.Is(err, os.ErrDeadlineExceeded), "a stuck write fails: %v", err)
		case <-time.After(time.Minute):
			server.Close()
			t.Fatal("a write to a client that does not read never failed")
		}
	})
	t.Run("explicit deadline", func(t *testing.T) {
		t.Parallel()
		server, _ := tcpPair(t)
		cc := &coalescingConn{Conn: server, writeTimeout: time.Hour}
		require.NoError(t, cc.SetWriteDeadline(time.Now().Add(200*time.Millisecond)))
		err := fill(t, cc)
		assert.True(t, errors.Is(err, os.ErrDeadlineExceeded), "the explicit deadline holds: %v", err)
		require.NoError(t, cc.SetWriteDeadline(time.Time{}))
		assert.False(t, cc.explicit.Load(), "cleared")
		assert.Zero(t, cc.renewAt.Load(), "the next write re-arms")
	})
	t.Run("re-armed", func(t *testing.T) {
		t.Parallel()
		server, client := tcpPair(t)
		cc := &coalescingConn{Conn: server, writeTimeout: time.Hour}
		_, err := cc.Write([]byte("a"))
		require.NoError(t, err)
		// As if the deadline had passed while the connection was idle.
		require.NoError(t, server.SetWriteDeadline(time.Now().Add(-time.Second)))
		cc.renewAt.Store(monoNow() - 1)
		_, err = cc.Write([]byte("b"))
		require.NoError(t, err, "the deadline is re-armed before the write")
		got := make([]byte, 2)
		_, err = io.ReadFull(client, got)
		require.NoError(t, err)
		assert.Equal(t, "ab", string(got))
	})
}

// deadlineRecorder is a ResponseWriter that records read deadlines.
type deadlineRecorder struct {
	*httptest.ResponseRecorder
	readDeadline time.Time
}

func (d *deadlineRecorder) SetReadDeadline(t time.Time) error { d.readDeadline = t; return nil }

// TestBodyDeadline checks the ReadTimeout of HTTPServer: requests with a
// body get a read deadline, the others none.
func TestBodyDeadline(t *testing.T) {
	t.Parallel()
	h := bodyDeadline(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	w := &deadlineRecorder{ResponseRecorder: httptest.NewRecorder()}
	r := httptest.NewRequest(http.MethodPost, "/api/v1/requests", strings.NewReader(`{}`))
	before := time.Now()
	h.ServeHTTP(w, r)
	assert.False(t, w.readDeadline.Before(before.Add(bodyReadTimeout)), "a body has %s", bodyReadTimeout)
	w = &deadlineRecorder{ResponseRecorder: httptest.NewRecorder()}
	r = httptest.NewRequest(http.MethodGet, "/ics/x.ics", nil)
	r.Body = http.NoBody // as net/http's server sets it
	h.ServeHTTP(w, r)
	assert.True(t, w.readDeadline.IsZero(), "no deadline without a body")
}
