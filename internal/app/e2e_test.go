package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// browserRequired reports whether a missing browser (or axe-core) fails
// the end-to-end test instead of skipping it: in CI, and when asked.
func browserRequired() bool {
	return os.Getenv("CI") != "" || os.Getenv("REQUIRE_BROWSER") == "1"
}

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if browserRequired() {
		t.Fatalf("%s (CI or REQUIRE_BROWSER=1: the end-to-end test must run)", msg)
	}
	t.Skipf("%s: end-to-end browser test skipped", msg)
}

// findChromium returns Debian's chromium (or another Chrome) on PATH.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	skipOrFail(t, "chromium not found on PATH (apt-get install -y chromium)")
	return ""
}

// axeSource returns axe-core's script, installed from
// testdata/axe/package-lock.json with npm ci when node_modules is missing.
func axeSource(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("testdata", "axe")
	path := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
	if _, err := os.Stat(path); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			skipOrFail(t, "axe-core not installed and npm not found (cd %s && npm ci)", dir)
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--silent")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			skipOrFail(t, "npm ci in %s failed: %v\n%s", dir, err, out)
		}
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// e2e is one browser journey's state.
type e2e struct {
	t       *testing.T
	ctx     context.Context
	base    string
	app     *App
	outbox  string
	axe     string
	noJS    bool
	checked []string // pages checked by axe
	shots   string   // directory for screenshots, "" for none
	start   time.Time
	// checker is a tab that runs scripts, for axe, when ctx runs none.
	checker context.Context
}

// axeViolation is what the test keeps of an axe-core violation.
type axeViolation struct {
	ID    string   `json:"id"`
	Help  string   `json:"help"`
	Nodes []string `json:"nodes"`
}

