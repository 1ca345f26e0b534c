package storetest_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPackagesUseThePool checks that every package whose tests take
// PostgreSQL schemas runs them with the pool (storetest.Main or WithPool
// in its TestMain): without it each test migrates a schema of its own,
// correct but many times slower.
func TestPackagesUseThePool(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	uses := regexp.MustCompile(`storetest\.(EachDialect|EachDialectURL|NewPostgres|NewPostgresURL)\(`)
	pooled := regexp.MustCompile(`storetest\.(Main|WithPool)\(`)
	using := map[string]bool{}
	withPool := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		if uses.Match(src) {
			using[dir] = true
		}
		if pooled.Match(src) {
			withPool[dir] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(using) < 5 {
		t.Fatalf("found %d packages using PostgreSQL test schemas: the walk missed the module", len(using))
	}
	for dir := range using {
		if !withPool[dir] {
			t.Errorf("%s: its tests take PostgreSQL schemas but its TestMain does not run storetest.Main (or WithPool)", dir)
		}
	}
}
