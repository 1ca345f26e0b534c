package app

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// --- Packs et maintenance ---------------------------------------------------

// packRow is a pack in the list of packs.
type packRow struct {
	ID          int64
	Code        string
	Label       string
	Contents    string
	Whereabouts string
	Next        string
	Incidents   int
	Maintenance string
}

type packListPage struct {
	Layout
	Packs []packRow
	// Staff see the holders, next loans and incidents.
	Staff bool
}

// contents sums up a pack's items: « 12 tablettes, 2 autres éléments ».
func contents(items []store.PackItem) string {
	tablets, others := 0, 0
	for _, it := range items {
		if it.Kind == store.ItemTablet {
			tablets++
		} else {
			others++
		}
	}
	return fmt.Sprintf("%d tablette%s, %d autre%s élément%s", tablets, deskPlural(tablets), others, deskPlural(others), deskPlural(others))
}

// nextLoan returns the pack's next loan not picked up yet, from today.
func (a *App) nextLoan(r *http.Request, packID int64) (*store.Loan, error) {
	loans, err := a.db.ListLoans(r.Context(), store.LoanFilter{PackID: packID})
	if err != nil {
		return nil, err
	}
	today := a.deskToday()
	for _, l := range loans {
		if (l.State == store.LoanReserved || l.State == store.LoanSigned) && !l.ReturnDay.Before(today) {
			return &l, nil
		}
	}
	return nil, nil
}

func loanSummary(l *store.Loan) string {
	if l == nil {
		return "aucun prêt à venir"
	}
	return fmt.Sprintf("%s, %s, du %s au %s", l.Label, l.SchoolName, deskDay(l.PickupDay), deskDay(l.ReturnDay))
}

func maintenanceText(m store.Maintenance) string {
	return fmt.Sprintf("du %s au %s («\u00a0%s\u00a0»)", deskDay(m.FirstDay), deskDay(m.LastDay), m.Reason)
}

// whereabouts says where the pack is: in full for the staff, « prêté »
// for the others (schools do not see who holds a pack).
func whereabouts(u store.User, pk store.Pack) string {
	if pk.Holder != nil && !u.Can(store.ActPackRead) {
		return "prêté"
	}
	return pk.Whereabouts
}

func (a *App) packList(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	packs, err := a.db.ListPacks(r.Context())
	if err != nil {
		return err
	}
	open, err := a.db.ListIncidents(r.Context(), store.IncidentFilter{OpenOnly: true})
	if err != nil {
		return err
	}
	windows, err := a.db.ListMaintenance(r.Context(), store.MaintenanceFilter{From: a.deskToday()})
	if err != nil {
		return err
	}
	p := &packListPage{Layout: Layout{Title: "Packs et maintenance"}, Staff: u.Can(store.ActPackRead)}
	for _, pk := range packs {
		row := packRow{ID: pk.ID, Code: pk.Code, Label: pk.Label, Contents: contents(pk.Items), Whereabouts: whereabouts(u, pk)}
		if p.Staff {
			next, err := a.nextLoan(r, pk.ID)
			if err != nil {
				return err
			}
			row.Next = loanSummary(next)
		}
		for _, inc := range open {
			if inc.PackID == pk.ID {
				row.Incidents++
			}
		}
		for _, m := range windows {
			if m.PackID == pk.ID && row.Maintenance == "" {
				row.Maintenance = maintenanceText(m)
			}
		}
		if row.Maintenance == "" {
			row.Maintenance = "aucune"
		}
		p.Packs = append(p.Packs, row)
	}
	return a.render(w, r, http.StatusOK, "packs", p)
}

// itemRow is an item of a pack's page.
type itemRow struct {
	ID       int64
	Position int
	Kind     string
	Label    string
	Serial   string
	Retired  string
}

type windowRow struct {
	ID     int64
	First  string
	Last   string
	Reason string
}

type kindOption struct {
	Value, Label string
	Selected     bool
}

// packPage is a pack's page: contents, holder, next loan, maintenance.
type packPage struct {
	Layout
	Pack        store.Pack
	Items       []itemRow
	Retired     []itemRow
	Holder      string
	Next        string
	Windows     []windowRow
	Incidents   []incidentRow
	Kinds       []kindOption
	CanEdit     bool
	CanMaintain bool
	// Staff see the holder, the next loan, maintenance and incidents.
	Staff bool
	// The add forms' values, kept when they come back with errors.
	NewLabel, NewSerial string
	First, Last, Reason string
}

// Msg returns a field's error message.
func (p *packPage) Msg(field string) string { return p.FieldMessage(field) }

