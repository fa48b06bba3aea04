// Package feeds holds feedmerge's feed formats: it parses and normalises
// fetched RSS, Atom and JSON feeds into Items (charset decoding, absolute
// links, dates, sanitised HTML), and renders merged Stories as Atom, RSS or
// JSON Feed, including the HTTP handler that serves the merged feed.
//
// Input is hostile until normalised. Text is decoded to UTF-8 from the
// charset a browser would pick (byte order mark, then the HTTP charset,
// then the XML prolog or HTML <meta>, then windows-1252 for bytes that
// are not UTF-8), never garbling text that is clean in its real charset;
// see Parse. Only http and https URLs survive as links, when parsing and
// again when rendering; HTML is sanitised with an allowlist.
//
// feeds imports neither storage nor aggregator.
package feeds
