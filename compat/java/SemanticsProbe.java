import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.alibaba.fastjson.JSON;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.impl.consumer.ProcessQueue;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.RequestCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.client.utils.MessageUtil;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * Plays issue 6's messaging semantics with a stock Java client (4.9.8, or 5.3.3: the probe
 * compiles unchanged against either, never both on one classpath) for
 * compat/java_semantics_test.go: retry and dead letters, delayed messages, transactions,
 * orderly consumption and SQL92 filters, each scenario on its own thread in this one JVM (a JVM
 * costs seconds of CPU on a 2-core box; the scenarios mostly wait). The probe only acts and
 * records; every expectation lives in the Go test, which reads one JSON object per stdout line.
 *
 *   SemanticsProbe NAMESRV PREFIX SCENARIOS [SQLCASE...]
 *     SCENARIOS is a comma list of retry,delay,tx,order,sql,reply. Topics PREFIX_<scenario> must exist
 *     (delay: 1 queue, order: 4). SQLCASE is NAME|EXPECTED|EXPRESSION; EXPECTED -1 marks an
 *     expression the broker must refuse at the consumer's start.
 *
 * Events: sent, recv (with every property), check (transaction check-back), dlq (read back by
 * key), dlqquery, locked, left, assigned, startfail, started, reply (an answer to a request),
 * error, done (per scenario), end.
 * Times are this JVM's System.currentTimeMillis, so the test compares them with each other only.
 */
public class SemanticsProbe {
    static String ns;
    static String prefix;
    static final AtomicLong seq = new AtomicLong();

    public static void main(String[] args) throws Exception {
        ns = args[0];
        prefix = args[1];
        List<String> sqlCases = new ArrayList<>();
        for (int i = 3; i < args.length; i++) sqlCases.add(args[i]);
        List<Thread> threads = new ArrayList<>();
        for (String sc : args[2].split(",")) {
            Thread th = new Thread(() -> {
                boolean ok = false;
                try {
                    switch (sc) {
                        case "retry": ok = retry(); break;
                        case "delay": ok = delay(); break;
                        case "tx": ok = tx(); break;
                        case "order": ok = order(); break;
                        case "sql": ok = sql(sqlCases); break;
                        case "reply": ok = reply(); break;
                        default: emit(ev("error", sc, "msg", "unknown scenario"));
                    }
                } catch (Throwable e) {
                    emit(ev("error", sc, "msg", e.toString()));
                }
                emit(ev("done", sc, "ok", ok));
            }, "scenario-" + sc);
            th.start();
            threads.add(th);
        }
        long deadline = System.currentTimeMillis() + 110_000;
        for (Thread th : threads) th.join(Math.max(1, deadline - System.currentTimeMillis()));
        emit(ev("end", ""));
        // Shutting the clients down is not what is under test; exit does not wait for it.
        Runtime.getRuntime().halt(0);
    }

    // ---- output ------------------------------------------------------------------------------

    static Map<String, Object> ev(String ev, String sc, Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ev", ev);
        m.put("sc", sc);
        m.put("t", System.currentTimeMillis());
        for (int i = 0; i + 1 < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    static synchronized void emit(Map<String, Object> m) {
        System.out.println(JSON.toJSONString(m));
        System.out.flush();
    }

    /** A message as the listener saw it; seq orders deliveries within this JVM. */
    static Map<String, Object> msg(String ev, String sc, String who, MessageExt m) {
        return ev(ev, sc, "who", who, "seq", seq.incrementAndGet(), "body", new String(m.getBody(), StandardCharsets.UTF_8),
            "topic", m.getTopic(), "msgId", m.getMsgId(), "keys", m.getKeys(), "tags", m.getTags(),
            "reconsume", m.getReconsumeTimes(), "queueId", m.getQueueId(), "queueOffset", m.getQueueOffset(),
            "born", m.getBornTimestamp(), "stored", m.getStoreTimestamp(),
            "props", new TreeMap<>(m.getProperties()));
    }

    static void sent(String sc, String body, long t0, SendResult r, Object... extra) {
        Map<String, Object> m = ev("sent", sc, "body", body, "t0", t0, "status", r.getSendStatus().toString(),
            "msgId", r.getMsgId(), "offsetMsgId", r.getOffsetMsgId(), "queueId", r.getMessageQueue().getQueueId(),
            "queueOffset", r.getQueueOffset());
        for (int i = 0; i + 1 < extra.length; i += 2) m.put((String) extra[i], extra[i + 1]);
        emit(m);
    }

    // ---- clients -----------------------------------------------------------------------------

    static DefaultMQProducer producer(String group) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(group);
        p.setNamesrvAddr(ns);
        p.setSendMsgTimeout(10000);
        p.start();
        return p;
    }

    static DefaultMQPushConsumer consumer(String group, String topic) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(ns);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        return c;
    }

