package store

import (
	"net/netip"

	"github.com/rocketgo/rocketgo/message"
)

// PutStatus is Java's PutMessageStatus.
type PutStatus int

const (
	PutOK PutStatus = iota
	FlushDiskTimeout
	FlushSlaveTimeout
	SlaveNotAvailable
	ServiceNotAvailable
	CreateMappedFileFailed
	MessageIllegal
	PropertiesSizeExceeded
	OSPageCacheBusy
	UnknownError
)

var putStatusNames = [...]string{"PUT_OK", "FLUSH_DISK_TIMEOUT", "FLUSH_SLAVE_TIMEOUT", "SLAVE_NOT_AVAILABLE",
	"SERVICE_NOT_AVAILABLE", "CREATE_MAPEDFILE_FAILED", "MESSAGE_ILLEGAL", "PROPERTIES_SIZE_EXCEEDED",
	"OS_PAGECACHE_BUSY", "UNKNOWN_ERROR"}

func (s PutStatus) String() string {
	if int(s) < len(putStatusNames) {
		return putStatusNames[s]
	}
	return "UNKNOWN_ERROR"
}

// Stored reports whether the message is in the commitlog (PUT_OK and the three statuses the
// client still treats as sent).
func (s PutStatus) Stored() bool {
	return s == PutOK || s == FlushDiskTimeout || s == FlushSlaveTimeout || s == SlaveNotAvailable
}

// PutResult is the outcome of a put. For a batch, WroteOffset/QueueOffset are those of the first
// message and WroteBytes covers all of them.
type PutResult struct {
	Status         PutStatus
	WroteOffset    int64
	WroteBytes     int32
	QueueOffset    int64
	MsgNum         int32
	StoreTimestamp int64
	// Err says why, for logs and the response remark, when Status is an error.
	Err error

	storeHost netip.AddrPort
	batchIDs  string
}

// MsgID is the offset message id (the send response's msgId); for a batch the comma-joined ids
// of every record. Built on demand so that a single put allocates nothing.
func (r *PutResult) MsgID() string {
	if r.batchIDs != "" || !r.Status.Stored() {
		return r.batchIDs
	}
	return message.OffsetMsgID(r.storeHost, r.WroteOffset)
}

// AppendMsgID appends MsgID to dst.
func (r *PutResult) AppendMsgID(dst []byte) []byte {
	if r.batchIDs != "" || !r.Status.Stored() {
		return append(dst, r.batchIDs...)
	}
	return message.AppendOffsetMsgID(dst, r.storeHost, r.WroteOffset)
}

// GetStatus is Java's GetMessageStatus.
type GetStatus int

const (
	Found GetStatus = iota
	NoMatchedMessage
	MessageWasRemoving
	OffsetFoundNull
	OffsetOverflowBadly
	OffsetOverflowOne
	OffsetTooSmall
	NoMatchedLogicQueue
	NoMessageInQueue
)

var getStatusNames = [...]string{"FOUND", "NO_MATCHED_MESSAGE", "MESSAGE_WAS_REMOVING", "OFFSET_FOUND_NULL",
	"OFFSET_OVERFLOW_BADLY", "OFFSET_OVERFLOW_ONE", "OFFSET_TOO_SMALL", "NO_MATCHED_LOGIC_QUEUE", "NO_MESSAGE_IN_QUEUE"}

func (s GetStatus) String() string {
	if int(s) < len(getStatusNames) {
		return getStatusNames[s]
	}
	return "GetStatus(?)"
}

// GetResult is what a pull gets: the stored records as slices of the mapped files, one per
// message, valid until Release.
type GetResult struct {
	Status                  GetStatus
	NextBeginOffset         int64
	MinOffset               int64
	MaxOffset               int64
	Buffers                 [][]byte
	MsgCount                int32
	BufferTotalSize         int32
	SuggestPullingFromSlave bool
	// QueueOffsets holds the logical offset of each buffer (for stats and tracing).
	QueueOffsets []int64

	held []*MappedFile
}

// getResultRoom is the inline capacity of a pull's result: Java's default
// maxTransferCountOnMessageInMemory, so a default pull that finds data allocates once.
const getResultRoom = 32

// getResultInline is a GetResult with its slices' backing arrays in the same allocation.
type getResultInline struct {
	GetResult
	bufs [getResultRoom][]byte
	offs [getResultRoom]int64
	held [getResultRoom]*MappedFile
}

// withRoom returns a copy of r whose Buffers, QueueOffsets and held can take n entries
// without growing: inline up to getResultRoom, else in three exact-size slices.
func (r *GetResult) withRoom(n int) *GetResult {
	if n > getResultRoom {
		out := *r
		out.Buffers, out.QueueOffsets, out.held = make([][]byte, 0, n), make([]int64, 0, n), make([]*MappedFile, 0, n)
		return &out
	}
	g := &getResultInline{GetResult: *r}
	g.Buffers, g.QueueOffsets, g.GetResult.held = g.bufs[:0:n], g.offs[:0:n], g.held[:0:n]
	return &g.GetResult
}

// escape returns a heap copy of a result built on the caller's stack.
func (r GetResult) escape() *GetResult { return &r }

// Release unpins the mapped files behind Buffers; the slices must not be used afterwards.
// Calling it twice is harmless.
func (r *GetResult) Release() {
	if r == nil {
		return
	}
	for _, f := range r.held {
		f.Release()
	}
	r.held = nil
	r.Buffers = nil
}

// MessageFilter decides which messages a pull returns: first by the consume-queue tags code
// (cheap), then by the stored record (properties, for SQL92).
type MessageFilter interface {
	MatchTagsCode(tagsCode int64) bool
	MatchRecord(record []byte) bool
}

// SelectResult is one record found by commitlog offset, pinned until Release.
type SelectResult struct {
	Offset int64
	Bytes  []byte
	file   *MappedFile
}

// Release unpins the record.
func (r *SelectResult) Release() {
	if r != nil && r.file != nil {
		r.file.Release()
		r.file = nil
	}
}
