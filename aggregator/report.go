package aggregator

import (
	"context"
	"fmt"
	"time"

	"github.com/feedmerge/feedmerge/storage"
)

// Report is what `feedmerge status`, GET /status and GET /status.json
// show: every configured feed's state, totals, and the database.
type Report struct {
	Version       string         `json:"version"`
	Generated     time.Time      `json:"generated"`
	Started       time.Time      `json:"started"`                  // when this service was created
	Database      string         `json:"database"`                 // as configured, a PostgreSQL password left out
	DatabaseBytes int64          `json:"database_bytes,omitempty"` // SQLite file and WAL
	Stories       int64          `json:"stories"`
	Items         int64          `json:"items"`
	Problem       string         `json:"problem,omitempty"` // the last write's failure, while no write has succeeded since
	States        map[string]int `json:"states"`            // feeds by state
	Feeds         []FeedReport   `json:"feeds"`
}

// FeedReport is one feed's line of a Report.
type FeedReport struct {
	URL         string    `json:"url"`
	Title       string    `json:"title,omitempty"`
	State       string    `json:"state"`
	Polling     bool      `json:"polling,omitempty"`
	Items       int       `json:"items"`
	Errors      int       `json:"errors"`
	HTTPStatus  int       `json:"http_status,omitempty"`
	LastFetch   time.Time `json:"last_fetch,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	NextPoll    time.Time `json:"next_poll,omitzero"` // zero for a gone feed
	LastError   string    `json:"last_error,omitempty"`
	MovedTo     string    `json:"moved_to,omitempty"`
	Schedule    string    `json:"schedule"`
}

// Uptime returns how long the service has run at the report's time.
func (r Report) Uptime() time.Duration { return r.Generated.Sub(r.Started).Round(time.Second) }

// Report returns the state of every configured feed, in configuration
// order, with totals and the database's size. It fails only when the
// store cannot be read.
func (s *Service) Report(ctx context.Context) (Report, error) {
	rows, err := s.Status(ctx)
	if err != nil {
		return Report{}, err
	}
	st, err := s.store.Stats(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("count stored stories: %w", err)
	}
	r := Report{
		Version:   Version,
		Generated: s.now().UTC(),
		Started:   s.started.UTC(),
		Database:  s.dbName(),
		Stories:   st.Stories,
		Items:     st.Items,
		States: map[string]int{storage.StateNew: 0, storage.StateOK: 0, storage.StateError: 0,
			storage.StateThrottled: 0, storage.StateMoved: 0, storage.StateGone: 0},
		Feeds: make([]FeedReport, 0, len(rows)),
	}
	if n, ok := s.databaseBytes(); ok {
		r.DatabaseBytes = n
	}
	if _, err := s.writes.problem(); err != nil {
		r.Problem = oneLine(err.Error())
	}
	for _, f := range rows {
		r.States[f.State]++
		fr := FeedReport{
			URL: f.URL, Title: f.Title, State: f.State, Polling: f.Polling, Items: f.Items, Errors: f.Errors,
			HTTPStatus: f.HTTPStatus, LastFetch: utc(f.LastFetch), LastSuccess: utc(f.LastSuccess),
			NextPoll: utc(f.Due), LastError: f.LastError, Schedule: f.Schedule,
		}
		if f.State == storage.StateMoved {
			fr.MovedTo = f.FetchURL
		}
		r.Feeds = append(r.Feeds, fr)
	}
	return r, nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
