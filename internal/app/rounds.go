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
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/scheduler"
)

// The coordinator's « Tour d'affectation » pages: rounds of a school
// year, the background solve, a round's draft (grid, unserved projects,
// difference with the published plan), pins and exclusions, what-ifs,
// capacity and publishing. Referents read them; only the coordinator acts.

// routesRounds registers the round pages.
func (a *App) routesRounds() {
	m := a.mux
	m.Handle("GET /tours", a.signedIn(store.ActRoundRead, a.listRoundsPage))
	m.Handle("POST /tours", a.signedIn(store.ActRoundWrite, a.startRound))
	m.Handle("GET /calculs/{id}", a.signedIn(store.ActRoundRead, a.showSolve))
	m.Handle("GET /tours/{id}", a.signedIn(store.ActRoundRead, a.showRound))
	m.Handle("POST /tours/{id}/relance", a.signedIn(store.ActRoundWrite, a.rerunRoundPage))
	m.Handle("POST /tours/{id}/abandon", a.signedIn(store.ActRoundWrite, a.discardRoundPage))
	m.Handle("GET /tours/{id}/epinglage", a.signedIn(store.ActRoundWrite, a.pinForm))
	m.Handle("POST /tours/{id}/epinglage", a.signedIn(store.ActRoundWrite, a.pinRound))
	m.Handle("POST /tours/{id}/epinglage/{demande}/annulation", a.signedIn(store.ActRoundWrite, a.cancelPin))
	m.Handle("POST /tours/{id}/hypotheses", a.signedIn(store.ActRoundWrite, a.runWhatIfPage))
	m.Handle("GET /hypotheses/{id}", a.signedIn(store.ActRoundRead, a.showWhatIf))
	m.Handle("POST /hypotheses/{id}/adoption", a.signedIn(store.ActRoundWrite, a.adoptWhatIfPage))
	m.Handle("GET /tours/{id}/publication", a.signedIn(store.ActRoundWrite, a.publishPreview))
	m.Handle("POST /tours/{id}/publication", a.signedIn(store.ActRoundWrite, a.publishRoundPage))
	m.Handle("GET /tours/{id}/capacite", a.signedIn(store.ActRoundRead, a.capacityPage))
}

// maxChanges bounds each list of a difference (added, moved, removed);
// the rest is counted. unservedPageSize is the number of unserved
// projects per page of a round.
const (
	maxChanges       = 100
	maxNotices       = 200
	unservedPageSize = 50
)

// gridPageSize is the number of packs per page of a round's grid: a
// town's packs fit on one page, the national data set pages.
const gridPageSize = 25

// weightLabels name the objective's weights on the run form, in the
// order shown.
var weightLabels = []struct{ Name, Label, Hint string }{
	{"base", "Valeur d'un projet servi", "par pack prêté"},
	{"first_year", "Bonus première année", "projet d'une école qui participe pour la première fois"},
	{"training_done", "Bonus formation suivie", ""},
	{"preferred_period", "Bonus période préférée", ""},
	{"extension_granted", "Bonus prolongation accordée", ""},
	{"school_period_excess", "Pénalité : école servie plusieurs fois dans une période", ""},
	{"school_year_excess", "Pénalité : école servie trop souvent dans l'année", ""},
	{"sector_period_excess", "Pénalité de secteur : secteur trop servi dans une période", ""},
	{"churn_move", "Pénalité : prêt publié déplacé", ""},
	{"churn_extension", "Pénalité : prolongation publiée changée", ""},
	{"churn_drop", "Pénalité : prêt publié annulé", ""},
}

