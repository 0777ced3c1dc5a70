package source

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/chaintrace/chaintrace/internal/chain"
)

// Limits of a framed block's size, as Bitcoin Core's reindex applies them:
// a header and a transaction count at least, MAX_BLOCK_SERIALIZED_SIZE at most.
const (
	minBlockSize = wire.MaxBlockHeaderPayload + 1
	maxBlockSize = wire.MaxBlockPayload // 4,000,000
	frameSize    = 8                    // 4-byte magic + 4-byte little-endian size
	xorKeySize   = 8
)

// Entry locates one block in a file.
type Entry struct {
	Hash   chainhash.Hash
	Header wire.BlockHeader
	File   string // path of the file, as found by ScanFiles
	Offset int64  // offset of the block bytes (after the 8-byte frame)
	Size   uint32 // size of the serialized block
}

// FileOptions tune ScanFiles.
type FileOptions struct {
	// Network is the expected network. Nil: detect it from the first
	// framed block's magic; files holding one raw block (no magic) then
	// default to mainnet.
	Network *chaincfg.Params

	// XORKey, when set, is the 8-byte obfuscation key applied to every
	// file, overriding any xor.dat. When nil, the key in xor.dat beside
	// blk*.dat files is used if present (Bitcoin Core ≥ 28).
	XORKey []byte

	// Resync makes ScanFiles skip bytes that are not a block frame (as
	// Bitcoin Core's -reindex does), searching forward for the next network
	// magic and reporting the skipped range as a warning. By default such
	// bytes are a *FormatError. Garbage at the very start of a file is
	// always an error.
	Resync bool

	// Logger receives the warnings as they are found (nil: slog.Default()).
	Logger *slog.Logger

	// Progress, when set, is called after each file with the number of
	// files scanned, the number of files, and the blocks found so far.
	Progress func(filesDone, filesTotal, blocks int)
}

// FormatError reports input that is not what it claims to be: a bad magic,
// an implausible size, a header that fails proof of work, mixed networks.
type FormatError struct {
	File   string
	Offset int64
	Err    error
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s: offset %d: %v", e.File, e.Offset, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// Files is the catalog of the blocks found by ScanFiles. Its methods are safe
// for concurrent use.
type Files struct {
	entries  []Entry
	network  *chaincfg.Params
	warnings []error
	files    map[string]*fileInfo

	mu     sync.RWMutex
	open   map[string]*os.File
	order  []string // open files, oldest first
	closed bool
}

// maxOpenFiles bounds the file handles ReadBlock keeps open.
const maxOpenFiles = 64

type fileInfo struct {
	path string
	size int64
	key  [xorKeySize]byte
	xor  bool // key is non-zero
	// inFolder: found by listing a blocks/ folder, where an empty or
	// all-zero file (Core's newest, preallocated file) is normal.
	inFolder bool
	zeroHead bool // the file starts with zero bytes (preallocated space)
}

// unxor removes the obfuscation from buf, read at file offset off.
func (fi *fileInfo) unxor(buf []byte, off int64) {
	if !fi.xor {
		return
	}
	k := fi.key
	j := int(off % xorKeySize)
	for i := range buf {
		buf[i] ^= k[j]
		j = (j + 1) & (xorKeySize - 1)
	}
}

func (fi *fileInfo) readAt(f *os.File, buf []byte, off int64) (int, error) {
	n, err := f.ReadAt(buf, off)
	fi.unxor(buf[:n], off)
	return n, err
}

var blkFileRE = regexp.MustCompile(`^blk(\d+)\.dat$`)

// readXORKey reads dir/xor.dat. It returns ok=false when the file is absent.
func readXORKey(dir string) (key [xorKeySize]byte, ok bool, err error) {
	p := filepath.Join(dir, "xor.dat")
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return key, false, nil
	}
	if err != nil {
		return key, false, fmt.Errorf("read obfuscation key: %w", err)
	}
	if len(b) != xorKeySize {
		return key, false, &FormatError{File: p, Offset: 0, Err: fmt.Errorf("obfuscation key of %d bytes, want %d", len(b), xorKeySize)}
	}
	copy(key[:], b)
	return key, true, nil
}

