package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Pack statuses.
const (
	PackAvailable   PackStatus = "available"
	PackMaintenance PackStatus = "maintenance"
	PackRetired     PackStatus = "retired"
)

// Pack item kinds.
const (
	ItemTablet       = "tablet"
	ItemChargingCase = "charging_case"
	ItemAccessPoint  = "access_point"
	ItemAccessory    = "accessory"
)

// Pack is a lendable set of devices (a "classe mobile").
type Pack struct {
	ID        int64      `json:"id"`
	Code      string     `json:"code"`
	Label     string     `json:"label"`
	Status    PackStatus `json:"status"`
	Notes     string     `json:"notes"`
	Version   int        `json:"version"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	Items     []PackItem `json:"items"`
	// RetiredItems are the items taken out of service, kept for the
	// inventory sheets that name them.
	RetiredItems []PackItem `json:"retired_items,omitempty"`
	// Holder is the loan that has the pack now (picked up, not returned),
	// nil when the pack is at the IT department.
	Holder *PackHolder `json:"holder,omitempty"`
	// Whereabouts says in French where the pack is now ("à l'école …
	// (prêt n° 9) depuis le …", "disponible au service informatique",
	// "en maintenance", "réformé").
	Whereabouts string `json:"whereabouts"`
}

// PackItem is one device or accessory of a pack, checked at pickup and return.
type PackItem struct {
	ID       int64  `json:"id"`
	Position int    `json:"position"`
	Kind     string `json:"kind"`
	Label    string `json:"label"`
	Serial   string `json:"serial"`
	// RetiredAt and RetiredReason say when and why an item was taken out
	// of service (RetirePackItem).
	RetiredAt     *time.Time `json:"retired_at,omitempty"`
	RetiredReason string     `json:"retired_reason,omitempty"`
}

type packRow struct {
	bun.BaseModel `bun:"table:packs"`

	ID        int64      `bun:"id,pk,autoincrement"`
	Code      string     `bun:"code,notnull"`
	Label     string     `bun:"label,notnull"`
	Status    PackStatus `bun:"status,notnull"`
	Notes     string     `bun:"notes,notnull"`
	Version   int        `bun:"version,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	UpdatedAt time.Time  `bun:"updated_at,notnull"`
}

type packItemRow struct {
	bun.BaseModel `bun:"table:pack_items"`

	ID       int64  `bun:"id,pk,autoincrement"`
	PackID   int64  `bun:"pack_id,notnull"`
	Position int    `bun:"position,notnull"`
	Kind     string `bun:"kind,notnull"`
	Label    string `bun:"label,notnull"`
	Serial   string `bun:"serial,notnull"`

	RetiredAt     *time.Time `bun:"retired_at"`
	RetiredReason string     `bun:"retired_reason,notnull"`
}

func (r packRow) pack() Pack {
	return Pack{ID: r.ID, Code: r.Code, Label: r.Label, Status: r.Status, Notes: r.Notes,
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Items: []PackItem{}}
}

// ListPacks returns every pack with its items, by code.
func (db *DB) ListPacks(ctx context.Context) (_ []Pack, err error) {
	defer wrapf(&err, "ListPacks")
	var rows []packRow
	if err := db.bun.NewSelect().Model(&rows).OrderExpr("code").Scan(ctx); err != nil {
		return nil, err
	}
	var items []packItemRow
	if err := db.bun.NewSelect().Model(&items).OrderExpr("pack_id, position").Scan(ctx); err != nil {
		return nil, err
	}
	byPack := make(map[int64][]PackItem)
	retired := make(map[int64][]PackItem)
	for _, it := range items {
		if it.RetiredAt != nil {
			retired[it.PackID] = append(retired[it.PackID], it.item())
			continue
		}
		byPack[it.PackID] = append(byPack[it.PackID], it.item())
	}
	holders, err := packHolders(ctx, db.bun, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Pack, len(rows))
	for i, r := range rows {
		out[i] = r.pack()
		if its := byPack[r.ID]; its != nil {
			out[i].Items = its
		}
		out[i].RetiredItems = retired[r.ID]
		if h, ok := holders[r.ID]; ok {
			out[i].setWhereabouts(&h)
		} else {
			out[i].setWhereabouts(nil)
		}
	}
	return out, nil
}

func (r packItemRow) item() PackItem {
	return PackItem{ID: r.ID, Position: r.Position, Kind: r.Kind, Label: r.Label, Serial: r.Serial,
		RetiredAt: loanTime(r.RetiredAt), RetiredReason: r.RetiredReason}
}

// Pack returns one pack with its items. Returns ErrNotFound.
func (db *DB) Pack(ctx context.Context, id int64) (_ Pack, err error) {
	defer wrapf(&err, "Pack(%d)", id)
	return getPack(ctx, db.bun, id)
}

