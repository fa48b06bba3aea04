package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedmerge/feedmerge/aggregator"
	"github.com/feedmerge/feedmerge/internal/feedfarm"
	"github.com/feedmerge/feedmerge/storage"
	"github.com/feedmerge/feedmerge/storage/sqlite"
)

// The fetching configuration of every poll, stated in the output.
const (
	concurrency = 16
	perHost     = 4
)

type options struct {
	feeds, items, faultEvery int
	seed                     uint64
	stories                  int
	dedupe                   bool
	dedupeMax                int
	batchFeeds               int // feeds of each -dedupe batch; 0 means batchFeeds
	binary                   string
	inProcess                bool
	regional                 bool // stories from the regional vocabulary (feedfarm.Options.Regional)
	dir                      string
	cpuProfile               string

	// -days: a long run on a simulated clock (long.go); 0 means none.
	days        int
	maxAge      string        // retention.max_age, as config.yaml spells it
	perDay      int           // new items a feed a simulated day
	pollEvery   time.Duration // simulated time between polls
	reportEvery int           // print every reportEvery-th day
}

// row is one line of the result table.
type row struct {
	step, result, bar, verdict string
}

type bench struct {
	o    options
	log  io.Writer // progress
	dir  string
	fm   *feedfarm.Farm
	rows []row

	pollDB string // the database the polls filled
}

