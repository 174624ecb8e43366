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

/**
 * Opens {@code hanging:///path} repositories for tests: a real local-directory Sink at {@code path}, through a
 * {@link FaultInjectingSink} whose pack writes ({@code data/}) hang while {@link #hangPacks} is on, as a store that
 * stops answering does. Found through {@code META-INF/services} like any Sink module, so a job's config can name it.
 * Test-only state is static because the jobs layer opens its Sinks itself.
 */
public final class HangingSinkProvider implements SinkProvider {
    private static final List<FaultInjectingSink> OPENED = new CopyOnWriteArrayList<>();
    private static volatile boolean hangPacks;

    /** From now on, pack writes of Sinks opened by this provider hang until {@link #releaseAll()}. */
    static void hangPacks() {
        hangPacks = true;
    }

    /** Lets every hung call go on, and stops hanging. */
    static void releaseAll() {
        hangPacks = false;
        OPENED.forEach(FaultInjectingSink::release);
        OPENED.clear();
    }

    /** How many calls hang now. */
    static int hanging() {
        return OPENED.stream().mapToInt(FaultInjectingSink::hangingCalls).sum();
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
        FaultInjectingSink sink = new FaultInjectingSink(new LocalDirectorySink(Path.of(uri.getPath())));
        if (hangPacks) {
            sink.hang(name -> name.startsWith("data/"), FaultInjectingSink.Call.PUT);
        }
        OPENED.add(sink);
        return sink;
    }
}