func weightValue(w scheduler.Weights, name string) int {
	switch name {
	case "base":
		return w.Base
	case "first_year":
		return w.FirstYear
	case "training_done":
		return w.TrainingDone
	case "preferred_period":
		return w.PreferredPeriod
	case "extension_granted":
		return w.ExtensionGranted
	case "school_period_excess":
		return w.SchoolPeriodExcess
	case "school_year_excess":
		return w.SchoolYearExcess
	case "sector_period_excess":
		return w.SectorPeriodExcess
	case "churn_move":
		return w.ChurnMove
	case "churn_extension":
		return w.ChurnExtension
	case "churn_drop":
		return w.ChurnDrop
	}
	return 0
}

// choice is an option of a select or a radio group.
type choice struct {
	Value    string
	Label    string
	Selected bool
}

// weightField is a weight's field on the run form.
type weightField struct {
	Name, Label, Hint, Value string
}

// runForm is the form that runs a round, with its defaults.
type runForm struct {
	LoanWeeks      string
	Policies       []choice
	TurnaroundDays string
	TimeLimit      string
	Weights        []weightField
}

// roundRow is one round of the list.
type roundItem struct {
	ID         int64
	State      string
	StateLabel string
	Created    string
	Published  string
	Served     int
	Unserved   int
	Objective  int
	Proved     bool
}

type roundsPage struct {
	Layout
	Year     string
	Years    []string
	Rounds   []roundItem
	CanRun   bool
	Form     runForm
	Running  *solveView
	Policy   string
	Defaults string
}

// solveView is a background solve as the pages show it.
type solveView struct {
	ID        int64
	Year      string
	Running   bool
	Stale     bool
	Failed    bool
	State     string
	Elapsed   string
	TimeLimit string
	Phase     string
	Objective string
	Bound     string
	Error     string
	Href      string
	Source    int64
}

func (a *App) viewSolve(s store.RoundSolve) *solveView {
	v := &solveView{ID: s.ID, Year: s.SchoolYear, Running: s.Running(), Stale: s.Stale, Failed: s.State == store.SolveFailed || s.State == store.SolveAbandoned,
		Elapsed: seconds(s.Elapsed), TimeLimit: seconds(s.TimeLimit), Phase: s.Phase, Error: s.Error,
		Href: fmt.Sprintf("/calculs/%d", s.ID), Source: s.SourceRoundID}
	switch {
	case s.Stale:
		v.State = "interrompu (le serveur ne répond plus pour ce calcul) : vous pouvez le relancer"
	case s.State == store.SolveRunning:
		v.State = "en cours"
	case s.State == store.SolveDone:
		v.State = "terminé"
	case s.State == store.SolveAbandoned:
		v.State = "interrompu"
	default:
		v.State = "échoué"
	}
	if s.Objective != nil {
		v.Objective = strconv.Itoa(*s.Objective)
	}
	if s.UpperBound != nil {
		v.Bound = strconv.Itoa(*s.UpperBound)
	}
	return v
}

// timeLimitText says a stored time limit (a Go duration) in French.
func timeLimitText(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		return s
	}
	return seconds(d)
}

// seconds says a duration as « 1,5 s ».
func seconds(d time.Duration) string {
	s := strconv.FormatFloat(d.Seconds(), 'f', 1, 64)
	return strings.Replace(s, ".", ",", 1) + "\u00a0s"
}

// yearOf reads ?annee= (the current school year by default).
func (a *App) yearOf(r *http.Request) (string, []string, error) {
	cur := a.currentYear()
	start := 0
	fmt.Sscanf(cur, "%d-", &start)
	var years []string
	for y := start + 1; y >= start-2; y-- {
		years = append(years, calendar.YearName(y))
	}
	year := r.URL.Query().Get("annee")
	if year == "" {
		year = cur
	}
	if !store.ValidSchoolYear(year) {
		return "", nil, errBadFilter("Année scolaire inconnue\u00a0: choisissez-en une dans la liste.")
	}
	return year, years, nil
}

