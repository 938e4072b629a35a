package store

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPreallocateLateDoesNotResurrect: a pre-allocation that runs after the appender has
// moved past its segment (and retention may have deleted it) creates nothing; only the
// segment right after the last one is pre-allocated. A resurrected blank segment before the
// live one made the next Open refuse the directory or cut off the records after it.
func TestPreallocateLateDoesNotResurrect(t *testing.T) {
	const size = 4096
	dir := t.TempDir()
	q := newMappedFileQueue(dir, size)
	defer q.closeAll()
	for from := int64(0); from < 3*size; from += size {
		if _, err := q.create(from); err != nil {
			t.Fatal(err)
		}
	}
	q.removeFirst(2) // retention: segments 0 and 4096 are gone, 8192 is live
	exists := func(from int64) bool {
		_, err := os.Stat(filepath.Join(dir, fileName(from)))
		return err == nil
	}
	for _, stale := range []int64{0, size, 2 * size} {
		q.preallocate(stale)
		if stale < 2*size && exists(stale) {
			t.Errorf("late pre-allocation recreated deleted segment %d", stale)
		}
	}
	q.preallocate(3 * size)
	if !exists(3 * size) {
		t.Error("the segment after the last one was not pre-allocated")
	}
	q.preallocate(5 * size)
	if exists(5 * size) {
		t.Error("a segment two ahead of the last one was pre-allocated")
	}
}
