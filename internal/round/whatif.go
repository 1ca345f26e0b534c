package round

import (
	"context"
	"fmt"
	"github.com/classemobile/classemobile/calendar"
	"slices"
	"time"

	"github.com/classemobile/classemobile/internal/planning"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/scheduler"
)

// DefaultWhatIfTimeLimit bounds the solver of a what-if when it does not
// say: a what-if answers while the coordinator waits.
const DefaultWhatIfTimeLimit = 2 * time.Second

// maxWhatIfWindows bounds the unavailabilities of a what-if.
const maxWhatIfWindows = 10

// validateWhatIf checks the hypothesis against the round it starts from.
func validateWhatIf(in *store.WhatIfInput, base store.Round) error {
	e := store.FieldErrors{}
	if in.TimeLimit == 0 {
		in.TimeLimit = DefaultWhatIfTimeLimit
	}
	if in.TimeLimit < 0 || in.TimeLimit > MaxTimeLimit {
		e.Add("time_limit", "temps de calcul hors de 0 à %s : %s", MaxTimeLimit, in.TimeLimit)
	}
	if in.PacksDelta > store.MaxWhatIfExtraPacks {
		e.Add("packs_delta", "au plus %d packs de plus", store.MaxWhatIfExtraPacks)
	}
	if in.PacksDelta < 0 && -in.PacksDelta >= base.Params.Packs {
		e.Add("packs_delta", "le tour n'a que %d packs : il doit en rester au moins un", base.Params.Packs)
	}
	if in.LoanWeeks != 0 {
		store.CheckLoanWeeks(e, "loan_weeks", in.LoanWeeks)
	}
	if in.LoanWeeks == base.Params.LoanWeeks {
		in.LoanWeeks = 0
	}
	if in.LoanPolicy != "" {
		if _, err := calendar.ParseLoanPolicy(in.LoanPolicy); err != nil {
			e.Add("loan_policy", "politique de prêt inconnue : %q (within_period, across_breaks ou period_length)", in.LoanPolicy)
		} else if calendar.LoanPolicy(in.LoanPolicy) == policyOf(base) {
			in.LoanPolicy = ""
		}
	}
	if len(in.Unavailable) > maxWhatIfWindows {
		e.Add("unavailable", "au plus %d indisponibilités", maxWhatIfWindows)
	}
	for i, u := range in.Unavailable {
		field := fmt.Sprintf("unavailable[%d]", i)
		j := slices.Index(base.Params.PackIDs, u.PackID)
		switch {
		case j < 0:
			e.Add(field+".pack_id", "le pack n° %d ne fait pas partie du tour", u.PackID)
		case u.FirstDay.IsZero() || u.LastDay.IsZero():
			e.Add(field+".first_day", "dates de début et de fin requises")
		case u.LastDay.Before(u.FirstDay):
			e.Add(field+".last_day", "la fin (%s) précède le début (%s)", u.LastDay, u.FirstDay)
		case u.LastDay.DaysSince(u.FirstDay) >= store.MaxMaintenanceDays:
			e.Add(field+".last_day", "au plus %d jours", store.MaxMaintenanceDays)
		default:
			in.Unavailable[i].PackCode = base.Params.PackCodes[j]
		}
	}
	if in.PacksDelta == 0 && len(in.Unavailable) == 0 && in.LoanWeeks == 0 && !in.NoExtensions && in.LoanPolicy == "" {
		e.Add("what_if", "aucune hypothèse : ajoutez ou retirez un pack, rendez un pack indisponible, changez la durée ou la politique des prêts ou retirez les prolongations")
	}
	return e.Err()
}

// policyOf is the loan policy a round used; rounds stored before loan
// policies existed used the rule of one period.
func policyOf(r store.Round) calendar.LoanPolicy {
	if r.Params.LoanPolicy == "" {
		return calendar.WithinPeriod
	}
	return calendar.LoanPolicy(r.Params.LoanPolicy)
}

// WhatIf re-solves round id (a draft or the published round) under a
// hypothesis, as of the day the round was computed, with its parameters,
// weights and pins: a scratch plan stored apart (never a round, never
// published, nothing sent), returned with its difference from the round
// (newly served, moved, no longer served, pack-weeks per period). It can
// become the new draft with AdoptWhatIf.
//
// Returns ErrNotFound, a *store.RuleError: a conflict (round_not_draft) when
// the round is neither a draft nor published, invalid input
// (validation_failed, per field) for a bad hypothesis or one the locked
// loans or pins cannot live with.
func WhatIf(ctx context.Context, db *store.DB, actor store.Actor, id int64, in store.WhatIfInput) (_ store.WhatIf, err error) {
	defer wrapf(&err, "RunWhatIf(%d)", id)
	base, err := db.Round(ctx, id)
	if err != nil {
		return store.WhatIf{}, err
	}
	if base.State != store.RoundDraft && base.State != store.RoundPublished {
		return store.WhatIf{}, &store.RuleError{Kind: store.RuleConflict, Code: "round_not_draft", State: store.RoundState(base.State),
			Message: fmt.Sprintf("Ce tour est %s : une hypothèse se calcule sur le brouillon ou le tour publié.", store.RoundStateLabel(base.State))}
	}
	in.Unavailable = slices.Clone(in.Unavailable) // validate fills in the pack codes
	if err := validateWhatIf(&in, base); err != nil {
		return store.WhatIf{}, err
	}
	weights := scheduler.Weights(base.Weights)
	ri := Input{SchoolYear: base.SchoolYear, LoanWeeks: base.Params.LoanWeeks, TurnaroundDays: base.Params.TurnaroundDays,
		Weights: &weights, Pins: base.Pins, TimeLimit: in.TimeLimit, Today: base.Params.Today, LoanPolicy: policyOf(base)}
	if in.LoanPolicy != "" {
		ri.LoanPolicy = calendar.LoanPolicy(in.LoanPolicy)
	}
	if ri.TurnaroundDays == 0 {
		ri.TurnaroundDays = -1
	}
	if in.LoanWeeks > 0 {
		ri.LoanWeeks = in.LoanWeeks
	}
	if err := ri.validate(); err != nil {
		return store.WhatIf{}, err
	}
	b, err := build(ctx, db, ri)
	if err != nil {
		return store.WhatIf{}, err
	}
	if err := b.applyWhatIf(in); err != nil {
		return store.WhatIf{}, err
	}
	r, err := b.solve(ctx)
	if err != nil {
		return store.WhatIf{}, err
	}
	r.State = store.RoundWhatIf
	return db.SaveWhatIf(ctx, actor, id, in, r)
}

