// Dump prints, for each properties file named on the command line, the keys and values
// java.util.Properties.load(Reader) reads from it as one JSON object per line ("ERROR" when load
// rejects the file). It produced java_properties_golden.json (JDK 17): run
// `java Dump.java c0.properties c1.properties ...` over the inputs listed there.
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
public class Dump {
  static String q(String s){StringBuilder b=new StringBuilder("\"");for(char c: s.toCharArray()){ if(c=='"'||c=='\\'){b.append('\\').append(c);} else if(c<0x20||c>0x7e){b.append(String.format("\\u%04x",(int)c));} else b.append(c);} return b.append('"').toString();}
  public static void main(String[] a) throws Exception {
    for (String f : a) {
      Properties p = new Properties();
      StringBuilder out = new StringBuilder();
      try (Reader r = new InputStreamReader(new FileInputStream(f), StandardCharsets.UTF_8)) {
        p.load(r);
        TreeMap<String,String> m = new TreeMap<>();
        for (String k : p.stringPropertyNames()) m.put(k, p.getProperty(k));
        out.append("{");
        boolean first=true;
        for (Map.Entry<String,String> e : m.entrySet()) { if(!first) out.append(","); first=false; out.append(q(e.getKey())).append(":").append(q(e.getValue())); }
        out.append("}");
      } catch (IllegalArgumentException e) { out.append("\"ERROR\""); }
      System.out.println(out);
    }
  }
}
