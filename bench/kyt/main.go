// Command kyt is the load benchmark of KYT monitoring over loopback HTTP: it
// simulates a lazarus chain with the chaintrace binary, indexes it, labels
// the reported theft's loot addresses as stolen (what an investigator
// imports), starts `chaintrace serve`, registers exchange deposits with
// concurrent clients (POST /v1/kyt/users/{u}/transfers), waits until each is
// screened (GET /v1/kyt/transfers/{id}: screenedAt), and prints one table:
// transfers/s registered and screened end to end, registration p50/p99 and
// screening p50/p99 (registration answer → screenedAt). It then stops the
// server and re-screens every transfer with `chaintrace kyt rescreen`.
// Run it through bench/kyt.sh.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/labels"
	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/chaintrace/chaintrace/internal/store"
)

func main() {
	var (
		bin     = flag.String("chaintrace", "", "chaintrace binary (required)")
		work    = flag.String("work", "", "work folder (reused when it holds a finished run)")
		scale   = flag.Float64("scale", 3, "simulation scale")
		seed    = flag.Uint64("seed", 21, "simulation seed")
		n       = flag.Int("n", 3000, "transfers to register")
		clients = flag.Int("c", 4, "concurrent clients")
		workers = flag.Int("workers", 4, "serve --kyt-workers")
		rate    = flag.Float64("rate", 0, "registrations per second in total (0: as fast as the clients go)")
	)
	flag.Parse()
	if *bin == "" || *work == "" {
		log.Fatal("-chaintrace and -work are required")
	}
	if err := run(*bin, *work, *scale, *seed, *n, *clients, *workers, *rate); err != nil {
		log.Fatal(err)
	}
}

func sh(bin string, args ...string) error {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	cmd.Stdout = os.Stderr
	return cmd.Run()
}

