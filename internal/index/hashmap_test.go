package index

import (
	"encoding/binary"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// keyCol stands in for a column: value v's key is keys[v], live below n.
type keyCol struct {
	keys []uint64
	n    uint64
	hash func(k uint64) uint64
}

func (c *keyCol) hashOf(v uint64) (uint64, bool) {
	if v >= c.n {
		return 0, false
	}
	return c.hash(c.keys[v]), true
}

// find is the lookup the index does: the largest live value whose key is k.
func (c *keyCol) find(t *htable, k uint64) (uint64, bool) {
	best, found := uint64(0), false
	p := t.probe(c.hash(k))
	for v, ok := t.next(&p); ok; v, ok = t.next(&p) {
		if v < c.n && c.keys[v] == k && (!found || v > best) {
			best, found = v, true
		}
	}
	return best, found
}

func (c *keyCol) add(t testing.TB, ht *htable, k uint64) uint64 {
	t.Helper()
	v := c.n
	c.keys = append(c.keys[:v], k)
	c.n++
	if err := ht.insert(c.hash(k), v); err != nil {
		t.Fatal(err)
	}
	return v
}

func mix(k uint64) uint64 { // a stand-in for addrHash
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	return k
}

func newTestTable(t testing.TB, c *keyCol) (*htable, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.ht")
	ht, created, err := openHTable(path, c.hashOf, 0)
	if err != nil || !created {
		t.Fatalf("open: %v (created %v)", err, created)
	}
	t.Cleanup(func() { ht.close() })
	return ht, path
}

// TestHTableGrowth: 200,000 keys from a 4096-slot table: every key found
// after each doubling, the load stays under the limit, absent keys miss.
func TestHTableGrowth(t *testing.T) {
	c := &keyCol{hash: mix}
	ht, path := newTestTable(t, c)
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[uint64]uint64{}
	for range 200000 {
		k := rng.Uint64()
		want[k] = c.add(t, ht, k)
	}
	if ht.gen < 5 {
		t.Fatalf("generation %d after 200,000 inserts into 4096 slots", ht.gen)
	}
	if ht.count != 200000 || float64(ht.count) > htMaxLoad*float64(len(ht.slots)) {
		t.Fatalf("%d entries in %d slots (max load %.2f)", ht.count, len(ht.slots), htMaxLoad)
	}
	for k, v := range want {
		if got, ok := c.find(ht, k); !ok || got != v {
			t.Fatalf("key %x: %d %v, want %d", k, got, ok, v)
		}
	}
	for range 10000 {
		if k := rng.Uint64(); want[k] == 0 {
			if v, ok := c.find(ht, k); ok {
				t.Fatalf("absent key %x found as %d", k, v)
			}
		}
	}
	// Synced, closed and reopened: the same entries.
	if err := ht.sync(); err != nil {
		t.Fatal(err)
	}
	ht.close()
	ht2, created, err := openHTable(path, c.hashOf, 0)
	if err != nil || created {
		t.Fatalf("reopen: %v (created %v)", err, created)
	}
	defer ht2.close()
	if ht2.count != 200000 || ht2.log != ht.log {
		t.Fatalf("reopened with %d entries in 2^%d slots", ht2.count, ht2.log)
	}
	for k, v := range want {
		if got, ok := c.find(ht2, k); !ok || got != v {
			t.Fatalf("after reopen, key %x: %d %v, want %d", k, got, ok, v)
		}
	}
}

// TestHTableDuplicatesAndUndo: a key added twice (BIP30) is found at its
// later value, and at the earlier once the later one is undone; undone
// values are stale (ignored, replaced by new keys at the same numbers) and
// the next doubling drops them; re-adding an existing slot is a no-op.
func TestHTableDuplicatesAndUndo(t *testing.T) {
	c := &keyCol{hash: mix}
	ht, _ := newTestTable(t, c)
	for k := uint64(1); k <= 100; k++ {
		c.add(t, ht, k)
	}
	dup := c.add(t, ht, 7) // value 100
	if v, ok := c.find(ht, 7); !ok || v != dup {
		t.Fatalf("duplicate key: %d %v, want the later %d", v, ok, dup)
	}
	// Undo the last 21 values (80…100): key 7 is back at 6; keys 81…100 are gone.
	c.n = 80
	if v, ok := c.find(ht, 7); !ok || v != 6 {
		t.Fatalf("after the undo: %d %v, want 6", v, ok)
	}
	for k := uint64(81); k <= 100; k++ {
		if v, ok := c.find(ht, k); ok {
			t.Fatalf("undone key %d found at %d", k, v)
		}
	}
	// New keys take the undone numbers; the stale slots fail confirmation.
	for k := uint64(1001); k <= 1021; k++ {
		c.add(t, ht, k)
	}
	for k := uint64(81); k <= 100; k++ {
		if v, ok := c.find(ht, k); ok {
			t.Fatalf("stale key %d found at %d (now key %d's)", k, v, c.keys[v])
		}
	}
	if v, ok := c.find(ht, 7); !ok || v != 6 {
		t.Fatalf("key 7 at %d %v after the new keys, want 6", v, ok)
	}
	before := ht.count
	if err := ht.insert(mix(1001), 80); err != nil { // already there
		t.Fatal(err)
	}
	if ht.count != before {
		t.Fatal("re-adding an existing slot added one")
	}
	if before != 101+21 {
		t.Fatalf("%d slots used, want 122 (stale ones included)", before)
	}
	// A doubling keeps the 101 live entries only.
	if err := ht.grow(); err != nil {
		t.Fatal(err)
	}
	if ht.count != 101 {
		t.Fatalf("%d entries after growth, want the 101 live ones", ht.count)
	}
	for v := uint64(0); v < c.n; v++ {
		if got, ok := c.find(ht, c.keys[v]); !ok || (got != v && c.keys[got] != c.keys[v]) {
			t.Fatalf("value %d (key %d) lost in growth: %d %v", v, c.keys[v], got, ok)
		}
	}
}

// TestHTableForcedCollisions: keys whose hashes share home slot and tag
// (a whole run of candidates) and runs that wrap around the table's end are
// told apart by the confirmation, before and after growth.
func TestHTableForcedCollisions(t *testing.T) {
	for _, name := range []string{"same home and tag", "wrapping"} {
		t.Run(name, func(t *testing.T) {
			c := &keyCol{hash: func(k uint64) uint64 {
				if name == "wrapping" {
					return uint64(0xffffff)<<40 | k<<24 | 0xabcdef // home: the last slots
				}
				return k<<24 | 0xabcdef // home 0, tag 0xabcdef, differing middle bits
			}}
			ht, _ := newTestTable(t, c)
			for k := uint64(0); k < 4000; k++ {
				c.add(t, ht, k)
			}
			if ht.gen == 0 {
				t.Fatal("no growth")
			}
			for k := uint64(0); k < 4000; k++ {
				if v, ok := c.find(ht, k); !ok || v != k {
					t.Fatalf("key %d: %d %v", k, v, ok)
				}
			}
			if v, ok := c.find(ht, 5000); ok {
				t.Fatalf("absent colliding key found at %d", v)
			}
		})
	}
}

// TestHTableReaderDuringGrowth: a reader's mapping stays valid while the
// writer inserts and grows the table; it learns that the file was replaced
// and a new mapping has everything.
func TestHTableReaderDuringGrowth(t *testing.T) {
	c := &keyCol{hash: mix}
	ht, path := newTestTable(t, c)
	for k := uint64(0); k < 2000; k++ {
		c.add(t, ht, k*7919)
	}
	r, err := mapHTable(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	gen := ht.gen
	for k := uint64(2000); k < 20000; k++ {
		c.add(t, ht, k*7919)
	}
	if ht.gen == gen {
		t.Fatal("the writer did not grow the table")
	}
	if !r.replaced() {
		t.Fatal("the reader does not see that the table was replaced")
	}
	view := *c
	view.n = 2000
	for k := uint64(0); k < 2000; k++ { // the old mapping still answers
		if v, ok := view.find(r, k*7919); !ok || v != k {
			t.Fatalf("old mapping, key %d: %d %v", k, v, ok)
		}
	}
	r2, err := mapHTable(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.close()
	for k := uint64(0); k < 20000; k++ {
		if v, ok := c.find(r2, k*7919); !ok || v != k {
			t.Fatalf("new mapping, key %d: %d %v", k, v, ok)
		}
	}
}

// BenchmarkHTableLoad: look-ups (hits confirmed against a key array, and
// misses) at the load factors the table may run at, against a Go map.
func BenchmarkHTableLoad(b *testing.B) {
	const log = 22 // 4 Mi slots, 32 MiB: beyond the CPU caches
	for _, load := range []float64{0.5, 0.6, 0.7, 0.8, 0.9} {
		c := &keyCol{hash: func(k uint64) uint64 { return k }}
		n := int(load * float64(1<<log))
		rng := rand.New(rand.NewPCG(3, 4))
		c.keys = make([]uint64, n)
		for i := range c.keys {
			c.keys[i] = rng.Uint64()
		}
		c.n = uint64(n)
		nt := &htable{log: log, slots: make([]uint64, 1<<log)}
		for v, k := range c.keys {
			nt.put(k, uint64(v))
		}
		b.Run("hit/load="+ftoa(load), func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, ok := c.find(nt, c.keys[(i*7919)%n]); !ok {
					b.Fatal("miss")
				}
				i++
			}
		})
		b.Run("miss/load="+ftoa(load), func(b *testing.B) {
			var k [8]byte
			for b.Loop() {
				binary.LittleEndian.PutUint64(k[:], rng.Uint64())
				c.find(nt, binary.LittleEndian.Uint64(k[:]))
			}
		})
		if load == 0.7 {
			m := make(map[uint64]uint64, n)
			for v, k := range c.keys {
				m[k] = uint64(v)
			}
			b.Run("gomap-hit", func(b *testing.B) {
				i := 0
				for b.Loop() {
					if _, ok := m[c.keys[(i*7919)%n]]; !ok {
						b.Fatal("miss")
					}
					i++
				}
			})
		}
	}
}

func ftoa(f float64) string {
	return string([]byte{'0' + byte(f*10+0.5)/10, '.', '0' + byte(f*10+0.5)%10})
}

// TestHTablePresized: a table created for entries already in the columns (a
// rebuild) is sized for them at half the maximum load: no doubling while
// they are re-added.
func TestHTablePresized(t *testing.T) {
	c := &keyCol{hash: mix}
	ht, _, err := openHTable(filepath.Join(t.TempDir(), "p.ht"), c.hashOf, 100000)
	if err != nil {
		t.Fatal(err)
	}
	defer ht.close()
	if n := uint64(len(ht.slots)); float64(100000) > htMaxLoad/2*float64(n) || float64(100000) <= htMaxLoad/4*float64(n) {
		t.Fatalf("%d slots for 100,000 entries", n)
	}
	for k := uint64(0); k < 100000; k++ {
		c.add(t, ht, k)
	}
	if ht.gen != 0 {
		t.Fatalf("%d doublings while adding the expected entries", ht.gen)
	}
}

// TestHTableCountBehind: a header count behind the slots (a power loss that
// kept the slots' pages but not the header's) cannot fill the table: an
// insert that finds no empty slot recounts and doubles.
func TestHTableCountBehind(t *testing.T) {
	c := &keyCol{hash: mix}
	ht, _ := newTestTable(t, c)
	for k := uint64(0); k < 2000; k++ {
		c.add(t, ht, k)
	}
	ht.count = 0 // as read from a stale header
	for k := uint64(2000); k < 10000; k++ {
		c.add(t, ht, k)
	}
	if float64(ht.count) > htMaxLoad*float64(len(ht.slots)) || ht.count != 10000 {
		t.Fatalf("%d counted in %d slots, want 10000 under the load limit", ht.count, len(ht.slots))
	}
	for k := uint64(0); k < 10000; k++ {
		if v, ok := c.find(ht, k); !ok || v != k {
			t.Fatalf("key %d: %d %v", k, v, ok)
		}
	}
}
