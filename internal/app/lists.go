package app

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// pageSize bounds every list page.
const pageSize = 25

// requestRow is one line of a list of requests.
type requestRow struct {
	ID         int64
	Title      string
	School     string
	Teacher    string
	Class      string
	Packs      int
	State      string
	StateLabel string
	Since      string
	Opinions   []string // one per referent role: its verdict or « manquant »
	Version    int
}

// listControls are a list's filters, sort and page, read from the query.
type listControls struct {
	Year     string
	Years    []string
	State    string
	Sort     string
	Page     int
	Pages    int
	Total    int
	base     url.Values
	path     string
	PrevHref string
	NextHref string
}

// readControls reads ?annee=&etat=&tri=&page= with their defaults; a
// malformed value is a 400 page.
func (a *App) readControls(r *http.Request, states map[string]string, defState string) (listControls, error) {
	q := r.URL.Query()
	cur := a.currentYear()
	c := listControls{Year: q.Get("annee"), State: q.Get("etat"), Sort: q.Get("tri"), Page: 1, path: r.URL.Path}
	start := 0
	fmt.Sscanf(cur, "%d-", &start)
	for y := start + 1; y >= start-2; y-- {
		c.Years = append(c.Years, calendar.YearName(y))
	}
	if c.Year == "" {
		c.Year = cur
	}
	if !slices.Contains(c.Years, c.Year) {
		return c, errBadFilter("Année scolaire inconnue\u00a0: choisissez-en une dans la liste.")
	}
	if c.State == "" {
		c.State = defState
	}
	if _, ok := states[c.State]; !ok && states != nil {
		return c, errBadFilter("État inconnu\u00a0: choisissez-en un dans la liste.")
	}
	switch c.Sort {
	case "", "date", "ecole":
	default:
		return c, errBadFilter("Tri inconnu.")
	}
	if c.Sort == "" {
		c.Sort = "date"
	}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 100000 {
			return c, errBadFilter("Numéro de page invalide.")
		}
		c.Page = n
	}
	c.base = url.Values{"annee": {c.Year}, "etat": {c.State}, "tri": {c.Sort}}
	return c, nil
}

// SortHref is the list sorted by key.
func (c listControls) SortHref(key string) string {
	v := url.Values{"annee": {c.Year}, "etat": {c.State}, "tri": {key}}
	return c.path + "?" + v.Encode()
}

// pageQuery is the store's query for the list's page, sort and filter.
func (c listControls) pageQuery(f store.RequestFilter) store.RequestPageQuery {
	pq := store.RequestPageQuery{RequestFilter: f, Page: c.Page, PageSize: pageSize, Sort: store.SortByDate}
	if c.Sort == "ecole" {
		pq.Sort = store.SortBySchool
	}
	return pq
}

// listPage loads one page of requests, sorted and counted by the store,
// sets the controls' page links and returns the page's rows.
func (a *App) listPage(r *http.Request, c *listControls, pq store.RequestPageQuery) ([]requestRow, error) {
	u, _ := currentUser(r.Context())
	page, err := a.db.ListRequestsPage(r.Context(), u, pq)
	if err != nil {
		return nil, err
	}
	c.Total, c.Pages, c.Page = page.Total, page.Pages, page.Page
	link := func(page int) string {
		v := url.Values{}
		for k, vs := range c.base {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(page))
		return c.path + "?" + v.Encode()
	}
	if c.Page > 1 {
		c.PrevHref = link(c.Page - 1)
	}
	if c.Page < c.Pages {
		c.NextHref = link(c.Page + 1)
	}
	rows := make([]requestRow, 0, len(page.Requests))
	for _, q := range page.Requests {
		rows = append(rows, a.rowOf(q))
	}
	return rows, nil
}

func (a *App) rowOf(q store.Request) requestRow {
	since := q.UpdatedAt
	if q.SubmittedAt != nil {
		since = *q.SubmittedAt
	}
	row := requestRow{ID: q.ID, Title: q.Title, School: q.SchoolName, Teacher: q.TeacherName, Class: classLabel(q),
		Packs: q.Packs, State: string(q.State), StateLabel: requestStateLabel(q.State), Version: q.Version,
		Since: frenchDate(since.In(a.loc))}
	for _, role := range store.ReferentRoles {
		verdict := "manquant"
		for _, o := range q.Opinions {
			if o.Role == role {
				verdict = store.OpinionVerdict(o.Verdict).Label()
			}
		}
		row.Opinions = append(row.Opinions, verdict)
	}
	return row
}

// listStates are the states a list filters on, with the French label.
var listStates = map[string]string{
	"toutes": "toutes", "brouillon": "brouillons", "soumise": "à autoriser", "autorisee": "autorisées, sans avis",
	"examen": "avis en cours", "validee": "validées", "rejetee": "rejetées", "retiree": "retirées",
}

var listStateOf = map[string]store.RequestState{
	"brouillon": store.RequestDraft, "soumise": store.RequestSubmitted, "autorisee": store.RequestAuthorised,
	"examen": store.RequestInReview, "validee": store.RequestValidated, "rejetee": store.RequestRejected, "retiree": store.RequestWithdrawn,
}

