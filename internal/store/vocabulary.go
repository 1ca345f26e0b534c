package store

// The API speaks one vocabulary, in English: opinions are favourable,
// reserved or unfavourable; a request's decision is validated or
// rejected; an extension is granted or refused. The parsers below also
// accept the other English forms and the French words people type
// (« favorable », « défavorable », « réservé », « validée », « rejetée »),
// case and accents ignored.

// ParseOpinionVerdict returns the verdict named s, and false when s names
// none.
func ParseOpinionVerdict(s string) (OpinionVerdict, bool) {
	switch foldWord(s) {
	case "favourable", "favorable", "avis_favorable", "positive", "pour", "oui":
		return OpinionFavourable, true
	case "reserved", "reserve", "reservee", "reserves", "avec_reserve", "avec_reserves", "avis_reserve", "mixed":
		return OpinionReserved, true
	case "unfavourable", "unfavorable", "defavorable", "avis_defavorable", "negative", "contre", "non":
		return OpinionUnfavourable, true
	}
	return "", false
}

// ParseRequestDecision returns the decision named s (RequestValidated or
// RequestRejected), and false when s names none.
func ParseRequestDecision(s string) (RequestState, bool) {
	switch foldWord(s) {
	case "validated", "validate", "valid", "approve", "approved", "accept", "accepted",
		"valider", "valide", "validee", "accepter", "accepte", "acceptee":
		return RequestValidated, true
	case "rejected", "reject", "refuse", "refused", "decline", "declined",
		"rejeter", "rejete", "rejetee", "refuser", "refusee":
		return RequestRejected, true
	}
	return "", false
}
