package jobs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// Schedule says when each kind of reminder is due, in calendar days
// relative to the loan's dates. Negative values never appear: "before"
// lists count days before the date, "after" lists days after.
type Schedule struct {
	// TrainingBefore: training still not done, days before pickup
	// (teacher, director). Defaults to 14 and 7.
	TrainingBefore []int
	// AgreementBefore: agreement not signed, days before pickup
	// (director, IT: whoever has not signed). Defaults to 10.
	AgreementBefore []int
	// PickupBefore: pickup near, days before pickup (teacher). Defaults to 3.
	PickupBefore []int
	// ReturnBefore: return near, days before the return day (teacher).
	// Defaults to 7 and 1.
	ReturnBefore []int
	// OverdueAfter: pack still out, days after the return day (teacher,
	// director; the coordinator from the second one). Defaults to 1, 3, 7.
	OverdueAfter []int
	// AssessmentAfter: assessment not written, days after the actual
	// return (teacher). Defaults to 7 and 21.
	AssessmentAfter []int
	// ExtensionAfter: extension request awaiting a decision, days after
	// the request (coordinator). Defaults to 2.
	ExtensionAfter []int
}

// DefaultSchedule returns the default reminder offsets: for each kind, the
// days before (or after) its loan date on which a reminder is due.
// REMINDER_SCHEDULE overrides them.
func DefaultSchedule() Schedule {
	return Schedule{
		TrainingBefore:  []int{14, 7},
		AgreementBefore: []int{10},
		PickupBefore:    []int{3},
		ReturnBefore:    []int{7, 1},
		OverdueAfter:    []int{1, 3, 7},
		AssessmentAfter: []int{7, 21},
		ExtensionAfter:  []int{2},
	}
}

func (s *Schedule) field(kind store.ReminderKind) *[]int {
	switch kind {
	case store.ReminderTraining:
		return &s.TrainingBefore
	case store.ReminderAgreement:
		return &s.AgreementBefore
	case store.ReminderPickup:
		return &s.PickupBefore
	case store.ReminderReturn:
		return &s.ReturnBefore
	case store.ReminderOverdue:
		return &s.OverdueAfter
	case store.ReminderAssessment:
		return &s.AssessmentAfter
	case store.ReminderExtension:
		return &s.ExtensionAfter
	}
	return nil
}

// ParseSchedule reads a schedule override such as
// "training=14,7;return=7,2;overdue=1,3,7": kinds not named keep their
// default offsets, an empty list ("extension=") disables a kind. Offsets
// are days, 0 to 60.
func ParseSchedule(spec string) (Schedule, error) {
	s := DefaultSchedule()
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return s, nil
	}
	for part := range strings.SplitSeq(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, list, ok := strings.Cut(part, "=")
		if !ok {
			return Schedule{}, fmt.Errorf("reminder schedule: %q is not kind=days", part)
		}
		f := s.field(store.ReminderKind(strings.TrimSpace(name)))
		if f == nil {
			return Schedule{}, fmt.Errorf("reminder schedule: unknown kind %q", name)
		}
		var days []int
		for d := range strings.SplitSeq(list, ",") {
			d = strings.TrimSpace(d)
			if d == "" {
				continue
			}
			n, err := strconv.Atoi(d)
			if err != nil || n < 0 || n > 60 {
				return Schedule{}, fmt.Errorf("reminder schedule: %s: %q is not a number of days in 0..60", name, d)
			}
			days = append(days, n)
		}
		slices.Sort(days)
		*f = slices.Compact(days)
	}
	return s, nil
}

// candidate is one reminder a loan calls for, before the calendar and the
// ledger: (kind, due date, recipient).
type candidate struct {
	kind store.ReminderKind
	due  calendar.Date
	role store.Role
	user int64
}

