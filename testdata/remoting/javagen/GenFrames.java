// GenFrames writes frames encoded by the stock RocketMQ 4.9.8 RemotingCommand, one JSON object
// per line, as golden input for remoting's codec tests (java-frames.jsonl). Run with
// testdata/remoting/javagen/gen.sh; the output is committed, so tests never need Java.
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.HashMap;
import org.apache.rocketmq.remoting.protocol.LanguageCode;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.SerializeType;

public class GenFrames {
    static void emit(String name, RemotingCommand c) {
        for (SerializeType st : SerializeType.values()) {
            c.setSerializeTypeCurrentRPC(st);
            ByteBuffer bb = c.encode();
            byte[] b = new byte[bb.remaining()];
            bb.get(b);
            StringBuilder ext = new StringBuilder();
            if (c.getExtFields() == null) {
                ext.append("null");
            } else {
                ext.append('{');
                boolean first = true;
                for (java.util.Map.Entry<String, String> e : c.getExtFields().entrySet()) {
                    if (!first) ext.append(',');
                    first = false;
                    ext.append('"').append(b64(e.getKey())).append("\":\"").append(b64(e.getValue())).append('"');
                }
                ext.append('}');
            }
            System.out.println("{\"name\":\"" + name + "\",\"serialize\":\"" + st + "\",\"code\":" + c.getCode()
                + ",\"language\":\"" + c.getLanguage() + "\",\"version\":" + c.getVersion() + ",\"opaque\":" + c.getOpaque()
                + ",\"flag\":" + c.getFlag() + ",\"remark\":" + (c.getRemark() == null ? "null" : "\"" + b64(c.getRemark()) + "\"")
                + ",\"extFieldsB64\":" + ext + ",\"frame\":\"" + Base64.getEncoder().encodeToString(b) + "\"}");
        }
    }

    static String b64(String s) {
        return s == null ? "" : Base64.getEncoder().encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public static void main(String[] args) {
        RemotingCommand c = RemotingCommand.createRequestCommand(105, null);
        c.addExtField("topic", "TopicTest");
        c.setOpaque(1);
        emit("route-request", c);

        c = RemotingCommand.createResponseCommand(17, "No topic route info in name server for the topic: X\nSee http://rocketmq.apache.org/docs/faq/ for further details.");
        c.setOpaque(7);
        emit("error-response", c);

        StringBuilder sb = new StringBuilder();
        for (int ch = 0; ch < 0xA1; ch++) sb.append((char) ch);
        sb.append("/<>&\u2028\u2029\uFEFF\uD83D\uDE00\u00e9\u4e2d\u00bf\u00c2");
        c = RemotingCommand.createRequestCommand(310, null);
        c.setRemark(sb.toString());
        c.addExtField("i", "UNIQ_KEY\u0001FD00\u0002WAIT\u0001true");
        c.addExtField("k\"\\", "v\t\u2028");
        c.setOpaque(-5);
        emit("escapes", c);

        c = RemotingCommand.createResponseCommand(0, null);
        c.setExtFields(new HashMap<String, String>());
        c.setOpaque(Integer.MAX_VALUE);
        emit("empty-ext", c);

        c = RemotingCommand.createResponseCommand(0, "");
        c.setOpaque(Integer.MIN_VALUE);
        emit("empty-remark", c);

        c = RemotingCommand.createRequestCommand(40000, null);
        c.markOnewayRPC();
        c.setLanguage(LanguageCode.GO);
        c.setVersion(317);
        c.addExtField("a", "");
        c.addExtField("b", "x");
        c.setBody(new byte[] {1, 2, 3, 0, (byte) 255});
        emit("oneway-wide-code", c);

        c = RemotingCommand.createResponseCommand(19, "OFFSET_OVERFLOW_ONE");
        c.addExtField("suggestWhichBrokerId", "0");
        c.addExtField("nextBeginOffset", "5");
        c.addExtField("maxOffset", "5");
        c.addExtField("minOffset", "0");
        c.setOpaque(7);
        emit("pull-not-found", c);
    }
}
