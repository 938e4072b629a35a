package broker

import (
	"testing"

	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// TestUpdateBrokerConfigReachesStore: store keys that Java's MessageStoreConfig reads at each
// use (here the pull size limit and retention keys) take effect on the running store through
// UPDATE_BROKER_CONFIG, as with a Java broker; keys fixed at start-up do not change the store.
func TestUpdateBrokerConfigReachesStore(t *testing.T) {
	db := startDataBroker(t, nil)
	db.topic("StoreLive", 1)
	for i := 0; i < 10; i++ {
		db.send("StoreLive", 0, "a", "body")
	}
	if _, msgs := db.pullAll("StoreLive", 0, 0); len(msgs) != 10 {
		t.Fatalf("pull before the update: %d messages, want 10", len(msgs))
	}
	body := "maxTransferCountOnMessageInMemory=4\nmaxTransferCountOnMessageInDisk=4\nfileReservedTime=5\ndeleteWhen=01;13\n" +
		"mappedFileSizeCommitLog=65536\n"
	mustCode(t, db.invoke(adminReq(protocol.UpdateBrokerConfig, []byte(body))), protocol.Success)
	if _, msgs := db.pullAll("StoreLive", 0, 0); len(msgs) != 4 {
		t.Fatalf("pull after maxTransferCountOnMessageInMemory=4: %d messages, want 4", len(msgs))
	}
	sc := db.b.store.Config()
	if sc.FileReservedTime != 5 || sc.DeleteWhen != "01;13" {
		t.Fatalf("store retention keys after the update: fileReservedTime=%d deleteWhen=%q", sc.FileReservedTime, sc.DeleteWhen)
	}
	if sc.MappedFileSizeCommitLog == 65536 {
		t.Fatal("mappedFileSizeCommitLog applied to a running store")
	}
}