func (a *App) defaultRunForm(r *http.Request, year string) (runForm, error) {
	set, err := a.db.YearSettings(r.Context(), year)
	if err != nil {
		return runForm{}, err
	}
	f := runForm{LoanWeeks: strconv.Itoa(store.DefaultLoanWeeks), TurnaroundDays: strconv.Itoa(store.DefaultTurnaroundDays),
		TimeLimit: strconv.Itoa(int(store.DefaultRoundTimeLimit.Seconds()))}
	for _, p := range calendar.LoanPolicies() {
		f.Policies = append(f.Policies, choice{Value: string(p), Label: p.Label(), Selected: p == set.LoanPolicy})
	}
	w := scheduler.DefaultWeights()
	for _, wl := range weightLabels {
		f.Weights = append(f.Weights, weightField{Name: wl.Name, Label: wl.Label, Hint: wl.Hint, Value: strconv.Itoa(weightValue(w, wl.Name))})
	}
	return f, nil
}

func (a *App) listRoundsPage(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	year, years, err := a.yearOf(r)
	if err != nil {
		return err
	}
	p := &roundsPage{Layout: Layout{Title: "Tours d'affectation " + year}, Year: year, Years: years, CanRun: u.Can(store.ActRoundWrite)}
	if err := a.fillRoundsPage(r, p); err != nil {
		return err
	}
	if p.Form, err = a.defaultRunForm(r, year); err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "rounds", p)
}

func (a *App) fillRoundsPage(r *http.Request, p *roundsPage) error {
	u, _ := currentUser(r.Context())
	rounds, err := a.db.ListRoundsFor(r.Context(), u, p.Year)
	if err != nil {
		return err
	}
	for _, rd := range rounds {
		it := roundItem{ID: rd.ID, State: rd.State, StateLabel: store.RoundStateLabel(rd.State), Created: frenchTime(rd.CreatedAt.In(a.loc)),
			Served: rd.Stats.Served, Unserved: rd.Stats.Unserved, Objective: rd.Objective, Proved: rd.ProvedOptimal}
		if rd.PublishedAt != nil {
			it.Published = frenchTime(rd.PublishedAt.In(a.loc))
		}
		p.Rounds = append(p.Rounds, it)
	}
	s, err := a.db.RunningSolve(r.Context(), p.Year)
	if err != nil {
		return err
	}
	if s != nil {
		p.Running = a.viewSolve(*s)
	}
	return nil
}

// formInt reads an integer field; a malformed one is a field error.
func formInt(r *http.Request, name, label string, errs *[]FieldError) int {
	v := strings.TrimSpace(r.PostFormValue(name))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		*errs = append(*errs, FieldError{Field: name, Label: label, Message: "Saisissez un nombre entier."})
	}
	return n
}

// runInput reads the run form into a round's input and the form as
// typed.
func (a *App) runInput(r *http.Request, year string) (store.RoundInput, runForm, []FieldError, error) {
	f, err := a.defaultRunForm(r, year)
	if err != nil {
		return store.RoundInput{}, f, nil, err
	}
	var errs []FieldError
	in := store.RoundInput{SchoolYear: year, LoanWeeks: formInt(r, "loan_weeks", "Durée des prêts", &errs),
		LoanPolicy: calendar.LoanPolicy(r.PostFormValue("loan_policy")), WeightsByName: map[string]int{}}
	f.LoanWeeks = r.PostFormValue("loan_weeks")
	for i := range f.Policies {
		f.Policies[i].Selected = f.Policies[i].Value == r.PostFormValue("loan_policy")
	}
	f.TurnaroundDays = r.PostFormValue("turnaround_days")
	if t := formInt(r, "turnaround_days", "Remise en état", &errs); t > 0 {
		in.TurnaroundDays = t
	} else if strings.TrimSpace(f.TurnaroundDays) == "0" {
		in.TurnaroundDays = -1 // none
	} else {
		in.TurnaroundDays = t
	}
	f.TimeLimit = r.PostFormValue("time_limit")
	in.TimeLimit = time.Duration(formInt(r, "time_limit", "Temps de calcul", &errs)) * time.Second
	for i, wf := range f.Weights {
		key := "weights-" + wf.Name
		if _, ok := r.PostForm[key]; !ok {
			continue
		}
		f.Weights[i].Value = r.PostFormValue(key)
		in.WeightsByName[wf.Name] = formInt(r, key, wf.Label, &errs)
	}
	return in, f, errs, nil
}

