package proxy

import "net/http"

// servePyPI is a placeholder until the protocol's file replaces it.
func (s *Server) servePyPI(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "sapper proxy: pypi is not implemented yet", http.StatusNotImplemented)
}
