// Package dedupe recognises the same news story across outlets. For each
// new item it decides which stored story the item joins, or that it
// starts a new one, and can explain that decision.
//
// # Keys
//
// Keys computes four keys per item, which the store indexes:
//
//   - the canonical URL (CanonicalURL): https, lower-case host without
//     "www." or a default port, no fragment, no tracking parameters
//     (utm_*, fbclid, gclid, mc_cid, mc_eid, ref, cmpid, from, …), the
//     other parameters sorted;
//   - the title key: the opening of the title (six words, or twelve
//     Chinese characters) normalised (Unicode NFKC, case folded,
//     punctuation and quotes dropped) after outlet decorations are removed:
//     a leading "Guangxi: " label or "[Video]"/"【视频】" tag, a trailing
//     " - Chinadaily.com.cn", " | Xinhua", "——新华网" or "_绿城新闻网". A
//     headline cut by an ellipsis loses its last word, so that one a feed
//     cut to its length has the key of the full headline;
//   - a 64-bit SimHash of the first 16 tokens of the normalised lead text,
//     the first token alone and each other one paired with the token
//     before it, pairs of two stopwords left out, so that texts which
//     share only common words ("of the", "said") seldom share a band of
//     the fingerprint. The lead is the longer of summary and content, turned from HTML to
//     text, NFKC-normalised, with an agency dateline ("NANNING, Nov. 26
//     (Xinhua) -- ", "新华社南宁11月26日电（记者 王强）") and trailing credit
//     lines ("Source: China Daily", "来源：南岭日报", "Editor: …") removed. A
//     text that ends in an ellipsis loses its last, possibly partial, word.
//     Only the first tokens count, so summaries cut at different lengths
//     share the fingerprint;
//   - a second 64-bit SimHash, Body, of the text beyond the lead: the
//     first 16 tokens after the first sentence (up to a line break, a
//     "。", or a full stop before a capital, abbreviations such as
//     "Nov." and "U.S." read through), or 0 when fewer than 8 follow it.
//     A copy whose lead was rewritten keeps the sentences after it, and
//     a summary taken from the second paragraph has them as its lead.
//
// Words are runs of letters and digits, lower-cased and stripped of
// diacritics ("Việt Nam" and "Vietnam" are one word pair); Chinese,
// Japanese and Korean text, which has no spaces, is tokenised as
// overlapping character bigrams. Titles also lose wire kickers ("UPDATE
// 2-", "Exclusive:") and outlet names after a hyphen without spaces
// ("…-Harbour Wire", "…-东盟商讯"); leads lose datelines of the other
// forms outlets use ("HÀ NỘI — ", "KUALA LUMPUR: ", "本报钦州10月22日讯")
// and a leading photo caption or picture credit. Canonical URLs also
// drop feed parameters (src, tbref) and fold m., amp. and /amp/ twins.
//
// # Assign
//
// An item whose canonical URL (or GUID, when that is a URL) is already
// stored joins that item's story ("url"). Otherwise, with near-duplicate
// merging on, the store returns the representative (earliest copy) of
// every story published within the window (72 hours either side by
// default) that shares one of the four 16-bit SimHash bands (Manku's
// scheme: two fingerprints within 3 bits always share a band) or the exact
// title key, or whose two fingerprints meet the item's across: the
// item's lead or Body sharing a band with the story's Body, or the
// item's Body with the story's lead, and in every case at most 16 of
// the 64 bits apart. Each candidate representative is then confirmed against the
// item; the item joins the best-scoring story at or above the threshold
// ("near"), else starts a new story ("new"). Comparing with the
// representative only means that chains of near matches (A≈B≈C) cannot
// pull an item into a different story.
//
// The confirm score, from 0 to 1, is
//
//	0.3 × title + 0.7 × body²
//
// where title is the Dice overlap of the title tokens (stopwords left
// out, plurals, past "ed" and silent "e" folded: "trains" = "train",
// "exported" = "exports") and body is the share of the shorter text's
// 3-token shingles found in the longer one, so that a summary cut short
// is fully contained in the full text. Copies carry the same text, so
// body is close to 1 for them; partly shared text is weak evidence,
// hence the square. A credit line that names the other item's outlet or
// host adds 0.1, and a link to the other item's URL adds 0.2, when body
// is at least 0.5. When one text is too short to compare (under about a
// dozen words, as when a feed repeats the title as the summary), only an
// identical title of at least five words, published within 36 hours,
// scores 0.9 (other titles score half their overlap); and if several
// candidate stories carry that same title, as the issues of a daily
// column do, the title alone decides nothing. Two items of one outlet
// whose titles share less than half their words are not judged by their
// text either, which may be a summary the outlet gives every item.
//
// Beyond the formula, the confirmation weighs what an editor would:
//
//   - Figures are evidence, not a veto. Each number of a text is read
//     with what it counts, the word after it ("560 agreements", "15
//     percent", "46个项"); texts conflict on a quantity both report only
//     with different numbers, neither of which the other has at all, and
//     when such conflicts are at least as many as the numbers both
//     report, a partly shared text scores at most 0.7. A number a cut
//     text may have cut ("2,0…") is never read. Headline figures the
//     other headline lacks veto the match only when neither headline's
//     figures are in the other's text: two headlines may report two
//     figures of one story ("7,100 trips", "up 15 percent") and a
//     summary only one.
//   - A lead found whole. A shorter text (twenty shingles or more) at
//     least nine tenths contained in the other and starting with the same
//     ten words, within two days (a republished copy may come that late),
//     figures not in conflict, is a copy whatever the headlines (score
//     0.8), provided the shared text holds half the words of one of the
//     headlines (of a Chinese headline, read as character pairs, half its
//     characters): background that two
//     stories open with is what neither headline reports, and a lead
//     three days later is background too.
//   - A rewritten lead. When a text's sentences after its first (twenty
//     shingles or more) are found whole in the other within two days, the
//     lead was rewritten and the rest kept: a copy, when the shared text
//     holds half of one headline's words or the headlines share half
//     theirs.
//   - One shared paragraph. A single paragraph found in a text of three
//     or more under a headline sharing under 0.3 of the words counts at
//     most 0.7 (background), unless it is the lead of both as above.
//   - Identical headlines. One of at least five words from two outlets
//     within two days confirms the copy (0.75) when the figures agree and
//     the texts share a fifth of their words or each holds two of the
//     headline's words; from one outlet 18 hours or more apart, or over
//     texts that open alike and then part (under half of the shorter's
//     shingles after its first sixteen shared), it is a column's title,
//     and the texts alone must show a copy.
//
// Explain prints each of these signals with the scores. At most 64
// candidates are confirmed per item, those with the same title key and
// the nearest fingerprints (of either kind) first. The default threshold
// is 0.65. A Deduper keeps the compared features (title and body shingle
// hashes, words, figures, credited source, links) of the last few
// thousand items it has seen, keyed by feed, GUID and content hash, so
// that a story's representative, a candidate for many of the items after
// it, is not parsed again for each of them. Everything leans toward a
// missed merge rather than a wrong one.
//
// # Quality and cost
//
// testdata/eval.json is a labelled evaluation set (gen_test.go writes it):
// invented outlets, stories and their syndicated copies, and look-alike
// stories that must stay apart. TestEval feeds it through Keys, Assign
// and an in-memory store in arrival order and fails below pairwise
// precision 0.99, recall 0.95 or on any look-alike merge; TestNews does
// the same with testdata/news, hand-written regional news as fourteen
// outlets carry it. BenchmarkAssign
// times assigning one new item in SQLite stores of a thousand to a million
// stories. Measured figures are in the README and docs/BENCHMARKS.md.
package dedupe