// applyWhatIf changes the instance of a round being built by the
// hypothesis, then builds the engine's instances again.
func (b *builder) applyWhatIf(in store.WhatIfInput) error {
	day0 := b.weeks[0].Monday
	// Packs held by loans the engine must keep where they are: locked
	// loans, and live loans pinned to a start week (they keep their packs).
	held := map[int]bool{}
	for id, locked := range b.locked {
		if locked && !b.excluded[id] {
			for _, n := range b.packNumbers(b.live[id]) {
				held[n] = true
			}
		}
	}
	for _, p := range b.in.Pins {
		if p.Kind == store.PinServe && p.StartWeek != nil {
			for _, n := range b.packNumbers(b.live[p.RequestID]) {
				held[n] = true
			}
		}
	}
	for _, u := range in.Unavailable {
		for id, locked := range b.locked {
			l := b.live[id]
			if !locked || b.excluded[id] || !slices.ContainsFunc(l.Packs, func(p store.LoanPack) bool { return p.PackID == u.PackID }) {
				continue
			}
			if !u.LastDay.Before(l.PickupDay) && u.FirstDay.Before(l.BusyUntil) {
				return store.FieldErrors{"unavailable": fmt.Sprintf(
					"le pack %s a un prêt verrouillé (n° %d) %s : il ne peut pas être indisponible à ces dates",
					u.PackCode, l.ID, planning.DateRange(l.PickupDay, l.ReturnDay))}.Err()
			}
		}
	}
	if in.PacksDelta < 0 {
		var drop []int
		for n := b.params.Packs; n >= 1 && len(drop) < -in.PacksDelta; n-- {
			if !held[n] {
				drop = append(drop, n)
			}
		}
		if len(drop) < -in.PacksDelta {
			return store.FieldErrors{"packs_delta": fmt.Sprintf(
				"impossible de retirer %d packs : les autres portent des prêts verrouillés", -in.PacksDelta)}.Err()
		}
		var ids []int64
		var codes []string
		b.packNo = map[int64]int{}
		for i, id := range b.params.PackIDs {
			if slices.Contains(drop, i+1) {
				continue
			}
			ids, codes = append(ids, id), append(codes, b.params.PackCodes[i])
			b.packNo[id] = len(ids)
		}
		var ms []store.RoundMaintenance
		for _, m := range b.params.Maintenance {
			if n, ok := b.packNo[m.PackID]; ok {
				m.Pack = n
				ms = append(ms, m)
			}
		}
		b.params.PackIDs, b.params.PackCodes, b.params.Maintenance = ids, codes, ms
	}
	for i := range max(in.PacksDelta, 0) {
		b.params.PackIDs = append(b.params.PackIDs, -int64(i+1))
		b.params.PackCodes = append(b.params.PackCodes, fmt.Sprintf("supplémentaire %d", i+1))
	}
	b.params.Packs = len(b.params.PackIDs)
	for _, u := range in.Unavailable {
		n, ok := b.packNo[u.PackID]
		if !ok {
			continue // removed by the hypothesis
		}
		b.params.Maintenance = append(b.params.Maintenance, store.RoundMaintenance{PackID: u.PackID, PackCode: u.PackCode, Pack: n,
			FirstDay: u.FirstDay, LastDay: u.LastDay, Reason: "hypothèse : pack indisponible",
			FromDay: u.FirstDay.DaysSince(day0) - 1, ToDay: u.LastDay.DaysSince(day0) + 1})
	}
	pins := map[int64]store.RoundPin{}
	for _, p := range b.in.Pins {
		if _, ok := b.requests[p.RequestID]; ok && p.Kind == store.PinServe && !b.locked[p.RequestID] {
			pins[p.RequestID] = p
		}
	}
	var err error
	if b.base, err = b.instance(nil); err != nil {
		return err
	}
	if b.inst, err = b.instance(pins); err != nil {
		return err
	}
	if in.NoExtensions {
		keep := map[string]bool{}
		if b.inst.PreviousPlan != nil {
			for _, l := range b.inst.PreviousPlan.Loans {
				if l.Locked {
					keep[l.Project] = true
				}
			}
		}
		for i := range b.inst.Projects {
			if !keep[b.inst.Projects[i].ID] {
				b.inst.Projects[i].ExtensionWeeks = 0
			}
		}
		for i := range b.base.Projects {
			if !keep[b.base.Projects[i].ID] {
				b.base.Projects[i].ExtensionWeeks = 0
			}
		}
	}
	return nil
}
