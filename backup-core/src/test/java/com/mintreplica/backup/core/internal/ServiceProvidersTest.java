package com.mintreplica.backup.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.core.transform.TransformerProvider;
import com.mintreplica.backup.core.transform.Transformers;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A provider that does not load is passed over and named; the providers after it still load. */
class ServiceProvidersTest {
    @TempDir
    Path dir;

    /** A provider whose constructor fails, as one whose dependencies are missing does. */
    public static final class Failing implements TransformerProvider {
        public Failing() {
            throw new IllegalStateException("the SDK of this provider is not on the class path");
        }

        @Override
        public String name() {
            return "failing";
        }

        @Override
        public String module() {
            return "backup-core-tests";
        }

        @Override
        public Transformer create(Map<String, String> parameters) {
            throw new AssertionError();
        }
    }

    /** A provider that works. */
    public static final class Working implements TransformerProvider {
        @Override
        public String name() {
            return "working";
        }

        @Override
        public String module() {
            return "backup-core-tests";
        }

        @Override
        public Transformer create(Map<String, String> parameters) {
            return Transformers.gzip();
        }
    }

    @Test
    void providers_after_a_missing_class_and_a_failing_constructor_still_load_and_the_failures_are_named() throws Exception {
        try (URLClassLoader loader = ProviderClassPath.with(dir, TransformerProvider.class, ProviderClassPath.MISSING,
                Failing.class.getName(), Working.class.getName())) {
            ServiceProviders.Loaded<TransformerProvider> loaded = ServiceProviders.load(TransformerProvider.class, loader);
            assertThat(loaded.providers()).extracting(TransformerProvider::name)
                    .contains("zstd", "gzip", "working").doesNotContain("failing");
            assertThat(loaded.failures()).hasSize(2);
            assertThat(loaded.failureNote()).contains(ProviderClassPath.MISSING).contains(Failing.class.getName())
                    .contains("the SDK of this provider is not on the class path");
        }
    }
}
