package com.mintreplica.backup.core.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.internal.ProviderClassPath;
import java.net.URI;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One Source provider that does not load never hides the others, by scheme or by kind. */
class SourcesProviderLookupTest {
    @TempDir
    Path dir;

    public static final class Failing extends Working {
        public Failing() {
            throw new IllegalStateException("the database driver is not on the class path");
        }
    }

    public static class Working implements SourceProvider {
        @Override
        public String kind() {
            return "testkind";
        }

        @Override
        public Set<String> schemes() {
            return Set.of("testsrc");
        }

        @Override
        public String module() {
            return "backup-core tests";
        }

        @Override
        public Source source(URI location, Map<String, String> options) {
            throw new UnsupportedOperationException("not needed to find the provider");
        }

        @Override
        public RestoreTarget target(Optional<URI> location, Map<String, String> options) {
            throw new UnsupportedOperationException("not needed to find the provider");
        }
    }

    @Test
    void providers_after_a_broken_one_are_found_by_scheme_and_by_kind() throws Exception {
        try (URLClassLoader loader = ProviderClassPath.with(dir, SourceProvider.class, ProviderClassPath.MISSING,
                Failing.class.getName(), Working.class.getName())) {
            assertThat(Sources.forLocation(URI.create("testsrc://db/ledger"), loader)).isInstanceOf(Working.class);
            assertThat(Sources.forKind("testkind", loader)).containsInstanceOf(Working.class);
            assertThatThrownBy(() -> Sources.forLocation(URI.create("nope://x"), loader))
                    .isInstanceOf(UnsupportedException.class)
                    .hasMessageContaining("testsrc")
                    .hasMessageContaining("the database driver is not on the class path");
        }
    }
}
