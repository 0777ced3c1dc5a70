package api

// btcConfig holds the chain index the /v1/btc and /v1/stats routes read.
// (Filled in by the chain index work.)
type btcConfig struct{}

// registerBTC registers the chain routes.
func (s *Server) registerBTC() {}
