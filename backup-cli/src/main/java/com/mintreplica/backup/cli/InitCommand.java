package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.core.transform.Transformer;
import com.mintreplica.backup.core.transform.Transformers;
import com.mintreplica.backup.crypto.OpenPgpEncryption;
import com.mintreplica.backup.crypto.OpenPgpKeys;
import com.mintreplica.backup.crypto.OpenPgpPublicKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "init", description = "Create a repository.")
final class InitCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Mixin
    RepositoryOptions repository;

    @Option(names = "--layout", paramLabel = "chunked|single", defaultValue = "chunked",
            description = "chunked: deduplicated (default); single: one standard file per entry, readable without mint-backup.")
    Layout layout;

    @Option(names = "--compression", paramLabel = "SPEC", defaultValue = "zstd",
            description = "zstd (default), zstd:LEVEL, gzip, gzip:LEVEL or none.")
    String compression;

    @Option(names = "--encrypt-to", paramLabel = "KEY.asc",
            description = "Encrypt everything stored to this OpenPGP public key (repeatable; a file may hold several keys)."
                    + " Reading then needs a matching --key.")
    List<Path> recipients = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<Transformer> chain = compression.equalsIgnoreCase("none") ? List.of() : List.of(Transformers.parse(compression));
        RepositorySettings settings = RepositorySettings.defaults().withLayout(layout).withTransformers(chain);
        List<OpenPgpPublicKey> keys = new ArrayList<>();
        recipients.forEach(file -> keys.addAll(OpenPgpKeys.publicKeys(file)));
        try (Sink sink = repository.openSink(root);
             Repository repo = keys.isEmpty() ? Repository.init(sink, settings)
                     : Repository.init(sink, settings, OpenPgpEncryption.to(keys))) {
            if (!root.quiet) {   // -q: only errors (restic's init -q says nothing either)
                root.out.println("created " + (keys.isEmpty() ? "" : "encrypted ") + layout.name().toLowerCase(java.util.Locale.ROOT)
                        + " repository " + repo.id() + " at " + repo.location());
                for (OpenPgpPublicKey key : keys) {
                    root.out.println("  readable with " + key);
                }
            }
        }
        return MintBackup.OK;
    }
}
