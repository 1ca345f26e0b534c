package scheduler

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/classemobile/classemobile/calendar"
)

// Explanation codes (Explanation.Code).
const (
	// Served projects.
	ExplainLocked          = "locked"           // loan already started, kept as it was
	ExplainPreferredPeriod = "preferred-period" // served in a preferred period
	ExplainNoPreference    = "no-preference"    // served; no period was preferred
	ExplainOtherPeriod     = "other-period"     // served, preferred periods were full
	// Unserved projects.
	ExplainIneligible    = "ineligible"     // year > max_participation_year
	ExplainTooManyPacks  = "too-many-packs" // needs more packs than the city owns
	ExplainNoLegalSlot   = "no-legal-slot"  // excluded periods / today_week leave no slot
	ExplainCapacity      = "capacity"       // every legal slot is full
	ExplainConcentration = "concentration"  // a slot is free but the penalties cancel its value
)

// Explanation says why a project is or is not served, for users (Message,
// in French) and for programs (Code, Periods, Fix).
type Explanation struct {
	Project string `json:"project"`
	Served  bool   `json:"served"`
	Code    string `json:"code"`
	// Period is the loan period of a served project.
	Period string `json:"period,omitempty"`
	// Priority is the project's value: base + first year + training.
	Priority int `json:"priority"`
	// FullPeriods lists, for a project unserved for capacity, the legal
	// periods that were full, with the lowest priority served there.
	FullPeriods []FullPeriod `json:"full_periods,omitempty"`
	// ExtensionGranted reports the extension decision when one was asked.
	ExtensionRequested int  `json:"extension_requested,omitempty"`
	ExtensionGranted   bool `json:"extension_granted,omitempty"`
	// Weeks is the base length of a served project's loan (params.loan_weeks,
	// or a short period's length under the period_length policy); Break
	// names the break a loan spans under the across_breaks policy
	// ("vacances d'hiver").
	Weeks int    `json:"weeks,omitempty"`
	Break string `json:"break,omitempty"`
	// Fix says what would serve an unserved project ("un pack de plus en P3").
	Fix     string `json:"fix,omitempty"`
	Message string `json:"message"`
}

// FullPeriod is a period with no room for a project.
type FullPeriod struct {
	Period string `json:"period"`
	// MinServedPriority is the lowest priority among the projects served
	// in that period (0 if none).
	MinServedPriority int `json:"min_served_priority"`
	Served            int `json:"served"`
}

