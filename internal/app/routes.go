package app

import "net/http"

// routes registers every page. Paths are French and agreed with the
// e-mails that link to them (see the README's list).
func (a *App) routes() {
	m := a.mux
	m.Handle("GET /static/", staticHandler())

	// Signing in and out.
	m.Handle("GET /connexion", a.handle(a.signInForm))
	m.Handle("POST /connexion", a.handle(a.signInSend))
	m.Handle("GET /connexion/envoye", a.handle(a.signInSent))
	m.Handle("GET /connexion/lien", a.handle(a.signInLink))
	m.Handle("POST /connexion/lien", a.handle(a.signInConsume))
	m.Handle("POST /deconnexion", a.handle(a.signOut))

	// Statements, open to everyone.
	m.Handle("GET /accessibilite", a.handle(a.accessibility))
	m.Handle("GET /mentions-legales", a.handle(a.legal))

	// Pages for signed-in people.
	m.Handle("GET /{$}", a.signedIn("", a.home))
	m.Handle("GET /prets/{id}/convention", a.signedIn("", a.printable("convention")))
	m.Handle("GET /prets/{id}/inventaire", a.signedIn("", a.printable("inventaire")))

	// Anything else is a 404, after sign-in: a link to a page that does not
	// exist yet (an e-mail of a later version) still lands somewhere.
	m.Handle("/", a.signedIn("", func(w http.ResponseWriter, r *http.Request) error { return errNotFound }))
}
