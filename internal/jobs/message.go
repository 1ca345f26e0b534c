package jobs

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/store"
)

// frenchDate renders a date the French way: "lundi 5 janvier 2026".
func frenchDate(d calendar.Date) string { return d.French(calendar.FrenchLong) }

// inDays renders a distance in days: "demain", "dans 3 jours", "aujourd'hui".
func inDays(n int) string {
	switch {
	case n == 0:
		return "aujourd'hui"
	case n == 1:
		return "demain"
	case n > 1:
		return fmt.Sprintf("dans %d jours", n)
	case n == -1:
		return "hier"
	default:
		return fmt.Sprintf("il y a %d jours", -n)
	}
}

// item is one reminder in a message, in French, with the page where the
// recipient acts on it.
type item struct {
	Title string
	Lines []string
	// Path is the page of the web application where the recipient acts
	// (see APP-URLS), relative to the base URL.
	Path string
	// Link is BaseURL + Path, set by compose.
	Link string
}

// packsPhrase names the loan's packs with the right articles: "le pack
// CM-01" or "les packs CM-01 et CM-02" (the), "du pack CM-01" or "des packs
// CM-01 et CM-02" (of the), and whether it is plural.
type packsPhrase struct {
	The, Of  string
	Plural   bool
	Feminine bool // "la classe mobile", when the packs are not known
}

func packsOf(codes []string) packsPhrase {
	switch len(codes) {
	case 0:
		return packsPhrase{The: "la classe mobile", Of: "de la classe mobile", Feminine: true}
	case 1:
		return packsPhrase{The: "le pack " + codes[0], Of: "du pack " + codes[0]}
	}
	list := strings.Join(codes[:len(codes)-1], ", ") + " et " + codes[len(codes)-1]
	return packsPhrase{The: "les packs " + list, Of: "des packs " + list, Plural: true}
}

// agree picks the participle's form: "rendu" + "e" (feminine) or "s"
// (plural).
func (p packsPhrase) agree(participle string) string {
	switch {
	case p.Plural:
		return participle + "s"
	case p.Feminine:
		return participle + "e"
	}
	return participle
}

// describe turns a reminder into a French paragraph.
func describe(rem store.Reminder, l store.ReminderLoan, today calendar.Date) item {
	packs := packsOf(l.Packs)
	loanPage := fmt.Sprintf("/prets/%d", l.ID)
	project := fmt.Sprintf("Projet « %s », %s (prêt n° %d)", l.Title, l.SchoolName, l.ID)
	switch rem.Kind {
	case store.ReminderTraining:
		return item{Title: "Formation technique pas encore suivie", Path: loanPage, Lines: []string{project,
			fmt.Sprintf("Le retrait %s est prévu le %s (%s).", packs.Of, frenchDate(l.PickupDay), inDays(l.PickupDay.DaysSince(today))),
			"La formation technique doit avoir été suivie au moment du retrait : merci de la planifier avec la DSI."}}
	case store.ReminderAgreement:
		who := "le directeur ou la directrice d'école et la DSI"
		switch {
		case l.DirectorSigned:
			who = "la DSI (le directeur ou la directrice d'école a signé)"
		case l.ITSigned:
			who = "le directeur ou la directrice d'école (la DSI a signé)"
		}
		return item{Title: "Convention de prêt à signer", Path: loanPage, Lines: []string{project,
			fmt.Sprintf("La convention de prêt doit être signée par %s avant le retrait prévu le %s.", who, frenchDate(l.PickupDay))}}
	case store.ReminderPickup:
		return item{Title: "Retrait de la classe mobile " + inDays(l.PickupDay.DaysSince(today)), Path: loanPage, Lines: []string{project,
			fmt.Sprintf("Retrait %s le %s.", packs.Of, frenchDate(l.PickupDay)),
			"À prévoir : la convention de prêt signée, un lieu de stockage sécurisé avec alimentation électrique pour la recharge.",
			"Une feuille d'inventaire vous sera remise et le matériel sera contrôlé élément par élément avec la DSI."}}
	case store.ReminderReturn:
		return item{Title: "Retour de la classe mobile " + inDays(l.ReturnDay.DaysSince(today)), Path: loanPage, Lines: []string{project,
			fmt.Sprintf("Retour %s prévu le %s.", packs.Of, frenchDate(l.ReturnDay)),
			"Merci de rassembler tout le matériel (tablettes, valise de recharge, borne) : l'inventaire sera contrôlé avec la DSI."}}
	case store.ReminderOverdue:
		return item{Title: "Retour en retard", Path: loanPage, Lines: []string{project,
			overdueLine(packs, l.ReturnDay, today),
			"Merci de prendre contact avec la DSI pour organiser le retour au plus vite."}}
	case store.ReminderAssessment:
		returned := l.ReturnedOn
		if returned.IsZero() {
			returned = l.ReturnDay
		}
		return item{Title: "Bilan de l'action à rédiger", Path: loanPage + "/bilan", Lines: []string{project,
			fmt.Sprintf("Le matériel a été rendu le %s.", frenchDate(returned)),
			"Merci de rédiger le bilan (retour d'usage humain et pédagogique), transmis à l'Inspection de l'Éducation nationale."}}
	case store.ReminderExtension:
		line := fmt.Sprintf("Une demande de prolongation faite le %s attend votre décision.", frenchDate(l.ExtensionRequestedOn))
		if !l.ExtensionReturnDay.IsZero() {
			line += fmt.Sprintf(" Nouvelle date de retour demandée : %s.", frenchDate(l.ExtensionReturnDay))
		}
		return item{Title: "Demande de prolongation en attente", Path: loanPage, Lines: []string{project, line}}
	}
	return item{Title: string(rem.Kind), Path: loanPage, Lines: []string{project}}
}

