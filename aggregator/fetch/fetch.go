package fetch

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
)

// Defaults for the zero Options.
const (
	DefaultUserAgent   = "feedmerge/1.0 (+https://github.com/feedmerge/feedmerge)"
	DefaultTimeout     = 30 * time.Second
	DefaultMaxBody     = 16 << 20
	DefaultConcurrency = 16
	DefaultPerHost     = 2
	DefaultHostDelay   = time.Second
	DefaultMaxDelay    = 24 * time.Hour

	connectTimeout = 10 * time.Second
	maxHops        = 5        // redirects followed before giving up
	drainLimit     = 64 << 10 // bytes of an unused body read so the connection can be reused
)

// acceptFeeds is the Accept header: feed types first, then generic XML and
// JSON, then anything (some servers send feeds as text/html).
const acceptFeeds = "application/atom+xml, application/rss+xml, application/feed+json, " +
	"application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"

// Options configure a Fetcher. The zero value of each field selects its
// default.
type Options struct {
	UserAgent   string        // default DefaultUserAgent
	Timeout     time.Duration // total per HTTP request, headers and body; default 30s (connecting: at most 10s)
	MaxBody     int64         // cap on the decompressed body; default 16 MiB
	Concurrency int           // fetches at once, all hosts together; default 16
	PerHost     int           // fetches at once to one host; default 2
	HostDelay   time.Duration // minimum spacing between request starts to one host, plus up to 50% jitter; default 1s, negative for none
	MaxDelay    time.Duration // cap on server-requested delays (max-age, Expires, Retry-After); default 24h
	DenyPrivate bool          // refuse addresses that are private, loopback or link-local, checked at dial time; needs Client nil
	Client      *http.Client  // nil: one built from these options; else its Jar, CheckRedirect and Timeout are ignored
	Now         func() time.Time
	Logger      *slog.Logger // nil: discard
}

// Request is what the caller knows of a feed from its last fetch.
type Request struct {
	URL          string // absolute http or https URL, fetched exactly as given
	ETag         string // sent as If-None-Match, exactly as received
	LastModified string // sent as If-Modified-Since, exactly as received
	BodyHash     string // Response.BodyHash of the last body; an equal body is reported as not modified
}

// Response is the outcome of a successful fetch.
type Response struct {
	URL          string // URL finally fetched, after redirects
	Moved        string // the new URL if every redirect hop was permanent (301/308); "" otherwise
	Status       int    // status of the final response
	NotModified  bool   // 304, or the body's hash equals Request.BodyHash
	Body         []byte // the decompressed body; nil when NotModified
	ContentType  string
	ETag         string    // exactly as received; Request.ETag on a 304 without one
	LastModified string    // exactly as received; Request.LastModified on a 304 without one
	BodyHash     string    // hex SHA-256 of the decompressed body; Request.BodyHash on a 304
	NotBefore    time.Time // earliest next poll allowed by Cache-Control max-age or Expires, capped by MaxDelay; zero if none

	buf  *bytes.Buffer // holds Body, until Release
	pool *sync.Pool
}

// Release gives Body's memory back for later fetches to read into; Body
// must not be used after it, and is nil. Calling it is optional: a body
// not released is left to the garbage collector.
func (r *Response) Release() {
	if r.buf != nil {
		putBody(r.pool, r.buf)
	}
	r.buf, r.pool, r.Body = nil, nil, nil
}

// maxPooledBody is the largest body buffer kept for reuse; a feed larger
// than that gets a buffer of its own each time.
const maxPooledBody = 1 << 20

func putBody(pool *sync.Pool, b *bytes.Buffer) {
	if b.Cap() <= maxPooledBody {
		b.Reset()
		pool.Put(b)
	}
}

// Fetcher fetches feeds. It is safe for concurrent use; one Fetcher should
// serve the whole process so its per-host limits and throttles apply to
// every feed of a host.
type Fetcher struct {
	o      Options
	client *http.Client
	log    *slog.Logger
	global chan struct{}

	gzip   sync.Pool // *gzip.Reader, reused: each holds about 40 KiB of buffers
	bodies sync.Pool // *bytes.Buffer that bodies are read into (Response.Release)

	mu    sync.Mutex
	hosts map[string]*host
}

// host is the politeness state of one host name.
type host struct {
	sem   chan struct{} // PerHost slots
	next  time.Time     // earliest start of the next request (wall clock); guarded by Fetcher.mu
	until time.Time     // throttled until (Options.Now clock); guarded by Fetcher.mu
}

