package feed

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Timeouts against slow or idle clients.
const (
	readHeaderTimeout = 10 * time.Second  // request line and headers
	bodyReadTimeout   = 30 * time.Second  // a request body, from the handler's start
	writeTimeout      = 60 * time.Second  // one write of a response (see coalescingConn)
	idleTimeout       = 120 * time.Second // between requests of a connection
)

// HTTPServer returns the http.Server that serves h, to be served on
// Listener: hs.Serve(Listener(ln)). classemobile serve uses it, and so
// does the benchmark of scripts/feedbench.sh, so the benchmark measures
// the server that runs.
//
// Its timeouts are those of http.Server, except two, which net/http arms
// and disarms (runtime timers) at every request, a measurable part of a
// feed revalidation's CPU (see BENCHMARKS.md): ReadTimeout is applied
// only to requests that have a body (by a read deadline when the handler
// starts), and
// WriteTimeout is applied per write by Listener's connections, as
// nginx's send_timeout does: a write that cannot progress for 60 s fails.
func HTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           bodyDeadline(h),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ConnContext:       ConnContext,
	}
}

// bodyDeadline gives a request with a body bodyReadTimeout to send it
// (http.Server.ReadTimeout for the requests that need it; net/http also
// reads what a handler left of a body under this deadline).
func bodyDeadline(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			// An error means the writer cannot set deadlines (not net/http's).
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyReadTimeout))
		}
		h.ServeHTTP(w, r)
	})
}

// One write per response.
//
// net/http writes a response through two buffers: the header and up to
// 4 KiB of body go out in a first write, the rest of the body in a second
// (or more). On loopback and on a busy server each write is a system call
// plus a wake-up of the client, and for a feed of 20 KB the two writes are
// about half of the server's CPU time. Listener wraps the connections so
// that a handler that knows its whole response (the feeds: cached bytes,
// Content-Length set) can ask for it to leave in one vectored write: it
// calls holdWrites, writes and flushes the response, then releaseWrites.
// Everything else goes through unchanged.

// Listener wraps ln so that the feed handler can send a response in one
// write. Use it with ConnContext in the http.Server that serves Server.
func Listener(ln net.Listener) net.Listener { return coalescingListener{ln} }

// ConnContext is the http.Server ConnContext to use with Listener: it
// makes the connection reachable from the requests' context.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if cc, ok := c.(*coalescingConn); ok {
		return context.WithValue(ctx, connKey{}, cc)
	}
	return ctx
}

type connKey struct{}

// connFrom returns the coalescing connection a request came on, or nil.
func connFrom(ctx context.Context) *coalescingConn {
	cc, _ := ctx.Value(connKey{}).(*coalescingConn)
	return cc
}

type coalescingListener struct{ net.Listener }

func (l coalescingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &coalescingConn{Conn: c, writeTimeout: writeTimeout}, nil
}

// monoBase is the origin of monoNow.
var monoBase = time.Now()

// monoNow returns the monotonic time in nanoseconds (immune to changes of
// the wall clock).
func monoNow() int64 { return int64(time.Since(monoBase)) }

// maxHeldWrite bounds what a held write copies: a larger write (a body
// beyond net/http's buffer) is sent at once, with what was held.
const maxHeldWrite = 16 << 10

// heldBufs recycles the copies of held writes.
var heldBufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// coalescingConn is a net.Conn whose writes can be held back and sent
// with the next one in a single vectored write (writev).
//
// It also gives every write a deadline of at least writeTimeout/2 and at
// most writeTimeout, re-armed only when less than writeTimeout/2 is left
// (one runtime timer operation per connection and 30 s, not two per
// request as http.Server.WriteTimeout). net/http clears the write
// deadline after each request: that clearing is ignored. A deadline set
// explicitly (http.ResponseController) replaces it until cleared.
type coalescingConn struct {
	net.Conn
	writeTimeout time.Duration // <= 0: no per-write deadline

	explicit atomic.Bool  // a deadline set through SetWriteDeadline holds
	renewAt  atomic.Int64 // monoNow from which the deadline is re-armed

	mu      sync.Mutex
	holding bool
	held    *[]byte // copy of the held writes; nil when there are none
	err     error   // the error of a held write, returned by the next write
}

