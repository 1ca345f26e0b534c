package web

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
)

// storeRule is one rule error the store can build: its kind and code, and
// where.
type storeRule struct {
	Kind store.RuleKind
	Code string
	At   string
}

// ruleConstructors are the store's functions that build a *RuleError:
// the index of their code argument and the kind they give.
var ruleConstructors = map[string]struct {
	codeArg int
	kind    store.RuleKind
}{
	"Invalid":      {1, store.RuleInvalid},
	"invalidLoan":  {1, store.RuleInvalid},
	"Conflicting":  {0, store.RuleConflict},
	"loanConflict": {0, store.RuleConflict},
	"Forbidden":    {0, store.RuleForbidden},
}

// storeRules parses the store's sources and returns every rule error built
// there with a literal code: RuleError literals and constructor calls.
func storeRules(t *testing.T) []storeRule {
	t.Helper()
	dir := filepath.Join("..", "store")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	fset := token.NewFileSet()
	var out []storeRule
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err, "parse %s", name)
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); !ok || id.Name != "RuleError" {
					return true
				}
				r := storeRule{At: fset.Position(n.Pos()).String()}
				for _, el := range n.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					switch key := kv.Key.(*ast.Ident).Name; key {
					case "Kind":
						id, ok := kv.Value.(*ast.Ident)
						require.True(t, ok, "%s: Kind is a constant", r.At)
						r.Kind = ruleKindConst(t, id.Name, r.At)
					case "Code":
						if _, isLit := kv.Value.(*ast.BasicLit); !isLit {
							return true // a constructor passing its code on
						}
						r.Code = stringLit(t, kv.Value, r.At)
					}
				}
				out = append(out, r)
			case *ast.CallExpr:
				id, ok := n.Fun.(*ast.Ident)
				if !ok {
					return true
				}
				c, ok := ruleConstructors[id.Name]
				if !ok || len(n.Args) <= c.codeArg {
					return true
				}
				at := fset.Position(n.Pos()).String()
				if _, isLit := n.Args[c.codeArg].(*ast.BasicLit); !isLit {
					return true // the constructor's own body passing its code on
				}
				out = append(out, storeRule{Kind: c.kind, Code: stringLit(t, n.Args[c.codeArg], at), At: at})
			}
			return true
		})
	}
	return out
}

func ruleKindConst(t *testing.T, name, at string) store.RuleKind {
	t.Helper()
	kinds := map[string]store.RuleKind{"RuleInvalid": store.RuleInvalid, "RuleConflict": store.RuleConflict,
		"RuleForbidden": store.RuleForbidden, "RuleNotFound": store.RuleNotFound}
	k, ok := kinds[name]
	require.True(t, ok, "%s: unknown rule kind %s", at, name)
	return k
}

func stringLit(t *testing.T, e ast.Expr, at string) string {
	t.Helper()
	lit, ok := e.(*ast.BasicLit)
	require.True(t, ok && lit.Kind == token.STRING, "%s: the code is a string literal", at)
	s, err := strconv.Unquote(lit.Value)
	require.NoError(t, err)
	return s
}

// TestEveryStoreRuleIsA4xx walks every rule error the store builds and
// checks that the one mapping of the JSON API answers it with a 4xx, its
// own code (validation_failed for every invalid input) and a message: no broken rule can become a 500.
func TestEveryStoreRuleIsA4xx(t *testing.T) {
	t.Parallel()
	rules := storeRules(t)
	require.Greater(t, len(rules), 30, "the walk finds the store's rules")
	codes := map[string]bool{}
	for _, r := range rules {
		require.NotEmpty(t, r.Code, "%s: a rule error has a code", r.At)
		require.NotEmpty(t, r.Kind, "%s: a rule error has a kind", r.At)
		codes[r.Code] = true
		re := &store.RuleError{Kind: r.Kind, Code: r.Code, Message: "Message."}
		// As a handler sees it: wrapped by the store method.
		e := toError(fmt.Errorf("Method(1): %w", re))
		assert.GreaterOrEqual(t, e.Status, 400, "%s (%s): status", r.Code, r.At)
		assert.Less(t, e.Status, 500, "%s (%s): status", r.Code, r.At)
		want := r.Code
		if r.Kind == store.RuleInvalid {
			want = store.InvalidCode // one code for every invalid input
		}
		assert.Equal(t, want, e.Code, "%s (%s): the code reaches the client", r.Code, r.At)
		assert.Equal(t, "Message.", e.Message, "%s (%s): the store's message reaches the client", r.Code, r.At)
	}
	for _, code := range []string{"feed_exists", "no_active_feed", "extension_refused", "pack_loaned", "maintenance_overlap", "validation_failed"} {
		assert.True(t, codes[code], "the walk finds %s", code)
	}
	// Every kind has its status, and an unknown kind is still a 4xx.
	want := map[store.RuleKind]int{store.RuleInvalid: http.StatusUnprocessableEntity, store.RuleConflict: http.StatusConflict,
		store.RuleForbidden: http.StatusForbidden, store.RuleNotFound: http.StatusNotFound}
	for kind, status := range want {
		assert.Equal(t, status, toError(&store.RuleError{Kind: kind, Code: "x"}).Status, "status of %s", kind)
	}
	assert.Equal(t, http.StatusUnprocessableEntity, toError(&store.RuleError{Kind: "new_kind", Code: "x"}).Status, "an unknown kind")
}

