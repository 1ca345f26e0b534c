package app

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/web"
)

// adminPage is the administration's index (screen 15).
type adminPage struct {
	Layout
	SchoolYear string
}

func (a *App) adminIndex(w http.ResponseWriter, r *http.Request) error {
	return a.render(w, r, http.StatusOK, "admin", &adminPage{Layout: Layout{Title: "Administration"}, SchoolYear: a.currentYear()})
}

// formFieldErrors turns a store's invalid-input error into the form's
// summary: one line per field, with the form's label and input id.
func formFieldErrors(re *store.RuleError, fields []formField) []FieldError {
	var out []FieldError
	for _, f := range fields {
		if m, ok := re.FieldMessages[f.Field]; ok {
			out = append(out, FieldError{Field: f.ID, Label: f.Label, Message: nbsp(capitalise(m)) + "."})
		}
	}
	if len(out) == 0 {
		id := ""
		if len(fields) > 0 {
			id = fields[0].ID
		}
		out = append(out, FieldError{Field: id, Message: sentence(re.Message)})
	}
	return out
}

// formField names one store field in a form: its input id and label.
type formField struct{ Field, ID, Label string }

// --- Schools.

// schoolsPage lists the schools.
type schoolsPage struct {
	Layout
	Schools []schoolRowView
}

type schoolRowView struct {
	UAI, Name, Sector, City, Priority string
}

func (a *App) listSchoolsAdmin(w http.ResponseWriter, r *http.Request) error {
	schools, err := a.db.ListSchools(r.Context())
	if err != nil {
		return err
	}
	names, err := a.sectorNames(r)
	if err != nil {
		return err
	}
	p := &schoolsPage{Layout: Layout{Title: "Écoles"}}
	for _, s := range schools {
		p.Schools = append(p.Schools, schoolRowView{UAI: s.UAI, Name: s.Name, Sector: names[s.SectorID], City: s.City, Priority: s.PriorityEducation})
	}
	return a.render(w, r, http.StatusOK, "admin_schools", p)
}

func (a *App) sectorNames(r *http.Request) (map[string]string, error) {
	sectors, err := a.db.ListSectors(r.Context())
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, s := range sectors {
		out[s.ID] = s.Name
	}
	return out, nil
}

// schoolFormPage edits a school.
type schoolFormPage struct {
	Layout
	School   store.School
	Sectors  []option
	Priority []option
}

var schoolFields = []formField{
	{"name", "name", "Nom"}, {"kind", "kind", "Type"}, {"address", "address", "Adresse"},
	{"postal_code", "postal_code", "Code postal"}, {"city", "city", "Commune"}, {"sector_id", "sector_id", "Secteur"},
	{"site", "site", "Site (optionnel)"}, {"priority_education", "priority_education", "Éducation prioritaire"},
	{"uai", "name", "Code UAI"}, {"version", "name", "Version"},
}

func (a *App) schoolForm(r *http.Request, p *schoolFormPage) error {
	sectors, err := a.db.ListSectors(r.Context())
	if err != nil {
		return err
	}
	for _, s := range sectors {
		p.Sectors = append(p.Sectors, option{Value: s.ID, Label: s.Name, Selected: s.ID == p.School.SectorID})
	}
	for _, v := range []struct{ value, label string }{{"", "Non"}, {"REP", "REP"}, {"REP+", "REP+"}} {
		p.Priority = append(p.Priority, option{Value: v.value, Label: v.label, Selected: v.value == p.School.PriorityEducation})
	}
	return nil
}

func (a *App) editSchoolForm(w http.ResponseWriter, r *http.Request) error {
	s, err := a.db.School(r.Context(), r.PathValue("uai"))
	if err != nil {
		return err
	}
	p := &schoolFormPage{Layout: Layout{Title: "Modifier " + s.Name}, School: s}
	if err := a.schoolForm(r, p); err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "admin_school", p)
}

