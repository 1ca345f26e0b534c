package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

const packUsage = `pack maintenance add --pack CODE --from YYYY-MM-DD --to YYYY-MM-DD --reason TEXT [--db URL]
       classemobile pack maintenance list [--pack CODE] [--db URL]
       classemobile pack maintenance remove --pack CODE --id N [--db URL]`

func runPack(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] != "maintenance" ||
		len(args) == 1 || args[1] == "-h" || args[1] == "--help" {
		fmt.Fprintln(e.stderr, "Usage: classemobile "+packUsage)
		fmt.Fprintln(e.stderr, "\nDated maintenance windows of a pack: the pack cannot be lent from --from to --to, both")
		fmt.Fprintln(e.stderr, "included. A window over a live loan of the pack (turnaround included) is refused.")
		switch {
		case len(args) == 0:
			return usagef("pack: missing subcommand")
		case args[0] != "maintenance" && args[0] != "-h" && args[0] != "--help":
			return usagef("pack: unknown subcommand %q (maintenance)", args[0])
		case len(args) == 1:
			return usagef("pack maintenance: missing subcommand (add, list, remove)")
		}
		return errHelpShown
	}
	op := args[1]
	fs := newFlagSet(e, "pack maintenance "+op, packUsage)
	code := fs.String("pack", "", "code of the pack")
	dbURL := dbFlag(fs, e)
	var from, to, reason *string
	var id *int64
	switch op {
	case "add":
		from = fs.String("from", "", "first day of the window, YYYY-MM-DD (required)")
		to = fs.String("to", "", "last day of the window, included, YYYY-MM-DD (required)")
		reason = fs.String("reason", "", "reason, shown to the staff (required)")
	case "list":
	case "remove":
		id = fs.Int64("id", 0, "number of the window (see list) (required)")
	default:
		return usagef("pack maintenance: unknown subcommand %q (add, list, remove)", op)
	}
	if err := parseFlags(fs, args[2:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("pack maintenance %s: unexpected argument %q", op, fs.Arg(0))
	}
	var nm store.NewMaintenance
	switch op {
	case "add":
		var err error
		if *code == "" || *from == "" || *to == "" || strings.TrimSpace(*reason) == "" {
			return usagef("pack maintenance add: --pack, --from, --to and --reason are required")
		}
		if nm.FirstDay, err = calendar.ParseDate(*from); err != nil {
			return usagef("pack maintenance add: --from %q is not a date YYYY-MM-DD", *from)
		}
		if nm.LastDay, err = calendar.ParseDate(*to); err != nil {
			return usagef("pack maintenance add: --to %q is not a date YYYY-MM-DD", *to)
		}
		nm.Reason = strings.TrimSpace(*reason)
	case "remove":
		if *code == "" || *id <= 0 {
			return usagef("pack maintenance remove: --pack and --id are required")
		}
	}

	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	var packID int64
	if *code != "" {
		if packID, err = packByCode(ctx, db, strings.TrimSpace(*code)); err != nil {
			return err
		}
	}
	switch op {
	case "add":
		nm.PackID = packID
		m, err := db.CreateMaintenance(ctx, store.Actor{}, nm)
		var me *store.RuleError
		if errors.As(err, &me) {
			return fmt.Errorf("pack maintenance add: %s", me.Message)
		}
		if err != nil {
			return fmt.Errorf("pack maintenance add: %w", err)
		}
		printMaintenance(e, m)
	case "list":
		list, err := db.ListMaintenance(ctx, store.MaintenanceFilter{PackID: packID})
		if err != nil {
			return fmt.Errorf("pack maintenance list: %w", err)
		}
		if len(list) == 0 {
			fmt.Fprintln(e.stderr, "Aucune maintenance programmée.")
		}
		for _, m := range list {
			printMaintenance(e, m)
		}
	case "remove":
		m, err := db.DeleteMaintenance(ctx, store.Actor{}, packID, *id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("pack maintenance remove: the pack %s has no maintenance window n° %d", *code, *id)
		}
		if err != nil {
			return fmt.Errorf("pack maintenance remove: %w", err)
		}
		fmt.Fprintf(e.stderr, "Maintenance n° %d du pack %s supprimée : le pack peut de nouveau être prêté du %s au %s.\n",
			m.ID, m.PackCode, frDate(m.FirstDay), frDate(m.LastDay))
	}
	return nil
}

// printMaintenance prints one window on one line: number, pack, first and
// last day, reason (tab-separated).
func printMaintenance(e env, m store.Maintenance) {
	fmt.Fprintf(e.stdout, "%d\t%s\t%s\t%s\t%s\n", m.ID, m.PackCode, m.FirstDay, m.LastDay, m.Reason)
}

// packByCode returns the id of the pack with this code.
func packByCode(ctx context.Context, db *store.DB, code string) (int64, error) {
	packs, err := db.ListPacks(ctx)
	if err != nil {
		return 0, err
	}
	for _, p := range packs {
		if p.Code == code {
			return p.ID, nil
		}
	}
	return 0, fmt.Errorf("no pack with code %q", code)
}
