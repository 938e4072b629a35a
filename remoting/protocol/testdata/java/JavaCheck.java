// JavaCheck reads bodies written by our Go encoders and hands back what the stock 4.9.8 Java
// classes make of them: each stdin line is "id className mode base64"; mode "compact" parses
// with fastjson into className and writes RemotingSerializable.toJson(obj, false); "standard"
// writes it with the NameServer's features for new clients (BrowserCompatible, …); "pretty"
// does the same with pretty output (the broker's config files); "register" decodes a
// compressed REGISTER_BROKER body with RegisterBrokerBody.decode; "header" takes a JSON object
// of extFields, decodes it into the custom header class with decodeCommandCustomHeader,
// encodes that header back the way Java sends it (makeCustomHeaderToNet) and writes the
// resulting extFields map in its HashMap order. Each answer line is "id OK base64" or
// "id ERR message". Used by the protocol package's tests; run as a single-file source program
// against the jars in lib/.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;

import com.alibaba.fastjson.JSON;
import com.alibaba.fastjson.TypeReference;
import com.alibaba.fastjson.serializer.SerializerFeature;
import org.apache.rocketmq.common.protocol.body.RegisterBrokerBody;
import org.apache.rocketmq.remoting.CommandCustomHeader;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.RemotingSerializable;

public class JavaCheck {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] p = line.split(" ", 4);
            try {
                byte[] body = Base64.getDecoder().decode(p[3]);
                String out;
                if (p[2].equals("register")) {
                    out = RegisterBrokerBody.decode(body, true).toJson();
                } else if (p[2].equals("header")) {
                    HashMap<String, String> ext = JSON.parseObject(new String(body, StandardCharsets.UTF_8),
                        new TypeReference<HashMap<String, String>>() { });
                    RemotingCommand req = RemotingCommand.createRequestCommand(0, null);
                    req.setExtFields(ext);
                    @SuppressWarnings("unchecked")
                    Class<? extends CommandCustomHeader> cls = (Class<? extends CommandCustomHeader>) Class.forName(p[1]);
                    CommandCustomHeader h = req.decodeCommandCustomHeader(cls);
                    RemotingCommand again = RemotingCommand.createRequestCommand(0, h);
                    again.makeCustomHeaderToNet();
                    out = JSON.toJSONString(again.getExtFields());
                } else if (p[2].equals("standard")) {
                    // The NameServer's route form for new clients (DefaultRequestProcessor).
                    Object obj = JSON.parseObject(new String(body, StandardCharsets.UTF_8), Class.forName(p[1]));
                    out = JSON.toJSONString(obj, SerializerFeature.BrowserCompatible, SerializerFeature.QuoteFieldNames,
                        SerializerFeature.SkipTransientField, SerializerFeature.MapSortField);
                } else {
                    Object obj = JSON.parseObject(new String(body, StandardCharsets.UTF_8), Class.forName(p[1]));
                    out = RemotingSerializable.toJson(obj, p[2].equals("pretty"));
                }
                System.out.println(p[0] + " OK " + Base64.getEncoder().encodeToString(out.getBytes(StandardCharsets.UTF_8)));
            } catch (Throwable t) {
                System.out.println(p[0] + " ERR " + t.toString().replace('\n', ' '));
            }
        }
    }
}