func kindOptions(selected string) []kindOption {
	var out []kindOption
	for _, k := range []string{store.ItemTablet, store.ItemChargingCase, store.ItemAccessPoint, store.ItemAccessory} {
		out = append(out, kindOption{Value: k, Label: store.ItemKindLabel(k), Selected: k == selected})
	}
	return out
}

func (a *App) packOf(r *http.Request) (store.Pack, error) {
	id, err := deskID(r, "id")
	if err != nil {
		return store.Pack{}, err
	}
	return a.db.Pack(r.Context(), id)
}

func (a *App) packData(r *http.Request, pk store.Pack) (*packPage, error) {
	u, _ := currentUser(r.Context())
	p := &packPage{Layout: Layout{Title: "Pack " + pk.Code}, Pack: pk, Holder: whereabouts(u, pk), Kinds: kindOptions(store.ItemTablet),
		CanEdit: u.Can(store.ActPackWrite), CanMaintain: u.Can(store.ActMaintenanceWrite), Staff: u.Can(store.ActPackRead)}
	for _, it := range pk.Items {
		p.Items = append(p.Items, itemRow{ID: it.ID, Position: it.Position, Kind: store.ItemKindLabel(it.Kind), Label: it.Label, Serial: it.Serial})
	}
	for _, it := range pk.RetiredItems {
		row := itemRow{ID: it.ID, Kind: store.ItemKindLabel(it.Kind), Label: it.Label, Serial: it.Serial, Retired: it.RetiredReason}
		if it.RetiredAt != nil {
			row.Retired = "le " + frenchDate(it.RetiredAt.In(a.loc)) + "\u00a0: " + it.RetiredReason
		}
		p.Retired = append(p.Retired, row)
	}
	if !p.Staff {
		return p, nil
	}
	next, err := a.nextLoan(r, pk.ID)
	if err != nil {
		return nil, err
	}
	p.Next = loanSummary(next)
	windows, err := a.db.ListMaintenance(r.Context(), store.MaintenanceFilter{PackID: pk.ID})
	if err != nil {
		return nil, err
	}
	for _, m := range windows {
		p.Windows = append(p.Windows, windowRow{ID: m.ID, First: deskDay(m.FirstDay), Last: deskDay(m.LastDay), Reason: m.Reason})
	}
	incs, err := a.db.ListIncidents(r.Context(), store.IncidentFilter{PackIDs: []int64{pk.ID}, OpenOnly: true})
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, inc := range incs {
		p.Incidents = append(p.Incidents, a.incidentRowOf(inc, names))
	}
	return p, nil
}

func (a *App) packPage(w http.ResponseWriter, r *http.Request) error {
	pk, err := a.packOf(r)
	if err != nil {
		return err
	}
	p, err := a.packData(r, pk)
	if err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "pack", p)
}

// packFormError renders the pack's page again with the store's refusal
// next to field, status 422 (or the error page for other errors).
func (a *App) packFormError(r *http.Request, pk store.Pack, err error, field string, keep func(p *packPage)) error {
	re, ok := store.AsRule(err)
	if !ok || (re.Kind != store.RuleInvalid && re.Kind != store.RuleConflict) {
		return err
	}
	p, perr := a.packData(r, pk)
	if perr != nil {
		return perr
	}
	keep(p)
	p.Errors = ruleFieldErrors(re, field)
	return &invalidForm{Page: "pack", Data: p}
}

// ruleFieldErrors lists a refusal's messages, each at its field's input
// (prefix + the store's field name), or at def.
func ruleFieldErrors(re *store.RuleError, def string) []FieldError {
	if len(re.Fields) > 0 && len(re.FieldMessages) > 0 {
		var out []FieldError
		for _, f := range re.Fields {
			out = append(out, FieldError{Field: def + "-" + f, Message: sentence(re.FieldMessages[f])})
		}
		return out
	}
	field := def
	if re.Field != "" {
		field = def + "-" + re.Field
	}
	return []FieldError{{Field: field, Message: sentence(re.Message)}}
}

func itemInput(r *http.Request) store.PackItemInput {
	return store.PackItemInput{Kind: r.PostFormValue("type"), Label: r.PostFormValue("libelle"), Serial: r.PostFormValue("serie")}
}

func (a *App) packItemAdd(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	pk, err := a.packOf(r)
	if err != nil {
		return err
	}
	in := itemInput(r)
	if _, err := a.db.AddPackItem(r.Context(), store.Actor{UserID: u.ID}, pk.ID, in); err != nil {
		return a.packFormError(r, pk, err, "nouveau", func(p *packPage) {
			p.NewLabel, p.NewSerial, p.Kinds = in.Label, in.Serial, kindOptions(in.Kind)
		})
	}
	return a.redirect(w, r, fmt.Sprintf("/packs/%d", pk.ID), fmt.Sprintf("Élément «\u00a0%s\u00a0» ajouté au pack %s.", strings.TrimSpace(in.Label), pk.Code))
}

