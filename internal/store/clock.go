package store

import "time"

// SetNowFunc replaces the store's clock, for tests that move time forward
// (token and session expiry). Call it before the store is shared between
// goroutines.
func (db *DB) SetNowFunc(now func() time.Time) { db.now = now }
