package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/index"
)

// simChain returns the blocks folder of a `simulate --fast` chain of about scale × 10,000
// txs (lazarus scenario, seed 1), generating it under cache the first time: a 10 M-tx chain
// takes minutes to simulate and 11 GB to store, so reruns reuse it.
func simChain(bin, cache string, scale int) (string, error) {
	out := filepath.Join(cache, fmt.Sprintf("sim-lazarus-s%d-seed1", scale))
	blocks := filepath.Join(out, "blocks")
	if _, err := os.Stat(filepath.Join(out, "truth.json")); err == nil {
		return blocks, nil
	}
	if err := os.RemoveAll(out); err != nil {
		return "", err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "bench: simulating a %d-tx chain into %s (cached for later runs)\n", scale*10000, out)
	cmd := exec.Command(bin, "simulate", "--fast", "--scenario", "lazarus", "--seed", "1", "--quiet",
		"--scale", fmt.Sprint(scale), "--out", out)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(out)
		return "", fmt.Errorf("simulate: %v", err)
	}
	return blocks, nil
}

// blkFiles lists the blk*.dat files of a blocks folder in name order.
func blkFiles(dir string) ([]string, error) {
	fs, err := filepath.Glob(filepath.Join(dir, "blk*.dat"))
	sort.Strings(fs)
	if err == nil && len(fs) == 0 {
		err = fmt.Errorf("no blk*.dat in %s", dir)
	}
	return fs, err
}

// bareFiles times MsgBlock.Deserialize over every block of the files, one file in memory at
// a time (a 10 M-tx chain is 4 GB), best of three passes per file; reading is not timed.
func bareFiles(data string, files []string) (row, error) {
	r := row{what: "btcd wire MsgBlock.Deserialize (bare, from memory)", data: data}
	var total time.Duration
	for _, f := range files {
		raw, err := loadRaw([]string{f})
		if err != nil {
			return r, err
		}
		best, bestCPU := time.Duration(1<<63-1), time.Duration(1<<63-1)
		for pass := 0; pass < 3; pass++ {
			txs := int64(0)
			t, c := time.Now(), cpuTime()
			for _, b := range raw {
				var m wire.MsgBlock
				if err := m.Deserialize(bytes.NewReader(b)); err != nil {
					return r, fmt.Errorf("%s: %v", f, err)
				}
				txs += int64(len(m.Transactions))
			}
			best, bestCPU = min(best, time.Since(t)), min(bestCPU, cpuTime()-c)
			if pass == 0 {
				r.txs += txs
			}
		}
		total += best
		r.cpu += bestCPU.Seconds()
		r.blocks += len(raw)
		for _, b := range raw {
			r.bytes += int64(len(b))
		}
	}
	r.secs = total.Seconds()
	return r, nil
}

// families splits the allocated bytes of a data folder by file family: the fixed-width
// columns by entity, the key-value store, the txid and address hash tables (the Bloom filter
// of indexes before format v6) and the rest.
func families(dataDir string) map[string]int64 {
	fam := map[string]int64{}
	_ = filepath.WalkDir(dataDir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return nil
		}
		n := info.Size()
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			n = st.Blocks * 512
		}
		rel, _ := filepath.Rel(dataDir, p)
		name := filepath.Base(p)
		var f string
		switch {
		case strings.Contains(rel, string(filepath.Separator)+"kv"+string(filepath.Separator)):
			f = "kv (Pebble: block hashes, P2PK aliases, multisig keys)"
		case strings.HasPrefix(name, "blocks"):
			f = "blocks.col"
		case strings.HasPrefix(name, "tx_"):
			f = "tx_*.col"
		case strings.HasPrefix(name, "in_"):
			f = "in_*.col"
		case strings.HasPrefix(name, "out_"):
			f = "out_*.col"
		case strings.HasPrefix(name, "addr_link") || strings.HasPrefix(name, "addr_head"):
			f = "addr_link, addr_head .col (address postings)"
		case strings.HasPrefix(name, "addr_"):
			f = "addr_*.col"
		case name == "filter.bloom":
			f = "filter.bloom"
		case strings.HasSuffix(name, ".ht"):
			f = "txmap.ht + addrmap.ht"
		default:
			f = "other (" + name + ")"
			if strings.HasPrefix(rel, "side") || strings.Contains(rel, "side") {
				f = "side blocks"
			}
		}
		fam[f] += n
		return nil
	})
	return fam
}

// queryRun opens the index in dataDir and times n random tx look-ups and n first pages of
// random addresses' txs (µs per query).
func queryRun(dataDir string, n int) (txUS, addrUS float64, err error) {
	ix, err := index.Open(index.DirIn(dataDir), index.Options{CacheBytes: 64 << 20})
	if err != nil {
		return 0, 0, err
	}
	defer ix.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	nt, na := ix.TxCount(), ix.AddressCount()
	if nt == 0 || na == 0 {
		return 0, 0, fmt.Errorf("empty index")
	}
	t := time.Now()
	for i := 0; i < n; i++ {
		h, _ := ix.TxHash(rng.Uint64N(nt))
		if _, err := ix.Tx(h); err != nil {
			return 0, 0, err
		}
	}
	txUS = float64(time.Since(t).Microseconds()) / float64(n)
	params := ix.Network()
	t = time.Now()
	for i := 0; i < n; i++ {
		k, _ := ix.AddressKey(rng.Uint64N(na))
		a, err := chain.AddrFromKey(k)
		if err != nil {
			return 0, 0, err
		}
		s := a.String(params)
		if _, err := ix.Address(s, 0, 50); err != nil {
			return 0, 0, fmt.Errorf("address %s: %v", s, err)
		}
	}
	addrUS = float64(time.Since(t).Microseconds()) / float64(n)
	busiestAddress(ix)
	return txUS, addrUS, nil
}

// busiestAddress prints (to stderr) how long the first and the last page of
// the address with the most txs take: an address's page costs O(n log n) in
// its outputs (docs/index-format.md).
func busiestAddress(ix *index.Index) {
	var best uint64
	var most int64
	_ = ix.View(func(g index.Graph) error {
		for a := range g.AddressCount() {
			if n, _, _, err := g.AddressTotals(a); err == nil && n > most {
				best, most = a, n
			}
		}
		return nil
	})
	k, _ := ix.AddressKey(best)
	a, err := chain.AddrFromKey(k)
	if err != nil || most == 0 {
		return
	}
	s := a.String(ix.Network())
	page := func(off int) float64 {
		const reps = 5
		t := time.Now()
		for range reps {
			if _, err := ix.Address(s, off, 50); err != nil {
				return -1
			}
		}
		return float64(time.Since(t).Microseconds()) / reps
	}
	fmt.Fprintf(os.Stderr, "bench: busiest address %s: %d txs; first page %.0f µs, last page %.0f µs\n", s, most, page(0), page(int(most)-50))
}

// cpuTime returns this process's CPU time (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
