package notify_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/notify/notifytest"
)

const from = "classemobile <noreply@epinay.example.fr>"

func frenchMessage(id string) notify.Message {
	return notify.Message{
		To:        []notify.Address{{Name: "Élodie Fontaine", Email: "elodie.fontaine@example.fr"}},
		Subject:   "Rappels classemobile : retour du pack prévu demain",
		Text:      "Bonjour Élodie,\n\nLe pack PACK-01 doit être rendu demain, vendredi 5 décembre.\nMerci de préparer la feuille d'inventaire.\n",
		HTML:      "<p>Bonjour Élodie,</p><p>Le pack <strong>PACK-01</strong> doit être rendu demain.</p>",
		MessageID: id,
		Date:      time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC),
	}
}

func TestSMTPSendsRealSession(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewServer(t)
	s, err := notify.NewSMTP(notify.Options{SMTPURL: srv.URL, From: from, Timeout: 5 * time.Second, HELO: "test-instance"})
	require.NoError(t, err, "new SMTP sender")

	require.NoError(t, s.Send(context.Background(), frenchMessage("rappels-2026-12-04-u7@epinay.example.fr")), "send")

	got := srv.Messages()
	require.Len(t, got, 1, "messages received")
	m := got[0]
	assert.Equal(t, "test-instance", m.HELO, "HELO")
	assert.Equal(t, "noreply@epinay.example.fr", m.From, "envelope sender")
	assert.Equal(t, []string{"elodie.fontaine@example.fr"}, m.To, "envelope recipients")
	assert.Equal(t, "rappels-2026-12-04-u7@epinay.example.fr", m.MessageID(), "Message-ID")
	assert.Equal(t, "Rappels classemobile : retour du pack prévu demain", m.Subject(), "subject decoded")
	assert.Contains(t, m.Text, "Le pack PACK-01 doit être rendu demain, vendredi 5 décembre.", "French plain text survives encoding")
	assert.Contains(t, m.HTML, "<strong>PACK-01</strong> doit être rendu", "HTML alternative")
	assert.Contains(t, m.Header.Get("To"), "elodie.fontaine@example.fr", "To header")
	assert.Equal(t, "auto-generated", m.Header.Get("Auto-Submitted"), "Auto-Submitted header")
}

func TestSMTPTemporaryFailureIsAnError(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewServer(t)
	srv.SetReject(func(string) error { return errors.New("mailbox busy") })
	s, err := notify.NewSMTP(notify.Options{SMTPURL: srv.URL, From: from, Timeout: 5 * time.Second})
	require.NoError(t, err, "new SMTP sender")
	err = s.Send(context.Background(), frenchMessage("x-1@example.fr"))
	require.Error(t, err, "a 451 must be reported")
	assert.Contains(t, err.Error(), "mailbox busy", "server reply in the error")
	assert.Empty(t, srv.Messages(), "nothing recorded")
}

func TestSMTPUnreachableTimesOut(t *testing.T) {
	t.Parallel()
	// Port 1 on localhost refuses connections at once.
	s, err := notify.NewSMTP(notify.Options{SMTPURL: "smtp://127.0.0.1:1?tls=none", From: from, Timeout: 2 * time.Second})
	require.NoError(t, err, "new SMTP sender")
	assert.Error(t, s.Send(context.Background(), frenchMessage("x-2@example.fr")), "unreachable server")
}

func TestNewSMTPRejectsBadURLs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		giveURL string
	}{
		{name: "scheme", giveURL: "http://mail.example.fr"},
		{name: "no host", giveURL: "smtp://"},
		{name: "bad port", giveURL: "smtp://mail.example.fr:99999"},
		{name: "bad tls", giveURL: "smtp://mail.example.fr?tls=maybe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := notify.NewSMTP(notify.Options{SMTPURL: tt.giveURL, From: from})
			assert.Error(t, err, "URL %q", tt.giveURL)
		})
	}
}

