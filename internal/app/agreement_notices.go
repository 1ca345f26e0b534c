package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/store"
)

// AgreementNotifier e-mails the parties of a loan agreement
// (store.AgreementParties) when someone signs it: that it waits for the
// other party's signature, or that it is complete. The pages and the JSON
// API call it alike, so a signature tells the same people whichever face
// it comes through.
type AgreementNotifier struct {
	db      *store.DB
	mailer  notify.Sender
	baseURL string
	logger  *slog.Logger
	now     func() time.Time
	wg      sync.WaitGroup
}

// NewAgreementNotifier returns the notifier of db's agreements; links
// start with baseURL. logger and now default to a discarding logger and
// time.Now.
func NewAgreementNotifier(db *store.DB, mailer notify.Sender, baseURL string, logger *slog.Logger, now func() time.Time) *AgreementNotifier {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &AgreementNotifier{db: db, mailer: mailer, baseURL: strings.TrimRight(baseURL, "/"), logger: logger, now: now}
}

// AgreementSigned tells the parties of l, just signed by by, in the
// background (Wait waits for it).
func (n *AgreementNotifier) AgreementSigned(l store.Loan, by store.User) {
	subject := fmt.Sprintf("Convention de prêt n° %d signée par %s", l.ID, by.Name)
	text := fmt.Sprintf("Bonjour,\n\n%s a signé la convention de prêt de la classe mobile du projet « %s » (%s).\n", by.Name, l.RequestTitle, l.SchoolName)
	if l.State == store.LoanSigned {
		subject = fmt.Sprintf("Convention de prêt n° %d signée par les deux parties", l.ID)
		text += "La convention est maintenant signée par la direction de l'école et par la DSI : le retrait pourra avoir lieu une fois la formation technique faite.\n"
	} else {
		text += "Elle attend encore la signature de l'autre partie.\n"
	}
	text += fmt.Sprintf("\nLa convention : %s\nLe prêt : %s\n", n.baseURL+loanPath(l.ID, "/convention"), n.baseURL+loanPath(l.ID, ""))
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		to, err := n.db.AgreementParties(ctx, l)
		if err != nil {
			n.logger.Error("Agreement signers not listed", "loan_id", l.ID, "error", err)
			return
		}
		for _, p := range to {
			msg := notify.Message{To: []notify.Address{{Name: p.Name, Email: p.Email}}, Subject: subject, Text: text,
				MessageID: fmt.Sprintf("convention-%d-v%d-u%d@classemobile", l.ID, l.Version, p.ID), Date: n.now()}
			if err := n.mailer.Send(ctx, msg); err != nil {
				n.logger.Error("Agreement notice not sent", "loan_id", l.ID, "user_id", p.ID, "error", err)
			}
		}
	}()
}

// Wait returns when the notices being sent are sent (or failed).
func (n *AgreementNotifier) Wait() { n.wg.Wait() }