// candidates returns every reminder the loan calls for in its current
// state, whatever the date: the nightly computation keeps those due by
// today, the delivery checks a claimed row is still among them.
func (s Schedule) candidates(l store.ReminderLoan, staff store.ReminderStaff) []candidate {
	if l.Cancelled() {
		return nil
	}
	var out []candidate
	add := func(kind store.ReminderKind, due calendar.Date, role store.Role, users ...int64) {
		for _, u := range users {
			if u != 0 {
				out = append(out, candidate{kind: kind, due: due, role: role, user: u})
			}
		}
	}
	directors := staff.Directors[l.SchoolUAI]
	beforePickup := l.State == "reserved" || l.State == "signed"
	if beforePickup && !l.TrainingDone {
		for _, d := range s.TrainingBefore {
			due := l.PickupDay.AddDays(-d)
			add(store.ReminderTraining, due, store.RoleTeacher, l.TeacherID)
			add(store.ReminderTraining, due, store.RoleDirector, directors...)
		}
	}
	if beforePickup {
		for _, d := range s.AgreementBefore {
			due := l.PickupDay.AddDays(-d)
			if !l.DirectorSigned {
				add(store.ReminderAgreement, due, store.RoleDirector, directors...)
			}
			if !l.ITSigned {
				add(store.ReminderAgreement, due, store.RoleIT, staff.IT...)
			}
		}
		for _, d := range s.PickupBefore {
			add(store.ReminderPickup, l.PickupDay.AddDays(-d), store.RoleTeacher, l.TeacherID)
		}
	}
	if l.State == "picked_up" {
		for _, d := range s.ReturnBefore {
			add(store.ReminderReturn, l.ReturnDay.AddDays(-d), store.RoleTeacher, l.TeacherID)
		}
		for i, d := range s.OverdueAfter {
			due := l.ReturnDay.AddDays(d)
			add(store.ReminderOverdue, due, store.RoleTeacher, l.TeacherID)
			add(store.ReminderOverdue, due, store.RoleDirector, directors...)
			if i >= 1 {
				add(store.ReminderOverdue, due, store.RoleCoordinator, staff.Coordinators...)
			}
		}
	}
	if (l.State == "returned" || l.State == "closed") && !l.AssessmentWritten {
		returned := l.ReturnedOn
		if returned.IsZero() {
			returned = l.ReturnDay
		}
		for _, d := range s.AssessmentAfter {
			add(store.ReminderAssessment, returned.AddDays(d), store.RoleTeacher, l.TeacherID)
		}
	}
	if !l.ExtensionRequestedOn.IsZero() && l.State != "returned" && l.State != "closed" {
		for _, d := range s.ExtensionAfter {
			add(store.ReminderExtension, l.ExtensionRequestedOn.AddDays(d), store.RoleCoordinator, staff.Coordinators...)
		}
	}
	return out
}

// skipReason says, in French, why a claimed reminder no longer applies to
// the loan l as it is now (the row was computed from an earlier state).
func skipReason(r store.Reminder, l store.ReminderLoan) string {
	if l.Cancelled() {
		return "prêt annulé"
	}
	beforePickup := l.State == "reserved" || l.State == "signed"
	switch r.Kind {
	case store.ReminderTraining:
		if l.TrainingDone {
			return "formation effectuée"
		}
		if !beforePickup {
			return "pack déjà retiré"
		}
	case store.ReminderAgreement:
		if (r.RecipientRole == store.RoleDirector && l.DirectorSigned) || (r.RecipientRole == store.RoleIT && l.ITSigned) ||
			(l.DirectorSigned && l.ITSigned) {
			return "convention signée"
		}
		if !beforePickup {
			return "pack déjà retiré"
		}
	case store.ReminderPickup:
		if !beforePickup {
			return "pack déjà retiré"
		}
	case store.ReminderReturn, store.ReminderOverdue:
		if l.State == "returned" || l.State == "closed" {
			return "pack rendu"
		}
		if l.State != "picked_up" {
			return "pack pas encore retiré"
		}
	case store.ReminderAssessment:
		if l.AssessmentWritten {
			return "bilan rédigé"
		}
	case store.ReminderExtension:
		if l.ExtensionRequestedOn.IsZero() {
			return "prolongation décidée"
		}
	}
	switch r.Kind {
	case store.ReminderReturn, store.ReminderOverdue:
		return "date de retour modifiée (prolongation)"
	case store.ReminderTraining, store.ReminderAgreement, store.ReminderPickup:
		return "date de retrait modifiée"
	}
	return "ne s'applique plus"
}
