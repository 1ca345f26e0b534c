package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/classemobile/classemobile/internal/store"
)

// referentLabels name the referent roles in opinions.
var referentLabels = map[store.Role]string{
	store.RoleInspection: "Inspection de l'Éducation nationale (pédagogie)",
	store.RoleIT:         "Direction des systèmes d'information (faisabilité technique)",
	store.RoleEducation:  "Direction de l'Éducation",
}

// step is one step of a request's step line.
type step struct {
	Label  string
	Status string // "fait", "en cours", "à venir"
	Class  string // "done", "current", ""
}

type yesNo struct {
	Label string
	Yes   bool
}

type opinionView struct {
	Role    string
	Given   bool
	Verdict string
	Comment string
	Author  string
	Date    string
}

type historyEntry struct {
	Date   string
	Who    string
	What   string
	Detail string
}

type loanLink struct {
	ID    int64
	Label string
}

// requestView is a request as the pages show it, in French.
type requestView struct {
	ID             int64
	Title          string
	State          string
	StateLabel     string
	School         string
	Teacher        string
	Year           string
	Class          string
	Packs          string
	Texts          []yesNoText
	Commitments    []yesNo
	Logistics      []yesNo
	OtherScheme    bool
	Training       string
	Preferred      string
	Excluded       string
	Extension      string
	Flags          []string
	Opinions       []opinionView
	OpinionsGiven  int
	Decision       string
	DecisionReason string
	DecidedBy      string
	RefusalReason  string
	WithdrawReason string
	Steps          []step
	Submitted      string
	Updated        string
	Version        int
}

type yesNoText struct {
	Label string
	Text  string
}

func (a *App) userName(r *http.Request, id int64, cache map[int64]string) string {
	if id == 0 {
		return "classemobile (automatique)"
	}
	if n, ok := cache[id]; ok {
		return n
	}
	n := fmt.Sprintf("personne n° %d", id)
	if u, err := a.db.User(r.Context(), id); err == nil {
		n = u.Name
	}
	cache[id] = n
	return n
}

func periodNames(ids []string) string {
	if len(ids) == 0 {
		return "aucune"
	}
	return strings.Join(ids, ", ")
}

// viewRequest prepares a request for the pages.
func (a *App) viewRequest(r *http.Request, q store.Request) (requestView, error) {
	names := map[int64]string{}
	v := requestView{ID: q.ID, Title: q.Title, State: string(q.State), StateLabel: requestStateLabel(q.State),
		School: q.SchoolName, Teacher: q.TeacherName, Year: q.SchoolYear, Class: classLabel(q), Version: q.Version,
		OtherScheme: q.OtherPartnerScheme, Preferred: periodNames(q.PreferredPeriods), Excluded: periodNames(q.ExcludedPeriods),
		RefusalReason: q.RefusalReason, WithdrawReason: q.WithdrawReason, Updated: frenchTime(q.UpdatedAt.In(a.loc))}
	v.Packs = fmt.Sprintf("%d", q.Packs)
	if q.PacksReason != "" {
		v.Packs += " (modifié par la coordination\u00a0: " + q.PacksReason + ")"
	}
	v.Texts = []yesNoText{{"Motivation", q.Motivation}, {"Liens avec les programmes", q.CurriculumLinks},
		{"Liens avec le projet d'école", q.SchoolProjectLinks}, {"Cohérence de la démarche", q.Coherence},
		{"Compétences numériques travaillées", q.DigitalSkills}}
	v.Commitments = []yesNo{{"Usage sécurisé du matériel", q.Commitments.SecureUse},
		{"Accueil des formateurs et partenaires", q.Commitments.Visits},
		{"Information des parents", q.Commitments.ParentsInformed},
		{"Retour d'usage et bilan pédagogique", q.Commitments.Feedback}}
	v.Logistics = []yesNo{{"Lieu de stockage sécurisé avec prise électrique", q.Logistics.SecureStorage},
		{"Wi-Fi dans la classe", q.Logistics.ClassroomWifi}, {"Impression possible", q.Logistics.Printing},
		{"Sauvegardes possibles", q.Logistics.Backups}}
	v.Training = store.TrainingStatus(q.Training.Status).Label()
	if q.Training.Date != nil {
		v.Training += ", " + frenchDate(q.Training.Date.Time())
	}
	switch q.ExtensionWeeks {
	case 0:
		v.Extension = "aucune"
	default:
		v.Extension = fmt.Sprintf("%d semaines", q.ExtensionWeeks)
	}
	for _, f := range q.Eligibility.Flags {
		v.Flags = append(v.Flags, nbsp(store.FlagMessage(f.Code)))
	}
	if q.SubmittedAt != nil {
		v.Submitted = frenchTime(q.SubmittedAt.In(a.loc))
	}
	for _, role := range store.ReferentRoles {
		ov := opinionView{Role: referentLabels[role]}
		for _, o := range q.Opinions {
			if o.Role == role {
				ov.Given, ov.Verdict, ov.Comment = true, store.OpinionVerdict(o.Verdict).Label(), o.Comment
				ov.Author, ov.Date = o.AuthorName, frenchDate(o.UpdatedAt.In(a.loc))
				v.OpinionsGiven++
			}
		}
		v.Opinions = append(v.Opinions, ov)
	}
	if q.State == store.RequestValidated || q.State == store.RequestRejected {
		v.Decision = requestStateLabel(q.State)
		v.DecisionReason = q.DecisionReason
		if q.DecidedAt != nil {
			v.DecidedBy = a.userName(r, q.DecidedBy, names) + ", le " + frenchDate(q.DecidedAt.In(a.loc))
		}
	}
	v.Steps = stepsOf(q, v.OpinionsGiven)
	return v, nil
}

