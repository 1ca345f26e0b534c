package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Sector is a district (quartier) of the city; schools belong to one. The
// allocation engine spreads packs across sectors.
type Sector struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	PeriodCap int    `json:"period_cap"`
}

type sectorRow struct {
	bun.BaseModel `bun:"table:sectors"`

	ID        string `bun:"id,pk"`
	Name      string `bun:"name,notnull"`
	PeriodCap int    `bun:"period_cap,notnull"`
}

// School is a school identified by its UAI code.
type School struct {
	UAI               string    `json:"uai"`
	Name              string    `json:"name"`
	Kind              string    `json:"kind"`
	Address           string    `json:"address"`
	PostalCode        string    `json:"postal_code"`
	City              string    `json:"city"`
	SectorID          string    `json:"sector_id,omitempty"`
	Site              string    `json:"site"`
	Latitude          *float64  `json:"latitude,omitempty"`
	Longitude         *float64  `json:"longitude,omitempty"`
	PriorityEducation string    `json:"priority_education"`
	Version           int       `json:"version"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

type schoolRow struct {
	bun.BaseModel `bun:"table:schools"`

	UAI               string    `bun:"uai,pk"`
	Name              string    `bun:"name,notnull"`
	Kind              string    `bun:"kind,notnull"`
	Address           string    `bun:"address,notnull"`
	PostalCode        string    `bun:"postal_code,notnull"`
	City              string    `bun:"city,notnull"`
	SectorID          *string   `bun:"sector_id"`
	Site              string    `bun:"site,notnull"`
	Latitude          *float64  `bun:"latitude"`
	Longitude         *float64  `bun:"longitude"`
	PriorityEducation string    `bun:"priority_education,notnull"`
	Version           int       `bun:"version,notnull"`
	CreatedAt         time.Time `bun:"created_at,notnull"`
	UpdatedAt         time.Time `bun:"updated_at,notnull"`
}

func (r schoolRow) school() School {
	s := School{UAI: r.UAI, Name: r.Name, Kind: r.Kind, Address: r.Address, PostalCode: r.PostalCode,
		City: r.City, Site: r.Site, Latitude: r.Latitude, Longitude: r.Longitude,
		PriorityEducation: r.PriorityEducation, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.SectorID != nil {
		s.SectorID = *r.SectorID
	}
	return s
}

func schoolRowOf(s School) schoolRow {
	r := schoolRow{UAI: s.UAI, Name: s.Name, Kind: s.Kind, Address: s.Address, PostalCode: s.PostalCode,
		City: s.City, Site: s.Site, Latitude: s.Latitude, Longitude: s.Longitude,
		PriorityEducation: s.PriorityEducation, Version: s.Version, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if s.SectorID != "" {
		r.SectorID = &s.SectorID
	}
	return r
}

// ListSectors returns every sector, by id.
func (db *DB) ListSectors(ctx context.Context) (_ []Sector, err error) {
	defer wrapf(&err, "ListSectors")
	var rows []sectorRow
	if err := db.bun.NewSelect().Model(&rows).OrderExpr("id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Sector, len(rows))
	for i, r := range rows {
		out[i] = r.sector()
	}
	return out, nil
}

func (r sectorRow) sector() Sector { return Sector{ID: r.ID, Name: r.Name, PeriodCap: r.PeriodCap} }

// SaveSector creates a sector or updates its name and cap.
func (db *DB) SaveSector(ctx context.Context, actor Actor, s Sector) (err error) {
	defer wrapf(&err, "SaveSector(%s)", s.ID)
	if err := s.checkText(); err != nil {
		return err
	}
	return db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row := sectorRow{ID: s.ID, Name: s.Name, PeriodCap: s.PeriodCap}
		if _, err := tx.NewInsert().Model(&row).
			On("CONFLICT (id) DO UPDATE").Set("name = EXCLUDED.name").Set("period_cap = EXCLUDED.period_cap").
			Exec(ctx); err != nil {
			return err
		}
		return Audit(ctx, tx, db.Now(), actor, "sector.save", "sector", s.ID, nil, s)
	})
}

// ListSchools returns every school, by name then UAI.
func (db *DB) ListSchools(ctx context.Context) (_ []School, err error) {
	defer wrapf(&err, "ListSchools")
	var rows []schoolRow
	if err := db.bun.NewSelect().Model(&rows).OrderExpr("name, uai").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]School, len(rows))
	for i, r := range rows {
		out[i] = r.school()
	}
	return out, nil
}

// School returns one school. Returns ErrNotFound if there is none with that UAI.
func (db *DB) School(ctx context.Context, uai string) (_ School, err error) {
	defer wrapf(&err, "School(%s)", uai)
	return getSchool(ctx, db.bun, uai)
}

func getSchool(ctx context.Context, idb bun.IDB, uai string) (School, error) {
	var row schoolRow
	if err := idb.NewSelect().Model(&row).Where("uai = ?", uai).Scan(ctx); err != nil {
		return School{}, err
	}
	return row.school(), nil
}

// CreateSchool inserts a school after School.Validate. Returns a
// *RuleError for invalid fields, ErrConflict if the UAI exists and
// ErrInvalidReference if the sector does not.
func (db *DB) CreateSchool(ctx context.Context, actor Actor, s School) (_ School, err error) {
	defer wrapf(&err, "CreateSchool(%s)", s.UAI)
	s = s.normalized()
	if err := s.Validate(); err != nil {
		return School{}, err
	}
	if err := s.checkText(); err != nil {
		return School{}, err
	}
	now := db.Now()
	s.Version, s.CreatedAt, s.UpdatedAt = 1, now, now
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row := schoolRowOf(s)
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, "school.create", "school", s.UAI, nil, s)
	})
	return s, err
}

// UpdateSchool replaces a school's fields (checked by School.Validate) if
// s.Version, required, is still its current version. Returns a *RuleError
// for invalid fields, ErrNotFound, or ErrStale if someone else updated it
// first.
func (db *DB) UpdateSchool(ctx context.Context, actor Actor, s School) (_ School, err error) {
	defer wrapf(&err, "UpdateSchool(%s)", s.UAI)
	s = s.normalized()
	if err := s.Validate(); err != nil {
		return School{}, err
	}
	if s.Version == 0 {
		return School{}, FieldErrors{"version": "la version lue est obligatoire pour une modification"}.Err()
	}
	if err := s.checkText(); err != nil {
		return School{}, err
	}
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := getSchool(ctx, tx, s.UAI)
		if err != nil {
			return err
		}
		if before.Version != s.Version {
			return ErrStale
		}
		s.CreatedAt, s.UpdatedAt, s.Version = before.CreatedAt, db.Now(), before.Version+1
		row := schoolRowOf(s)
		res, err := tx.NewUpdate().Model(&row).ExcludeColumn("uai", "created_at").
			Where("uai = ?", s.UAI).Where("version = ?", before.Version).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrStale
		}
		return Audit(ctx, tx, s.UpdatedAt, actor, "school.update", "school", s.UAI, before, s)
	})
	return s, err
}
