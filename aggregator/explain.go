package aggregator

import (
	"context"
	"fmt"

	"github.com/feedmerge/feedmerge/aggregator/dedupe"
	"github.com/feedmerge/feedmerge/storage"
)

// Explanation says which story a stored item is in and how the clustering
// rules judge it against the stored stories today.
type Explanation struct {
	Item storage.Item
	// Decisions are dedupe.Deduper.Explain's: the verdict first, then
	// every candidate considered with its scores.
	Decisions []dedupe.Decision
}

// Explain looks up the stored items whose canonical URL equals rawURL's
// and explains each. It returns storage.ErrNotFound when none is stored.
func (s *Service) Explain(ctx context.Context, rawURL string) ([]Explanation, error) {
	d := s.deduper()
	var out []Explanation
	err := s.store.View(ctx, func(tx storage.Tx) error {
		items, err := tx.ItemsByURL(ctx, dedupe.CanonicalURL(rawURL))
		if err != nil {
			return err
		}
		for _, it := range items {
			probe := it
			probe.Keys = d.Keys(&probe.Item)
			decs, err := d.Explain(ctx, tx, &probe)
			if err != nil {
				return err
			}
			out = append(out, Explanation{Item: it, Decisions: decs})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("explain %s: %w", rawURL, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("explain %s: no stored item has this URL: %w", rawURL, storage.ErrNotFound)
	}
	return out, nil
}