// roundFieldIDs maps the store's field names to the run form's ids.
func roundFieldErrors(err error) ([]FieldError, bool) {
	re, ok := store.AsRule(err)
	if !ok || re.Kind != store.RuleInvalid || len(re.Fields) == 0 {
		return nil, false
	}
	labels := map[string]string{"loan_weeks": "Durée des prêts", "loan_policy": "Politique de prêt",
		"turnaround_days": "Remise en état", "time_limit": "Temps de calcul", "year": "Année scolaire"}
	var out []FieldError
	for _, f := range re.Fields {
		id, label := f, labels[f]
		if strings.HasPrefix(f, "weights.") {
			id = "weights-" + strings.TrimPrefix(f, "weights.")
			label = "Poids " + strings.TrimPrefix(f, "weights.")
		}
		out = append(out, FieldError{Field: id, Label: label, Message: sentence(re.FieldMessages[f])})
	}
	return out, true
}

func (a *App) startRound(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	year := r.PostFormValue("annee")
	if !store.ValidSchoolYear(year) {
		return errBadFilter("Année scolaire inconnue\u00a0: choisissez-en une dans la liste.")
	}
	in, f, errs, err := a.runInput(r, year)
	if err != nil {
		return err
	}
	if len(errs) == 0 {
		s, err := a.db.StartRoundSolve(r.Context(), store.Actor{UserID: u.ID}, in)
		if err == nil {
			return a.redirect(w, r, fmt.Sprintf("/calculs/%d", s.ID), "Calcul lancé.")
		}
		if ok, err := a.solveRunning(w, r, err, year); ok {
			return err
		}
		fe, ok := roundFieldErrors(err)
		if !ok {
			return err
		}
		errs = fe
	}
	_, years, _ := a.yearOf(r)
	p := &roundsPage{Layout: Layout{Title: "Tours d'affectation " + year, Errors: errs}, Year: year, Years: years, CanRun: true, Form: f}
	if err := a.fillRoundsPage(r, p); err != nil {
		return err
	}
	return &invalidForm{Page: "rounds", Data: p}
}

// solveRunning answers a start refused because a solve runs: the running
// solve's page, which says so.
func (a *App) solveRunning(w http.ResponseWriter, r *http.Request, err error, year string) (bool, error) {
	re, ok := store.AsRule(err)
	if !ok || re.Code != "solve_running" {
		return false, nil
	}
	to := "/tours?annee=" + url.QueryEscape(year)
	if re.Conflict != nil {
		to = fmt.Sprintf("/calculs/%d", re.Conflict.ID)
	}
	return true, a.redirect(w, r, to, "Rien n'a été lancé\u00a0: "+re.Message)
}

type solvePage struct {
	Layout
	S       *solveView
	Refresh int
	CanRun  bool
}

// showSolve shows a running solve, refreshing itself, and sends to the
// round once it is done.
func (a *App) showSolve(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	s, err := a.db.RoundSolveFor(r.Context(), u, id)
	if err != nil {
		return err
	}
	if s.State == store.SolveDone {
		http.Redirect(w, r, fmt.Sprintf("/tours/%d", s.RoundID), http.StatusSeeOther)
		return nil
	}
	p := &solvePage{Layout: Layout{Title: "Calcul du tour d'affectation " + s.SchoolYear}, S: a.viewSolve(s), CanRun: u.Can(store.ActRoundWrite)}
	if p.S.Running {
		p.Refresh = 2
	}
	return a.render(w, r, http.StatusOK, "round_solve", p)
}

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
	s, err := a.db.StartRoundRerun(r.Context(), store.Actor{UserID: u.ID}, rd.ID, store.RoundInput{})
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

