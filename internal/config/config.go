// Package config reads classemobile's configuration: flags first, then the
// environment, then defaults.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config is the configuration of the serve command.
type Config struct {
	// Addr is the HTTP listen address (ADDR). Defaults to ":8080".
	Addr string
	// DatabaseURL selects the database (DATABASE_URL): a postgres:// URL
	// or an SQLite file path. Defaults to "classemobile.db".
	DatabaseURL string
	// BaseURL is the public URL of the service, used in feed links
	// (BASE_URL). Defaults to "http://localhost" + Addr.
	BaseURL string
	// BaseURLFromAddr is true when BaseURL was not given and was derived
	// from Addr: serve then derives it again from the address it really
	// listens on (a port 0 becomes the port chosen).
	BaseURLFromAddr bool
	// Demo seeds the demo data set into an empty database (DEMO=1).
	// Defaults to false.
	Demo bool
	// LoanWeeks is the default loan length in school weeks (LOAN_WEEKS).
	// Defaults to 6.
	LoanWeeks int
	// PickupWindowDays is the number of school days before a loan's
	// planned pickup day from which the pickup may be recorded
	// (PICKUP_WINDOW_DAYS). Defaults to 5.
	PickupWindowDays int
	// TimeZone is the schools' time zone (TZ_SCHOOLS). Defaults to
	// "Europe/Paris".
	TimeZone string
	// Location is TimeZone loaded.
	Location *time.Location
	// LogLevel is debug, info, warn or error (LOG_LEVEL). Defaults to info.
	LogLevel string
	// SMTPURL configures e-mail delivery (SMTP_URL), e.g.
	// smtp://user:pass@host:587 (STARTTLS) or smtps://host:465 (TLS).
	// Defaults to empty: messages go to OutboxDir.
	SMTPURL string
	// MailFrom is the sender address of e-mails (MAIL_FROM). Defaults to
	// "classemobile <noreply@localhost>".
	MailFrom string
	// ContactName and ContactEmail name the person every e-mail gives for
	// questions, usually the coordinator (CONTACT_NAME, CONTACT_EMAIL).
	// Default to empty: messages then name no contact.
	ContactName  string
	ContactEmail string
	// OutboxDir receives messages as .eml files when SMTP is not configured
	// (OUTBOX_DIR). Defaults to "outbox" beside the SQLite file, or in the
	// working directory on PostgreSQL.
	OutboxDir string
	// JobsAt is the Europe/Paris time of day of the nightly job (JOBS_AT,
	// HH:MM). Defaults to "02:00".
	JobsAt string
	// NoJobs disables the job scheduler in this instance (NO_JOBS=1).
	// Defaults to false.
	NoJobs bool
	// FeedRatePerMinute is the sustained number of requests per minute one
	// iCal feed token may make on this instance (FEED_RATE_PER_MINUTE);
	// 0 disables the limit. Defaults to 60.
	FeedRatePerMinute int
	// Town is the town's name shown in the web application's header
	// (TOWN_NAME). Defaults to "Ville d'Épinay-sur-Seine".
	Town string
	// FeedBurst is the number of requests one feed token may make at once
	// (FEED_BURST). Defaults to 30.
	FeedBurst int
	// LogFormat is text or json (LOG_FORMAT). Defaults to text.
	LogFormat string
	// MetricsAddr, when set, serves GET /metrics on a listener of its own
	// (METRICS_ADDR), e.g. "127.0.0.1:9090". Defaults to empty.
	MetricsAddr string
	// MetricsToken, when set, serves GET /metrics on the main listener to
	// requests bearing it (METRICS_TOKEN, environment only: a flag would
	// show in the process list). Defaults to empty: with neither
	// MetricsAddr nor MetricsToken, metrics are not served at all.
	MetricsToken string
	// TrustedProxies lists the addresses or CIDR ranges of the reverse
	// proxies whose X-Forwarded-For, X-Forwarded-Proto and X-Request-Id
	// headers are believed (TRUSTED_PROXIES, comma-separated). Defaults to
	// none: forwarded headers are ignored.
	TrustedProxies string
	// Proxies is TrustedProxies parsed.
	Proxies []netip.Prefix
	// RetentionYears is how many past school years keep their people's
	// data besides the current one; the nightly job anonymises older ones
	// (RETENTION_YEARS). Defaults to 3.
	RetentionYears int
}