type stateOption struct {
	Key, Label string
}

func stateOptions(states map[string]string, order []string) []stateOption {
	var out []stateOption
	for _, k := range order {
		out = append(out, stateOption{k, states[k]})
	}
	return out
}

var listStateOrder = []string{"toutes", "brouillon", "soumise", "autorisee", "examen", "validee", "rejetee", "retiree"}

// requestsPage is the list of requests a person sees.
type requestsPage struct {
	Layout
	C       listControls
	States  []stateOption
	Rows    []requestRow
	Heading string
}

func (a *App) listRequests(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	c, err := a.readControls(r, listStates, "toutes")
	if err != nil {
		return err
	}
	rows, err := a.listPage(r, &c, c.pageQuery(store.RequestFilter{SchoolYear: c.Year, State: listStateOf[c.State]}))
	if err != nil {
		return err
	}
	p := &requestsPage{Layout: Layout{Title: "Demandes"}, States: stateOptions(listStates, listStateOrder)}
	if u.OwnRequestsOnly() {
		p.Title = "Mes demandes"
	}
	p.Rows = rows
	p.C = c
	return a.render(w, r, http.StatusOK, "requests", p)
}

// schoolPage is Mon école: the school's requests to authorise (several at
// once), all its requests and its loans.
type schoolPage struct {
	Layout
	School      string
	ToAuthorise []requestRow
	C           listControls
	States      []stateOption
	Rows        []requestRow
	Loans       []schoolLoan
	schoolLoanPart
}

type schoolLoan struct {
	ID     int64
	Title  string
	State  string
	Pickup string
	Return string
}

// directorSchool is the school the person directs (the first one).
func directorSchool(u store.User) string { return u.DirectorSchool() }

func (a *App) school(w http.ResponseWriter, r *http.Request) error {
	return a.schoolWith(w, r, http.StatusOK, nil, nil, "")
}

// schoolWith renders Mon école with status, a calendar link just created
// (shown once) and the errors of the link form.
func (a *App) schoolWith(w http.ResponseWriter, r *http.Request, status int, nf *newFeedView, errs []FieldError, feedName string) error {
	u, _ := currentUser(r.Context())
	uai := directorSchool(u)
	if uai == "" {
		return errForbidden
	}
	c, err := a.readControls(r, listStates, "toutes")
	if err != nil {
		return err
	}
	s, err := a.db.School(r.Context(), uai)
	if err != nil {
		return err
	}
	p := &schoolPage{Layout: Layout{Title: "Mon école"}, School: s.Name, States: stateOptions(listStates, listStateOrder)}
	tasks, _, err := a.db.Tasks(r.Context(), u, a.currentYear())
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if t.Kind == store.TaskAuthorise && t.Request.SchoolUAI == uai {
			p.ToAuthorise = append(p.ToAuthorise, a.rowOf(t.Request))
		}
	}
	if p.Rows, err = a.listPage(r, &c, c.pageQuery(store.RequestFilter{SchoolYear: c.Year, SchoolUAI: uai, State: listStateOf[c.State]})); err != nil {
		return err
	}
	p.C = c
	loans, err := a.db.ListLoansFor(r.Context(), u, store.LoanFilter{SchoolYear: c.Year, SchoolUAI: uai})
	if err != nil {
		return err
	}
	for _, l := range loans {
		p.Loans = append(p.Loans, schoolLoan{ID: l.ID, Title: l.RequestTitle, State: store.LoanState(l.State).Label(),
			Pickup: frenchDate(l.PickupDay.Time()), Return: frenchDate(l.ReturnDay.Time())})
	}
	if err := a.fillSchoolLoans(r, u, uai, loans, &p.schoolLoanPart); err != nil {
		return err
	}
	p.NewFeed, p.Errors, p.FeedName = nf, errs, feedName
	if nf != nil {
		p.Flash = nbsp("Lien «\u00a0" + nf.Name + "\u00a0» créé. Copiez son adresse maintenant\u00a0: elle ne sera plus affichée.")
	}
	return a.render(w, r, status, "school", p)
}

