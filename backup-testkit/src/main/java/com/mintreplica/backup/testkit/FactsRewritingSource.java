package com.mintreplica.backup.testkit;

import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * A real Source whose readers record other facts than it found: the entries go through unchanged, the facts (row or
 * document counts, a server's version) are rewritten. For tests of what a drill or a restore does with a snapshot
 * whose facts disagree with its content, as when a table changed between its count and its dump.
 *
 * <pre>{@code
 * Source miscounted = FactsRewritingSource.rewriting(real, facts -> {
 *     facts.computeIfPresent("postgresql.rows.public.orders", (k, v) -> Long.toString(Long.parseLong(v) + 1));
 *     return facts;
 * });
 * Source other = FactsRewritingSource.replacing(real, Map.of("postgresql.server.version", "9.6"));
 * }</pre>
 */
public final class FactsRewritingSource implements Source {
    private final Source delegate;
    private final UnaryOperator<Map<String, String>> rewrite;

    private FactsRewritingSource(Source delegate, UnaryOperator<Map<String, String>> rewrite) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.rewrite = Objects.requireNonNull(rewrite, "rewrite");
    }

    /**
     * {@code delegate}, its facts passed through {@code rewrite} (it gets a mutable, sorted copy and returns the facts
     * to record).
     */
    public static FactsRewritingSource rewriting(Source delegate, UnaryOperator<Map<String, String>> rewrite) {
        return new FactsRewritingSource(delegate, rewrite);
    }

    /** {@code delegate}, with the facts in {@code replaced} put over (or added to) the ones it found. */
    public static FactsRewritingSource replacing(Source delegate, Map<String, String> replaced) {
        Map<String, String> copy = Map.copyOf(replaced);
        return new FactsRewritingSource(delegate, facts -> {
            facts.putAll(copy);
            return facts;
        });
    }

    @Override
    public SourceId id() {
        return delegate.id();
    }

    @Override
    public SourceReader open(BackupContext context) throws IOException {
        SourceReader reader = delegate.open(context);
        return new SourceReader() {
            @Override
            public Optional<SourceEntry> next() throws IOException {
                return reader.next();
            }

            @Override
            public Map<String, String> facts() {
                return rewrite.apply(new TreeMap<>(reader.facts()));
            }

            @Override
            public void close() throws IOException {
                reader.close();
            }
        };
    }
}