func (m *model) explain(s *state) []Explanation {
	out := make([]Explanation, 0, len(m.projects))
	// Lowest priority and count of served projects per period.
	minPrio := make([]int, m.K)
	nServed := make([]int, m.K)
	for pi, oi := range s.choice {
		if oi < 0 {
			continue
		}
		k := m.projects[pi].opts[oi].per
		v := m.projects[pi].value
		if nServed[k] == 0 || v < minPrio[k] {
			minPrio[k] = v
		}
		nServed[k]++
	}
	for pi := range m.projects {
		p := &m.projects[pi]
		src := &m.inst.Projects[pi]
		ex := Explanation{Project: p.id, Priority: p.value, ExtensionRequested: src.ExtensionWeeks}
		if oi := s.choice[pi]; oi >= 0 {
			o := &p.opts[oi]
			per := m.periodIDs[o.per]
			ex.Served, ex.Period, ex.ExtensionGranted = true, per, o.e > 0
			switch {
			case p.locked:
				ex.Code = ExplainLocked
				ex.Message = fmt.Sprintf("prêt en %s verrouillé (commencé, convention signée ou réservé à la main), conservé tel quel", per)
			case len(src.PreferredPeriods) == 0:
				ex.Code = ExplainNoPreference
				ex.Message = fmt.Sprintf("servi en %s (aucune période préférée)", per)
			case p.pref[o.per]:
				ex.Code = ExplainPreferredPeriod
				ex.Message = fmt.Sprintf("servi en %s, période demandée", per)
			default:
				ex.Code = ExplainOtherPeriod
				ex.Message = fmt.Sprintf("servi en %s, meilleure période libre : %s", per, m.preferredWhyNot(p, src.PreferredPeriods))
				for o2 := range p.opts {
					if p.pref[p.opts[o2].per] && s.fits(pi, o2) {
						ex.Message = fmt.Sprintf("servi en %s plutôt qu'en %s : évite de concentrer les prêts dans l'école ou le secteur",
							per, frenchList(src.PreferredPeriods))
						break
					}
				}
			}
			ex.Weeks = m.baseLen(o.s)
			if ph := m.policyPhrase(o.s); ph != "" {
				ex.Message += " ; " + ph
				if m.blen[o.s] > 0 && m.brk[o.s] >= 0 {
					ex.Break = m.breakName(m.brk[o.s])
				}
			}
			if src.ExtensionWeeks > 0 && !p.locked {
				if o.e > 0 {
					ex.Message += fmt.Sprintf(" ; prolongation de %d semaines accordée", o.e)
				} else if m.hasExtensionIn(p, o.per) {
					ex.Message += fmt.Sprintf(" ; prolongation de %d semaines non accordée : le pack n'est pas libre après le prêt", src.ExtensionWeeks)
				} else {
					ex.Message += fmt.Sprintf(" ; prolongation de %d semaines impossible : elle dépasserait la dernière semaine de l'année", src.ExtensionWeeks)
				}
			}
			out = append(out, ex)
			continue
		}
		switch {
		case !p.eligible:
			ex.Code = ExplainIneligible
			ex.Message = fmt.Sprintf("inéligible : %d années de participation au maximum", m.inst.Params.MaxParticipationYear)
		case p.packs > m.P:
			ex.Code = ExplainTooManyPacks
			ex.Message = fmt.Sprintf("demande %d packs, la ville n'en a que %d", p.packs, m.P)
			ex.Fix = fmt.Sprintf("%d pack(s) de plus", p.packs-m.P)
		case len(p.opts) == 0:
			ex.Code = ExplainNoLegalSlot
			var excl []string
			for k, e := range p.excl {
				if e {
					excl = append(excl, m.periodIDs[k])
				}
			}
			ex.Message = "aucun créneau possible"
			if len(excl) > 0 {
				ex.Message += " : périodes exclues " + frenchList(excl)
			}
			if m.today > 0 {
				ex.Message += fmt.Sprintf(" ; seuls les prêts commençant à partir de la semaine %d sont possibles", m.today)
			}
		default:
			m.explainUnserved(s, pi, &ex, minPrio, nServed)
		}
		out = append(out, ex)
	}
	return out
}

// preferredWhyNot says why the preferred periods were not given: full, or
// with no possible start at all for this project (too short for the loan,
// excluded, already begun), never "complète" for a period no loan fits in.
func (m *model) preferredWhyNot(p *mproj, preferred []string) string {
	var full, short []string
	for _, id := range preferred {
		possible := false
		for oi := range p.opts {
			if m.periodIDs[p.opts[oi].per] == id {
				possible = true
				break
			}
		}
		if possible {
			full = append(full, id)
		} else {
			short = append(short, id)
		}
	}
	var parts []string
	switch len(full) {
	case 0:
	case 1:
		parts = append(parts, full[0]+" complète")
	default:
		parts = append(parts, frenchList(full)+" complètes")
	}
	switch len(short) {
	case 0:
	case 1:
		parts = append(parts, fmt.Sprintf("aucun prêt de %d semaines ne peut commencer en %s (période trop courte ou déjà entamée)", m.L, short[0]))
	default:
		parts = append(parts, fmt.Sprintf("aucun prêt de %d semaines ne peut commencer en %s (périodes trop courtes ou déjà entamées)", m.L, frenchList(short)))
	}
	return strings.Join(parts, " ; ")
}