// check runs axe-core in the page, on the WCAG 2.1 A and AA rules, and
// fails on any violation; in a tab that runs scripts it also fails when the
// page scrolls sideways (wide tables scroll in their own region).
func (e *e2e) check(name string) {
	e.t.Helper()
	target := e.ctx
	if !e.noJS {
		over, err := chromedp.Run(e.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
		require.NoError(e.t, err, "width of %s", name)
		assert.LessOrEqual(e.t, over, 0, "%s is wider than the window by %d px", name, over)
	}
	if e.noJS {
		// axe is a script and this tab runs none: copy the page, as
		// rendered, into a tab of the same site that runs scripts.
		html, err := chromedp.Run(e.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		require.NoError(e.t, err, "read %s", name)
		tree, err := chromedp.Call(e.checker, cdppage.GetFrameTree, cdp.Empty{})
		require.NoError(e.t, err)
		_, err = chromedp.Call(e.checker, cdppage.SetDocumentContent, cdppage.SetDocumentContentParams{
			FrameID: tree.FrameTree.Frame.ID, HTML: "<!DOCTYPE html>" + html})
		require.NoError(e.t, err, "copy %s", name)
		_, err = chromedp.Run(e.checker, chromedp.Evaluate[int](`new Promise(r => {
			const l = document.querySelector('link[rel=stylesheet]');
			if (!l || l.sheet) { r(1); } else { l.addEventListener('load', () => r(1)); l.addEventListener('error', () => r(0)); }
		})`, chromedp.EvalAwaitPromise))
		require.NoError(e.t, err, "stylesheet of %s", name)
		target = e.checker
	}
	script := `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]})
		.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))}))))`
	_, err := chromedp.Run(target, chromedp.Evaluate[int](e.axe+";0"))
	require.NoError(e.t, err, "inject axe on %s", name)
	out, err := chromedp.Run(target, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	require.NoError(e.t, err, "run axe on %s", name)
	var vs []axeViolation
	require.NoError(e.t, json.Unmarshal([]byte(out), &vs))
	assert.Empty(e.t, vs, "axe-core WCAG 2.1 A/AA violations on %s", name)
	e.checked = append(e.checked, name)
	e.t.Logf("%6.1fs checked %s", time.Since(e.start).Seconds(), name)
}

// open navigates to a path and checks the status.
func (e *e2e) open(path string, status int, name string) {
	e.t.Helper()
	resp, err := chromedp.RunResponse(e.ctx, chromedp.Navigate(e.base+path))
	require.NoError(e.t, err, "open %s", path)
	require.Equal(e.t, status, int(resp.Status), "status of %s", path)
	e.check(name)
}

// submit clicks a button that sends a form and checks the next page's
// status (after redirects) and that it holds want.
func (e *e2e) submit(sel string, status int, want, name string) {
	e.t.Helper()
	resp, err := chromedp.RunResponse(e.ctx, chromedp.Click(chromedp.CSS(sel)))
	require.NoError(e.t, err, "click %s", sel)
	require.NotNil(e.t, resp, "click %s navigates", sel)
	assert.Equal(e.t, status, int(resp.Status), "status after %s", sel)
	if want != "" {
		text, err := chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("main")))
		require.NoError(e.t, err)
		require.Contains(e.t, text, want, "page after %s", sel)
	}
	e.check(name)
}

func (e *e2e) screenshot(file string) {
	e.t.Helper()
	if e.shots == "" {
		return
	}
	buf, err := chromedp.Run(e.ctx, chromedp.FullScreenshot(100))
	require.NoError(e.t, err)
	require.NoError(e.t, os.WriteFile(filepath.Join(e.shots, file), buf, 0o644))
}

// outboxLink returns the sign-in link of the newest message to email in
// the outbox.
func (e *e2e) outboxLink(email string) string {
	e.t.Helper()
	e.app.Wait()
	files, err := filepath.Glob(filepath.Join(e.outbox, "*.eml"))
	require.NoError(e.t, err)
	var best string
	var bestTime time.Time
	for _, f := range files {
		raw, err := os.Open(f)
		require.NoError(e.t, err)
		m, err := mail.ReadMessage(raw)
		require.NoError(e.t, err)
		to, _ := m.Header.AddressList("To")
		if len(to) == 0 || to[0].Address != email {
			raw.Close()
			continue
		}
		body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
		require.NoError(e.t, err)
		raw.Close()
		subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if subject != "Votre lien de connexion à classemobile" {
			continue // another message to the person (an agreement signed…)
		}
		st, _ := os.Stat(f)
		if link := linkRE.FindString(string(body)); link != "" && st.ModTime().After(bestTime) {
			best, bestTime = link, st.ModTime()
		}
	}
	require.NotEmpty(e.t, best, "a sign-in link for %s in the outbox", email)
	return best
}

// signIn signs a person in through the e-mail link, as a person would:
// the form, the message in the outbox, the link's page, its button.
func (e *e2e) signIn(email, name string, checkAll bool) {
	e.t.Helper()
	if checkAll {
		e.open("/connexion", http.StatusOK, "Connexion")
	} else {
		_, err := chromedp.RunResponse(e.ctx, chromedp.Navigate(e.base+"/connexion"))
		require.NoError(e.t, err)
	}
	require.NoError(e.t, chromedp.Do(e.ctx, chromedp.SendKeys(chromedp.CSS("#email"), email)))
	e.submit("form[action='/connexion'] button[type=submit]", http.StatusOK, "Vérifiez votre messagerie", "Lien envoyé")
	link := e.outboxLink(email)
	require.True(e.t, strings.HasPrefix(link, e.base+"/connexion/lien?jeton="), link)
	resp, err := chromedp.RunResponse(e.ctx, chromedp.Navigate(link))
	require.NoError(e.t, err)
	require.Equal(e.t, http.StatusOK, int(resp.Status))
	if checkAll {
		e.check("Se connecter")
	}
	e.submit("form[action='/connexion/lien'] button", http.StatusOK, name, "À faire")
}

func (e *e2e) signOut() {
	e.t.Helper()
	_, err := chromedp.RunResponse(e.ctx, chromedp.Click(chromedp.CSS("form[action='/deconnexion'] button")))
	require.NoError(e.t, err)
	text, err := chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("main")))
	require.NoError(e.t, err)
	require.Contains(e.t, text, "Vous êtes déconnecté·e")
}