func getPack(ctx context.Context, idb bun.IDB, id int64) (Pack, error) {
	var row packRow
	if err := idb.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return Pack{}, err
	}
	p := row.pack()
	var items []packItemRow
	if err := idb.NewSelect().Model(&items).Where("pack_id = ?", id).OrderExpr("position").Scan(ctx); err != nil {
		return Pack{}, err
	}
	for _, it := range items {
		if it.RetiredAt != nil {
			p.RetiredItems = append(p.RetiredItems, it.item())
			continue
		}
		p.Items = append(p.Items, it.item())
	}
	holders, err := packHolders(ctx, idb, []int64{id})
	if err != nil {
		return Pack{}, err
	}
	if h, ok := holders[id]; ok {
		p.setWhereabouts(&h)
	} else {
		p.setWhereabouts(nil)
	}
	return p, nil
}

// CreatePack inserts a pack and its items; items are numbered in order.
// The pack is validated first (Pack.Validate).
// Returns ErrConflict if the code or a serial number is already used.
func (db *DB) CreatePack(ctx context.Context, actor Actor, p Pack) (_ Pack, err error) {
	defer wrapf(&err, "CreatePack(%s)", p.Code)
	p = p.normalized()
	if err := p.Validate(); err != nil {
		return Pack{}, err
	}
	if err := p.checkText(); err != nil {
		return Pack{}, err
	}
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := db.Now()
		row := packRow{Code: p.Code, Label: p.Label, Status: p.Status, Notes: p.Notes, Version: 1, CreatedAt: now, UpdatedAt: now}
		if row.Status == "" {
			row.Status = PackAvailable
		}
		if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
			return err
		}
		if err := replaceItems(ctx, tx, row.ID, p.Items); err != nil {
			return err
		}
		var err error
		if p, err = getPack(ctx, tx, row.ID); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, "pack.create", "pack", p.ID, nil, p)
	})
	return p, err
}

// UpdatePack replaces a pack's fields and items if p.Version is current
// (required); the pack is validated first (Pack.Validate) and an empty
// status means available.
// Items keep their identity by ID; items missing from p.Items are removed,
// which fails with ErrInvalidReference once an inventory sheet names them.
// Returns ErrNotFound, ErrStale or ErrConflict.
func (db *DB) UpdatePack(ctx context.Context, actor Actor, p Pack) (_ Pack, err error) {
	defer wrapf(&err, "UpdatePack(%d)", p.ID)
	p = p.normalized()
	if err := p.Validate(); err != nil {
		return Pack{}, err
	}
	if p.Version == 0 {
		return Pack{}, FieldErrors{"version": "la version lue est obligatoire pour une modification"}.Err()
	}
	if p.Status == "" {
		p.Status = PackAvailable
	}
	if err := p.checkText(); err != nil {
		return Pack{}, err
	}
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := getPack(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if before.Version != p.Version {
			return ErrStale
		}
		now := db.Now()
		row := packRow{ID: p.ID, Code: p.Code, Label: p.Label, Status: p.Status, Notes: p.Notes,
			Version: before.Version + 1, CreatedAt: before.CreatedAt, UpdatedAt: now}
		res, err := tx.NewUpdate().Model(&row).ExcludeColumn("id", "created_at").
			Where("id = ?", p.ID).Where("version = ?", before.Version).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrStale
		}
		if p.Items != nil {
			if err := replaceItems(ctx, tx, p.ID, p.Items); err != nil {
				return err
			}
		}
		if p, err = getPack(ctx, tx, p.ID); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, "pack.update", "pack", p.ID, before, p)
	})
	return p, err
}

// replaceItems makes the pack's items in service exactly items, in order:
// existing items (by ID) are updated, new ones inserted, the others
// deleted. Retired items are left as they are.
func replaceItems(ctx context.Context, tx bun.Tx, packID int64, items []PackItem) error {
	keep := []int64{0}
	for _, it := range items {
		if it.ID != 0 {
			keep = append(keep, it.ID)
		}
	}
	if _, err := tx.NewDelete().Model((*packItemRow)(nil)).Where("pack_id = ?", packID).Where("retired_at IS NULL").
		Where("id NOT IN (?)", bun.List(keep)).Exec(ctx); err != nil {
		return err
	}
	// Move kept items out of the way so positions can be renumbered without
	// tripping the (pack_id, position) unique key.
	if _, err := tx.NewUpdate().Model((*packItemRow)(nil)).Set("position = -position - 1000000").
		Where("pack_id = ?", packID).Where("retired_at IS NULL").Exec(ctx); err != nil {
		return err
	}
	for i, it := range items {
		row := packItemRow{ID: it.ID, PackID: packID, Position: i + 1, Kind: it.Kind, Label: it.Label, Serial: it.Serial}
		if it.ID == 0 {
			if _, err := tx.NewInsert().Model(&row).ExcludeColumn("id").Exec(ctx); err != nil {
				return err
			}
			continue
		}
		res, err := tx.NewUpdate().Model(&row).ExcludeColumn("id").
			Where("id = ?", it.ID).Where("pack_id = ?", packID).Where("retired_at IS NULL").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrInvalidReference
		}
	}
	return nil
}
