package store

// SetPublishHook makes PublishRound on db call hook at its named steps
// ("published", "cancelled", "loan") inside the transaction; the returned
// func removes it.
func SetPublishHook(db *DB, hook func(step string) error) (remove func()) {
	publishHooks.Store(db, hook)
	return func() { publishHooks.Delete(db) }
}

// Translate maps a driver error to the store's sentinels, for tests that
// write around the store.
func Translate(err error) error { return translate(err) }
