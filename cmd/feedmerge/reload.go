package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedmerge/feedmerge/aggregator"
)

// reloader is what the watcher needs of *aggregator.Service.
type reloader interface {
	Reload(cfg *aggregator.Config) error
}

var _ reloader = (*aggregator.Service)(nil)

// Reload timing of the daemon.
const (
	reloadPoll   = 2 * time.Second        // how often the file is looked at
	reloadSettle = 500 * time.Millisecond // how long it must stay unchanged before it is read
	reloadChecks = 2                      // looks within reloadSettle that must all find it unchanged
)

// watchConfig reloads the configuration on SIGHUP and when the file
// changes, once the change has settled. An invalid, empty or unparsable
// file is logged in one line and the running configuration stays.
func watchConfig(ctx context.Context, path string, svc reloader, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	w := &watcher{path: path, svc: svc, log: log, hup: hup,
		poll: reloadPoll, settle: reloadSettle, checks: reloadChecks}
	w.run(ctx)
}

// watcher follows one configuration file. Its timings are fields so that
// tests can use milliseconds.
type watcher struct {
	path string
	svc  reloader
	log  *slog.Logger
	hup  <-chan os.Signal // a signal here reloads without waiting for a change

	poll   time.Duration // interval between looks at the file
	settle time.Duration // a changed file must keep its size and mtime this long
	checks int           // looks within settle, each finding the file unchanged
}

// stamp is what tells one version of the file from another.
type stamp struct {
	size  int64
	mtime time.Time
	ok    bool // the file could be stat'ed
}

func (w *watcher) stat() stamp {
	fi, err := os.Stat(w.path)
	if err != nil {
		return stamp{}
	}
	return stamp{size: fi.Size(), mtime: fi.ModTime(), ok: true}
}

// run watches until ctx is done.
func (w *watcher) run(ctx context.Context) {
	tick := time.NewTicker(w.poll)
	defer tick.Stop()
	last := w.stat()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.hup:
		case <-tick.C:
			if w.stat() == last {
				continue
			}
		}
		st, ok := w.settled(ctx)
		if !ok {
			return
		}
		last = st
		w.reload()
	}
}

// settled waits until the file's size and mtime stayed the same for
// w.settle, looked at w.checks times, so that a file being written is not
// read half-way. It returns false if ctx ends first.
func (w *watcher) settled(ctx context.Context) (stamp, bool) {
	step := w.settle / time.Duration(max(w.checks, 1))
	t := time.NewTimer(step)
	defer t.Stop()
	prev, same := w.stat(), 0
	for {
		select {
		case <-ctx.Done():
			return stamp{}, false
		case <-t.C:
		}
		cur := w.stat()
		if cur == prev {
			same++
		} else {
			prev, same = cur, 0
		}
		if same >= w.checks {
			return cur, true
		}
		t.Reset(step)
	}
}

// reload reads the file and hands it to the service, or logs in one line
// why the running configuration stays.
func (w *watcher) reload() {
	cfg, err := w.load()
	if err == nil {
		err = w.svc.Reload(cfg)
	}
	if err != nil {
		w.log.Error("config not reloaded", "err", strings.ReplaceAll(err.Error(), "\n", "; "))
		return
	}
	w.log.Info("config reloaded", "feeds", len(cfg.Feeds))
}

// load reads and parses the file. Its errors say that the running
// configuration stays.
func (w *watcher) load() (*aggregator.Config, error) {
	keep := "keeping the running configuration"
	data, err := os.ReadFile(w.path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w; %s", err, keep)
	}
	cfg, err := aggregator.ParseConfig(w.path, data)
	switch {
	case errors.Is(err, aggregator.ErrEmptyConfig):
		return nil, fmt.Errorf("%s is empty; %s", w.path, keep)
	case err != nil && !parses(data):
		// It settled, yet does not parse: most likely a writer is not
		// done, and the next change brings the rest.
		return nil, fmt.Errorf("%s does not parse, perhaps half-written; %s: %w", w.path, keep, err)
	case err != nil:
		return nil, fmt.Errorf("%s; %s", err, keep)
	}
	return cfg, nil
}

// parses reports whether data is well-formed YAML.
func parses(data []byte) bool {
	var n yaml.Node
	return yaml.Unmarshal(data, &n) == nil
}
