package api

// screenConfig holds the sanctions store the /v1/screen, /v1/lists and
// /api/v1/address routes read. (Filled in by the sanctions work.)
type screenConfig struct{}

// registerScreen registers the screening routes.
func (s *Server) registerScreen() { s.registerScreenName() }
