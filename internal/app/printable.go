package app

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// The printable loan pages (convention, inventory sheet) are parsed once
// when the package loads: a broken template stops the binary at startup,
// never a request. They are standalone documents (no layout), printed
// from the pages and from the JSON API's Bearer routes.
//
//go:embed printable/loan_common.html printable/convention.html printable/inventaire.html
var loanTemplateFS embed.FS

var loanTemplates = map[string]*template.Template{
	"convention": mustLoanTemplate("printable/convention.html"),
	"inventaire": mustLoanTemplate("printable/inventaire.html"),
}

func mustLoanTemplate(page string) *template.Template {
	funcs := template.FuncMap{"join": strings.Join}
	return template.Must(template.New("").Funcs(funcs).ParseFS(loanTemplateFS, "printable/loan_common.html", page)).
		Lookup(page[len("printable/"):])
}

// LoanPrinter renders the printable loan pages (agreement, inventory
// sheet) and the agreement's terms that people sign, for the pages and
// for the JSON API.
type LoanPrinter struct {
	db  *store.DB
	loc *time.Location
	now func() time.Time
}

// NewLoanPrinter returns the printer of the loans of db; dates are shown
// in loc (nil: Europe/Paris), the pages are stamped with now() (nil:
// time.Now).
func NewLoanPrinter(db *store.DB, loc *time.Location, now func() time.Time) (*LoanPrinter, error) {
	if loc == nil {
		var err error
		if loc, err = time.LoadLocation("Europe/Paris"); err != nil {
			return nil, err
		}
	}
	if now == nil {
		now = time.Now
	}
	return &LoanPrinter{db: db, loc: loc, now: now}, nil
}

// visibleLoan returns the loan named by the request's {id} path value if
// u may see it, else store.ErrNotFound.
func (s *LoanPrinter) visibleLoan(r *http.Request, u store.User) (store.LoanDetail, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.LoanDetail{}, store.ErrNotFound
	}
	return s.db.LoanFor(r.Context(), u, id)
}

// loanCommitments are the school's and the teacher's commitments printed in
// the convention (seed § 3.1 and § 3.6).
var loanCommitments = []string{
	"Faire un usage sécurisé du matériel et le ranger, en dehors des séances, dans un lieu sécurisé disposant d'une alimentation électrique pour la recharge.",
	"Avoir suivi la formation technique obligatoire avant le retrait du matériel.",
	"Accepter la présence éventuelle en classe des formateurs et des partenaires du projet.",
	"Communiquer auprès des parents et présenter, le cas échéant, le travail réalisé en fin d'action.",
	"Répondre au retour d'usage et rédiger le bilan pédagogique de l'action, transmis à l'Inspection de l'Éducation nationale.",
	"Participer au contrôle conjoint de la feuille d'inventaire au retrait et au retour ; signaler sans délai à la DSI toute perte, panne ou dégradation.",
	"Restituer le matériel complet à la date de retour prévue, sauf prolongation accordée.",
}

// loanResponsibilityColumns are the columns of the seed's responsibilities
// table (§ 3.7).
var loanResponsibilityColumns = []string{"Acquisition", "Installation et paramétrage", "Hébergement", "Maintenance", "Assistance"}

type responsibilityRow struct {
	Service string
	Cells   []string
}

type responsibilityGroup struct {
	Name string
	Rows []responsibilityRow
}

// same gives the same party in every column; noHosting leaves the hosting
// column empty, as the seed does for user devices and software.
func same(service, party string) responsibilityRow {
	return responsibilityRow{Service: service, Cells: []string{party, party, party, party, party}}
}

func noHosting(service, party string) responsibilityRow {
	return responsibilityRow{Service: service, Cells: []string{party, party, "", party, party}}
}

