package proxy

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/store"
)

// auditLog records decisions in batches on one goroutine, so that a
// request waits for a channel send, not for a database write. A full
// queue makes requests wait rather than lose entries.
type auditLog struct {
	to   Auditor
	log  *slog.Logger
	ch   chan store.AuditEntry
	done chan struct{}
	once sync.Once
}

const (
	auditQueue = 4096
	auditBatch = 512
	auditEvery = 200 * time.Millisecond
)

func newAuditLog(to Auditor, log *slog.Logger) *auditLog {
	a := &auditLog{to: to, log: log, ch: make(chan store.AuditEntry, auditQueue), done: make(chan struct{})}
	go a.run()
	return a
}

func (a *auditLog) run() {
	defer close(a.done)
	tick := time.NewTicker(auditEvery)
	defer tick.Stop()
	var batch []store.AuditEntry
	flush := func() {
		if len(batch) == 0 || a.to == nil {
			batch = batch[:0]
			return
		}
		if err := a.to.RecordAudit(context.Background(), batch); err != nil {
			a.log.Error("audit log: entries not recorded", "entries", len(batch), "err", err)
		}
		batch = batch[:0]
	}
	for {
		select {
		case e, ok := <-a.ch:
			if !ok {
				flush()
				return
			}
			batch = append(batch, e)
			if len(batch) >= auditBatch {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

func (a *auditLog) record(e store.AuditEntry) {
	a.ch <- e
}

func (a *auditLog) close() error {
	a.once.Do(func() { close(a.ch) })
	<-a.done
	return nil
}

// record logs and audits one decision about a request.
func (s *Server) record(r *http.Request, eco ecosystem.Ecosystem, name, version string, d Decision) {
	action := string(d.Action)
	if d.Action == "" {
		action = string(finding.Allow)
	}
	s.audit.record(store.AuditEntry{
		Time: s.now(), Client: clientAddr(r), Ecosystem: eco, Name: name, Version: version,
		Decision: action, Reason: d.Reason, Path: requestPath(r),
	})
	if d.Action == finding.Block || d.Action == finding.Warn {
		s.log.Info("decision", "client", clientAddr(r), "ecosystem", eco, "package", name, "version", version, "decision", action, "reason", d.Reason)
	}
}

// requestPath is the path the client asked for, before any prefix was
// stripped for routing.
func requestPath(r *http.Request) string {
	p, _, _ := strings.Cut(r.RequestURI, "?")
	if p == "" {
		return r.URL.Path
	}
	return p
}