// New returns a Fetcher with o's zero fields set to their defaults.
func New(o Options) *Fetcher {
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.PerHost <= 0 {
		o.PerHost = DefaultPerHost
	}
	if o.HostDelay == 0 {
		o.HostDelay = DefaultHostDelay
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = DefaultMaxDelay
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	f := &Fetcher{
		o:      o,
		log:    o.Logger,
		global: make(chan struct{}, o.Concurrency),
		hosts:  make(map[string]*host),
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	var c http.Client
	if o.Client != nil {
		c = *o.Client
	} else {
		c.Transport = newTransport(o)
	}
	c.Jar = nil // never send cookies
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.Timeout = 0 // per-request contexts carry the timeout
	f.client = &c
	return f
}

// newTransport returns the transport of a Fetcher built without a Client.
func newTransport(o Options) *http.Transport {
	d := &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   o.PerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   connectTimeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true, // we ask for gzip ourselves to cap the decompressed size
	}
	if o.DenyPrivate {
		// A proxy would be the address checked, so do without one.
		d.Control = denyPrivate
	} else {
		t.Proxy = http.ProxyFromEnvironment
	}
	return t
}

// Close closes idle connections. The Fetcher stays usable.
func (f *Fetcher) Close() error {
	f.client.CloseIdleConnections()
	return nil
}

// Fetch GETs r.URL, conditionally when r carries validators, following at
// most five redirects. It waits for a free global and per-host slot and
// for the host's spacing, all bounded by ctx. It returns a *Error on any
// failure, including any status other than 2xx and 304.
func (f *Fetcher) Fetch(ctx context.Context, r Request) (*Response, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, &Error{URL: r.URL, Kind: KindURL, Err: err}
	}
	if err := checkURL(u); err != nil {
		return nil, &Error{URL: r.URL, Kind: KindURL, Err: err}
	}
	visited := map[string]bool{u.String(): true}
	permanent := true
	for hops := 0; ; hops++ {
		res, next, err := f.round(ctx, u, r)
		if err != nil {
			if hops > 0 {
				err.Err = fmt.Errorf("after redirect to %s: %w", u, err.Err)
			}
			err.URL = r.URL
			return nil, err
		}
		if next == nil {
			res.URL = u.String()
			if hops > 0 && permanent {
				res.Moved = res.URL
			}
			return res, nil
		}
		if res.Status != http.StatusMovedPermanently && res.Status != http.StatusPermanentRedirect {
			permanent = false
		}
		switch {
		case visited[next.String()]:
			return nil, &Error{URL: r.URL, Status: res.Status, Kind: KindRedirect,
				Err: fmt.Errorf("redirect loop at %s", next)}
		case hops+1 > maxHops:
			return nil, &Error{URL: r.URL, Status: res.Status, Kind: KindRedirect,
				Err: fmt.Errorf("more than %d redirects, last to %s", maxHops, next)}
		}
		visited[next.String()] = true
		u = next
	}
}

// checkURL reports whether u can be fetched.
func checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if u.Hostname() == "" {
		return errors.New("no host")
	}
	return nil
}

// hostKey is the name politeness limits apply to: the lowercase host name
// without port.
func hostKey(u *url.URL) string { return strings.ToLower(u.Hostname()) }

