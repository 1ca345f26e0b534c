package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestUserCommands(t *testing.T) {
	t.Parallel()
	storetest.EachDialectURL(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		env := map[string]string{"DATABASE_URL": dbURL}
		code, _, stderr := runCLI(t, env, "migrate")
		require.Equal(t, 0, code, stderr)
		db := storetest.OpenURL(t, dbURL)
		school := storetest.School(t, db, &storetest.SchoolOpts{Name: "École Victor Hugo"})

		code, stdout, stderr := runCLI(t, env, "user", "add", "--email", "julie@example.fr", "--name", "Julie Petit", "--role", "teacher", "--school", school.UAI)
		require.Equal(t, 0, code, stderr)
		first := strings.TrimSpace(stdout)
		code, _, stderr = runCLI(t, env, "user", "add", "--email", "marc@example.fr", "--name", "Marc Roy", "--role", "it")
		require.Equal(t, 0, code, stderr)

		// An existing e-mail is a French sentence, not a driver message.
		code, stdout, stderr = runCLI(t, env, "user", "add", "--email", "JULIE@example.fr", "--name", "Julie", "--role", "it")
		assert.Equal(t, 1, code)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, "l'adresse e-mail julie@example.fr est déjà celle d'une autre personne")
		assert.Contains(t, stderr, "classemobile user token --email julie@example.fr")
		for _, driver := range []string{"UNIQUE", "unique", "constraint", "SQLSTATE", "conflict"} {
			assert.NotContains(t, stderr, driver, "no driver or store wording")
		}
		code, _, stderr = runCLI(t, env, "user", "add", "--email", "x@example.fr", "--name", "X", "--role", "director", "--school", "0939999Z")
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "aucune école n'a le code UAI 0939999Z")

		// list: the people, their school's name and their tokens.
		code, stdout, stderr = runCLI(t, env, "user", "list")
		require.Equal(t, 0, code, stderr)
		assert.Regexp(t, `julie@example.fr\s+Julie Petit\s+teacher\s+`+school.UAI+` École Victor Hugo\s+1\s+actif`, stdout)
		assert.Regexp(t, `marc@example.fr\s+Marc Roy\s+it\s+-\s+1\s+actif`, stdout)
		assert.Contains(t, stderr, "2 personne(s).")
		code, stdout, _ = runCLI(t, env, "user", "list", "--role", "it")
		require.Equal(t, 0, code)
		assert.NotContains(t, stdout, "julie@example.fr")

		// token: a new token alone on stdout; the old one stops working.
		code, stdout, stderr = runCLI(t, env, "user", "token", "--email", "Julie@Example.fr")
		require.Equal(t, 0, code, stderr)
		second := strings.TrimSpace(stdout)
		assert.Equal(t, second+"\n", stdout, "the token alone on stdout")
		assert.NotEqual(t, first, second)
		_, err := db.UserByToken(ctx, first)
		assert.ErrorIs(t, err, store.ErrNotFound, "the old token is revoked")
		u, err := db.UserByToken(ctx, second)
		require.NoError(t, err, "the new token works")
		assert.Equal(t, "julie@example.fr", u.Email)
		code, _, stderr = runCLI(t, env, "user", "token", "--email", "nobody@example.fr")
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "aucune personne n'a l'adresse e-mail nobody@example.fr")

		// disable: tokens revoked, hidden from the list unless --all.
		code, _, stderr = runCLI(t, env, "user", "disable", "--email", "julie@example.fr")
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stderr, "Julie Petit (julie@example.fr) désactivé(e)")
		_, err = db.UserByToken(ctx, second)
		assert.ErrorIs(t, err, store.ErrNotFound, "a disabled person's token no longer works")
		code, stdout, _ = runCLI(t, env, "user", "list")
		require.Equal(t, 0, code)
		assert.NotContains(t, stdout, "julie@example.fr")
		code, stdout, _ = runCLI(t, env, "user", "list", "--all")
		require.Equal(t, 0, code)
		assert.Regexp(t, `julie@example.fr.*0\s+désactivé le \d{4}-\d\d-\d\d`, stdout)
		code, _, stderr = runCLI(t, env, "user", "disable", "--email", "julie@example.fr")
		assert.Equal(t, 0, code, "disabling twice changes nothing")
		assert.Contains(t, stderr, "déjà désactivé")
		code, _, stderr = runCLI(t, env, "user", "token", "--email", "julie@example.fr")
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "Julie Petit est désactivé(e)")

		trail, err := db.AuditTrail(ctx, "user", u.ID)
		require.NoError(t, err)
		var actions []string
		for _, ev := range trail {
			actions = append(actions, ev.Action)
		}
		assert.Equal(t, []string{"user.create", "user.token", "user.disable"}, actions, "every change is audit-logged")
	})
}