// explainUnserved explains an eligible project with legal slots.
func (m *model) explainUnserved(s *state, pi int, ex *Explanation, minPrio, nServed []int) {
	p := &m.projects[pi]
	fitsFree := false
	legal := make([]bool, m.K)
	fixPer := -1
	for oi := range p.opts {
		o := &p.opts[oi]
		legal[o.per] = true
		if s.fits(pi, oi) {
			fitsFree = true
			continue
		}
		// Would one more pack (or packs) make room?
		ok := true
		for t := o.lo; t <= o.hi; t++ {
			if s.load[t]+p.packs > m.capW[t]+p.packs {
				ok = false
				break
			}
		}
		if ok && (fixPer < 0 || (p.pref[o.per] && !p.pref[fixPer])) {
			fixPer = o.per
		}
	}
	if fitsFree {
		ex.Code = ExplainConcentration
		ex.Message = fmt.Sprintf("un créneau est libre, mais l'école a déjà %d projet(s) servi(s) : les pénalités de concentration (école, secteur) annulent l'intérêt du prêt", s.nsy[p.school])
		return
	}
	ex.Code = ExplainCapacity
	var names []string
	for k := 0; k < m.K; k++ {
		if !legal[k] {
			continue
		}
		ex.FullPeriods = append(ex.FullPeriods, FullPeriod{Period: m.periodIDs[k], MinServedPriority: minPrio[k], Served: nServed[k]})
		names = append(names, fmt.Sprintf("%s (projets servis de priorité %d ou plus)", m.periodIDs[k], minPrio[k]))
	}
	ex.Message = fmt.Sprintf("capacité : périodes possibles complètes : %s ; priorité du projet : %d", strings.Join(names, ", "), p.value)
	if fixPer >= 0 {
		if p.packs == 1 {
			ex.Fix = fmt.Sprintf("un pack de plus en %s", m.periodIDs[fixPer])
		} else {
			ex.Fix = fmt.Sprintf("%d packs de plus en %s", p.packs, m.periodIDs[fixPer])
		}
		ex.Message += " ; serait servi avec " + ex.Fix
	}
}

func frenchList(xs []string) string {
	xs = slices.Clone(xs)
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " et " + xs[len(xs)-1]
}

// hasExtensionIn reports whether p has a legal option with an extension
// starting in period k.
func (m *model) hasExtensionIn(p *mproj, k int) bool {
	for _, o := range p.opts {
		if o.per == k && o.e > 0 {
			return true
		}
	}
	return false
}

// policyPhrase says, in French, how a loan starting at week s departs from
// the rule of one period ("prêt de 6 semaines à cheval sur les vacances
// d'hiver", "prêt raccourci à 5 semaines, la longueur de P3"), or "".
func (m *model) policyPhrase(s int) string {
	if s < 0 || s >= m.W || m.blen[s] == 0 {
		return ""
	}
	switch {
	case m.brk[s] >= 0:
		return fmt.Sprintf("prêt de %d semaines à cheval sur les %s", m.blen[s], m.breakName(m.brk[s]))
	case m.blen[s] < m.L:
		return fmt.Sprintf("prêt raccourci à %d semaines, la longueur de %s", m.blen[s], m.periodIDs[m.wper[s]])
	}
	return ""
}

// breakName names the break between school weeks a and a+1 from the
// instance's (informative) holidays, "vacances d'hiver", or by its periods
// when they do not say.
func (m *model) breakName(a int) string {
	var hs []struct {
		From        string `json:"from"`
		FirstDay    string `json:"first_day"`
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	weeks := m.inst.Calendar.Weeks
	if len(m.inst.Calendar.Holidays) > 0 && json.Unmarshal(m.inst.Calendar.Holidays, &hs) == nil {
		for _, h := range hs {
			from := cmp.Or(h.From, h.FirstDay)
			if from > weeks[a].Monday && from <= weeks[a+1].Monday {
				return calendar.BreakPhrase(cmp.Or(h.Name, h.Description))
			}
		}
	}
	return fmt.Sprintf("vacances entre %s et %s", weeks[a].Period, weeks[a+1].Period)
}
