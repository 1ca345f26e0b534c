package notify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Outbox writes messages as .eml files into a directory, for installations
// without an SMTP server. A file is named after the Message-ID; a resend
// of the same message (a run killed between sending and recording it)
// never replaces the first file but adds "<id>.2.eml", "<id>.3.eml"…, so
// duplicates show in the outbox as they would in a mailbox.
type Outbox struct {
	dir  string
	from Address
}

// NewOutbox returns an outbox writing into dir, created if missing.
func NewOutbox(dir, from string) (*Outbox, error) {
	if dir == "" {
		return nil, fmt.Errorf("outbox: empty directory")
	}
	addr, err := ParseAddress(from)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return &Outbox{dir: dir, from: addr}, nil
}

// Dir returns the outbox directory.
func (o *Outbox) Dir() string { return o.dir }

// Path returns the file a message with this Message-ID is written to.
func (o *Outbox) Path(messageID string) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '_', r == '@':
			return r
		}
		return '_'
	}, messageID)
	return filepath.Join(o.dir, name+".eml")
}

// Send writes m atomically: to a temporary file in the same directory,
// synced, then renamed, so a reader never sees half a message.
func (o *Outbox) Send(ctx context.Context, m Message) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := Render(m, o.from)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(o.dir, ".tmp-*.eml")
	if err != nil {
		return fmt.Errorf("outbox %s: %w", m.MessageID, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("outbox %s: %w", m.MessageID, err)
		}
	}()
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	defer os.Remove(f.Name())
	// os.Link fails when the name exists: unlike a rename, it never
	// replaces a file, and a reader never sees half a message.
	base := strings.TrimSuffix(o.Path(m.MessageID), ".eml")
	for n := 1; ; n++ {
		path := base + ".eml"
		if n > 1 {
			path = fmt.Sprintf("%s.%d.eml", base, n)
		}
		err := os.Link(f.Name(), path)
		if !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
}
