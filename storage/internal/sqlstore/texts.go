package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/klauspost/compress/flate"
)

// An item's summary and content, most of its bytes, are stored together
// in one column, items.texts, compressed: the summary is often the start
// of the content, which the compressor then stores as a reference, and
// news text compresses to about half. Each is encoded as
//
//	0x00 uvarint(len(summary)) summary content     stored as is
//	0x01 uvarint(n) deflate(uvarint(len(summary)) summary content)
//
// where n is the length of the deflated payload once inflated. Both
// empty is NULL. The texts are stored as is when deflate does not make
// them shorter.
const (
	textsRaw     = 0x00
	textsDeflate = 0x01
)

// minDeflate is the length under which texts are stored as they are:
// deflate's header and tables cost more than it saves on a few words.
const minDeflate = 96

// maxTexts bounds the inflated length of stored texts, far above any a
// parse budget lets in, so that a damaged value cannot make a reader
// allocate without limit.
const maxTexts = 64 << 20

var inflaters sync.Pool // of io.ReadCloser that are flate.Resetter

// PackTexts returns summary and content as stored in items.texts: nil
// when both are empty.
func PackTexts(summary, content string) []byte {
	if summary == "" && content == "" {
		return nil
	}
	raw := make([]byte, 1, 1+binary.MaxVarintLen64+len(summary)+len(content))
	raw[0] = textsRaw
	raw = binary.AppendUvarint(raw, uint64(len(summary)))
	raw = append(append(raw, summary...), content...)
	payload := raw[1:]
	if len(payload) < minDeflate {
		return raw
	}
	var b bytes.Buffer
	b.Grow(len(payload) / 2)
	b.WriteByte(textsDeflate)
	var n [binary.MaxVarintLen64]byte
	b.Write(binary.AppendUvarint(n[:0], uint64(len(payload))))
	flate.StatelessDeflate(&b, payload, true, nil) // a bytes.Buffer does not fail
	if b.Len() >= len(raw) {
		return raw
	}
	return b.Bytes()
}

// UnpackTexts returns the summary and content stored as b by PackTexts.
// It fails if b is not such a value.
func UnpackTexts(b []byte) (summary, content string, err error) {
	if len(b) == 0 {
		return "", "", nil
	}
	var payload string // one string for both texts
	switch b[0] {
	case textsRaw:
		payload = string(b[1:])
	case textsDeflate:
		if payload, err = inflate(b[1:]); err != nil {
			return "", "", fmt.Errorf("texts: %w", err)
		}
	default:
		return "", "", fmt.Errorf("texts: unknown encoding %#x", b[0])
	}
	n, k := binary.Uvarint([]byte(payload[:min(len(payload), binary.MaxVarintLen64)]))
	if k <= 0 || n > uint64(len(payload)-k) {
		return "", "", errors.New("texts: damaged summary length")
	}
	rest := payload[k:]
	return rest[:n], rest[n:], nil
}

// inflate returns the payload of a textsDeflate value b (its inflated
// length, then the deflate stream), inflated straight into the string's
// memory.
func inflate(b []byte) (string, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > maxTexts {
		return "", errors.New("damaged length")
	}
	src := bytes.NewReader(b[k:])
	r, _ := inflaters.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReader(src)
	} else if err := r.(flate.Resetter).Reset(src, nil); err != nil {
		return "", err
	}
	defer inflaters.Put(r)
	out := &boundedBuilder{left: int(n)}
	out.Grow(int(n))
	if _, err := io.Copy(out, r); err != nil { // the reader is an io.WriterTo: no buffer
		return "", err
	}
	// The stream must end where its length says.
	if out.left != 0 {
		return "", io.ErrUnexpectedEOF
	}
	return out.String(), nil
}

// boundedBuilder is a strings.Builder that takes at most left more bytes.
type boundedBuilder struct {
	strings.Builder
	left int
}

var errTooLong = errors.New("longer than its length")

func (w *boundedBuilder) Write(p []byte) (int, error) {
	if len(p) > w.left {
		return 0, errTooLong
	}
	w.left -= len(p)
	return w.Builder.Write(p)
}

// fillTexts completes migrations/NNNN_texts.sql: it packs the summary and
// content of every item into texts, a batch of rows at a time so that a
// large store is never all in memory, then drops the two columns.
func fillTexts(ctx context.Context, tx *sql.Tx, d *Dialect) error {
	update, err := tx.PrepareContext(ctx, d.SQL(`UPDATE items SET texts = $1 WHERE id = $2`))
	if err != nil {
		return err
	}
	defer update.Close()
	type row struct {
		id               int64
		summary, content string
	}
	const batch = 512
	rows := make([]row, 0, batch)
	for last := int64(-1 << 63); ; last = rows[len(rows)-1].id {
		rows = rows[:0]
		r, err := tx.QueryContext(ctx, d.SQL(`SELECT id, summary, content FROM items WHERE id > $1 ORDER BY id LIMIT $2`), last, batch)
		if err != nil {
			return err
		}
		for r.Next() {
			var it row
			if err := r.Scan(&it.id, &it.summary, &it.content); err != nil {
				r.Close()
				return err
			}
			rows = append(rows, it)
		}
		if err := r.Close(); err != nil {
			return err
		}
		if err := r.Err(); err != nil {
			return err
		}
		if len(rows) == 0 {
			break
		}
		for _, it := range rows {
			if _, err := update.ExecContext(ctx, PackTexts(it.summary, it.content), it.id); err != nil {
				return err
			}
		}
	}
	for _, col := range []string{"summary", "content"} {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE items DROP COLUMN `+col); err != nil {
			return fmt.Errorf("drop items.%s: %w", col, err)
		}
	}
	return nil
}
