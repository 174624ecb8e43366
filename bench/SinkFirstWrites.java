import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.ObjectKind;
import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;

/**
 * A local Sink's first writes on a repository, for bench/first-write.sh: into locks/ (what a run's lock costs), a
 * data/xx/ and snapshots/, each as milliseconds of wall clock and of the thread's CPU. Removes what it wrote.
 * {@code java -cp backup-cli/target/mint-backup.jar bench/SinkFirstWrites.java REPO}
 */
public class SinkFirstWrites {
    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        var mx = ManagementFactory.getThreadMXBean();
        LocalDirectorySink sink = new LocalDirectorySink(root);
        String[] names = {"locks/bench-" + ProcessHandle.current().pid(), "data/ab/bench-" + ProcessHandle.current().pid(),
                "snapshots/bench-" + ProcessHandle.current().pid()};
        StringBuilder out = new StringBuilder();
        for (String name : names) {
            long cpu = mx.getCurrentThreadCpuTime();
            long t = System.nanoTime();
            sink.putIfAbsent(name, new ByteArrayInputStream(new byte[300]), 300, ObjectKind.LOCK);
            out.append(String.format("%s %.1f ms (cpu %.1f) | ", name.substring(0, name.indexOf('/')),
                    (System.nanoTime() - t) / 1e6, (mx.getCurrentThreadCpuTime() - cpu) / 1e6));
        }
        for (String name : names) {
            sink.delete(name);
        }
        sink.close();
        System.out.println(out);
    }
}
