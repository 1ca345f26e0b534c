package app

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// routesDesk registers the pickup and return desk, the packs and the
// incidents pages.
func (a *App) routesDesk() {
	m := a.mux
	m.Handle("GET /retraits-retours", a.signedIn(store.ActLoanPickup, a.deskAgenda))
	// The desk pages are checked by the store: another school's loan is
	// not found, the school's own people may not use the desk.
	m.Handle("GET /prets/{id}/retrait", a.signedIn(store.ActLoanRead, a.deskForm(store.SheetPickup)))
	m.Handle("POST /prets/{id}/retrait", a.signedIn(store.ActLoanPickup, a.deskRecord(store.SheetPickup)))
	m.Handle("GET /prets/{id}/retour", a.signedIn(store.ActLoanRead, a.deskForm(store.SheetReturn)))
	m.Handle("POST /prets/{id}/retour", a.signedIn(store.ActLoanReturn, a.deskRecord(store.SheetReturn)))

	m.Handle("GET /packs", a.signedIn(store.ActPackRead, a.packList))
	m.Handle("GET /packs/{id}", a.signedIn(store.ActPackRead, a.packPage))
	m.Handle("POST /packs/{id}/elements", a.signedIn(store.ActPackWrite, a.packItemAdd))
	m.Handle("GET /packs/{id}/elements/{item}", a.signedIn(store.ActPackWrite, a.packItemForm))
	m.Handle("POST /packs/{id}/elements/{item}", a.signedIn(store.ActPackWrite, a.packItemUpdate))
	m.Handle("POST /packs/{id}/elements/{item}/retrait", a.signedIn(store.ActPackWrite, a.packItemRetire))
	m.Handle("POST /packs/{id}/maintenance", a.signedIn(store.ActMaintenanceWrite, a.maintenanceAdd))
	m.Handle("POST /packs/{id}/maintenance/{window}/suppression", a.signedIn(store.ActMaintenanceWrite, a.maintenanceRemove))

	m.Handle("GET /incidents", a.signedIn(store.ActIncidentRead, a.incidents))
	m.Handle("POST /incidents/{id}/resolution", a.signedIn(store.ActIncidentResolve, a.incidentResolve))
}

// pathInt reads a positive id from the path; anything else is a 404.
func deskID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// today is the current day in the schools' time zone.
func (a *App) deskToday() calendar.Date { return calendar.DateOf(a.now().In(a.loc)) }

func deskDay(d calendar.Date) string { return d.French(calendar.FrenchLong) }

// --- Retraits et retours -------------------------------------------------

// deskRow is one pickup or return of the agenda.
type deskRow struct {
	LoanID    int64
	LoanLabel string
	School    string
	Teacher   string
	Title     string
	Packs     string
	Operation string // « Retrait », « Retour »
	Day       string
	Time      string
	Late      string
	Href      string
	Action    string
	// Checks are the pickup's conditions, written out.
	Checks []deskCheck
	Ready  bool
}

type deskCheck struct {
	Label string
	OK    bool
	Text  string
}

// deskTable is one table of the agenda.
type deskTable struct {
	Heading, Caption, Empty string
	Rows                    []deskRow
}

type deskAgendaPage struct {
	Layout
	Today  string
	Tables []deskTable
}