// round sends one request to u. It returns either the final response, or,
// for a redirect, a Response holding only its Status and the next URL.
func (f *Fetcher) round(ctx context.Context, u *url.URL, r Request) (*Response, *url.URL, *Error) {
	fail := func(status int, kind Kind, err error) (*Response, *url.URL, *Error) {
		return nil, nil, &Error{Status: status, Kind: kind, Err: err}
	}
	h := f.host(hostKey(u))
	if until := f.throttled(h); !until.IsZero() {
		return nil, nil, &Error{Kind: KindThrottled, RetryAfter: until,
			Err: fmt.Errorf("host %s asked us to wait", u.Hostname())}
	}
	release, err := f.acquire(ctx, h)
	if err != nil {
		return fail(0, classify(ctx, ctx, err), err)
	}
	defer release()
	// A 429 may have arrived while this request waited for its turn.
	if until := f.throttled(h); !until.IsZero() {
		return nil, nil, &Error{Kind: KindThrottled, RetryAfter: until,
			Err: fmt.Errorf("host %s asked us to wait", u.Hostname())}
	}

	hctx, cancel := context.WithTimeout(ctx, f.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(hctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fail(0, KindURL, err)
	}
	req.Header.Set("User-Agent", f.o.UserAgent)
	req.Header.Set("Accept", acceptFeeds)
	req.Header.Set("Accept-Encoding", "gzip, deflate")
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}
	start := time.Now()
	resp, err := f.client.Do(req)
	if err != nil {
		return fail(0, classify(ctx, hctx, err), unwrapURLError(err))
	}
	defer resp.Body.Close()
	f.log.Debug("fetch", "url", u.String(), "status", resp.StatusCode, "elapsed", time.Since(start))

	code := resp.StatusCode
	now := f.o.Now()
	switch {
	case isRedirect(code):
		drain(resp.Body)
		loc := resp.Header.Get("Location")
		if loc == "" {
			return fail(code, KindRedirect, fmt.Errorf("%s without Location", resp.Status))
		}
		next, err := u.Parse(loc)
		if err == nil {
			err = checkURL(next)
		}
		if err != nil {
			return fail(code, KindRedirect, fmt.Errorf("bad Location %q: %w", loc, err))
		}
		next.Fragment, next.RawFragment = "", ""
		return &Response{Status: code}, next, nil

	case code == http.StatusNotModified:
		drain(resp.Body)
		res := &Response{
			Status:       code,
			NotModified:  true,
			ContentType:  resp.Header.Get("Content-Type"),
			ETag:         headerOr(resp.Header, "ETag", r.ETag),
			LastModified: headerOr(resp.Header, "Last-Modified", r.LastModified),
			BodyHash:     r.BodyHash,
			NotBefore:    notBefore(resp.Header, now, f.o.MaxDelay),
		}
		return res, nil, nil

	case code >= 200 && code < 300:
		buf, err := f.readBody(resp)
		if err != nil {
			return fail(code, classify(ctx, hctx, err), err)
		}
		sum := sha256.Sum256(buf.Bytes())
		res := &Response{
			Status:       code,
			Body:         buf.Bytes(),
			buf:          buf,
			pool:         &f.bodies,
			ContentType:  resp.Header.Get("Content-Type"),
			ETag:         resp.Header.Get("ETag"),
			LastModified: resp.Header.Get("Last-Modified"),
			BodyHash:     hex.EncodeToString(sum[:]),
			NotBefore:    notBefore(resp.Header, now, f.o.MaxDelay),
		}
		if r.BodyHash != "" && res.BodyHash == r.BodyHash {
			res.Release()
			res.NotModified = true
		}
		return res, nil, nil

	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		drain(resp.Body)
		until := retryAfter(resp.Header, now, f.o.MaxDelay)
		if !until.IsZero() {
			f.throttle(h, until)
		}
		return nil, nil, &Error{Status: code, Kind: KindThrottled, RetryAfter: until,
			Err: errors.New(resp.Status)}

	case code == http.StatusNotFound:
		drain(resp.Body)
		return fail(code, KindNotFound, errors.New(resp.Status))
	case code == http.StatusGone:
		drain(resp.Body)
		return fail(code, KindGone, errors.New(resp.Status))
	default:
		drain(resp.Body)
		return fail(code, KindHTTP, errors.New(resp.Status))
	}
}

// isRedirect reports whether code is a redirect this package follows.
func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// headerOr returns header key of h, or def when h has none.
func headerOr(h http.Header, key, def string) string {
	if v := h.Get(key); v != "" {
		return v
	}
	return def
}

// unwrapURLError drops the *url.Error wrapper, whose message repeats the
// method and URL that Error already names.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// drain reads a little of an unused body so its connection can be reused.
func drain(body io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, drainLimit))
}

