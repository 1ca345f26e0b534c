package app

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// agreementTexter renders the terms of a loan's agreement as a signer
// reads them (the JSON API's server implements it).
type agreementTexter interface {
	AgreementText(r *http.Request, u store.User, loanID int64) (string, error)
}

// loanCalendar renders the iCalendar file of one loan (the JSON API's
// server implements it, with the feeds' events).
type loanCalendar interface {
	LoanCalendar(r *http.Request, u store.User, loanID int64) ([]byte, error)
}

// routesLoans registers the loan pages: the fiche projet's loan part, the
// agreement to sign, the assessment, the school's calendar links.
func (a *App) routesLoans() {
	m := a.mux
	m.Handle("GET /prets/{id}", a.signedIn(store.ActLoanRead, a.showLoan))
	m.Handle("GET /prets/{id}/agenda.ics", a.signedIn(store.ActLoanRead, a.loanICS))
	m.Handle("GET /prets/{id}/signature", a.signedIn(store.ActLoanSign, a.signForm))
	m.Handle("POST /prets/{id}/signature", a.signedIn(store.ActLoanSign, a.signLoan))
	m.Handle("POST /prets/{id}/formation", a.signedIn(store.ActTrainingRecord, a.loanTraining))
	m.Handle("POST /prets/{id}/rendez-vous", a.signedIn(store.ActLoanPickup, a.loanPickupTime))
	m.Handle("POST /prets/{id}/prolongation", a.signedIn(store.ActExtensionRequest, a.askExtension))
	m.Handle("POST /prets/{id}/prolongation/decision", a.signedIn(store.ActExtensionDecide, a.decideExtension))
	m.Handle("POST /prets/{id}/cloture", a.signedIn(store.ActLoanClose, a.closeLoan))
	m.Handle("GET /prets/{id}/bilan", a.signedIn(store.ActLoanRead, a.assessmentForm))
	m.Handle("POST /prets/{id}/bilan", a.signedIn(store.ActAssessmentWrite, a.saveAssessment))
	m.Handle("POST /ecole/agendas", a.signedIn(store.ActFeedManage, a.createSchoolFeed))
	m.Handle("POST /ecole/agendas/{id}/revocation", a.signedIn(store.ActFeedManage, a.revokeSchoolFeed))
}

// loanOf loads the loan of the path's {id} that the signed-in person may
// see (another school's is a 404).
func (a *App) loanOf(r *http.Request) (store.LoanDetail, store.User, error) {
	u, _ := currentUser(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.LoanDetail{}, u, errNotFound
	}
	d, err := a.db.LoanFor(r.Context(), u, id)
	return d, u, err
}

func loanPath(id int64, tail string) string { return fmt.Sprintf("/prets/%d%s", id, tail) }

// extensionView is an extension request as the page shows it.
type extensionView struct {
	Weeks     int
	Reason    string
	State     string
	Asked     string
	NewReturn string
	PlanNote  string
	Decision  string
	Pending   bool
}

// loanStep is one step of the loan's step line, with its date and who.
type loanStep struct {
	Label  string
	Status string
	Class  string
	Detail string
}

// loanView is a loan as the pages show it, in French.
type loanView struct {
	ID         int64
	RequestID  int64
	Title      string
	Label      string
	State      string
	StateLabel string
	School     string
	Teacher    string
	Packs      string
	Pickup     string
	PickupTime string
	Return     string
	BaseReturn string
	Extended   int
	Training   string
	TrainingOK bool
	Signed     bool
	// Upcoming is true until the pickup: the pickup time may still be set.
	Upcoming bool
}

func (a *App) viewLoan(d store.LoanDetail) loanView {
	v := loanView{ID: d.ID, RequestID: d.RequestID, Title: d.RequestTitle, Label: d.Label, State: string(d.State),
		StateLabel: d.State.Label(), School: d.SchoolName, Teacher: d.TeacherName, Packs: strings.Join(d.PackCodes(), ", "),
		Pickup: frenchDate(d.PickupDay.Time()), Return: frenchDate(d.ReturnDay.Time()),
		BaseReturn: frenchDate(d.BaseReturnDay.Time()), Extended: d.ExtensionWeeks,
		Training: store.TrainingStatus(d.Training.Status).Label(), TrainingOK: d.Training.Status == store.TrainingDone,
		Signed:   d.DirectorSignature != nil && d.ITSignature != nil,
		Upcoming: d.State == store.LoanReserved || d.State == store.LoanSigned}
	if d.PickupTime != "" {
		h, m, _ := strings.Cut(d.PickupTime, ":")
		if len(h) == 2 && h[0] == '0' {
			h = h[1:] // « 9 h 05 », not « 09 h 05 »
		}
		v.PickupTime = h + "\u00a0h\u00a0" + m
	}
	if d.Training.Date != nil {
		v.Training += ", " + frenchDate(d.Training.Date.Time())
	}
	return v
}

