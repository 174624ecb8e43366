package com.mintreplica.backup.mongo;

import com.mintreplica.backup.core.CorruptDataException;
import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.RestoreContext;
import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.mongo.internal.BsonDocumentStream;
import com.mintreplica.backup.mongo.internal.CollectionMetadata;
import com.mintreplica.backup.mongo.internal.DumpPaths;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a MongoDB snapshot without restoring it (what {@code mongorestore --dryRun} would want to be): every
 * {@code .bson} entry parses as a sequence of complete BSON documents, every {@code .metadata.json} as mongodump
 * metadata, and each collection's document count equals the count the snapshot recorded. It writes nothing and needs
 * no server.
 *
 * <pre>{@code
 * MongoVerifier verifier = MongoVerifier.create();
 * repository.restore(SnapshotSelector.latest()).to(verifier).run();   // throws CorruptDataException when damaged
 * }</pre>
 *
 * <p>It reads every entry to its end and collects every problem before {@link #finish()} throws a
 * {@link CorruptDataException} that names the entries and collections at fault; {@link #report()} holds the details.
 */
public final class MongoVerifier implements RestoreTarget {
    private static final Logger LOG = LoggerFactory.getLogger(MongoVerifier.class);
    private static final int MAX_METADATA = 16 << 20;

    private RestoreContext context;
    private final Map<String, Long> read = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();
    private MongoRestoreReport report;

    private MongoVerifier() {
    }

    public static MongoVerifier create() {
        return new MongoVerifier();
    }

    /** The result of the last check, once it finished (also when it failed). */
    public Optional<MongoRestoreReport> report() {
        return Optional.ofNullable(report);
    }

    @Override
    public void begin(RestoreContext context) {
        if (!context.snapshot().source().kind().equals(MongoSource.KIND)) {
            throw new InvalidInputException("snapshot " + context.snapshot().id() + " is of " + context.snapshot().source()
                    + ", not a MongoDB backup");
        }
        this.context = context;
        read.clear();
        problems.clear();
        report = null;
    }

    @Override
    public void write(Entry entry, InputStream content) throws IOException {
        Optional<DumpPaths.Parsed> parsed = DumpPaths.of(entry);
        if (parsed.isEmpty()) {
            return;
        }
        DumpPaths.Parsed p = parsed.get();
        try {
            if (p.kind() == DumpPaths.Kind.METADATA) {
                byte[] json = content.readNBytes(MAX_METADATA + 1);
                if (json.length > MAX_METADATA) {
                    throw new CorruptDataException("entry '" + entry.path() + "' is larger than 16 MiB: not a collection's metadata");
                }
                try {
                    CollectionMetadata.parse(new String(json, StandardCharsets.UTF_8), p.collection());
                } catch (IllegalArgumentException e) {
                    throw new CorruptDataException("entry '" + entry.path() + "' is not mongodump metadata: " + e.getMessage());
                }
                return;
            }
            BsonDocumentStream documents = new BsonDocumentStream(content, entry.path());
            byte[] doc;
            while ((doc = documents.next()) != null) {
                documents.check(doc);
            }
            read.merge(p.namespace(), documents.documents(), Long::sum);
        } catch (CorruptDataException e) {
            // keep going: the other entries are checked too, and finish() reports everything at once
            problems.add(e.getMessage());
            read.putIfAbsent(p.namespace(), -1L);
        }
    }

    @Override
    public void finish() {
        Map<String, Long> expected = MongoFacts.counts(context.snapshot().facts());
        List<MongoRestoreReport.CollectionCheck> checks = new ArrayList<>();
        read.forEach((ns, n) -> {
            Long recorded = expected.get(ns);
            if (n >= 0) {
                checks.add(new MongoRestoreReport.CollectionCheck(ns, ns,
                        recorded == null ? OptionalLong.empty() : OptionalLong.of(recorded), n, n, 0));
            }
        });
        if (!context.partial()) {
            expected.keySet().stream().filter(ns -> !read.containsKey(ns)).forEach(ns -> problems.add(ns
                    + ": the snapshot records " + expected.get(ns) + " documents but has no entry with its documents"));
        }
        report = new MongoRestoreReport(context.snapshot().id(), checks, problems);
        if (!report.ok()) {
            throw new CorruptDataException("snapshot " + context.snapshot().id() + " is not a sound MongoDB dump: "
                    + report.summary());
        }
        LOG.info("snapshot {}: {}", context.snapshot().id(), report.summary());
    }
}
