package notifytest

import (
	"context"
	"sync"

	"github.com/classemobile/classemobile/internal/notify"
)

// Mailbox is a notify.Sender that keeps the messages it is given, for
// tests of code that sends e-mail without a server in between. Its zero
// value is ready; it is safe for concurrent use.
type Mailbox struct {
	mu   sync.Mutex
	msgs []notify.Message
}

// Send keeps m.
func (b *Mailbox) Send(_ context.Context, m notify.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, m)
	return nil
}

// All returns every message kept, in the order sent.
func (b *Mailbox) All() []notify.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]notify.Message(nil), b.msgs...)
}

// Take returns the messages kept since the last Take and forgets them.
func (b *Mailbox) Take() []notify.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.msgs
	b.msgs = nil
	return out
}
