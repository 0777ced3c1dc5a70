package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/chain"
	"github.com/chaintrace/chaintrace/internal/classify"
	"github.com/chaintrace/chaintrace/internal/cluster"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/ingest"
	"github.com/chaintrace/chaintrace/internal/source"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

type ingestFlags struct {
	network       string
	startHeight   int64
	rpcURL        string
	rpcUser       string
	rpcPass       string
	rpcCookie     string
	follow        bool
	poll          time.Duration
	flushMB       int64
	flushInterval time.Duration
	cacheMB       int64
	noProgress    bool
	resync        bool
	cpuProfile    string
	listen        string
	noCluster     bool
}

func init() {
	var f ingestFlags
	cmd := &cobra.Command{
		Use: "ingest [--network NET] [--start-height H] PATH... | --rpc URL --rpc-user U --rpc-pass P [--follow]",
		Example: `  chaintrace ingest --data DIR ~/.bitcoin/blocks
  chaintrace ingest --data DIR --start-height 227835 227835.block
  chaintrace ingest --data DIR --rpc http://127.0.0.1:8332 --rpc-user U --rpc-pass P --follow`,
		Short: "Index blocks from block files or a node, in best-chain order",
		Long: `Index blocks into the chain index under --data.

From files: each PATH is a Bitcoin Core blocks folder (blk*.dat, with xor.dat),
a block file (magic/size framing) or a raw serialized block. Blocks may be in any
order and on competing branches: the branch with the most work wins, and the
index is reorganised when it beats what is already indexed. Re-running is safe:
blocks already indexed are skipped, and a killed run resumes where its last
flush left off.

From a node: --rpc brings the index to the node's best chain (undoing blocks
the node no longer has); --follow keeps polling for new blocks and reorgs.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runIngest(cmd, args, &f, cmd.Flags().Changed("start-height"))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.network, "network", "", "network of the blocks: "+fmt.Sprint(chain.NetworkNames())+" (default: from the files' magic, else the index's, else mainnet)")
	fl.Int64Var(&f.startHeight, "start-height", 0, "height of the first block of an empty index (default: from its coinbase (BIP34), or genesis)")
	fl.StringVar(&f.rpcURL, "rpc", "", "JSON-RPC URL of a node (http://host:port) to ingest from")
	fl.StringVar(&f.rpcUser, "rpc-user", "", "JSON-RPC user")
	fl.StringVar(&f.rpcPass, "rpc-pass", "", "JSON-RPC password")
	fl.StringVar(&f.rpcCookie, "rpc-cookie", "", "read the JSON-RPC user and password from Bitcoin Core's .cookie file")
	fl.BoolVar(&f.follow, "follow", false, "with --rpc: keep following the node's tip (and its reorgs) until interrupted")
	fl.DurationVar(&f.poll, "poll", 5*time.Second, "with --follow: how often to ask the node for new blocks")
	fl.Int64Var(&f.flushMB, "flush-mb", 64, "flush the index after this many MB of blocks")
	fl.DurationVar(&f.flushInterval, "flush-interval", 30*time.Second, "flush the index at least this often")
	fl.Int64Var(&f.cacheMB, "cache-mb", 256, "index cache size in MB")
	fl.BoolVar(&f.resync, "resync", false, "skip bytes between blocks that are not a block frame (as Bitcoin Core's -reindex), with a warning, instead of stopping")
	fl.StringVar(&f.listen, "listen", "", "with --follow: also serve the HTTP API on this address from the same process (the index admits one process)")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (for performance reports)")
	fl.BoolVar(&f.noProgress, "no-progress", false, "never draw a progress bar")
	fl.BoolVar(&f.noCluster, "no-cluster", false, "do not cluster addresses block by block (chaintrace cluster catches up later)")
	rootCmd.AddCommand(cmd)
}

func runIngest(cmd *cobra.Command, args []string, f *ingestFlags, haveStart bool) error {
	ctx := cmd.Context()
	if f.rpcURL == "" && len(args) == 0 {
		return usageError{errors.New("ingest: give block files or folders, or --rpc URL")}
	}
	if f.rpcURL != "" && len(args) > 0 {
		return usageError{errors.New("ingest: give either block files or --rpc, not both")}
	}
	if f.follow && f.rpcURL == "" {
		return usageError{errors.New("ingest: --follow needs --rpc")}
	}
	if f.listen != "" && !f.follow {
		return usageError{errors.New("ingest: --listen needs --follow")}
	}
	var params *chaincfg.Params
	if f.network != "" {
		p, err := chain.NetworkByName(f.network)
		if err != nil {
			return usageError{fmt.Errorf("--network: %w", err)}
		}
		params = p
	}
	opts := ingest.Options{
		FlushBytes:    f.flushMB << 20,
		FlushInterval: f.flushInterval,
		BlockHeight:   chain.BlockHeight,
	}
	if haveStart {
		if f.startHeight < 0 {
			return usageError{fmt.Errorf("--start-height %d: must not be negative", f.startHeight)}
		}
		opts.StartHeight = &f.startHeight
	}
	// The Go heap's share of --cache-mb: buffers, caches and blocks in flight stay
	// within the budget, so the collector runs before the heap doubles past it
	// (Pebble's memtables and block cache are allocated outside the Go heap).
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit((f.cacheMB + 128) << 20)
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if !f.noProgress && term.IsTerminal(int(os.Stderr.Fd())) {
		opts.Progress = &progressBar{}
	}

	var (
		sum ingest.Summary
		err error
	)
	// A run that creates the index and fails before indexing anything leaves no index
	// behind (it would pin the data folder to a network for nothing).
	_, statErr := os.Stat(index.DirIn(flagData))
	created := errors.Is(statErr, os.ErrNotExist)
	if f.rpcURL != "" {
		if f.rpcCookie != "" {
			u, p, err := source.CookieAuth(f.rpcCookie)
			if err != nil {
				return err
			}
			f.rpcUser, f.rpcPass = u, p
		}
		rpc := source.NewRPC(f.rpcURL, f.rpcUser, f.rpcPass)
		node := ingest.FromRPC(rpc)
		nodeNet, nerr := rpc.Network(ctx)
		if nerr != nil {
			return fmt.Errorf("identify the node's network: %w", nerr)
		}
		if params != nil && params.Net != nodeNet.Net {
			return fmt.Errorf("node %s is on %s, not %s", rpc.URL(), chain.NetworkName(nodeNet), chain.NetworkName(params))
		}
		ix, ierr := openIndexWrite(flagData, nodeNet, f.cacheMB)
		if ierr != nil {
			return ierr
		}
		defer ix.Close()
		opts.Params = nodeNet
		warnStartHeight(ix, opts)
		ch, closeCluster, cerr := chainFor(ix, f)
		if cerr != nil {
			return cerr
		}
		defer closeCluster()
		if f.follow {
			slog.Info("following node", "node", rpc.URL(), "poll", f.poll)
			sum, err = followAndServe(ctx, ix, ch, node, opts, f)
		} else {
			sum, err = ingest.Sync(ctx, ch, node, opts)
		}
		if cerr := ix.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close index: %w", cerr)
		}
	} else {
		// Raw block files carry no magic: without --network they are read as the
		// network of an existing index.
		if params == nil {
			params = existingNetwork(flagData)
		}
		files, serr := source.ScanFiles(args, source.FileOptions{Network: params, Resync: f.resync})
		if serr != nil {
			if errors.Is(serr, source.ErrStrayBytes) {
				return fmt.Errorf("%w; --resync skips them", serr)
			}
			return serr
		}
		defer files.Close()
		net := files.Network()
		ix, ierr := openIndexWrite(flagData, net, f.cacheMB)
		if ierr != nil {
			return ierr
		}
		defer ix.Close()
		opts.Params = net
		warnStartHeight(ix, opts)
		// Blocks off the active chain are remembered across runs (a branch given in
		// pieces, the rest of a reorg a crash interrupted).
		side, serr := ingest.OpenSideStore(ingest.SideDirIn(index.DirIn(flagData)))
		if serr != nil {
			return serr
		}
		opts.Side = side
		ch, closeCluster, cerr := chainFor(ix, f)
		if cerr != nil {
			return cerr
		}
		defer closeCluster()
		sum, err = ingest.Blocks(ctx, ch, ingest.FileCandidates(files), opts)
		if cerr := ix.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close index: %w", cerr)
		}
	}
	if created && !sum.HaveTip {
		if rerr := os.RemoveAll(index.DirIn(flagData)); rerr != nil {
			slog.Warn("remove the empty chain index", "err", rerr)
		}
		if rerr := os.RemoveAll(cluster.DirIn(flagData)); rerr != nil {
			slog.Warn("remove the empty cluster store", "err", rerr)
		}
	}
	if err != nil && sum.Applied == 0 && sum.Undone == 0 && !sum.Interrupted {
		return err // nothing changed: the error says it all
	}
	fmt.Fprintf(cmd.OutOrStdout(), "ingest: %s; peak RSS %s\n", sum, peakRSS())
	return err
}

// peakRSS returns this process's peak resident set size (VmHWM) as "N MB", or "?"
// where /proc is not available.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest) // "123456 kB"
			if len(f) == 2 {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return fmt.Sprintf("%d MB", (kb+512)/1024)
				}
			}
		}
	}
	return "?"
}

// openIndexWrite opens (or creates) the chain index under dataDir for ingest,
// refusing an index of another network.
func openIndexWrite(dataDir string, net *chaincfg.Params, cacheMB int64) (*index.Index, error) {
	dir := index.DirIn(dataDir)
	ix, err := index.Open(dir, index.Options{Network: net, CacheBytes: cacheMB << 20, Kinds: classify.IndexHook()})
	if err != nil {
		return nil, indexOpenError(dataDir, err)
	}
	if have := ix.Network(); have != nil && have.Net != net.Net {
		ix.Close()
		return nil, fmt.Errorf("the chain index in %s is %s, the blocks are %s: use another --data, or --network to say what the blocks are",
			dataDir, chain.NetworkName(have), chain.NetworkName(net))
	}
	return ix, nil
}

// followAndServe follows the node and, with --listen, serves the HTTP API over the same
// open index until ctx ends or the server fails.
func followAndServe(ctx context.Context, ix *index.Index, ch ingest.Chain, node ingest.Node, opts ingest.Options, f *ingestFlags) (ingest.Summary, error) {
	if f.listen == "" {
		return ingest.Follow(ctx, ch, node, opts, f.poll)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	servingIndex = ix
	m := newIngestMetrics(opts.Progress)
	opts.Progress, serveCollectors = m, m.collectors()
	defer func() { servingIndex, serveCollectors = nil, nil }()
	served := make(chan error, 1)
	go func() {
		err := runServe(ctx, f.listen)
		cancel() // a server that stops ends the follow too
		served <- err
	}()
	sum, err := ingest.Follow(ctx, ch, node, opts, f.poll)
	cancel()
	if serr := <-served; serr != nil && err == nil {
		err = fmt.Errorf("serve: %w", serr)
	}
	return sum, err
}

// chainFor is the chain the ingest drives: the index, clustered block by
// block unless --no-cluster.
func chainFor(ix *index.Index, f *ingestFlags) (ingest.Chain, func() error, error) {
	ch := ingest.FromIndex(ix)
	if f.noCluster {
		return ch, func() error { return nil }, nil
	}
	return withClustering(flagData, ix, ch)
}

// warnStartHeight says that --start-height does not apply to an index that has blocks.
func warnStartHeight(ix *index.Index, opts ingest.Options) {
	if tip, ok := ix.Tip(); ok && opts.StartHeight != nil && *opts.StartHeight != tip.Height+1 {
		slog.Warn("--start-height only places the first block of an empty index; ignored", "start_height", *opts.StartHeight, "index_tip", tip.Height)
	}
}

// existingNetwork returns the network of the chain index under dataDir, or nil when
// there is none (or it cannot be opened now; the ingest then reports why).
func existingNetwork(dataDir string) *chaincfg.Params {
	if _, err := os.Stat(index.DirIn(dataDir)); err != nil {
		return nil
	}
	ix, err := index.Open(index.DirIn(dataDir), index.Options{ReadOnly: true})
	if err != nil {
		return nil
	}
	defer ix.Close()
	return ix.Network()
}

// progressBar draws ingest progress on a terminal.
type progressBar struct {
	bar    *progressbar.ProgressBar
	start  time.Time
	blocks int
	total  int
	bytes  bool
}

func (p *progressBar) Begin(blocks int, bytes int64) {
	if blocks < 2 {
		return
	}
	p.start, p.blocks, p.total, p.bytes = time.Now(), 0, blocks, bytes > 0
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionThrottle(200 * time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetDescription("ingest"),
	}
	max := int64(blocks)
	if p.bytes {
		max = bytes
		opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionShowTotalBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("blocks"))
	}
	p.bar = progressbar.NewOptions64(max, opts...)
}

func (p *progressBar) Advance(height int64, bytes int64) {
	if p.bar == nil {
		return
	}
	p.blocks++
	if p.bytes {
		if secs := time.Since(p.start).Seconds(); secs > 0 && p.blocks%16 == 1 {
			p.bar.Describe(fmt.Sprintf("height %d, %d/%d blocks, %.0f blocks/s", height, p.blocks, p.total, float64(p.blocks)/secs))
		}
		_ = p.bar.Add64(bytes)
	} else {
		_ = p.bar.Add(1)
	}
}

func (p *progressBar) End() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}
