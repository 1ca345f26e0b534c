package jobs

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/store"
)

// DigestIDHeader carries the ledger id of a task digest.
const DigestIDHeader = "X-Classemobile-Digest"

// decidedLookback is how far back decisions are announced: a decision
// older than that when the job first sees it is not worth an e-mail.
const decidedLookback = 14 * 24 * time.Hour

// SendTaskDigests tells each person, in at most one e-mail a day, the
// requests that reached them since the last digest: to authorise
// (directors), to give an opinion on (referents), to decide (the
// coordinator), decided (the teacher and the director, with the reason).
// The store computes the tasks and keeps the ledger, so a task is
// announced once.
func (r *Runner) SendTaskDigests(ctx context.Context, today calendar.Date, rep *Report) error {
	now := r.clock.Now()
	tasks, err := r.o.DB.DigestTasks(ctx, store.DigestTaskFilter{DecidedSince: now.Add(-decidedLookback)})
	if err != nil {
		return err
	}
	digests, err := r.o.DB.ClaimTaskDigests(ctx, r.o.Owner, today, now, now.Add(r.o.Lease), tasks)
	if err != nil {
		return err
	}
	if len(digests) == 0 {
		return nil
	}
	ids := make([]int64, len(digests))
	for i, d := range digests {
		ids[i] = d.RecipientID
	}
	users, err := r.o.DB.ActiveUsers(ctx, ids)
	if err != nil {
		return err
	}
	contact, err := r.contact(ctx)
	if err != nil {
		return err
	}
	for _, d := range digests {
		u, ok := users[d.RecipientID]
		if !ok {
			continue // disabled since: the lease expires and nothing goes out
		}
		msg := r.composeDigest(u, d, contact, today)
		sendErr := r.o.Sender.Send(ctx, msg)
		at := r.clock.Now()
		if sendErr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed, err := r.o.DB.MarkTaskDigestFailed(ctx, r.o.Owner, d.ID, sendErr.Error(), at, at.Add(r.o.Backoff<<min(d.Attempts, 20)), r.o.MaxAttempts)
			if err != nil {
				return err
			}
			rep.DigestFailedAttempts++
			if failed {
				rep.DigestsFailed++
			}
			r.logger.WarnContext(ctx, "DigestTask digest delivery failed", "recipient_id", u.ID, "digest_id", d.ID, "error", sendErr)
			continue
		}
		markCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		ok, err = r.o.DB.MarkTaskDigestSent(markCtx, r.o.Owner, d.ID, msg.MessageID, at)
		cancel()
		if err != nil {
			return err
		}
		if ok {
			rep.Digests++
			rep.DigestTasks += len(d.Tasks)
		}
	}
	return nil
}

// contact returns the person people may write to: the configured contact,
// else the first active coordinator.
func (r *Runner) contact(ctx context.Context) (notify.Address, error) {
	if r.o.Contact.Email != "" || r.o.Contact.Name != "" {
		return r.o.Contact, nil
	}
	coords, err := r.o.DB.ListUsers(ctx, store.RoleCoordinator, "")
	if err != nil || len(coords) == 0 {
		return notify.Address{}, err
	}
	return notify.Address{Name: coords[0].Name, Email: coords[0].Email}, nil
}

// digestSection is the tasks of one kind in a digest.
type digestSection struct {
	Title string
	Items []digestItem
	// ListURL is the page listing them all, when there is one.
	ListURL  string
	ListText string
}

type digestItem struct {
	Title string
	Lines []string
	URL   string
}

// count renders "1 demande", "3 demandes".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// TaskPath is the page of the web application where a person acts on (or
// reads) a task: the request's page.
func TaskPath(t store.DigestTask) string { return fmt.Sprintf("/demandes/%d", t.RequestID) }

// taskListPath is the page listing a role's tasks of a kind.
func taskListPath(k store.DigestTaskKind) string {
	switch k {
	case store.DigestAuthorise:
		return "/ecole"
	case store.DigestOpinion:
		return "/avis"
	case store.DigestDecide:
		return "/validation"
	}
	return "/"
}

var opinionOf = map[store.Role]string{
	store.RoleInspection: "l'avis pédagogique de l'Inspection",
	store.RoleIT:         "l'avis technique de la DSI",
	store.RoleEducation:  "l'avis du service de l'Éducation",
}

