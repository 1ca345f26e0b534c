// Package notify delivers e-mail: by SMTP (github.com/wneessen/go-mail) when
// an SMTP server is configured, or as .eml files in a local outbox directory
// otherwise, so the demo works with nothing installed.
//
// Both senders take a Message and render it the same way (plain text and
// HTML alternatives, UTF-8, a caller-chosen Message-ID), so an outbox file is
// byte for byte what the SMTP server would have received.
package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// ErrInvalidMessage is returned when a Message cannot be rendered: no
// recipient, a malformed address or a missing Message-ID.
var ErrInvalidMessage = errors.New("notify: invalid message")

// Address is a named e-mail address.
type Address struct {
	Name  string
	Email string
}

// String renders the address as in a header.
func (a Address) String() string {
	return (&mail.Address{Name: a.Name, Address: a.Email}).String()
}

// Message is one e-mail: a French text with an HTML alternative.
type Message struct {
	// From is the sender. Defaults to the sender's configured address.
	From Address
	// To lists the recipients (one in practice: one message per person).
	To []Address
	// Subject is the subject line.
	Subject string
	// Text is the plain-text body.
	Text string
	// HTML is the HTML alternative; empty for text-only messages.
	HTML string
	// MessageID is the Message-ID without angle brackets
	// ("rappels-2026-11-28-u42@example.fr"). Stable IDs make a resend
	// recognisable by the recipient's mail client.
	MessageID string
	// Date is the Date header. Defaults to the time of sending.
	Date time.Time
	// Headers are extra header fields ("X-…"), set as given.
	Headers map[string]string
}

// render builds the go-mail message.
func (m Message) render(defaultFrom Address) (*gomail.Msg, error) {
	if len(m.To) == 0 {
		return nil, fmt.Errorf("%w: no recipient", ErrInvalidMessage)
	}
	if m.MessageID == "" || strings.ContainsAny(m.MessageID, "<> \r\n") || !strings.Contains(m.MessageID, "@") {
		return nil, fmt.Errorf("%w: Message-ID %q", ErrInvalidMessage, m.MessageID)
	}
	from := m.From
	if from.Email == "" {
		from = defaultFrom
	}
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP))
	if err := msg.FromFormat(from.Name, from.Email); err != nil {
		return nil, fmt.Errorf("%w: from %q: %v", ErrInvalidMessage, from.Email, err)
	}
	for _, to := range m.To {
		if err := msg.AddToFormat(to.Name, to.Email); err != nil {
			return nil, fmt.Errorf("%w: to %q: %v", ErrInvalidMessage, to.Email, err)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	if m.Date.IsZero() {
		msg.SetDate()
	} else {
		msg.SetDateWithValue(m.Date)
	}
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	for _, k := range slices.Sorted(maps.Keys(m.Headers)) {
		msg.SetGenHeader(gomail.Header(k), m.Headers[k])
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// ParseAddress parses "Name <addr@host>" or "addr@host".
func ParseAddress(s string) (Address, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return Address{}, fmt.Errorf("parse address %q: %w", s, err)
	}
	return Address{Name: a.Name, Email: a.Address}, nil
}

// Render returns the message as RFC 5322 bytes, as the outbox writes it.
func Render(m Message, defaultFrom Address) ([]byte, error) {
	msg, err := m.render(defaultFrom)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("render message %s: %w", m.MessageID, err)
	}
	return buf.Bytes(), nil
}

// Sender delivers messages. Both *SMTP and *Outbox implement it.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Options configure New.
type Options struct {
	// SMTPURL is smtp://[user:pass@]host[:port] (STARTTLS when the server
	// offers it, mandatory with ?tls=required; port 587 by default) or
	// smtps://[user:pass@]host[:port] (implicit TLS, port 465 by default).
	// Empty selects the outbox.
	SMTPURL string
	// From is the default sender ("classemobile <noreply@example.fr>").
	From string
	// OutboxDir receives .eml files when SMTPURL is empty.
	OutboxDir string
	// Timeout bounds one SMTP session (dial, commands, data). Defaults to
	// 30 seconds.
	Timeout time.Duration
	// HELO is the name given to the SMTP server. Defaults to the host name.
	HELO string
}

// New returns an SMTP sender when opts.SMTPURL is set, else an outbox.
func New(opts Options) (Sender, error) {
	if opts.SMTPURL != "" {
		return NewSMTP(opts)
	}
	return NewOutbox(opts.OutboxDir, opts.From)
}
