// Command labelpack writes a synthetic GraphSense TagPack of a given size for
// bench/labels.sh: distinct valid mainnet P2PKH addresses, two lines per tag,
// and optionally one last tag whose address fails its checksum.
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"os"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/chaintrace/chaintrace/internal/chain"
)

func main() {
	out := flag.String("o", "pack.yaml", "output file")
	mb := flag.Int("mb", 100, "size in MB")
	bad := flag.Bool("bad", false, "end with a tag whose address fails its checksum")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	n, _ := fmt.Fprint(w, "title: synthetic\ncreator: bench\ncurrency: BTC\ncategory: exchange\nconfidence: service_data\nsource: https://example.org/bench\ntags:\n")
	size, line, tags := int64(n), 8, 0
	payload := make([]byte, 20)
	for size < int64(*mb)<<20 {
		binary.BigEndian.PutUint64(payload, uint64(tags)+1)
		a := chain.Addr{Type: chain.P2PKH, Payload: payload}
		n, _ := fmt.Fprintf(w, "- address: %s\n  label: Synthetic Exchange %d\n", a.String(&chaincfg.MainNetParams), tags%997)
		size += int64(n)
		line += 2
		tags++
	}
	if *bad {
		fmt.Fprint(w, "- address: 1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dH\n  label: broken\n")
		fmt.Printf("%d tags, bad tag at line %d\n", tags, line)
	} else {
		fmt.Printf("%d tags\n", tags)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f.Close()
}
