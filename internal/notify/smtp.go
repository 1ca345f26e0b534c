package notify

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTP sends messages to an SMTP server, one session per message.
type SMTP struct {
	client  *gomail.Client
	from    Address
	timeout time.Duration
	host    string
}

// NewSMTP returns a sender for opts.SMTPURL. The URL's scheme selects the
// transport: smtp:// uses STARTTLS when the server offers it (add
// ?tls=required to refuse plain text, ?tls=none to never try), smtps:// uses
// implicit TLS. User and password in the URL enable authentication (PLAIN
// or LOGIN, as the server offers; never over an unencrypted connection).
// ?insecure=1 skips certificate checks (tests, self-signed relays).
func NewSMTP(opts Options) (*SMTP, error) {
	u, err := url.Parse(opts.SMTPURL)
	if err != nil {
		return nil, fmt.Errorf("parse SMTP URL: %w", err)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("SMTP URL: no host")
	}
	from, err := ParseAddress(opts.From)
	if err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	q := u.Query()
	gopts := []gomail.Option{gomail.WithTimeout(opts.Timeout)}
	if opts.HELO != "" {
		gopts = append(gopts, gomail.WithHELO(opts.HELO))
	}
	if q.Get("insecure") == "1" || q.Get("insecure") == "true" {
		gopts = append(gopts, gomail.WithTLSConfig(&tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: true})) //nolint:gosec // asked for explicitly
	}
	port := 0
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("SMTP URL: bad port %q", p)
		}
	}
	switch u.Scheme {
	case "smtps":
		if port == 0 {
			port = 465
		}
		gopts = append(gopts, gomail.WithSSL())
	case "smtp":
		if port == 0 {
			port = 587
		}
		switch q.Get("tls") {
		case "", "opportunistic":
			gopts = append(gopts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
		case "required", "mandatory":
			gopts = append(gopts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		case "none":
			gopts = append(gopts, gomail.WithTLSPolicy(gomail.NoTLS))
		default:
			return nil, fmt.Errorf("SMTP URL: tls=%q is not opportunistic, required or none", q.Get("tls"))
		}
	default:
		return nil, fmt.Errorf("SMTP URL: scheme %q is not smtp or smtps", u.Scheme)
	}
	gopts = append(gopts, gomail.WithPort(port))
	if user := u.User.Username(); user != "" {
		pass, _ := u.User.Password()
		gopts = append(gopts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(user), gomail.WithPassword(pass))
	}
	c, err := gomail.NewClient(u.Hostname(), gopts...)
	if err != nil {
		return nil, fmt.Errorf("SMTP client: %w", err)
	}
	return &SMTP{client: c, from: from, timeout: opts.Timeout, host: u.Host}, nil
}

// Send delivers m in one SMTP session, bounded by the configured timeout
// and by ctx. The error says whether the server refused it or could not be
// reached; callers retry.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := m.render(s.from)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send %s via %s: %w", m.MessageID, s.host, err)
	}
	return nil
}
