// Command sim measures the chain simulator: transactions per second with and without signing, blocks per
// second, bytes written, and peak memory at two chain lengths (to show memory follows the live UTXO set, not
// the chain). bench/sim.sh runs it and prints its one table.
//
// Each row runs in a child process of this program (so its peak RSS, from getrusage, is its own) writing
// real blk files into a scratch folder. Rows are "workload:mode:txs"; workloads register themselves with
// register, so other files in this folder can add scenario-level rows (and default rows) without touching
// this one.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// Options is what a workload run receives.
type Options struct {
	Txs    int    // transactions to generate (approximately, for scenario workloads)
	Fast   bool   // fast mode: placeholder signatures
	OutDir string // an empty folder for blocks (and anything else the workload writes)
	Seed   int64
	// MemTrace, when positive, asks the workload to print the live heap (after a GC) to stderr every
	// MemTrace transactions, to show whether memory grows with the chain.
	MemTrace int
}

// traceHeap prints the live heap after a full collection, for Options.MemTrace.
func traceHeap(txs int64, utxos int) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Fprintf(os.Stderr, "memtrace: %d txs, %d live outputs, heap %.1f MB live, %.1f MB from the OS\n", txs, utxos,
		float64(m.HeapAlloc)/1e6, float64(m.Sys)/1e6)
}

// Result is what a workload reports; the parent adds wall time and peak RSS.
type Result struct {
	Txs      int64   `json:"txs"`
	Blocks   int64   `json:"blocks"`
	Bytes    int64   `json:"bytes"`     // written to blk files
	MineSecs float64 `json:"mine_secs"` // time inside MineBlock (assembly, PoW, writing)
	RunSecs  float64 `json:"run_secs"`  // wall time of the measured phase (after setup such as funding wallets)
	UTXOs    int64   `json:"utxos"`     // live outputs at the end
	Note     string  `json:"note,omitempty"`
}

// Workload is a registered benchmark body.
type Workload struct {
	Name        string
	Run         func(Options) (Result, error)
	DefaultRows []string // "mode:txs" rows bench/sim.sh prints by default, mode = fast|signed
}

var workloads = map[string]Workload{}

func register(w Workload) { workloads[w.Name] = w }

func main() {
	child := flag.String("child", "", "run one row (workload:mode:txs) and print its JSON result (internal)")
	out := flag.String("out", "", "scratch folder for the child's blocks (internal)")
	rows := flag.String("rows", "", "comma-separated rows workload:mode:txs (default: every workload's default rows)")
	seed := flag.Int64("seed", 1, "simulation seed")
	cpuprofile := flag.String("cpuprofile", "", "with -child: write a CPU profile of the row to this file")
	memtrace := flag.Int("memtrace", 0, "with -child: print the live heap every N transactions")
	flag.Parse()
	if *child != "" {
		if *cpuprofile != "" {
			f, err := os.Create(*cpuprofile)
			if err != nil {
				fmt.Fprintln(os.Stderr, "sim bench:", err)
				os.Exit(1)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				fmt.Fprintln(os.Stderr, "sim bench:", err)
				os.Exit(1)
			}
			defer pprof.StopCPUProfile()
		}
		if err := runChild(*child, *out, *seed, *memtrace); err != nil {
			pprof.StopCPUProfile()
			fmt.Fprintln(os.Stderr, "sim bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := runParent(*rows, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "sim bench:", err)
		os.Exit(1)
	}
}

type row struct {
	workload string
	fast     bool
	txs      int
}

func parseRow(s string) (row, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 3 {
		return row{}, fmt.Errorf("row %q: want workload:mode:txs", s)
	}
	if _, ok := workloads[parts[0]]; !ok {
		return row{}, fmt.Errorf("row %q: unknown workload %q", s, parts[0])
	}
	var fast bool
	switch parts[1] {
	case "fast":
		fast = true
	case "signed":
	default:
		return row{}, fmt.Errorf("row %q: mode must be fast or signed", s)
	}
	n, err := strconv.Atoi(strings.ReplaceAll(parts[2], "_", ""))
	if err != nil || n <= 0 {
		return row{}, fmt.Errorf("row %q: bad transaction count", s)
	}
	return row{parts[0], fast, n}, nil
}

func runChild(spec, out string, seed int64, memtrace int) error {
	r, err := parseRow(spec)
	if err != nil {
		return err
	}
	res, err := workloads[r.workload].Run(Options{Txs: r.txs, Fast: r.fast, OutDir: out, Seed: seed, MemTrace: memtrace})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func runParent(rowsFlag string, seed int64) error {
	var specs []string
	if rowsFlag != "" {
		specs = strings.Split(rowsFlag, ",")
	} else {
		names := make([]string, 0, len(workloads))
		for n := range workloads {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			for _, r := range workloads[n].DefaultRows {
				specs = append(specs, n+":"+r)
			}
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	scratch, err := os.MkdirTemp("", "chaintrace-simbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "workload\tmode\ttxs\tblocks\trun s\ttx/s\ttx/CPU-s\tblocks/s\tMineBlock ms\tMB written\tpeak RSS MB\tUTXOs\t\n")
	for i, spec := range specs {
		r, err := parseRow(spec)
		if err != nil {
			return err
		}
		dir := filepath.Join(scratch, strconv.Itoa(i))
		cmd := exec.Command(self, "-child", spec, "-out", dir, "-seed", strconv.FormatInt(seed, 10))
		cmd.Stderr = os.Stderr
		start := time.Now()
		outb, err := cmd.Output()
		wall := time.Since(start).Seconds()
		if err != nil {
			return fmt.Errorf("row %s: %w", spec, err)
		}
		var res Result
		if err := json.Unmarshal(outb, &res); err != nil {
			return fmt.Errorf("row %s: bad result %q: %w", spec, outb, err)
		}
		rss, cpu := 0.0, 0.0
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = float64(ru.Maxrss) / 1024 // KiB on Linux
			cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		}
		mode := "signed"
		if r.fast {
			mode = "fast"
		}
		run := res.RunSecs
		if run == 0 {
			run = wall
		}
		fmt.Fprintf(os.Stderr, "sim bench: %s done in %.1f s\n", spec, wall)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f\t%.0f\t%.0f\t%.1f\t%.1f\t%.1f\t%.0f\t%d\t%s\n", r.workload, mode, res.Txs,
			res.Blocks, run, float64(res.Txs)/run, float64(res.Txs)/cpu, float64(res.Blocks)/run,
			1000*res.MineSecs/float64(max(res.Blocks, 1)), float64(res.Bytes)/1e6, rss, res.UTXOs, res.Note)
		os.RemoveAll(dir)
	}
	tw.Flush()
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("\n%s/%s, GOMAXPROCS=%d, Go %s, load average at end: %s", runtime.GOOS, runtime.GOARCH,
		runtime.GOMAXPROCS(0), runtime.Version(), strings.Join(strings.Fields(string(load))[:3], " "))
	fmt.Print("\nrun s: the measured phase (after funding); tx/s = txs / run s; tx/CPU-s = txs / the child's whole" +
		"\nuser+sys CPU time (setup and GC included: the fairer figure on a shared machine); peak RSS: the child's maxrss.\n")
	return nil
}