func run(ctx context.Context, o options, stdout, stderr io.Writer) error {
	b := &bench{o: o, log: stderr}
	if o.dir == "" {
		d, err := os.MkdirTemp("", "feedbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		b.dir = d
	} else {
		if err := os.MkdirAll(o.dir, 0o755); err != nil {
			return err
		}
		b.dir = o.dir
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	if o.days > 0 {
		return b.long(ctx, stdout)
	}

	b.progress("starting a farm of %d feeds × %d items (seed %d)", o.feeds, o.items, o.seed)
	start := time.Now()
	fm, err := feedfarm.Start(feedfarm.Options{Feeds: o.feeds, Items: o.items, Seed: o.seed, FaultEvery: o.faultEvery, SlowDelay: time.Second, Regional: o.regional})
	if err != nil {
		return err
	}
	defer fm.Close()
	b.fm = fm
	hosts := map[string]bool{}
	for _, u := range fm.URLs() {
		p, _ := url.Parse(u)
		hosts[p.Hostname()] = true
	}
	b.progress("farm ready in %v: %d items on %d loopback hosts", time.Since(start).Round(time.Millisecond), fm.ServedItems(), len(hosts))
	fmt.Fprintf(stdout, "feedbench: %d feeds × %d items (seed %d) on %d loopback hosts; %s\n",
		o.feeds, o.items, o.seed, len(hosts), time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(stdout, "polls: concurrency %d, fetch.per_host %d, fetch.host_delay 0s; GOMAXPROCS %d, %s\n",
		concurrency, perHost, runtime.GOMAXPROCS(0), runtime.Version())

	if err := b.polls(ctx); err != nil {
		return err
	}
	if err := b.served(ctx); err != nil {
		return err
	}
	if o.dedupe {
		if err := b.dedupeRates(ctx); err != nil {
			return err
		}
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tRESULT\tBAR\t")
	for _, r := range b.rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.step, r.result, r.bar, r.verdict)
	}
	return tw.Flush()
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.log, "feedbench: "+format+"\n", args...)
}

func (b *bench) add(step, result, bar string, ok bool) {
	v := ""
	if bar != "" {
		v = "ok"
		if !ok {
			v = "MISSED"
		}
	}
	b.rows = append(b.rows, row{step, result, bar, v})
}

// floor fetches and parses every feed with gofeed at the polls'
// concurrency and per-host limit, storing nothing.
func (b *bench) floor(ctx context.Context) (time.Duration, int, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: perHost, MaxIdleConns: 1000}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	global := make(chan struct{}, concurrency)
	var mu sync.Mutex
	perHostSem := map[string]chan struct{}{}
	hostSem := func(u string) chan struct{} {
		p, _ := url.Parse(u)
		mu.Lock()
		defer mu.Unlock()
		s := perHostSem[p.Host]
		if s == nil {
			s = make(chan struct{}, perHost)
			perHostSem[p.Host] = s
		}
		return s
	}
	var wg sync.WaitGroup
	var items, failed int
	start := time.Now()
	for _, u := range b.fm.URLs() {
		hs := hostSem(u)
		wg.Go(func() {
			hs <- struct{}{}
			global <- struct{}{}
			defer func() { <-global; <-hs }()
			n, err := fetchParse(ctx, client, u)
			mu.Lock()
			defer mu.Unlock()
			items += n
			if err != nil {
				failed++
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if failed > 0 && b.o.faultEvery == 0 {
		return 0, 0, fmt.Errorf("floor: %d feeds failed", failed)
	}
	return took, items, nil
}

func fetchParse(ctx context.Context, c *http.Client, u string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s", u, resp.Status)
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", u, err)
	}
	return len(f.Items), nil
}

// vmHWM returns the peak resident set size of process pid in bytes, from
// /proc/PID/status, or 0 when it cannot be read (the process is gone).
func vmHWM(pid int) int64 { return procStatus(pid, "VmHWM") }

// pollResult is one `feedmerge once`.
type pollResult struct {
	wall   time.Duration // the whole command
	poll   time.Duration // PollAll alone, as the command reports it
	cpu    time.Duration // user + system CPU time of the command
	maxRSS int64         // bytes
}

var onceSummary = regexp.MustCompile(`(\d+) feeds in (\S+):`)

// poll runs one `feedmerge once` on config.
func (b *bench) poll(ctx context.Context, config string) (pollResult, error) {
	if b.o.inProcess {
		return b.pollInProcess(ctx, config)
	}
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, b.o.binary, "once", "-config", config)
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return pollResult{}, fmt.Errorf("feedmerge once: %v", err)
	}
	// The child's getrusage ru_maxrss would report the parent's peak:
	// os/exec starts children with vfork, and Linux records the old
	// address space's high-water mark at exec. /proc's VmHWM is the
	// child's own; it only grows, so sampling it until exit is enough.
	peak := make(chan int64, 1)
	stop := make(chan struct{})
	go func() {
		var hwm int64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if v := vmHWM(cmd.Process.Pid); v > hwm {
				hwm = v
			}
			select {
			case <-stop:
				peak <- hwm
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	close(stop)
	res := pollResult{wall: time.Since(start), maxRSS: <-peak}
	if ps := cmd.ProcessState; ps != nil {
		res.cpu = ps.UserTime() + ps.SystemTime()
	}
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1 && b.o.faultEvery > 0) {
		return res, fmt.Errorf("feedmerge once: %v: %s", err, lastLines(errb.String(), 5))
	}
	if m := onceSummary.FindStringSubmatch(out.String()); m != nil {
		res.poll, _ = time.ParseDuration(m[2])
	}
	return res, nil
}

func (b *bench) pollInProcess(ctx context.Context, config string) (pollResult, error) {
	cfg, err := aggregator.LoadConfig(config)
	if err != nil {
		return pollResult{}, err
	}
	db, err := sqlite.Open(ctx, cfg.DatabasePath())
	if err != nil {
		return pollResult{}, err
	}
	defer db.Close()
	svc, err := aggregator.New(cfg, db, nil)
	if err != nil {
		return pollResult{}, err
	}
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before) //nolint:errcheck // RUSAGE_SELF cannot fail
	start := time.Now()
	svc.PollAll(ctx, false)
	took := time.Since(start)
	syscall.Getrusage(syscall.RUSAGE_SELF, &after) //nolint:errcheck // RUSAGE_SELF cannot fail
	cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
	return pollResult{wall: took, poll: took, cpu: cpu, maxRSS: after.Maxrss * 1024}, nil
}

func lastLines(s string, n int) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(s)), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("; ")))
}

