package feed

import (
	"context"
	"fmt"
	"runtime"
	"sync"
)

// A job is one file to read and decode. The producer creates jobs in
// delivery order; workers run them in any order; the consumer delivers them
// in the producer's order.
type job struct {
	it Item
	// load reads the file, on a worker; nil for a job whose item is final
	// already (an unsafe name, a symbolic link). It returns the data and the
	// number of bytes it read towards the archive-wide bound.
	load func() ([]byte, int64, error)
	// abort releases what load would have, for a job never run.
	abort func()

	n    int64         // bytes read by load
	done chan struct{} // closed when it is final
}

// run reads and decodes the file.
func (j *job) run() {
	data, n, err := j.load()
	j.n = n
	if err != nil {
		j.it.Err = err
		return
	}
	j.it = decode(j.it, data)
}

// maxWindow is the most jobs in flight; each holds at most one record.
const maxWindow = 64

// emitFunc hands a job to the pipeline. It blocks while the window of jobs
// in flight is full, and fails when the pipeline stops.
type emitFunc func(*job) error

// pipeline runs produce, which lists the files of src and emits one job per
// file, on its own goroutine; runs the jobs on a few workers per processor;
// and calls fn, on the calling goroutine, with the items in the order they
// were emitted. account, if not nil, is called in the same order with the
// bytes each job read, and may stop the pipeline with an error (the
// archive-wide bound).
//
// At most maxWindow jobs are in flight at once, so memory is bounded by
// maxWindow times the record size limit. pipeline returns after every
// goroutine it started has ended and every job has been run or aborted.
func pipeline(ctx context.Context, src string, produce func(context.Context, emitFunc) error, fn func(Item) error, account func(int64) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Twice as many workers as processors, so that reads waiting for the
	// disk overlap decoding; a window of jobs a few times that, so that a
	// slow file does not stall the others, capped to bound memory at
	// maxWindow times the record size limit.
	workers := min(2*runtime.GOMAXPROCS(0), maxWindow/2)
	window := min(max(4*workers, 16), maxWindow)
	order := make(chan *job, window) // jobs in delivery order
	work := make(chan *job)          // jobs to run

	emit := func(j *job) error {
		j.done = make(chan struct{})
		if j.load == nil {
			close(j.done)
		}
		select {
		case order <- j:
		case <-ctx.Done():
			if j.abort != nil {
				j.abort()
			}
			return ctx.Err()
		}
		if j.load == nil {
			return nil
		}
		select {
		case work <- j:
			return nil
		case <-ctx.Done():
			// The consumer may be waiting for this job: finish it.
			if j.abort != nil {
				j.abort()
			}
			j.it.Err = ctx.Err()
			close(j.done)
			return ctx.Err()
		}
	}

	var wg sync.WaitGroup
	var perr error // the producer's error, read after order is closed
	wg.Go(func() {
		defer close(order)
		defer close(work)
		perr = produce(ctx, emit)
	})
	for range workers {
		wg.Go(func() {
			for j := range work {
				if ctx.Err() != nil {
					if j.abort != nil {
						j.abort()
					}
					j.it.Err = ctx.Err()
				} else {
					j.run()
				}
				close(j.done)
			}
		})
	}
	stop := func(err error) error {
		cancel()
		wg.Wait()
		return err
	}

	for {
		var j *job
		var ok bool
		select {
		case j, ok = <-order:
		case <-ctx.Done():
			return stop(fmt.Errorf("read %s: %w", src, ctx.Err()))
		}
		if !ok {
			break
		}
		select {
		case <-j.done:
		case <-ctx.Done():
			return stop(fmt.Errorf("read %s: %w", src, ctx.Err()))
		}
		if ctx.Err() != nil {
			return stop(fmt.Errorf("read %s: %w", src, ctx.Err()))
		}
		if account != nil {
			if err := account(j.n); err != nil {
				return stop(err)
			}
		}
		if err := fn(j.it); err != nil {
			return stop(err)
		}
	}
	wg.Wait()
	if perr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("read %s: %w", src, ctx.Err())
		}
		return perr
	}
	return nil
}