// pinReasons are the reasons offered by the pin form's menu; « autre »
// asks for the coordinator's own words.
var pinReasons = []string{
	"Projet prioritaire de la circonscription",
	"Contrainte de calendrier de l'école",
	"Accord passé avec l'école",
	"École en travaux ou indisponible",
	"Équilibre entre les secteurs",
}

type pinPage struct {
	Layout
	RoundID   int64
	RequestID int64
	Title     string
	School    string
	Served    bool
	Current   string
	Message   string
	Starts    []choice
	Reasons   []choice
	Kind      string
	Other     string
	Pinned    bool
}

func (a *App) pinForm(w http.ResponseWriter, r *http.Request) error {
	rd, _, err := a.roundOf(r)
	if err != nil {
		return err
	}
	reqID, err := strconv.ParseInt(r.URL.Query().Get("demande"), 10, 64)
	if err != nil {
		return errBadFilter("Demande inconnue\u00a0: ouvrez le menu depuis la grille ou la liste des projets non servis.")
	}
	p, err := a.pinPageOf(r, rd, reqID)
	if err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "round_pin", p)
}

func (a *App) pinPageOf(r *http.Request, rd store.Round, reqID int64) (*pinPage, error) {
	p := &pinPage{Layout: Layout{Title: "Fixer ou exclure une demande"}, RoundID: rd.ID, RequestID: reqID, Kind: "ici"}
	found := false
	for _, l := range rd.Loans {
		if l.RequestID == reqID {
			found, p.Served, p.Title, p.School, p.Message = true, true, l.RequestTitle, l.SchoolName, nbsp(l.Message)
			p.Current = "du " + l.PickupDay.French(calendar.FrenchLong) + " au " + l.ReturnDay.French(calendar.FrenchLong) +
				", " + strings.Join(l.PackCodes, ", ")
		}
	}
	for _, un := range rd.Unserved {
		if un.RequestID == reqID {
			found, p.Title, p.School, p.Message = true, un.RequestTitle, un.SchoolName, nbsp(un.Message)
		}
	}
	if !found {
		return nil, errNotFound
	}
	if !p.Served {
		p.Kind = "semaine"
	}
	for _, pin := range rd.Pins {
		p.Pinned = p.Pinned || pin.RequestID == reqID
	}
	starts, err := a.db.RoundStartChoices(r.Context(), rd.ID, reqID)
	if err != nil {
		return nil, err
	}
	for _, s := range starts {
		p.Starts = append(p.Starts, choice{Value: strconv.Itoa(s.Week), Label: s.Label})
	}
	for _, reason := range pinReasons {
		p.Reasons = append(p.Reasons, choice{Value: reason, Label: reason})
	}
	p.Reasons = append(p.Reasons, choice{Value: "autre", Label: "Autre raison (précisez ci-dessous)"})
	return p, nil
}

