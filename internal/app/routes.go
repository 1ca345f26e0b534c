package app

import (
	"net/http"

	"github.com/classemobile/classemobile/internal/store"
)

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
	m.Handle("GET /demandes", a.signedIn(store.ActRequestRead, a.listRequests))
	m.Handle("GET /demandes/nouvelle", a.signedIn(store.ActRequestCreate, a.newRequestForm))
	m.Handle("POST /demandes/nouvelle", a.signedIn(store.ActRequestCreate, a.createRequest))
	m.Handle("GET /demandes/{id}", a.signedIn(store.ActRequestRead, a.showRequest))
	m.Handle("GET /demandes/{id}/modifier", a.signedIn(store.ActRequestUpdate, a.editRequestForm))
	m.Handle("POST /demandes/{id}/modifier", a.signedIn(store.ActRequestUpdate, a.updateRequest))
	m.Handle("GET /demandes/{id}/envoi", a.signedIn(store.ActRequestSubmit, a.recap))
	m.Handle("POST /demandes/{id}/envoi", a.signedIn(store.ActRequestSubmit, a.submitRequest))
	m.Handle("POST /demandes/{id}/autorisation", a.signedIn(store.ActRequestAuthorize, a.authorizeRequest))
	m.Handle("POST /demandes/{id}/refus", a.signedIn(store.ActRequestRefuse, a.refuseRequest))
	m.Handle("POST /demandes/{id}/avis", a.signedIn(store.ActRequestOpinion, a.opinionRequest))
	m.Handle("POST /demandes/{id}/decision", a.signedIn(store.ActRequestDecide, a.decideRequest))
	m.Handle("POST /demandes/{id}/packs", a.signedIn(store.ActRequestPacks, a.packsRequest))
	m.Handle("POST /demandes/{id}/retrait", a.signedIn(store.ActRequestWithdraw, a.withdrawRequest))
	m.Handle("GET /ecole", a.signedIn(store.ActRequestAuthorize, a.school))
	m.Handle("POST /ecole/autorisations", a.signedIn(store.ActRequestAuthorize, a.authoriseSeveral))
	m.Handle("GET /avis", a.signedIn(store.ActRequestOpinion, a.opinions))
	m.Handle("GET /validation", a.signedIn(store.ActRequestDecide, a.validation))
	m.Handle("GET /admin/personnes", a.signedIn(store.ActPeopleManage, a.listPeople))
	m.Handle("GET /admin/personnes/nouvelle", a.signedIn(store.ActPeopleManage, a.invitePersonForm))
	m.Handle("POST /admin/personnes/nouvelle", a.signedIn(store.ActPeopleManage, a.invitePerson))
	m.Handle("GET /admin/personnes/import", a.signedIn(store.ActPeopleManage, a.importForm))
	m.Handle("POST /admin/personnes/import", a.signedIn(store.ActPeopleManage, a.importPreview))
	m.Handle("POST /admin/personnes/import/application", a.signedIn(store.ActPeopleManage, a.importApply))
	m.Handle("GET /admin/personnes/{id}", a.signedIn(store.ActPeopleManage, a.editPersonForm))
	m.Handle("POST /admin/personnes/{id}", a.signedIn(store.ActPeopleManage, a.changePerson))
	m.Handle("GET /admin/personnes/{id}/desactivation", a.signedIn(store.ActPeopleManage, a.disablePersonForm))
	m.Handle("POST /admin/personnes/{id}/desactivation", a.signedIn(store.ActPeopleManage, a.disablePerson))
	m.Handle("POST /admin/personnes/{id}/lien", a.signedIn(store.ActPeopleManage, a.sendLinkToPerson))
	a.routesViews()
	m.Handle("GET /prets/{id}/convention", a.signedIn("", a.printable("convention")))
	m.Handle("GET /prets/{id}/inventaire", a.signedIn("", a.printable("inventaire")))

	a.routesDesk()
	a.routesLoans()
	a.routesRounds()

	// Anything else is a 404, after sign-in: a link to a page that does not
	// exist yet (an e-mail of a later version) still lands somewhere.
	m.Handle("/", a.signedIn("", func(w http.ResponseWriter, r *http.Request) error { return errNotFound }))
}
