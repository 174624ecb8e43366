package com.mintreplica.backup.jobs;

import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.sink.SinkProvider;
import com.mintreplica.backup.testkit.FaultInjectingSink;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiPredicate;

/**
 * Opens {@code hanging:///path} repositories for tests: a real local-directory Sink at {@code path}, through a
 * {@link FaultInjectingSink} whose calls hang on demand, as a store that stops answering does: pack writes
 * ({@code data/}) while {@link #hangPacks} is on, or the calls {@link #hang} names. Found through
 * {@code META-INF/services} like any Sink module, so a job's config can name it. Test-only state is static because the
 * jobs layer opens its Sinks itself.
 */
public final class HangingSinkProvider implements SinkProvider {
    private record Opened(Path root, FaultInjectingSink sink) {
    }

    private static final List<Opened> OPENED = new CopyOnWriteArrayList<>();
    private static volatile boolean hangPacks;
    private static volatile BiPredicate<Path, String> where;
    private static volatile FaultInjectingSink.Call[] calls = new FaultInjectingSink.Call[0];

    /** From now on, pack writes of Sinks opened by this provider hang until {@link #releaseAll()}. */
    static void hangPacks() {
        hangPacks = true;
    }

    /**
     * From now on, {@code calls} on objects (for LIST: prefixes) for which {@code which} holds, given the repository's
     * directory and the name, hang until {@link #releaseAll()}: in the Sinks opened already and those opened later.
     */
    static void hang(BiPredicate<Path, String> which, FaultInjectingSink.Call... hangingCalls) {
        where = which;
        calls = hangingCalls.clone();
        OPENED.forEach(HangingSinkProvider::apply);
    }

    private static void apply(Opened o) {
        BiPredicate<Path, String> rule = where;
        if (rule != null) {
            o.sink().hang(name -> rule.test(o.root(), name), calls);
        } else if (hangPacks) {
            o.sink().hang(name -> name.startsWith("data/"), FaultInjectingSink.Call.PUT);
        }
    }

    /** Lets every hung call go on, and stops hanging. */
    static void releaseAll() {
        hangPacks = false;
        where = null;
        OPENED.forEach(o -> o.sink().release());
        OPENED.clear();
    }

    /** How many calls hang now. */
    static int hanging() {
        return OPENED.stream().mapToInt(o -> o.sink().hangingCalls()).sum();
    }

    @Override
    public Set<String> schemes() {
        return Set.of("hanging");
    }

    @Override
    public String module() {
        return "backup-jobs tests";
    }

    @Override
    public Sink open(URI uri) {
        Path root = Path.of(uri.getPath());
        Opened o = new Opened(root, new FaultInjectingSink(new LocalDirectorySink(root)));
        apply(o);
        OPENED.add(o);
        return o.sink();
    }
}
