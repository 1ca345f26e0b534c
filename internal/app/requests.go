package app

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// fieldLabels name the request's fields (their JSON paths, as the store's
// rule errors name them) in the error summary.
var fieldLabels = map[string]string{
	"school_year":                  "Année scolaire",
	"title":                        "Titre du projet",
	"class_levels":                 "Niveaux de la classe",
	"pupils":                       "Nombre d'élèves",
	"motivation":                   "Motivation",
	"curriculum_links":             "Liens avec les programmes",
	"school_project_links":         "Liens avec le projet d'école",
	"coherence":                    "Cohérence de la démarche",
	"digital_skills":               "Compétences numériques travaillées",
	"commitments.secure_use":       "Engagement\u00a0: usage sécurisé",
	"commitments.visits":           "Engagement\u00a0: présence des formateurs",
	"commitments.parents_informed": "Engagement\u00a0: information des parents",
	"commitments.feedback":         "Engagement\u00a0: retour d'usage et bilan",
	"logistics.secure_storage":     "Lieu de stockage sécurisé",
	"training.status":              "Formation technique",
	"training.date":                "Date de la formation",
	"preferred_periods":            "Périodes souhaitées",
	"excluded_periods":             "Périodes exclues",
	"extension_weeks":              "Prolongation souhaitée",
	"verdict":                      "Avis",
	"comment":                      "Commentaire",
	"reason":                       "Motif",
	"packs":                        "Nombre de packs",
	"decision":                     "Décision",
	"version":                      "Version",
}

// fieldID is the HTML id of a field's input: its JSON path with hyphens.
func fieldID(path string) string {
	id := strings.ReplaceAll(path, ".", "-")
	switch path {
	case "class_levels":
		return "class_levels-" + store.ClassLevels[0]
	case "extension_weeks":
		return "extension_weeks-0"
	case "training.status":
		return "training-status-" + string(store.TrainingNotPlanned)
	case "verdict":
		return "verdict-" + string(store.OpinionFavourable)
	}
	return id
}

// fieldErrors turns field messages into the summary's entries, in the
// form's order (the labels' order is not the form's: sort by a list).
func fieldErrors(msgs map[string]string, order []string) []FieldError {
	var out []FieldError
	seen := map[string]bool{}
	add := func(path string) {
		if m, ok := msgs[path]; ok && !seen[path] {
			seen[path] = true
			label := fieldLabels[path]
			if label == "" {
				label = path
			}
			if strings.HasPrefix(strings.ToLower(m), strings.ToLower(label)) {
				label = "" // the message names the field already
			}
			out = append(out, FieldError{Field: fieldID(path), Label: label, Message: nbsp(capitalise(m))})
		}
	}
	for _, p := range order {
		add(p)
	}
	keys := make([]string, 0, len(msgs))
	for k := range msgs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		add(k)
	}
	return out
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

// formOrder is the order of the request form's fields.
var formOrder = []string{"title", "class_levels", "pupils", "motivation", "curriculum_links", "school_project_links",
	"coherence", "digital_skills", "commitments.secure_use", "commitments.visits", "commitments.parents_informed",
	"commitments.feedback", "logistics.secure_storage", "training.status", "training.date", "preferred_periods",
	"excluded_periods", "extension_weeks"}

// periodChoice is one period of the form, with how busy it already is.
type periodChoice struct {
	ID     string
	Label  string
	Dates  string
	Weeks  int
	Demand int
	Choice string // "souhaitee", "possible" or "exclue"
}

// requestFormPage is the new request and edit draft form.
type requestFormPage struct {
	Layout
	Request      store.Request
	New          bool
	Action       string
	PupilsRaw    string
	TrainingDate string
	Levels       []string
	Periods      []periodChoice
	Packs        int
}

// Msg returns the error message of a field (a JSON path).
func (p *requestFormPage) Msg(path string) string { return p.FieldMessage(fieldID(path)) }

// firstDay names a period's first and last class days.
func periodDates(p calendar.Period) string {
	return fmt.Sprintf("du %s au %s", frenchDate(p.First.Time()), frenchDate(p.Last.Time()))
}

