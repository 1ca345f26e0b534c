package app

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
)

// The coordinator's actions on a round: pins and exclusions with a
// reason, what-ifs, publishing with its preview; and the capacity page.
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
	ids := map[string]string{"reason": "raison", "start_week": "semaine", "kind": "choix-semaine", "request_id": "choix-semaine", "extension_weeks": "choix-semaine"}
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
		return &pageError{Status: http.StatusUnprocessableEntity, Title: "Hypothèse à corriger", Message: msg}
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
	wi, err := round.WhatIf(r.Context(), a.db, store.Actor{UserID: u.ID}, rd.ID, in)
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
	C       round.Capacity
}

func (a *App) capacityPage(w http.ResponseWriter, r *http.Request) error {
	rd, u, err := a.roundOf(r)
	if err != nil {
		return err
	}
	c, err := round.RoundCapacityFor(r.Context(), a.db, u, rd.ID, 0)
	if err != nil {
		return err
	}
	c.Summary = nbsp(c.Summary)
	return a.render(w, r, http.StatusOK, "round_capacity", &capacityPage{Layout: Layout{Title: fmt.Sprintf("Capacité, tour n°\u00a0%d", rd.ID)}, RoundID: rd.ID, C: c})
}
