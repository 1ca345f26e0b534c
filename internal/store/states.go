package store

// Named states of the domain, each with its French label. Rows and JSON
// keep the plain string values (the constants next to each resource);
// these types give them a Label wherever a state is shown or carried in a
// *RuleError.

// LoanState is the state of a loan (LoanReserved…).
type LoanState string

// RoundState is the state of an allocation round (RoundDraft…).
type RoundState string

// PackStatus is the status of a pack (PackAvailable…).
type PackStatus string

// ExtensionState is the state of an extension (ExtensionRequested…).
type ExtensionState string

// OpinionVerdict is a referent's opinion on a request (OpinionFavourable…).
type OpinionVerdict string

// TrainingStatus is the technical training status of a request's teacher
// (TrainingNotPlanned…).
type TrainingStatus string

// labelOr returns labels[s], or s itself when it has no label.
func labelOr[S ~string](labels map[S]string, s S) string {
	if l, ok := labels[s]; ok {
		return l
	}
	return string(s)
}

var loanStateLabels = map[LoanState]string{
	LoanReserved: "réservé", LoanSigned: "convention signée", LoanPickedUp: "retiré",
	LoanReturned: "rendu", LoanClosed: "clôturé", LoanCancelled: "annulé",
}

// Label returns the French name of the state.
func (s LoanState) Label() string { return labelOr(loanStateLabels, s) }

var roundStateLabels = map[RoundState]string{
	RoundDraft: "brouillon", RoundPublished: "publié", RoundSuperseded: "remplacé", RoundDiscarded: "abandonné",
}

// Label returns the French name of the state.
func (s RoundState) Label() string { return labelOr(roundStateLabels, s) }

var packStatusLabels = map[PackStatus]string{
	PackAvailable: "disponible", PackMaintenance: "en maintenance", PackRetired: "retiré du service",
}

// Label returns the French name of the status.
func (s PackStatus) Label() string { return labelOr(packStatusLabels, s) }

var extensionStateLabels = map[ExtensionState]string{
	ExtensionRequested: "demandée, en attente de la coordination", ExtensionGranted: "accordée",
	ExtensionRefused: "refusée", ExtensionLapsed: "caduque (non décidée avant la fin du prêt)",
}

// Label returns the French name of the state.
func (s ExtensionState) Label() string { return labelOr(extensionStateLabels, s) }

var opinionVerdictLabels = map[OpinionVerdict]string{
	OpinionFavourable: "favorable", OpinionReserved: "réservé", OpinionUnfavourable: "défavorable",
}

// Label returns the French name of the verdict.
func (s OpinionVerdict) Label() string { return labelOr(opinionVerdictLabels, s) }

var trainingStatusLabels = map[TrainingStatus]string{
	TrainingNotPlanned: "non prévue", TrainingPlanned: "prévue", TrainingDone: "faite",
}

// Label returns the French name of the status.
func (s TrainingStatus) Label() string { return labelOr(trainingStatusLabels, s) }

var roleLabels = map[Role]string{
	RoleCoordinator: "coordination",
	RoleInspection:  "inspection",
	RoleEducation:   "direction de l'éducation",
	RoleDirector:    "directeur ou directrice d'école",
	RoleIT:          "DSI",
	RoleTeacher:     "enseignant ou enseignante",
}

// Label returns the French label of a role (its code when it has none).
func (r Role) Label() string { return labelOr(roleLabels, r) }