// polls measures the floor, the first poll and the re-poll.
func (b *bench) polls(ctx context.Context) error {
	if !b.o.inProcess && b.o.binary == "" {
		b.o.binary = filepath.Join(b.dir, "feedmerge")
		b.progress("building feedmerge")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b.o.binary, "github.com/feedmerge/feedmerge/cmd/feedmerge")
		cmd.Stderr = b.log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/feedmerge: %w", err)
		}
	}
	// Warm the farm's listeners and the page cache once; then the floor.
	if _, _, err := b.floor(ctx); err != nil {
		return err
	}
	floor, floorItems, err := b.floor(ctx)
	if err != nil {
		return err
	}
	b.progress("floor: %v for %d items", floor.Round(time.Millisecond), floorItems)
	b.add("1 floor: fetch + gofeed parse, store nothing", fmt.Sprintf("%s (%d items)", secs(floor), floorItems), "", true)

	config := filepath.Join(b.dir, "config.yaml")
	var cfg bytes.Buffer
	header := fmt.Sprintf("listen: 127.0.0.1:0\ndatabase: feedmerge.db\nschedule: \"@every 15m\"\nconcurrency: %d\nfetch:\n  per_host: %d\n  host_delay: 0s\n", concurrency, perHost)
	if err := b.fm.WriteConfig(&cfg, header); err != nil {
		return err
	}
	if err := os.WriteFile(config, cfg.Bytes(), 0o644); err != nil {
		return err
	}
	dbPath := filepath.Join(b.dir, "feedmerge.db")

	b.fm.ResetStats()
	first, err := b.poll(ctx, config)
	if err != nil {
		return err
	}
	lost, served, stored, err := b.verify(ctx, dbPath)
	if err != nil {
		return err
	}
	ratio := first.wall.Seconds() / floor.Seconds()
	b.progress("first poll: %v (%.2f× floor), %d stored, %d lost", first.wall.Round(time.Millisecond), ratio, stored, lost)
	b.add("2 first full poll (feedmerge once)", fmt.Sprintf("%s = %.2f× floor (poll alone %s); items stored %d of %d served, lost %d",
		secs(first.wall), ratio, secs(first.poll), served-lost, served, lost), "≤ 1.25× floor, 0 lost", ratio <= 1.25 && lost == 0)
	b.add("2 CPU of the first poll (user + system)", fmt.Sprintf("%s (%.0f µs an item)", secs(first.cpu), float64(first.cpu.Microseconds())/float64(max(served, 1))), "", true)

	changed := b.fm.Publish(2)
	b.fm.ResetStats()
	second, err := b.poll(ctx, config)
	if err != nil {
		return err
	}
	st := b.fm.Stats()
	lost2, served2, _, err := b.verify(ctx, dbPath)
	if err != nil {
		return err
	}
	b.progress("second poll: %v", second.wall.Round(time.Millisecond))
	b.add("3 re-poll after 2 new items in "+fmt.Sprint(changed)+" feeds",
		fmt.Sprintf("%s (poll alone %s); %d requests: %d×200, %d×304; lost %d of %d",
			secs(second.wall), secs(second.poll), st.Requests, st.OK, st.NotModified, lost2, served2),
		"< 2 s at 1,000 feeds", b.o.feeds > 1000 || second.wall < 2*time.Second && lost2 == 0)
	b.add("3 full downloads of unchanged feeds with validators", fmt.Sprint(st.Unconditional), "0", st.Unconditional == 0)

	size := fileSize(dbPath) + fileSize(dbPath+"-wal")
	rss := max(first.maxRSS, second.maxRSS)
	who := "feedmerge once"
	if b.o.inProcess {
		who = "bench process, farm included"
	}
	b.add("4 peak RSS ("+who+")", mib(rss), "≤ 30 MiB at 1,000 feeds, ≤ 80 MiB at 10,000", rssOK(b.o.feeds, rss))
	b.add("4 database size", mib(size), "", true)
	b.pollDB = dbPath
	return nil
}

// rssOK reports whether a peak resident set of rss bytes meets the bar
// for a farm of feeds feeds: 30 MiB up to 1,000 feeds, 80 MiB from
// 10,000, the line between them in between.
func rssOK(feeds int, rss int64) bool {
	const lo, hi = 30 << 20, 80 << 20
	switch {
	case feeds <= 1000:
		return rss <= lo
	case feeds >= 10000:
		return rss <= hi
	}
	return rss <= lo+int64(feeds-1000)*(hi-lo)/9000
}

// verify counts the farm's served items missing from the database.
func (b *bench) verify(ctx context.Context, dbPath string) (lost, served int, stored int64, err error) {
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return 0, 0, 0, err
	}
	defer db.Close()
	want := b.fm.Expected()
	err = db.View(ctx, func(tx storage.Tx) error {
		for u, guids := range want {
			stored, err := tx.ItemsByGUID(ctx, u, guids)
			if err != nil {
				return err
			}
			for _, g := range guids {
				served++
				if _, ok := stored[g]; !ok {
					lost++
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, 0, err
	}
	s, err := db.Stats(ctx)
	return lost, served, s.Items, err
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