// loanSteps is the loan's step line: programmée → convention signée →
// retirée → restituée → close → bilan, each with its date and who.
func (a *App) loanSteps(d store.LoanDetail) []loanStep {
	at := func(t time.Time) string { return frenchDate(t.In(a.loc)) }
	sig := func(s *store.Signature) string {
		if s == nil {
			return ""
		}
		return s.Name + " le " + at(s.At)
	}
	var signed []string
	if s := sig(d.DirectorSignature); s != "" {
		signed = append(signed, "direction de l'école\u00a0: "+s)
	}
	if s := sig(d.ITSignature); s != "" {
		signed = append(signed, "DSI\u00a0: "+s)
	}
	steps := []loanStep{
		{Label: "Programmée", Detail: "retrait le " + frenchDate(d.PickupDay.Time()) + ", retour le " + frenchDate(d.ReturnDay.Time())},
		{Label: "Convention signée", Detail: strings.Join(signed, "\u00a0; ")},
		{Label: "Retirée"}, {Label: "Restituée"}, {Label: "Close"}, {Label: "Bilan"},
	}
	if d.PickupSheet != nil {
		steps[2].Detail = fmt.Sprintf("le %s, en présence de %s", at(d.PickupSheet.CreatedAt), d.PickupSheet.SchoolPerson)
	}
	if d.ReturnSheet != nil {
		steps[3].Detail = fmt.Sprintf("le %s, en présence de %s", at(d.ReturnSheet.CreatedAt), d.ReturnSheet.SchoolPerson)
	}
	if d.ClosedAt != nil {
		steps[4].Detail = "le " + at(*d.ClosedAt)
		if d.ClosedByName != "" {
			steps[4].Detail += " par " + d.ClosedByName
		}
		if d.CloseReason != "" {
			steps[4].Detail += " (motif\u00a0: " + d.CloseReason + ")"
		}
	}
	if d.Assessment != nil {
		steps[5].Detail = "écrit le " + at(d.Assessment.UpdatedAt)
	}
	done := map[store.LoanState]int{store.LoanReserved: 1, store.LoanSigned: 2, store.LoanPickedUp: 3,
		store.LoanReturned: 4, store.LoanClosed: 5}[d.State]
	if d.Assessment != nil {
		done = max(done, 6)
		if d.State != store.LoanClosed {
			steps[4].Status = "à venir"
		}
	}
	for i := range steps {
		switch {
		case d.Assessment != nil && i == 5:
			steps[i].Status, steps[i].Class = "fait", "done"
		case i < done && steps[i].Status == "":
			steps[i].Status, steps[i].Class = "fait", "done"
		case i == done && steps[i].Status == "":
			steps[i].Status, steps[i].Class = "en cours", "current"
		case steps[i].Status == "":
			steps[i].Status = "à venir"
		}
	}
	if d.State == store.LoanCancelled {
		steps = append(steps[:1], loanStep{Label: "Annulé", Status: "fait", Class: "done", Detail: d.CancelReason})
	}
	return steps
}

// loanHistoryActions name the audit log's loan events.
var loanHistoryActions = map[string]string{
	"loan.create":             "Prêt programmé",
	"loan.sign":               "Convention signée par une partie",
	"loan.signed":             "Convention signée par les deux parties",
	"loan.pickup":             "Matériel retiré",
	"loan.pickup_time":        "Heure de retrait fixée",
	"loan.return":             "Matériel restitué",
	"loan.close":              "Prêt clos",
	"loan.cancel":             "Prêt annulé",
	"loan.extend":             "Prolongation accordée\u00a0: nouvelle date de retour",
	"loan.extension_request":  "Prolongation demandée",
	"loan.extension_decision": "Décision sur la prolongation",
	"loan.assessment":         "Bilan écrit",
	"loan.pack_moved":         "Pack changé",
}