func (a *App) pinRound(w http.ResponseWriter, r *http.Request) error {
	rd, u, err := a.roundOf(r)
	if err != nil {
		return err
	}
	reqID, err := strconv.ParseInt(r.PostFormValue("demande"), 10, 64)
	if err != nil {
		return errBadFilter("Demande inconnue.")
	}
	e := store.PinEdit{RequestID: reqID, Reason: r.PostFormValue("raison")}
	if e.Reason == "autre" || e.Reason == "" {
		e.Reason = r.PostFormValue("autre")
	}
	kind := r.PostFormValue("choix")
	switch kind {
	case "ici":
		e.Kind = store.PinServe
		for _, l := range rd.Loans {
			if l.RequestID == reqID {
				start := l.StartWeek
				e.StartWeek, e.ExtensionWeeks = &start, l.ExtensionWeeks
			}
		}
	case "semaine":
		e.Kind = store.PinServe
		if wk, err := strconv.Atoi(r.PostFormValue("semaine")); err == nil {
			e.StartWeek = &wk
		}
	case "exclure":
		e.Kind = store.PinExclude
	case "retirer":
		e.Kind = store.PinUnpin
	}
	_, err = a.db.SetRoundPin(r.Context(), store.Actor{UserID: u.ID}, rd.ID, e)
	if err == nil {
		return a.redirect(w, r, fmt.Sprintf("/tours/%d#epingles", rd.ID), "Enregistré. Relancez le calcul pour l'appliquer.")
	}
	re, ok := store.AsRule(err)
	if !ok || re.Kind != store.RuleInvalid {
		return err
	}
	p, perr := a.pinPageOf(r, rd, reqID)
	if perr != nil {
		return perr
	}
	p.Kind, p.Other = kind, r.PostFormValue("autre")
	ids := map[string]string{"reason": "raison", "start_week": "semaine", "kind": "choix-ici", "request_id": "choix-ici", "extension_weeks": "choix-ici"}
	labels := map[string]string{"reason": "Raison", "start_week": "Semaine de début", "kind": "Choix", "request_id": "Demande", "extension_weeks": "Prolongation"}
	for _, f := range re.Fields {
		p.Errors = append(p.Errors, FieldError{Field: ids[f], Label: labels[f], Message: sentence(re.FieldMessages[f])})
	}
	for i := range p.Reasons {
		p.Reasons[i].Selected = p.Reasons[i].Value == r.PostFormValue("raison")
	}
	return &invalidForm{Page: "round_pin", Data: p}
}

func (a *App) cancelPin(w http.ResponseWriter, r *http.Request) error {
	rd, u, err := a.roundOf(r)
	if err != nil {
		return err
	}
	reqID, err := pathID(r, "demande")
	if err != nil {
		return err
	}
	if err := a.db.CancelRoundPin(r.Context(), store.Actor{UserID: u.ID}, rd.ID, reqID); err != nil {
		return err
	}
	return a.redirect(w, r, fmt.Sprintf("/tours/%d#epingles", rd.ID), "Demande d'épinglage annulée.")
}

// whatIfInput reads the what-if form: one hypothesis per button.
func whatIfInput(r *http.Request) (store.WhatIfInput, error) {
	var in store.WhatIfInput
	bad := func(msg string) error {
		return &pageError{Status: http.StatusUnprocessableEntity, Title: "Hypothèse à corriger", Message: msg, Back: "javascript:history.back()", BackLabel: ""}
	}
	switch r.PostFormValue("hypothese") {
	case "plus":
		in.PacksDelta = 1
		if n, err := strconv.Atoi(r.PostFormValue("packs")); err == nil && n > 0 {
			in.PacksDelta = n
		}
	case "moins":
		in.PacksDelta = -1
	case "duree":
		n, err := strconv.Atoi(r.PostFormValue("semaines"))
		if err != nil {
			return in, bad("Saisissez la durée des prêts en semaines (un nombre entier).")
		}
		in.LoanWeeks = n
	case "sans-prolongation":
		in.NoExtensions = true
	case "a-cheval":
		in.LoanPolicy = string(calendar.AcrossBreaks)
	case "indisponible":
		id, err := strconv.ParseInt(r.PostFormValue("pack"), 10, 64)
		if err != nil {
			return in, bad("Choisissez le pack indisponible.")
		}
		first, err1 := calendar.ParseDate(r.PostFormValue("du"))
		last, err2 := calendar.ParseDate(r.PostFormValue("au"))
		if err1 != nil || err2 != nil {
			return in, bad("Saisissez les dates d'indisponibilité (du … au …).")
		}
		in.Unavailable = []store.WhatIfUnavailable{{PackID: id, FirstDay: first, LastDay: last}}
	default:
		return in, bad("Choisissez une hypothèse.")
	}
	return in, nil
}

