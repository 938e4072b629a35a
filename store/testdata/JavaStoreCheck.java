// JavaStoreCheck opens a store directory with the stock Java 4.9.8 DefaultMessageStore (the
// jars of the Java distribution), prints every message of the named queues, appends one
// message and shuts down cleanly. Run by store/java_test.go with the source launcher:
//
//	java -cp '<rocketmq>/lib/*' JavaStoreCheck <root> <commitlogSize> <cqSize> <topic:queues>...
//
// Output lines: "QUEUE topic qid min max", "MSG topic qid queueOffset commitLogOffset storeSize
// bodyCRC32 tags keys sysFlag", "PUT status offset queueOffset", "LOAD false" on refusal.
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import org.apache.rocketmq.common.BrokerConfig;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.store.DefaultMessageStore;
import org.apache.rocketmq.store.GetMessageResult;
import org.apache.rocketmq.store.MessageExtBrokerInner;
import org.apache.rocketmq.store.PutMessageResult;
import org.apache.rocketmq.store.config.MessageStoreConfig;
import org.apache.rocketmq.store.stats.BrokerStatsManager;

public class JavaStoreCheck {
    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(4);
        }
    }

    static void run(String[] args) throws Exception {
        MessageStoreConfig cfg = new MessageStoreConfig();
        cfg.setStorePathRootDir(args[0]);
        cfg.setStorePathCommitLog(args[0] + "/commitlog");
        cfg.setMappedFileSizeCommitLog(Integer.parseInt(args[1]));
        cfg.setMappedFileSizeConsumeQueue(Integer.parseInt(args[2]));
        cfg.setHaListenPort(0);
        DefaultMessageStore store = new DefaultMessageStore(cfg, new BrokerStatsManager("check", true),
            (topic, queueId, logicOffset, tagsCode, msgStoreTime, filterBitMap, properties) -> { }, new BrokerConfig());
        if (!store.load()) {
            System.out.println("LOAD false");
            System.exit(3);
        }
        store.start();
        String firstTopic = null;
        for (int i = 3; i < args.length; i++) {
            String[] tq = args[i].split(":");
            String topic = tq[0];
            if (firstTopic == null) firstTopic = topic;
            int queues = Integer.parseInt(tq[1]);
            for (int q = 0; q < queues; q++) {
                long min = store.getMinOffsetInQueue(topic, q), max = store.getMaxOffsetInQueue(topic, q);
                System.out.println("QUEUE " + topic + " " + q + " " + min + " " + max);
                long off = min;
                while (off < max) {
                    GetMessageResult r = store.getMessage("check", topic, q, off, 32, null);
                    if (r == null || r.getMessageBufferList().isEmpty()) {
                        System.out.println("GETFAIL " + topic + " " + q + " " + off + " " + (r == null ? "null" : r.getStatus()));
                        break;
                    }
                    for (ByteBuffer bb : r.getMessageBufferList()) {
                        MessageExt m = MessageDecoder.decode(bb, true, false);
                        CRC32 crc = new CRC32();
                        if (m.getBody() != null) crc.update(m.getBody());
                        System.out.println("MSG " + m.getTopic() + " " + m.getQueueId() + " " + m.getQueueOffset() + " "
                            + m.getCommitLogOffset() + " " + m.getStoreSize() + " " + crc.getValue() + " "
                            + m.getTags() + " " + m.getKeys() + " " + m.getSysFlag());
                    }
                    off = r.getNextBeginOffset();
                    r.release();
                }
            }
        }
        MessageExtBrokerInner msg = new MessageExtBrokerInner();
        msg.setTopic(firstTopic);
        msg.setQueueId(0);
        msg.setBody("from java".getBytes("UTF-8"));
        msg.setTags("JavaTag");
        msg.setTagsCode(MessageExtBrokerInner.tagsString2tagsCode(null, "JavaTag"));
        msg.setKeys("java-key");
        msg.setPropertiesString(MessageDecoder.messageProperties2String(msg.getProperties()));
        msg.setBornTimestamp(System.currentTimeMillis());
        msg.setBornHost(new java.net.InetSocketAddress("127.0.0.1", 5555));
        msg.setStoreHost(new java.net.InetSocketAddress("127.0.0.1", 10911));
        PutMessageResult pr = store.putMessage(msg);
        System.out.println("PUT " + pr.getPutMessageStatus() + " " + pr.getAppendMessageResult().getWroteOffset() + " "
            + pr.getAppendMessageResult().getLogicsOffset());
        Thread.sleep(300); // let the reput service dispatch it before shutdown
        store.shutdown();
        System.out.println("DONE");
        System.exit(0);
    }
}
