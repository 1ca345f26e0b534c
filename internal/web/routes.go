package web

import "github.com/classemobile/classemobile/internal/store"

// routes registers every route of the service. Each /api/v1 route names
// the action it performs; the store's table of actions × roles says who
// may (see allow).
func (s *Server) routes() {
	m := s.mux
	m.Handle("GET /healthz", s.handle(s.healthz))
	m.Handle("GET /readyz", s.handle(s.readyz))
	m.Handle("/api/", s.handle(s.notFound))
	m.Handle("GET /api/v1/openapi.json", s.handle(s.getOpenAPI)) // public: see getOpenAPI

	// Foundation: schools, packs, calendar, current user.
	m.Handle("GET /api/v1/me", s.allow(store.ActRead, s.getMe))
	m.Handle("GET /api/v1/schools", s.allow(store.ActRead, s.listSchools))
	m.Handle("GET /api/v1/schools/{uai}", s.allow(store.ActRead, s.getSchool))
	m.Handle("POST /api/v1/schools", s.allow(store.ActSchoolWrite, s.createSchool))
	m.Handle("PUT /api/v1/schools/{uai}", s.allow(store.ActSchoolWrite, s.updateSchool))
	m.Handle("GET /api/v1/sectors", s.allow(store.ActRead, s.listSectors))
	m.Handle("GET /api/v1/packs", s.allow(store.ActRead, s.listPacks))
	m.Handle("GET /api/v1/packs/{id}", s.allow(store.ActRead, s.getPack))
	m.Handle("POST /api/v1/packs", s.allow(store.ActPackWrite, s.createPack))
	m.Handle("PUT /api/v1/packs/{id}", s.allow(store.ActPackWrite, s.updatePack))
	m.Handle("GET /api/v1/packs/{id}/maintenance", s.allow(store.ActRead, s.listPackMaintenance))
	m.Handle("POST /api/v1/packs/{id}/maintenance", s.allow(store.ActMaintenanceWrite, s.createMaintenance))
	m.Handle("DELETE /api/v1/packs/{id}/maintenance/{mid}", s.allow(store.ActMaintenanceWrite, s.deleteMaintenance))
	m.Handle("GET /api/v1/maintenance", s.allow(store.ActRead, s.listMaintenance))
	m.Handle("GET /api/v1/calendar/{year}", s.allow(store.ActRead, s.getCalendar))
	m.Handle("PUT /api/v1/calendar/{year}/loan-policy", s.allow(store.ActRoundWrite, s.setLoanPolicy))

	// Requests: the call for projects, from draft to decision.
	m.Handle("POST /api/v1/requests", s.allow(store.ActRequestCreate, s.createRequest))
	m.Handle("GET /api/v1/requests", s.allow(store.ActRequestRead, s.listRequests))
	m.Handle("GET /api/v1/requests/{id}", s.allow(store.ActRequestRead, s.getRequest))
	m.Handle("PATCH /api/v1/requests/{id}", s.allow(store.ActRequestUpdate, s.updateRequest))
	m.Handle("POST /api/v1/requests/{id}/submit", s.allow(store.ActRequestSubmit, s.submitRequest))
	m.Handle("POST /api/v1/requests/{id}/authorize", s.allow(store.ActRequestAuthorize, s.authorizeRequest))
	m.Handle("POST /api/v1/requests/{id}/refuse", s.allow(store.ActRequestRefuse, s.refuseRequest))
	m.Handle("POST /api/v1/requests/{id}/opinions", s.allow(store.ActRequestOpinion, s.opinionRequest))
	m.Handle("POST /api/v1/requests/{id}/decision", s.allow(store.ActRequestDecide, s.decideRequest))
	m.Handle("POST /api/v1/requests/{id}/withdraw", s.allow(store.ActRequestWithdraw, s.withdrawRequest))
	m.Handle("POST /api/v1/requests/{id}/packs", s.allow(store.ActRequestPacks, s.packsRequest))
	m.Handle("POST /api/v1/requests/{id}/training", s.allow(store.ActTrainingRecord, s.recordRequestTraining))
	m.Handle("GET /api/v1/synthesis", s.allow(store.ActSynthesisRead, s.getSynthesis))

	// Allocation rounds.
	m.Handle("POST /api/v1/rounds", s.allow(store.ActRoundWrite, s.createRound))
	m.Handle("GET /api/v1/rounds", s.allow(store.ActRoundRead, s.listRounds))
	m.Handle("GET /api/v1/rounds/{id}", s.allow(store.ActRoundRead, s.getRound))
	m.Handle("POST /api/v1/rounds/{id}/publish", s.allow(store.ActRoundWrite, s.publishRound))
	m.Handle("POST /api/v1/rounds/{id}/rerun", s.allow(store.ActRoundWrite, s.rerunRound))
	m.Handle("POST /api/v1/rounds/{id}/discard", s.allow(store.ActRoundWrite, s.discardRound))
	m.Handle("GET /api/v1/rounds/{id}/notices", s.allow(store.ActRoundWrite, s.roundNotices))
	m.Handle("GET /api/v1/notices", s.allow(store.ActRead, s.myNotices))

	// Loans: agreement, pickup, extension, return, closure, assessment.
	m.Handle("GET /api/v1/loans", s.allow(store.ActLoanRead, s.listLoans))
	m.Handle("POST /api/v1/loans", s.allow(store.ActLoanCreate, s.createLoan))
	m.Handle("GET /api/v1/loans/{id}", s.allow(store.ActLoanRead, s.getLoan))
	m.Handle("POST /api/v1/loans/{id}/agreement", s.allow(store.ActLoanSign, s.signAgreement))
	m.Handle("POST /api/v1/loans/{id}/pickup", s.allow(store.ActLoanPickup, s.pickUpLoan))
	m.Handle("POST /api/v1/loans/{id}/pickup-time", s.allow(store.ActLoanPickup, s.setPickupTime))
	m.Handle("POST /api/v1/loans/{id}/training", s.allow(store.ActTrainingRecord, s.recordLoanTraining))
	m.Handle("POST /api/v1/loans/{id}/extension", s.allow(store.ActExtensionRequest, s.requestExtension))
	m.Handle("POST /api/v1/loans/{id}/extension/decision", s.allow(store.ActExtensionDecide, s.decideExtension))
	m.Handle("POST /api/v1/loans/{id}/return", s.allow(store.ActLoanReturn, s.returnLoan))
	m.Handle("POST /api/v1/loans/{id}/close", s.allow(store.ActLoanClose, s.closeLoan))
	m.Handle("POST /api/v1/loans/{id}/assessment", s.allow(store.ActAssessmentWrite, s.saveAssessment))
	m.Handle("POST /api/v1/loans/{id}/cancel", s.allow(store.ActLoanCancel, s.cancelLoan))
	m.Handle("GET /api/v1/loans/{id}/convention", s.allow(store.ActLoanRead, s.printable("convention")))
	m.Handle("GET /api/v1/loans/{id}/inventaire", s.allow(store.ActLoanRead, s.printable("inventaire")))
	m.Handle("GET /loans/{id}/convention", s.allow(store.ActLoanRead, s.printable("convention")))
	m.Handle("GET /loans/{id}/inventaire", s.allow(store.ActLoanRead, s.printable("inventaire")))
	m.Handle("GET /api/v1/incidents", s.allow(store.ActIncidentRead, s.listIncidents))
	m.Handle("POST /api/v1/incidents/{id}/resolve", s.allow(store.ActIncidentResolve, s.resolveIncident))
	m.Handle("GET /api/v1/assessments", s.allow(store.ActAssessmentRead, s.listAssessments))

	// iCal feeds.
	m.Handle("GET /api/v1/feeds", s.allow(store.ActFeedManage, s.listFeeds))
	m.Handle("POST /api/v1/feeds", s.allow(store.ActFeedManage, s.createFeed))
	m.Handle("DELETE /api/v1/feeds", s.allow(store.ActFeedManage, s.deleteFeed))

	// The reminders' ledger.
	m.Handle("GET /api/v1/reminders", s.allow(store.ActReminderManage, s.listReminders))
	m.Handle("POST /api/v1/reminders/{id}/retry", s.allow(store.ActReminderManage, s.retryReminder))
}