func (a *App) runWhatIfPage(w http.ResponseWriter, r *http.Request) error {
	rd, u, err := a.roundOf(r)
	if err != nil {
		return err
	}
	in, err := whatIfInput(r)
	if err != nil {
		var pe *pageError
		if errors.As(err, &pe) {
			pe.Back, pe.BackLabel = fmt.Sprintf("/tours/%d#hypotheses", rd.ID), "Revenir au tour"
		}
		return err
	}
	wi, err := a.db.RunWhatIf(r.Context(), store.Actor{UserID: u.ID}, rd.ID, in)
	if err != nil {
		if re, ok := store.AsRule(err); ok && re.Kind == store.RuleInvalid {
			msg := re.Message
			if len(re.Fields) > 0 {
				msg = re.FieldMessages[re.Fields[0]]
			}
			return &pageError{Status: http.StatusUnprocessableEntity, Title: "Hypothèse à corriger", Message: sentence(msg),
				Back: fmt.Sprintf("/tours/%d#hypotheses", rd.ID), BackLabel: "Revenir au tour", Err: err}
		}
		return err
	}
	return a.redirect(w, r, fmt.Sprintf("/hypotheses/%d", wi.ID), "Hypothèse calculée. Rien n'a été envoyé ni publié.")
}

type whatIfPage struct {
	Layout
	ID           int64
	RoundID      int64
	Label        string
	Objective    int
	Bound        int
	Proved       bool
	BaseObj      int
	Terms        string
	Changes      changesView
	Grid         gridView
	Adoptable    bool
	NotAdoptable string
	Adopted      int64
	CanAdopt     bool
	Unserved     []unservedItem
}

func (a *App) showWhatIf(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	wi, err := a.db.WhatIfFor(r.Context(), u, id)
	if err != nil {
		return err
	}
	opt, err := gridOptions(r)
	if err != nil {
		return err
	}
	g, err := a.db.WhatIfGridFor(r.Context(), u, id, calendar.Date{}, opt)
	if err != nil {
		return gridError(err)
	}
	base, err := a.db.RoundFor(r.Context(), u, wi.RoundID)
	if err != nil {
		return err
	}
	p := &whatIfPage{Layout: Layout{Title: "Hypothèse\u00a0: " + wi.Label}, ID: wi.ID, RoundID: wi.RoundID, Label: wi.Label,
		Objective: wi.Round.Objective, Bound: wi.Round.UpperBound, Proved: wi.Round.ProvedOptimal, BaseObj: base.Objective,
		Terms: termsText(wi.Round, -1), Changes: viewChanges(wi.Changes), Adoptable: wi.Adoptable, NotAdoptable: nbsp(wi.NotAdoptable)}
	if wi.AdoptedRoundID != nil {
		p.Adopted = *wi.AdoptedRoundID
	}
	p.CanAdopt = u.Can(store.ActRoundWrite) && wi.Adoptable && p.Adopted == 0 &&
		(base.State == store.RoundDraft || base.State == store.RoundPublished)
	for _, un := range wi.Round.Unserved {
		p.Unserved = append(p.Unserved, unservedItem{RequestID: un.RequestID, Title: un.RequestTitle, School: un.SchoolName, Message: nbsp(un.Message)})
	}
	if p.Grid, err = a.viewGrid(r, g, opt, fmt.Sprintf("/hypotheses/%d", wi.ID), wi.SchoolYear); err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "round_whatif", p)
}

func (a *App) adoptWhatIfPage(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rd, err := a.db.AdoptWhatIf(r.Context(), store.Actor{UserID: u.ID}, id)
	if err != nil {
		return err
	}
	return a.redirect(w, r, fmt.Sprintf("/tours/%d", rd.ID), "Hypothèse retenue\u00a0: c'est le nouveau brouillon. Rien n'a été publié.")
}

type noticeView struct {
	Name  string
	Email string
	Role  string
	Href  string
	Items []string
}

type cancellationView struct {
	LoanID  int64
	Message string
	Signed  bool
}

