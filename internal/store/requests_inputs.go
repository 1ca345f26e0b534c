package store

import (
	"strings"
	"unicode/utf8"
)

// checkReason refuses an empty or oversized reason where the action needs
// one (a director's refusal, a rejection, a change of packs).
func checkReason(reason, what string) error {
	switch {
	case strings.TrimSpace(reason) == "":
		return Invalid("reason", "reason_required", "le motif %s est obligatoire", what)
	case utf8.RuneCountInString(reason) > MaxTextLen:
		return Invalid("reason", "too_long", "le motif dépasse %d caractères", MaxTextLen)
	}
	return nil
}

// checkOpinion refuses an unknown verdict or an oversized comment.
func checkOpinion(o Opinion) error {
	switch o.Verdict {
	case OpinionFavourable, OpinionReserved, OpinionUnfavourable:
	default:
		return Invalid("verdict", "validation_failed", "avis attendu : favourable (favorable), reserved (réservé) ou unfavourable (défavorable)")
	}
	if utf8.RuneCountInString(o.Comment) > MaxTextLen {
		return Invalid("comment", "too_long", "le commentaire dépasse %d caractères", MaxTextLen)
	}
	return nil
}

// checkPacks refuses a number of packs out of range, or a change without
// a reason (0 goes back to the computed number and needs none).
func checkPacks(packs int, reason string) error {
	if packs < 0 || packs > MaxPacks {
		return Invalid("packs", "validation_failed", "nombre de packs entre 1 et %d (0 pour revenir au calcul automatique)", MaxPacks)
	}
	if packs > 0 {
		return checkReason(reason, "de la modification du nombre de packs")
	}
	return nil
}
