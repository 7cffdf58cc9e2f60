package proxy

import "net/http"

// serveGo is a placeholder until the protocol's file replaces it.
func (s *Server) serveGo(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "sapper proxy: go is not implemented yet", http.StatusNotImplemented)
}

// serveSumDB is a placeholder until goproxy.go replaces it.
func (s *Server) serveSumDB(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "sapper proxy: sumdb is not implemented yet", http.StatusNotImplemented)
}
