// Package metrics holds classemobile's Prometheus collectors: HTTP
// requests by route, the iCal feeds' cache, sign-ins, the nightly job,
// allocation solves and the database pool.
//
// A *Metrics is built on a registry passed in (New), so tests and several
// servers in one process do not share state. Every method is safe on a nil
// *Metrics and then does nothing: packages take an optional *Metrics and
// need no test double.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric name.
const Namespace = "classemobile"

// Kind classifies a route for the latency histograms: pages, the JSON API
// and the feeds have very different latencies, so each gets its own
// histogram with its own buckets.
type Kind int

// The route kinds.
const (
	KindOther Kind = iota // health probes, /metrics, unmatched requests
	KindAPI               // /api/…
	KindPage              // pages for people (everything else a route matched)
	KindFeed              // /ics/…
)

var kindNames = [...]string{"other", "api", "page", "feed"}

func (k Kind) String() string { return kindNames[k] }

// Feed results counted by Feed.
const (
	FeedHit         = "hit"          // 200 from the in-memory rendering
	FeedRender      = "render"       // 200 after rendering (cache miss)
	FeedNotModified = "not_modified" // 304
	FeedNotFound    = "not_found"    // unknown or revoked token
	FeedRateLimited = "rate_limited" // 429
	FeedError       = "error"        // 500
)

// Reminder outcomes counted by Reminders.
const (
	ReminderSent          = "sent"
	ReminderSkipped       = "skipped"
	ReminderFailedAttempt = "failed_attempt"
	ReminderFailed        = "failed"
)

// Metrics are the service's collectors.
type Metrics struct {
	requests  *prometheus.CounterVec
	durations [len(kindNames)]*prometheus.HistogramVec
	// children caches the label-resolved collectors of a (kind, route,
	// method, code): resolving labels hashes them under a read lock at
	// every request, a sync.Map read is one atomic load.
	children sync.Map // childKey → *child

	feeds     *prometheus.CounterVec
	feedCount [6]prometheus.Counter

	signIns *prometheus.CounterVec

	jobRuns     *prometheus.CounterVec
	jobDuration *prometheus.HistogramVec
	reminders   *prometheus.CounterVec
	leader      prometheus.Gauge
	retention   *prometheus.CounterVec

	solveDuration prometheus.Histogram
	solveGap      prometheus.Histogram
	solves        *prometheus.CounterVec
}

type childKey struct {
	kind          Kind
	route, method string
	code          int
}

type child struct {
	count    prometheus.Counter
	duration prometheus.Observer // nil for KindOther
}

// New creates the collectors and registers them on reg. It panics if reg
// already holds collectors of the same names (a programming error).
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests by route kind, route pattern, method and status code.",
		}, []string{"kind", "route", "method", "code"}),
		feeds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "feed", Name: "responses_total",
			Help: "iCal feed responses by result: hit (200 from cache), render (200 after a cache miss), not_modified (304), not_found, rate_limited, error.",
		}, []string{"result"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "signins_total",
			Help: "Sign-in attempts by method (link, token…) and result (ok, refused…).",
		}, []string{"method", "result"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "job", Name: "runs_total",
			Help: "Runs of the nightly job by job and result (ok, error).",
		}, []string{"job", "result"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "job", Name: "duration_seconds",
			Help:    "Duration of the nightly job's runs.",
			Buckets: []float64{0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800},
		}, []string{"job"}),
		reminders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "job", Name: "reminders_total",
			Help: "Reminders handled by the nightly job by outcome: sent, skipped, failed_attempt (will be retried), failed (gave up).",
		}, []string{"outcome"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: "job", Name: "leader",
			Help: "1 when this instance runs the nightly job (the elected leader on PostgreSQL), else 0.",
		}),
		retention: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "job", Name: "retention_rows_total",
			Help: "Rows anonymised or deleted by the retention step of the nightly job, by kind.",
		}, []string{"kind"}),
		solveDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "allocation", Name: "solve_duration_seconds",
			Help:    "Duration of the allocation engine's solves (rounds).",
			Buckets: []float64{0.001, 0.005, 0.02, 0.1, 0.5, 1, 5, 15, 60},
		}),
		solveGap: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "allocation", Name: "solve_gap_ratio",
			Help:    "Relative gap (upper bound − objective) / upper bound of each solve; 0 when proved optimal.",
			Buckets: []float64{0, 0.0001, 0.001, 0.005, 0.01, 0.05, 0.1},
		}),
		solves: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "allocation", Name: "solves_total",
			Help: "Allocation solves by whether the plan was proved optimal.",
		}, []string{"proved"}),
	}
	buckets := [len(kindNames)][]float64{
		KindAPI:  {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10},
		KindPage: {0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10},
		KindFeed: {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.05, 0.25, 1},
	}
	for k := KindAPI; k <= KindFeed; k++ {
		m.durations[k] = prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "http", Name: k.String() + "_request_duration_seconds",
			Help:    "Latency of " + map[Kind]string{KindAPI: "JSON API", KindPage: "page", KindFeed: "iCal feed"}[k] + " requests by route pattern and method.",
			Buckets: buckets[k],
		}, []string{"route", "method"})
		reg.MustRegister(m.durations[k])
	}
	for i, r := range []string{FeedHit, FeedRender, FeedNotModified, FeedNotFound, FeedRateLimited, FeedError} {
		m.feedCount[i] = m.feeds.WithLabelValues(r)
	}
	for _, o := range []string{ReminderSent, ReminderSkipped, ReminderFailedAttempt, ReminderFailed} {
		m.reminders.WithLabelValues(o) // present at 0 from the start
	}
	reg.MustRegister(m.requests, m.feeds, m.signIns, m.jobRuns, m.jobDuration, m.reminders, m.leader,
		m.retention, m.solveDuration, m.solveGap, m.solves)
	return m
}