// TestBrowserJourney takes a request from a teacher's draft to its
// validation in Debian's chromium, with and without JavaScript, and runs
// axe-core on every page of the journey.
func TestBrowserJourney(t *testing.T) {
	chromium := findChromium(t)
	axe := axeSource(t)
	db := storetest.NewSQLite(t)
	site := newBrowserSite(t, db, nil)
	people, outbox, srv, a := site.people, site.outbox, site.srv, site.app
	allocCtx, cancel := browserAllocator(context.Background(), chromium, 1280, 900)
	defer cancel()

	shots := ""
	if os.Getenv("SCREENSHOTS") != "" {
		shots = os.Getenv("SCREENSHOTS")
		require.NoError(t, os.MkdirAll(shots, 0o755))
	}
	for _, noJS := range []bool{false, true} {
		name := "javascript"
		if noJS {
			name = "sans-javascript"
		}
		t.Run(name, func(t *testing.T) {
			bctx, cancel := chromedp.NewContext(allocCtx)
			defer cancel()
			bctx, cancelT := context.WithTimeout(bctx, 8*time.Minute)
			defer cancelT()
			_, err := chromedp.Call(bctx, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true})
			require.NoError(t, err)
			e := &e2e{t: t, ctx: bctx, base: srv.URL, app: a, outbox: outbox, axe: axe, noJS: noJS, start: time.Now()}
			if noJS {
				_, err := chromedp.Call(bctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
				require.NoError(t, err)
				checker, cancel := chromedp.NewContext(bctx)
				defer cancel()
				_, err = chromedp.Call(checker, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true})
				require.NoError(t, err)
				_, err = chromedp.RunResponse(checker, chromedp.Navigate(srv.URL+"/mentions-legales"))
				require.NoError(t, err)
				e.checker = checker
			}
			if !noJS {
				e.shots = shots
			}
			journey(t, e, db, people, name)
			t.Logf("axe-core: 0 violations on %d pages: %s", len(e.checked), strings.Join(e.checked, ", "))
		})
	}
}

