package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// demoLoanPlan is one demo loan: the state it is driven to and when it
// lies relative to today.
type demoLoanPlan struct {
	state store.LoanState // a store.Loan* state, or "extended"
	when  string          // past, current or future
	// trained: the request's training must be done (pickup).
	trained bool
}

// demoLoanPlans lists the demo loans, one per state of the lifecycle.
var demoLoanPlans = []demoLoanPlan{
	{state: "extended", when: "current", trained: true},
	{state: store.LoanPickedUp, when: "current", trained: true},
	{state: store.LoanClosed, when: "past", trained: true},
	{state: store.LoanReturned, when: "past", trained: true},
	{state: store.LoanSigned, when: "future"},
	{state: store.LoanReserved, when: "future"},
	{state: store.LoanCancelled, when: "later"},
}

// seedDemoLoans creates loans for validated demo requests through
// CreateLoan (the coordinator's reservation by hand, with the checks of a
// published round) and drives them into every
// state: extended, picked up, closed with an assessment, returned with a
// missing tablet, signed, reserved and cancelled. Past loans lie before
// today, current ones hold today, future ones after.
func seedDemoLoans(ctx context.Context, d *demo) error {
	today := calendar.ParisDate(d.now)
	year := calendar.CurrentSchoolYear(today)
	y, err := d.db.CalendarYear(ctx, year)
	if err != nil {
		return err
	}
	reqs, err := d.db.ListRequests(ctx, store.RequestFilter{SchoolYear: year, State: store.RequestValidated})
	if err != nil {
		return err
	}
	// The demo teacher whose token is printed first gets the extended loan.
	if demoTeacher, ok := d.users["teacher:"+d.schools[0].UAI+":1"]; ok {
		slices.SortStableFunc(reqs, func(a, b store.Request) int {
			return boolRank(b.TeacherID == demoTeacher.ID) - boolRank(a.TeacherID == demoTeacher.ID)
		})
	}
	starts := demoStarts(y, today)
	used := map[int64]bool{}
	type demoLoan struct {
		loan store.Loan
		req  store.Request
		plan demoLoanPlan
	}
	var loans []demoLoan
	for _, plan := range demoLoanPlans {
		l, req, err := d.reserveDemoLoan(ctx, y, reqs, used, starts[plan.when], plan.trained)
		if err != nil {
			return fmt.Errorf("%s loan: %w", plan.state, err)
		}
		if l.ID == 0 {
			d.logger.Warn("Demo loan not created: no validated request fits", "state", plan.state)
			continue
		}
		used[req.ID] = true
		loans = append(loans, demoLoan{l, req, plan})
	}
	// Driven in time order: a pack goes out to one school at a time, so
	// the past loans are picked up and returned before the current ones
	// go out.
	order := map[string]int{"past": 0, "current": 1, "future": 2, "later": 3}
	drive := slices.Clone(loans)
	slices.SortStableFunc(drive, func(a, b demoLoan) int {
		if c := order[a.plan.when] - order[b.plan.when]; c != 0 {
			return c
		}
		return a.loan.PickupDay.Compare(b.loan.PickupDay)
	})
	for _, dl := range drive {
		if err := d.driveDemoLoan(ctx, dl.loan, dl.req, dl.plan.state, today); err != nil {
			return fmt.Errorf("%s loan %d: %w", dl.plan.state, dl.loan.ID, err)
		}
	}
	for _, dl := range loans {
		l, err := d.db.Loan(ctx, dl.loan.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(d.out, "Demo loan %d (%s): %s, packs %v, %s → %s\n", l.ID, dl.plan.state, dl.req.SchoolName,
			l.PackCodes(), l.PickupDay, l.ReturnDay)
	}
	return nil
}

// demoClock returns the store with its clock at 10:00 UTC on day, or
// today's when day is later: the demo records each step on its day.
func (d *demo) demoClock(day, today calendar.Date) *store.DB {
	if day.After(today) {
		return d.db
	}
	t := day.Time().Add(10 * time.Hour)
	return d.db.WithClock(func() time.Time { return t })
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// demoStarts sorts the legal 6-week starts of the year: past loans end
// before today, current ones hold today, future ones start after today
// (the last one, "later", is kept for the cancelled loan). When the year
// has none of a kind (run in September or in June), the nearest starts
// stand in: the states are then shown with dates that do not match.
func demoStarts(y *calendar.Year, today calendar.Date) map[string][]int {
	out := map[string][]int{}
	legal := y.LegalStarts(store.DefaultLoanWeeks)
	for _, s := range legal {
		pickup, ret, err := y.LoanDays(s, store.DefaultLoanWeeks)
		if err != nil {
			continue
		}
		switch {
		case ret.Before(today):
			out["past"] = append([]int{s}, out["past"]...) // latest first
		case !pickup.After(today):
			out["current"] = append([]int{s}, out["current"]...)
		default:
			out["future"] = append(out["future"], s)
		}
	}
	if len(out["future"]) > 0 {
		out["later"] = []int{out["future"][len(out["future"])-1]}
	}
	for _, k := range []string{"past", "current", "future", "later"} {
		out[k] = append(out[k], legal...) // fallbacks
	}
	return out
}

// reserveDemoLoan creates a loan for the first unused request that fits
// (training done when needed, its director known, the start's period not
// excluded) on the first free packs, trying the starts in order of
// preference.
func (d *demo) reserveDemoLoan(ctx context.Context, y *calendar.Year, reqs []store.Request, used map[int64]bool, starts []int, trained bool) (store.Loan, store.Request, error) {
	for _, s := range starts {
		w, err := y.Week(s)
		if err != nil {
			continue
		}
		for _, req := range reqs {
			if used[req.ID] || req.HasLoan || (trained && req.Training.Status != store.TrainingDone) ||
				slices.Contains(req.ExcludedPeriods, w.Period) {
				continue
			}
			if _, ok := d.users["director:"+req.SchoolUAI]; !ok {
				continue
			}
			for _, packs := range packCombos(d.packs, req.Packs) {
				l, err := d.db.CreateLoan(ctx, store.Actor{UserID: d.users["coordinator"].ID},
					store.NewLoan{RequestID: req.ID, PackIDs: packs, StartWeek: s, SchoolYear: req.SchoolYear})
				var le *store.RuleError
				switch {
				case err == nil:
					return l, req, nil
				case errors.Is(err, store.ErrPackUnavailable), errors.As(err, &le):
					continue
				default:
					return store.Loan{}, req, err
				}
			}
		}
	}
	return store.Loan{}, store.Request{}, nil
}

// packCombos lists the ways to pick n packs, in order.
func packCombos(packs []store.Pack, n int) [][]int64 {
	var out [][]int64
	var walk func(from int, cur []int64)
	walk = func(from int, cur []int64) {
		if len(cur) == n {
			out = append(out, slices.Clone(cur))
			return
		}
		for i := from; i < len(packs); i++ {
			walk(i+1, append(cur, packs[i].ID))
		}
	}
	walk(0, nil)
	return out
}

// driveDemoLoan moves a reserved loan to its demo state, each step by the
// person who does it.
func (d *demo) driveDemoLoan(ctx context.Context, l store.Loan, req store.Request, state store.LoanState, today calendar.Date) error {
	coord, it, insp := d.users["coordinator"], d.users["it"], d.users["inspection"]
	director := d.users["director:"+req.SchoolUAI]
	teacher := store.Actor{UserID: req.TeacherID}
	if state == store.LoanReserved {
		return nil
	}
	if state == store.LoanCancelled {
		_, err := d.db.CancelLoan(ctx, store.Actor{UserID: coord.ID}, l.ID, "Classe transplantée pendant la période : prêt libéré pour la liste d'attente.")
		return err
	}
	if _, err := d.db.SignAgreement(ctx, director, l.ID); err != nil {
		return err
	}
	if _, err := d.db.SignAgreement(ctx, it, l.ID); err != nil {
		return err
	}
	if state == store.LoanSigned {
		return nil
	}
	items, err := d.db.LoanItems(ctx, l.ID)
	if err != nil {
		return err
	}
	lines := make([]store.SheetLineInput, len(items))
	for i, item := range items {
		lines[i] = store.SheetLineInput{ItemID: item.ID, Status: store.ItemPresent, Condition: "bon état"}
	}
	pickup := store.SheetInput{SchoolPerson: director.Name, Lines: lines}
	if _, err := d.demoClock(l.PickupDay, today).PickUp(ctx, it, l.ID, pickup); err != nil {
		return err
	}
	switch state {
	case store.LoanPickedUp:
		return nil
	case "extended":
		if _, err := d.db.RequestExtension(ctx, teacher, l.ID, 2, "Le film d'animation de la classe n'est pas terminé : deux semaines de plus pour le montage.", today); err != nil {
			return err
		}
		_, _, err := d.db.DecideExtension(ctx, store.Actor{UserID: coord.ID}, l.ID, true, "Accordé : le pack est libre ensuite.")
		return err
	}
	ret := store.SheetInput{SchoolPerson: director.Name, Lines: slices.Clone(lines),
		TechnicalReport: "Tablettes réinitialisées par le MDM, batteries contrôlées, valise complète."}
	if state == store.LoanReturned && len(items) > 2 {
		ret.Lines[2] = store.SheetLineInput{ItemID: items[2].ID, Status: store.ItemMissing, Note: "Tablette non retrouvée dans la classe ; l'école cherche encore."}
		ret.TechnicalReport = "Une tablette manquante (" + items[2].Serial + ") : incident ouvert. Le reste du matériel est complet et en bon état."
	}
	if _, err := d.demoClock(l.ReturnDay, today).Return(ctx, it, l.ID, ret); err != nil {
		return err
	}
	if state == store.LoanReturned {
		return nil
	}
	if _, err := d.db.CloseLoan(ctx, store.Actor{UserID: insp.ID}, l.ID); err != nil {
		return err
	}
	yes := true
	_, err = d.db.SaveAssessment(ctx, teacher, store.AssessmentInput{LoanID: l.ID,
		Human:       "Élèves très investis, entraide spontanée entre lecteurs fluides et plus fragiles ; les parents sont venus voir la restitution.",
		Pedagogical: "Carnet de lecture numérique : enregistrements audio, illustrations et compte rendu partagé ; progrès nets en lecture à voix haute.",
		Productions: []string{"https://ien-epinay.circo.ac-creteil.fr/productions/carnet-de-lecture"}, ApplyAgain: &yes})
	return err
}