// expand turns the user's paths into the list of files to scan, in order,
// with their obfuscation keys.
func expand(paths []string, opt FileOptions) ([]*fileInfo, error) {
	var explicit *[xorKeySize]byte
	if opt.XORKey != nil {
		if len(opt.XORKey) != xorKeySize {
			return nil, fmt.Errorf("obfuscation key of %d bytes, want %d", len(opt.XORKey), xorKeySize)
		}
		explicit = (*[xorKeySize]byte)(opt.XORKey)
	}
	keyFor := func(dir string, blk bool) ([xorKeySize]byte, error) {
		if explicit != nil {
			return *explicit, nil
		}
		if !blk {
			return [xorKeySize]byte{}, nil
		}
		k, _, err := readXORKey(dir)
		return k, err
	}
	var out []*fileInfo
	seen := map[string]bool{}
	add := func(p string, key [xorKeySize]byte, inFolder bool) error {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if seen[p] {
			return nil
		}
		seen[p] = true
		out = append(out, &fileInfo{path: p, size: st.Size(), key: key, xor: key != [xorKeySize]byte{}, inFolder: inFolder})
		return nil
	}
	if len(paths) == 0 {
		return nil, errors.New("no block files given")
	}
	for _, p := range paths {
		p = filepath.Clean(p)
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			key, err := keyFor(filepath.Dir(p), blkFileRE.MatchString(filepath.Base(p)))
			if err != nil {
				return nil, err
			}
			if err := add(p, key, false); err != nil {
				return nil, err
			}
			continue
		}
		des, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		type numbered struct {
			n    uint64
			name string
		}
		var blks []numbered
		for _, de := range des {
			m := blkFileRE.FindStringSubmatch(de.Name())
			if m == nil || de.IsDir() {
				continue
			}
			n, err := strconv.ParseUint(m[1], 10, 64)
			if err != nil {
				continue
			}
			blks = append(blks, numbered{n, de.Name()})
		}
		if len(blks) == 0 {
			if st, err := os.Stat(filepath.Join(p, "blocks")); err == nil && st.IsDir() {
				// A Bitcoin Core data folder (~/.bitcoin) rather than its blocks folder.
				return nil, fmt.Errorf("%s: no blk*.dat files in the folder (a Bitcoin Core data folder? give its blocks folder: %s)", p, filepath.Join(p, "blocks"))
			}
			return nil, fmt.Errorf("%s: no blk*.dat files in the folder", p)
		}
		slices.SortFunc(blks, func(a, b numbered) int {
			if a.n != b.n {
				if a.n < b.n {
					return -1
				}
				return 1
			}
			if a.name < b.name {
				return -1
			}
			return 1
		})
		key, err := keyFor(p, true)
		if err != nil {
			return nil, err
		}
		for _, b := range blks {
			if err := add(filepath.Join(p, b.name), key, true); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// scanner holds the state of one ScanFiles call.
type scanner struct {
	opt          FileOptions
	network      *chaincfg.Params // fixed by opt.Network or the first framed block
	netFrom      string           // where network was learnt, for errors
	entries      []Entry
	seen         map[chainhash.Hash]struct{}
	dups         int
	firstDup     string
	firstDupOff  int64
	firstDupHash chainhash.Hash
	warnings     []error
	rawFiles     []*fileInfo
	rawEntries   []int // indexes in entries of raw blocks, checked once the network is known
}

func (s *scanner) warn(file string, off int64, format string, args ...any) {
	err := &FormatError{File: file, Offset: off, Err: fmt.Errorf(format, args...)}
	log := s.opt.Logger
	if log == nil {
		log = slog.Default()
	}
	log.Warn("block files", "file", file, "offset", off, "warning", err.Err.Error())
	s.warnings = append(s.warnings, err)
}

// ScanFiles catalogs every block header in paths, in file order. A path may be
// a Bitcoin Core blocks/ folder (its blk?????.dat files in numeric order;
// rev*.dat and other files are ignored), a file in block-file framing
// (magic, size, block, repeated) or a file holding one raw serialized block.
// Only frames and 80-byte headers are read, so memory does not grow with the
// size of the blocks.
//
// A zero magic ends a file (Core preallocates files with zeros); a truncated
// last block ends it with a warning. A bad magic, an implausible size, a
// header failing proof of work or a second network give a *FormatError.
// Blocks found twice (same hash) are listed once, with a warning.
func ScanFiles(paths []string, opt FileOptions) (*Files, error) {
	files, err := expand(paths, opt)
	if err != nil {
		return nil, fmt.Errorf("scan block files: %w", err)
	}
	s := &scanner{opt: opt, network: opt.Network, seen: make(map[chainhash.Hash]struct{})}
	if opt.Network != nil {
		s.netFrom = "the requested network"
	}
	empty, zeros, other := 0, 0, 0
	for i, fi := range files {
		before := len(s.entries)
		if err := s.scanFile(fi); err != nil {
			return nil, err
		}
		if len(s.entries) == before {
			switch {
			case fi.size == 0:
				empty++
			case fi.zeroHead:
				zeros++
			default:
				other++
			}
		}
		if opt.Progress != nil {
			opt.Progress(i+1, len(files), len(s.entries))
		}
	}
	if len(s.entries) == 0 {
		// Nothing to ingest: say so rather than succeed on nothing.
		msg := fmt.Sprintf("in %s: %d file(s) read, %d zero-filled (preallocated space), %d empty, %d without a whole block",
			strings.Join(paths, ", "), len(files), zeros, empty, other)
		if len(s.warnings) == 0 {
			return nil, fmt.Errorf("%w %s", ErrNoBlocks, msg)
		}
		more := ""
		if len(s.warnings) > 1 {
			more = fmt.Sprintf(" (and %d more)", len(s.warnings)-1)
		}
		return nil, fmt.Errorf("%w %s; %w%s", ErrNoBlocks, msg, s.warnings[0], more)
	}
	// Files holding one raw block carry no magic: they take the network
	// of the framed files, or mainnet.
	if s.network == nil {
		s.network = &chaincfg.MainNetParams
		if len(s.rawFiles) > 0 {
			s.warn(s.rawFiles[0].path, 0, "raw block files carry no network magic: assuming mainnet")
		}
	}
	for _, i := range s.rawEntries {
		e := &s.entries[i]
		if err := checkPoW(&e.Header, e.Hash, s.network); err != nil {
			if opt.Network == nil {
				err = fmt.Errorf("%w (a raw block carries no network magic: give its network)", err)
			}
			return nil, &FormatError{File: e.File, Offset: 0, Err: err}
		}
	}
	if s.dups > 0 {
		s.warn(s.firstDup, max(s.firstDupOff, 0), "%d blocks found more than once (the first: %s); each is listed once", s.dups, s.firstDupHash)
	}
	f := &Files{
		entries:  s.entries,
		network:  s.network,
		warnings: s.warnings,
		files:    make(map[string]*fileInfo, len(files)),
		open:     make(map[string]*os.File),
	}
	for _, fi := range files {
		f.files[fi.path] = fi
	}
	return f, nil
}

// add lists e unless its block was already found; it reports whether e was added.
func (s *scanner) add(e Entry) bool {
	if _, ok := s.seen[e.Hash]; ok {
		if s.dups == 0 {
			s.firstDup, s.firstDupOff, s.firstDupHash = e.File, e.Offset-frameSize, e.Hash
		}
		s.dups++
		return false
	}
	s.seen[e.Hash] = struct{}{}
	s.entries = append(s.entries, e)
	return true
}

func (s *scanner) scanFile(fi *fileInfo) error {
	f, err := os.Open(fi.path)
	if err != nil {
		return fmt.Errorf("scan block files: %w", err)
	}
	defer f.Close()
	if fi.size == 0 {
		if !fi.inFolder {
			s.warn(fi.path, 0, "empty file")
		}
		return nil
	}
	var head [4]byte
	n, _ := fi.readAt(f, head[:], 0)
	magic := wire.BitcoinNet(binary.LittleEndian.Uint32(head[:]))
	fi.zeroHead = allZero(head[:n])
	if n == 4 && magic == 0 || n < 4 && (allZero(head[:n]) || s.isMagicPrefix(head[:n])) {
		// Zero padding only, or a frame cut short: the framed reader
		// reports it.
		before, warned := len(s.entries), len(s.warnings)
		if err := s.scanFramed(f, fi); err != nil {
			return err
		}
		if len(s.entries) == before && len(s.warnings) == warned && !fi.inFolder {
			s.warn(fi.path, 0, "file holds no blocks (zero padding only)")
		}
		return nil
	}
	if _, known := chain.NetworkByMagic(magic); known || (s.network != nil && magic == s.network.Net) {
		return s.scanFramed(f, fi)
	}
	return s.scanRaw(f, fi, magic)
}

// isMagicPrefix reports whether b starts the magic of a known network.
func (s *scanner) isMagicPrefix(b []byte) bool {
	for _, name := range chain.NetworkNames() {
		p, _ := chain.NetworkByName(name)
		var m [4]byte
		binary.LittleEndian.PutUint32(m[:], uint32(p.Net))
		if bytes.HasPrefix(m[:], b) {
			return true
		}
	}
	return false
}

// scanRaw catalogs a file holding exactly one serialized block.
func (s *scanner) scanRaw(f *os.File, fi *fileInfo, magic wire.BitcoinNet) error {
	notBlock := func(why error) error {
		return &FormatError{File: fi.path, Offset: 0, Err: fmt.Errorf("%w 0x%08x%s, and not a raw block either (%v)", errBadMagic, uint32(magic), s.keyHint(fi), why)}
	}
	if fi.size > maxBlockSize {
		return notBlock(fmt.Errorf("%d bytes is larger than a block", fi.size))
	}
	if fi.size < minBlockSize {
		return notBlock(fmt.Errorf("%d bytes is smaller than a block", fi.size))
	}
	raw := make([]byte, fi.size)
	if _, err := fi.readAt(f, raw, 0); err != nil {
		return fmt.Errorf("scan block files: %s: %w", fi.path, err)
	}
	var m wire.MsgBlock
	r := bytes.NewReader(raw)
	if err := m.Deserialize(r); err != nil {
		return notBlock(err)
	}
	if r.Len() != 0 {
		return notBlock(fmt.Errorf("%d trailing bytes after the block", r.Len()))
	}
	h := m.Header.BlockHash()
	if err := checkPoW(&m.Header, h, nil); err != nil {
		return notBlock(err)
	}
	s.rawFiles = append(s.rawFiles, fi)
	if s.add(Entry{Hash: h, Header: m.Header, File: fi.path, Offset: 0, Size: uint32(fi.size)}) {
		s.rawEntries = append(s.rawEntries, len(s.entries)-1)
	}
	return nil
}

// window is a read-ahead buffer over one file, so that files of small
// blocks are read in large sequential chunks while files of large blocks are
// read only at their frames and headers.
type window struct {
	f    *os.File
	fi   *fileInfo
	buf  []byte
	off  int64 // file offset of buf[0]
	n    int   // valid bytes in buf
	next int   // bytes to read on the next refill
}

// get returns the n bytes at file offset off (fewer at the end of file).
func (w *window) get(off int64, n int) ([]byte, error) {
	if off >= w.off && off+int64(n) <= w.off+int64(w.n) {
		i := int(off - w.off)
		return w.buf[i : i+n], nil
	}
	size := max(w.next, n)
	if cap(w.buf) < size {
		w.buf = make([]byte, size)
	}
	w.buf = w.buf[:size]
	got, err := w.fi.readAt(w.f, w.buf, off)
	if err != nil && err != io.EOF {
		return nil, err
	}
	w.off, w.n = off, got
	return w.buf[:min(n, got)], nil
}

const (
	smallBlock = 16 << 10
	bigRead    = 256 << 10
)

func (s *scanner) scanFramed(f *os.File, fi *fileInfo) error {
	w := &window{f: f, fi: fi, next: bigRead}
	var off int64
	var hdr wire.BlockHeader
	for off < fi.size {
		b, err := w.get(off, frameSize+wire.MaxBlockHeaderPayload)
		if err != nil {
			return fmt.Errorf("scan block files: %s: %w", fi.path, err)
		}
		if len(b) < 4 || binary.LittleEndian.Uint32(b[:4]) == 0 {
			if allZero(b) {
				return s.checkPadding(f, fi, off)
			}
			if len(b) < 4 {
				s.warn(fi.path, off, "the last %d bytes are not a whole block frame; stopped at the last whole block", len(b))
				return nil
			}
		}
		magic := wire.BitcoinNet(binary.LittleEndian.Uint32(b[:4]))
		if err := s.checkMagic(fi, off, magic); err != nil {
			var fe *FormatError
			if off == 0 || !errors.As(err, &fe) || !errors.Is(fe.Err, errBadMagic) {
				return err
			}
			next, found, rerr := s.findMagic(f, fi, off+1)
			if rerr != nil {
				return rerr
			}
			if !s.opt.Resync {
				if found {
					fe.Err = fmt.Errorf("%w; a block frame follows %d byte(s) later (%w)", fe.Err, next-off, ErrStrayBytes)
				}
				return err
			}
			if !found {
				s.warn(fi.path, off, "%d bytes of garbage up to the end of the file skipped", fi.size-off)
				return nil
			}
			s.warn(fi.path, off, "%d bytes of garbage skipped up to the block frame at offset %d", next-off, next)
			off = next
			continue
		}
		if len(b) < frameSize {
			s.warn(fi.path, off, "the last %d bytes are not a whole block frame; stopped at the last whole block", len(b))
			return nil
		}
		size := binary.LittleEndian.Uint32(b[4:8])
		if size < minBlockSize || size > maxBlockSize {
			return &FormatError{File: fi.path, Offset: off, Err: fmt.Errorf("implausible block size %d (want %d..%d; an undo file rev*.dat?)", size, minBlockSize, maxBlockSize)}
		}
		end := off + frameSize + int64(size)
		if end > fi.size {
			s.warn(fi.path, off, "truncated block: the frame announces %d bytes, only %d remain; stopped at the last whole block", size, fi.size-off-frameSize)
			return nil
		}
		if err := hdr.Deserialize(bytes.NewReader(b[frameSize:])); err != nil {
			return &FormatError{File: fi.path, Offset: off + frameSize, Err: fmt.Errorf("block header: %w", err)}
		}
		h := hdr.BlockHash()
		if err := checkPoW(&hdr, h, s.network); err != nil {
			return &FormatError{File: fi.path, Offset: off + frameSize, Err: err}
		}
		s.add(Entry{Hash: h, Header: hdr, File: fi.path, Offset: off + frameSize, Size: size})
		if size < smallBlock {
			w.next = bigRead
		} else {
			w.next = frameSize + wire.MaxBlockHeaderPayload
		}
		off = end
	}
	return nil
}

// checkMagic checks a frame's magic against the network, fixing the network
// on the first framed block when it was not given.
func (s *scanner) checkMagic(fi *fileInfo, off int64, magic wire.BitcoinNet) error {
	if s.network != nil && magic == s.network.Net {
		return nil
	}
	p, known := chain.NetworkByMagic(magic)
	switch {
	case !known:
		hint := ""
		if off == 0 {
			hint = s.keyHint(fi)
		}
		return &FormatError{File: fi.path, Offset: off, Err: fmt.Errorf("%w 0x%08x%s", errBadMagic, uint32(magic), hint)}
	case s.network == nil:
		s.network = p
		s.netFrom = fmt.Sprintf("%s at offset %d", fi.path, off)
		return nil
	default:
		return &FormatError{File: fi.path, Offset: off, Err: fmt.Errorf("mixed networks: a %s block, but %s is %s", chain.NetworkName(p), s.netFrom, chain.NetworkName(s.network))}
	}
}

var errBadMagic = errors.New("bad magic")

// ErrNoBlocks means a scan found no block at all (every file empty or
// zero-filled).
var ErrNoBlocks = errors.New("no blocks found")

// ErrStrayBytes is in the chain of a *FormatError for bytes between two blocks
// that are not a block frame (FileOptions.Resync skips them).
var ErrStrayBytes = errors.New("stray bytes between blocks")

// findMagic searches fi from off for the magic of the scan's network (or of
// any known network when none is fixed yet).
func (s *scanner) findMagic(f *os.File, fi *fileInfo, off int64) (int64, bool, error) {
	var magics [][4]byte
	if s.network != nil {
		var m [4]byte
		binary.LittleEndian.PutUint32(m[:], uint32(s.network.Net))
		magics = append(magics, m)
	} else {
		for _, name := range chain.NetworkNames() {
			p, _ := chain.NetworkByName(name)
			var m [4]byte
			binary.LittleEndian.PutUint32(m[:], uint32(p.Net))
			magics = append(magics, m)
		}
	}
	buf := make([]byte, 64<<10)
	for p := off; p < fi.size; {
		n, err := fi.readAt(f, buf, p)
		if n == 0 && err != nil {
			if err == io.EOF {
				break
			}
			return 0, false, fmt.Errorf("scan block files: %s: %w", fi.path, err)
		}
		best := -1
		for _, m := range magics {
			if i := bytes.Index(buf[:n], m[:]); i >= 0 && (best < 0 || i < best) {
				best = i
			}
		}
		if best >= 0 {
			return p + int64(best), true, nil
		}
		if n < 4 {
			break
		}
		p += int64(n - 3) // a magic may straddle two reads
	}
	return 0, false, nil
}

// keyHint suggests an obfuscation problem for a file that does not start
// with a magic.
func (s *scanner) keyHint(fi *fileInfo) string {
	switch {
	case fi.xor:
		return " (wrong obfuscation key?)"
	case s.opt.XORKey == nil && blkFileRE.MatchString(filepath.Base(fi.path)):
		return " (an obfuscated Bitcoin Core ≥ 28 file without its xor.dat?)"
	}
	return ""
}

// checkPadding checks that the file is zero from off to its end; non-zero
// bytes there are reported as a warning (they are not read as blocks).
func (s *scanner) checkPadding(f *os.File, fi *fileInfo, off int64) error {
	const limit = 64 << 20 // Core preallocates 16 MiB chunks
	buf := make([]byte, 64<<10)
	for p := off; p < fi.size && p-off < limit; {
		n, err := fi.readAt(f, buf, p)
		if n == 0 && err != nil {
			if err == io.EOF {
				break
			}
			return fmt.Errorf("scan block files: %s: %w", fi.path, err)
		}
		if j := slices.IndexFunc(buf[:n], func(c byte) bool { return c != 0 }); j >= 0 {
			s.warn(fi.path, p+int64(j), "non-zero bytes after the zero padding that starts at offset %d; ignored", off)
			return nil
		}
		p += int64(n)
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// checkPoW checks that the header's hash meets the target its bits encode,
// and, when p is known, that the target is within p's proof-of-work limit.
// This rejects garbage and non-block data that happens to be framed.
func checkPoW(h *wire.BlockHeader, hash chainhash.Hash, p *chaincfg.Params) error {
	target := blockchain.CompactToBig(h.Bits)
	if target.Sign() <= 0 {
		return fmt.Errorf("block header with bits 0x%08x: target is not positive (not a block header)", h.Bits)
	}
	if p != nil && p.PowLimit != nil && target.Cmp(p.PowLimit) > 0 {
		return fmt.Errorf("block %s: target of bits 0x%08x is above the %s proof-of-work limit (not a %s block)", hash, h.Bits, chain.NetworkName(p), chain.NetworkName(p))
	}
	if blockchain.HashToBig(&hash).Cmp(target) > 0 {
		return fmt.Errorf("block %s fails proof of work for bits 0x%08x (not a block header)", hash, h.Bits)
	}
	return nil
}

// Entries returns the blocks found, in file order. The slice is shared: do
// not modify it.
func (f *Files) Entries() []Entry { return f.entries }

// Network returns the network of the blocks.
func (f *Files) Network() *chaincfg.Params { return f.network }

// Warnings returns the problems ScanFiles stepped over (truncated last
// blocks, stray bytes after padding, duplicates), each a *FormatError.
func (f *Files) Warnings() []error { return f.warnings }

// ReadBlock reads the block of e, removes the obfuscation and checks that its
// header hashes to e.Hash.
func (f *Files) ReadBlock(e Entry) (*Block, error) {
	fi, ok := f.files[e.File]
	if !ok {
		return nil, fmt.Errorf("read block %s: %s is not one of the scanned files", e.Hash, e.File)
	}
	origin := fmt.Sprintf("%s@%d", e.File, e.Offset)
	if e.Size < wire.MaxBlockHeaderPayload || e.Size > maxBlockSize || e.Offset < 0 || e.Offset+int64(e.Size) > fi.size {
		return nil, fmt.Errorf("%s: read block %s: size %d does not fit the file of %d bytes", origin, e.Hash, e.Size, fi.size)
	}
	buf := make([]byte, e.Size)
	if err := f.readAt(fi, buf, e.Offset); err != nil {
		return nil, fmt.Errorf("%s: read block %s: %w", origin, e.Hash, err)
	}
	return newBlock(buf, origin, &e.Hash)
}

func (f *Files) readAt(fi *fileInfo, buf []byte, off int64) error {
	f.mu.RLock()
	if f.closed {
		f.mu.RUnlock()
		return errors.New("files closed")
	}
	if h, ok := f.open[fi.path]; ok {
		_, err := fi.readAt(h, buf, off)
		f.mu.RUnlock()
		return err
	}
	f.mu.RUnlock()

	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errors.New("files closed")
	}
	h, ok := f.open[fi.path]
	if !ok {
		var err error
		h, err = os.Open(fi.path)
		if err != nil {
			return err
		}
		if len(f.order) >= maxOpenFiles {
			old := f.order[0]
			f.order = f.order[1:]
			f.open[old].Close()
			delete(f.open, old)
		}
		f.open[fi.path] = h
		f.order = append(f.order, fi.path)
	}
	_, err := fi.readAt(h, buf, off)
	return err
}

// Close closes the files ReadBlock opened.
func (f *Files) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var first error
	for _, h := range f.open {
		if err := h.Close(); err != nil && first == nil {
			first = err
		}
	}
	f.open, f.order, f.closed = nil, nil, true
	return first
}