    static Message message(String topic, String tag, String body) {
        Message m = new Message(topic, tag, "K" + body, body.getBytes(StandardCharsets.UTF_8));
        m.putUserProperty("color", "c-" + body);
        return m;
    }

    static int queued(DefaultMQPushConsumer c, String topic, boolean locked) {
        int n = 0;
        for (Map.Entry<MessageQueue, ProcessQueue> e : c.getDefaultMQPushConsumerImpl().getRebalanceImpl()
            .getProcessQueueTable().entrySet()) {
            if (e.getKey().getTopic().equals(topic) && !e.getValue().isDropped() && (!locked || e.getValue().isLocked())) n++;
        }
        return n;
    }

    static List<Integer> queueIds(DefaultMQPushConsumer c, String topic) {
        List<Integer> ids = new ArrayList<>();
        for (Map.Entry<MessageQueue, ProcessQueue> e : c.getDefaultMQPushConsumerImpl().getRebalanceImpl()
            .getProcessQueueTable().entrySet()) {
            if (e.getKey().getTopic().equals(topic) && !e.getValue().isDropped()) ids.add(e.getKey().getQueueId());
        }
        ids.sort(null);
        return ids;
    }

    static boolean await(CountDownLatch l, int seconds) throws InterruptedException {
        return l.await(seconds, TimeUnit.SECONDS);
    }

    // ---- scenarios ---------------------------------------------------------------------------

