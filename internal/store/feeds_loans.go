package store

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// FeedLoan is what an iCal feed shows of a loan: dates, state, school,
// class and packs. It carries no personal data (no teacher, no free text
// such as a cancellation reason).
type FeedLoan struct {
	ID         int64
	State      LoanState
	SchoolUAI  string
	SchoolName string
	// SchoolAddress is the school's postal address on one line, possibly
	// empty.
	SchoolAddress string
	// ClassLevels are the request's class levels ("CE2", "CM1").
	ClassLevels []string
	Packs       []FeedLoanPack
	// PickupDay is the first day of the loan, ReturnDay its last (after
	// extensions), BaseReturnDay the last before any extension.
	PickupDay      calendar.Date
	ReturnDay      calendar.Date
	BaseReturnDay  calendar.Date
	ExtensionWeeks int
	// PickupTime is the agreed time of the pickup, when one is known; the
	// pickup is then a timed event. Zero: an all-day event.
	PickupTime     time.Time
	DirectorSigned bool
	ITSigned       bool
	// TrainingStatus is the request's training status (not_planned,
	// planned, done) and TrainingDate its date, if any.
	TrainingStatus TrainingStatus
	TrainingDate   calendar.Date
	// Assessed reports whether the teacher's assessment is written.
	Assessed    bool
	CancelledAt *time.Time
	// Changed is the latest change of the loan, its request or its
	// assessment.
	Changed time.Time
}

// FeedLoanPack is one pack of a FeedLoan.
type FeedLoanPack struct {
	ID   int64
	Code string
}

type feedLoanRow struct {
	ID               int64          `bun:"id"`
	State            LoanState      `bun:"state"`
	SchoolUAI        string         `bun:"school_uai"`
	SchoolName       string         `bun:"school_name"`
	Address          string         `bun:"address"`
	PostalCode       string         `bun:"postal_code"`
	City             string         `bun:"city"`
	ClassLevels      string         `bun:"class_levels"`
	TrainingStatus   TrainingStatus `bun:"training_status"`
	TrainingDate     sqlDate        `bun:"training_date"`
	PickupDay        sqlDate        `bun:"pickup_day"`
	PickupTime       *string        `bun:"pickup_time"`
	ReturnDay        sqlDate        `bun:"return_day"`
	BaseReturnDay    sqlDate        `bun:"base_return_day"`
	ExtensionWeeks   int            `bun:"extension_weeks"`
	DirectorSignedAt *time.Time     `bun:"director_signed_at"`
	ITSignedAt       *time.Time     `bun:"it_signed_at"`
	CancelledAt      *time.Time     `bun:"cancelled_at"`
	UpdatedAt        time.Time      `bun:"updated_at"`
	RequestUpdatedAt time.Time      `bun:"request_updated_at"`
	AssessedAt       *time.Time     `bun:"assessed_at"`
}

