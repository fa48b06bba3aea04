package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
)

// Kind classifies a fetch failure by what the caller should do about it.
type Kind int

// Kinds of fetch failure.
const (
	KindNetwork   Kind = iota // connection refused or reset, truncated body, TLS failure
	KindDNS                   // the host name did not resolve
	KindTimeout               // connect or total timeout, or ctx deadline
	KindHTTP                  // a status without a kind of its own (500, 403, …) or an undecodable body
	KindNotFound              // 404
	KindGone                  // 410: the feed is gone for good; stop polling it
	KindThrottled             // 429 or 503, or the host is still throttled; not the feed's fault
	KindTooLarge              // the decompressed body exceeds Options.MaxBody
	KindRedirect              // a redirect loop, more than five hops, or a bad Location
	KindPrivate               // the address is private, loopback or link-local and Options.DenyPrivate is set
	KindURL                   // the request URL is not an absolute http or https URL
	KindCanceled              // ctx was canceled before the fetch finished; not the feed's fault
)

var kindNames = [...]string{
	KindNetwork:   "network error",
	KindDNS:       "DNS error",
	KindTimeout:   "timeout",
	KindHTTP:      "HTTP error",
	KindNotFound:  "not found",
	KindGone:      "gone",
	KindThrottled: "throttled",
	KindTooLarge:  "too large",
	KindRedirect:  "redirect error",
	KindPrivate:   "private address",
	KindURL:       "invalid URL",
	KindCanceled:  "canceled",
}

// String returns a short lowercase description such as "not found".
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind %d", int(k))
}

// Error is the error Fetch returns. It always names the URL requested.
type Error struct {
	URL        string    // the URL requested
	Status     int       // HTTP status of the failing response, 0 if none
	Kind       Kind      // what went wrong
	RetryAfter time.Time // KindThrottled: when the host may be asked again; zero if the server did not say
	Err        error     // the underlying cause
}

// Error returns one line naming the URL, the kind of failure and its cause.
func (e *Error) Error() string {
	s := "fetch " + e.URL + ": " + e.Kind.String()
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if !e.RetryAfter.IsZero() {
		s += " (retry after " + e.RetryAfter.UTC().Format(time.RFC3339) + ")"
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// errPrivate is returned by the dialer when Options.DenyPrivate refuses an
// address.
type errPrivate struct{ addr string }

func (e *errPrivate) Error() string { return "refusing private address " + e.addr }

// errTooLarge reports a body over the cap.
type errTooLarge struct{ max int64 }

func (e *errTooLarge) Error() string { return fmt.Sprintf("body exceeds %d bytes", e.max) }

// classify turns an error from sending a request or reading its body into
// a Kind. parent is the caller's context, hop the per-request one.
func classify(parent, hop context.Context, err error) Kind {
	var (
		priv *errPrivate
		big  *errTooLarge
		dns  *net.DNSError
		ne   net.Error
		ce   flate.CorruptInputError
	)
	switch {
	case errors.As(err, &priv):
		return KindPrivate
	case errors.As(err, &big):
		return KindTooLarge
	case parent.Err() != nil:
		if errors.Is(parent.Err(), context.DeadlineExceeded) {
			return KindTimeout
		}
		return KindCanceled
	case errors.As(err, &dns):
		if dns.IsTimeout {
			return KindTimeout
		}
		return KindDNS
	case hop.Err() != nil, errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.As(err, &ne) && ne.Timeout():
		return KindTimeout
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum),
		errors.Is(err, zlib.ErrHeader), errors.Is(err, zlib.ErrChecksum), errors.As(err, &ce):
		return KindHTTP
	}
	return KindNetwork
}