func (a *App) requestFormData(r *http.Request, q store.Request, isNew bool) (*requestFormPage, error) {
	p := &requestFormPage{Layout: Layout{Title: "Nouvelle demande de participation"}, Request: q, New: isNew,
		Levels: store.ClassLevels, PupilsRaw: "", Packs: store.PacksFor(q.Pupils)}
	if !isNew {
		p.Title = "Modifier la demande «\u00a0" + q.Title + "\u00a0»"
		p.Action = fmt.Sprintf("/demandes/%d/modifier", q.ID)
	} else {
		p.Action = "/demandes/nouvelle"
	}
	if q.Pupils > 0 {
		p.PupilsRaw = strconv.Itoa(q.Pupils)
	}
	if q.Training.Date != nil {
		p.TrainingDate = q.Training.Date.String()
	}
	periods, err := a.db.YearPeriods(r.Context(), q.SchoolYear, "school_year")
	if err != nil {
		return nil, err
	}
	demand, err := a.db.PeriodDemand(r.Context(), q.SchoolYear)
	if err != nil {
		return nil, err
	}
	for _, per := range periods {
		c := periodChoice{ID: per.ID, Label: per.Label, Dates: periodDates(per), Weeks: per.WeekCount(), Demand: demand[per.ID], Choice: "possible"}
		switch {
		case slices.Contains(q.PreferredPeriods, per.ID):
			c.Choice = "souhaitee"
		case slices.Contains(q.ExcludedPeriods, per.ID):
			c.Choice = "exclue"
		}
		p.Periods = append(p.Periods, c)
	}
	return p, nil
}

// parseRequestForm copies the form onto q (every field of the form: an
// unticked box is false) and returns the problems of parsing, by field.
func parseRequestForm(r *http.Request, q *store.Request, p *requestFormPage) map[string]string {
	f := map[string]string{}
	_ = r.ParseForm() // a malformed body leaves the fields empty: the rules then name them
	// The texts' limits are the store's (Request.Validate).
	text := func(name string, dst *string) { *dst = strings.TrimSpace(r.PostFormValue(name)) }
	text("title", &q.Title)
	text("motivation", &q.Motivation)
	text("curriculum_links", &q.CurriculumLinks)
	text("school_project_links", &q.SchoolProjectLinks)
	text("coherence", &q.Coherence)
	text("digital_skills", &q.DigitalSkills)
	q.ClassLevels = r.PostForm["class_levels"]
	if q.ClassLevels == nil {
		q.ClassLevels = []string{}
	}
	p.PupilsRaw = strings.TrimSpace(r.PostFormValue("pupils"))
	q.Pupils = 0
	if p.PupilsRaw != "" {
		n, err := strconv.Atoi(p.PupilsRaw)
		if err != nil {
			f["pupils"] = "saisissez un nombre entier d'élèves, par exemple 24"
		} else {
			q.Pupils = n
		}
	} else {
		f["pupils"] = "saisissez le nombre d'élèves de la classe"
	}
	box := func(name string) bool { return r.PostFormValue(name) == "oui" }
	q.Commitments = store.Commitments{SecureUse: box("commitments.secure_use"), Visits: box("commitments.visits"),
		ParentsInformed: box("commitments.parents_informed"), Feedback: box("commitments.feedback")}
	q.Logistics = store.Logistics{SecureStorage: box("logistics.secure_storage"), ClassroomWifi: box("logistics.classroom_wifi"),
		Printing: box("logistics.printing"), Backups: box("logistics.backups")}
	q.OtherPartnerScheme = box("other_partner_scheme")
	q.Training = store.Training{Status: store.TrainingStatus(r.PostFormValue("training.status"))}
	if q.Training.Status == "" {
		q.Training.Status = store.TrainingNotPlanned
	}
	p.TrainingDate = strings.TrimSpace(r.PostFormValue("training.date"))
	switch q.Training.Status {
	case store.TrainingNotPlanned:
		p.TrainingDate = ""
	case store.TrainingPlanned, store.TrainingDone:
		d, err := calendar.ParseDate(p.TrainingDate)
		if err != nil {
			f["training.date"] = "saisissez la date de la formation (jour, mois et année)"
		} else {
			q.Training.Date = &d
		}
	default:
		f["training.status"] = "choisissez où en est la formation"
	}
	q.PreferredPeriods, q.ExcludedPeriods = []string{}, []string{}
	for k, v := range r.PostForm {
		id, ok := strings.CutPrefix(k, "period.")
		if !ok || len(v) == 0 {
			continue
		}
		switch v[0] {
		case "souhaitee":
			q.PreferredPeriods = append(q.PreferredPeriods, id)
		case "exclue":
			q.ExcludedPeriods = append(q.ExcludedPeriods, id)
		}
	}
	slices.Sort(q.PreferredPeriods)
	slices.Sort(q.ExcludedPeriods)
	q.ExtensionWeeks = 0
	if v := r.PostFormValue("extension_weeks"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			f["extension_weeks"] = "choisissez une durée de prolongation"
		}
		q.ExtensionWeeks = n
	}
	return f
}

