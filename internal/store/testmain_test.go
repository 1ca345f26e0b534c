package store_test

import (
	"os"
	"testing"

	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestMain drops the PostgreSQL test databases once every test has run.
func TestMain(m *testing.M) { os.Exit(storetest.M(m).Run()) }