// Register adds the process, Go runtime and database pool collectors to
// reg (db may be nil).
func Register(reg prometheus.Registerer, db *sql.DB) {
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	if db != nil {
		reg.MustRegister(collectors.NewDBStatsCollector(db, Namespace))
	}
}

// Handler serves the metrics of g in the Prometheus text format.
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}

// Request records one HTTP request.
func (m *Metrics) Request(kind Kind, route, method string, code int, d time.Duration) {
	if m == nil {
		return
	}
	k := childKey{kind, route, method, code}
	c, ok := m.children.Load(k)
	if !ok {
		ch := &child{count: m.requests.WithLabelValues(kind.String(), route, method, strconv.Itoa(code))}
		if kind != KindOther {
			ch.duration = m.durations[kind].WithLabelValues(route, method)
		}
		c, _ = m.children.LoadOrStore(k, ch)
	}
	ch := c.(*child)
	ch.count.Inc()
	if ch.duration != nil {
		ch.duration.Observe(d.Seconds())
	}
}

// Feed records the result of one feed request (FeedHit…).
func (m *Metrics) Feed(result string) {
	if m == nil {
		return
	}
	switch result {
	case FeedHit:
		m.feedCount[0].Inc()
	case FeedRender:
		m.feedCount[1].Inc()
	case FeedNotModified:
		m.feedCount[2].Inc()
	case FeedNotFound:
		m.feedCount[3].Inc()
	case FeedRateLimited:
		m.feedCount[4].Inc()
	default:
		m.feedCount[5].Inc()
	}
}

// SignIn records a sign-in attempt: method is how ("link", "token"),
// result the outcome ("ok", "expired", "unknown"…). Keep both sets small:
// each pair is a time series.
func (m *Metrics) SignIn(method, result string) {
	if m == nil {
		return
	}
	m.signIns.WithLabelValues(method, result).Inc()
}

// JobRun records one run of a nightly job.
func (m *Metrics) JobRun(job string, d time.Duration, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.jobRuns.WithLabelValues(job, result).Inc()
	m.jobDuration.WithLabelValues(job).Observe(d.Seconds())
}

// Reminders adds n reminders with an outcome (ReminderSent…).
func (m *Metrics) Reminders(outcome string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.reminders.WithLabelValues(outcome).Add(float64(n))
}

// Retention adds n rows of a kind handled by the retention step.
func (m *Metrics) Retention(kind string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.retention.WithLabelValues(kind).Add(float64(n))
}

// SetLeader records whether this instance runs the nightly job.
func (m *Metrics) SetLeader(leader bool) {
	if m == nil {
		return
	}
	if leader {
		m.leader.Set(1)
	} else {
		m.leader.Set(0)
	}
}

// Solve records one allocation solve: its duration, objective, proven
// upper bound and whether it was proved optimal.
func (m *Metrics) Solve(d time.Duration, objective, upperBound int, proved bool) {
	if m == nil {
		return
	}
	m.solveDuration.Observe(d.Seconds())
	gap := 0.0
	if upperBound > 0 && upperBound > objective {
		gap = float64(upperBound-objective) / float64(upperBound)
	}
	m.solveGap.Observe(gap)
	m.solves.WithLabelValues(strconv.FormatBool(proved)).Inc()
}

// RequestCounter returns the request counter of one label set (tests).
func (m *Metrics) RequestCounter(kind, route, method, code string) prometheus.Counter {
	return m.requests.WithLabelValues(kind, route, method, code)
}

// FeedCounter returns the feed counter of a result (tests).
func (m *Metrics) FeedCounter(result string) prometheus.Counter {
	return m.feeds.WithLabelValues(result)
}

// SignInCounter returns the sign-in counter of one method and result
// (tests).
func (m *Metrics) SignInCounter(method, result string) prometheus.Counter {
	return m.signIns.WithLabelValues(method, result)
}
