package app

import (
	"testing"

	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestMain lends the PostgreSQL tests their schemas from a pool of
// migrated ones (see storetest.Main).
func TestMain(m *testing.M) { storetest.Main(m) }