func (a *App) updateSchoolAdmin(w http.ResponseWriter, r *http.Request) error {
	before, err := a.db.School(r.Context(), r.PathValue("uai"))
	if err != nil {
		return err
	}
	in := before
	in.Name, in.Kind, in.Address = r.PostFormValue("name"), r.PostFormValue("kind"), r.PostFormValue("address")
	in.PostalCode, in.City, in.SectorID = r.PostFormValue("postal_code"), r.PostFormValue("city"), r.PostFormValue("sector_id")
	in.Site, in.PriorityEducation = r.PostFormValue("site"), r.PostFormValue("priority_education")
	if v, err := strconv.Atoi(r.PostFormValue("version")); err == nil {
		in.Version = v
	} else {
		in.Version = 0
	}
	s, err := a.db.UpdateSchool(r.Context(), actor(r), in)
	if re, ok := store.AsRule(err); ok && re.Kind == store.RuleInvalid {
		p := &schoolFormPage{Layout: Layout{Title: "Modifier " + before.Name, Errors: formFieldErrors(re, schoolFields)}, School: in}
		if err := a.schoolForm(r, p); err != nil {
			return err
		}
		return &invalidForm{Page: "admin_school", Data: p}
	}
	if errors.Is(err, store.ErrInvalidReference) {
		p := &schoolFormPage{Layout: Layout{Title: "Modifier " + before.Name,
			Errors: []FieldError{{Field: "sector_id", Label: "Secteur", Message: "Ce secteur n'existe pas."}}}, School: in}
		if err := a.schoolForm(r, p); err != nil {
			return err
		}
		return &invalidForm{Page: "admin_school", Data: p}
	}
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/ecoles", fmt.Sprintf("École « %s » enregistrée.", s.Name))
}

// --- The school year's settings.

// yearPage shows and sets a school year's loan length and policy.
type yearPage struct {
	Layout
	SchoolYear string
	LoanWeeks  int
	Policies   []option
	MinWeeks   int
	MaxWeeks   int
	Imported   []store.ImportedYear
	Holidays   []holidayView
}

type holidayView struct{ Description, Dates string }

func (a *App) yearForm(r *http.Request, p *yearPage, policy calendar.LoanPolicy) error {
	p.MinWeeks, p.MaxWeeks = store.MinLoanWeeks, store.MaxLoanWeeks
	for _, pol := range calendar.LoanPolicies() {
		p.Policies = append(p.Policies, option{Value: string(pol), Label: pol.Label(), Selected: pol == policy})
	}
	y, err := a.db.CalendarYear(r.Context(), p.SchoolYear)
	if err != nil {
		return err
	}
	for _, h := range y.Holidays() {
		dates := "du " + h.First.French(calendar.FrenchLong) + " à la reprise du " + h.Resume.French(calendar.FrenchLong)
		if h.Resume.IsZero() { // the summer's end is published with the next year's calendar
			dates = "à partir du " + h.First.French(calendar.FrenchLong) + ", date de reprise pas encore publiée"
		}
		p.Holidays = append(p.Holidays, holidayView{Description: h.Description, Dates: dates})
	}
	p.Imported, err = a.db.ImportedYears(r.Context())
	return err
}

func (a *App) adminYear(w http.ResponseWriter, r *http.Request) error {
	year, err := a.syntheseYear(r)
	if err != nil {
		return err
	}
	set, err := a.db.YearSettings(r.Context(), year)
	if err != nil {
		return err
	}
	p := &yearPage{Layout: Layout{Title: "Année scolaire " + year}, SchoolYear: year, LoanWeeks: set.LoanWeeks}
	if err := a.yearForm(r, p, set.LoanPolicy); err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "admin_year", p)
}

var yearFields = []formField{{"loan_weeks", "loan_weeks", "Durée d'un prêt"}, {"loan_policy", "loan_policy-" + string(calendar.WithinPeriod), "Règle des prêts"}, {"year", "loan_weeks", "Année scolaire"}}