func (a *App) loanHistory(r *http.Request, id int64) ([]historyEntry, error) {
	events, err := a.db.AuditTrail(r.Context(), "loan", id)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	var out []historyEntry
	for _, e := range events {
		h := historyEntry{Date: frenchTime(e.At.In(a.loc)), Who: a.userName(r, e.ActorID, names), What: loanHistoryActions[e.Action]}
		if h.What == "" {
			h.What = e.Action
		}
		out = append(out, h)
	}
	slices.Reverse(out)
	if len(out) > 50 {
		out = out[:50]
	}
	return out, nil
}

// loanPage is the fiche projet, loan part.
type loanPage struct {
	Layout
	L          loanView
	Steps      []loanStep
	History    []historyEntry
	Extensions []extensionView
	Pending    *extensionView
	Incidents  []string
	Assessment *store.Assessment
	// The actions the person may take now.
	CanSign, CanTraining, CanPickupTime, CanAskExtension, CanDecideExtension, CanClose, CanAssess bool
	SignAs                                                                                        string
	Today                                                                                         string
	TimeValue                                                                                     string
}

// Msg returns the error message of a field.
func (p *loanPage) Msg(id string) string { return p.FieldMessage(id) }

func (a *App) showLoan(w http.ResponseWriter, r *http.Request) error {
	d, u, err := a.loanOf(r)
	if err != nil {
		return err
	}
	p, err := a.loanPageData(r, u, d)
	if err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "loan", p)
}

func (a *App) loanPageData(r *http.Request, u store.User, d store.LoanDetail) (*loanPage, error) {
	p := &loanPage{Layout: Layout{Title: capitalise(d.Label) + " – «\u00a0" + d.RequestTitle + "\u00a0»"}, L: a.viewLoan(d),
		Steps: a.loanSteps(d), Assessment: d.Assessment, Today: calendar.ParisDate(a.now()).String(), TimeValue: d.PickupTime}
	var err error
	if p.History, err = a.loanHistory(r, d.ID); err != nil {
		return nil, err
	}
	for _, e := range d.Extensions {
		v := extensionView{Weeks: e.Weeks, Reason: e.Reason, State: e.State.Label(), Asked: frenchDate(e.RequestedAt.In(a.loc)),
			NewReturn: frenchDate(e.NewReturnDay.Time()), PlanNote: nbsp(e.PlanNote), Decision: e.DecisionComment,
			Pending: e.State == store.ExtensionRequested}
		p.Extensions = append(p.Extensions, v)
		if v.Pending {
			pv := v
			p.Pending = &pv
		}
	}
	for _, inc := range d.Incidents {
		if inc.Open() {
			p.Incidents = append(p.Incidents, fmt.Sprintf("n° %d – %s %s (pack %s)", inc.ID, inc.ItemLabel, inc.Serial, inc.PackCode))
		}
	}
	acts := u.ActionsOnLoan(d)
	p.SignAs, p.CanSign, p.CanTraining, p.CanPickupTime = acts.SignAs, acts.Sign, acts.Training, acts.PickupTime
	p.CanAskExtension, p.CanDecideExtension, p.CanClose, p.CanAssess = acts.AskExtension, acts.DecideExtension, acts.Close, acts.Assess
	return p, nil
}

// loanFormError turns a store refusal of a loan page's form into the page
// again with the field's error (422), or returns err unchanged.
func (a *App) loanFormError(w http.ResponseWriter, r *http.Request, d store.LoanDetail, err error, fields map[string]string, label string) error {
	re, ok := store.AsRule(err)
	if !ok || re.Kind != store.RuleInvalid {
		return err
	}
	u, _ := currentUser(r.Context())
	p, perr := a.loanPageData(r, u, d)
	if perr != nil {
		return perr
	}
	id := fields[re.Field]
	if id == "" {
		for _, v := range fields {
			id = v
			break
		}
	}
	p.Errors = append(p.Errors, FieldError{Field: id, Label: label, Message: sentence(re.Message)})
	return &invalidForm{Page: "loan", Data: p}
}

