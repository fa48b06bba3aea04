// Package aggregator is feedmerge's pipeline: it reads the configuration,
// schedules every feed with robfig/cron specs, fetches it politely
// (aggregator/fetch), parses it (feeds), clusters its items into stories
// (aggregator/dedupe) and stores what a poll found in one commit per feed.
//
// Use it in three steps: LoadConfig reads and checks config.yaml; New
// builds a Service on a storage.Store; Run polls every feed on its
// schedule and serves Handler (the merged feed and /healthz) until its
// context ends, returning only once every write has finished.
// PollAll polls every feed once (feedmerge once); Status and Explain read
// what is stored. Reload applies a changed configuration while Run runs.
//
// A poll never loses what it fetched to a shutdown or a failing disk: a
// write once begun runs to completion, a failed write keeps its feed
// scheduled with backoff and is reported by Status and /healthz, and a
// long feed is written in batches so no feed holds the store's writer for
// long.
package aggregator
