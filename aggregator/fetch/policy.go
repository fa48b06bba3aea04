package fetch

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff bounds.
const (
	backoffBase = 5 * time.Minute
	backoffMax  = 24 * time.Hour
)

// Backoff returns how long to wait before polling a feed again after
// consecutiveErrors failed fetches in a row: 5 minutes after the first,
// doubling with each further error, multiplied by a jitter factor in
// [0.5, 1.5) drawn from rnd, and never more than 24 hours. It returns 0
// when consecutiveErrors is 0 or less. rnd returns a number in [0, 1); nil
// means math/rand/v2.Float64.
func Backoff(consecutiveErrors int, rnd func() float64) time.Duration {
	if consecutiveErrors <= 0 {
		return 0
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	exp := math.Min(float64(consecutiveErrors-1), 20) // 5m·2^20 is far past the cap
	d := float64(backoffBase) * math.Pow(2, exp) * (0.5 + rnd())
	return time.Duration(math.Min(d, float64(backoffMax)))
}

// retryAfter parses a Retry-After header, in delta-seconds or as an HTTP
// date, into an absolute time no later than now+max. It returns the zero
// time when the header is absent or unparsable or the date has passed.
func retryAfter(h http.Header, now time.Time, max time.Duration) time.Time {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return time.Time{}
	}
	var t time.Time
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return time.Time{}
		}
		if secs > int64(max/time.Second) {
			return now.Add(max)
		}
		t = now.Add(time.Duration(secs) * time.Second)
	} else if d, err := http.ParseTime(v); err == nil {
		t = d
	} else {
		return time.Time{}
	}
	return clamp(t, now, max)
}

// notBefore returns the earliest time the resource may be requested again
// according to Cache-Control max-age (less Age) or, failing that, Expires
// (relative to the response's Date when present), no later than now+max.
// It returns the zero time when the response allows an immediate poll:
// no such header, no-cache, no-store, or a date already passed.
func notBefore(h http.Header, now time.Time, max time.Duration) time.Time {
	if cc := h.Values("Cache-Control"); len(cc) > 0 {
		maxAge, ok := -1, false
		for _, v := range cc {
			for dir := range strings.SplitSeq(v, ",") {
				name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
				switch strings.ToLower(strings.TrimSpace(name)) {
				case "no-cache", "no-store":
					return time.Time{}
				case "max-age":
					n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(val), `"`))
					if err == nil && n >= 0 {
						maxAge, ok = n, true
					}
				}
			}
		}
		if ok {
			age, _ := strconv.Atoi(strings.TrimSpace(h.Get("Age")))
			if age < 0 {
				age = 0
			}
			secs := int64(maxAge) - int64(age)
			if secs <= 0 {
				return time.Time{}
			}
			if secs > int64(max/time.Second) {
				return now.Add(max)
			}
			return now.Add(time.Duration(secs) * time.Second)
		}
	}
	v := h.Get("Expires")
	if v == "" {
		return time.Time{}
	}
	exp, err := http.ParseTime(v)
	if err != nil {
		return time.Time{} // "0", "-1" and other invalid dates mean already expired
	}
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		// Trust the server's idea of the lifetime, not our clocks' agreement.
		return clamp(now.Add(exp.Sub(date)), now, max)
	}
	return clamp(exp, now, max)
}

// clamp returns t limited to now+max, or zero when t is not after now.
func clamp(t, now time.Time, max time.Duration) time.Time {
	if !t.After(now) {
		return time.Time{}
	}
	if limit := now.Add(max); t.After(limit) {
		return limit
	}
	return t
}
