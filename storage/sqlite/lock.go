package sqlite

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ErrLocked is matched (errors.Is) by the error of Lock when another
// process holds the lock.
var ErrLocked = errors.New("sqlite: database is in use")

// FileLock is the lock that lets one process at a time write the
// database at a path. It is a file beside the database (PATH.lock) locked
// with flock(2), so the kernel releases it when the process ends however
// it ends, and a stale file never blocks a start.
type FileLock struct {
	f *os.File
}

// LockPath returns the path of the lock file of the database at path.
func LockPath(path string) string { return path + ".lock" }

// Lock takes the write lock of the database at path, without waiting.
// When another process holds it, Lock fails with an error matching
// ErrLocked that names the database and, where it can, the holder's
// process id. Readers (OpenReadOnly) need no lock.
func Lock(path string) (*FileLock, error) {
	lp := LockPath(path)
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sqlite: lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid := ""
		if b, rerr := os.ReadFile(lp); rerr == nil {
			if p := strings.TrimSpace(string(b)); p != "" {
				pid = " (pid " + p + ")"
			}
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is already used by another feedmerge%s; stop it first, or point this one at another database", ErrLocked, path, pid)
		}
		return nil, fmt.Errorf("sqlite: lock %s: %w", path, err)
	}
	// Record who holds it, for the message another process shows.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &FileLock{f: f}, nil
}

// Close releases the lock. The file stays, empty, for the next holder.
func (l *FileLock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := l.f.Close() // closing the descriptor releases the flock
	l.f = nil
	return err
}
