package proxy

import "net/http"

// serveNPM is a placeholder until the protocol's file replaces it.
func (s *Server) serveNPM(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "sapper proxy: npm is not implemented yet", http.StatusNotImplemented)
}
