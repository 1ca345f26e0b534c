// Package notifytest holds e-mail doubles for tests: an in-process SMTP
// server (github.com/emersion/go-smtp) that records what it receives, for
// code that sends e-mail through real SMTP sessions, and a Mailbox sender
// that keeps the messages it is given.
package notifytest

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message accepted by the server.
type Received struct {
	// HELO is the name the client gave.
	HELO string
	// TLS reports whether the session ran over TLS (STARTTLS).
	TLS bool
	// From and To are the envelope.
	From string
	To   []string
	// Raw is the message as transmitted.
	Raw []byte
	// Header is the parsed header.
	Header mail.Header
	// Text and HTML are the decoded bodies of the alternatives.
	Text string
	HTML string
}

// MessageID returns the Message-ID without angle brackets.
func (r Received) MessageID() string {
	return strings.Trim(r.Header.Get("Message-Id"), "<>")
}

// Subject returns the decoded subject.
func (r Received) Subject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(r.Header.Get("Subject"))
	if err != nil {
		return r.Header.Get("Subject")
	}
	return s
}

// Server is an SMTP server on 127.0.0.1 recording accepted messages.
type Server struct {
	// Addr is host:port.
	Addr string
	// URL is the SMTP_URL to reach it (plain text, no TLS).
	URL string

	mu       sync.Mutex
	received []Received
	// Reject, when set, is called at DATA with the client's HELO; a non-nil
	// error refuses the message with a 451 (temporary failure).
	reject func(helo string) error
	// hold, when set, is called at DATA before accepting; it may block.
	hold      func(helo string)
	delivered chan struct{}
	srv       *smtp.Server
}

// Options configure NewServerWith.
type Options struct {
	// User and Password, when set, make AUTH PLAIN mandatory before MAIL.
	User, Password string
	// TLS offers STARTTLS with a self-signed certificate for 127.0.0.1.
	TLS bool
}

// NewServer starts a plain-text server without authentication, closed at
// the end of the test.
func NewServer(t testing.TB) *Server {
	t.Helper()
	return NewServerWith(t, Options{})
}

// NewServerWith starts a server with authentication and/or STARTTLS.
func NewServerWith(t testing.TB, opts Options) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &Server{Addr: ln.Addr().String(), delivered: make(chan struct{}, 1<<16)}
	s.URL = "smtp://" + s.Addr + "?tls=none"
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c, opts: opts}, nil
	}))
	if opts.TLS {
		s.srv.TLSConfig = selfSigned(t)
		s.URL = "smtp://" + s.Addr + "?tls=required&insecure=1"
	}
	if opts.User != "" {
		s.URL = strings.Replace(s.URL, "smtp://", "smtp://"+url.UserPassword(opts.User, opts.Password).String()+"@", 1)
	}
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	s.srv.AllowInsecureAuth = true
	s.srv.EnableSMTPUTF8 = true
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		s.srv.Close()
		// Close returns at once if Serve has not registered the listener
		// yet (a test that sends nothing ends that fast): closing it here
		// too makes Serve's Accept fail, so Serve always returns.
		ln.Close()
		<-done
	})
	return s
}

// SetReject installs a function deciding at DATA whether to refuse a
// message temporarily.
func (s *Server) SetReject(f func(helo string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = f
}

// SetHold installs a function called at DATA before the message is
// accepted; it may block (to simulate a slow server or a crash mid-send).
func (s *Server) SetHold(f func(helo string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = f
}

// Messages returns a copy of the messages received so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Delivered receives a value for each accepted message.
func (s *Server) Delivered() <-chan struct{} { return s.delivered }

type session struct {
	s      *Server
	conn   *smtp.Conn
	opts   Options
	authed bool
	from   string
	to     []string
}

// AuthMechanisms implements smtp.AuthSession.
func (ss *session) AuthMechanisms() []string {
	if ss.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

// Auth implements smtp.AuthSession.
func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != ss.opts.User || pass != ss.opts.Password {
			return errors.New("invalid credentials")
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }
func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.opts.User != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	helo := ss.conn.Hostname()
	ss.s.mu.Lock()
	reject, hold := ss.s.reject, ss.s.hold
	ss.s.mu.Unlock()
	if hold != nil {
		hold(helo)
	}
	if reject != nil {
		if err := reject(helo); err != nil {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: err.Error()}
		}
	}
	_, isTLS := ss.conn.TLSConnectionState()
	rec := Received{HELO: helo, TLS: isTLS, From: ss.from, To: append([]string(nil), ss.to...), Raw: raw}
	if err := parse(&rec); err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: err.Error()}
	}
	ss.s.mu.Lock()
	ss.s.received = append(ss.s.received, rec)
	ss.s.mu.Unlock()
	ss.s.delivered <- struct{}{}
	return nil
}

// parse decodes the header and the text and HTML parts.
func parse(rec *Received) error {
	m, err := mail.ReadMessage(strings.NewReader(string(rec.Raw)))
	if err != nil {
		return err
	}
	rec.Header = m.Header
	return walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body, rec)
}

func walk(contentType, cte string, body io.Reader, rec *Received) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, rec); err != nil {
				return err
			}
		}
	}
	text, err := decode(cte, body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		rec.Text = text
	case "text/html":
		rec.HTML = text
	}
	return nil
}
