// Package feeds holds feedmerge's feed formats: it parses and normalises
// fetched RSS, Atom and JSON feeds into Items (charset decoding, absolute
// links, dates, sanitised HTML), and renders merged Stories as Atom, RSS or
// JSON Feed, including the HTTP handler that serves the merged feed.
//
// feeds imports neither storage nor aggregator.
package feeds
