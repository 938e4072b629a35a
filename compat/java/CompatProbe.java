import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * Drives a NameServer and Broker with the stock Java client (4.9.8) for the compat suite.
 * Usage: CompatProbe NAMESRV TOPIC GROUP N TAG_EXPR
 * (NAMESRV "-" leaves the address unset, so the client asks the address server named by
 * -Drocketmq.namesrv.domain.)
 *
 * It sends N sync messages (tags alternating TagA/TagB, keys, a user property), N/4 async ones,
 * a batch of 4 and one oneway, then consumes the topic with a push consumer subscribed to
 * TAG_EXPR from the first offset until every expected message arrived (or 40 s passed).
 * Every event is one line on stdout the Go test parses:
 *   SENT kind body status msgId offsetMsgId brokerName queueId queueOffset
 *   RECV body msgId tags keys color queueId queueOffset reconsumeTimes storeHost
 *   EXPECT n / DONE received / ERROR text
 */
public class CompatProbe {
    public static void main(String[] args) throws Exception {
        String ns = args[0], topic = args[1], group = args[2];
        int n = Integer.parseInt(args[3]);
        String expr = args[4];

        DefaultMQProducer producer = new DefaultMQProducer("P" + group);
        if (!ns.equals("-")) producer.setNamesrvAddr(ns);
        producer.setSendMsgTimeout(5000);
        producer.setInstanceName("probe-p-" + group);
        producer.start();

        List<String> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String tag = i % 2 == 0 ? "TagA" : "TagB";
            String body = "java-sync-" + i;
            Message m = new Message(topic, tag, "key-" + i, body.getBytes(StandardCharsets.UTF_8));
            m.putUserProperty("color", "c" + i);
            SendResult r = producer.send(m);
            sent("sync", body, r);
            if (matches(expr, tag)) expected.add(body);
        }
        int async = Math.max(1, n / 4);
        CountDownLatch asyncDone = new CountDownLatch(async);
        for (int i = 0; i < async; i++) {
            final String body = "java-async-" + i;
            Message m = new Message(topic, "TagA", body.getBytes(StandardCharsets.UTF_8));
            producer.send(m, new SendCallback() {
                public void onSuccess(SendResult r) { sent("async", body, r); asyncDone.countDown(); }
                public void onException(Throwable e) { System.out.println("ERROR async " + body + " " + e); asyncDone.countDown(); }
            });
            if (matches(expr, "TagA")) expected.add(body);
        }
        if (!asyncDone.await(20, TimeUnit.SECONDS)) System.out.println("ERROR async sends did not complete");

        List<Message> batch = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String body = "java-batch-" + i;
            batch.add(new Message(topic, "TagA", body.getBytes(StandardCharsets.UTF_8)));
            if (matches(expr, "TagA")) expected.add(body);
        }
        SendResult br = producer.send(batch);
        sent("batch", "java-batch-*", br);

        producer.sendOneway(new Message(topic, "TagA", "java-oneway-0".getBytes(StandardCharsets.UTF_8)));
        if (matches(expr, "TagA")) expected.add("java-oneway-0");
        System.out.println("EXPECT " + expected.size());
        System.out.flush();

        ConcurrentHashMap<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        CountDownLatch all = new CountDownLatch(expected.size());
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group);
        if (!ns.equals("-")) consumer.setNamesrvAddr(ns);
        consumer.setInstanceName("probe-c-" + group);
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(topic, expr);
        consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                String body = new String(m.getBody(), StandardCharsets.UTF_8);
                System.out.println("RECV " + body + " " + m.getMsgId() + " " + m.getTags() + " " + m.getKeys()
                    + " " + m.getUserProperty("color") + " " + m.getQueueId() + " " + m.getQueueOffset()
                    + " " + m.getReconsumeTimes() + " " + m.getStoreHost().toString().replace("/", ""));
                if (seen.computeIfAbsent(body, k -> new AtomicInteger()).incrementAndGet() == 1) all.countDown();
            }
            System.out.flush();
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        boolean ok = all.await(40, TimeUnit.SECONDS);
        // A quiet second so duplicates, if any, show up in the output.
        Thread.sleep(1000);
        System.out.println("DONE " + (ok ? "all" : "partial"));
        System.out.flush();
        consumer.shutdown();
        producer.shutdown();
        System.exit(0);
    }

    static boolean matches(String expr, String tag) {
        if (expr.equals("*")) return true;
        for (String t : expr.split("\\|\\|")) if (t.trim().equals(tag)) return true;
        return false;
    }

    static synchronized void sent(String kind, String body, SendResult r) {
        System.out.println("SENT " + kind + " " + body + " " + r.getSendStatus() + " " + r.getMsgId() + " "
            + r.getOffsetMsgId() + " " + r.getMessageQueue().getBrokerName() + " " + r.getMessageQueue().getQueueId()
            + " " + r.getQueueOffset());
        System.out.flush();
    }
}
