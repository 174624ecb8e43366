package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.CopyResult;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.Snapshot;
import com.mintreplica.backup.core.SnapshotSelector;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "copy", description = {
    "Copy snapshots, with their data, into another repository: local to S3, S3 to GCS, any two.",
    "Only what the target lacks is sent; every blob is checked as it is read and encoded for the target's"
            + " compression and encryption; a snapshot appears in the target only once all its data is there. A copy"
            + " that was interrupted resumes when run again: the snapshots it finished are skipped, and of the one it"
            + " was copying, the blobs in packs it had indexed (every few packs) are not sent again; in an encrypted"
            + " pair its blobs are still read again to learn their ids in the target. The target must exist (mint-backup init)."})
final class CopyCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Option(names = "--from", required = true, paramLabel = "R1", description = "The repository to copy from.")
    String from;

    @Option(names = "--to", required = true, paramLabel = "R2", description = "The repository to copy into.")
    String to;

    @Option(names = "--key", paramLabel = "SECRET.asc",
            description = "An OpenPGP secret key that opens an encrypted source or target (repeatable). Default: $"
                    + RepositoryOptions.KEY_ENV + ".")
    List<Path> keys = new ArrayList<>();

    @Option(names = "--passphrase-file", paramLabel = "F",
            description = "A file whose first line is the secret key's passphrase. Default: $" + RepositoryOptions.PASSPHRASE_ENV + ".")
    Path passphraseFile;

    @Option(names = "--writer-key", paramLabel = "F",
            description = "Copy into an encrypted target with this writer key only (mint-backup key writer export): no"
                    + " secret key of the target needed. Default: $" + RepositoryOptions.WRITER_KEY_ENV + ".")
    Path writerKey;

    @Option(names = "--no-cache",
            description = "Keep no local cache of either repository's snapshot summaries and tree packs (by default in"
                    + " $XDG_CACHE_HOME/mint-backup, or ~/.cache/mint-backup).")
    boolean noCache;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "The local cache of both repositories' snapshot summaries and tree packs. Default: $"
                    + RepositoryOptions.CACHE_ENV + "/mint-backup, else ~/.cache/mint-backup.")
    Path cacheDir;

    @Parameters(paramLabel = "SNAPSHOT", arity = "0..*",
            description = "The snapshots to copy: ids, 'latest', ... Default: all of them.")
    List<String> snapshots = new ArrayList<>();

    @picocli.CommandLine.Mixin
    StallOption stall;

    @Override
    public Integer call() throws Exception {
        CliAudit.Facts facts = new CliAudit.Facts();
        facts.repository = to;
        return CliAudit.around(root, com.mintreplica.backup.jobs.audit.AuditOperation.COPY, facts, () -> copy(facts));
    }

    private int copy(CliAudit.Facts facts) {
        stall.get(); // a bad duration is reported before anything is read
        RepositoryOptions targetOptions = options(to);
        targetOptions.writerKey = writerKey;
        try (Repository source = openEnd(options(from)); Repository target = openTarget(targetOptions)) {
            if (source.encryption().isEmpty() && target.encryption().isEmpty() && !targetOptions.keyFiles(root).isEmpty()) {
                root.err.println("warning: neither repository is encrypted: the keys given are not used");
            }
            List<Snapshot> chosen;
            if (snapshots.isEmpty()) {
                chosen = source.snapshots();
            } else {
                Map<String, Snapshot> byId = new LinkedHashMap<>();
                for (String s : snapshots) {
                    Snapshot snapshot = source.snapshot(SnapshotSelector.parse(s));
                    byId.put(snapshot.id(), snapshot);
                }
                chosen = new ArrayList<>(byId.values());
            }
            CopyResult result = source.copyTo(target, chosen, stall.get());
            facts.bytes = result.bytesCopied();
            facts.snapshot = result.copied().size() == 1 ? result.copied().get(0) : null;
            facts.detail = "from " + com.mintreplica.backup.core.sink.Sinks.redact(from) + ": " + result.copied().size()
                    + " snapshots copied, " + result.skipped().size() + " already there";
            for (String id : result.copied()) {
                root.out.println("copied snapshot " + id);
            }
            root.out.println("copied " + result.copied().size() + " snapshot" + (result.copied().size() == 1 ? "" : "s")
                    + " to " + target.location() + ": " + result.blobsCopied() + " blobs and " + result.objectsCopied()
                    + " objects sent, " + Format.bytes(result.bytesCopied()) + " of data, "
                    + Format.bytes(result.bytesStored()) + " stored; " + result.skipped().size() + " already there");
            if (snapshots.isEmpty()) {
                // the whole repository: its PostgreSQL WAL archives too (wal/, outside snapshots)
                for (String cluster : com.mintreplica.backup.postgres.wal.WalArchive.clusters(source)) {
                    int n = com.mintreplica.backup.postgres.wal.WalArchive.open(source, cluster).copyTo(target).size();
                    root.out.println("copied " + n + " WAL file" + (n == 1 ? "" : "s") + " of cluster '" + cluster + "'");
                }
            }
        }
        return MintBackup.OK;
    }

    /**
     * The source is read: with --key, never with a writer key. With the reader's local cache, as restore and ls have
     * it: a copy reads tree blobs one at a time (those of the snapshot, and those of the snapshot copied before, on
     * both sides), and the cache fetches a tree pack once, where each read was a request to the store (480 ranged GETs
     * out of S3 for the copy of a snapshot after 2% of the bench tree changed).
     */
    private Repository openReadable(RepositoryOptions options) {
        List<com.mintreplica.backup.crypto.OpenPgpSecretKey> secret = options.secretKeys(root);
        Repository repository = secret.isEmpty() ? Repository.open(options.location(root))
                : Repository.open(options.location(root), com.mintreplica.backup.crypto.OpenPgpEncryption.unlockWith(secret));
        options.cacheDirectory(root).ifPresent(repository::withCache);
        return repository;
    }

    /**
     * One end of the copy. {@code --key} serves both ends: a plain repository is opened without it, so that the key the
     * other, encrypted end needs is not reported as unused (a plain repository's config says so; an encrypted one
     * refuses to open without keys, and is then opened with them).
     */
    private Repository openEnd(RepositoryOptions options) {
        if (!options.keyFiles(root).isEmpty()) {
            try {
                Repository plain = Repository.open(options.location(root));
                options.cacheDirectory(root).ifPresent(plain::withCache);
                return plain;
            } catch (com.mintreplica.backup.core.AccessDeniedException encrypted) {
                // encrypted: open it with the keys
            }
        }
        return openReadable(options);
    }

    /** The target: with the writer key when one is given (it needs no secret key), else like the source. */
    private Repository openTarget(RepositoryOptions options) {
        java.util.Optional<com.mintreplica.backup.crypto.WriterKey> writer = options.writerKey(root);
        if (writer.isPresent()) {
            return Repository.open(options.location(root), com.mintreplica.backup.crypto.OpenPgpEncryption.writeWith(writer.get()));
        }
        return openEnd(options);
    }

    private RepositoryOptions options(String location) {
        RepositoryOptions options = new RepositoryOptions();
        options.repo = location;
        options.keys = keys;
        options.passphraseFile = passphraseFile;
        options.noCache = noCache;
        options.cacheDir = cacheDir;
        return options;
    }
}