func (a *App) deskRowOf(e store.DeskEntry) deskRow {
	l := e.Loan
	row := deskRow{LoanID: l.ID, LoanLabel: l.Label, School: l.SchoolName, Teacher: l.TeacherName, Title: l.RequestTitle,
		Packs: strings.Join(l.PackCodes(), ", "), Day: deskDay(e.Day)}
	if e.Kind == store.SheetPickup {
		row.Operation, row.Href, row.Action = "Retrait", fmt.Sprintf("/prets/%d/retrait", l.ID), "Pointer le retrait"
		row.Time = pickupTime(l.PickupTime)
		row.Checks = []deskCheck{
			deskCheckOf("Formation", e.TrainingDone, "faite", "pas faite"),
			deskCheckOf("Convention", e.AgreementSigned, "signée", "pas encore signée par les deux parties"),
			deskCheckOf("Pack revenu de l'école précédente", e.PacksBack, "oui", "non\u00a0: "+strings.Join(e.PacksOut, "\u00a0; ")),
		}
	} else {
		row.Operation, row.Href, row.Action = "Retour", fmt.Sprintf("/prets/%d/retour", l.ID), "Pointer le retour"
	}
	if e.OpenIncidents > 0 {
		row.Checks = append(row.Checks, deskCheck{Label: "Incidents ouverts sur le pack", Text: strconv.Itoa(e.OpenIncidents)})
	}
	switch {
	case e.DaysLate == 1:
		row.Late = "1 jour de retard"
	case e.DaysLate > 1:
		row.Late = fmt.Sprintf("%d jours de retard", e.DaysLate)
	}
	row.Ready = e.Ready()
	return row
}

func deskCheckOf(label string, ok bool, yes, no string) deskCheck {
	if ok {
		return deskCheck{Label: label, OK: true, Text: yes}
	}
	return deskCheck{Label: label, Text: no}
}

// pickupTime writes "14:30" as « 14 h 30 ».
func pickupTime(hhmm string) string {
	h, m, ok := strings.Cut(hhmm, ":")
	if !ok {
		return ""
	}
	return strings.TrimPrefix(h, "0") + "\u00a0h\u00a0" + m
}

func (a *App) deskAgenda(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	ag, err := a.db.DeskAgendaFor(r.Context(), u, a.deskToday())
	if err != nil {
		return err
	}
	p := &deskAgendaPage{Layout: Layout{Title: "Retraits et retours"}, Today: deskDay(ag.Today)}
	table := func(heading, caption, empty string, es []store.DeskEntry) {
		t := deskTable{Heading: heading, Caption: caption, Empty: empty}
		for _, e := range es {
			t.Rows = append(t.Rows, a.deskRowOf(e))
		}
		p.Tables = append(p.Tables, t)
	}
	table("En retard", "Retours et retraits en retard, les retours d'abord", "Aucun retour ni retrait en retard.", ag.Overdue)
	table("Cette semaine, du "+deskDay(ag.Monday)+" au "+deskDay(ag.Monday.AddDays(4)), "Retraits et retours de cette semaine",
		"Aucun retrait ni retour prévu cette semaine.", ag.ThisWeek)
	table("La semaine prochaine, du "+deskDay(ag.NextMonday)+" au "+deskDay(ag.NextMonday.AddDays(4)), "Retraits et retours de la semaine prochaine",
		"Aucun retrait ni retour prévu la semaine prochaine.", ag.NextWeek)
	return a.render(w, r, http.StatusOK, "desk_agenda", p)
}

// --- The desk checklist ----------------------------------------------------

// deskItem is one item of the checklist.
type deskItem struct {
	ID       int64
	Pack     string
	Kind     string
	Label    string
	Serial   string
	Present  bool
	Damaged  bool
	Remark   string
	NotGiven bool // missing at the pickup: not expected back
}

// deskFormPage is the desk checklist of a pickup or a return.
type deskFormPage struct {
	Layout
	Kind      string // store.SheetPickup or store.SheetReturn
	Operation string // « retrait », « retour »
	Action    string
	Loan      store.LoanDetail
	Packs     string
	Day       string
	Time      string
	Request   string
	Items     []deskItem
	// Open says the form is shown; else the sheet is recorded (or the
	// loan is not at this step) and Done says so.
	Open     bool
	Done     string
	Blockers []string
	Flags    []incidentRow
	Key      string
	Person   string
	Accept   bool
	Comment  string
	Report   string
	Tablets  int
	Incident []incidentRow
}

// Msg returns a field's error message.
func (p *deskFormPage) Msg(field string) string { return p.FieldMessage(field) }

// newDeskKey is a fresh idempotency key for a desk form: 128 random bits.
func newDeskKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails on supported systems
	return hex.EncodeToString(b)
}

