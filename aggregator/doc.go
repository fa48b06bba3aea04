// Package aggregator is feedmerge's pipeline: it reads the configuration,
// schedules every feed with robfig/cron specs, fetches it politely
// (aggregator/fetch), parses it (feeds), clusters its items into stories
// (aggregator/dedupe) and saves each fetched feed in one storage
// transaction. Service also serves the merged feed and /healthz over HTTP.
package aggregator
