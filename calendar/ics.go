package calendar

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"
)

// DefaultProdID is the PRODID of feeds that do not set one.
const DefaultProdID = "-//classemobile//classemobile//FR"

// ParisTZID is the time zone of timed events; its VTIMEZONE is in every feed.
const ParisTZID = "Europe/Paris"

// EventStatus is the STATUS of an event.
type EventStatus string

// Event statuses. A cancelled loan stays in the feed for a while as
// StatusCancelled (with its Sequence raised) so that clients remove it.
const (
	StatusConfirmed EventStatus = "CONFIRMED"
	StatusTentative EventStatus = "TENTATIVE"
	StatusCancelled EventStatus = "CANCELLED"
)

// Feed is an iCalendar feed: a named calendar of events.
type Feed struct {
	// Name is the calendar name shown by clients (NAME and X-WR-CALNAME),
	// in French, e.g. "Classe mobile — École Jean Jaurès 1". Required.
	Name string
	// Description is an optional longer description (X-WR-CALDESC).
	Description string
	// ProdID identifies the producer. Defaults to DefaultProdID.
	ProdID string
	// Events are the feed's events, in any order: they are written sorted
	// by start, then UID. UIDs must be unique.
	Events []Event
}

// Event is one calendar event. It is either all-day (StartDate set) or
// timed (StartTime set), never both.
//
// Text fields may hold any Unicode text, newlines included; they are escaped
// per RFC 5545, carriage returns become newlines, other control characters
// and invalid UTF-8 are dropped.
type Event struct {
	// UID is the event's stable identifier, unique across all feeds and
	// stable across renders, e.g. "loan-42-pickup-school@classemobile"
	// (per loan, event kind and feed scope). Required.
	UID string
	// Sequence is the revision of the event: raise it on every change of
	// the event (dates, text, status), so clients replace their copy.
	Sequence int
	// Modified is the time of the event's last change. It is written as
	// DTSTAMP and LAST-MODIFIED in UTC; it is not "now", so an unchanged
	// event renders to identical bytes. Required.
	Modified time.Time
	// Summary is the one-line title, in French. Required.
	Summary string
	// Description and Location are optional.
	Description string
	Location    string
	// URL is an optional link to the loan in the application.
	URL string
	// Categories are optional tags ("Prêt", "Retrait").
	Categories []string
	// Status defaults to StatusConfirmed.
	Status EventStatus
	// Busy marks the time as busy (TRANSP:OPAQUE). The default, false,
	// writes TRANSP:TRANSPARENT: a loan must not block anyone's agenda.
	Busy bool

	// StartDate makes an all-day event (DTSTART;VALUE=DATE) and EndDate is
	// its exclusive end (DTEND;VALUE=DATE): a one-day event on 4 May ends on
	// 5 May. A zero EndDate means one day.
	StartDate Date
	EndDate   Date
	// StartTime and EndTime make a timed event, written as Europe/Paris wall
	// clock with TZID=Europe/Paris whatever their location. EndTime must be
	// after StartTime.
	StartTime time.Time
	EndTime   time.Time
}