func (a *App) deskForm(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := a.deskPage(r, kind)
		if err != nil {
			return err
		}
		p.Key = newDeskKey()
		return a.render(w, r, http.StatusOK, "desk_form", p)
	}
}

// deskPage loads the loan and fills the checklist as it stands.
func (a *App) deskPage(r *http.Request, kind string) (*deskFormPage, error) {
	u, _ := currentUser(r.Context())
	id, err := deskID(r, "id")
	if err != nil {
		return nil, err
	}
	d, items, err := a.db.DeskLoanFor(r.Context(), u, id)
	if err != nil {
		return nil, err
	}
	p := &deskFormPage{Kind: kind, Loan: d, Packs: strings.Join(d.PackCodes(), ", "), Time: pickupTime(d.PickupTime),
		Request: fmt.Sprintf("/demandes/%d", d.RequestID)}
	notIssued := map[int64]bool{}
	if d.PickupSheet != nil {
		for _, ln := range d.PickupSheet.Lines {
			notIssued[ln.ItemID] = ln.Status == store.ItemMissing
		}
	}
	for _, it := range items {
		di := deskItem{ID: it.ID, Pack: it.PackCode, Kind: store.ItemKindLabel(it.Kind), Label: it.Label, Serial: it.Serial,
			NotGiven: kind == store.SheetReturn && notIssued[it.ID]}
		if it.Kind == store.ItemTablet {
			p.Tablets++
		}
		p.Items = append(p.Items, di)
	}
	for _, inc := range d.PackFlags {
		p.Flags = append(p.Flags, a.incidentRowOf(inc, nil))
	}
	for _, inc := range d.Incidents {
		p.Incident = append(p.Incident, a.incidentRowOf(inc, nil))
	}
	if kind == store.SheetPickup {
		p.Operation, p.Action = "retrait", "enregistrer le retrait"
		p.Title = "Retrait du " + d.Label
		p.Day = deskDay(d.PickupDay)
		switch {
		case d.PickupSheet != nil:
			p.Done = fmt.Sprintf("Retrait enregistré le %s avec %s.", frenchTime(d.PickupSheet.CreatedAt.In(a.loc)), d.PickupSheet.SchoolPerson)
		case d.State == store.LoanReserved || d.State == store.LoanSigned:
			p.Open = true
			if d.DirectorSignature == nil || d.ITSignature == nil {
				p.Blockers = append(p.Blockers, "La convention n'est pas encore signée par les deux parties.")
			}
			if d.Training.Status != store.TrainingDone {
				p.Blockers = append(p.Blockers, "La formation technique de l'enseignant·e n'est pas faite ("+d.Training.Status.Label()+").")
			}
			for _, lp := range d.Packs {
				pk, err := a.db.Pack(r.Context(), lp.PackID)
				if err != nil {
					return nil, err
				}
				if h := pk.Holder; h != nil && h.LoanID != d.ID {
					p.Blockers = append(p.Blockers, fmt.Sprintf("Le pack %s est encore à l'école %s (%s) : son retour doit être enregistré d'abord.",
						pk.Code, h.SchoolName, store.LoanLabel(h.LoanID)))
				}
			}
		default:
			p.Done = "Ce prêt n'attend pas de retrait (état\u00a0: " + store.LoanStateLabel(d.State) + ")."
		}
	} else {
		p.Operation, p.Action = "retour", "enregistrer le retour"
		p.Title = "Retour du " + d.Label
		p.Day = deskDay(d.ReturnDay)
		switch {
		case d.ReturnSheet != nil:
			p.Done = fmt.Sprintf("Retour enregistré le %s avec %s.", frenchTime(d.ReturnSheet.CreatedAt.In(a.loc)), d.ReturnSheet.SchoolPerson)
		case d.State == store.LoanPickedUp:
			p.Open = true
		default:
			p.Done = "Ce prêt n'attend pas de retour (état\u00a0: " + store.LoanStateLabel(d.State) + ")."
		}
	}
	return p, nil
}

