// Command screen is the load benchmark of the screening API: it imports the
// 2025-02 OFAC SDN and UN lists into a temporary data directory with the
// chaintrace binary, starts `chaintrace serve` on loopback, drives bounded
// concurrent load at GET /v1/screen/address/{addr} (sanctioned and clean
// addresses) and GET /v1/screen/name?q=…, and prints one table of req/s,
// p50 and p99 latency. Run it through bench/screen.sh.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/sanctions/namematch/eval"
)

func main() {
	var (
		bin         = flag.String("chaintrace", "", "chaintrace binary (required)")
		shared      = flag.String("shared", "../shared", "shared data folder")
		work        = flag.String("work", "", "work folder (default: a temporary one, removed)")
		concurrency = flag.String("c", "1,4,16", "concurrent clients (a comma-separated list runs each level)")
		duration    = flag.Duration("d", 10*time.Second, "longest run of each phase")
		requests    = flag.Int("n", 200000, "most requests of each phase")
	)
	flag.Parse()
	if *bin == "" {
		log.Fatal("-chaintrace is required")
	}
	var levels []int
	for _, f := range strings.Split(*concurrency, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 1024 {
			log.Fatalf("-c %q: want client counts from 1 to 1024", *concurrency)
		}
		levels = append(levels, n)
	}
	if err := run(*bin, *shared, *work, levels, *duration, *requests); err != nil {
		log.Fatal(err)
	}
}

func run(bin, shared, work string, levels []int, dur time.Duration, maxReq int) error {
	conc := slices.Max(levels)
	if work == "" {
		d, err := os.MkdirTemp("", "chaintrace-screen-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		work = d
	}
	data := filepath.Join(work, "data")
	sd := filepath.Join(shared, "data", "sanctions")
	for _, imp := range [][]string{
		{"--format", "ofac-csv", filepath.Join(sd, "ofac-2025-02")},
		{"--format", "un-xml", filepath.Join(sd, "un", "consolidated-2026-02-27.xml")},
	} {
		args := append([]string{"--data", data, "lists", "import"}, imp...)
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("chaintrace %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	// Start the server on a free loopback port and read its address.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := exec.CommandContext(ctx, bin, "--data", data, "serve", "--listen", "127.0.0.1:0")
	srv.Stderr = os.Stderr
	stdout, err := srv.StdoutPipe()
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { cancel(); srv.Wait() }()
	base, err := serverAddr(stdout)
	if err != nil {
		return err
	}
	go io.Copy(io.Discard, stdout)
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		return fmt.Errorf("server not on loopback: %s", base)
	}

	addrs, err := addressMix(filepath.Join(sd, "crypto-2024-09"))
	if err != nil {
		return err
	}
	names, err := nameQueries()
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}, Timeout: 10 * time.Second}
	// Warm up: the first name screen waits for the name index.
	for _, u := range []string{base + "/v1/screen/name?q=warm+up", base + "/v1/screen/address/" + addrs[0]} {
		if _, err := get(client, u); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}

	phases := []struct {
		name string
		urls []string
	}{
		{"GET /v1/screen/address/{addr}", prefix(base+"/v1/screen/address/", addrs, false)},
		{"GET /v1/screen/name?q=…", prefix(base+"/v1/screen/name?q=", names, true)},
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "endpoint\trequests\tclients\treq/s\tp50\tp99\tmax\terrors\t\n")
	for _, ph := range phases {
		for _, c := range levels {
			r := load(client, ph.urls, c, dur, maxReq)
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%d\t\n", ph.name, r.n, c, r.rate, fmtDur(r.p50), fmtDur(r.p99), fmtDur(r.max), r.errors)
		}
	}
	tw.Flush()
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = ", load average " + strings.Join(strings.Fields(string(b))[:3], " ")
	}
	fmt.Printf("(%d CPUs visible%s; server and load generator share them; loopback only)\n", runtime.NumCPU(), load)
	return nil
}

var servingRE = regexp.MustCompile(`serving (http://\S+?)/? `)

func serverAddr(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	deadline := time.AfterFunc(60*time.Second, func() {})
	defer deadline.Stop()
	for sc.Scan() {
		if m := servingRE.FindStringSubmatch(sc.Text() + " "); m != nil {
			return strings.TrimSuffix(m[1], "/"), nil
		}
	}
	return "", errors.New("server exited before printing its address")
}

// addressMix returns sanctioned XBT and ETH addresses interleaved with as
// many well-formed clean ones (random P2PKH and lower-case EVM addresses).
func addressMix(dir string) ([]string, error) {
	var listed []string
	for _, f := range []string{"sanctioned_addresses_XBT.txt", "sanctioned_addresses_ETH.txt"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		listed = append(listed, strings.Fields(string(b))...)
	}
	var out []string
	for i, a := range listed {
		out = append(out, a)
		var h [20]byte
		rand.Read(h[:])
		if i%2 == 0 {
			pkh, err := btcutil.NewAddressPubKeyHash(h[:], &chaincfg.MainNetParams)
			if err != nil {
				return nil, err
			}
			out = append(out, pkh.EncodeAddress())
		} else {
			out = append(out, "0x"+hex.EncodeToString(h[:]))
		}
	}
	return out, nil
}

// nameQueries are the queries of the built-in evaluation set (variants of
// listed names and names that match nothing).
func nameQueries() ([]string, error) {
	cases, err := eval.BuiltinSet("main")
	if err != nil {
		return nil, err
	}
	qs := make([]string, len(cases))
	for i, c := range cases {
		qs[i] = c.Query
	}
	return qs, nil
}

func prefix(p string, xs []string, escape bool) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		if escape {
			x = url.QueryEscape(x)
		}
		out[i] = p + x
	}
	return out
}

func get(c *http.Client, u string) (int, error) {
	resp, err := c.Get(u)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return resp.StatusCode, nil
}

type result struct {
	n, errors     int
	rate          float64
	p50, p99, max time.Duration
}

// load runs conc clients over urls (round robin) until maxReq requests or
// dur have passed.
func load(c *http.Client, urls []string, conc int, dur time.Duration, maxReq int) result {
	var next atomic.Int64
	deadline := time.Now().Add(dur)
	lats := make([][]time.Duration, conc)
	errs := make([]int, conc)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(maxReq) || time.Now().After(deadline) {
					return
				}
				t0 := time.Now()
				_, err := get(c, urls[i%int64(len(urls))])
				lats[w] = append(lats[w], time.Since(t0))
				if err != nil {
					errs[w]++
				}
			}
		}(w)
	}
	wg.Wait()
	el := time.Since(start)
	var all []time.Duration
	var r result
	for w := range lats {
		all = append(all, lats[w]...)
		r.errors += errs[w]
	}
	slices.Sort(all)
	r.n = len(all)
	if r.n == 0 {
		return r
	}
	r.rate = float64(r.n) / el.Seconds()
	r.p50 = all[r.n/2]
	r.p99 = all[min(r.n-1, r.n*99/100)]
	r.max = all[r.n-1]
	return r
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	default:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
}
