package feeds

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Handler serves the merged feed as Atom over HTTP (GET and HEAD).
//
// The rendered document and its gzip form are cached for one revision: a
// request whose Revision equals the cached one is answered without calling
// Stories. Responses carry a strong ETag derived from the revision and
// Meta, and Last-Modified from the feed's updated time; conditional
// requests get 304 Not Modified. A Handler must not be copied after first
// use, and its fields must not change while it serves.
type Handler struct {
	Meta Meta
	// Revision returns a number that changes whenever the stories do.
	Revision func(ctx context.Context) (int64, error)
	// Stories returns the stories to serve, newest first.
	Stories func(ctx context.Context) ([]Story, error)
	// Logger receives storage failures; nil means slog.Default().
	Logger *slog.Logger
	// Entries, when set, keeps rendered entries across revisions (and
	// across Handlers sharing it), so a new revision renders only the
	// stories that changed.
	Entries *EntryCache
	// Render, when set, renders the document instead of the Atom feed
	// (an HTML page of the same stories, say), served as ContentType;
	// it gets the same caching, ETag, 304 and gzip.
	Render      func(w io.Writer, m Meta, stories []Story) error
	ContentType string
	// Fallback, when set, is asked for Meta.Fallback when there are no
	// stories to serve (the time of the last successful poll, say), so
	// that it costs nothing while there are.
	Fallback func(ctx context.Context) time.Time

	mu    sync.Mutex // serialises rendering so one revision renders once
	cache atomic.Pointer[rendition]
}

// rendition is the feed rendered at one revision.
type rendition struct {
	rev      int64
	etag     string // of the identity body
	gzETag   string // of the gzip body
	modified time.Time
	body     []byte
	gz       []byte
}

// ServeHTTP serves the feed. It answers 405 to methods other than GET and
// HEAD. When the revision or the stories cannot be read it serves the
// last feed it built, and 500 with a one-line body (logging the cause)
// when it has built none.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !ReadOnly(w, r) {
		return
	}
	rd, err := h.rendition(r.Context())
	if err != nil {
		// The store cannot be read (a damaged file, a lost
		// connection): serve the last feed built, if any, rather than
		// nothing.
		if rd = h.cache.Load(); rd == nil {
			h.logger().ErrorContext(r.Context(), "serve feed", "path", r.URL.Path, "err", err)
			http.Error(w, "feed unavailable: cannot read stories", http.StatusInternalServerError)
			return
		}
		h.logger().WarnContext(r.Context(), "serving the last feed built", "path", r.URL.Path, "revision", rd.rev, "err", err)
	}

	hdr := w.Header()
	ct := h.ContentType
	if h.Render == nil || ct == "" {
		ct = FormatAtom.ContentType()
	}
	hdr.Set("Content-Type", ct)
	hdr.Add("Vary", "Accept-Encoding")
	body, etag := rd.body, rd.etag
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body, etag = rd.gz, rd.gzETag
		hdr.Set("Content-Encoding", "gzip")
	}
	hdr.Set("ETag", etag)

	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if etagMatch(inm, rd.etag, rd.gzETag) {
			notModified(w)
			return
		}
	} else if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !rd.modified.IsZero() {
		if !rd.modified.Truncate(time.Second).After(ims) {
			notModified(w)
			return
		}
	}
	if !rd.modified.IsZero() {
		hdr.Set("Last-Modified", rd.modified.UTC().Format(http.TimeFormat))
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(body) //nolint:errcheck // the client went away; nothing to do
	}
}

// ReadOnly reports whether r is a GET or HEAD; otherwise it answers 405
// Method Not Allowed, naming the methods allowed, and reports false.
func ReadOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

func notModified(w http.ResponseWriter) {
	h := w.Header()
	h.Del("Content-Type")
	h.Del("Content-Encoding")
	w.WriteHeader(http.StatusNotModified)
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// rendition returns the feed rendered at the current revision, rendering
// it when the cached one is older.
func (h *Handler) rendition(ctx context.Context) (*rendition, error) {
	rev, err := h.Revision(ctx)
	if err != nil {
		return nil, fmt.Errorf("read revision: %w", err)
	}
	if rd := h.cache.Load(); rd != nil && rd.rev == rev {
		return rd, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if rd := h.cache.Load(); rd != nil && rd.rev == rev {
		return rd, nil // another request rendered it meanwhile
	}
	stories, err := h.Stories(ctx)
	if err != nil {
		return nil, fmt.Errorf("read stories at revision %d: %w", rev, err)
	}
	m := h.Meta
	if len(stories) == 0 && h.Fallback != nil {
		m.Fallback = h.Fallback(ctx)
	}
	rd, err := render(m, rev, stories, h.Entries, h.Render)
	if err != nil {
		return nil, err
	}
	h.cache.Store(rd)
	return rd, nil
}

// render renders stories at revision rev.
func render(m Meta, rev int64, stories []Story, entries *EntryCache, custom func(io.Writer, Meta, []Story) error) (*rendition, error) {
	var buf bytes.Buffer
	if custom != nil {
		if err := custom(&buf, m, stories); err != nil {
			return nil, err
		}
	} else if err := renderAtom(&buf, m, stories, entries); err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	zw.Write(buf.Bytes()) //nolint:errcheck // writes to a bytes.Buffer do not fail
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress feed: %w", err)
	}
	modified := feedUpdated(m, stories)
	tag := strconv.FormatInt(rev, 36) + "-" + metaHash(m, modified)
	return &rendition{
		rev:      rev,
		etag:     `"` + tag + `"`,
		gzETag:   `"` + tag + `-gz"`,
		modified: modified,
		body:     buf.Bytes(),
		gz:       gz.Bytes(),
	}, nil
}

// metaHash returns a short hash of m and the feed's updated time, so
// that a changed title or URL, or the Meta.Fallback time an empty feed
// shows, changes the ETag even at the same revision.
func metaHash(m Meta, updated time.Time) string {
	h := fnv.New64a()
	for _, s := range [...]string{m.ID, m.Title, m.SelfURL, m.SiteURL, updated.UTC().Format(time.RFC3339Nano)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// etagMatch reports whether an If-None-Match value matches one of tags,
// using the weak comparison RFC 9110 prescribes for If-None-Match.
func etagMatch(header string, tags ...string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		for _, want := range tags {
			if t == want {
				return true
			}
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding value allows gzip.
func acceptsGzip(header string) bool {
	gz, star := -1.0, -1.0
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch coding {
		case "gzip", "x-gzip":
			gz = q
		case "*":
			star = q
		}
	}
	if gz >= 0 {
		return gz > 0
	}
	return star > 0
}
