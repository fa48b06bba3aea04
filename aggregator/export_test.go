package aggregator

// SetWriteBatch makes s store at most n items in one write, so tests
// can make a long feed of a few thousand items.
func SetWriteBatch(s *Service, n int) { s.writeBatch = n }
