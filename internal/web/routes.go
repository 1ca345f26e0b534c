package web

// routes registers every route of the service. Each /api/v1 route says
// which roles may call it (see allow).
func (s *Server) routes() {
	m := s.mux
	m.Handle("GET /healthz", s.handle(s.healthz))
	m.Handle("GET /readyz", s.handle(s.readyz))
	m.Handle("/api/", s.handle(s.notFound))

	// Foundation: schools, packs, calendar, current user.
	m.Handle("GET /api/v1/me", s.allow(allRoles, s.getMe))
	m.Handle("GET /api/v1/schools", s.allow(allRoles, s.listSchools))
	m.Handle("GET /api/v1/schools/{uai}", s.allow(allRoles, s.getSchool))
	m.Handle("POST /api/v1/schools", s.allow(coordOnly, s.createSchool))
	m.Handle("PUT /api/v1/schools/{uai}", s.allow(coordOnly, s.updateSchool))
	m.Handle("GET /api/v1/sectors", s.allow(allRoles, s.listSectors))
	m.Handle("GET /api/v1/packs", s.allow(allRoles, s.listPacks))
	m.Handle("GET /api/v1/packs/{id}", s.allow(allRoles, s.getPack))
	m.Handle("POST /api/v1/packs", s.allow(coordOrIT, s.createPack))
	m.Handle("PUT /api/v1/packs/{id}", s.allow(coordOrIT, s.updatePack))
	m.Handle("GET /api/v1/packs/{id}/maintenance", s.allow(allRoles, s.listPackMaintenance))
	m.Handle("POST /api/v1/packs/{id}/maintenance", s.allow(coordOrIT, s.createMaintenance))
	m.Handle("DELETE /api/v1/packs/{id}/maintenance/{mid}", s.allow(coordOrIT, s.deleteMaintenance))
	m.Handle("GET /api/v1/maintenance", s.allow(allRoles, s.listMaintenance))
	m.Handle("GET /api/v1/calendar/{year}", s.allow(allRoles, s.getCalendar))

	// Requests (issue 3).
	m.Handle("POST /api/v1/requests", s.allow(teacherOnly, s.createRequest))
	m.Handle("GET /api/v1/requests", s.allow(allRoles, s.listRequests))
	m.Handle("GET /api/v1/requests/{id}", s.allow(allRoles, s.getRequest))
	m.Handle("PATCH /api/v1/requests/{id}", s.allow(teacherOnly, s.updateRequest))
	m.Handle("POST /api/v1/requests/{id}/submit", s.allow(teacherOnly, s.submitRequest))
	m.Handle("POST /api/v1/requests/{id}/authorize", s.allow(directorOnly, s.authorizeRequest))
	m.Handle("POST /api/v1/requests/{id}/refuse", s.allow(directorOnly, s.refuseRequest))
	m.Handle("POST /api/v1/requests/{id}/opinions", s.allow(referentsOnly, s.opinionRequest))
	m.Handle("POST /api/v1/requests/{id}/decision", s.allow(coordOrInsp, s.decideRequest))
	m.Handle("POST /api/v1/requests/{id}/withdraw", s.allow(teacherOrCoord, s.withdrawRequest))
	m.Handle("POST /api/v1/requests/{id}/packs", s.allow(coordOnly, s.packsRequest))
	m.Handle("GET /api/v1/synthesis", s.allow(staffRoles, s.getSynthesis))

	// Rounds (issue 4).
	m.Handle("POST /api/v1/rounds", s.allow(coordOnly, s.createRound))
	m.Handle("GET /api/v1/rounds", s.allow(staffRoles, s.listRounds))
	m.Handle("GET /api/v1/rounds/{id}", s.allow(staffRoles, s.getRound))
	m.Handle("POST /api/v1/rounds/{id}/publish", s.allow(coordOnly, s.publishRound))
	m.Handle("POST /api/v1/rounds/{id}/rerun", s.allow(coordOnly, s.rerunRound))
	m.Handle("POST /api/v1/rounds/{id}/discard", s.allow(coordOnly, s.discardRound))

	// Loans (issue 5).
	m.Handle("GET /api/v1/loans", s.allow(allRoles, s.listLoans))
	m.Handle("POST /api/v1/loans", s.allow(coordOnly, s.createLoan))
	m.Handle("GET /api/v1/loans/{id}", s.allow(allRoles, s.getLoan))
	m.Handle("POST /api/v1/loans/{id}/agreement", s.allow(loanSigners, s.signAgreement))
	m.Handle("POST /api/v1/loans/{id}/pickup", s.allow(coordOrIT, s.pickUpLoan))
	m.Handle("POST /api/v1/loans/{id}/pickup-time", s.allow(coordOrIT, s.setPickupTime))
	m.Handle("POST /api/v1/loans/{id}/extension", s.allow(teacherOrCoordL, s.requestExtension))
	m.Handle("POST /api/v1/loans/{id}/extension/decision", s.allow(coordOnly, s.decideExtension))
	m.Handle("POST /api/v1/loans/{id}/return", s.allow(coordOrIT, s.returnLoan))
	m.Handle("POST /api/v1/loans/{id}/close", s.allow(inspectionOnly, s.closeLoan))
	m.Handle("POST /api/v1/loans/{id}/assessment", s.allow(assessmentAuthor, s.saveAssessment))
	m.Handle("POST /api/v1/loans/{id}/cancel", s.allow(coordOnly, s.cancelLoan))
	m.Handle("GET /api/v1/loans/{id}/convention", s.allow(allRoles, s.conventionPageHandler))
	m.Handle("GET /api/v1/loans/{id}/inventaire", s.allow(allRoles, s.inventoryPageHandler))
	m.Handle("GET /loans/{id}/convention", s.allow(allRoles, s.conventionPageHandler))
	m.Handle("GET /loans/{id}/inventaire", s.allow(allRoles, s.inventoryPageHandler))
	m.Handle("GET /api/v1/incidents", s.allow(staffRoles, s.listIncidents))
	m.Handle("POST /api/v1/incidents/{id}/resolve", s.allow(coordOrIT, s.resolveIncident))
	m.Handle("GET /api/v1/assessments", s.allow(coordOrInsp, s.listAssessments))

	// Feeds (issue 6).
	m.Handle("GET /api/v1/feeds", s.allow(coordOrDirec, s.listFeeds))
	m.Handle("POST /api/v1/feeds", s.allow(coordOrDirec, s.createFeed))
	m.Handle("DELETE /api/v1/feeds", s.allow(coordOrDirec, s.deleteFeed))
	m.HandleFunc(feedPattern, s.getFeedICS) // and HEAD; no auth: the token is the secret

	// Reminders (issue 7).
	m.Handle("GET /api/v1/reminders", s.allow(coordOnly, s.listReminders))
	m.Handle("POST /api/v1/reminders/{id}/retry", s.allow(coordOnly, s.retryReminder))
}