// TestHandlersDecideNoRole checks that no handler of the JSON API nor of
// the pages (internal/app) decides from a person's roles: outside tests,
// no file of either package compares a
// role (store.Role… in ==, != or a switch case, or a .Role field), nor
// calls the store's role and visibility predicates. Who may act is the
// store's action table (routes name an action) and the store's methods.
// Naming a role to render or to list (the opinion columns, the teachers'
// names) is not a check and stays allowed.
func TestHandlersDecideNoRole(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	pages, err := filepath.Glob("../app/*.go")
	require.NoError(t, err)
	require.NotEmpty(t, pages, "the pages are checked too")
	files = append(files, pages...)
	predicates := map[string]bool{"HasRole": true, "HasRoleAt": true, "ReferentRole": true,
		"SeesRequest": true, "SeesSchool": true, "SeesAllSchools": true, "ScopedToSchool": true}
	// In the pages, a page's own Role field (a form value) is no check:
	// there only comparisons with a role constant count.
	var page bool
	isRole := func(e ast.Expr) bool {
		sel, ok := e.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "store" && strings.HasPrefix(sel.Sel.Name, "Role") {
			return true
		}
		return !page && sel.Sel.Name == "Role" // a person's or opinion's role field
	}
	fset := token.NewFileSet()
	var found []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		page = strings.HasPrefix(name, "../app/")
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BinaryExpr:
				if (n.Op == token.EQL || n.Op == token.NEQ) && (isRole(n.X) || isRole(n.Y)) {
					found = append(found, fset.Position(n.Pos()).String()+": role comparison")
				}
			case *ast.CaseClause:
				for _, e := range n.List {
					if isRole(e) {
						found = append(found, fset.Position(e.Pos()).String()+": role case")
					}
				}
			case *ast.SwitchStmt:
				if n.Tag != nil && isRole(n.Tag) {
					found = append(found, fset.Position(n.Pos()).String()+": switch on a role")
				}
			case *ast.CallExpr:
				// A page may ask which referent a person is, to name the
				// opinion they give; whether they may is the route's action.
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && predicates[sel.Sel.Name] && !(page && sel.Sel.Name == "ReferentRole") {
					found = append(found, fset.Position(n.Pos()).String()+": "+sel.Sel.Name)
				}
			}
			return true
		})
	}
	sort.Strings(found)
	assert.Empty(t, found, "role checks in the JSON API or the pages")
}

// TestHandlersCheckNoInputRule checks that the handlers of the JSON API
// and the pages do not check input rules themselves: outside tests, no
// file calls checkText, store.CheckText or utf8.RuneCountInString (text
// limits), nor, in the JSON API, asks a state or status whether it is
// Valid (known values). schools.go and
// calendar.go of the JSON API are still being moved and are skipped.
func TestHandlersCheckNoInputRule(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	pages, err := filepath.Glob("../app/*.go")
	require.NoError(t, err)
	files = append(files, pages...)
	skip := map[string]bool{"schools.go": true, "calendar.go": true, "decode.go": true}
	fset := token.NewFileSet()
	var found []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || skip[name] {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				if fn.Name == "checkText" {
					found = append(found, fset.Position(call.Pos()).String()+": checkText")
				}
			case *ast.SelectorExpr:
				switch {
				case fn.Sel.Name == "CheckText", fn.Sel.Name == "RuneCountInString":
					found = append(found, fset.Position(call.Pos()).String()+": "+fn.Sel.Name)
				case fn.Sel.Name == "Valid" && len(call.Args) == 0 && !strings.HasPrefix(name, "../app/"):
					found = append(found, fset.Position(call.Pos()).String()+": Valid")
				}
			}
			return true
		})
	}
	assert.Empty(t, found, "input rules belong to the store's Validate methods")
}