// saveRequestForm validates and saves the form: a new draft or an update.
func (a *App) saveRequestForm(w http.ResponseWriter, r *http.Request, q store.Request, isNew bool) error {
	u, _ := currentUser(r.Context())
	p, err := a.requestFormData(r, q, isNew)
	if err != nil {
		return err
	}
	problems := parseRequestForm(r, &q, p)
	if !isNew {
		v, err := strconv.Atoi(r.PostFormValue("version"))
		if err != nil || v <= 0 {
			return &pageError{Status: http.StatusBadRequest, Title: "Formulaire incomplet", Message: "Le formulaire envoyé est incomplet\u00a0: rechargez la page de la demande."}
		}
		q.Version = v
	}
	if err := a.db.ValidateRequest(r.Context(), q); err != nil {
		re, ok := store.AsRule(err)
		if !ok || re.Kind != store.RuleInvalid {
			return err
		}
		for k, m := range re.FieldMessages {
			if _, ok := problems[k]; !ok {
				problems[k] = m
			}
		}
	}
	if len(problems) > 0 {
		p, perr := a.requestFormData(r, q, isNew)
		if perr != nil {
			return perr
		}
		parseRequestForm(r, &q, p) // keep what was typed
		p.Request = q
		p.Errors = fieldErrors(problems, formOrder)
		return &invalidForm{Page: "request_form", Data: p}
	}
	if isNew {
		q, err = a.db.CreateRequest(r.Context(), store.Actor{UserID: u.ID}, q)
	} else {
		q, err = a.db.UpdateRequest(r.Context(), store.Actor{UserID: u.ID}, q)
	}
	if err != nil {
		return err
	}
	if r.PostFormValue("action") == "recap" {
		return a.redirect(w, r, fmt.Sprintf("/demandes/%d/envoi", q.ID), "")
	}
	return a.redirect(w, r, fmt.Sprintf("/demandes/%d/modifier", q.ID),
		"Brouillon enregistré. Vous pouvez le reprendre plus tard depuis «\u00a0À faire\u00a0»\u00a0; il n'est pas encore envoyé.")
}

func (a *App) newRequestForm(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	q := store.NewRequestFor(u, a.currentYear())
	p, err := a.requestFormData(r, q, true)
	if err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "request_form", p)
}

func (a *App) createRequest(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	return a.saveRequestForm(w, r, store.NewRequestFor(u, a.currentYear()), true)
}

// requestOf loads the request of the path's {id} that the signed-in
// person may see (another school's is a 404).
func (a *App) requestOf(r *http.Request) (store.Request, store.User, error) {
	u, _ := currentUser(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.Request{}, u, errNotFound
	}
	q, err := a.db.RequestFor(r.Context(), u, id)
	return q, u, err
}

// draftOf loads a draft the person may edit; any other state sends them
// to the request's page.
func (a *App) draftOf(w http.ResponseWriter, r *http.Request) (store.Request, bool, error) {
	q, u, err := a.requestOf(r)
	if err != nil {
		return q, false, err
	}
	if err := u.CheckDraftEdit(q); err != nil {
		if re, ok := store.AsRule(err); !ok || re.Kind != store.RuleConflict {
			return q, false, errForbidden
		}
		return q, false, a.redirect(w, r, fmt.Sprintf("/demandes/%d", q.ID),
			"Cette demande est déjà envoyée («\u00a0"+requestStateLabel(q.State)+"\u00a0»)\u00a0: elle ne se modifie plus.")
	}
	return q, true, nil
}