// stepsOf is the request's step line: done, current and coming steps,
// written out (never by colour alone).
func stepsOf(q store.Request, opinions int) []step {
	labels := []string{"Brouillon", "Envoyée à la direction", "Autorisée par la direction",
		fmt.Sprintf("Avis des référents (%d sur 3)", opinions), "Décision"}
	current := map[store.RequestState]int{store.RequestDraft: 0, store.RequestSubmitted: 1, store.RequestAuthorised: 3,
		store.RequestInReview: 3, store.RequestValidated: 5, store.RequestRejected: 5}[q.State]
	if q.State == store.RequestInReview && opinions == len(store.ReferentRoles) {
		current = 4
	}
	var out []step
	for i, l := range labels {
		s := step{Label: l, Status: "à venir"}
		switch {
		case i < current:
			s.Status, s.Class = "fait", "done"
		case i == current:
			s.Status, s.Class = "en cours", "current"
		}
		if i == 4 && current == 5 {
			s.Label = "Décision\u00a0: " + requestStateLabel(q.State)
		}
		out = append(out, s)
	}
	if q.State == store.RequestWithdrawn {
		out = append(out, step{Label: "Retirée", Status: "fait", Class: "done"})
	}
	return out
}

// historyActions name the audit log's request events.
var historyActions = map[string]string{
	"request.create":    "Demande créée (brouillon)",
	"request.update":    "Brouillon modifié",
	"request.submit":    "Demande envoyée à la direction",
	"request.authorize": "Demande autorisée par la direction",
	"request.refuse":    "Demande renvoyée à l'enseignant·e",
	"request.opinion":   "Avis donné",
	"request.decide":    "Décision",
	"request.withdraw":  "Demande retirée",
	"request.packs":     "Nombre de packs modifié",
}

