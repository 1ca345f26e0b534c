package storetest_test

import (
	"testing"

	"github.com/classemobile/classemobile/internal/store/storetest"
)

// cycle is a testing.TB whose cleanups run when done is called, so that a
// benchmark iteration pays for a whole test database: its creation and
// what happens to it when the test ends.
type cycle struct {
	testing.TB
	cleanups []func()
}

func (c *cycle) Cleanup(f func()) { c.cleanups = append(c.cleanups, f) }

func (c *cycle) done() {
	for i := len(c.cleanups) - 1; i >= 0; i-- {
		c.cleanups[i]()
	}
	c.cleanups = nil
}

// BenchmarkNewPostgres measures one test's PostgreSQL database, from its
// creation to the end of the test, with a school written in it.
func BenchmarkNewPostgres(b *testing.B) {
	storetest.PostgresURL(b)
	for b.Loop() {
		c := &cycle{TB: b}
		db := storetest.NewPostgres(c)
		storetest.School(c, db, nil)
		c.done()
	}
}
