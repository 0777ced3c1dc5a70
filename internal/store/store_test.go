package store

import (
	"context"
	"testing"
)

func TestRebind(t *testing.T) {
	tests := []struct {
		d    Dialect
		in   string
		want string
	}{
		{SQLite, "SELECT ? , ?", "SELECT ? , ?"},
		{Postgres, "SELECT ? , ?", "SELECT $1 , $2"},
		{Postgres, "SELECT '?' , ? WHERE a = ?", "SELECT '?' , $1 WHERE a = $2"},
	}
	for _, tt := range tests {
		db := &DB{Dialect: tt.d}
		if got := db.Rebind(tt.in); got != tt.want {
			t.Errorf("Rebind(%q) on %s = %q, want %q", tt.in, tt.d, got, tt.want)
		}
	}
}

func TestMigrateOnceAndPersist(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	migs := []Migration{
		{SQL: "CREATE TABLE a (x INTEGER);\nINSERT INTO a VALUES (1);\n"},
		{SQL: "INSERT INTO a VALUES (2);"},
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "t", migs); err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	db.Close()

	db, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Re-running must not re-apply, and a new step must apply.
	migs = append(migs, Migration{SQL: "INSERT INTO a VALUES (3);"})
	if err := db.Migrate(ctx, "t", migs); err != nil {
		t.Fatal(err)
	}
	var n, sum int
	if err := db.QueryRow("SELECT COUNT(*), SUM(x) FROM a").Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != 3 || sum != 6 {
		t.Errorf("rows = %d sum %d, want 3 rows summing to 6", n, sum)
	}
}

func TestMigrateFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Migrate(ctx, "t", []Migration{{SQL: "CREATE TABLE b (x INTEGER);\nNOT SQL;\n"}})
	if err == nil {
		t.Fatal("bad migration succeeded")
	}
	var n int
	db.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'").Scan(&n)
	if n != 0 {
		t.Error("table b exists after a failed migration; want it rolled back")
	}
}
