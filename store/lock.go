package store

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// lockedDirs keeps the roots this process has locked: POSIX record locks belong to the
// process, so a second Open in the same process would otherwise succeed.
var lockedDirs sync.Map

// storeLock is Java's lock file: an exclusive fcntl (F_SETLK) lock on byte 0 of <root>/lock,
// the lock FileChannel.tryLock(0, 1) takes on Linux, so Java and Go brokers exclude each other.
type storeLock struct {
	f   *os.File
	key string
}

func lockStore(path string) (*storeLock, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, loaded := lockedDirs.LoadOrStore(abs, true); loaded {
		return nil, fmt.Errorf("store: %s is already open in this process", abs)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		lockedDirs.Delete(abs)
		return nil, err
	}
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart, Start: 0, Len: 1}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); err != nil {
		f.Close()
		lockedDirs.Delete(abs)
		return nil, fmt.Errorf("store: lock %s: another broker is using this store: %w", path, err)
	}
	if _, err := f.WriteAt([]byte("lock"), 0); err == nil {
		f.Sync()
	}
	return &storeLock{f: f, key: abs}, nil
}

func (l *storeLock) unlock() {
	lk := syscall.Flock_t{Type: syscall.F_UNLCK, Whence: io.SeekStart, Start: 0, Len: 1}
	syscall.FcntlFlock(l.f.Fd(), syscall.F_SETLK, &lk)
	l.f.Close()
	lockedDirs.Delete(l.key)
}