func TestOutboxWritesEML(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "outbox")
	o, err := notify.NewOutbox(dir, from)
	require.NoError(t, err, "new outbox")
	m := frenchMessage("rappels-2026-12-04-u7@epinay.example.fr")
	require.NoError(t, o.Send(context.Background(), m), "first write")
	require.NoError(t, o.Send(context.Background(), m), "resend")
	require.NoError(t, o.Send(context.Background(), m), "third send")

	entries, err := os.ReadDir(dir)
	require.NoError(t, err, "read outbox")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"rappels-2026-12-04-u7@epinay.example.fr.2.eml", "rappels-2026-12-04-u7@epinay.example.fr.3.eml",
		"rappels-2026-12-04-u7@epinay.example.fr.eml"}, names, "a resend never overwrites: each send is a file, no temporary left")
	b, err := os.ReadFile(o.Path(m.MessageID))
	require.NoError(t, err, "read file")
	s := string(b)
	assert.Contains(t, s, "Message-ID: <rappels-2026-12-04-u7@epinay.example.fr>", "Message-ID header")
	assert.Contains(t, s, "multipart/alternative", "text and HTML")
	assert.True(t, strings.Contains(s, "=C3=A9") || strings.Contains(s, "é"), "UTF-8 body")
}

func TestOutboxRejectsInvalidMessage(t *testing.T) {
	t.Parallel()
	o, err := notify.NewOutbox(t.TempDir(), from)
	require.NoError(t, err, "new outbox")
	tests := []struct {
		name string
		give notify.Message
	}{
		{name: "no recipient", give: notify.Message{MessageID: "a@b", Text: "x"}},
		{name: "no Message-ID", give: notify.Message{To: []notify.Address{{Email: "a@example.fr"}}, Text: "x"}},
		{name: "bad address", give: notify.Message{To: []notify.Address{{Email: "not an address"}}, MessageID: "a@b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, o.Send(context.Background(), tt.give), notify.ErrInvalidMessage, "invalid message")
		})
	}
}

func TestNewPicksOutboxWithoutSMTP(t *testing.T) {
	t.Parallel()
	s, err := notify.New(notify.Options{OutboxDir: t.TempDir(), From: from})
	require.NoError(t, err, "new sender")
	_, ok := s.(*notify.Outbox)
	assert.True(t, ok, "outbox when SMTP_URL is empty, got %T", s)
}

func TestSMTPStartTLSAndAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		giveOpts notifytest.Options
		wantTLS  bool
	}{
		{name: "STARTTLS", giveOpts: notifytest.Options{TLS: true}, wantTLS: true},
		{name: "STARTTLS and AUTH PLAIN", giveOpts: notifytest.Options{TLS: true, User: "relay", Password: "s3cr&t"}, wantTLS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := notifytest.NewServerWith(t, tt.giveOpts)
			s, err := notify.NewSMTP(notify.Options{SMTPURL: srv.URL, From: from, Timeout: 5 * time.Second})
			require.NoError(t, err, "new SMTP sender for %s", srv.URL)
			require.NoError(t, s.Send(context.Background(), frenchMessage("tls-1@example.fr")), "send")
			got := srv.Messages()
			require.Len(t, got, 1, "received")
			assert.Equal(t, tt.wantTLS, got[0].TLS, "session over TLS")
		})
	}
}

func TestSMTPNeverSendsPasswordInClear(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewServerWith(t, notifytest.Options{User: "relay", Password: "s3cr&t"})
	s, err := notify.NewSMTP(notify.Options{SMTPURL: srv.URL, From: from, Timeout: 5 * time.Second})
	require.NoError(t, err, "new SMTP sender")
	assert.Error(t, s.Send(context.Background(), frenchMessage("clear-1@example.fr")), "no PLAIN/LOGIN without TLS")
	assert.Empty(t, srv.Messages(), "nothing delivered")
}

func TestSMTPWrongPasswordFails(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewServerWith(t, notifytest.Options{TLS: true, User: "relay", Password: "right"})
	bad := strings.Replace(srv.URL, "relay:right@", "relay:wrong@", 1)
	s, err := notify.NewSMTP(notify.Options{SMTPURL: bad, From: from, Timeout: 5 * time.Second})
	require.NoError(t, err, "new SMTP sender")
	assert.Error(t, s.Send(context.Background(), frenchMessage("tls-2@example.fr")), "authentication refused")
	assert.Empty(t, srv.Messages(), "nothing delivered")
}
