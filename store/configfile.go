package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sirupsen/logrus"
)

// Config files (config/topics.json, consumerOffset.json, …, and the broker's properties file
// after UPDATE_BROKER_CONFIG) are written the way Java's MixAll.string2File does, so a Java
// broker finds the same <f>, <f>.bak and (transiently) <f>.tmp:
//
//  1. write the new content to <f>.tmp and fsync it          (Java: no fsync)
//  2. copy the current <f> to <f>.bak and fsync it           (Java: no fsync)
//  3. rename <f>.tmp over <f>, fsync the directory           (Java: delete <f>, then rename)
//
// At every instant at least one of <f> and <f>.bak holds a complete version, and after
// WriteConfigFile returns the new <f> survives a power cut. Java's delete-then-rename leaves a
// window with no <f> at all; rename(2) replaces atomically, so we keep that window closed.

// WriteConfigFile replaces path with data safely (see above). It is not safe for concurrent
// calls on the same path; each config manager serialises its own persists.
func WriteConfigFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := writeFileFsync(tmp, data); err != nil {
		return fmt.Errorf("store: write %s: %w", tmp, err)
	}
	if err := configWriteStop("tmp written"); err != nil {
		return err
	}
	prev, err := os.ReadFile(path)
	switch {
	case err == nil && len(prev) > 0:
		// An empty <f> is never copied: it cannot be the only good version, and overwriting
		// a good .bak with it would lose the copy a later load falls back to.
		if err := writeFileFsync(path+".bak", prev); err != nil {
			return fmt.Errorf("store: write %s.bak: %w", path, err)
		}
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("store: read %s: %w", path, err)
	}
	if err := configWriteStop("bak written"); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("store: rename %s: %w", tmp, err)
	}
	if err := fsyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("store: sync dir of %s: %w", path, err)
	}
	return nil
}

// LoadConfigFile reads path and hands its content to decode, falling back to path.bak when
// path is missing, empty, unreadable or rejected by decode, as Java's ConfigManager.load does.
// It returns the file that was decoded, or "" when neither exists (or both are empty): the
// broker then starts with empty tables, as Java does.
//
// Unlike Java, a damaged file with no usable backup is an error rather than a silent start with
// empty tables: losing every topic or offset without a word is worse than refusing to start.
// decode may be called twice (first file rejected, then the backup), so it must replace rather
// than merge its state, or reset it on error.
func LoadConfigFile(path string, decode func(data []byte) error) (loadedFrom string, err error) {
	data, mainErr := os.ReadFile(path)
	switch {
	case mainErr == nil && len(bytes.TrimSpace(data)) > 0:
		if mainErr = decode(data); mainErr == nil {
			return path, nil
		}
		mainErr = fmt.Errorf("decode: %w", mainErr)
	case mainErr == nil:
		mainErr = errEmptyConfig
	case errors.Is(mainErr, fs.ErrNotExist):
		mainErr = fs.ErrNotExist
	}

	bak := path + ".bak"
	bakData, bakErr := os.ReadFile(bak)
	if bakErr == nil && len(bytes.TrimSpace(bakData)) == 0 {
		bakErr = errEmptyConfig
	}
	mainAbsent := errors.Is(mainErr, fs.ErrNotExist) || errors.Is(mainErr, errEmptyConfig)
	if bakErr != nil {
		if mainAbsent && (errors.Is(bakErr, fs.ErrNotExist) || errors.Is(bakErr, errEmptyConfig)) {
			return "", nil // first start
		}
		return "", fmt.Errorf("store: config %s unusable (%v) and its backup %s too (%v)", path, mainErr, bak, bakErr)
	}
	if bakErr = decode(bakData); bakErr != nil {
		return "", fmt.Errorf("store: config %s unusable (%v) and its backup %s too (decode: %v)", path, mainErr, bak, bakErr)
	}
	entry := logrus.WithFields(logrus.Fields{"file": path, "reason": mainErr.Error(), "loaded": bak})
	if mainAbsent {
		entry.Info("store: config file missing or empty, loaded its backup")
	} else {
		entry.Warn("store: config file corrupt, loaded its backup")
	}
	return bak, nil
}

var errEmptyConfig = errors.New("empty file")

// configWriteStop lets a test stop WriteConfigFile between its steps, leaving the files as a
// crash at that point would.
var configWriteStop = func(step string) error { return nil }

// writeFileFsync writes data to path (created or truncated) and fsyncs it.
func writeFileFsync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fsyncDir makes a rename or unlink in dir durable.
func fsyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