func (a *App) editRequestForm(w http.ResponseWriter, r *http.Request) error {
	q, ok, err := a.draftOf(w, r)
	if err != nil || !ok {
		return err
	}
	p, err := a.requestFormData(r, q, false)
	if err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "request_form", p)
}

func (a *App) updateRequest(w http.ResponseWriter, r *http.Request) error {
	q, ok, err := a.draftOf(w, r)
	if err != nil || !ok {
		return err
	}
	return a.saveRequestForm(w, r, q, false)
}

// recapPage shows a draft as it will be sent, with what is missing.
type recapPage struct {
	Layout
	Request store.Request
	View    requestView
}

func (a *App) recap(w http.ResponseWriter, r *http.Request) error {
	q, ok, err := a.draftOf(w, r)
	if err != nil || !ok {
		return err
	}
	return a.renderRecap(w, r, http.StatusOK, q, nil)
}

func (a *App) renderRecap(w http.ResponseWriter, r *http.Request, status int, q store.Request, problems map[string]string) error {
	v, err := a.viewRequest(r, q)
	if err != nil {
		return err
	}
	p := &recapPage{Layout: Layout{Title: "Vérifier avant d'envoyer"}, Request: q, View: v}
	if problems == nil {
		problems = map[string]string{}
		for _, f := range q.MissingForSubmission() {
			problems[f] = missingForSubmission[f]
		}
	}
	p.Errors = fieldErrors(problems, formOrder)
	for i := range p.Errors {
		// The summary links to the field in the form.
		p.Errors[i].Field = fmt.Sprintf("/demandes/%d/modifier#%s", q.ID, p.Errors[i].Field)
	}
	return a.render(w, r, status, "request_recap", p)
}

// missingForSubmission say what a draft lacks to be sent.
var missingForSubmission = map[string]string{
	"commitments.secure_use":       "cochez l'engagement à un usage sécurisé du matériel",
	"commitments.visits":           "cochez l'engagement à accueillir les formateurs et partenaires",
	"commitments.parents_informed": "cochez l'engagement à informer les parents",
	"commitments.feedback":         "cochez l'engagement au retour d'usage et au bilan",
	"logistics.secure_storage":     "un lieu de stockage sécurisé avec alimentation électrique est obligatoire",
}

func (a *App) submitRequest(w http.ResponseWriter, r *http.Request) error {
	q, ok, err := a.draftOf(w, r)
	if err != nil || !ok {
		return err
	}
	u, _ := currentUser(r.Context())
	v, _ := strconv.Atoi(r.PostFormValue("version"))
	sent, err := a.db.SubmitRequest(r.Context(), store.Actor{UserID: u.ID}, q.ID, v)
	if re, ok := store.AsRule(err); ok && re.Kind == store.RuleInvalid {
		problems := map[string]string{}
		for k, m := range re.FieldMessages {
			problems[k] = m
			if mm, ok := missingForSubmission[k]; ok {
				problems[k] = mm
			}
		}
		return a.renderRecap(w, r, http.StatusUnprocessableEntity, q, problems)
	}
	if err != nil {
		return err
	}
	return a.redirect(w, r, fmt.Sprintf("/demandes/%d", sent.ID),
		"Votre demande est envoyée à la direction de l'école, qui doit l'autoriser. Vous serez prévenu·e par message de la suite.")
}

// backTo returns the local page a form asks to go back to, or def.
func backTo(r *http.Request, def string) string {
	if s := localPath(r.PostFormValue("retour")); s != "" {
		return s
	}
	return def
}