// overdueLine says the packs are late, with the verbs agreeing.
func overdueLine(packs packsPhrase, ret, today calendar.Date) string {
	if packs.Plural {
		return fmt.Sprintf("%s devaient être %s le %s (%s) et ne sont pas encore %s.", capitalize(packs.The),
			packs.agree("rendu"), frenchDate(ret), inDays(ret.DaysSince(today)), packs.agree("revenu"))
	}
	return fmt.Sprintf("%s devait être %s le %s (%s) et n'est pas encore %s.", capitalize(packs.The),
		packs.agree("rendu"), frenchDate(ret), inDays(ret.DaysSince(today)), packs.agree("revenu"))
}

// capitalize upper-cases the first letter of s (UTF-8 aware).
func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// greetingName is the person's name alone, for "Bonjour …,": without a
// role or service added in parentheses or after a dash or a comma
// ("Karim Benali (DSI)" → "Karim Benali").
func greetingName(name string) string {
	for _, sep := range []string{" (", " — ", " – ", " - ", ","} {
		if i := strings.Index(name, sep); i > 0 {
			name = name[:i]
		}
	}
	return strings.TrimSpace(name)
}

var htmlMessage = template.Must(template.New("message").Parse(`<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif; line-height: 1.4">
<p>Bonjour {{.Name}},</p>
<p>{{.Intro}}</p>
{{range .Items}}<h2 style="font-size: 1.1em">{{.Title}}</h2>
{{range .Lines}}<p>{{.}}</p>
{{end}}{{if .Link}}<p><a href="{{.Link}}">Ouvrir la page du prêt</a></p>
{{end}}{{end}}{{if .Contact}}<p>Une question ? Contact : {{.Contact}}</p>
{{end}}{{if .BaseURL}}<p>classemobile : <a href="{{.BaseURL}}">{{.BaseURL}}</a></p>
{{end}}<p style="color: #666">Message automatique de classemobile, envoyé une fois par nuit au plus. Merci de ne pas y répondre.</p>
</body></html>
`))

// ReminderIDsHeader lists the ledger ids of the reminders a message carries.
const ReminderIDsHeader = "X-Classemobile-Reminders"