// WriteICS writes feed as an iCalendar stream (RFC 5545) to w.
//
// The stream has VERSION:2.0, PRODID, NAME and X-WR-CALNAME,
// X-WR-TIMEZONE:Europe/Paris, REFRESH-INTERVAL;VALUE=DURATION:PT1H and
// X-PUBLISHED-TTL:PT1H, the Europe/Paris VTIMEZONE (always, which also keeps
// a feed without events valid), then one VEVENT per event sorted by start
// and UID. It has no METHOD (a feed is not a scheduling message) and no
// VALARM (Google and Outlook ignore alarms in subscribed feeds: reminders
// are events). Lines end in CRLF and are folded at 75 octets without
// splitting a UTF-8 character. The output depends only on feed: equal feeds
// give identical bytes, whatever the order of their events.
//
// Returns an error wrapping ErrInvalidFeed when the feed cannot be written
// (no name, an event without UID, Modified or Summary, with both or neither
// of StartDate and StartTime, ending before it starts, a duplicate UID),
// before anything is written to w.
func WriteICS(w io.Writer, feed Feed) error {
	b, err := MarshalICS(feed)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// MarshalICS returns the bytes WriteICS writes, e.g. to cache them and
// derive an ETag.
func MarshalICS(feed Feed) ([]byte, error) {
	cal, err := buildCalendar(feed)
	if err != nil {
		return nil, err
	}
	var raw bytes.Buffer
	raw.Grow(2048 + 640*len(feed.Events))
	if err := ical.NewEncoder(&raw).Encode(cal); err != nil {
		// buildCalendar checked everything go-ical checks.
		return nil, fmt.Errorf("%w: %v", ErrInvalidFeed, err)
	}
	return foldLines(raw.Bytes()), nil
}

func buildCalendar(feed Feed) (*ical.Calendar, error) {
	name := cleanText(feed.Name)
	if strings.TrimSpace(name) == "" {
		return nil, fmt.Errorf("%w: no calendar name", ErrInvalidFeed)
	}
	prodID := strings.ReplaceAll(cleanText(feed.ProdID), "\n", " ")
	if prodID == "" {
		prodID = DefaultProdID
	}
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	setRaw(cal.Props, ical.PropProductID, prodID)
	setRaw(cal.Props, ical.PropCalendarScale, "GREGORIAN")
	setText(cal.Props, ical.PropName, name)
	setText(cal.Props, "X-WR-CALNAME", name)
	if d := cleanText(feed.Description); d != "" {
		setText(cal.Props, "X-WR-CALDESC", d)
	}
	setRaw(cal.Props, "X-WR-TIMEZONE", ParisTZID)
	// go-ical drops VALUE=DURATION (the default type of REFRESH-INTERVAL),
	// but RFC 7986 requires it: set the parameter by hand.
	refresh := ical.NewProp(ical.PropRefreshInterval)
	refresh.Params.Set(ical.ParamValue, string(ical.ValueDuration))
	refresh.Value = "PT1H"
	cal.Props.Set(refresh)
	setRaw(cal.Props, "X-PUBLISHED-TTL", "PT1H")

	cal.Children = append(cal.Children, parisTimezone())

	events := make([]Event, len(feed.Events))
	copy(events, feed.Events)
	seen := make(map[string]bool, len(events))
	keys := make([]string, len(events))
	for i, ev := range events {
		if err := ev.validate(); err != nil {
			return nil, fmt.Errorf("%w: event %d (%q): %v", ErrInvalidFeed, i, ev.UID, err)
		}
		if seen[ev.UID] {
			return nil, fmt.Errorf("%w: duplicate UID %q", ErrInvalidFeed, ev.UID)
		}
		seen[ev.UID] = true
		keys[i] = ev.sortKey()
	}
	idx := make([]int, len(events))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	for _, i := range idx {
		cal.Children = append(cal.Children, events[i].component())
	}
	return cal, nil
}

func (ev Event) validate() error {
	switch {
	case strings.TrimSpace(ev.UID) == "" || ev.UID != cleanText(ev.UID) || strings.ContainsAny(ev.UID, "\n\t"):
		return fmt.Errorf("UID %q empty or with control characters", ev.UID)
	case ev.Modified.IsZero():
		return fmt.Errorf("no Modified time")
	case strings.TrimSpace(cleanText(ev.Summary)) == "":
		return fmt.Errorf("no Summary")
	case ev.Sequence < 0:
		return fmt.Errorf("negative Sequence %d", ev.Sequence)
	}
	switch ev.Status {
	case "", StatusConfirmed, StatusTentative, StatusCancelled:
	default:
		return fmt.Errorf("unknown Status %q", ev.Status)
	}
	allDay, timed := !ev.StartDate.IsZero(), !ev.StartTime.IsZero()
	switch {
	case allDay == timed:
		return fmt.Errorf("exactly one of StartDate and StartTime must be set")
	case allDay && !ev.EndDate.IsZero() && !ev.EndDate.After(ev.StartDate):
		return fmt.Errorf("EndDate %s not after StartDate %s (DTEND is exclusive)", ev.EndDate, ev.StartDate)
	case allDay && !ev.EndTime.IsZero():
		return fmt.Errorf("EndTime set on an all-day event")
	case timed && !ev.EndDate.IsZero():
		return fmt.Errorf("EndDate set on a timed event")
	case timed && !ev.EndTime.After(ev.StartTime):
		return fmt.Errorf("EndTime %s not after StartTime %s", ev.EndTime, ev.StartTime)
	}
	return nil
}

// sortKey orders events by start date, all-day before timed, then start
// time, then UID (unique), so the order never depends on the input's.
func (ev Event) sortKey() string {
	if !ev.StartDate.IsZero() {
		return ev.StartDate.String() + " 0 " + ev.UID
	}
	return parisWallClock(ev.StartTime).Format("2006-01-02 1 15:04:05 ") + ev.UID
}

func (ev Event) component() *ical.Component {
	c := ical.NewComponent(ical.CompEvent)
	c.Props = make(ical.Props, 16) // room for every property: no map growth
	setRaw(c.Props, ical.PropUID, ev.UID)
	setRaw(c.Props, ical.PropSequence, strconv.Itoa(ev.Sequence))
	stamp := ev.Modified.UTC().Truncate(time.Second).Format("20060102T150405Z")
	setRaw(c.Props, ical.PropDateTimeStamp, stamp)
	setRaw(c.Props, ical.PropLastModified, stamp)
	c.Props.SetText(ical.PropSummary, cleanText(ev.Summary))
	if d := cleanText(ev.Description); d != "" {
		c.Props.SetText(ical.PropDescription, d)
	}
	if l := cleanText(ev.Location); l != "" {
		c.Props.SetText(ical.PropLocation, l)
	}
	if u := cleanText(ev.URL); u != "" && !strings.ContainsAny(u, "\n\t ") {
		setRaw(c.Props, ical.PropURL, u)
	}
	if len(ev.Categories) > 0 {
		cats := make([]string, 0, len(ev.Categories))
		for _, s := range ev.Categories {
			if s = strings.TrimSpace(cleanText(s)); s != "" {
				cats = append(cats, s)
			}
		}
		if len(cats) > 0 {
			p := ical.NewProp(ical.PropCategories)
			p.SetTextList(cats)
			c.Props.Set(p)
		}
	}
	status := ev.Status
	if status == "" {
		status = StatusConfirmed
	}
	setRaw(c.Props, ical.PropStatus, string(status))
	transp := "TRANSPARENT"
	if ev.Busy {
		transp = "OPAQUE"
	}
	setRaw(c.Props, ical.PropTransparency, transp)

	if !ev.StartDate.IsZero() {
		end := ev.EndDate
		if end.IsZero() {
			end = ev.StartDate.AddDays(1)
		}
		c.Props.Set(dateProp(ical.PropDateTimeStart, ev.StartDate))
		c.Props.Set(dateProp(ical.PropDateTimeEnd, end))
	} else {
		c.Props.Set(parisProp(ical.PropDateTimeStart, ev.StartTime))
		c.Props.Set(parisProp(ical.PropDateTimeEnd, ev.EndTime))
	}
	return c
}

// setText sets a TEXT property, escaped by go-ical, without the VALUE=TEXT
// parameter go-ical adds to X- properties (TEXT is their default type).
func setText(props ical.Props, name, text string) {
	p := ical.NewProp(name)
	p.SetText(text)
	p.Params.Del(ical.ParamValue)
	props.Set(p)
}

// setRaw sets a property whose value needs no escaping.
func setRaw(props ical.Props, name, value string) {
	p := ical.NewProp(name)
	p.Value = value
	props.Set(p)
}

func dateProp(name string, d Date) *ical.Prop {
	p := ical.NewProp(name)
	p.Params.Set(ical.ParamValue, string(ical.ValueDate))
	p.Value = d.Time().Format("20060102")
	return p
}

// parisProp writes t as Europe/Paris wall clock with its TZID; go-ical would
// need the tz database and writes the TZID without the VTIMEZONE.
func parisProp(name string, t time.Time) *ical.Prop {
	p := ical.NewProp(name)
	p.Params.Set(ical.PropTimezoneID, ParisTZID)
	p.Value = parisWallClock(t).Format("20060102T150405")
	return p
}

// parisTimezone is the VTIMEZONE of Europe/Paris under the EU rule the
// package applies (see parisOffset).
func parisTimezone() *ical.Component {
	tz := ical.NewComponent(ical.CompTimezone)
	setRaw(tz.Props, ical.PropTimezoneID, ParisTZID)
	setRaw(tz.Props, "X-LIC-LOCATION", ParisTZID)
	rule := func(kind, name, from, to, start, month string) *ical.Component {
		c := ical.NewComponent(kind)
		setRaw(c.Props, ical.PropTimezoneName, name)
		setRaw(c.Props, ical.PropTimezoneOffsetFrom, from)
		setRaw(c.Props, ical.PropTimezoneOffsetTo, to)
		setRaw(c.Props, ical.PropDateTimeStart, start)
		setRaw(c.Props, ical.PropRecurrenceRule, "FREQ=YEARLY;BYMONTH="+month+";BYDAY=-1SU")
		return c
	}
	tz.Children = []*ical.Component{
		rule(ical.CompTimezoneDaylight, "CEST", "+0100", "+0200", "19700329T020000", "3"),
		rule(ical.CompTimezoneStandard, "CET", "+0200", "+0100", "19701025T030000", "10"),
	}
	return tz
}

// cleanText makes s safe for an iCalendar TEXT value: valid UTF-8, CRLF and
// CR turned into LF (go-ical fails on CR; RFC 5545 escapes LF as \n), and no
// other control character than tab and LF.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// maxLineOctets is the longest content line RFC 5545 allows, CRLF excluded.
const maxLineOctets = 75

// foldLines folds every CRLF-terminated content line longer than 75 octets
// (go-ical does not fold): continuation lines start with one space, which
// counts in their 75 octets, and a cut never splits a UTF-8 sequence.
func foldLines(raw []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(raw) + len(raw)/40)
	for len(raw) > 0 {
		i := bytes.Index(raw, []byte("\r\n"))
		if i < 0 {
			i = len(raw)
		}
		line := raw[:i]
		raw = raw[min(i+2, len(raw)):]
		limit := maxLineOctets
		for len(line) > limit {
			cut := limit
			for cut > 0 && !utf8.RuneStart(line[cut]) {
				cut--
			}
			// Keep an escape sequence ("\\,", "\\n") on one line: legal to
			// split, but some readers unescape before unfolding.
			if n := trailingBackslashes(line[:cut]); n%2 == 1 {
				cut--
			}
			out.Write(line[:cut])
			out.WriteString("\r\n ")
			line = line[cut:]
			limit = maxLineOctets - 1
		}
		out.Write(line)
		out.WriteString("\r\n")
	}
	return out.Bytes()
}

func trailingBackslashes(b []byte) int {
	n := 0
	for n < len(b) && b[len(b)-1-n] == '\\' {
		n++
	}
	return n
}

// ParseICS decodes an iCalendar stream with go-ical. go-ical's decoder
// panics on some malformed input; ParseICS turns that into an error, so it
// is safe on untrusted data. Returns an error wrapping ErrInvalidICS.
func ParseICS(r io.Reader) (cal *ical.Calendar, err error) {
	defer func() {
		if p := recover(); p != nil {
			cal, err = nil, fmt.Errorf("%w: decoder panic: %v", ErrInvalidICS, p)
		}
	}()
	cal, err = ical.NewDecoder(r).Decode()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidICS, err)
	}
	return cal, nil
}
