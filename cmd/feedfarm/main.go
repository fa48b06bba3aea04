// Command feedfarm serves a farm of invented feeds on loopback addresses
// until interrupted, for trying feedmerge (or another aggregator) against
// many feeds without the network.
//
//	go run ./cmd/feedfarm -feeds 200 -config farm.yaml   # then: feedmerge once -config farm.yaml
//
// It prints every feed's URL, or with -config writes a feedmerge
// config.yaml listing them. -publish adds new items at an interval.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/feedmerge/feedmerge/internal/feedfarm"
)

func main() {
	fs := flag.NewFlagSet("feedfarm", flag.ContinueOnError)
	var o feedfarm.Options
	fs.IntVar(&o.Feeds, "feeds", 100, "feeds")
	fs.IntVar(&o.Items, "items", 20, "items per feed")
	fs.Uint64Var(&o.Seed, "seed", 1, "content seed")
	fs.IntVar(&o.FaultEvery, "fault-every", 0, "make every Nth feed misbehave (500, 404, 410, 429, slow, truncated, redirect); 0: none")
	fs.IntVar(&o.MaxAge, "max-age", 0, "Cache-Control max-age in seconds (0: none)")
	fs.DurationVar(&o.Span, "span", 24*time.Hour, "the first items are published over this long before now (weeks: a backlog)")
	fs.BoolVar(&o.Regional, "regional", false, "stories from small pools of places, names, numbers and words, as one region's news")
	config := fs.String("config", "", "write a feedmerge config listing the feeds to this file instead of printing URLs")
	database := fs.String("database", "farm.db", "database of the written config")
	publish := fs.Duration("publish", 0, "publish 2 new items to a tenth of the feeds at this interval (0: never)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if err := run(o, *config, *database, *publish); err != nil {
		fmt.Fprintln(os.Stderr, "feedfarm:", err)
		os.Exit(1)
	}
}

func run(o feedfarm.Options, config, database string, publish time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fm, err := feedfarm.Start(o)
	if err != nil {
		return err
	}
	defer fm.Close()
	if config != "" {
		f, err := os.Create(config)
		if err != nil {
			return err
		}
		header := fmt.Sprintf("database: %s\nschedule: \"@every 15m\"\nfetch:\n  per_host: 4\n  host_delay: 0s\n", database)
		if err := fm.WriteConfig(f, header); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "feedfarm: %d feeds (%d items) listed in %s; serving until interrupted\n", len(fm.URLs()), fm.ServedItems(), config)
	} else {
		for _, u := range fm.URLs() {
			fmt.Println(u)
		}
		fmt.Fprintf(os.Stderr, "feedfarm: %d feeds (%d items); serving until interrupted\n", len(fm.URLs()), fm.ServedItems())
	}
	var tick <-chan time.Time
	if publish > 0 {
		t := time.NewTicker(publish)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			st := fm.Stats()
			fmt.Fprintf(os.Stderr, "feedfarm: %d requests: %d×200, %d×304, %d other, %d unconditional refetches\n",
				st.Requests, st.OK, st.NotModified, st.Other, st.Unconditional)
			return nil
		case <-tick:
			n := fm.Publish(2)
			fmt.Fprintf(os.Stderr, "feedfarm: published 2 items to %d feeds\n", n)
		}
	}
}