func (a *App) setAdminYear(w http.ResponseWriter, r *http.Request) error {
	year := r.PostFormValue("annee")
	weeks, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("loan_weeks")))
	if err != nil {
		weeks = 0
	}
	in := store.YearSettingsInput{LoanWeeks: weeks, LoanPolicy: calendar.LoanPolicy(r.PostFormValue("loan_policy"))}
	_, err = a.db.SetYearSettings(r.Context(), actor(r), year, in)
	if re, ok := store.AsRule(err); ok && re.Kind == store.RuleInvalid && store.ValidSchoolYear(year) {
		p := &yearPage{Layout: Layout{Title: "Année scolaire " + year, Errors: formFieldErrors(re, yearFields)}, SchoolYear: year, LoanWeeks: weeks}
		if err := a.yearForm(r, p, in.LoanPolicy); err != nil {
			return err
		}
		return &invalidForm{Page: "admin_year", Data: p}
	}
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/annee?annee="+url.QueryEscape(year), fmt.Sprintf("Réglages de l'année %s enregistrés.", year))
}

// --- Reminders.

// remindersPage is the reminders' ledger.
type remindersPage struct {
	Layout
	Statuses  []option
	Status    string
	Reminders []reminderView
	NextHref  string
}

type reminderView struct {
	ID        int64
	Kind      string
	LoanID    int64
	Recipient string
	SendOn    string
	Status    string
	Detail    string
	Failed    bool
}

var reminderKindLabels = map[store.ReminderKind]string{
	store.ReminderTraining: "formation à suivre", store.ReminderAgreement: "convention à signer",
	store.ReminderPickup: "retrait proche", store.ReminderReturn: "retour proche", store.ReminderOverdue: "retour en retard",
	store.ReminderAssessment: "bilan à écrire", store.ReminderExtension: "prolongation à décider",
}

var reminderStatusLabels = map[store.ReminderStatus]string{
	store.ReminderPending: "à envoyer", store.ReminderSent: "envoyé", store.ReminderFailed: "échec", store.ReminderSkipped: "non envoyé",
}

// remindersPageSize is how many reminders one page lists.
const remindersPageSize = 100

func (a *App) listRemindersAdmin(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &remindersPage{Layout: Layout{Title: "Relances"}}
	f := store.ReminderFilter{Limit: remindersPageSize}
	if s := store.ReminderStatus(q.Get("etat")); s.Valid() {
		f.Status, p.Status = s, string(s)
	}
	if n, err := strconv.ParseInt(q.Get("apres"), 10, 64); err == nil && n > 0 {
		f.AfterID = n
	}
	for _, s := range store.ReminderStatuses {
		p.Statuses = append(p.Statuses, option{Value: string(s), Label: reminderStatusLabels[s], Selected: string(s) == p.Status})
	}
	rs, err := a.db.ListReminders(r.Context(), f)
	if err != nil {
		return err
	}
	for _, x := range rs {
		v := reminderView{ID: x.ID, Kind: reminderKindLabels[x.Kind], LoanID: x.LoanID, Recipient: x.RecipientName + " (" + x.RecipientEmail + ")",
			SendOn: x.SendOn.French(calendar.FrenchLong), Status: reminderStatusLabels[x.Status], Failed: x.Status == store.ReminderFailed}
		switch x.Status {
		case store.ReminderSkipped:
			v.Detail = x.SkippedReason
		case store.ReminderFailed:
			v.Detail = fmt.Sprintf("%d tentative(s) : %s", x.Attempts, x.LastError)
		case store.ReminderSent:
			if x.SentAt != nil {
				v.Detail = "le " + frenchTime(x.SentAt.In(a.loc))
			}
		}
		p.Reminders = append(p.Reminders, v)
	}
	if len(rs) == remindersPageSize {
		v := url.Values{"apres": {strconv.FormatInt(rs[len(rs)-1].ID, 10)}}
		if p.Status != "" {
			v.Set("etat", p.Status)
		}
		p.NextHref = "/admin/relances?" + v.Encode()
	}
	return a.render(w, r, http.StatusOK, "admin_reminders", p)
}

func (a *App) retryReminderAdmin(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	_, err = a.db.RetryReminder(r.Context(), actor(r), id)
	if errors.Is(err, store.ErrConflict) {
		return a.redirect(w, r, "/admin/relances", "Cette relance n'est plus en échec : rien n'a été changé.")
	}
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/relances?etat=pending", "Relance remise à envoyer : elle partira au prochain envoi.")
}