// loanResponsibilities is the table of § 3.7 of the seed: who acquires,
// installs, hosts, maintains and supports each part of the environment.
var loanResponsibilities = []responsibilityGroup{
	{"Infrastructure réseaux", []responsibilityRow{
		same("Plan d'adressage IP", "Commune"), same("Accès internet", "Commune"),
		same("Équipements actifs (switches niveaux 2 et 3)", "Commune"),
		same("Brassage des prises (intervention dans les baies)", "Commune"), same("Bornes Wi-Fi", "Commune"),
		same("Gestion DHCP", "Commune"), same("Gestion VLAN", "Commune"), same("Gestion DNS", "Commune"),
		same("Gestion VPN Educ", "Rectorat")}},
	{"Infrastructure téléphonie", []responsibilityRow{
		same("Abonnements, lignes", "Commune"), same("Autocom, téléphones, DECT", "Commune")}},
	{"Infrastructure systèmes", []responsibilityRow{
		same("Serveur de fichiers Edutice", "Commune"), same("Sauvegarde des données Edutice", "Commune"),
		same("Serveur d'impression (écoles fibrées)", "Commune"), same("Photocopieurs", "Commune")}},
	{"Supervision", []responsibilityRow{
		same("Supervision des actifs réseau", "Commune"), same("Supervision de la sécurité de l'école", "Commune")}},
	{"Sécurité", []responsibilityRow{
		same("Firewall", "Commune"), same("Antivirus serveurs", "Commune"), same("Antivirus des postes PEDAGO", "Commune"),
		same("Antivirus des postes ADMIN", "Commune"), same("Anti-spam messagerie élèves", "Commune"),
		same("Gestion du proxy EN", "Rectorat")}},
	{"Gestion des identités", []responsibilityRow{
		same("Annuaires des personnels EN : identifiants et mots de passe", "École"),
		same("Annuaires des élèves : identifiants et mots de passe", "École")}},
	{"Outils de communication et de collaboration", []responsibilityRow{
		same("Messagerie du personnel EN", "Rectorat"), same("Site de la circonscription", "Rectorat")}},
	{"Postes utilisateurs", []responsibilityRow{
		noHosting("Gestion de parc PC", "Commune"), noHosting("Gestion de parc tablettes", "Commune"),
		noHosting("Terminaux PEDAGO (PC, tablettes, portables…)", "Commune"),
		noHosting("Système d'exploitation et logiciels/outils de base", "Commune"),
		noHosting("Périphériques (clés USB, souris, clavier…)", "Commune")}},
	{"Ressources et logiciels", []responsibilityRow{
		noHosting("Ressources / logiciels pédagogiques en ligne", "École"),
		noHosting("Ressources / logiciels pédagogiques en local", "École")}},
	{"Audiovisuel", []responsibilityRow{noHosting("TBI, VPI, vidéoprojecteur", "Commune")}},
}

// loanPackSummary is a pack as the pages show it.
type loanPackSummary struct {
	Code, Label string
	Tablets     int
	Others      int
}

type loanSignatureView struct {
	Name, Date string
	// Role is the party signed for and Hash the SHA-256 of the text
	// signed, when the signature recorded them.
	Role, Hash string
}

// loanPageBase is what both printable pages show about the loan.
type loanPageBase struct {
	Loan          store.Loan
	StateLabel    string
	School        store.School
	Teacher       string
	Request       store.Request
	Packs         []loanPackSummary
	PickupDay     string
	ReturnDay     string
	BaseReturnDay string
	Generated     string
}

// conventionPage is the data of templates/convention.html.
type conventionPage struct {
	loanPageBase
	Commitments           []string
	ResponsibilityColumns []string
	Responsibilities      []responsibilityGroup
	DirectorSignature     *loanSignatureView
	ITSignature           *loanSignatureView
	// Signed is the agreement's terms as signed by both parties, stored
	// then: a signed agreement prints from it, so it never changes.
	Signed template.HTML
	// Amendments are the changes granted after the signature, once the
	// packs are picked up (an extension): listed below the signed text.
	Amendments []string
}

// inventoryRow is one item line of templates/inventaire.html.
type inventoryRow struct {
	PackCode, Label, Serial   string
	Position                  int
	PickupStatus, PickupClass string
	PickupCondition           string
	ReturnStatus, ReturnClass string
	ReturnNote                string
}

type sheetView struct {
	Date, SchoolPerson, ITName string
	AcceptedDifference         bool
	Comment, TechnicalReport   string
}

// inventoryPage is the data of templates/inventaire.html.
type inventoryPage struct {
	loanPageBase
	Rows   []inventoryRow
	Flags  []store.Incident
	Pickup *sheetView
	Return *sheetView
}

// loanDayLong formats a date with its weekday ("vendredi 9 octobre 2026").
func loanDayLong(d calendar.Date) string {
	return d.French(calendar.FrenchLong)
}

func (s *LoanPrinter) loanTime(t time.Time) string {
	return calendar.DateOf(t.In(s.loc)).French(calendar.FrenchDay) + " à " + t.In(s.loc).Format("15h04")
}