// compose builds the one message a recipient gets tonight for all of
// their due reminders. The same reminder (loan and kind) due on several
// days, caught up in one night, is shown once; the heading counts what is
// shown, the ledger ids header lists every reminder the message settles.
func (r *Runner) compose(u store.User, rems []store.Reminder, loans map[int64]store.ReminderLoan, today calendar.Date) notify.Message {
	type key struct {
		loan int64
		kind store.ReminderKind
	}
	seen := map[key]bool{}
	items := make([]item, 0, len(rems))
	for _, rem := range rems {
		k := key{rem.LoanID, rem.Kind}
		if seen[k] {
			continue
		}
		seen[k] = true
		it := describe(rem, loans[rem.LoanID], today)
		if r.o.BaseURL != "" && it.Path != "" {
			it.Link = r.o.BaseURL + it.Path
		}
		items = append(items, it)
	}
	subject := "classemobile : " + items[0].Title
	if len(items) > 1 {
		subject = fmt.Sprintf("classemobile : %d rappels pour le %s", len(items), frenchDate(today))
	}
	intro := fmt.Sprintf("Voici le rappel de classemobile du %s.", frenchDate(today))
	if len(items) > 1 {
		intro = fmt.Sprintf("Voici les %d rappels de classemobile du %s.", len(items), frenchDate(today))
	}
	name := greetingName(u.Name)
	contact := r.contactLine()
	var text strings.Builder
	fmt.Fprintf(&text, "Bonjour %s,\n\n%s\n", name, intro)
	for _, it := range items {
		fmt.Fprintf(&text, "\n== %s ==\n", it.Title)
		for _, line := range it.Lines {
			fmt.Fprintf(&text, "%s\n", line)
		}
		if it.Link != "" {
			fmt.Fprintf(&text, "Page du prêt : %s\n", it.Link)
		}
	}
	if contact != "" {
		fmt.Fprintf(&text, "\nUne question ? Contact : %s\n", contact)
	}
	if r.o.BaseURL != "" {
		fmt.Fprintf(&text, "\nclassemobile : %s\n", r.o.BaseURL)
	}
	text.WriteString("\n-- \nMessage automatique de classemobile, envoyé une fois par nuit au plus. Merci de ne pas y répondre.\n")
	ids := make([]string, len(rems))
	for i, rem := range rems {
		ids[i] = strconv.FormatInt(rem.ID, 10)
	}
	var html bytes.Buffer
	_ = htmlMessage.Execute(&html, map[string]any{"Subject": subject, "Name": name, "Intro": intro, "Items": items,
		"BaseURL": r.o.BaseURL, "Contact": contact})
	return notify.Message{
		From:      r.from,
		To:        []notify.Address{{Name: u.Name, Email: u.Email}},
		Subject:   subject,
		Text:      text.String(),
		HTML:      html.String(),
		MessageID: r.MessageID(u.ID, today),
		Date:      r.clock.Now(),
		// The ledger ids carried, for support and for tests counting
		// deliveries.
		Headers: map[string]string{ReminderIDsHeader: strings.Join(ids, ",")},
	}
}

// contactLine names the person to write to: "Claire Martin
// <claire.martin@ville.fr>" from RunnerOptions.Contact.
func (r *Runner) contactLine() string {
	c := r.o.Contact
	switch {
	case c.Name != "" && c.Email != "":
		return c.Name + " <" + c.Email + ">"
	case c.Email != "":
		return c.Email
	}
	return c.Name
}

// Preview is a message a dry run would send.
type Preview struct {
	Reminders []store.Reminder
	Message   notify.Message
}

// DryRun computes what the run of today would send, without writing
// anything: the due reminders not yet sent, skipped or failed in the
// ledger, grouped into messages. Reminders too late are left out.
func (r *Runner) DryRun(ctx context.Context, today calendar.Date) ([]Preview, error) {
	due, err := r.Compute(ctx, today)
	if err != nil {
		return nil, err
	}
	type key struct {
		loan int64
		kind store.ReminderKind
		due  calendar.Date
		user int64
	}
	var loanIDs, userIDs []int64
	for _, d := range due {
		loanIDs = append(loanIDs, d.LoanID)
		userIDs = append(userIDs, d.RecipientID)
	}
	loanIDs = slices.Compact(slices.Sorted(slices.Values(loanIDs)))
	done := map[key]bool{}
	for start := 0; start < len(loanIDs); start += 500 {
		rows, err := r.o.DB.ListReminders(ctx, store.ReminderFilter{LoanIDs: loanIDs[start:min(start+500, len(loanIDs))], Limit: 1 << 30})
		if err != nil {
			return nil, err
		}
		for _, x := range rows {
			if x.Status != store.ReminderPending {
				done[key{x.LoanID, x.Kind, x.DueDate, x.RecipientID}] = true
			}
		}
	}
	loans, err := r.o.DB.ReminderLoansByID(ctx, loanIDs)
	if err != nil {
		return nil, err
	}
	users, err := r.o.DB.ActiveUsers(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	by := map[int64][]store.Reminder{}
	for _, d := range due {
		if d.Status == store.ReminderSkipped || done[key{d.LoanID, d.Kind, d.DueDate, d.RecipientID}] {
			continue
		}
		if _, ok := users[d.RecipientID]; !ok {
			continue
		}
		by[d.RecipientID] = append(by[d.RecipientID], d)
	}
	var out []Preview
	for _, uid := range slices.Sorted(maps.Keys(by)) {
		rems := by[uid]
		out = append(out, Preview{Reminders: rems, Message: r.compose(users[uid], rems, loans, today)})
	}
	return out, nil
}
