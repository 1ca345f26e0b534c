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
	"time"

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

// item is one reminder in a message, in French.
type item struct {
	Title string
	Lines []string
}

// describe turns a reminder into a French paragraph.
func describe(rem store.Reminder, l store.ReminderLoan, today calendar.Date) item {
	packs := "le pack"
	if len(l.Packs) == 1 {
		packs = "le pack " + l.Packs[0]
	} else if len(l.Packs) > 1 {
		packs = "les packs " + strings.Join(l.Packs, ", ")
	}
	project := fmt.Sprintf("Projet « %s », %s (prêt n° %d)", l.Title, l.SchoolName, l.ID)
	switch rem.Kind {
	case store.ReminderTraining:
		return item{Title: "Formation technique pas encore suivie", Lines: []string{project,
			fmt.Sprintf("Le retrait de %s est prévu le %s (%s).", packs, frenchDate(l.PickupDay), inDays(l.PickupDay.DaysSince(today))),
			"La formation technique doit avoir été suivie au moment du retrait : merci de la planifier avec la DSI."}}
	case store.ReminderAgreement:
		who := "le directeur ou la directrice d'école et la DSI"
		switch {
		case l.DirectorSigned:
			who = "la DSI (le directeur ou la directrice d'école a signé)"
		case l.ITSigned:
			who = "le directeur ou la directrice d'école (la DSI a signé)"
		}
		return item{Title: "Convention de prêt à signer", Lines: []string{project,
			fmt.Sprintf("La convention de prêt doit être signée par %s avant le retrait prévu le %s.", who, frenchDate(l.PickupDay))}}
	case store.ReminderPickup:
		return item{Title: "Retrait de la classe mobile " + inDays(l.PickupDay.DaysSince(today)), Lines: []string{project,
			fmt.Sprintf("Retrait de %s le %s.", packs, frenchDate(l.PickupDay)),
			"À prévoir : la convention de prêt signée, un lieu de stockage sécurisé avec alimentation électrique pour la recharge.",
			"Une feuille d'inventaire vous sera remise et le matériel sera contrôlé élément par élément avec la DSI."}}
	case store.ReminderReturn:
		return item{Title: "Retour de la classe mobile " + inDays(l.ReturnDay.DaysSince(today)), Lines: []string{project,
			fmt.Sprintf("Retour de %s prévu le %s.", packs, frenchDate(l.ReturnDay)),
			"Merci de rassembler tout le matériel (tablettes, valise de recharge, borne) : l'inventaire sera contrôlé avec la DSI."}}
	case store.ReminderOverdue:
		return item{Title: "Retour en retard", Lines: []string{project,
			fmt.Sprintf("%s devait être rendu le %s (%s) et n'est pas encore revenu.", capitalize(packs), frenchDate(l.ReturnDay), inDays(l.ReturnDay.DaysSince(today))),
			"Merci de prendre contact avec la DSI pour organiser le retour au plus vite."}}
	case store.ReminderAssessment:
		returned := l.ReturnedOn
		if returned.IsZero() {
			returned = l.ReturnDay
		}
		return item{Title: "Bilan de l'action à rédiger", Lines: []string{project,
			fmt.Sprintf("Le matériel a été rendu le %s.", frenchDate(returned)),
			"Merci de rédiger le bilan (retour d'usage humain et pédagogique), transmis à l'Inspection de l'Éducation nationale."}}
	case store.ReminderExtension:
		line := fmt.Sprintf("Une demande de prolongation faite le %s attend votre décision.", frenchDate(l.ExtensionRequestedOn))
		if !l.ExtensionReturnDay.IsZero() {
			line += fmt.Sprintf(" Nouvelle date de retour demandée : %s.", frenchDate(l.ExtensionReturnDay))
		}
		return item{Title: "Demande de prolongation en attente", Lines: []string{project, line}}
	}
	return item{Title: string(rem.Kind), Lines: []string{project}}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var htmlMessage = template.Must(template.New("message").Parse(`<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif; line-height: 1.4">
<p>Bonjour {{.Name}},</p>
<p>{{.Intro}}</p>
{{range .Items}}<h2 style="font-size: 1.1em">{{.Title}}</h2>
{{range .Lines}}<p>{{.}}</p>
{{end}}{{end}}{{if .BaseURL}}<p><a href="{{.BaseURL}}">{{.BaseURL}}</a></p>
{{end}}<p style="color: #666">Message automatique de classemobile, envoyé une fois par nuit au plus. Merci de ne pas y répondre.</p>
</body></html>
`))

// ReminderIDsHeader lists the ledger ids of the reminders a message carries.
const ReminderIDsHeader = "X-Classemobile-Reminders"

// compose builds the one message a recipient gets tonight for all of
// their due reminders.
func (r *Runner) compose(u store.User, rems []store.Reminder, loans map[int64]store.ReminderLoan, today calendar.Date) notify.Message {
	items := make([]item, 0, len(rems))
	for _, rem := range rems {
		items = append(items, describe(rem, loans[rem.LoanID], today))
	}
	subject := "classemobile : " + items[0].Title
	if len(items) > 1 {
		subject = fmt.Sprintf("classemobile : %d rappels pour le %s", len(items), frenchDate(today))
	}
	intro := fmt.Sprintf("Voici le rappel de classemobile du %s.", frenchDate(today))
	if len(items) > 1 {
		intro = fmt.Sprintf("Voici les %d rappels de classemobile du %s.", len(items), frenchDate(today))
	}
	var text strings.Builder
	fmt.Fprintf(&text, "Bonjour %s,\n\n%s\n", u.Name, intro)
	for _, it := range items {
		fmt.Fprintf(&text, "\n== %s ==\n", it.Title)
		for _, line := range it.Lines {
			fmt.Fprintf(&text, "%s\n", line)
		}
	}
	if r.o.BaseURL != "" {
		fmt.Fprintf(&text, "\n%s\n", r.o.BaseURL)
	}
	text.WriteString("\n-- \nMessage automatique de classemobile, envoyé une fois par nuit au plus. Merci de ne pas y répondre.\n")
	ids := make([]string, len(rems))
	for i, rem := range rems {
		ids[i] = strconv.FormatInt(rem.ID, 10)
	}
	var html bytes.Buffer
	_ = htmlMessage.Execute(&html, map[string]any{"Subject": subject, "Name": u.Name, "Intro": intro, "Items": items, "BaseURL": r.o.BaseURL})
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

// parisToday returns the Europe/Paris date at t in loc.
func parisToday(t time.Time, loc *time.Location) calendar.Date {
	if loc == nil {
		return calendar.ParisDate(t)
	}
	return calendar.DateOf(t.In(loc))
}
