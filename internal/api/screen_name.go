package api

// registerScreenName registers the name-screening routes (GET /v1/screen/name).
// Called from registerScreen.
func (s *Server) registerScreenName() {}
