package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/monitor"
)

var kytCmd = &cobra.Command{
	Use:   "kyt",
	Short: "KYT transfer monitoring: register transfers, alerts, rules, re-screening",
	Long: `KYT (know your transaction) monitoring: an exchange registers its users' deposits
(received) and withdrawals (sent) by TXID:VOUT or TXID:ADDRESS; each is screened for
sanctions and exposure, and rules turn exposure into alerts (SEVERE, HIGH, MEDIUM,
LOW). ` + "`chaintrace serve`" + ` screens in the background and serves the same over HTTP
(/v1/kyt/…); these commands work on the same store. State lives in the data folder's
SQLite store, or in PostgreSQL with --db postgres://… (or CHAINTRACE_DB). See docs/kyt.md.`,
}

func init() { rootCmd.AddCommand(kytCmd) }

// kytSession is the monitor opened by a command, with what it holds open.
type kytSession struct {
	svc    *monitor.Service
	ix     *index.Index // nil when the index is absent or held by another process
	ixErr  error
	closer []func()
}

func (k *kytSession) Close() {
	for i := len(k.closer) - 1; i >= 0; i-- {
		k.closer[i]()
	}
}

// openKYT opens the monitor over the data folder. With withChain the chain
// index is opened too (for screening in this process) when it is free; a
// server holding it screens instead.
func openKYT(ctx context.Context, dataDir string, withChain bool) (*kytSession, error) {
	k := &kytSession{}
	db, err := openStore(ctx, dataDir)
	if err != nil {
		return nil, err
	}
	k.closer = append(k.closer, func() { db.Close() })
	opt := monitor.Options{}
	if withChain {
		st, err := openSanctions(ctx, dataDir)
		if err != nil {
			k.Close()
			return nil, err
		}
		k.closer = append(k.closer, func() { st.Close() })
		if ix, err := openIndexRead(dataDir); err == nil {
			k.ix = ix
			k.closer = append(k.closer, func() { ix.Close() })
			opt.Chain = func() (monitor.Chain, error) { return ix, nil }
		} else {
			k.ixErr = err
			opt.Chain = func() (monitor.Chain, error) { return nil, err }
		}
		if opt.Exposers, err = kytExposers(db, st, opt.Chain, dataDir, nil); err != nil {
			k.Close()
			return nil, err
		}
	}
	if k.svc, err = monitor.New(ctx, db, opt); err != nil {
		k.Close()
		return nil, err
	}
	return k, nil
}

// drain screens the queued transfers in this process when the chain index is
// free, or says who will.
func (k *kytSession) drain(ctx context.Context, w io.Writer) error {
	if k.ix == nil {
		if errors.Is(k.ixErr, errIndexInUse) {
			fmt.Fprintln(w, "kyt: the chain index is in use by another process: the running server screens the queued transfers")
		} else {
			fmt.Fprintf(w, "kyt: transfers stay pending: %v\n", k.ixErr)
		}
		return nil
	}
	if err := k.svc.CheckTriggers(ctx); err != nil {
		return err
	}
	n, err := k.svc.Drain(ctx)
	if n > 0 {
		fmt.Fprintf(w, "kyt: screened %d transfer(s)\n", n)
	}
	return err
}

// kytUsage makes the monitor's bad-input errors usage errors (exit 2).
func kytUsage(err error) error {
	if errors.Is(err, monitor.ErrBadInput) || errors.Is(err, monitor.ErrNotFound) {
		return usageError{err}
	}
	return err
}

func sat(n int64) string { return fmt.Sprintf("%d sat (%.8f BTC)", n, float64(n)/1e8) }

// printAlertLine prints one alert on a line.
func printAlertLine(w io.Writer, a monitor.Alert) {
	fmt.Fprintf(w, "  %s  %-6s %-10s %-9s %-8s %s  %q  hops %d  %s\n", a.AlertID, a.AlertLevel, a.Category, a.ExposureType, a.Status,
		sat(a.AlertAmount), a.Service, a.Hops, a.CreatedAt.Format("2006-01-02 15:04:05"))
}
