package feed

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// rateLimiter is an in-memory token bucket per key (a feed token): each
// key may make burst requests at once, then rate per second. It is per
// instance: with N instances behind a balancer a client gets up to N times
// the rate, which is fine for its purpose (keeping a misbehaving calendar
// client from hammering the database). Idle buckets are swept, and the
// number of buckets is bounded so random keys cannot exhaust memory.
//
// A bucket is one atomic integer, its theoretical arrival time (the
// generic cell rate algorithm, an exact equivalent of the token bucket):
// the instant at which the bucket would be full again. A request at now
// is allowed when tat-now ≤ (burst-1)·interval, and then moves tat one
// interval further (from max(tat, now)). Requests never take a lock: a
// feed polled by many clients at once is not serialized on a mutex.
type rateLimiter struct {
	interval  int64 // nanoseconds per token; <= 0 disables the limiter
	tolerance int64 // (burst-1)·interval: how far tat may run ahead of now

	buckets   sync.Map     // key (string) → *atomic.Int64 (tat, unix nanoseconds)
	size      atomic.Int64 // number of buckets
	lastSweep atomic.Int64 // unix nanoseconds
}

// maxBuckets bounds the limiter's memory; past it, refilled buckets are
// swept at once and, if the map is still full, half of it is dropped (a
// dropped bucket starts full again: the worst case is a burst too many).
const maxBuckets = 100_000

func newRateLimiter(perMinute float64, burst int) *rateLimiter {
	if burst < 1 {
		burst = 1
	}
	l := &rateLimiter{}
	if perMinute > 0 {
		l.interval = int64(float64(time.Minute) / perMinute)
		if l.interval < 1 {
			l.interval = 1
		}
		l.tolerance = int64(burst-1) * l.interval
	}
	return l
}

// allow takes a token from key's bucket at instant now. When the bucket is
// empty it returns false and how long until a token is available.
func (l *rateLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.interval <= 0 {
		return true, 0
	}
	t := now.UnixNano()
	v, ok := l.buckets.Load(key)
	if !ok {
		if last := l.lastSweep.Load(); t-last > int64(time.Minute) && l.lastSweep.CompareAndSwap(last, t) || l.size.Load() >= maxBuckets {
			l.sweep(t)
		}
		var loaded bool
		// The key is cloned: it is a piece of the request's path.
		v, loaded = l.buckets.LoadOrStore(strings.Clone(key), new(atomic.Int64))
		if !loaded {
			l.size.Add(1)
		}
	}
	b := v.(*atomic.Int64)
	for {
		old := b.Load()
		tat := max(old, t)
		if ahead := tat - t; ahead > l.tolerance {
			return false, time.Duration(ahead - l.tolerance)
		}
		if b.CompareAndSwap(old, tat+l.interval) {
			return true, 0
		}
	}
}

// len returns the number of buckets.
func (l *rateLimiter) len() int { return int(l.size.Load()) }

// sweep forgets buckets that have refilled (as if never used); if the map
// is still at its bound, it drops half of it. A request racing with the
// sweep of its (full) bucket may go unrecorded: at worst one request too
// many.
func (l *rateLimiter) sweep(now int64) {
	l.buckets.Range(func(k, v any) bool {
		if v.(*atomic.Int64).Load() <= now {
			if _, ok := l.buckets.LoadAndDelete(k); ok {
				l.size.Add(-1)
			}
		}
		return true
	})
	if l.size.Load() < maxBuckets {
		return
	}
	l.buckets.Range(func(k, _ any) bool {
		if l.size.Load() <= maxBuckets/2 {
			return false
		}
		if _, ok := l.buckets.LoadAndDelete(k); ok {
			l.size.Add(-1)
		}
		return true
	})
}