// readBody reads and decompresses resp's body, failing with *errTooLarge
// once more than MaxBody bytes come out, or once more than MaxBody bytes
// go in (so a stream of empty gzip members cannot run forever).
//
// A body that starts like gzip (1f 8b 08) or zlib is decompressed even
// without a Content-Encoding saying so, as misconfigured CDNs send
// gzipped feeds, and a body compressed once more under its declared
// Content-Encoding is decompressed once more. Both stay under the same
// MaxBody caps.
func (f *Fetcher) readBody(resp *http.Response) (*bytes.Buffer, error) {
	max := f.o.MaxBody
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	plain := enc == "" || enc == "identity"
	if plain && resp.ContentLength > max {
		return nil, &errTooLarge{max: max}
	}
	raw := &limitedReader{r: resp.Body, n: max + 1, max: max}
	var (
		r     io.Reader = raw
		label           = enc // names the decoding in errors
	)
	switch enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := f.gunzip(raw)
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		defer f.gzip.Put(zr) // after ReadFrom is done with it
		r = zr
	case "deflate":
		zr, err := inflate(raw)
		if err != nil {
			return nil, fmt.Errorf("deflate body: %w", err)
		}
		defer zr.Close()
		r = zr
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", enc)
	}

	// Compressed without saying so, or once more than it says: one more
	// layer, its input capped like the body's.
	br := bufio.NewReader(r)
	r = br
	if magic := sniff(br); magic != "" {
		inner := &limitedReader{r: br, n: max + 1, max: max}
		switch magic {
		case "gzip":
			zr, err := f.gunzip(inner)
			if err != nil {
				return nil, fmt.Errorf("%s body: %w", layers(enc, magic), err)
			}
			defer f.gzip.Put(zr)
			r = zr
		case "zlib":
			zr, err := zlib.NewReader(inner)
			if err != nil {
				return nil, fmt.Errorf("%s body: %w", layers(enc, magic), err)
			}
			defer zr.Close()
			r = zr
		}
		label, plain = layers(enc, magic), false
	}

	buf, _ := f.bodies.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	if plain && resp.ContentLength > 0 && resp.ContentLength <= max {
		buf.Grow(int(resp.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(r, max+1))
	switch {
	case err != nil && !plain:
		err = fmt.Errorf("%s body: %w", label, err)
	case err == nil && n > max:
		err = &errTooLarge{max: max}
	}
	if err != nil {
		putBody(&f.bodies, buf)
		return nil, err
	}
	return buf, nil
}

// gunzip returns a gzip reader of r from the pool; put it back when done.
func (f *Fetcher) gunzip(r io.Reader) (*gzip.Reader, error) {
	zr, _ := f.gzip.Get().(*gzip.Reader)
	if zr == nil {
		return gzip.NewReader(r)
	}
	if err := zr.Reset(r); err != nil {
		f.gzip.Put(zr)
		return nil, err
	}
	return zr, nil
}

// inflate returns a reader of a deflate body: zlib-wrapped as RFC 9110
// says, or the raw deflate some servers send.
func inflate(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReader(r)
	if hdr, err := br.Peek(2); err == nil && isZlibHeader(hdr) {
		return zlib.NewReader(br)
	}
	return flate.NewReader(br), nil
}

// sniff returns "gzip" or "zlib" when br's next bytes start such a
// stream, "" otherwise. A feed starts with '<', '{', white space or a
// byte order mark, none of which does.
func sniff(br *bufio.Reader) string {
	b, _ := br.Peek(3)
	switch {
	case len(b) == 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 0x08:
		return "gzip"
	case len(b) >= 2 && isZlibHeader(b) && b[0]>>4 <= 7 && b[1]&0x20 == 0:
		// A window of at most 32 KiB and no preset dictionary.
		return "zlib"
	}
	return ""
}

// layers names the decodings of a body for errors: "gzip without
// Content-Encoding", "gzip inside gzip".
func layers(enc, magic string) string {
	if enc == "" || enc == "identity" {
		return magic + " without Content-Encoding"
	}
	return magic + " inside " + enc
}

// limitedReader reads at most n bytes from r and then fails with
// *errTooLarge instead of io.EOF.
type limitedReader struct {
	r   io.Reader
	n   int64
	max int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, &errTooLarge{max: l.max}
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// isZlibHeader reports whether b starts a zlib stream (RFC 1950): deflate
// method, and a header checksum that divides by 31.
func isZlibHeader(b []byte) bool {
	return b[0]&0x0f == 8 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0
}

// host returns the politeness state of the host name key, creating it.
func (f *Fetcher) host(key string) *host {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hosts[key]
	if h == nil {
		h = &host{sem: make(chan struct{}, f.o.PerHost)}
		f.hosts[key] = h
	}
	return h
}

// throttled returns when h's throttle ends, or zero if it is not throttled.
func (f *Fetcher) throttled(h *host) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if h.until.After(f.o.Now()) {
		return h.until
	}
	return time.Time{}
}

// throttle keeps every request away from h until until.
func (f *Fetcher) throttle(h *host, until time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if until.After(h.until) {
		h.until = until
	}
}