// requestAction runs one workflow step posted from a page: the store
// decides whether the person may; invalid input re-renders the page the
// form came from with the field's error.
func (a *App) requestAction(do func(r *http.Request, u store.User, q store.Request, version int) (string, error)) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, u, err := a.requestOf(r)
		if err != nil {
			return err
		}
		v, err := strconv.Atoi(r.PostFormValue("version"))
		if err != nil || v <= 0 {
			return &pageError{Status: http.StatusBadRequest, Title: "Formulaire incomplet", Message: "Le formulaire envoyé est incomplet\u00a0: rechargez la page de la demande."}
		}
		flash, err := do(r, u, q, v)
		if re, ok := store.AsRule(err); ok && re.Kind == store.RuleInvalid {
			msgs := re.FieldMessages
			if len(msgs) == 0 {
				msgs = map[string]string{re.Field: re.Message}
			}
			back := backTo(r, "")
			if strings.HasPrefix(back, "/avis") {
				return a.renderOpinions(w, r, http.StatusUnprocessableEntity, q.ID, msgs)
			}
			return a.renderRequest(w, r, http.StatusUnprocessableEntity, q, msgs)
		}
		if err != nil {
			return err
		}
		return a.redirect(w, r, backTo(r, fmt.Sprintf("/demandes/%d", q.ID)), flash)
	}
}

func (a *App) authorizeRequest(w http.ResponseWriter, r *http.Request) error {
	return a.requestAction(func(r *http.Request, u store.User, q store.Request, v int) (string, error) {
		_, err := a.db.AuthorizeRequest(r.Context(), store.Actor{UserID: u.ID}, q.ID, v)
		return "Demande «\u00a0" + q.Title + "\u00a0» autorisée\u00a0: elle part en lecture chez les trois référents.", err
	})(w, r)
}

func (a *App) refuseRequest(w http.ResponseWriter, r *http.Request) error {
	return a.requestAction(func(r *http.Request, u store.User, q store.Request, v int) (string, error) {
		_, err := a.db.RefuseRequest(r.Context(), store.Actor{UserID: u.ID}, q.ID, v, strings.TrimSpace(r.PostFormValue("reason")))
		return "Demande «\u00a0" + q.Title + "\u00a0» renvoyée à l'enseignant·e avec votre motif.", err
	})(w, r)
}

func (a *App) opinionRequest(w http.ResponseWriter, r *http.Request) error {
	return a.requestAction(func(r *http.Request, u store.User, q store.Request, v int) (string, error) {
		// The store picks the referent role the person speaks for.
		_, err := a.db.SetRequestOpinion(r.Context(), store.Actor{UserID: u.ID}, q.ID, v, store.Opinion{
			Verdict: store.OpinionVerdict(r.PostFormValue("verdict")), Comment: strings.TrimSpace(r.PostFormValue("comment"))})
		return "Votre avis sur «\u00a0" + q.Title + "\u00a0» est enregistré.", err
	})(w, r)
}

func (a *App) decideRequest(w http.ResponseWriter, r *http.Request) error {
	return a.requestAction(func(r *http.Request, u store.User, q store.Request, v int) (string, error) {
		d := store.RequestState(r.PostFormValue("decision"))
		_, err := a.db.DecideRequest(r.Context(), store.Actor{UserID: u.ID}, q.ID, v, d, strings.TrimSpace(r.PostFormValue("reason")))
		if d == store.RequestValidated {
			return "Demande «\u00a0" + q.Title + "\u00a0» validée. L'enseignant·e et la direction de l'école seront prévenus.", err
		}
		return "Demande «\u00a0" + q.Title + "\u00a0» rejetée avec votre motif. L'enseignant·e et la direction de l'école seront prévenus.", err
	})(w, r)
}

func (a *App) packsRequest(w http.ResponseWriter, r *http.Request) error {
	return a.requestAction(func(r *http.Request, u store.User, q store.Request, v int) (string, error) {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("packs")))
		if err != nil {
			return "", store.Invalid("packs", "validation_failed", "saisissez un nombre de packs (0 pour revenir au calcul automatique)")
		}
		_, err = a.db.OverrideRequestPacks(r.Context(), store.Actor{UserID: u.ID}, q.ID, v, n, strings.TrimSpace(r.PostFormValue("reason")))
		return "Nombre de packs de «\u00a0" + q.Title + "\u00a0» modifié.", err
	})(w, r)
}

func (a *App) withdrawRequest(w http.ResponseWriter, r *http.Request) error {
	return a.requestAction(func(r *http.Request, u store.User, q store.Request, v int) (string, error) {
		_, err := a.db.WithdrawRequest(r.Context(), store.Actor{UserID: u.ID}, q.ID, v, strings.TrimSpace(r.PostFormValue("reason")))
		return "Demande «\u00a0" + q.Title + "\u00a0» retirée.", err
	})(w, r)
}

