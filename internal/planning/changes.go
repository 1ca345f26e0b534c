package planning

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/classemobile/classemobile/calendar"
)

// Change is what happens to one request's loan from one plan to another.
type Change struct {
	RequestID  int64
	Title      string
	SchoolUAI  string
	SchoolName string
	Class      string
	// Before and After are the loan in each plan (nil when absent).
	Before *Loan
	After  *Loan
	// Signed is true when the loan of the first plan has its agreement
	// signed: cancelling it undoes a commitment.
	Signed bool
	// What says the change in French: « du lundi 2 novembre au … →
	// du lundi 4 janvier au … ; pack P-01 → P-02 ».
	What string
}

// PeriodUse compares the pack-weeks used in one period by two plans.
type PeriodUse struct {
	Period string
	Label  string
	Weeks  int
	// Available is packs × school weeks of the period in each plan (a
	// what-if may add or remove a pack); Used the school weeks of the
	// period during which each pack is lent (extension included,
	// turnaround excluded).
	AvailableBefore int
	AvailableAfter  int
	UsedBefore      int
	UsedAfter       int
}

// Delta returns UsedAfter − UsedBefore.
func (p PeriodUse) Delta() int { return p.UsedAfter - p.UsedBefore }

// ChangeLabels are the French headings of a comparison, which depend on
// what is compared (a draft with the published plan, a what-if with the
// draft).
type ChangeLabels struct {
	Added     string
	Moved     string
	Removed   string
	Unchanged string
}

// Labels of the two comparisons of the planner.
var (
	// PublishedLabels head the difference of a draft with the plan in
	// force: publishing creates, moves and cancels loans.
	PublishedLabels = ChangeLabels{Added: "Prêts ajoutés", Moved: "Prêts déplacés",
		Removed: "Prêts annulés", Unchanged: "Prêts inchangés"}
	// WhatIfLabels head the difference of a what-if with the draft.
	WhatIfLabels = ChangeLabels{Added: "Nouvellement servis", Moved: "Déplacés",
		Removed: "Ne sont plus servis", Unchanged: "Inchangés"}
)

// Changes is the difference between two plans of one school year.
type Changes struct {
	Labels ChangeLabels
	// Added are the requests served only in the second plan, Moved those
	// served in both with other dates, extension or packs, Removed those
	// served only in the first (cancelled loans, requests no longer
	// served), Unchanged the rest. Each list is sorted by school, then
	// request.
	Added     []Change
	Moved     []Change
	Removed   []Change
	Unchanged []Change
	// Periods compares the pack-weeks used per period.
	Periods []PeriodUse
	// Summary says it in one French sentence.
	Summary string
}

// Empty reports whether the two plans serve the same loans.
func (c Changes) Empty() bool { return len(c.Added)+len(c.Moved)+len(c.Removed) == 0 }

// Compare returns the difference between plan before (with packsBefore
// packs available) and plan after (packsAfter), loans matched by request.
// Pure: the year gives the periods and school weeks.
func Compare(y *calendar.Year, before, after []Loan, packsBefore, packsAfter int, labels ChangeLabels) Changes {
	out := Changes{Labels: labels, Added: []Change{}, Moved: []Change{}, Removed: []Change{}, Unchanged: []Change{}}
	b := map[int64]*Loan{}
	for i := range before {
		b[before[i].RequestID] = &before[i]
	}
	a := map[int64]*Loan{}
	for i := range after {
		a[after[i].RequestID] = &after[i]
	}
	change := func(l *Loan) Change {
		return Change{RequestID: l.RequestID, Title: l.Title, SchoolUAI: l.SchoolUAI, SchoolName: l.SchoolName, Class: l.Class}
	}
	for i := range after {
		l := &after[i]
		old, ok := b[l.RequestID]
		c := change(l)
		c.After = l
		switch {
		case !ok:
			c.What = loanText(l)
			out.Added = append(out.Added, c)
		default:
			c.Before, c.Signed = old, old.Signed
			if what := moveText(old, l); what != "" {
				c.What = what
				out.Moved = append(out.Moved, c)
			} else {
				c.What = loanText(l)
				out.Unchanged = append(out.Unchanged, c)
			}
		}
	}
	for i := range before {
		l := &before[i]
		if _, ok := a[l.RequestID]; ok {
			continue
		}
		c := change(l)
		c.Before, c.Signed = l, l.Signed
		c.What = loanText(l)
		if l.Signed {
			c.What += " ; la convention était signée"
		}
		out.Removed = append(out.Removed, c)
	}
	for _, list := range [][]Change{out.Added, out.Moved, out.Removed, out.Unchanged} {
		slices.SortFunc(list, func(x, y Change) int {
			return cmp.Or(strings.Compare(x.SchoolName, y.SchoolName), cmp.Compare(x.RequestID, y.RequestID))
		})
	}
	if y != nil {
		out.Periods = periodUse(y, before, after, packsBefore, packsAfter)
	}
	out.Summary = summary(out)
	return out
}

