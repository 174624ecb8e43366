package com.mintreplica.backup.core.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.internal.ProviderClassPath;
import java.net.URI;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One Sink provider that does not load (a missing class, a failing constructor) never hides the others. */
class SinksProviderLookupTest {
    @TempDir
    Path dir;

    public static final class Failing implements SinkProvider {
        public Failing() {
            throw new NoClassDefFoundError("com/example/cloud/StorageClient");
        }

        @Override
        public Set<String> schemes() {
            return Set.of("failing");
        }

        @Override
        public String module() {
            return "failing";
        }

        @Override
        public Sink open(URI uri) {
            throw new AssertionError();
        }
    }

    /** {@code testdir:///some/path}: a local directory. */
    public static final class Working implements SinkProvider {
        @Override
        public Set<String> schemes() {
            return Set.of("testdir");
        }

        @Override
        public String module() {
            return "backup-core tests";
        }

        @Override
        public Sink open(URI uri) {
            return new LocalDirectorySink(Path.of(uri.getPath()));
        }
    }

    @Test
    void a_scheme_whose_provider_comes_after_a_broken_one_opens() throws Exception {
        try (URLClassLoader loader = ProviderClassPath.with(dir.resolve("cp"), SinkProvider.class,
                ProviderClassPath.MISSING, Failing.class.getName(), Working.class.getName());
             Sink sink = Sinks.open(URI.create("testdir://" + dir.resolve("repo")), loader)) {
            assertThat(sink).isInstanceOf(LocalDirectorySink.class);
        }
    }

    @Test
    void an_unknown_scheme_is_unsupported_and_the_message_names_the_providers_that_did_not_load() throws Exception {
        try (URLClassLoader loader = ProviderClassPath.with(dir.resolve("cp"), SinkProvider.class,
                ProviderClassPath.MISSING, Failing.class.getName(), Working.class.getName())) {
            assertThatThrownBy(() -> Sinks.open(URI.create("nope://bucket"), loader))
                    .isInstanceOf(UnsupportedException.class)
                    .hasMessageContaining("no Sink handles 'nope://'")
                    .hasMessageContaining("testdir")
                    .hasMessageContaining(ProviderClassPath.MISSING)
                    .hasMessageContaining("com/example/cloud/StorageClient");
        }
    }
}
