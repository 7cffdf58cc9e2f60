package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/limits"
	"github.com/sapperhq/sapper/internal/store"
)

// handlerFunc serves a request. On success it has written the response; on
// failure it has written nothing and returns an error, which Server.handle
// turns into the response and the log line.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// httpError is an error with the status and message a client sees. The
// message of a server error (status >= 500) is generic; its cause is logged.
type httpError struct {
	status int
	msg    string
	err    error // cause, logged; may be nil
}

func (e *httpError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *httpError) Unwrap() error { return e.err }

// badRequest returns a 400 error with a message for the client.
func badRequest(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	// Code is the HTTP status.
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// handle adapts h to an http.HandlerFunc, bounding the request and mapping the
// error h returns to a response and a log line. It is the one place that
// does so: handlers return errors and neither write nor log them.
func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		r.Body = http.MaxBytesReader(w, r.Body, limits.MaxRequestBytes)

		err := call(h, w, r)
		if err == nil {
			if s.log.Enabled(ctx, slog.LevelDebug) {
				s.log.DebugContext(ctx, "request", keyMethod, r.Method, keyPath, r.URL.Path, keyStatus, http.StatusOK, keyDuration, time.Since(start))
			}
			return
		}
		status, msg := describe(err, s.opts.RequestTimeout)
		level := slog.LevelInfo
		switch {
		case errors.Is(err, context.Canceled):
			level = slog.LevelDebug // the client went away
		case status >= 500:
			level = slog.LevelError
		}
		s.log.Log(ctx, level, "request failed", keyMethod, r.Method, keyPath, r.URL.Path, keyStatus, status, keyDuration, time.Since(start), keyError, err)
		writeError(w, status, msg)
	}
}

// call runs h, turning a panic into an error so that one bad request gets a
// 500 and a log line with the stack instead of a dropped connection.
func call(h handlerFunc, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			err = fmt.Errorf("panic serving %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
		}
	}()
	return h(w, r)
}

// describe maps an error to the status and message the client sees.
func describe(err error, timeout time.Duration) (int, string) {
	var he *httpError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		if he.msg == "" {
			return he.status, strings.ToLower(http.StatusText(he.status))
		}
		return he.status, he.msg
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", mbe.Limit)
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not found"
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, fmt.Sprintf("request took longer than %s", timeout)
	case errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, "request canceled"
	}
	return http.StatusInternalServerError, "internal server error"
}

// writeError writes the JSON error body.
func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(errorBody{Code: status, Message: msg}) // cannot fail
	writeJSON(w, status, b)
}

// Header values of every response, shared read-only to save allocations.
var (
	headerJSON    = []string{"application/json"}
	headerNoSniff = []string{"nosniff"}
)

// writeJSON writes a JSON response body.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = headerJSON
	h["X-Content-Type-Options"] = headerNoSniff
	w.WriteHeader(status)
	w.Write(body) // a client that went away is not an error of ours
}

// methodNotAllowed answers a known path asked with the wrong method.
func methodNotAllowed(allow string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if allow == http.MethodGet {
			allow += ", " + http.MethodHead
		}
		w.Header().Set("Allow", allow)
		return &httpError{status: http.StatusMethodNotAllowed, msg: fmt.Sprintf("method %s not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow)}
	}
}

// notFound answers unknown paths.
func notFound(w http.ResponseWriter, r *http.Request) error {
	return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("no endpoint %s (the API has POST /v1/query, POST /v1/querybatch, GET /v1/vulns/{id}, GET /healthz)", r.URL.Path)}
}
