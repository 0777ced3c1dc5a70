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
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/source"
)

var reps, small int

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func main() {
	shared := flag.String("shared", "../shared", "the shared data folder")
	bin := flag.String("chaintrace", "./chaintrace", "the chaintrace binary to measure")
	work := flag.String("work", "", "scratch folder (default: a temporary one, removed at the end)")
	flag.IntVar(&reps, "reps", 12, "repetitions of the real blocks in the long synthetic chain")
	flag.IntVar(&small, "small", 3, "repetitions in the short synthetic chain (the memory comparison)")
	flag.Parse()
	if err := run(*shared, *bin, *work); err != nil {
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
	note           string
}

type stats struct {
	Blocks  int64 `json:"blocks"`
	Txs     int64 `json:"txs"`
	Inputs  int64 `json:"inputs"`
	Outputs int64 `json:"outputs"`
}

func run(shared, bin, work string) error {
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
	long := filepath.Join(btc, "blkfiles", "blk_0_to_14131.dat")
	mainnet, err := filepath.Glob(filepath.Join(btc, "mainnet", "*.block"))
	// Block files are named by height: chain them in height order.
	if err != nil || len(mainnet) == 0 {
		return fmt.Errorf("no mainnet blocks under %s", btc)
	}
	sort.Slice(mainnet, func(i, j int) bool { return heightOf(mainnet[i]) < heightOf(mainnet[j]) })

	longRaw, err := loadRaw([]string{long})
	if err != nil {
		return err
	}
	bigRaw, err := loadRaw(mainnet)
	if err != nil {
		return err
	}
	// A quarter of the long chain, framed like a Core block file, for the memory comparison.
	quarter := filepath.Join(work, "blk_0_to_3532.dat")
	if err := writeFramed(quarter, longRaw[:len(longRaw)/4]); err != nil {
		return err
	}

	// A longer chain from the real 2012–2017 block bodies (see synthChain), at two lengths.
	synthSmall, synthBig := filepath.Join(work, fmt.Sprintf("synth_%dx.dat", small)), filepath.Join(work, fmt.Sprintf("synth_%dx.dat", reps))
	if _, err := synthChain(synthSmall, bigRaw, small); err != nil {
		return err
	}
	synthRaw, err := synthChain(synthBig, bigRaw, reps)
	if err != nil {
		return err
	}
	one := []string{"--start-height", "1"}
	lowMem := []string{"--start-height", "1", "--flush-mb", "8", "--cache-mb", "64"}

	var rows []row
	add := func(r row, err error) error {
		if err == nil {
			rows = append(rows, r)
		}
		return err
	}
	if err := add(bare("blk_0_to_14131.dat (mainnet 2009–10, tiny blocks)", longRaw)); err != nil {
		return err
	}
	if err := add(pipelineRun(rows[0].data, long, 0)); err != nil {
		return err
	}
	rows[1].note = ratio(rows[1], rows[0])
	if err := add(ingestRun(bin, filepath.Join(work, "long"), rows[0].data, [][]string{{long}})); err != nil {
		return err
	}
	rows[2].note = ratio(rows[2], rows[0])
	synthName := fmt.Sprintf("%d× the %d real mainnet blocks 2012–17, chained", reps, len(bigRaw))
	if err := add(bare(synthName, synthRaw)); err != nil {
		return err
	}
	if err := add(pipelineRun(synthName, synthBig, 1)); err != nil {
		return err
	}
	rows[4].note = ratio(rows[4], rows[3])
	if err := add(ingestRun(bin, filepath.Join(work, "synth_big"), synthName, [][]string{append(one, synthBig)})); err != nil {
		return err
	}
	rows[5].note = ratio(rows[5], rows[3]) + "; default flags (--cache-mb 256 --flush-mb 64)"
	if err := add(ingestRun(bin, filepath.Join(work, "synth_small_lowmem"), fmt.Sprintf("%d× the same, --flush-mb 8 --cache-mb 64", small), [][]string{append(lowMem, synthSmall)})); err != nil {
		return err
	}
	if err := add(ingestRun(bin, filepath.Join(work, "synth_big_lowmem"), fmt.Sprintf("%d× the same, --flush-mb 8 --cache-mb 64", reps), [][]string{append(lowMem, synthBig)})); err != nil {
		return err
	}
	rows[7].note = fmt.Sprintf("peak RSS %.0f MB at %d× vs %.0f MB at %d× the chain length", rows[6].rssMB, small, rows[7].rssMB, reps)
	if err := add(ingestRun(bin, filepath.Join(work, "quarter"), "blk_0_to_3532 (¼ of blk_0_to_14131)", [][]string{{quarter}})); err != nil {
		return err
	}
	rows[8].note = fmt.Sprintf("peak RSS %.0f MB at ¼ vs %.0f MB for all 14,132 blocks", rows[8].rssMB, rows[2].rssMB)

	// Fixed-size files (filters, preallocations) dominate small indexes: the marginal cost
	// between the two lengths of the synthetic chain is the per-tx figure that scales.
	a, b := rows[6], rows[7]
	marginal := row{what: "marginal disk use", data: fmt.Sprintf("%d× minus %d× chain", reps, small),
		txs: b.txs - a.txs, ins: b.ins - a.ins, outs: b.outs - a.outs, disk: b.disk - a.disk,
		note: fmt.Sprintf("%d more txs, %.1f MB more on disk", b.txs-a.txs, float64(b.disk-a.disk)/1e6)}

	host, _ := os.Hostname()
	fmt.Printf("chaintrace ingest benchmark — %s, %s/%s, %d CPUs, %s, %s\n\n", host, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format(time.DateOnly))
	fmt.Println("| measurement | blocks | MB | s | MB/s | blocks/s | peak RSS MB | anon / file MB | disk B/tx | disk B/(in+out) | notes |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range append(rows, marginal) {
		perTx, perIO := "", ""
		if r.disk > 0 && r.txs > 0 {
			perTx = fmt.Sprintf("%.0f", float64(r.disk)/float64(r.txs))
			perIO = fmt.Sprintf("%.0f", float64(r.disk)/float64(r.ins+r.outs))
		}
		rss, split := "", ""
		if r.rssMB > 0 {
			rss = fmt.Sprintf("%.0f", r.rssMB)
		}
		if r.anonMB > 0 {
			split = fmt.Sprintf("%.0f / %.0f", r.anonMB, r.fileMB)
		}
		if r.secs == 0 {
			fmt.Printf("| %s — %s | | | | | | | | %s | %s | %s |\n", r.what, r.data, perTx, perIO, r.note)
			continue
		}
		fmt.Printf("| %s — %s | %d | %.1f | %.2f | %.1f | %.0f | %s | %s | %s | %s | %s |\n",
			r.what, r.data, r.blocks, float64(r.bytes)/1e6, r.secs, float64(r.bytes)/1e6/r.secs, float64(r.blocks)/r.secs, rss, split, perTx, perIO, r.note)
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

func writeFramed(path string, blocks [][]byte) error {
	var buf bytes.Buffer
	for _, b := range blocks {
		var hdr [8]byte
		binary.LittleEndian.PutUint32(hdr[:4], uint32(wire.MainNet))
		binary.LittleEndian.PutUint32(hdr[4:], uint32(len(b)))
		buf.Write(hdr[:])
		buf.Write(b)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// bare times MsgBlock.Deserialize over blocks, best of three passes.
func bare(data string, blocks [][]byte) (row, error) {
	r := row{what: "btcd wire MsgBlock.Deserialize (bare, from memory)", data: data, blocks: len(blocks)}
	for _, b := range blocks {
		r.bytes += int64(len(b))
	}
	best := time.Duration(1<<63 - 1)
	for pass := 0; pass < 3; pass++ {
		t := time.Now()
		for _, b := range blocks {
			var m wire.MsgBlock
			if err := m.Deserialize(bytes.NewReader(b)); err != nil {
				return r, err
			}
		}
		best = min(best, time.Since(t))
	}
	r.secs = best.Seconds()
	return r, nil
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
		for _, a := range args {
			if st, err := os.Stat(a); err == nil && !st.IsDir() {
				raw, err := loadRaw([]string{a})
				if err != nil {
					return r, err
				}
				for _, b := range raw {
					r.bytes += int64(len(b))
				}
			}
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
		_ = filepath.WalkDir(d, func(_ string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				if info, err := e.Info(); err == nil {
					if st, ok := info.Sys().(*syscall.Stat_t); ok {
						r.disk += st.Blocks * 512
					} else {
						r.disk += info.Size()
					}
				}
			}
			return nil
		})
	}
	return r, nil
}

// sampleRSS polls /proc/PID/status every 10 ms until done and returns the peaks of the
// process's anonymous memory (RssAnon: Go heap, Pebble's memtables and block cache) and of
// its file-backed and shared resident pages (RssFile + RssShmem: the memory-mapped index
// columns and Bloom filter, which the kernel can drop and reread). They need not peak at
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