// sections groups a digest's tasks by kind, in the order of the journey,
// each heading counting exactly the items it shows.
func (r *Runner) sections(d store.TaskDigest) []digestSection {
	by := map[store.DigestTaskKind][]store.DigestTask{}
	for _, t := range d.Tasks {
		by[t.Kind] = append(by[t.Kind], t)
	}
	var out []digestSection
	for _, k := range store.DigestTaskKinds {
		ts := by[k]
		if len(ts) == 0 {
			continue
		}
		var s digestSection
		switch k {
		case store.DigestAuthorise:
			s.Title = count(len(ts), "demande à autoriser", "demandes à autoriser")
			s.ListText = "Toutes les demandes de votre école, à autoriser une par une ou ensemble :"
		case store.DigestOpinion:
			s.Title = count(len(ts), "demande attend votre avis", "demandes attendent votre avis")
			s.ListText = "Toutes les demandes qui attendent votre avis :"
		case store.DigestDecide:
			s.Title = count(len(ts), "demande à valider ou refuser", "demandes à valider ou refuser")
			s.ListText = "Toutes les demandes qui attendent une décision :"
		case store.DigestDecided:
			validated := 0
			for _, t := range ts {
				if t.State == store.RequestValidated {
					validated++
				}
			}
			switch {
			case validated == len(ts):
				s.Title = count(len(ts), "demande validée", "demandes validées")
			case validated == 0:
				s.Title = count(len(ts), "demande refusée", "demandes refusées")
			default:
				s.Title = count(len(ts), "décision sur une demande", "décisions sur des demandes")
			}
		}
		if k != store.DigestDecided && !(k == store.DigestAuthorise && ts[0].Role != store.RoleDirector) {
			s.ListURL = r.o.BaseURL + taskListPath(k)
		}
		for _, t := range ts {
			s.Items = append(s.Items, r.describeTask(t))
		}
		out = append(out, s)
	}
	return out
}

func (r *Runner) describeTask(t store.DigestTask) digestItem {
	it := digestItem{Title: fmt.Sprintf("« %s » (demande n° %d)", t.Title, t.RequestID), URL: r.o.BaseURL + TaskPath(t)}
	who := fmt.Sprintf("%s, %s, année %s.", t.TeacherName, t.SchoolName, t.SchoolYear)
	submitted := frenchDate(calendar.ParisDate(t.SubmittedAt))
	switch t.Kind {
	case store.DigestAuthorise:
		line := fmt.Sprintf("Déposée le %s : elle attend votre autorisation avant l'examen par les référents.", submitted)
		if t.Role == store.RoleCoordinator {
			line = fmt.Sprintf("Déposée le %s par un directeur ou une directrice pour sa propre classe : elle attend votre autorisation avant l'examen par les référents.", submitted)
		}
		it.Lines = []string{who, line}
	case store.DigestOpinion:
		it.Lines = []string{who, fmt.Sprintf("Autorisée par la direction de l'école ; elle attend %s.", opinionOf[t.Role])}
	case store.DigestDecide:
		it.Lines = []string{who, "Les trois avis (Inspection, DSI, service de l'Éducation) sont donnés : elle attend votre décision."}
	case store.DigestDecided:
		verdict := "validée"
		if t.State == store.RequestRejected {
			verdict = "refusée"
		}
		line := "Demande " + verdict
		if t.DecidedAt != nil {
			line += " le " + frenchDate(calendar.ParisDate(*t.DecidedAt))
		}
		it.Lines = []string{who, line + "."}
		if reason := strings.TrimSpace(t.DecisionReason); reason != "" {
			it.Lines = append(it.Lines, "Motif : "+reason)
		}
		if t.State == store.RequestValidated {
			it.Lines = append(it.Lines, "La période et les dates du prêt seront fixées lors de la répartition des classes mobiles.")
		}
	}
	return it
}

