package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// MaxAgreementTextLen bounds the agreement text a signature records, in
// bytes.
const MaxAgreementTextLen = 512 << 10

// AgreementSignature is one party's signature of a loan agreement, with
// the text signed and its SHA-256. A superseded signature was given to
// an earlier version of the loan (its packs or dates changed since).
type AgreementSignature struct {
	ID       int64     `json:"id"`
	LoanID   int64     `json:"loan_id"`
	Party    Role      `json:"party"`
	SignerID int64     `json:"signer_id,omitempty"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	SignedAt time.Time `json:"signed_at"`
	// TextSHA256 is the hex SHA-256 of Text, the agreement as signed.
	TextSHA256       string     `json:"text_sha256"`
	Text             string     `json:"-"`
	SupersededAt     *time.Time `json:"superseded_at,omitempty"`
	SupersededReason string     `json:"superseded_reason,omitempty"`
}

type agreementSignatureRow struct {
	bun.BaseModel `bun:"table:loan_agreement_signatures,alias:sg"`

	ID               int64      `bun:"id,pk,autoincrement"`
	LoanID           int64      `bun:"loan_id,notnull"`
	Party            string     `bun:"party,notnull"`
	SignerID         *int64     `bun:"signer_id"`
	SignerName       string     `bun:"signer_name,notnull"`
	SignerRole       string     `bun:"signer_role,notnull"`
	SignedAt         time.Time  `bun:"signed_at,notnull"`
	Text             string     `bun:"text,notnull"`
	TextSHA256       string     `bun:"text_sha256,notnull"`
	SupersededAt     *time.Time `bun:"superseded_at"`
	SupersededReason string     `bun:"superseded_reason,notnull"`
}

func (r agreementSignatureRow) signature() AgreementSignature {
	s := AgreementSignature{ID: r.ID, LoanID: r.LoanID, Party: Role(r.Party), Name: r.SignerName, Role: r.SignerRole,
		SignedAt: r.SignedAt.UTC(), TextSHA256: r.TextSHA256, Text: r.Text, SupersededAt: loanTime(r.SupersededAt),
		SupersededReason: r.SupersededReason}
	if r.SignerID != nil {
		s.SignerID = *r.SignerID
	}
	return s
}

// TextSHA256 returns the hex SHA-256 of an agreement text, as signatures
// record it.
func TextSHA256(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// checkAgreementText refuses an empty, oversized or malformed text.
func checkAgreementText(text string) error {
	switch {
	case strings.TrimSpace(text) == "":
		return Invalid("text", "agreement_text_required", "Le texte de la convention signée est obligatoire.")
	case len(text) > MaxAgreementTextLen:
		return Invalid("text", "agreement_text_too_long", "Texte de la convention trop long (%d octets au plus).", MaxAgreementTextLen)
	case !utf8.ValidString(text) || strings.IndexByte(text, 0) >= 0:
		return Invalid("text", "agreement_text_invalid", "Texte de la convention invalide (UTF-8 attendu, sans caractère nul).")
	}
	return nil
}

// agreementSummary is the text SignAgreement records when the caller has
// no rendered agreement to give: the loan's parties, packs and dates.
func agreementSummary(l Loan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Convention de mise à disposition d'une classe mobile — %s\n", l.Label)
	fmt.Fprintf(&b, "École : %s (UAI %s)\nEnseignant·e : %s\nProjet : %s\n", l.SchoolName, l.SchoolUAI, l.TeacherName, l.RequestTitle)
	fmt.Fprintf(&b, "Packs : %s\n", strings.Join(l.PackCodes(), ", "))
	fmt.Fprintf(&b, "Retrait : %s\nRetour : %s\n", frenchDay(l.PickupDay), frenchDay(l.ReturnDay))
	return b.String()
}

// partyLabel is the French name of the party a signer signs for.
func partyLabel(p Role) string {
	if p == RoleDirector {
		return "direction de l'école"
	}
	return "direction des systèmes d'information"
}

// SignAgreement records signer's signature of the loan agreement with a
// summary of the loan as the signed text (see SignAgreementText, which
// the web pages and the API call with the full agreement).
func (db *DB) SignAgreement(ctx context.Context, signer User, loanID int64) (Loan, error) {
	l, err := db.Loan(ctx, loanID)
	if err != nil {
		return Loan{}, fmt.Errorf("SignAgreement(%d): %w", loanID, err)
	}
	return db.SignAgreementText(ctx, signer, loanID, agreementSummary(l))
}

// SignAgreementText records signer's signature of the loan agreement: as
// the school's director (role director, of the loan's school) or as the
// IT department (role it), with the text the signer read, its SHA-256 and
// the signer's name and role at that time. When both have signed, the
// loan moves to signed. Returns ErrNotFound for a director of another
// school, a *RuleError for a missing or malformed text, when the loan is
// not reserved, the role cannot sign, or this party already signed.
func (db *DB) SignAgreementText(ctx context.Context, signer User, loanID int64, text string) (_ Loan, err error) {
	defer wrapf(&err, "SignAgreement(%d)", loanID)
	if err := checkAgreementText(text); err != nil {
		return Loan{}, err
	}
	var out Loan
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := getLoan(ctx, tx, loanID, true)
		if err != nil {
			return err
		}
		if !signer.SeesSchool(before.SchoolUAI) {
			return errHidden()
		}
		// The party the person signs for: the school's direction, or the
		// IT department.
		party := Role("")
		switch {
		case signer.HasRoleAt(RoleDirector, before.SchoolUAI):
			party = RoleDirector
		case signer.HasRole(RoleIT):
			party = RoleIT
		}
		if before.State != LoanReserved {
			return stateError("Signature de la convention", before.State, LoanReserved)
		}
		row, err := loanRowOf(ctx, tx, loanID)
		if err != nil {
			return err
		}
		now := db.Now()
		switch party {
		case RoleDirector:
			if row.DirectorSignedBy != nil {
				return loanConflict("already_signed", "La convention est déjà signée par la direction de l'école.")
			}
			row.DirectorSignedBy, row.DirectorSignedAt = &signer.ID, &now
		case RoleIT:
			if row.ITSignedBy != nil {
				return loanConflict("already_signed", "La convention est déjà signée par la DSI.")
			}
			row.ITSignedBy, row.ITSignedAt = &signer.ID, &now
		default:
			return loanConflict("cannot_sign", "Seuls le directeur de l'école et la DSI signent la convention de prêt.")
		}
		sig := agreementSignatureRow{LoanID: loanID, Party: string(party), SignerID: &signer.ID, SignerName: signer.Name,
			SignerRole: partyLabel(party), SignedAt: now, Text: text, TextSHA256: TextSHA256(text)}
		if sig.SignerName == "" {
			sig.SignerName = fmt.Sprintf("personne n° %d", signer.ID)
		}
		if _, err := tx.NewInsert().Model(&sig).Returning("id").Exec(ctx); err != nil {
			return err
		}
		action := "loan.sign"
		if row.DirectorSignedBy != nil && row.ITSignedBy != nil {
			row.State = LoanSigned
			action = "loan.signed"
		}
		out, err = updateLoan(ctx, tx, now, Actor{UserID: signer.ID}, action, before, &row)
		return err
	})
	return out, err
}

// AgreementSignatures returns the loan's signatures, the active ones
// first (by signing time), then the superseded ones, most recent first.
func (db *DB) AgreementSignatures(ctx context.Context, loanID int64) (_ []AgreementSignature, err error) {
	defer wrapf(&err, "AgreementSignatures(%d)", loanID)
	var rows []agreementSignatureRow
	if err := db.bun.NewSelect().Model(&rows).Where("loan_id = ?", loanID).
		OrderExpr("superseded_at IS NOT NULL, signed_at, id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]AgreementSignature, len(rows))
	for i, r := range rows {
		out[i] = r.signature()
	}
	return out, nil
}

// SignedAgreement returns the agreement of a loan signed by both parties:
// the text of the signature that completed it, as stored then, and both
// active signatures. ok is false while the agreement is not fully signed.
func (db *DB) SignedAgreement(ctx context.Context, loanID int64) (text string, sigs []AgreementSignature, ok bool, err error) {
	all, err := db.AgreementSignatures(ctx, loanID)
	if err != nil {
		return "", nil, false, err
	}
	for _, s := range all {
		if s.SupersededAt == nil {
			sigs = append(sigs, s)
		}
	}
	if len(sigs) < 2 {
		return "", sigs, false, nil
	}
	return sigs[len(sigs)-1].Text, sigs, true, nil
}

// resetAgreement puts the agreement of a loan not yet picked up back to
// « à signer » inside the caller's transaction, when its packs or dates
// change: the signatures given are superseded (kept, with reason), the
// signature columns cleared and a signed loan goes back to reserved, so
// both parties sign the new terms. row is the loan's row about to be
// written by updateLoan. It reports whether there was a signature to
// withdraw.
func resetAgreement(ctx context.Context, tx bun.Tx, now time.Time, row *loanRow, reason string) (bool, error) {
	if row.State != LoanReserved && row.State != LoanSigned {
		return false, nil
	}
	if row.DirectorSignedBy == nil && row.ITSignedBy == nil {
		return false, nil
	}
	if _, err := tx.NewUpdate().Model((*agreementSignatureRow)(nil)).
		Set("superseded_at = ?", now).Set("superseded_reason = ?", reason).
		Where("loan_id = ?", row.ID).Where("superseded_at IS NULL").Exec(ctx); err != nil {
		return false, err
	}
	row.DirectorSignedBy, row.DirectorSignedAt, row.ITSignedBy, row.ITSignedAt = nil, nil, nil, nil
	row.State = LoanReserved
	return true, nil
}

// ActiveSignatures returns the active signature of each party among sigs
// (nil when that party has not signed the current terms).
func ActiveSignatures(sigs []AgreementSignature) (director, it *AgreementSignature) {
	for i := range sigs {
		s := &sigs[i]
		if s.SupersededAt != nil {
			continue
		}
		if s.Party == RoleDirector {
			director = s
		} else {
			it = s
		}
	}
	return director, it
}

// AgreementParties returns the people who sign the agreement of loan l,
// and are told when someone signs it: the directors of its school and the
// IT department, active accounts only, by id.
func (db *DB) AgreementParties(ctx context.Context, l Loan) (_ []User, err error) {
	defer wrapf(&err, "AgreementParties(%d)", l.ID)
	directors, err := db.ListUsers(ctx, RoleDirector, l.SchoolUAI)
	if err != nil {
		return nil, err
	}
	it, err := db.ListUsers(ctx, RoleIT, "")
	if err != nil {
		return nil, err
	}
	return append(directors, it...), nil
}
