package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// AuditEvent is one entry of the append-only audit log: who did what to
// which entity, when, with the state before and after.
type AuditEvent struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	ActorID  int64           `json:"actor_id,omitempty"`
	Action   string          `json:"action"`
	Entity   string          `json:"entity"`
	EntityID string          `json:"entity_id"`
	Before   json.RawMessage `json:"before,omitempty"`
	After    json.RawMessage `json:"after,omitempty"`
}

type auditRow struct {
	bun.BaseModel `bun:"table:audit_events"`

	ID       int64     `bun:"id,pk,autoincrement"`
	At       time.Time `bun:"at,notnull"`
	ActorID  *int64    `bun:"actor_id"`
	Action   string    `bun:"action,notnull"`
	Entity   string    `bun:"entity,notnull"`
	EntityID string    `bun:"entity_id,notnull"`
	Before   *string   `bun:"before"`
	After    *string   `bun:"after"`
}

// Actor identifies who makes a change, for the audit log. The zero Actor is
// the system itself (CLI, nightly jobs).
type Actor struct {
	UserID int64
}

// Audit appends an event to the audit log inside the caller's transaction.
// before and after are marshalled to JSON; nil stays NULL.
func Audit(ctx context.Context, idb bun.IDB, at time.Time, actor Actor, action, entity string, entityID any, before, after any) error {
	row := auditRow{At: at.UTC().Truncate(time.Microsecond), Action: action, Entity: entity, EntityID: idString(entityID)}
	if actor.UserID != 0 {
		row.ActorID = &actor.UserID
	}
	var err error
	if row.Before, err = jsonText(before); err != nil {
		return fmt.Errorf("audit %s %s: %w", action, entity, err)
	}
	if row.After, err = jsonText(after); err != nil {
		return fmt.Errorf("audit %s %s: %w", action, entity, err)
	}
	if _, err := idb.NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("audit %s %s: %w", action, entity, err)
	}
	return nil
}

func idString(id any) string {
	switch v := id.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	default:
		return fmt.Sprint(v)
	}
}

func jsonText(v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

// AuditTrail returns the events of one entity, oldest first.
func (db *DB) AuditTrail(ctx context.Context, entity string, entityID any) (_ []AuditEvent, err error) {
	defer wrapf(&err, "AuditTrail(%s, %v)", entity, entityID)
	var rows []auditRow
	if err := db.bun.NewSelect().Model(&rows).
		Where("entity = ?", entity).Where("entity_id = ?", idString(entityID)).
		OrderExpr("id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]AuditEvent, len(rows))
	for i, r := range rows {
		out[i] = AuditEvent{ID: r.ID, At: r.At.UTC(), Action: r.Action, Entity: r.Entity, EntityID: r.EntityID}
		if r.ActorID != nil {
			out[i].ActorID = *r.ActorID
		}
		if r.Before != nil {
			out[i].Before = json.RawMessage(*r.Before)
		}
		if r.After != nil {
			out[i].After = json.RawMessage(*r.After)
		}
	}
	return out, nil
}