// errBadFilter is the page of a list asked with a malformed filter.
func errBadFilter(what string) error {
	return &pageError{Status: http.StatusBadRequest, Title: "Filtre invalide", Message: what, Back: "?", BackLabel: "Revenir à la liste sans filtre"}
}

var _ = errors.New
var _ = url.QueryEscape

type textField struct {
	Name, Label, Hint, Value string
	// Required is the store's rule: submission needs the field.
	Required bool
}

// TextFields are the project's free texts.
func (p *requestFormPage) TextFields() []textField {
	q := p.Request
	fields := []textField{
		{Name: "motivation", Label: "Objectifs et motivation", Hint: "Pourquoi des tablettes, pour quels élèves, quelles activités.", Value: q.Motivation},
		{Name: "curriculum_links", Label: "Liens avec les programmes", Hint: "Les domaines et compétences des programmes travaillés.", Value: q.CurriculumLinks},
		{Name: "school_project_links", Label: "Liens avec le projet d'école", Hint: "L'axe du projet d'école que la classe mobile sert.", Value: q.SchoolProjectLinks},
		{Name: "coherence", Label: "Cohérence de la démarche", Hint: "Comment le projet s'inscrit dans l'année de la classe.", Value: q.Coherence},
		{Name: "digital_skills", Label: "Compétences numériques travaillées", Hint: "Par exemple celles du cadre de référence des compétences numériques (CRCN).", Value: q.DigitalSkills},
	}
	for i := range fields {
		fields[i].Required = store.RequiredForSubmission(fields[i].Name)
	}
	return fields
}

type checkField struct {
	ID, Name, Label string
	Checked         bool
}

// Commitments are the teacher's commitments and the school's logistics.
func (p *requestFormPage) Commitments() []checkField {
	q := p.Request
	f := func(name, label string, v bool) checkField {
		return checkField{ID: fieldID(name), Name: name, Label: label, Checked: v}
	}
	return []checkField{
		f("commitments.secure_use", "Je m'engage à un usage sécurisé du matériel et à le ranger dans un lieu sûr.", q.Commitments.SecureUse),
		f("commitments.visits", "J'accepte la présence en classe des formateurs et des partenaires du projet.", q.Commitments.Visits),
		f("commitments.parents_informed", "J'informerai les parents et présenterai le travail réalisé.", q.Commitments.ParentsInformed),
		f("commitments.feedback", "Je répondrai au retour d'usage et rédigerai le bilan pédagogique.", q.Commitments.Feedback),
		f("logistics.secure_storage", "L'école dispose d'un lieu de stockage sécurisé avec une prise électrique pour recharger les tablettes.", q.Logistics.SecureStorage),
		f("logistics.classroom_wifi", "La classe dispose du Wi-Fi (optionnel).", q.Logistics.ClassroomWifi),
		f("logistics.printing", "L'école peut imprimer depuis les tablettes (optionnel).", q.Logistics.Printing),
		f("logistics.backups", "L'école peut sauvegarder les travaux des élèves (optionnel).", q.Logistics.Backups),
	}
}

type radioChoice struct {
	Value, Label string
	Checked      bool
}

// TrainingChoices are the training's statuses.
func (p *requestFormPage) TrainingChoices() []radioChoice {
	cur := p.Request.Training.Status
	if cur == "" {
		cur = store.TrainingNotPlanned
	}
	return []radioChoice{
		{string(store.TrainingNotPlanned), "pas encore prévue", cur == store.TrainingNotPlanned},
		{string(store.TrainingPlanned), "prévue (donnez la date)", cur == store.TrainingPlanned},
		{string(store.TrainingDone), "déjà suivie (donnez la date)", cur == store.TrainingDone},
	}
}

// ExtensionChoices are the extension wishes.
func (p *requestFormPage) ExtensionChoices() []radioChoice {
	var out []radioChoice
	for _, w := range store.ExtensionWeeks {
		label := "aucune"
		if w > 0 {
			label = fmt.Sprintf("%d semaines", w)
		}
		out = append(out, radioChoice{strconv.Itoa(w), label, p.Request.ExtensionWeeks == w})
	}
	return out
}
