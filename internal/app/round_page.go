package app

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/planning"
	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
)

// A round's page: the draft's result, grid, unserved projects, pins,
// difference with the published plan and what-ifs; re-run and discard.
// unservedPage reads ?np=, the page of the unserved projects.
func unservedPage(r *http.Request, n int) (int, error) {
	v := r.URL.Query().Get("np")
	if v == "" {
		return 1, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 1 || (p-1)*unservedPageSize >= max(n, 1) {
		return 0, errBadFilter("Page des projets non servis invalide.")
	}
	return p, nil
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// loanCell is a loan of the draft in the list beside the grid.
type unservedItem struct {
	RequestID int64
	Title     string
	School    string
	Message   string
	FixLabel  string
	FixDelta  int
	Pin       *pinView
}

type pinView struct {
	RequestID int64
	Title     string
	School    string
	Kind      string
	What      string
	Reason    string
	Pending   bool
}

type changeView struct {
	Title  string
	School string
	What   string
	Signed bool
}

type changesView struct {
	Labels  planning.ChangeLabels
	Added   []changeView
	Moved   []changeView
	Removed []changeView
	// MoreAdded, MoreMoved and MoreRemoved count the changes beyond
	// maxChanges, not listed.
	MoreAdded, MoreMoved, MoreRemoved int
	Unchanged                         int
	Summary                           string
	Periods                           []periodUseView
	Empty                             bool
}

type periodUseView struct {
	Period, Label              string
	Before, After, Delta       string
	AvailBefore, AvailAfter    int
	UsedBefore, UsedAfter, Chg int
}

func viewChanges(c planning.Changes) changesView {
	v := changesView{Labels: c.Labels, Unchanged: len(c.Unchanged), Summary: c.Summary, Empty: c.Empty()}
	conv := func(cs []planning.Change) ([]changeView, int) {
		out := make([]changeView, 0, min(len(cs), maxChanges))
		for _, x := range cs[:min(len(cs), maxChanges)] {
			out = append(out, changeView{Title: x.Title, School: x.SchoolName, What: x.What, Signed: x.Signed})
		}
		return out, len(cs) - len(out)
	}
	v.Added, v.MoreAdded = conv(c.Added)
	v.Moved, v.MoreMoved = conv(c.Moved)
	v.Removed, v.MoreRemoved = conv(c.Removed)
	for _, p := range c.Periods {
		v.Periods = append(v.Periods, periodUseView{Period: p.Period, Label: p.Label, AvailBefore: p.AvailableBefore, AvailAfter: p.AvailableAfter,
			UsedBefore: p.UsedBefore, UsedAfter: p.UsedAfter, Delta: fmt.Sprintf("%+d", p.Delta())})
	}
	return v
}

// gridView is the grid with its paging and filters.
type gridView struct {
	G        planning.Grid
	Base     string
	PrevHref string
	NextHref string
	Sectors  []choice
	Periods  []choice
	Page     int
	// PinBase links a loan's cell to its pin form ("" when read-only).
	PinBase string
}

type roundPage struct {
	Layout
	ID         int64
	Year       string
	State      string
	StateLabel string
	Draft      bool
	CanWrite   bool
	CanPublish bool
	Created    string
	Published  string
	Objective  int
	Bound      int
	Proved     bool
	Gap        string
	StoppedBy  string
	Elapsed    string
	Terms      string
	Params     []string
	Grid       gridView
	Unserved   []unservedItem
	// The unserved projects are listed by pages.
	UnservedTotal, UnservedPage, UnservedPages int
	UnservedPrev, UnservedNext                 string
	Pins                                       []pinView
	Edits                                      []pinView
	Changes                                    changesView
	WhatIfs                                    []whatIfItem
	Packs                                      []choice
	Running                                    *solveView
	HasPublished                               bool
}

type whatIfItem struct {
	ID      int64
	Label   string
	Created string
	Adopted int64
}

// termsText says the objective's terms in words: « 38 projets servis sur
// 40 éligibles ; 2 prolongations accordées ; pénalité de secteur : 0 ».
func termsText(rd store.Round, firstYear int) string {
	served := plural(rd.Stats.Served, "projet servi", "projets servis")
	if firstYear >= 0 {
		served += fmt.Sprintf(" dont %d en première année", firstYear)
	}
	parts := []string{
		served + fmt.Sprintf(" (sur %d éligible%s)", rd.Stats.Eligible, pl(rd.Stats.Eligible)),
		plural(rd.Stats.PreferencesHonoured, "période préférée respectée", "périodes préférées respectées"),
		plural(rd.Stats.ExtensionsGranted, "prolongation accordée", "prolongations accordées"),
		fmt.Sprintf("pénalité de secteur\u00a0: %d", rd.Terms.SectorPeriodPenalty),
		fmt.Sprintf("pénalités d'école\u00a0: %d", rd.Terms.SchoolPeriodPenalty+rd.Terms.SchoolYearPenalty),
	}
	if rd.Terms.ChurnPenalty > 0 || rd.Stats.Churn.Moved+rd.Stats.Churn.Dropped > 0 {
		parts = append(parts, fmt.Sprintf("changements du plan publié\u00a0: %d déplacé%s, %d annulé%s (pénalité %d)",
			rd.Stats.Churn.Moved, pl(rd.Stats.Churn.Moved), rd.Stats.Churn.Dropped, pl(rd.Stats.Churn.Dropped), rd.Terms.ChurnPenalty))
	}
	return strings.Join(parts, "\u00a0; ")
}

func pl(n int) string {
	if n > 1 {
		return "s"
	}
	return ""
}

func plural(n int, one, many string) string {
	if n > 1 {
		return fmt.Sprintf("%d %s", n, many)
	}
	return fmt.Sprintf("%d %s", n, one)
}

var stoppedLabels = map[string]string{"optimal": "optimum prouvé", "time-limit": "limite de temps atteinte",
	"effort": "effort fixé atteint", "cancelled": "calcul interrompu"}

// roundOf loads the round of the path for the person.
func (a *App) roundOf(r *http.Request) (store.Round, store.User, error) {
	u, _ := currentUser(r.Context())
	id, err := pathID(r, "id")
	if err != nil {
		return store.Round{}, u, err
	}
	rd, err := a.db.RoundFor(r.Context(), u, id)
	return rd, u, err
}

// gridOptions reads the grid's ?page=&secteur=&periode=.
func gridOptions(r *http.Request) (planning.Options, error) {
	q := r.URL.Query()
	opt := planning.Options{PageSize: gridPageSize, Page: 1, Sector: q.Get("secteur"), Period: q.Get("periode")}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 100000 {
			return opt, errBadFilter("Numéro de page invalide.")
		}
		opt.Page = n
	}
	return opt, nil
}

// gridError turns a bad grid filter into a 400 page.
func gridError(err error) error {
	var pe *planning.Error
	if errors.As(err, &pe) {
		return errBadFilter(sentence(pe.Message))
	}
	return err
}

func (a *App) viewGrid(r *http.Request, g planning.Grid, opt planning.Options, path string, year string) (gridView, error) {
	v := gridView{G: g, Base: path, Page: g.Page}
	link := func(page int) string {
		q := url.Values{}
		if opt.Sector != "" {
			q.Set("secteur", opt.Sector)
		}
		if opt.Period != "" {
			q.Set("periode", opt.Period)
		}
		q.Set("page", strconv.Itoa(page))
		return path + "?" + q.Encode() + "#grille"
	}
	if g.Page > 1 {
		v.PrevHref = link(g.Page - 1)
	}
	if g.Page < g.Pages {
		v.NextHref = link(g.Page + 1)
	}
	sectors, err := a.db.ListSectors(r.Context())
	if err != nil {
		return v, err
	}
	v.Sectors = append(v.Sectors, choice{Value: "", Label: "tous les secteurs", Selected: opt.Sector == ""})
	for _, s := range sectors {
		v.Sectors = append(v.Sectors, choice{Value: s.ID, Label: s.Name, Selected: s.ID == opt.Sector})
	}
	v.Periods = append(v.Periods, choice{Value: "", Label: "toute l'année", Selected: opt.Period == ""})
	if y, err := a.db.CalendarYear(r.Context(), year); err == nil {
		for _, p := range y.Periods() {
			v.Periods = append(v.Periods, choice{Value: p.ID, Label: p.ID + " · " + p.Label, Selected: p.ID == opt.Period})
		}
	}
	return v, nil
}

func (a *App) showRound(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	opt, err := gridOptions(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	view, err := a.db.RoundViewFor(ctx, u, id, calendar.Date{}, &opt)
	if err != nil {
		return gridError(err)
	}
	rd, g := view.Round, view.Grid
	p := &roundPage{Layout: Layout{Title: fmt.Sprintf("Tour d'affectation n°\u00a0%d (%s)", rd.ID, rd.SchoolYear)}, ID: rd.ID, Year: rd.SchoolYear,
		State: rd.State, StateLabel: store.RoundStateLabel(rd.State), Draft: rd.State == store.RoundDraft,
		Created: frenchTime(rd.CreatedAt.In(a.loc)), Objective: rd.Objective, Bound: rd.UpperBound, Proved: rd.ProvedOptimal,
		Gap:       strings.Replace(strconv.FormatFloat(100*rd.Stats.Gap, 'f', 2, 64), ".", ",", 1) + "\u00a0%",
		StoppedBy: stoppedLabels[rd.Stats.StoppedBy], Elapsed: seconds(time.Duration(rd.Stats.ElapsedMS) * time.Millisecond),
		HasPublished: rd.PreviousRoundID != nil}
	firstYear, err := a.db.RoundServedFirstYear(ctx, rd.ID)
	if err != nil {
		return err
	}
	p.Terms = termsText(rd, firstYear)
	p.CanWrite = p.Draft && u.Can(store.ActRoundWrite)
	p.CanPublish = p.CanWrite
	if rd.PublishedAt != nil {
		p.Published = frenchTime(rd.PublishedAt.In(a.loc))
	}
	p.Params = []string{
		fmt.Sprintf("Prêts de %d semaines de classe, %s.", rd.Params.LoanWeeks, calendar.LoanPolicy(rd.Params.LoanPolicy).Label()),
		fmt.Sprintf("Remise en état\u00a0: %s après chaque retour.", plural(rd.Params.TurnaroundDays, "jour", "jours")),
		fmt.Sprintf("%s disponibles, %s validées, temps de calcul au plus %s.", plural(rd.Params.Packs, "pack", "packs"),
			plural(rd.Params.Requests, "demande", "demandes"), timeLimitText(rd.Params.TimeLimit)),
		fmt.Sprintf("Calculé au %s.", rd.Params.Today.French(calendar.FrenchLong)),
	}
	path := fmt.Sprintf("/tours/%d", rd.ID)
	if p.Grid, err = a.viewGrid(r, g, opt, path, rd.SchoolYear); err != nil {
		return err
	}
	if p.CanWrite {
		p.Grid.PinBase = path + "/epinglage?demande="
	}
	edits := []store.PinEdit{}
	if p.Draft {
		if edits, err = a.db.RoundPinEdits(ctx, rd.ID); err != nil {
			return err
		}
	}
	names := map[int64][2]string{}
	for _, l := range rd.Loans {
		names[l.RequestID] = [2]string{l.RequestTitle, l.SchoolName}
	}
	for _, un := range rd.Unserved {
		names[un.RequestID] = [2]string{un.RequestTitle, un.SchoolName}
	}
	weeks := map[int]string{}
	if y, err := a.db.CalendarYear(ctx, rd.SchoolYear); err == nil {
		for _, wk := range y.Weeks() {
			weeks[wk.Index] = wk.First.French(calendar.FrenchLong)
		}
	}
	pinText := func(kind string, start *int) string {
		switch {
		case kind == store.PinExclude:
			return "exclue de ce tour"
		case kind == store.PinUnpin:
			return "épinglage retiré"
		case start != nil:
			return "servie à partir du " + weeks[*start]
		}
		return "servie (semaine choisie par le calcul)"
	}
	for _, pin := range rd.Pins {
		n := names[pin.RequestID]
		p.Pins = append(p.Pins, pinView{RequestID: pin.RequestID, Title: n[0], School: n[1], Kind: pin.Kind,
			What: pinText(pin.Kind, pin.StartWeek), Reason: pin.Reason})
	}
	for _, e := range edits {
		n := names[e.RequestID]
		p.Edits = append(p.Edits, pinView{RequestID: e.RequestID, Title: n[0], School: n[1], Kind: e.Kind,
			What: pinText(e.Kind, e.StartWeek), Reason: e.Reason, Pending: true})
	}
	np, err := unservedPage(r, len(rd.Unserved))
	if err != nil {
		return err
	}
	p.UnservedTotal, p.UnservedPage, p.UnservedPages = len(rd.Unserved), np, max(1, (len(rd.Unserved)+unservedPageSize-1)/unservedPageSize)
	if np > 1 {
		p.UnservedPrev = fmt.Sprintf("%s?np=%d#non-servis", path, np-1)
	}
	if np < p.UnservedPages {
		p.UnservedNext = fmt.Sprintf("%s?np=%d#non-servis", path, np+1)
	}
	for _, un := range rd.Unserved[(np-1)*unservedPageSize : min(np*unservedPageSize, len(rd.Unserved))] {
		it := unservedItem{RequestID: un.RequestID, Title: un.RequestTitle, School: un.SchoolName, Message: nbsp(un.Message)}
		for _, pin := range rd.Pins {
			if pin.RequestID == un.RequestID && pin.Kind == store.PinExclude && pin.Reason != "" {
				it.Message += nbsp(" Raison : " + pin.Reason + ".")
			}
		}
		if fix, ok := store.UnservedWhatIf(un); ok && p.CanWrite {
			it.FixDelta, it.FixLabel = fix.PacksDelta, "Essayer\u00a0: "+fix.Label()
		}
		p.Unserved = append(p.Unserved, it)
	}
	p.Changes = viewChanges(view.Changes)
	wis, err := a.db.ListWhatIfsFor(ctx, u, rd.ID)
	if err != nil {
		return err
	}
	for _, wi := range wis {
		it := whatIfItem{ID: wi.ID, Label: wi.Label, Created: frenchTime(wi.CreatedAt.In(a.loc))}
		if wi.AdoptedRoundID != nil {
			it.Adopted = *wi.AdoptedRoundID
		}
		p.WhatIfs = append(p.WhatIfs, it)
	}
	for i, id := range rd.Params.PackIDs {
		p.Packs = append(p.Packs, choice{Value: strconv.FormatInt(id, 10), Label: rd.Params.PackCodes[i]})
	}
	if s, err := a.db.RunningSolve(ctx, rd.SchoolYear); err != nil {
		return err
	} else if s != nil && s.Running() {
		p.Running = a.viewSolve(*s)
	}
	return a.render(w, r, http.StatusOK, "round", p)
}

func (a *App) rerunRoundPage(w http.ResponseWriter, r *http.Request) error {
	rd, u, err := a.roundOf(r)
	if err != nil {
		return err
	}
	s, err := round.StartRerun(r.Context(), a.db, store.Actor{UserID: u.ID}, rd.ID, round.Input{})
	if err != nil {
		if ok, err := a.solveRunning(w, r, err, rd.SchoolYear); ok {
			return err
		}
		return err
	}
	return a.redirect(w, r, fmt.Sprintf("/calculs/%d", s.ID), "Nouveau calcul lancé.")
}

func (a *App) discardRoundPage(w http.ResponseWriter, r *http.Request) error {
	rd, u, err := a.roundOf(r)
	if err != nil {
		return err
	}
	if _, err := a.db.DiscardRound(r.Context(), store.Actor{UserID: u.ID}, rd.ID); err != nil {
		return err
	}
	return a.redirect(w, r, "/tours?annee="+url.QueryEscape(rd.SchoolYear), fmt.Sprintf("Brouillon n° %d abandonné.", rd.ID))
}
