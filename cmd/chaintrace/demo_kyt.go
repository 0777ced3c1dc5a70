package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/labels"
	"github.com/chaintrace/chaintrace/internal/monitor"
	"github.com/chaintrace/chaintrace/internal/sim"
	"github.com/chaintrace/chaintrace/internal/trace"
)

// demoKYT plays the exchanges' side: the investigator's case (the reported
// theft's loot addresses) is imported as stolen labels, every cash-out
// deposit is registered as a received transfer at its exchange, screened,
// and the alerts are summarised. It all stays in DIR's store: `chaintrace
// kyt alerts --data DIR` and `serve` show them afterwards.
func demoKYT(ctx context.Context, w io.Writer, ix *index.Index, dir, simDir string, hdr *sim.Header) error {
	if hdr.Labels.Theft == nil {
		return nil
	}
	db, err := openStore(ctx, dir)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := openSanctions(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	attr, err := trace.SimLabels(simDir)
	if err != nil {
		return err
	}
	th, err := chainhash.NewHashFromStr(hdr.Labels.Theft.Txid)
	if err != nil {
		return err
	}
	tv, err := ix.Tx(*th)
	if err != nil {
		return err
	}
	// The case, as an investigator would import it (the same file twice changes nothing).
	csv := "address,label,category,source,confidence\n"
	srcs := monitor.TheftSources(tv, hdr.Labels.Theft.Victim, attr)
	for _, s := range srcs {
		csv += s.Address + "," + s.Entity + ",stolen,demo case " + hdr.Labels.Theft.Txid + ",1\n"
	}
	ls, err := labels.New(ctx, db, labels.Options{Network: ix.Network()})
	if err != nil {
		return err
	}
	// The investigator's starting labels (the services' known addresses) go
	// into the label store too, so the address pages, the graph and the
	// label search show them.
	known, err := investigatorLabelsCSV(attr)
	if err != nil {
		return err
	}
	if _, err := ls.Import(ctx, []labels.Input{
		{Name: "demo-case.csv", Format: labels.FormatCSV, R: strings.NewReader(csv)},
		{Name: "demo-investigator-labels.csv", Format: labels.FormatCSV, R: strings.NewReader(known)},
	}, labels.ImportOptions{}); err != nil {
		return err
	}
	cs := func() (monitor.Chain, error) { return ix, nil }
	exposers, err := kytExposers(db, st, cs, dir, nil)
	if err != nil {
		return err
	}
	svc, err := monitor.New(ctx, db, monitor.Options{Chain: cs, Exposers: exposers})
	if err != nil {
		return err
	}
	if err := svc.CheckTriggers(ctx); err != nil {
		return err
	}
	names := map[string]string{}
	for _, a := range hdr.Actors {
		names[a.ID] = a.Name
	}
	type dep struct{ id, exchange string }
	var deps []dep
	for _, c := range hdr.CashOuts {
		t, _, err := svc.Register(ctx, "mule@"+names[c.Exchange], monitor.RegisterRequest{Network: monitor.NetworkBitcoin,
			Asset: monitor.AssetBTC, TransferReference: c.Txid + ":" + strconv.Itoa(int(c.Vout)), Direction: string(monitor.Received)})
		if err != nil {
			return err
		}
		deps = append(deps, dep{t.ExternalID, names[c.Exchange]})
	}
	if _, err := svc.Drain(ctx); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nKYT at the exchanges (the loot addresses imported as stolen labels; every cash-out deposit\nregistered as a received transfer and screened):\n")
	levels := map[monitor.Level]int{}
	perEx := map[string][2]int{}
	alerted := 0
	var example *monitor.Alert
	var exampleID string
	for _, d := range deps {
		as, err := svc.TransferAlerts(ctx, d.id)
		if err != nil {
			return err
		}
		top := monitor.Level("")
		for i, a := range as {
			if a.AlertLevel.Rank() > top.Rank() {
				top = a.AlertLevel
			}
			if a.Category == "stolen" && a.AlertLevel == monitor.High && example == nil {
				example, exampleID = &as[i], d.id
			}
		}
		c := perEx[d.exchange]
		c[1]++
		if len(as) > 0 {
			alerted++
			levels[top]++
			c[0]++
		}
		perEx[d.exchange] = c
	}
	fmt.Fprintf(w, "  %d of %d cash-out deposits alerted (highest level:", alerted, len(deps))
	for _, l := range monitor.Levels {
		fmt.Fprintf(w, " %s %d", l, levels[l])
	}
	fmt.Fprintln(w, ")")
	exs := make([]string, 0, len(perEx))
	for e := range perEx {
		exs = append(exs, e)
	}
	sort.Strings(exs)
	for _, e := range exs {
		fmt.Fprintf(w, "  %-12s %3d of %3d deposits alerted\n", e, perEx[e][0], perEx[e][1])
	}
	if example != nil {
		fmt.Fprintf(w, "  e.g. transfer %s: %s %s %s, %s through %d hops (chaintrace kyt show --data %s %s)\n",
			exampleID, example.AlertLevel, example.Category, example.ExposureType, btc(example.AlertAmount), example.Hops, dir, exampleID)
	}
	return nil
}

// investigatorLabelsCSV writes the simulation's investigator labels as a
// label CSV (address, label, category, source, confidence), in address order.
func investigatorLabelsCSV(attr trace.MapAttributor) (string, error) {
	addrs := make([]string, 0, len(attr))
	for a := range attr {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write([]string{"address", "label", "category", "source", "confidence"})
	for _, a := range addrs {
		at := attr[a]
		w.Write([]string{a, at.Entity, at.Category, "simulator: the investigator's starting labels", "service_data"})
	}
	w.Flush()
	return b.String(), w.Error()
}
