// Package fetch downloads feeds politely. A Fetcher sends conditional GET
// requests with the validators exactly as the server last sent them,
// decompresses gzip and deflate itself so that the decompressed body can be
// capped, follows at most five redirects and reports whether every hop was
// permanent, and limits how hard any one host is hit: a global and a
// per-host concurrency limit, a minimum spacing (with jitter) between
// request starts to one host, and a per-host throttle that a 429 or 503 with
// Retry-After sets for every feed of that host.
//
// Fetch reports failures as *Error, whose Kind tells the caller how to
// react: back off (Backoff) on network, DNS, timeout and HTTP errors; wait
// until RetryAfter without counting an error on KindThrottled; stop polling
// on KindGone. A successful Response carries the validators, a body hash for
// servers that send none, and NotBefore, the earliest next poll that
// Cache-Control max-age or Expires allow.
package fetch
