// Command bench measures chaintrace's ingest against bare btcd wire decoding on the
// same real blocks, its peak memory at two chain lengths, and the index's bytes on disk.
// bench/run builds it and the chaintrace binary and prints its one table.
//
// Every ingest runs `chaintrace ingest` as a child process into a fresh data folder, so
// its wall time includes scanning the files, opening and closing the index and the final
// fsync, and its peak RSS is the VmHWM the child reports. Bare decoding runs in this
// process over blocks already in memory (MsgBlock.Deserialize, best of three passes).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chaintrace/chaintrace/internal/source"
)

var reps int

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func main() {
	shared := flag.String("shared", "../shared", "the shared data folder")
	bin := flag.String("chaintrace", "./chaintrace", "the chaintrace binary to measure")
	work := flag.String("work", "", "scratch folder (default: a temporary one, removed at the end)")
	cache := flag.String("cache", "bench/out", "folder of the cached simulated chains (reused by later runs)")
	sims := flag.String("sims", "1M", "lengths of the simulated chains, comma-separated (1M, 10M: scale 100, 1000)")
	cacheMB := flag.Int("cache-mb", 256, "--cache-mb of every ingest")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the first simulated chain's ingest here")
	flag.IntVar(&reps, "reps", 12, "repetitions of the real 2012–17 blocks in the synthetic chain")
	flag.Parse()
	if err := run(*shared, *bin, *work, *cache, *sims, *profile, *cacheMB); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var rssRE = regexp.MustCompile(`peak RSS (\d+) MB`)

type row struct {
	what, data     string
	blocks         int
	bytes          int64
	secs           float64
	rssMB          float64
	anonMB, fileMB float64 // peaks of RssAnon and RssFile+RssShmem, sampled
	txs, ins, outs int64
	disk           int64
	fam            map[string]int64
	txUS, addrUS   float64
	cpu            float64 // CPU seconds (user + system) of the measured work
	note           string
}

type stats struct {
	Blocks  int64 `json:"blocks"`
	Txs     int64 `json:"txs"`
	Inputs  int64 `json:"inputs"`
	Outputs int64 `json:"outputs"`
}

// dataset is one chain measured three ways.
type dataset struct {
	name  string
	files []string // blk files (or one framed file)
	args  []string // ingest arguments
	start int64    // height of the first block for the pipeline run
}

func run(shared, bin, work, cache, sims, profile string, cacheMB int) error {
	if work == "" {
		d, err := os.MkdirTemp("", "chaintrace-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		work = d
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	bin, _ = filepath.Abs(bin)
	btc := filepath.Join(shared, "data", "btc")
	var sets []dataset
	for _, s := range strings.Split(sims, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		mult := map[string]int{"100k": 10, "1M": 100, "2M": 200, "3M": 300, "5M": 500, "10M": 1000, "20M": 2000}
		scale, ok := mult[s]
		if !ok {
			return fmt.Errorf("-sims: %q is not one of 100k, 1M, 2M, 3M, 5M, 10M, 20M", s)
		}
		dir, err := simChain(bin, cache, scale)
		if err != nil {
			return err
		}
		files, err := blkFiles(dir)
		if err != nil {
			return err
		}
		sets = append(sets, dataset{name: fmt.Sprintf("simulate --fast lazarus, %s txs (real spends, address reuse)", s), files: files, args: []string{dir}})
	}
	long := filepath.Join(btc, "blkfiles", "blk_0_to_14131.dat")
	sets = append(sets, dataset{name: "real blocks: blkfiles/blk_0_to_14131.dat (mainnet 2009–10)", files: []string{long}, args: []string{long}})
	mainnet, err := filepath.Glob(filepath.Join(btc, "mainnet", "*.block"))
	if err != nil || len(mainnet) == 0 {
		return fmt.Errorf("no mainnet blocks under %s", btc)
	}
	// Block files are named by height: chain them in height order.
	sort.Slice(mainnet, func(i, j int) bool { return heightOf(mainnet[i]) < heightOf(mainnet[j]) })
	bigRaw, err := loadRaw(mainnet)
	if err != nil {
		return err
	}
	synth := filepath.Join(work, fmt.Sprintf("synth_%dx.dat", reps))
	if _, err := synthChain(synth, bigRaw, reps); err != nil {
		return err
	}
	sets = append(sets, dataset{name: fmt.Sprintf("%d× the %d real mainnet blocks 2012–17, renamed and chained (inputs spend outside the chain)", reps, len(bigRaw)),
		files: []string{synth}, args: []string{"--start-height", "1", synth}, start: 1})

	var rows []row
	var ingests []row
	simIngests := []row{}
	for i, d := range sets {
		fmt.Fprintf(os.Stderr, "bench: %s\n", d.name)
		b, err := bareFiles(d.name, d.files)
		if err != nil {
			return err
		}
		p, err := pipelineRun(d.name, d.args[len(d.args)-1], d.start)
		if err != nil {
			return err
		}
		p.txs = b.txs
		p.note = ratio(p, b) + fmt.Sprintf("; by CPU time %.2f×", b.cpu/p.cpu)
		args := append([]string{"--cache-mb", fmt.Sprint(cacheMB)}, d.args...)
		if profile != "" && i == 0 {
			args = append([]string{"--cpuprofile", profile}, args...)
		}
		g, err := ingestRun(bin, filepath.Join(work, fmt.Sprintf("set%d", i)), d.name, [][]string{args})
		if err != nil {
			return err
		}
		g.bytes = b.bytes
		g.note = ratio(g, b) + fmt.Sprintf("; by CPU time %.2f×; index = %.0f %% of the raw bytes", b.cpu/g.cpu, 100*float64(g.disk)/float64(b.bytes))
		if tu, au, err := queryRun(filepath.Join(work, fmt.Sprintf("set%d", i), "0"), 2000); err == nil {
			g.txUS, g.addrUS = tu, au
		} else {
			g.note += "; queries: " + err.Error()
		}
		rows = append(rows, b, p, g)
		ingests = append(ingests, g)
		if strings.HasPrefix(d.name, "simulate") {
			simIngests = append(simIngests, g)
		}
		// The data folder is no longer needed (a 10 M-tx index is GBs).
		os.RemoveAll(filepath.Join(work, fmt.Sprintf("set%d", i)))
	}

	host, _ := os.Hostname()
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("chaintrace ingest benchmark — %s, %s/%s, %d CPUs, %s, %s UTC, load %s, --cache-mb %d (RSS goal ≤ %d MB)\n\n",
		host, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02 15:04"),
		strings.Join(strings.Fields(string(load))[:3], " "), cacheMB, cacheMB*3/2+200)
	fmt.Println("| measurement | blocks | txs | MB | s | CPU s | MB/s | tx/s | peak RSS MB | anon / file MB | disk B/tx | disk B/(in+out) | tx µs | address µs | notes |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range rows {
		perTx, perIO, rss, split, tq, aq := "", "", "", "", "", ""
		if r.disk > 0 && r.txs > 0 {
			perTx = fmt.Sprintf("%.0f", float64(r.disk)/float64(r.txs))
			perIO = fmt.Sprintf("%.1f", float64(r.disk)/float64(r.ins+r.outs))
		}
		if r.rssMB > 0 {
			rss = fmt.Sprintf("%.0f", r.rssMB)
		}
		if r.anonMB > 0 {
			split = fmt.Sprintf("%.0f / %.0f", r.anonMB, r.fileMB)
		}
		if r.txUS > 0 {
			tq, aq = fmt.Sprintf("%.0f", r.txUS), fmt.Sprintf("%.0f", r.addrUS)
		}
		fmt.Printf("| %s — %s | %d | %d | %.1f | %.2f | %.2f | %.1f | %.0f | %s | %s | %s | %s | %s | %s | %s |\n",
			r.what, r.data, r.blocks, r.txs, float64(r.bytes)/1e6, r.secs, r.cpu, float64(r.bytes)/1e6/r.secs, float64(r.txs)/r.secs, rss, split, perTx, perIO, tq, aq, r.note)
	}

	// Bytes on disk by file family, per tx and per input+output, for each index.
	fmt.Println()
	names := map[string]bool{}
	for _, g := range ingests {
		for f := range g.fam {
			names[f] = true
		}
	}
	var fams []string
	for f := range names {
		fams = append(fams, f)
	}
	sort.Strings(fams)
	hdr := "| file family |"
	sep := "|---|"
	for i := range ingests {
		hdr += fmt.Sprintf(" B/tx (%d) | B/(in+out) (%d) |", i+1, i+1)
		sep += "---:|---:|"
	}
	fmt.Println(hdr)
	fmt.Println(sep)
	for _, f := range append(fams, "total") {
		line := "| " + f + " |"
		for _, g := range ingests {
			n := g.fam[f]
			if f == "total" {
				n = g.disk
			}
			line += fmt.Sprintf(" %.1f | %.1f |", float64(n)/float64(g.txs), float64(n)/float64(g.ins+g.outs))
		}
		fmt.Println(line)
	}
	fmt.Println()
	for i, g := range ingests {
		fmt.Printf("(%d) %s: %d txs, %d inputs, %d outputs\n", i+1, g.data, g.txs, g.ins, g.outs)
	}

	// Growth between the shortest and the longest simulated chain.
	if len(simIngests) >= 2 {
		a, b := simIngests[0], simIngests[len(simIngests)-1]
		fmt.Println()
		fmt.Println("| growth | short | long | long ÷ short |")
		fmt.Println("|---|---:|---:|---:|")
		pr := func(what string, x, y float64) {
			fmt.Printf("| %s | %.2f | %.2f | %.2f |\n", what, x, y, y/x)
		}
		pr("txs (M)", float64(a.txs)/1e6, float64(b.txs)/1e6)
		pr("ingest µs per tx", a.secs/float64(a.txs)*1e6, b.secs/float64(b.txs)*1e6)
		pr("ingest CPU µs per tx", a.cpu/float64(a.txs)*1e6, b.cpu/float64(b.txs)*1e6)
		pr("ingest tx/s", float64(a.txs)/a.secs, float64(b.txs)/b.secs)
		pr("disk B per tx", float64(a.disk)/float64(a.txs), float64(b.disk)/float64(b.txs))
		pr("disk B per in+out", float64(a.disk)/float64(a.ins+a.outs), float64(b.disk)/float64(b.ins+b.outs))
		pr("peak RSS MB", a.rssMB, b.rssMB)
		pr("marginal disk B per tx (long − short)", 0, float64(b.disk-a.disk)/float64(b.txs-a.txs))
		pr("tx query µs", a.txUS, b.txUS)
		pr("address page µs", a.addrUS, b.addrUS)
	}
	return nil
}

func heightOf(p string) int {
	n, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(p), ".block"))
	return n
}

func ratio(ing, bare row) string {
	return fmt.Sprintf("%.2f× bare decode speed", (float64(ing.bytes)/ing.secs)/(float64(bare.bytes)/bare.secs))
}

// loadRaw reads every block of the files into memory, in file order.
func loadRaw(paths []string) ([][]byte, error) {
	var out [][]byte
	for _, p := range paths {
		files, err := source.ScanFiles([]string{p}, source.FileOptions{Logger: quiet})
		if err != nil {
			return nil, err
		}
		for _, e := range files.Entries() {
			b, err := files.ReadBlock(e)
			if err != nil {
				files.Close()
				return nil, err
			}
			out = append(out, b.Raw)
		}
		files.Close()
	}
	return out, nil
}

// ingestRun runs `chaintrace ingest ARGS` once per element of runs, each into its own data
// folder under dir, and sums wall time, bytes, stats and disk use; RSS is the largest.
func ingestRun(bin, dir, data string, runs [][]string) (row, error) {
	r := row{what: "chaintrace ingest (end to end, child process)", data: data}
	for i, args := range runs {
		d := filepath.Join(dir, strconv.Itoa(i))
		if err := os.RemoveAll(d); err != nil { // a fresh data folder, also with -work
			return r, err
		}
		full := append([]string{"ingest", "--data", d, "--no-progress", "--log-level", "error"}, args...)
		cmd := exec.Command(bin, full...)
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		t := time.Now()
		if err := cmd.Start(); err != nil {
			return r, fmt.Errorf("%s: %v", bin, err)
		}
		done := make(chan struct{})
		sampled := make(chan [2]float64)
		go func() { sampled <- sampleRSS(cmd.Process.Pid, done) }()
		err := cmd.Wait()
		r.secs += time.Since(t).Seconds()
		if ps := cmd.ProcessState; ps != nil {
			r.cpu += (ps.UserTime() + ps.SystemTime()).Seconds()
		}
		close(done)
		peaks := <-sampled
		r.anonMB, r.fileMB = max(r.anonMB, peaks[0]), max(r.fileMB, peaks[1])
		if err != nil {
			return r, fmt.Errorf("%s %s: %v\n%s", bin, strings.Join(full, " "), err, stderr.String())
		}
		// The child reports its own VmHWM: getrusage of a child forked from this (large)
		// process would count the pages it shared with us before exec.
		if m := rssRE.FindStringSubmatch(out.String()); m != nil {
			mb, _ := strconv.ParseFloat(m[1], 64)
			r.rssMB = max(r.rssMB, mb)
		}
		sj, err := exec.Command(bin, "stats", "--data", d, "--json").Output()
		if err != nil {
			return r, fmt.Errorf("stats %s: %v", d, err)
		}
		var s stats
		if err := json.Unmarshal(sj, &s); err != nil {
			return r, fmt.Errorf("stats %s: %v", d, err)
		}
		r.blocks += int(s.Blocks)
		r.txs += s.Txs
		r.ins += s.Inputs
		r.outs += s.Outputs
		r.fam = families(d)
		for _, n := range r.fam {
			r.disk += n
		}
	}
	return r, nil
}

// sampleRSS polls /proc/PID/status every 10 ms until done and returns the peaks of the
// process's anonymous memory (RssAnon: Go heap, Pebble's memtables and block cache) and of
// its file-backed and shared resident pages (RssFile + RssShmem: the memory-mapped index
// columns and hash tables, which the kernel can drop and reread). They need not peak at
// the same moment, so they need not add up to the peak RSS.
func sampleRSS(pid int, done <-chan struct{}) [2]float64 {
	var peak [2]float64
	path := fmt.Sprintf("/proc/%d/status", pid)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil {
			var anon, file float64
			for _, line := range strings.Split(string(b), "\n") {
				f := strings.Fields(line)
				if len(f) < 2 {
					continue
				}
				kb, _ := strconv.ParseFloat(f[1], 64)
				switch f[0] {
				case "RssAnon:":
					anon = kb / 1024
				case "RssFile:", "RssShmem:":
					file += kb / 1024
				}
			}
			peak[0], peak[1] = max(peak[0], anon), max(peak[1], file)
		}
		select {
		case <-done:
			return peak
		case <-tick.C:
		}
	}
}
