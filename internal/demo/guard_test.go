package demo

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// forbiddenImports are the packages that reach the database beneath the
// store: with them the demo could write rows the store's rules never
// checked. A path counts with its subpackages.
var forbiddenImports = []string{"github.com/uptrace/bun", "database/sql"}

// forbiddenCalls are the store's doors to the database itself: the bun
// handle, raw SQL, and transactions run by the caller (RunInTx and the
// methods that work inside one, named …Tx).
var forbiddenCalls = map[string]bool{"Bun": true, "RunInTx": true, "NewRaw": true, "ExecContext": true, "QueryContext": true}

// storeLeaks lists where a file imports a forbidden package or calls one
// of the forbidden methods.
func storeLeaks(fset *token.FileSet, f *ast.File) []string {
	var found []string
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		for _, bad := range forbiddenImports {
			if path == bad || strings.HasPrefix(path, bad+"/") {
				found = append(found, fset.Position(imp.Pos()).String()+": imports "+path)
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
			if name := sel.Sel.Name; forbiddenCalls[name] || (strings.HasSuffix(name, "Tx") && len(name) > 2) {
				found = append(found, fset.Position(call.Pos()).String()+": calls ."+name+"()")
			}
		}
		return true
	})
	return found
}

// TestOnlyStoreAPI checks that the demo writes only through the store's
// public methods: outside tests, no file of the package imports bun or
// database/sql, nor calls .Bun(), raw SQL or a caller-run transaction.
func TestOnlyStoreAPI(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var found []string
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		found = append(found, storeLeaks(fset, f)...)
		checked++
	}
	assert.GreaterOrEqual(t, checked, 7, "the demo's files are checked")
	sort.Strings(found)
	assert.Empty(t, found, "the demo reaches the database beneath the store")
}

// TestStoreLeaksFinds makes sure the check above can fail: each way
// round the store is found.
func TestStoreLeaksFinds(t *testing.T) {
	t.Parallel()
	src := `package demo

import (
	"database/sql"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

func leaks(d *demo) {
	d.db.Bun().NewRaw("SELECT 1").Scan(ctx, &n)
	_ = d.db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := d.db.CreateLoansTx(ctx, tx, actor, nil)
		return err
	})
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "leaks.go", src, 0)
	require.NoError(t, err)
	found := strings.Join(storeLeaks(fset, f), "\n")
	for _, want := range []string{"imports database/sql", "imports github.com/uptrace/bun\n", "imports github.com/uptrace/bun/dialect/pgdialect",
		"calls .Bun()", "calls .NewRaw()", "calls .RunInTx()", "calls .CreateLoansTx()"} {
		assert.Contains(t, found+"\n", want)
	}
	clean, err := parser.ParseFile(fset, "clean.go", `package demo

func clean(d *demo) { _, _ = d.db.CreateLoan(ctx, actor, nl) }
`, 0)
	require.NoError(t, err)
	assert.Empty(t, storeLeaks(fset, clean), "the store's own methods are allowed")
}