// itemPage is the page of one item: edit it or take it out of service.
type itemPage struct {
	Layout
	Pack   store.Pack
	Item   store.PackItem
	Kinds  []kindOption
	Reason string
}

// Msg returns a field's error message.
func (p *itemPage) Msg(field string) string { return p.FieldMessage(field) }

func (a *App) itemOf(r *http.Request) (store.Pack, store.PackItem, error) {
	pk, err := a.packOf(r)
	if err != nil {
		return pk, store.PackItem{}, err
	}
	id, err := deskID(r, "item")
	if err != nil {
		return pk, store.PackItem{}, err
	}
	for _, it := range pk.Items {
		if it.ID == id {
			return pk, it, nil
		}
	}
	return pk, store.PackItem{}, errNotFound
}

func (a *App) packItemForm(w http.ResponseWriter, r *http.Request) error {
	pk, it, err := a.itemOf(r)
	if err != nil {
		return err
	}
	p := &itemPage{Layout: Layout{Title: it.Label + " — pack " + pk.Code}, Pack: pk, Item: it, Kinds: kindOptions(it.Kind)}
	return a.render(w, r, http.StatusOK, "pack_item", p)
}

func (a *App) packItemUpdate(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	pk, it, err := a.itemOf(r)
	if err != nil {
		return err
	}
	in := itemInput(r)
	if _, err := a.db.UpdatePackItem(r.Context(), store.Actor{UserID: u.ID}, pk.ID, it.ID, in); err != nil {
		re, ok := store.AsRule(err)
		if !ok || (re.Kind != store.RuleInvalid && re.Kind != store.RuleConflict) {
			return err
		}
		it.Kind, it.Label, it.Serial = in.Kind, in.Label, in.Serial
		p := &itemPage{Layout: Layout{Title: it.Label + " — pack " + pk.Code, Errors: ruleFieldErrors(re, "element")}, Pack: pk, Item: it, Kinds: kindOptions(in.Kind)}
		return &invalidForm{Page: "pack_item", Data: p}
	}
	return a.redirect(w, r, fmt.Sprintf("/packs/%d", pk.ID), fmt.Sprintf("Élément «\u00a0%s\u00a0» du pack %s modifié.", strings.TrimSpace(in.Label), pk.Code))
}

func (a *App) packItemRetire(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	pk, it, err := a.itemOf(r)
	if err != nil {
		return err
	}
	reason := r.PostFormValue("motif")
	if _, err := a.db.RetirePackItem(r.Context(), store.Actor{UserID: u.ID}, pk.ID, it.ID, reason); err != nil {
		re, ok := store.AsRule(err)
		if !ok || (re.Kind != store.RuleInvalid && re.Kind != store.RuleConflict) {
			return err
		}
		p := &itemPage{Layout: Layout{Title: it.Label + " — pack " + pk.Code, Errors: []FieldError{{Field: "motif", Message: sentence(re.Message)}}},
			Pack: pk, Item: it, Kinds: kindOptions(it.Kind), Reason: reason}
		return &invalidForm{Page: "pack_item", Data: p}
	}
	return a.redirect(w, r, fmt.Sprintf("/packs/%d", pk.ID), fmt.Sprintf("Élément «\u00a0%s\u00a0» retiré du pack %s.", it.Label, pk.Code))
}

func (a *App) maintenanceAdd(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	pk, err := a.packOf(r)
	if err != nil {
		return err
	}
	first, last, reason := r.PostFormValue("debut"), r.PostFormValue("fin"), r.PostFormValue("motif")
	in := store.NewMaintenance{PackID: pk.ID, Reason: reason}
	// An unreadable date is left zero: the store names the missing day.
	in.FirstDay, _ = calendar.ParseDate(strings.TrimSpace(first))
	in.LastDay, _ = calendar.ParseDate(strings.TrimSpace(last))
	m, err := a.db.CreateMaintenance(r.Context(), store.Actor{UserID: u.ID}, in)
	if err != nil {
		return a.packFormError(r, pk, err, "maintenance", func(p *packPage) { p.First, p.Last, p.Reason = first, last, reason })
	}
	return a.redirect(w, r, fmt.Sprintf("/packs/%d", pk.ID), "Maintenance du pack "+pk.Code+" programmée "+maintenanceText(m)+".")
}

