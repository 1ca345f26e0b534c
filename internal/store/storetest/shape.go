package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// shape is what resetting a pooled PostgreSQL schema needs to know about
// the schema the migrations build, read once from the first one migrated.
// Its statements name no schema: they run with search_path set to the one
// being reset.
type shape struct {
	fingerprint string // of the definitions (see fingerprintQuery)
	empty       string // DELETE of every table, children before parents
	nonEmpty    string // query: the tables that have a row, space-separated
	restore     string // the rows the migrations wrote, then every sequence
}

// fingerprintQuery returns a digest of the definitions of what the schema
// in search_path holds (tables, columns, constraints, indexes, triggers,
// functions, sequences, types), without the schema's name (the
// definitions of indexes and triggers name it: it is taken out). It tells
// that two schemas were built alike; it takes tens of milliseconds.
const fingerprintQuery = `
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = current_schema()),
defs AS (
	SELECT format('relation %s %s %s %s', c.relname, c.relkind, c.relrowsecurity, c.reloptions) AS d
	FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns)
	UNION ALL
	SELECT format('column %s.%s %s %s %s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
		a.attnotnull, a.attgenerated, pg_get_expr(ad.adbin, ad.adrelid))
	FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
	WHERE c.relnamespace = (SELECT oid FROM ns) AND a.attnum > 0 AND NOT a.attisdropped
	UNION ALL
	SELECT format('constraint %s %s %s', k.conname, k.conrelid::regclass, pg_get_constraintdef(k.oid))
	FROM pg_constraint k WHERE k.connamespace = (SELECT oid FROM ns)
	UNION ALL
	SELECT format('index %s', pg_get_indexdef(i.indexrelid))
	FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = (SELECT oid FROM ns)
	UNION ALL
	SELECT format('trigger %s %s', pg_get_triggerdef(t.oid), t.tgenabled)
	FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
	WHERE c.relnamespace = (SELECT oid FROM ns) AND NOT t.tgisinternal
	UNION ALL
	SELECT format('function %s %s %s %s %s %s', p.oid::regprocedure, p.prorettype::regtype, p.prolang, p.provolatile, p.proconfig, md5(p.prosrc))
	FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns)
	UNION ALL
	SELECT format('sequence %s %s %s %s %s %s', s.seqrelid::regclass, s.seqtypid, s.seqstart, s.seqincrement, s.seqmin, s.seqmax)
	FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = (SELECT oid FROM ns)
	UNION ALL
	SELECT format('type %s %s', t.typname, t.typtype) FROM pg_type t WHERE t.typnamespace = (SELECT oid FROM ns)
)
SELECT md5(coalesce(string_agg(replace(d, current_schema() || '.', ''), E'\n' ORDER BY d), '')) FROM defs`

// catalogQuery returns a signature of the catalog rows describing what the
// schema in search_path holds: their number and the sum of their xmin.
// Whatever changes a definition (CREATE, ALTER, DROP, DISABLE TRIGGER, on
// a table, column, default, constraint, index, trigger, function, type or
// sequence) adds, removes or rewrites one of these rows, so the signature
// changes; what the server updates in place without a new row version
// (VACUUM's and ANALYZE's statistics) leaves it alone. The schema's
// objects are found from their dependency on it in pg_depend, and
// everything else through the catalogs' indexes, so that the query stays
// a few milliseconds however many dead rows the catalogs hold (every
// schema created and dropped leaves thousands until they are vacuumed).
const catalogQuery = `
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = current_schema()),
members AS (
	SELECT d.classid, d.objid, d.xmin FROM pg_depend d
	WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = (SELECT oid FROM ns)
),
rels AS (SELECT objid AS oid FROM members WHERE classid = 'pg_class'::regclass),
idx AS (SELECT i.indexrelid AS oid, i.xmin FROM pg_index i WHERE i.indrelid IN (SELECT oid FROM rels)),
x AS (
	SELECT xmin FROM members
	UNION ALL SELECT xmin FROM idx
	UNION ALL SELECT c.xmin FROM pg_class c WHERE c.oid IN (SELECT oid FROM rels UNION ALL SELECT oid FROM idx)
	UNION ALL SELECT a.xmin FROM pg_attribute a WHERE a.attrelid IN (SELECT oid FROM rels)
	UNION ALL SELECT d.xmin FROM pg_attrdef d WHERE d.adrelid IN (SELECT oid FROM rels)
	UNION ALL SELECT k.xmin FROM pg_constraint k WHERE k.conrelid IN (SELECT oid FROM rels)
	UNION ALL SELECT t.xmin FROM pg_trigger t WHERE t.tgrelid IN (SELECT oid FROM rels)
	UNION ALL SELECT r.xmin FROM pg_rewrite r WHERE r.ev_class IN (SELECT oid FROM rels)
	UNION ALL SELECT o.xmin FROM pg_policy o WHERE o.polrelid IN (SELECT oid FROM rels)
	UNION ALL SELECT s.xmin FROM pg_sequence s WHERE s.seqrelid IN (SELECT oid FROM rels)
	UNION ALL SELECT p.xmin FROM pg_proc p WHERE p.oid IN (SELECT objid FROM members WHERE classid = 'pg_proc'::regclass)
	UNION ALL SELECT y.xmin FROM pg_type y WHERE y.oid IN (SELECT objid FROM members WHERE classid = 'pg_type'::regclass)
)
SELECT count(*) || ' ' || coalesce(sum(xmin::text::bigint), 0) FROM x`

