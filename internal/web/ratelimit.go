package web

import (
	"math"
	"sync"
	"time"
)

// rateLimiter is an in-memory token bucket per key (a feed token): each
// key may make burst requests at once, then rate per second. It is per
// instance: with N instances behind a balancer a client gets up to N times
// the rate, which is fine for its purpose (keeping a misbehaving calendar
// client from hammering the database). Idle buckets are swept, and the
// number of buckets is bounded so random keys cannot exhaust memory.
type rateLimiter struct {
	rate  float64 // tokens per second; <= 0 disables the limiter
	burst float64
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds the limiter's memory; past it, refilled buckets are
// swept at once and, if the map is still full, half of it is dropped (a
// dropped bucket starts full again: the worst case is a burst too many).
const maxBuckets = 100_000

func newRateLimiter(perMinute float64, burst int, now func() time.Time) *rateLimiter {
	if burst < 1 {
		burst = 1
	}
	return &rateLimiter{rate: perMinute / 60, burst: float64(burst), now: now, buckets: make(map[string]*bucket)}
}

// allow takes a token from key's bucket. When the bucket is empty it
// returns false and how long until a token is available.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute || len(l.buckets) >= maxBuckets {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(l.burst, b.tokens+elapsed*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// sweep forgets buckets that have refilled (as if never used); if the map
// is still at its bound, it drops half of it.
func (l *rateLimiter) sweep(now time.Time) {
	l.lastSweep = now
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) < maxBuckets {
		return
	}
	for k := range l.buckets {
		if len(l.buckets) <= maxBuckets/2 {
			break
		}
		delete(l.buckets, k)
	}
}
