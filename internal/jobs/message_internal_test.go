package jobs

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestMessageFrench: articles agree with the packs (du, des, never « de
// le », « de les »), a reminder caught up on several days is shown once
// and the heading counts what is shown, the greeting is the name alone,
// and every message names the contact and links to the page of the loan.
func TestMessageFrench(t *testing.T) {
	t.Parallel()
	r, err := NewRunner(RunnerOptions{DB: storetest.NewSQLite(t), BaseURL: "https://classemobile.example.fr",
		Contact: notify.Address{Name: "Claire Martin", Email: "claire.martin@ville-epinay.fr"}})
	require.NoError(t, err)
	today := calendar.MustParseDate("2026-11-20")
	two := store.ReminderLoan{ID: 7, Title: "Podcasts", SchoolName: "École Jean Jaurès", Packs: []string{"CM-01", "CM-02"},
		PickupDay: calendar.MustParseDate("2026-09-07"), ReturnDay: calendar.MustParseDate("2026-11-13")}
	one := store.ReminderLoan{ID: 8, Title: "Film", SchoolName: "École Lacépède", Packs: []string{"CM-03"},
		PickupDay: calendar.MustParseDate("2026-11-23"), ReturnDay: calendar.MustParseDate("2027-01-15")}
	loans := map[int64]store.ReminderLoan{7: two, 8: one}
	u := store.User{ID: 3, Name: "Karim Benali (DSI)", Email: "dsi@example.fr"}
	rems := []store.Reminder{
		{ID: 1, LoanID: 7, Kind: store.ReminderOverdue, DueDate: calendar.MustParseDate("2026-11-16")},
		{ID: 2, LoanID: 8, Kind: store.ReminderTraining, DueDate: calendar.MustParseDate("2026-11-09")},
		{ID: 3, LoanID: 8, Kind: store.ReminderTraining, DueDate: calendar.MustParseDate("2026-11-16")},
		{ID: 4, LoanID: 8, Kind: store.ReminderPickup, DueDate: calendar.MustParseDate("2026-11-20")},
		{ID: 5, LoanID: 7, Kind: store.ReminderOverdue, DueDate: calendar.MustParseDate("2026-11-20")},
	}
	m := r.compose(u, rems, loans, today)
	for _, body := range []string{m.Text, m.HTML} {
		for _, wrong := range []string{"de le ", "de les ", "à le ", "à les ", "Karim Benali (DSI)"} {
			assert.NotContains(t, body, wrong)
		}
	}
	assert.Equal(t, "classemobile : 3 rappels pour le vendredi 20 novembre 2026", m.Subject, "three distinct reminders shown")
	assert.Contains(t, m.Text, "Bonjour Karim Benali,\n")
	assert.Contains(t, m.Text, "Voici les 3 rappels")
	assert.Equal(t, 1, strings.Count(m.Text, "== Formation technique pas encore suivie =="), "the same reminder once")
	assert.Equal(t, 1, strings.Count(m.Text, "== Retour en retard =="), "the same reminder once")
	assert.Contains(t, m.Text, "Les packs CM-01 et CM-02 devaient être rendus le vendredi 13 novembre 2026 (il y a 7 jours) et ne sont pas encore revenus.")
	assert.Contains(t, m.Text, "Le retrait du pack CM-03 est prévu le lundi 23 novembre 2026 (dans 3 jours).")
	assert.Contains(t, m.Text, "Retrait du pack CM-03 le lundi 23 novembre 2026.")
	assert.Contains(t, m.Text, "Page du prêt : https://classemobile.example.fr/prets/8")
	assert.Contains(t, m.HTML, `href="https://classemobile.example.fr/prets/7"`)
	assert.Contains(t, m.Text, "Contact : Claire Martin <claire.martin@ville-epinay.fr>")
	assert.Contains(t, m.HTML, "Claire Martin")
	assert.Equal(t, "1,2,3,4,5", m.Headers[ReminderIDsHeader], "the message settles every reminder")

	single := r.compose(u, rems[3:4], loans, today)
	assert.Equal(t, "classemobile : Retrait de la classe mobile dans 3 jours", single.Subject)
	assert.Contains(t, single.Text, "Voici le rappel")
}

func TestGreetingName(t *testing.T) {
	t.Parallel()
	for give, want := range map[string]string{"Karim Benali (DSI)": "Karim Benali", "Élodie Fontaine": "Élodie Fontaine",
		"Claire Martin, coordinatrice": "Claire Martin", "Jean-Pierre Roux — IEN": "Jean-Pierre Roux"} {
		assert.Equal(t, want, greetingName(give), give)
	}
}