// Load reads the serve command's flags from args, then the environment
// through getenv for the flags not given. It returns flag.ErrHelp after
// printing help for -h.
func Load(args []string, getenv func(string) string, output io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.Usage = func() {
		fmt.Fprintln(output, "Usage: classemobile serve [--addr :8080] [--db URL] [--demo] [flags]")
		fmt.Fprintln(output, "\nMigrates the database, then serves the API, the iCal feeds and the nightly jobs.")
		fmt.Fprintln(output, "Every flag can also be set by the environment variable in brackets.")
		fmt.Fprintln(output)
		fs.PrintDefaults()
	}
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.Addr, "addr", env("ADDR", ":8080"), "HTTP listen address [ADDR]")
	fs.StringVar(&c.DatabaseURL, "db", env("DATABASE_URL", "classemobile.db"), "postgres:// URL or SQLite file path [DATABASE_URL]")
	fs.StringVar(&c.BaseURL, "base-url", getenv("BASE_URL"), "public URL of the service, for feed links [BASE_URL] (default http://localhost<addr>)")
	fs.BoolVar(&c.Demo, "demo", envBool(getenv("DEMO")), "seed the demo data set into an empty database [DEMO]")
	fs.IntVar(&c.LoanWeeks, "loan-weeks", envInt(getenv("LOAN_WEEKS"), 6), "default loan length in school weeks [LOAN_WEEKS]")
	fs.IntVar(&c.PickupWindowDays, "pickup-window", envInt(getenv("PICKUP_WINDOW_DAYS"), 5), "school days before the planned pickup day from which a pickup may be recorded [PICKUP_WINDOW_DAYS]")
	fs.StringVar(&c.TimeZone, "tz", env("TZ_SCHOOLS", "Europe/Paris"), "schools' time zone [TZ_SCHOOLS]")
	fs.StringVar(&c.LogLevel, "log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error [LOG_LEVEL]")
	fs.StringVar(&c.SMTPURL, "smtp", getenv("SMTP_URL"), "SMTP server, smtp://user:pass@host:587 or smtps://host:465 [SMTP_URL]")
	fs.StringVar(&c.MailFrom, "mail-from", env("MAIL_FROM", "classemobile <noreply@localhost>"), "sender of e-mails [MAIL_FROM]")
	fs.StringVar(&c.ContactName, "contact-name", getenv("CONTACT_NAME"), "the coordinator named as contact in e-mails [CONTACT_NAME]")
	fs.StringVar(&c.ContactEmail, "contact-email", getenv("CONTACT_EMAIL"), "the contact's e-mail address [CONTACT_EMAIL]")
	fs.StringVar(&c.OutboxDir, "outbox", getenv("OUTBOX_DIR"), "directory for .eml files when SMTP is not set [OUTBOX_DIR] (default outbox/ beside the SQLite file)")
	fs.StringVar(&c.JobsAt, "jobs-at", env("JOBS_AT", "02:00"), "time of day (Europe/Paris) of the nightly job [JOBS_AT]")
	fs.BoolVar(&c.NoJobs, "no-jobs", envBool(getenv("NO_JOBS")), "do not run the nightly job scheduler in this instance [NO_JOBS]")
	fs.IntVar(&c.FeedRatePerMinute, "feed-rate", envInt(getenv("FEED_RATE_PER_MINUTE"), 60), "requests per minute per iCal feed token, 0 for no limit [FEED_RATE_PER_MINUTE]")
	fs.StringVar(&c.Town, "town", env("TOWN_NAME", "Ville d'Épinay-sur-Seine"), "town's name in the web application's header [TOWN_NAME]")
	fs.IntVar(&c.FeedBurst, "feed-burst", envInt(getenv("FEED_BURST"), 30), "burst of requests per iCal feed token [FEED_BURST]")
	fs.StringVar(&c.LogFormat, "log-format", env("LOG_FORMAT", "text"), "log format, text or json [LOG_FORMAT]")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", getenv("METRICS_ADDR"), "serve /metrics on this address, e.g. 127.0.0.1:9090 [METRICS_ADDR] (default: not served; see also METRICS_TOKEN)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", getenv("TRUSTED_PROXIES"), "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-* headers are believed [TRUSTED_PROXIES]")
	fs.IntVar(&c.RetentionYears, "retention-years", envInt(getenv("RETENTION_YEARS"), 3), "past school years whose people's data is kept besides the current one [RETENTION_YEARS]")
	c.MetricsToken = getenv("METRICS_TOKEN")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.fillDefaults()
	return c, c.Validate()
}