func (s *LoanPrinter) userName(r *http.Request, id int64) string {
	if id == 0 {
		return ""
	}
	u, err := s.db.User(r.Context(), id)
	if err != nil {
		return fmt.Sprintf("utilisateur n° %d", id)
	}
	return u.Name
}

func (s *LoanPrinter) loanPageBase(r *http.Request, d store.LoanDetail) (loanPageBase, error) {
	b := loanPageBase{Loan: d.Loan, StateLabel: store.LoanStateLabel(d.State), PickupDay: loanDayLong(d.PickupDay),
		ReturnDay: loanDayLong(d.ReturnDay), BaseReturnDay: loanDayLong(d.BaseReturnDay),
		Generated: s.loanTime(s.now())}
	var err error
	if b.School, err = s.db.School(r.Context(), d.SchoolUAI); err != nil {
		return b, err
	}
	if b.Request, err = s.db.Request(r.Context(), d.RequestID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return b, err
	}
	b.Teacher = s.userName(r, d.TeacherID)
	for _, lp := range d.Packs {
		p, err := s.db.Pack(r.Context(), lp.PackID)
		if err != nil {
			return b, err
		}
		sum := loanPackSummary{Code: p.Code, Label: p.Label}
		for _, it := range p.Items {
			if it.Kind == store.ItemTablet {
				sum.Tablets++
			} else {
				sum.Others++
			}
		}
		b.Packs = append(b.Packs, sum)
	}
	return b, nil
}