// captureShape reads the shape of schema, freshly migrated.
func captureShape(ctx context.Context, admin *sql.DB, schema string) (_ *shape, err error) {
	tx, err := admin.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SET LOCAL search_path TO "+schema+", public"); err != nil {
		return nil, err
	}
	var sh shape
	if err := tx.QueryRowContext(ctx, fingerprintQuery).Scan(&sh.fingerprint); err != nil {
		return nil, err
	}
	tables, err := queryStrings(ctx, tx, `SELECT c.relname FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		ORDER BY c.relname`)
	if err != nil {
		return nil, err
	}
	edges, err := queryStrings(ctx, tx, `SELECT c.relname || ' ' || p.relname FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
		WHERE k.contype = 'f' AND k.conrelid <> k.confrelid
		AND c.relnamespace = current_schema()::regnamespace AND p.relnamespace = current_schema()::regnamespace`)
	if err != nil {
		return nil, err
	}
	order, err := childrenFirst(tables, edges)
	if err != nil {
		return nil, err
	}

	var empty, exists []string
	for _, t := range order {
		empty = append(empty, "DELETE FROM "+quoteIdent(t)+";")
		exists = append(exists, fmt.Sprintf("SELECT %s AS t WHERE EXISTS (SELECT FROM %s)", quoteLiteral(t), quoteIdent(t)))
	}
	sh.empty = strings.Join(empty, "\n")
	sh.nonEmpty = "SELECT coalesce(string_agg(t, ' '), '') FROM (" + strings.Join(exists, " UNION ALL ") + ") s"
	var filled string
	if err := tx.QueryRowContext(ctx, sh.nonEmpty).Scan(&filled); err != nil {
		return nil, err
	}

	// The migrations' rows, parents before children, as JSON literals put
	// back by json_populate_recordset (every type comes back as it was).
	var restore []string
	for _, t := range slices.Backward(order) {
		if !slices.Contains(strings.Fields(filled), t) {
			continue
		}
		var rows, cols string
		if err := tx.QueryRowContext(ctx, fmt.Sprintf("SELECT json_agg(r)::text FROM %s r", quoteIdent(t))).Scan(&rows); err != nil {
			return nil, err
		}
		if err := tx.QueryRowContext(ctx, `SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
			WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''`, quoteIdent(t)).Scan(&cols); err != nil {
			return nil, err
		}
		restore = append(restore, fmt.Sprintf("INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM json_populate_recordset(NULL::%s, %s);",
			quoteIdent(t), cols, cols, quoteIdent(t), quoteLiteral(rows)))
	}
	// Each sequence where the migrations left it: not called yet (the
	// next id is its start), or at its last value.
	setvals, err := queryStrings(ctx, tx, `SELECT format('setval(%L, %s, %L)', quote_ident(sequencename),
			coalesce(last_value, start_value), last_value IS NOT NULL)
		FROM pg_sequences WHERE schemaname = current_schema() ORDER BY sequencename`)
	if err != nil {
		return nil, err
	}
	if len(setvals) > 0 {
		restore = append(restore, "SELECT "+strings.Join(setvals, ", ")+";")
	}
	sh.restore = strings.Join(restore, "\n")
	return &sh, nil
}

// childrenFirst orders tables so that a table comes before every table it
// references ("child parent" edges); a table referencing itself is
// emptied by one DELETE.
func childrenFirst(tables, edges []string) ([]string, error) {
	parents := map[string][]string{} // child → parents
	children := map[string]int{}     // parent → children not placed yet
	for _, e := range edges {
		child, parent, _ := strings.Cut(e, " ")
		parents[child] = append(parents[child], parent)
		children[parent]++
	}
	var order []string
	placed := map[string]bool{}
	for len(order) < len(tables) {
		progress := false
		for _, t := range tables {
			if placed[t] || children[t] > 0 {
				continue
			}
			placed[t] = true
			order = append(order, t)
			progress = true
			for _, p := range parents[t] {
				children[p]--
			}
		}
		if !progress {
			var left []string
			for _, t := range tables {
				if !placed[t] {
					left = append(left, t)
				}
			}
			return nil, fmt.Errorf("foreign keys form a cycle among %s: the pooled schemas cannot be emptied table by table", strings.Join(left, ", "))
		}
	}
	return order, nil
}

func queryStrings(ctx context.Context, tx *sql.Tx, query string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteLiteral quotes s as an escape string constant, read the same
// whatever standard_conforming_strings says.
func quoteLiteral(s string) string {
	return "E'" + strings.NewReplacer(`\`, `\\`, "'", "''").Replace(s) + "'"
}
