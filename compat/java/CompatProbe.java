import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.heartbeat.MessageModel;

/**
 * Drives a NameServer and Broker with the stock Java client (4.9.8) for the compat suite. Every
 * event is one line on stdout that the Go test parses. NAMESRV "-" leaves the address unset, so
 * the client asks the address server named by -Drocketmq.namesrv.domain.
 *
 *   pc NAMESRV TOPIC GROUP N TAG_EXPR
 *     N sync sends (tags alternating TagA/TagB, keys, a user property), N/4 async, a batch of 4
 *     and one oneway, then a push consumer subscribed to TAG_EXPR from the first offset until
 *     every expected message arrived.
 *   consume NAMESRV TOPIC GROUP EXPECT
 *     a push consumer (first offset) until EXPECT distinct messages arrived; its shutdown
 *     commits the offsets with Java's oneway UPDATE_CONSUMER_OFFSET.
 *   group NAMESRV TOPIC GROUP N QUEUES
 *     two clustering push consumers (A, B) of GROUP, two broadcasting ones (C, D) of GROUP_bc
 *     and a lite pull consumer (L) of GROUP_pull; once A and B split the QUEUES queues, N sync
 *     sends, then after 2 s of quiet one more ("late", sent while every consumer long-polls).
 *   failover NAMESRV TOPIC N1 N2
 *     N1 sync sends, "PAUSE", waits for a line on stdin, N2 more sync sends.
 *
 * Lines: SENT kind body status msgId offsetMsgId brokerName queueId queueOffset |
 *   RECV consumer body msgId tags keys color queueId queueOffset reconsumeTimes storeHost |
 *   EXPECT n | LATENCY ms | PAUSE | DONE all|partial | ERROR text
 */