// FeedLoans returns the loans a feed shows, by ID: for FeedSchool those of
// the school, for FeedPack those lending the pack, for FeedAll those whose
// return day is on or after since. Cancelled loans are included; the
// caller decides how long they stay.
func (db *DB) FeedLoans(ctx context.Context, t FeedTarget, since calendar.Date) (_ []FeedLoan, err error) {
	defer wrapf(&err, "FeedLoans(%s)", t)
	var rows []feedLoanRow
	q := db.bun.NewSelect().TableExpr("loans AS l").
		ColumnExpr("l.id, l.state, l.school_uai, s.name AS school_name, s.address, s.postal_code, s.city").
		ColumnExpr("r.class_levels, r.training_status, r.training_date").
		ColumnExpr("l.pickup_day, l.pickup_time, l.return_day, l.base_return_day, l.extension_weeks").
		ColumnExpr("l.director_signed_at, l.it_signed_at, l.cancelled_at, l.updated_at").
		ColumnExpr("r.updated_at AS request_updated_at, a.updated_at AS assessed_at").
		Join("JOIN schools AS s ON s.uai = l.school_uai").
		Join("JOIN requests AS r ON r.id = l.request_id").
		Join("LEFT JOIN loan_assessments AS a ON a.loan_id = l.id").
		OrderExpr("l.id")
	switch t.Scope {
	case FeedSchool:
		q = q.Where("l.school_uai = ?", t.SchoolUAI)
	case FeedPack:
		q = q.Where("EXISTS (SELECT 1 FROM loan_packs AS lp WHERE lp.loan_id = l.id AND lp.pack_id = ?)", t.PackID)
	default:
		q = q.Where("l.return_day >= ?", sqlDate{since})
	}
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]FeedLoan, len(rows))
	ids := make([]int64, len(rows))
	index := make(map[int64]int, len(rows))
	for i, r := range rows {
		out[i] = r.feedLoan()
		ids[i] = r.ID
		index[r.ID] = i
	}
	for len(ids) > 0 {
		n := min(len(ids), revisionChunk)
		var packs []struct {
			LoanID int64  `bun:"loan_id"`
			PackID int64  `bun:"pack_id"`
			Code   string `bun:"code"`
		}
		if err := db.bun.NewSelect().TableExpr("loan_packs AS lp").
			ColumnExpr("lp.loan_id, lp.pack_id, p.code").
			Join("JOIN packs AS p ON p.id = lp.pack_id").
			Where("lp.loan_id IN (?)", bun.List(ids[:n])).
			OrderExpr("lp.loan_id, lp.position").Scan(ctx, &packs); err != nil {
			return nil, err
		}
		for _, p := range packs {
			l := &out[index[p.LoanID]]
			l.Packs = append(l.Packs, FeedLoanPack{ID: p.PackID, Code: p.Code})
		}
		ids = ids[n:]
	}
	return out, nil
}

func (r feedLoanRow) feedLoan() FeedLoan {
	l := FeedLoan{ID: r.ID, State: r.State, SchoolUAI: r.SchoolUAI, SchoolName: r.SchoolName,
		TrainingStatus: r.TrainingStatus, TrainingDate: r.TrainingDate.Date,
		PickupDay: r.PickupDay.Date, ReturnDay: r.ReturnDay.Date, BaseReturnDay: r.BaseReturnDay.Date,
		ExtensionWeeks: r.ExtensionWeeks, DirectorSigned: r.DirectorSignedAt != nil, ITSigned: r.ITSignedAt != nil,
		Assessed: r.AssessedAt != nil, Changed: r.UpdatedAt.UTC()}
	for _, c := range strings.Split(r.ClassLevels, ",") {
		if c = strings.TrimSpace(c); c != "" {
			l.ClassLevels = append(l.ClassLevels, c)
		}
	}
	var addr []string
	if a := strings.TrimSpace(r.Address); a != "" {
		addr = append(addr, a)
	}
	if c := strings.TrimSpace(strings.TrimSpace(r.PostalCode) + " " + strings.TrimSpace(r.City)); c != "" {
		addr = append(addr, c)
	}
	l.SchoolAddress = strings.Join(addr, ", ")
	if r.CancelledAt != nil {
		c := r.CancelledAt.UTC()
		l.CancelledAt = &c
	}
	if r.PickupTime != nil {
		l.PickupTime = pickupInstant(r.PickupDay.Date, *r.PickupTime)
	}
	if r.RequestUpdatedAt.UTC().After(l.Changed) {
		l.Changed = r.RequestUpdatedAt.UTC()
	}
	if r.AssessedAt != nil && r.AssessedAt.UTC().After(l.Changed) {
		l.Changed = r.AssessedAt.UTC()
	}
	return l
}

// pickupInstant is the instant of a pickup at hhmm, Europe/Paris time, on
// day; zero (an all-day event) if the time or the zone cannot be read.
func pickupInstant(day calendar.Date, hhmm string) time.Time {
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		return time.Time{}
	}
	loc, err := parisLocation()
	if err != nil {
		return time.Time{}
	}
	return time.Date(day.Year(), day.Month(), day.Day(), t.Hour(), t.Minute(), 0, 0, loc).UTC()
}

// parisLocation loads Europe/Paris once: LoadLocation parses the zone data
// on every call.
var parisLocation = sync.OnceValues(func() (*time.Location, error) {
	return time.LoadLocation("Europe/Paris")
})
