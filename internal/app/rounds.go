package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/round"
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
		TimeLimit: strconv.Itoa(int(round.DefaultTimeLimit.Seconds()))}
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
func (a *App) runInput(r *http.Request, year string) (round.Input, runForm, []FieldError, error) {
	f, err := a.defaultRunForm(r, year)
	if err != nil {
		return round.Input{}, f, nil, err
	}
	var errs []FieldError
	in := round.Input{SchoolYear: year, LoanWeeks: formInt(r, "loan_weeks", "Durée des prêts", &errs),
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
		s, err := round.Start(r.Context(), a.db, store.Actor{UserID: u.ID}, in)
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