// lineWaiter is a writer that signals when a line matching re was written.
type lineWaiter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	re    *regexp.Regexp
	match chan []string
}

func (w *lineWaiter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := w.re.FindStringSubmatch(w.buf.String()); m != nil && w.match != nil {
		w.match <- m
		w.match = nil
	}
	return len(p), nil
}

func TestServeDemoPrintsTheRealAddress(t *testing.T) {
	t.Parallel()
	dbPath := t.TempDir() + "/serve.db"
	out := &lineWaiter{re: regexp.MustCompile(`coordinator\s+-\s+\S+\s+(cm_\S+) (http://\S+)/connexion/lien\S+\n`), match: make(chan []string, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", dbPath, "--demo", "--no-jobs", "--log-level", "error"},
			func(string) string { return "" }, out, io.Discard)
	}()
	defer func() {
		cancel()
		<-done
	}()
	var m []string
	select {
	case m = <-out.match:
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("serve printed no URL")
	}
	assert.NotContains(t, m[2], ":8080", "the port really listened on, not a fixed one")
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, m[2])
	req, err := http.NewRequest("GET", m[2]+"/api/v1/schools", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+m[1])
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "the printed URL answers")
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestUserImport(t *testing.T) {
	t.Parallel()
	storetest.EachDialectURL(t, func(t *testing.T, dbURL string) {
		env := map[string]string{"DATABASE_URL": dbURL}
		code, _, stderr := runCLI(t, env, "migrate")
		require.Equal(t, 0, code, stderr)
		db := storetest.OpenURL(t, dbURL)
		school := storetest.School(t, db, &storetest.SchoolOpts{UAI: "0931280L", Name: "ECOLE ELEMENTAIRE ALEXANDRE DUMAS"})
		dir := t.TempDir()
		good := dir + "/personnes.csv"
		require.NoError(t, os.WriteFile(good, []byte("\ufeffe-mail;nom;rôle(s);UAI\nPaul@Example.fr;Paul Nouveau;enseignant|directeur;"+school.UAI+"\nien@example.fr;Sophie Lambert;inspectrice;\n"), 0o600))
		bad := dir + "/erreurs.csv"
		require.NoError(t, os.WriteFile(bad, []byte("ien@example.fr;Sophie Lambert;inspectrice;\nx@example.fr;X;enseignant;0939999Z\n"), 0o600))

		code, stdout, stderr := runCLI(t, env, "user", "import", "--file", bad, "--apply")
		assert.Equal(t, 1, code)
		assert.Equal(t, "ligne 2 : UAI inconnu : aucune école n'a le code 0939999Z\n", stdout)
		assert.Contains(t, stderr, "Fichier refusé : 1 ligne en erreur, rien n'a été modifié")
		assert.Equal(t, 0, countPeople(t, db), "a refused file changes nothing")

		code, stdout, stderr = runCLI(t, env, "user", "import", "--file", good)
		require.Equal(t, 0, code, stderr)
		assert.Regexp(t, `ligne 2\s+à créer\s+paul@example.fr\s+Paul Nouveau\s+direction d'école, enseignant\(e\)\s+ECOLE ELEMENTAIRE ALEXANDRE DUMAS \(0931280L\)`, stdout)
		assert.Contains(t, stdout, "2 personnes à créer, 0 à modifier, 0 inchangée.")
		assert.Contains(t, stdout, "relancez avec --apply")
		assert.Equal(t, 0, countPeople(t, db), "a preview changes nothing")

		code, stdout, stderr = runCLI(t, env, "user", "import", "--file", good, "--apply")
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "2 personnes créées, 0 modifiée, 0 inchangée.")
		assert.Equal(t, 2, countPeople(t, db))
		code, stdout, _ = runCLI(t, env, "user", "import", "--file", good, "--apply")
		require.Equal(t, 0, code)
		assert.Contains(t, stdout, "0 personne créée, 0 modifiée, 2 inchangées.", "a second apply changes nothing")
	})
}

func countPeople(t *testing.T, db *store.DB) int {
	t.Helper()
	people, err := db.People(context.Background(), store.PeopleFilter{IncludeDisabled: true})
	require.NoError(t, err)
	return len(people)
}