func (c *Config) fillDefaults() {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL(c.Addr)
		c.BaseURLFromAddr = true
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.OutboxDir == "" {
		c.OutboxDir = DefaultOutbox(c.DatabaseURL)
	}
}

// DefaultBaseURL returns the base URL of a server listening on addr
// (":8080", "127.0.0.1:8080", "[::]:8080") when none is configured: the
// local host name for a wildcard or missing host, http.
func DefaultBaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + strings.TrimRight(addr, "/")
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// DefaultOutbox returns the outbox directory for a database: beside the
// SQLite file, or "outbox" in the working directory for PostgreSQL.
func DefaultOutbox(databaseURL string) string {
	if strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://") {
		return "outbox"
	}
	path := strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	return filepath.Join(filepath.Dir(path), "outbox")
}

var hhmm = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("addr: empty listen address"))
	}
	if c.LoanWeeks < 1 || c.LoanWeeks > 20 {
		errs = append(errs, fmt.Errorf("loan-weeks: %d is not in 1..20", c.LoanWeeks))
	}
	if c.PickupWindowDays < 1 || c.PickupWindowDays > 60 {
		errs = append(errs, fmt.Errorf("pickup-window: %d is not in 1..60", c.PickupWindowDays))
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		errs = append(errs, fmt.Errorf("tz: %w", err))
	}
	c.Location = loc
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level: %q is not debug, info, warn or error", c.LogLevel))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("base-url: %q is not an http(s) URL", c.BaseURL))
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			errs = append(errs, errors.New("smtp: expected smtp://[user:pass@]host[:port] or smtps://…"))
		}
	}
	if c.ContactEmail != "" && (!strings.Contains(c.ContactEmail, "@") || strings.ContainsAny(c.ContactEmail, " <>")) {
		errs = append(errs, fmt.Errorf("contact-email: %q is not an e-mail address", c.ContactEmail))
	}
	if c.FeedRatePerMinute < 0 {
		errs = append(errs, fmt.Errorf("feed-rate: %d is negative", c.FeedRatePerMinute))
	}
	if c.FeedBurst < 1 {
		errs = append(errs, fmt.Errorf("feed-burst: %d is not positive", c.FeedBurst))
	}
	if c.RetentionYears < 1 || c.RetentionYears > 50 {
		errs = append(errs, fmt.Errorf("retention-years: %d is not in 1..50", c.RetentionYears))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log-format: %q is not text or json", c.LogFormat))
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		errs = append(errs, errors.New("METRICS_TOKEN: fewer than 16 characters"))
	}
	c.Proxies = nil
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				errs = append(errs, fmt.Errorf("trusted-proxies: %q is not an IP address or CIDR range", p))
				continue
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.Proxies = append(c.Proxies, prefix.Masked())
	}
	if !hhmm.MatchString(c.JobsAt) {
		errs = append(errs, fmt.Errorf("jobs-at: %q is not HH:MM", c.JobsAt))
	}
	return errors.Join(errs...)
}

func envBool(v string) bool {
	b, _ := strconv.ParseBool(v)
	return b
}

func envInt(v string, def int) int {
	if n, err := strconv.Atoi(v); err == nil {
		return n
	}
	return def
}

// DatabaseURL returns the database URL from the environment, or the default.
func DatabaseURL(getenv func(string) string) string {
	if v := getenv("DATABASE_URL"); v != "" {
		return v
	}
	return "classemobile.db"
}