public class CompatProbe {
    static String ns;

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        ns = args[1];
        switch (mode) {
            case "pc": produceConsume(args[2], args[3], Integer.parseInt(args[4]), args[5]); break;
            case "consume": consumeOnly(args[2], args[3], Integer.parseInt(args[4])); break;
            case "group": group(args[2], args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5])); break;
            case "failover": failover(args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4])); break;
            default: System.out.println("ERROR unknown mode " + mode);
        }
        System.out.flush();
        System.exit(0);
    }

    static DefaultMQProducer producer(String group) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer("P" + group);
        if (!ns.equals("-")) p.setNamesrvAddr(ns);
        p.setSendMsgTimeout(5000);
        p.setInstanceName("probe-p-" + group);
        p.start();
        return p;
    }

    /** Records each delivery; counts distinct bodies down on a latch. */
    static class Recorder {
        final ConcurrentHashMap<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        final CountDownLatch latch;
        final ConcurrentHashMap<String, Long> arrived = new ConcurrentHashMap<>();

        Recorder(int expect) { latch = new CountDownLatch(expect); }

        void record(String who, MessageExt m) {
            String body = new String(m.getBody(), StandardCharsets.UTF_8);
            arrived.putIfAbsent(who + "/" + body, System.currentTimeMillis());
            synchronized (CompatProbe.class) {
                System.out.println("RECV " + who + " " + body + " " + m.getMsgId() + " " + m.getTags() + " "
                    + m.getKeys() + " " + m.getUserProperty("color") + " " + m.getQueueId() + " "
                    + m.getQueueOffset() + " " + m.getReconsumeTimes() + " "
                    + m.getStoreHost().toString().replace("/", ""));
                System.out.flush();
            }
            if (seen.computeIfAbsent(who + "/" + body, k -> new AtomicInteger()).incrementAndGet() == 1) latch.countDown();
        }
    }

    static DefaultMQPushConsumer push(String group, String instance, String topic, String expr, MessageModel model,
                                      Recorder rec, String who) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        if (!ns.equals("-")) c.setNamesrvAddr(ns);
        c.setInstanceName(instance);
        c.setMessageModel(model);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, expr);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) rec.record(who, m);
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        return c;
    }

    static void produceConsume(String topic, String group, int n, String expr) throws Exception {
        DefaultMQProducer producer = producer(group);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String tag = i % 2 == 0 ? "TagA" : "TagB";
            String body = "java-sync-" + i;
            Message m = new Message(topic, tag, "key-" + i, body.getBytes(StandardCharsets.UTF_8));
            m.putUserProperty("color", "c" + i);
            sent("sync", body, producer.send(m));
            if (matches(expr, tag)) expected.add(body);
        }
        int async = Math.max(1, n / 4);
        CountDownLatch asyncDone = new CountDownLatch(async);
        for (int i = 0; i < async; i++) {
            final String body = "java-async-" + i;
            producer.send(new Message(topic, "TagA", body.getBytes(StandardCharsets.UTF_8)), new SendCallback() {
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
        sent("batch", "java-batch-*", producer.send(batch));
        producer.sendOneway(new Message(topic, "TagA", "java-oneway-0".getBytes(StandardCharsets.UTF_8)));
        if (matches(expr, "TagA")) expected.add("java-oneway-0");
        System.out.println("EXPECT " + expected.size());

        Recorder rec = new Recorder(expected.size());
        DefaultMQPushConsumer consumer = push(group, "probe-c-" + group, topic, expr, MessageModel.CLUSTERING, rec, "C");
        finish(rec, 40);
        consumer.shutdown();
        producer.shutdown();
    }

    static void consumeOnly(String topic, String group, int expect) throws Exception {
        Recorder rec = new Recorder(expect);
        DefaultMQPushConsumer consumer = push(group, "probe-c-" + group, topic, "*", MessageModel.CLUSTERING, rec, "C");
        finish(rec, 40);
        consumer.shutdown();
    }

    static int assigned(DefaultMQPushConsumer c, String topic) {
        int n = 0;
        for (MessageQueue mq : c.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().keySet()) {
            if (mq.getTopic().equals(topic)) n++;
        }
        return n;
    }

    static void group(String topic, String group, int n, int queues) throws Exception {
        // n + 1 messages (with the late one): A and B share them, C, D and L each get all.
        Recorder rec = new Recorder(4 * (n + 1));
        DefaultMQPushConsumer a = push(group, "probe-a-" + group, topic, "*", MessageModel.CLUSTERING, rec, "A");
        DefaultMQPushConsumer b = push(group, "probe-b-" + group, topic, "*", MessageModel.CLUSTERING, rec, "B");
        DefaultMQPushConsumer c = push(group + "_bc", "probe-c-" + group, topic, "*", MessageModel.BROADCASTING, rec, "C");
        DefaultMQPushConsumer d = push(group + "_bc", "probe-d-" + group, topic, "*", MessageModel.BROADCASTING, rec, "D");
        DefaultLitePullConsumer l = new DefaultLitePullConsumer(group + "_pull");
        if (!ns.equals("-")) l.setNamesrvAddr(ns);
        l.setInstanceName("probe-l-" + group);
        l.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        l.subscribe(topic, "*");
        l.start();
        Thread puller = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    for (MessageExt m : l.poll(500)) rec.record("L", m);
                } catch (Exception e) {
                    return;
                }
            }
        });
        puller.setDaemon(true);
        puller.start();

        long deadline = System.currentTimeMillis() + 30000;
        while (System.currentTimeMillis() < deadline) {
            int qa = assigned(a, topic), qb = assigned(b, topic);
            if (qa > 0 && qb > 0 && qa + qb == queues && assigned(c, topic) == queues && assigned(d, topic) == queues
                && l.assignment().size() == queues) break;
            Thread.sleep(100);
        }
        System.out.println("ASSIGNED A=" + assigned(a, topic) + " B=" + assigned(b, topic) + " C=" + assigned(c, topic)
            + " D=" + assigned(d, topic) + " L=" + l.assignment().size());
        // Rebalancing that dropped queues must have finished before messages flow.
        Thread.sleep(1500);

        DefaultMQProducer producer = producer(group);
        for (int i = 0; i < n; i++) {
            String body = "java-group-" + i;
            sent("sync", body, producer.send(new Message(topic, "TagA", body.getBytes(StandardCharsets.UTF_8))));
        }
        // Every consumer is now parked in a long poll: the late message must wake them at once.
        Thread.sleep(2000);
        long t0 = System.currentTimeMillis();
        sent("sync", "java-late", producer.send(new Message(topic, "TagA", "java-late".getBytes(StandardCharsets.UTF_8))));
        finish(rec, 40);
        long latest = 0;
        for (String who : new String[] {"C", "D", "L"}) {
            Long at = rec.arrived.get(who + "/java-late");
            if (at != null) latest = Math.max(latest, at - t0);
        }
        System.out.println("LATENCY " + latest);
        puller.interrupt();
        for (DefaultMQPushConsumer x : new DefaultMQPushConsumer[] {a, b, c, d}) x.shutdown();
        l.shutdown();
        producer.shutdown();
    }

    static void failover(String topic, int n1, int n2) throws Exception {
        DefaultMQProducer producer = producer(topic);
        for (int i = 0; i < n1; i++) {
            String body = "java-pre-" + i;
            sent("sync", body, producer.send(new Message(topic, body.getBytes(StandardCharsets.UTF_8))));
        }
        System.out.println("PAUSE");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
        for (int i = 0; i < n2; i++) {
            String body = "java-post-" + i;
            try {
                sent("sync", body, producer.send(new Message(topic, body.getBytes(StandardCharsets.UTF_8))));
            } catch (Exception e) {
                System.out.println("ERROR send " + body + " " + e.toString().replace('\n', ' '));
            }
        }
        System.out.println("DONE all");
        producer.shutdown();
    }

    /** Waits for the recorder, then a quiet second so duplicates show up, then DONE. */
    static void finish(Recorder rec, int seconds) throws Exception {
        boolean ok = rec.latch.await(seconds, TimeUnit.SECONDS);
        Thread.sleep(1000);
        System.out.println("DONE " + (ok ? "all" : "partial"));
        System.out.flush();
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
