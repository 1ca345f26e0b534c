package app

import "github.com/classemobile/classemobile/internal/store"

// routesViews registers the shared views (the packs' planning, the
// synthèse) and the administration beside the people pages.
func (a *App) routesViews() {
	m := a.mux
	m.Handle("GET /planning", a.signedIn(store.ActLoanRead, a.planningPage))
	m.Handle("GET /planning.csv", a.signedIn(store.ActLoanRead, a.planningCSV))
	m.Handle("GET /synthese", a.signedIn(store.ActSynthesisRead, a.synthesisPage))
	m.Handle("GET /synthese/synthese.csv", a.signedIn(store.ActSynthesisRead, a.synthesisCSV))
	m.Handle("GET /synthese/bilans.csv", a.signedIn(store.ActAssessmentRead, a.assessmentsCSV))

	// Administration (screen 15), beside the people pages.
	m.Handle("GET /admin", a.signedIn(store.ActPeopleManage, a.adminIndex))
	m.Handle("GET /admin/ecoles", a.signedIn(store.ActSchoolWrite, a.listSchoolsAdmin))
	m.Handle("GET /admin/ecoles/{uai}", a.signedIn(store.ActSchoolWrite, a.editSchoolForm))
	m.Handle("POST /admin/ecoles/{uai}", a.signedIn(store.ActSchoolWrite, a.updateSchoolAdmin))
	m.Handle("GET /admin/annee", a.signedIn(store.ActRoundWrite, a.adminYear))
	m.Handle("POST /admin/annee", a.signedIn(store.ActRoundWrite, a.setAdminYear))
	m.Handle("GET /admin/calendrier", a.signedIn(store.ActRoundWrite, a.calendarImportForm))
	m.Handle("POST /admin/calendrier", a.signedIn(store.ActRoundWrite, a.calendarImportPreview))
	m.Handle("POST /admin/calendrier/application", a.signedIn(store.ActRoundWrite, a.calendarImportApply))
	m.Handle("GET /admin/relances", a.signedIn(store.ActReminderManage, a.listRemindersAdmin))
	m.Handle("POST /admin/relances/{id}/relance", a.signedIn(store.ActReminderManage, a.retryReminderAdmin))
	m.Handle("GET /admin/flux", a.signedIn(store.ActFeedAdmin, a.listFeedsAdmin))
	m.Handle("POST /admin/flux", a.signedIn(store.ActFeedAdmin, a.createFeedAdmin))
	m.Handle("POST /admin/flux/revocation", a.signedIn(store.ActFeedAdmin, a.revokeFeedAdmin))
	m.Handle("POST /admin/personnes/{id}/reactivation", a.signedIn(store.ActPeopleManage, a.enablePerson))
}