// authoriseSeveral authorises the ticked requests of Mon école, each with
// the version shown, and says which could not be.
func (a *App) authoriseSeveral(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	if err := r.ParseForm(); err != nil {
		return errBadFilter("Formulaire illisible.")
	}
	ticked := r.PostForm["demande"]
	if len(ticked) == 0 {
		return a.redirect(w, r, "/ecole", "Aucune demande cochée\u00a0: rien n'a été autorisé.")
	}
	if len(ticked) > 200 {
		return errBadFilter("Trop de demandes cochées à la fois.")
	}
	var done, failed []string
	for _, t := range ticked {
		idS, vS, _ := strings.Cut(t, ":")
		id, err1 := strconv.ParseInt(idS, 10, 64)
		v, err2 := strconv.Atoi(vS)
		if err1 != nil || err2 != nil {
			return errBadFilter("Demande cochée invalide.")
		}
		q, err := a.db.AuthorizeRequest(r.Context(), store.Actor{UserID: u.ID}, id, v)
		if err != nil {
			pe := toPageError(err)
			if pe.Status >= 500 {
				return err
			}
			failed = append(failed, fmt.Sprintf("n° %d (%s)", id, strings.TrimSuffix(firstNonEmpty(pe.Conflict, pe.Message), ".")))
			continue
		}
		done = append(done, "«\u00a0"+q.Title+"\u00a0»")
	}
	msg := ""
	switch len(done) {
	case 0:
	case 1:
		msg = "Demande autorisée\u00a0: " + done[0] + ". "
	default:
		msg = fmt.Sprintf("%d demandes autorisées\u00a0: %s. ", len(done), strings.Join(done, ", "))
	}
	if len(failed) > 0 {
		msg += "Non autorisées\u00a0: " + strings.Join(failed, "\u00a0; ") + "."
	}
	return a.redirect(w, r, "/ecole", strings.TrimSpace(msg))
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// opinionsPage is Avis à donner: the queue, the current request's summary
// with the other referents' opinions, and the opinion form.
type opinionsPage struct {
	Layout
	Queue   []requestRow
	Total   int
	Current *requestView
	Role    string
	Next    int64
	Verdict string
	Comment string
}

// Msg returns the error message of a field.
func (p *opinionsPage) Msg(path string) string { return p.FieldMessage(fieldID(path)) }

func (a *App) opinions(w http.ResponseWriter, r *http.Request) error {
	var id int64
	if s := r.URL.Query().Get("demande"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errBadFilter("Numéro de demande invalide.")
		}
		id = n
	}
	return a.renderOpinions(w, r, http.StatusOK, id, nil)
}

func (a *App) renderOpinions(w http.ResponseWriter, r *http.Request, status int, id int64, problems map[string]string) error {
	u, _ := currentUser(r.Context())
	// The route admits referents only (store.ActRequestOpinion).
	role, _ := u.ReferentRole()
	tasks, total, err := a.db.Tasks(r.Context(), u, a.currentYear())
	if err != nil {
		return err
	}
	p := &opinionsPage{Layout: Layout{Title: "Avis à donner"}, Role: referentLabels[role]}
	var queue []store.Request
	for _, t := range tasks {
		if t.Kind == store.TaskGiveOpinion {
			queue = append(queue, t.Request)
			p.Queue = append(p.Queue, a.rowOf(t.Request))
		}
	}
	p.Total = total
	var cur *store.Request
	for i := range queue {
		if queue[i].ID == id || (id == 0 && i == 0) {
			cur = &queue[i]
			if i+1 < len(queue) {
				p.Next = queue[i+1].ID
			} else if i > 0 {
				p.Next = queue[0].ID
			}
		}
	}
	if cur == nil && id != 0 {
		// Not in the queue: an opinion already given can still be changed
		// from the request's page.
		return a.redirect(w, r, fmt.Sprintf("/demandes/%d", id), "")
	}
	if cur != nil {
		v, err := a.viewRequest(r, *cur)
		if err != nil {
			return err
		}
		p.Current = &v
	}
	if problems != nil {
		p.Verdict, p.Comment = r.PostFormValue("verdict"), r.PostFormValue("comment")
		p.Errors = fieldErrors(problems, []string{"verdict", "comment"})
	}
	return a.render(w, r, status, "opinions", p)
}

// validationPage is Validation: requests by state, with their missing
// opinions; decisions are taken on each request's page.
type validationPage struct {
	Layout
	C      listControls
	States []stateOption
	Rows   []requestRow
}

var validationStates = map[string]string{
	"a-decider": "à décider (trois avis donnés)", "avis-manquants": "avis manquants", "soumise": "à autoriser par la direction",
	"validee": "validées", "rejetee": "rejetées", "retiree": "retirées", "toutes": "toutes",
}

var validationOrder = []string{"a-decider", "avis-manquants", "soumise", "validee", "rejetee", "retiree", "toutes"}

func (a *App) validation(w http.ResponseWriter, r *http.Request) error {
	c, err := a.readControls(r, validationStates, "a-decider")
	if err != nil {
		return err
	}
	pq := c.pageQuery(store.RequestFilter{SchoolYear: c.Year})
	pq.NotDraft = true
	switch c.State {
	case "a-decider":
		pq.State, pq.Opinions = store.RequestInReview, store.OpinionsComplete
	case "avis-manquants":
		pq.Opinions = store.OpinionsMissing
	case "toutes":
	default:
		pq.State = listStateOf[c.State]
	}
	rows, err := a.listPage(r, &c, pq)
	if err != nil {
		return err
	}
	p := &validationPage{Layout: Layout{Title: "Validation des demandes"}, States: stateOptions(validationStates, validationOrder)}
	p.Rows = rows
	p.C = c
	return a.render(w, r, http.StatusOK, "validation", p)
}