// history returns the request's audit log with names and dates, most
// recent first (at most 50 entries).
func (a *App) history(r *http.Request, id int64) ([]historyEntry, error) {
	events, err := a.db.AuditTrail(r.Context(), "request", id)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	var out []historyEntry
	for _, e := range events {
		h := historyEntry{Date: frenchTime(e.At.In(a.loc)), Who: a.userName(r, e.ActorID, names), What: historyActions[e.Action]}
		if h.What == "" {
			h.What = e.Action
		}
		var after struct {
			State          store.RequestState `json:"state"`
			RefusalReason  string             `json:"refusal_reason"`
			DecisionReason string             `json:"decision_reason"`
			Packs          int                `json:"packs"`
			PacksReason    string             `json:"packs_reason"`
		}
		_ = json.Unmarshal(e.After, &after) // a malformed entry shows without detail
		switch e.Action {
		case "request.decide":
			h.What = "Décision\u00a0: " + requestStateLabel(after.State)
			h.Detail = after.DecisionReason
		case "request.refuse":
			h.Detail = after.RefusalReason
		case "request.packs":
			h.Detail = fmt.Sprintf("%s\u00a0: %s", plural(after.Packs, "pack", "packs"), after.PacksReason)
		}
		out = append(out, h)
	}
	slices.Reverse(out)
	if len(out) > 50 {
		out = out[:50]
	}
	return out, nil
}

// requestPage is the fiche projet, request part.
type requestPage struct {
	Layout
	R       requestView
	History []historyEntry
	Loans   []loanLink
	// The actions the person may take now.
	CanEdit, CanAuthorize, CanOpinion, CanDecide, CanPacks, CanWithdraw bool
	OpinionRole                                                         string
	Packs                                                               int
	// Outcome is what the published allocation round decided for the
	// request, with its reason.
	Outcome *store.RoundOutcome
}

// Msg returns the error message of a field.
func (p *requestPage) Msg(path string) string { return p.FieldMessage(fieldID(path)) }

func (a *App) showRequest(w http.ResponseWriter, r *http.Request) error {
	q, _, err := a.requestOf(r)
	if err != nil {
		return err
	}
	return a.renderRequest(w, r, http.StatusOK, q, nil)
}

// renderRequest renders the fiche projet, with the field errors of an
// action that was refused.
func (a *App) renderRequest(w http.ResponseWriter, r *http.Request, status int, q store.Request, problems map[string]string) error {
	u, _ := currentUser(r.Context())
	v, err := a.viewRequest(r, q)
	if err != nil {
		return err
	}
	p := &requestPage{Layout: Layout{Title: "Demande «\u00a0" + q.Title + "\u00a0»"}, R: v, Packs: q.Packs}
	if p.History, err = a.history(r, q.ID); err != nil {
		return err
	}
	acts := u.ActionsOn(q)
	p.CanEdit, p.CanAuthorize, p.CanDecide, p.CanPacks, p.CanWithdraw = acts.Edit, acts.Authorize, acts.Decide, acts.Packs, acts.Withdraw
	if acts.Opinion {
		p.CanOpinion, p.OpinionRole = true, referentLabels[acts.OpinionRole]
	}
	if p.Outcome, err = a.db.RequestRoundOutcomeFor(r.Context(), u, q.ID); err != nil {
		return err
	}
	if p.Outcome != nil {
		p.Outcome.Text = nbsp(p.Outcome.Text)
	}
	if q.HasLoan {
		loans, err := a.db.ListLoansFor(r.Context(), u, store.LoanFilter{RequestID: q.ID})
		if err != nil {
			return err
		}
		for _, l := range loans {
			p.Loans = append(p.Loans, loanLink{ID: l.ID, Label: fmt.Sprintf("Prêt n° %d", l.ID)})
		}
	}
	// The page has several forms: a field's id is prefixed by its form's
	// name ("decision-reason"), which the posted form names.
	form := r.PostFormValue("formulaire")
	for _, k := range []string{"verdict", "comment", "decision", "reason", "packs"} {
		if m, ok := problems[k]; ok {
			label := fieldLabels[k]
			id := form + "-" + k
			if k == "verdict" {
				id = form + "-verdict-" + string(store.OpinionFavourable)
			}
			p.Errors = append(p.Errors, FieldError{Field: id, Label: label, Message: nbsp(capitalise(m))})
		}
	}
	return a.render(w, r, status, "request", p)
}
