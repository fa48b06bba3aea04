package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/feedmerge/feedmerge/aggregator"
)

// watchConfig reloads the configuration on SIGHUP and when the file
// changes. An invalid edit is logged with its file:line problems and the
// running configuration stays.
func watchConfig(ctx context.Context, path string, svc *aggregator.Service, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	last := modTime(path)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		case <-tick.C:
			mt := modTime(path)
			if mt.Equal(last) {
				continue
			}
		}
		last = modTime(path)
		cfg, err := aggregator.LoadConfig(path)
		if err == nil {
			err = svc.Reload(cfg)
		}
		if err != nil {
			log.Error("config not reloaded; keeping the running one", "err", strings.ReplaceAll(err.Error(), "\n", "; "))
			continue
		}
		log.Info("config reloaded", "feeds", len(cfg.Feeds))
	}
}

func modTime(path string) time.Time {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}
