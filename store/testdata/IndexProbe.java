// IndexProbe drives the stock Java 4.9.8 IndexFile for TestIndexAgainstJava: it reads a
// tab-separated script (OPEN path slots items | PUT key phyOffset storeTimestamp | FLUSH |
// QUERY key maxNum begin end) and prints "R <offsets>" for every QUERY.
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import org.apache.rocketmq.store.index.IndexFile;

public class IndexProbe {
  public static void main(String[] a) throws Exception {
    List<String> lines = Files.readAllLines(Paths.get(a[0]), StandardCharsets.UTF_8);
    IndexFile f = null;
    StringBuilder out = new StringBuilder();
    for (String line : lines) {
      String[] p = line.split("\t");
      switch (p[0]) {
        case "OPEN":
          f = new IndexFile(p[1], Integer.parseInt(p[2]), Integer.parseInt(p[3]), 0, 0);
          f.load();
          break;
        case "PUT":
          if (!f.putKey(p[1], Long.parseLong(p[2]), Long.parseLong(p[3]))) out.append("FULL\n");
          break;
        case "QUERY":
          List<Long> offs = new ArrayList<>();
          f.selectPhyOffset(offs, p[1], Integer.parseInt(p[2]), Long.parseLong(p[3]), Long.parseLong(p[4]));
          StringBuilder b = new StringBuilder();
          for (Long o : offs) { if (b.length() > 0) b.append(' '); b.append(o); }
          out.append("R ").append(b).append('\n');
          break;
        case "FLUSH":
          f.flush();
          break;
      }
    }
    System.out.print(out);
    System.exit(0);
  }
}
