package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/chaintrace/chaintrace/internal/api"
	"github.com/chaintrace/chaintrace/internal/index"
	"github.com/chaintrace/chaintrace/internal/monitor"
)

// envWebhookSecret holds the KYT webhook signing secret (kept out of flags,
// which other users can read in the process list).
const envWebhookSecret = "CHAINTRACE_KYT_WEBHOOK_SECRET"

// KYT options of `chaintrace serve` (flags added to the serve command below).
var (
	kytWorkers        = 4
	kytWebhook        string
	kytRescreenRecent = 72 * time.Hour
	kytTriggerEvery   = 2 * time.Second
)

// The KYT monitor for /v1/kyt: screening workers, webhook outbox and
// re-screening triggers run in the server. This file sorts after
// btc_serve.go and sanctions_serve.go, so the chain index and the sanctions
// store are already in cfg.
func init() {
	if serve, _, err := rootCmd.Find([]string{"serve"}); err == nil && serve.Name() == "serve" {
		f := serve.Flags()
		f.IntVar(&kytWorkers, "kyt-workers", kytWorkers, "KYT screening workers")
		f.StringVar(&kytWebhook, "kyt-webhook", "", "URL receiving a signed POST per new KYT alert (secret in $"+envWebhookSecret+")")
		f.DurationVar(&kytRescreenRecent, "kyt-rescreen-recent", kytRescreenRecent, "on new blocks, re-screen the transfers registered within this long (0: off)")
		serve.Long += `

KYT monitoring (docs/kyt.md; state in the data folder's SQLite store, or PostgreSQL with
--db postgres://… or CHAINTRACE_DB, shared by several servers):
  POST  /v1/kyt/users/{userId}/transfers            register a transfer → 202 {"externalId","status"}
  GET   /v1/kyt/transfers/{externalId}              a transfer (+ /alerts, /exposures)
  POST  /v1/kyt/users/{userId}/withdrawal-attempts  pre-screen a destination address
  GET   /v1/kyt/alerts                              ?level=&status=&createdAt_gte=&createdAt_lte=&limit=&offset=
  GET   /v1/kyt/alerts/{alertId}                    an alert with notes and audit log
  PATCH /v1/kyt/alerts/{alertId}                    {"status","assignee","note"}
  GET   /v1/kyt/rules, PUT /v1/kyt/rules            rules in force (YAML body to set)`
	}
	serveSetup = append(serveSetup, func(ctx context.Context, cfg *api.Config, dataDir string) (func(), error) {
		db, err := openStore(ctx, dataDir)
		if err != nil {
			return nil, fmt.Errorf("kyt: %w", err)
		}
		closers := []func(){func() { db.Close() }}
		st := cfg.Sanctions
		if st == nil {
			if st, err = openSanctions(ctx, dataDir); err != nil {
				db.Close()
				return nil, err
			}
			closers = append(closers, func() { st.Close() })
		}
		wh := monitor.Webhook{URL: kytWebhook, Secret: os.Getenv(envWebhookSecret)}
		if wh.URL != "" {
			if u, err := url.Parse(wh.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				db.Close()
				return nil, usageError{fmt.Errorf("--kyt-webhook %q: want an http(s) URL", wh.URL)}
			}
			if wh.Secret == "" {
				db.Close()
				return nil, usageError{fmt.Errorf("--kyt-webhook needs a signing secret in $%s", envWebhookSecret)}
			}
		}
		chainSrc := serveChain(cfg)
		// The cluster store is opened by cluster_serve.go (sorted before this file).
		clusters := func() (monitor.Clusters, error) {
			if cfg.Clusters == nil {
				return nil, nil
			}
			c, err := chainSrc()
			if err != nil {
				return nil, err
			}
			ix, ok := c.(*index.Index)
			if !ok {
				return nil, nil
			}
			return kytClusters{ix: ix, st: cfg.Clusters}, nil
		}
		exposers, err := kytExposers(db, st, chainSrc, dataDir, clusters)
		if err != nil {
			for _, c := range closers {
				c()
			}
			return nil, err
		}
		svc, err := monitor.New(ctx, db, monitor.Options{
			Chain:            chainSrc,
			Exposers:         exposers,
			Workers:          kytWorkers,
			Webhook:          wh,
			RescreenOnBlocks: kytRescreenRecent,
		})
		if err != nil {
			for _, c := range closers {
				c()
			}
			return nil, err
		}
		cfg.KYT = svc
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); svc.Run(rctx, kytTriggerEvery) }()
		slog.Info("kyt monitor running", "workers", kytWorkers, "webhook", wh.URL != "", "store", db.Dialect)
		return func() {
			cancel()
			<-done
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
		}, nil
	})
}

// serveChain gives the monitor the server's chain index (opened late when
// another process held it at start).
func serveChain(cfg *api.Config) monitor.ChainSource {
	return func() (monitor.Chain, error) {
		if cfg.Chain != nil {
			return cfg.Chain, nil
		}
		if cfg.PendingChain != nil {
			ix, err := cfg.PendingChain()
			if err != nil {
				return nil, err
			}
			if ix != nil {
				return ix, nil
			}
		}
		return nil, errors.New("no chain index in the data folder: run chaintrace ingest")
	}
}