func journey(t *testing.T, e *e2e, db *store.DB, people map[string]store.User, variant string) {
	ctx := context.Background()
	title := "Album numérique de la classe (" + variant + ")"

	// The teacher signs in through the link of the e-mail.
	e.signIn(people["teacher"].Email, people["teacher"].Name, true)
	e.open("/demandes/nouvelle", http.StatusOK, "Nouvelle demande")
	require.NoError(t, chromedp.Do(e.ctx,
		chromedp.SendKeys(chromedp.CSS("#title"), title),
		chromedp.Click(chromedp.CSS("#class_levels-CM1")),
		chromedp.SendKeys(chromedp.CSS("#pupils"), "40"), // one mistake: 35 pupils at most
		chromedp.SendKeys(chromedp.CSS("#motivation"), "Écrire, illustrer et enregistrer un album avec les élèves."),
		chromedp.SendKeys(chromedp.CSS("#curriculum_links"), "Français : écrire des textes ; arts plastiques."),
		chromedp.SendKeys(chromedp.CSS("#school_project_links"), "Axe 2 du projet d'école : la maîtrise de la langue."),
		chromedp.SendKeys(chromedp.CSS("#digital_skills"), "Créer des documents multimédias (CRCN 3.1)."),
		chromedp.Click(chromedp.CSS("#commitments-secure_use")),
		chromedp.Click(chromedp.CSS("#commitments-visits")),
		chromedp.Click(chromedp.CSS("#commitments-parents_informed")),
		chromedp.Click(chromedp.CSS("#commitments-feedback")),
		chromedp.Click(chromedp.CSS("#logistics-secure_storage")),
		chromedp.Click(chromedp.CSS("#period-P2-souhaitee")),
	))
	e.submit("button[value=brouillon]", http.StatusUnprocessableEntity, "1 champ est à corriger", "Nouvelle demande avec une erreur")
	summary, err := chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("#erreurs")))
	require.NoError(t, err)
	assert.Contains(t, summary, "Nombre d'élèves")
	e.screenshot("demande-avec-erreur.png")
	// The form kept what was typed; the teacher corrects the mistake.
	kept, err := chromedp.Run(e.ctx, chromedp.Value(chromedp.CSS("#title")))
	require.NoError(t, err)
	assert.Equal(t, title, kept, "the form keeps what was typed")
	require.NoError(t, chromedp.Do(e.ctx, chromedp.SetValue(chromedp.CSS("#pupils"), "28")))
	e.submit("button[value=brouillon]", http.StatusOK, "Brouillon enregistré", "Brouillon enregistré")
	e.submit("button[value=recap]", http.StatusOK, "Vérifier avant d'envoyer", "Vérification avant l'envoi")
	e.submit("form[action$='/envoi'] button", http.StatusOK, "envoyée à la direction", "Fiche projet (envoyée)")
	qs, err := db.ListRequests(ctx, store.RequestFilter{TeacherID: people["teacher"].ID, State: store.RequestSubmitted})
	require.NoError(t, err)
	var q store.Request
	for _, x := range qs {
		if x.Title == title {
			q = x
		}
	}
	require.NotZero(t, q.ID, "the request is submitted")
	assert.Equal(t, 28, q.Pupils)
	assert.Equal(t, 2, q.Packs, "28 pupils need two packs")
	e.open("/", http.StatusOK, "À faire (enseignant·e)")
	e.signOut()

	// The director authorises it from Mon école.
	e.signIn(people["director"].Email, people["director"].Name, false)
	e.open("/ecole", http.StatusOK, "Mon école")
	require.NoError(t, chromedp.Do(e.ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf("#demande-%d", q.ID)))))
	e.submit("form[action='/ecole/autorisations'] button", http.StatusOK, "Demande autorisée", "Mon école (autorisée)")
	e.signOut()

	// The three referents give their opinions from Avis à donner.
	for _, key := range []string{"inspection", "it", "education"} {
		e.signIn(people[key].Email, people[key].Name, false)
		e.open(fmt.Sprintf("/avis?demande=%d", q.ID), http.StatusOK, "Avis à donner")
		require.NoError(t, chromedp.Do(e.ctx,
			chromedp.Click(chromedp.CSS("#verdict-favourable")),
			chromedp.SendKeys(chromedp.CSS("#comment"), "Projet clair et réaliste.")))
		e.submit("form[action$='/avis'] button[type=submit]", http.StatusOK, "est enregistré", "Avis à donner (suivante)")
		e.signOut()
	}

	// The coordinator validates it.
	e.signIn(people["coordinator"].Email, people["coordinator"].Name, false)
	e.open("/", http.StatusOK, "À faire (coordination)")
	e.screenshot("a-faire.png")
	e.open("/validation", http.StatusOK, "Validation")
	e.screenshot("validation.png")
	e.open(fmt.Sprintf("/demandes/%d", q.ID), http.StatusOK, "Fiche projet (à décider)")
	e.submit("button[value=validated]", http.StatusOK, "validée", "Fiche projet (validée)")
	got, err := db.Request(ctx, q.ID)
	require.NoError(t, err)
	assert.Equal(t, store.RequestValidated, got.State, "validated without touching the API")
	assert.Len(t, got.Opinions, 3)
	e.open("/accessibilite", http.StatusOK, "Accessibilité")
	e.open("/mentions-legales", http.StatusOK, "Mentions légales")
	e.signOut()
}