func (a *App) loanICS(w http.ResponseWriter, r *http.Request) error {
	d, u, err := a.loanOf(r)
	if err != nil {
		return err
	}
	cal, ok := a.printer.(loanCalendar)
	if !ok {
		return errNotFound
	}
	body, err := cal.LoanCalendar(r, u, d.ID)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="pret-%d.ics"`, d.ID))
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(body) // headers are sent: a write error cannot reach the client
	return nil
}

// signPage shows the agreement's terms and the signature form.
type signPage struct {
	Layout
	L loanView
	// Terms is the agreement's HTML, rendered by the printable pages'
	// templates (escaped there).
	Terms  template.HTML
	SignAs string
	Party  string
	Signed []string
}

func (a *App) signForm(w http.ResponseWriter, r *http.Request) error {
	d, u, err := a.loanOf(r)
	if err != nil {
		return err
	}
	tx, ok := a.printer.(agreementTexter)
	if !ok {
		return errNotFound
	}
	terms, err := tx.AgreementText(r, u, d.ID)
	if err != nil {
		return err
	}
	p := &signPage{Layout: Layout{Title: "Convention de prêt à signer – " + d.Label}, L: a.viewLoan(d), Terms: template.HTML(terms), SignAs: u.ActionsOnLoan(d).SignAs}
	p.Party = "au nom de l'école"
	if p.SignAs == "DSI" {
		p.Party = "au nom de la Ville (DSI)"
	}
	for _, s := range []*store.Signature{d.DirectorSignature, d.ITSignature} {
		if s != nil {
			p.Signed = append(p.Signed, fmt.Sprintf("%s (%s), le %s", s.Name, s.RoleLabel, frenchTime(s.At.In(a.loc))))
		}
	}
	return a.render(w, r, http.StatusOK, "loan_sign", p)
}

func (a *App) signLoan(w http.ResponseWriter, r *http.Request) error {
	d, u, err := a.loanOf(r)
	if err != nil {
		return err
	}
	tx, ok := a.printer.(agreementTexter)
	if !ok {
		return errNotFound
	}
	terms, err := tx.AgreementText(r, u, d.ID)
	if err != nil {
		return err
	}
	l, err := a.db.SignAgreementText(r.Context(), u, d.ID, terms)
	if err != nil {
		return err
	}
	msg := "Convention signée. L'autre partie est prévenue\u00a0; le prêt sera «\u00a0convention signée\u00a0» après sa signature."
	if l.State == store.LoanSigned {
		msg = "Convention signée par les deux parties. Les deux signataires en sont prévenus par e-mail."
	}
	a.notices.AgreementSigned(l, u)
	return a.redirect(w, r, loanPath(d.ID, ""), msg)
}

func (a *App) loanTraining(w http.ResponseWriter, r *http.Request) error {
	d, u, err := a.loanOf(r)
	if err != nil {
		return err
	}
	in := store.TrainingInput{Status: store.TrainingDone, By: strings.TrimSpace(r.PostFormValue("by"))}
	if day, err := calendar.ParseDate(strings.TrimSpace(r.PostFormValue("done_on"))); err == nil {
		in.DoneOn = day
	}
	if _, err := a.db.RecordTraining(r.Context(), u, d.RequestID, in, calendar.ParisDate(a.now())); err != nil {
		return a.loanFormError(w, r, d, err, map[string]string{"done_on": "formation-done_on", "by": "formation-by"}, "Formation technique")
	}
	return a.redirect(w, r, loanPath(d.ID, ""), "Formation technique enregistrée comme faite.")
}

func (a *App) loanPickupTime(w http.ResponseWriter, r *http.Request) error {
	d, u, err := a.loanOf(r)
	if err != nil {
		return err
	}
	hhmm := strings.TrimSpace(r.PostFormValue("pickup_time"))
	if _, err := a.db.SetPickupTime(r.Context(), store.Actor{UserID: u.ID}, d.ID, hhmm); err != nil {
		return a.loanFormError(w, r, d, err, map[string]string{"pickup_time": "rdv-pickup_time"}, "Heure du retrait")
	}
	msg := "Heure du retrait effacée."
	if hhmm != "" {
		msg = "Rendez-vous de retrait fixé le " + frenchDate(d.PickupDay.Time()) + " à " + strings.Replace(hhmm, ":", "\u00a0h\u00a0", 1) + "."
	}
	return a.redirect(w, r, loanPath(d.ID, ""), msg)
}

func (a *App) askExtension(w http.ResponseWriter, r *http.Request) error {
	d, u, err := a.loanOf(r)
	if err != nil {
		return err
	}
	weeks, _ := strconv.Atoi(r.PostFormValue("weeks"))
	_, err = a.db.RequestExtension(r.Context(), store.Actor{UserID: u.ID}, d.ID, weeks, r.PostFormValue("reason"), calendar.ParisDate(a.now()))
	if re, ok := store.AsRule(err); ok && re.Code == "extension_refused" {
		// Refused at once by the plan, and recorded: the page explains.
		return a.redirect(w, r, loanPath(d.ID, ""), sentence(re.Message))
	}
	if err != nil {
		return a.loanFormError(w, r, d, err, map[string]string{"weeks": "prolongation-weeks-2", "reason": "prolongation-reason"}, "Prolongation")
	}
	return a.redirect(w, r, loanPath(d.ID, ""), "Demande de prolongation envoyée à la coordination, qui décidera.")
}

func (a *App) decideExtension(w http.ResponseWriter, r *http.Request) error {
	d, u, err := a.loanOf(r)
	if err != nil {
		return err
	}
	grant, ok := store.ParseExtensionDecision(r.PostFormValue("decision"))
	if !ok {
		return &pageError{Status: http.StatusUnprocessableEntity, Title: "Données à corriger",
			Message: "Choisissez d'accorder ou de refuser la prolongation.", Back: loanPath(d.ID, ""), BackLabel: "Retour au prêt"}
	}
	_, l, err := a.db.DecideExtension(r.Context(), store.Actor{UserID: u.ID}, d.ID, grant, r.PostFormValue("comment"))
	if re, ok := store.AsRule(err); ok && re.Code == "extension_refused" {
		return a.redirect(w, r, loanPath(d.ID, ""), sentence(re.Message))
	}
	if err != nil {
		return a.loanFormError(w, r, d, err, map[string]string{"comment": "decision-comment"}, "Décision")
	}
	if !grant {
		return a.redirect(w, r, loanPath(d.ID, ""), "Prolongation refusée. L'enseignant·e le verra sur la page du prêt.")
	}
	msg := "Prolongation accordée\u00a0: retour le " + frenchDate(l.ReturnDay.Time()) + "."
	if (d.DirectorSignature != nil || d.ITSignature != nil) && l.DirectorSignature == nil && l.ITSignature == nil {
		msg += " Les dates ont changé\u00a0: la convention est à signer de nouveau par les deux parties."
	}
	return a.redirect(w, r, loanPath(d.ID, ""), msg)
}

func (a *App) closeLoan(w http.ResponseWriter, r *http.Request) error {
	d, u, err := a.loanOf(r)
	if err != nil {
		return err
	}
	if _, err := a.db.CloseLoanWithReason(r.Context(), store.Actor{UserID: u.ID}, d.ID, r.PostFormValue("reason")); err != nil {
		return a.loanFormError(w, r, d, err, map[string]string{"reason": "cloture-reason"}, "Clôture")
	}
	return a.redirect(w, r, loanPath(d.ID, ""), "Prêt clos.")
}

// assessmentPage is the teacher's assessment form (bilan), or the
// assessment as written for the other people.
type assessmentPage struct {
	Layout
	L           loanView
	CanWrite    bool
	Human       string
	Pedagogical string
	Productions string
	ApplyAgain  string // "oui", "non" or ""
	Written     string
	NotYet      bool
}

// Msg returns the error message of a field.
func (p *assessmentPage) Msg(id string) string { return p.FieldMessage(id) }

func (a *App) assessmentData(u store.User, d store.LoanDetail) *assessmentPage {
	p := &assessmentPage{Layout: Layout{Title: "Bilan – «\u00a0" + d.RequestTitle + "\u00a0»"}, L: a.viewLoan(d)}
	returned := d.State == store.LoanReturned || d.State == store.LoanClosed
	p.CanWrite = u.ID == d.TeacherID && u.Can(store.ActAssessmentWrite) && returned
	p.NotYet = !returned
	if as := d.Assessment; as != nil {
		p.Human, p.Pedagogical, p.Productions = as.Human, as.Pedagogical, strings.Join(as.Productions, "\n")
		p.ApplyAgain = "non"
		if as.ApplyAgain {
			p.ApplyAgain = "oui"
		}
		p.Written = frenchTime(as.UpdatedAt.In(a.loc))
	}
	return p
}

func (a *App) assessmentForm(w http.ResponseWriter, r *http.Request) error {
	d, u, err := a.loanOf(r)
	if err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "loan_assessment", a.assessmentData(u, d))
}

func (a *App) saveAssessment(w http.ResponseWriter, r *http.Request) error {
	d, u, err := a.loanOf(r)
	if err != nil {
		return err
	}
	in := store.AssessmentInput{LoanID: d.ID, Human: r.PostFormValue("human"), Pedagogical: r.PostFormValue("pedagogical")}
	switch r.PostFormValue("apply_again") {
	case "oui":
		in.ApplyAgain = new(true)
	case "non":
		in.ApplyAgain = new(false)
	}
	for _, line := range strings.Split(r.PostFormValue("productions"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			in.Productions = append(in.Productions, line)
		}
	}
	if _, err := a.db.SaveAssessment(r.Context(), store.Actor{UserID: u.ID}, in); err != nil {
		re, ok := store.AsRule(err)
		if !ok || re.Kind != store.RuleInvalid {
			return err
		}
		p := a.assessmentData(u, d)
		p.Human, p.Pedagogical, p.Productions, p.ApplyAgain = in.Human, in.Pedagogical, r.PostFormValue("productions"), r.PostFormValue("apply_again")
		ids := map[string]string{"human": "human", "pedagogical": "pedagogical", "apply_again": "apply_again-oui", "productions": "productions"}
		labels := map[string]string{"human": "Aspects humains", "pedagogical": "Aspects pédagogiques", "apply_again": "Nouvelle candidature", "productions": "Productions"}
		for _, k := range re.Fields {
			id := ids[strings.SplitN(k, "[", 2)[0]]
			if id == "" {
				id = "human"
			}
			p.Errors = append(p.Errors, FieldError{Field: id, Label: labels[strings.SplitN(k, "[", 2)[0]], Message: sentence(capitalise(re.FieldMessages[k]))})
		}
		if len(p.Errors) == 0 {
			p.Errors = append(p.Errors, FieldError{Field: "human", Message: sentence(re.Message)})
		}
		return &invalidForm{Page: "loan_assessment", Data: p}
	}
	return a.redirect(w, r, loanPath(d.ID, ""), "Bilan enregistré et transmis à l'Inspection de l'Éducation nationale. Merci\u00a0!")
}

// loanTask is a loan's task on the À faire page.
func (a *App) loanTask(t store.Task, now time.Time) taskView {
	l := t.Loan
	v := taskView{Since: frenchDate(t.Since.In(a.loc)), Urgent: now.Sub(t.Since) > urgentAfter, Href: loanPath(l.ID, "")}
	who := fmt.Sprintf("%s – %s, %s", l.Label, l.TeacherName, l.SchoolName)
	switch t.Kind {
	case store.TaskSignAgreement:
		v.Title = "Signer la convention de prêt de «\u00a0" + l.RequestTitle + "\u00a0»"
		v.Detail = who + fmt.Sprintf(" – retrait le %s.", frenchDate(l.PickupDay.Time()))
		v.Href, v.Action = loanPath(l.ID, "/signature"), "Lire et signer"
	case store.TaskPickup:
		v.Title = "Retrait le " + frenchDate(l.PickupDay.Time()) + "\u00a0: «\u00a0" + l.RequestTitle + "\u00a0»"
		v.Detail = who + " – packs " + strings.Join(l.PackCodes(), ", ") + "."
		v.Action = "Voir le prêt"
	case store.TaskReturn:
		v.Title = "Retour le " + frenchDate(l.ReturnDay.Time()) + "\u00a0: «\u00a0" + l.RequestTitle + "\u00a0»"
		if today := calendar.ParisDate(now); l.ReturnDay.Before(today) {
			v.Title = fmt.Sprintf("Retour en retard de %s\u00a0: «\u00a0%s\u00a0»", plural(today.DaysSince(l.ReturnDay), "jour", "jours"), l.RequestTitle)
			v.Urgent = true
		}
		v.Detail = who + " – packs " + strings.Join(l.PackCodes(), ", ") + "."
		v.Action = "Voir le prêt"
	case store.TaskAssessment:
		v.Title = "Écrire le bilan de «\u00a0" + l.RequestTitle + "\u00a0»"
		v.Detail = who + " – matériel rendu."
		v.Href, v.Action = loanPath(l.ID, "/bilan"), "Écrire le bilan"
	case store.TaskDecideExtension:
		v.Title = "Décider de la prolongation de «\u00a0" + l.RequestTitle + "\u00a0»"
		v.Detail = who + "."
		v.Href, v.Action = loanPath(l.ID, "#decision-prolongation"), "Décider"
	case store.TaskCloseLoan:
		v.Title = "Clore le prêt «\u00a0" + l.RequestTitle + "\u00a0»"
		v.Detail = who + " – matériel restitué."
		v.Action = "Voir et clore"
	}
	v.Title, v.Detail = nbsp(v.Title), nbsp(v.Detail)
	return v
}