type publishPage struct {
	Layout
	RoundID       int64
	Year          string
	Draft         bool
	Notices       []noticeView
	NoticesTotal  int
	NoticesMore   int
	Cancellations []cancellationView
	Changes       changesView
}

func (a *App) publishPreview(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	view, err := a.db.RoundViewFor(r.Context(), u, id, calendar.Date{}, nil)
	if err != nil {
		return err
	}
	p, err := a.publishPageOf(r, view)
	if err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "round_publish", p)
}

func (a *App) publishPageOf(r *http.Request, view store.RoundView) (*publishPage, error) {
	rd := view.Round
	p := &publishPage{Layout: Layout{Title: fmt.Sprintf("Publier le tour n°\u00a0%d", rd.ID)}, RoundID: rd.ID, Year: rd.SchoolYear,
		Draft: rd.State == store.RoundDraft}
	notices, _, err := a.db.RoundNotices(r.Context(), rd.ID)
	if err != nil {
		return nil, err
	}
	p.NoticesTotal, p.NoticesMore = len(notices), max(0, len(notices)-maxNotices)
	for _, n := range notices[:min(len(notices), maxNotices)] {
		v := noticeView{Name: n.UserName, Email: n.Email, Role: roleLabels[n.Role], Href: "/"}
		for _, it := range n.Items {
			v.Items = append(v.Items, nbsp(it.Text))
			v.Href = fmt.Sprintf("/demandes/%d", it.RequestID)
		}
		p.Notices = append(p.Notices, v)
	}
	ch := view.Changes
	p.Changes = viewChanges(ch)
	signed := map[int64]bool{}
	for _, c := range ch.Removed {
		if c.Before != nil {
			signed[c.Before.LoanID] = c.Signed
		}
	}
	for _, c := range rd.Cancellations {
		p.Cancellations = append(p.Cancellations, cancellationView{LoanID: c.LoanID, Message: nbsp(sentence(c.Message)), Signed: signed[c.LoanID]})
	}
	return p, nil
}

func (a *App) publishRoundPage(w http.ResponseWriter, r *http.Request) error {
	rd, u, err := a.roundOf(r)
	if err != nil {
		return err
	}
	var confirmed []int64
	for _, v := range r.PostForm["annulation"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errBadFilter("Annulation inconnue.")
		}
		confirmed = append(confirmed, id)
	}
	_, err = a.db.PublishRoundConfirmed(r.Context(), store.Actor{UserID: u.ID}, rd.ID, confirmed)
	if err != nil {
		re, ok := store.AsRule(err)
		if !ok || re.Code != "cancellations_unconfirmed" {
			return err
		}
		view, verr := a.db.RoundViewFor(r.Context(), u, rd.ID, calendar.Date{}, nil)
		if verr != nil {
			return verr
		}
		p, perr := a.publishPageOf(r, view)
		if perr != nil {
			return perr
		}
		p.Errors = []FieldError{{Field: "annulations", Label: "Annulations", Message: "Cochez chaque prêt annulé pour confirmer son annulation."}}
		return &invalidForm{Page: "round_publish", Data: p}
	}
	return a.redirect(w, r, fmt.Sprintf("/tours/%d", rd.ID), "Tour publié. Chaque personne concernée recevra un message.")
}

type capacityPage struct {
	Layout
	RoundID int64
	C       store.Capacity
}

func (a *App) capacityPage(w http.ResponseWriter, r *http.Request) error {
	rd, u, err := a.roundOf(r)
	if err != nil {
		return err
	}
	c, err := a.db.RoundCapacityFor(r.Context(), u, rd.ID, 0)
	if err != nil {
		return err
	}
	c.Summary = nbsp(c.Summary)
	return a.render(w, r, http.StatusOK, "round_capacity", &capacityPage{Layout: Layout{Title: fmt.Sprintf("Capacité, tour n°\u00a0%d", rd.ID)}, RoundID: rd.ID, C: c})
}