// holdWrites starts holding writes: the first one is kept (copied) and
// goes out with the next in one system call.
func (c *coalescingConn) holdWrites() {
	c.mu.Lock()
	c.holding = true
	c.mu.Unlock()
}

// releaseWrites stops holding and sends what is still held.
func (c *coalescingConn) releaseWrites() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holding = false
	return c.flushLocked()
}

// armWrite re-arms the per-write deadline when less than half of it is
// left.
func (c *coalescingConn) armWrite() error {
	if c.writeTimeout <= 0 || c.explicit.Load() {
		return nil
	}
	now := monoNow()
	if now < c.renewAt.Load() {
		return nil
	}
	c.renewAt.Store(now + int64(c.writeTimeout/2))
	return c.Conn.SetWriteDeadline(time.Now().Add(c.writeTimeout))
}

// SetWriteDeadline implements net.Conn; see coalescingConn for the zero
// time.
func (c *coalescingConn) SetWriteDeadline(t time.Time) error {
	if c.writeTimeout <= 0 {
		return c.Conn.SetWriteDeadline(t)
	}
	if t.IsZero() {
		if c.explicit.Swap(false) {
			c.renewAt.Store(0) // the next write re-arms
			return c.Conn.SetWriteDeadline(t)
		}
		return nil
	}
	c.explicit.Store(true)
	return c.Conn.SetWriteDeadline(t)
}

// SetDeadline implements net.Conn.
func (c *coalescingConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// write is the underlying Write, under the per-write deadline.
func (c *coalescingConn) write(p []byte) (int, error) {
	if err := c.armWrite(); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

func (c *coalescingConn) flushLocked() error {
	if c.held == nil {
		return c.err
	}
	b := c.held
	c.held = nil
	if c.err == nil {
		_, c.err = c.write(*b)
	}
	*b = (*b)[:0]
	heldBufs.Put(b)
	return c.err
}

// Write implements net.Conn. While holding, a small write is copied and
// reported written; the next write sends both at once.
func (c *coalescingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if !c.holding {
		if c.held != nil {
			if err := c.flushLocked(); err != nil {
				return 0, err
			}
		}
		return c.write(p)
	}
	if c.held == nil {
		if len(p) <= maxHeldWrite {
			c.held = heldBufs.Get().(*[]byte)
			*c.held = append(*c.held, p...)
			return len(p), nil
		}
		return c.write(p)
	}
	if len(*c.held)+len(p) <= maxHeldWrite {
		*c.held = append(*c.held, p...)
		return len(p), nil
	}
	// The held bytes and p in one writev.
	b := c.held
	c.held = nil
	h := int64(len(*b))
	bufs := net.Buffers{*b, p}
	var n int64
	err := c.armWrite()
	if err == nil {
		n, err = bufs.WriteTo(c.Conn)
	}
	*b = (*b)[:0]
	heldBufs.Put(b)
	if err != nil {
		c.err = err
		return int(max(n-h, 0)), err
	}
	return len(p), nil
}

// ReadFrom passes the connection's sendfile/splice through (net/http
// uses it for files), after what is held.
func (c *coalescingConn) ReadFrom(r io.Reader) (int64, error) {
	c.mu.Lock()
	err := c.flushLocked()
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if err := c.armWrite(); err != nil {
		return 0, err
	}
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// CloseWrite passes the TCP half-close through (net/http uses it when it
// closes a connection after an error).
func (c *coalescingConn) CloseWrite() error {
	c.mu.Lock()
	err := c.flushLocked()
	c.mu.Unlock()
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		if e := cw.CloseWrite(); err == nil {
			err = e
		}
	}
	return err
}