// deskRecord records the checklist: one post, idempotent by its key.
func (a *App) deskRecord(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, _ := currentUser(r.Context())
		p, err := a.deskPage(r, kind)
		if err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return &pageError{Status: http.StatusBadRequest, Title: "Formulaire illisible", Message: "Le formulaire n'a pas pu être lu. Rechargez la page."}
		}
		present := map[int64]bool{}
		for _, v := range r.PostForm["present"] {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil {
				present[id] = true
			}
		}
		damaged := map[int64]bool{}
		for _, v := range r.PostForm["endommage"] {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil {
				damaged[id] = true
			}
		}
		in := store.SheetInput{SchoolPerson: r.PostFormValue("personne"), AcceptDifference: r.PostFormValue("ecart") == "oui",
			Comment: r.PostFormValue("commentaire"), TechnicalReport: r.PostFormValue("bilan"), IdempotencyKey: r.PostFormValue("cle")}
		for i := range p.Items {
			it := &p.Items[i]
			it.Present, it.Damaged = present[it.ID], damaged[it.ID] && kind == store.SheetReturn
			it.Remark = r.PostFormValue(fmt.Sprintf("remarque-%d", it.ID))
			ln := store.SheetLineInput{ItemID: it.ID, Status: store.ItemMissing}
			switch {
			case it.Damaged:
				ln.Status, ln.Note = store.ItemDamaged, it.Remark
			case it.Present:
				ln.Status, ln.Condition = store.ItemPresent, it.Remark
			default:
				ln.Note = it.Remark
			}
			in.Lines = append(in.Lines, ln)
		}
		if kind == store.SheetPickup {
			_, err = a.db.PickUp(r.Context(), u, p.Loan.ID, in)
		} else {
			_, err = a.db.Return(r.Context(), u, p.Loan.ID, in)
		}
		if re, ok := store.AsRule(err); ok && (re.Kind == store.RuleInvalid || re.Kind == store.RuleConflict) {
			p.Key, p.Person, p.Accept, p.Comment, p.Report = in.IdempotencyKey, in.SchoolPerson, in.AcceptDifference, in.Comment, in.TechnicalReport
			if !validKeyShape(p.Key) || re.Code == "idempotency_key_reused" {
				p.Key = newDeskKey()
			}
			field := deskField(re.Field)
			p.Errors = []FieldError{{Field: field, Message: sentence(re.Message)}}
			return &invalidForm{Page: "desk_form", Data: p}
		}
		if err != nil {
			return err
		}
		missing := 0
		for _, ln := range in.Lines {
			if ln.Status != store.ItemPresent {
				missing++
			}
		}
		msg := "Retrait enregistré"
		if kind == store.SheetReturn {
			msg = "Retour enregistré"
		}
		if missing > 0 {
			msg += fmt.Sprintf("\u00a0; %d incident%s ouvert%s", missing, deskPlural(missing), deskPlural(missing))
		}
		return a.redirect(w, r, fmt.Sprintf("/prets/%d/%s", p.Loan.ID, map[string]string{store.SheetPickup: "retrait", store.SheetReturn: "retour"}[kind]),
			msg+". Imprimez la feuille d'inventaire pour la signature.")
	}
}

// validKeyShape keeps a posted key only when it looks like one the page
// made (so the page never echoes arbitrary text into the form).
func validKeyShape(k string) bool {
	if len(k) != 32 {
		return false
	}
	_, err := hex.DecodeString(k)
	return err == nil
}

// deskField maps a store field to the checklist's input id.
func deskField(field string) string {
	switch {
	case field == "school_person":
		return "personne"
	case field == "comment":
		return "commentaire"
	case field == "technical_report":
		return "bilan"
	case strings.HasPrefix(field, "lines"):
		return "elements"
	}
	return "elements"
}

func deskPlural(n int) string {
	if n > 1 {
		return "s"
	}
	return ""
}
