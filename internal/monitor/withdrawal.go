package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
)

// WithdrawalRequest is the body of POST /v1/kyt/users/{userId}/withdrawal-attempts.
type WithdrawalRequest struct {
	Network     string `json:"network"`
	Asset       string `json:"asset"`
	Address     string `json:"address"`
	AssetAmount int64  `json:"assetAmount"` // satoshis
}

// WithdrawalAlert is an alert a withdrawal would raise.
type WithdrawalAlert struct {
	AlertLevel   Level        `json:"alertLevel"`
	Category     string       `json:"category"`
	Service      string       `json:"service"`
	AlertAmount  int64        `json:"alertAmount"`
	ExposureType ExposureType `json:"exposureType"`
	Hops         int          `json:"hops"`
	Path         []string     `json:"path"`
	Rule         string       `json:"rule"`
}

// WithdrawalResult is the synchronous answer to a withdrawal attempt.
type WithdrawalResult struct {
	UserID       string            `json:"userId"`
	Address      string            `json:"address"`
	AssetAmount  int64             `json:"assetAmount"`
	Alerts       []WithdrawalAlert `json:"alerts"`
	Direct       []Line            `json:"direct"`
	Indirect     []Line            `json:"indirect"`
	RulesVersion int64             `json:"rulesVersion"`
	ScreenedAt   time.Time         `json:"screenedAt"`
}

// WithdrawalAttempt pre-screens a destination address: the exposure a
// withdrawal of AssetAmount there would have, and the alerts the rules in
// force would raise. Nothing is queued; the attempt is kept in the audit log.
func (s *Service) WithdrawalAttempt(ctx context.Context, userID string, req WithdrawalRequest) (*WithdrawalResult, error) {
	if err := checkUserID(userID); err != nil {
		return nil, err
	}
	if err := checkNetworkAsset(req.Network, req.Asset); err != nil {
		return nil, err
	}
	addr := strings.TrimSpace(req.Address)
	if err := s.checkAddress(addr); err != nil {
		return nil, err
	}
	if req.AssetAmount < 0 || req.AssetAmount > 21e14 {
		return nil, badInput("assetAmount %d: want satoshis from 0 to 21e14", req.AssetAmount)
	}
	if isBech32(addr) {
		addr = strings.ToLower(addr)
	}
	sub := &Subject{Direction: Sent, Address: addr, Amount: req.AssetAmount}
	var lines []Line
	for _, e := range s.opt.Exposers {
		ls, err := e.Exposure(ctx, sub)
		if err != nil {
			return nil, fmt.Errorf("kyt: exposure of %s: %w", addr, err)
		}
		lines = append(lines, ls...)
	}
	lines = mergeLines(lines)
	rules := s.rules.Load()
	res := &WithdrawalResult{UserID: userID, Address: addr, AssetAmount: req.AssetAmount, Alerts: []WithdrawalAlert{},
		Direct: []Line{}, Indirect: []Line{}, RulesVersion: rules.Version, ScreenedAt: time.Now().UTC()}
	for _, l := range lines {
		if l.Path == nil {
			l.Path = []string{}
		}
		if l.ExposureType == Direct {
			res.Direct = append(res.Direct, l)
		} else {
			res.Indirect = append(res.Indirect, l)
		}
		if level, rule, ok := rules.Match(Sent, l); ok {
			res.Alerts = append(res.Alerts, WithdrawalAlert{AlertLevel: level, Category: l.Category, Service: l.Entity,
				AlertAmount: l.Amount, ExposureType: l.ExposureType, Hops: l.Hops, Path: l.Path, Rule: rule})
		}
	}
	levels := make([]string, 0, len(res.Alerts))
	for _, a := range res.Alerts {
		levels = append(levels, string(a.AlertLevel)+" "+a.Category)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		return audit(ctx, s, tx, userID, "withdrawal:"+addr, "pre-screened",
			fmt.Sprintf("%d sat, alerts [%s]", req.AssetAmount, strings.Join(levels, ", ")))
	})
	if err != nil {
		return nil, fmt.Errorf("kyt: record withdrawal attempt: %w", err)
	}
	return res, nil
}

// checkAddress accepts a Bitcoin address of the chain index's network (any
// Bitcoin network when no index is open).
func (s *Service) checkAddress(addr string) error {
	nets := []*chaincfg.Params{&chaincfg.MainNetParams, &chaincfg.TestNet3Params, &chaincfg.RegressionNetParams, &chaincfg.SigNetParams}
	if s.opt.Chain != nil {
		if c, err := s.opt.Chain(); err == nil && c.Network() != nil {
			nets = []*chaincfg.Params{c.Network()}
		}
	}
	var err error
	for _, p := range nets {
		var a btcutil.Address
		if a, err = btcutil.DecodeAddress(addr, p); err == nil && a.IsForNet(p) {
			return nil
		}
	}
	if err == nil {
		err = fmt.Errorf("not an address of the %s network", nets[0].Name)
	}
	return badInput("address %q: %v", addr, err)
}
