package app

import (
	"net/http"
	"time"

	"github.com/classemobile/classemobile/internal/store"
)

// axeVersion is the axe-core version the end-to-end test injects
// (testdata/axe/package.json), quoted by the accessibility statement.
const axeVersion = "4.11.1"

// statementDate is the day the accessibility statement was last checked.
var statementDate = time.Date(2026, time.December, 5, 12, 0, 0, 0, time.UTC)

// axeTestedPages are the pages the end-to-end test checks with axe-core,
// with and without JavaScript (e2e_test.go asserts zero violations).
var axeTestedPages = []string{
	"Connexion", "Lien envoyé", "Se connecter", "À faire (enseignant·e, direction, référents, coordination)",
	"Nouvelle demande (avec et sans erreur)", "Vérification avant l'envoi", "Fiche projet",
	"Mon école", "Avis à donner", "Validation", "Accessibilité", "Mentions légales",
}

type statementPage struct {
	Layout
	AxeVersion string
	Tested     []string
	Contact    string
	Date       string
}

// contact is the e-mail address of the first coordinator, to whom people
// report problems.
func (a *App) contact(r *http.Request) string {
	us, err := a.db.ListUsers(r.Context(), store.RoleCoordinator, "")
	if err != nil || len(us) == 0 {
		return ""
	}
	return us[0].Email
}

func (a *App) accessibility(w http.ResponseWriter, r *http.Request) error {
	return a.render(w, r, http.StatusOK, "accessibilite", &statementPage{Layout: Layout{Title: "Accessibilité"},
		AxeVersion: axeVersion, Tested: axeTestedPages, Contact: a.contact(r), Date: frenchDate(statementDate)})
}

func (a *App) legal(w http.ResponseWriter, r *http.Request) error {
	return a.render(w, r, http.StatusOK, "mentions_legales", &statementPage{Layout: Layout{Title: "Mentions légales et données personnelles"},
		Contact: a.contact(r)})
}

// printable serves the printable agreement or inventory sheet of a loan
// with the session: the JSON API's server renders it, with the same
// visibility as its Bearer route.
func (a *App) printable(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if a.printer == nil {
			return errNotFound
		}
		u, _ := currentUser(r.Context())
		return a.printer.LoanPrintable(w, r, u, kind)
	}
}
