package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/classemobile/classemobile/internal/config"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/web"
)

const feedUsage = "feed create|rotate|revoke --scope school --school UAI | --scope pack --pack CODE | --scope all [--db URL] [--base-url U]"

func runFeed(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stderr, "Usage: classemobile "+feedUsage)
		fmt.Fprintln(e.stderr, "\nManages the secret iCal feed URLs: create prints a new feed's URL, rotate replaces it")
		fmt.Fprintln(e.stderr, "(the old URL stops working at once), revoke ends it. Only a hash of the token is stored,")
		fmt.Fprintln(e.stderr, "so the URL is printed once: on stdout, alone; the webcal:// form goes to stderr.")
		if len(args) == 0 {
			return usagef("feed: missing subcommand")
		}
		return errHelpShown
	}
	op := args[0]
	switch op {
	case "create", "rotate", "revoke":
	default:
		return usagef("feed: unknown subcommand %q (create, rotate, revoke)", op)
	}
	fs := newFlagSet(e, "feed "+op, feedUsage)
	scope := fs.String("scope", "", "school, pack or all (required)")
	school := fs.String("school", "", "UAI of the school, with --scope school")
	pack := fs.String("pack", "", "code of the pack, with --scope pack")
	baseURL := fs.String("base-url", feedBaseURL(e), "public URL of the service, for the printed URL [BASE_URL]")
	dbURL := dbFlag(fs, e)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	t := store.FeedTarget{Scope: store.FeedScope(*scope), SchoolUAI: strings.ToUpper(strings.TrimSpace(*school)),
		PackCode: strings.TrimSpace(*pack)}
	switch {
	case fs.NArg() > 0:
		return usagef("feed %s: unexpected argument %q", op, fs.Arg(0))
	case !t.Scope.Valid():
		return usagef("feed %s: --scope must be school, pack or all", op)
	case t.Scope == store.FeedSchool && (t.SchoolUAI == "" || t.PackCode != ""):
		return usagef("feed %s: --scope school needs --school UAI (and no --pack)", op)
	case t.Scope == store.FeedPack && (t.PackCode == "" || t.SchoolUAI != ""):
		return usagef("feed %s: --scope pack needs --pack CODE (and no --school)", op)
	case t.Scope == store.FeedAll && (t.PackCode != "" || t.SchoolUAI != ""):
		return usagef("feed %s: --scope all takes neither --school nor --pack", op)
	}
	if u, err := url.Parse(*baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("feed %s: --base-url %q is not an http(s) URL", op, *baseURL)
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	var (
		f     store.Feed
		token string
	)
	switch op {
	case "create":
		f, token, err = db.CreateFeed(ctx, store.Actor{}, t)
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("feed create %s: a feed exists already; its URL is not kept: use 'feed rotate' for a new one", t)
		}
	case "rotate":
		f, token, err = db.RotateFeed(ctx, store.Actor{}, t)
	case "revoke":
		f, err = db.RevokeFeed(ctx, store.Actor{}, t)
	}
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("feed %s %s: no such school or pack, or no active feed", op, t)
	}
	if err != nil {
		return fmt.Errorf("feed %s %s: %w", op, t, err)
	}
	if op == "revoke" {
		fmt.Fprintf(e.stderr, "Feed %d (%s) revoked: its URL now answers 404.\n", f.ID, t)
		return nil
	}
	httpURL, webcal := web.FeedURLs(*baseURL, token)
	fmt.Fprintln(e.stdout, httpURL)
	fmt.Fprintf(e.stderr, "Feed %d (%s). Subscribe with: %s\n", f.ID, t, webcal)
	return nil
}

// feedBaseURL is the default --base-url: BASE_URL, else the one serve
// derives from its listen address (ADDR, default :8080).
func feedBaseURL(e env) string {
	if v := e.getenv("BASE_URL"); v != "" {
		return strings.TrimRight(v, "/")
	}
	return config.DefaultBaseURL(envOr(e, "ADDR", ":8080"))
}
