package storagetest

import (
	"testing"

	"github.com/feedmerge/feedmerge/storage"
)

// BenchPutItem measures storing new items, item(0), item(1), …, in
// batches of 20 per Update into s; every fourth item joins the story of
// the item before it. It reports items/s.
func BenchPutItem(b *testing.B, s storage.Store, item func(i int) storage.Item) {
	const batch = 20
	items := make([]storage.Item, batch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		n := min(batch, b.N-i)
		for j := range n {
			items[j] = item(i + j)
		}
		err := s.Update(b.Context(), func(tx storage.Tx) error {
			for j := range n {
				if j%4 == 3 {
					items[j].StoryID = items[j-1].StoryID
				}
				if _, err := tx.PutItem(b.Context(), &items[j]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}
