// Command simscale measures `chaintrace simulate` at scenario level: for
// each row it runs the simulator as a child process (GOMAXPROCS=1, so the
// figures are for one core) into a scratch folder, and prints one table:
// transactions, blocks, wall and CPU seconds, transactions per CPU second,
// bytes of blocks and ground truth written, and the child's peak RSS (which
// should not grow with chain length). bench/simscale.sh runs it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// txsPerScale mirrors the simulator's sizing: --scale S ≈ S × 10 000 txs.
const txsPerScale = 10_000

type row struct {
	scenario string
	mode     string // fast | signed
	txs      int64
}

func parseRows(s string) ([]row, error) {
	var out []row
	for _, f := range strings.Split(s, ",") {
		p := strings.Split(strings.TrimSpace(f), ":")
		if len(p) != 3 || (p[1] != "fast" && p[1] != "signed") {
			return nil, fmt.Errorf("row %q: want scenario:fast|signed:txs (e.g. lazarus:fast:1M)", f)
		}
		n, err := parseCount(p[2])
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("row %q: bad transaction count", f)
		}
		out = append(out, row{p[0], p[1], n})
	}
	return out, nil
}

func parseCount(s string) (int64, error) {
	mul := int64(1)
	switch {
	case strings.HasSuffix(s, "M"):
		mul, s = 1_000_000, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "k"):
		mul, s = 1_000, strings.TrimSuffix(s, "k")
	}
	f, err := strconv.ParseFloat(s, 64)
	return int64(f * float64(mul)), err
}

func main() {
	bin := flag.String("chaintrace", "", "chaintrace binary")
	rows := flag.String("rows", "lazarus:fast:1M,lazarus:fast:10M,lazarus:signed:100k,lazarus:signed:1M",
		"comma-separated rows scenario:fast|signed:txs")
	work := flag.String("work", "", "scratch folder (default: a temporary one, removed after each row)")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "simscale: -chaintrace is required")
		os.Exit(2)
	}
	rs, err := parseRows(*rows)
	if err != nil {
		fmt.Fprintln(os.Stderr, "simscale:", err)
		os.Exit(2)
	}
	const format = "%-9s %-6s %7s %10s %6s %8s %8s %9s %9s %9s %8s %11s\n"
	fmt.Printf(format, "scenario", "mode", "scale", "txs", "blocks", "wall s", "CPU s", "tx/CPU-s", "tx/wall-s", "blocks MB", "truth MB", "peak RSS MB")
	for _, r := range rs {
		res, err := run(*bin, *work, r)
		if err != nil {
			fmt.Fprintf(os.Stderr, "simscale: %s:%s:%d: %v\n", r.scenario, r.mode, r.txs, err)
			os.Exit(1)
		}
		f := func(format string, v float64) string { return fmt.Sprintf(format, v) }
		fmt.Printf(format, r.scenario, r.mode, f("%g", res.scale), fmt.Sprint(res.txs), fmt.Sprint(res.blocks), f("%.1f", res.wall),
			f("%.1f", res.cpu), f("%.0f", float64(res.txs)/res.cpu), f("%.0f", float64(res.txs)/res.wall),
			f("%.0f", float64(res.blockBytes)/1e6), f("%.0f", float64(res.truthBytes)/1e6), f("%.0f", float64(res.rssKB)/1024))
	}
}

type result struct {
	scale                  float64
	txs, blocks            int64
	wall, cpu              float64
	blockBytes, truthBytes int64
	rssKB                  int64
}

func run(bin, work string, r row) (*result, error) {
	base := work
	if base == "" {
		d, err := os.MkdirTemp("", "simscale")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		base = d
	}
	out := filepath.Join(base, fmt.Sprintf("%s-%s-%d", r.scenario, r.mode, r.txs))
	if err := os.RemoveAll(out); err != nil {
		return nil, err
	}
	defer os.RemoveAll(out)
	scale := float64(r.txs) / txsPerScale
	args := []string{"simulate", "--scenario", r.scenario, "--seed", "1", "--scale", strconv.FormatFloat(scale, 'g', -1, 64),
		"--out", out, "--quiet"}
	if r.mode == "fast" {
		args = append(args, "--fast")
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	start := time.Now()
	if _, err := cmd.Output(); err != nil {
		return nil, err
	}
	wall := time.Since(start).Seconds()
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	res := &result{scale: scale, wall: wall}
	if ru != nil {
		res.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		res.rssKB = ru.Maxrss
	}
	b, err := os.ReadFile(filepath.Join(out, "truth.json"))
	if err != nil {
		return nil, err
	}
	var h struct {
		Txs    int64 `json:"txs"`
		Blocks int64 `json:"blocks"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, err
	}
	res.txs, res.blocks = h.Txs, h.Blocks
	_ = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), "blk") {
			res.blockBytes += info.Size()
		} else {
			res.truthBytes += info.Size()
		}
		return nil
	})
	return res, nil
}
