package store

import (
	"context"
	"errors"
	"strings"

	"github.com/uptrace/bun"
)

// PackItemInput is an item to add to a pack or the new description of one.
type PackItemInput struct {
	Kind   string
	Label  string
	Serial string
}

func (in PackItemInput) normalized() PackItemInput {
	in.Kind, in.Label, in.Serial = strings.TrimSpace(in.Kind), strings.TrimSpace(in.Label), strings.TrimSpace(in.Serial)
	return in
}

// Validate reports every problem of an item, in French: a known kind, a
// label, lengths.
func (in PackItemInput) Validate() error {
	f := FieldErrors{}
	switch strings.TrimSpace(in.Kind) {
	case ItemTablet, ItemChargingCase, ItemAccessPoint, ItemAccessory:
	default:
		f.Add("kind", "choisissez le type de l'élément : tablette, valise de recharge, borne Wi-Fi ou accessoire")
	}
	if strings.TrimSpace(in.Label) == "" {
		f.Add("label", "le libellé est obligatoire")
	}
	CheckText(f, "label", in.Label, 200)
	CheckText(f, "serial", in.Serial, 100)
	return f.Err()
}

// ItemKindLabel names an item kind in French.
func ItemKindLabel(kind string) string {
	switch kind {
	case ItemTablet:
		return "tablette"
	case ItemChargingCase:
		return "valise de recharge"
	case ItemAccessPoint:
		return "borne Wi-Fi"
	case ItemAccessory:
		return "accessoire"
	}
	return kind
}

// serialTaken is the refusal of a serial number another item has: the
// database's unique index decides.
func serialTaken(err error, serial string) error {
	if errors.Is(translate(err), ErrConflict) {
		return invalidLoan("serial", "serial_taken", "Le numéro de série « %s » est déjà celui d'un autre élément.", serial)
	}
	return err
}

// changePackItems runs change on the pack in a transaction, then bumps the
// pack's version and logs action with the item before and after.
func (db *DB) changePackItems(ctx context.Context, actor Actor, packID int64, action string,
	change func(ctx context.Context, tx bun.Tx, p Pack) (before, after any, err error)) (Pack, error) {
	var out Pack
	err := db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := getPack(ctx, tx, packID)
		if err != nil {
			return err
		}
		before, after, err := change(ctx, tx, p)
		if err != nil {
			return err
		}
		now := db.Now()
		if _, err := tx.NewUpdate().Model((*packRow)(nil)).Set("version = version + 1").Set("updated_at = ?", now).
			Where("id = ?", packID).Exec(ctx); err != nil {
			return err
		}
		if out, err = getPack(ctx, tx, packID); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, action, "pack", packID, before, after)
	})
	return out, err
}

// activeItem returns the pack's item in service with that id, or a
// not-found refusal.
func activeItem(p Pack, itemID int64) (PackItem, error) {
	for _, it := range p.Items {
		if it.ID == itemID {
			return it, nil
		}
	}
	return PackItem{}, &RuleError{Kind: RuleNotFound, Code: "item_not_found", Field: "item", Fields: []string{"item"},
		Message: "Cet élément n'est pas (ou plus) dans ce pack."}
}

// AddPackItem adds an item at the end of the pack, audit-logged. Returns
// ErrNotFound for an unknown pack, a *RuleError for bad input or a serial
// number already used.
func (db *DB) AddPackItem(ctx context.Context, actor Actor, packID int64, in PackItemInput) (_ Pack, err error) {
	defer wrapf(&err, "AddPackItem(%d)", packID)
	if err := in.Validate(); err != nil {
		return Pack{}, err
	}
	in = in.normalized()
	p, err := db.changePackItems(ctx, actor, packID, "pack.item.add", func(ctx context.Context, tx bun.Tx, p Pack) (any, any, error) {
		if len(p.Items) >= MaxPackItems {
			return nil, nil, invalidLoan("items", "too_many_items", "Un pack compte %d éléments au plus.", MaxPackItems)
		}
		pos := 0
		for _, it := range p.Items {
			pos = max(pos, it.Position)
		}
		row := packItemRow{PackID: packID, Position: pos + 1, Kind: in.Kind, Label: in.Label, Serial: in.Serial}
		if _, err := tx.NewInsert().Model(&row).ExcludeColumn("id").Returning("id").Exec(ctx); err != nil {
			return nil, nil, err
		}
		return nil, row.item(), nil
	})
	return p, serialTaken(err, in.Serial)
}

// UpdatePackItem changes an item in service (kind, label, serial number),
// audit-logged. Inventory sheets already recorded show the new
// description. Returns ErrNotFound for an unknown pack, a *RuleError for
// bad input, a retired or unknown item, or a serial number already used.
func (db *DB) UpdatePackItem(ctx context.Context, actor Actor, packID, itemID int64, in PackItemInput) (_ Pack, err error) {
	defer wrapf(&err, "UpdatePackItem(%d, %d)", packID, itemID)
	if err := in.Validate(); err != nil {
		return Pack{}, err
	}
	in = in.normalized()
	p, err := db.changePackItems(ctx, actor, packID, "pack.item.update", func(ctx context.Context, tx bun.Tx, p Pack) (any, any, error) {
		before, err := activeItem(p, itemID)
		if err != nil {
			return nil, nil, err
		}
		if _, err := tx.NewUpdate().Model((*packItemRow)(nil)).Set("kind = ?", in.Kind).Set("label = ?", in.Label).
			Set("serial = ?", in.Serial).Where("id = ?", itemID).Where("pack_id = ?", packID).Where("retired_at IS NULL").
			Exec(ctx); err != nil {
			return nil, nil, err
		}
		after := before
		after.Kind, after.Label, after.Serial = in.Kind, in.Label, in.Serial
		return before, after, nil
	})
	return p, serialTaken(err, in.Serial)
}

// RetirePackItem takes an item out of service with a reason (broken,
// lost, replaced), audit-logged: it is no longer checked at pickups and
// returns but stays on the sheets that name it. Refused while the pack is
// out with a school (the return checks what was handed over). Returns
// ErrNotFound for an unknown pack, a *RuleError otherwise.
func (db *DB) RetirePackItem(ctx context.Context, actor Actor, packID, itemID int64, reason string) (_ Pack, err error) {
	defer wrapf(&err, "RetirePackItem(%d, %d)", packID, itemID)
	if err := checkLoanNote("reason", reason); err != nil {
		return Pack{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Pack{}, invalidLoan("reason", "reason_required", "Le motif de la mise hors service est obligatoire.")
	}
	return db.changePackItems(ctx, actor, packID, "pack.item.retire", func(ctx context.Context, tx bun.Tx, p Pack) (any, any, error) {
		before, err := activeItem(p, itemID)
		if err != nil {
			return nil, nil, err
		}
		if p.Holder != nil {
			return nil, nil, loanConflict("pack_out", "Le pack %s est à l'école %s (prêt n° %d) : un élément se retire du pack après son retour.",
				p.Code, p.Holder.SchoolName, p.Holder.LoanID)
		}
		now := db.Now()
		// The item leaves the numbering of the items in service: its
		// position becomes its negated id, which no active item has.
		if _, err := tx.NewUpdate().Model((*packItemRow)(nil)).Set("retired_at = ?", now).Set("retired_reason = ?", reason).
			Set("position = ?", -itemID).Where("id = ?", itemID).Where("retired_at IS NULL").Exec(ctx); err != nil {
			return nil, nil, err
		}
		after := before
		after.RetiredAt, after.RetiredReason = &now, reason
		return before, after, nil
	})
}