var htmlDigest = template.Must(template.New("digest").Parse(`<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif; line-height: 1.4">
<p>Bonjour {{.Name}},</p>
<p>{{.Intro}}</p>
{{range .Sections}}<h2 style="font-size: 1.1em">{{.Title}}</h2>
{{range .Items}}<p><strong>{{.Title}}</strong><br>
{{range .Lines}}{{.}}<br>
{{end}}<a href="{{.URL}}">Ouvrir la demande</a></p>
{{end}}{{if .ListURL}}<p>{{.ListText}} <a href="{{.ListURL}}">{{.ListURL}}</a></p>
{{end}}{{end}}<p>Chaque lien ouvre la page après connexion si besoin.</p>
{{if .Contact.Email}}<p>Une question ? {{.Contact.Name}}, <a href="mailto:{{.Contact.Email}}">{{.Contact.Email}}</a></p>
{{end}}<p style="color: #666">Message automatique de classemobile, envoyé une fois par jour au plus. Merci de ne pas y répondre.</p>
</body></html>
`))

// composeDigest builds the one digest e-mail of a person for today.
func (r *Runner) composeDigest(u store.User, d store.TaskDigest, contact notify.Address, today calendar.Date) notify.Message {
	sections := r.sections(d)
	subject := "classemobile : " + sections[0].Title
	if len(sections) > 1 {
		subject = "classemobile : " + count(len(d.Tasks), "demande", "demandes") + " pour vous"
	}
	intro := "Une demande de classe mobile est arrivée jusqu'à vous dans classemobile."
	if len(d.Tasks) > 1 {
		intro = fmt.Sprintf("%d demandes de classe mobile sont arrivées jusqu'à vous dans classemobile.", len(d.Tasks))
	}
	var text strings.Builder
	fmt.Fprintf(&text, "Bonjour %s,\n\n%s\n", u.Name, intro)
	for _, s := range sections {
		fmt.Fprintf(&text, "\n== %s ==\n", s.Title)
		for _, it := range s.Items {
			fmt.Fprintf(&text, "\n%s\n", it.Title)
			for _, l := range it.Lines {
				fmt.Fprintf(&text, "%s\n", l)
			}
			fmt.Fprintf(&text, "Ouvrir la demande : %s\n", it.URL)
		}
		if s.ListURL != "" {
			fmt.Fprintf(&text, "\n%s %s\n", s.ListText, s.ListURL)
		}
	}
	text.WriteString("\nChaque lien ouvre la page après connexion si besoin.\n")
	if contact.Email != "" {
		fmt.Fprintf(&text, "Une question ? %s, %s\n", contact.Name, contact.Email)
	}
	text.WriteString("\n-- \nMessage automatique de classemobile, envoyé une fois par jour au plus. Merci de ne pas y répondre.\n")
	var html bytes.Buffer
	_ = htmlDigest.Execute(&html, map[string]any{"Subject": subject, "Name": u.Name, "Intro": intro,
		"Sections": sections, "Contact": contact})
	return notify.Message{
		From:      r.from,
		To:        []notify.Address{{Name: u.Name, Email: u.Email}},
		Subject:   subject,
		Text:      text.String(),
		HTML:      html.String(),
		MessageID: fmt.Sprintf("taches-%s-u%d@%s", today, u.ID, r.domain),
		Date:      r.clock.Now(),
		Headers:   map[string]string{DigestIDHeader: fmt.Sprint(d.ID)},
	}
}

// DryRunTaskDigests returns the task digests a run of today would send,
// without writing anything.
func (r *Runner) DryRunTaskDigests(ctx context.Context, today calendar.Date) ([]notify.Message, error) {
	tasks, err := r.o.DB.DigestTasks(ctx, store.DigestTaskFilter{DecidedSince: r.clock.Now().Add(-decidedLookback)})
	if err != nil {
		return nil, err
	}
	by, err := r.o.DB.TasksToAnnounce(ctx, today, tasks)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(by))
	for id := range by {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	users, err := r.o.DB.ActiveUsers(ctx, ids)
	if err != nil {
		return nil, err
	}
	contact, err := r.contact(ctx)
	if err != nil {
		return nil, err
	}
	var out []notify.Message
	for _, id := range ids {
		u, ok := users[id]
		if !ok {
			continue
		}
		out = append(out, r.composeDigest(u, store.TaskDigest{RecipientID: id, Day: today, Tasks: by[id]}, contact, today))
	}
	return out, nil
}