    /**
     * Retry and dead letters. maxReconsumeTimes 2: ok-* succeed at once, fail1-* fail the first
     * delivery, fail2-* the first two, dead-* every one (3 deliveries, then %DLQ%group, read
     * back by key). The decision uses the delivered reconsumeTimes, so a delivery the broker
     * repeats with a wrong count shows as a wrong decision too.
     */
    static boolean retry() throws Exception {
        String sc = "retry", topic = prefix + "_retry", group = prefix + "_CGretry";
        String[] bodies = {"ok-0", "ok-1", "ok-2", "fail1-0", "fail2-0", "fail2-1", "dead-0", "dead-1"};
        int expect = 3 + 2 + 3 * 2 + 3 * 2;
        long begin = System.currentTimeMillis();
        DefaultMQProducer p = producer(prefix + "_PGretry");
        for (String b : bodies) {
            long t0 = System.currentTimeMillis();
            sent(sc, b, t0, p.send(message(topic, "TagR", b)));
        }
        CountDownLatch all = new CountDownLatch(expect);
        AtomicLong last = new AtomicLong();
        DefaultMQPushConsumer c = consumer(group, topic);
        c.setMaxReconsumeTimes(2);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            ConsumeConcurrentlyStatus st = ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            for (MessageExt m : msgs) {
                String body = new String(m.getBody(), StandardCharsets.UTF_8);
                int fails = body.startsWith("fail1") ? 1 : body.startsWith("fail2") ? 2 : body.startsWith("dead") ? 1 << 20 : 0;
                boolean later = m.getReconsumeTimes() < fails;
                if (later) st = ConsumeConcurrentlyStatus.RECONSUME_LATER;
                Map<String, Object> e = msg("recv", sc, "C", m);
                e.put("later", later);
                emit(e);
                last.set(System.currentTimeMillis());
                all.countDown();
            }
            return st;
        });
        c.start();
        boolean ok = await(all, 45);
        // The dead letters, read back by key; then a key that must not be there. The index is
        // written a moment after the message, so the first look may come too early.
        String dlq = "%DLQ%" + group;
        for (String key : new String[] {"Kdead-0", "Kdead-1", "Kfail2-0"}) {
            boolean wantFound = key.startsWith("Kdead");
            int found = 0;
            for (int i = 0; i < 40 && (found == 0) && (wantFound || i < 1); i++) {
                try {
                    for (MessageExt m : c.queryMessage(dlq, key, 32, begin - 60_000, System.currentTimeMillis() + 60_000)
                        .getMessageList()) {
                        emit(msg("dlq", sc, key, m));
                        found++;
                    }
                } catch (MQClientException e) {
                    if (i == 0 && !wantFound) emit(ev("dlqquery", sc, "key", key, "msg", e.getErrorMessage()));
                }
                if (found == 0) Thread.sleep(250);
            }
            emit(ev("dlqquery", sc, "key", key, "found", found));
        }
        // Quiet for longer than a retry delay, so a delivery too many would have arrived.
        long quietUntil = last.get() + 4000;
        while (System.currentTimeMillis() < quietUntil) Thread.sleep(100);
        c.shutdown();
        p.shutdown();
        return ok;
    }

    /**
     * Delayed messages: levels 1..3 (and 9, above the last level, 0 and -1) sent while the consumer
     * long-polls a one-queue topic; one consume thread, so arrival order is delivery order.
     */
    static boolean delay() throws Exception {
        String sc = "delay", topic = prefix + "_delay";
        // 9 is above the last level (clamped); 0 and -1 are no delay.
        int[] levels = {3, 1, 2, 1, 3, 2, 1, 9, 2, 3, 0, -1};
        CountDownLatch all = new CountDownLatch(levels.length);
        DefaultMQPushConsumer c = consumer(prefix + "_CGdelay", topic);
        c.setConsumeThreadMin(1);
        c.setConsumeThreadMax(1);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                emit(msg("recv", sc, "C", m));
                all.countDown();
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        long deadline = System.currentTimeMillis() + 20_000;
        while (queued(c, topic, false) < 1 && System.currentTimeMillis() < deadline) Thread.sleep(50);
        // Let the first pull reach the broker and park there.
        Thread.sleep(1000);
        DefaultMQProducer p = producer(prefix + "_PGdelay");
        for (int i = 0; i < levels.length; i++) {
            String body = "d" + i + "-L" + levels[i];
            Message m = message(topic, "TagD", body);
            m.setDelayTimeLevel(levels[i]);
            long t0 = System.currentTimeMillis();
            SendResult r = p.send(m);
            sent(sc, body, t0, r, "t1", System.currentTimeMillis(), "level", levels[i]);
        }
        boolean ok = await(all, 30);
        Thread.sleep(1500);
        c.shutdown();
        p.shutdown();
        return ok;
    }

    /**
     * Transactions: commit-* and rollback-* decided at once; check-commit-* and
     * check-rollback-* answer UNKNOW and decide on the broker's check-back.
     */
    static boolean tx() throws Exception {
        String sc = "tx", topic = prefix + "_tx";
        String[] bodies = {"commit-0", "rollback-0", "check-commit-0", "check-rollback-0", "commit-1", "rollback-1"};
        CountDownLatch delivered = new CountDownLatch(3);
        CountDownLatch checkedRollback = new CountDownLatch(1);
        DefaultMQPushConsumer c = consumer(prefix + "_CGtx", topic);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                emit(msg("recv", sc, "C", m));
                delivered.countDown();
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        TransactionMQProducer p = new TransactionMQProducer(prefix + "_PGtx");
        p.setNamesrvAddr(ns);
        p.setSendMsgTimeout(10000);
        p.setTransactionListener(new TransactionListener() {
            public LocalTransactionState executeLocalTransaction(Message m, Object arg) {
                String body = new String(m.getBody(), StandardCharsets.UTF_8);
                if (body.startsWith("commit")) return LocalTransactionState.COMMIT_MESSAGE;
                if (body.startsWith("rollback")) return LocalTransactionState.ROLLBACK_MESSAGE;
                return LocalTransactionState.UNKNOW;
            }

            public LocalTransactionState checkLocalTransaction(MessageExt m) {
                String body = new String(m.getBody(), StandardCharsets.UTF_8);
                emit(msg("check", sc, "P", m));
                if (body.startsWith("check-rollback")) {
                    checkedRollback.countDown();
                    return LocalTransactionState.ROLLBACK_MESSAGE;
                }
                // check-commit-*; anything else checked is an error the test reports, and
                // committing it makes it visible as a delivery too.
                return LocalTransactionState.COMMIT_MESSAGE;
            }
        });
        p.start();
        for (String b : bodies) {
            long t0 = System.currentTimeMillis();
            TransactionSendResult r = p.sendMessageInTransaction(message(topic, "TagT", b), null);
            sent(sc, b, t0, r, "local", r.getLocalTransactionState().toString());
        }
        boolean ok = await(delivered, 30) & await(checkedRollback, 30);
        // Two more check passes (transactionCheckInterval 2 s): a half message checked or
        // delivered again would show now.
        Thread.sleep(4500);
        c.shutdown();
        p.shutdown();
        return ok;
    }

    /**
     * Orderly: two instances (o1, o2) of one group split 4 queues; 6 sharding keys are sent
     * through a MessageQueueSelector (key i to queue i % 4). Phase 1 (seq 0..14) is consumed by
     * both; at a quiet point o1 shuts down and phase 2 (15..24) is sent at once, so o2 takes o1's
     * queues over while messages wait there. Phase 3 (25..44) hands queues over mid-stream: o3
     * joins and takes half the queues, every listener is slowed to 50 ms a message, and once o2
     * has consumed a few, it shuts down with messages buffered and in flight.
     */
    static boolean order() throws Exception {
        String sc = "order", topic = prefix + "_order", group = prefix + "_CGorder";
        int keys = 6, phase1 = 15, phase2 = 10, phase3 = 20;
        AtomicInteger got = new AtomicInteger();
        java.util.Set<String> distinct = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicBoolean slow = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.ConcurrentHashMap<String, AtomicInteger> byWho = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.function.Function<String, DefaultMQPushConsumer> make = who -> {
            try {
                DefaultMQPushConsumer c = consumer(group, topic);
                c.setInstanceName(prefix + "-" + who);
                c.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
                    for (MessageExt m : msgs) {
                        emit(msg("recv", sc, who, m));
                        distinct.add(new String(m.getBody(), StandardCharsets.UTF_8));
                        got.incrementAndGet();
                        byWho.computeIfAbsent(who, x -> new AtomicInteger()).incrementAndGet();
                        if (slow.get()) {
                            try {
                                Thread.sleep(50);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }
                    return ConsumeOrderlyStatus.SUCCESS;
                });
                return c;
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        };
        DefaultMQPushConsumer o1 = make.apply("o1"), o2 = make.apply("o2");
        o1.start();
        o2.start();
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            int l1 = queued(o1, topic, true), l2 = queued(o2, topic, true);
            if (l1 > 0 && l2 > 0 && l1 + l2 == 4 && queued(o1, topic, false) + queued(o2, topic, false) == 4) break;
            Thread.sleep(100);
        }
        emit(ev("locked", sc, "o1", queueIds(o1, topic), "o2", queueIds(o2, topic)));
        DefaultMQProducer p = producer(prefix + "_PGorder");
        java.util.function.BiConsumer<Integer, Integer> send = (from, to) -> {
            for (int s = from; s < to; s++) {
                for (int k = 0; k < keys; k++) {
                    String body = "k" + k + "#" + s;
                    Message m = message(topic, "TagO", body);
                    try {
                        long t0 = System.currentTimeMillis();
                        SendResult r = p.send(m, (mqs, msg, arg) -> mqs.get((Integer) arg % mqs.size()), k);
                        sent(sc, body, t0, r);
                    } catch (Exception e) {
                        emit(ev("error", sc, "msg", "send " + body + ": " + e));
                    }
                }
            }
        };
        send.accept(0, phase1);
        deadline = System.currentTimeMillis() + 30_000;
        while (got.get() < keys * phase1 && System.currentTimeMillis() < deadline) Thread.sleep(50);
        Thread.sleep(1000);
        emit(ev("left", sc, "who", "o1", "o1", queueIds(o1, topic), "o2", queueIds(o2, topic)));
        o1.shutdown();
        send.accept(phase1, phase1 + phase2);
        int upTo2 = keys * (phase1 + phase2);
        deadline = System.currentTimeMillis() + 40_000;
        while (distinct.size() < upTo2 && System.currentTimeMillis() < deadline) Thread.sleep(50);
        Thread.sleep(1500);
        emit(ev("assigned", sc, "o2", queueIds(o2, topic)));

        // o3 joins at a quiet point: a client drops a queue whose buffer is not empty only after
        // 20 s (unlockDelay), which would stall the join, not test the broker.
        emit(ev("joined", sc, "who", "o3"));
        DefaultMQPushConsumer o3 = make.apply("o3");
        o3.start();
        deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            int l2 = queued(o2, topic, true), l3 = queued(o3, topic, true);
            if (l2 > 0 && l3 > 0 && l2 + l3 == 4 && queued(o2, topic, false) + queued(o3, topic, false) == 4) break;
            Thread.sleep(50);
        }
        emit(ev("locked", sc, "o2", queueIds(o2, topic), "o3", queueIds(o3, topic)));
        slow.set(true);
        AtomicInteger o2Got = byWho.computeIfAbsent("o2", x -> new AtomicInteger());
        int o2Before = o2Got.get();
        send.accept(phase1 + phase2, phase1 + phase2 + phase3);
        // Take o2 away mid-stream: a few of its phase-3 messages consumed, the rest buffered or
        // in flight.
        deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline && o2Got.get() < o2Before + 6) Thread.sleep(10);
        emit(ev("left", sc, "who", "o2", "o2", queueIds(o2, topic), "o3", queueIds(o3, topic),
            "phase3Consumed", o2Got.get() - o2Before));
        o2.shutdown();
        int all = keys * (phase1 + phase2 + phase3);
        deadline = System.currentTimeMillis() + 40_000;
        while (distinct.size() < all && System.currentTimeMillis() < deadline) Thread.sleep(50);
        Thread.sleep(1500);
        emit(ev("assigned", sc, "o3", queueIds(o3, topic)));
        o3.shutdown();
        p.shutdown();
        return distinct.size() >= all;
    }

    /**
     * SQL92: 12 messages with user properties a (0..11), color (red/green/blue by a % 3) and b
     * (only when a is even), then one consumer group per case. A refused expression must make
     * the consumer's start fail; such consumers get their own client instance, because a
     * consumer whose start failed stays registered in its instance and would make every later
     * start there fail too.
     */
    static boolean sql(List<String> cases) throws Exception {
        String sc = "sql", topic = prefix + "_sql";
        String[] colors = {"red", "green", "blue"};
        DefaultMQProducer p = producer(prefix + "_PGsql");
        for (int a = 0; a < 12; a++) {
            String body = "s" + a;
            Message m = message(topic, "TagS", body);
            m.putUserProperty("a", Integer.toString(a));
            m.putUserProperty("color", colors[a % 3]);
            if (a % 2 == 0) m.putUserProperty("b", "x" + a);
            long t0 = System.currentTimeMillis();
            sent(sc, body, t0, p.send(m));
        }
        List<DefaultMQPushConsumer> started = new ArrayList<>();
        List<CountDownLatch> latches = new ArrayList<>();
        for (String spec : cases) {
            String[] f = spec.split("\\|", 3);
            String name = f[0], expr = f[2];
            int expect = Integer.parseInt(f[1]);
            CountDownLatch l = new CountDownLatch(Math.max(expect, 0));
            DefaultMQPushConsumer c = new DefaultMQPushConsumer(prefix + "_CGsql_" + name);
            c.setNamesrvAddr(ns);
            c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
            if (expect < 0) c.setInstanceName(prefix + "-sql-" + name);
            c.subscribe(topic, MessageSelector.bySql(expr));
            c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                for (MessageExt m : msgs) {
                    emit(msg("recv", sc, name, m));
                    l.countDown();
                }
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
            try {
                c.start();
                emit(ev("started", sc, "who", name));
                started.add(c);
                latches.add(l);
            } catch (MQClientException e) {
                emit(ev("startfail", sc, "who", name, "code", e.getResponseCode(), "msg", e.getErrorMessage()));
                try {
                    c.shutdown();
                } catch (Throwable ignored) {
                    // The failed consumer only needs to stop heartbeating.
                }
            }
        }
        boolean ok = true;
        for (CountDownLatch l : latches) ok &= await(l, 30);
        Thread.sleep(1500);
        for (DefaultMQPushConsumer c : started) c.shutdown();
        p.shutdown();
        return ok;
    }

    // ---- request-reply -------------------------------------------------------------------------

    /**
     * Three requests to PREFIX_reply; a consumer answers each with MessageUtil.createReplyMessage,
     * sent by another producer. Each answer the requester gets is a reply event. The requests use
     * request(msg, RequestCallback, timeout): the 5.3.3 client's blocking request(msg, timeout)
     * releases its wait as soon as the request itself is acknowledged, so it reports a timeout
     * before any reply can arrive, against the stock 4.9.8 broker as well.
     */
    static boolean reply() throws Exception {
        String sc = "reply", topic = prefix + "_reply";
        DefaultMQProducer replier = producer(prefix + "_PGreplier");
        DefaultMQPushConsumer c = consumer(prefix + "_CGreply", topic);
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                try {
                    byte[] answer = ("reply-" + new String(m.getBody(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
                    replier.send(MessageUtil.createReplyMessage(m, answer));
                } catch (Exception e) {
                    emit(ev("error", sc, "msg", "reply: " + e));
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        DefaultMQProducer requester = producer(prefix + "_PGrequester");
        CountDownLatch answered = new CountDownLatch(3);
        for (int i = 0; i < 3; i++) {
            String body = "rq-" + i;
            requester.request(message(topic, "TagQ", body), new RequestCallback() {
                @Override
                public void onSuccess(Message r) {
                    emit(ev("reply", sc, "body", new String(r.getBody(), StandardCharsets.UTF_8), "topic", r.getTopic(),
                        "keys", body, "props", new TreeMap<>(r.getProperties())));
                    answered.countDown();
                }

                @Override
                public void onException(Throwable e) {
                    emit(ev("error", sc, "msg", "request " + body + ": " + e));
                    answered.countDown();
                }
            }, 20000);
        }
        return answered.await(30, TimeUnit.SECONDS);
    }
}