// --- Calendar feeds.

// feedsPage lists the active calendar feeds; NewURL shows a new feed's
// address, once.
type feedsPage struct {
	Layout
	Feeds   []adminFeedView
	Schools []option
	NewURL  string
	Webcal  string
}

type adminFeedView struct {
	Target  string
	Scope   string
	School  string
	Pack    string
	Created string
}

func (a *App) feedsForm(r *http.Request, p *feedsPage) error {
	u, _ := currentUser(r.Context())
	feeds, err := a.db.ListFeedsFor(r.Context(), u)
	if err != nil {
		return err
	}
	for _, f := range feeds {
		v := adminFeedView{Scope: string(f.Scope), School: f.SchoolUAI, Pack: f.PackCode, Created: frenchDate(f.CreatedAt.In(a.loc))}
		switch f.Scope {
		case store.FeedSchool:
			v.Target = "École " + f.SchoolName
		case store.FeedPack:
			v.Target = "Pack " + f.PackCode
		default:
			v.Target = "Tous les prêts"
		}
		p.Feeds = append(p.Feeds, v)
	}
	p.Schools, err = a.schoolOptions(r, "")
	return err
}

func (a *App) listFeedsAdmin(w http.ResponseWriter, r *http.Request) error {
	p := &feedsPage{Layout: Layout{Title: "Flux de calendrier"}}
	if err := a.feedsForm(r, p); err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "admin_feeds", p)
}

// createFeedAdmin issues a feed and shows its address on the answer
// itself: the address is a secret shown once, never put in a cookie.
func (a *App) createFeedAdmin(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	in := store.FeedInput{Scope: r.PostFormValue("scope"), School: r.PostFormValue("school"), Pack: r.PostFormValue("pack")}
	t, err := in.Target(u)
	if err == nil {
		var token string
		_, token, err = a.db.CreateFeed(r.Context(), actor(r), t)
		if err == nil {
			p := &feedsPage{Layout: Layout{Title: "Flux de calendrier", Flash: "Flux créé. Copiez son adresse maintenant : elle ne sera plus affichée."}}
			p.NewURL, p.Webcal = web.FeedURLs(a.baseURL, token)
			if err := a.feedsForm(r, p); err != nil {
				return err
			}
			return a.render(w, r, http.StatusOK, "admin_feeds", p)
		}
	}
	if re, ok := store.AsRule(err); ok && re.Kind == store.RuleInvalid {
		p := &feedsPage{Layout: Layout{Title: "Flux de calendrier", Errors: formFieldErrors(re, []formField{
			{"scope", "scope", "Portée"}, {"school", "school", "École"}, {"pack", "pack", "Pack"}})}}
		if err := a.feedsForm(r, p); err != nil {
			return err
		}
		return &invalidForm{Page: "admin_feeds", Data: p}
	}
	return err
}

func (a *App) revokeFeedAdmin(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	in := store.FeedInput{Scope: r.PostFormValue("scope"), School: r.PostFormValue("school"), Pack: r.PostFormValue("pack")}
	t, err := in.Target(u)
	if err != nil {
		return err
	}
	if _, err := a.db.RevokeFeed(r.Context(), actor(r), t); err != nil {
		return err
	}
	if fg, ok := a.api.(feedForgetter); ok {
		fg.ForgetFeed(t)
	}
	return a.redirect(w, r, "/admin/flux", "Flux révoqué : son adresse ne fonctionne plus.")
}

// --- People: enabling a disabled person again.

func (a *App) enablePerson(w http.ResponseWriter, r *http.Request) error {
	x, err := a.personFromPath(r)
	if err != nil {
		return err
	}
	p, err := a.db.EnableUser(r.Context(), actor(r), x.ID)
	if err != nil {
		return err
	}
	return a.redirect(w, r, fmt.Sprintf("/admin/personnes/%d", p.ID), fmt.Sprintf("Le compte de %s est réactivé : envoyez-lui un lien de connexion.", p.Name))
}
