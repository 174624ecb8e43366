package com.mintreplica.backup.core.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.internal.ProviderClassPath;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A recorded transformer is rebuilt although another transformer provider on the class path does not load. */
class TransformersProviderLookupTest {
    @TempDir
    Path dir;

    public static final class Failing implements TransformerProvider {
        public Failing() {
            throw new IllegalStateException("the native library of this codec is missing");
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

    @Test
    void a_recorded_transformer_is_rebuilt_past_a_provider_that_does_not_load() throws Exception {
        try (URLClassLoader loader = ProviderClassPath.with(dir, TransformerProvider.class, ProviderClassPath.MISSING,
                Failing.class.getName())) {
            // the class path's own services file (zstd, gzip) comes first; the broken entries follow it, and the
            // lookup of a name that none has must still get to the end and say what is available
            assertThat(Transformers.create("gzip", Map.of(), loader).name()).isEqualTo("gzip");
            assertThatThrownBy(() -> Transformers.create("brotli", Map.of(), loader))
                    .isInstanceOf(UnsupportedException.class)
                    .hasMessageContaining("Available: [gzip, zstd]")
                    .hasMessageContaining("the native library of this codec is missing");
        }
    }
}