// PackWeeks returns the pack-weeks each period of the year uses in a plan,
// by period ID: for every school week of a loan (extension included), its
// number of packs.
func PackWeeks(y *calendar.Year, loans []Loan) map[string]int {
	weeks := y.Weeks()
	out := map[string]int{}
	for _, l := range loans {
		for t := max(l.StartWeek, 0); t < l.StartWeek+l.Weeks+l.ExtensionWeeks && t < len(weeks); t++ {
			out[weeks[t].Period] += l.packCount()
		}
	}
	return out
}

func periodUse(y *calendar.Year, before, after []Loan, packsBefore, packsAfter int) []PeriodUse {
	ub, ua := PackWeeks(y, before), PackWeeks(y, after)
	var out []PeriodUse
	for _, p := range y.Periods() {
		n := p.WeekCount()
		out = append(out, PeriodUse{Period: p.ID, Label: p.Label, Weeks: n,
			AvailableBefore: n * packsBefore, AvailableAfter: n * packsAfter,
			UsedBefore: ub[p.ID], UsedAfter: ua[p.ID]})
	}
	return out
}

// loanText says a loan's dates, extension and packs in French.
func loanText(l *Loan) string {
	s := DateRange(l.PickupDay, l.ReturnDay)
	if l.ExtensionWeeks > 0 {
		s += fmt.Sprintf(" (dont %s de prolongation)", plural(l.ExtensionWeeks, "semaine", "semaines"))
	}
	if len(l.PackCodes) > 0 {
		s += ", " + packsText(l.PackCodes)
	}
	return s
}

func extensionText(weeks int) string {
	if weeks == 0 {
		return "sans prolongation"
	}
	return "prolongation : " + plural(weeks, "semaine", "semaines")
}

func packsText(codes []string) string {
	if len(codes) == 1 {
		return "pack " + codes[0]
	}
	return "packs " + strings.Join(codes, ", ")
}

// moveText says how a loan moved, or "" when it did not.
func moveText(old, l *Loan) string {
	var parts []string
	if old.PickupDay != l.PickupDay || old.ReturnDay != l.ReturnDay || old.StartWeek != l.StartWeek ||
		old.Weeks != l.Weeks || old.ExtensionWeeks != l.ExtensionWeeks {
		from, to := DateRange(old.PickupDay, old.ReturnDay), DateRange(l.PickupDay, l.ReturnDay)
		if old.ExtensionWeeks != l.ExtensionWeeks {
			from += " (" + extensionText(old.ExtensionWeeks) + ")"
			to += " (" + extensionText(l.ExtensionWeeks) + ")"
		}
		parts = append(parts, from+" → "+to)
	}
	if !sameSet(old.PackIDs, l.PackIDs) || (len(old.PackIDs) == 0 && !sameSet(old.PackCodes, l.PackCodes)) {
		parts = append(parts, packsText(old.PackCodes)+" → "+packsText(l.PackCodes))
	}
	return strings.Join(parts, " ; ")
}

func sameSet[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func summary(c Changes) string {
	if c.Empty() {
		return fmt.Sprintf("Aucun changement : %s.", plural(len(c.Unchanged), "prêt inchangé", "prêts inchangés"))
	}
	signed := 0
	for _, r := range c.Removed {
		if r.Signed {
			signed++
		}
	}
	s := fmt.Sprintf("%s : %d ; %s : %d ; %s : %d", c.Labels.Added, len(c.Added), c.Labels.Moved, len(c.Moved),
		c.Labels.Removed, len(c.Removed))
	if signed > 0 {
		s += fmt.Sprintf(" (dont %s)", plural(signed, "convention signée", "conventions signées"))
	}
	return s + fmt.Sprintf(" ; %s : %d.", c.Labels.Unchanged, len(c.Unchanged))
}
