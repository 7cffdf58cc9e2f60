package cli

import (
	"context"
	"fmt"
	"net"

	"github.com/sapperhq/sapper/internal/server"
)

func runServe(ctx context.Context, args []string, e *env) error {
	fs := newFlags("serve", e)
	dbFlag := dbFlag(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "`address` to listen on")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErrorf("serve: unexpected arguments %q", rest)
	}
	st, err := e.openStore(ctx, *dbFlag)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Load(ctx); err != nil {
		return failure(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return failure(fmt.Errorf("serve: %w", err))
	}
	srv := server.New(st, server.Options{Logger: e.log.With("db", st.Path())})
	if err := srv.Serve(ctx, ln); err != nil {
		return failure(fmt.Errorf("serve: %w", err))
	}
	return nil
}