func (a *App) maintenanceRemove(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	pk, err := a.packOf(r)
	if err != nil {
		return err
	}
	id, err := deskID(r, "window")
	if err != nil {
		return err
	}
	m, err := a.db.DeleteMaintenance(r.Context(), store.Actor{UserID: u.ID}, pk.ID, id)
	if err != nil {
		return err
	}
	return a.redirect(w, r, fmt.Sprintf("/packs/%d", pk.ID), "Maintenance du pack "+pk.Code+" "+maintenanceText(m)+" supprimée.")
}

// --- Incidents ---------------------------------------------------------------

// incidentRow is an incident as the pages show it.
type incidentRow struct {
	ID       int64
	Pack     string
	PackID   int64
	Item     string
	What     string
	LoanID   int64
	Loan     string
	School   string
	Opened   string
	Note     string
	Resolved string
	Solution string
}

func (a *App) incidentRowOf(inc store.Incident, names map[int64]string) incidentRow {
	row := incidentRow{ID: inc.ID, Pack: inc.PackCode, PackID: inc.PackID, Item: inc.ItemLabel, What: inc.What(),
		LoanID: inc.LoanID, Loan: store.LoanLabel(inc.LoanID), Opened: frenchDate(inc.OpenedAt.In(a.loc)), Note: inc.Note,
		Solution: inc.Resolution}
	if inc.Serial != "" {
		row.Item += " (" + inc.Serial + ")"
	}
	if inc.ResolvedAt != nil {
		row.Resolved = frenchDate(inc.ResolvedAt.In(a.loc))
		if names != nil {
			if n, ok := names[inc.ResolvedBy]; ok {
				row.Resolved += ", " + n
			}
		}
	}
	return row
}

type incidentsPage struct {
	Layout
	Open       []incidentRow
	History    []incidentRow
	CanResolve bool
	// The resolution that came back with an error, by incident.
	ResolveID int64
	Comment   string
}

// Msg returns a field's error message.
func (p *incidentsPage) Msg(field string) string { return p.FieldMessage(field) }

func (a *App) incidentsData(r *http.Request) (*incidentsPage, error) {
	u, _ := currentUser(r.Context())
	all, err := a.db.ListIncidentsFor(r.Context(), u, store.IncidentFilter{})
	if err != nil {
		return nil, err
	}
	p := &incidentsPage{Layout: Layout{Title: "Incidents"}, CanResolve: u.Can(store.ActIncidentResolve)}
	names := map[int64]string{}
	schools := map[int64]string{}
	for _, inc := range all {
		if inc.ResolvedBy != 0 {
			names[inc.ResolvedBy] = a.userName(r, inc.ResolvedBy, names)
		}
		row := a.incidentRowOf(inc, names)
		if _, ok := schools[inc.LoanID]; !ok {
			if l, err := a.db.Loan(r.Context(), inc.LoanID); err == nil {
				schools[inc.LoanID] = l.SchoolName
			}
		}
		row.School = schools[inc.LoanID]
		if inc.Open() {
			p.Open = append(p.Open, row)
		} else {
			p.History = append(p.History, row)
		}
	}
	// Open incidents by pack, then loan; the history most recent first.
	slices.SortStableFunc(p.Open, func(x, y incidentRow) int {
		return cmp.Or(strings.Compare(x.Pack, y.Pack), cmp.Compare(x.LoanID, y.LoanID))
	})
	slices.Reverse(p.History)
	return p, nil
}

func (a *App) incidents(w http.ResponseWriter, r *http.Request) error {
	p, err := a.incidentsData(r)
	if err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "incidents", p)
}

func (a *App) incidentResolve(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	id, err := deskID(r, "id")
	if err != nil {
		return err
	}
	comment := r.PostFormValue("resolution")
	inc, err := a.db.ResolveIncident(r.Context(), store.Actor{UserID: u.ID}, id, comment)
	if err != nil {
		re, ok := store.AsRule(err)
		if !ok || re.Kind != store.RuleInvalid {
			return err
		}
		p, perr := a.incidentsData(r)
		if perr != nil {
			return perr
		}
		p.ResolveID, p.Comment = id, comment
		p.Errors = []FieldError{{Field: fmt.Sprintf("resolution-%d", id), Message: sentence(re.Message)}}
		return &invalidForm{Page: "incidents", Data: p}
	}
	return a.redirect(w, r, "/incidents", fmt.Sprintf("Incident n°\u00a0%d résolu (%s, pack %s).", inc.ID, inc.ItemLabel, inc.PackCode))
}