func (s *LoanPrinter) renderLoanPage(w http.ResponseWriter, name string, data any) error {
	var buf bytes.Buffer
	if err := loanTemplates[name].Execute(&buf, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// Printable pages need no script and no external resource.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	w.WriteHeader(http.StatusOK)
	_, _ = buf.WriteTo(w) // headers are sent: a write error cannot reach the client
	return nil
}

// conventionPage serves the printable loan agreement.
func (s *LoanPrinter) conventionPage(w http.ResponseWriter, r *http.Request, u store.User) error {
	d, err := s.visibleLoan(r, u)
	if err != nil {
		return err
	}
	base, err := s.loanPageBase(r, d)
	if err != nil {
		return err
	}
	p := conventionPage{loanPageBase: base, Commitments: loanCommitments,
		ResponsibilityColumns: loanResponsibilityColumns, Responsibilities: loanResponsibilities}
	if sig := d.DirectorSignature; sig != nil {
		p.DirectorSignature = &loanSignatureView{Name: s.userName(r, sig.UserID), Date: s.loanTime(sig.At)}
	}
	if sig := d.ITSignature; sig != nil {
		p.ITSignature = &loanSignatureView{Name: s.userName(r, sig.UserID), Date: s.loanTime(sig.At)}
	}
	sigs, err := s.db.AgreementSignatures(r.Context(), d.ID)
	if err != nil {
		return err
	}
	view := func(sig *store.AgreementSignature) *loanSignatureView {
		return &loanSignatureView{Name: sig.Name, Role: sig.Role, Date: s.loanTime(sig.SignedAt), Hash: sig.TextSHA256}
	}
	if dir, it := store.ActiveSignatures(sigs); dir != nil || it != nil {
		if dir != nil {
			p.DirectorSignature = view(dir)
		}
		if it != nil {
			p.ITSignature = view(it)
		}
	}
	if text, active, ok, err := s.db.SignedAgreement(r.Context(), d.ID); err != nil {
		return err
	} else if ok {
		// The stored text is this package's own rendering, escaped when
		// it was rendered and stored as is.
		p.Signed = template.HTML(text)
		signedAt := active[len(active)-1].SignedAt
		for _, e := range d.Extensions {
			if e.State == store.ExtensionGranted && e.DecidedAt != nil && e.DecidedAt.After(signedAt) {
				p.Amendments = append(p.Amendments, fmt.Sprintf("Prolongation de %d semaines accordée le %s : retour le %s.",
					e.Weeks, s.loanTime(*e.DecidedAt), loanDayLong(e.NewReturnDay)))
			}
		}
	}
	return s.renderLoanPage(w, "convention", p)
}

// agreementTerms renders the terms of a loan's agreement (every section
// but the signatures): the text a signer signs and the store keeps.
func (s *LoanPrinter) agreementTerms(r *http.Request, d store.LoanDetail) (string, error) {
	base, err := s.loanPageBase(r, d)
	if err != nil {
		return "", err
	}
	p := conventionPage{loanPageBase: base, Commitments: loanCommitments,
		ResponsibilityColumns: loanResponsibilityColumns, Responsibilities: loanResponsibilities}
	var buf bytes.Buffer
	if err := loanTemplates["convention"].ExecuteTemplate(&buf, "convention_terms", p); err != nil {
		return "", fmt.Errorf("render agreement terms: %w", err)
	}
	return buf.String(), nil
}

// AgreementText renders the terms of the agreement of the loan loanID as
// u may see it (another school's loan is not found): the HTML the pages
// show before signing and give to store.SignAgreementText.
func (s *LoanPrinter) AgreementText(r *http.Request, u store.User, loanID int64) (string, error) {
	d, err := s.db.LoanFor(r.Context(), u, loanID)
	if err != nil {
		return "", err
	}
	return s.agreementTerms(r, d)
}

var loanItemStatusLabels = map[string]string{
	store.ItemPresent:   "présent",
	store.ItemMissing:   "manquant",
	store.ItemDamaged:   "endommagé",
	store.ItemNotIssued: "non remis",
}

func itemClass(status string) string {
	if status == store.ItemPresent {
		return "ok"
	}
	return "ko"
}

// inventoryPage serves the printable inventory sheet
// (GET /loans/{id}/inventaire and /api/v1/loans/{id}/inventaire): blank
// boxes before the pickup, then the pickup and return checks.
func (s *LoanPrinter) inventoryPage(w http.ResponseWriter, r *http.Request, u store.User) error {
	d, err := s.visibleLoan(r, u)
	if err != nil {
		return err
	}
	base, err := s.loanPageBase(r, d)
	if err != nil {
		return err
	}
	items, err := s.db.LoanItems(r.Context(), d.ID)
	if err != nil {
		return err
	}
	lines := func(sh *store.Sheet) map[int64]store.SheetLine {
		m := map[int64]store.SheetLine{}
		if sh != nil {
			for _, ln := range sh.Lines {
				m[ln.ItemID] = ln
			}
		}
		return m
	}
	pick, ret := lines(d.PickupSheet), lines(d.ReturnSheet)
	p := inventoryPage{loanPageBase: base, Flags: d.PackFlags}
	for _, it := range items {
		row := inventoryRow{PackCode: it.PackCode, Position: it.Position, Label: it.Label, Serial: it.Serial}
		if ln, ok := pick[it.ID]; ok {
			row.PickupStatus, row.PickupClass = loanItemStatusLabels[ln.Status], itemClass(ln.Status)
			row.PickupCondition = strings.TrimSpace(ln.Condition + " " + ln.Note)
		}
		if ln, ok := ret[it.ID]; ok {
			row.ReturnStatus, row.ReturnClass = loanItemStatusLabels[ln.Status], itemClass(ln.Status)
			row.ReturnNote = strings.TrimSpace(ln.Condition + " " + ln.Note)
		}
		p.Rows = append(p.Rows, row)
	}
	view := func(sh *store.Sheet) *sheetView {
		if sh == nil {
			return nil
		}
		return &sheetView{Date: s.loanTime(sh.CreatedAt), SchoolPerson: sh.SchoolPerson, ITName: s.userName(r, sh.ITUserID),
			AcceptedDifference: sh.AcceptedDifference, Comment: sh.Comment, TechnicalReport: sh.TechnicalReport}
	}
	p.Pickup, p.Return = view(d.PickupSheet), view(d.ReturnSheet)
	return s.renderLoanPage(w, "inventaire", p)
}

// LoanPrintable renders the printable agreement ("convention") or
// inventory sheet ("inventaire") of the loan named by the request's {id}
// path value for u (another school's loan is not found). Errors are
// returned, not written, so the caller renders them its own way.
func (s *LoanPrinter) LoanPrintable(w http.ResponseWriter, r *http.Request, u store.User, kind string) error {
	switch kind {
	case "convention":
		return s.conventionPage(w, r, u)
	case "inventaire":
		return s.inventoryPage(w, r, u)
	}
	return store.ErrNotFound
}

// AgreementTerms renders the terms of loan d's agreement (every section
// but the signatures): the text a signer signs and the store keeps.
func (s *LoanPrinter) AgreementTerms(r *http.Request, d store.LoanDetail) (string, error) {
	return s.agreementTerms(r, d)
}
