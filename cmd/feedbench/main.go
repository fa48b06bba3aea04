// Command feedbench measures feedmerge against a local feed farm and
// prints a table: the fetch-and-parse floor, the first full poll and its
// ratio to the floor, a re-poll after new items, peak memory and database
// size, the merged feed's latency with a large store, and (with -dedupe)
// storing and deduplicating rates at 10,000 and 1,000,000 stored stories.
//
//	go run ./cmd/feedbench -feeds 1000
//
// With -days it runs a long simulation instead (long.go): days of a farm
// publishing steadily, polled in process on a fake clock with retention
// on, printing per simulated day the stored stories, items and
// tombstones, the database file and WAL sizes, the Go heap in use after
// a GC and the resident set, then whether stories and the database
// levelled off.
//
//	go run ./cmd/feedbench -days 60 -feeds 200 -max-age 7d
//
// The polls run `feedmerge once` as a subprocess built with `go build`,
// so the peak resident memory reported is feedmerge's own.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var o options
	fs := flag.NewFlagSet("feedbench", flag.ContinueOnError)
	fs.IntVar(&o.feeds, "feeds", 1000, "feeds in the farm (with -days the default is 200)")
	fs.IntVar(&o.items, "items", 20, "items per feed")
	fs.Uint64Var(&o.seed, "seed", 1, "farm content seed")
	fs.IntVar(&o.faultEvery, "fault-every", 0, "make every Nth feed faulty (0: none)")
	fs.BoolVar(&o.regional, "regional", false, "a farm whose stories share places, names, numbers and words (feedfarm -regional)")
	fs.IntVar(&o.stories, "stories", 0, "bulk-fill a store to this many stories for the GET /feed.atom step (0: use the polled store)")
	fs.BoolVar(&o.dedupe, "dedupe", false, "also measure store+dedupe rates at 10,000 and 1,000,000 stored stories (slow)")
	fs.IntVar(&o.dedupeMax, "dedupe-max", 1_000_000, "the larger store size of -dedupe")
	fs.StringVar(&o.binary, "feedmerge", "", "feedmerge binary to run (default: go build ./cmd/feedmerge)")
	fs.BoolVar(&o.inProcess, "inprocess", false, "poll in this process instead of a feedmerge subprocess (peak RSS then includes the farm)")
	fs.StringVar(&o.dir, "dir", "", "working directory for configs and databases (default: a temporary one, removed)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the in-process steps (with -inprocess: the polls too)")
	fs.IntVar(&o.days, "days", 0, "simulate this many days of steady publishing with retention on, in this process on a fake clock, and print stored counts, database size and memory a day (0: the usual benchmark)")
	fs.StringVar(&o.maxAge, "max-age", "7d", "with -days: retention.max_age")
	fs.IntVar(&o.perDay, "per-day", 2, "with -days: new items a feed a simulated day")
	fs.DurationVar(&o.pollEvery, "poll-every", 6*time.Hour, "with -days: simulated time between polls of every feed (a divisor of 24h)")
	fs.IntVar(&o.reportEvery, "report-every", 1, "with -days: print every Nth simulated day (and the last)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if o.days > 0 {
		set := false
		fs.Visit(func(f *flag.Flag) { set = set || f.Name == "feeds" })
		if !set {
			o.feeds = 200
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "feedbench:", err)
		os.Exit(1)
	}
}