func run(bin, work string, scale float64, seed uint64, n, clients, workers int, rate float64) error {
	ctx := context.Background()
	simDir := filepath.Join(work, "sim")
	h, err := sim.ReadHeader(simDir)
	if err != nil {
		os.RemoveAll(work)
		start := time.Now()
		if err := sh(bin, "simulate", "--fast", "--no-progress", "--scenario", "lazarus", "--seed", strconv.FormatUint(seed, 10),
			"--scale", strconv.FormatFloat(scale, 'g', -1, 64), "--out", simDir); err != nil {
			return err
		}
		if err := sh(bin, "ingest", "--data", work, filepath.Join(simDir, "blocks")); err != nil {
			return err
		}
		if h, err = sim.ReadHeader(simDir); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bench: chain of %d txs built in %s\n", h.Txs, time.Since(start).Round(time.Second))
	}
	// Deposits to register (cash-outs first), and the loot address labelled stolen.
	ix, err := index.Open(index.DirIn(work), index.Options{})
	if err != nil {
		return err
	}
	var refs []string
	for _, c := range h.CashOuts {
		refs = append(refs, c.Txid+":"+strconv.Itoa(int(c.Vout)))
	}
	var deposits []string
	sim.ReadRecords(simDir, func(r *sim.Record) error {
		if r.Type == "addr" && r.Role == "deposit" {
			deposits = append(deposits, r.Addr)
		}
		return nil
	})
	seen := map[string]bool{}
	for _, r := range refs {
		seen[r] = true
	}
	for _, a := range deposits {
		if len(refs) >= n {
			break
		}
		av, err := ix.Address(a, 0, 50)
		if err != nil {
			continue
		}
		for _, t := range av.Txs {
			if t.Received > 0 && len(refs) < n {
				hh, _ := chainhash.NewHashFromStr(t.Txid)
				tv, err := ix.Tx(*hh)
				if err != nil {
					continue
				}
				for _, o := range tv.Outputs {
					ref := t.Txid + ":" + strconv.Itoa(int(o.N))
					if o.Address != nil && *o.Address == a && !seen[ref] {
						seen[ref] = true
						refs = append(refs, ref)
					}
				}
			}
		}
	}
	refs = refs[:min(n, len(refs))]
	th, _ := chainhash.NewHashFromStr(h.Theft.Txid)
	tv, err := ix.Tx(*th)
	if err != nil {
		return err
	}
	loot := *tv.Outputs[h.Theft.Outputs[0]].Address
	ix.Close()
	db, err := store.Open(work)
	if err != nil {
		return err
	}
	// A rerun starts from an empty monitor (the tables exist after the first run).
	for _, t := range []string{"kyt_outbox", "kyt_alert_notes", "kyt_alerts", "kyt_screenings", "kyt_jobs", "kyt_transfers", "kyt_audit", "kyt_state"} {
		db.ExecContext(ctx, "DELETE FROM "+t)
	}
	ls, err := labels.New(ctx, db, labels.Options{Network: &chaincfg.RegressionNetParams})
	if err != nil {
		return err
	}
	csv := "address,label,category,source,confidence\n" + loot + ",theft from Northbank,stolen,bench case,1\n"
	if _, err := ls.Import(ctx, []labels.Input{{Name: "case.csv", Format: labels.FormatCSV, R: strings.NewReader(csv)}}, labels.ImportOptions{}); err != nil {
		return err
	}
	db.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := exec.Command(bin, "serve", "--data", work, "--listen", addr, "--kyt-workers", strconv.Itoa(workers))
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Process.Kill()
	base := "http://" + addr
	for i := 0; ; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if i > 300 {
			return fmt.Errorf("server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2}, Timeout: 30 * time.Second}
	type reg struct {
		id   string
		done time.Time
	}
	regs := make([]reg, len(refs))
	regLat := make([]time.Duration, len(refs))
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	var interval time.Duration
	if rate > 0 {
		interval = time.Duration(float64(time.Second) / rate)
	}
	var failed atomic.Int64
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(refs) {
					return
				}
				if interval > 0 {
					if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
						time.Sleep(d)
					}
				}
				body := `{"network":"bitcoin","asset":"BTC","transferReference":"` + refs[i] + `","direction":"received"}`
				t0 := time.Now()
				resp, err := client.Post(base+"/v1/kyt/users/u"+strconv.Itoa(i%100)+"/transfers", "application/json", strings.NewReader(body))
				if err != nil {
					failed.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				regLat[i] = time.Since(t0)
				var out struct{ ExternalID string }
				if resp.StatusCode/100 != 2 || json.Unmarshal(b, &out) != nil {
					failed.Add(1)
					continue
				}
				regs[i] = reg{out.ExternalID, time.Now()}
			}
		}()
	}
	wg.Wait()
	regTime := time.Since(start)
	// Wait for the screenings.
	screenLat := make([]time.Duration, 0, len(refs))
	pending := map[int]bool{}
	for i, r := range regs {
		if r.id != "" {
			pending[i] = true
		}
	}
	var lastScreened time.Time
	alerted := 0
	deadline := time.Now().Add(10 * time.Minute)
	for len(pending) > 0 && time.Now().Before(deadline) {
		for i := range pending {
			resp, err := client.Get(base + "/v1/kyt/transfers/" + regs[i].id)
			if err != nil {
				continue
			}
			var t struct {
				ScreenedAt *time.Time `json:"screenedAt"`
				Alerts     int        `json:"alerts"`
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if json.Unmarshal(b, &t) == nil && t.ScreenedAt != nil {
				delete(pending, i)
				screenLat = append(screenLat, max(0, t.ScreenedAt.Sub(regs[i].done)))
				if t.ScreenedAt.After(lastScreened) {
					lastScreened = *t.ScreenedAt
				}
				if t.Alerts > 0 {
					alerted++
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	total := lastScreened.Sub(start)
	srv.Process.Signal(os.Interrupt)
	srv.Wait()
	slices.Sort(regLat)
	slices.Sort(screenLat)
	q := func(ds []time.Duration, p float64) time.Duration {
		if len(ds) == 0 {
			return 0
		}
		return ds[min(len(ds)-1, int(p*float64(len(ds))))]
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "chain: lazarus seed %d scale %g, %d txs; %d transfers (%d cash-outs), %d clients, %d workers, rate %s\n",
		h.Seed, h.Scale, h.Txs, len(refs), min(len(h.CashOuts), len(refs)), clients, workers, map[bool]string{true: "unbounded", false: fmt.Sprintf("%g/s", rate)}[rate == 0])
	fmt.Fprintf(&out, "%-34s %12s\n", "registered (HTTP)", fmt.Sprintf("%.0f/s", float64(len(refs))/regTime.Seconds()))
	fmt.Fprintf(&out, "%-34s %12s\n", "registered and screened, end to end", fmt.Sprintf("%.0f/s", float64(len(screenLat))/total.Seconds()))
	fmt.Fprintf(&out, "%-34s %12s %12s\n", "registration latency p50 / p99", q(regLat, 0.5).Round(10*time.Microsecond), q(regLat, 0.99).Round(10*time.Microsecond))
	fmt.Fprintf(&out, "%-34s %12s %12s\n", "screening latency p50 / p99", q(screenLat, 0.5).Round(time.Millisecond), q(screenLat, 0.99).Round(time.Millisecond))
	fmt.Fprintf(&out, "%-34s %12d of %d (failed requests %d, unscreened %d)\n", "transfers with alerts", alerted, len(screenLat), failed.Load(), len(pending))
	os.Stdout.Write(out.Bytes())
	// Re-screen everything in one process (what a list update triggers).
	t0 := time.Now()
	cmd := exec.Command(bin, "kyt", "rescreen", "--data", work)
	cmd.Stderr = os.Stderr
	rs, err := cmd.Output()
	if err != nil {
		return err
	}
	fmt.Printf("%-34s %12s (%s)\n", "re-screen all", time.Since(t0).Round(time.Millisecond), strings.TrimSpace(strings.Split(string(rs), "\n")[0]))
	return nil
}
