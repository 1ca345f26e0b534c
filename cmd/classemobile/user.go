package main

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"

	"github.com/classemobile/classemobile/internal/app"
	"github.com/classemobile/classemobile/internal/store"
)

func runUser(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stderr, "Usage: classemobile user add --email E --name N --role R[,R…] [--school UAI] [--db URL]")
		fmt.Fprintln(e.stderr, "       classemobile user link --email E [--base-url URL] [--db URL]")
		if len(args) == 0 {
			return usagef("user: missing subcommand")
		}
		return errHelpShown
	}
	switch args[0] {
	case "add":
		return runUserAdd(ctx, e, args[1:])
	case "link":
		return runUserLink(ctx, e, args[1:])
	default:
		return usagef("user: unknown subcommand %q", args[0])
	}
}

func runUserAdd(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "user add", "user add --email E --name N --role R[,R…] [--school UAI] [--db URL]\n\n"+
		"Creates a user and prints its API token alone on stdout (only its hash is stored).\n"+
		"Roles: coordinator, it, inspection, education, director, teacher (the last two need --school).")
	email := fs.String("email", "", "e-mail address (required)")
	name := fs.String("name", "", "full name (required)")
	var roleArgs []string
	fs.Func("role", "role (required); repeat it or separate roles by commas for a person with several roles (director,teacher)", func(v string) error {
		roleArgs = append(roleArgs, strings.Split(v, ",")...)
		return nil
	})
	school := fs.String("school", "", "UAI of the school, for directors and teachers")
	dbURL := dbFlag(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	u := store.User{Email: strings.ToLower(strings.TrimSpace(*email)), Name: strings.TrimSpace(*name),
		SchoolUAI: strings.ToUpper(strings.TrimSpace(*school))}
	for _, r := range roleArgs {
		role := store.Role(strings.TrimSpace(r))
		switch {
		case !role.Valid():
			return usagef("user add: unknown role %q (coordinator, it, inspection, education, director, teacher)", r)
		case role.ScopedToSchool() && u.SchoolUAI == "":
			return usagef("user add: role %s needs --school", role)
		}
		u.Roles = append(u.Roles, store.UserRole{Role: role})
	}
	switch {
	case fs.NArg() > 0:
		return usagef("user add: unexpected argument %q", fs.Arg(0))
	case u.Email == "" || u.Name == "" || len(u.Roles) == 0:
		return usagef("user add: --email, --name and --role are required")
	case u.SchoolUAI != "" && !slices.ContainsFunc(u.Roles, func(ur store.UserRole) bool { return ur.Role.ScopedToSchool() }):
		return usagef("user add: role %s does not belong to a school", u.Roles[0].Role)
	}
	if addr, err := mail.ParseAddress(u.Email); err != nil || addr.Address != u.Email {
		return usagef("user add: %q is not an e-mail address", *email)
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	_, token, err := db.CreateUser(ctx, store.Actor{}, u)
	if err != nil {
		return fmt.Errorf("add user %s: %w", u.Email, err)
	}
	fmt.Fprintln(e.stdout, token)
	return nil
}

func runUserLink(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "user link", "user link --email E [--base-url URL] [--db URL]\n\n"+
		"Prints a sign-in link for the web application alone on stdout: it works once, within 15 minutes.")
	email := fs.String("email", "", "e-mail address of an active person (required)")
	baseURL := fs.String("base-url", e.getenv("BASE_URL"), "public URL of the service [BASE_URL] (default http://localhost:8080)")
	dbURL := dbFlag(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	addr := strings.ToLower(strings.TrimSpace(*email))
	switch {
	case fs.NArg() > 0:
		return usagef("user link: unexpected argument %q", fs.Arg(0))
	case addr == "":
		return usagef("user link: --email is required")
	}
	base := strings.TrimRight(*baseURL, "/")
	if base == "" {
		base = "http://localhost:8080"
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("user link: --base-url %q is not an http(s) URL", *baseURL)
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.ActiveUserByEmail(ctx, addr)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("user link: no active person with e-mail %s", addr)
	}
	if err != nil {
		return err
	}
	link, err := db.NewLoginLink(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("user link %s: %w", addr, err)
	}
	fmt.Fprintln(e.stdout, app.SignInURL(base, link.Token, ""))
	return nil
}
