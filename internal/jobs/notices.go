package jobs

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"strings"

	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/store"
)

var htmlNotice = template.Must(template.New("notice").Parse(`<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif; line-height: 1.4">
<p>Bonjour {{.Name}},</p>
<p>{{.Intro}}</p>
<ul>{{range .Items}}<li>{{.Text}}{{if .Link}} <a href="{{.Link}}">Ouvrir la page du prêt</a>{{end}}</li>
{{end}}</ul>
{{if .Contact}}<p>Une question ? Contact : {{.Contact}}</p>
{{end}}{{if .BaseURL}}<p>classemobile : <a href="{{.BaseURL}}">{{.BaseURL}}</a></p>
{{end}}<p style="color: #666">Message automatique de classemobile. Merci de ne pas y répondre.</p>
</body></html>
`))

type noticeLine struct {
	Text, Link string
}

// composeNotice builds the e-mail of one person's notice of a round.
func (r *Runner) composeNotice(n store.Notice) notify.Message {
	subject := fmt.Sprintf("classemobile : calendrier des prêts publié (tour n° %d)", n.RoundID)
	intro := "La coordination a publié le calendrier des prêts de classes mobiles. Ce qui change pour vous :"
	name := greetingName(n.UserName)
	contact := r.contactLine()
	lines := make([]noticeLine, len(n.Items))
	var text strings.Builder
	fmt.Fprintf(&text, "Bonjour %s,\n\n%s\n\n", name, intro)
	for i, it := range n.Items {
		lines[i].Text = it.Text
		if r.o.BaseURL != "" && it.LoanID != 0 && it.Kind != store.NoticeCancelled {
			lines[i].Link = fmt.Sprintf("%s/prets/%d", r.o.BaseURL, it.LoanID)
		}
		fmt.Fprintf(&text, "- %s\n", it.Text)
		if lines[i].Link != "" {
			fmt.Fprintf(&text, "  Page du prêt : %s\n", lines[i].Link)
		}
	}
	if contact != "" {
		fmt.Fprintf(&text, "\nUne question ? Contact : %s\n", contact)
	}
	if r.o.BaseURL != "" {
		fmt.Fprintf(&text, "\nclassemobile : %s\n", r.o.BaseURL)
	}
	text.WriteString("\n-- \nMessage automatique de classemobile. Merci de ne pas y répondre.\n")
	var html bytes.Buffer
	_ = htmlNotice.Execute(&html, map[string]any{"Subject": subject, "Name": name, "Intro": intro, "Items": lines,
		"Contact": contact, "BaseURL": r.o.BaseURL})
	return notify.Message{
		From: r.from, To: []notify.Address{{Name: n.UserName, Email: n.Email}},
		Subject: subject, Text: text.String(), HTML: html.String(),
		MessageID: fmt.Sprintf("tour-%d-u%d@%s", n.RoundID, n.UserID, r.domain),
		Date:      r.clock.Now(),
	}
}

// SendNotices sends the notices of published rounds not sent yet, once
// each, and returns how many went out. A notice whose sending fails stays
// unsent for the next run.
func (r *Runner) SendNotices(ctx context.Context) (int, error) {
	ns, err := r.o.DB.ListNotices(ctx, store.NoticeFilter{Unsent: true})
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, n := range ns {
		if len(n.Items) == 0 {
			continue
		}
		msg := r.composeNotice(n)
		if err := r.o.Sender.Send(ctx, msg); err != nil {
			if ctx.Err() != nil {
				return sent, ctx.Err()
			}
			r.logger.WarnContext(ctx, "Round notice delivery failed", "notice_id", n.ID, "round_id", n.RoundID, "error", err)
			continue
		}
		ok, err := r.o.DB.MarkNoticeSent(context.WithoutCancel(ctx), n.ID, msg.MessageID)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}
